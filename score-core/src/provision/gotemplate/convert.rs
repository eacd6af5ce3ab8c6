//! Between JSON values (our data) and template values, and Go's JSON encoding.

use std::collections::BTreeMap;
use std::sync::Arc;

use gotmpl::Value;
use serde_json::Value as Json;

/// A JSON value as a template value (objects become maps, numbers keep their kind).
pub(crate) fn from_json(v: &Json) -> Value {
    match v {
        Json::Null => Value::Nil,
        Json::Bool(b) => Value::Bool(*b),
        Json::Number(n) => n
            .as_i64()
            .map(Value::Int)
            .or_else(|| n.as_u64().map(Value::Uint))
            .unwrap_or_else(|| Value::Float(n.as_f64().unwrap_or(0.0))),
        Json::String(s) => Value::String(Arc::from(s.as_str())),
        Json::Array(xs) => Value::List(xs.iter().map(from_json).collect()),
        Json::Object(m) => Value::Map(Arc::new(
            m.iter()
                .map(|(k, v)| (Arc::from(k.as_str()), from_json(v)))
                .collect::<BTreeMap<_, _>>(),
        )),
    }
}

/// A template value as JSON (functions become null, as `encoding/json` cannot encode them).
pub(crate) fn to_json(v: &Value) -> Json {
    match v {
        Value::Nil | Value::Function(_) => Json::Null,
        Value::Bool(b) => Json::Bool(*b),
        Value::Int(i) => Json::from(*i),
        Value::Uint(u) => Json::from(*u),
        Value::Float(f) => serde_json::Number::from_f64(*f).map_or(Json::Null, Json::Number),
        Value::String(s) => Json::String(s.to_string()),
        Value::List(xs) => Json::Array(xs.iter().map(to_json).collect()),
        Value::Map(m) => Json::Object(m.iter().map(|(k, v)| (k.to_string(), to_json(v))).collect()),
    }
}

/// Go's `fmt.Sprint` of one value, which sprig's string functions apply to their arguments.
pub(crate) fn strval(v: &Value) -> String {
    match v {
        Value::String(s) => s.to_string(),
        other => other.to_string(),
    }
}

/// `encoding/json.Marshal` output: keys sorted, integral floats without `.0`, and with
/// `html_safe` (`toJson`) `<`, `>`, `&`, U+2028 and U+2029 escaped as Go does.
pub(crate) fn go_json(v: &Json, html_safe: bool) -> String {
    let mut out = String::new();
    write_json(v, html_safe, &mut out);
    out
}

fn write_json(v: &Json, html_safe: bool, out: &mut String) {
    match v {
        Json::Number(n) if n.is_f64() => {
            let f = n.as_f64().unwrap_or(0.0);
            if f.fract() == 0.0 && f.abs() < 1e21 {
                out.push_str(&format!("{}", f as i128));
            } else {
                out.push_str(&n.to_string());
            }
        }
        Json::String(s) => {
            let quoted = serde_json::to_string(s).unwrap_or_default();
            if html_safe {
                for c in quoted.chars() {
                    match c {
                        '<' => out.push_str("\\u003c"),
                        '>' => out.push_str("\\u003e"),
                        '&' => out.push_str("\\u0026"),
                        '\u{2028}' => out.push_str("\\u2028"),
                        '\u{2029}' => out.push_str("\\u2029"),
                        c => out.push(c),
                    }
                }
            } else {
                out.push_str(&quoted);
            }
        }
        Json::Array(xs) => {
            out.push('[');
            for (i, x) in xs.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_json(x, html_safe, out);
            }
            out.push(']');
        }
        Json::Object(m) => {
            out.push('{');
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            for (i, k) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_json(&Json::String(k.clone()), html_safe, out);
                out.push(':');
                write_json(&m[k], html_safe, out);
            }
            out.push('}');
        }
        other => out.push_str(&other.to_string()),
    }
}
