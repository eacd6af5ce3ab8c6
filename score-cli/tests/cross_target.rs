//! One meaning on every target: the same Score files are generated for compose, k8s and
//! terraform by the real binary, each output is read back into one small model
//! ([`model`]: image, command, args, env, ports, mounts, probes, limits, annotations), and the
//! three models must agree.
//!
//! Fixtures: every file of `fixtures/valid/`, and the spec's own `score-full.yaml` with its
//! made-up resource types removed (its `.` image is given with `--image`).
//!
//! Where targets differ by design, the comparison says so:
//! * env values that use a resource output differ per target (host names, Terraform
//!   references) and may live in a Secret: only their presence is compared;
//! * compose has one health check per service: the readiness probe, else the liveness probe,
//!   compared with the check the Kubernetes targets run under that name;
//! * init containers (those that run to completion) have no probes on Kubernetes.

#[path = "model/mod.rs"]
mod model;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use score_core::ir::Workload;
use score_core::placeholder::{self, RefRoot};
use score_core::start_order::{self, Role};

use crate::cli;
use model::{Container, Expected, Model};

const WORKSPACE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/..");

/// (fixture, target) pairs that cannot be generated for want of a default provisioner, not
/// because of lowering: kept exact, so the test says when one is fixed.
const KNOWN_GAPS: &[(&str, &str)] = &[];

/// A run with a fixed seed: every run makes the same passwords and names.
fn score_rs(dir: &Path) -> Command {
    let mut c = cli::score_rs(dir);
    c.env("SCORE_RS_RANDOM_SEED", "cross-target");
    c
}

fn shared() -> PathBuf {
    std::env::var_os("SCORE_RS_SHARED")
        .map_or_else(|| Path::new(WORKSPACE).join("../shared"), PathBuf::from)
}

/// `score-full.yaml` of the spec without its resources (all of made-up types).
fn score_full(dir: &Path) -> Option<PathBuf> {
    let text = fs::read_to_string(shared().join("spec/score-full.yaml")).ok()?;
    let cut = text.find("\nresources:\n").map_or(text.len(), |i| i + 1);
    let path = dir.join("score-full.yaml");
    fs::write(&path, &text[..cut]).unwrap();
    fs::write(dir.join("file.txt"), "from file.txt\n").unwrap();
    Some(path)
}

/// The fixtures, copied into `dir` with the files they read.
fn fixtures(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in fs::read_dir(Path::new(WORKSPACE).join("fixtures/valid")).unwrap() {
        let p = e.unwrap().path();
        let to = dir.join(p.file_name().unwrap());
        fs::copy(&p, &to).unwrap();
        if matches!(
            p.extension().and_then(|x| x.to_str()),
            Some("yaml" | "json")
        ) {
            out.push(to);
        }
    }
    out.sort();
    match score_full(dir) {
        Some(p) => out.push(p),
        None => eprintln!(
            "!! SKIPPED score-full.yaml: {} not found",
            shared().display()
        ),
    }
    out
}

/// Generate `file` for every target in a fresh project; the models, or the targets that failed.
fn generate(
    root: &Path,
    file: &Path,
    expected: &Expected,
) -> (BTreeMap<&'static str, Model>, Vec<&'static str>) {
    let name = file.file_name().unwrap().to_string_lossy().into_owned();
    let dir = root.join(name.replace('.', "-"));
    fs::create_dir_all(&dir).unwrap();
    for e in fs::read_dir(file.parent().unwrap()).unwrap() {
        let p = e.unwrap().path();
        if p.is_file() {
            fs::copy(&p, dir.join(p.file_name().unwrap())).unwrap();
        }
    }
    score_rs(&dir)
        .args(["init", "--no-sample"])
        .assert()
        .success();
    let mut models = BTreeMap::new();
    let mut failed = Vec::new();
    for (target, out) in [
        ("compose", "out/compose.yaml"),
        ("k8s", "out/manifests.yaml"),
        ("terraform", "out/tf"),
    ] {
        let mut cmd = score_rs(&dir);
        cmd.args([
            "generate",
            &name,
            "--image",
            "ghcr.io/acme/local:1.0.0",
            "--target",
            target,
            "-o",
            out,
        ]);
        if target == "terraform" {
            cmd.args(["--tf-format", "json"]);
        }
        let run = cmd.output().unwrap();
        if !run.status.success() {
            eprintln!(
                "{name} on {target}:\n{}",
                String::from_utf8_lossy(&run.stderr)
            );
            failed.push(target);
            continue;
        }
        let out = dir.join(out);
        let model = match target {
            "compose" => model::read_compose(&out, expected),
            "k8s" => model::read_manifests(&out, expected),
            _ => model::read_terraform(&out, expected),
        };
        models.insert(target, model);
    }
    (models, failed)
}

