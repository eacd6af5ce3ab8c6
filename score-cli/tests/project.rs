//! End-to-end tests of `init` + `generate` on the real binary: idempotence, sharing,
//! deprovisioning, state safety on failure, and targets sharing one state directory.

use std::fs;
use std::path::Path;

use assert_cmd::Command;
use predicates::str::contains;

use crate::cli::{self, score_rs};

const WEB: &str = "apiVersion: score.dev/v1b1
metadata:
  name: web
service:
  ports:
    http: {port: 80, targetPort: 8080}
containers:
  main:
    image: nginx:1.27
    variables:
      DB_HOST: ${resources.db.host}
      CACHE: ${resources.cache.host}
resources:
  db: {type: postgres}
  cache: {type: redis, id: shared-cache}
";

const API: &str = "apiVersion: score.dev/v1b1
metadata:
  name: api
containers:
  main:
    image: busybox:1.37
    variables:
      CACHE: ${resources.cache.host}
resources:
  cache: {type: redis, id: shared-cache}
";

fn project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("web.yaml"), WEB).unwrap();
    fs::write(dir.path().join("api.yaml"), API).unwrap();
    score_rs(dir.path())
        .args(["init", "--no-sample", "--project", "demo"])
        .assert()
        .success();
    dir
}

fn state(dir: &Path) -> String {
    fs::read_to_string(dir.join(".score-rs/state.yaml")).unwrap()
}

#[test]
fn generate_is_idempotent_and_shares_resources_by_id() {
    let dir = project();
    let d = dir.path();
    score_rs(d)
        .args(["generate", "web.yaml", "api.yaml"])
        .assert()
        .success();
    let first = fs::read_to_string(d.join("compose.yaml")).unwrap();
    let first_state = state(d);
    score_rs(d)
        .args(["generate", "web.yaml", "api.yaml"])
        .assert()
        .success();
    assert_eq!(
        first,
        fs::read_to_string(d.join("compose.yaml")).unwrap(),
        "byte-identical re-run"
    );
    assert_eq!(first_state, state(d), "state is stable across re-runs");
    score_rs(d).args(["generate"]).assert().success();
    assert_eq!(
        first,
        fs::read_to_string(d.join("compose.yaml")).unwrap(),
        "no files re-renders state"
    );
    let redis_services = first
        .lines()
        .filter(|l| l.starts_with("  redis-") && !l.ends_with("-data: {}"))
        .count();
    assert_eq!(redis_services, 1, "one redis for the shared id:\n{first}");
}

#[test]
fn removing_a_workload_drops_its_orphaned_resources() {
    let dir = project();
    let d = dir.path();
    score_rs(d)
        .args(["generate", "web.yaml", "api.yaml"])
        .assert()
        .success();
    assert!(state(d).contains("postgres.default#web.db"));
    score_rs(d)
        .args(["workloads", "remove", "web"])
        .assert()
        .success();
    score_rs(d).args(["generate"]).assert().success();
    let s = state(d);
    assert!(!s.contains("postgres.default#web.db"), "{s}");
    assert!(
        s.contains("redis.default#shared-cache"),
        "still used by api"
    );
    let compose = fs::read_to_string(d.join("compose.yaml")).unwrap();
    assert!(!compose.contains("web-main"), "{compose}");
    score_rs(d)
        .args(["workloads", "remove", "nope"])
        .assert()
        .failure()
        .stderr(contains("no workload `nope`"));
}

