//! `score-rs validate` on the real binary: exit codes, where output goes, stdin, the default
//! file, JSON output, help/version/completions, and the whole upstream corpus.
//!
//! Fixtures are passed as paths relative to the workspace root (the current directory of the
//! child process), so the file names in the snapshots do not depend on the machine.

use std::fs;
use std::path::{Path, PathBuf};

use crate::{cli, prereq};

use assert_cmd::Command;
use predicates::prelude::*;
use predicates::str::contains;

const WORKSPACE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
/// Score files in the upstream corpus.
const CORPUS_FILES: usize = 84;

const MINIMAL: &str = "fixtures/valid/01-minimal.yaml";
const PORT_STRING: &str = "fixtures/invalid/schema-16-port-string.yaml";

/// `score-rs` run from the workspace root (see [`cli::score_rs`]).
fn score_rs() -> Command {
    cli::score_rs(Path::new(WORKSPACE))
}

fn stdout_of(out: &std::process::Output) -> String {
    String::from_utf8(out.stdout.clone()).expect("stdout is UTF-8")
}

fn stderr_of(out: &std::process::Output) -> String {
    String::from_utf8(out.stderr.clone()).expect("stderr is UTF-8")
}

#[test]
fn a_valid_file_exits_0_with_one_success_line() {
    let out = score_rs()
        .args(["validate", MINIMAL])
        .assert()
        .code(0)
        .get_output()
        .clone();
    let stdout = stdout_of(&out);
    assert_eq!(
        stdout,
        "✓ fixtures/valid/01-minimal.yaml: workload `hello` is valid (1 container, 0 resources)\n"
    );
    assert_eq!(stderr_of(&out), "", "nothing on stderr");
}

#[test]
fn an_invalid_file_exits_1_with_the_diagnostic_on_stderr() {
    let out = score_rs()
        .args(["validate", PORT_STRING])
        .assert()
        .code(1)
        .get_output()
        .clone();
    assert_eq!(stdout_of(&out), "", "nothing on stdout");
    let stderr = stderr_of(&out);
    assert!(
        stderr.contains("fixtures/invalid/schema-16-port-string.yaml:8:13"),
        "{stderr}"
    );
    assert!(stderr.contains("score::schema::type"), "{stderr}");
    assert!(stderr.contains("remove the quotes"), "{stderr}");
}

#[test]
fn without_a_terminal_there_is_no_colour_even_without_no_color() {
    let out = score_rs()
        .env_remove("NO_COLOR")
        .args(["validate", PORT_STRING])
        .assert()
        .code(1)
        .get_output()
        .clone();
    assert!(
        !stderr_of(&out).contains('\u{1b}'),
        "ANSI escapes in a pipe"
    );
}

#[test]
fn several_files_report_each_and_fail_if_any_fails() {
    let out = score_rs()
        .args([
            "validate",
            MINIMAL,
            PORT_STRING,
            "fixtures/valid/02-web-postgres-redis.yaml",
        ])
        .assert()
        .code(1)
        .get_output()
        .clone();
    let stdout = stdout_of(&out);
    // Every file is checked: the one after the failure too.
    assert_eq!(stdout.lines().count(), 2, "{stdout}");
    assert!(stdout.contains("01-minimal.yaml"), "{stdout}");
    assert!(stdout.contains("02-web-postgres-redis.yaml"), "{stdout}");
    assert!(stderr_of(&out).contains("schema-16-port-string.yaml:8:13"));
}

#[test]
fn several_valid_files_exit_0() {
    score_rs()
        .args([
            "validate",
            MINIMAL,
            "fixtures/valid/11-worker.json",
            "fixtures/valid/03-files.yaml",
        ])
        .assert()
        .code(0)
        .stdout(predicate::function(|s: &str| s.lines().count() == 3))
        .stderr("");
}

#[test]
fn a_warning_alone_does_not_fail() {
    // A missing file `source` is a warning: `generate` needs the file, `validate` does not.
    let out = score_rs()
        .args([
            "validate",
            "fixtures/invalid/semantic-11-file-source-missing.yaml",
        ])
        .assert()
        .code(0)
        .get_output()
        .clone();
    assert!(stdout_of(&out).starts_with("✓ "));
    let stderr = stderr_of(&out);
    assert!(
        stderr.contains("score::file::unreadable_source"),
        "{stderr}"
    );
    assert!(stderr.contains('⚠'), "{stderr}");
}

