//! # score-compose
//!
//! Lowers a resolved Score project (workloads plus provisioned resources, see
//! [`score_core::provision`]) to a docker-compose project.
//!
//! The pipeline a CLI runs:
//!
//! 1. parse [`DEFAULT_PROVISIONERS`] (and the user's provisioner files),
//! 2. describe this backend to the engine with [`target`],
//! 3. run [`score_core::provision::provision`],
//! 4. [`generate`] the compose document and the files to write under the mounts directory,
//! 5. optionally patch [`Output::document`], then serialise it with [`to_yaml`] and write the
//!    [`GeneratedFile`]s ([`sync_files`] keeps the mounts directory in step across runs).
//!
//! ```
//! use score_core::provision::{parse_provisioner_file, provision, WorkloadInput};
//! use score_core::state::TargetState;
//! use score_core::SourceFile;
//!
//! let spec = "apiVersion: score.dev/v1b1\nmetadata: {name: web}\ncontainers:\n  main:\n    image: nginx:1.27\n    variables: {DB: \"${resources.db.host}\"}\nresources:\n  db: {type: redis}\n";
//! let loaded = score_core::load::load_source(SourceFile::new("score.yaml", spec), ".".as_ref(), None).unwrap();
//! let inputs = vec![WorkloadInput::from(loaded)];
//!
//! let opts = score_compose::Options { project: "demo".into(), mounts_dir: ".score-rs/mounts".into(), compose_dir: ".".into(), ..Default::default() };
//! let provisioners = parse_provisioner_file(&SourceFile::new("zz-default.provisioners.yaml", score_compose::DEFAULT_PROVISIONERS)).unwrap();
//! let mut state = TargetState::default();
//! let resolved = provision(&mut state, &inputs, &provisioners, &score_compose::target(&inputs, &opts)).unwrap();
//!
//! let out = score_compose::generate(&resolved, &opts).unwrap();
//! let yaml = score_compose::to_yaml(&out.document);
//! assert!(yaml.contains("web-main:"));
//! assert!(yaml.contains("hostname: web"));
//! ```
//!
//! ## Lowering rules
//!
//! * **Services** are named `<workload>-<container>`. A workload's containers share one network
//!   namespace, owned by the first container by name (skipping init containers — those another
//!   container waits to `complete` — and containers that wait for one in the namespace), which
//!   gets `hostname: <workload>`; the others get `network_mode: service:<owner>`. Peers reach a
//!   workload at the owner's service name (`workload_services[..].hostname`).
//! * **`command`/`args`** become `entrypoint`/`command`. They are not substituted, but Score's
//!   `$$` escape is honoured (`$${X}` reaches the container as `${X}`, as with score-compose) and
//!   every `$` of the result is doubled so compose never interpolates it.
//! * **`variables`** become `environment`: placeholders substituted, every literal `$` and every
//!   `$` in a substituted value doubled. `${resources.<env>.KEY}` of an `environment` resource
//!   becomes the compose-time reference `${KEY}` (listed in the `.env` skeleton); in file
//!   contents it is read from the process environment when generating (unset: an error).
//! * **Secrets stay out of `compose.yaml`**: every `environment` entry of any service whose value
//!   contains a secret output moves to `secrets/<service>.env` (mode 0600) under the mounts
//!   directory, referenced by `env_file`; any secret still left in the document is a warning.
//! * **`files`** are written under the mounts directory, one flat entry each, at
//!   `files/<workload>.<container>.<target path escaped>` (so targets never collide), with their
//!   `mode`, binary content decoded, placeholders substituted unless `noExpand`, and
//!   bind-mounted read-only. `source` is read relative to the Score file.
//! * **`volumes`** take `type`/`source` from the volume resource's outputs (`volume`, `bind`,
//!   `tmpfs`); `path` becomes the sub-path; `readOnly` is kept.
//! * **Probes**: `readinessProbe`, else `livenessProbe`, becomes the `healthcheck`; `exec` as
//!   `[CMD, …]`; `httpGet` as a `CMD-SHELL` running `wget`, else `curl`, inside the container,
//!   always with a warning because the image may lack both (see the `probes` module docs).
//! * **Resources** (cpu/memory) become `deploy.resources.limits|reservations` (`500m` → `"0.5"`,
//!   `128Mi` → `128m`).
//! * **Dependencies**: `before` becomes `depends_on` (`service_started`, `service_healthy`,
//!   `service_completed_successfully`); every container also waits for the services its
//!   workload's resources created — healthy when they have a health check, or as the service's
//!   `x-score-rs-wait` marker says (`service_completed_successfully` for one-off jobs such as
//!   bucket creation, `none` for the route gateway); the marker is removed from the output.
//! * **Resource artifacts** (`services`, `volumes`, `networks`) are merged into the document:
//!   identical duplicates once, conflicting definitions (or a name a workload uses) an error.
//! * **`metadata.annotations`** become each service's `annotations` (as score-compose does);
//!   **`service.ports`** the network owner's `expose` (reachable by the project's services, not
//!   published on the host).
//! * **`--publish`** adds `ports` to the workload's network owner (a named port maps to its
//!   `targetPort` and protocol) or to the service running a resource. The resource annotations
//!   `compose.score.dev/publish-port: "<host port>"` (the resource's `port` output, else the port
//!   of its `endpoint`) and `compose.score.dev/publish-management-port` (RabbitMQ's UI 15672,
//!   the MinIO console 9001) do the same for a resource. **`--build`** replaces the
//!   image with a build context; image `"."` without one is built from the Score file's
//!   directory (an info line says so).

