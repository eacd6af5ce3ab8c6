//! The data a Go template sees, under the reference tools' names.
//!
//! score-compose and score-k8s hand each template a struct: `.Guid`, `.Uid`, `.Type`, `.Class`,
//! `.Id` (the part of the UID after `#`: the shared id, or `<workload>.<resource>`), `.Params`,
//! `.Metadata`, `.Init`, `.State`, `.Shared`, `.SourceWorkload`, `.WorkloadServices` (workload →
//! `{ServiceName, Ports}`, ports by name and by port number, each `{Name, Port, TargetPort,
//! Protocol}`), and per target `.Namespace` (k8s) or `.ComposeProjectName` and
//! `.MountsDirectory` (compose).

use std::collections::BTreeMap;
use std::sync::Arc;

use gotmpl::Value;
use serde_json::{Map, Value as Json};

use super::convert::from_json;

/// The per-run part of the data, built from the target's vars: the same for every resource.
pub(crate) fn run_vars(vars: &Map<String, Json>) -> BTreeMap<Arc<str>, Value> {
    let mut out = BTreeMap::new();
    for (k, v) in vars {
        let (name, value) = match k.as_str() {
            "workload_services" => ("WorkloadServices".to_string(), workload_services(v)),
            // The reference tools' namespace is a string, empty when none is set.
            "namespace" => (
                "Namespace".to_string(),
                Value::String(v.as_str().unwrap_or("").into()),
            ),
            "project" => ("ComposeProjectName".to_string(), from_json(v)),
            "mounts_dir" => ("MountsDirectory".to_string(), from_json(v)),
            "workloads" => continue,
            other => (pascal_case(other), from_json(v)),
        };
        out.insert(Arc::from(name), value);
    }
    out
}

/// The data of one template: the run's vars, the resource (`context` as the engine builds it)
/// and the `Init`/`State`/`Shared` maps.
pub(crate) fn data(
    run: &BTreeMap<Arc<str>, Value>,
    context: &Map<String, Json>,
    init: Option<&Map<String, Json>>,
    state: &Map<String, Json>,
    shared: &Map<String, Json>,
) -> Value {
    let mut m = run.clone();
    let get = |k: &str| context.get(k).unwrap_or(&Json::Null);
    let text = |k: &str| Value::String(get(k).as_str().unwrap_or("").into());
    let object = |v: &Json| match v {
        Json::Object(_) => from_json(v),
        _ => Value::Map(Arc::new(BTreeMap::new())),
    };
    let uid = get("uid").as_str().unwrap_or("");
    let id = uid.split_once('#').map_or("", |(_, id)| id);
    for (k, v) in [
        ("Guid", text("guid")),
        ("Uid", text("uid")),
        ("Type", text("type")),
        ("Class", text("class")),
        ("Id", Value::String(id.into())),
        ("Params", object(get("params"))),
        ("Metadata", object(get("metadata"))),
        ("SourceWorkload", text("source_workload")),
        ("State", map_value(state)),
        ("Shared", map_value(shared)),
        (
            "Init",
            init.map_or_else(|| Value::Map(Arc::new(BTreeMap::new())), map_value),
        ),
    ] {
        m.insert(Arc::from(k), v);
    }
    Value::Map(Arc::new(m))
}

fn map_value(m: &Map<String, Json>) -> Value {
    Value::Map(Arc::new(
        m.iter()
            .map(|(k, v)| (Arc::from(k.as_str()), from_json(v)))
            .collect(),
    ))
}

/// Our `workload_services` (`{hostname|service_name|service, ports: {name: {port, targetPort,
/// protocol}}}`) in the reference shape.
fn workload_services(v: &Json) -> Value {
    let Json::Object(ws) = v else {
        return Value::Map(Arc::new(BTreeMap::new()));
    };
    let services = ws
        .iter()
        .map(|(name, w)| {
            let service_name = ["service_name", "hostname", "service"]
                .iter()
                .find_map(|k| w.get(*k).and_then(Json::as_str))
                .unwrap_or(name);
            let mut ports: BTreeMap<Arc<str>, Value> = BTreeMap::new();
            let declared = w.get("ports").and_then(Json::as_object);
            for (pname, p) in declared.into_iter().flatten() {
                ports.insert(Arc::from(pname.as_str()), service_port(pname, p));
            }
            // As the reference tools do: each port is also found by its number, unless a port
            // is already named so.
            for (pname, p) in declared.into_iter().flatten() {
                if let Some(n) = p.get("port").and_then(Json::as_i64) {
                    ports
                        .entry(Arc::from(n.to_string()))
                        .or_insert_with(|| service_port(pname, p));
                }
            }
            let mut s = BTreeMap::new();
            s.insert(Arc::from("ServiceName"), Value::String(service_name.into()));
            s.insert(Arc::from("Ports"), Value::Map(Arc::new(ports)));
            (Arc::from(name.as_str()), Value::Map(Arc::new(s)))
        })
        .collect();
    Value::Map(Arc::new(services))
}

fn service_port(name: &str, p: &Json) -> Value {
    let port = p.get("port").cloned().unwrap_or(Json::Null);
    let target = p.get("targetPort").cloned().unwrap_or_else(|| port.clone());
    let protocol = p.get("protocol").and_then(Json::as_str).unwrap_or("TCP");
    let mut m = BTreeMap::new();
    m.insert(Arc::from("Name"), Value::String(name.into()));
    m.insert(Arc::from("Port"), from_json(&port));
    m.insert(Arc::from("TargetPort"), from_json(&target));
    m.insert(Arc::from("Protocol"), Value::String(protocol.into()));
    Value::Map(Arc::new(m))
}

/// The JSON a command provisioner receives for `workload_services`: the reference tools'
/// encoding (`ServiceName`, as their struct has no JSON name for it, and `ports` with `name`,
/// `port`, `target_port`, `protocol`).
pub(crate) fn workload_services_json(v: &Json) -> Json {
    super::convert::to_json(&workload_services(v))
        .as_object()
        .map(|ws| {
            ws.iter()
                .map(|(name, w)| {
                    let ports: Map<String, Json> = w["Ports"]
                        .as_object()
                        .into_iter()
                        .flatten()
                        .map(|(k, p)| {
                            (
                                k.clone(),
                                serde_json::json!({"name": p["Name"], "port": p["Port"], "target_port": p["TargetPort"], "protocol": p["Protocol"]}),
                            )
                        })
                        .collect();
                    (name.clone(), serde_json::json!({"ServiceName": w["ServiceName"], "ports": ports}))
                })
                .collect::<Map<String, Json>>()
        })
        .map_or(Json::Null, Json::Object)
}

/// `resource_names` → `ResourceNames`: other target vars keep their meaning under Go's naming.
fn pascal_case(s: &str) -> String {
    s.split('_')
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_uppercase().chain(c).collect::<String>())
                .unwrap_or_default()
        })
        .collect()
}
