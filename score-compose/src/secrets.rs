//! Keeping secret outputs out of `compose.yaml`.
//!
//! score-compose writes generated passwords in plain text into `compose.yaml`, which people
//! commit and share. Here every `environment` entry (of workload *and* resource services) whose
//! value contains a secret output is moved into an env file under the mounts directory
//! (`secrets/<service>.env`, mode 0600), referenced by the service's `env_file`; compose reads
//! it at `up` time, so the container sees the same value. Whatever secret text is still left in
//! the document afterwards (say, a password on a command line) is reported as a warning.

use serde_json::{Map, Value};

use score_core::Diagnostic;

use crate::{escape, GeneratedFile};

/// Secrets shorter than this are not searched for (they would match by accident).
const MIN_SECRET_LEN: usize = 4;

/// One automaton over every secret value worth looking for (`None` when there is none), built
/// once and shared by [`relocate`] and [`leaks`]: scanning each string once instead of once per
/// secret keeps both linear in the number of resources.
pub(crate) fn matcher(values: Vec<String>) -> Option<aho_corasick::AhoCorasick> {
    let patterns: Vec<String> = values
        .into_iter()
        .filter(|v| v.len() >= MIN_SECRET_LEN)
        .collect();
    if patterns.is_empty() {
        return None;
    }
    // The default (NFA) kind: a DFA searched a 200-workload document 3 M instructions faster
    // but took 30 M more to build.
    aho_corasick::AhoCorasick::new(patterns).ok()
}

/// Move secret environment entries of every service into env files.
pub(crate) fn relocate(
    services: &mut Map<String, Value>,
    matcher: &aho_corasick::AhoCorasick,
    mounts_ref: &str,
    files: &mut Vec<GeneratedFile>,
) {
    let is_secret = |v: &str| contains_secret(matcher, v);
    for (name, def) in services.iter_mut() {
        let Value::Object(def) = def else { continue };
        let mut moved: Vec<(String, String)> = Vec::new();
        match def.get_mut("environment") {
            Some(Value::Object(env)) => {
                let keys: Vec<String> = env
                    .iter()
                    .filter(|(_, v)| v.as_str().is_some_and(is_secret))
                    .map(|(k, _)| k.clone())
                    .collect();
                for k in keys {
                    if let Some(Value::String(v)) = env.remove(&k) {
                        moved.push((k, v));
                    }
                }
                if env.is_empty() {
                    def.remove("environment");
                }
            }
            Some(Value::Array(items)) => {
                items.retain(|item| {
                    let Some((k, v)) = item.as_str().and_then(|s| s.split_once('=')) else {
                        return true;
                    };
                    if is_secret(v) {
                        moved.push((k.to_string(), v.to_string()));
                        false
                    } else {
                        true
                    }
                });
                if items.is_empty() {
                    def.remove("environment");
                }
            }
            _ => {}
        }
        if moved.is_empty() {
            continue;
        }
        moved.sort();
        let rel = format!("secrets/{name}.env");
        let text: String = moved
            .iter()
            .map(|(k, v)| escape::env_file_line(k, v))
            .collect();
        files.push(GeneratedFile {
            path: rel.clone().into(),
            bytes: text.into_bytes(),
            mode: Some(0o600),
        });
        let reference = Value::String(format!("{mounts_ref}/{rel}"));
        match def.get_mut("env_file") {
            Some(Value::Array(list)) => list.push(reference),
            Some(existing) => {
                let first = existing.take();
                *existing = Value::Array(vec![first, reference]);
            }
            None => {
                def.insert("env_file".into(), Value::Array(vec![reference]));
            }
        }
    }
}

/// Warnings for every place in `doc` where a secret value still appears.
pub(crate) fn leaks(doc: &Value, matcher: &aho_corasick::AhoCorasick) -> Vec<Diagnostic> {
    let mut found = Vec::new();
    walk(doc, &mut String::new(), matcher, &mut found);
    found
        .into_iter()
        .map(|path| {
            Diagnostic::warning("score::compose::secret_in_output", format!("a secret output appears in plain text in the compose file at `{path}`"))
                .with_help("refer to secrets through environment variables (`$$VAR` in commands); environment values holding secrets are moved to env files automatically")
        })
        .collect()
}

/// Whether `text` contains a secret; most strings of a compose file (`5s`, `bind`, ports) are
/// shorter than every secret and need no search.
fn contains_secret(matcher: &aho_corasick::AhoCorasick, text: &str) -> bool {
    text.len() >= matcher.min_pattern_len() && matcher.is_match(text)
}

fn walk(
    v: &Value,
    path: &mut String,
    secrets: &aho_corasick::AhoCorasick,
    found: &mut Vec<String>,
) {
    match v {
        Value::String(s) if contains_secret(secrets, s) => found.push(path.clone()),
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                let len = path.len();
                path.push_str(&format!("[{i}]"));
                walk(item, path, secrets, found);
                path.truncate(len);
            }
        }
        Value::Object(m) => {
            for (k, item) in m {
                let len = path.len();
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(k);
                walk(item, path, secrets, found);
                path.truncate(len);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn secret_entries_move_to_env_files() {
        let mut services = json!({
            "web": {"environment": {"URL": "pg://u:s3cret!@db", "PLAIN": "x"}},
            "db": {"environment": ["POSTGRES_PASSWORD=s3cret!", "POSTGRES_USER=u"], "env_file": "base.env"},
            "other": {"environment": {"ONLY": "s3cret!"}},
        });
        let mut files = Vec::new();
        let m = matcher(vec!["s3cret!".into()]).unwrap();
        relocate(services.as_object_mut().unwrap(), &m, "./m", &mut files);
        assert_eq!(
            services,
            json!({
                "web": {"environment": {"PLAIN": "x"}, "env_file": ["./m/secrets/web.env"]},
                "db": {"environment": ["POSTGRES_USER=u"], "env_file": ["base.env", "./m/secrets/db.env"]},
                "other": {"env_file": ["./m/secrets/other.env"]},
            })
        );
        let f: Vec<_> = files
            .iter()
            .map(|f| {
                (
                    f.path.display().to_string(),
                    String::from_utf8(f.bytes.clone()).unwrap(),
                    f.mode,
                )
            })
            .collect();
        assert_eq!(
            f[0],
            (
                "secrets/db.env".into(),
                "POSTGRES_PASSWORD=\"s3cret!\"\n".into(),
                Some(0o600)
            )
        );
        assert_eq!(f[2].1, "URL=\"pg://u:s3cret!@db\"\n");
        assert!(leaks(&services, &m).is_empty());
    }

    #[test]
    fn leaks_are_located() {
        let doc =
            json!({"services": {"r": {"command": ["redis-server", "--requirepass", "s3cret!"]}}});
        let w = leaks(&doc, &matcher(vec!["s3cret!".into()]).unwrap());
        assert_eq!(w.len(), 1);
        assert!(
            w[0].message.contains("services.r.command[2]"),
            "{}",
            w[0].message
        );
        // Too short to search for: `abc` would match by accident.
        assert!(matcher(vec!["abc".into(), String::new()]).is_none());
        let m = matcher(vec!["abc".into(), "abcd".into()]).unwrap();
        assert!(m.is_match("xabcdx") && !m.is_match("xabcx"));
    }
}
