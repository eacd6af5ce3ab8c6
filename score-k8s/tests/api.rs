//! The public API the CLI calls: `target`, `generate` options, `to_yaml`.

use crate::common;

use score_core::provision::{Resolved, WorkloadInput};
use score_k8s::{generate, target, to_yaml, Options};

fn web() -> WorkloadInput {
    let w = serde_json::from_value(serde_json::json!({
        "apiVersion": "score.dev/v1b1",
        "metadata": {"name": "web", "annotations": {"k8s.score.dev/service-name": "frontend"}},
        "service": {"ports": {"http": {"port": 80, "targetPort": 8080}}},
        "containers": {"main": {"image": "nginx:1.27"}}
    }))
    .unwrap();
    WorkloadInput::new(w, ".".into())
}

#[test]
fn target_describes_the_backend() {
    let t = target(
        &[web()],
        &Options {
            namespace: Some("prod".into()),
            generate_namespace: false,
        },
    );
    assert_eq!(t.name, "k8s");
    assert_eq!(t.artifact_keys, ["manifests"]);
    assert_eq!(t.vars["namespace"], "prod");
    assert_eq!(
        t.vars["workload_services"]["web"],
        serde_json::json!({"service_name": "frontend", "ports": {"http": {"port": 80, "targetPort": 8080, "protocol": "TCP"}}})
    );
    assert!(target(&[], &Options::default()).vars["namespace"].is_null());
}

#[test]
fn namespace_options_are_checked() {
    let empty = Resolved::default();
    let err = generate(
        &empty,
        &Options {
            namespace: None,
            generate_namespace: true,
        },
    )
    .unwrap_err();
    assert_eq!(err[0].code, "score::k8s::namespace");
    let err = generate(
        &empty,
        &Options {
            namespace: Some("Bad_NS".into()),
            generate_namespace: false,
        },
    )
    .unwrap_err();
    assert!(err[0].message.contains("Bad_NS"));
    let out = generate(
        &empty,
        &Options {
            namespace: Some("prod".into()),
            generate_namespace: true,
        },
    )
    .unwrap();
    assert_eq!(
        to_yaml(&out.documents),
        "---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: prod\n"
    );
    assert_eq!(
        to_yaml(&generate(&empty, &Options::default()).unwrap().documents),
        ""
    );
}

#[test]
fn default_provisioners_all_target_k8s() {
    let provisioners = common::default_provisioners();
    assert!(provisioners.len() >= 15);
    for p in &provisioners {
        assert_eq!(
            p.targets.as_deref(),
            Some(&["k8s".to_string()][..]),
            "{} must set `targets: [k8s]`",
            p.uri
        );
        assert!(p.description.is_some(), "{} needs a description", p.uri);
    }
    // Class-specific entries come before the class-less entry of the same type.
    for (i, p) in provisioners.iter().enumerate() {
        if p.class.is_none() {
            assert!(
                provisioners[i..]
                    .iter()
                    .all(|q| q.kind != p.kind || q.class.is_none() || q.uri == p.uri),
                "{} shadows a later class",
                p.uri
            );
        }
    }
    let types: Vec<&str> = provisioners.iter().map(|p| p.kind.as_str()).collect();
    for t in [
        "postgres",
        "postgres-instance",
        "redis",
        "mysql",
        "mongodb",
        "amqp",
        "kafka-topic",
        "s3",
        "mssql",
        "dns",
        "route",
        "volume",
        "service-port",
        "service",
    ] {
        assert!(types.contains(&t), "no default provisioner for `{t}`");
    }
}

/// A provisioner that writes its password into a ConfigMap is warned about, even when the
/// password holds characters JSON would escape.
#[test]
fn secrets_a_provisioner_leaks_into_plain_objects_are_reported() {
    use score_core::provision::{parse_provisioner_file, provision};
    use score_core::state::TargetState;
    use score_core::SourceFile;

    let leaky = r#"
- uri: template://test/leaky
  type: leaky
  secret_outputs: [password]
  state: |
    password: {{ 'pa"ss\\word-' ~ uid | tojson }}
  outputs: |
    password: {{ state.password | tojson }}
  manifests: |
    - apiVersion: v1
      kind: ConfigMap
      metadata: {name: leaky}
      data: {conf: {{ ("password=" ~ state.password) | tojson }}}
    - apiVersion: v1
      kind: ConfigMap
      metadata: {name: clean}
      data: {conf: nothing to see}
"#;
    let provisioners =
        parse_provisioner_file(&SourceFile::new("t.provisioners.yaml", leaky)).unwrap();
    let w = serde_json::from_value(serde_json::json!({
        "apiVersion": "score.dev/v1b1",
        "metadata": {"name": "web"},
        "containers": {"main": {"image": "nginx:1.27"}},
        "resources": {"x": {"type": "leaky"}}
    }))
    .unwrap();
    let inputs = [WorkloadInput::new(w, ".".into())];
    let opts = Options::default();
    let resolved = provision(
        &mut TargetState::default(),
        &inputs,
        &provisioners,
        &target(&inputs, &opts),
    )
    .unwrap();
    let password = resolved.secret_values().into_iter().next().unwrap();
    assert!(
        password.contains('"') && password.contains('\\'),
        "{password}"
    );
    let leaks: Vec<String> = generate(&resolved, &opts)
        .unwrap()
        .warnings
        .into_iter()
        .filter(|w| w.code == "score::k8s::secret_in_plain_text")
        .map(|w| w.message)
        .collect();
    assert_eq!(leaks.len(), 1, "{leaks:?}");
    assert!(leaks[0].contains("ConfigMap `leaky`"), "{leaks:?}");
}
