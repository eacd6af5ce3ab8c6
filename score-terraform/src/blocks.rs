//! Which keys of a Terraform JSON body are nested blocks.
//!
//! Terraform JSON writes a nested block (`metadata { … }`) and a map attribute
//! (`labels = { … }`) the same way, as a JSON object; Terraform tells them apart with the
//! provider schema. We need to know too: HCL writes them differently, and our canonical JSON
//! writes every nested block as an array of objects so that it says which is which.
//!
//! For `kubernetes_*` types we know the provider's block names (hashicorp/kubernetes 3.2;
//! `tests/provider_schema.rs` checks this table against the real schema); `random_*` types have
//! no blocks; for any other provider, provisioner authors follow the Terraform JSON convention
//! that an array of objects is a sequence of blocks and an object is a map or object value.

use serde_json::Value;

/// Every nested block type name of the hashicorp/kubernetes provider's resources and data
/// sources, sorted.
pub const KUBERNETES_BLOCKS: &[&str] = &[
    "address",
    "affinity",
    "aggregation_rule",
    "allowed_topologies",
    "aws_elastic_block_store",
    "azure_disk",
    "azure_file",
    "backend",
    "behavior",
    "bound_object_ref",
    "capabilities",
    "ceph_fs",
    "cinder",
    "claim_ref",
    "client_config",
    "client_ip",
    "cluster_role_selectors",
    "condition",
    "config_map",
    "config_map_key_ref",
    "config_map_ref",
    "container",
    "container_resource",
    "controller_expand_secret_ref",
    "controller_publish_secret_ref",
    "csi",
    "default_backend",
    "described_object",
    "dns_config",
    "downward_api",
    "egress",
    "empty_dir",
    "endpoint",
    "env",
    "env_from",
    "ephemeral",
    "exec",
    "external",
    "fc",
    "field_manager",
    "field_ref",
    "flex_volume",
    "flocker",
    "from",
    "gce_persistent_disk",
    "git_repo",
    "glusterfs",
    "grpc",
    "host_aliases",
    "host_path",
    "http",
    "http_get",
    "http_header",
    "image_pull_secret",
    "image_pull_secrets",
    "ingress",
    "init_container",
    "ip_block",
    "iscsi",
    "items",
    "job_template",
    "label_selector",
    "lifecycle",
    "limit",
    "liveness_probe",
    "local",
    "match_expression",
    "match_expressions",
    "match_fields",
    "match_label_expressions",
    "metadata",
    "metric",
    "namespace_selector",
    "nfs",
    "node_affinity",
    "node_publish_secret_ref",
    "node_selector_term",
    "node_stage_secret_ref",
    "not_ready_address",
    "object",
    "object_selector",
    "on_exit_codes",
    "on_pod_condition",
    "option",
    "os",
    "parameters",
    "path",
    "persistent_volume_claim",
    "persistent_volume_claim_retention_policy",
    "persistent_volume_source",
    "photon_persistent_disk",
    "pod_affinity",
    "pod_affinity_term",
    "pod_anti_affinity",
    "pod_failure_policy",
    "pod_selector",
    "pods",
    "policy",
    "port",
    "ports",
    "post_start",
    "pre_stop",
    "preference",
    "preferred_during_scheduling_ignored_during_execution",
    "projected",
    "quobyte",
    "rbd",
    "readiness_gate",
    "readiness_probe",
    "required",
    "required_during_scheduling_ignored_during_execution",
    "resource",
    "resource_field_ref",
    "resources",
    "role_ref",
    "rolling_update",
    "rule",
    "scale_down",
    "scale_target_ref",
    "scale_up",
    "scope_selector",
    "se_linux_options",
    "seccomp_profile",
    "secret",
    "secret_key_ref",
    "secret_ref",
    "security_context",
    "selector",
    "service",
    "service_account_token",
    "session_affinity_config",
    "sources",
    "spec",
    "startup_probe",
    "strategy",
    "subject",
    "subset",
    "sysctl",
    "taint",
    "target",
    "target_ref",
    "tcp_socket",
    "template",
    "timeouts",
    "tls",
    "to",
    "toleration",
    "topology_spread_constraint",
    "update_strategy",
    "value_from",
    "volume",
    "volume_claim_template",
    "volume_device",
    "volume_mount",
    "vsphere_volume",
    "wait",
    "webhook",
    "windows_options",
];

