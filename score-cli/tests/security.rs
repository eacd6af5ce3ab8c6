//! The promises of `docs/security.md`, on the real binary: nothing in a Score file, the state or
//! a provisioner makes score-rs read or write outside the project directory; files holding
//! secrets are owner-only; no input that passes validation bricks the state. One test (or a
//! few) per finding of issue 15, each of which failed before its fix.

use crate::cli::{self, score_rs};
use crate::prereq;

use std::fs;
use std::path::Path;

use predicates::prelude::PredicateBooleanExt as _;
use predicates::str::contains;

const WEB: &str = "apiVersion: score.dev/v1b1
metadata:
  name: web
containers:
  main:
    image: nginx:1.27
";

/// A project in `<tmp>/project` (so that `<tmp>` is outside it), initialised.
fn project() -> (tempfile::TempDir, std::path::PathBuf) {
    let outer = tempfile::tempdir().unwrap();
    let root = outer.path().join("project");
    fs::create_dir(&root).unwrap();
    score_rs(&root)
        .args(["init", "--no-sample"])
        .assert()
        .success();
    (outer, root)
}

fn state(dir: &Path) -> String {
    fs::read_to_string(dir.join(".score-rs/state.yaml")).unwrap()
}

#[cfg(unix)]
fn mode(p: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    fs::metadata(p).unwrap().permissions().mode() & 0o777
}

fn with_file(source: &str) -> String {
    format!("{WEB}    files:\n      /etc/app.conf:\n        source: {source}\n")
}

/// Item 1: a `files.source` link to a file outside the project is refused by `validate` and
/// by every target, and nothing of it is copied.
#[cfg(unix)]
#[test]
fn a_source_link_out_of_the_project_is_refused_everywhere() {
    let (outer, d) = project();
    fs::write(outer.path().join("secret"), "TOP-SECRET-TEXT").unwrap();
    std::os::unix::fs::symlink(outer.path().join("secret"), d.join("link")).unwrap();
    fs::write(d.join("score.yaml"), with_file("link")).unwrap();
    let before = state(&d);
    score_rs(&d)
        .args(["validate", "score.yaml"])
        .assert()
        .code(1)
        .stderr(contains("symbolic link out of the Score file's directory"));
    for target in ["compose", "k8s", "terraform"] {
        score_rs(&d)
            .args(["generate", "score.yaml", "--target", target, "-o", "-"])
            .assert()
            .code(1)
            .stdout(predicates::str::contains("TOP-SECRET").not())
            .stderr(contains("symbolic link"));
    }
    assert_eq!(state(&d), before);
    assert!(!d.join(".score-rs/mounts").exists());
}

/// Item 1: a link that stays inside the Score file's directory is fine.
#[cfg(unix)]
#[test]
fn a_source_link_inside_the_directory_is_followed() {
    let (_outer, d) = project();
    fs::create_dir(d.join("conf")).unwrap();
    fs::write(d.join("conf/app.conf"), "inside").unwrap();
    std::os::unix::fs::symlink("conf/app.conf", d.join("link")).unwrap();
    fs::write(d.join("score.yaml"), with_file("link")).unwrap();
    score_rs(&d)
        .args(["generate", "score.yaml"])
        .assert()
        .success();
    let copied = d.join(".score-rs/mounts/files/web.main.etc_app.conf");
    assert_eq!(fs::read_to_string(copied).unwrap(), "inside");
}

