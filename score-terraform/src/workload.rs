//! Lowering one workload to `kubernetes_*` resources, with the Kubernetes lowering rules.
//!
//! * A `kubernetes_deployment_v1` (or `kubernetes_stateful_set_v1` when the annotation
//!   `k8s.score.dev/kind` says `StatefulSet`, plus a headless Service it names), labelled
//!   `app.kubernetes.io/{name,instance,managed-by}` and selected by instance.
//! * `service.ports` → a `kubernetes_service_v1` (`k8s.score.dev/service-name` renames the
//!   Kubernetes object) and containerPorts; an output with the in-cluster endpoint.
//! * Variables → env; any value that uses a secret output is kept in the workload's
//!   `kubernetes_secret_v1` (its data a Terraform string template) and read with
//!   `value_from.secret_key_ref`, so no secret sits in the pod spec.
//! * Files → one `kubernetes_config_map_v1` per file (a `kubernetes_secret_v1` when its content
//!   uses a secret), mounted read-only with `sub_path`; a `checksum/config` pod annotation is
//!   computed by Terraform over their data, so any change rolls the pods.
//! * Volumes → the volume resource's `source` output (a Terraform `volume` block body), or its
//!   `claim_spec` as a `volume_claim_template` on a StatefulSet.
//! * `before` → init containers, as on the k8s target ([`score_core::start_order`]): a container
//!   declaring `before: {app: {ready: complete}}` is a plain init container that runs before
//!   `app`; `started` a native sidecar (`restart_policy = "Always"`), `healthy` a sidecar whose
//!   readiness probe is also its startup probe (the kubelet starts the next container only once
//!   it passes).
//! * cpu/memory quantities are written in canonical form.
//! * `${resources.<env>.KEY}` of an `environment` resource (whose provisioner outputs nothing)
//!   becomes the sensitive input variable `var.KEY` (set it with `TF_VAR_KEY`, like compose
//!   reads `${KEY}` from the environment), kept in the workload's Secret like any secret.

use std::collections::{BTreeMap, BTreeSet};

use score_core::ir::{Container, FileContent, Probe, Readiness, Workload};
use score_core::load::Origin;
use score_core::placeholder::{self, Context, Placeholder, RefRoot, Segment};
use score_core::provision::{Resolved, ResolvedWorkload};
use score_core::start_order::{self, Role};
use score_core::Diagnostic;
use serde_json::{json, Map, Value};

use crate::module::Module;
use crate::names::{self, short_hash};
use crate::tmpl::{self, escape, interp};
use crate::{blocks, quantity};

/// Annotation selecting the Kubernetes kind.
pub const KIND_ANNOTATION: &str = "k8s.score.dev/kind";
/// Annotation overriding the Service name.
pub const SERVICE_NAME_ANNOTATION: &str = "k8s.score.dev/service-name";
/// `app.kubernetes.io/managed-by`.
pub const MANAGED_BY: &str = "score-rs";
/// The resource type whose outputs are input variables.
pub const ENVIRONMENT_TYPE: &str = "environment";
/// Names Terraform reserves for variables, and the module's own variables.
const RESERVED_VARIABLES: &[&str] = &[
    "source",
    "version",
    "providers",
    "count",
    "for_each",
    "lifecycle",
    "depends_on",
    "locals",
    "namespace",
    "base_domain",
    "gateway_name",
];

fn err(msg: impl Into<String>) -> Diagnostic {
    Diagnostic::error("score::terraform::workload", msg)
}

/// The Terraform expression of a resource attribute: `kubernetes_service_v1.web.metadata[0].name`.
pub fn metadata_name(rtype: &str, name: &str) -> String {
    interp(&format!("{rtype}.{name}.metadata[0].name"))
}

/// The name of the variable that supplies the image of a container whose image is `"."`.
pub fn image_variable(workload: &str, container: &str) -> String {
    names::identifier(&["image", workload, container])
}

/// The labels of a workload's objects.
pub fn labels(workload: &str, instance: &str) -> Value {
    json!({
        "app.kubernetes.io/name": escape(workload),
        "app.kubernetes.io/instance": instance,
        "app.kubernetes.io/managed-by": MANAGED_BY,
    })
}

/// A substituted string.
struct Sub {
    text: String,
    secret: bool,
}

struct Lowering<'a> {
    resolved: &'a Resolved,
    w: &'a Workload,
    /// The Score file, to point diagnostics at the field they are about.
    origin: Option<&'a Origin>,
    base_dir: &'a std::path::Path,
    label: String,
    metadata: Value,
    outputs: BTreeMap<String, Value>,
    module: &'a mut Module,
    errors: Vec<Diagnostic>,
    warnings: &'a mut Vec<Diagnostic>,
    /// Data of the workload's env secret.
    env_secret: Map<String, Value>,
    /// `type.name.attr` of every config map / secret data the pods read.
    checksum_refs: Vec<String>,
    /// Pod volumes by name.
    volumes: BTreeMap<String, Value>,
    /// StatefulSet volume claim templates by name.
    claims: BTreeMap<String, Value>,
    /// Whether a volume is a PersistentVolumeClaim (then Deployments use `Recreate`).
    uses_claim: bool,
}

