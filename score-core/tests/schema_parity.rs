//! Our own v1b1 schema (`schemas/score-v1b1.json`) must accept and reject exactly the documents
//! that the upstream Score schema does, and the fixtures must mean what their names say:
//!
//! - `fixtures/valid/*`: valid;
//! - `fixtures/invalid/schema-*`: rejected by the schema;
//! - `fixtures/invalid/semantic-*`: accepted by the schema (later checks reject them);
//! - `fixtures/invalid/parse-*`: not a single YAML document (not validated here).
//!
//! Parity with upstream is checked on every fixture plus the upstream spec examples and corpus
//! under `../shared`, which holds the official schema: that test is ignored by a plain
//! `cargo test` and run by CI (`--include-ignored`), where a missing `../shared` fails it.

use crate::prereq;
use crate::support::{file_name, is_workload_file, workload_files};

use std::fs;
use std::path::{Path, PathBuf};

use serde_json::Value;

const OUR_SCHEMA: &str = include_str!("../../schemas/score-v1b1.json");
const FIXTURES_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures");

/// Fewest invalid fixtures we keep.
const MIN_INVALID_FIXTURES: usize = 45;

fn validator(schema_text: &str, what: &str) -> jsonschema::Validator {
    let schema: Value =
        serde_json::from_str(schema_text).unwrap_or_else(|e| panic!("{what} is not JSON: {e}"));
    jsonschema::validator_for(&schema)
        .unwrap_or_else(|e| panic!("{what} is not a usable JSON Schema: {e}"))
}

fn ours() -> jsonschema::Validator {
    validator(OUR_SCHEMA, "schemas/score-v1b1.json")
}

/// Workload files anywhere below `dir`, sorted.
fn workload_files_recursive(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|entry| entry.expect("directory entry").path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            workload_files_recursive(&path, out);
        } else if is_workload_file(&path) {
            out.push(path);
        }
    }
}

/// Load a YAML or JSON file with the project's own loader and turn it into JSON.
fn load(path: &Path) -> Result<Value, String> {
    let text = fs::read_to_string(path).map_err(|e| format!("cannot read: {e}"))?;
    score_core::yaml::parse(&path.display().to_string(), &text)
        .map(|node| node.to_json())
        .map_err(|d| format!("does not parse: {d}"))
}

fn first_error(v: &jsonschema::Validator, instance: &Value) -> String {
    v.iter_errors(instance).next().map_or_else(
        || "valid".to_string(),
        |e| format!("{} at {}", e, e.instance_path()),
    )
}

fn valid_fixtures() -> Vec<PathBuf> {
    workload_files(&Path::new(FIXTURES_DIR).join("valid"))
}

fn invalid_fixtures() -> Vec<PathBuf> {
    workload_files(&Path::new(FIXTURES_DIR).join("invalid"))
}

/// Every fixture that should load as one document, i.e. all but `parse-*`.
fn loadable_fixtures() -> Vec<PathBuf> {
    valid_fixtures()
        .into_iter()
        .chain(
            invalid_fixtures()
                .into_iter()
                .filter(|p| !file_name(p).starts_with("parse-")),
        )
        .collect()
}

#[test]
fn fixtures_are_named_and_documented() {
    let mut problems = Vec::new();
    let invalid = invalid_fixtures();
    if invalid.len() < MIN_INVALID_FIXTURES {
        problems.push(format!(
            "only {} invalid fixtures; keep at least {MIN_INVALID_FIXTURES}",
            invalid.len()
        ));
    }
    for path in &invalid {
        let name = file_name(path);
        if !["schema-", "semantic-", "parse-"]
            .iter()
            .any(|p| name.starts_with(p))
        {
            problems.push(format!(
                "{name}: invalid fixtures start with schema-, semantic- or parse-"
            ));
        }
        let text = fs::read_to_string(path).unwrap_or_default();
        let first = text.lines().next().unwrap_or("");
        if !first.starts_with("# mistake: ") || first.len() <= "# mistake: ".len() {
            problems.push(format!(
                "{name}: the first line must be `# mistake: <what is wrong>`"
            ));
        }
    }
    assert!(
        problems.is_empty(),
        "fixture problems:\n  {}",
        problems.join("\n  ")
    );
}

#[test]
fn parse_fixtures_do_not_load() {
    let loaded: Vec<String> = invalid_fixtures()
        .iter()
        .filter(|p| file_name(p).starts_with("parse-"))
        .filter(|p| load(p).is_ok())
        .map(|p| file_name(p).to_string())
        .collect();
    assert!(
        loaded.is_empty(),
        "these parse-* fixtures load as one document: {loaded:?}"
    );
}

#[test]
fn fixtures_get_the_expected_verdict_from_our_schema() {
    let ours = ours();
    let mut problems = Vec::new();
    for path in loadable_fixtures() {
        let name = file_name(&path);
        let instance = match load(&path) {
            Ok(v) => v,
            Err(e) => {
                problems.push(format!("{}: {e}", path.display()));
                continue;
            }
        };
        let valid = ours.is_valid(&instance);
        let expected = !name.starts_with("schema-");
        if valid != expected {
            let why = if valid {
                "accepted, but it should be rejected".to_string()
            } else {
                first_error(&ours, &instance)
            };
            problems.push(format!("{}: {why}", path.display()));
        }
    }
    assert!(
        problems.is_empty(),
        "wrong verdicts under schemas/score-v1b1.json:\n  {}",
        problems.join("\n  ")
    );
}

#[test]
#[ignore = "needs ../shared/spec and ../shared/corpus (or SCORE_RS_SHARED); CI runs it with --include-ignored"]
fn our_schema_agrees_with_the_official_schema() {
    let official_path = prereq::shared_path("spec/score-v1b1.json");
    let official_text = fs::read_to_string(&official_path).expect("the official schema");
    let ours = ours();
    let official = validator(&official_text, &official_path.display().to_string());

    // Upstream documents that both schemas must accept.
    let mut upstream = vec![
        prereq::shared_path("spec/score-full.yaml"),
        prereq::shared_path("spec/score-deprecated-files-and-volumes.yaml"),
    ];
    workload_files_recursive(&prereq::corpus(), &mut upstream);

    let mut problems = Vec::new();
    let mut checked = 0;
    let fixtures = loadable_fixtures();
    let upstream_count = upstream.len();
    for (path, must_be_valid) in fixtures
        .into_iter()
        .map(|p| (p, false))
        .chain(upstream.into_iter().map(|p| (p, true)))
    {
        let instance = match load(&path) {
            Ok(v) => v,
            Err(e) => {
                problems.push(format!("{}: {e}", path.display()));
                continue;
            }
        };
        checked += 1;
        let (a, b) = (ours.is_valid(&instance), official.is_valid(&instance));
        if a != b {
            problems.push(format!(
                "{}: ours says {}, official says {}",
                path.display(),
                first_error(&ours, &instance),
                first_error(&official, &instance)
            ));
        } else if must_be_valid && !a {
            problems.push(format!(
                "{}: upstream document rejected by both: {}",
                path.display(),
                first_error(&ours, &instance)
            ));
        }
    }
    eprintln!("schema parity: {checked} documents checked ({upstream_count} upstream)");
    assert!(
        problems.is_empty(),
        "schema verdicts differ:\n  {}",
        problems.join("\n  ")
    );
}
