//! Placeholder rendering for one workload, keeping track of which parts are secret.
//!
//! A placeholder's value is secret when the provisioner listed its output in `secret_outputs`,
//! when it is a whole resource (`${resources.db}`) that has secret outputs, or — as a safety net
//! for provisioners that forgot to mark, say, a connection string — when the value contains any
//! known secret value. Secret parts never reach a plain-text field: callers route them into
//! Kubernetes Secrets.
//!
//! ## The `environment` resource
//! Provisioner templates cannot read the process environment, so the default `environment`
//! provisioner outputs nothing and `${resources.<env>.KEY}` is read here, from the environment
//! `score-rs generate` runs in (an output the provisioner did produce wins). Such values are
//! treated as secret: they often hold credentials. An unset variable is blank, as compose makes
//! it, and [`Resolver::unset_variables`] names it for a warning.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

use aho_corasick::AhoCorasick;

use serde_json::Value;

use score_core::placeholder::{value_to_string, Context, Placeholder, RefRoot, Segment, Template};
use score_core::provision::{ProvisionedResource, Resolved};
use score_core::secret_ref::{self, Part, SecretRef};

/// One part of a rendered string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    /// Literal text or a non-secret placeholder value.
    Text(String),
    /// A secret placeholder value.
    Secret {
        /// A readable, stable hint for the Secret key, e.g. `db.password`.
        hint: String,
        /// The value.
        value: String,
    },
    /// A reference to a key of a Secret a provisioner created, written by score-k8s's
    /// `encodeSecretRef` ([`score_core::secret_ref`]): the value is never known here.
    SecretRef(SecretRef),
}

/// A rendered string: its pieces in order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Rendered(pub Vec<Piece>);

impl Rendered {
    /// Whether any piece is secret (a value or a reference).
    pub fn has_secret(&self) -> bool {
        self.0
            .iter()
            .any(|p| matches!(p, Piece::Secret { .. } | Piece::SecretRef(_)))
    }

    /// Whether any piece is a reference to a provisioner's Secret.
    pub fn has_secret_ref(&self) -> bool {
        self.0.iter().any(|p| matches!(p, Piece::SecretRef(_)))
    }

    /// The full text, secrets included (references as their markers).
    pub fn text(&self) -> String {
        self.0
            .iter()
            .map(|p| match p {
                Piece::Text(t) => t.clone(),
                Piece::Secret { value, .. } => value.clone(),
                Piece::SecretRef(r) => secret_ref::encode(&r.name, &r.key),
            })
            .collect()
    }
}

/// The known secret values ([`Resolved::secret_values`]), searchable in one pass: with hundreds
/// of workloads there are hundreds of passwords, and testing each one with `str::contains` made
/// lowering quadratic.
pub struct SecretValues {
    values: Vec<String>,
    /// Every non-empty value, built on first use and only for many values: building the
    /// automaton costs more than a single-workload run spends testing a few passwords.
    any: OnceLock<Option<AhoCorasick>>,
    /// Values of at least [`SecretValues::MIN_LEAK_LEN`] bytes, built on first use.
    long: OnceLock<Option<AhoCorasick>>,
}

impl SecretValues {
    /// Shorter values are not reported as leaks (a port marked secret would match by accident).
    pub const MIN_LEAK_LEN: usize = 8;

    /// Up to this many values, [`SecretValues::any_in`] tests each with `str::contains`.
    const SCAN_LIMIT: usize = 16;

    /// Index `values`.
    pub fn new(values: Vec<String>) -> Self {
        SecretValues {
            values,
            any: OnceLock::new(),
            long: OnceLock::new(),
        }
    }

    /// The values.
    pub fn values(&self) -> &[String] {
        &self.values
    }

    /// Whether `text` contains any non-empty secret value.
    pub fn any_in(&self, text: &str) -> bool {
        let automaton = (self.values.len() > Self::SCAN_LIMIT)
            .then(|| self.any.get_or_init(|| self.automaton()).as_ref())
            .flatten();
        match automaton {
            Some(m) => m.is_match(text),
            None => self
                .values
                .iter()
                .any(|s| !s.is_empty() && text.contains(s.as_str())),
        }
    }

