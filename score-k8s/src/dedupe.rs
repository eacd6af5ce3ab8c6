//! One object per identity: resources that share a server (one Kafka broker, one MinIO) each
//! emit the same objects; those appear once. Two different objects with one identity are an
//! error — applying both would silently keep only the last.

use std::collections::BTreeMap;

use serde_json::Value;

use score_core::Diagnostic;

/// `apiVersion`, `kind`, namespace and name.
pub type Identity = (String, String, String, String);

/// The identity of an object (namespace empty when unset).
pub fn identity(o: &Value) -> Identity {
    let s = |v: &Value| v.as_str().unwrap_or_default().to_string();
    (
        s(&o["apiVersion"]),
        s(&o["kind"]),
        s(&o["metadata"]["namespace"]),
        s(&o["metadata"]["name"]),
    )
}

/// Keep the first of identical objects, in order; `origin` says who emitted each (for errors).
///
/// # Errors
/// One diagnostic per identity emitted with different content.
pub fn dedupe(objects: Vec<(Value, String)>) -> Result<Vec<Value>, Vec<Diagnostic>> {
    let mut seen: BTreeMap<Identity, (usize, String)> = BTreeMap::new();
    let mut out: Vec<Value> = Vec::new();
    let mut errors = Vec::new();
    for (object, origin) in objects {
        let id = identity(&object);
        match seen.get(&id) {
            Some((i, _)) if out[*i] == object => {}
            Some((_, first)) => {
                let (api, kind, ns, name) = &id;
                let ns = if ns.is_empty() {
                    String::new()
                } else {
                    format!(" in namespace `{ns}`")
                };
                errors.push(
                    Diagnostic::error(
                        "score::k8s::duplicate_object",
                        format!("{kind} `{name}` ({api}){ns} is generated twice with different content: by {first} and by {origin}"),
                    )
                    .with_help("rename one of them (workload names, the service-name annotation, or the provisioner's object names)"),
                );
            }
            None => {
                seen.insert(id, (out.len(), origin));
                out.push(object);
            }
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn identical_objects_collapse_and_different_ones_clash() {
        let a = json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "kafka"}, "spec": {"x": 1}});
        let b = json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "kafka"}, "spec": {"x": 2}});
        let other_ns = json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "kafka", "namespace": "n"}, "spec": {"x": 2}});
        let out = dedupe(vec![
            (a.clone(), "r1".into()),
            (a.clone(), "r2".into()),
            (other_ns, "r3".into()),
        ])
        .unwrap();
        assert_eq!(out.len(), 2);
        let e = dedupe(vec![
            (a, "resource `x`".into()),
            (b, "workload `kafka`".into()),
        ])
        .unwrap_err();
        assert!(
            e[0].message
                .contains("by resource `x` and by workload `kafka`"),
            "{}",
            e[0].message
        );
    }
}