#[test]
fn mounted_files_of_removed_workloads_are_deleted() {
    let dir = project();
    let d = dir.path();
    let with_file = WEB.replace(
        "    variables:\n",
        "    files:\n      /etc/web.conf: {content: \"name ${metadata.name}\"}\n    variables:\n",
    );
    fs::write(d.join("web.yaml"), with_file).unwrap();
    score_rs(d)
        .args(["generate", "web.yaml", "api.yaml"])
        .assert()
        .success();
    let conf = d.join(".score-rs/mounts/files/web.main.etc_web.conf");
    assert_eq!(fs::read_to_string(&conf).unwrap(), "name web");
    let secrets = d.join(".score-rs/mounts/secrets");
    assert!(fs::read_dir(&secrets).unwrap().count() > 0);
    // Once from the manifest of the run before, once (manifest gone) by searching the tree.
    for lose_manifest in [false, true] {
        score_rs(d)
            .args(["workloads", "remove", "web"])
            .assert()
            .success();
        if lose_manifest {
            fs::remove_file(d.join(".score-rs/mounts/.score-rs-files")).unwrap();
        }
        score_rs(d).args(["generate"]).assert().success();
        assert!(!conf.exists());
        let left: Vec<_> = fs::read_dir(&secrets)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        assert!(left.iter().all(|n| !n.contains("web")), "{left:?}");
        score_rs(d)
            .args(["generate", "web.yaml"])
            .assert()
            .success();
        assert!(conf.exists());
    }
}

/// Every entry under `dir`, recursively (directories and files).
fn entries(dir: &Path) -> usize {
    fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            1 + if e.file_type().unwrap().is_dir() {
                entries(&e.path())
            } else {
                0
            }
        })
        .sum()
}

/// A first compose run makes at most two file-system entries per mounted file (the file and
/// the workload's secret env file) plus a fixed few, however deep the container paths are:
/// a directory per path segment made the kernel the slowest part of a first run.
#[test]
fn mounted_files_cost_two_entries_each_and_a_fixed_few() {
    let counts: Vec<usize> = [1, 12]
        .into_iter()
        .map(|n| {
            let dir = tempfile::tempdir().unwrap();
            let d = dir.path();
            for i in 0..n {
                let spec = WEB.replace("name: web", &format!("name: web{i}")).replace(
                    "    variables:\n",
                    "    files:\n      /etc/app/deep/er/config.yaml: {content: \"db ${resources.db.password}\"}\n    variables:\n",
                );
                fs::write(d.join(format!("web{i}.yaml")), spec).unwrap();
            }
            score_rs(d).args(["init", "--no-sample"]).assert().success();
            score_rs(d).arg("generate").args((0..n).map(|i| format!("web{i}.yaml")))
                .assert()
                .success();
            assert_eq!(
                fs::read_dir(d.join(".score-rs/mounts/files")).unwrap().count(),
                n
            );
            entries(&d.join(".score-rs"))
        })
        .collect();
    let per_file = (counts[1] - counts[0]) as f64 / 11.0;
    assert!(
        per_file <= 2.0,
        "{per_file} entries per mounted file ({counts:?})"
    );
    // State, lock, provisioner files and their caches, the mounts directories, the manifest.
    assert!(counts[0] <= 20, "fixed entries: {counts:?}");
}

/// Projects generated before mounted files were flat kept them in a tree of a directory per
/// path segment (`workloads/<workload>/<container>/<path>`): the next run moves them to
/// `files/` and removes the old tree, from the manifest or (without one) by searching, but
/// never a file score-rs did not write.
#[test]
fn the_old_tree_of_mounted_files_is_migrated() {
    for with_manifest in [true, false] {
        let dir = project();
        let d = dir.path();
        let mounts = d.join(".score-rs/mounts");
        let old = mounts.join("workloads/web/main/etc");
        fs::create_dir_all(&old).unwrap();
        fs::write(old.join("web.conf"), "name web").unwrap();
        if with_manifest {
            fs::write(
                mounts.join(".score-rs-files"),
                "# files score-rs keeps here, one per line; without this list the next run searches for stale ones\nworkloads/web/main/etc/web.conf\n",
            )
            .unwrap();
            // Not listed: not score-rs's to remove.
            fs::write(old.join("notes.txt"), "mine").unwrap();
        }
        let with_file = WEB.replace(
            "    variables:\n",
            "    files:\n      /etc/web.conf: {content: \"name ${metadata.name}\"}\n    variables:\n",
        );
        fs::write(d.join("web.yaml"), with_file).unwrap();
        score_rs(d)
            .args(["generate", "web.yaml"])
            .assert()
            .success();
        let conf = mounts.join("files/web.main.etc_web.conf");
        assert_eq!(fs::read_to_string(conf).unwrap(), "name web");
        assert!(!old.join("web.conf").exists());
        if with_manifest {
            assert_eq!(fs::read_to_string(old.join("notes.txt")).unwrap(), "mine");
        } else {
            assert!(
                !mounts.join("workloads").exists(),
                "the emptied tree is gone"
            );
        }
    }
}

