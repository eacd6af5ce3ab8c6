//! A direct interpreter for the JSON-Schema keywords our embedded schema uses.
//!
//! Why: compiling the schema with `jsonschema` costs about as much as everything else a
//! single-workload `generate` does (it meta-validates the schema and builds a regex per `$ref`
//! use). Nearly every document a user runs through score-rs is valid, so we first walk the schema
//! as plain JSON; only a document that does not pass (or that uses a construct this walker is
//! unsure about) pays for the full validator, which also produces the diagnostics.
//!
//! The walker answers `Some(true)` (valid), `Some(false)` (invalid) or `None` (unsure). It must
//! never answer `Some(true)` for a document the full validator rejects; the `schema_quick` tests
//! compare both on every fixture, the corpus and thousands of mutated documents.

use std::cell::RefCell;
use std::collections::HashMap;

use serde_json::{Map, Value};

/// Keywords that only annotate; they never change whether a document is valid.
const ANNOTATIONS: &[&str] = &[
    "$schema",
    "$id",
    "$defs",
    "$comment",
    "title",
    "description",
    "deprecated",
    "default",
    "examples",
];

/// Walks `root` (a schema) over instances.
pub(crate) struct Walker<'s> {
    root: &'s Value,
}

thread_local! {
    /// Compiled patterns by source text, per thread: workloads are validated on several cores,
    /// and one shared cache behind a lock made them queue for every name they checked.
    static PATTERNS: RefCell<HashMap<String, Pattern>> = RefCell::new(HashMap::new());
}

/// A compiled pattern (`None`: not one we can match like ECMA-262) and recent verdicts: across a
/// monorepo the same names (`app`, `http`, `db`, annotation keys) are checked again and again,
/// and a hash lookup is far cheaper than a run of the regex engine.
struct Pattern {
    regex: Option<regex_lite::Regex>,
    seen: HashMap<String, bool>,
}

/// Verdicts remembered per pattern; bounded so that a hostile document cannot grow it without limit.
const SEEN_LIMIT: usize = 4096;

impl<'s> Walker<'s> {
    pub(crate) fn new(root: &'s Value) -> Self {
        Walker { root }
    }

    /// Whether `instance` is valid against the root schema.
    pub(crate) fn check(&self, instance: &Value) -> Option<bool> {
        self.schema(self.root, instance, 0)
    }

    fn schema(&self, schema: &'s Value, inst: &Value, depth: usize) -> Option<bool> {
        // Our schema has no recursive `$ref`; a deep chain means something we do not model.
        if depth > 64 {
            return None;
        }
        let map = match schema {
            Value::Bool(b) => return Some(*b),
            Value::Object(map) => map,
            _ => return None,
        };
        all(map
            .iter()
            .map(|(key, value)| self.keyword(map, key, value, inst, depth)))
    }

    fn keyword(
        &self,
        map: &'s Map<String, Value>,
        key: &str,
        value: &'s Value,
        inst: &Value,
        depth: usize,
    ) -> Option<bool> {
        match key {
            k if ANNOTATIONS.contains(&k) => Some(true),
            "$ref" => self.reference(value, inst, depth),
            "type" => type_matches(value, inst),
            "enum" => Some(value.as_array()?.iter().any(|v| v == inst)),
            "pattern" => self.pattern(value, inst),
            "minLength" => length(inst, value, |n, bound| n >= bound),
            "maxLength" => length(inst, value, |n, bound| n <= bound),
            "minimum" => number(inst, value, |n, bound| n >= bound),
            "maximum" => number(inst, value, |n, bound| n <= bound),
            "required" => required(value, inst),
            "minProperties" => match inst {
                Value::Object(o) => Some(o.len() as u64 >= value.as_u64()?),
                _ => Some(true),
            },
            "properties" => self.properties(value, inst, depth),
            "additionalProperties" => self.additional(map, value, inst, depth),
            "propertyNames" => self.property_names(value, inst, depth),
            "items" => self.items(value, inst, depth),
            "not" => self.schema(value, inst, depth + 1).map(|v| !v),
            "anyOf" => self.any_of(value, inst, depth),
            "oneOf" => self.one_of(value, inst, depth),
            // Anything else (allOf, if/then, formats, patternProperties…) is not modelled here.
            _ => None,
        }
    }

    fn reference(&self, value: &Value, inst: &Value, depth: usize) -> Option<bool> {
        let name = value.as_str()?.strip_prefix("#/$defs/")?;
        if name.contains(['/', '~', '%']) {
            return None;
        }
        let target = self.root.get("$defs")?.get(name)?;
        self.schema(target, inst, depth + 1)
    }

