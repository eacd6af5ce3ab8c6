//! A small target-neutral model of what a generated project means for its containers, read
//! back from each target's output: compose.yaml (and its env files), manifests.yaml, and the
//! Terraform module in JSON syntax.
//!
//! Every value is what the container sees, with the target's own escaping undone: compose
//! interpolation (`$$` → `$`), the kubelet's (`$$` → `$` in env, command and args), and
//! Terraform's template escapes (`$${` → `${`, `%%{` → `%{`). `$(VAR)` stays as written (the
//! kubelet expands it at run time, compose never does: see docs/targets.md).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde_json::Value;

/// A health check, by what it runs.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Probe {
    /// A command inside the container.
    Exec(Vec<String>),
    /// An HTTP GET on a container port.
    Http { port: u16, path: String },
}

/// A mount, by what it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mount {
    /// A Score `files` entry (else a volume).
    pub file: bool,
    pub read_only: bool,
    /// The sub-path inside a volume (files have none in the model).
    pub sub_path: Option<String>,
}

/// cpu in millicores, memory in bytes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Amounts {
    pub cpu_milli: Option<u128>,
    pub memory_bytes: Option<u128>,
}

/// One container.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Container {
    pub image: String,
    pub command: Option<Vec<String>>,
    pub args: Option<Vec<String>>,
    /// Variable → value; `None` when the value comes from a Secret (not readable here).
    pub env: BTreeMap<String, Option<String>>,
    pub mounts: BTreeMap<String, Mount>,
    pub liveness: Option<Probe>,
    pub readiness: Option<Probe>,
    /// Compose's one health check (the others have `liveness` and `readiness`).
    pub health: Option<Probe>,
    pub limits: Amounts,
    pub requests: Amounts,
}

impl Container {
    /// The check compose runs: its health check, else the readiness probe, else liveness.
    pub fn health(&self) -> Option<&Probe> {
        self.health
            .as_ref()
            .or(self.readiness.as_ref())
            .or(self.liveness.as_ref())
    }
}

/// One workload.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Workload {
    /// Ports the workload listens on: (container port, protocol).
    pub ports: BTreeSet<(u16, String)>,
    /// User annotations (directives such as `k8s.score.dev/kind` left out).
    pub annotations: BTreeMap<String, String>,
    pub containers: BTreeMap<String, Container>,
}

/// Workload name → what it means.
pub type Model = BTreeMap<String, Workload>;

/// The workloads and containers to look for: name → container names.
pub type Expected = BTreeMap<String, Vec<String>>;

// ---------------------------------------------------------------------------------------------
// Unescaping

/// Compose interpolation of text we wrote with every `$` doubled.
pub fn compose_text(s: &str) -> String {
    s.replace("$$", "$")
}

