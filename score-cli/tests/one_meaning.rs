//! The same mistake reads the same on every target: `generate` on the real binary, for
//! compose, k8s and terraform, must give one warning or one error text (issue 12, item 6).
//! What the generated files mean is compared in `cross_target.rs`.

use std::fs;
use std::path::Path;

use assert_cmd::Command;

use crate::cli;

const TARGETS: [&str; 3] = ["compose", "k8s", "terraform"];

/// A run with a fixed seed: every run makes the same passwords and names.
fn score_rs(dir: &Path) -> Command {
    let mut c = cli::score_rs(dir);
    c.env("SCORE_RS_RANDOM_SEED", "one-meaning");
    c
}

/// A project in a fresh directory holding `score.yaml` (and the provisioner files given).
fn project(score: &str, provisioners: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    fs::write(d.join("score.yaml"), score).unwrap();
    let mut init = score_rs(d);
    init.args(["init", "--no-sample"]);
    for (name, text) in provisioners {
        fs::write(d.join(name), text).unwrap();
        init.args(["--provisioners", name]);
    }
    init.assert().success();
    dir
}

/// `generate score.yaml` for `target`: (success, stderr).
fn generate(d: &Path, target: &str) -> (bool, String) {
    let out = score_rs(d)
        .args(["generate", "score.yaml", "--target", target])
        .output()
        .unwrap();
    (out.status.success(), String::from_utf8(out.stderr).unwrap())
}

/// `stderr` with miette's line wrapping undone (continuation lines start with `│` or are
/// indented help text), so that messages can be searched whole.
fn one_line(stderr: &str) -> String {
    let mut out = String::new();
    for line in stderr.lines() {
        let t = line.trim_start();
        if let Some(rest) = t.strip_prefix("│ ") {
            out.push(' ');
            out.push_str(rest.trim());
        } else if line.starts_with("        ")
            && !t.is_empty()
            && !t.starts_with(['·', '╰', '╭', '│'])
        {
            out.push(' ');
            out.push_str(t);
        } else {
            out.push('\n');
            out.push_str(t);
        }
    }
    out
}

/// The error message (`× …`) of a one-error run, unwrapped.
fn error_message(stderr: &str) -> String {
    let text = one_line(stderr);
    let errors: Vec<&str> = text.lines().filter_map(|l| l.strip_prefix("× ")).collect();
    assert_eq!(errors.len(), 1, "one error expected: {stderr}");
    errors[0].to_string()
}

#[test]
fn a_service_resource_naming_a_missing_workload_warns_on_every_target() {
    let dir = project(
        "apiVersion: score.dev/v1b1
metadata:
  name: frontend
containers:
  main:
    image: busybox:1.37
    variables:
      BACKEND: http://${resources.backend.name}
resources:
  backend:
    type: service
    id: bakend
",
        &[],
    );
    for target in TARGETS {
        let (ok, stderr) = generate(dir.path(), target);
        assert!(ok, "{target}: {stderr}");
        let text = one_line(&stderr);
        assert!(
            text.contains("score::resource::unknown_workload"),
            "{target}: {stderr}"
        );
        assert!(
            text.contains("names workload `bakend`, which is not in this project"),
            "{target}: {stderr}"
        );
        assert!(
            text.contains("workloads here: frontend"),
            "{target}: {stderr}"
        );
    }
}

/// With outputs the engine cannot know in advance (computed by the template), a misspelt key
/// is found while lowering: the three targets still say it in the same words, at the line.
#[test]
fn a_missing_output_found_while_lowering_reads_the_same_on_every_target() {
    let dir = project(
        "apiVersion: score.dev/v1b1
metadata:
  name: web
containers:
  main:
    image: nginx:1.27
    variables:
      CACHE_HOST: ${resources.cache.hots}
resources:
  cache:
    type: cache
    params:
      host: cache.internal
      port: 6379
",
        &[(
            "computed.provisioners.yaml",
            "- uri: template://test/computed\n  type: cache\n  outputs: |\n    {{ params | tojson }}\n",
        )],
    );
    let mut messages = Vec::new();
    for target in TARGETS {
        let (ok, stderr) = generate(dir.path(), target);
        assert!(!ok, "{target} should fail: {stderr}");
        assert!(stderr.contains("score.yaml:8:19"), "{target}: {stderr}");
        messages.push((target, error_message(&stderr)));
    }
    assert_eq!(
        messages[0].1,
        "workload `web`: containers.main.variables.CACHE_HOST: invalid ref \
         'resources.cache.hots': key 'hots' not found (did you mean `host`?); outputs of \
         `cache`: host, port"
    );
    for (target, message) in &messages[1..] {
        assert_eq!(
            message, &messages[0].1,
            "{target} and compose word it differently"
        );
    }
}
