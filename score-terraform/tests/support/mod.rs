//! Shared test helpers: run the real pipeline over the fixture cases.
#![allow(dead_code)]

pub(crate) use crate::prereq;
pub mod schema;

use std::path::{Path, PathBuf};
use std::sync::Once;

use score_core::provision::{
    parse_provisioner_file, provision, Provisioner, Resolved, WorkloadInput,
};
use score_core::state::TargetState;
use score_core::{Diagnostic, SourceFile};
use score_terraform::{Format, Options};
use serde_json::Value;

/// The fixture folder of this crate.
pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/terraform")
}

/// Every case folder, sorted.
pub fn cases() -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(fixtures())
        .expect("fixtures/terraform exists")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    out.sort();
    out
}

/// Case name of a folder.
pub fn case_name(dir: &Path) -> String {
    dir.file_name().unwrap().to_string_lossy().into_owned()
}

/// Seed the engine's random helpers (only custom provisioners use them; the defaults do not).
pub fn seed() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| std::env::set_var("SCORE_RS_RANDOM_SEED", "score-terraform-tests"));
}

/// The default provisioners, parsed.
pub fn default_provisioners() -> Vec<Provisioner> {
    parse_provisioner_file(&SourceFile::new(
        "zz-default.provisioners.yaml",
        score_terraform::DEFAULT_PROVISIONERS,
    ))
    .unwrap_or_else(|e| panic!("default provisioners do not parse: {e:#?}"))
}

/// Score files (`*.yaml`, `*.json` that are not provisioner files) of a case, sorted.
pub fn score_files(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            let n = p.file_name().unwrap().to_string_lossy();
            (n.ends_with(".yaml") || n.ends_with(".json")) && !n.ends_with(".provisioners.yaml")
        })
        .collect();
    out.sort();
    out
}

/// Custom provisioners of a case (its `*.provisioners.yaml`, in name order) then the defaults.
pub fn provisioners(dir: &Path) -> Vec<Provisioner> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.to_string_lossy().ends_with(".provisioners.yaml"))
        .collect();
    files.sort();
    let mut out = Vec::new();
    for f in files {
        let src = SourceFile::new(
            f.display().to_string(),
            std::fs::read_to_string(&f).unwrap(),
        );
        out.extend(
            parse_provisioner_file(&src).unwrap_or_else(|e| panic!("{}: {e:#?}", f.display())),
        );
    }
    out.extend(default_provisioners());
    out
}

/// Load the workloads of a case.
pub fn workloads(dir: &Path) -> Vec<WorkloadInput> {
    score_files(dir)
        .iter()
        .map(|p| {
            let loaded = score_core::load::load_path(p)
                .unwrap_or_else(|e| panic!("{}: {}", p.display(), render(&e)));
            WorkloadInput::from(loaded)
        })
        .collect()
}

/// Diagnostics as text.
pub fn render(d: &[Diagnostic]) -> String {
    d.iter()
        .map(|d| score_core::render::render(d, false))
        .collect::<Vec<_>>()
        .join("\n")
}

/// A case run through load → provision → generate.
pub struct Run {
    pub resolved: Resolved,
    pub state: TargetState,
    pub hcl: score_terraform::Output,
    pub json: score_terraform::Output,
}

/// Provision with `state` (updated in place).
pub fn provision_case(dir: &Path, state: &mut TargetState) -> Resolved {
    seed();
    let ws = workloads(dir);
    let target = score_terraform::target(&ws, &Options::default());
    provision(state, &ws, &provisioners(dir), &target)
        .unwrap_or_else(|e| panic!("{}: provisioning failed:\n{}", dir.display(), render(&e)))
}

/// Run a case from a fresh state.
pub fn run(dir: &Path) -> Run {
    let mut state = TargetState::default();
    let resolved = provision_case(dir, &mut state);
    let gen = |format| {
        score_terraform::generate(&resolved, &Options { format })
            .unwrap_or_else(|e| panic!("{}: generate failed:\n{}", dir.display(), render(&e)))
    };
    Run {
        hcl: gen(Format::Hcl),
        json: gen(Format::Json),
        resolved,
        state,
    }
}

/// The JSON files of a run, parsed, by base name (`main`, `variables`, …).
pub fn json_files(out: &score_terraform::Output) -> Vec<(String, Value)> {
    out.files
        .iter()
        .map(|(n, text)| {
            let v: Value =
                serde_json::from_str(text).unwrap_or_else(|e| panic!("{n} is not JSON: {e}"));
            (n.trim_end_matches(".tf.json").to_string(), v)
        })
        .collect()
}
