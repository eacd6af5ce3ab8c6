//! The provisioner engine: turns each resource a workload requests into outputs (and
//! target-specific artifacts such as compose services or Kubernetes manifests).
//!
//! Target-neutral: a backend describes itself with a [`Target`] (its name, the extra template
//! keys its provisioners may carry, extra template inputs) and consumes [`Resolved`].
//!
//! Steps of [`provision`]: collect resource requests by UID (shared ones merged, conflicts
//! rejected) → order them by the placeholders in their params (cycles rejected) → for each:
//! substitute params, match a provisioner, run it with the previous state → drop resources no
//! workload uses any more.

mod cache;
mod command;
mod dialect;
mod engine;
pub mod engines;
mod file;
pub mod functions;
mod gotemplate;
mod template;
#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::diagnostic::Diagnostic;
use crate::ir::Workload;
use crate::load::{LoadedWorkload, Origin};
use crate::state::ResourceRecord;
use crate::uid::ResourceUid;

pub use dialect::Syntax;
pub use engine::{provision, provision_owned};
pub use file::{
    describe, load_provisioner_files, load_provisioner_files_for, parse_provisioner_file,
    Provisioner, ProvisionerKind, PROVISIONER_FILE_SUFFIX,
};
pub(crate) use file::{first_serving, load_provisioners_serving, Need};
pub use gotemplate::supported_functions as go_template_functions;

/// What a backend tells the engine about itself.
#[derive(Debug, Clone, Default)]
pub struct Target {
    /// `compose`, `k8s`, `terraform`: selects the state section and the provisioners.
    pub name: String,
    /// Template keys beyond `init`/`state`/`shared`/`outputs` that this target's provisioners
    /// render (compose: `services`, `volumes`, `networks`, `files`, `info_logs`; k8s: `manifests`).
    /// `warnings` is understood on every target and need not be listed.
    pub artifact_keys: Vec<String>,
    /// Extra template inputs, e.g. `namespace` or `workload_services`.
    pub vars: Map<String, Value>,
    /// Whether the backend resolves score-k8s's secret references ([`crate::secret_ref`]) in
    /// outputs; when it does not, an output holding one is an error at provisioning.
    pub secret_refs: bool,
}

/// A workload to provision resources for.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WorkloadInput {
    /// The validated workload.
    pub workload: Workload,
    /// Directory its file `source`s resolve against.
    pub base_dir: PathBuf,
    /// Its Score file and tree, when it was loaded in this run (workloads read back from the
    /// state have none), so later diagnostics can point at the line. Not part of the
    /// serialised form: it is the source text itself, for diagnostics only.
    #[serde(skip)]
    pub origin: Option<Origin>,
}

impl WorkloadInput {
    /// A workload without a known Score file.
    pub fn new(workload: Workload, base_dir: PathBuf) -> Self {
        WorkloadInput {
            workload,
            base_dir,
            origin: None,
        }
    }
}

impl From<LoadedWorkload> for WorkloadInput {
    fn from(loaded: LoadedWorkload) -> Self {
        let (workload, base_dir, origin) = loaded.into_parts();
        WorkloadInput {
            workload,
            base_dir,
            origin: Some(origin),
        }
    }
}

/// A resource after its provisioner ran.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProvisionedResource {
    /// Its UID.
    pub uid: ResourceUid,
    /// What is stored in state (guid, params, outputs, secret outputs, …).
    pub record: ResourceRecord,
    /// Target-specific results by template key (e.g. `services` → a map of compose services).
    /// Keys the provisioner did not set are absent.
    pub artifacts: BTreeMap<String, Value>,
    /// The provisioner file of the entry that ran, as it was read (for messages about what it
    /// rendered).
    pub provisioner_file: String,
    /// Whether its provisioner wrote to the shared state. What such a provisioner renders for
    /// a shared instance (a gateway's routes) grows from one resource to the next, so a backend
    /// that sees the same object from it twice keeps the later one, as score-compose does.
    pub wrote_shared: bool,
}

/// A workload with the UIDs its resource names map to.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ResolvedWorkload {
    /// The workload.
    pub workload: Workload,
    /// Directory its file `source`s resolve against.
    pub base_dir: PathBuf,
    /// Resource name → UID.
    pub resources: BTreeMap<String, ResourceUid>,
    /// Its Score file and tree, when known (see [`WorkloadInput::origin`]); not serialised.
    #[serde(skip)]
    pub origin: Option<Origin>,
}

impl ResolvedWorkload {
    /// `d` pointing at the field at `path` of the Score file (`["containers", "main",
    /// "variables", "DB"]`), when the file is known; `d` unchanged otherwise.
    pub fn locate<S: AsRef<str>>(&self, d: Diagnostic, path: &[S]) -> Diagnostic {
        Origin::locate(self.origin.as_ref(), d, path)
    }
}