/// Item 14: a FIFO (which hung the run) and a file over the cap are refused, not read.
#[cfg(unix)]
#[test]
fn sources_are_regular_files_of_bounded_size() {
    let (_outer, d) = project();
    let made = std::process::Command::new("mkfifo")
        .arg(d.join("fifo"))
        .status()
        .unwrap();
    assert!(made.success());
    fs::write(d.join("score.yaml"), with_file("fifo")).unwrap();
    score_rs(&d)
        .args(["generate", "score.yaml"])
        .timeout(std::time::Duration::from_secs(60))
        .assert()
        .code(1)
        .stderr(contains("not a regular file"));
    let big = fs::File::create(d.join("big")).unwrap();
    big.set_len(score_core::boundary::MAX_SOURCE_BYTES as u64 + 1)
        .unwrap();
    fs::write(d.join("score.yaml"), with_file("big")).unwrap();
    for target in ["compose", "k8s", "terraform"] {
        score_rs(&d)
            .args(["generate", "score.yaml", "--target", target])
            .assert()
            .code(1)
            .stderr(contains("larger"));
    }
}

/// Item 5: a symbolic link planted in the mounts directory is not written through.
#[cfg(unix)]
#[test]
fn writes_do_not_follow_links_in_the_mounts_directory() {
    let (outer, d) = project();
    let elsewhere = outer.path().join("elsewhere");
    fs::create_dir(&elsewhere).unwrap();
    fs::write(
        d.join("score.yaml"),
        format!("{WEB}    files:\n      /etc/app.conf:\n        content: hello\n"),
    )
    .unwrap();
    score_rs(&d)
        .args(["generate", "score.yaml"])
        .assert()
        .success();
    let files = d.join(".score-rs/mounts/files");
    fs::remove_dir_all(&files).unwrap();
    std::os::unix::fs::symlink(&elsewhere, &files).unwrap();
    fs::write(
        d.join("score.yaml"),
        format!("{WEB}    files:\n      /etc/app.conf:\n        content: changed\n"),
    )
    .unwrap();
    score_rs(&d)
        .args(["generate", "score.yaml"])
        .assert()
        .code(1)
        .stderr(contains("symbolic link"));
    assert!(fs::read_dir(&elsewhere).unwrap().next().is_none());
}

/// Item 6: workloads read back from a hand-edited or committed state are validated before
/// anything is read or written for them.
#[test]
fn workloads_in_the_state_are_validated_again() {
    let (outer, d) = project();
    fs::write(outer.path().join("shadow"), "root:x").unwrap();
    fs::write(d.join("score.yaml"), WEB).unwrap();
    score_rs(&d)
        .args(["generate", "score.yaml"])
        .assert()
        .success();
    let good = state(&d);
    let cases = [
        // A name that is a path.
        good.replace("\"web\"", "\"../../../x\""),
        // A source that climbs out of the Score file's directory.
        good.replace(
            "\"image\": \"nginx:1.27\"",
            "\"image\": \"nginx:1.27\", \"files\": {\"/x\": {\"source\": \"../shadow\"}}",
        ),
        // A Score file recorded outside the project, beside which a file would be read.
        good.replace(
            "\"source\": \"score.yaml\"",
            "\"source\": \"../score.yaml\"",
        )
        .replace(
            "\"image\": \"nginx:1.27\"",
            "\"image\": \"nginx:1.27\", \"files\": {\"/x\": {\"source\": \"shadow\"}}",
        ),
    ];
    for edited in cases {
        assert_ne!(edited, good);
        fs::write(d.join(".score-rs/state.yaml"), &edited).unwrap();
        score_rs(&d)
            .args(["generate", "-o", "-"])
            .assert()
            .code(1)
            .stdout(predicates::str::contains("root:x").not())
            .stderr(contains("workload"));
        assert_eq!(state(&d), edited, "a failed run leaves the state as it was");
    }
}