#[test]
fn dash_reads_standard_input() {
    let text = fs::read_to_string(Path::new(WORKSPACE).join(MINIMAL)).unwrap();
    score_rs()
        .args(["validate", "-"])
        .write_stdin(text)
        .assert()
        .code(0)
        .stdout(contains("workload `hello` is valid"));
    let out = score_rs()
        .args(["validate", "-"])
        .write_stdin("apiVersion: score.dev/v1b1\nmetadata: {name: web}\ncontainers: {}\n")
        .assert()
        .code(1)
        .get_output()
        .clone();
    let stderr = stderr_of(&out);
    assert!(stderr.contains("score::schema::min_properties"), "{stderr}");
    assert!(stderr.contains(":3:1]"), "{stderr}");
}

#[test]
fn bad_standard_input_is_reported() {
    score_rs()
        .args(["validate", "-"])
        .write_stdin("")
        .assert()
        .code(1)
        .stderr(contains("score::parse::empty"));
    score_rs()
        .args(["validate", "-"])
        .write_stdin(&b"apiVersion: score.dev/v1b1\nmetadata: {name: caf\xe9}\n"[..])
        .assert()
        .code(1)
        .stderr(contains("score::parse::utf8").and(contains(":2:21]")));
}

#[test]
fn score_yaml_in_the_current_directory_is_the_default() {
    let dir = tempfile::tempdir().unwrap();
    fs::copy(
        Path::new(WORKSPACE).join(MINIMAL),
        dir.path().join("score.yaml"),
    )
    .unwrap();
    score_rs()
        .current_dir(dir.path())
        .arg("validate")
        .assert()
        .code(0)
        .stdout("✓ score.yaml: workload `hello` is valid (1 container, 0 resources)\n");
}

#[test]
fn no_score_yaml_in_the_current_directory_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    score_rs()
        .current_dir(dir.path())
        .arg("validate")
        .assert()
        .code(2)
        .stdout("")
        .stderr(
            contains("`score.yaml` does not exist")
                .and(contains("score::usage::missing_file"))
                .and(contains("score-rs init")),
        );
}

#[test]
fn a_missing_file_exits_2_and_the_others_are_still_checked() {
    score_rs()
        .args(["validate", "does-not-exist.yaml"])
        .assert()
        .code(2)
        .stdout("")
        .stderr(contains("`does-not-exist.yaml` does not exist"));
    // A missing file outranks an invalid one, and every file is still reported.
    score_rs()
        .args(["validate", PORT_STRING, "does-not-exist.yaml", MINIMAL])
        .assert()
        .code(2)
        .stdout(contains("01-minimal.yaml"))
        .stderr(contains("does-not-exist.yaml").and(contains("score::schema::type")));
}

#[test]
fn a_directory_is_not_a_score_file() {
    score_rs()
        .args(["validate", "fixtures"])
        .assert()
        .code(1)
        .stderr(contains("cannot read `fixtures`"));
}

#[test]
fn usage_errors_exit_2() {
    for args in [
        &["validate", "--no-such-flag"][..],
        &["--no-such-flag"],
        &["no-such-command"],
        &[],
        &["validate", "--format", "xml", MINIMAL],
    ] {
        score_rs()
            .args(args)
            .assert()
            .code(2)
            .stdout("")
            .stderr(contains("error:").or(contains("Usage:")));
    }
}

