//! # score-terraform
//!
//! Lowers a resolved Score project to a Terraform root module for the hashicorp/kubernetes
//! provider (3.2): `main.tf`, `variables.tf`, `outputs.tf`, `versions.tf` (or the same as
//! `*.tf.json`).
//!
//! Placeholders become Terraform references resolved at apply time: a resource's outputs are
//! Terraform template fragments (`${kubernetes_service_v1.postgres-web-db.metadata[0].name}`,
//! `${module.orders-db.db_instance_address}`), `${metadata.*}` is resolved now, and literal
//! text is escaped (`$${`, `%%{`) so Terraform does not interpolate it. Passwords are
//! `random_password` resources, so neither the state nor the generated files hold a secret.
//!
//! The module is built from Terraform JSON values ([`module::Module`]); HCL is rendered from
//! those values ([`render`]), block by block as they are made, so both formats say the same
//! thing.
//!
//! [`TerraformBackend`] is the target for score-core's pipeline ([`score_core::generate`]):
//!
//! ```
//! use score_core::generate::Generate;
//! use score_core::store::MemoryStore;
//! use score_terraform::{Options, TerraformBackend};
//!
//! let score = "apiVersion: score.dev/v1b1\nmetadata: {name: web}\ncontainers:\n  main: {image: nginx:1.27}\nservice:\n  ports: {http: {port: 80}}\n";
//! let backend = TerraformBackend::new(Options::default());
//! let generated = Generate::new().score_text("score.yaml", score).run(&backend, MemoryStore::default()).unwrap();
//! let names: Vec<_> = generated.output.files.iter().map(|f| f.path.display().to_string()).collect();
//! assert_eq!(names, ["score-terraform/main.tf", "score-terraform/variables.tf", "score-terraform/outputs.tf", "score-terraform/versions.tf"]);
//! assert!(generated.output.text("score-terraform/main.tf").unwrap().contains("resource \"kubernetes_deployment_v1\" \"web\""));
//! ```
//!
//! What the provisioner engine sees of this target:
//!
//! ```
//! use score_terraform::{target, Options, TARGET};
//! let t = target(&[], &Options::default());
//! assert_eq!(t.name, TARGET);
//! assert_eq!(t.vars["namespace"], "${var.namespace}");
//! ```

#![warn(missing_docs)]

pub mod align;
mod backend;
pub mod blocks;
pub mod module;
pub mod names;
pub mod quantity;
pub mod render;
pub mod tmpl;
pub mod workload;

pub use backend::TerraformBackend;
use score_core::provision::{ProvisionedResource, Resolved, Target, WorkloadInput};
use score_core::uid::ResourceUid;
use score_core::Diagnostic;
use serde_json::{json, Map, Value};

/// The default provisioners of the terraform target.
pub const DEFAULT_PROVISIONERS: &str = include_str!("../provisioners/default.provisioners.yaml");
/// The target name: selects the state section and the provisioners (`targets: [terraform]`).
pub const TARGET: &str = "terraform";
/// The template key of a provisioner's Terraform artifact.
pub const ARTIFACT_KEY: &str = "terraform";

/// Output syntax.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    /// Native syntax (`*.tf`), formatted like `terraform fmt`.
    #[default]
    Hcl,
    /// JSON syntax (`*.tf.json`).
    Json,
}

impl Format {
    /// The file extension of this syntax, without the dot.
    ///
    /// ```
    /// assert_eq!(score_terraform::Format::Json.extension(), "tf.json");
    /// ```
    pub fn extension(self) -> &'static str {
        match self {
            Format::Hcl => "tf",
            Format::Json => "tf.json",
        }
    }

    /// The file name of one of the module's files (`main` → `main.tf`).
    pub fn file_name(self, name: &str) -> String {
        format!("{name}.{}", self.extension())
    }
}

/// Generation options.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Output syntax.
    pub format: Format,
}

/// The generated module.
#[derive(Debug, Clone, Default)]
pub struct Output {
    /// `(file name, contents)`: `main`, `variables`, `outputs`, `versions` (`.tf` or `.tf.json`).
    pub files: Vec<(String, String)>,
    /// Things the user should know (dropped probes, literal secrets, …).
    pub warnings: Vec<Diagnostic>,
}