#![warn(missing_docs)]

mod backend;
mod escape;
mod files;
mod mounts;
mod options;
mod paths;
mod probes;
mod quantity;
mod resolve;
mod resources;
mod secrets;
mod service;
mod spec;
mod spec_keys;
mod volumes;
mod yaml;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::PathBuf;

use docker_compose_types::{
    BuildStep, Compose, ComposeVolume, MapOrEmpty, Services, TopLevelVolumes,
};
use serde_json::{json, Map, Value};

use score_core::placeholder;
use score_core::provision::{Resolved, Target, WorkloadInput};
use score_core::uid::ResourceUid;
use score_core::{Diagnostic, DiagnosticsExt};

use crate::options::{Build, Publish};

pub use crate::backend::ComposeBackend;
pub use crate::mounts::{
    make_dirs, planned_dirs, prune_stale_files, remove_unused_dirs, sync_directories, sync_files,
    sync_files_keeping, write_files, GeneratedFile, MANIFEST,
};

/// The default compose provisioners, written to the state directory as
/// `zz-default.provisioners.yaml` by `init`. Every entry is restricted to `targets: [compose]`.
///
/// Types: `postgres`, `postgres-instance`, `redis`, `mysql`, `mongodb`, `amqp`, `kafka-topic`,
/// `s3`, `mssql`, `elasticsearch`, `dns`, `route`, `volume`, `service-port`, `environment`
/// and `service`. Each starts a real service from a pinned image, with generated credentials
/// kept in the resource state.
///
/// ```
/// let src = score_core::SourceFile::new("zz-default.provisioners.yaml", score_compose::DEFAULT_PROVISIONERS);
/// let entries = score_core::provision::parse_provisioner_file(&src).unwrap();
/// assert!(entries.iter().any(|p| p.kind == "postgres"));
/// assert!(entries.iter().all(|p| p.targets.as_deref() == Some(&["compose".to_string()][..])));
/// ```
pub const DEFAULT_PROVISIONERS: &str = include_str!("../provisioners/default.provisioners.yaml");

/// The target name: selects the `compose` state section and `targets: [compose]` provisioners.
pub const TARGET: &str = "compose";

/// Template keys compose provisioners may render besides `init`, `state`, `shared`, `outputs`.
///
/// * `services`, `volumes`, `networks`, `models` (compose's AI models, as score-compose
///   provisioners render them): maps merged into the compose document (identical
///   duplicates kept once, conflicting ones rejected);
/// * `files`: relative path under the mounts directory → content (a string, or
///   `{content, mode}`);
/// * `directories`: relative path under the mounts directory → `true` (make the directory,
///   e.g. for a bind mount; what containers write there is kept) or `false` (remove it with
///   everything in it), as score-compose reads them;
/// * `info_logs`: lines shown to the user.
pub const ARTIFACT_KEYS: &[&str] = &[
    "services",
    "volumes",
    "networks",
    "models",
    "files",
    "directories",
    "info_logs",
];

