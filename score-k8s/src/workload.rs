//! One workload → its Kubernetes objects: config (ConfigMaps, Secrets), Services, and a
//! Deployment or StatefulSet, in that kind order.

use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::{Deployment, DeploymentSpec, StatefulSet, StatefulSetSpec};
use k8s_openapi::api::core::v1::{
    Container, ContainerPort, PersistentVolumeClaim, PodSpec, PodTemplateSpec, Volume,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use serde_json::Value;
use sha2::{Digest, Sha256};

use score_core::provision::{Resolved, ResolvedWorkload};
use score_core::Diagnostic;

use crate::before::{self, Role};
use crate::resolve::Resolver;
use crate::secrets::SecretStore;
use crate::volumes::Backing;
use crate::{containers, env, files, names, service, volumes};

/// The controller a workload becomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Controller {
    /// The default.
    Deployment,
    /// Chosen with `k8s.score.dev/kind: StatefulSet`.
    StatefulSet,
}

/// The objects of one workload and the warnings met on the way.
#[derive(Debug, Clone, Default)]
pub struct Lowered {
    /// Objects in kind order (ConfigMap, Secret, Service, controller), then by name.
    pub objects: Vec<Value>,
    /// Things that were left out, with why.
    pub warnings: Vec<Diagnostic>,
}

/// Collects the errors of one workload, each prefixed with where it happened.
struct Errors<'a> {
    workload: &'a str,
    list: Vec<Diagnostic>,
}

impl Errors<'_> {
    fn push(&mut self, code: &str, at: &str, msg: impl std::fmt::Display) {
        self.list.push(Diagnostic::error(
            format!("score::k8s::{code}"),
            format!("workload `{}`{at}: {msg}", self.workload),
        ));
    }
}

/// The controller named by the workload's `k8s.score.dev/kind` annotation.
///
/// # Errors
/// Any value other than `Deployment` or `StatefulSet`, with a hint at the right spelling.
pub fn controller(rw: &ResolvedWorkload) -> Result<Controller, Diagnostic> {
    match rw
        .workload
        .metadata
        .annotations
        .get(names::KIND_ANNOTATION)
        .map(String::as_str)
    {
        None | Some("Deployment") => Ok(Controller::Deployment),
        Some("StatefulSet") => Ok(Controller::StatefulSet),
        Some(other) => {
            let d = Diagnostic::error(
                "score::k8s::kind",
                format!(
                    "workload `{}`: annotation `{}` is `{other}`, but only `Deployment` and `StatefulSet` are supported",
                    rw.workload.name(),
                    names::KIND_ANNOTATION
                ),
            );
            Err(match other.to_ascii_lowercase().as_str() {
                "deployment" => d.with_help("write `Deployment` (the kind is case-sensitive)"),
                "statefulset" => d.with_help("write `StatefulSet` (the kind is case-sensitive)"),
                _ => d.with_help(
                    "remove the annotation for a Deployment, or set it to `StatefulSet`",
                ),
            })
        }
    }
}

