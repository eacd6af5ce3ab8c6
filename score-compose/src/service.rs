//! One workload → compose services, one per container.
//!
//! * Service names are `<workload>-<container>`.
//! * All containers of a workload share one network namespace, owned by one of them, which gets
//!   `hostname: <workload>`; the others get `network_mode: service:<owner>`. The owner is the
//!   first container by name, skipping containers that others wait to *complete* (`before:
//!   {ready: complete}`, i.e. init containers: when they exit, a namespace they own would go
//!   with them) and containers that wait for another container in the namespace (compose
//!   would see a cycle). With no `before` this is simply the first container by name. Init
//!   containers run on the project network on their own.
//! * `command` → `entrypoint`, `args` → `command` (see [`crate::escape::command_arg`]).
//! * `variables` → `environment` (see [`crate::resolve`]).
//! * `files` → read-only bind mounts ([`crate::files`]); `volumes` → [`crate::volumes`].
//! * probes → `healthcheck` ([`crate::probes`]); `resources` → `deploy.resources`.
//! * `before` → `depends_on`; and every container waits for the services of the workload's
//!   resources (healthy when they have a health check).

use std::collections::{BTreeMap, BTreeSet};

use docker_compose_types::{
    BuildStep, Command, DependsCondition, DependsOnOptions, Deploy, Entrypoint, Environment,
    Limits, Resources, Service, SingleValue, Volumes,
};
use indexmap::IndexMap;
use score_core::ir::{ComputeAmounts, Container, Readiness, Workload};
use score_core::provision::{Resolved, ResolvedWorkload};
use score_core::Diagnostic;

use crate::files::{self, FileCtx};
use crate::resolve::Resolver;
use crate::resources::ResourceDoc;
use crate::{escape, probes, quantity, volumes, GeneratedFile};

/// The compose service name of a container.
pub(crate) fn service_name(workload: &str, container: &str) -> String {
    format!("{workload}-{container}")
}

/// Containers that another container waits to complete: they run to completion, like init
/// containers, so they neither own nor join the shared network namespace.
pub(crate) fn init_containers(w: &Workload) -> BTreeSet<&str> {
    w.containers
        .values()
        .flat_map(|c| c.before.iter())
        .filter(|(_, b)| b.ready == Readiness::Complete)
        .map(|(name, _)| name.as_str())
        .filter(|name| w.containers.contains_key(*name))
        .collect()
}

/// The container that owns the workload's network namespace (see the module docs).
pub(crate) fn network_owner(w: &Workload) -> &str {
    let init = init_containers(w);
    let first = w.containers.keys().next().map_or("", String::as_str);
    w.containers
        .iter()
        .find(|(name, c)| {
            !init.contains(name.as_str()) && c.before.keys().all(|dep| init.contains(dep.as_str()))
        })
        .or_else(|| {
            w.containers
                .iter()
                .find(|(name, _)| !init.contains(name.as_str()))
        })
        .map_or(first, |(name, _)| name.as_str())
}

/// Everything lowering one workload needs.
pub(crate) struct WorkloadCtx<'a> {
    /// The whole resolved project.
    pub resolved: &'a Resolved,
    /// What the resources contributed (for `depends_on` conditions).
    pub resource_doc: &'a ResourceDoc,
    /// The mounts directory as the compose file names it.
    pub mounts_ref: &'a str,
    /// Build steps by `(workload, container)` from `--build`.
    pub builds: &'a BTreeMap<(String, String), BuildStep>,
    /// The process environment.
    pub getenv: &'a dyn Fn(&str) -> Option<String>,
}

/// What one workload produced.
#[derive(Default)]
pub(crate) struct LoweredWorkload {
    /// Services by name.
    pub services: BTreeMap<String, Service>,
    /// Files to write under the mounts directory.
    pub files: Vec<GeneratedFile>,
    /// Named volumes the mounts use.
    pub named_volumes: BTreeSet<String>,
    /// Compose-time variables the environment uses (`environment` resources).
    pub env_keys: BTreeSet<String>,
}