/// How to generate.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// The compose project name (`name:`); lower-cased and reduced to `[a-z0-9_-]` if needed.
    pub project: String,
    /// `--publish` values: `HOST:<workload>:PORT` (PORT: a container port or a service port
    /// name; HOST may be `IP:PORT`; `/udp` may follow PORT) or `HOST:<resource-uid>:PORT`.
    pub publish: Vec<String>,
    /// `--build` values: `<container>=<dir>` or `<workload>.<container>=<dir>`; the value may
    /// also be a JSON object of compose build options. Relative directories are taken from the
    /// current directory.
    pub build: Vec<String>,
    /// Where generated files are written (usually `.score-rs/mounts`), absolute or relative to
    /// the current directory.
    pub mounts_dir: PathBuf,
    /// The directory of the compose file: compose resolves relative paths against it, so bind
    /// mounts, env files and build contexts are written relative to it.
    pub compose_dir: PathBuf,
    /// Also produce a skeleton `.env` listing the variables compose interpolates.
    pub env_file: bool,
}

impl Options {
    /// The project name as compose accepts it (see [`Options::project`]).
    ///
    /// A name with nothing compose accepts (a directory named in another script) becomes
    /// `score-` and a hash of it, so that it is never empty and stays stable.
    ///
    /// ```
    /// let o = score_compose::Options { project: "My.App".into(), ..Default::default() };
    /// assert_eq!(o.project_name(), "my-app");
    /// let o = score_compose::Options { project: "проект".into(), ..Default::default() };
    /// assert_eq!(o.project_name(), "score-abb136f5");
    /// ```
    pub fn project_name(&self) -> String {
        let lowered: String = self
            .project
            .to_ascii_lowercase()
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                    c
                } else {
                    '-'
                }
            })
            .collect();
        let name = lowered.trim_start_matches(['-', '_']);
        if name.is_empty() && !self.project.is_empty() {
            // FNV-1a: stable across builds and platforms.
            let hash = self.project.bytes().fold(0x811c_9dc5_u32, |h, b| {
                (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
            });
            return format!("score-{hash:08x}");
        }
        name.to_string()
    }

    /// The mounts directory as the compose file refers to it, e.g. `./.score-rs/mounts`.
    ///
    /// ```
    /// let o = score_compose::Options { mounts_dir: "/p/.score-rs/mounts".into(), compose_dir: "/p".into(), ..Default::default() };
    /// assert_eq!(o.mounts_ref(), "./.score-rs/mounts");
    /// ```
    pub fn mounts_ref(&self) -> String {
        paths::for_compose(&self.mounts_dir, &self.compose_dir)
    }
}

/// Describe this backend to the provisioning engine.
///
/// Template inputs it adds:
/// * `workload_services`: workload name → `{hostname, ports}`, where `hostname` is the compose
///   service that owns the workload's network (`<workload>-<container>`, resolvable by other
///   services) and `ports` maps each service port name to `{port, targetPort, protocol}`.
///   Compose does not remap ports, so peers connect to `targetPort`.
/// * `project`: the compose project name.
/// * `mounts_dir`: the mounts directory as the compose file names it (`./.score-rs/mounts`), for
///   bind-mounting files a provisioner writes with `files`.
///
/// ```
/// let t = score_compose::target(&[], &score_compose::Options::default());
/// assert_eq!(t.name, "compose");
/// assert!(t.vars.contains_key("workload_services"));
/// ```
pub fn target(workloads: &[WorkloadInput], opts: &Options) -> Target {
    let mut services = Map::new();
    let mut sorted: Vec<&WorkloadInput> = workloads.iter().collect();
    sorted.sort_by(|a, b| a.workload.name().cmp(b.workload.name()));
    for w in sorted {
        let name = w.workload.name();
        let ports: Map<String, Value> = w
            .workload
            .ports()
            .map(|(pname, p)| (pname.clone(), json!({"port": p.port, "targetPort": p.target(), "protocol": p.protocol.as_str()})))
            .collect();
        let hostname = service::service_name(name, service::network_owner(&w.workload));
        services.insert(
            name.to_string(),
            json!({"hostname": hostname, "ports": ports}),
        );
    }
    let mut vars = Map::new();
    vars.insert("workload_services".into(), Value::Object(services));
    vars.insert("project".into(), Value::String(opts.project_name()));
    vars.insert("mounts_dir".into(), Value::String(opts.mounts_ref()));
    Target {
        name: TARGET.into(),
        artifact_keys: ARTIFACT_KEYS.iter().map(|s| s.to_string()).collect(),
        vars,
        secret_refs: false,
    }
}

