//! Container `variables` → `env`, without ever writing a secret in plain text.
//!
//! * plain values are escaped so the kubelet's `$(VAR)` expansion leaves them as they are;
//! * a value that is exactly one secret → `valueFrom.secretKeyRef` into the workload's Secret;
//! * secrets mixed into text → one helper variable per secret (a `secretKeyRef`), listed before
//!   the user's variables, and `$(HELPER)` in the value, which the kubelet expands.

use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::api::core::v1::{EnvVar, EnvVarSource, SecretKeySelector};

use crate::names;
use crate::resolve::{Piece, Resolver};
use crate::secrets::SecretStore;

/// Prefix of the helper variables that carry secrets into interpolated values.
pub const HELPER_PREFIX: &str = "SCORE_SECRET_";

/// Escape `s` for an env `value` (or `command`/`args`) so that the kubelet's expansion yields
/// `s` again: `$(` becomes `$$(` and `$$` becomes `$$$`, since the kubelet reads `$$` as `$`.
///
/// ```
/// use score_k8s::env::escape;
/// assert_eq!(escape("cost $5, $(date), $$"), "cost $5, $$(date), $$$");
/// ```
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        out.push(c);
        if c == '$' && matches!(chars.peek(), Some('$' | '(')) {
            out.push('$');
        }
    }
    out
}

/// The `env` list of one container: helper variables first, then its variables by name.
///
/// # Errors
/// A message naming the variable whose placeholder cannot be resolved.
pub fn env_vars(
    variables: &BTreeMap<String, String>,
    resolver: &Resolver,
    secrets: &mut SecretStore,
) -> Result<Vec<EnvVar>, Vec<String>> {
    let mut helpers: Vec<EnvVar> = Vec::new();
    // Secret key → helper variable name.
    let mut helper_names: BTreeMap<String, String> = BTreeMap::new();
    let mut taken: BTreeSet<String> = variables.keys().cloned().collect();
    let mut out = Vec::new();
    let mut errors = Vec::new();
    for (name, raw) in variables {
        let rendered = match resolver.render(raw) {
            Ok(r) => r,
            Err(e) => {
                errors.push(format!("variable `{name}`: {e}"));
                continue;
            }
        };
        match rendered.0.as_slice() {
            [Piece::Secret { hint, value }] => {
                let key = secrets.add(hint, value);
                out.push(secret_ref(name, secrets.name(), &key));
            }
            // A provisioner's own Secret (score-k8s's `encodeSecretRef`): referenced as it is.
            [Piece::SecretRef(r)] => out.push(secret_ref(name, &r.name, &r.key)),
            pieces if rendered.has_secret() => {
                let mut text = String::new();
                for piece in pieces {
                    match piece {
                        Piece::Text(t) => text.push_str(&escape(t)),
                        Piece::Secret { hint, value } => {
                            let key = secrets.add(hint, value);
                            let helper = helper_names.entry(key.clone()).or_insert_with(|| {
                                let helper = unique(
                                    &format!("{HELPER_PREFIX}{}", names::env_name(&key)),
                                    &mut taken,
                                );
                                helpers.push(secret_ref(&helper, secrets.name(), &key));
                                helper
                            });
                            text.push_str(&format!("$({helper})"));
                        }
                        Piece::SecretRef(r) => {
                            // Keyed apart from our own Secret's keys: `\0` is in neither.
                            let id = format!("{}\0{}", r.name, r.key);
                            let helper = helper_names.entry(id).or_insert_with(|| {
                                let helper = unique(
                                    &format!(
                                        "{HELPER_PREFIX}{}",
                                        names::env_name(&format!("{}_{}", r.name, r.key))
                                    ),
                                    &mut taken,
                                );
                                helpers.push(secret_ref(&helper, &r.name, &r.key));
                                helper
                            });
                            text.push_str(&format!("$({helper})"));
                        }
                    }
                }
                out.push(EnvVar {
                    name: name.clone(),
                    value: Some(text),
                    value_from: None,
                });
            }
            _ => out.push(EnvVar {
                name: name.clone(),
                value: Some(escape(&rendered.text())),
                value_from: None,
            }),
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    helpers.extend(out);
    Ok(helpers)
}

fn secret_ref(name: &str, secret: &str, key: &str) -> EnvVar {
    EnvVar {
        name: name.to_string(),
        value: None,
        value_from: Some(EnvVarSource {
            secret_key_ref: Some(SecretKeySelector {
                name: secret.to_string(),
                key: key.to_string(),
                optional: None,
            }),
            ..EnvVarSource::default()
        }),
    }
}

/// `base`, or `base_2`, `base_3`… whichever is not yet taken; marks it taken.
fn unique(base: &str, taken: &mut BTreeSet<String>) -> String {
    let mut name = base.to_string();
    let mut n = 2;
    while taken.contains(&name) {
        name = format!("{base}_{n}");
        n += 1;
    }
    taken.insert(name.clone());
    name
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Expand like the kubelet does (`third_party/forked/golang/expansion`).
    fn kubelet_expand(input: &str, vars: &BTreeMap<&str, &str>) -> String {
        let b = input.as_bytes();
        let mut out = String::new();
        let mut i = 0;
        while i < b.len() {
            if b[i] == b'$' && i + 1 < b.len() {
                match b[i + 1] {
                    b'$' => {
                        out.push('$');
                        i += 2;
                    }
                    b'(' => match input[i + 2..].find(')') {
                        Some(end) => {
                            let name = &input[i + 2..i + 2 + end];
                            match vars.get(name) {
                                Some(v) => out.push_str(v),
                                None => out.push_str(&format!("$({name})")),
                            }
                            i += 3 + end;
                        }
                        None => {
                            out.push_str("$(");
                            i += 2;
                        }
                    },
                    _ => {
                        out.push('$');
                        i += 1;
                    }
                }
            } else {
                let c = input[i..].chars().next().unwrap();
                out.push(c);
                i += c.len_utf8();
            }
        }
        out
    }

    #[test]
    fn escaping_survives_kubelet_expansion() {
        let vars = BTreeMap::from([("HOME", "/root"), ("X", "x")]);
        for s in [
            "plain",
            "$",
            "a$",
            "$$",
            "$$$",
            "$(X)",
            "$$(X)",
            "$(HOME) and $X",
            "${X}",
            "$((1+2))",
            "cost $5",
            "$(",
            "end $(X",
            "ünï $(X) $",
        ] {
            assert_eq!(
                kubelet_expand(&escape(s), &vars),
                s,
                "{s:?} -> {:?}",
                escape(s)
            );
        }
        assert_eq!(escape("no dollars"), "no dollars");
        assert_eq!(escape("$(X)"), "$$(X)");
    }
}
