//! The per-workload Secret that holds every secret value the workload's environment uses.
//!
//! One Secret per workload (`<workload>-secrets`), keys named after the placeholder they come
//! from (`db.password`), so `kubectl describe` tells what is inside without showing it.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::Secret;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use crate::names;

/// Secret values collected while lowering one workload.
#[derive(Debug, Clone)]
pub struct SecretStore {
    name: String,
    entries: BTreeMap<String, String>,
}

impl SecretStore {
    /// An empty store for `workload`.
    pub fn new(workload: &str) -> Self {
        SecretStore {
            name: names::bounded(&format!("{workload}-secrets"), 253),
            entries: BTreeMap::new(),
        }
    }

    /// The Secret's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Store `value` under a key derived from `hint` and return the key. The same value under
    /// the same hint reuses its key; a different value gets a numbered key.
    pub fn add(&mut self, hint: &str, value: &str) -> String {
        let base = names::config_key(hint);
        let mut key = base.clone();
        for n in 2.. {
            match self.entries.get(&key) {
                None => {
                    self.entries.insert(key.clone(), value.to_string());
                    break;
                }
                Some(v) if v == value => break,
                Some(_) => key = format!("{base}-{n}"),
            }
        }
        key
    }

    /// The Secret object, or `None` when nothing secret was used.
    pub fn into_secret(self, meta: ObjectMeta) -> Option<Secret> {
        if self.entries.is_empty() {
            return None;
        }
        Some(Secret {
            metadata: ObjectMeta {
                name: Some(self.name),
                ..meta
            },
            type_: Some("Opaque".into()),
            string_data: Some(self.entries),
            ..Secret::default()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_reused_and_disambiguated() {
        let mut s = SecretStore::new("web");
        assert_eq!(s.add("db.password", "p1"), "db.password");
        assert_eq!(s.add("db.password", "p1"), "db.password");
        assert_eq!(s.add("db.password", "p2"), "db.password-2");
        assert_eq!(s.add("x/y", "p3"), "x_y");
        assert_eq!(s.name(), "web-secrets");
        assert_eq!(
            s.into_secret(ObjectMeta::default())
                .unwrap()
                .string_data
                .unwrap()
                .len(),
            3
        );
    }
}