/// Lower one workload.
///
/// # Errors
/// Every problem found, each naming the workload and the container or field.
pub fn lower(
    rw: &ResolvedWorkload,
    resolved: &Resolved,
    secret_values: &crate::resolve::SecretValues,
) -> Result<Lowered, Vec<Diagnostic>> {
    let w = &rw.workload;
    let name = w.name();
    let mut errors = Errors {
        workload: name,
        list: Vec::new(),
    };
    let mut warnings = Vec::new();
    let controller = controller(rw).map_err(|d| vec![d])?;
    let stateful = controller == Controller::StatefulSet;
    let labels = BTreeMap::from([
        (names::LABEL_NAME.to_string(), name.to_string()),
        (names::LABEL_INSTANCE.to_string(), name.to_string()),
        (
            names::LABEL_MANAGED_BY.to_string(),
            names::MANAGED_BY.to_string(),
        ),
    ]);
    let selector = BTreeMap::from([(names::LABEL_INSTANCE.to_string(), name.to_string())]);
    let meta = ObjectMeta {
        labels: Some(labels.clone()),
        ..ObjectMeta::default()
    };

    let resolver = Resolver::new(resolved, name, secret_values);
    let mut secrets = SecretStore::new(name);
    let mut config: Vec<Value> = Vec::new();
    let mut pod_volumes: BTreeMap<String, Volume> = BTreeMap::new();
    let mut claims: BTreeMap<String, PersistentVolumeClaim> = BTreeMap::new();
    let mut built: BTreeMap<String, Container> = BTreeMap::new();

    for (cname, c) in &w.containers {
        let at = format!(", container `{cname}`");
        let mut container = match containers::base(cname, c) {
            Ok(k) => k,
            Err(es) => {
                es.into_iter()
                    .for_each(|e| errors.push("container", &at, e));
                continue;
            }
        };
        match env::env_vars(&c.variables, &resolver, &mut secrets) {
            Ok(vars) => container.env = (!vars.is_empty()).then_some(vars),
            Err(es) => es
                .into_iter()
                .for_each(|e| errors.push("placeholder", &at, e)),
        }
        let mut mounts = Vec::new();
        for (target, f) in &c.files {
            match files::lower(name, cname, target, f, &rw.base_dir, &resolver, &meta) {
                Ok(lf) => {
                    config.extend(lf.object);
                    pod_volumes.insert(lf.volume.name.clone(), lf.volume);
                    mounts.push(lf.mount);
                }
                Err(e) => errors.push("file", &at, format!("file `{target}` {}", with_verb(&e))),
            }
        }
        for (target, v) in &c.volumes {
            if c.files.contains_key(target) {
                errors.push("mount", &at, format!("`{target}` is both a file and a volume; Kubernetes needs distinct mount paths"));
                continue;
            }
            match volumes::lower(target, v, &resolver, stateful) {
                Ok(lv) => {
                    let clash = match lv.backing {
                        Backing::Pod(vol) => insert_same(&mut pod_volumes, vol.name.clone(), *vol),
                        Backing::Claim(pvc) => {
                            insert_same(&mut claims, lv.mount.name.clone(), *pvc)
                        }
                    };
                    if clash {
                        errors.push("volume", &at, format!("volume `{target}`: `{}` is mounted elsewhere with a different definition", lv.mount.name));
                    }
                    mounts.push(lv.mount);
                }
                Err(e) => errors.push("volume", &at, format!("volume `{target}`: {e}")),
            }
        }
        // `/a/b` and `/a/./b` are one path to the kubelet: two mounts there are refused.
        let mut paths: BTreeMap<String, &str> = BTreeMap::new();
        for m in &mounts {
            if let Some(first) = paths.insert(normal_mount_path(&m.mount_path), &m.mount_path) {
                errors.push("mount", &at, format!("`{first}` and `{}` are the same mount path; Kubernetes needs distinct mount paths", m.mount_path));
            }
        }
        mounts.sort_by(|a, b| a.mount_path.cmp(&b.mount_path));
        container.volume_mounts = (!mounts.is_empty()).then_some(mounts);
        built.insert(cname.clone(), container);
    }
    let plan = match before::plan(&w.containers) {
        Ok(p) => p,
        Err(es) => {
            es.into_iter().for_each(|e| errors.push("before", "", e));
            before::Plan::default()
        }
    };
    if !errors.list.is_empty() {
        return Err(errors.list);
    }

    let mut init = Vec::new();
    for cname in &plan.init_order {
        let mut c = built
            .remove(cname)
            .expect("every planned container was built");
        if let Some(warning) = containers::apply_role(&mut c, plan.roles[cname]) {
            warnings.push(Diagnostic::warning(
                "score::k8s::probe_dropped",
                format!("workload `{name}`, container `{cname}` {warning}"),
            ));
        }
        init.push(c);
    }
    let mut main: Vec<Container> = built
        .into_values()
        .filter(|c| plan.roles.get(&c.name).is_none_or(|r| *r == Role::Main))
        .collect();
    assign_ports(w, &mut main);

    if let Some(s) = secrets.into_secret(meta.clone()) {
        config.push(serde_json::to_value(s).expect("a Secret serialises"));
    }
    sort_objects(&mut config);
    let mut annotations = w.metadata.annotations.clone();
    if !config.is_empty() {
        annotations.insert(names::CHECKSUM_ANNOTATION.to_string(), checksum(&config));
    }
    let template = PodTemplateSpec {
        metadata: Some(ObjectMeta {
            labels: Some(labels.clone()),
            annotations: (!annotations.is_empty()).then_some(annotations),
            ..ObjectMeta::default()
        }),
        spec: Some(PodSpec {
            containers: std::mem::take(&mut main),
            init_containers: (!init.is_empty()).then_some(init),
            volumes: (!pod_volumes.is_empty()).then(|| pod_volumes.into_values().collect()),
            ..PodSpec::default()
        }),
    };
    let label_selector = LabelSelector {
        match_labels: Some(selector.clone()),
        ..LabelSelector::default()
    };
    let object_meta = ObjectMeta {
        name: Some(name.to_string()),
        ..meta.clone()
    };
    let headless = stateful.then(|| service::headless_name(w));
    let controller_object = match controller {
        Controller::Deployment => serde_json::to_value(Deployment {
            metadata: object_meta,
            spec: Some(DeploymentSpec {
                selector: label_selector,
                template,
                ..DeploymentSpec::default()
            }),
            ..Deployment::default()
        }),
        Controller::StatefulSet => serde_json::to_value(StatefulSet {
            metadata: object_meta,
            spec: Some(StatefulSetSpec {
                selector: label_selector,
                service_name: headless.clone(),
                template,
                volume_claim_templates: (!claims.is_empty())
                    .then(|| claims.into_values().collect()),
                ..StatefulSetSpec::default()
            }),
            ..StatefulSet::default()
        }),
    }
    .expect("a controller serialises");

    let services = service::services(w, &meta, &selector, headless.as_deref()).map_err(|e| {
        vec![Diagnostic::error(
            "score::k8s::service_name",
            format!("workload `{name}`: {e}"),
        )]
    })?;
    let mut objects = config;
    objects.extend(
        services
            .into_iter()
            .map(|s| serde_json::to_value(s).expect("a Service serialises")),
    );
    objects.push(controller_object);
    sort_objects(&mut objects);
    Ok(Lowered { objects, warnings })
}

