//! Resource artifacts (`services`, `volumes`, `networks`, `models`, `files`, `info_logs`) merged into
//! one compose document.
//!
//! Several resources may render the same object (every `kafka-topic` renders the one shared
//! broker): identical definitions are kept once. When a provisioner that keeps shared state
//! renders an object (or file) again differently, the later rendering wins, as in
//! score-compose: a shared instance built up in shared state (a gateway's routes) is complete
//! only in the last one. Any other two different definitions under one name are an error
//! naming both resources.
//!
//! A resource service may carry `x-score-rs-wait: service_started | service_healthy |
//! service_completed_successfully | none` to say how workloads that use the resource wait for
//! it (the key is removed from the output). Without it, workloads wait for `service_healthy`
//! when the service has a health check, else `service_started`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use score_core::provision::Resolved;
use score_core::uid::ResourceUid;
use score_core::Diagnostic;
use serde_json::{Map, Value};

use crate::{paths, spec, GeneratedFile};

/// Extension key on resource services: how dependants wait for them.
pub(crate) const WAIT_KEY: &str = "x-score-rs-wait";
const CONDITIONS: &[&str] = &[
    "service_started",
    "service_healthy",
    "service_completed_successfully",
];

/// Everything the resources contributed.
#[derive(Debug, Default)]
pub(crate) struct ResourceDoc {
    /// Top-level `services`, `volumes`, `networks` by section.
    pub sections: BTreeMap<&'static str, Map<String, Value>>,
    /// Files under the mounts directory, by mounts-relative path.
    pub files: BTreeMap<String, GeneratedFile>,
    /// `directories` under the mounts directory: made (`true`) or removed (`false`).
    pub directories: BTreeMap<PathBuf, bool>,
    /// `info_logs` lines, prefixed with the resource UID.
    pub info: Vec<String>,
    /// Services each resource rendered, with the `depends_on` condition dependants use
    /// (`None`: do not wait).
    pub services_of: BTreeMap<ResourceUid, Vec<(String, Option<String>)>>,
}

