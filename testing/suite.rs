//! Each crate's integration tests are modules of one test binary, `tests/integration.rs`
//! (`autotests = false`): one link per crate instead of one per file, which was most of the
//! test build's link time (docs/performance.md, "Test build time").
//!
//! With `autotests = false` a new file under `tests/` would silently never run, so every
//! `integration.rs` holds a test that calls [`every_test_file_is_a_module`].
#![allow(dead_code)]

use std::path::Path;

/// Fails unless every `tests/*.rs` of this crate is declared in `root` (the text of
/// `tests/integration.rs`) as `mod <name>;`, except `integration.rs` and `separate` (files
/// that are test binaries of their own, listed in Cargo.toml).
pub fn every_test_file_is_a_module(root: &str, separate: &[&str]) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests");
    let mut missing = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let Some(stem) = path.file_stem().and_then(|s| s.to_str()) else {
            continue;
        };
        if path.extension().is_some_and(|e| e == "rs")
            && stem != "integration"
            && !separate.contains(&stem)
            && !root.lines().any(|l| l.trim() == format!("mod {stem};"))
        {
            missing.push(stem.to_string());
        }
    }
    assert!(
        missing.is_empty(),
        "tests/{{{}}}.rs would never run: declare them in tests/integration.rs",
        missing.join(",")
    );
}
