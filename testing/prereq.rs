//! What the tests that need more than the repository need: `../shared` (the upstream corpus,
//! the official schema, the Terraform provider schemas) and the independent validators.
//!
//! Such tests are marked `#[ignore = "needs …"]`, so a plain `cargo test` on a fresh clone
//! passes and lists each of them as ignored, with the reason. CI runs them with
//! `cargo test -- --include-ignored`; then a missing prerequisite fails the test with the reason
//! instead of skipping it, so nothing is skipped there without failing the run.
//!
//! Included by every crate's tests with `#[path = "../../testing/prereq.rs"] mod prereq;`.
#![allow(dead_code)] // each test binary uses some of these

use std::path::{Path, PathBuf};

/// `../shared` beside the checkout, or `$SCORE_RS_SHARED`; fails when it is not there.
pub fn shared() -> PathBuf {
    let dir = std::env::var_os("SCORE_RS_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared"));
    assert!(
        dir.is_dir(),
        "this test needs the shared reference material at {} (or set SCORE_RS_SHARED); \
         it is ignored unless run with --include-ignored",
        dir.display()
    );
    dir
}

/// `relative` below [`shared`]; fails when it is not there.
pub fn shared_path(relative: &str) -> PathBuf {
    let path = shared().join(relative);
    assert!(path.exists(), "{} is missing", path.display());
    path
}

/// The upstream corpus of Score files, `../shared/corpus/upstream`.
pub fn corpus() -> PathBuf {
    shared_path("corpus/upstream")
}

/// The validator named by the environment variable `var`; fails when it is unset.
pub fn validator(var: &str, what: &str) -> String {
    match std::env::var(var) {
        Ok(path) if !path.is_empty() => path,
        _ => panic!(
            "this test needs {what}: set {var} to its path (see the README's Development section); \
             it is ignored unless run with --include-ignored"
        ),
    }
}