    fn automaton(&self) -> Option<AhoCorasick> {
        let non_empty: Vec<&String> = self.values.iter().filter(|s| !s.is_empty()).collect();
        (!non_empty.is_empty())
            .then(|| AhoCorasick::new(non_empty).ok())
            .flatten()
    }

    /// Whether `text` contains a secret value of at least [`SecretValues::MIN_LEAK_LEN`] bytes.
    pub fn long_in(&self, text: &str) -> bool {
        let long = self.long.get_or_init(|| {
            let long: Vec<&String> = (self.values.iter())
                .filter(|s| s.len() >= Self::MIN_LEAK_LEN)
                .collect();
            (!long.is_empty())
                .then(|| AhoCorasick::new(long).ok())
                .flatten()
        });
        long.as_ref().is_some_and(|m| m.is_match(text))
    }
}

/// The resource type whose outputs come from the environment.
pub const ENVIRONMENT_TYPE: &str = "environment";

/// Resolves `${...}` for one workload.
pub struct Resolver<'a> {
    /// The workload's resources by the name it gives them (looked up once, not per placeholder).
    resources: BTreeMap<&'a str, &'a ProvisionedResource>,
    metadata: Value,
    outputs: BTreeMap<String, Value>,
    secret_values: &'a SecretValues,
    /// Environment variables referenced but not set.
    unset: RefCell<BTreeSet<String>>,
}

impl<'a> Resolver<'a> {
    /// A resolver for `workload`; `secret_values` indexes [`Resolved::secret_values`].
    pub fn new(resolved: &'a Resolved, workload: &'a str, secret_values: &'a SecretValues) -> Self {
        let w = resolved.workloads.get(workload);
        let metadata = w.map_or(Value::Null, |w| w.workload.metadata_json());
        let resources: BTreeMap<&str, &ProvisionedResource> = w
            .into_iter()
            .flat_map(|w| &w.resources)
            .filter_map(|(name, uid)| Some((name.as_str(), resolved.resource(uid)?)))
            .collect();
        // As `Resolved::outputs_for`.
        let outputs = resources
            .iter()
            .map(|(name, r)| (name.to_string(), Value::Object(r.record.outputs.clone())))
            .collect();
        Resolver {
            resources,
            metadata,
            outputs,
            secret_values,
            unset: RefCell::new(BTreeSet::new()),
        }
    }

    /// The environment variables that `environment` references named but were not set.
    pub fn unset_variables(&self) -> Vec<String> {
        self.unset.borrow().iter().cloned().collect()
    }