#[test]
fn failed_runs_leave_the_state_byte_identical() {
    let dir = project();
    let d = dir.path();
    score_rs(d)
        .args(["generate", "web.yaml"])
        .assert()
        .success();
    let before = state(d);
    fs::write(
        d.join("bad.yaml"),
        WEB.replace("type: postgres", "type: no-such-type"),
    )
    .unwrap();
    score_rs(d)
        .args(["generate", "bad.yaml"])
        .assert()
        .code(1)
        .stderr(contains(
            "resource 'no-such-type.default#web.db' is not supported by any provisioner",
        ));
    assert_eq!(before, state(d));
    fs::write(
        d.join("broken.provisioners.yaml"),
        "- uri: cmd:///bin/sh\n  type: postgres\n  args: ['-c', 'echo garbage']\n",
    )
    .unwrap();
    score_rs(d)
        .args([
            "init",
            "--no-sample",
            "--provisioners",
            "broken.provisioners.yaml",
        ])
        .assert()
        .success();
    score_rs(d)
        .args(["generate", "web.yaml"])
        .assert()
        .code(1)
        .stderr(contains("did not print valid JSON"));
    assert_eq!(before, state(d));
}

#[test]
fn truncated_or_edited_state_is_a_clear_error_and_is_not_rewritten() {
    let dir = project();
    let d = dir.path();
    score_rs(d)
        .args(["generate", "web.yaml"])
        .assert()
        .success();
    let path = d.join(".score-rs/state.yaml");
    let full = state(d);
    let truncated = &full[..full.len() / 2];
    fs::write(&path, truncated).unwrap();
    score_rs(d)
        .args(["generate"])
        .assert()
        .code(1)
        .stderr(contains("state"));
    assert_eq!(fs::read_to_string(&path).unwrap(), truncated);
    let edited = full.replacen("\"workloads\"", "\"workloadz\"", 1);
    assert_ne!(edited, full);
    fs::write(&path, &edited).unwrap();
    score_rs(d)
        .args(["generate"])
        .assert()
        .code(1)
        .stderr(contains("workloadz"));
    assert_eq!(fs::read_to_string(&path).unwrap(), edited);
}

/// A second run waits for the lock instead of failing or sharing it (issue 15, item 4).
#[test]
fn a_held_lock_makes_a_second_run_wait() {
    let dir = project();
    let d = dir.path();
    let state_dir = score_core::state::StateDir::new(d.join(".score-rs"));
    let lock = score_core::state::StateLock::acquire(&state_dir).unwrap();
    let mut cmd = cli::std_command(d);
    cmd.args(["generate", "web.yaml"]);
    let mut child = cmd.spawn().unwrap();
    // It cannot finish while the lock is held, however long that is.
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert!(child.try_wait().unwrap().is_none(), "the run did not wait");
    drop(lock);
    assert!(child.wait().unwrap().success());
    assert!(state(d).contains("\"web\""));
}

#[test]
fn compose_and_k8s_share_one_state_directory() {
    let dir = project();
    let d = dir.path();
    score_rs(d)
        .args(["generate", "web.yaml", "api.yaml"])
        .assert()
        .success();
    let compose = fs::read_to_string(d.join("compose.yaml")).unwrap();
    score_rs(d)
        .args(["generate", "--target", "k8s"])
        .assert()
        .success();
    let manifests = fs::read_to_string(d.join("manifests.yaml")).unwrap();
    assert!(manifests.contains("kind: Deployment"));
    score_rs(d).args(["generate"]).assert().success();
    assert_eq!(
        compose,
        fs::read_to_string(d.join("compose.yaml")).unwrap(),
        "k8s did not clobber compose state"
    );
    score_rs(d)
        .args(["generate", "--target", "k8s"])
        .assert()
        .success();
    assert_eq!(
        manifests,
        fs::read_to_string(d.join("manifests.yaml")).unwrap()
    );
    let s = state(d);
    assert!(
        s.contains("\"compose\": {") && s.contains("\"k8s\": {"),
        "{s}"
    );
}

