//! Shared harness: run the real pipeline on `fixtures/compose/<case>/`.
//!
//! A case directory holds:
//! * Score files (`*.yaml`, loaded in name order) — the workloads;
//! * optionally `options.yaml`: `publish`, `build` (directories relative to the project root),
//!   `env_file`, and `env` (the process environment seen by `environment` resources in files);
//! * optionally `*.provisioners.yaml`: user provisioners, consulted before the defaults;
//! * any other files the Score files use as `source`.
//!
//! Random helpers are seeded (`SCORE_RS_RANDOM_SEED`), and every secret output value is replaced
//! by `<secret>` in rendered text, so the reports are stable and show where secrets end up.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Once;

use score_compose::{GeneratedFile, Options, Output};
use score_core::provision::{
    parse_provisioner_file, provision, Provisioner, Resolved, WorkloadInput,
};
use score_core::state::TargetState;
use score_core::{Diagnostic, SourceFile};
use serde_json::Value;

/// The fake project root the compose file lives in (paths in the output are relative to it).
pub const PROJECT: &str = "/project";

/// Seed the random helpers, once per test binary, before any test reads the environment.
pub fn init() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // Set before any other thread of this binary gets past `init`.
        unsafe_set_seed();
    });
}

#[allow(unused_unsafe)]
fn unsafe_set_seed() {
    std::env::set_var("SCORE_RS_RANDOM_SEED", "score-compose-tests");
}

/// The fixtures directory.
pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/compose")
}

/// `p` without `.` and `..` components (as compose paths are written).
fn normalized(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            std::path::Component::ParentDir => {
                out.pop();
            }
            std::path::Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

/// Every case name, sorted.
pub fn cases() -> Vec<String> {
    let mut out: Vec<String> = std::fs::read_dir(fixtures())
        .expect("fixtures/compose exists")
        .filter_map(Result::ok)
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    out.sort();
    out
}

/// The result of one case.
pub struct Run {
    /// Generation result.
    pub result: Result<Output, Vec<Diagnostic>>,
    /// Secret values to redact.
    pub secrets: Vec<String>,
    /// The resolved project (when provisioning succeeded).
    pub resolved: Option<Resolved>,
}

/// Run the pipeline for one case. Loading and provisioning failures are returned as errors too.
pub fn run_case(case: &str) -> Run {
    init();
    let dir = fixtures().join(case);
    let mut names: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("case {case}: {e}"))
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .collect();
    names.sort();
    let mut provisioners: Vec<Provisioner> = Vec::new();
    let mut options = Value::Null;
    let mut inputs = Vec::new();
    let mut errors = Vec::new();
    for path in &names {
        let file_name = path.file_name().unwrap().to_string_lossy().into_owned();
        if file_name.ends_with(".provisioners.yaml") {
            let text = std::fs::read_to_string(path).unwrap();
            match parse_provisioner_file(&SourceFile::new(file_name, text)) {
                Ok(p) => provisioners.extend(p),
                Err(e) => errors.extend(e),
            }
        } else if file_name == "options.yaml" {
            let text = std::fs::read_to_string(path).unwrap();
            options = score_core::yaml::parse("options.yaml", &text)
                .expect("valid options.yaml")
                .to_json();
        } else {
            match score_core::load::load_path(path) {
                Ok(l) => inputs.push(WorkloadInput::from(l)),
                Err(e) => errors.extend(e),
            }
        }
    }
    let defaults = parse_provisioner_file(&SourceFile::new(
        "zz-default.provisioners.yaml",
        score_compose::DEFAULT_PROVISIONERS,
    ))
    .expect("default provisioners parse");
    provisioners.extend(defaults);
    let strings = |key: &str| -> Vec<String> {
        options
            .get(key)
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default()
    };
    let build = strings("build")
        .into_iter()
        .map(|b| match b.split_once('=') {
            Some((k, v)) if !v.starts_with('{') && !v.contains("://") => {
                format!("{k}={PROJECT}/{v}")
            }
            _ => b,
        })
        .collect();
    let opts = Options {
        project: case.to_string(),
        publish: strings("publish"),
        build,
        mounts_dir: PathBuf::from(PROJECT).join(".score-rs/mounts"),
        compose_dir: PathBuf::from(PROJECT),
        env_file: options
            .get("env_file")
            .and_then(Value::as_bool)
            .unwrap_or(false),
    };
    let env: BTreeMap<String, String> = options
        .get("env")
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.clone(), score_core::placeholder::value_to_string(v)))
                .collect()
        })
        .unwrap_or_default();
    if !errors.is_empty() {
        return Run {
            result: Err(errors),
            secrets: Vec::new(),
            resolved: None,
        };
    }
    let mut state = TargetState::default();
    let target = score_compose::target(&inputs, &opts);
    let resolved = match provision(&mut state, &inputs, &provisioners, &target) {
        Ok(r) => r,
        Err(e) => {
            return Run {
                result: Err(e),
                secrets: Vec::new(),
                resolved: None,
            }
        }
    };
    let getenv = |k: &str| env.get(k).cloned();
    let result = score_compose::generate_with_env(&resolved, &opts, &getenv);
    let mut secrets = resolved.secret_values();
    secrets.retain(|s| s.len() >= 4);
    // Longest first, so a secret containing another is redacted whole.
    secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
    Run {
        result,
        secrets,
        resolved: Some(resolved),
    }
}