/// What [`generate`] produces.
#[derive(Debug, Clone)]
pub struct Output {
    /// The compose project as JSON (every map sorted), so patch templates can edit it before
    /// [`to_yaml`].
    pub document: Value,
    /// Files to write under the mounts directory, sorted by path: container files
    /// (`files/<workload>.<container>.<target>`), provisioner `files`, and env files holding
    /// secret environment values (`secrets/<service>.env`, mode 0600).
    pub files: Vec<GeneratedFile>,
    /// Directories under the mounts directory that provisioners asked for (`directories`):
    /// `true` to make (never emptied by later runs), `false` to remove with their contents.
    /// [`sync_directories`] applies them.
    pub directories: BTreeMap<PathBuf, bool>,
    /// Skeleton `.env` (`KEY=` per variable compose interpolates), when
    /// [`Options::env_file`] is set.
    pub env_file: Option<String>,
    /// Warnings (nothing failed).
    pub warnings: Vec<Diagnostic>,
    /// `info_logs` of the provisioners, each prefixed with the resource UID.
    pub info_logs: Vec<String>,
}

/// Lower `resolved` to a compose project.
///
/// Reads the process environment only for `environment` resources used in file contents.
///
/// # Errors
/// Every problem found (with the warnings collected so far, errors first) when any is an
/// error: an unresolvable placeholder, an unreadable file
/// source, invalid `--publish`/`--build` values, conflicting resource artifacts, ….
pub fn generate(resolved: &Resolved, opts: &Options) -> Result<Output, Vec<Diagnostic>> {
    generate_with_env(resolved, opts, &|k| std::env::var(k).ok())
}

