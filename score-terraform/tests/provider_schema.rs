//! Every generated module validates against the real provider schemas (hashicorp/kubernetes
//! 3.2.1, hashicorp/random 3.9.0), with an independent validator (`support/schema.rs`). The
//! schemas are in `../shared/terraform/`: these tests are ignored by a plain `cargo test` and run
//! by CI (`--include-ignored`).

use crate::support;

use serde_json::{json, Value};
use support::schema::{validate, Schemas};

#[test]
#[ignore = "needs ../shared/terraform (or SCORE_RS_SHARED); CI runs it with --include-ignored"]
fn every_generated_module_matches_the_provider_schemas() {
    let s = Schemas::load();
    let mut problems = Vec::new();
    let cases = support::cases();
    assert!(
        cases.len() >= 20,
        "expected at least 20 cases, found {}",
        cases.len()
    );
    for dir in cases {
        let run = support::run(&dir);
        let files = support::json_files(&run.json);
        for p in validate(&files, &s) {
            problems.push(format!("{}: {p}", support::case_name(&dir)));
        }
    }
    assert!(
        problems.is_empty(),
        "{} problem(s):\n{}",
        problems.len(),
        problems.join("\n")
    );
}

/// The validator itself finds each kind of mistake (so a clean run means something).
#[test]
#[ignore = "needs ../shared/terraform (or SCORE_RS_SHARED); CI runs it with --include-ignored"]
fn the_validator_reports_mistakes() {
    let s = Schemas::load();
    let module = json!({
        "variable": {"namespace": {"type": "string"}},
        "resource": {
            "kubernetes_service_v1": {
                "a": {
                    "metadata": [{"name": "a", "namespace": "${var.namespace}", "bogus": 1, "uid": "x"}],
                    "spec": [{"port": [{"name": "p", "target_port": 80}], "selector": {"k": "v"}}]
                }
            },
            "kubernetes_deployment_v1": {
                "b": {"metadata": [{}, {}], "spec": [{"template": [{"metadata": [{}], "spec": [{"container": [{"name": "c", "env": [{"name": "X", "value": "${kubernetes_service_v1.a.metadata.name}"}]}]}]}]}]}
            },
            "kubernetes_stateful_set_v1": {
                "c": {"metadata": [{"name": "c"}], "spec": [{"template": [{"metadata": [{}]}]}]}
            },
            "random_password": {"p": {"length": "24"}},
            "kubernetes_nonsense_v1": {"x": {}}
        },
        "output": {
            "o": {"value": "${var.missing} ${metadata.name} ${module.none.x} ${random_password.p.nope} ${md5(var.namespace)}"}
        }
    });
    let problems = validate(&[("main".into(), module)], &s);
    let text = problems.join("\n");
    for want in [
        "metadata[0].bogus: no such argument or block",
        "metadata[0].uid: computed-only attribute is set",
        "port[0]: required argument `port` is missing",
        "target_port: 80 is not of type \"string\"",
        "kubernetes_deployment_v1.b.metadata: at most 1 block(s) allowed",
        "kubernetes_stateful_set_v1.c.spec[0]: required block `selector` is missing",
        "kubernetes_stateful_set_v1.c.spec[0]: required argument `service_name` is missing",
        "`kubernetes_service_v1.a.metadata` is a list of blocks",
        "random_password.p.length: \"24\" is not of type \"number\"",
        "resource type `kubernetes_nonsense_v1` does not exist",
        "undeclared variable `var.missing`",
        "`metadata.name` is not declared",
        "undeclared module `module.none`",
        "`random_password.p`: no attribute or block `nope`",
        "unknown function `md5`",
    ] {
        assert!(text.contains(want), "missing {want:?} in:\n{text}");
    }
}

/// The crate's table of nested block names agrees with the schema of every kubernetes and
/// random resource type: blocks are blocks, map/object attributes are not.
#[test]
#[ignore = "needs ../shared/terraform (or SCORE_RS_SHARED); CI runs it with --include-ignored"]
fn block_classification_matches_the_schemas() {
    let s = Schemas::load();
    let mut wrong = Vec::new();
    for (t, block) in s.types() {
        walk(t, "", block, &mut wrong);
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

fn walk(t: &str, path: &str, block: &Value, wrong: &mut Vec<String>) {
    let sample = json!({});
    if let Some(attrs) = block.get("attributes").and_then(Value::as_object) {
        for (a, spec) in attrs {
            let ty = &spec["type"];
            let objecty = ty == "dynamic" || ty.get(0).is_some_and(|k| k == "map" || k == "object");
            if objecty && score_terraform::blocks::is_block(t, path, a, &sample) {
                wrong.push(format!(
                    "{t}: attribute {path}.{a} is classified as a block"
                ));
            }
        }
    }
    if let Some(bts) = block.get("block_types").and_then(Value::as_object) {
        for (b, bt) in bts {
            if !score_terraform::blocks::is_block(t, path, b, &sample) {
                wrong.push(format!(
                    "{t}: block {path}.{b} is classified as an attribute"
                ));
            }
            let sub = if path.is_empty() {
                b.clone()
            } else {
                format!("{path}.{b}")
            };
            walk(t, &sub, &bt["block"], wrong);
        }
    }
}
