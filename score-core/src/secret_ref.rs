//! score-k8s's secret references: a provisioner that keeps a password in a Secret of its own
//! outputs `🔐💬<secret>_<key>💬🔐` (what its `encodeSecretRef` template function writes)
//! instead of the password. Placeholders carry the marker into the workload, where the k8s
//! backend turns it into a `secretKeyRef` (see `score-k8s`'s `resolve` and `env`).
//!
//! The format is score-k8s's (since 0.4): no encoding, `_` between the Secret's name and the
//! key, which is unambiguous because a Secret name (a DNS subdomain) has no `_`. Other targets
//! cannot resolve a reference to a Kubernetes Secret: [`find_in`] lets them report one.

use serde_json::Value;

/// Start of a reference.
pub const PREFIX: &str = "\u{1F510}\u{1F4AC}";
/// End of a reference.
pub const SUFFIX: &str = "\u{1F4AC}\u{1F510}";

/// A reference to one key of a Kubernetes Secret.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SecretRef {
    /// The Secret's name.
    pub name: String,
    /// The key in it.
    pub key: String,
}

/// A piece of a string: text, or a reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Part<'a> {
    /// Literal text.
    Text(&'a str),
    /// A secret reference.
    Ref(SecretRef),
}

/// The marker for key `key` of Secret `name`, as score-k8s's `encodeSecretRef` writes it.
///
/// ```
/// use score_core::secret_ref::{encode, split, Part, SecretRef};
/// let marker = encode("pg-web", "password");
/// assert_eq!(marker, "🔐💬pg-web_password💬🔐");
/// let text = format!("u:{marker}@pg");
/// let parts = split(&text).unwrap();
/// assert_eq!(parts[1], Part::Ref(SecretRef { name: "pg-web".into(), key: "password".into() }));
/// ```
pub fn encode(name: &str, key: &str) -> String {
    format!("{PREFIX}{name}_{key}{SUFFIX}")
}

/// Whether `s` holds a reference (a prefix followed, somewhere, by a suffix).
pub fn contains(s: &str) -> bool {
    s.find(PREFIX)
        .is_some_and(|at| s[at + PREFIX.len()..].contains(SUFFIX))
}

/// `s` cut into text and references, in order; empty text between them is left out. A prefix
/// without a suffix after it is text.
///
/// # Errors
/// A reference whose inside is not `<secret name>_<key>` with a valid Secret name and key.
pub fn split(s: &str) -> Result<Vec<Part<'_>>, String> {
    let mut parts = Vec::new();
    let mut rest = s;
    while let Some(at) = rest.find(PREFIX) {
        let inner_start = at + PREFIX.len();
        let Some(len) = rest[inner_start..].find(SUFFIX) else {
            break;
        };
        if at > 0 {
            parts.push(Part::Text(&rest[..at]));
        }
        parts.push(Part::Ref(parse(&rest[inner_start..inner_start + len])?));
        rest = &rest[inner_start + len + SUFFIX.len()..];
    }
    if !rest.is_empty() {
        parts.push(Part::Text(rest));
    }
    Ok(parts)
}

fn parse(inner: &str) -> Result<SecretRef, String> {
    let invalid = |why: &str| {
        format!("invalid secret reference `{PREFIX}{inner}{SUFFIX}`: {why} (expected `{PREFIX}<secret name>_<key>{SUFFIX}`, as `encodeSecretRef` writes it)")
    };
    let (name, key) = inner
        .split_once('_')
        .ok_or_else(|| invalid("no `_` between the Secret's name and the key"))?;
    if !is_dns_subdomain(name) {
        return Err(invalid(&format!("`{name}` is not a valid Secret name")));
    }
    if !crate::kube_names::is_config_key(key) {
        return Err(invalid(&format!("`{key}` is not a valid Secret key")));
    }
    Ok(SecretRef {
        name: name.to_string(),
        key: key.to_string(),
    })
}

/// RFC 1123 subdomain (a Secret's name): dot-separated labels, at most 253 characters.
fn is_dns_subdomain(s: &str) -> bool {
    s.len() <= 253 && s.split('.').all(crate::kube_names::is_dns_label)
}

/// The path (`services.db.environment.PASSWORD`, `[0].data`) of the first string in `v` that
/// holds a reference, looking at keys and values in order.
pub fn find_in(v: &Value) -> Option<String> {
    fn walk(v: &Value, path: &mut String) -> bool {
        match v {
            Value::String(s) => contains(s),
            Value::Array(items) => items.iter().enumerate().any(|(i, item)| {
                let len = path.len();
                path.push_str(&format!("[{i}]"));
                let found = walk(item, path);
                if !found {
                    path.truncate(len);
                }
                found
            }),
            Value::Object(m) => m.iter().any(|(k, item)| {
                let len = path.len();
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(k);
                let found = contains(k) || walk(item, path);
                if !found {
                    path.truncate(len);
                }
                found
            }),
            _ => false,
        }
    }
    let mut path = String::new();
    walk(v, &mut path).then_some(path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn r(name: &str, key: &str) -> Part<'static> {
        Part::Ref(SecretRef {
            name: name.into(),
            key: key.into(),
        })
    }

    #[test]
    fn splits_text_and_references() {
        let (a, b) = (encode("s1", "k_1"), encode("s2.x", "K-2.conf"));
        assert_eq!(split(&a).unwrap(), vec![r("s1", "k_1")]);
        assert_eq!(
            split(&format!("x{a}y{b}{a}")).unwrap(),
            vec![
                Part::Text("x"),
                r("s1", "k_1"),
                Part::Text("y"),
                r("s2.x", "K-2.conf"),
                r("s1", "k_1")
            ]
        );
        assert_eq!(split("plain").unwrap(), vec![Part::Text("plain")]);
        assert!(split("").unwrap().is_empty());
        // A prefix without a suffix is text.
        let open = format!("a{PREFIX}b");
        assert_eq!(split(&open).unwrap(), vec![Part::Text(&open)]);
        assert!(!contains(&open) && contains(&a));
    }

    #[test]
    fn malformed_references_are_errors() {
        for inner in ["nokey", "Upper_k", "_k", "s_", "s_a/b", "s..x_k"] {
            let e = split(&format!("{PREFIX}{inner}{SUFFIX}")).unwrap_err();
            assert!(e.contains("invalid secret reference"), "{inner}: {e}");
        }
    }

    #[test]
    fn finds_the_first_reference() {
        let v = json!({"a": [1, "x"], "b": {"c": ["y", format!("p{}", encode("s", "k"))]}});
        assert_eq!(find_in(&v).as_deref(), Some("b.c[1]"));
        assert_eq!(find_in(&json!({"a": "x"})), None);
        assert_eq!(find_in(&json!([encode("s", "k")])).as_deref(), Some("[0]"));
    }
}