/// Whether a Score value uses a resource output (it then differs per target by design).
fn uses_resource(value: &str) -> bool {
    placeholder::parse(value).is_ok_and(|t| {
        t.placeholders()
            .any(|p| matches!(p.root(), Ok(RefRoot::Resource { .. })))
    })
}

/// `m` with the values of env vars that use a resource output blanked: they differ per target
/// by design (host names, Terraform references) and may come from a Secret.
fn masked(m: &Model, workloads: &[Workload]) -> Model {
    let mut m = m.clone();
    for w in workloads {
        let Some(wm) = m.get_mut(w.name()) else {
            continue;
        };
        for (cname, c) in &mut wm.containers {
            let Some(score) = w.containers.get(cname) else {
                continue;
            };
            for (k, v) in c.env.iter_mut() {
                if score.variables.get(k).is_some_and(|s| uses_resource(s)) {
                    *v = Some("<resource output>".into());
                }
            }
        }
    }
    m
}

/// `m` as compose can say it: one health check per container, none on init containers, and
/// no `$(VAR)` expansion.
fn one_health_check(m: &Model, workloads: &[Workload]) -> Model {
    let mut m = m.clone();
    for w in workloads {
        let plan = start_order::plan(&w.containers).unwrap_or_default();
        let Some(wm) = m.get_mut(w.name()) else {
            continue;
        };
        for (cname, c) in &mut wm.containers {
            let init = plan.roles.get(cname) == Some(&Role::Init);
            let health = if init { None } else { c.health().cloned() };
            // Only the kubelet expands `$(VAR)` in command and args (docs/targets.md).
            let plain = |xs: &Option<Vec<String>>| {
                xs.as_ref()
                    .map(|xs| xs.iter().map(|x| model::unmarked(x)).collect())
            };
            *c = Container {
                command: plain(&c.command),
                args: plain(&c.args),
                health,
                liveness: None,
                readiness: None,
                ..c.clone()
            };
        }
    }
    m
}

#[test]
fn every_fixture_means_the_same_on_every_target() {
    let root = tempfile::tempdir().unwrap();
    let files = fixtures(root.path());
    assert!(files.len() >= 14, "fixtures: {files:?}");
    let mut gaps = Vec::new();
    let mut differences = Vec::new();
    for file in &files {
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        let workloads = vec![
            score_core::load::load_path(file)
                .unwrap_or_else(|e| panic!("{name}: {e:?}"))
                .workload,
        ];
        let expected: Expected = workloads
            .iter()
            .map(|w| (w.name().to_string(), w.containers.keys().cloned().collect()))
            .collect();
        let (models, failed) = generate(root.path(), file, &expected);
        for t in failed {
            gaps.push((name.clone(), t));
        }
        let masked: BTreeMap<&str, Model> = models
            .iter()
            .map(|(t, m)| (*t, masked(m, &workloads)))
            .collect();
        // The Kubernetes targets agree on everything, both probes included.
        if let (Some(k), Some(t)) = (masked.get("k8s"), masked.get("terraform")) {
            if k != t {
                differences.push(format!(
                    "{name}: k8s and terraform differ\n  k8s:       {k:?}\n  terraform: {t:?}"
                ));
            }
        }
        let views: Vec<(&str, Model)> = masked
            .iter()
            .map(|(t, m)| (*t, one_health_check(m, &workloads)))
            .collect();
        for pair in views.windows(2) {
            let ((a, am), (b, bm)) = (&pair[0], &pair[1]);
            if am != bm {
                differences.push(format!(
                    "{name}: {a} and {b} differ\n  {a}: {am:?}\n  {b}: {bm:?}"
                ));
            }
        }
    }
    assert!(differences.is_empty(), "{}", differences.join("\n\n"));
    let mut known: Vec<(String, &str)> = KNOWN_GAPS
        .iter()
        .map(|(f, t)| (f.to_string(), *t))
        .collect();
    known.sort();
    gaps.sort();
    assert_eq!(
        gaps, known,
        "targets that could not generate a fixture (see stderr)"
    );
}