/// Replace every secret value by `<secret>`.
pub fn redact(text: &str, secrets: &[String]) -> String {
    secrets
        .iter()
        .fold(text.to_string(), |t, s| t.replace(s.as_str(), "<secret>"))
}

fn diag_line(d: &Diagnostic) -> String {
    let mut s = format!("[{}] {}\n", d.code, d.message);
    if let Some(h) = &d.help {
        s.push_str(&format!("  help: {h}\n"));
    }
    s
}

fn file_block(f: &GeneratedFile) -> String {
    let mode = f.mode.map_or("default".to_string(), |m| format!("{m:04o}"));
    let mut s = format!("{} (mode {mode})\n", f.path.display());
    match std::str::from_utf8(&f.bytes) {
        Ok(text) => {
            for line in text.lines() {
                s.push_str(&format!("  | {line}\n"));
            }
            if !text.is_empty() && !text.ends_with('\n') {
                s.push_str("  (no newline at end)\n");
            }
        }
        Err(_) => s.push_str(&format!("  <{} bytes of binary data>\n", f.bytes.len())),
    }
    s
}

/// The human-readable report snapshotted for a case.
pub fn report(run: &Run) -> String {
    let mut out = String::new();
    // Warnings of provisioning (params a provisioner does not take, provisioner `warnings`).
    let provisioning = run.resolved.as_ref().map_or(&[][..], |r| &r.warnings[..]);
    if !provisioning.is_empty() {
        out.push_str("--- provisioning warnings\n");
        provisioning
            .iter()
            .for_each(|d| out.push_str(&diag_line(d)));
    }
    match &run.result {
        Ok(o) => {
            out.push_str("--- compose.yaml\n");
            out.push_str(&score_compose::to_yaml(&o.document));
            out.push_str("--- files\n");
            for f in &o.files {
                out.push_str(&file_block(f));
            }
            if !o.warnings.is_empty() {
                out.push_str("--- warnings\n");
                o.warnings.iter().for_each(|d| out.push_str(&diag_line(d)));
            }
            if !o.info_logs.is_empty() {
                out.push_str("--- info\n");
                o.info_logs
                    .iter()
                    .for_each(|l| out.push_str(&format!("{l}\n")));
            }
            if let Some(env) = &o.env_file {
                out.push_str("--- .env\n");
                out.push_str(env);
            }
        }
        Err(diags) => {
            out.push_str("--- errors\n");
            diags.iter().for_each(|d| out.push_str(&diag_line(d)));
        }
    }
    // Build contexts in the fixtures (image `.`) are relative to PROJECT: name them stably.
    let fixtures_from_project = format!("..{}", normalized(&fixtures()).display());
    redact(&out, &run.secrets).replace(&fixtures_from_project, "<fixtures>")
}

/// Write the compose file and every generated file into `dir` as a project would have them.
pub fn materialise(o: &Output, dir: &Path) -> PathBuf {
    let compose = dir.join("compose.yaml");
    std::fs::write(&compose, score_compose::to_yaml(&o.document)).unwrap();
    score_compose::write_files(&o.files, &dir.join(".score-rs/mounts")).expect("files written");
    if let Some(env) = &o.env_file {
        std::fs::write(dir.join(".env"), env).unwrap();
    }
    compose
}
