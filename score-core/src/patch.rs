//! Patch templates: minijinja templates that render a list of `{op: set|delete, path, value}`
//! operations, applied to a backend's output before it is serialised.

use serde_json::{Map, Value};

use crate::diagnostic::Diagnostic;
use crate::overrides::split_path;
use crate::source::SourceFile;
use crate::yaml;

/// Render `template` with `context` and apply the operations to `doc`.
///
/// ```
/// use serde_json::json;
/// let mut doc = json!({"services": {"web": {"image": "nginx"}}});
/// let tpl = score_core::SourceFile::new("p.tpl", "{% for name in output.services %}- op: set\n  path: services.{{ name }}.restart\n  value: always\n{% endfor %}");
/// score_core::patch::apply_template(&tpl, &mut doc, serde_json::Map::new()).unwrap();
/// assert_eq!(doc["services"]["web"]["restart"], "always");
/// ```
pub fn apply_template(
    template: &SourceFile,
    doc: &mut Value,
    mut context: Map<String, Value>,
) -> Result<(), Box<Diagnostic>> {
    context.insert("output".into(), doc.clone());
    let random = crate::provision::template_random();
    let env = crate::provision::template_environment(&random);
    let rendered = env
        .render_str(template.text(), minijinja::value::Serde(&context))
        .map_err(|e| {
            Box::new(Diagnostic::error(
                "score::patch::template",
                format!("patch template `{}` failed: {e}", template.name()),
            ))
        })?;
    if rendered.trim().is_empty() {
        return Ok(());
    }
    let ops = yaml::parse_source(&SourceFile::new(
        format!("{} (rendered)", template.name()),
        rendered,
    ))?
    .to_json();
    let Value::Array(ops) = ops else {
        return Err(Box::new(Diagnostic::error(
            "score::patch::format",
            format!(
                "patch template `{}` must render a list of operations",
                template.name()
            ),
        )));
    };
    for op in ops {
        apply_op(doc, &op).map_err(|msg| {
            Box::new(Diagnostic::error(
                "score::patch::apply",
                format!("patch template `{}`: {msg}", template.name()),
            ))
        })?;
    }
    Ok(())
}

/// Apply one `{op, path, value}` operation. `set` creates missing mappings; a list index of
/// `-1` or one past the end appends.
pub fn apply_op(doc: &mut Value, op: &Value) -> Result<(), String> {
    let kind = op
        .get("op")
        .and_then(Value::as_str)
        .ok_or("an operation needs `op: set` or `op: delete`")?;
    let path = op
        .get("path")
        .and_then(Value::as_str)
        .ok_or("an operation needs a `path`")?;
    let segs = split_path(path);
    let (last, parents) = segs.split_last().ok_or("empty path")?;
    let mut node = doc;
    for seg in parents {
        node = match node {
            Value::Object(m) => {
                if !m.contains_key(seg) {
                    if kind == "delete" {
                        return Ok(());
                    }
                    m.insert(seg.clone(), Value::Object(Map::new()));
                }
                m.get_mut(seg).expect("inserted")
            }
            Value::Array(items) => {
                let len = items.len();
                let i: usize = seg
                    .parse()
                    .map_err(|_| format!("`{seg}` in `{path}` must be a list index"))?;
                items.get_mut(i).ok_or(format!(
                    "index {i} in `{path}` is out of range ({len} items)"
                ))?
            }
            _ => return Err(format!("`{path}` goes through a scalar")),
        };
    }
    match (kind, node) {
        ("set", Value::Object(m)) => {
            m.insert(
                last.clone(),
                op.get("value").cloned().unwrap_or(Value::Null),
            );
        }
        ("delete", Value::Object(m)) => {
            m.remove(last);
        }
        ("set", Value::Array(items)) => {
            let value = op.get("value").cloned().unwrap_or(Value::Null);
            match last.parse::<i64>() {
                Ok(-1) => items.push(value),
                Ok(i) if (i as usize) < items.len() => items[i as usize] = value,
                Ok(i) if i as usize == items.len() => items.push(value),
                _ => return Err(format!("`{last}` in `{path}` is not a valid list index")),
            }
        }
        ("delete", Value::Array(items)) => {
            let i: usize = last
                .parse()
                .map_err(|_| format!("`{last}` in `{path}` must be a list index"))?;
            if i < items.len() {
                items.remove(i);
            }
        }
        ("set" | "delete", _) => return Err(format!("`{path}` goes through a scalar")),
        (other, _) => return Err(format!("unknown op `{other}`; use `set` or `delete`")),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn ops() {
        let mut d = json!({"a": [1, 2], "b": {"c": 1}});
        apply_op(&mut d, &json!({"op": "set", "path": "a.-1", "value": 3})).unwrap();
        apply_op(&mut d, &json!({"op": "delete", "path": "b.c"})).unwrap();
        apply_op(
            &mut d,
            &json!({"op": "set", "path": "x.y\\.z", "value": true}),
        )
        .unwrap();
        assert_eq!(d, json!({"a": [1, 2, 3], "b": {}, "x": {"y.z": true}}));
        assert!(apply_op(&mut d, &json!({"op": "frob", "path": "a"})).is_err());
    }
}