/// Which resource (and provisioner) defined each object, for conflict messages.
type Owners = BTreeMap<(&'static str, String), (ResourceUid, String)>;

/// Merge the artifacts of every resource, in provisioning order.
pub(crate) fn merge(resolved: &Resolved) -> (ResourceDoc, Vec<Diagnostic>) {
    let mut doc = ResourceDoc::default();
    let mut diags = Vec::new();
    let mut owners = Owners::new();
    let mut file_owners: BTreeMap<String, (ResourceUid, String)> = BTreeMap::new();
    let mut dir_owners: BTreeMap<PathBuf, ResourceUid> = BTreeMap::new();
    // One warning per unknown key of a provisioner's object, however many resources render it
    // (a shared gateway is rendered once per route).
    let mut warned: BTreeSet<(String, &str, String, String)> = BTreeSet::new();
    for r in &resolved.resources {
        let by = &r.uid;
        // A later rendering of an object by the same shared-state provisioner replaces it.
        let grows = |first_uri: &String| r.wrote_shared && *first_uri == r.record.provisioner;
        let err = |code: &str, msg: String| {
            Diagnostic::error(
                format!("score::compose::{code}"),
                format!(
                    "resource `{by}` (provisioner `{}`): {msg}",
                    r.record.provisioner
                ),
            )
        };
        for section in ["services", "volumes", "networks", "models"] {
            let Some(v) = r.artifacts.get(section) else {
                continue;
            };
            let entries = match v {
                Value::Object(m) => m,
                Value::Null => continue,
                _ => {
                    diags.push(err(
                        "artifact",
                        format!("`{section}` must render a mapping of name → definition"),
                    ));
                    continue;
                }
            };
            for (name, def) in entries {
                let mut def = match def {
                    Value::Null => Value::Object(Map::new()),
                    Value::Object(_) => def.clone(),
                    _ => {
                        diags.push(err(
                            "artifact",
                            format!("`{section}.{name}` must be a mapping"),
                        ));
                        continue;
                    }
                };
                for d in spec::drop_unknown(&mut def, section_shape(section)) {
                    let key = (
                        r.record.provisioner.clone(),
                        section,
                        name.clone(),
                        d.path.clone(),
                    );
                    if warned.insert(key) {
                        diags.push(unknown_key_warning(r, section, name, &d));
                    }
                }
                if section == "services" {
                    let wait = match wait_condition(&def) {
                        Ok(c) => c,
                        Err(msg) => {
                            diags.push(err("artifact", format!("`services.{name}`: {msg}")));
                            continue;
                        }
                    };
                    doc.services_of
                        .entry(by.clone())
                        .or_default()
                        .push((name.clone(), wait));
                }
                let existing = doc.sections.entry(section_key(section)).or_default();
                let owner = (section_key(section), name.clone());
                match (existing.get(name), owners.get(&owner)) {
                    (Some(prev), _) if *prev == def => {}
                    (Some(_), Some((first, uri))) if !grows(uri) => {
                        diags.push(
                            err("conflict", format!("`{section}.{name}` is also defined, differently, by resource `{first}`"))
                                .with_help("give each resource's objects unique names (e.g. include the resource uid), or render identical definitions for shared ones"),
                        );
                    }
                    _ => {
                        existing.insert(name.clone(), def);
                        owners.insert(owner, (by.clone(), r.record.provisioner.clone()));
                    }
                }
            }
        }
        if let Some(files) = r.artifacts.get("files") {
            match files {
                Value::Object(m) => {
                    for (path, content) in m {
                        let file = match file_entry(path, content) {
                            Ok(f) => f,
                            Err(msg) => {
                                diags.push(err("artifact", format!("`files.{path}`: {msg}")));
                                continue;
                            }
                        };
                        match (doc.files.get(path), file_owners.get(path)) {
                            (Some(prev), _) if *prev == file => {}
                            (Some(_), Some((first, uri))) if !grows(uri) => {
                                diags.push(err(
                                    "conflict",
                                    format!("file `{path}` is also written, with other content, by resource `{first}`"),
                                ))
                            }
                            _ => {
                                file_owners.insert(path.clone(), (by.clone(), r.record.provisioner.clone()));
                                doc.files.insert(path.clone(), file);
                            }
                        }
                    }
                }
                Value::Null => {}
                _ => diags.push(err(
                    "artifact",
                    "`files` must render a mapping of relative path → content".into(),
                )),
            }
        }
        if let Some(dirs) = r.artifacts.get("directories") {
            merge_directories(&mut doc, dirs, by, &mut dir_owners)
                .into_iter()
                .for_each(|msg| diags.push(err("artifact", msg)));
        }
        match r.artifacts.get("info_logs") {
            None | Some(Value::Null) => {}
            Some(Value::Array(lines)) => doc.info.extend(
                lines
                    .iter()
                    .map(|l| format!("{by}: {}", score_core::placeholder::value_to_string(l))),
            ),
            Some(other) => doc.info.push(format!(
                "{by}: {}",
                score_core::placeholder::value_to_string(other)
            )),
        }
    }
    for services in doc.services_of.values_mut() {
        services.sort();
        services.dedup();
    }
    (doc, diags)
}

/// One resource's `directories` (score-compose's key): mounts-relative path → `true` (make it)
/// or `false` (remove it); problems as messages.
fn merge_directories(
    doc: &mut ResourceDoc,
    dirs: &Value,
    by: &ResourceUid,
    owners: &mut BTreeMap<PathBuf, ResourceUid>,
) -> Vec<String> {
    let entries = match dirs {
        Value::Object(m) => m,
        Value::Null => return Vec::new(),
        _ => {
            return vec![
                "`directories` must render a mapping of relative path → true or false".into(),
            ]
        }
    };
    let mut problems = Vec::new();
    for (path, keep) in entries {
        let keep = match keep {
            Value::Bool(b) => *b,
            Value::Null => false,
            other => {
                problems.push(format!(
                    "`directories.{path}` must be true (make it) or false (remove it), not {other}"
                ));
                continue;
            }
        };
        if !paths::is_safe_relative(path) {
            problems.push(format!("`directories.{path}`: the path must be relative to the mounts directory and stay inside it"));
            continue;
        }
        let rel = paths::normalize(std::path::Path::new(path));
        match doc.directories.get(&rel) {
            Some(prev) if *prev == keep => {}
            Some(_) => problems.push(format!(
                "directory `{path}` is made by one resource and removed by the other, `{}`",
                owners[&rel]
            )),
            None => {
                owners.insert(rel.clone(), by.clone());
                doc.directories.insert(rel, keep);
            }
        }
    }
    problems
}

/// The Compose specification's shape of one entry of `section`.
fn section_shape(section: &str) -> u16 {
    match section {
        "services" => spec::SERVICE,
        "volumes" => spec::VOLUME,
        "models" => spec::MODEL,
        _ => spec::NETWORK,
    }
}

/// A key of a rendered object the Compose specification does not know, left out (as
/// score-compose's typed decoding does, but said).
fn unknown_key_warning(
    r: &score_core::provision::ProvisionedResource,
    section: &str,
    name: &str,
    d: &spec::Dropped,
) -> Diagnostic {
    let key = d.path.rsplit('.').next().unwrap_or(&d.path);
    let diag = Diagnostic::warning(
        "score::compose::unknown_key",
        format!(
            "resource `{}` (provisioner `{}` in `{}`): `{section}.{name}.{}` is not a Compose key; it was left out of {}",
            r.uid,
            r.record.provisioner,
            r.provisioner_file,
            d.path,
            match section {
                "services" => format!("service `{name}`"),
                _ => format!("`{section}.{name}`"),
            }
        ),
    );
    match d.suggestion {
        Some(s) => diag.with_help(format!("did you mean `{s}`? (in the provisioner's `{section}` template, `{key}` → `{s}`)")),
        None => diag.with_help(format!("remove `{key}` from the provisioner's `{section}` template, or prefix it with `x-` to keep it as an extension")),
    }
}

fn section_key(section: &str) -> &'static str {
    match section {
        "services" => "services",
        "volumes" => "volumes",
        "models" => "models",
        _ => "networks",
    }
}

