//! Load and validate arbitrary bytes as a Score file: the whole front end (UTF-8 check, YAML
//! loader, upgrade of deprecated forms, schema validation, semantic checks) must never panic,
//! and every diagnostic it returns must render.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use score_core::load::{load_source, source_from_bytes};
use score_core::render::render;

fuzz_target!(|data: &[u8]| {
    let diags = match source_from_bytes("fuzz.yaml".to_string(), data.to_vec()) {
        Err(d) => vec![*d],
        // A base directory that does not exist keeps file `source` checks off the real disk.
        Ok(src) => match load_source(src, Path::new("/nonexistent-score-fuzz"), None) {
            Ok(loaded) => loaded.warnings,
            Err(diags) => diags,
        },
    };
    for d in &diags {
        let _ = d.location();
        let _ = d.to_json();
        let _ = render(d, false);
    }
});
