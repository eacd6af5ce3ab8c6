//! Overrides applied to a Score file's tree before validation: `--overrides-file`,
//! `--override-property path=value` and `--image`.
//!
//! Nodes that come from an override take the span of the place they land in the Score file,
//! so later diagnostics still point into the Score file.

use crate::diagnostic::Diagnostic;
use crate::source::{SourceFile, Span};
use crate::yaml::{self, Node, NodeKind};

/// Split `a.b\.c.0` into `["a", "b.c", "0"]`.
///
/// ```
/// assert_eq!(score_core::overrides::split_path(r"metadata.annotations.example\.com/x"),
///            vec!["metadata", "annotations", "example.com/x"]);
/// ```
pub fn split_path(path: &str) -> Vec<String> {
    let mut out = vec![String::new()];
    let mut chars = path.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek() == Some(&'.') => {
                chars.next();
                out.last_mut().expect("non-empty").push('.');
            }
            '.' => out.push(String::new()),
            c => out.last_mut().expect("non-empty").push(c),
        }
    }
    out
}

/// Deep-merge an overrides document into `tree`: mappings merge key by key, a null deletes the
/// key, anything else replaces.
pub fn merge_file(tree: &mut Node, overrides: &Node) {
    match (&mut tree.kind, &overrides.kind) {
        (NodeKind::Map(entries), NodeKind::Map(over)) => {
            for (k, v) in over {
                let key = k.key_string().unwrap_or_default();
                let pos = entries
                    .iter()
                    .position(|(ek, _)| ek.key_string().as_deref() == Some(key.as_str()));
                match (pos, &v.kind) {
                    (Some(i), NodeKind::Null) => {
                        entries.remove(i);
                    }
                    (Some(i), _) => merge_file(&mut entries[i].1, v),
                    (None, NodeKind::Null) => {}
                    (None, _) => {
                        let span = tree.span;
                        entries.push((relocated(k, span), relocated(v, span)));
                    }
                }
            }
        }
        _ => *tree = relocated(overrides, tree.span),
    }
}

/// Set (`Some`) or delete (`None`) the value at `path`, creating mappings on the way.
pub fn set_property(tree: &mut Node, path: &[String], value: Option<&Node>) -> Result<(), String> {
    let Some((last, parents)) = path.split_last() else {
        return Err("empty path".into());
    };
    let mut node = tree;
    for (i, seg) in parents.iter().enumerate() {
        let span = node.span;
        node = match &mut node.kind {
            NodeKind::Map(entries) => {
                let pos = match entries
                    .iter()
                    .position(|(k, _)| k.key_string().as_deref() == Some(seg.as_str()))
                {
                    Some(p) => p,
                    None if value.is_none() => return Ok(()),
                    None => {
                        entries.push((
                            str_node(seg, span),
                            Node {
                                kind: NodeKind::Map(Vec::new()),
                                span,
                            },
                        ));
                        entries.len() - 1
                    }
                };
                &mut entries[pos].1
            }
            NodeKind::Seq(items) => {
                let idx = seg.parse::<usize>().map_err(|_| {
                    format!(
                        "`{}` is a list: use a numeric index",
                        parents[..=i].join(".")
                    )
                })?;
                let len = items.len();
                items.get_mut(idx).ok_or_else(|| {
                    format!("index {idx} is out of range (the list has {len} items)")
                })?
            }
            _ => {
                return Err(format!(
                    "`{}` is not a mapping or list",
                    parents[..i].join(".")
                ))
            }
        };
    }
    let span = node.span;
    match (&mut node.kind, value) {
        (NodeKind::Map(entries), v) => {
            let pos = entries
                .iter()
                .position(|(k, _)| k.key_string().as_deref() == Some(last.as_str()));
            match (pos, v) {
                (Some(p), None) => {
                    entries.remove(p);
                }
                (Some(p), Some(v)) => entries[p].1 = relocated(v, entries[p].1.span),
                (None, Some(v)) => entries.push((str_node(last, span), relocated(v, span))),
                (None, None) => {}
            }
            Ok(())
        }
        (NodeKind::Seq(items), v) => {
            let idx = last
                .parse::<usize>()
                .map_err(|_| format!("`{last}` is not a list index"))?;
            if idx >= items.len() {
                return Err(format!(
                    "index {idx} is out of range (the list has {} items)",
                    items.len()
                ));
            }
            match v {
                None => {
                    items.remove(idx);
                }
                Some(v) => items[idx] = relocated(v, items[idx].span),
            }
            Ok(())
        }
        _ => Err(format!("cannot set `{last}` inside a scalar")),
    }
}