/// `file `x` cannot read…` reads better than `file `x` : cannot read…`.
fn with_verb(e: &str) -> String {
    if e.starts_with("is ") || e.starts_with("cannot ") {
        e.to_string()
    } else {
        format!(": {e}")
    }
}

/// Insert unless an equal value is there; returns whether a different value clashed.
fn insert_same<T: PartialEq>(map: &mut BTreeMap<String, T>, key: String, value: T) -> bool {
    match map.get(&key) {
        Some(existing) => *existing != value,
        None => {
            map.insert(key, value);
            false
        }
    }
}

/// Put each Service target port on the main container that serves it: the one whose HTTP
/// probe uses it, else the first. Each (port, protocol) appears once.
fn assign_ports(w: &score_core::ir::Workload, main: &mut [Container]) {
    use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
    let probes_port = |c: &Container, port: i32| {
        [&c.liveness_probe, &c.readiness_probe]
            .into_iter()
            .flatten()
            .any(|p| {
                p.http_get
                    .as_ref()
                    .is_some_and(|h| h.port == IntOrString::Int(port))
            })
    };
    for (name, p) in w.ports() {
        let port = i32::from(p.target());
        let protocol = p.protocol.as_str().to_string();
        let Some(i) = main
            .iter()
            .position(|c| probes_port(c, port))
            .or((!main.is_empty()).then_some(0))
        else {
            return;
        };
        let ports = main[i].ports.get_or_insert_with(Vec::new);
        if ports
            .iter()
            .any(|c| c.container_port == port && c.protocol.as_deref() == Some(protocol.as_str()))
        {
            continue;
        }
        ports.push(ContainerPort {
            name: names::is_iana_svc_name(name).then(|| name.clone()),
            container_port: port,
            protocol: Some(protocol),
            ..ContainerPort::default()
        });
    }
}

/// Rank of a kind in a workload's output.
fn kind_rank(kind: &str) -> usize {
    [
        "ConfigMap",
        "Secret",
        "Service",
        "Deployment",
        "StatefulSet",
    ]
    .iter()
    .position(|k| *k == kind)
    .unwrap_or(usize::MAX)
}

fn sort_objects(objects: &mut [Value]) {
    objects.sort_by_cached_key(|o| {
        (
            kind_rank(o["kind"].as_str().unwrap_or_default()),
            o["metadata"]["name"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
        )
    });
}

/// SHA-256 over the config objects (compact JSON, sorted keys, one per line).
fn checksum(config: &[Value]) -> String {
    let mut h = Sha256::new();
    for o in config {
        h.update(o.to_string().as_bytes());
        h.update(b"\n");
    }
    names::hex(&h.finalize())
}

/// A mount path with `.`, `..` and repeated or trailing `/` resolved, for comparing.
fn normal_mount_path(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    format!("/{}", parts.join("/"))
}
