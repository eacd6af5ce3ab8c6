//! One object per identity: resources that share a server (one Kafka broker, one MinIO) each
//! emit the same objects; those appear once. Two different objects with one identity are an
//! error — applying both would silently keep only the last.

use std::collections::hash_map::Entry;
use std::collections::HashMap;
use std::ops::Range;

use serde_json::Value;

use score_core::Diagnostic;

use crate::yaml;

/// `apiVersion`, `kind`, namespace and name.
pub type Identity = (String, String, String, String);

/// The identity of an object (namespace empty when unset).
pub fn identity(o: &Value) -> Identity {
    let s = |v: &Value| v.as_str().unwrap_or_default().to_string();
    (
        s(&o["apiVersion"]),
        s(&o["kind"]),
        s(&o["metadata"]["namespace"]),
        s(&o["metadata"]["name"]),
    )
}

/// Where objects go, in output order: kept as values, or written as YAML at once (so the
/// objects of hundreds of workloads never exist together).
pub trait Sink {
    /// Append an object; returns where it went.
    fn append(&mut self, object: Value) -> Range<usize>;
    /// Whether the objects at `a` and `b` are equal.
    fn equal(&self, a: &Range<usize>, b: &Range<usize>) -> bool;
    /// Remove the object that was appended last, at `last`.
    fn remove_last(&mut self, last: Range<usize>);
}

impl Sink for Vec<Value> {
    fn append(&mut self, object: Value) -> Range<usize> {
        self.push(object);
        self.len() - 1..self.len()
    }

    fn equal(&self, a: &Range<usize>, b: &Range<usize>) -> bool {
        self[a.start] == self[b.start]
    }

    fn remove_last(&mut self, last: Range<usize>) {
        self.truncate(last.start);
    }
}

/// Multi-document YAML ([`yaml::to_yaml`]). The emitter is deterministic and writes distinct
/// values as distinct text, so equal text means equal objects.
impl Sink for String {
    fn append(&mut self, object: Value) -> Range<usize> {
        let start = self.len();
        yaml::push_document(&object, self);
        start..self.len()
    }

    fn equal(&self, a: &Range<usize>, b: &Range<usize>) -> bool {
        self[a.clone()] == self[b.clone()]
    }

    fn remove_last(&mut self, last: Range<usize>) {
        self.truncate(last.start);
    }
}

/// The objects appended so far, by identity, with who emitted them (hashed: only looked up,
/// and ordered lookups of four-string keys grew faster than the number of objects).
#[derive(Debug, Default)]
pub struct Dedupe {
    seen: HashMap<Identity, (Range<usize>, String)>,
}

impl Dedupe {
    /// Append `object` to `sink` unless an identical one is there; `origin` says who emitted it.
    ///
    /// # Errors
    /// When an object with the same identity but different content is there (`object` is then
    /// left out).
    pub fn add(
        &mut self,
        sink: &mut impl Sink,
        object: Value,
        origin: String,
    ) -> Result<(), Diagnostic> {
        let id = identity(&object);
        let at = sink.append(object);
        let seen = match self.seen.entry(id) {
            Entry::Vacant(v) => {
                v.insert((at, origin));
                return Ok(());
            }
            Entry::Occupied(o) => o,
        };
        let (first_at, first) = seen.get();
        let same = sink.equal(first_at, &at);
        sink.remove_last(at);
        if same {
            return Ok(());
        }
        let (api, kind, ns, name) = seen.key();
        let ns = if ns.is_empty() {
            String::new()
        } else {
            format!(" in namespace `{ns}`")
        };
        Err(Diagnostic::error(
            "score::k8s::duplicate_object",
            format!("{kind} `{name}` ({api}){ns} is generated twice with different content: by {first} and by {origin}"),
        )
        .with_help("rename one of them (workload names, the service-name annotation, or the provisioner's object names)"))
    }
}

/// Keep the first of identical objects, in order; `origin` says who emitted each (for errors).
///
/// # Errors
/// One diagnostic per identity emitted with different content.
pub fn dedupe(objects: Vec<(Value, String)>) -> Result<Vec<Value>, Vec<Diagnostic>> {
    let mut out: Vec<Value> = Vec::new();
    let mut seen = Dedupe::default();
    let errors: Vec<Diagnostic> = objects
        .into_iter()
        .filter_map(|(object, origin)| seen.add(&mut out, object, origin).err())
        .collect();
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn identical_objects_collapse_and_different_ones_clash() {
        let a = json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "kafka"}, "spec": {"x": 1}});
        let b = json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "kafka"}, "spec": {"x": 2}});
        let other_ns = json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "kafka", "namespace": "n"}, "spec": {"x": 2}});
        let out = dedupe(vec![
            (a.clone(), "r1".into()),
            (a.clone(), "r2".into()),
            (other_ns, "r3".into()),
        ])
        .unwrap();
        assert_eq!(out.len(), 2);
        let e = dedupe(vec![
            (a, "resource `x`".into()),
            (b, "workload `kafka`".into()),
        ])
        .unwrap_err();
        assert!(
            e[0].message
                .contains("by resource `x` and by workload `kafka`"),
            "{}",
            e[0].message
        );
    }

    #[test]
    fn the_text_sink_keeps_and_refuses_what_the_value_sink_does() {
        let a = json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "kafka"}, "spec": {"x": 1}});
        let b = json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "kafka"}, "spec": {"x": "1"}});
        let c = json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "zk"}});
        let mut text = String::new();
        let mut seen = Dedupe::default();
        for o in [a.clone(), a.clone(), c.clone()] {
            seen.add(&mut text, o, "r".into()).unwrap();
        }
        assert!(seen.add(&mut text, b, "w".into()).is_err());
        assert_eq!(text, yaml::to_yaml(&[a, c]));
    }
}
