//! The provisioning run: requests → order → provisioners → state.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde_json::{Map, Value};

use super::file::{first_serving, Need, Provisioner, ProvisionerKind};
use super::functions::Random;
use super::template::Engines;
use super::{
    command, template, ProvisionedResource, Resolved, ResolvedWorkload, RunInputs, Target,
    WorkloadInput,
};
use crate::diagnostic::Diagnostic;
use crate::placeholder::{self, Context, RefRoot};
use crate::state::{ResourceRecord, TargetState};
use crate::suggest::closest;
use crate::uid::ResourceUid;

/// One declaration of a resource by a workload.
#[derive(Debug, Clone)]
struct Declaration {
    workload: String,
    name: String,
    params: Option<Map<String, Value>>,
    metadata: Option<Map<String, Value>>,
}

/// A resource UID with every workload's declaration of it.
#[derive(Debug, Clone)]
struct Request {
    kind: String,
    class: String,
    id: Option<String>,
    decls: Vec<Declaration>,
}

/// Provision every resource the workloads request, updating `state` in place.
///
/// On error `state` may be partly updated: callers save it only on success, so the state on
/// disk stays as it was.
pub fn provision(
    state: &mut TargetState,
    workloads: &[WorkloadInput],
    provisioners: &[Provisioner],
    target: &Target,
) -> Result<Resolved, Vec<Diagnostic>> {
    let mut resolved = provision_resources(state, workloads, provisioners, target, &mut |_| {})?;
    resolved.workloads = resolved_workloads(workloads.iter().cloned());
    Ok(resolved)
}

/// [`provision`] that moves `workloads` into the result instead of copying them (with hundreds
/// of workloads the copy was megabytes), and shows each resource to `each` as soon as it is
/// provisioned, in the order of [`Resolved::resources`]. `each` may take artifacts out of it
/// (a backend that turns them into output at once need not keep them all until the end); it
/// also sees resources of a run that fails later.
///
/// # Errors
/// As [`provision`].
pub fn provision_owned(
    state: &mut TargetState,
    workloads: Vec<WorkloadInput>,
    provisioners: &[Provisioner],
    target: &Target,
    each: &mut dyn FnMut(&mut ProvisionedResource),
) -> Result<Resolved, Vec<Diagnostic>> {
    let mut resolved = provision_resources(state, &workloads, provisioners, target, each)?;
    resolved.workloads = resolved_workloads(workloads);
    Ok(resolved)
}