/// [`generate`] with an explicit environment lookup (for `environment` resources used in file
/// contents); `generate` reads the process environment.
///
/// # Errors
/// See [`generate`].
pub fn generate_with_env(
    resolved: &Resolved,
    opts: &Options,
    getenv: &dyn Fn(&str) -> Option<String>,
) -> Result<Output, Vec<Diagnostic>> {
    let mut diags = resolved.warnings.clone();
    let project = opts.project_name();
    if project != opts.project && !opts.project.is_empty() {
        diags.push(Diagnostic::warning(
            "score::compose::project_name",
            format!(
                "project name `{}` is not valid for compose; using `{project}`",
                opts.project
            ),
        ));
    }
    let mounts_ref = opts.mounts_ref();
    let mut builds = parse_builds(resolved, opts, &mut diags);
    let build_info = default_builds(resolved, opts, &mut builds);
    let publishes: Vec<Publish> = opts
        .publish
        .iter()
        .filter_map(|p| Publish::parse(p).map_err(|d| diags.push(d)).ok())
        .collect();

    let (resource_doc, merge_diags) = resources::merge(resolved);
    diags.extend(merge_diags);

    let ctx = service::WorkloadCtx {
        resolved,
        resource_doc: &resource_doc,
        mounts_ref: &mounts_ref,
        builds: &builds,
        getenv,
    };
    let mut compose = Compose {
        name: (!project.is_empty()).then(|| project.clone()),
        ..Compose::default()
    };
    let mut files: Vec<GeneratedFile> = Vec::new();
    let mut named_volumes = BTreeSet::new();
    let mut env_keys = BTreeSet::new();
    let mut services = BTreeMap::new();
    let mut service_owner: BTreeMap<String, &str> = BTreeMap::new();
    for w in resolved.workloads.values() {
        let lowered = service::lower(&ctx, w, &mut diags);
        for (name, svc) in lowered.services {
            if let Some(other) = service_owner.insert(name.clone(), w.workload.name()) {
                diags.push(
                    Diagnostic::error(
                        "score::compose::service_name",
                        format!("workloads `{other}` and `{}` both produce the compose service `{name}`", w.workload.name()),
                    )
                    .with_help("services are named <workload>-<container>; rename a workload or a container"),
                );
            }
            services.insert(name, svc);
        }
        files.extend(lowered.files);
        named_volumes.extend(lowered.named_volumes);
        env_keys.extend(lowered.env_keys);
    }
    compose.services = Services(services.into_iter().map(|(k, v)| (k, Some(v))).collect());
    let declared = resource_doc.sections.get("volumes");
    compose.volumes = TopLevelVolumes(
        named_volumes
            .into_iter()
            .filter(|v| !declared.is_some_and(|d| d.contains_key(v)))
            .map(|v| (v, MapOrEmpty::<ComposeVolume>::Empty))
            .collect(),
    );

    let mut document = match serde_json::to_value(&compose) {
        Ok(v) => v,
        Err(e) => {
            diags.push(Diagnostic::error(
                "score::compose::internal",
                format!("cannot build the compose document: {e}"),
            ));
            return Err(diags);
        }
    };
    merge_sections(&mut document, &resource_doc, &mut diags);
    let doc = document
        .as_object_mut()
        .expect("compose document is an object");
    let mut services = match doc.remove("services") {
        Some(Value::Object(s)) => s,
        _ => Map::new(),
    };
    let annotated = annotation_publishes(resolved, &mut diags);
    for p in publishes.iter().chain(&annotated) {
        if let Err(d) = publish(p, resolved, &resource_doc, &mut services) {
            diags.push(d);
        }
    }
    add_annotations(resolved, &mut services);
    resources::strip_markers(&mut services);
    let secret_matcher = secrets::matcher(resolved.secret_values());
    if let Some(m) = &secret_matcher {
        secrets::relocate(&mut services, m, &mounts_ref, &mut files);
    }
    if !services.is_empty() {
        doc.insert("services".into(), Value::Object(services));
    }
    if let Some(m) = &secret_matcher {
        diags.extend(secrets::leaks(&document, m));
    }

    // Files: workloads and resources must not write the same path. Hashed, not a BTreeMap:
    // every `Path` comparison re-parses both paths into components, which made this 15% of a
    // 1000-workload run; the result is sorted once at the end instead.
    let mut by_path: HashMap<PathBuf, GeneratedFile> = HashMap::new();
    for f in files
        .into_iter()
        .chain(resource_doc.files.values().cloned())
    {
        match by_path.get(&f.path) {
            Some(prev) if *prev == f => {}
            Some(_) => diags.push(Diagnostic::error(
                "score::compose::file_conflict",
                format!(
                    "two different files would be written at `{}` under the mounts directory",
                    f.path.display()
                ),
            )),
            None => {
                by_path.insert(f.path.clone(), f);
            }
        }
    }

    for (dir, _) in resource_doc.directories.iter().filter(|(_, keep)| !**keep) {
        if let Some(f) = by_path.keys().find(|f| f.starts_with(dir)) {
            diags.push(Diagnostic::error(
                "score::compose::file_conflict",
                format!("directory `{}` is to be removed (`directories`), but `{}` would be written in it", dir.display(), f.display()),
            ));
        }
    }

    if diags.has_errors() {
        diags.sort_by_key(|d| !d.is_error());
        return Err(diags);
    }
    // Sorted already unless serde_json's `preserve_order` is on; rebuilding every map costs.
    if !is_sorted(&document) {
        sort_value(&mut document);
    }
    let env_file = opts.env_file.then(|| env_skeleton(&env_keys));
    let mut files: Vec<GeneratedFile> = by_path.into_values().collect();
    if let Some(m) = &secret_matcher {
        // A file that holds a secret is owner-only unless the Score file (or provisioner) asked
        // for a mode: a container that runs as another user needs `mode` to read it.
        for f in files.iter_mut().filter(|f| f.mode.is_none()) {
            if m.is_match(f.bytes.as_slice()) {
                f.mode = Some(0o600);
            }
        }
    }
    // `Path` order (by components), with each path split only once.
    files.sort_by_cached_key(|f| {
        f.path
            .components()
            .map(|c| c.as_os_str().to_owned())
            .collect::<Vec<_>>()
    });
    Ok(Output {
        document,
        files,
        directories: resource_doc.directories,
        env_file,
        warnings: diags,
        info_logs: build_info.into_iter().chain(resource_doc.info).collect(),
    })
}

