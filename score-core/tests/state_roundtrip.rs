//! `generate` hands the provisioner the typed workloads it just loaded instead of parsing back
//! the JSON it stored in the state (`Project::add_loaded` / `take_workload_inputs`). That is
//! only sound if the JSON holds the whole workload: here every loadable fixture, every
//! workload used by the backends' fixtures and (with `../shared`) every corpus file round-trips
//! to an equal IR.

use std::path::{Path, PathBuf};

use score_core::ir::Workload;

fn score_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.filter_map(Result::ok) {
        let p = e.path();
        let name = p.file_name().unwrap_or_default().to_string_lossy();
        if p.is_dir() {
            score_files(&p, out);
        } else if (name.ends_with(".yaml") || name.ends_with(".yml"))
            && !name.contains("provisioners")
        {
            out.push(p);
        }
    }
}

use crate::prereq;

/// Every file below `dirs` that loads must read back from its stored JSON equal; returns how
/// many did.
fn round_trip(dirs: &[PathBuf]) -> usize {
    let mut files = Vec::new();
    for dir in dirs {
        score_files(dir, &mut files);
    }
    files.sort();
    let mut checked = 0;
    for path in &files {
        let Ok(loaded) = score_core::load::load_path(path) else {
            continue; // invalid fixtures, options files, manifests
        };
        let stored = serde_json::to_value(&loaded.workload).expect("a workload serialises");
        let back: Workload = serde_json::from_value(stored).unwrap_or_else(|e| {
            panic!(
                "{}: stored workload does not read back: {e}",
                path.display()
            )
        });
        assert_eq!(back, loaded.workload, "{}", path.display());
        checked += 1;
    }
    println!("{checked} workloads round-tripped");
    checked
}

#[test]
fn stored_workloads_read_back_equal() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let checked = round_trip(&[root.join("fixtures")]);
    assert!(checked >= 40, "only {checked} workloads checked");
}

#[test]
#[ignore = "needs ../shared/corpus (or SCORE_RS_SHARED); CI runs it with --include-ignored"]
fn stored_corpus_workloads_read_back_equal() {
    let checked = round_trip(&[prereq::corpus()]);
    assert!(checked >= 60, "only {checked} corpus workloads checked");
}