/// A Score file named on the command line may live outside the project (as with
/// score-compose), files beside it included. A later run that has its path only from the
/// state file still generates it when nothing is read beside it, and refuses it otherwise.
#[test]
fn score_files_outside_the_project() {
    let (outer, d) = project();
    fs::write(outer.path().join("plain.yaml"), WEB.replace("web", "plain")).unwrap();
    fs::write(outer.path().join("app.conf"), "hello").unwrap();
    fs::write(outer.path().join("score.yaml"), with_file("app.conf")).unwrap();
    score_rs(&d)
        .args(["generate", "../plain.yaml", "-o", "-"])
        .assert()
        .success();
    score_rs(&d)
        .args(["generate", "-o", "-"])
        .assert()
        .success()
        .stdout(contains("plain"));
    score_rs(&d)
        .args(["generate", "../score.yaml", "-o", "-"])
        .assert()
        .success()
        .stdout(contains("nginx:1.27"));
    let before = state(&d);
    score_rs(&d)
        .args(["generate", "-o", "-"])
        .assert()
        .code(1)
        .stderr(contains("outside the project directory"));
    assert_eq!(state(&d), before, "a failed run leaves the state as it was");
}

/// Item 7: the state, Kubernetes manifests and mounted files that expand a secret are
/// owner-only; an older world-readable state is made private.
#[cfg(unix)]
#[test]
fn files_that_hold_secrets_are_owner_only() {
    let (_outer, d) = project();
    fs::write(
        d.join("score.yaml"),
        format!(
            "{WEB}    files:\n      /etc/db.conf:\n        content: \"password=${{resources.db.password}}\"\n      /etc/plain.conf:\n        content: plain\nresources:\n  db: {{type: postgres}}\n"
        ),
    )
    .unwrap();
    score_rs(&d)
        .args(["generate", "score.yaml"])
        .assert()
        .success();
    let mounts = d.join(".score-rs/mounts/files");
    assert_eq!(mode(&d.join(".score-rs/state.yaml")), 0o600);
    assert_eq!(mode(&mounts.join("web.main.etc_db.conf")), 0o600);
    assert_eq!(mode(&mounts.join("web.main.etc_plain.conf")), 0o644);
    score_rs(&d)
        .args(["generate", "score.yaml", "--target", "k8s"])
        .assert()
        .success();
    assert!(fs::read_to_string(d.join("manifests.yaml"))
        .unwrap()
        .contains("kind: Secret"));
    assert_eq!(mode(&d.join("manifests.yaml")), 0o600);
    use std::os::unix::fs::PermissionsExt;
    let state_file = d.join(".score-rs/state.yaml");
    fs::set_permissions(&state_file, fs::Permissions::from_mode(0o644)).unwrap();
    score_rs(&d)
        .args(["generate", "score.yaml", "--target", "k8s"])
        .assert()
        .success();
    assert_eq!(mode(&state_file), 0o600);
}

/// Item 2: a state larger than a Score file may be (8 MiB) stays usable.
#[test]
fn a_state_over_eight_mebibytes_stays_usable() {
    let (_outer, d) = project();
    let blob = "x".repeat(4_500_000);
    for name in ["one", "two"] {
        fs::write(
            d.join(format!("{name}.yaml")),
            format!(
                "apiVersion: score.dev/v1b1\nmetadata:\n  name: {name}\ncontainers:\n  main:\n    image: nginx\n    files:\n      /blob:\n        noExpand: true\n        content: {blob}\n"
            ),
        )
        .unwrap();
    }
    score_rs(&d)
        .args(["generate", "one.yaml", "two.yaml"])
        .assert()
        .success();
    assert!(state(&d).len() > score_core::yaml::MAX_FILE_BYTES);
    score_rs(&d).args(["generate"]).assert().success();
    score_rs(&d).args(["workloads", "list"]).assert().success();
    score_rs(&d)
        .args(["workloads", "remove", "two"])
        .assert()
        .success();
}

/// A Score file nested `depth` levels deep in a resource's params.
fn deep_params(depth: usize) -> String {
    let mut params = String::from("leaf");
    for _ in 0..depth {
        params = format!("{{a: {params}}}");
    }
    format!("{WEB}resources:\n  cache:\n    type: redis\n    params: {params}\n")
}

