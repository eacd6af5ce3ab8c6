//! Properties every generated output must have, checked over all fixture cases:
//! no secret in plain text, determinism, stable re-runs, and YAML that reads back exactly.

use crate::common;

use score_core::state::TargetState;
use score_core::SourceFile;

/// No generated password or secret value appears outside a `kind: Secret` object.
#[test]
fn secrets_never_leave_secret_objects() {
    let mut checked_secrets = 0;
    for dir in common::ok_cases() {
        let (resolved, out) = common::run_case(&dir)
            .unwrap_or_else(|e| panic!("{}: {}", dir.display(), common::render(&e)));
        let secrets = common::all_secrets(&resolved);
        for doc in &out.documents {
            let yaml = score_k8s::to_yaml(std::slice::from_ref(doc));
            let is_secret = doc["kind"] == "Secret";
            for s in secrets.iter().filter(|s| !s.is_empty()) {
                if is_secret {
                    checked_secrets += usize::from(yaml.contains(s.as_str()));
                } else {
                    assert!(
                        !yaml.contains(s.as_str()),
                        "{}: a secret value appears in {} `{}`:\n{yaml}",
                        common::name(&dir),
                        doc["kind"],
                        doc["metadata"]["name"]
                    );
                }
            }
        }
        assert!(
            out.warnings
                .iter()
                .all(|w| w.code != "score::k8s::secret_in_plain_text"),
            "{}",
            common::name(&dir)
        );
    }
    assert!(
        checked_secrets > 20,
        "the cases should exercise many secrets, saw {checked_secrets}"
    );
}

/// Ten runs on the same resolved project give byte-identical output.
#[test]
fn generation_is_deterministic() {
    for dir in common::ok_cases() {
        let opts = common::case_options(&dir).opts;
        let resolved = common::provision_case(&dir, &mut TargetState::default()).unwrap();
        let first = score_k8s::to_yaml(&score_k8s::generate(&resolved, &opts).unwrap().documents);
        for _ in 0..9 {
            assert_eq!(
                first,
                score_k8s::to_yaml(&score_k8s::generate(&resolved, &opts).unwrap().documents),
                "{}",
                common::name(&dir)
            );
        }
    }
}

/// Provisioning again with the saved state keeps every password, so the output is identical
/// (the stable secret idiom of the default provisioners).
#[test]
fn rerun_with_saved_state_is_identical() {
    for dir in common::ok_cases() {
        let opts = common::case_options(&dir).opts;
        let mut state = TargetState::default();
        let first = score_k8s::to_yaml(
            &score_k8s::generate(&common::provision_case(&dir, &mut state).unwrap(), &opts)
                .unwrap()
                .documents,
        );
        // Through the state file format, as the CLI does.
        let text = score_core::state::to_yaml(&state).unwrap();
        let mut reloaded: TargetState = serde_json::from_value(
            score_core::yaml::parse_source(&SourceFile::new("state.yaml", text))
                .unwrap()
                .to_json(),
        )
        .unwrap();
        let second = score_k8s::to_yaml(
            &score_k8s::generate(&common::provision_case(&dir, &mut reloaded).unwrap(), &opts)
                .unwrap()
                .documents,
        );
        assert_eq!(first, second, "{}", common::name(&dir));
    }
}

/// The YAML we print parses back (with score-core's YAML 1.2 parser) to exactly the documents.
#[test]
fn yaml_reads_back_exactly() {
    for dir in common::ok_cases() {
        let (_, out) = common::run_case(&dir).unwrap();
        for doc in &out.documents {
            let text = score_k8s::to_yaml(std::slice::from_ref(doc));
            let body = text.strip_prefix("---\n").unwrap();
            let parsed = score_core::yaml::parse_source(&SourceFile::new("out.yaml", body))
                .unwrap()
                .to_json();
            assert_eq!(&parsed, doc, "{}:\n{text}", common::name(&dir));
        }
    }
}

/// Every workload object carries the standard labels, and selectors use the instance label.
#[test]
fn workload_objects_are_labelled() {
    for dir in common::ok_cases() {
        let (resolved, out) = common::run_case(&dir).unwrap();
        for doc in &out.documents {
            let name = doc["metadata"]["labels"]["app.kubernetes.io/instance"]
                .as_str()
                .unwrap_or_default();
            if !resolved.workloads.contains_key(name) {
                continue;
            }
            let labels = &doc["metadata"]["labels"];
            assert_eq!(labels["app.kubernetes.io/name"], name);
            assert_eq!(labels["app.kubernetes.io/managed-by"], "score-rs");
            if let Some(sel) = doc["spec"]["selector"].as_object() {
                let sel = sel
                    .get("matchLabels")
                    .and_then(|m| m.as_object())
                    .unwrap_or(sel);
                assert_eq!(sel.len(), 1, "{}", common::name(&dir));
                assert_eq!(sel["app.kubernetes.io/instance"], name);
            }
        }
    }
}
