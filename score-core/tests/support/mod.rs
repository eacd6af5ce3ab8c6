//! Helpers shared by score-core's integration tests: finding the workload files of a fixture
//! directory.

use std::fs;
use std::path::{Path, PathBuf};

/// Whether `path` names a workload file (YAML or JSON).
pub fn is_workload_file(path: &Path) -> bool {
    matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("yaml" | "yml" | "json")
    )
}

/// Workload files directly in `dir`, sorted; relative when `dir` is.
pub fn workload_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|entry| entry.expect("directory entry").path())
        .filter(|p| p.is_file() && is_workload_file(p))
        .collect();
    files.sort();
    files
}

/// The file name of `path` (which must be UTF-8).
pub fn file_name(path: &Path) -> &str {
    path.file_name()
        .and_then(|n| n.to_str())
        .expect("UTF-8 file name")
}
