//! `generate --check`: renders in memory, compares with the files on disk, prints a unified
//! diff and exits 1 on any difference, 0 when everything is up to date, and writes nothing.

use std::fs;
use std::path::Path;

use predicates::str::contains;

use crate::cli::score_rs;

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
      CACHE: ${resources.cache.host}
resources:
  cache: {type: redis}
";

/// A project generated once for `target`.
fn generated(target: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("score.yaml"), WEB).unwrap();
    score_rs(dir.path())
        .args(["init", "--no-sample", "--project", "demo"])
        .assert()
        .success();
    score_rs(dir.path())
        .args(["generate", "score.yaml", "--target", target])
        .assert()
        .success();
    dir
}

/// Every file under `dir` with its content and modification time, the state directory included.
fn snapshot(dir: &Path) -> Vec<(String, Vec<u8>, std::time::SystemTime)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in fs::read_dir(&d).unwrap() {
            let e = e.unwrap();
            let meta = fs::symlink_metadata(e.path()).unwrap();
            if meta.is_dir() {
                stack.push(e.path());
            } else if e.file_name() != "lock" {
                let rel = e.path().strip_prefix(dir).unwrap().display().to_string();
                out.push((rel, fs::read(e.path()).unwrap(), meta.modified().unwrap()));
            }
        }
    }
    out.sort();
    out
}

fn check(dir: &Path, target: &str) -> assert_cmd::assert::Assert {
    score_rs(dir)
        .args(["generate", "score.yaml", "--check", "--target", target])
        .assert()
}

#[test]
fn identical_outputs_pass_and_nothing_is_written() {
    for target in ["compose", "k8s", "terraform"] {
        let dir = generated(target);
        let before = snapshot(dir.path());
        check(dir.path(), target)
            .success()
            .stdout("")
            .stderr(contains("up to date"));
        assert_eq!(
            snapshot(dir.path()),
            before,
            "{target}: --check wrote something"
        );
    }
}

#[test]
fn a_changed_file_prints_a_unified_diff_and_fails() {
    let dir = generated("compose");
    let d = dir.path();
    let compose = fs::read_to_string(d.join("compose.yaml")).unwrap();
    fs::write(
        d.join("compose.yaml"),
        compose.replace("nginx:1.27", "nginx:1.26"),
    )
    .unwrap();
    let before = snapshot(d);
    check(d, "compose")
        .code(1)
        .stdout(contains("--- a/compose.yaml\n+++ b/compose.yaml\n@@"))
        .stdout(contains(
            "\n-    image: nginx:1.26\n+    image: nginx:1.27\n",
        ))
        .stderr(contains("score::check::differs"));
    assert_eq!(snapshot(d), before, "--check wrote something");
}

#[test]
fn a_changed_score_file_is_a_difference_and_the_state_keeps_the_old_workload() {
    let dir = generated("k8s");
    let d = dir.path();
    let state = fs::read(d.join(".score-rs/state.yaml")).unwrap();
    fs::write(
        d.join("score.yaml"),
        WEB.replace("nginx:1.27", "nginx:1.28"),
    )
    .unwrap();
    check(d, "k8s")
        .code(1)
        .stdout(contains("+++ b/manifests.yaml"))
        .stdout(contains("image: nginx:1.28"));
    assert_eq!(fs::read(d.join(".score-rs/state.yaml")).unwrap(), state);
}

#[test]
fn a_missing_file_is_a_difference_from_dev_null() {
    let dir = generated("k8s");
    let d = dir.path();
    fs::remove_file(d.join("manifests.yaml")).unwrap();
    check(d, "k8s")
        .code(1)
        .stdout(contains("--- /dev/null\n+++ b/manifests.yaml\n"))
        .stderr(contains("`manifests.yaml`"));
    assert!(!d.join("manifests.yaml").exists(), "--check wrote the file");
}

#[test]
fn terraform_modules_are_compared_file_by_file() {
    let dir = generated("terraform");
    let d = dir.path();
    let module = d.join("score-terraform");
    let mut names: Vec<String> = fs::read_dir(&module)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        ["main.tf", "outputs.tf", "variables.tf", "versions.tf"]
    );
    // One file edited, one removed: both are reported, the other two are not.
    let main = fs::read_to_string(module.join("main.tf")).unwrap();
    fs::write(
        module.join("main.tf"),
        main.replace("nginx:1.27", "nginx:1"),
    )
    .unwrap();
    fs::remove_file(module.join("outputs.tf")).unwrap();
    let out = check(d, "terraform").code(1).get_output().clone();
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        stdout.contains("--- a/score-terraform/main.tf\n+++ b/score-terraform/main.tf\n"),
        "{stdout}"
    );
    assert!(
        stdout.contains("--- /dev/null\n+++ b/score-terraform/outputs.tf\n"),
        "{stdout}"
    );
    assert!(
        !stdout.contains("variables.tf") && !stdout.contains("versions.tf"),
        "{stdout}"
    );
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.contains("2 generated files differ from disk"),
        "{stderr}"
    );
}