/// Apply `--override-property` strings (`path=value`; an empty value deletes).
pub fn apply_properties(tree: &mut Node, props: &[String]) -> Vec<Diagnostic> {
    let mut diags = Vec::new();
    for prop in props {
        let Some((path, value)) = prop.split_once('=') else {
            diags.push(
                Diagnostic::error(
                    "score::override::syntax",
                    format!("`{prop}` is not `path=value`"),
                )
                .with_help("e.g. --override-property containers.main.variables.DEBUG=true"),
            );
            continue;
        };
        let parsed = if value.is_empty() {
            None
        } else {
            match yaml::parse("--override-property", value) {
                Ok(n) => Some(n),
                Err(d) => {
                    diags.push(*d);
                    continue;
                }
            }
        };
        let segments = split_path(path);
        // A path deeper than a Score file may nest is refused before a tree that deep is
        // built (with tens of thousands of segments, building and dropping it overflowed
        // the stack).
        if segments.len() > yaml::MAX_DEPTH {
            diags.push(
                Diagnostic::error(
                    "score::override::path",
                    format!(
                        "cannot apply `--override-property`: the path has {} segments; a Score file nests at most {} levels",
                        segments.len(),
                        yaml::MAX_DEPTH
                    ),
                )
                .with_help("shorten the path"),
            );
            continue;
        }
        if let Err(msg) = set_property(tree, &segments, parsed.as_ref()) {
            diags.push(Diagnostic::error(
                "score::override::path",
                format!("cannot apply `--override-property {prop}`: {msg}"),
            ));
        }
    }
    diags
}

/// Replace image `"."` in every container with `image`.
pub fn set_image(tree: &mut Node, image: &str) -> usize {
    let mut count = 0;
    let Some(NodeKind::Map(containers)) = tree_get_mut(tree, "containers").map(|n| &mut n.kind)
    else {
        return 0;
    };
    for (_, c) in containers.iter_mut() {
        if let Some(img) = tree_get_mut(c, "image") {
            if img.as_str() == Some(".") {
                img.kind = NodeKind::Str(image.to_string());
                count += 1;
            }
        }
    }
    count
}

/// Parse an overrides file and merge it.
pub fn apply_file(tree: &mut Node, overrides: &SourceFile) -> Vec<Diagnostic> {
    match yaml::parse_source(overrides) {
        Ok(o) if matches!(o.kind, NodeKind::Map(_)) => {
            merge_file(tree, &o);
            Vec::new()
        }
        Ok(o) => vec![Diagnostic::error(
            "score::override::format",
            "an overrides file must be a mapping",
        )
        .with_label(
            overrides,
            o.span,
            "expected a mapping like the Score file's",
        )],
        Err(d) => vec![*d],
    }
}

fn tree_get_mut<'a>(node: &'a mut Node, key: &str) -> Option<&'a mut Node> {
    match &mut node.kind {
        NodeKind::Map(entries) => entries
            .iter_mut()
            .find(|(k, _)| k.as_str() == Some(key))
            .map(|(_, v)| v),
        _ => None,
    }
}

fn str_node(s: &str, span: Span) -> Node {
    Node {
        kind: NodeKind::Str(s.to_string()),
        span,
    }
}

/// A copy of `n` whose spans all point at `span` (a place in the Score file).
fn relocated(n: &Node, span: Span) -> Node {
    let kind = match &n.kind {
        NodeKind::Seq(items) => NodeKind::Seq(items.iter().map(|i| relocated(i, span)).collect()),
        NodeKind::Map(entries) => NodeKind::Map(
            entries
                .iter()
                .map(|(k, v)| (relocated(k, span), relocated(v, span)))
                .collect(),
        ),
        other => other.clone(),
    };
    Node { kind, span }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree() -> Node {
        yaml::parse(
            "s.yaml",
            "metadata: {name: web}\ncontainers:\n  main:\n    image: .\n    args: [a, b]\n",
        )
        .unwrap()
    }

    #[test]
    fn properties_set_delete_and_index() {
        let mut t = tree();
        let d = apply_properties(
            &mut t,
            &[
                "containers.main.variables.DEBUG=true".into(),
                "containers.main.args.1=c".into(),
                "metadata.annotations.a\\.b/c=x".into(),
                "containers.main.image=".into(),
            ],
        );
        assert!(d.is_empty(), "{d:?}");
        let j = t.to_json();
        assert_eq!(j["containers"]["main"]["variables"]["DEBUG"], true);
        assert_eq!(
            j["containers"]["main"]["args"],
            serde_json::json!(["a", "c"])
        );
        assert_eq!(j["metadata"]["annotations"]["a.b/c"], "x");
        assert!(j["containers"]["main"].get("image").is_none());
    }

    #[test]
    fn bad_paths_are_reported() {
        let mut t = tree();
        let d = apply_properties(
            &mut t,
            &["containers.main.args.x=1".into(), "nonsense".into()],
        );
        assert_eq!(d.len(), 2);
    }

    #[test]
    fn files_merge_and_null_deletes() {
        let mut t = tree();
        let o = SourceFile::new(
            "o.yaml",
            "containers:\n  main:\n    args: null\n    variables: {A: b}\n",
        );
        assert!(apply_file(&mut t, &o).is_empty());
        let j = t.to_json();
        assert!(j["containers"]["main"].get("args").is_none());
        assert_eq!(j["containers"]["main"]["variables"]["A"], "b");
    }

    #[test]
    fn image_dot_is_replaced() {
        let mut t = tree();
        assert_eq!(set_image(&mut t, "registry/app:1.2"), 1);
        assert_eq!(
            t.to_json()["containers"]["main"]["image"],
            "registry/app:1.2"
        );
    }
}
