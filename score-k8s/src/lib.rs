//! # score-k8s
//!
//! Lowers a resolved Score project (workloads plus provisioned resources) to Kubernetes
//! manifests, built with the typed `k8s-openapi` structs.
//!
//! * each workload → a Deployment (or a StatefulSet with `k8s.score.dev/kind: StatefulSet`,
//!   plus its headless Service and `volumeClaimTemplates`), a ClusterIP Service for its ports,
//!   one ConfigMap/Secret per file, and a Secret for the secret values its variables use;
//! * secret outputs never appear in plain text: env values that are a secret use
//!   `secretKeyRef`, secrets inside text go through helper variables and `$(VAR)`;
//! * each resource contributes the `manifests` its provisioner rendered (deduplicated).
//!
//! Output order is deterministic: the Namespace (when asked for), resources' manifests in
//! provisioning order, then workloads by name, each workload's objects by kind then name.

pub mod before;
pub mod containers;
pub mod dedupe;
pub mod env;
pub mod files;
pub mod manifests;
pub mod names;
pub mod probes;
pub mod quantity;
pub mod resolve;
pub mod secrets;
pub mod service;
pub mod typed;
pub mod volumes;
pub mod workload;
pub mod yaml;

use k8s_openapi::api::core::v1::Namespace;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde_json::{json, Map, Value};

use score_core::provision::{Resolved, Target, WorkloadInput};
use score_core::Diagnostic;

/// The default provisioners for this target (written as `zz-default.provisioners.yaml`).
pub const DEFAULT_PROVISIONERS: &str = include_str!("../provisioners/default.provisioners.yaml");

/// The target name: selects the state section and the provisioners (`targets: [k8s]`).
pub const TARGET: &str = "k8s";

/// Options of `generate --target k8s`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Options {
    /// Namespace set on every namespaced object that has none (and given to provisioners).
    pub namespace: Option<String>,
    /// Also emit the Namespace object (needs `namespace`).
    pub generate_namespace: bool,
}

/// What this backend tells the provisioner engine: its name, the `manifests` template key, and
/// the template inputs `namespace` (string or null) and `workload_services` (workload name →
/// `{service_name, ports: {<name>: {port, targetPort, protocol}}}`).
pub fn target(workloads: &[WorkloadInput], opts: &Options) -> Target {
    let services: Map<String, Value> = workloads
        .iter()
        .map(|w| {
            let ports: Map<String, Value> = w
                .workload
                .ports()
                .map(|(n, p)| (n.clone(), json!({"port": p.port, "targetPort": p.target(), "protocol": p.protocol.as_str()})))
                .collect();
            (w.workload.name().to_string(), json!({"service_name": names::service_name(&w.workload), "ports": ports}))
        })
        .collect();
    let mut vars = Map::new();
    vars.insert(
        "namespace".into(),
        opts.namespace.clone().map_or(Value::Null, Value::String),
    );
    vars.insert("workload_services".into(), Value::Object(services));
    Target {
        name: TARGET.to_string(),
        artifact_keys: vec![manifests::KEY.to_string()],
        vars,
    }
}

/// The generated objects (patch templates run on these) and warnings.
#[derive(Debug, Clone, Default)]
pub struct Output {
    /// One Kubernetes object per document, in output order.
    pub documents: Vec<Value>,
    /// Things that were left out or look wrong, with why.
    pub warnings: Vec<Diagnostic>,
}

/// Lower everything in `resolved`.
///
/// # Errors
/// Every problem found across all workloads and resources.
pub fn generate(resolved: &Resolved, opts: &Options) -> Result<Output, Vec<Diagnostic>> {
    let mut errors = Vec::new();
    let mut warnings = Vec::new();
    if let Some(ns) = &opts.namespace {
        if !names::is_dns_label(ns) {
            errors.push(Diagnostic::error(
                "score::k8s::namespace",
                format!("namespace `{ns}` is not valid: at most 63 lower-case letters, digits and `-`, starting and ending with a letter or digit"),
            ));
        }
    } else if opts.generate_namespace {
        errors.push(
            Diagnostic::error(
                "score::k8s::namespace",
                "`--generate-namespace` needs a namespace",
            )
            .with_help("add `--namespace <name>`"),
        );
    }
    let secret_values = resolve::SecretValues::new(resolved.secret_values());
    let mut objects: Vec<(Value, String)> = Vec::new();
    for r in &resolved.resources {
        match manifests::of_resource(r) {
            Ok(items) => {
                for item in items {
                    if let Some(w) = plain_secret_warning(&item, &secret_values, &r.uid.to_string())
                    {
                        warnings.push(w);
                    }
                    objects.push((item, format!("resource `{}`", r.uid)));
                }
            }
            Err(d) => errors.push(d),
        }
    }
    for (name, rw) in &resolved.workloads {
        match workload::lower(rw, resolved, &secret_values) {
            Ok(l) => {
                warnings.extend(l.warnings);
                objects.extend(
                    l.objects
                        .into_iter()
                        .map(|o| (o, format!("workload `{name}`"))),
                );
            }
            Err(es) => errors.extend(es),
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    if let Some(ns) = &opts.namespace {
        objects
            .iter_mut()
            .for_each(|(o, _)| manifests::set_namespace(o, ns));
    }
    let mut documents = Vec::new();
    if let (Some(ns), true) = (&opts.namespace, opts.generate_namespace) {
        let namespace = Namespace {
            metadata: ObjectMeta {
                name: Some(ns.clone()),
                ..ObjectMeta::default()
            },
            ..Namespace::default()
        };
        documents.push(serde_json::to_value(namespace).expect("a Namespace serialises"));
    }
    documents.extend(dedupe::dedupe(objects)?);
    Ok(Output {
        documents,
        warnings,
    })
}

/// Multi-document YAML, `---` before each document, byte-identical for equal input.
pub fn to_yaml(documents: &[Value]) -> String {
    yaml::to_yaml(documents)
}

/// A warning when a provisioner put a secret value into an object other than a Secret.
fn plain_secret_warning(
    object: &Value,
    secret_values: &resolve::SecretValues,
    uid: &str,
) -> Option<Diagnostic> {
    if object["kind"] == "Secret" {
        return None;
    }
    let text = object.to_string();
    // Short values (a port that happens to be marked secret) would match by accident.
    let leaked = secret_values.long_in(&text);
    leaked.then(|| {
        Diagnostic::warning(
            "score::k8s::secret_in_plain_text",
            format!(
                "resource `{uid}`: its provisioner put a secret value into {} `{}`, which is not a Secret",
                object["kind"].as_str().unwrap_or("an object"),
                object["metadata"]["name"].as_str().unwrap_or("?")
            ),
        )
        .with_help("keep secrets in a Secret and reference them with `secretKeyRef`")
    })
}
