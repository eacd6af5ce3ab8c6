//! Container start-up ordering (`before`) → init containers and native sidecars.
//!
//! `app.before.migrate: {ready: complete}` means `migrate` must finish before `app` starts:
//! `migrate` becomes an init container. `ready: started` / `ready: healthy` mean it must be
//! running (and, for `healthy`, passing its probe) first: it becomes a native sidecar (an init
//! container with `restartPolicy: Always`; for `healthy` with a startup probe copied from its
//! readiness or liveness probe, because the kubelet waits for a sidecar's startup probe before
//! starting the next container). Init containers are ordered so every `before` holds; the
//! remaining containers are the pod's main containers.

use std::collections::{BTreeMap, BTreeSet};

use score_core::ir::{Container, Readiness};

/// What a container becomes in the pod.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// A regular container.
    Main,
    /// An init container that runs to completion.
    Init,
    /// A native sidecar; `startup_probe` when the kubelet must wait until it is healthy.
    Sidecar {
        /// Whether to add a startup probe.
        startup_probe: bool,
    },
}

/// Roles of all containers and the order of the init containers.
#[derive(Debug, Clone, Default)]
pub struct Plan {
    /// Role by container name.
    pub roles: BTreeMap<String, Role>,
    /// Init containers and sidecars in start order.
    pub init_order: Vec<String>,
}

/// Work out roles and the init order.
///
/// # Errors
/// One message per requirement that Kubernetes cannot honour.
pub fn plan(containers: &BTreeMap<String, Container>) -> Result<Plan, Vec<String>> {
    // What each container is required to reach, and by whom.
    let mut required: BTreeMap<&str, BTreeMap<Readiness, Vec<&str>>> = BTreeMap::new();
    for (name, c) in containers {
        for (other, b) in &c.before {
            required
                .entry(other.as_str())
                .or_default()
                .entry(b.ready)
                .or_default()
                .push(name.as_str());
        }
    }
    let mut errors = Vec::new();
    let mut roles = BTreeMap::new();
    for (name, c) in containers {
        let role = match required.get(name.as_str()) {
            None => Role::Main,
            Some(r) if r.contains_key(&Readiness::Complete) => {
                if let Some(by) = r.get(&Readiness::Healthy) {
                    errors.push(format!(
                        "`before`: container `{name}` must run to completion (for `{}`) and also stay up and healthy (for `{}`); it cannot do both",
                        r[&Readiness::Complete].join("`, `"),
                        by.join("`, `")
                    ));
                }
                Role::Init
            }
            Some(r) => {
                let healthy = r.contains_key(&Readiness::Healthy);
                if healthy && c.readiness_probe.is_none() && c.liveness_probe.is_none() {
                    errors.push(format!(
                        "`before`: `ready: healthy` needs a probe on container `{name}`"
                    ));
                }
                Role::Sidecar {
                    startup_probe: healthy,
                }
            }
        };
        roles.insert(name.clone(), role);
    }
    // Kahn's algorithm over the non-main containers, ties by name.
    let pending: BTreeSet<&str> = roles
        .iter()
        .filter(|(_, r)| **r != Role::Main)
        .map(|(n, _)| n.as_str())
        .collect();
    let mut deps: BTreeMap<&str, BTreeSet<&str>> = pending
        .iter()
        .map(|n| {
            (
                *n,
                containers[*n]
                    .before
                    .keys()
                    .map(String::as_str)
                    .filter(|d| pending.contains(d))
                    .collect(),
            )
        })
        .collect();
    let mut init_order = Vec::new();
    while !deps.is_empty() {
        let Some(next) = deps.iter().find(|(_, d)| d.is_empty()).map(|(n, _)| *n) else {
            errors.push(format!(
                "`before` forms a cycle among {}",
                deps.keys()
                    .map(|n| format!("`{n}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
            break;
        };
        deps.remove(next);
        deps.values_mut().for_each(|d| {
            d.remove(next);
        });
        init_order.push(next.to_string());
    }
    if errors.is_empty() {
        Ok(Plan { roles, init_order })
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn containers(v: serde_json::Value) -> BTreeMap<String, Container> {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn roles_and_order() {
        let c = containers(json!({
            "app": {"image": "a", "before": {"migrate": {"ready": "complete"}, "proxy": {"ready": "healthy"}, "agent": {"ready": "started"}}},
            "migrate": {"image": "m", "before": {"proxy": {"ready": "started"}}},
            "proxy": {"image": "p", "readinessProbe": {"exec": {"command": ["x"]}}},
            "agent": {"image": "g"},
        }));
        let p = plan(&c).unwrap();
        assert_eq!(p.roles["app"], Role::Main);
        assert_eq!(p.roles["migrate"], Role::Init);
        assert_eq!(
            p.roles["proxy"],
            Role::Sidecar {
                startup_probe: true
            }
        );
        assert_eq!(
            p.roles["agent"],
            Role::Sidecar {
                startup_probe: false
            }
        );
        assert_eq!(p.init_order, ["agent", "proxy", "migrate"]);
    }

    #[test]
    fn impossible_requirements_are_errors() {
        let c = containers(json!({
            "a": {"image": "a", "before": {"x": {"ready": "complete"}}},
            "b": {"image": "b", "before": {"x": {"ready": "healthy"}}},
            "x": {"image": "x", "livenessProbe": {"exec": {"command": ["x"]}}},
        }));
        let e = plan(&c).unwrap_err();
        assert!(e[0].contains("cannot do both"), "{e:?}");
        let cyc = containers(json!({
            "a": {"image": "a", "before": {"b": {"ready": "started"}}},
            "b": {"image": "b", "before": {"a": {"ready": "started"}}},
            "c": {"image": "c", "before": {"a": {"ready": "started"}}},
        }));
        assert!(plan(&cyc).unwrap_err()[0].contains("cycle"));
    }
}