/// Item 8: params nested as deeply as validation allows do not brick the state.
#[test]
fn deeply_nested_params_that_validate_keep_the_state_readable() {
    let (_outer, d) = project();
    fs::write(d.join("score.yaml"), deep_params(124)).unwrap();
    score_rs(&d)
        .args(["validate", "score.yaml"])
        .assert()
        .success();
    score_rs(&d)
        .args(["generate", "score.yaml"])
        .assert()
        .success();
    score_rs(&d).args(["generate"]).assert().success();
    score_rs(&d).args(["resources", "list"]).assert().success();
}

/// Item 8: an override path deeper than a Score file may nest is an error, not a bricked
/// state or a stack overflow.
#[test]
fn overrides_nested_too_deeply_are_refused() {
    let (_outer, d) = project();
    fs::write(d.join("score.yaml"), WEB).unwrap();
    score_rs(&d)
        .args(["generate", "score.yaml"])
        .assert()
        .success();
    let before = state(&d);
    for segments in [130, 50_000] {
        let path = vec!["a"; segments].join(".");
        score_rs(&d)
            .args([
                "generate",
                "score.yaml",
                "--override-property",
                &format!("metadata.{path}=1"),
            ])
            .assert()
            .code(1)
            .stderr(contains("levels"));
        assert_eq!(state(&d), before);
    }
    score_rs(&d).args(["generate"]).assert().success();
}

/// Item 12: compose interpolates every string, so a `$` in an image, a file's path or a
/// volume's target is doubled.
fn compose_with_dollars() -> (tempfile::TempDir, std::path::PathBuf) {
    let (outer, d) = project();
    fs::write(
        d.join("score.yaml"),
        "apiVersion: score.dev/v1b1\nmetadata:\n  name: web\ncontainers:\n  main:\n    image: registry.example/app$x:1\n    files:\n      /etc/$conf:\n        content: hi\n    volumes:\n      /data/$v:\n        source: vol\n",
    )
    .unwrap();
    score_rs(&d)
        .args(["generate", "score.yaml"])
        .assert()
        .success();
    let text = fs::read_to_string(d.join("compose.yaml")).unwrap();
    for escaped in ["app$$x:1", "/etc/$$conf", "etc/$$conf", "/data/$$v"] {
        assert!(text.contains(escaped), "{escaped} in\n{text}");
    }
    (outer, d)
}

#[test]
fn dollars_in_compose_paths_and_images_are_escaped() {
    compose_with_dollars();
}