/// Every subcommand: an unknown flag, a missing or extra argument, a bad value, a missing
/// input file and conflicting options exit 2 with nothing on stdout, and write nothing.
/// (With `--format json` the report still goes to stdout: `usage_errors_of_generate_exit_2`.)
#[test]
fn every_subcommand_exits_2_on_usage_errors() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    fs::write(
        d.join("score.yaml"),
        fs::read(Path::new(WORKSPACE).join(MINIMAL)).unwrap(),
    )
    .unwrap();
    let cases: &[&[&str]] = &[
        &["validate", "--bogus"],
        &["validate", "missing.yaml"],
        &["validate", "--format", "hcl"],
        &["init", "--bogus"],
        &["init", "--provisioners", "missing.provisioners.yaml"],
        &["init", "--patch-templates", "missing.tpl"],
        &["init", "--project"],
        &["generate", "--bogus"],
        &["generate", "missing.yaml"],
        &["generate", "--target", "nope"],
        &["generate", "score.yaml", "--overrides-file", "missing.yaml"],
        &[
            "generate",
            "score.yaml",
            "--target",
            "k8s",
            "--build",
            "main=.",
        ],
        &["generate", "score.yaml", "--namespace", "ns"],
        &["generate", "score.yaml", "--tf-format", "json"],
        &["workloads"],
        &["workloads", "--bogus"],
        &["workloads", "list", "--bogus"],
        &["workloads", "remove"],
        &["workloads", "remove", "a", "b"],
        &["provisioners"],
        &["provisioners", "list", "--bogus"],
        &["provisioners", "list", "--target", "nope"],
        &["provisioners", "list", "--format", "xml"],
        &["resources"],
        &["resources", "list", "--bogus"],
        &["resources", "list", "--format", "xml"],
        &["resources", "get-outputs"],
        &["resources", "get-outputs", "no-uid"],
        &["resources", "get-outputs", "a", "b"],
        &[
            "resources",
            "get-outputs",
            "postgres.default#web.db",
            "--format",
            "xml",
        ],
        &["completions"],
        &["completions", "nosh"],
        &["completions", "bash", "--bogus"],
    ];
    for args in cases {
        score_rs()
            .current_dir(d)
            .args(*args)
            .assert()
            .code(2)
            .stdout("")
            .stderr(
                contains("error:")
                    .or(contains("score::usage::"))
                    .or(contains("Usage:")),
            );
        let entries: Vec<_> = fs::read_dir(d)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(entries, ["score.yaml"], "{args:?} wrote something");
    }
}

/// The one JSON document `--format json` prints on stdout, checked for the documented keys
/// (docs/ci.md) and its summary checked against its entries.
fn json_report(out: &std::process::Output) -> serde_json::Value {
    let stdout = stdout_of(out);
    let doc: serde_json::Value = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("stdout is not one JSON document ({e}):\n{stdout}"));
    assert_eq!(doc["version"], 1);
    assert_eq!(doc["command"], "validate");
    let files = doc["files"].as_array().expect("files");
    for f in files {
        for key in ["file", "valid", "workload", "diagnostics"] {
            assert!(f.get(key).is_some(), "`{key}` missing in {f}");
        }
        for d in f["diagnostics"].as_array().expect("diagnostics") {
            for key in [
                "file", "line", "column", "code", "severity", "message", "help",
            ] {
                assert!(d.get(key).is_some(), "`{key}` missing in {d}");
            }
        }
    }
    let summary = &doc["summary"];
    let count = |valid: bool| files.iter().filter(|f| f["valid"] == valid).count() as u64;
    assert_eq!(summary["files"], files.len() as u64);
    assert_eq!(summary["valid"], count(true));
    assert_eq!(summary["invalid"], count(false));
    assert_eq!(
        summary["exit_code"].as_i64(),
        out.status.code().map(i64::from),
        "the summary gives the exit code"
    );
    doc
}

#[test]
fn json_format_prints_one_document_with_an_entry_per_file() {
    let out = score_rs()
        .args([
            "validate",
            "--format",
            "json",
            MINIMAL,
            PORT_STRING,
            "fixtures/invalid/schema-13-top-level-typo.yaml",
        ])
        .assert()
        .code(1)
        .get_output()
        .clone();
    let doc = json_report(&out);
    let files = doc["files"].as_array().unwrap();
    assert_eq!(files.len(), 3, "valid files get an entry too: {doc:#}");
    assert_eq!(
        files[0],
        serde_json::json!({"file": MINIMAL, "valid": true, "workload": "hello", "diagnostics": []})
    );
    assert_eq!(files[1]["valid"], false);
    assert_eq!(files[1]["workload"], serde_json::Value::Null);
    assert_eq!(
        files[1]["diagnostics"][0],
        serde_json::json!({
            "file": PORT_STRING,
            "line": 8,
            "column": 13,
            "code": "score::schema::type",
            "severity": "error",
            "message": "`port` of service port `http` must be an integer, found a string",
            "help": "remove the quotes: `8080`",
        })
    );
    let typo = &files[2]["diagnostics"][1];
    assert_eq!(typo["code"], "score::schema::unknown_field");
    assert_eq!(
        (typo["line"].as_u64(), typo["column"].as_u64()),
        (Some(5), Some(1))
    );
    assert_eq!(doc["summary"]["errors"], 3);
    assert_eq!(doc["summary"]["warnings"], 0);
    // Human diagnostics still go to stderr, for the CI log.
    assert!(stderr_of(&out).contains("score::schema::type"));
}