/// Lower workload `w`; errors and warnings go to `diags`.
pub(crate) fn lower(
    ctx: &WorkloadCtx<'_>,
    w: &ResolvedWorkload,
    diags: &mut Vec<Diagnostic>,
) -> LoweredWorkload {
    let name = w.workload.name();
    let resolver = Resolver::new(ctx.resolved, name);
    let owner = network_owner(&w.workload);
    let init = init_containers(&w.workload);
    let file_ctx = FileCtx {
        workload: name,
        base_dir: &w.base_dir,
        mounts_ref: ctx.mounts_ref,
        resolver: &resolver,
        getenv: ctx.getenv,
    };
    let mut out = LoweredWorkload::default();
    let resource_deps = resource_dependencies(ctx, w);
    for (cname, c) in &w.workload.containers {
        let at = format!("workload `{name}`, container `{cname}`");
        let mut svc = Service::default();

        match ctx.builds.get(&(name.to_string(), cname.clone())) {
            Some(step) => svc.build_ = Some(step.clone()),
            None if c.image == "." => diags.push(
                Diagnostic::error("score::compose::no_image", format!("{at}: image `.` means \"built locally\", but no build context was given"))
                    .with_help(format!("pass `--build {cname}=<directory>` (or `--build {name}.{cname}=<directory>`), or set the image with `--image`")),
            ),
            // Compose would interpolate a `$` in the image away.
            None => svc.image = Some(escape::dollars(&c.image)),
        }
        if let Some(cmd) = &c.command {
            svc.entrypoint = Some(Entrypoint::List(
                cmd.iter().map(|a| escape::command_arg(a)).collect(),
            ));
        }
        if let Some(args) = &c.args {
            svc.command = Some(Command::Args(
                args.iter().map(|a| escape::command_arg(a)).collect(),
            ));
        }
        svc.environment = environment(&resolver, name, cname, c, &mut out.env_keys, diags);

        let mut mounts = files::lower(&file_ctx, cname, c, &mut out.files, diags);
        for (target, vol) in &c.volumes {
            let vat = format!("workload `{name}`, containers.{cname}.volumes[{target}]");
            match volumes::lower(
                ctx.resolved,
                w,
                &resolver,
                &vat,
                target,
                vol,
                &mut out.named_volumes,
            ) {
                Ok(m) => mounts.push(m),
                Err(d) => diags.push(d),
            }
        }
        mounts.sort_by(|a, b| mount_target(a).cmp(mount_target(b)));
        svc.volumes = mounts;

        svc.healthcheck = probes::healthcheck(
            c.readiness_probe.as_ref(),
            c.liveness_probe.as_ref(),
            &at,
            diags,
        );
        svc.deploy = deploy(c, &at, diags);

        let mut depends =
            indexmap_sorted(before_dependencies(&w.workload, name, cname, c, &at, diags));
        for (svc_name, cond) in &resource_deps {
            depends
                .entry(svc_name.clone())
                .or_insert_with(|| DependsCondition::new(cond.clone()));
        }
        depends.sort_keys();
        if !depends.is_empty() {
            svc.depends_on = DependsOnOptions::Conditional(depends);
        }

        if cname == owner {
            svc.hostname = Some(name.to_string());
        } else if !init.contains(cname.as_str()) {
            svc.network_mode = Some(format!("service:{}", service_name(name, owner)));
        }
        out.services.insert(service_name(name, cname), svc);
    }
    out
}

fn mount_target(v: &Volumes) -> &str {
    match v {
        Volumes::Advanced(a) => &a.target,
        Volumes::Simple(s) => s,
    }
}

fn indexmap_sorted(m: BTreeMap<String, DependsCondition>) -> IndexMap<String, DependsCondition> {
    m.into_iter().collect()
}

/// The longest implicit mapping key YAML allows, in characters.
const MAX_YAML_KEY_CHARS: usize = 1024;

/// `variables` → `environment`, values escaped for compose.
fn environment(
    resolver: &Resolver,
    workload: &str,
    cname: &str,
    c: &Container,
    env_keys: &mut BTreeSet<String>,
    diags: &mut Vec<Diagnostic>,
) -> Environment {
    let mut env = IndexMap::new();
    for (key, value) in &c.variables {
        match resolver.env_value(value, env_keys) {
            Ok(v) => {
                env.insert(key.clone(), Some(SingleValue::String(v)));
            }
            Err(e) => diags.push(Diagnostic::error(
                "score::compose::placeholder",
                format!("workload `{workload}`, containers.{cname}.variables.{key}: {e}"),
            )),
        }
    }
    if env.is_empty() {
        Environment::default()
    } else if env.keys().any(|k| k.chars().count() > MAX_YAML_KEY_CHARS) {
        // YAML cannot write a key this long as a plain mapping key; the list form holds it in
        // a value (where compose interpolates the name too, so its `$`s are doubled).
        Environment::List(
            env.into_iter()
                .map(|(k, v)| match v {
                    Some(SingleValue::String(v)) => format!("{}={v}", escape::dollars(&k)),
                    _ => escape::dollars(&k),
                })
                .collect(),
        )
    } else {
        Environment::KvPair(env)
    }
}