/// A container whose image is `"."` ("built locally") and that no `--build` names is built from
/// its Score file's directory, as `docker compose build` would with `build: .` there; one info
/// line each says so.
fn default_builds(
    resolved: &Resolved,
    opts: &Options,
    builds: &mut BTreeMap<(String, String), BuildStep>,
) -> Vec<String> {
    let mut info = Vec::new();
    for w in resolved.workloads.values() {
        for (cname, c) in &w.workload.containers {
            let key = (w.workload.name().to_string(), cname.clone());
            if c.image != "." || builds.contains_key(&key) {
                continue;
            }
            let context = paths::for_compose(&w.base_dir, &opts.compose_dir);
            info.push(format!(
                "workload `{}`, container `{cname}`: image `.` is built from `{context}` (the Score file's directory); use `--build {cname}=<dir>` or `--image` to change that",
                key.0
            ));
            builds.insert(key, BuildStep::Simple(context));
        }
    }
    info
}

/// `--build` values by (workload, container).
fn parse_builds(
    resolved: &Resolved,
    opts: &Options,
    diags: &mut Vec<Diagnostic>,
) -> BTreeMap<(String, String), BuildStep> {
    let mut out = BTreeMap::new();
    for raw in &opts.build {
        let b = match Build::parse(raw, &opts.compose_dir) {
            Ok(b) => b,
            Err(d) => {
                diags.push(d);
                continue;
            }
        };
        let matches: Vec<&str> = resolved
            .workloads
            .values()
            .filter(|w| b.workload.as_deref().is_none_or(|n| n == w.workload.name()))
            .filter(|w| w.workload.containers.contains_key(&b.container))
            .map(|w| w.workload.name())
            .collect();
        match matches.as_slice() {
            [one] => {
                out.insert((one.to_string(), b.container.clone()), b.step);
            }
            [] => diags.push(Diagnostic::error(
                "score::compose::build",
                format!(
                    "--build `{}`: no workload has a container `{}`",
                    b.raw, b.container
                ),
            )),
            many => diags.push(
                Diagnostic::error(
                    "score::compose::build",
                    format!(
                        "--build `{}`: workloads {} all have a container `{}`",
                        b.raw,
                        many.join(", "),
                        b.container
                    ),
                )
                .with_help(format!(
                    "name the workload: --build {}.{}=<dir>",
                    many[0], b.container
                )),
            ),
        }
    }
    out
}

/// Add the resources' `services`, `volumes`, `networks` to the document.
fn merge_sections(
    document: &mut Value,
    resource_doc: &resources::ResourceDoc,
    diags: &mut Vec<Diagnostic>,
) {
    let doc = document
        .as_object_mut()
        .expect("compose document is an object");
    for (section, entries) in &resource_doc.sections {
        let target = doc
            .entry(section.to_string())
            .or_insert_with(|| Value::Object(Map::new()));
        let Value::Object(target) = target else {
            continue;
        };
        for (name, def) in entries {
            match target.get(name) {
                Some(existing) if existing == def => {}
                Some(_) => diags.push(
                    Diagnostic::error(
                        "score::compose::conflict",
                        format!(
                            "a resource defines `{section}.{name}`, which a workload already uses"
                        ),
                    )
                    .with_help(
                        "rename the workload or container, or change the provisioner's names",
                    ),
                ),
                None => {
                    target.insert(name.clone(), def.clone());
                }
            }
        }
    }
}

/// Resource annotation asking to publish the resource's port on the host, as score-compose
/// reads it: `"5432"` publishes the resource's `port` output (else the port of its
/// `endpoint`) on host port 5432.
pub const PUBLISH_PORT_ANNOTATION: &str = "compose.score.dev/publish-port";
/// Resource annotation asking to publish its management port (RabbitMQ's web UI, the MinIO
/// console) on the host.
pub const PUBLISH_MANAGEMENT_PORT_ANNOTATION: &str = "compose.score.dev/publish-management-port";

/// The management port of the default services of a resource type.
fn management_port(kind: &str) -> Option<u16> {
    match kind {
        "amqp" => Some(15672),
        "s3" => Some(9001),
        _ => None,
    }
}

/// The port a resource's outputs point at: `port`, else the port of `endpoint` / `url`.
fn main_port(outputs: &Map<String, Value>) -> Option<u16> {
    let number = |v: &Value| match v {
        Value::Number(n) => n.as_u64().and_then(|n| u16::try_from(n).ok()),
        Value::String(s) => s.parse().ok(),
        _ => None,
    };
    let url_port = |v: &Value| {
        let rest = v.as_str()?.split_once("://")?.1;
        let authority = rest.split(['/', '?']).next()?;
        authority.rsplit_once(':')?.1.parse().ok()
    };
    outputs.get("port").and_then(number).or_else(|| {
        ["endpoint", "url"]
            .iter()
            .find_map(|k| outputs.get(*k).and_then(url_port))
    })
}

