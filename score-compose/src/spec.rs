//! Keys the Compose specification allows in the objects a provisioner renders, so that an
//! unknown or misspelt one (score-compose's default `route` has `readOnly:` on a volume) is
//! left out with a warning instead of making the Compose loader reject the whole file.
//! score-compose decodes these objects into compose-go's types, which drop such keys silently.
//!
//! The table ([`crate::spec_keys`]) is generated from the JSON schema inside the Compose loader
//! by `scripts/compose_keys.py`: only key names and nesting, no values are checked. Keys
//! starting with `x-` (extensions) are allowed everywhere, as in the specification.

use serde_json::Value;

use crate::spec_keys::SHAPES;
pub(crate) use crate::spec_keys::{MODEL, NETWORK, SERVICE, VOLUME};

/// No shape: anything goes.
pub(crate) const NONE: u16 = u16::MAX;

/// What an object or list of the specification may hold.
#[derive(Debug)]
pub(crate) struct Shape {
    /// Known keys, sorted, with the shape of each one's value.
    pub keys: &'static [(&'static str, u16)],
    /// Whether keys not in `keys` (except `x-…`) are unknown.
    pub closed: bool,
    /// The shape of the value of any other key (maps of name → object).
    pub values: u16,
    /// The shape of list items.
    pub items: u16,
}

/// A key that was left out, and the known key it most likely meant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Dropped {
    /// Where, e.g. `volumes[0].readOnly` (relative to the object checked).
    pub path: String,
    /// A known key close to it.
    pub suggestion: Option<&'static str>,
}

/// Remove from `v`, an object of shape `shape`, every key the specification does not know, at
/// any depth; returns what was removed, in order.
pub(crate) fn drop_unknown(v: &mut Value, shape: u16) -> Vec<Dropped> {
    let mut dropped = Vec::new();
    walk(v, shape, &mut String::new(), &mut dropped);
    dropped
}

fn walk(v: &mut Value, shape: u16, path: &mut String, dropped: &mut Vec<Dropped>) {
    let Some(s) = SHAPES.get(usize::from(shape)) else {
        return;
    };
    match v {
        Value::Object(m) => {
            let mut unknown = Vec::new();
            for (k, child) in m.iter_mut() {
                if k.starts_with("x-") {
                    continue;
                }
                let known = s.keys.binary_search_by(|(name, _)| (*name).cmp(k.as_str()));
                let child_shape = match known {
                    Ok(i) => s.keys[i].1,
                    Err(_) if s.closed => {
                        unknown.push(k.clone());
                        continue;
                    }
                    Err(_) => s.values,
                };
                let len = path.len();
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(k);
                walk(child, child_shape, path, dropped);
                path.truncate(len);
            }
            for k in unknown {
                m.remove(&k);
                let names = s.keys.iter().map(|(name, _)| *name);
                dropped.push(Dropped {
                    suggestion: score_core::suggest::closest(&k, names),
                    path: if path.is_empty() {
                        k
                    } else {
                        format!("{path}.{k}")
                    },
                });
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter_mut().enumerate() {
                let len = path.len();
                path.push_str(&format!("[{i}]"));
                walk(item, s.items, path, dropped);
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
    fn unknown_keys_are_dropped_at_any_depth() {
        let mut service = json!({
            "image": "nginx",
            "x-anything": {"goes": true},
            "imgae": "typo",
            "volumes": [
                {"type": "bind", "source": "a", "target": "/b", "readOnly": true, "bind": {"create_host_path": true, "propagate": "x"}},
                "short:/syntax"
            ],
            "depends_on": {"db": {"condition": "service_healthy", "restart": true, "wait": 1}},
            "environment": {"ANY_NAME": "ok"},
            "healthcheck": {"test": ["CMD", "true"], "interval": "2s"},
            "deploy": {"resources": {"limits": {"cpus": "1", "memry": "1g"}}}
        });
        let dropped = drop_unknown(&mut service, SERVICE);
        let paths: Vec<&str> = dropped.iter().map(|d| d.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "depends_on.db.wait",
                "deploy.resources.limits.memry",
                "volumes[0].bind.propagate",
                "volumes[0].readOnly",
                "imgae"
            ]
        );
        assert_eq!(dropped[3].suggestion, Some("read_only"));
        assert_eq!(dropped[4].suggestion, Some("image"));
        assert_eq!(service["volumes"][0]["read_only"], Value::Null);
        assert_eq!(service["x-anything"]["goes"], true);
        assert_eq!(service["environment"]["ANY_NAME"], "ok");
        assert_eq!(service["volumes"][1], "short:/syntax");
    }

    #[test]
    fn top_level_objects_have_their_shapes() {
        let mut volume = json!({"driver": "local", "labels": {"a": "b"}, "size": 1});
        assert_eq!(drop_unknown(&mut volume, VOLUME)[0].path, "size");
        let mut network =
            json!({"driver": "bridge", "ipam": {"config": [{"subnet": "10.0.0.0/24", "mask": 1}]}});
        assert_eq!(
            drop_unknown(&mut network, NETWORK)[0].path,
            "ipam.config[0].mask"
        );
        let mut model = json!({"model": "ai/smollm2", "context_size": 1024});
        assert!(drop_unknown(&mut model, MODEL).is_empty());
    }
}
