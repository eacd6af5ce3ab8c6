//! End-to-end tests of `init` + `generate` on the real binary: idempotence, sharing,
//! deprovisioning, state safety on failure, and targets sharing one state directory.

use std::fs;
use std::path::Path;

use assert_cmd::Command;
use predicates::str::contains;

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

fn score_rs(dir: &Path) -> Command {
    let mut c = Command::cargo_bin("score-rs").unwrap();
    c.current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("SCORE_RS_RANDOM_SEED");
    c
}

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
    let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("score-rs"));
    cmd.current_dir(d).args(["generate", "web.yaml"]);
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
        .code(1)
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
        let start = std::time::Instant::now();
        score_rs(d)
            .args(["generate", "web.yaml"])
            .assert()
            .code(1)
            .stderr(contains(expected));
        assert!(
            start.elapsed().as_secs() < 20,
            "{name} took {:?}",
            start.elapsed()
        );
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
fn init_installs_the_parse_cache_of_the_default_provisioners() {
    let dir = project();
    for target in ["compose", "k8s", "terraform"] {
        let name = format!("zz-default-{target}.provisioners.yaml");
        let text = fs::read_to_string(dir.path().join(".score-rs").join(&name)).unwrap();
        let installed = fs::read_to_string(
            dir.path()
                .join(".score-rs/cache")
                .join(format!("{name}.jsonl")),
        )
        .unwrap();
        // The build-time parse must be exactly what parsing the installed file gives now.
        let fresh = score_core::provision::parse_cache(&name, &text).unwrap();
        assert_eq!(installed, fresh, "{name}");
    }
}