/// Lower workload `rw` into `module`.
pub fn lower(
    module: &mut Module,
    resolved: &Resolved,
    rw: &ResolvedWorkload,
    warnings: &mut Vec<Diagnostic>,
) -> Result<(), Vec<Diagnostic>> {
    let w = &rw.workload;
    let mut l = Lowering {
        resolved,
        w,
        origin: rw.origin.as_ref(),
        base_dir: &rw.base_dir,
        label: names::workload_name(w.name()),
        metadata: w.metadata_json(),
        outputs: resolved.outputs_for(w.name()),
        module,
        errors: Vec::new(),
        warnings,
        env_secret: Map::new(),
        checksum_refs: Vec::new(),
        volumes: BTreeMap::new(),
        claims: BTreeMap::new(),
        uses_claim: false,
    };
    l.run();
    if l.errors.is_empty() {
        Ok(())
    } else {
        Err(l.errors)
    }
}

impl Lowering<'_> {
    fn name(&self) -> &str {
        self.w.name()
    }

    fn origin(&self) -> String {
        format!("workload `{}`", self.name())
    }

    /// Where the diagnostics pushed so far end, for [`Lowering::locate_since`].
    fn mark(&self) -> (usize, usize) {
        (self.errors.len(), self.warnings.len())
    }

    /// Point the diagnostics pushed since `mark` at `path` of the Score file.
    fn locate_since(&mut self, mark: (usize, usize), path: &[&str]) {
        let origin = self.origin;
        let new_errors = self.errors.iter_mut().skip(mark.0);
        for d in new_errors.chain(self.warnings.iter_mut().skip(mark.1)) {
            *d = Origin::locate(origin, std::mem::replace(d, err("")), path);
        }
    }

    fn add(&mut self, section: &str, labels: &[&str], body: Value) {
        let origin = self.origin();
        if let Err(d) = self.module.add(section, labels, body, &origin) {
            self.errors.push(*d);
        }
    }

    fn run(&mut self) {
        let kind = match self
            .w
            .metadata
            .annotations
            .get(KIND_ANNOTATION)
            .map(String::as_str)
        {
            None | Some("Deployment") => "Deployment",
            Some("StatefulSet") => "StatefulSet",
            Some(other) => {
                let d = err(format!(
                    "workload `{}`: unsupported `{KIND_ANNOTATION}: {other}`",
                    self.name()
                ))
                .with_help("use `Deployment` (the default) or `StatefulSet`");
                let at = ["metadata", "annotations", KIND_ANNOTATION];
                self.errors.push(Origin::locate(self.origin, d, &at));
                return;
            }
        };
        let pod = self.pod_spec(kind == "StatefulSet");
        let label = self.label.clone();
        let labels = labels(self.name(), &label);
        let mut pod_annotations: Map<String, Value> = self
            .w
            .metadata
            .annotations
            .iter()
            .filter(|(k, _)| !k.starts_with("k8s.score.dev/"))
            .map(|(k, v)| (k.clone(), Value::String(escape(v))))
            .collect();
        if !self.env_secret.is_empty() {
            let secret = names::safe_name(&format!("{label}-env"), "w");
            let body = json!({
                "metadata": [self.object_metadata(&secret, None)],
                "type": "Opaque",
                "data": Value::Object(std::mem::take(&mut self.env_secret)),
            });
            self.add("resource", &["kubernetes_secret_v1", &secret], body);
            self.checksum_refs
                .insert(0, format!("kubernetes_secret_v1.{secret}.data"));
        }
        if !self.checksum_refs.is_empty() {
            let inner = if self.checksum_refs.len() == 1 {
                self.checksum_refs[0].clone()
            } else {
                format!("[{}]", self.checksum_refs.join(", "))
            };
            pod_annotations.insert(
                "checksum/config".into(),
                interp(&format!("sha256(jsonencode({inner}))")).into(),
            );
        }
        let mut template_meta = Map::new();
        template_meta.insert("labels".into(), labels.clone());
        if !pod_annotations.is_empty() {
            template_meta.insert("annotations".into(), Value::Object(pod_annotations));
        }
        let mut spec = Map::new();
        spec.insert(
            "selector".into(),
            json!([{"match_labels": {"app.kubernetes.io/instance": label}}]),
        );
        spec.insert(
            "template".into(),
            json!([{"metadata": [Value::Object(template_meta)], "spec": [pod]}]),
        );
        let ports: Vec<Value> = self.service_ports();
        if kind == "StatefulSet" {
            let headless = format!("{label}-headless");
            let mut hspec = json!({
                "cluster_ip": "None",
                "selector": {"app.kubernetes.io/instance": label},
            });
            if !ports.is_empty() {
                hspec["port"] = Value::Array(ports.clone());
            }
            let body =
                json!({"metadata": [self.object_metadata(&headless, None)], "spec": [hspec]});
            self.add("resource", &["kubernetes_service_v1", &headless], body);
            spec.insert(
                "service_name".into(),
                metadata_name("kubernetes_service_v1", &headless).into(),
            );
            if !self.claims.is_empty() {
                spec.insert(
                    "volume_claim_template".into(),
                    Value::Array(self.claims.values().cloned().collect()),
                );
            }
        } else if self.uses_claim {
            // A ReadWriteOnce claim cannot be attached to the old and the new pod at once.
            spec.insert("strategy".into(), json!([{"type": "Recreate"}]));
        }
        let annotations = self.annotations_value();
        let body = json!({
            "metadata": [self.object_metadata(&label, annotations)],
            "spec": [Value::Object(spec)],
        });
        let rtype = if kind == "StatefulSet" {
            "kubernetes_stateful_set_v1"
        } else {
            "kubernetes_deployment_v1"
        };
        self.add("resource", &[rtype, &label], body);
        if !ports.is_empty() {
            self.service(ports);
        }
    }

    fn annotations_value(&self) -> Option<Value> {
        let a = &self.w.metadata.annotations;
        (!a.is_empty()).then(|| {
            Value::Object(
                a.iter()
                    .map(|(k, v)| (k.clone(), Value::String(escape(v))))
                    .collect(),
            )
        })
    }

    /// `metadata` of an object of this workload.
    fn object_metadata(&self, name: &str, annotations: Option<Value>) -> Value {
        let mut m = json!({
            "name": name,
            "namespace": interp("var.namespace"),
            "labels": labels(self.name(), &self.label),
        });
        if let Some(a) = annotations {
            m["annotations"] = a;
        }
        m
    }

    fn service_ports(&self) -> Vec<Value> {
        let mut used = BTreeSet::new();
        self.w
            .ports()
            .map(|(pname, p)| {
                let mut name = if names::is_dns_label(pname) {
                    pname.clone()
                } else {
                    names::slug(pname)
                };
                if name.is_empty() || !used.insert(name.clone()) {
                    name = format!("port-{}", p.port);
                    used.insert(name.clone());
                }
                json!({
                    "name": name,
                    "port": p.port,
                    "target_port": p.target().to_string(),
                    "protocol": p.protocol.as_str(),
                })
            })
            .collect()
    }

    fn service(&mut self, ports: Vec<Value>) {
        let label = self.label.clone();
        let k8s_name = match self.w.metadata.annotations.get(SERVICE_NAME_ANNOTATION) {
            Some(n) if names::is_dns1035_label(n) => n.clone(),
            Some(n) => {
                let d = err(format!(
                    "workload `{}`: `{SERVICE_NAME_ANNOTATION}: {n}` is not a valid Service name",
                    self.name()
                ))
                .with_help(
                    "use at most 63 lower-case letters, digits and `-`, starting with a letter",
                );
                let at = ["metadata", "annotations", SERVICE_NAME_ANNOTATION];
                self.errors.push(Origin::locate(self.origin, d, &at));
                return;
            }
            None => label.clone(),
        };
        let mut meta = self.object_metadata(&k8s_name, None);
        meta["name"] = Value::String(k8s_name);
        let body = json!({
            "metadata": [meta],
            "spec": [{
                "selector": {"app.kubernetes.io/instance": label},
                "type": "ClusterIP",
                "port": ports,
            }],
        });
        self.add("resource", &["kubernetes_service_v1", &label], body);
        let svc = format!("kubernetes_service_v1.{label}.metadata[0]");
        let port_map: Map<String, Value> = self
            .w
            .ports()
            .map(|(n, p)| (n.clone(), json!(p.port)))
            .collect();
        let body = json!({
            "description": escape(&format!("In-cluster address of workload `{}`", self.name())),
            "value": {
                "host": format!("${{{svc}.name}}.${{{svc}.namespace}}.svc.cluster.local"),
                "ports": port_map,
            },
        });
        self.add("output", &[&format!("{label}-endpoint")], body);
    }

    // -----------------------------------------------------------------------------------------
    // Pod

    fn pod_spec(&mut self, stateful: bool) -> Value {
        let containers = &self.w.containers;
        // The same plan as the k8s target: a container that declares `before` runs first.
        let plan = match start_order::plan(containers) {
            Ok(p) => p,
            Err(es) => {
                for e in es {
                    let d = err(format!("workload `{}`: {e}", self.name()));
                    self.errors
                        .push(Origin::locate(self.origin, d, &["containers"]));
                }
                start_order::Plan::default()
            }
        };
        let init: BTreeMap<&str, Readiness> = plan
            .roles
            .iter()
            .filter_map(|(n, r)| {
                let ready = match r {
                    Role::Main => return None,
                    Role::Init => Readiness::Complete,
                    Role::Sidecar {
                        startup_probe: true,
                    } => Readiness::Healthy,
                    Role::Sidecar {
                        startup_probe: false,
                    } => Readiness::Started,
                };
                Some((n.as_str(), ready))
            })
            .collect();
        let order: Vec<&str> = plan.init_order.iter().map(String::as_str).collect();
        let mains: Vec<&str> = containers
            .keys()
            .map(String::as_str)
            .filter(|n| !init.contains_key(n))
            .collect();
        let port_owner = self.port_owners(&mains, &init);
        let mut main_blocks = Vec::new();
        for n in &mains {
            let c = &containers[*n];
            main_blocks.push(self.container(n, c, None, port_owner.get(*n), stateful));
        }
        let mut init_blocks = Vec::new();
        for n in &order {
            let Some(c) = containers.get(*n) else {
                continue;
            };
            init_blocks.push(self.container(n, c, Some(init[n]), port_owner.get(*n), stateful));
        }
        let mut pod = Map::new();
        pod.insert("container".into(), Value::Array(main_blocks));
        if !init_blocks.is_empty() {
            pod.insert("init_container".into(), Value::Array(init_blocks));
        }
        if !self.volumes.is_empty() {
            pod.insert(
                "volume".into(),
                Value::Array(self.volumes.values().cloned().collect()),
            );
        }
        Value::Object(pod)
    }

    /// Which container declares each service port: the one whose HTTP probe uses it, else
    /// the first main container.
    fn port_owners(
        &self,
        mains: &[&str],
        init: &BTreeMap<&str, Readiness>,
    ) -> BTreeMap<String, Vec<Value>> {
        let mut out: BTreeMap<String, Vec<Value>> = BTreeMap::new();
        let mut seen = BTreeSet::new();
        let candidates: Vec<&str> = mains
            .iter()
            .copied()
            .chain(
                init.iter()
                    .filter(|(_, r)| **r != Readiness::Complete)
                    .map(|(n, _)| *n),
            )
            .collect();
        let mut names_used: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for (pname, p) in self.w.ports() {
            let target = p.target();
            let owner = candidates
                .iter()
                .find(|n| {
                    let c = &self.w.containers[**n];
                    [&c.liveness_probe, &c.readiness_probe].iter().any(|pr| {
                        pr.as_ref()
                            .and_then(|pr| pr.http_get.as_ref())
                            .is_some_and(|h| h.port == target)
                    })
                })
                .or(mains.first())
                .copied();
            let Some(owner) = owner else { continue };
            if !seen.insert((owner, target, p.protocol)) {
                continue;
            }
            let mut port = json!({"container_port": target, "protocol": p.protocol.as_str()});
            if names::is_port_name(pname)
                && names_used
                    .entry(owner.to_string())
                    .or_default()
                    .insert(pname.clone())
            {
                port["name"] = Value::String(pname.clone());
            }
            out.entry(owner.to_string()).or_default().push(port);
        }
        out
    }

    fn container(
        &mut self,
        name: &str,
        c: &Container,
        init: Option<Readiness>,
        ports: Option<&Vec<Value>>,
        stateful: bool,
    ) -> Value {
        let mut b = Map::new();
        b.insert("name".into(), Value::String(name.to_string()));
        let image = if c.image == "." {
            let var = image_variable(self.name(), name);
            let body = json!({
                "type": "string",
                "description": escape(&format!("Image of container `{name}` of workload `{}` (built locally: its Score image is \".\")", self.name())),
            });
            self.add("variable", &[&var], body);
            interp(&format!("var.{var}"))
        } else {
            escape(&c.image)
        };
        b.insert("image".into(), image.into());
        // As written, like the k8s target: the kubelet expands `$(VAR)` and reads `$$` as `$`
        // in `command`/`args` (only Terraform's own `${`/`%{` are escaped).
        let kube = |xs: &Vec<String>| -> Value {
            Value::Array(xs.iter().map(|s| Value::String(escape(s))).collect())
        };
        if let Some(cmd) = &c.command {
            b.insert("command".into(), kube(cmd));
        }
        if let Some(args) = &c.args {
            b.insert("args".into(), kube(args));
        }
        let env = self.env(name, c);
        if !env.is_empty() {
            b.insert("env".into(), Value::Array(env));
        }
        let mark = self.mark();
        if let Some(r) = &c.resources.as_ref().map(|r| r.effective()) {
            let mut res = Map::new();
            for (key, amounts) in [("limits", &r.limits), ("requests", &r.requests)] {
                let Some(a) = amounts else { continue };
                let mut m = Map::new();
                for (k, q) in [("cpu", &a.cpu), ("memory", &a.memory)] {
                    let Some(q) = q else { continue };
                    match quantity::canonical(q) {
                        Ok(v) => {
                            m.insert(k.into(), v.into());
                        }
                        Err(e) => self.errors.push(err(format!(
                            "workload `{}`, container `{name}`: {key}.{k}: {e}",
                            self.name()
                        ))),
                    }
                }
                if !m.is_empty() {
                    res.insert(key.into(), Value::Object(m));
                }
            }
            if !res.is_empty() {
                b.insert("resources".into(), json!([res]));
            }
        }
        self.locate_since(mark, &["containers", name, "resources"]);
        if let Some(ports) = ports {
            b.insert("port".into(), Value::Array(ports.clone()));
        }
        let mark = self.mark();
        let probes_allowed = init != Some(Readiness::Complete);
        for (key, p) in [
            ("liveness_probe", &c.liveness_probe),
            ("readiness_probe", &c.readiness_probe),
        ] {
            let Some(p) = p else { continue };
            if !probes_allowed {
                self.warnings.push(Diagnostic::warning(
                    "score::terraform::probe",
                    format!("workload `{}`: container `{name}` runs to completion as an init container (its `before` says `ready: complete`), so its {} is dropped", self.name(), key.replace('_', " ")),
                ));
                continue;
            }
            if let Some(v) = self.probe(p) {
                b.insert(key.into(), json!([v]));
            }
        }
        if init == Some(Readiness::Healthy) {
            if let Some(p) = c.readiness_probe.as_ref().or(c.liveness_probe.as_ref()) {
                if let Some(v) = self.probe(p) {
                    b.insert("startup_probe".into(), json!([v]));
                }
            }
        }
        if matches!(init, Some(Readiness::Started | Readiness::Healthy)) {
            b.insert("restart_policy".into(), "Always".into());
        }
        self.locate_since(mark, &["containers", name]);
        let mounts = self.mounts(name, c, stateful);
        if !mounts.is_empty() {
            b.insert("volume_mount".into(), Value::Array(mounts));
        }
        Value::Object(b)
    }

    /// A probe block; with both `httpGet` and `exec`, `exec` as on every target.
    fn probe(&mut self, p: &Probe) -> Option<Value> {
        if let Some(e) = &p.exec {
            return Some(
                json!({"exec": [{"command": e.command.iter().map(|s| escape(s)).collect::<Vec<_>>()}]}),
            );
        }
        if let Some(h) = &p.http_get {
            let mut g = json!({"path": escape(&h.path), "port": h.port.to_string()});
            if let Some(s) = &h.scheme {
                g["scheme"] = escape(s).into();
            }
            if let Some(host) = &h.host {
                g["host"] = escape(host).into();
            }
            if !h.http_headers.is_empty() {
                g["http_header"] = Value::Array(
                    h.http_headers
                        .iter()
                        .map(|x| json!({"name": escape(&x.name), "value": escape(&x.value)}))
                        .collect(),
                );
            }
            return Some(json!({"http_get": [g]}));
        }
        None
    }

    // -----------------------------------------------------------------------------------------
    // Placeholders

    /// Substitute placeholders: metadata becomes escaped text, resource outputs Terraform
    /// template fragments. With `kubelet`, literal `$` are doubled (env values, not secrets).
    fn subst(&mut self, s: &str, kubelet: bool, at: &str) -> Option<Sub> {
        let t = match placeholder::parse(s) {
            Ok(t) => t,
            Err(e) => {
                self.errors
                    .push(err(format!("workload `{}`: {at}: {e}", self.name())));
                return None;
            }
        };
        let lit = |s: &str| {
            if kubelet {
                tmpl::kubelet_escape(s)
            } else {
                s.to_string()
            }
        };
        let mut b = tmpl::Builder::default();
        let mut secret = false;
        for seg in &t.segments {
            match seg {
                Segment::Literal(text) => b.literal(&lit(text)),
                Segment::Placeholder(p) => {
                    match self.env_variable(p) {
                        Ok(Some(var)) => {
                            secret = true;
                            b.template(&interp(&format!("var.{var}")));
                            continue;
                        }
                        Ok(None) => {}
                        Err(e) => {
                            self.errors
                                .push(err(format!("workload `{}`: {at}: {e}", self.w.name())));
                            return None;
                        }
                    }
                    let v = match Context::new(&self.metadata, &self.outputs).resolve_explained(p) {
                        Ok(v) => v,
                        Err(e) => {
                            self.errors
                                .push(err(format!("workload `{}`: {at}: {e}", self.w.name())));
                            return None;
                        }
                    };
                    match p.root() {
                        Ok(RefRoot::Resource { name, output }) => {
                            let Some(first) = output.first() else {
                                self.errors.push(
                                    err(format!("workload `{}`: {at}: `${{{}}}` refers to the whole resource; name one of its outputs", self.w.name(), p.raw))
                                        .with_help(format!("e.g. `${{resources.{name}.host}}`")),
                                );
                                return None;
                            };
                            match &v {
                                Value::String(frag) => {
                                    secret |= self.resolved.is_secret(self.w.name(), name, first)
                                        || tmpl::references_secret(frag);
                                    if let Err(e) = tmpl::parse(frag) {
                                        self.errors.push(err(format!(
                                            "workload `{}`: {at}: output `{}` of resource `{name}` is not a valid Terraform template: {e}",
                                            self.w.name(),
                                            output.join(".")
                                        )));
                                        return None;
                                    }
                                    b.template(frag);
                                }
                                other => {
                                    secret |= self.resolved.is_secret(self.w.name(), name, first);
                                    b.literal(&lit(&placeholder::value_to_string(other)));
                                }
                            }
                        }
                        _ => b.literal(&lit(&placeholder::value_to_string(&v))),
                    }
                }
            }
        }
        Some(Sub {
            text: b.finish(),
            secret,
        })
    }

    /// For `${resources.<env>.KEY}` of an `environment` resource that did not output `KEY`:
    /// the input variable `KEY`, declared on first use.
    fn env_variable(&mut self, p: &Placeholder) -> Result<Option<String>, String> {
        let Ok(RefRoot::Resource { name, output }) = p.root() else {
            return Ok(None);
        };
        let record = self
            .resolved
            .workloads
            .get(self.w.name())
            .and_then(|rw| rw.resources.get(name))
            .filter(|uid| uid.kind == ENVIRONMENT_TYPE)
            .and_then(|uid| self.resolved.resource(uid));
        let Some(r) = record else {
            return Ok(None);
        };
        let key = match output {
            [key] if r.record.outputs.contains_key(key.as_str()) => return Ok(None),
            [key] => key,
            [] => return Err(format!("`${{{}}}` refers to the environment resource itself; name a variable, e.g. `${{resources.{name}.NAME}}`", p.raw)),
            _ => return Err(format!("`${{{}}}`: environment variables have no nested keys", p.raw)),
        };
        let identifier = key.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
            && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !identifier {
            return Err(format!("`{key}` is not a valid environment variable name (letters, digits and `_`, not starting with a digit)"));
        }
        if RESERVED_VARIABLES.contains(&key.as_str()) {
            return Err(format!("`{key}` cannot be a Terraform input variable (the name is reserved or used by the module); use another name"));
        }
        let body = json!({
            "type": "string",
            "sensitive": true,
            "description": format!("Value of `{key}` for `environment` resources (TF_VAR_{key})"),
        });
        self.add("variable", &[key], body);
        Ok(Some(key.clone()))
    }

    fn env(&mut self, container: &str, c: &Container) -> Vec<Value> {
        let mut out = Vec::new();
        for (k, v) in &c.variables {
            let at = format!("containers.{container}.variables.{k}");
            let mark = self.mark();
            // Substitute twice only when needed: secrets must not get the kubelet escaping.
            let plain = self.subst(v, true, &at);
            self.locate_since(mark, &["containers", container, "variables", k]);
            let Some(plain) = plain else {
                continue;
            };
            if plain.secret {
                let Some(raw) = self.subst(v, false, &at) else {
                    continue;
                };
                let key = names::data_key(&format!("{container}.{k}"));
                self.env_secret.insert(key.clone(), raw.text.into());
                let secret = names::safe_name(&format!("{}-env", self.label), "w");
                out.push(json!({
                    "name": escape(k),
                    "value_from": [{"secret_key_ref": [{
                        "name": metadata_name("kubernetes_secret_v1", &secret),
                        "key": key,
                    }]}],
                }));
            } else {
                out.push(json!({"name": escape(k), "value": plain.text}));
            }
        }
        out
    }

    // -----------------------------------------------------------------------------------------
    // Files and volumes

    fn mounts(&mut self, container: &str, c: &Container, stateful: bool) -> Vec<Value> {
        let mut out = Vec::new();
        // Diagnostics of the entry being lowered point at it: located when the next entry
        // starts (the loops `continue` from many places) and after the last one.
        let mut pending: Option<((usize, usize), [&str; 4])> = None;
        for (i, (target, f)) in c.files.iter().enumerate() {
            if let Some((mark, path)) = pending.take() {
                self.locate_since(mark, &path);
            }
            pending = Some((self.mark(), ["containers", container, "files", target]));
            let at = format!("containers.{container}.files.{target}");
            let base = target.rsplit('/').next().unwrap_or_default();
            let key = if base.is_empty() {
                "content".to_string()
            } else {
                names::data_key(base)
            };
            // (data as text, or base64 binary)
            let content: Option<(Option<Sub>, Option<String>)> = match &f.content {
                FileContent::Content(s) if f.no_expand => Some((
                    Some(Sub {
                        text: escape(s),
                        secret: false,
                    }),
                    None,
                )),
                FileContent::Content(s) => self.subst(s, false, &at).map(|s| (Some(s), None)),
                FileContent::BinaryContent(b) => Some((None, Some(b.trim().to_string()))),
                FileContent::Source(path) => {
                    let full = self.base_dir.join(path);
                    // The project boundary: inside the Score file's directory, links
                    // resolved, a regular file of bounded size.
                    match score_core::boundary::read_inside(self.base_dir, path) {
                        Ok(bytes) => match String::from_utf8(bytes) {
                            Ok(text) if f.no_expand => Some((
                                Some(Sub {
                                    text: escape(&text),
                                    secret: false,
                                }),
                                None,
                            )),
                            Ok(text) => self.subst(&text, false, &at).map(|s| (Some(s), None)),
                            Err(e) => {
                                use base64::Engine as _;
                                Some((
                                    None,
                                    Some(
                                        base64::engine::general_purpose::STANDARD
                                            .encode(e.into_bytes()),
                                    ),
                                ))
                            }
                        },
                        Err(e) => {
                            self.errors.push(err(format!(
                                "workload `{}`: {at}: cannot read `{}`: {e}",
                                self.name(),
                                full.display()
                            )));
                            None
                        }
                    }
                }
            };
            let Some((text, binary)) = content else {
                continue;
            };
            let secret = text.as_ref().is_some_and(|t| t.secret);
            let obj = names::safe_name(
                &format!(
                    "{}-{container}-{}-{}",
                    self.label,
                    names::slug(base),
                    short_hash(&format!("{container}\n{target}"), 6)
                ),
                "f",
            );
            let (rtype, data_key) = match (secret, binary.is_some()) {
                (true, _) => ("kubernetes_secret_v1", "data"),
                (false, false) => ("kubernetes_config_map_v1", "data"),
                (false, true) => ("kubernetes_config_map_v1", "binary_data"),
            };
            let value = match (text, binary) {
                (Some(t), _) => t.text,
                (None, Some(b)) => b,
                (None, None) => continue,
            };
            let mut body = json!({"metadata": [self.object_metadata(&obj, None)]});
            body[data_key] = json!({ key.clone(): value });
            if rtype == "kubernetes_secret_v1" {
                body["type"] = "Opaque".into();
            }
            self.add("resource", &[rtype, &obj], body);
            self.checksum_refs.push(format!("{rtype}.{obj}.{data_key}"));
            let vol = names::safe_name(&format!("{container}-file-{i}"), "f");
            let mut item = json!({"key": key, "path": key});
            if let Some(mode) = f.mode_bits() {
                item["mode"] = format!("{mode:04o}").into();
            }
            let source = if rtype == "kubernetes_secret_v1" {
                json!({"secret": [{"secret_name": metadata_name(rtype, &obj), "items": [item]}]})
            } else {
                json!({"config_map": [{"name": metadata_name(rtype, &obj), "items": [item]}]})
            };
            let mut v = source;
            v["name"] = vol.clone().into();
            self.volumes.insert(vol.clone(), v);
            out.push(json!({"name": vol, "mount_path": escape(target), "sub_path": key, "read_only": true}));
        }
        for (target, v) in &c.volumes {
            if let Some((mark, path)) = pending.take() {
                self.locate_since(mark, &path);
            }
            pending = Some((self.mark(), ["containers", container, "volumes", target]));
            let at = format!("containers.{container}.volumes.{target}");
            let Some((res, outputs)) = self.volume_outputs(&v.source, &at) else {
                continue;
            };
            let vol = names::safe_name(&format!("vol-{res}"), "v");
            let claim = outputs.get("claim_spec").filter(|_| stateful);
            if let Some(spec) = claim {
                let spec = blocks::canonical_body("kubernetes_stateful_set_v1", &snake_keys(spec));
                self.claims.insert(
                    vol.clone(),
                    json!({"metadata": [{"name": vol, "labels": labels(self.name(), &self.label)}], "spec": [spec]}),
                );
            } else {
                match outputs.get("source") {
                    Some(Value::Object(src)) => {
                        let mut src = blocks::canonical_body(
                            "kubernetes_deployment_v1",
                            &snake_keys(&Value::Object(src.clone())),
                        );
                        if src.get("persistent_volume_claim").is_some() {
                            self.uses_claim = true;
                        }
                        src["name"] = vol.clone().into();
                        if let Some(prev) = self.volumes.get(&vol) {
                            if prev != &src {
                                self.errors.push(err(format!("workload `{}`: {at}: volume name `{vol}` is used by two different volumes", self.name())));
                            }
                        }
                        self.volumes.insert(vol.clone(), src);
                    }
                    _ => {
                        self.errors.push(
                            err(format!("workload `{}`: {at}: resource `{res}` has no `source` output to mount", self.name()))
                                .with_help("a volume provisioner for the terraform target outputs `source`: the body of a Kubernetes `volume` block, e.g. `{persistent_volume_claim: {claim_name: ...}}` or `{empty_dir: {}}`"),
                        );
                        continue;
                    }
                }
            }
            let mut m = json!({"name": vol, "mount_path": escape(target)});
            // Relative, as on the other targets (the API rejects an absolute `subPath`).
            if let Some(p) = v.sub_path() {
                m["sub_path"] = escape(p).into();
            }
            if v.read_only {
                m["read_only"] = true.into();
            }
            out.push(m);
        }
        if let Some((mark, path)) = pending.take() {
            self.locate_since(mark, &path);
        }
        out
    }

    /// The resource name and outputs a volume `source` refers to (`${resources.<name>}`).
    fn volume_outputs(&mut self, source: &str, at: &str) -> Option<(String, Map<String, Value>)> {
        let t = placeholder::parse(source).ok();
        let phs: Vec<_> = t.iter().flat_map(|t| t.segments.iter()).collect();
        if let [Segment::Placeholder(p)] = phs.as_slice() {
            if let Ok(RefRoot::Resource { name, output }) = p.root() {
                // `${resources.data.source}` means the volume resource itself, as on k8s.
                let whole = output.is_empty() || output == ["source"];
                let resolved = match self.outputs.get(name) {
                    Some(Value::Object(m)) if whole => Ok(Value::Object(m.clone())),
                    _ => Context::new(&self.metadata, &self.outputs).resolve_explained(p),
                };
                match resolved {
                    Ok(Value::Object(m)) if whole => {
                        return Some((name.to_string(), m));
                    }
                    Ok(_) => {}
                    Err(e) => {
                        self.errors
                            .push(err(format!("workload `{}`: {at}: {e}", self.name())));
                        return None;
                    }
                }
            }
        }
        let named = phs.iter().all(|s| match s {
            Segment::Placeholder(p) => matches!(p.root(), Ok(RefRoot::Metadata(_))),
            Segment::Literal(_) => true,
        });
        let text = placeholder::substitute(source, &Context::new(&self.metadata, &self.outputs));
        match text {
            Ok(text) if named && names::is_dns_label(&text) => {
                // The volume of that name: on Kubernetes the claim of that name, as on k8s.
                self.warnings.push(Diagnostic::warning(
                    "score::terraform::volume_claim",
                    format!("workload `{}`: {at}: source `{text}` names no resource: it is mounted as the existing PersistentVolumeClaim `{text}`; declare a `volume` resource (`${{resources.<name>}}`) to have one provisioned", self.name()),
                ));
                let mut outputs = Map::new();
                outputs.insert(
                    "source".into(),
                    json!({"persistent_volume_claim": {"claim_name": text}}),
                );
                return Some((text, outputs));
            }
            _ => {}
        }
        self.errors.push(
            err(format!("workload `{}`: {at}: volume source `{source}` must be a volume resource, `${{resources.<name>}}`, or the name of an existing PersistentVolumeClaim", self.name()))
                .with_help("declare a resource of type `volume` and use `source: ${resources.<name>}`"),
        );
        None
    }
}

/// `camelCase` keys → `snake_case` (so Kubernetes-style volume outputs work too).
fn snake_keys(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, v)| {
                    let mut s = String::new();
                    for c in k.chars() {
                        if c.is_ascii_uppercase() {
                            s.push('_');
                            s.push(c.to_ascii_lowercase());
                        } else {
                            s.push(c);
                        }
                    }
                    (s, snake_keys(v))
                })
                .collect(),
        ),
        Value::Array(xs) => Value::Array(xs.iter().map(snake_keys).collect()),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snake_case_keys() {
        assert_eq!(
            snake_keys(&json!({"persistentVolumeClaim": {"claimName": "x"}, "emptyDir": {}})),
            json!({"persistent_volume_claim": {"claim_name": "x"}, "empty_dir": {}})
        );
    }
}
