//! The Terraform module being built: blocks by address, merged from workloads and provisioner
//! artifacts, then split into files.
//!
//! Blocks with the same address must be identical (provisioners of several resources may all
//! emit one shared server, which is kept once); different blocks at one address are an error
//! that names both origins.
//!
//! A module built for HCL ([`Module::for_hcl`]) renders each labelled block as it is added and
//! keeps only its text: at thousands of workloads, holding every block as a JSON tree (and a
//! canonical copy of every provisioner block) until the end was half of a run's memory.

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

/// The module's files, in the order they are written (without extension: see
/// [`crate::Format::file_name`]).
pub const FILES: [&str; 4] = ["main", "variables", "outputs", "versions"];

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
    body: Body,
    origin: String,
}

/// A block's body: its Terraform JSON value, or (in a module for HCL) the block as HCL text.
#[derive(Debug, Clone, PartialEq)]
enum Body {
    Value(Value),
    Hcl(String),
}

/// Blocks by section and labels.
#[derive(Debug, Clone, Default)]
pub struct Module {
    /// `(section, labels)` → block. Sections: resource, data (two labels), module, variable,
    /// output, provider, locals (one label: the local's name; the body is its value),
    /// required_providers (one label).
    blocks: BTreeMap<(String, Vec<String>), Entry>,
    /// Render labelled blocks to HCL as they are added ([`Module::for_hcl`]).
    hcl: bool,
    /// Blocks that could not be rendered (reported by [`Module::into_hcl`]).
    render_errors: Vec<Diagnostic>,
}

/// The file a section's blocks are written to.
fn file_of(section: &str) -> &'static str {
    match section {
        "variable" => "variables",
        "output" => "outputs",
        "required_providers" => "versions",
        _ => "main",
    }
}