    /// The variable an `${resources.<env>.KEY}` of an `environment` resource names, when its
    /// provisioner did not produce `KEY` itself.
    fn env_reference<'p>(&self, p: &'p Placeholder) -> Result<Option<&'p str>, String> {
        let Ok(RefRoot::Resource { name, output }) = p.root() else {
            return Ok(None);
        };
        let Some(r) = self.resources.get(name) else {
            return Ok(None);
        };
        if r.uid.kind != ENVIRONMENT_TYPE {
            return Ok(None);
        }
        match output {
            [key] if r.record.outputs.contains_key(key.as_str()) => Ok(None),
            [key] if is_env_name(key) => Ok(Some(key.as_str())),
            [] => Err(format!("`${{{}}}` refers to the environment resource itself; name a variable, e.g. `${{resources.{name}.NAME}}`", p.raw)),
            [key] => Err(format!("`{key}` is not a valid environment variable name (letters, digits and `_`, not starting with a digit)")),
            _ => Err(format!("`${{{}}}`: environment variables have no nested keys", p.raw)),
        }
    }

    /// Render `input` into literal and placeholder pieces; secret references in the text
    /// (as score-k8s decodes them, in literals and substituted values alike) become
    /// [`Piece::SecretRef`].
    ///
    /// # Errors
    /// The parse or lookup error, or a malformed secret reference, as a message.
    pub fn render(&self, input: &str) -> Result<Rendered, String> {
        let template = Template::parse(input).map_err(|e| e.to_string())?;
        let mut pieces = Vec::new();
        for segment in &template.segments {
            match segment {
                Segment::Literal(text) => push_text(&mut pieces, text)?,
                Segment::Placeholder(p) => {
                    let text = value_to_string(&self.value(p)?);
                    if secret_ref::contains(&text) {
                        push_text(&mut pieces, &text)?;
                    } else if self.is_secret(p, &text) {
                        pieces.push(Piece::Secret {
                            hint: hint(p),
                            value: text,
                        });
                    } else {
                        pieces.push(Piece::Text(text));
                    }
                }
            }
        }
        Ok(Rendered(pieces))
    }

    /// The JSON value a placeholder refers to.
    ///
    /// # Errors
    /// The lookup error, as a message.
    pub fn value(&self, p: &Placeholder) -> Result<Value, String> {
        if let Some(key) = self.env_reference(p)? {
            let value = std::env::var(key).unwrap_or_else(|_| {
                self.unset.borrow_mut().insert(key.to_string());
                String::new()
            });
            return Ok(Value::String(value));
        }
        // The same explanation on every target (nearest key, the resource's outputs).
        Context::new(&self.metadata, &self.outputs)
            .resolve_explained(p)
            .map_err(|e| e.to_string())
    }

    fn is_secret(&self, p: &Placeholder, text: &str) -> bool {
        if matches!(self.env_reference(p), Ok(Some(_))) {
            return true;
        }
        let secret_outputs =
            |name: &str| self.resources.get(name).map(|r| &r.record.secret_outputs);
        let declared = match p.root() {
            Ok(RefRoot::Resource { name, output: [] }) => {
                secret_outputs(name).is_some_and(|s| !s.is_empty())
            }
            Ok(RefRoot::Resource {
                name,
                output: [first, ..],
            }) => secret_outputs(name).is_some_and(|s| s.contains(first.as_str())),
            _ => false,
        };
        declared || self.secret_values.any_in(text)
    }
}

/// Whether `s` is a portable environment variable name (`[A-Za-z_][A-Za-z0-9_]*`).
fn is_env_name(s: &str) -> bool {
    s.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Append `text`, its secret references as [`Piece::SecretRef`].
fn push_text(pieces: &mut Vec<Piece>, text: &str) -> Result<(), String> {
    if !secret_ref::contains(text) {
        pieces.push(Piece::Text(text.to_string()));
        return Ok(());
    }
    for part in secret_ref::split(text)? {
        pieces.push(match part {
            Part::Text(t) => Piece::Text(t.to_string()),
            Part::Ref(r) => Piece::SecretRef(r),
        });
    }
    Ok(())
}

/// `resources.db.password` → `db.password`.
fn hint(p: &Placeholder) -> String {
    let path = match p.path.first().map(String::as_str) {
        Some("resources") => &p.path[1..],
        _ => &p.path[..],
    };
    path.join(".")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("pw-{i:03}-secret")).collect()
    }

    #[test]
    fn few_and_many_values_find_the_same_secrets() {
        // Both sides of SCAN_LIMIT: a plain scan below it, the automaton above.
        for n in [
            1,
            SecretValues::SCAN_LIMIT,
            SecretValues::SCAN_LIMIT + 1,
            200,
        ] {
            let secrets = SecretValues::new(values(n));
            let last = format!("pw-{:03}-secret", n - 1);
            assert!(secrets.any_in(&format!("postgres://u:{last}@db")), "{n}");
            assert!(secrets.any_in("pw-000-secret"), "{n}");
            assert!(!secrets.any_in("pw-000-secre"), "{n}");
            assert!(!secrets.any_in(""), "{n}");
        }
    }

    #[test]
    fn empty_values_never_match() {
        let mut many = vec![String::new(); 40];
        many.push("s3cr3t".into());
        assert!(!SecretValues::new(vec![String::new()]).any_in("plain text"));
        let secrets = SecretValues::new(many);
        assert!(!secrets.any_in("plain text"));
        assert!(secrets.any_in("key=s3cr3t"));
        assert!(!SecretValues::new(vec![String::new(); 40]).any_in("plain text"));
    }
}
