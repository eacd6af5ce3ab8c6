//! Placeholders checked against the outputs their provisioners declare, before anything runs.
//!
//! `${resources.db.hots}` would fail only once the provisioner of `db` has run (and, on some
//! targets, only while lowering). The provisioner that will serve a resource is known up
//! front, and so, usually, are the outputs it produces: its `expected_outputs`, plus the
//! top-level keys of its `outputs` template when they are written out literally. A key that
//! is in neither is reported at its line and column, with the nearest real key.
//!
//! The check is skipped for a resource when its provisioner's outputs cannot be known: a
//! `cmd://` provisioner, or a template provisioner without `expected_outputs` whose `outputs`
//! keys are computed (`{{ k }}: …`, `{{ params | tojson }}`) or absent.
//!
//! With several targets (`score-rs validate` without `--target`), a key is an error when no
//! target's provisioner provides it, and a warning naming the targets whose provisioner lacks
//! it when some do.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use crate::check::{placeholder_span, substituted_strings, TreeIndex};
use crate::diagnostic::Diagnostic;
use crate::ir::Workload;
use crate::load::Origin;
use crate::placeholder::{self, RefRoot};
use crate::provision::{first_serving, Need, Provisioner, ProvisionerKind};

/// One target's provisioners, as the check sees them.
#[derive(Debug, Clone, Copy)]
pub struct Catalogue<'a> {
    /// `compose`, `k8s`, `terraform`.
    pub target: &'a str,
    /// The target's template keys (see [`crate::provision::Target::artifact_keys`]).
    pub artifact_keys: &'a [String],
    /// Its provisioners in match order.
    pub provisioners: &'a [Provisioner],
}

/// The output keys a provisioner is known to produce, or `None` when they cannot be known.
///
/// ```
/// use score_core::{provision::parse_provisioner_file, SourceFile};
/// use score_core::output_check::declared_outputs;
/// let src = SourceFile::new("p.provisioners.yaml", "- uri: template://x/redis\n  type: redis\n  outputs: |\n    host: redis\n    {% if params.tls %}tls: true{% endif %}\n    port: 6379\n");
/// let p = &parse_provisioner_file(&src).unwrap()[0];
/// let keys: Vec<String> = declared_outputs(p).unwrap().into_iter().collect();
/// assert_eq!(keys, ["host", "port", "tls"]);
/// ```
pub fn declared_outputs(p: &Provisioner) -> Option<BTreeSet<String>> {
    let ProvisionerKind::Template(templates) = &p.run else {
        return None;
    };
    let mut keys: BTreeSet<String> = p.expected_outputs.iter().cloned().collect();
    match templates.get("outputs").map(|t| template_keys(&t.text)) {
        Some(Some(literal)) => keys.extend(literal),
        // Computed keys: only a declaration says what they are.
        Some(None) if keys.is_empty() => return None,
        _ => {}
    }
    (!keys.is_empty()).then_some(keys)
}

/// The top-level keys an `outputs` template writes literally, or `None` when any top-level
/// line is something else (a computed key, a flow mapping, an expression).
fn template_keys(text: &str) -> Option<BTreeSet<String>> {
    let mut keys = BTreeSet::new();
    for line in without_comments(text).lines() {
        let mut rest = line.trim_end();
        // Statements around keys (`{%- if x %}host: a{% endif %}`) do not change
        // which keys may appear.
        while let Some(after) = strip_tag(rest) {
            rest = after;
        }
        if rest.is_empty() || rest.starts_with('#') || line.starts_with([' ', '\t']) {
            continue;
        }
        keys.insert(literal_key(rest)?);
    }
    Some(keys)
}

