//! The typed intermediate representation of a Score workload.
//!
//! Built only from input that passed schema validation (see [`crate::load`]), so every invariant
//! the schema states (one of source/content/binaryContent, ports in range, …) holds here.
//! Maps are `BTreeMap`s so that every traversal, and so every output, is deterministic.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A Score workload (`score.dev/v1b1`).
///
/// ```
/// let w: score_core::ir::Workload = serde_json::from_value(serde_json::json!({
///     "apiVersion": "score.dev/v1b1",
///     "metadata": {"name": "web"},
///     "containers": {"main": {"image": "nginx:1.27"}}
/// })).unwrap();
/// assert_eq!(w.metadata.name, "web");
/// assert_eq!(w.containers["main"].image, "nginx:1.27");
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Workload {
    /// Always `score.dev/v1b1`.
    pub api_version: String,
    /// Name, annotations and free-form metadata.
    pub metadata: Metadata,
    /// The ports the workload offers to others.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<Service>,
    /// Containers by name (at least one).
    pub containers: BTreeMap<String, Container>,
    /// Resources the workload depends on, by name.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub resources: BTreeMap<String, ResourceRequest>,
}

impl Workload {
    /// The workload name.
    pub fn name(&self) -> &str {
        &self.metadata.name
    }

    /// The service ports, empty when the workload has no `service`.
    pub fn ports(&self) -> impl Iterator<Item = (&String, &ServicePort)> {
        self.service.iter().flat_map(|s| s.ports.iter())
    }

    /// The metadata as JSON, the root that `${metadata.*}` placeholders walk.
    pub fn metadata_json(&self) -> Value {
        serde_json::to_value(&self.metadata).unwrap_or(Value::Null)
    }
}

/// Workload metadata: `name`, `annotations`, and any other keys the user adds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Metadata {
    /// RFC 1123 label, 2–63 characters.
    pub name: String,
    /// String annotations; some steer backends (e.g. `k8s.score.dev/kind`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
    /// Any other metadata, reachable by `${metadata.<key>}`.
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

/// The `service` section.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Service {
    /// Ports by name.
    #[serde(default)]
    pub ports: BTreeMap<String, ServicePort>,
}

/// A named port the workload serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServicePort {
    /// The port others connect to.
    pub port: u16,
    /// The port the container listens on; defaults to `port`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_port: Option<u16>,
    /// TCP unless stated.
    #[serde(default)]
    pub protocol: Protocol,
}

impl ServicePort {
    /// The container-side port (`targetPort`, else `port`).
    pub fn target(&self) -> u16 {
        self.target_port.unwrap_or(self.port)
    }
}

/// Transport protocol of a port.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
pub enum Protocol {
    /// TCP (the default).
    #[default]
    #[serde(rename = "TCP")]
    Tcp,
    /// UDP.
    #[serde(rename = "UDP")]
    Udp,
}

impl Protocol {
    /// `TCP` or `UDP`.
    pub fn as_str(self) -> &'static str {
        match self {
            Protocol::Tcp => "TCP",
            Protocol::Udp => "UDP",
        }
    }
}

/// One container of the workload.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Container {
    /// Image reference; `"."` means "built locally".
    pub image: String,
    /// Overrides the image entrypoint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command: Option<Vec<String>>,
    /// Overrides the image arguments.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub args: Option<Vec<String>>,
    /// Environment variables (values may hold placeholders).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub variables: BTreeMap<String, String>,
    /// Files by target path.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub files: BTreeMap<String, File>,
    /// Volumes by target path.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub volumes: BTreeMap<String, Volume>,
    /// Compute limits and requests.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resources: Option<ContainerResources>,
    /// When to restart the container.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub liveness_probe: Option<Probe>,
    /// When the container may receive traffic.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub readiness_probe: Option<Probe>,
    /// Containers that must reach a state before this one starts.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub before: BTreeMap<String, Before>,
}

/// A file mounted into a container.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct File {
    /// Octal mode such as `0644`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<String>,
    /// Where the bytes come from.
    #[serde(flatten)]
    pub content: FileContent,
    /// Disable placeholder expansion in `content` / `source`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub no_expand: bool,
}

impl File {
    /// The mode as permission bits.
    pub fn mode_bits(&self) -> Option<u32> {
        self.mode
            .as_deref()
            .and_then(|m| u32::from_str_radix(m, 8).ok())
    }
}

/// Exactly one of the three ways to give a file's content.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum FileContent {
    /// A path relative to the Score file's directory.
    Source(String),
    /// Inline UTF-8 text (placeholders expanded unless `noExpand`).
    Content(String),
    /// Inline standard base64; never expanded.
    BinaryContent(String),
}