#[test]
fn overrides_apply_before_validation() {
    let dir = project();
    let d = dir.path();
    score_rs(d)
        .args([
            "generate",
            "api.yaml",
            "--override-property",
            "containers.main.variables.EXTRA=yes",
            "-o",
            "-",
        ])
        .assert()
        .success()
        .stdout(contains("EXTRA: \"yes\""));
    score_rs(d)
        .args([
            "generate",
            "api.yaml",
            "--override-property",
            "containers.main.image=",
            "-o",
            "-",
        ])
        .assert()
        .code(1)
        .stderr(contains("missing the required field `image`"));
    score_rs(d)
        .args(["generate", "api.yaml", "web.yaml", "--image", "x"])
        .assert()
        .code(2)
        .stderr(contains("need exactly one Score file"));
}

#[test]
fn resources_and_provisioners_can_be_listed() {
    let dir = project();
    let d = dir.path();
    score_rs(d)
        .args(["generate", "web.yaml"])
        .assert()
        .success();
    score_rs(d)
        .args(["resources", "list"])
        .assert()
        .success()
        .stdout(contains("postgres.default#web.db"));
    score_rs(d)
        .args([
            "resources",
            "get-outputs",
            "postgres.default#web.db",
            "--format",
            "json",
        ])
        .assert()
        .success()
        .stdout(contains("\"port\""));
    score_rs(d)
        .args(["resources", "get-outputs", "postgres.default#web.dd"])
        .assert()
        .code(1)
        .stderr(contains("did you mean"));
    score_rs(d)
        .args(["provisioners", "list", "--target", "compose"])
        .assert()
        .success()
        .stdout(contains("postgres"));
    score_rs(d)
        .args(["provisioners", "list", "--format", "json"])
        .assert()
        .success()
        .stdout(contains("\"uri\""));
}

#[test]
fn patch_templates_edit_the_output() {
    let dir = project();
    let d = dir.path();
    fs::write(
        d.join("restart.tpl"),
        "{% for name in output.services %}- op: set\n  path: services.{{ name }}.restart\n  value: always\n{% endfor %}",
    )
    .unwrap();
    score_rs(d)
        .args(["init", "--no-sample", "--patch-templates", "restart.tpl"])
        .assert()
        .success();
    score_rs(d)
        .args(["generate", "api.yaml", "-o", "-"])
        .assert()
        .success()
        .stdout(contains("restart: always"));
}

#[test]
fn hostile_provisioners_fail_clearly_and_leave_state_byte_identical() {
    let cases = [
        (
            "loop",
            "- uri: template://loop\n  type: postgres\n  outputs: |\n    {% for i in range(100000) %}{% for j in range(100000) %}x{% endfor %}{% endfor %}\n",
            "ran too long",
        ),
        (
            "explode",
            "- uri: template://explode\n  type: postgres\n  outputs: |\n    {% for i in range(100000) %}{{ 'x' * 100000 }}{% endfor %}\n",
            "too much output",
        ),
        ("hang", "- uri: cmd:///bin/sh\n  type: postgres\n  timeout_seconds: 1\n  args: ['-c', 'sleep 60']\n", "did not finish within 1s"),
        ("exit", "- uri: cmd:///bin/sh\n  type: postgres\n  args: ['-c', 'echo oops >&2; exit 1']\n", "oops"),
    ];
    for (name, provisioner, expected) in cases {
        let dir = project();
        let d = dir.path();
        score_rs(d)
            .args(["generate", "web.yaml"])
            .assert()
            .success();
        let before = state(d);
        let file = format!("{name}.provisioners.yaml");
        fs::write(d.join(&file), provisioner).unwrap();
        score_rs(d)
            .args(["init", "--no-sample", "--provisioners", &file])
            .assert()
            .success();
        // Each is stopped by its bound (template fuel, output size, the command's timeout),
        // which the message names; none is timed here.
        score_rs(d)
            .args(["generate", "web.yaml"])
            .assert()
            .code(1)
            .stderr(contains(expected));
        assert_eq!(before, state(d), "{name} changed the state");
    }
}

