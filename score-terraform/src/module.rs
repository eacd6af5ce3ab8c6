//! The Terraform module being built: blocks by address, merged from workloads and provisioner
//! artifacts, then split into files.
//!
//! Blocks with the same address must be identical (provisioners of several resources may all
//! emit one shared server, which is kept once); different blocks at one address are an error
//! that names both origins.

use std::collections::BTreeMap;

use score_core::Diagnostic;
use serde_json::{json, Map, Value};

use crate::blocks;

/// Version constraint of hashicorp/kubernetes.
pub const KUBERNETES_VERSION: &str = "~> 3.2";
/// Version constraint of hashicorp/random.
pub const RANDOM_VERSION: &str = "~> 3.9";
/// Terraform versions the module needs.
pub const REQUIRED_VERSION: &str = ">= 1.5.0";

/// Top-level keys a provisioner's `terraform` template may produce.
pub const ARTIFACT_KEYS: &[&str] = &[
    "resource",
    "data",
    "module",
    "variable",
    "output",
    "locals",
    "provider",
    "terraform",
];

#[derive(Debug, Clone)]
struct Entry {
    body: Value,
    origin: String,
}

/// Blocks by section and labels.
#[derive(Debug, Clone, Default)]
pub struct Module {
    /// `(section, labels)` → block. Sections: resource, data (two labels), module, variable,
    /// output, provider, locals (one label: the local's name; the body is its value),
    /// required_providers (one label).
    blocks: BTreeMap<(String, Vec<String>), Entry>,
}

fn code() -> &'static str {
    "score::terraform::module"
}

