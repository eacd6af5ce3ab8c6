//! Container start-up order from `before`, shared by the Kubernetes targets.
//!
//! `containers.migrate.before: {main: {ready: complete}}` means *migrate* runs, to completion,
//! before *main* starts: `before` lists the containers that start **after** the one that
//! declares it, and `ready` is the state the declaring container must reach first (the
//! spec: "the status of the container before the next container is started").
//!
//! On a pod this becomes init containers, one role per container from what it declares:
//! * nothing → a main container;
//! * `complete` for anyone → an init container that runs to completion;
//! * `healthy` → a native sidecar whose startup probe (copied from its own readiness or
//!   liveness probe) the kubelet waits for before starting the next container;
//! * only `started` → a native sidecar.
//!
//! Init containers run in an order where every `before` holds. A pod starts its main
//! containers only after every init container, so a main container that no `before` names
//! also waits: the strongest order Kubernetes offers. Compose keeps the exact pairs instead
//! (`depends_on` on the named container only).

use std::collections::{BTreeMap, BTreeSet};

use crate::ir::{Container, Readiness};

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

/// The states each container must reach before others start: declared `before` entries
/// that name another existing container.
fn declared<'a>(
    containers: &'a BTreeMap<String, Container>,
    name: &str,
) -> impl Iterator<Item = (&'a str, Readiness)> + 'a {
    let own = name.to_string();
    containers[name]
        .before
        .iter()
        .filter(move |(other, _)| **other != own && containers.contains_key(other.as_str()))
        .map(|(other, b)| (other.as_str(), b.ready))
}

/// Work out roles and the init order.
///
/// ```
/// use std::collections::BTreeMap;
/// use score_core::start_order::{plan, Role};
/// let containers: BTreeMap<String, score_core::ir::Container> = serde_json::from_value(serde_json::json!({
///     "main": {"image": "app"},
///     "migrate": {"image": "app", "before": {"main": {"ready": "complete"}}},
/// })).unwrap();
/// let p = plan(&containers).unwrap();
/// assert_eq!(p.roles["migrate"], Role::Init);
/// assert_eq!(p.roles["main"], Role::Main);
/// assert_eq!(p.init_order, ["migrate"]);
/// ```
///
/// # Errors
/// One message per requirement that a pod cannot honour.
pub fn plan(containers: &BTreeMap<String, Container>) -> Result<Plan, Vec<String>> {
    let mut errors = Vec::new();
    let mut roles = BTreeMap::new();
    for (name, c) in containers {
        let mut by_state: BTreeMap<Readiness, Vec<&str>> = BTreeMap::new();
        for (other, ready) in declared(containers, name) {
            by_state.entry(ready).or_default().push(other);
        }
        let role = if by_state.is_empty() {
            Role::Main
        } else if let Some(done_for) = by_state.get(&Readiness::Complete) {
            if let Some(healthy_for) = by_state.get(&Readiness::Healthy) {
                errors.push(format!(
                    "`before`: container `{name}` must run to completion before `{}` starts and also be up and healthy before `{}` starts; a container cannot do both",
                    done_for.join("`, `"),
                    healthy_for.join("`, `")
                ));
            }
            Role::Init
        } else {
            let healthy = by_state.contains_key(&Readiness::Healthy);
            if healthy && c.readiness_probe.is_none() && c.liveness_probe.is_none() {
                errors.push(format!(
                    "`before`: `ready: healthy` needs a probe on container `{name}`"
                ));
            }
            Role::Sidecar {
                startup_probe: healthy,
            }
        };
        roles.insert(name.clone(), role);
    }
    let init_order = match init_order(containers, &roles) {
        Ok(order) => order,
        Err(e) => {
            errors.push(e);
            Vec::new()
        }
    };
    if errors.is_empty() {
        Ok(Plan { roles, init_order })
    } else {
        Err(errors)
    }
}

/// Kahn's algorithm over the non-main containers, ties by name: a container starts after
/// every container whose `before` names it.
fn init_order(
    containers: &BTreeMap<String, Container>,
    roles: &BTreeMap<String, Role>,
) -> Result<Vec<String>, String> {
    let pending: BTreeSet<&str> = roles
        .iter()
        .filter(|(_, r)| **r != Role::Main)
        .map(|(n, _)| n.as_str())
        .collect();
    // Container → the pending containers that must run before it.
    let mut after: BTreeMap<&str, BTreeSet<&str>> =
        pending.iter().map(|n| (*n, BTreeSet::new())).collect();
    for first in &pending {
        for (next, _) in declared(containers, first) {
            if let Some(waits) = after.get_mut(next) {
                waits.insert(first);
            }
        }
    }
    let mut order = Vec::new();
    while !after.is_empty() {
        let Some(next) = after.iter().find(|(_, d)| d.is_empty()).map(|(n, _)| *n) else {
            let names: Vec<String> = after.keys().map(|n| format!("`{n}`")).collect();
            return Err(format!("`before` forms a cycle among {}", names.join(", ")));
        };
        after.remove(next);
        after.values_mut().for_each(|d| {
            d.remove(next);
        });
        order.push(next.to_string());
    }
    Ok(order)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn containers(v: serde_json::Value) -> BTreeMap<String, Container> {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn the_declaring_container_runs_first() {
        let c = containers(json!({
            "app": {"image": "a"},
            "migrate": {"image": "m", "before": {"app": {"ready": "complete"}}},
            "proxy": {"image": "p", "before": {"app": {"ready": "healthy"}, "migrate": {"ready": "started"}},
                      "readinessProbe": {"exec": {"command": ["x"]}}},
            "agent": {"image": "g", "before": {"app": {"ready": "started"}}},
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
        // proxy is started before migrate; agent has no order against either.
        assert_eq!(p.init_order, ["agent", "proxy", "migrate"]);
    }

    #[test]
    fn impossible_requirements_are_errors() {
        let c = containers(json!({
            "a": {"image": "a"},
            "b": {"image": "b"},
            "x": {"image": "x", "livenessProbe": {"exec": {"command": ["x"]}},
                  "before": {"a": {"ready": "complete"}, "b": {"ready": "healthy"}}},
        }));
        let e = plan(&c).unwrap_err();
        assert!(e[0].contains("cannot do both"), "{e:?}");
        let no_probe = containers(json!({
            "a": {"image": "a"},
            "x": {"image": "x", "before": {"a": {"ready": "healthy"}}},
        }));
        assert!(plan(&no_probe).unwrap_err()[0].contains("probe on container `x`"));
        let cyc = containers(json!({
            "a": {"image": "a", "before": {"b": {"ready": "started"}}},
            "b": {"image": "b", "before": {"a": {"ready": "started"}}},
            "c": {"image": "c", "before": {"a": {"ready": "started"}}},
        }));
        assert!(plan(&cyc).unwrap_err()[0].contains("cycle"));
    }
}
