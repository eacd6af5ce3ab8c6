//! Every fixture gets the verdict its name promises, and every invalid one renders a diagnostic
//! that a reviewer can read in `tests/snapshots/fixtures__<name>.snap`:
//!
//! - `fixtures/valid/*`: loads with no errors;
//! - `fixtures/invalid/parse-*`: a `score::parse::*` error;
//! - `fixtures/invalid/schema-*`: a `score::schema::*` error;
//! - `fixtures/invalid/semantic-*`: an error from the semantic checks (neither parse nor schema),
//!   except the few in [`WARNING_BY_DESIGN`], which load with a warning.
//!
//! Paths are given relative to the workspace root (`fixtures/invalid/<name>`), so the file names
//! in the snapshots do not depend on the machine.

use std::fs;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::Once;

use score_core::load::load_path;
use score_core::render::render;
use score_core::{Diagnostic, DiagnosticsExt, Severity};

use crate::support::{self, file_name};

/// Invalid fixtures whose mistake is reported as a warning on purpose: a missing file `source`
/// may be produced by a build step before `generate` (which then fails on it); an unclosed `${`
/// is legal (it stays literal text, as in the reference tools) but rarely meant.
const WARNING_BY_DESIGN: &[(&str, &str)] = &[
    (
        "semantic-11-file-source-missing.yaml",
        "score::file::unreadable_source",
    ),
    (
        "semantic-15-placeholder-in-image.yaml",
        "score::placeholder::not_substituted",
    ),
    // Both run the `exec` handler on every target (the spec says to prefer it).
    ("semantic-16-probe-both-handlers.yaml", "score::probe::both"),
    // Capped at the limit on every target (Kubernetes would reject the request).
    (
        "semantic-17-request-above-limit.yaml",
        "score::resources::request_above_limit",
    ),
    (
        "semantic-18-placeholder-in-command-and-probe.yaml",
        "score::placeholder::not_substituted",
    ),
    (
        "semantic-14-placeholder-unclosed.yaml",
        "score::placeholder::unclosed",
    ),
];

/// Fewest fixtures we expect to find, so an emptied directory cannot pass silently.
const MIN_INVALID: usize = 45;
const MIN_VALID: usize = 10;

/// Make the workspace root the current directory (once for the whole test binary).
fn at_workspace_root() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        std::env::set_current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
            .expect("cannot change to the workspace root");
    });
}

/// Workload files directly in `dir` (relative to the workspace root), sorted.
fn workload_files(dir: &str) -> Vec<PathBuf> {
    at_workspace_root();
    support::workload_files(Path::new(dir))
}

/// Every diagnostic loading `path` produces: the errors, or the warnings of a successful load.
fn diagnostics(path: &Path) -> Vec<Diagnostic> {
    match load_path(path) {
        Ok(loaded) => loaded.warnings,
        Err(diags) => diags,
    }
}

/// The text after `# mistake:` on the first line.
fn mistake(path: &Path) -> String {
    let text = fs::read_to_string(path).unwrap_or_default();
    text.lines()
        .next()
        .and_then(|l| l.strip_prefix("# mistake:"))
        .map(|m| m.trim().to_string())
        .unwrap_or_default()
}

/// What is wrong with the diagnostics of one invalid fixture, if anything.
fn verdict_problem(name: &str, mistake: &str, diags: &[Diagnostic]) -> Option<String> {
    let codes: Vec<&str> = diags.iter().map(|d| d.code.as_str()).collect();
    if diags.is_empty() {
        return Some("loads without any diagnostic".into());
    }
    if let Some(d) = diags.iter().find(|d| d.location().is_none()) {
        return Some(format!("`{}` has no source location", d.code));
    }
    let expected_warning = WARNING_BY_DESIGN
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, code)| *code);
    if let Some(code) = expected_warning {
        if diags.has_errors() {
            return Some(format!("expected only a warning, got errors {codes:?}"));
        }
        if !diags
            .iter()
            .any(|d| d.severity == Severity::Warning && d.code == code)
        {
            return Some(format!("expected warning `{code}`, got {codes:?}"));
        }
        return None;
    }
    if mistake.to_lowercase().contains("warning") {
        return Some(format!(
            "the mistake says it is a warning; add it to WARNING_BY_DESIGN (got {codes:?})"
        ));
    }
    let errors: Vec<&str> = diags
        .iter()
        .filter(|d| d.is_error())
        .map(|d| d.code.as_str())
        .collect();
    let family_ok = |code: &&str| {
        if name.starts_with("parse-") {
            code.starts_with("score::parse::")
        } else if name.starts_with("schema-") {
            code.starts_with("score::schema::")
        } else if name.starts_with("semantic-") {
            !code.starts_with("score::parse::") && !code.starts_with("score::schema::")
        } else {
            true
        }
    };
    if errors.is_empty() {
        return Some(format!("expected an error, got only {codes:?}"));
    }
    if !errors.iter().any(family_ok) {
        return Some(format!(
            "no error of the family its name promises, got {codes:?}"
        ));
    }
    None
}

