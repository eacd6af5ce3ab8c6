//! One Score container → one Kubernetes container (image, command, resources, probes).
//! Environment and mounts are added by the caller; the role (`before`) is applied last.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{Container, ResourceRequirements};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;

use score_core::ir;

use crate::before::Role;
use crate::{probes, quantity};

/// The container without env and mounts. `command` and `args` are kept as written: the
/// reference tools do not substitute placeholders there, and Kubernetes users rely on the
/// kubelet's `$(VAR)` expansion in them.
///
/// # Errors
/// One message per problem (image `.`, invalid quantity, unsupported probe).
pub fn base(name: &str, c: &ir::Container) -> Result<Container, Vec<String>> {
    let mut errors = Vec::new();
    if c.image == "." {
        errors.push("image is `.` (built locally): pass `--image <reference>` or override `image` with a pushed image".to_string());
    }
    let resources = c
        .resources
        .as_ref()
        .map(|r| resources(&r.effective()))
        .transpose()
        .unwrap_or_else(|e| {
            errors.extend(e);
            None
        });
    let mut probe =
        |p: &Option<ir::Probe>, which: &str| match p.as_ref().map(probes::probe).transpose() {
            Ok(p) => p,
            Err(e) => {
                errors.push(format!("`{which}` {e}"));
                None
            }
        };
    let liveness_probe = probe(&c.liveness_probe, "livenessProbe");
    let readiness_probe = probe(&c.readiness_probe, "readinessProbe");
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(Container {
        name: name.to_string(),
        image: Some(c.image.clone()),
        command: c.command.clone(),
        args: c.args.clone(),
        resources,
        liveness_probe,
        readiness_probe,
        ..Container::default()
    })
}

/// Apply the container's role in the start-up order. Returns a warning when something had to
/// be left out.
pub fn apply_role(c: &mut Container, role: Role) -> Option<String> {
    match role {
        Role::Main => None,
        Role::Init => {
            // Kubernetes rejects probes on init containers that run to completion.
            let had = [
                c.liveness_probe.take().map(|_| "livenessProbe"),
                c.readiness_probe.take().map(|_| "readinessProbe"),
            ];
            let dropped: Vec<&str> = had.into_iter().flatten().collect();
            (!dropped.is_empty()).then(|| {
                format!(
                    "runs to completion as an init container (its `before` says `ready: complete`), where Kubernetes allows no probes: {} left out",
                    dropped.join(" and ")
                )
            })
        }
        Role::Sidecar { startup_probe } => {
            c.restart_policy = Some("Always".into());
            if startup_probe {
                c.startup_probe = c
                    .readiness_probe
                    .clone()
                    .or_else(|| c.liveness_probe.clone());
            }
            None
        }
    }
}

/// Score `resources` → canonical Kubernetes quantities (requests already capped at limits).
fn resources(r: &ir::ContainerResources) -> Result<ResourceRequirements, Vec<String>> {
    let mut errors = Vec::new();
    let mut amounts =
        |a: &Option<ir::ComputeAmounts>, which: &str| -> Option<BTreeMap<String, Quantity>> {
            let a = a.as_ref()?;
            let mut out = BTreeMap::new();
            for (key, v) in [("cpu", &a.cpu), ("memory", &a.memory)] {
                let Some(v) = v else { continue };
                match quantity::canonical(v) {
                    Ok(q) => {
                        out.insert(key.to_string(), Quantity(q));
                    }
                    Err(e) => errors.push(format!("`resources.{which}.{key}`: {e}")),
                }
            }
            (!out.is_empty()).then_some(out)
        };
    let limits = amounts(&r.limits, "limits");
    let requests = amounts(&r.requests, "requests");
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(ResourceRequirements {
        limits,
        requests,
        ..ResourceRequirements::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn container(v: serde_json::Value) -> ir::Container {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn quantities_are_canonical_and_checked() {
        let c = base("main", &container(json!({"image": "x", "resources": {"limits": {"cpu": "1000m", "memory": "1024Mi"}, "requests": {"cpu": "0.250", "memory": "128K"}}}))).unwrap();
        assert_eq!(
            serde_json::to_value(c.resources).unwrap(),
            json!({"limits": {"cpu": "1", "memory": "1Gi"}, "requests": {"cpu": "250m", "memory": "128k"}})
        );
        // A request above its limit is capped at the limit, as on every target.
        let c = base("main", &container(json!({"image": "x", "resources": {"limits": {"cpu": "1"}, "requests": {"cpu": "2"}}}))).unwrap();
        assert_eq!(
            serde_json::to_value(c.resources).unwrap(),
            json!({"limits": {"cpu": "1"}, "requests": {"cpu": "1"}})
        );
        let e = base(
            "main",
            &container(json!({"image": ".", "resources": {"limits": {"cpu": "x"}}})),
        )
        .unwrap_err();
        assert_eq!(e.len(), 2, "{e:?}");
        assert!(e[1].contains("not a valid quantity"), "{e:?}");
    }

    #[test]
    fn roles() {
        let probe = json!({"exec": {"command": ["ok"]}});
        let mut c = base(
            "p",
            &container(json!({"image": "x", "readinessProbe": probe})),
        )
        .unwrap();
        assert!(apply_role(&mut c.clone(), Role::Init)
            .unwrap()
            .contains("readinessProbe"));
        apply_role(
            &mut c,
            Role::Sidecar {
                startup_probe: true,
            },
        );
        assert_eq!(c.restart_policy.as_deref(), Some("Always"));
        assert!(c.startup_probe.is_some() && c.readiness_probe.is_some());
    }
}