    fn pattern(&self, value: &Value, inst: &Value) -> Option<bool> {
        let Value::String(text) = inst else {
            return Some(true);
        };
        let source = value.as_str()?;
        if let Some(matches) = super::patterns::builtin(source) {
            return Some(matches(text));
        }
        PATTERNS.with(|cache| {
            let mut cache = cache.borrow_mut();
            if !cache.contains_key(source) {
                let regex = ecma_compatible(source)
                    .then(|| regex_lite::Regex::new(source).ok())
                    .flatten();
                let seen = HashMap::new();
                cache.insert(source.to_string(), Pattern { regex, seen });
            }
            let pattern = cache.get_mut(source)?;
            if let Some(&hit) = pattern.seen.get(text.as_str()) {
                return Some(hit);
            }
            let verdict = pattern.regex.as_ref()?.is_match(text);
            if pattern.seen.len() < SEEN_LIMIT {
                pattern.seen.insert(text.clone(), verdict);
            }
            Some(verdict)
        })
    }

    fn properties(&self, value: &'s Value, inst: &Value, depth: usize) -> Option<bool> {
        let (Value::Object(props), Value::Object(obj)) = (value, inst) else {
            return matches!(value, Value::Object(_)).then_some(true);
        };
        all(obj
            .iter()
            .filter_map(|(k, v)| props.get(k).map(|sub| self.schema(sub, v, depth + 1))))
    }

    fn additional(
        &self,
        map: &'s Map<String, Value>,
        value: &'s Value,
        inst: &Value,
        depth: usize,
    ) -> Option<bool> {
        let Value::Object(obj) = inst else {
            return Some(true);
        };
        if map.contains_key("patternProperties") {
            return None;
        }
        let declared = map.get("properties").and_then(Value::as_object);
        let extra = obj
            .iter()
            .filter(|(k, _)| !declared.is_some_and(|d| d.contains_key(k.as_str())));
        all(extra.map(|(_, v)| self.schema(value, v, depth + 1)))
    }

    fn property_names(&self, value: &'s Value, inst: &Value, depth: usize) -> Option<bool> {
        let Value::Object(obj) = inst else {
            return Some(true);
        };
        all(obj
            .keys()
            .map(|k| self.schema(value, &Value::String(k.clone()), depth + 1)))
    }

    fn items(&self, value: &'s Value, inst: &Value, depth: usize) -> Option<bool> {
        let Value::Array(arr) = inst else {
            return Some(true);
        };
        all(arr.iter().map(|v| self.schema(value, v, depth + 1)))
    }

    fn any_of(&self, value: &'s Value, inst: &Value, depth: usize) -> Option<bool> {
        let branches = value.as_array()?;
        any(branches.iter().map(|b| self.schema(b, inst, depth + 1)))
    }

    fn one_of(&self, value: &'s Value, inst: &Value, depth: usize) -> Option<bool> {
        let mut passed = 0;
        for branch in value.as_array()? {
            // An unsure branch could go either way, so the count would be unknown.
            if self.schema(branch, inst, depth + 1)? {
                passed += 1;
            }
        }
        Some(passed == 1)
    }
}

/// Conjunction: definitely invalid wins over unsure, unsure over valid.
fn all(verdicts: impl Iterator<Item = Option<bool>>) -> Option<bool> {
    let mut verdict = Some(true);
    for v in verdicts {
        match v {
            Some(false) => return Some(false),
            None => verdict = None,
            Some(true) => {}
        }
    }
    verdict
}

/// Disjunction: definitely valid wins over unsure, unsure over invalid.
fn any(verdicts: impl Iterator<Item = Option<bool>>) -> Option<bool> {
    all(verdicts.map(|v| v.map(|b| !b))).map(|b| !b)
}

fn type_matches(value: &Value, inst: &Value) -> Option<bool> {
    match value {
        Value::String(name) => one_type(name, inst),
        Value::Array(names) => any(names.iter().map(|n| one_type(n.as_str()?, inst))),
        _ => None,
    }
}

fn one_type(name: &str, inst: &Value) -> Option<bool> {
    Some(match (name, inst) {
        ("object", Value::Object(_))
        | ("array", Value::Array(_))
        | ("string", Value::String(_))
        | ("boolean", Value::Bool(_))
        | ("null", Value::Null)
        | ("number", Value::Number(_)) => true,
        // A float such as `80.0` counts as an integer in JSON Schema; leave that to the full
        // validator rather than model its exact rule.
        ("integer", Value::Number(n)) => return (n.is_i64() || n.is_u64()).then_some(true),
        ("object" | "array" | "string" | "boolean" | "null" | "number" | "integer", _) => false,
        _ => return None,
    })
}

fn required(value: &Value, inst: &Value) -> Option<bool> {
    let Value::Object(obj) = inst else {
        return Some(true);
    };
    let names = value.as_array()?;
    Some(
        names
            .iter()
            .all(|n| n.as_str().is_some_and(|n| obj.contains_key(n))),
    )
}