#[test]
fn patch_templates_edit_the_terraform_module() {
    let dir = project();
    let d = dir.path();
    fs::write(
        d.join("replicas.tpl"),
        "{% for name in output.main.resource.kubernetes_deployment_v1 %}- op: set\n  path: main.resource.kubernetes_deployment_v1.{{ name }}.spec.0.replicas\n  value: 3\n{% endfor %}",
    )
    .unwrap();
    score_rs(d)
        .args(["init", "--no-sample", "--patch-templates", "replicas.tpl"])
        .assert()
        .success();
    score_rs(d)
        .args(["generate", "api.yaml", "--target", "terraform", "-o", "tf"])
        .assert()
        .success();
    let main = fs::read_to_string(d.join("tf/main.tf")).unwrap();
    assert!(main.contains("replicas = 3"), "{main}");
}

/// `n` workloads named `w00`…, each with both probes (compose keeps one: a warning each).
fn many_workloads(dir: &Path, n: usize) -> Vec<String> {
    (0..n)
        .map(|i| {
            let name = format!("w{i:02}.yaml");
            let spec = format!(
                "apiVersion: score.dev/v1b1\nmetadata: {{name: w{i:02}}}\ncontainers:\n  main:\n    image: busybox:1.37\n    livenessProbe: {{httpGet: {{path: /, port: 8080}}}}\n    readinessProbe: {{exec: {{command: [\"true\"]}}}}\n"
            );
            fs::write(dir.join(&name), spec).unwrap();
            name
        })
        .collect()
}

/// `generate <files> --target <target> -o out-<target>.yaml` in `dir`.
fn generate(dir: &Path, files: &[String], target: &str) -> Command {
    let mut c = score_rs(dir);
    c.arg("generate")
        .args(files)
        .args(["--target", target, "-o", &format!("out-{target}.yaml")]);
    c
}

#[test]
fn repeated_warnings_are_summarised_and_json_lists_them_all() {
    let dir = project();
    let files = many_workloads(dir.path(), 20);
    let out = generate(dir.path(), &files, "compose").output().unwrap();
    assert!(out.status.success());
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(
        stderr.matches("the livenessProbe ignored").count(),
        3,
        "{stderr}"
    );
    assert!(
        stderr.contains("17 more `score::compose::liveness_probe_ignored` warnings"),
        "{stderr}"
    );

    let json = generate(dir.path(), &files, "compose")
        .env("SCORE_RS_DIAGNOSTICS", "json")
        .output()
        .unwrap();
    let listed = String::from_utf8(json.stderr).unwrap();
    assert_eq!(
        listed
            .matches("score::compose::liveness_probe_ignored")
            .count(),
        20,
        "{listed}"
    );
}

#[test]
fn errors_of_several_files_are_reported_in_argument_order() {
    let dir = project();
    let mut files = many_workloads(dir.path(), 40);
    fs::write(
        dir.path().join("w05.yaml"),
        "apiVersion: score.dev/v1b1\nmetadata: {name: w05}\ncontainers: {}\n",
    )
    .unwrap();
    fs::write(
        dir.path().join("w33.yaml"),
        "apiVersion: score.dev/v1b1\nmetadata: {name: w33}\n",
    )
    .unwrap();
    files.reverse();
    let out = generate(dir.path(), &files, "k8s").output().unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8(out.stderr).unwrap();
    let (w33, w05) = (
        stderr.find("w33.yaml").unwrap(),
        stderr.find("w05.yaml").unwrap(),
    );
    assert!(w33 < w05, "files were given w33 first:\n{stderr}");
}