/// The resources in provisioning order and the shared state after them (no workloads yet).
fn provision_resources(
    state: &mut TargetState,
    workloads: &[WorkloadInput],
    provisioners: &[Provisioner],
    target: &Target,
    each: &mut dyn FnMut(&mut ProvisionedResource),
) -> Result<Resolved, Vec<Diagnostic>> {
    let mut errors = Vec::new();
    let requests = collect(workloads);
    let sources: BTreeMap<ResourceUid, Declaration> = requests
        .iter()
        .filter_map(|(uid, r)| match source_declaration(uid, r) {
            Ok(d) => Some((uid.clone(), d)),
            Err(e) => {
                errors.push(*e);
                None
            }
        })
        .collect();
    // Looked up once or twice per resource: a scan of the workloads made that quadratic.
    let index: HashMap<&str, &WorkloadInput> =
        workloads.iter().map(|w| (w.workload.name(), w)).collect();
    let by_name = |w: &str| index.get(w).copied();
    let deps: BTreeMap<ResourceUid, BTreeSet<ResourceUid>> = sources
        .iter()
        .map(|(uid, d)| (uid.clone(), dependencies(d, by_name(&d.workload))))
        .collect();
    let order = match topo_order(&deps) {
        Ok(o) => o,
        Err(cycle) => {
            let names: Vec<String> = cycle.iter().map(ToString::to_string).collect();
            errors.push(
                Diagnostic::error("score::resource::cycle", format!("resource params depend on each other in a cycle: {}", names.join(" → ")))
                    .with_help("a resource's params may use another resource's outputs only if that one does not depend back on it"),
            );
            return Err(errors);
        }
    };
    let random = Random::for_resource("");
    let mut engines = Engines::new(&random);
    let mut vars = target.vars.clone();
    let names: Vec<String> = workloads
        .iter()
        .map(|x| x.workload.name().to_string())
        .collect();
    vars.insert("workloads".into(), names.into());
    let vars_template = minijinja::Value::from(minijinja::value::Serde(&vars));
    let mut run = Run {
        state,
        provisioners,
        target,
        engines: &mut engines,
        random: &random,
        vars: std::sync::Arc::new(vars),
        vars_template,
        done: BTreeMap::new(),
        failed: BTreeSet::new(),
    };
    for uid in &order {
        let (Some(req), Some(decl)) = (requests.get(uid), sources.get(uid)) else {
            continue;
        };
        if deps[uid].iter().any(|d| run.failed.contains(d)) {
            run.failed.insert(uid.clone());
            continue;
        }
        let Some(w) = by_name(&decl.workload) else {
            continue;
        };
        match run.one(uid, req, decl, w) {
            Ok(mut r) => {
                each(&mut r);
                run.done.insert(uid.clone(), r);
            }
            Err(e) => {
                errors.push(*e);
                run.failed.insert(uid.clone());
            }
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    // Deprovision: forget resources that no workload requests any more.
    run.state
        .resources
        .retain(|uid, _| requests.contains_key(uid));
    let resources: Vec<ProvisionedResource> =
        order.iter().filter_map(|u| run.done.remove(u)).collect();
    Ok(Resolved::new(
        BTreeMap::new(),
        resources,
        state.shared_state.clone(),
    ))
}

fn collect(workloads: &[WorkloadInput]) -> BTreeMap<ResourceUid, Request> {
    let mut out: BTreeMap<ResourceUid, Request> = BTreeMap::new();
    let mut sorted: Vec<&WorkloadInput> = workloads.iter().collect();
    sorted.sort_by(|a, b| a.workload.name().cmp(b.workload.name()));
    for w in sorted {
        for (name, r) in &w.workload.resources {
            let uid = ResourceUid::of(w.workload.name(), name, r);
            out.entry(uid)
                .or_insert_with(|| Request {
                    kind: r.kind.clone(),
                    class: r.class().to_string(),
                    id: r.id.clone(),
                    decls: Vec::new(),
                })
                .decls
                .push(Declaration {
                    workload: w.workload.name().to_string(),
                    name: name.clone(),
                    params: r.params.clone(),
                    metadata: r.metadata.clone(),
                });
        }
    }
    out
}

/// The declaration whose params (and metadata) count: the one that sets params, else the first.
fn source_declaration(uid: &ResourceUid, r: &Request) -> Result<Declaration, Box<Diagnostic>> {
    let with_params: Vec<&Declaration> = r
        .decls
        .iter()
        .filter(|d| d.params.as_ref().is_some_and(|p| !p.is_empty()))
        .collect();
    for field in ["params", "metadata"] {
        let get = |d: &Declaration| {
            if field == "params" {
                d.params.clone()
            } else {
                d.metadata.clone()
            }
        };
        let set: Vec<&Declaration> = r
            .decls
            .iter()
            .filter(|d| get(d).is_some_and(|m| !m.is_empty()))
            .collect();
        if let Some(other) = set.iter().skip(1).find(|d| get(d) != get(set[0])) {
            return Err(Box::new(
                Diagnostic::error(
                    "score::resource::conflict",
                    format!("shared resource `{uid}` is declared with different {field} by workloads `{}` and `{}`", set[0].workload, other.workload),
                )
                .with_help(format!("declare the {field} in one workload only, or make them identical")),
            ));
        }
    }
    let mut decl = with_params.first().copied().unwrap_or(&r.decls[0]).clone();
    if decl.metadata.as_ref().is_none_or(|m| m.is_empty()) {
        decl.metadata = r
            .decls
            .iter()
            .find_map(|d| d.metadata.clone().filter(|m| !m.is_empty()));
    }
    Ok(decl)
}

/// UIDs of the resources a declaration's params refer to.
fn dependencies(d: &Declaration, w: Option<&WorkloadInput>) -> BTreeSet<ResourceUid> {
    let (Some(params), Some(w)) = (&d.params, w) else {
        return BTreeSet::new();
    };
    let mut strings = Vec::new();
    collect_strings(&Value::Object(params.clone()), &mut strings);
    let mut out = BTreeSet::new();
    for s in strings {
        let Ok(t) = placeholder::parse(&s) else {
            continue;
        };
        for ph in t.placeholders() {
            if let Ok(RefRoot::Resource { name, .. }) = ph.root() {
                if let Some(r) = w.workload.resources.get(name) {
                    out.insert(ResourceUid::of(w.workload.name(), name, r));
                }
            }
        }
    }
    out
}

fn collect_strings(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::String(s) => out.push(s.clone()),
        Value::Array(xs) => xs.iter().for_each(|x| collect_strings(x, out)),
        Value::Object(m) => m.values().for_each(|x| collect_strings(x, out)),
        _ => {}
    }
}

/// Dependencies first, ties broken by UID; a cycle is returned as a closed path.
fn topo_order(
    deps: &BTreeMap<ResourceUid, BTreeSet<ResourceUid>>,
) -> Result<Vec<ResourceUid>, Vec<ResourceUid>> {
    let mut remaining: BTreeMap<&ResourceUid, BTreeSet<&ResourceUid>> = deps
        .iter()
        .map(|(k, v)| {
            (
                k,
                v.iter()
                    .filter(|d| deps.contains_key(*d) && *d != k)
                    .collect(),
            )
        })
        .collect();
    // Kahn's algorithm in rounds: each round takes every resource whose dependencies are all
    // done, in UID order. Only a finished resource's dependents are updated (updating every
    // remaining resource per finished one was quadratic in the project size).
    let mut dependents: BTreeMap<&ResourceUid, Vec<&ResourceUid>> = BTreeMap::new();
    for (k, ds) in &remaining {
        for d in ds {
            dependents.entry(*d).or_default().push(*k);
        }
    }
    let mut order = Vec::with_capacity(deps.len());
    let mut ready: Vec<&ResourceUid> = remaining
        .iter()
        .filter(|(_, d)| d.is_empty())
        .map(|(k, _)| *k)
        .collect();
    while !ready.is_empty() {
        let mut next = Vec::new();
        for r in ready {
            remaining.remove(r);
            for d in dependents.get(r).into_iter().flatten() {
                if let Some(waiting) = remaining.get_mut(*d) {
                    if waiting.remove(r) && waiting.is_empty() {
                        next.push(*d);
                    }
                }
            }
            order.push(r.clone());
        }
        next.sort();
        ready = next;
    }
    if !remaining.is_empty() {
        return Err(find_cycle(&remaining));
    }
    // Self-references (a resource's params naming itself) are cycles too.
    if let Some((k, _)) = deps.iter().find(|(k, v)| v.contains(*k)) {
        return Err(vec![k.clone(), k.clone()]);
    }
    Ok(order)
}

fn find_cycle(remaining: &BTreeMap<&ResourceUid, BTreeSet<&ResourceUid>>) -> Vec<ResourceUid> {
    let mut path: Vec<&ResourceUid> = vec![remaining.keys().next().copied().expect("non-empty")];
    loop {
        let last = path[path.len() - 1];
        let next = remaining[last]
            .iter()
            .next()
            .copied()
            .expect("every remaining node has a dependency");
        if let Some(pos) = path.iter().position(|p| *p == next) {
            let mut cycle: Vec<ResourceUid> = path[pos..].iter().map(|u| (*u).clone()).collect();
            cycle.push(next.clone());
            return cycle;
        }
        path.push(next);
    }
}

fn resolved_workloads(
    workloads: impl IntoIterator<Item = WorkloadInput>,
) -> BTreeMap<String, ResolvedWorkload> {
    workloads
        .into_iter()
        .map(|w| {
            let resources = w
                .workload
                .resources
                .iter()
                .map(|(n, r)| (n.clone(), ResourceUid::of(w.workload.name(), n, r)))
                .collect();
            (
                w.workload.name().to_string(),
                ResolvedWorkload {
                    workload: w.workload,
                    base_dir: w.base_dir,
                    resources,
                },
            )
        })
        .collect()
}

/// Merge provisioner updates into shared state; a null value deletes the key.
pub(crate) fn merge_shared(shared: &mut Map<String, Value>, updates: &Map<String, Value>) {
    for (k, v) in updates {
        match (v, shared.get_mut(k)) {
            (Value::Null, _) => {
                shared.remove(k);
            }
            (Value::Object(u), Some(Value::Object(existing))) => merge_shared(existing, u),
            _ => {
                shared.insert(k.clone(), v.clone());
            }
        }
    }
}

struct Run<'a> {
    state: &'a mut TargetState,
    provisioners: &'a [Provisioner],
    target: &'a Target,
    engines: &'a mut Engines,
    random: &'a Random,
    vars: std::sync::Arc<Map<String, Value>>,
    vars_template: minijinja::Value,
    done: BTreeMap<ResourceUid, ProvisionedResource>,
    failed: BTreeSet<ResourceUid>,
}