#[test]
fn check_and_stdout_output_conflict() {
    let dir = generated("compose");
    score_rs(dir.path())
        .args(["generate", "score.yaml", "--check", "-o", "-"])
        .assert()
        .code(2)
        .stderr(contains("--check"));
}

/// A workload with a mounted file and a secret variable (kept in an owner-only env file).
const WEB_WITH_FILES: &str = "apiVersion: score.dev/v1b1
metadata:
  name: web
containers:
  main:
    image: nginx:1.27
    variables:
      REDIS_PASSWORD: ${resources.cache.password}
    files:
      /etc/app/cache.conf:
        content: host=${resources.cache.host}
resources:
  cache: {type: redis}
";

/// The files under `.score-rs/mounts/<sub>/`.
fn mounts(d: &Path, sub: &str) -> Vec<std::path::PathBuf> {
    let mut files: Vec<_> = fs::read_dir(d.join(".score-rs/mounts").join(sub))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    files
}

#[test]
fn mounted_files_and_secret_env_files_are_compared_without_printing_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    fs::write(d.join("score.yaml"), WEB_WITH_FILES).unwrap();
    score_rs(d).args(["init", "--no-sample"]).assert().success();
    score_rs(d)
        .args(["generate", "score.yaml", "--target", "compose"])
        .assert()
        .success();
    check(d, "compose").success().stdout("");

    // A mounted file edited by hand: its diff is printed.
    let [mounted] = mounts(d, "files").try_into().unwrap();
    let text = fs::read_to_string(&mounted).unwrap();
    assert!(text.starts_with("host="), "{text}");
    fs::write(&mounted, "host=elsewhere").unwrap();
    check(d, "compose")
        .code(1)
        .stdout(contains("-host=elsewhere"))
        .stdout(contains(format!("+{text}")))
        .stderr(contains(".score-rs/mounts/files/web.main."));
    fs::remove_file(&mounted).unwrap();
    check(d, "compose")
        .code(1)
        .stdout(contains("--- /dev/null"));
    fs::write(&mounted, &text).unwrap();

    // A secret env file: that it differs, never its content.
    let secret = mounts(d, "secrets")
        .into_iter()
        .find(|p| p.file_name().unwrap().to_string_lossy().starts_with("web"))
        .expect("the service's secret env file");
    let env = fs::read_to_string(&secret).unwrap();
    let password = env.trim().split_once('=').unwrap().1.trim_matches('"');
    assert!(password.len() >= 8, "{env}");
    fs::write(&secret, "REDIS_PASSWORD=\"changed-by-hand\"\n").unwrap();
    let out = check(d, "compose").code(1).get_output().clone();
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        stdout.contains("differs (not shown: it holds secret values)"),
        "{stdout}"
    );
    assert!(
        !stdout.contains(password) && !stdout.contains("changed-by-hand"),
        "{stdout}"
    );
}

/// Switching the Terraform syntax removes the module's files in the other one (Terraform would
/// read `main.tf` and `main.tf.json` both and find every block twice); `--check` reports them
/// first. Files of the user's own in the directory are left alone.
#[test]
fn a_terraform_module_in_the_other_syntax_is_replaced() {
    let dir = generated("terraform");
    let d = dir.path();
    let module = d.join("score-terraform");
    fs::write(module.join("extra.tf"), "# mine\n").unwrap();
    score_rs(d)
        .args(["generate", "score.yaml", "--target", "terraform"])
        .args(["--tf-format", "json", "--check"])
        .assert()
        .code(1)
        .stdout(contains("--- a/score-terraform/main.tf\n+++ /dev/null\n"))
        .stderr(contains("`score-terraform/versions.tf`"));
    assert!(module.join("main.tf").exists(), "--check removed a file");

    // `-o -` writes no module, so it removes none.
    score_rs(d)
        .args(["generate", "score.yaml", "--target", "terraform"])
        .args(["--tf-format", "json", "-o", "-"])
        .assert()
        .success();
    assert!(module.join("main.tf").exists());

    score_rs(d)
        .args(["generate", "score.yaml", "--target", "terraform"])
        .args(["--tf-format", "json"])
        .assert()
        .success();
    let mut names: Vec<String> = fs::read_dir(&module)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "extra.tf",
            "main.tf.json",
            "outputs.tf.json",
            "variables.tf.json",
            "versions.tf.json"
        ]
    );
    score_rs(d)
        .args(["generate", "score.yaml", "--target", "terraform"])
        .args(["--tf-format", "json", "--check"])
        .assert()
        .success();
}
