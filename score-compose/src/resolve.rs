//! Placeholder substitution for one workload, in the flavours compose needs.
//!
//! * environment values ([`Resolver::env_value`]) are written for compose: every literal `$`
//!   and every `$` inside a substituted value is doubled, and `${resources.<env>.KEY}` of an
//!   `environment` resource becomes the compose-time reference `${KEY}`;
//! * file contents ([`Resolver::file_text`]) are written to disk as is, so `environment`
//!   references are read from the process environment now (an unset variable is an error);
//! * volume sources ([`Resolver::volume_source`]) may name a resource itself.
//!
//! ## The `environment` resource
//! Provisioner templates cannot read the process environment, so the default `environment`
//! provisioner outputs nothing and the backend resolves its references: an output the
//! provisioner did produce wins (so a user provisioner that loads a `.env` file works), any
//! other key `KEY` becomes `${KEY}`, which compose fills in from the shell or `.env` when the
//! project starts.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use score_core::placeholder::{
    self, value_to_string, Context, Placeholder, RefError, RefRoot, Template,
};
use score_core::provision::Resolved;
use score_core::suggest::closest;

use crate::escape;

/// The resource type whose outputs come from the environment.
pub(crate) const ENVIRONMENT_TYPE: &str = "environment";

/// What a volume `source` turned out to be.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum VolumeSource {
    /// `${resources.<name>}`: the resource itself (its outputs describe the volume).
    Resource(String),
    /// Any other text, placeholders substituted.
    Text(String),
}

/// Substitutes placeholders for one workload.
pub(crate) struct Resolver {
    metadata: Value,
    outputs: BTreeMap<String, Value>,
    /// Names (in this workload) of `environment` resources.
    env_resources: BTreeSet<String>,
}

impl Resolver {
    /// The resolver for `workload` of `resolved`.
    pub(crate) fn new(resolved: &Resolved, workload: &str) -> Self {
        let w = &resolved.workloads[workload];
        let env_resources = w
            .resources
            .iter()
            .filter(|(_, uid)| uid.kind == ENVIRONMENT_TYPE)
            .map(|(name, _)| name.clone())
            .collect();
        Resolver {
            metadata: w.workload.metadata_json(),
            outputs: resolved.outputs_for(workload),
            env_resources,
        }
    }

    /// The environment variable an `environment` reference names, when `p` is one whose
    /// provisioner did not produce the output.
    fn env_reference(&self, p: &Placeholder) -> Result<Option<String>, String> {
        let Ok(RefRoot::Resource { name, output }) = p.root() else {
            return Ok(None);
        };
        if !self.env_resources.contains(name) {
            return Ok(None);
        }
        match output {
            [] => Err(format!(
                "`${{{}}}` refers to the environment resource itself; name a variable, e.g. `${{resources.{name}.NAME}}`",
                p.raw
            )),
            [key] if self.outputs.get(name).and_then(|o| o.get(key)).is_some() => Ok(None),
            [key] if escape::is_env_name(key) => Ok(Some(key.clone())),
            [key] => Err(format!("`{key}` is not a valid environment variable name (letters, digits and `_`, not starting with a digit)")),
            _ => Err(format!("`${{{}}}`: environment variables have no nested keys", p.raw)),
        }
    }

    fn lookup(&self, p: &Placeholder) -> Result<Value, String> {
        Context::new(&self.metadata, &self.outputs)
            .resolve(p)
            .map_err(|e| {
                let mut msg = e.to_string();
                // A misspelt output: say which outputs exist (names only, never values).
                if let (
                    RefError::KeyNotFound { key, .. },
                    Ok(RefRoot::Resource { name, output: [_] }),
                ) = (&e, p.root())
                {
                    if let Some(Value::Object(outputs)) = self.outputs.get(name) {
                        let keys: Vec<&str> = outputs.keys().map(String::as_str).collect();
                        if let Some(best) = closest(key, keys.iter().copied()) {
                            msg.push_str(&format!(" (did you mean `{best}`?)"));
                        }
                        msg.push_str(&format!(
                            "; outputs of `{name}`: {}",
                            if keys.is_empty() {
                                "none".to_string()
                            } else {
                                keys.join(", ")
                            }
                        ));
                    }
                }
                msg
            })
    }

