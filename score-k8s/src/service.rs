//! `service.ports` → a ClusterIP Service; StatefulSets also get the headless Service they need.

use k8s_openapi::api::core::v1::{Service, ServicePort, ServiceSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use std::collections::BTreeMap;

use score_core::ir::Workload;

use crate::names;

/// The Service ports of a workload, sorted by name.
pub fn ports(w: &Workload) -> Vec<ServicePort> {
    w.ports()
        .map(|(name, p)| ServicePort {
            name: Some(name.clone()),
            port: i32::from(p.port),
            target_port: Some(IntOrString::Int(i32::from(p.target()))),
            protocol: Some(p.protocol.as_str().to_string()),
            ..ServicePort::default()
        })
        .collect()
}

/// The ClusterIP Service (when the workload has ports) and, for a StatefulSet, the headless
/// Service named by its `serviceName`.
///
/// # Errors
/// A message when the Service name is not a valid RFC 1035 label.
pub fn services(
    w: &Workload,
    meta: &ObjectMeta,
    selector: &BTreeMap<String, String>,
    headless: Option<&str>,
) -> Result<Vec<Service>, String> {
    let name = names::service_name(w);
    let ports = ports(w);
    let mut out = Vec::new();
    let object = |name: &str, cluster_ip: Option<&str>, ports: &[ServicePort]| Service {
        metadata: ObjectMeta {
            name: Some(name.to_string()),
            ..meta.clone()
        },
        spec: Some(ServiceSpec {
            type_: cluster_ip.is_none().then(|| "ClusterIP".to_string()),
            cluster_ip: cluster_ip.map(str::to_string),
            selector: Some(selector.clone()),
            ports: (!ports.is_empty()).then(|| ports.to_vec()),
            ..ServiceSpec::default()
        }),
        ..Service::default()
    };
    if !ports.is_empty() {
        check_name(w, &name)?;
        out.push(object(&name, None, &ports));
    }
    if let Some(h) = headless {
        check_name(w, h)?;
        out.push(object(h, Some("None"), &ports));
    }
    Ok(out)
}

/// The headless Service name of a StatefulSet workload.
pub fn headless_name(w: &Workload) -> String {
    names::bounded(
        &format!("{}-headless", names::service_name(w)),
        names::MAX_LABEL,
    )
}

fn check_name(w: &Workload, name: &str) -> Result<(), String> {
    if names::is_dns1035_label(name) {
        return Ok(());
    }
    let source = if w
        .metadata
        .annotations
        .contains_key(names::SERVICE_NAME_ANNOTATION)
    {
        format!("annotation `{}`", names::SERVICE_NAME_ANNOTATION)
    } else {
        "workload name".to_string()
    };
    Err(format!(
        "Service name `{name}` (from the {source}) is not valid in Kubernetes: it must start with a letter and be at most 63 lower-case letters, digits and `-`; set `{}` to a valid name",
        names::SERVICE_NAME_ANNOTATION
    ))
}
