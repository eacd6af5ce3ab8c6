//! Provisioner files written as score-compose / score-k8s users write them
//! (`fixtures/reference-style/`, see its README), run through the real binary: installed with
//! `init --provisioners`, generated, snapshotted, re-generated from the state alone (the same
//! bytes), and checked by the independent validators (`SCORE_RS_COMPOSE_BIN`,
//! `SCORE_RS_K8S_VALIDATE`) in a test a plain `cargo test` ignores; CI runs it with
//! `--include-ignored`, where a validator that is not set up fails it.

use crate::{cli, prereq};

use std::fs;
use std::path::{Path, PathBuf};

use assert_cmd::Command;

const SEED: &str = "reference-style";

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/reference-style")
}

/// A run with JSON diagnostics (read from stderr) and a fixed seed (the snapshots hold the
/// generated passwords and names).
fn score_rs(dir: &Path) -> Command {
    let mut c = cli::score_rs(dir);
    c.env("SCORE_RS_DIAGNOSTICS", "json")
        .env("SCORE_RS_RANDOM_SEED", SEED);
    c
}

/// A case: its directory copied into a fresh project, its target and `generate` arguments.
struct Case {
    project: tempfile::TempDir,
    target: &'static str,
    options: Vec<String>,
    score_files: Vec<String>,
}

impl Case {
    fn new(name: &str) -> Case {
        let src = fixtures().join(name);
        let project = tempfile::tempdir().unwrap();
        let mut names: Vec<String> = fs::read_dir(&src)
            .unwrap()
            .filter_map(Result::ok)
            .filter(|e| e.path().is_file())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        for n in &names {
            fs::copy(src.join(n), project.path().join(n)).unwrap();
        }
        let options = fs::read_to_string(src.join("args.txt"))
            .unwrap_or_default()
            .split_whitespace()
            .map(String::from)
            .collect();
        let score_files = names
            .into_iter()
            .filter(|n| n.ends_with(".yaml") && !n.ends_with(".provisioners.yaml"))
            .collect();
        let target = if name.starts_with("k8s-") {
            "k8s"
        } else {
            assert!(name.starts_with("compose-"), "{name}: compose-* or k8s-*");
            "compose"
        };
        Case {
            project,
            target,
            options,
            score_files,
        }
    }

    fn dir(&self) -> &Path {
        self.project.path()
    }

    fn output_name(&self) -> &'static str {
        if self.target == "k8s" {
            "manifests.yaml"
        } else {
            "compose.yaml"
        }
    }

    /// `generate` with the case's options and `files`; its stderr.
    fn generate(&self, files: &[String]) -> String {
        let out = score_rs(self.dir())
            .args(["generate", "--target", self.target])
            .args(&self.options)
            .args(files)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(out.status.success(), "{stderr}");
        stderr
    }

    /// The output file, then every file (with its content) and directory under the mounts
    /// directory, sorted.
    fn outputs(&self) -> String {
        let mut text = fs::read_to_string(self.dir().join(self.output_name())).unwrap();
        let mounts = self.dir().join(".score-rs/mounts");
        let mut entries = Vec::new();
        walk(&mounts, &mut entries);
        entries.sort();
        for path in entries {
            let rel = path.strip_prefix(&mounts).unwrap().display().to_string();
            if path.is_dir() {
                text.push_str(&format!("--- mounts/{rel}/\n"));
            } else if rel != ".score-rs-files" {
                text.push_str(&format!("--- mounts/{rel}\n"));
                text.push_str(&fs::read_to_string(&path).unwrap());
            }
        }
        text
    }
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = fs::read_dir(dir) else { return };
    for e in rd.filter_map(Result::ok) {
        let path = e.path();
        if path.is_dir() {
            walk(&path, out);
        }
        out.push(path);
    }
}

/// Every diagnostic line as `[code] message`; other lines (info logs, `wrote …`) as they are.
fn diagnostics(stderr: &str) -> String {
    stderr
        .lines()
        .map(
            |l| match serde_json::from_str::<serde_json::Value>(l).ok() {
                Some(d) if d.get("code").is_some() => {
                    format!(
                        "[{}] {}",
                        d["code"].as_str().unwrap(),
                        d["message"].as_str().unwrap()
                    )
                }
                _ => l.to_string(),
            },
        )
        .collect::<Vec<_>>()
        .join("\n")
}