#[test]
fn get_outputs_masks_secrets_unless_asked() {
    let dir = project();
    let d = dir.path();
    score_rs(d)
        .args(["generate", "web.yaml"])
        .assert()
        .success();
    let get = |extra: &[&str]| -> serde_json::Value {
        let out = score_rs(d)
            .args(["resources", "get-outputs", "postgres.default#web.db"])
            .args(extra)
            .assert()
            .success()
            .get_output()
            .clone();
        serde_json::from_slice(&out.stdout).expect("JSON outputs")
    };
    let masked = get(&[]);
    let shown = get(&["--show-secrets"]);
    let password = shown["password"].as_str().expect("a password");
    assert!(password.len() >= 8, "{shown}");
    assert!(
        state(d).contains(password),
        "the state holds the real value"
    );
    assert_eq!(masked["password"], "<secret: pass --show-secrets>");
    assert_eq!(masked["host"], shown["host"], "other outputs are shown");
    let yaml = score_rs(d)
        .args(["resources", "get-outputs", "postgres.default#web.db"])
        .args(["--format", "yaml"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    assert!(!String::from_utf8(yaml).unwrap().contains(password));
}

/// The one JSON document `generate --format json` prints on stdout (docs/ci.md).
fn generate_report(out: &std::process::Output) -> serde_json::Value {
    let stdout = String::from_utf8(out.stdout.clone()).unwrap();
    let doc: serde_json::Value = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("stdout is not one JSON document ({e}):\n{stdout}"));
    assert_eq!(doc["version"], 1);
    assert_eq!(doc["command"], "generate");
    let summary = &doc["summary"];
    for (count, list) in [
        ("files", "files"),
        ("warnings", "warnings"),
        ("errors", "errors"),
    ] {
        assert_eq!(
            summary[count].as_u64(),
            doc[list].as_array().map(|l| l.len() as u64),
            "{doc:#}"
        );
    }
    assert_eq!(
        summary["exit_code"].as_i64(),
        out.status.code().map(i64::from)
    );
    assert_eq!(doc["ok"], out.status.success());
    doc
}

#[test]
fn generate_json_reports_files_warnings_and_summary() {
    let dir = project();
    let d = dir.path();
    let files = many_workloads(d, 2);
    let out = score_rs(d)
        .args(["generate", &files[0], &files[1], "--format", "json"])
        .assert()
        .success()
        .get_output()
        .clone();
    let doc = generate_report(&out);
    assert_eq!(doc["target"], "compose");
    assert_eq!(doc["summary"]["workloads"], 2);
    assert_eq!(doc["files"][0], "compose.yaml");
    for f in doc["files"].as_array().unwrap() {
        assert!(d.join(f.as_str().unwrap()).is_file(), "{f} was not written");
    }
    let warnings = doc["warnings"].as_array().unwrap();
    assert_eq!(warnings.len(), 2, "every warning, none summarised: {doc:#}");
    assert_eq!(
        warnings[0]["code"],
        "score::compose::liveness_probe_ignored"
    );
    // The human text is on stderr.
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("wrote compose.yaml"), "{stderr}");

    // Terraform: every file of the module is listed.
    let out = score_rs(d)
        .args(["generate", "--target", "terraform", "--tf-format", "json"])
        .args(["-o", "infra", "--format", "json"])
        .assert()
        .success()
        .get_output()
        .clone();
    let doc = generate_report(&out);
    assert!(
        doc["files"]
            .as_array()
            .unwrap()
            .contains(&serde_json::json!("infra/main.tf.json")),
        "{doc:#}"
    );
}