fn render_error(file: &str, e: &str) -> Diagnostic {
    Diagnostic::error(
        "score::terraform::render",
        format!("cannot write {file}.tf: {e}"),
    )
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
                    body: Body::Value(json!({"source": source, "version": version})),
                    origin: "score-rs".into(),
                },
            );
        }
        m
    }

    /// A module that keeps labelled blocks as HCL text only (see the module documentation);
    /// write it with [`Module::into_hcl`].
    pub fn for_hcl() -> Self {
        Module {
            hcl: true,
            ..Module::new()
        }
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
        let key: (String, Vec<String>) = (
            section.to_string(),
            labels.iter().map(|s| s.to_string()).collect(),
        );
        let body = if self.hcl && !matches!(section, "locals" | "required_providers") {
            // Blocks rendered alike are written alike, so comparing texts merges as comparing
            // values would.
            match crate::render::block_hcl(section, &key.1, &body) {
                Ok(text) => Body::Hcl(text),
                Err(e) => {
                    self.render_errors.push(render_error(file_of(section), &e));
                    Body::Value(body)
                }
            }
        } else {
            Body::Value(body)
        };
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
    ///
    /// # Panics
    /// On a module made by [`Module::for_hcl`], whose blocks are text.
    pub fn into_files(self) -> Vec<(&'static str, Value)> {
        assert!(!self.hcl, "a module for HCL has no JSON values");
        let mut main = Map::new();
        let mut variables = Map::new();
        let mut outputs = Map::new();
        let mut providers = Map::new();
        for ((section, mut labels), e) in self.blocks {
            let Body::Value(body) = e.body else {
                unreachable!("a module for JSON holds values")
            };
            let (file, sec): (&mut Map<String, Value>, &str) = match section.as_str() {
                "variable" => (&mut variables, "variable"),
                "output" => (&mut outputs, "output"),
                "required_providers" => {
                    providers.insert(labels.swap_remove(0), body);
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
                m.insert(last, body);
            }
        }
        let versions = versions(providers);
        vec![
            ("main", Value::Object(main)),
            ("variables", Value::Object(variables)),
            ("outputs", Value::Object(outputs)),
            ("versions", versions),
        ]
    }

    /// The module's files as HCL text, `(name, text)`: `main`, `variables`, `outputs`,
    /// `versions`, the same text as [`render::to_hcl`](crate::render::to_hcl) of each of
    /// [`Module::into_files`]. Each block's text is dropped once it is copied into its file.
    ///
    /// # Errors
    /// A `score::terraform::render` diagnostic per block that could not be rendered.
    ///
    /// # Panics
    /// Unless the module was made by [`Module::for_hcl`].
    pub fn into_hcl(self) -> Result<Vec<(&'static str, String)>, Vec<Diagnostic>> {
        assert!(self.hcl, "only a module for HCL renders as it goes");
        if !self.render_errors.is_empty() {
            return Err(self.render_errors);
        }
        // Texts by section, in label order (the map's order).
        let mut sections: BTreeMap<String, Vec<String>> = BTreeMap::new();
        let mut locals = Map::new();
        let mut providers = Map::new();
        for ((section, mut labels), e) in self.blocks {
            match (section.as_str(), e.body) {
                (_, Body::Hcl(text)) => sections.entry(section).or_default().push(text),
                ("locals", Body::Value(v)) => drop(locals.insert(labels.swap_remove(0), v)),
                ("required_providers", Body::Value(v)) => {
                    drop(providers.insert(labels.swap_remove(0), v))
                }
                (s, Body::Value(_)) => unreachable!("`{s}` blocks are rendered when added"),
            }
        }
        let mut errors = Vec::new();
        if !locals.is_empty() {
            match crate::render::locals_hcl(&locals) {
                Ok(text) => sections.insert("locals".into(), vec![text]),
                Err(e) => {
                    errors.push(render_error("main", &e));
                    None
                }
            };
        }
        let versions = match crate::render::to_hcl(&versions(providers)) {
            Ok(text) => text,
            Err(e) => {
                errors.push(render_error("versions", &e));
                String::new()
            }
        };
        if !errors.is_empty() {
            return Err(errors);
        }
        let mut file = |name: &str| -> String {
            let blocks: Vec<String> = crate::render::SECTIONS
                .iter()
                .filter(|s| file_of(s) == name)
                .filter_map(|s| sections.remove(*s))
                .flatten()
                .collect();
            let len = blocks.iter().map(|b| b.len() + 1).sum::<usize>();
            let mut out = String::with_capacity(len);
            for b in blocks {
                if !out.is_empty() {
                    out.push('\n');
                }
                out.push_str(&b);
            }
            out
        };
        Ok(vec![
            ("main", file("main")),
            ("variables", file("variables")),
            ("outputs", file("outputs")),
            ("versions", versions),
        ])
    }
}

/// The `terraform` block of `versions`: the Terraform version and the providers required.
fn versions(providers: Map<String, Value>) -> Value {
    json!({
        "terraform": {"required_version": REQUIRED_VERSION, "required_providers": providers}
    })
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

    /// The same blocks give the same text whether rendered as they are added or from the
    /// finished JSON values, and clash the same way.
    #[test]
    fn rendering_as_blocks_are_added_writes_what_to_hcl_writes() {
        let artifact = json!({
            "resource": {
                "random_password": {"p": {"length": 24, "special": false}},
                "kubernetes_service_v1": {"s": {"metadata": {"name": "s", "labels": {"a": "b"}}, "spec": {"port": {"port": 80}}}},
            },
            "data": {"kubernetes_namespace_v1": {"ns": {"metadata": {"name": "x"}}}},
            "locals": {"b": "${var.namespace}", "a": [1, 2]},
            "variable": {"v": {"type": "string", "default": "d"}},
            "output": {"o": {"value": "${random_password.p.result}", "sensitive": true}},
            "module": {"db": {"source": "./db", "size": 2}},
            "provider": {"aws": {"region": "eu-west-1"}},
            "terraform": {"required_providers": {"aws": {"source": "hashicorp/aws"}}},
        });
        let (mut json, mut hcl) = (Module::new(), Module::for_hcl());
        for m in [&mut json, &mut hcl] {
            m.merge_artifact(&artifact, "a").unwrap();
            m.merge_artifact(&artifact, "b").unwrap();
        }
        let expected: Vec<(&str, String)> = json
            .into_files()
            .iter()
            .map(|(name, v)| (*name, crate::render::to_hcl(v).unwrap()))
            .collect();
        let texts = hcl.into_hcl().unwrap();
        assert_eq!(texts, expected);
        assert!(
            texts[0].1.contains("locals {")
                && texts[0].1.contains("resource \"random_password\" \"p\"")
        );

        let mut clash = Module::for_hcl();
        clash.merge_artifact(&artifact, "a").unwrap();
        let other = json!({"resource": {"random_password": {"p": {"length": 12}}}});
        let e = clash.merge_artifact(&other, "c").unwrap_err();
        assert!(e[0].message.contains("defined twice"), "{}", e[0].message);
    }

    #[test]
    fn an_empty_module_for_hcl_still_has_its_four_files() {
        let names: Vec<&str> = Module::for_hcl()
            .into_hcl()
            .unwrap()
            .into_iter()
            .map(|(n, _)| n)
            .collect();
        assert_eq!(names, FILES);
        let names: Vec<&str> = Module::new()
            .into_files()
            .into_iter()
            .map(|(n, _)| n)
            .collect();
        assert_eq!(names, FILES, "the JSON module has the same files");
    }
}
