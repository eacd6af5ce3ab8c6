//! Runs that overlap or are cut short, on the real binary: parallel `generate`s lose no
//! workload (issue 15, item 4), and a run killed at any moment leaves a state that loads and
//! outputs that agree with it: no output holds a password the state does not, and the next run
//! keeps every password the state holds (item 10).

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;
use std::process::{Command, Stdio};

use crate::cli;

/// A run whose output nobody reads (runs are killed part-way; only their effects count).
fn score_rs(dir: &Path) -> Command {
    let mut c = cli::std_command(dir);
    c.stdout(Stdio::null()).stderr(Stdio::null());
    c
}

/// A project with `n` Score files `w00.yaml`…, each a workload with its own postgres (a
/// generated password) and a file that expands it.
fn project(n: usize) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for i in 0..n {
        fs::write(
            dir.path().join(format!("w{i:02}.yaml")),
            format!(
                "apiVersion: score.dev/v1b1
metadata:
  name: w{i:02}
containers:
  main:
    image: nginx:1.27
    variables:
      DB_PASSWORD: ${{resources.db.password}}
    files:
      /etc/db.conf:
        content: \"password=${{resources.db.password}}\"
resources:
  db: {{type: postgres}}
"
            ),
        )
        .unwrap();
    }
    assert!(score_rs(dir.path())
        .args(["init", "--no-sample"])
        .status()
        .unwrap()
        .success());
    dir
}

fn load_state(dir: &Path) -> score_core::state::State {
    score_core::state::StateDir::new(dir.join(".score-rs"))
        .load()
        .unwrap_or_else(|d| panic!("the state does not load: {}", d.message))
}

/// Resource UID → generated password, for every resource of every target.
fn passwords(state: &score_core::state::State) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for (target, t) in &state.targets {
        for (uid, r) in &t.resources {
            for key in &r.secret_outputs {
                if let Some(serde_json::Value::String(v)) = r.outputs.get(key) {
                    out.insert(format!("{target}/{uid}/{key}"), v.clone());
                }
            }
        }
    }
    out
}

/// Every run of 24 ASCII letters and digits in the project's outputs: the shape of the
/// passwords the default provisioners generate.
fn passwords_in_outputs(dir: &Path) -> BTreeSet<String> {
    let mut files = vec![dir.join("compose.yaml")];
    let mut stack = vec![dir.join(".score-rs/mounts")];
    while let Some(d) = stack.pop() {
        for e in fs::read_dir(&d)
            .into_iter()
            .flatten()
            .filter_map(Result::ok)
        {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                files.push(p);
            }
        }
    }
    let mut found = BTreeSet::new();
    for f in files {
        let Ok(text) = fs::read_to_string(&f) else {
            continue;
        };
        for word in text.split(|c: char| !c.is_ascii_alphanumeric()) {
            let mixed = word.chars().any(|c| c.is_ascii_uppercase())
                && word.chars().any(|c| c.is_ascii_lowercase())
                && word.chars().any(|c| c.is_ascii_digit());
            if word.len() == 24 && mixed {
                found.insert(word.to_string());
            }
        }
    }
    found
}

/// Parallel runs, each adding its own workload, all succeed and none is lost.
#[test]
fn parallel_generates_lose_no_workload() {
    let n = 12;
    let dir = project(n);
    let d = dir.path();
    for round in 0..2 {
        let children: Vec<_> = (0..n)
            .map(|i| {
                score_rs(d)
                    .args(["generate", &format!("w{i:02}.yaml")])
                    .spawn()
                    .unwrap()
            })
            .collect();
        for mut c in children {
            assert!(c.wait().unwrap().success(), "round {round}: a run failed");
        }
        let state = load_state(d);
        let names: Vec<&String> = state.workloads.keys().collect();
        assert_eq!(names.len(), n, "round {round}: {names:?}");
        // Each database also has secret URLs holding its password: count the passwords.
        let passwords = passwords(&state);
        let generated = passwords.keys().filter(|k| k.ends_with("/password"));
        assert_eq!(generated.count(), n, "one password per workload");
    }
}

/// `generate` killed (SIGKILL) at moments spread over a run: after each, the state loads, the
/// outputs hold no password it does not, and a complete run keeps all of its passwords.
#[cfg(unix)]
#[test]
fn a_run_killed_at_any_moment_leaves_outputs_and_state_in_agreement() {
    let n = 16;
    let dir = project(n);
    let d = dir.path();
    // How long a complete run takes here, to spread the kills over it.
    let started = std::time::Instant::now();
    assert!(score_rs(d)
        .args(["generate", "w00.yaml"])
        .status()
        .unwrap()
        .success());
    let span = started.elapsed().as_micros().max(1_000) as u64;
    for i in 1..n {
        let mut child = score_rs(d)
            .args(["generate", &format!("w{i:02}.yaml")])
            .spawn()
            .unwrap();
        // From at once to a little past a whole run.
        let delay = span * (i as u64 - 1) / (n as u64 - 3);
        std::thread::sleep(std::time::Duration::from_micros(delay));
        let _ = child.kill();
        let _ = child.wait();
        let interrupted = load_state(d);
        let known: BTreeSet<String> = passwords(&interrupted).into_values().collect();
        let found = passwords_in_outputs(d);
        let unknown: Vec<&String> = found.difference(&known).collect();
        assert!(
            unknown.is_empty(),
            "kill {i} after {delay} µs: outputs hold passwords the state does not: {unknown:?}"
        );
        // The next complete run keeps every password the state holds.
        assert!(score_rs(d)
            .args(["generate", &format!("w{i:02}.yaml")])
            .status()
            .unwrap()
            .success());
        let after = passwords(&load_state(d));
        for (uid, pw) in passwords(&interrupted) {
            assert_eq!(
                after.get(&uid),
                Some(&pw),
                "kill {i}: {uid} changed its password"
            );
        }
        let found = passwords_in_outputs(d);
        let known: BTreeSet<String> = after.into_values().collect();
        assert!(found.is_subset(&known));
        assert_eq!(load_state(d).workloads.len(), i + 1);
    }
}
