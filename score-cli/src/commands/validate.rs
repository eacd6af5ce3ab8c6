//! `score-rs validate`.

use std::path::PathBuf;

use score_core::load::load_path;

use super::{FAILED, OK};
use crate::report::Reporter;

pub fn run(files: &[PathBuf], reporter: &mut Reporter) -> u8 {
    let mut code = OK;
    for path in files {
        match load_path(path) {
            Ok(loaded) => {
                reporter.diagnostics(&loaded.warnings);
                let w = &loaded.workload;
                reporter.success(&format!(
                    "✓ {}: workload `{}` is valid ({} container{}, {} resource{})",
                    score_core::load::display_name(path),
                    w.name(),
                    w.containers.len(),
                    plural(w.containers.len()),
                    w.resources.len(),
                    plural(w.resources.len()),
                ));
            }
            Err(diags) => {
                reporter.diagnostics(&diags);
                code = FAILED;
            }
        }
    }
    reporter.summary();
    code
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}
