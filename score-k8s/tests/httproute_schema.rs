//! Gateway API `HTTPRoute` objects checked against the relevant part of the v1 CRD schema
//! (`tests/schemas/httproute-v1.json`), since kubernetes-validate only knows built-in kinds.

use crate::common;

use serde_json::{json, Value};

fn validator() -> jsonschema::Validator {
    let schema: Value = serde_json::from_str(include_str!("schemas/httproute-v1.json")).unwrap();
    jsonschema::validator_for(&schema).expect("the schema compiles")
}

fn errors(v: &jsonschema::Validator, doc: &Value) -> Vec<String> {
    v.iter_errors(doc)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

#[test]
fn generated_routes_match_the_gateway_api_schema() {
    let v = validator();
    let mut routes = 0;
    for dir in common::ok_cases() {
        let (_, out) = common::run_case(&dir).unwrap();
        for doc in out.documents.iter().filter(|d| d["kind"] == "HTTPRoute") {
            routes += 1;
            let errs = errors(&v, doc);
            assert!(
                errs.is_empty(),
                "{}: HTTPRoute `{}` is invalid:\n{}",
                common::name(&dir),
                doc["metadata"]["name"],
                errs.join("\n")
            );
        }
    }
    assert!(
        routes >= 3,
        "expected the fixtures to produce HTTPRoutes, found {routes}"
    );
}

fn good_route() -> Value {
    json!({
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "HTTPRoute",
        "metadata": {"name": "r", "namespace": "ns"},
        "spec": {
            "parentRefs": [{"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": "default"}],
            "hostnames": ["app.example.com"],
            "rules": [{"matches": [{"path": {"type": "PathPrefix", "value": "/api"}}], "backendRefs": [{"name": "web", "port": 8080}]}]
        }
    })
}

/// The schema has teeth: each of these breaks a rule of the real CRD.
#[test]
fn the_schema_rejects_invalid_routes() {
    let v = validator();
    assert!(
        errors(&v, &good_route()).is_empty(),
        "{:?}",
        errors(&v, &good_route())
    );
    type Breaker = fn(&mut Value);
    let broken: Vec<(&str, Breaker)> = vec![
        ("relative path", |r| {
            r["spec"]["rules"][0]["matches"][0]["path"]["value"] = json!("api")
        }),
        ("double slash", |r| {
            r["spec"]["rules"][0]["matches"][0]["path"]["value"] = json!("/a//b")
        }),
        ("regex characters in a PathPrefix", |r| {
            r["spec"]["rules"][0]["matches"][0]["path"]["value"] = json!("/my/[^/]+/path")
        }),
        ("unknown path type", |r| {
            r["spec"]["rules"][0]["matches"][0]["path"]["type"] = json!("Prefix")
        }),
        ("Service backend without port", |r| {
            r["spec"]["rules"][0]["backendRefs"][0]
                .as_object_mut()
                .unwrap()
                .remove("port");
        }),
        ("port as string", |r| {
            r["spec"]["rules"][0]["backendRefs"][0]["port"] = json!("8080")
        }),
        ("upper-case hostname", |r| {
            r["spec"]["hostnames"][0] = json!("App.example.com")
        }),
        ("hostname with port", |r| {
            r["spec"]["hostnames"][0] = json!("app.example.com:8080")
        }),
        ("parentRef without name", |r| {
            r["spec"]["parentRefs"][0]
                .as_object_mut()
                .unwrap()
                .remove("name");
        }),
        ("unknown field", |r| {
            r["spec"]["rules"][0]["backendRef"] = json!([])
        }),
        ("v1beta1", |r| {
            r["apiVersion"] = json!("gateway.networking.k8s.io/v1beta1")
        }),
    ];
    for (what, breaks) in broken {
        let mut r = good_route();
        breaks(&mut r);
        assert!(
            !errors(&v, &r).is_empty(),
            "the schema accepted a route with {what}"
        );
    }
    // A backend of another kind needs no port.
    let mut r = good_route();
    r["spec"]["rules"][0]["backendRefs"][0] =
        json!({"group": "example.com", "kind": "Bucket", "name": "b"});
    assert!(errors(&v, &r).is_empty());
}