fn run(cmd: &mut std::process::Command) -> Result<(), String> {
    let out = cmd.output().map_err(|e| e.to_string())?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

/// The independent validators' verdict on the case's output.
fn validate(case: &Case) {
    let d = case.dir();
    if case.target == "compose" {
        let bin = prereq::validator(
            "SCORE_RS_COMPOSE_BIN",
            "the Compose v2 loader (`docker-compose`)",
        );
        let r = run(std::process::Command::new(bin).current_dir(d).args([
            "-f",
            "compose.yaml",
            "config",
            "-q",
        ]));
        assert_eq!(r, Ok(()), "the Compose loader rejects compose.yaml");
        return;
    }
    let bin = prereq::validator("SCORE_RS_K8S_VALIDATE", "kubernetes-validate");
    let r = run(std::process::Command::new(&bin)
        .current_dir(d)
        .args(["--strict", "manifests.yaml"]));
    assert_eq!(r, Ok(()), "kubernetes-validate rejects manifests.yaml");
    // kubernetes-validate knows built-in kinds only: HTTPRoutes against the Gateway API schema,
    // with the jsonschema package that kubernetes-validate itself runs on.
    let python = Path::new(&bin).with_file_name("python");
    let schema =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../score-k8s/tests/schemas/httproute-v1.json");
    let script = "import sys, json, yaml, jsonschema\n\
                  schema = json.load(open(sys.argv[1]))\n\
                  n = 0\n\
                  for doc in yaml.safe_load_all(open(sys.argv[2])):\n\
                  \x20   if doc and doc.get('kind') == 'HTTPRoute':\n\
                  \x20       jsonschema.validate(doc, schema)\n\
                  \x20       n += 1\n\
                  print(n)\n";
    assert!(
        python.exists(),
        "{}: the venv's python beside kubernetes-validate",
        python.display()
    );
    let r = run(std::process::Command::new(python)
        .current_dir(d)
        .arg("-c")
        .arg(script)
        .arg(schema)
        .arg("manifests.yaml"));
    assert_eq!(
        r,
        Ok(()),
        "an HTTPRoute does not match the Gateway API schema"
    );
}

/// A case copied into a fresh project with its provisioners installed.
fn installed(name: &str) -> Case {
    let case = Case::new(name);
    score_rs(case.dir())
        .args([
            "init",
            "--no-sample",
            "--project",
            name,
            "--provisioners",
            ".",
        ])
        .assert()
        .success();
    case
}

fn check(name: &str) {
    let case = installed(name);
    let stderr = case.generate(&case.score_files);
    let first = case.outputs();
    // Named as when this file was a test binary of its own (`reference_style__<case>`).
    insta::with_settings!({ prepend_module_to_snapshot => false }, {
        insta::assert_snapshot!(
            format!("reference_style__{name}"),
            format!("{first}--- stderr\n{}\n", diagnostics(&stderr))
        );
    });
    // From the state alone, the same bytes: nothing random is drawn again, and a shared
    // provisioner's object rendered once per resource ends as it was.
    case.generate(&[]);
    assert_eq!(first, case.outputs(), "{name}: a second run differs");
}

macro_rules! cases {
    ($($test:ident => $dir:literal,)*) => {
        $(
            #[test]
            fn $test() {
                check($dir);
            }
        )*

        /// Every case's output passes the independent validators.
        #[test]
        #[ignore = "needs SCORE_RS_COMPOSE_BIN and SCORE_RS_K8S_VALIDATE (the validators); CI runs it with --include-ignored"]
        fn every_case_passes_the_validators() {
            for name in [$($dir),*] {
                let case = installed(name);
                case.generate(&case.score_files);
                validate(&case);
            }
        }

        /// Every fixture directory has a test above.
        #[test]
        fn every_case_is_tested() {
            let mut found: Vec<String> = fs::read_dir(fixtures())
                .unwrap()
                .filter_map(Result::ok)
                .filter(|e| e.path().is_dir())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect();
            found.sort();
            assert_eq!(found, [$($dir),*], "fixtures/reference-style and the cases! list differ");
        }
    };
}

cases! {
    compose_databases => "compose-databases",
    compose_gateway => "compose-gateway",
    k8s_platform => "k8s-platform",
}
