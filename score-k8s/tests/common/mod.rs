//! The real pipeline for test cases in `fixtures/k8s/<case>/`:
//! `load_path` → `provision` with the default provisioners (plus the case's own
//! `*.provisioners.yaml`, which win) → `generate` → `to_yaml`.
//!
//! A case directory holds Score files (`*.yaml`, `*.json`), optional provisioner files and an
//! optional `options.yaml` (`namespace`, `generate_namespace`, `expect: error`).

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use score_core::provision::{self, parse_provisioner_file, Resolved, WorkloadInput};
use score_core::state::TargetState;
use score_core::{load, Diagnostic, SourceFile};
use score_k8s::{Options, Output};

/// `fixtures/k8s`.
pub fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/k8s")
}

/// Every case directory, sorted.
pub fn cases() -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(fixtures_dir())
        .expect("fixtures/k8s exists")
        .filter_map(|e| Some(e.ok()?.path()))
        .filter(|p| p.is_dir())
        .collect();
    out.sort();
    out
}

/// Cases expected to generate manifests.
pub fn ok_cases() -> Vec<PathBuf> {
    cases()
        .into_iter()
        .filter(|c| !case_options(c).expect_error)
        .collect()
}

/// What `options.yaml` says.
#[derive(Debug, Default)]
pub struct CaseOptions {
    pub opts: Options,
    pub expect_error: bool,
}

pub fn case_options(dir: &Path) -> CaseOptions {
    let path = dir.join("options.yaml");
    let Ok(text) = std::fs::read_to_string(&path) else {
        return CaseOptions::default();
    };
    let v = score_core::yaml::parse_source(&SourceFile::new(path.display().to_string(), text))
        .expect("options.yaml parses")
        .to_json();
    CaseOptions {
        opts: Options {
            namespace: v["namespace"].as_str().map(str::to_string),
            generate_namespace: v["generate_namespace"].as_bool().unwrap_or(false),
        },
        expect_error: v["expect"] == "error",
    }
}

fn is_provisioner_file(p: &Path) -> bool {
    p.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.ends_with(provision::PROVISIONER_FILE_SUFFIX))
}

/// The Score files of a case, sorted.
pub fn score_files(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| Some(e.ok()?.path()))
        .filter(|p| {
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or_default();
            (name.ends_with(".yaml") || name.ends_with(".json"))
                && name != "options.yaml"
                && !is_provisioner_file(p)
        })
        .collect();
    out.sort();
    out
}

/// The case's provisioner files, then the defaults.
pub fn provisioners(dir: &Path) -> Vec<provision::Provisioner> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| Some(e.ok()?.path()))
        .filter(|p| is_provisioner_file(p))
        .collect();
    files.sort();
    let mut out = Vec::new();
    for f in files {
        let src = SourceFile::new(
            f.display().to_string(),
            std::fs::read_to_string(&f).unwrap(),
        );
        out.extend(
            parse_provisioner_file(&src).unwrap_or_else(|e| panic!("{}: {:?}", f.display(), e)),
        );
    }
    out.extend(default_provisioners());
    out
}

pub fn default_provisioners() -> Vec<provision::Provisioner> {
    let src = SourceFile::new(
        "zz-default.provisioners.yaml",
        score_k8s::DEFAULT_PROVISIONERS,
    );
    parse_provisioner_file(&src).unwrap_or_else(|e| panic!("default provisioners: {}", render(&e)))
}

/// The loaded workloads of a case.
pub fn workloads(dir: &Path) -> Result<Vec<WorkloadInput>, Vec<Diagnostic>> {
    let mut out = Vec::new();
    for f in score_files(dir) {
        let loaded = load::load_path(&f)?;
        out.push(WorkloadInput::from(loaded));
    }
    Ok(out)
}

/// Provision a case with `state` (fresh or from an earlier run).
pub fn provision_case(dir: &Path, state: &mut TargetState) -> Result<Resolved, Vec<Diagnostic>> {
    let opts = case_options(dir).opts;
    let inputs = workloads(dir)?;
    let target = score_k8s::target(&inputs, &opts);
    provision::provision(state, &inputs, &provisioners(dir), &target)
}

/// Run a case from a fresh state.
pub fn run_case(dir: &Path) -> Result<(Resolved, Output), Vec<Diagnostic>> {
    let opts = case_options(dir).opts;
    let resolved = provision_case(dir, &mut TargetState::default())?;
    let out = score_k8s::generate(&resolved, &opts)?;
    Ok((resolved, out))
}

/// Diagnostics as text, one per line: `severity code: message (help)`.
pub fn render(diags: &[Diagnostic]) -> String {
    diags
        .iter()
        .map(|d| {
            let help = d
                .help
                .as_ref()
                .map(|h| format!("\n  help: {h}"))
                .unwrap_or_default();
            format!("{:?} {}: {}{help}", d.severity, d.code, d.message)
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Replace every secret value by `<secret-N>`, numbered by first appearance in `text`, so
/// snapshots are stable although passwords are random. Longer values are replaced first, so a
/// connection string that contains a password is redacted as a whole.
pub fn redact(text: &str, secrets: &[String]) -> String {
    let mut found: Vec<(usize, &String)> = secrets
        .iter()
        .filter(|s| !s.is_empty())
        .filter_map(|s| text.find(s.as_str()).map(|i| (i, s)))
        .collect();
    found.sort();
    let mut numbered: Vec<(usize, &String)> = found
        .into_iter()
        .enumerate()
        .map(|(n, (_, s))| (n + 1, s))
        .collect();
    numbered.sort_by_key(|(_, s)| std::cmp::Reverse(s.len()));
    let mut out = text.to_string();
    for (n, s) in numbered {
        out = out.replace(s.as_str(), &format!("<secret-{n}>"));
    }
    out
}

/// The case name (directory name).
pub fn name(dir: &Path) -> String {
    dir.file_name().unwrap().to_string_lossy().into_owned()
}

/// Replace the value of every `checksum/config` annotation by `<checksum>`.
pub fn redact_checksums(text: &str) -> String {
    text.lines()
        .map(|l| match l.find("checksum/config: ") {
            Some(i) => format!("{}checksum/config: <checksum>", &l[..i]),
            None => l.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\n")
        + if text.ends_with('\n') { "\n" } else { "" }
}

/// Every secret the run generated: `secret_values()` plus strings that providers keep in their
/// private state under a password-, secret- or token-like key (e.g. a root password that is no
/// output), so redaction and the leak check cover them too.
pub fn all_secrets(resolved: &Resolved) -> Vec<String> {
    fn walk(v: &serde_json::Value, key: &str, out: &mut Vec<String>) {
        match v {
            serde_json::Value::Object(m) => m.iter().for_each(|(k, x)| walk(x, k, out)),
            serde_json::Value::Array(a) => a.iter().for_each(|x| walk(x, key, out)),
            serde_json::Value::String(s) => {
                let k = key.to_ascii_lowercase();
                if ["password", "secret", "token", "root_user"]
                    .iter()
                    .any(|w| k.contains(w))
                {
                    out.push(s.clone());
                }
            }
            _ => {}
        }
    }
    let mut out = resolved.secret_values();
    for r in &resolved.resources {
        walk(
            &serde_json::Value::Object(r.record.state.clone()),
            "",
            &mut out,
        );
    }
    walk(
        &serde_json::Value::Object(resolved.shared_state.clone()),
        "",
        &mut out,
    );
    out.sort();
    out.dedup();
    out
}