    /// An environment value for compose (see the module docs). Compose-time variables used
    /// are added to `env_keys`.
    pub(crate) fn env_value(
        &self,
        text: &str,
        env_keys: &mut BTreeSet<String>,
    ) -> Result<String, String> {
        let t = Template::parse(text).map_err(|e| e.to_string())?;
        let mut out = String::new();
        for seg in &t.segments {
            match seg {
                placeholder::Segment::Literal(s) => out.push_str(&escape::dollars(s)),
                placeholder::Segment::Placeholder(p) => match self.env_reference(p)? {
                    Some(key) => {
                        out.push_str(&format!("${{{key}}}"));
                        env_keys.insert(key);
                    }
                    None => out.push_str(&escape::dollars(&value_to_string(&self.lookup(p)?))),
                },
            }
        }
        Ok(out)
    }

    /// File content with placeholders substituted; `environment` references are read from the
    /// process environment (via `getenv`, so tests can inject one). Like compose itself, an
    /// unset variable becomes a blank string; its name is added to `unset` so callers can warn.
    pub(crate) fn file_text(
        &self,
        text: &str,
        getenv: &dyn Fn(&str) -> Option<String>,
        unset: &mut BTreeSet<String>,
    ) -> Result<String, String> {
        let t = Template::parse(text).map_err(|e| e.to_string())?;
        t.render(|p| match self.env_reference(p)? {
            Some(key) => Ok(Value::String(getenv(&key).unwrap_or_else(|| {
                unset.insert(key);
                String::new()
            }))),
            None => self.lookup(p),
        })
    }