/// `--publish`-equivalents for the resources that carry the publish annotations.
fn annotation_publishes(resolved: &Resolved, diags: &mut Vec<Diagnostic>) -> Vec<Publish> {
    let mut out = Vec::new();
    for r in &resolved.resources {
        let annotations = r
            .record
            .metadata
            .get("annotations")
            .and_then(Value::as_object);
        for (key, container_port) in [
            (PUBLISH_PORT_ANNOTATION, main_port(&r.record.outputs)),
            (
                PUBLISH_MANAGEMENT_PORT_ANNOTATION,
                management_port(&r.record.kind),
            ),
        ] {
            let Some(host) = annotations.and_then(|a| a.get(key)) else {
                continue;
            };
            let host = placeholder::value_to_string(host);
            let Some(port) = container_port else {
                diags.push(Diagnostic::warning(
                    "score::compose::publish",
                    format!("resource `{}`: annotation `{key}` is ignored: a `{}` resource has no such port", r.uid, r.record.kind),
                ));
                continue;
            };
            match Publish::parse(&format!("{host}:{}:{port}", r.uid)) {
                Ok(p) => out.push(p),
                Err(_) => diags.push(Diagnostic::error(
                    "score::compose::publish",
                    format!(
                        "resource `{}`: annotation `{key}: {host}` is not a host port (1-65535)",
                        r.uid
                    ),
                )),
            }
        }
    }
    out
}

/// The workloads' `metadata.annotations` on each of their services, as score-compose writes
/// them (`$` escaped: compose interpolates every string).
fn add_annotations(resolved: &Resolved, services: &mut Map<String, Value>) {
    for w in resolved.workloads.values() {
        let annotations = &w.workload.metadata.annotations;
        if annotations.is_empty() {
            continue;
        }
        let value: Map<String, Value> = annotations
            .iter()
            .map(|(k, v)| (escape::dollars(k), Value::String(escape::dollars(v))))
            .collect();
        for cname in w.workload.containers.keys() {
            let name = service::service_name(w.workload.name(), cname);
            if let Some(Value::Object(svc)) = services.get_mut(&name) {
                svc.insert("annotations".into(), Value::Object(value.clone()));
            }
        }
    }
}

/// Apply one `--publish`.
fn publish(
    p: &Publish,
    resolved: &Resolved,
    resource_doc: &resources::ResourceDoc,
    services: &mut Map<String, Value>,
) -> Result<(), Diagnostic> {
    let err = |msg: String| {
        Diagnostic::error(
            "score::compose::publish",
            format!("--publish `{}`: {msg}", p.raw),
        )
    };
    let (service, port, proto) = if let Some(w) = resolved.workloads.get(&p.target) {
        let owner = service::service_name(&p.target, service::network_owner(&w.workload));
        let (port, proto) = match p.port.parse::<u16>() {
            Ok(n) if n > 0 => (
                n,
                w.workload
                    .ports()
                    .find(|(_, sp)| sp.target() == n)
                    .map(|(_, sp)| sp.protocol),
            ),
            _ => match w
                .workload
                .service
                .as_ref()
                .and_then(|s| s.ports.get(&p.port))
            {
                Some(sp) => (sp.target(), Some(sp.protocol)),
                None => {
                    let names: Vec<&str> = w.workload.ports().map(|(n, _)| n.as_str()).collect();
                    return Err(err(format!(
                        "workload `{}` has no service port `{}` (ports: {})",
                        p.target,
                        p.port,
                        if names.is_empty() {
                            "none".to_string()
                        } else {
                            names.join(", ")
                        }
                    )));
                }
            },
        };
        (owner, port, proto.map(|x| x.as_str().to_ascii_lowercase()))
    } else if let Ok(uid) = p.target.parse::<ResourceUid>() {
        let r = resolved
            .resource(&uid)
            .ok_or_else(|| err(format!("no resource `{uid}` in this project")))?;
        let own: Vec<&String> = resource_doc
            .services_of
            .get(&uid)
            .into_iter()
            .flatten()
            .map(|(n, _)| n)
            .collect();
        let named = ["host", "hostname", "server"]
            .iter()
            .filter_map(|k| r.record.outputs.get(*k).and_then(Value::as_str))
            .find(|h| services.contains_key(*h))
            .map(str::to_string);
        let service = match (named, own.as_slice()) {
            (Some(s), _) => s,
            (None, [one]) => one.to_string(),
            _ => {
                return Err(err(format!(
                    "cannot tell which compose service runs resource `{uid}`"
                )))
            }
        };
        let port = p
            .port
            .parse::<u16>()
            .ok()
            .filter(|n| *n > 0)
            .ok_or_else(|| err("the port of a resource must be a number".into()))?;
        (service, port, None)
    } else {
        let names: Vec<&str> = resolved.workloads.keys().map(String::as_str).collect();
        return Err(err(format!(
            "`{}` is neither a workload nor a resource UID",
            p.target
        ))
        .with_help(format!(
            "workloads: {}; resource UIDs look like `postgres.default#web.db`",
            names.join(", ")
        )));
    };
    let Some(Value::Object(def)) = services.get_mut(&service) else {
        return Err(err(format!("no compose service `{service}`")));
    };
    let spec = p.compose_port(port, proto.as_deref());
    match def
        .entry("ports")
        .or_insert_with(|| Value::Array(Vec::new()))
    {
        Value::Array(ports) => ports.push(Value::String(spec)),
        _ => return Err(err(format!("service `{service}` has malformed `ports`"))),
    }
    Ok(())
}