/// The outcome of provisioning: what backends lower. Plain data: it serialises to JSON (and
/// back) for a backend that runs as another program.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Resolved {
    /// Workloads by name.
    pub workloads: BTreeMap<String, ResolvedWorkload>,
    /// Resources in provisioning order (dependencies first, then by UID).
    pub resources: Vec<ProvisionedResource>,
    /// The target's shared state after all provisioners ran.
    pub shared_state: Map<String, Value>,
    /// Warnings of the run: params the serving provisioner does not declare, and what
    /// provisioners reported through their `warnings` template key.
    /// Not serialised: warnings are reported by the run, not handed on as data.
    #[serde(skip)]
    pub warnings: Vec<crate::Diagnostic>,
    /// Position of each UID in `resources`, built on the first lookup: backends look resources
    /// up per workload and per placeholder, and a scan made that quadratic in the project size.
    #[serde(skip)]
    index: OnceLock<HashMap<ResourceUid, usize>>,
}

impl Resolved {
    /// The outcome of provisioning `resources` for `workloads`.
    pub fn new(
        workloads: BTreeMap<String, ResolvedWorkload>,
        resources: Vec<ProvisionedResource>,
        shared_state: Map<String, Value>,
    ) -> Self {
        Resolved {
            workloads,
            resources,
            shared_state,
            warnings: Vec::new(),
            index: OnceLock::new(),
        }
    }

    /// The resource with this UID.
    ///
    /// ```
    /// use score_core::provision::Resolved;
    /// use score_core::uid::ResourceUid;
    /// let r = Resolved::default();
    /// assert!(r.resource(&ResourceUid::new("redis", "default", None, "web", "c")).is_none());
    /// ```
    pub fn resource(&self, uid: &ResourceUid) -> Option<&ProvisionedResource> {
        let index = self.index.get_or_init(|| {
            let positions = self.resources.iter().enumerate();
            positions.map(|(i, r)| (r.uid.clone(), i)).collect()
        });
        // `resources` is public and may have changed since the index was built: trust a
        // position only when it still holds that UID, and scan otherwise.
        index
            .get(uid)
            .and_then(|&i| self.resources.get(i))
            .filter(|r| &r.uid == uid)
            .or_else(|| self.resources.iter().find(|r| &r.uid == uid))
    }

    /// Resource name → outputs object for one workload: the `resources` root of its placeholders.
    pub fn outputs_for(&self, workload: &str) -> BTreeMap<String, Value> {
        let Some(w) = self.workloads.get(workload) else {
            return BTreeMap::new();
        };
        w.resources
            .iter()
            .filter_map(|(name, uid)| {
                Some((
                    name.clone(),
                    Value::Object(self.resource(uid)?.record.outputs.clone()),
                ))
            })
            .collect()
    }

    /// Whether `${resources.<name>.<output>}` of `workload` is a secret output.
    pub fn is_secret(&self, workload: &str, name: &str, output: &str) -> bool {
        self.workloads
            .get(workload)
            .and_then(|w| w.resources.get(name))
            .and_then(|uid| self.resource(uid))
            .is_some_and(|r| r.record.secret_outputs.contains(output))
    }

    /// Every secret output value of every resource (to check that none leaks).
    pub fn secret_values(&self) -> Vec<String> {
        let mut out = Vec::new();
        for r in &self.resources {
            for key in &r.record.secret_outputs {
                if let Some(v) = r.record.outputs.get(key) {
                    out.push(crate::placeholder::value_to_string(v));
                }
            }
        }
        out.sort();
        out.dedup();
        out
    }
}

/// What a provisioner run receives: template/JSON inputs plus previous and shared state.
#[derive(Debug, Clone, Default)]
pub(crate) struct RunInputs {
    /// guid, uid, type, class, id, params, metadata, source_workload.
    pub context: Map<String, Value>,
    /// The target's vars (and `workloads`), converted once per run: with hundreds of workloads
    /// `workload_services` is large, and copying it per resource made provisioning quadratic.
    pub vars: std::sync::Arc<Map<String, Value>>,
    /// `vars` as a template value.
    pub vars_template: minijinja::Value,
    /// The resource's previous private state.
    pub state: Map<String, Value>,
    /// The target's shared state so far.
    pub shared: Map<String, Value>,
}

/// What a provisioner run produced.
#[derive(Debug, Clone, Default)]
pub(crate) struct Outcome {
    /// New private state.
    pub state: Map<String, Value>,
    /// Updates to merge into the shared state.
    pub shared: Map<String, Value>,
    /// Outputs.
    pub outputs: Map<String, Value>,
    /// Target artifacts by key.
    pub artifacts: BTreeMap<String, Value>,
    /// Secret output keys a command provisioner declared at run time.
    pub extra_secret_outputs: Vec<String>,
}

/// A fresh random source for templates outside the engine (patch templates).
pub fn template_random() -> functions::Random {
    functions::Random::for_resource("patch")
}

/// The template environment provisioners render in (shared with patch templates).
pub fn template_environment(random: &functions::Random) -> minijinja::Environment<'static> {
    functions::environment(random)
}