/// Describe the target to the provisioner engine.
///
/// Template inputs it adds: `namespace` (`${var.namespace}`), `resource_names` (resource UID →
/// a name valid as a Terraform label and a Kubernetes name, e.g. `postgres-web-db`) and
/// `workload_services` (workload → `{label, service, ports}`, where `service` is the Terraform
/// reference to its Service name, or null when it has no ports).
pub fn target(workloads: &[WorkloadInput], _opts: &Options) -> Target {
    let mut resource_names = Map::new();
    let mut services = Map::new();
    for w in workloads {
        let wl = &w.workload;
        for (name, r) in &wl.resources {
            let uid = ResourceUid::of(wl.name(), name, r);
            resource_names.insert(uid.to_string(), names::resource_name(&uid).into());
        }
        let label = names::workload_name(wl.name());
        let ports: Map<String, Value> = wl
            .ports()
            .map(|(n, p)| {
                (
                    n.clone(),
                    json!({"port": p.port, "target_port": p.target(), "protocol": p.protocol.as_str()}),
                )
            })
            .collect();
        let service = if ports.is_empty() {
            Value::Null
        } else {
            workload::metadata_name("kubernetes_service_v1", &label).into()
        };
        services.insert(
            wl.name().to_string(),
            json!({"label": label, "service": service, "ports": ports}),
        );
    }
    let mut vars = Map::new();
    vars.insert("namespace".into(), tmpl::interp("var.namespace").into());
    vars.insert("resource_names".into(), Value::Object(resource_names));
    vars.insert("workload_services".into(), Value::Object(services));
    Target {
        name: TARGET.into(),
        artifact_keys: vec![ARTIFACT_KEY.into()],
        vars,
        secret_refs: false,
    }
}

/// Lower a resolved project to a Terraform module.
///
/// # Errors
/// Every problem found: clashing blocks, unreadable files, invalid annotations, bad
/// provisioner artifacts.
pub fn generate(resolved: &Resolved, opts: &Options) -> Result<Output, Vec<Diagnostic>> {
    let mut writer = ModuleWriter::new(opts);
    for r in &resolved.resources {
        writer.builder.resource(r, r.artifacts.get(ARTIFACT_KEY));
    }
    writer.finish(resolved)
}

/// [`generate`] in steps: feed it every resource as it is provisioned, in provisioning order
/// (the pipeline's [`score_core::backend::Streaming`]), then [`ModuleWriter::finish`] it.
///
/// Each resource's `terraform` artifact is taken out of it and, for HCL, rendered to text at
/// once: at 1,000 workloads the artifact trees held until the end were half of the peak memory.
///
/// ```
/// use score_core::provision::{parse_provisioner_file, provision, WorkloadInput};
/// use score_core::{load::load_source, state::TargetState, SourceFile};
/// use score_terraform::{target, ModuleWriter, Options, ARTIFACT_KEY, DEFAULT_PROVISIONERS};
///
/// let score = "apiVersion: score.dev/v1b1\nmetadata: {name: web}\ncontainers:\n  main: {image: nginx}\nresources:\n  db: {type: postgres}\n";
/// let loaded = load_source(SourceFile::new("score.yaml", score), ".".as_ref(), None).unwrap();
/// let workloads = [WorkloadInput::new(loaded.workload, ".".into())];
/// let defaults = parse_provisioner_file(&SourceFile::new("defaults", DEFAULT_PROVISIONERS)).unwrap();
/// let opts = Options::default();
/// let mut resolved =
///     provision(&mut TargetState::default(), &workloads, &defaults, &target(&workloads, &opts)).unwrap();
///
/// let mut writer = ModuleWriter::new(&opts);
/// for r in &mut resolved.resources {
///     writer.resource(r); // as soon as each is provisioned, in a real pipeline
/// }
/// assert!(!resolved.resources[0].artifacts.contains_key(ARTIFACT_KEY));
/// let out = writer.finish(&resolved).unwrap();
/// assert!(out.files[0].1.contains("resource \"kubernetes_stateful_set_v1\" \"postgres-web-db\""));
/// ```
pub struct ModuleWriter {
    builder: Builder,
    format: Format,
}

impl ModuleWriter {
    /// An empty module.
    pub fn new(opts: &Options) -> Self {
        let module = match opts.format {
            // Blocks are rendered as they are made (see `module`).
            Format::Hcl => module::Module::for_hcl(),
            Format::Json => module::Module::new(),
        };
        ModuleWriter {
            builder: Builder::new(module),
            format: opts.format,
        }
    }

    /// Merge a resource's `terraform` artifact, taking it out of `r`.
    pub fn resource(&mut self, r: &mut ProvisionedResource) {
        let artifact = r.artifacts.remove(ARTIFACT_KEY);
        self.builder.resource(r, artifact.as_ref());
    }