/// The condition dependants wait with: the explicit marker, else healthy when the service has
/// an enabled health check, else started.
fn wait_condition(def: &Value) -> Result<Option<String>, String> {
    match def.get(WAIT_KEY) {
        Some(Value::String(s)) if s == "none" => return Ok(None),
        Some(Value::String(s)) if CONDITIONS.contains(&s.as_str()) => return Ok(Some(s.clone())),
        Some(other) => {
            return Err(format!(
                "`{WAIT_KEY}` must be one of {}, none; got {other}",
                CONDITIONS.join(", ")
            ))
        }
        None => {}
    }
    let hc = def.get("healthcheck");
    let disabled = hc
        .and_then(|h| h.get("disable"))
        .and_then(Value::as_bool)
        .unwrap_or(false)
        || hc
            .and_then(|h| h.get("test"))
            .and_then(Value::as_array)
            .is_some_and(|t| t.first().and_then(Value::as_str) == Some("NONE"));
    let has_test = hc.and_then(|h| h.get("test")).is_some();
    Ok(Some(
        if has_test && !disabled {
            "service_healthy"
        } else {
            "service_started"
        }
        .to_string(),
    ))
}

/// One `files` entry: a string, or `{content: <string>, mode: "0600"}`.
fn file_entry(path: &str, content: &Value) -> Result<GeneratedFile, String> {
    if !paths::is_safe_relative(path) {
        return Err("the path must be relative to the mounts directory and stay inside it".into());
    }
    let (text, mode) = match content {
        Value::String(s) => (s.clone(), None),
        Value::Object(m) => {
            let text = match m.get("content") {
                Some(Value::String(s)) => s.clone(),
                Some(other) => score_core::placeholder::value_to_string(other),
                None => return Err("an object entry needs `content`".into()),
            };
            let mode = match m.get("mode") {
                None | Some(Value::Null) => None,
                Some(Value::String(s)) => Some(
                    u32::from_str_radix(s, 8).map_err(|_| format!("mode `{s}` is not octal"))?,
                ),
                Some(Value::Number(n)) => Some(
                    n.as_u64()
                        .and_then(|n| u32::try_from(n).ok())
                        .ok_or("mode must be a string like \"0644\"")?,
                ),
                Some(_) => return Err("mode must be a string like \"0644\"".into()),
            };
            if mode.is_some_and(|m| m > 0o777) {
                return Err("mode must be at most 0777".into());
            }
            (text, mode)
        }
        Value::Null => (String::new(), None),
        other => (score_core::placeholder::value_to_string(other), None),
    };
    Ok(GeneratedFile {
        path: paths::normalize(std::path::Path::new(path)),
        bytes: text.into_bytes(),
        mode,
    })
}

/// Remove the [`WAIT_KEY`] markers from services.
pub(crate) fn strip_markers(services: &mut Map<String, Value>) {
    for def in services.values_mut() {
        if let Value::Object(m) = def {
            m.remove(WAIT_KEY);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn wait_conditions() {
        assert_eq!(
            wait_condition(&json!({})).unwrap().as_deref(),
            Some("service_started")
        );
        assert_eq!(
            wait_condition(&json!({"healthcheck": {"test": ["CMD", "x"]}}))
                .unwrap()
                .as_deref(),
            Some("service_healthy")
        );
        assert_eq!(
            wait_condition(&json!({"healthcheck": {"test": ["NONE"]}}))
                .unwrap()
                .as_deref(),
            Some("service_started")
        );
        assert_eq!(
            wait_condition(&json!({"healthcheck": {"test": "x", "disable": true}}))
                .unwrap()
                .as_deref(),
            Some("service_started")
        );
        assert_eq!(
            wait_condition(
                &json!({WAIT_KEY: "service_completed_successfully", "healthcheck": {"test": "x"}})
            )
            .unwrap()
            .as_deref(),
            Some("service_completed_successfully")
        );
        assert_eq!(wait_condition(&json!({WAIT_KEY: "none"})).unwrap(), None);
        assert!(wait_condition(&json!({WAIT_KEY: "later"})).is_err());
    }

    #[test]
    fn file_entries() {
        let f = file_entry("route/a.conf", &json!("x")).unwrap();
        assert_eq!((f.bytes.as_slice(), f.mode), (b"x".as_slice(), None));
        let f = file_entry("a/secret.env", &json!({"content": "K=v", "mode": "0600"})).unwrap();
        assert_eq!(f.mode, Some(0o600));
        assert!(file_entry("../x", &json!("x")).is_err());
        assert!(file_entry("/x", &json!("x")).is_err());
        assert!(file_entry("x", &json!({"mode": "0600"})).is_err());
        assert!(file_entry("x", &json!({"content": "", "mode": "9"})).is_err());
    }
}