/// What the kubelet does with `$$` (one `$`) and `$(VAR)` (a reference it expands when `VAR`
/// is defined): the reference is kept in [`EXPANDED`] marks, so that a literal `$(VAR)` (written
/// `$$(VAR)`) and an expanded one read differently.
pub fn kubelet_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('$') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        if let Some(tail) = after.strip_prefix('$') {
            out.push('$');
            rest = tail;
        } else if let Some(end) = after.find(')').filter(|_| after.starts_with('(')) {
            out.push_str(&format!("{}$({}{}", EXPANDED.0, &after[1..end], EXPANDED.1));
            rest = &after[end + 1..];
        } else {
            out.push('$');
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

/// Marks around a `$(VAR)` the kubelet expands (compose has no such expansion).
pub const EXPANDED: (&str, &str) = ("⟪", ")⟫");

/// `s` without the [`EXPANDED`] marks: the text a target without `$(VAR)` expansion shows.
pub fn unmarked(s: &str) -> String {
    s.replace(EXPANDED.0, "").replace(EXPANDED.1, ")")
}

/// A Terraform template string of literal text (no interpolation left in it).
pub fn terraform_text(s: &str) -> String {
    s.replace("$${", "${").replace("%%{", "%{")
}

fn strings(v: &Value) -> Option<Vec<String>> {
    v.as_array().map(|a| {
        a.iter()
            .map(|x| x.as_str().unwrap_or_default().to_string())
            .collect()
    })
}

fn annotations(v: &Value, unescape: fn(&str) -> String) -> BTreeMap<String, String> {
    v.as_object()
        .into_iter()
        .flatten()
        .filter(|(k, _)| !k.contains("score.dev/") && k.as_str() != "checksum/config")
        .map(|(k, v)| (unescape(k), unescape(v.as_str().unwrap_or_default())))
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Quantities

fn quantity_nanos(q: &str) -> u128 {
    score_core::quantity::nanos(q).unwrap_or_else(|e| panic!("quantity {q}: {e}"))
}

fn k8s_amounts(v: &Value) -> Amounts {
    Amounts {
        cpu_milli: v["cpu"]
            .as_str()
            .map(|q| quantity_nanos(q).div_ceil(1_000_000)),
        memory_bytes: v["memory"]
            .as_str()
            .map(|q| quantity_nanos(q).div_ceil(1_000_000_000)),
    }
}

fn compose_amounts(v: &Value) -> Amounts {
    let memory = v["memory"].as_str().map(|m| {
        let (num, unit) = m.split_at(m.find(|c: char| c.is_ascii_alphabetic()).unwrap_or(m.len()));
        let n: u128 = num.parse().unwrap_or_else(|_| panic!("compose memory {m}"));
        n * match unit {
            "" | "b" => 1,
            "k" => 1 << 10,
            "m" => 1 << 20,
            "g" => 1 << 30,
            other => panic!("compose memory unit {other}"),
        }
    });
    Amounts {
        cpu_milli: v["cpus"]
            .as_str()
            .map(|c| quantity_nanos(c).div_ceil(1_000_000)),
        memory_bytes: memory,
    }
}

// ---------------------------------------------------------------------------------------------
// compose

/// Read compose.yaml (and the env files it names) in `dir`.
pub fn read_compose(compose_file: &Path, expected: &Expected) -> Model {
    let dir = compose_file.parent().unwrap();
    let text = std::fs::read_to_string(compose_file).unwrap();
    let doc = score_core::yaml::parse("compose.yaml", &text)
        .unwrap()
        .to_json();
    let mut model = Model::new();
    for (w, containers) in expected {
        let mut wl = Workload::default();
        for c in containers {
            let svc = &doc["services"][format!("{w}-{c}")];
            assert!(svc.is_object(), "compose: no service {w}-{c}");
            for p in svc["expose"].as_array().into_iter().flatten() {
                let p = p.as_str().unwrap();
                let (port, proto) = p.split_once('/').unwrap_or((p, "tcp"));
                wl.ports
                    .insert((port.parse().unwrap(), proto.to_uppercase()));
            }
            wl.annotations
                .extend(annotations(&svc["annotations"], compose_text));
            wl.containers.insert(c.clone(), compose_container(svc, dir));
        }
        model.insert(w.clone(), wl);
    }
    model
}

fn compose_container(svc: &Value, dir: &Path) -> Container {
    let list = |v: &Value| strings(v).map(|xs| xs.iter().map(|x| compose_text(x)).collect());
    let mut env: BTreeMap<String, Option<String>> = svc["environment"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(k, v)| {
            (
                k.clone(),
                Some(compose_text(v.as_str().unwrap_or_default())),
            )
        })
        .collect();
    let env_files: Vec<String> = match &svc["env_file"] {
        Value::String(s) => vec![s.clone()],
        v => strings(v).unwrap_or_default(),
    };
    for f in env_files {
        let text = std::fs::read_to_string(dir.join(&f)).unwrap_or_else(|e| panic!("{f}: {e}"));
        for line in text
            .lines()
            .filter(|l| !l.starts_with('#') && !l.is_empty())
        {
            let (k, v) = line.split_once('=').unwrap();
            let v = v
                .trim_matches('"')
                .replace("\\\"", "\"")
                .replace("\\n", "\n")
                .replace("\\\\", "\\");
            env.insert(k.to_string(), Some(compose_text(&v)));
        }
    }
    let mut mounts = BTreeMap::new();
    for m in svc["volumes"].as_array().into_iter().flatten() {
        let source = m["source"].as_str().unwrap_or_default();
        let file = m["type"] == "bind" && source.contains(".score-rs/mounts/files/");
        mounts.insert(
            m["target"].as_str().unwrap().to_string(),
            Mount {
                file,
                read_only: m["read_only"].as_bool().unwrap_or(false),
                sub_path: (!file)
                    .then(|| m["volume"]["subpath"].as_str().map(String::from))
                    .flatten(),
            },
        );
    }
    let res = &svc["deploy"]["resources"];
    Container {
        image: svc["image"].as_str().unwrap_or_default().to_string(),
        command: list(&svc["entrypoint"]),
        args: list(&svc["command"]),
        env,
        mounts,
        health: compose_health(&svc["healthcheck"]["test"]),
        limits: compose_amounts(&res["limits"]),
        requests: compose_amounts(&res["reservations"]),
        ..Container::default()
    }
}

fn compose_health(test: &Value) -> Option<Probe> {
    let test = strings(test)?;
    match test.first().map(String::as_str) {
        Some("CMD") => Some(Probe::Exec(
            test[1..].iter().map(|x| compose_text(x)).collect(),
        )),
        Some("CMD-SHELL") => {
            // `wget … 'http://host:PORT/path' || curl …`
            let shell = compose_text(&test[1]);
            let url = shell.split('\'').find(|s| s.starts_with("http"))?;
            let rest = url.split_once("://")?.1;
            let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
            let port = authority.rsplit_once(':')?.1.parse().ok()?;
            Some(Probe::Http {
                port,
                path: path.to_string(),
            })
        }
        _ => None,
    }
}

// ---------------------------------------------------------------------------------------------
// Kubernetes manifests

/// Read manifests.yaml.
pub fn read_manifests(file: &Path, expected: &Expected) -> Model {
    let text = std::fs::read_to_string(file).unwrap();
    let docs: Vec<Value> = text
        .split("\n---\n")
        .map(|d| d.trim_start_matches("---\n"))
        .filter(|d| !d.trim().is_empty())
        .map(|d| {
            score_core::yaml::parse("manifests.yaml", d)
                .unwrap()
                .to_json()
        })
        .collect();
    let mut model = Model::new();
    for w in expected.keys() {
        let controller = docs
            .iter()
            .find(|d| {
                matches!(d["kind"].as_str(), Some("Deployment" | "StatefulSet"))
                    && d["metadata"]["name"] == w.as_str()
            })
            .unwrap_or_else(|| panic!("k8s: no controller for {w}"));
        let template = &controller["spec"]["template"];
        let pod = &template["spec"];
        let files: BTreeSet<&str> = pod["volumes"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|v| {
                v.get("configMap").is_some()
                    || v.get("secret").is_some()
                    || v.get("projected").is_some()
            })
            .filter_map(|v| v["name"].as_str())
            .collect();
        let mut wl = Workload {
            annotations: annotations(&template["metadata"]["annotations"], |s| s.to_string()),
            ..Workload::default()
        };
        for c in ["containers", "initContainers"]
            .iter()
            .flat_map(|k| pod[*k].as_array().into_iter().flatten())
        {
            for p in c["ports"].as_array().into_iter().flatten() {
                let port = p["containerPort"].as_u64().unwrap() as u16;
                wl.ports
                    .insert((port, p["protocol"].as_str().unwrap_or("TCP").to_string()));
            }
            let name = c["name"].as_str().unwrap().to_string();
            wl.containers.insert(name, k8s_container(c, &files));
        }
        model.insert(w.clone(), wl);
    }
    model
}

fn k8s_probe(p: &Value) -> Option<Probe> {
    if let Some(cmd) = strings(&p["exec"]["command"]) {
        return Some(Probe::Exec(cmd));
    }
    let h = p.get("httpGet")?;
    Some(Probe::Http {
        port: h["port"].as_u64()? as u16,
        path: h["path"].as_str().unwrap_or("/").to_string(),
    })
}

fn k8s_container(c: &Value, files: &BTreeSet<&str>) -> Container {
    let list = |v: &Value| strings(v).map(|xs| xs.iter().map(|x| kubelet_text(x)).collect());
    let env = c["env"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|e| !e["name"].as_str().unwrap().starts_with("SCORE_SECRET_"))
        .map(|e| {
            (
                e["name"].as_str().unwrap().to_string(),
                e["value"].as_str().map(kubelet_text),
            )
        })
        .collect();
    let mounts = c["volumeMounts"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|m| {
            let file = files.contains(m["name"].as_str().unwrap());
            let mount = Mount {
                file,
                read_only: m["readOnly"].as_bool().unwrap_or(false),
                sub_path: (!file)
                    .then(|| m["subPath"].as_str().map(String::from))
                    .flatten(),
            };
            (m["mountPath"].as_str().unwrap().to_string(), mount)
        })
        .collect();
    Container {
        image: c["image"].as_str().unwrap_or_default().to_string(),
        command: list(&c["command"]),
        args: list(&c["args"]),
        env,
        mounts,
        liveness: c.get("livenessProbe").and_then(k8s_probe),
        readiness: c.get("readinessProbe").and_then(k8s_probe),
        health: None,
        limits: k8s_amounts(&c["resources"]["limits"]),
        requests: k8s_amounts(&c["resources"]["requests"]),
    }
}

// ---------------------------------------------------------------------------------------------
// Terraform (JSON syntax)

/// A block in Terraform JSON: a one-element list (or the object itself).
fn block(v: &Value) -> &Value {
    match v {
        Value::Array(items) => items.first().unwrap_or(&Value::Null),
        other => other,
    }
}

fn blocks(v: &Value) -> impl Iterator<Item = &Value> {
    match v {
        Value::Array(items) => items.iter().collect::<Vec<_>>().into_iter(),
        Value::Null => Vec::new().into_iter(),
        other => vec![other].into_iter(),
    }
}

/// Read `main.tf.json` of the module in `dir`.
pub fn read_terraform(dir: &Path, expected: &Expected) -> Model {
    let text = std::fs::read_to_string(dir.join("main.tf.json")).unwrap();
    let doc: Value = serde_json::from_str(&text).unwrap();
    let controllers: Vec<&Value> = ["kubernetes_deployment_v1", "kubernetes_stateful_set_v1"]
        .iter()
        .flat_map(|t| {
            doc["resource"][*t]
                .as_object()
                .into_iter()
                .flatten()
                .map(|(_, v)| v)
        })
        .collect();
    let mut model = Model::new();
    for w in expected.keys() {
        let controller = controllers
            .iter()
            .find(|c| block(&c["metadata"])["labels"]["app.kubernetes.io/name"] == w.as_str())
            .unwrap_or_else(|| panic!("terraform: no controller for {w}"));
        let template = block(&block(&controller["spec"])["template"]);
        let pod = block(&template["spec"]);
        let files: BTreeSet<&str> = blocks(&pod["volume"])
            .filter(|v| v.get("config_map").is_some() || v.get("secret").is_some())
            .filter_map(|v| v["name"].as_str())
            .collect();
        let mut wl = Workload {
            annotations: annotations(&block(&template["metadata"])["annotations"], terraform_text),
            ..Workload::default()
        };
        for c in blocks(&pod["container"]).chain(blocks(&pod["init_container"])) {
            for p in blocks(&c["port"]) {
                let port = p["container_port"].as_u64().unwrap() as u16;
                wl.ports
                    .insert((port, p["protocol"].as_str().unwrap_or("TCP").to_string()));
            }
            let name = c["name"].as_str().unwrap().to_string();
            wl.containers.insert(name, terraform_container(c, &files));
        }
        model.insert(w.clone(), wl);
    }
    model
}

fn terraform_probe(p: &Value) -> Option<Probe> {
    let p = block(p);
    if let Some(cmd) = strings(&block(&p["exec"])["command"]) {
        return Some(Probe::Exec(cmd.iter().map(|s| terraform_text(s)).collect()));
    }
    let h = block(p.get("http_get")?);
    Some(Probe::Http {
        port: h["port"].as_str()?.parse().ok()?,
        path: terraform_text(h["path"].as_str().unwrap_or("/")),
    })
}

fn terraform_container(c: &Value, files: &BTreeSet<&str>) -> Container {
    let visible = |s: &str| kubelet_text(&terraform_text(s));
    let list = |v: &Value| strings(v).map(|xs| xs.iter().map(|x| visible(x)).collect());
    let env = blocks(&c["env"])
        .map(|e| {
            (
                terraform_text(e["name"].as_str().unwrap()),
                e["value"].as_str().map(visible),
            )
        })
        .collect();
    let mounts = blocks(&c["volume_mount"])
        .map(|m| {
            let file = files.contains(m["name"].as_str().unwrap());
            let mount = Mount {
                file,
                read_only: m["read_only"].as_bool().unwrap_or(false),
                sub_path: (!file)
                    .then(|| m["sub_path"].as_str().map(terraform_text))
                    .flatten(),
            };
            (terraform_text(m["mount_path"].as_str().unwrap()), mount)
        })
        .collect();
    let res = block(&c["resources"]);
    Container {
        image: terraform_text(c["image"].as_str().unwrap_or_default()),
        command: list(&c["command"]),
        args: list(&c["args"]),
        env,
        mounts,
        liveness: c.get("liveness_probe").and_then(terraform_probe),
        readiness: c.get("readiness_probe").and_then(terraform_probe),
        health: None,
        limits: k8s_amounts(&res["limits"]),
        requests: k8s_amounts(&res["requests"]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unescaping() {
        assert_eq!(compose_text("a $$b $${c}"), "a $b ${c}");
        assert_eq!(kubelet_text("$$(X) $$$(Y) $ $(Z"), "$(X) $⟪$(Y)⟫ $ $(Z");
        assert_eq!(unmarked("⟪$(Y)⟫"), "$(Y)");
        assert_eq!(terraform_text("$${a} %%{b} $$"), "${a} %{b} $$");
    }
}