/// `before` entries → `depends_on`.
fn before_dependencies(
    w: &Workload,
    workload: &str,
    cname: &str,
    c: &Container,
    at: &str,
    diags: &mut Vec<Diagnostic>,
) -> BTreeMap<String, DependsCondition> {
    let mut out = BTreeMap::new();
    for (other, b) in &c.before {
        let Some(oc) = w.containers.get(other) else {
            diags.push(Diagnostic::error(
                "score::compose::before",
                format!("{at}: `before` names unknown container `{other}`"),
            ));
            continue;
        };
        if other == cname {
            diags.push(Diagnostic::error(
                "score::compose::before",
                format!("{at}: a container cannot wait for itself"),
            ));
            continue;
        }
        let cond = match b.ready {
            Readiness::Started => DependsCondition::service_started(),
            Readiness::Healthy => {
                if oc.readiness_probe.is_none() && oc.liveness_probe.is_none() {
                    diags.push(
                        Diagnostic::error(
                            "score::compose::before",
                            format!("{at}: waits for container `{other}` to be healthy, but `{other}` has no probe"),
                        )
                        .with_help(format!("add a readinessProbe to `{other}`, or wait for `ready: started`")),
                    );
                    continue;
                }
                DependsCondition::service_healthy()
            }
            Readiness::Complete => DependsCondition::service_completed_successfully(),
        };
        out.insert(service_name(workload, other), cond);
    }
    out
}

/// The resource services every container of `w` waits for, with their conditions.
fn resource_dependencies(ctx: &WorkloadCtx<'_>, w: &ResolvedWorkload) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for uid in w.resources.values() {
        for (svc, cond) in ctx.resource_doc.services_of.get(uid).into_iter().flatten() {
            if let Some(cond) = cond {
                // Two resources may share a service; the strictest wait wins.
                let rank = |c: &str| {
                    [
                        "service_started",
                        "service_healthy",
                        "service_completed_successfully",
                    ]
                    .iter()
                    .position(|x| *x == c)
                };
                let keep = out
                    .get(svc)
                    .is_some_and(|prev: &String| rank(prev) >= rank(cond));
                if !keep {
                    out.insert(svc.clone(), cond.clone());
                }
            }
        }
    }
    out
}

/// `resources.limits|requests` → `deploy.resources.limits|reservations`.
fn deploy(c: &Container, at: &str, diags: &mut Vec<Diagnostic>) -> Option<Deploy> {
    let r = c.resources.as_ref()?;
    let mut convert = |amounts: Option<&ComputeAmounts>, field: &str| -> Option<Limits> {
        let a = amounts?;
        let mut limits = Limits::default();
        if let Some(cpu) = &a.cpu {
            match quantity::cpus(cpu) {
                Ok(v) => limits.cpus = Some(v),
                Err(e) => diags.push(Diagnostic::error(
                    "score::compose::quantity",
                    format!("{at}: resources.{field}.cpu: {e}"),
                )),
            }
        }
        if let Some(mem) = &a.memory {
            match quantity::memory(mem) {
                Ok(v) => limits.memory = Some(v),
                Err(e) => diags.push(Diagnostic::error(
                    "score::compose::quantity",
                    format!("{at}: resources.{field}.memory: {e}"),
                )),
            }
        }
        (limits.cpus.is_some() || limits.memory.is_some()).then_some(limits)
    };
    let limits = convert(r.limits.as_ref(), "limits");
    let reservations = convert(r.requests.as_ref(), "requests");
    if limits.is_none() && reservations.is_none() {
        return None;
    }
    Some(Deploy {
        resources: Some(Resources {
            limits,
            reservations,
        }),
        ..Deploy::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn workload(containers: serde_json::Value) -> Workload {
        serde_json::from_value(json!({"apiVersion": "score.dev/v1b1", "metadata": {"name": "w"}, "containers": containers})).unwrap()
    }

    #[test]
    fn owner_is_the_first_container_by_default() {
        let w = workload(json!({"b": {"image": "x"}, "a": {"image": "x"}}));
        assert_eq!(network_owner(&w), "a");
        assert!(init_containers(&w).is_empty());
    }

    #[test]
    fn init_containers_do_not_own_the_namespace() {
        let w = workload(json!({
            "app": {"image": "x", "before": {"migrate": {"ready": "complete"}}},
            "migrate": {"image": "x"},
            "sidecar": {"image": "x"}
        }));
        assert_eq!(network_owner(&w), "app");
        assert_eq!(
            init_containers(&w).into_iter().collect::<Vec<_>>(),
            ["migrate"]
        );
    }

    #[test]
    fn waiting_containers_do_not_own_the_namespace() {
        let w = workload(json!({
            "a": {"image": "x", "before": {"b": {"ready": "healthy"}}},
            "b": {"image": "x", "readinessProbe": {"exec": {"command": ["true"]}}}
        }));
        assert_eq!(network_owner(&w), "b");
    }
}