/// `text` without `{# … #}` comments, which may span lines.
fn without_comments(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.contains("{#") {
        return text.into();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("{#") {
        out.push_str(&rest[..start]);
        match rest[start..].find("#}") {
            Some(end) => rest = &rest[start + end + 2..],
            None => return out.into(),
        }
    }
    out.push_str(rest);
    out.into()
}

/// `rest` after a leading `{% … %}` statement, if it starts with one.
fn strip_tag(rest: &str) -> Option<&str> {
    let body = rest.strip_prefix("{%")?;
    let end = body.find("%}")?;
    Some(body[end + 2..].trim_start())
}

/// The key of a `key: value` line whose key is plain or quoted text without template syntax.
fn literal_key(line: &str) -> Option<String> {
    let (key, _) = line.split_once(':')?;
    let key = key.trim();
    let unquoted = key
        .strip_prefix('"')
        .and_then(|k| k.strip_suffix('"'))
        .or_else(|| key.strip_prefix('\'').and_then(|k| k.strip_suffix('\'')))
        .unwrap_or(key);
    let plain = !unquoted.is_empty()
        && !unquoted.contains([
            '{', '}', '[', ']', ',', '&', '*', '!', '|', '>', '%', '@', '`',
        ])
        && !unquoted.starts_with(['-', '?']);
    plain.then(|| unquoted.to_string())
}

/// What one target's provisioner says about a resource.
enum Verdict {
    /// No provisioner of the target serves it (generate reports that on its own).
    Unserved,
    /// Served, outputs unknown.
    Unknown,
    /// Served, with these outputs.
    Keys(BTreeSet<String>),
}

/// Check every `${resources.<name>.<key>}` of `workload` against the outputs the serving
/// provisioner of each catalogue declares. `origin` locates the findings; without it the
/// message names the field.
pub fn check_outputs(
    workload: &Workload,
    origin: Option<&Origin>,
    catalogues: &[Catalogue<'_>],
) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    if catalogues.is_empty() || workload.resources.is_empty() {
        return out;
    }
    let mut verdicts: HashMap<String, Vec<(&str, Verdict)>> = HashMap::new();
    let mut index = origin.map(|o| TreeIndex::new(&o.tree));
    for (path, text) in substituted_strings(workload) {
        if !text.contains("${") {
            continue;
        }
        let Ok(template) = placeholder::parse(&text) else {
            continue;
        };
        let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
        for ph in template.placeholders() {
            let nth = seen.entry(ph.raw.as_str()).or_default();
            let this = *nth;
            *nth += 1;
            let Ok(RefRoot::Resource {
                name,
                output: [key, ..],
            }) = ph.root()
            else {
                continue;
            };
            let Some(res) = workload.resources.get(name) else {
                continue;
            };
            let per_target = verdicts.entry(name.to_string()).or_insert_with(|| {
                let need = Need {
                    kind: &res.kind,
                    class: res.class(),
                    id: match &res.id {
                        Some(id) => id.as_str().into(),
                        None => format!("{}.{name}", workload.name()).into(),
                    },
                };
                catalogues
                    .iter()
                    .map(|c| {
                        let v =
                            match first_serving(c.provisioners, c.target, c.artifact_keys, &need) {
                                None => Verdict::Unserved,
                                Some(p) => {
                                    declared_outputs(p).map_or(Verdict::Unknown, Verdict::Keys)
                                }
                            };
                        (c.target, v)
                    })
                    .collect()
            });
            let Some(d) = judge(&ph.raw, name, &res.kind, key, per_target) else {
                continue;
            };
            out.push(match (origin, index.as_mut()) {
                (Some(o), Some(index)) => {
                    let node = index.lookup(&path).unwrap_or(&*o.tree);
                    let span = placeholder_span(&o.source, node, &ph.raw, this);
                    d.with_label(&o.source, span, "no such output")
                }
                _ => Diagnostic {
                    message: format!(
                        "workload `{}`, {}: {}",
                        workload.name(),
                        path.join("."),
                        d.message
                    ),
                    ..d
                },
            });
        }
    }
    out
}

/// The finding for output `key` of resource `name`, if any.
fn judge(
    raw: &str,
    name: &str,
    kind: &str,
    key: &str,
    per_target: &[(&str, Verdict)],
) -> Option<Diagnostic> {
    let known: Vec<(&str, &BTreeSet<String>)> = per_target
        .iter()
        .filter_map(|(t, v)| match v {
            Verdict::Keys(k) => Some((*t, k)),
            _ => None,
        })
        .collect();
    let lacking: Vec<&str> = known
        .iter()
        .filter(|(_, k)| !k.contains(key))
        .map(|(t, _)| *t)
        .collect();
    if lacking.is_empty() {
        return None;
    }
    let unknown = per_target
        .iter()
        .any(|(_, v)| matches!(v, Verdict::Unknown));
    let provided = lacking.len() < known.len();
    let keys: BTreeSet<&str> = known
        .iter()
        .flat_map(|(_, k)| k.iter().map(String::as_str))
        .collect();
    let keys: Vec<&str> = keys.into_iter().collect();
    let explained = placeholder::unknown_output(raw, key, name, &keys);
    if provided || unknown {
        let d = Diagnostic::warning(
            "score::placeholder::output_not_on_every_target",
            format!(
                "output `{key}` of resource `{name}` (type `{kind}`) is not provided by the provisioner of {}",
                lacking.join(", ")
            ),
        );
        return Some(d.with_help(format!(
            "generating for {} fails; {}",
            lacking.join(" or "),
            explained.outputs.unwrap_or_default()
        )));
    }
    let d = Diagnostic::error(
        "score::placeholder::unknown_output",
        explained.with_outputs(),
    );
    Some(match explained.help {
        Some(h) => d.with_help(h),
        None => d.with_help(format!(
            "the provisioner of `{kind}` resources declares these outputs"
        )),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literal_template_keys() {
        let keys = |t: &str| template_keys(t).map(|k| k.into_iter().collect::<Vec<_>>());
        assert_eq!(
            keys("host: {{ a }}\nport: 5432\n\"name\": x\n# c\n  nested: 1\n"),
            Some(vec!["host".into(), "name".into(), "port".into()])
        );
        assert_eq!(
            keys("{%- set x = 1 %}\n{% if a %}\ntls: true\n{% endif %}\n{#- a: b\nc #}url: u\n"),
            Some(vec!["tls".into(), "url".into()])
        );
        assert_eq!(keys("{{ params | tojson }}\n"), None);
        assert_eq!(keys("{{ k }}: v\n"), None);
        assert_eq!(keys("{host: a}\n"), None);
        assert_eq!(keys("{}\n"), None);
        assert_eq!(keys(""), Some(vec![]));
    }
}