/// A volume mounted into a container.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Volume {
    /// The volume, usually `${resources.<name>}`.
    pub source: String,
    /// A sub-path inside the volume.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// Mount read-only.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub read_only: bool,
}

impl Volume {
    /// The sub-path inside the volume as every target writes it: `path` without leading or
    /// trailing `/` (`/sub/path` → `sub/path`), `None` when that leaves nothing.
    ///
    /// ```
    /// let v: score_core::ir::Volume = serde_json::from_value(serde_json::json!({"source": "x", "path": "/sub/path/"})).unwrap();
    /// assert_eq!(v.sub_path(), Some("sub/path"));
    /// ```
    pub fn sub_path(&self) -> Option<&str> {
        self.path
            .as_deref()
            .map(|p| p.trim_matches('/'))
            .filter(|p| !p.is_empty())
    }
}

/// `resources` of a container.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ContainerResources {
    /// Upper bounds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limits: Option<ComputeAmounts>,
    /// Guaranteed amounts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requests: Option<ComputeAmounts>,
}

impl ContainerResources {
    /// The amounts every target uses: requests above their limit are capped at the limit (a
    /// request is what is guaranteed, a limit the most a container may use; Kubernetes rejects
    /// a request above its limit, and validation warns about it). Unparsable quantities are
    /// kept for the targets to report.
    ///
    /// ```
    /// let r: score_core::ir::ContainerResources = serde_json::from_value(serde_json::json!({
    ///     "limits": {"cpu": "0.24", "memory": "128M"},
    ///     "requests": {"cpu": "1000m", "memory": "64M"}
    /// })).unwrap();
    /// let e = r.effective();
    /// assert_eq!(e.requests.unwrap().cpu.as_deref(), Some("0.24"));
    /// ```
    pub fn effective(&self) -> ContainerResources {
        let mut out = self.clone();
        if let (Some(req), Some(lim)) = (out.requests.as_mut(), self.limits.as_ref()) {
            for (r, l) in [(&mut req.cpu, &lim.cpu), (&mut req.memory, &lim.memory)] {
                if let (Some(rv), Some(lv)) = (r.as_ref(), l.as_ref()) {
                    if request_above(rv, lv) {
                        *r = Some(lv.clone());
                    }
                }
            }
        }
        out
    }
}

/// Whether quantity `request` is above `limit` (false when either does not parse).
pub fn request_above(request: &str, limit: &str) -> bool {
    matches!(
        (crate::quantity::nanos(request), crate::quantity::nanos(limit)),
        (Ok(r), Ok(l)) if r > l
    )
}

/// CPU and memory as Kubernetes-style quantities.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ComputeAmounts {
    /// e.g. `500m`, `2`, `0.25`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu: Option<String>,
    /// e.g. `128Mi`, `1G`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory: Option<String>,
}

/// A liveness or readiness probe: HTTP, exec, or both.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Probe {
    /// An HTTP GET check.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http_get: Option<HttpProbe>,
    /// A command run inside the container.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exec: Option<ExecProbe>,
}

/// `httpGet` probe.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HttpProbe {
    /// `HTTP` (default) or `HTTPS`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scheme: Option<String>,
    /// Host header / address; defaults to the workload's own address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    /// Request path.
    pub path: String,
    /// Container port.
    pub port: u16,
    /// Extra request headers.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub http_headers: Vec<HttpHeader>,
}

/// One HTTP header of a probe.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HttpHeader {
    /// Header name.
    pub name: String,
    /// Header value.
    pub value: String,
}

/// `exec` probe.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExecProbe {
    /// Command and arguments.
    pub command: Vec<String>,
}

/// An entry of `before`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Before {
    /// The state the other container must reach.
    pub ready: Readiness,
}

/// States a `before` container must reach.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Readiness {
    /// Started.
    Started,
    /// Started and passing its probe.
    Healthy,
    /// Ran to successful completion.
    Complete,
}

/// A resource the workload needs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResourceRequest {
    /// e.g. `postgres`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Specialisation; `default` when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub class: Option<String>,
    /// Shares the resource across workloads.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Annotations and other metadata for the provisioner.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<serde_json::Map<String, Value>>,
    /// Provisioner parameters (may hold placeholders).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub params: Option<serde_json::Map<String, Value>>,
}

impl ResourceRequest {
    /// The class, `default` when absent.
    pub fn class(&self) -> &str {
        self.class.as_deref().unwrap_or("default")
    }
}
