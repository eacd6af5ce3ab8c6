//! No secret is ever written by score-rs: the default provisioners generate passwords with
//! `random_password` at apply time, so neither the state nor the generated files hold one,
//! and secrets reach containers only through Kubernetes Secrets.

use crate::support;

use score_core::provision::{parse_provisioner_file, provision};
use score_core::state::TargetState;
use score_core::SourceFile;
use serde_json::Value;

/// Strings that look like a generated password: long, alphanumeric, mixed case and digits.
fn looks_secret(s: &str) -> bool {
    s.len() >= 12
        && s.chars().all(|c| c.is_ascii_alphanumeric())
        && s.chars().any(|c| c.is_ascii_uppercase())
        && s.chars().any(|c| c.is_ascii_lowercase())
        && s.chars().any(|c| c.is_ascii_digit())
}

/// Every input of a case as text: its files, their base64, and the default provisioners.
fn inputs_text(dir: &std::path::Path) -> String {
    use base64::Engine as _;
    let mut out = String::from(score_terraform::DEFAULT_PROVISIONERS);
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().filter_map(Result::ok) {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let bytes = std::fs::read(&p).unwrap();
                out.push_str(&String::from_utf8_lossy(&bytes));
                out.push_str(&base64::engine::general_purpose::STANDARD.encode(&bytes));
            }
        }
    }
    out
}

#[test]
fn the_default_provisioners_never_generate_a_secret_themselves() {
    let text = score_terraform::DEFAULT_PROVISIONERS;
    for f in ["random_password(", "random_string(", "random_uuid("] {
        assert!(!text.contains(f), "default provisioners call {f}");
    }
}

#[test]
fn no_secret_in_state_or_output() {
    for dir in support::cases() {
        let case = support::case_name(&dir);
        let run = support::run(&dir);
        // Every secret output is a Terraform reference, not a value.
        for r in &run.resolved.resources {
            for key in &r.record.secret_outputs {
                let v = r
                    .record
                    .outputs
                    .get(key)
                    .map(score_core::placeholder::value_to_string)
                    .unwrap_or_default();
                assert!(
                    support::schema::dynamic(&v),
                    "{case}: secret output {key} of {} is a literal: {v:?}",
                    r.uid
                );
            }
        }
        // Nothing in the state looks like a generated password.
        let state = serde_json::to_value(&run.state).unwrap();
        let mut all = Vec::new();
        support::schema::collect_strings(&state, &mut all);
        for s in &all {
            assert!(!looks_secret(s), "{case}: the state holds {s:?}");
        }
        // Nor in the output directory (both formats), except what the inputs themselves say
        // (image digests, a cluster id, base64 file contents).
        let inputs = inputs_text(&dir);
        for (name, text) in run.hcl.files.iter().chain(&run.json.files) {
            for word in text.split(|c: char| !c.is_ascii_alphanumeric()) {
                assert!(
                    !looks_secret(word) || inputs.contains(word),
                    "{case}/{name} holds {word:?}"
                );
            }
            for secret in run.resolved.secret_values() {
                // Secret outputs are references: they may appear, but only inside `${…}`.
                assert!(
                    support::schema::dynamic(&secret),
                    "{case}/{name}: literal secret {secret:?}"
                );
            }
        }
        // No env var carries a secret in plain text: those go through secret_key_ref.
        for (_, v) in support::json_files(&run.json) {
            check_env(&v, &case);
        }
    }
}

fn check_env(v: &Value, case: &str) {
    match v {
        Value::Object(m) => {
            if let Some(Value::Array(envs)) = m.get("env") {
                for e in envs {
                    if let Some(Value::String(value)) = e.get("value") {
                        assert!(
                            !value.contains("random_password.") && !value.contains(".result}"),
                            "{case}: env {} holds a secret in plain text: {value}",
                            e["name"]
                        );
                    }
                }
            }
            m.values().for_each(|x| check_env(x, case));
        }
        Value::Array(xs) => xs.iter().for_each(|x| check_env(x, case)),
        _ => {}
    }
}

/// The checks above do catch a provisioner that writes a literal password (control).
#[test]
fn a_literal_password_is_detected_and_warned_about() {
    support::seed();
    let p = parse_provisioner_file(&SourceFile::new(
        "bad.provisioners.yaml",
        "- uri: template://test/bad\n  type: postgres\n  targets: [terraform]\n  secret_outputs: [password]\n  state: |\n    password: {{ state.password | default(random_password(20)) }}\n  outputs: |\n    host: db\n    password: {{ state.password }}\n",
    ))
    .unwrap();
    let w = score_core::load::load_source(
        SourceFile::new("s.yaml", "apiVersion: score.dev/v1b1\nmetadata: {name: web}\ncontainers:\n  main:\n    image: nginx\n    variables: {PW: '${resources.db.password}'}\nresources:\n  db: {type: postgres}\n"),
        std::path::Path::new("."),
        None,
    )
    .unwrap();
    let ws = vec![score_core::provision::WorkloadInput::new(
        w.workload,
        ".".into(),
    )];
    let mut state = TargetState::default();
    let resolved = provision(
        &mut state,
        &ws,
        &p,
        &score_terraform::target(&ws, &Default::default()),
    )
    .unwrap();
    let out = score_terraform::generate(&resolved, &Default::default()).unwrap();
    assert!(out
        .warnings
        .iter()
        .any(|w| w.code == "score::terraform::literal-secret"));
    let secret = &resolved.secret_values()[0];
    assert!(!support::schema::dynamic(secret));
    let main = &out.files[0].1;
    assert!(
        main.contains(secret.as_str()),
        "the control secret is found in the output"
    );
    // Even then it is kept in a Secret, not in the pod spec.
    assert!(main.contains("secret_key_ref"));
}
