//! Upgrades deprecated Score forms to the current ones, before validation.
//!
//! Before spec 0.3.0 `files` and `volumes` were lists whose items carried a `target`; they are
//! now maps keyed by target path. `read_only` was the old spelling of `readOnly`. The
//! reference tools accept both, so we rewrite the old forms and warn where they stand.

use crate::diagnostic::Diagnostic;
use crate::source::SourceFile;
use crate::yaml::{Node, NodeKind};

/// Rewrite deprecated forms in place; returns warnings (and errors for lists that cannot be
/// upgraded, such as an item without `target`).
pub fn upgrade(root: &mut Node, src: &SourceFile) -> Vec<Diagnostic> {
    let mut diags = Vec::new();
    let Some(NodeKind::Map(top)) = Some(&mut root.kind) else {
        return diags;
    };
    let Some((_, containers)) = top
        .iter_mut()
        .find(|(k, _)| k.as_str() == Some("containers"))
    else {
        return diags;
    };
    let NodeKind::Map(containers) = &mut containers.kind else {
        return diags;
    };
    for (_, container) in containers.iter_mut() {
        let NodeKind::Map(fields) = &mut container.kind else {
            continue;
        };
        for (key, value) in fields.iter_mut() {
            if let Some(field @ ("files" | "volumes")) = key.as_str() {
                upgrade_list(field, key, value, src, &mut diags);
            }
            if key.as_str() == Some("volumes") {
                rename_read_only(value, src, &mut diags);
            }
        }
    }
    diags
}

/// Turn `[{target: /x, ...}]` into `{/x: {...}}`, keeping every node's span.
fn upgrade_list(
    field: &str,
    key: &Node,
    value: &mut Node,
    src: &SourceFile,
    diags: &mut Vec<Diagnostic>,
) {
    let NodeKind::Seq(items) = &mut value.kind else {
        return;
    };
    let mut entries: Vec<(Node, Node)> = Vec::with_capacity(items.len());
    for item in std::mem::take(items) {
        match take_target(item) {
            Ok((target, rest)) => {
                if let Some((first, _)) =
                    entries.iter().find(|(k, _)| k.as_str() == target.as_str())
                {
                    diags.push(
                        Diagnostic::error(
                            "score::upgrade::duplicate_target",
                            format!(
                                "two {field} have the target `{}`",
                                target.as_str().unwrap_or_default()
                            ),
                        )
                        .with_label(src, target.span, "used again here")
                        .with_label(src, first.span, "first used here"),
                    );
                    continue;
                }
                entries.push((target, rest));
            }
            Err(item) => diags.push(
                Diagnostic::error(
                    "score::upgrade::missing_target",
                    format!("an item of the deprecated `{field}` list has no `target` string"),
                )
                .with_label(
                    src,
                    item.span,
                    "this item needs `target: <path in the container>`",
                ),
            ),
        }
    }
    diags.push(
        Diagnostic::warning(
            "score::deprecated::list_form",
            format!("`{field}` as a list is deprecated; use a map keyed by the target path"),
        )
        .with_label(src, key.span, "deprecated list form")
        .with_help(format!(
            "write `{field}:` then `  /path/in/container:` with the item's other fields below it"
        )),
    );
    value.kind = NodeKind::Map(entries);
}

/// Split `target` out of a list item; the item back if it has none.
fn take_target(mut item: Node) -> Result<(Node, Node), Node> {
    let NodeKind::Map(fields) = &mut item.kind else {
        return Err(item);
    };
    let Some(pos) = fields
        .iter()
        .position(|(k, v)| k.as_str() == Some("target") && v.as_str().is_some())
    else {
        return Err(item);
    };
    let (_, target) = fields.remove(pos);
    Ok((target, item))
}

/// `read_only` → `readOnly` inside each volume.
fn rename_read_only(volumes: &mut Node, src: &SourceFile, diags: &mut Vec<Diagnostic>) {
    let NodeKind::Map(entries) = &mut volumes.kind else {
        return;
    };
    for (_, volume) in entries.iter_mut() {
        let NodeKind::Map(fields) = &mut volume.kind else {
            continue;
        };
        let has_new = fields.iter().any(|(k, _)| k.as_str() == Some("readOnly"));
        for (k, _) in fields
            .iter_mut()
            .filter(|(k, _)| k.as_str() == Some("read_only"))
        {
            if has_new {
                continue; // both spellings: leave `read_only` for the schema to reject
            }
            diags.push(
                Diagnostic::warning(
                    "score::deprecated::read_only",
                    "`read_only` is deprecated; use `readOnly`",
                )
                .with_label(src, k.span, "deprecated spelling")
                .with_help("rename the key to `readOnly`"),
            );
            k.kind = NodeKind::Str("readOnly".to_string());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(text: &str) -> (serde_json::Value, Vec<Diagnostic>) {
        let src = SourceFile::new("t.yaml", text);
        let mut root = crate::yaml::parse_source(&src).unwrap();
        let diags = upgrade(&mut root, &src);
        (root.to_json(), diags)
    }

    #[test]
    fn list_forms_become_maps_with_a_warning() {
        let (json, diags) = run(
            "containers:\n  main:\n    image: x\n    files:\n    - target: /a\n      content: hi\n    volumes:\n    - target: /v\n      source: data\n      read_only: true\n",
        );
        let main = &json["containers"]["main"];
        assert_eq!(main["files"], serde_json::json!({"/a": {"content": "hi"}}));
        assert_eq!(
            main["volumes"],
            serde_json::json!({"/v": {"source": "data", "readOnly": true}})
        );
        assert_eq!(diags.len(), 3);
        assert!(diags.iter().all(|d| !d.is_error()));
        assert_eq!(diags[0].location(), Some((4, 5)));
    }

    #[test]
    fn items_without_target_are_errors() {
        let (_, diags) = run("containers:\n  main:\n    image: x\n    files:\n    - content: hi\n");
        assert!(diags
            .iter()
            .any(|d| d.code == "score::upgrade::missing_target"));
    }

    #[test]
    fn duplicate_targets_are_errors() {
        let (_, diags) =
            run("containers:\n  main:\n    image: x\n    files:\n    - {target: /a, content: x}\n    - {target: /a, content: y}\n");
        assert!(diags
            .iter()
            .any(|d| d.code == "score::upgrade::duplicate_target"));
    }

    #[test]
    fn map_forms_are_untouched() {
        let (json, diags) =
            run("containers:\n  main:\n    image: x\n    files:\n      /a:\n        content: hi\n");
        assert!(diags.is_empty());
        assert_eq!(json["containers"]["main"]["files"]["/a"]["content"], "hi");
    }
}