impl Run<'_> {
    fn one(
        &mut self,
        uid: &ResourceUid,
        req: &Request,
        decl: &Declaration,
        w: &WorkloadInput,
    ) -> Result<ProvisionedResource, Box<Diagnostic>> {
        let params = self.substitute_params(uid, decl, w)?;
        let p = find(self.provisioners, self.target, uid, req)?;
        let prev = self.state.resources.get(uid);
        self.random.reset(&uid.to_string());
        let guid = prev.map_or_else(|| self.random.uuid(), |r| r.guid.clone());
        let metadata = decl.metadata.clone().unwrap_or_default();
        let mut context = Map::new();
        context.insert("guid".into(), guid.clone().into());
        context.insert("uid".into(), uid.to_string().into());
        context.insert("type".into(), req.kind.clone().into());
        context.insert("class".into(), req.class.clone().into());
        context.insert(
            "id".into(),
            req.id.clone().map_or(Value::Null, Value::String),
        );
        context.insert("name".into(), decl.name.clone().into());
        context.insert("params".into(), Value::Object(params.clone()));
        context.insert("metadata".into(), Value::Object(metadata.clone()));
        context.insert("source_workload".into(), decl.workload.clone().into());
        context.insert("workload_metadata".into(), w.workload.metadata_json());
        let inputs = RunInputs {
            context,
            vars: self.vars.clone(),
            vars_template: self.vars_template.clone(),
            state: prev.map(|r| r.state.clone()).unwrap_or_default(),
            shared: self.state.shared_state.clone(),
        };
        let outcome = match &p.run {
            ProvisionerKind::Template(ts) => {
                template::run(self.engines, p, ts, &inputs, &self.target.artifact_keys)?
            }
            ProvisionerKind::GoTemplate(ts) => {
                template::run_go(self.engines, p, ts, &inputs, &self.target.artifact_keys)?
            }
            ProvisionerKind::Command {
                program,
                args,
                timeout,
            } => command::run(
                p,
                program,
                args,
                *timeout,
                &inputs,
                &self.target.artifact_keys,
            )?,
        };
        if !self.target.secret_refs {
            unresolvable_secret_ref(p, uid, &self.target.name, &outcome.outputs)?;
        }
        merge_shared(&mut self.state.shared_state, &outcome.shared);
        let wrote_shared = !outcome.shared.is_empty();
        let mut secret_outputs: BTreeSet<String> = p.secret_outputs.iter().cloned().collect();
        secret_outputs.extend(outcome.extra_secret_outputs);
        let record = ResourceRecord {
            guid,
            kind: req.kind.clone(),
            class: req.class.clone(),
            id: req.id.clone(),
            metadata,
            params,
            source_workload: decl.workload.clone(),
            provisioner: p.uri.clone(),
            state: outcome.state,
            outputs: outcome.outputs,
            secret_outputs,
        };
        self.state.resources.insert(uid.clone(), record.clone());
        Ok(ProvisionedResource {
            uid: uid.clone(),
            record,
            artifacts: outcome.artifacts,
            provisioner_file: p.file.name().to_string(),
            wrote_shared,
        })
    }

    /// Params with placeholders resolved against the source workload and earlier outputs.
    fn substitute_params(
        &self,
        uid: &ResourceUid,
        decl: &Declaration,
        w: &WorkloadInput,
    ) -> Result<Map<String, Value>, Box<Diagnostic>> {
        let Some(params) = &decl.params else {
            return Ok(Map::new());
        };
        let metadata = w.workload.metadata_json();
        let outputs: BTreeMap<String, Value> = w
            .workload
            .resources
            .iter()
            .filter_map(|(n, r)| {
                let dep = ResourceUid::of(w.workload.name(), n, r);
                self.done
                    .get(&dep)
                    .map(|p| (n.clone(), Value::Object(p.record.outputs.clone())))
            })
            .collect();
        match placeholder::substitute_value(&Value::Object(params.clone()), &Context::new(&metadata, &outputs)) {
            Ok(Value::Object(m)) => Ok(m),
            Ok(_) => Ok(Map::new()),
            Err(e) => Err(Box::new(
                Diagnostic::error(
                    "score::resource::params",
                    format!("cannot resolve the params of resource `{}` (workload `{}`, `{uid}`): {e}", decl.name, decl.workload),
                )
                .with_help("params may use `${metadata.*}` and the outputs of the workload's other resources"),
            )),
        }
    }
}

