//! Typed conversion of provisioner-supplied JSON, refusing fields the type does not know.
//!
//! `k8s-openapi` ignores unknown fields when deserialising; a volume source with a misspelled
//! key would silently lose it. Converting and comparing the round trip catches that.

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

/// Deserialise `value` as `T`, failing when a field would be dropped or changed.
///
/// # Errors
/// The deserialisation error, or the first path where the round trip differs.
pub fn strict<T: DeserializeOwned + Serialize>(value: &Value) -> Result<T, String> {
    let typed: T = serde_json::from_value(value.clone()).map_err(|e| e.to_string())?;
    let back = serde_json::to_value(&typed).map_err(|e| e.to_string())?;
    match difference(&without_nulls(value), &back, "") {
        None => Ok(typed),
        Some(path) => Err(format!(
            "unknown or invalid field `{}`",
            path.trim_start_matches('.')
        )),
    }
}

fn without_nulls(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .filter(|(_, x)| !x.is_null())
                .map(|(k, x)| (k.clone(), without_nulls(x)))
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(without_nulls).collect()),
        other => other.clone(),
    }
}

/// The first path (`.a.b[0]`) where `a` and `b` differ.
fn difference(a: &Value, b: &Value, path: &str) -> Option<String> {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            for (k, v) in x {
                let p = format!("{path}.{k}");
                match y.get(k) {
                    Some(w) => {
                        if let Some(d) = difference(v, w, &p) {
                            return Some(d);
                        }
                    }
                    None => return Some(p),
                }
            }
            y.keys()
                .find(|k| !x.contains_key(*k))
                .map(|k| format!("{path}.{k}"))
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => x
            .iter()
            .zip(y)
            .enumerate()
            .find_map(|(i, (v, w))| difference(v, w, &format!("{path}[{i}]"))),
        _ if a == b => None,
        _ => Some(path.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::core::v1::Volume;
    use serde_json::json;

    #[test]
    fn unknown_fields_are_refused() {
        let ok: Volume = strict(&json!({"name": "v", "emptyDir": {"sizeLimit": "1Gi"}})).unwrap();
        assert_eq!(ok.name, "v");
        let err =
            strict::<Volume>(&json!({"name": "v", "emptyDir": {"sizeLimt": "1Gi"}})).unwrap_err();
        assert_eq!(err, "unknown or invalid field `emptyDir.sizeLimt`");
        assert!(strict::<Volume>(&json!({"name": 1})).is_err());
    }
}