#[test]
fn a_failed_generate_reports_its_errors_in_json() {
    let dir = project();
    let d = dir.path();
    fs::write(
        d.join("bad.yaml"),
        WEB.replace("db: {type: postgres}", "db: {type: nosuch}"),
    )
    .unwrap();
    let before = state(d);
    let out = score_rs(d)
        .args(["generate", "bad.yaml", "--format", "json"])
        .assert()
        .code(1)
        .get_output()
        .clone();
    let doc = generate_report(&out);
    assert_eq!(doc["files"], serde_json::json!([]), "nothing was written");
    assert!(doc["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("not supported by any provisioner"));
    assert_eq!(before, state(d));
}

#[test]
fn usage_errors_of_generate_exit_2() {
    let dir = project();
    let d = dir.path();
    let cases: &[(&[&str], &str)] = &[
        (
            &["generate", "missing.yaml"],
            "`missing.yaml` does not exist",
        ),
        (
            &["generate", "web.yaml", "--overrides-file", "nope.yaml"],
            "`nope.yaml` does not exist",
        ),
        (
            &["generate", "web.yaml", "--tf-format", "json"],
            "`--tf-format` applies to --target terraform",
        ),
        (
            &[
                "generate",
                "web.yaml",
                "--target",
                "k8s",
                "--publish",
                "8080:web:80",
            ],
            "`--publish` applies to --target compose",
        ),
        (
            &["generate", "web.yaml", "--format", "json", "-o", "-"],
            "both write to stdout",
        ),
        (
            &[
                "generate",
                "web.yaml",
                "--target",
                "terraform",
                "--format",
                "json",
            ],
            "--tf-format hcl",
        ),
        (
            &["generate", "web.yaml", "--format", "hcl"],
            "--tf-format hcl|json",
        ),
        (
            &["init", "--provisioners", "none.yaml"],
            "`none.yaml` does not exist",
        ),
        (&["resources", "get-outputs", "no-uid"], "score::usage::uid"),
    ];
    let before = state(d);
    for (args, expected) in cases {
        score_rs(d)
            .args(*args)
            .assert()
            .code(2)
            .stderr(contains(*expected));
    }
    assert_eq!(before, state(d));
    assert!(!d.join("compose.yaml").exists());
}

#[test]
fn regenerated_secrets_of_existing_resources_are_warned_about() {
    let dir = project();
    let d = dir.path();
    let code = "score::secrets::regenerated";
    let run = |c: &mut Command| {
        let out = c.assert().success().get_output().clone();
        String::from_utf8(out.stderr).unwrap()
    };
    let first = run(score_rs(d).args(["generate", "web.yaml"]));
    assert!(!first.contains(code), "a first run makes them: {first}");
    let again = run(score_rs(d).args(["generate", "web.yaml"]));
    assert!(!again.contains(code), "kept in the state: {again}");

    // The state is lost, compose.yaml from the earlier run is not: the postgres (which has a
    // password) existed before.
    fs::remove_dir_all(d.join(".score-rs")).unwrap();
    run(score_rs(d).args(["init", "--no-sample", "--project", "demo"]));
    let lost = run(score_rs(d).args(["generate", "web.yaml"]));
    assert!(lost.contains(code), "{lost}");
    assert!(lost.contains("postgres.default#web.db"), "{lost}");
    assert!(lost.contains("from an earlier run uses them"), "{lost}");

    // A CI job on a fresh checkout: no earlier output, but `CI` says every job starts over.
    let fresh = project();
    let ci = run(score_rs(fresh.path())
        .env("CI", "true")
        .args(["generate", "web.yaml", "--target", "k8s"]));
    assert!(ci.contains(code) && ci.contains("CI"), "{ci}");
    // With the state kept between jobs there is nothing to warn about.
    let kept = run(score_rs(fresh.path())
        .env("CI", "true")
        .args(["generate", "web.yaml", "--target", "k8s"]));
    assert!(!kept.contains(code), "{kept}");
}

/// Errors of `generate` point at the Score file: a misspelt output before anything is
/// provisioned (nothing changes), and a lowering error at the field it is about.
#[test]
fn generate_errors_point_at_the_score_file() {
    let dir = project();
    let d = dir.path();
    fs::write(
        d.join("typo.yaml"),
        "apiVersion: score.dev/v1b1\nmetadata:\n  name: typo\ncontainers:\n  main:\n    image: nginx:1.27\n    variables:\n      DB: ${resources.db.hots}\nresources:\n  db: {type: postgres}\n",
    )
    .unwrap();
    let before = state(d);
    for target in ["compose", "k8s", "terraform"] {
        let out = score_rs(d)
            .args(["generate", "typo.yaml", "--target", target])
            .assert()
            .failure()
            .get_output()
            .clone();
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert!(stderr.contains("typo.yaml:8:11"), "{target}: {stderr}");
        assert!(
            stderr.contains("did you mean `host`?"),
            "{target}: {stderr}"
        );
        assert_eq!(state(d), before, "{target}: a failed run changes nothing");
    }
    fs::write(
        d.join("local.yaml"),
        "apiVersion: score.dev/v1b1\nmetadata:\n  name: local\ncontainers:\n  main:\n    image: .\n",
    )
    .unwrap();
    // compose builds image `.` from the Score file's directory; k8s cannot.
    score_rs(d)
        .args(["generate", "local.yaml", "--target", "k8s"])
        .assert()
        .failure()
        .stderr(contains("local.yaml:6:12"));
}

/// The README's CI recipe: a job on a fresh checkout restores `.score-rs/state.yaml` saved by
/// the previous job, runs `init` (which keeps it) and `generate`: the same Secret values, so the
/// same manifests, and no warning about regenerated secrets.
#[test]
fn a_restored_state_keeps_the_secrets_of_the_previous_ci_job() {
    let first_job = project();
    let run = |d: &Path, args: &[&str]| -> String {
        let out = score_rs(d)
            .env("CI", "true")
            .args(args)
            .assert()
            .success()
            .get_output()
            .clone();
        String::from_utf8(out.stderr).unwrap()
    };
    let k8s = ["generate", "web.yaml", "api.yaml", "--target", "k8s"];
    run(first_job.path(), &k8s);
    let manifests = fs::read_to_string(first_job.path().join("manifests.yaml")).unwrap();
    assert!(manifests.contains("kind: Secret"), "{manifests}");
    let saved = state(first_job.path());

    let next_job = tempfile::tempdir().unwrap();
    let d = next_job.path();
    fs::write(d.join("web.yaml"), WEB).unwrap();
    fs::write(d.join("api.yaml"), API).unwrap();
    fs::create_dir(d.join(".score-rs")).unwrap();
    fs::write(d.join(".score-rs/state.yaml"), &saved).unwrap();
    run(d, &["init", "--no-sample"]);
    assert_eq!(state(d), saved, "init kept the restored state");
    let stderr = run(d, &k8s);
    assert!(!stderr.contains("score::secrets::regenerated"), "{stderr}");
    assert_eq!(
        fs::read_to_string(d.join("manifests.yaml")).unwrap(),
        manifests,
        "the same passwords, so the same manifests"
    );

    // Without the saved state the passwords change, and the job is told so.
    let lost = tempfile::tempdir().unwrap();
    let l = lost.path();
    fs::write(l.join("web.yaml"), WEB).unwrap();
    fs::write(l.join("api.yaml"), API).unwrap();
    run(l, &["init", "--no-sample", "--project", "demo"]);
    let stderr = run(l, &k8s);
    assert!(stderr.contains("score::secrets::regenerated"), "{stderr}");
    assert_ne!(
        fs::read_to_string(l.join("manifests.yaml")).unwrap(),
        manifests
    );
}

/// The README's quick start, as written there, in an empty folder: every command succeeds and
/// each target writes where the README's table says.
#[test]
fn the_readme_quick_start_works_in_an_empty_folder() {
    let readme = fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md")).unwrap();
    let section = readme
        .split("## Quick start")
        .nth(1)
        .expect("a Quick start section");
    let block = section
        .split("```sh\n")
        .nth(1)
        .and_then(|b| b.split("```").next())
        .expect("a sh block");
    let commands: Vec<Vec<&str>> = block
        .lines()
        .map(|l| l.split('#').next().unwrap().split_whitespace().collect())
        .filter(|words: &Vec<&str>| !words.is_empty())
        .collect();
    assert!(commands.len() >= 4, "{block}");
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for words in &commands {
        assert_eq!(words[0], "score-rs", "{words:?}");
        score_rs(d).args(&words[1..]).assert().success();
    }
    for written in [
        "compose.yaml",
        "manifests.yaml",
        "score-terraform/main.tf",
        "score-terraform/variables.tf",
        "score-terraform/outputs.tf",
        "score-terraform/versions.tf",
        ".score-rs/state.yaml",
    ] {
        assert!(d.join(written).is_file(), "{written} was not written");
        assert!(section.contains(written.rsplit('/').next().unwrap()));
    }
}