/// Item 12 as compose's own loader sees it: it reads the literal text back.
#[test]
#[ignore = "needs SCORE_RS_COMPOSE_BIN (the Compose v2 loader); CI runs it with --include-ignored"]
fn dollars_in_compose_paths_and_images_survive_interpolation() {
    let bin = prereq::validator(
        "SCORE_RS_COMPOSE_BIN",
        "the Compose v2 loader (`docker-compose`)",
    );
    let (_outer, d) = compose_with_dollars();
    let out = std::process::Command::new(bin)
        .current_dir(&d)
        .args(["-f", "compose.yaml", "config", "--format", "json"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        !stderr.contains("is not set"),
        "compose interpolated: {stderr}"
    );
    // `config` escapes a literal `$` again in what it prints.
    let project: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let svc = &project["services"]["web-main"];
    assert_eq!(svc["image"], "registry.example/app$$x:1");
    let targets: Vec<&str> = svc["volumes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["target"].as_str().unwrap())
        .collect();
    assert_eq!(targets, ["/data/$$v", "/etc/$$conf"]);
}

/// Item 13: an environment variable name longer than YAML allows a key to be stays in
/// compose.yaml (in the list form).
#[test]
fn a_very_long_variable_name_still_gives_valid_compose_yaml() {
    let (_outer, d) = project();
    let name = "V".repeat(1100);
    // (An explicit key: YAML allows no implicit key this long.)
    fs::write(
        d.join("score.yaml"),
        format!("{WEB}    variables:\n      ? {name}\n      : value\n      SHORT: x\n"),
    )
    .unwrap();
    score_rs(&d)
        .args(["generate", "score.yaml"])
        .assert()
        .success();
    let text = fs::read_to_string(d.join("compose.yaml")).unwrap();
    let doc: serde_json::Value = serde_saphyr::from_str(&text).expect("compose.yaml parses");
    let env = doc["services"]["web-main"]["environment"]
        .as_array()
        .unwrap();
    assert!(env.contains(&serde_json::Value::String(format!("{name}=value"))));
    assert!(env.contains(&serde_json::Value::String("SHORT=x".into())));
}

/// Item 16: a directory name with no ASCII letter still gives compose a project name.
#[test]
fn a_non_ascii_directory_name_gives_a_project_name() {
    let outer = tempfile::tempdir().unwrap();
    let d = outer.path().join("проект");
    fs::create_dir(&d).unwrap();
    score_rs(&d)
        .args(["init", "--no-sample"])
        .assert()
        .success();
    fs::write(d.join("score.yaml"), WEB).unwrap();
    score_rs(&d)
        .args(["generate", "score.yaml"])
        .assert()
        .success();
    let text = fs::read_to_string(d.join("compose.yaml")).unwrap();
    assert!(text.starts_with("name: score-"), "{text}");
}

/// Item 16: two Score files of one run that define the same workload are an error naming
/// both (the later silently replaced the earlier).
#[test]
fn two_files_with_one_workload_name_are_an_error() {
    let (_outer, d) = project();
    fs::write(d.join("a.yaml"), WEB).unwrap();
    fs::write(d.join("b.yaml"), WEB.replace("nginx:1.27", "httpd:2")).unwrap();
    score_rs(&d)
        .args(["generate", "a.yaml", "b.yaml"])
        .assert()
        .code(1)
        .stderr(contains(
            "`a.yaml` and `b.yaml` both define the workload `web`",
        ));
}

/// Item 16: `/a/b` and `/a/./b` are one mount path for Kubernetes.
#[test]
fn k8s_refuses_two_mounts_at_one_path() {
    let (_outer, d) = project();
    fs::write(
        d.join("score.yaml"),
        format!("{WEB}    files:\n      /a/b:\n        content: one\n      /a/./b:\n        content: two\n"),
    )
    .unwrap();
    score_rs(&d)
        .args(["generate", "score.yaml", "--target", "k8s"])
        .assert()
        .code(1)
        .stderr(contains("are the same mount path"));
}

/// Item 16: an output into the state directory is refused (it printed "wrote" and the
/// state overwrote it).
#[test]
fn an_output_into_the_state_directory_is_refused() {
    let (_outer, d) = project();
    fs::write(d.join("score.yaml"), WEB).unwrap();
    let before = state(&d);
    score_rs(&d)
        .args(["generate", "score.yaml", "-o", ".score-rs/state.yaml"])
        .assert()
        .code(1)
        .stderr(contains("inside the state directory"));
    assert_eq!(state(&d), before);
}

/// Item 16: a listing piped into a reader that stops early ends quietly.
#[test]
fn a_closed_pipe_ends_a_listing_quietly() {
    let (_outer, d) = project();
    let mut child = cli::std_command(&d)
        .args(["provisioners", "list", "--format", "json"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take()); // the reader is gone before the first line
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(out.status.success(), "{:?}: {stderr}", out.status);
}

/// Item 16: the binary is a position-independent executable (address randomisation on).
#[cfg(target_os = "linux")]
#[test]
fn the_binary_is_position_independent() {
    let bin = fs::read(assert_cmd::cargo::cargo_bin("score-rs")).unwrap();
    assert_eq!(&bin[..4], b"\x7fELF");
    // e_type: 2 is a fixed-address executable, 3 a shared object (a PIE).
    assert_eq!(u16::from_le_bytes([bin[16], bin[17]]), 3);
}