#[test]
fn json_format_reports_warnings_and_missing_files_too() {
    let out = score_rs()
        .args([
            "validate",
            "--format",
            "json",
            MINIMAL,
            "fixtures/invalid/semantic-11-file-source-missing.yaml",
            "missing.yaml",
        ])
        .assert()
        .code(2)
        .get_output()
        .clone();
    let doc = json_report(&out);
    let files = doc["files"].as_array().unwrap();
    let warning = &files[1]["diagnostics"][0];
    assert_eq!(files[1]["valid"], true, "a warning does not invalidate");
    assert_eq!(warning["severity"], "warning");
    assert_eq!(warning["line"], 10);
    let missing = &files[2]["diagnostics"][0];
    assert_eq!(missing["code"], "score::usage::missing_file");
    assert_eq!(missing["line"], serde_json::Value::Null);
    assert_eq!(doc["summary"]["warnings"], 1);
    assert_eq!(doc["summary"]["exit_code"], 2);
}

#[test]
fn json_format_of_valid_files_is_a_document_too() {
    let out = score_rs()
        .args(["validate", "--format", "json", MINIMAL])
        .assert()
        .code(0)
        .get_output()
        .clone();
    let doc = json_report(&out);
    assert_eq!(doc["summary"]["valid"], 1);
    assert_eq!(stderr_of(&out), "", "nothing on stderr");
}

#[test]
fn an_unclosed_placeholder_is_a_located_warning() {
    let out = score_rs()
        .args([
            "validate",
            "--format",
            "json",
            "fixtures/invalid/semantic-14-placeholder-unclosed.yaml",
        ])
        .assert()
        .code(0)
        .get_output()
        .clone();
    let doc = json_report(&out);
    let d = &doc["files"][0]["diagnostics"][0];
    assert_eq!(d["code"], "score::placeholder::unclosed");
    assert_eq!(d["severity"], "warning");
    assert_eq!(
        (d["line"].as_u64(), d["column"].as_u64()),
        (Some(9), Some(22))
    );
}

#[test]
fn json_columns_count_characters() {
    // `Bad` follows the 3-character, 5-byte `été`.
    let out = score_rs()
        .args(["validate", "--format", "json", "-"])
        .write_stdin(
            "apiVersion: score.dev/v1b1\nmetadata: {note: \"été\", name: Bad}\ncontainers: {app: {image: x}}\n",
        )
        .assert()
        .code(1)
        .get_output()
        .clone();
    let doc = json_report(&out);
    let d = &doc["files"][0]["diagnostics"][0];
    assert_eq!(doc["files"][0]["file"], "<stdin>");
    assert_eq!(
        (d["line"].as_u64(), d["column"].as_u64()),
        (Some(2), Some(31))
    );
}

#[test]
fn diagnostics_as_json_lines_on_stderr_stay_available() {
    let out = score_rs()
        .env("SCORE_RS_DIAGNOSTICS", "json")
        .args(["validate", PORT_STRING])
        .assert()
        .code(1)
        .get_output()
        .clone();
    let stderr = stderr_of(&out);
    let line: serde_json::Value = serde_json::from_str(stderr.trim()).expect("one JSON line");
    assert_eq!(line["code"], "score::schema::type");
}

#[test]
fn version_and_help() {
    score_rs()
        .arg("--version")
        .assert()
        .code(0)
        .stdout(format!("score-rs {}\n", env!("CARGO_PKG_VERSION")));
    score_rs()
        .arg("--help")
        .assert()
        .code(0)
        .stdout(contains("Examples:").and(contains("score-rs validate")));
    score_rs()
        .args(["validate", "--help"])
        .assert()
        .code(0)
        .stdout(contains("--format").and(contains("standard input")));
}