    /// Lower every workload and write the files; `resolved` holds the resources fed in.
    ///
    /// # Errors
    /// As [`generate`].
    pub fn finish(self, resolved: &Resolved) -> Result<Output, Vec<Diagnostic>> {
        let (module, warnings) = self.builder.finish(resolved)?;
        let files = match self.format {
            Format::Json => module
                .into_files()
                .into_iter()
                .map(|(name, value)| (Format::Json.file_name(name), render::to_json(&value)))
                .collect(),
            Format::Hcl => module
                .into_hcl()?
                .into_iter()
                .map(|(name, text)| (Format::Hcl.file_name(name), text))
                .collect(),
        };
        Ok(Output { files, warnings })
    }
}

/// The module as Terraform JSON values by file (`main`, `variables`, `outputs`, `versions`).
///
/// # Errors
/// As [`generate`].
pub fn module_files(resolved: &Resolved) -> Result<Vec<(&'static str, Value)>, Vec<Diagnostic>> {
    Ok(build(resolved, module::Module::new())?.0.into_files())
}

/// [`module_files`] and the warnings found on the way.
///
/// # Errors
/// As [`generate`].
#[allow(clippy::type_complexity)]
pub fn module_files_and_warnings(
    resolved: &Resolved,
) -> Result<(Vec<(&'static str, Value)>, Vec<Diagnostic>), Vec<Diagnostic>> {
    let (module, warnings) = build(resolved, module::Module::new())?;
    Ok((module.into_files(), warnings))
}

fn build(
    resolved: &Resolved,
    module: module::Module,
) -> Result<(module::Module, Vec<Diagnostic>), Vec<Diagnostic>> {
    let mut builder = Builder::new(module);
    for r in &resolved.resources {
        builder.resource(r, r.artifacts.get(ARTIFACT_KEY));
    }
    builder.finish(resolved)
}

/// Builds a module resource by resource (in provisioning order), then workload by workload.
///
/// Fed as each resource is provisioned (the pipeline's [`score_core::backend::Streaming`]), a
/// module for HCL turns every provisioner artifact into text at once, so the artifact trees of
/// thousands of resources never exist together.
struct Builder {
    module: module::Module,
    errors: Vec<Diagnostic>,
    /// Warnings about the resources fed in (the pipeline's own come first in [`Builder::finish`]).
    warnings: Vec<Diagnostic>,
}

impl Builder {
    fn new(mut module: module::Module) -> Self {
        let mut errors = Vec::new();
        let namespace = json!({
            "type": "string",
            "description": "Kubernetes namespace of every object in this module",
            "default": "default",
        });
        if let Err(d) = module.add("variable", &["namespace"], namespace, "score-rs") {
            errors.push(*d);
        }
        Builder {
            module,
            errors,
            warnings: Vec::new(),
        }
    }

    /// Merge a resource's `terraform` artifact and warn about literal secret outputs.
    fn resource(&mut self, r: &ProvisionedResource, artifact: Option<&Value>) {
        for key in &r.record.secret_outputs {
            if let Some(Value::String(s)) = r.record.outputs.get(key) {
                if !tmpl::is_dynamic(s) {
                    self.warnings.push(
                        Diagnostic::warning(
                            "score::terraform::literal-secret",
                            format!("secret output `{key}` of resource `{}` is a literal value, so it is written into the generated files", r.uid),
                        )
                        .with_help("generate secrets at apply time: a `random_password` block in the provisioner's `terraform` template, and `${random_password.<name>.result}` as the output"),
                    );
                }
            }
        }
        if let Some(a) = artifact {
            let origin = format!(
                "provisioner `{}` (resource `{}`)",
                r.record.provisioner, r.uid
            );
            if let Err(mut e) = self.module.merge_artifact(a, &origin) {
                self.errors.append(&mut e);
            }
        }
    }

    /// Lower every workload; `resolved` holds the resources fed in.
    fn finish(
        mut self,
        resolved: &Resolved,
    ) -> Result<(module::Module, Vec<Diagnostic>), Vec<Diagnostic>> {
        let mut warnings = resolved.warnings.clone();
        warnings.append(&mut self.warnings);
        for w in resolved.workloads.values() {
            if let Err(mut e) = workload::lower(&mut self.module, resolved, w, &mut warnings) {
                self.errors.append(&mut e);
            }
        }
        if self.errors.is_empty() {
            Ok((self.module, warnings))
        } else {
            Err(self.errors)
        }
    }
}