/// The skeleton `.env`.
fn env_skeleton(keys: &BTreeSet<String>) -> String {
    let mut out = String::from(
        "# Variables compose.yaml reads from the environment (`environment` resources).\n",
    );
    for k in keys {
        out.push_str(k);
        out.push_str("=\n");
    }
    out
}

/// Sort every map of `v` by key (a no-op unless serde_json keeps insertion order).
fn sort_value(v: &mut Value) {
    match v {
        Value::Object(m) => {
            let mut entries: Vec<(String, Value)> = std::mem::take(m).into_iter().collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            for (k, mut item) in entries {
                sort_value(&mut item);
                m.insert(k, item);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(sort_value),
        _ => {}
    }
}

/// Serialise a compose document as YAML, deterministically (maps sorted by key). Strings that
/// YAML 1.1 readers would take for another type are quoted; long strings stay on one line.
///
/// ```
/// let doc = serde_json::json!({"services": {"b": {"image": "nginx"}, "a": {"image": "redis", "x": "no"}}});
/// // `no` is quoted: YAML 1.1 readers would take it for a boolean.
/// assert_eq!(score_compose::to_yaml(&doc), "services:\n  a:\n    image: redis\n    x: \"no\"\n  b:\n    image: nginx\n");
/// ```
pub fn to_yaml(document: &Value) -> String {
    // serde_json's maps are sorted already unless its `preserve_order` feature is on: copy and
    // sort only then (copying the document cost as much as emitting it).
    if is_sorted(document) {
        return yaml::to_yaml(document);
    }
    let mut copy = document.clone();
    sort_value(&mut copy);
    yaml::to_yaml(&copy)
}

/// Whether every map of `v` iterates in key order. Without serde_json's `preserve_order`
/// feature every map is a `BTreeMap` and the answer is known without walking the document
/// (the walk compared every key: 2% of a 200-workload run).
fn is_sorted(v: &Value) -> bool {
    maps_sort_themselves() || maps_in_order(v)
}

/// Whether serde_json's `Map` keeps its keys sorted.
fn maps_sort_themselves() -> bool {
    let probe: serde_json::Map<String, Value> = [
        ("b".to_string(), Value::Null),
        ("a".to_string(), Value::Null),
    ]
    .into_iter()
    .collect();
    probe.keys().next().is_some_and(|k| k == "a")
}

fn maps_in_order(v: &Value) -> bool {
    match v {
        Value::Object(m) => {
            let mut prev: Option<&String> = None;
            m.iter().all(|(k, item)| {
                let ordered = prev.is_none_or(|p| p < k);
                prev = Some(k);
                ordered && maps_in_order(item)
            })
        }
        Value::Array(items) => items.iter().all(maps_in_order),
        _ => true,
    }
}
