//! The `manifests` a resource's provisioner rendered: checked, then placed in the namespace.

use serde_json::Value;

use score_core::provision::ProvisionedResource;
use score_core::Diagnostic;

/// Template key of Kubernetes provisioners.
pub const KEY: &str = "manifests";

/// Kinds that live outside namespaces (the ones provisioners plausibly emit).
const CLUSTER_SCOPED: &[&str] = &[
    "Namespace",
    "Node",
    "PersistentVolume",
    "StorageClass",
    "ClusterRole",
    "ClusterRoleBinding",
    "CustomResourceDefinition",
    "PriorityClass",
    "IngressClass",
    "GatewayClass",
    "MutatingWebhookConfiguration",
    "ValidatingWebhookConfiguration",
    "APIService",
    "RuntimeClass",
    "CSIDriver",
    "VolumeSnapshotClass",
    "ClusterIssuer",
];

/// The objects of one resource's `manifests` (a list of objects, one object, or nothing).
///
/// # Errors
/// When the artifact is not a list of objects each with `apiVersion`, `kind` and
/// `metadata.name`.
pub fn of_resource(r: &ProvisionedResource) -> Result<Vec<Value>, Diagnostic> {
    objects(r, r.artifacts.get(KEY).cloned())
}

/// [`of_resource`] for `manifests` already taken out of `r` (no copy of the objects is made).
///
/// # Errors
/// As [`of_resource`].
pub fn objects(
    r: &ProvisionedResource,
    manifests: Option<Value>,
) -> Result<Vec<Value>, Diagnostic> {
    let items = match manifests {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Array(items)) => items,
        Some(obj @ Value::Object(_)) => vec![obj],
        Some(other) => {
            return Err(bad(
                r,
                format!("`{KEY}` must be a list of objects, got `{other}`"),
            ))
        }
    };
    let mut out = Vec::new();
    for (i, item) in items.into_iter().enumerate() {
        if item.is_null() {
            continue;
        }
        let missing: Vec<&str> = [
            ("apiVersion", &item["apiVersion"]),
            ("kind", &item["kind"]),
            ("metadata.name", &item["metadata"]["name"]),
        ]
        .into_iter()
        .filter(|(_, v)| v.as_str().is_none_or(str::is_empty))
        .map(|(k, _)| k)
        .collect();
        if !missing.is_empty() {
            return Err(bad(
                r,
                format!("item {i} of `{KEY}` has no {}", missing.join(", no ")),
            ));
        }
        out.push(item);
    }
    Ok(out)
}

fn bad(r: &ProvisionedResource, msg: String) -> Diagnostic {
    Diagnostic::error(
        "score::k8s::manifest",
        format!(
            "resource `{}` (provisioner `{}`): {msg}",
            r.uid, r.record.provisioner
        ),
    )
    .with_help("each manifest needs `apiVersion`, `kind` and `metadata.name`")
}

/// Whether objects of `kind` are namespaced.
pub fn is_namespaced(kind: &str) -> bool {
    !CLUSTER_SCOPED.contains(&kind)
}

/// Set `metadata.namespace` on a namespaced object that has none.
pub fn set_namespace(object: &mut Value, namespace: &str) {
    if !is_namespaced(object["kind"].as_str().unwrap_or_default()) {
        return;
    }
    if let Some(meta) = object.get_mut("metadata").and_then(Value::as_object_mut) {
        meta.entry("namespace")
            .or_insert_with(|| Value::String(namespace.to_string()));
    }
}