/// An error when an output holds a score-k8s secret reference, which only a target that reads
/// Kubernetes Secrets can resolve.
fn unresolvable_secret_ref(
    p: &Provisioner,
    uid: &ResourceUid,
    target: &str,
    outputs: &Map<String, Value>,
) -> Result<(), Box<Diagnostic>> {
    let Some(path) = outputs.iter().find_map(|(k, v)| {
        crate::secret_ref::find_in(v).map(|p| match p.as_str() {
            "" => k.clone(),
            p if p.starts_with('[') => format!("{k}{p}"),
            p => format!("{k}.{p}"),
        })
    }) else {
        return Ok(());
    };
    Err(Box::new(
        Diagnostic::error(
            "score::provisioner::secret_ref",
            format!("resource `{uid}`: output `{path}` is a reference to a Kubernetes Secret (score-k8s's `encodeSecretRef`), which the `{target}` target cannot resolve"),
        )
        .with_label(&p.file, p.span, "this provisioner")
        .with_help("secret references work with `--target k8s` only; give this target a provisioner that outputs the value (and lists it in `secret_outputs`), or limit this entry with `targets: [k8s]`"),
    ))
}

/// The first provisioner that serves this target and resource.
fn find<'p>(
    provisioners: &'p [Provisioner],
    t: &Target,
    uid: &ResourceUid,
    req: &Request,
) -> Result<&'p Provisioner, Box<Diagnostic>> {
    let target = &t.name;
    let keys = &t.artifact_keys;
    let need = Need {
        kind: &req.kind,
        class: &req.class,
        id: uid.id.as_str().into(),
    };
    first_serving(provisioners, target, keys, &need).ok_or_else(|| {
        let types: BTreeSet<&str> =
            provisioners.iter().filter(|p| p.applies_to(target, keys)).map(|p| p.kind.as_str()).collect();
        let mut help = format!(
            "supported types for `{target}`: {}; add a provisioner with `score-rs init --provisioners <file>`",
            types.iter().copied().collect::<Vec<_>>().join(", ")
        );
        if let Some(best) = closest(&req.kind, types.iter().copied()) {
            help = format!("did you mean type `{best}`? {help}");
        }
        Box::new(
            Diagnostic::error("score::resource::unsupported", format!("resource '{uid}' is not supported by any provisioner"))
                .with_help(help),
        )
    })
}

