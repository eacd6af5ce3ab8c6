//! # score-k8s
//!
//! Lowers a resolved Score project (workloads plus provisioned resources) to Kubernetes
//! manifests, built with the typed `k8s-openapi` structs.
//!
//! * each workload → a Deployment (or a StatefulSet with `k8s.score.dev/kind: StatefulSet`,
//!   plus its headless Service and `volumeClaimTemplates`), a ClusterIP Service for its ports,
//!   one ConfigMap/Secret per file, and a Secret for the secret values its variables use;
//! * secret output values are written only into `Secret` objects, as `stringData` (plain text
//!   in `manifests.yaml`, base64 once applied): the workload's `<workload>-secrets`, the Secret
//!   of a mounted file whose content uses one, and the Secrets the provisioners render. Env
//!   values that are a secret use `secretKeyRef`, secrets inside text go through helper
//!   variables and `$(VAR)`; a provisioner that puts a secret into any other kind of object
//!   gets a warning (`score::k8s::secret_in_plain_text`). Treat `manifests.yaml` like the
//!   secrets it holds;
//! * each resource contributes the `manifests` its provisioner rendered (deduplicated).
//!
//! Output order is deterministic: the Namespace (when asked for), resources' manifests in
//! provisioning order, then workloads by name, each workload's objects by kind then name.
//!
//! [`K8sBackend`] is the target for score-core's pipeline ([`score_core::generate`]): a Score
//! file to manifests, in memory (the `redis` resource comes from [`DEFAULT_PROVISIONERS`]):
//!
//! ```
//! use score_core::generate::Generate;
//! use score_core::store::MemoryStore;
//! use score_k8s::{K8sBackend, Options};
//!
//! let score = "apiVersion: score.dev/v1b1\nmetadata: {name: web}\ncontainers:\n  main:\n    image: nginx:1.27\n    variables: {CACHE: '${resources.cache.host}'}\nresources:\n  cache: {type: redis}\n";
//! let backend = K8sBackend::new(Options { namespace: Some("shop".into()), ..Options::default() });
//! let generated = Generate::new().score_text("score.yaml", score).run(&backend, MemoryStore::default()).unwrap();
//! let manifests = generated.output.text("manifests.yaml").unwrap();
//! assert!(manifests.contains("kind: Deployment"));
//! assert!(manifests.contains("namespace: shop"));
//! assert!(generated.output.files[0].is_secret()); // it holds the Secret objects
//! ```

#![warn(missing_docs)]

mod backend;
pub mod before;
pub mod containers;
pub mod dedupe;
pub mod env;
pub mod files;
mod lowering;
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

use serde_json::{json, Map, Value};

use score_core::provision::{ProvisionedResource, Resolved, Target, WorkloadInput};
use score_core::Diagnostic;

pub use backend::K8sBackend;
use lowering::Lowering;

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
        // Markers become `secretKeyRef`s (`resolve`, `env`, `files`).
        secret_refs: true,
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

/// The generated manifests as YAML text ([`generate_yaml`]) and warnings.
#[derive(Debug, Clone, Default)]
pub struct YamlOutput {
    /// [`to_yaml`] of [`Output::documents`], byte for byte.
    pub text: String,
    /// As [`Output::warnings`].
    pub warnings: Vec<Diagnostic>,
}

/// Lower everything in `resolved`.
///
/// # Errors
/// Every problem found across all workloads and resources.
pub fn generate(resolved: &Resolved, opts: &Options) -> Result<Output, Vec<Diagnostic>> {
    let mut lowering = Lowering::new(Vec::new(), opts);
    for r in &resolved.resources {
        lowering.resource(r, r.artifacts.get(manifests::KEY).cloned());
    }
    lowering.workloads(resolved);
    let (documents, warnings) = lowering.finish()?;
    Ok(Output {
        documents,
        warnings,
    })
}

/// [`generate`] and [`to_yaml`] in one pass, for when nothing patches the objects (see
/// [`YamlWriter`]); the `manifests` artifacts are taken out of `resolved`.
///
/// # Errors
/// As [`generate`].
pub fn generate_yaml(
    resolved: &mut Resolved,
    opts: &Options,
) -> Result<YamlOutput, Vec<Diagnostic>> {
    let mut writer = YamlWriter::new(opts);
    resolved
        .resources
        .iter_mut()
        .for_each(|r| writer.resource(r));
    writer.finish(resolved)
}

/// [`generate`] and [`to_yaml`] in steps: each object is written as YAML as soon as it is built
/// and then freed, so the objects of hundreds of workloads and resources never exist at once.
///
/// Feed it every resource as it is provisioned, in provisioning order (the `each` hook of
/// [`score_core::project::Project::provision_owned`]), then [`YamlWriter::finish`] it.
pub struct YamlWriter<'o> {
    lowering: Lowering<'o, String>,
}

impl<'o> YamlWriter<'o> {
    /// An empty writer.
    pub fn new(opts: &'o Options) -> Self {
        YamlWriter {
            lowering: Lowering::new(String::new(), opts),
        }
    }

    /// Write the objects of a resource's `manifests`, taking them out of `r`.
    pub fn resource(&mut self, r: &mut ProvisionedResource) {
        let items = r.artifacts.remove(manifests::KEY);
        self.lowering.resource(r, items);
    }

    /// Write every workload's objects; `resolved` holds the resources fed in so far.
    ///
    /// # Errors
    /// As [`generate`].
    pub fn finish(mut self, resolved: &Resolved) -> Result<YamlOutput, Vec<Diagnostic>> {
        self.lowering.workloads(resolved);
        let (text, warnings) = self.lowering.finish()?;
        Ok(YamlOutput { text, warnings })
    }
}

/// Multi-document YAML, `---` before each document, byte-identical for equal input.
pub fn to_yaml(documents: &[Value]) -> String {
    yaml::to_yaml(documents)
}