/// `(type, path, key)` where a block name is an attribute: `spec.selector` of a Service is a
/// label map, `parameters` of a StorageClass a string map, `manifest`/`object` of
/// `kubernetes_manifest` dynamic values.
const EXCEPTIONS: &[(&str, &str, &str)] = &[
    ("kubernetes_service", "spec", "selector"),
    ("kubernetes_service_v1", "spec", "selector"),
    ("kubernetes_replication_controller", "spec", "selector"),
    ("kubernetes_replication_controller_v1", "spec", "selector"),
    ("kubernetes_storage_class", "", "parameters"),
    ("kubernetes_storage_class_v1", "", "parameters"),
    ("kubernetes_manifest", "", "object"),
    ("kubernetes_manifest", "", "manifest"),
];

/// Whether `value` has the shape of one or more blocks.
fn block_shaped(value: &Value) -> bool {
    match value {
        Value::Object(_) => true,
        Value::Array(xs) => !xs.is_empty() && xs.iter().all(Value::is_object),
        _ => false,
    }
}

/// Whether `key` (at dotted `path` inside a body of resource/data type `rtype`, `""` at the
/// top) is a nested block.
pub fn is_block(rtype: &str, path: &str, key: &str, value: &Value) -> bool {
    if !block_shaped(value) {
        return false;
    }
    if rtype.starts_with("kubernetes_") {
        if EXCEPTIONS
            .iter()
            .any(|(t, p, k)| *t == rtype && *p == path && *k == key)
        {
            return false;
        }
        return KUBERNETES_BLOCKS.binary_search(&key).is_ok();
    }
    if rtype.starts_with("random_") {
        return false;
    }
    // Meta-argument blocks of any resource.
    if path.is_empty() && matches!(key, "lifecycle" | "connection" | "provisioner") {
        return true;
    }
    value.is_array()
}

/// Rewrite a resource body so that every nested block is an array of objects.
pub fn canonical_body(rtype: &str, body: &Value) -> Value {
    canonical_at(rtype, "", body)
}

fn canonical_at(rtype: &str, path: &str, body: &Value) -> Value {
    let Value::Object(map) = body else {
        return body.clone();
    };
    let mut out = serde_json::Map::new();
    for (k, v) in map {
        if is_block(rtype, path, k, v) {
            let sub = if path.is_empty() {
                k.clone()
            } else {
                format!("{path}.{k}")
            };
            let items: Vec<Value> = match v {
                Value::Array(xs) => xs.iter().map(|x| canonical_at(rtype, &sub, x)).collect(),
                one => vec![canonical_at(rtype, &sub, one)],
            };
            out.insert(k.clone(), Value::Array(items));
        } else {
            out.insert(k.clone(), v.clone());
        }
    }
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn table_is_sorted() {
        assert!(KUBERNETES_BLOCKS.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn object_blocks_become_arrays() {
        let body = json!({
            "metadata": {"name": "x", "labels": {"a": "b"}},
            "spec": {"selector": {"app": "x"}, "port": [{"port": 80}, {"port": 81}]}
        });
        let c = canonical_body("kubernetes_service_v1", &body);
        assert_eq!(
            c,
            json!({
                "metadata": [{"name": "x", "labels": {"a": "b"}}],
                "spec": [{"selector": {"app": "x"}, "port": [{"port": 80}, {"port": 81}]}]
            })
        );
        let d = canonical_body(
            "kubernetes_deployment_v1",
            &json!({"spec": {"selector": {"match_labels": {"a": "b"}}}}),
        );
        assert_eq!(
            d,
            json!({"spec": [{"selector": [{"match_labels": {"a": "b"}}]}]})
        );
        let r = canonical_body(
            "random_password",
            &json!({"length": 3, "keepers": {"a": "b"}}),
        );
        assert_eq!(r, json!({"length": 3, "keepers": {"a": "b"}}));
    }
}