#[test]
fn every_help_lists_the_exit_codes() {
    let commands: &[&[&str]] = &[
        &[],
        &["validate"],
        &["init"],
        &["generate"],
        &["workloads"],
        &["workloads", "list"],
        &["workloads", "remove"],
        &["provisioners"],
        &["provisioners", "list"],
        &["resources"],
        &["resources", "list"],
        &["resources", "get-outputs"],
        &["completions"],
    ];
    for command in commands {
        score_rs()
            .args(*command)
            .arg("--help")
            .assert()
            .code(0)
            .stdout(
                contains("Exit codes:")
                    .and(contains("1  invalid input"))
                    .and(contains("2  usage error")),
            );
    }
}

#[test]
fn completions_print_a_script() {
    score_rs()
        .args(["completions", "bash"])
        .assert()
        .code(0)
        .stdout(
            contains("complete -F _score__rs")
                .and(contains("complete "))
                .and(contains("validate")),
        );
    for shell in ["zsh", "fish", "elvish", "powershell"] {
        score_rs()
            .args(["completions", shell])
            .assert()
            .code(0)
            .stdout(contains("validate"));
    }
}

/// Score files below `dir`, sorted.
fn score_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            score_files(&path, out);
        } else if matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("yaml" | "yml" | "json")
        ) {
            out.push(path);
        }
    }
}

#[test]
#[ignore = "needs ../shared/corpus (or SCORE_RS_SHARED); CI runs it with --include-ignored"]
fn the_whole_upstream_corpus_is_accepted() {
    let corpus = &prereq::corpus();
    let mut files = Vec::new();
    score_files(corpus, &mut files);
    assert_eq!(files.len(), CORPUS_FILES, "corpus size changed: {files:#?}");
    let out = score_rs()
        .arg("validate")
        .args(&files)
        .output()
        .expect("run score-rs");
    let stdout = stdout_of(&out);
    let stderr = stderr_of(&out);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert_eq!(stdout.lines().count(), CORPUS_FILES, "{stdout}");
    assert!(stdout.lines().all(|l| l.starts_with("✓ ")), "{stdout}");
    // Only deprecation and missing-source warnings are acceptable in upstream examples, and
    // the probe with both handlers and the requests above their limits of score-go's own
    // "full" sample.
    for line in stderr.lines().filter(|l| l.starts_with("score::")) {
        assert!(
            matches!(
                line,
                "score::deprecated::list_form"
                    | "score::file::unreadable_source"
                    | "score::probe::both"
                    | "score::resources::request_above_limit"
            ),
            "unexpected diagnostic {line}:\n{stderr}"
        );
    }
}

fn human_stderr(files: &[&str]) -> String {
    let out = score_rs()
        .arg("validate")
        .args(files)
        .assert()
        .code(1)
        .get_output()
        .clone();
    stderr_of(&out)
}

/// Named as when this file was a test binary of its own (`validate__<name>`).
macro_rules! snapshot {
    ($name:literal, $text:expr) => {
        insta::with_settings!({ prepend_module_to_snapshot => false }, {
            insta::assert_snapshot!(concat!("validate__", $name), $text);
        })
    };
}

#[test]
fn human_output_of_a_typo() {
    snapshot!(
        "typo",
        human_stderr(&["fixtures/invalid/schema-13-top-level-typo.yaml"])
    );
}

#[test]
fn human_output_of_a_duplicate_key_and_a_cycle() {
    snapshot!(
        "duplicate_key_and_cycle",
        human_stderr(&[
            "fixtures/invalid/parse-duplicate-key.yaml",
            "fixtures/invalid/semantic-06-before-cycle.yaml",
        ])
    );
}

#[test]
fn human_output_of_a_placeholder_mistake() {
    snapshot!(
        "placeholder",
        human_stderr(&["fixtures/invalid/semantic-02-placeholder-undeclared-resource.yaml"])
    );
}