/// Whether `s` is a Terraform block label / identifier.
pub fn is_identifier(s: &str) -> bool {
    s.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

impl Module {
    /// A module with the provider requirements every generated module has.
    pub fn new() -> Self {
        let mut m = Module::default();
        for (name, source, version) in [
            ("kubernetes", "hashicorp/kubernetes", KUBERNETES_VERSION),
            ("random", "hashicorp/random", RANDOM_VERSION),
        ] {
            m.blocks.insert(
                ("required_providers".into(), vec![name.into()]),
                Entry {
                    body: json!({"source": source, "version": version}),
                    origin: "score-rs".into(),
                },
            );
        }
        m
    }

    /// Add a block; identical re-additions are kept once.
    pub fn add(
        &mut self,
        section: &str,
        labels: &[&str],
        body: Value,
        origin: &str,
    ) -> Result<(), Box<Diagnostic>> {
        let address = format!("{section}.{}", labels.join("."));
        if let Some(bad) = labels.iter().find(|l| !is_identifier(l)) {
            return Err(Box::new(
                Diagnostic::error(code(), format!("{origin}: `{bad}` in `{address}` is not a valid Terraform name"))
                    .with_help("names start with a letter or `_` and contain only letters, digits, `_` and `-`"),
            ));
        }
        let key = (
            section.to_string(),
            labels.iter().map(|s| s.to_string()).collect(),
        );
        match self.blocks.get(&key) {
            Some(existing) if existing.body == body => Ok(()),
            Some(existing) => Err(Box::new(
                Diagnostic::error(
                    code(),
                    format!("`{address}` is defined twice with different contents: by {} and by {origin}", existing.origin),
                )
                .with_help("give one of them another name (rename the workload or resource), or make the blocks identical"),
            )),
            None => {
                self.blocks.insert(key, Entry { body, origin: origin.to_string() });
                Ok(())
            }
        }
    }

    /// Whether a block exists.
    pub fn has(&self, section: &str, labels: &[&str]) -> bool {
        self.blocks.contains_key(&(
            section.to_string(),
            labels.iter().map(|s| s.to_string()).collect(),
        ))
    }

    /// Merge what a provisioner's `terraform` template produced.
    pub fn merge_artifact(
        &mut self,
        artifact: &Value,
        origin: &str,
    ) -> Result<(), Vec<Diagnostic>> {
        let err = |msg: String| {
            vec![Diagnostic::error(code(), format!("{origin}: {msg}"))
                .with_help("the `terraform` template renders Terraform JSON: `resource: {<type>: {<name>: {...}}}`, `module: {<name>: {...}}`, `variable`, `output`, `locals`, `provider`, `data`, `terraform: {required_providers: ...}`")]
        };
        let Value::Object(top) = artifact else {
            return Err(err("the `terraform` template must render a mapping".into()));
        };
        let mut errors = Vec::new();
        for (section, v) in top {
            if !ARTIFACT_KEYS.contains(&section.as_str()) {
                errors.extend(err(format!(
                    "unknown top-level key `{section}` in the `terraform` template"
                )));
                continue;
            }
            let Value::Object(m) = v else {
                errors.extend(err(format!("`{section}` must be a mapping")));
                continue;
            };
            for (name, body) in m {
                let result = match section.as_str() {
                    "resource" | "data" => {
                        let Value::Object(named) = body else {
                            errors.extend(err(format!(
                                "`{section}.{name}` must map names to blocks"
                            )));
                            continue;
                        };
                        for (n, b) in named {
                            if !b.is_object() {
                                errors.extend(err(format!(
                                    "`{section}.{name}.{n}` must be a mapping"
                                )));
                                continue;
                            }
                            if let Err(d) = self.add(
                                section,
                                &[name, n],
                                blocks::canonical_body(name, b),
                                origin,
                            ) {
                                errors.push(*d);
                            }
                        }
                        Ok(())
                    }
                    "locals" => self.add("locals", &[name], body.clone(), origin),
                    "terraform" => match (name.as_str(), body) {
                        ("required_providers", Value::Object(ps)) => {
                            ps.iter().try_for_each(|(p, req)| {
                                self.add("required_providers", &[p], req.clone(), origin)
                            })
                        }
                        _ => {
                            errors.extend(err(format!("only `terraform.required_providers` may be set, not `terraform.{name}`")));
                            continue;
                        }
                    },
                    "provider" => {
                        if !body.is_object() {
                            errors.extend(err(format!("`provider.{name}` must be a mapping")));
                            continue;
                        }
                        self.add(
                            "provider",
                            &[name],
                            blocks::canonical_body(name, body),
                            origin,
                        )
                    }
                    _ => {
                        if !body.is_object() {
                            errors.extend(err(format!("`{section}.{name}` must be a mapping")));
                            continue;
                        }
                        self.add(section, &[name], body.clone(), origin)
                    }
                };
                if let Err(d) = result {
                    errors.push(*d);
                }
            }
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }

    /// The module's files as Terraform JSON values: `main`, `variables`, `outputs`, `versions`.
    /// The blocks move into them: at thousands of workloads a copy of every block was a
    /// third of the run's memory.
    pub fn into_files(self) -> Vec<(&'static str, Value)> {
        let mut main = Map::new();
        let mut variables = Map::new();
        let mut outputs = Map::new();
        let mut providers = Map::new();
        for ((section, mut labels), e) in self.blocks {
            let (file, sec): (&mut Map<String, Value>, &str) = match section.as_str() {
                "variable" => (&mut variables, "variable"),
                "output" => (&mut outputs, "output"),
                "required_providers" => {
                    providers.insert(labels.swap_remove(0), e.body);
                    continue;
                }
                s => (&mut main, s),
            };
            let mut slot = file
                .entry(sec.to_string())
                .or_insert_with(|| Value::Object(Map::new()));
            let Some(last) = labels.pop() else { continue };
            for l in labels {
                let Value::Object(m) = slot else { break };
                slot = m.entry(l).or_insert_with(|| Value::Object(Map::new()));
            }
            if let Value::Object(m) = slot {
                m.insert(last, e.body);
            }
        }
        let versions = json!({
            "terraform": {"required_version": REQUIRED_VERSION, "required_providers": providers}
        });
        vec![
            ("main", Value::Object(main)),
            ("variables", Value::Object(variables)),
            ("outputs", Value::Object(outputs)),
            ("versions", versions),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identical_blocks_merge_and_different_ones_clash() {
        let mut m = Module::new();
        let a = json!({"resource": {"random_password": {"p": {"length": 24}}}});
        m.merge_artifact(&a, "provisioner a").unwrap();
        m.merge_artifact(&a, "provisioner b").unwrap();
        let b = json!({"resource": {"random_password": {"p": {"length": 12}}}});
        let e = m.merge_artifact(&b, "provisioner c").unwrap_err();
        assert!(
            e[0].message
                .contains("`resource.random_password.p` is defined twice"),
            "{}",
            e[0].message
        );
        assert!(e[0].message.contains("provisioner a") && e[0].message.contains("provisioner c"));
        let bad = m
            .merge_artifact(&json!({"resources": {}}), "p")
            .unwrap_err();
        assert!(bad[0].message.contains("unknown top-level key `resources`"));
        let name = m
            .merge_artifact(&json!({"module": {"9x": {}}}), "p")
            .unwrap_err();
        assert!(name[0].message.contains("not a valid Terraform name"));
    }

    #[test]
    fn files_split_sections() {
        let mut m = Module::new();
        m.merge_artifact(
            &json!({"variable": {"v": {"type": "string"}}, "output": {"o": {"value": "x"}}, "module": {"db": {"source": "x"}}, "terraform": {"required_providers": {"aws": {"source": "hashicorp/aws"}}}}),
            "p",
        )
        .unwrap();
        let files = m.into_files();
        assert_eq!(files[0].1, json!({"module": {"db": {"source": "x"}}}));
        assert_eq!(files[1].1, json!({"variable": {"v": {"type": "string"}}}));
        assert_eq!(files[2].1, json!({"output": {"o": {"value": "x"}}}));
        assert_eq!(
            files[3].1["terraform"]["required_providers"]["aws"]["source"],
            "hashicorp/aws"
        );
    }
}