    /// A volume `source`: `${resources.<name>}` alone names the resource itself.
    pub(crate) fn volume_source(&self, text: &str) -> Result<VolumeSource, String> {
        let t = Template::parse(text).map_err(|e| e.to_string())?;
        if let [placeholder::Segment::Placeholder(p)] = t.segments.as_slice() {
            if let Ok(RefRoot::Resource { name, output: [] }) = p.root() {
                if !self.outputs.contains_key(name) {
                    return Err(format!("no known resource '{name}'"));
                }
                return Ok(VolumeSource::Resource(name.to_string()));
            }
        }
        // A volume source is a name or path, not shell text: substitute without compose escaping.
        let text = t.render(|p| match self.env_reference(p)? {
            Some(key) => Err(format!(
                "a volume source cannot use the environment variable `{key}`"
            )),
            None => self.lookup(p),
        })?;
        Ok(VolumeSource::Text(text))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use score_core::provision::{ProvisionedResource, ResolvedWorkload};
    use score_core::state::ResourceRecord;
    use score_core::uid::ResourceUid;
    use serde_json::json;

    fn resolved() -> Resolved {
        let workload = serde_json::from_value(json!({
            "apiVersion": "score.dev/v1b1",
            "metadata": {"name": "web", "team": "a$b"},
            "containers": {"main": {"image": "nginx"}},
            "resources": {"db": {"type": "postgres"}, "env": {"type": "environment"}, "data": {"type": "volume"}}
        }))
        .unwrap();
        let mut resources = BTreeMap::new();
        let mut list = Vec::new();
        for (name, kind, outputs) in [
            (
                "db",
                "postgres",
                json!({"host": "pg", "port": 5432, "password": "p$ss"}),
            ),
            ("env", "environment", json!({"PRESET": "from-provisioner"})),
            (
                "data",
                "volume",
                json!({"source": "vol-1", "type": "volume"}),
            ),
        ] {
            let uid = ResourceUid::new(kind, "default", None, "web", name);
            resources.insert(name.to_string(), uid.clone());
            list.push(ProvisionedResource {
                uid,
                record: ResourceRecord {
                    guid: "g".into(),
                    kind: kind.into(),
                    class: "default".into(),
                    id: None,
                    metadata: Default::default(),
                    params: Default::default(),
                    source_workload: "web".into(),
                    provisioner: "template://x".into(),
                    state: Default::default(),
                    outputs: outputs.as_object().unwrap().clone(),
                    secret_outputs: Default::default(),
                },
                artifacts: BTreeMap::new(),
                provisioner_file: "test.provisioners.yaml".into(),
                wrote_shared: false,
            });
        }
        let mut workloads = BTreeMap::new();
        workloads.insert(
            "web".to_string(),
            ResolvedWorkload {
                workload,
                base_dir: ".".into(),
                resources,
            },
        );
        Resolved::new(workloads, list, Default::default())
    }

    #[test]
    fn env_values_are_escaped_for_compose() {
        let r = Resolver::new(&resolved(), "web");
        let mut keys = BTreeSet::new();
        let v = r
            .env_value(
                "postgres://${resources.db.host}:${resources.db.port} pw=${resources.db.password}",
                &mut keys,
            )
            .unwrap();
        assert_eq!(v, "postgres://pg:5432 pw=p$$ss");
        assert_eq!(
            r.env_value("$$_$${fizzbuzz} $x", &mut keys).unwrap(),
            "$$_$${fizzbuzz} $$x"
        );
        assert_eq!(r.env_value("${metadata.team}", &mut keys).unwrap(), "a$$b");
        assert!(keys.is_empty());
    }

    #[test]
    fn environment_references_become_compose_variables() {
        let r = Resolver::new(&resolved(), "web");
        let mut keys = BTreeSet::new();
        assert_eq!(
            r.env_value("Hi ${resources.env.NAME}!", &mut keys).unwrap(),
            "Hi ${NAME}!"
        );
        assert_eq!(
            r.env_value("${resources.env.PRESET}", &mut keys).unwrap(),
            "from-provisioner"
        );
        assert_eq!(keys.into_iter().collect::<Vec<_>>(), ["NAME"]);
        let mut keys = BTreeSet::new();
        assert!(r
            .env_value("${resources.env}", &mut keys)
            .unwrap_err()
            .contains("environment resource itself"));
        assert!(r.env_value("${resources.env.A.B}", &mut keys).is_err());
        assert!(r.env_value("${resources.env.A-B}", &mut keys).is_err());
        let e = r.env_value("${resources.db.hots}", &mut keys).unwrap_err();
        assert!(
            e.contains(
                "'hots' not found (did you mean `host`?); outputs of `db`: host, password, port"
            ),
            "{e}"
        );
    }

    #[test]
    fn files_read_the_process_environment() {
        let r = Resolver::new(&resolved(), "web");
        let env = |k: &str| (k == "TEST").then(|| "v$1".to_string());
        let mut unset = BTreeSet::new();
        assert_eq!(
            r.file_text(
                "${resources.env.TEST} in file, $$ ${resources.db.password}",
                &env,
                &mut unset
            )
            .unwrap(),
            "v$1 in file, $ p$ss"
        );
        assert!(unset.is_empty());
        assert_eq!(
            r.file_text("[${resources.env.MISSING}]", &env, &mut unset)
                .unwrap(),
            "[]"
        );
        assert!(unset.contains("MISSING"));
    }

    #[test]
    fn volume_sources() {
        let r = Resolver::new(&resolved(), "web");
        assert_eq!(
            r.volume_source("${resources.data}").unwrap(),
            VolumeSource::Resource("data".into())
        );
        assert_eq!(
            r.volume_source("${resources.data.source}").unwrap(),
            VolumeSource::Text("vol-1".into())
        );
        assert_eq!(
            r.volume_source("plain").unwrap(),
            VolumeSource::Text("plain".into())
        );
        assert!(r.volume_source("${resources.nope}").is_err());
    }
}