#[test]
fn an_error_on_a_very_long_line_does_not_crash() {
    let text = format!(
        r#"{{"apiVersion": "score.dev/v1b1", "metadata": {{"name": "wide", "note": "{}"}}, "containers": {{"app": {{"image": "x"}}}}, "bogus": 1}}"#,
        "x".repeat(70_000)
    );
    score_rs()
        .args(["validate", "-"])
        .write_stdin(text)
        .assert()
        .code(1)
        .stderr(contains("score::schema::unknown_field"));
}

/// A Score file with a misspelt output key, written into a fresh directory (no project).
fn typo_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("score.yaml"),
        "apiVersion: score.dev/v1b1
metadata:
  name: web
containers:
  main:
    image: nginx:1.27
    variables:
      DB_URL: postgres://${resources.db.hots}:5432
resources:
  db:
    type: postgres
",
    )
    .unwrap();
    dir
}

#[test]
fn a_misspelt_output_is_reported_at_its_line_with_the_nearest_key() {
    let dir = typo_dir();
    let out = score_rs()
        .current_dir(dir.path())
        .args(["validate", "score.yaml"])
        .assert()
        .code(1)
        .get_output()
        .clone();
    let stderr = stderr_of(&out);
    assert!(
        stderr.contains("score::placeholder::unknown_output"),
        "{stderr}"
    );
    // Line 8, column 26: the `${resources.db.hots}` itself.
    assert!(stderr.contains("score.yaml:8:26"), "{stderr}");
    assert!(stderr.contains("did you mean `host`?"), "{stderr}");
    assert!(
        stderr.contains("invalid ref 'resources.db.hots': key 'hots' not found; outputs of `db`:"),
        "{stderr}"
    );
    assert_eq!(stdout_of(&out), "", "no success line for an invalid file");
    // Each target's defaults give the same verdict.
    for target in ["compose", "k8s", "terraform"] {
        let out = score_rs()
            .current_dir(dir.path())
            .args([
                "validate",
                "score.yaml",
                "--target",
                target,
                "--format",
                "json",
            ])
            .assert()
            .code(1)
            .get_output()
            .clone();
        let report: serde_json::Value =
            serde_json::from_str(&stdout_of(&out)).expect("one JSON report on stdout");
        let diags = report["files"][0]["diagnostics"].as_array().unwrap();
        assert_eq!(diags.len(), 1, "{target}: {diags:?}");
        let d = &diags[0];
        assert_eq!(d["code"], "score::placeholder::unknown_output", "{target}");
        assert_eq!(
            (d["line"].as_u64(), d["column"].as_u64()),
            (Some(8), Some(26)),
            "{target}"
        );
        assert_eq!(d["help"], "did you mean `host`?", "{target}");
    }
}

#[test]
fn outputs_are_checked_against_the_projects_provisioners() {
    let dir = typo_dir();
    let d = dir.path();
    // A project whose own postgres provisioner does output `hots`: valid there.
    fs::write(
        d.join("mine.provisioners.yaml"),
        "- uri: template://mine/postgres\n  type: postgres\n  outputs: |\n    hots: db.internal\n",
    )
    .unwrap();
    score_rs()
        .current_dir(d)
        .args([
            "init",
            "--no-sample",
            "--provisioners",
            "mine.provisioners.yaml",
        ])
        .assert()
        .success();
    score_rs()
        .current_dir(d)
        .args(["validate", "score.yaml"])
        .assert()
        .code(0)
        .stdout(contains("is valid"));
    // A provisioner whose outputs cannot be known (computed keys, nothing declared) turns the
    // check off for its resources.
    fs::write(
        d.join("dyn.provisioners.yaml"),
        "- uri: template://mine/dynamic\n  type: redis\n  outputs: |\n    {{ params | tojson }}\n",
    )
    .unwrap();
    fs::write(
        d.join("cache.yaml"),
        "apiVersion: score.dev/v1b1\nmetadata: {name: cache-user}\ncontainers:\n  main:\n    image: busybox\n    variables: {X: \"${resources.cache.anything}\"}\nresources:\n  cache: {type: redis}\n",
    )
    .unwrap();
    score_rs()
        .current_dir(d)
        .args([
            "init",
            "--no-sample",
            "--provisioners",
            "dyn.provisioners.yaml",
        ])
        .assert()
        .success();
    score_rs()
        .current_dir(d)
        .args(["validate", "cache.yaml"])
        .assert()
        .code(0);
}