#[cfg(test)]
mod order_tests {
    use super::*;

    fn uid(name: &str) -> ResourceUid {
        ResourceUid::new("t", "default", None, "w", name)
    }

    fn graph(edges: &[(&str, &[&str])]) -> BTreeMap<ResourceUid, BTreeSet<ResourceUid>> {
        edges
            .iter()
            .map(|(k, ds)| (uid(k), ds.iter().map(|d| uid(d)).collect()))
            .collect()
    }

    fn names(order: &[ResourceUid]) -> Vec<String> {
        order.iter().map(|u| u.to_string()).collect()
    }

    #[test]
    fn rounds_of_ready_resources_in_uid_order() {
        // d depends on b and c, which depend on a; e stands alone; x names an unknown UID.
        let deps = graph(&[
            ("d", &["b", "c"]),
            ("c", &["a"]),
            ("b", &["a"]),
            ("a", &[]),
            ("e", &["zz-unknown"]),
        ]);
        let order = topo_order(&deps).unwrap();
        let expected: Vec<String> = ["a", "e", "b", "c", "d"]
            .iter()
            .map(|n| uid(n).to_string())
            .collect();
        assert_eq!(names(&order), expected);
    }

    #[test]
    fn cycles_and_self_references_are_reported() {
        let cycle = topo_order(&graph(&[("a", &["b"]), ("b", &["a"]), ("c", &[])])).unwrap_err();
        assert_eq!(
            names(&cycle),
            vec![
                uid("a").to_string(),
                uid("b").to_string(),
                uid("a").to_string()
            ]
        );
        let own = topo_order(&graph(&[("a", &["a"])])).unwrap_err();
        assert_eq!(own, vec![uid("a"), uid("a")]);
    }
}