fn length(inst: &Value, bound: &Value, ok: fn(u64, u64) -> bool) -> Option<bool> {
    let Value::String(s) = inst else {
        return Some(true);
    };
    // JSON Schema counts Unicode code points, not bytes.
    Some(ok(s.chars().count() as u64, bound.as_u64()?))
}

fn number(inst: &Value, bound: &Value, ok: fn(i64, i64) -> bool) -> Option<bool> {
    let Value::Number(n) = inst else {
        return Some(true);
    };
    // Only exact integers are compared here; floats and huge values go to the full validator.
    Some(ok(n.as_i64()?, bound.as_i64()?))
}

/// Whether `regex_lite` reads `pattern` the way an ECMA-262 engine would. Our patterns use only
/// anchors, literals, classes, groups and counted repetition; `regex_lite`'s `\d` is ASCII like
/// ECMA's. Constructs whose meaning differs between the two (word boundaries, `\w`/`\s` on
/// non-ASCII, `.` and line terminators, flags, look-around) send the document to the full
/// validator instead.
fn ecma_compatible(pattern: &str) -> bool {
    let mut chars = pattern.chars();
    let mut in_class = false;
    while let Some(c) = chars.next() {
        match c {
            '[' => in_class = true,
            ']' => in_class = false,
            // Outside a class `.` excludes line terminators, which differ between the engines.
            '.' if !in_class => return false,
            '\\' => match chars.next() {
                Some('d' | '.' | '-' | '/' | '\\' | '[' | ']' | '(' | ')' | '{' | '}' | '+') => {}
                Some('*' | '?' | '|' | '^' | '$') => {}
                _ => return false,
            },
            // Only non-capturing groups (`(?:`); other `(?` forms are flags or look-around.
            '(' if !in_class
                && chars.clone().next() == Some('?')
                && chars.clone().nth(1) != Some(':') =>
            {
                return false
            }
            _ => {}
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn check(schema: Value, inst: Value) -> Option<bool> {
        Walker::new(&schema).check(&inst)
    }

    #[test]
    fn integers_are_exact_and_floats_are_deferred() {
        let s = json!({"type": "integer", "minimum": 1, "maximum": 65535});
        assert_eq!(check(s.clone(), json!(80)), Some(true));
        assert_eq!(check(s.clone(), json!(0)), Some(false));
        assert_eq!(check(s.clone(), json!(65536)), Some(false));
        assert_eq!(check(s.clone(), json!("80")), Some(false));
        assert_eq!(check(s, json!(80.0)), None);
    }

    #[test]
    fn one_of_counts_branches_and_defers_when_unsure() {
        let s = json!({"oneOf": [{"required": ["a"]}, {"required": ["b"]}]});
        assert_eq!(check(s.clone(), json!({"a": 1})), Some(true));
        assert_eq!(check(s.clone(), json!({"a": 1, "b": 2})), Some(false));
        assert_eq!(check(s, json!({})), Some(false));
        let unsure = json!({"oneOf": [{"format": "x"}, {"type": "object"}]});
        assert_eq!(check(unsure, json!({})), None);
    }

    #[test]
    fn not_of_unsure_stays_unsure() {
        assert_eq!(check(json!({"not": {"format": "email"}}), json!("x")), None);
        assert_eq!(
            check(json!({"not": {"required": ["t"]}}), json!({"t": 1})),
            Some(false)
        );
    }

    #[test]
    fn patterns_are_anchored_ascii_and_cached() {
        let s =
            json!({"$defs": {"n": {"type": "string", "pattern": "^\\d+$"}}, "$ref": "#/$defs/n"});
        assert_eq!(check(s.clone(), json!("123")), Some(true));
        // ECMA `\d` is ASCII only: Arabic-Indic digits do not match.
        assert_eq!(check(s.clone(), json!("١٢")), Some(false));
        assert_eq!(check(s, json!("12\n")), Some(false));
        assert_eq!(check(json!({"pattern": "^\\w+$"}), json!("a")), None);
        assert_eq!(check(json!({"pattern": "^a.b$"}), json!("a.b")), None);
        assert_eq!(
            check(json!({"pattern": "^[a.]+$"}), json!("a.a")),
            Some(true)
        );
        assert_eq!(check(json!({"pattern": "^(?=a)a$"}), json!("a")), None);
    }

    #[test]
    fn additional_properties_skip_declared_ones() {
        let s = json!({"properties": {"a": {"type": "string"}}, "additionalProperties": false});
        assert_eq!(check(s.clone(), json!({"a": "x"})), Some(true));
        assert_eq!(check(s.clone(), json!({"a": 1})), Some(false));
        assert_eq!(check(s, json!({"b": "x"})), Some(false));
    }

    #[test]
    fn lengths_count_code_points() {
        let s = json!({"minLength": 2, "maxLength": 2});
        assert_eq!(check(s.clone(), json!("é€")), Some(true));
        assert_eq!(check(s, json!("é")), Some(false));
    }
}