#[test]
fn invalid_fixtures_report_the_mistake() {
    let files = workload_files("fixtures/invalid");
    assert!(
        files.len() >= MIN_INVALID,
        "only {} invalid fixtures found",
        files.len()
    );
    let mut problems = Vec::new();
    let mut snapshot_failures = Vec::new();
    for path in &files {
        let name = file_name(path);
        let mistake = mistake(path);
        let diags = diagnostics(path);
        if let Some(p) = verdict_problem(name, &mistake, &diags) {
            problems.push(format!("{name}: {p}"));
        }
        let text: String = diags.iter().map(|d| render(d, false)).collect();
        let stem = name.rsplit_once('.').map_or(name, |(s, _)| s).to_string();
        // Keep going after a mismatch so one run shows (and writes `.snap.new` for) all of them.
        let result = catch_unwind(AssertUnwindSafe(|| {
            insta::with_settings!({
                description => format!("{}: {mistake}", path.display()),
                omit_expression => true,
                prepend_module_to_snapshot => false,
            }, {
                insta::assert_snapshot!(format!("fixtures__{stem}"), text);
            });
        }));
        if result.is_err() {
            snapshot_failures.push(name.to_string());
        }
    }
    assert!(
        problems.is_empty(),
        "invalid fixtures with the wrong verdict:\n  {}",
        problems.join("\n  ")
    );
    assert!(
        snapshot_failures.is_empty(),
        "rendered diagnostics changed for: {snapshot_failures:?} (review with `cargo insta review`)"
    );
}

#[test]
fn valid_fixtures_load_without_errors() {
    let files = workload_files("fixtures/valid");
    assert!(
        files.len() >= MIN_VALID,
        "only {} valid fixtures found",
        files.len()
    );
    let mut problems = Vec::new();
    for path in &files {
        match load_path(path) {
            Ok(loaded) => {
                // Warnings are fine (deprecated forms), but they must point somewhere.
                for w in &loaded.warnings {
                    if w.is_error() || w.location().is_none() {
                        problems.push(format!("{}: {}", path.display(), render(w, false)));
                    }
                }
            }
            Err(diags) => {
                let text: String = diags.iter().map(|d| render(d, false)).collect();
                problems.push(format!("{}:\n{text}", path.display()));
            }
        }
    }
    assert!(
        problems.is_empty(),
        "valid fixtures that do not load cleanly:\n{}",
        problems.join("\n")
    );
}

/// Valid fixtures load without warnings, but for the deprecated forms and the probe with both
/// handlers (every target runs its `exec`).
#[test]
fn only_the_fixtures_meant_to_warn_do() {
    let warned: Vec<String> = workload_files("fixtures/valid")
        .iter()
        .filter(|p| load_path(p).is_ok_and(|l| !l.warnings.is_empty()))
        .map(|p| file_name(p).to_string())
        .collect();
    assert_eq!(warned, ["05-probes.yaml", "10-deprecated-lists.yaml"]);
}

#[test]
fn warnings_by_design_exist() {
    let names: Vec<String> = workload_files("fixtures/invalid")
        .iter()
        .map(|p| file_name(p).to_string())
        .collect();
    for (name, _) in WARNING_BY_DESIGN {
        assert!(
            names.iter().any(|n| n == name),
            "{name} is listed in WARNING_BY_DESIGN but does not exist"
        );
    }
}
