//! A small, deterministic YAML emitter for manifests.
//!
//! Why not a general serializer: the output must be byte-identical across runs and readable by
//! every YAML parser `kubectl` users meet (YAML 1.1 ones included, where `yes`, `0644` and
//! `12:30` are not strings). So: keys in a fixed order (`apiVersion`, `kind`, `metadata`, `name`
//! first, then sorted), strings quoted whenever any parser could read them as something else,
//! and multi-line text as `|` block literals so mounted files stay readable.

use serde_json::Value;

/// Keys printed before all others, in this order; the rest are sorted.
const FIRST_KEYS: [&str; 4] = ["apiVersion", "kind", "metadata", "name"];

/// Multi-document YAML: each document starts with a `---` line.
pub fn to_yaml(documents: &[Value]) -> String {
    let mut out = String::new();
    for doc in documents {
        push_document(doc, &mut out);
    }
    out
}

/// Append one document of [`to_yaml`]'s output: its `---` line and its content.
pub fn push_document(doc: &Value, out: &mut String) {
    out.push_str("---\n");
    match doc {
        Value::Object(m) if !m.is_empty() => emit_map(m, 0, out),
        Value::Array(a) if !a.is_empty() => emit_seq(a, 0, out),
        scalar => {
            emit_scalar(scalar, 0, out);
            out.push('\n');
        }
    }
}

fn ordered_keys(m: &serde_json::Map<String, Value>) -> Vec<&String> {
    let mut keys: Vec<&String> = m.keys().collect();
    keys.sort_by_key(|k| {
        (
            FIRST_KEYS
                .iter()
                .position(|f| f == k)
                .unwrap_or(FIRST_KEYS.len()),
            k.as_str(),
        )
    });
    keys
}

fn indent(n: usize, out: &mut String) {
    out.extend(std::iter::repeat_n(' ', n));
}

/// A non-empty map whose first line's indentation has already been written.
fn emit_map(m: &serde_json::Map<String, Value>, level: usize, out: &mut String) {
    for (i, key) in ordered_keys(m).into_iter().enumerate() {
        if i > 0 {
            indent(level, out);
        }
        push_scalar_text(key, out);
        out.push(':');
        match &m[key] {
            Value::Object(child) if !child.is_empty() => {
                out.push('\n');
                indent(level + 2, out);
                emit_map(child, level + 2, out);
            }
            Value::Array(items) if !items.is_empty() => {
                out.push('\n');
                indent(level + 2, out);
                emit_seq(items, level + 2, out);
            }
            scalar => {
                out.push(' ');
                emit_scalar(scalar, level + 2, out);
                out.push('\n');
            }
        }
    }
}

/// A non-empty sequence whose first line's indentation has already been written.
fn emit_seq(items: &[Value], level: usize, out: &mut String) {
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            indent(level, out);
        }
        out.push_str("- ");
        match item {
            Value::Object(m) if !m.is_empty() => emit_map(m, level + 2, out),
            Value::Array(a) if !a.is_empty() => emit_seq(a, level + 2, out),
            scalar => {
                emit_scalar(scalar, level + 2, out);
                out.push('\n');
            }
        }
    }
}

/// A scalar (or empty collection) after `key: ` or `- `; block literals indent to `level`.
fn emit_scalar(v: &Value, level: usize, out: &mut String) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => {
            use std::fmt::Write as _;
            let _ = write!(out, "{n}");
        }
        Value::Object(_) => out.push_str("{}"),
        Value::Array(_) => out.push_str("[]"),
        Value::String(s) if block_literal_ok(s) => emit_block_literal(s, level, out),
        Value::String(s) => push_scalar_text(s, out),
    }
}

/// Whether `s` is multi-line text that a `|` block literal can carry exactly.
fn block_literal_ok(s: &str) -> bool {
    s.contains('\n')
        && s.trim_matches('\n').contains(|c: char| c != ' ')
        && s.chars()
            .all(|c| c == '\n' || c == '\t' || !needs_escape(c))
}

fn emit_block_literal(s: &str, level: usize, out: &mut String) {
    let body = s.trim_end_matches('\n');
    let trailing = s.len() - body.len();
    out.push('|');
    // The first non-empty line sets the indentation; if it starts with a space, say so.
    if body
        .lines()
        .find(|l| !l.is_empty())
        .is_some_and(|l| l.starts_with(' '))
    {
        out.push('2');
    }
    out.push_str(match trailing {
        0 => "-",
        1 => "",
        _ => "+",
    });
    // Each line starts with a newline; the caller ends the last one.
    for line in body.split('\n') {
        out.push('\n');
        if !line.is_empty() {
            indent(level, out);
            out.push_str(line);
        }
    }
    for _ in 1..trailing {
        out.push('\n');
    }
}

/// A string as a plain scalar when that is unambiguous, else double-quoted.
fn push_scalar_text(s: &str, out: &mut String) {
    if plain_ok(s) {
        out.push_str(s);
    } else {
        push_double_quoted(s, out);
    }
}

/// Characters that must be escaped inside a double-quoted scalar (and forbid block literals).
fn needs_escape(c: char) -> bool {
    c.is_control() || matches!(c, '\u{2028}' | '\u{2029}' | '\u{feff}')
}

#[cfg(test)]
fn double_quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    push_double_quoted(s, &mut out);
    out
}

fn push_double_quoted(s: &str, out: &mut String) {
    out.reserve(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if needs_escape(c) => {
                use std::fmt::Write as _;
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Bytes a plain scalar may hold anywhere: printable ASCII and the space, but no flow
/// indicators. A table: this runs on every string of every manifest.
const PLAIN_BYTE: [bool; 256] = {
    let mut table = [false; 256];
    let mut c = 0x20;
    while c < 0x7f {
        table[c] = !matches!(c as u8, b'{' | b'}' | b'[' | b']' | b',');
        c += 1;
    }
    table
};

/// Whether `s` can be written unquoted and reads back as the same string in YAML 1.1 and 1.2.
fn plain_ok(s: &str) -> bool {
    let b = s.as_bytes();
    let (Some(&first), Some(&last)) = (b.first(), b.last()) else {
        return false;
    };
    // Only printable ASCII and spaces, no space at either end (so `trim` changes nothing).
    if first == b' ' || last == b' ' {
        return false;
    }
    // Indicators that start something else, and sequences that end a plain scalar.
    if b"?:,[]{}#&*!|>'\"%@`".contains(&first) || last == b':' {
        return false;
    }
    if !b.iter().all(|&c| PLAIN_BYTE[usize::from(c)]) {
        return false;
    }
    // `: ` and ` #` end a plain scalar; both need a space, which most strings lack.
    let ends_early = b
        .iter()
        .enumerate()
        .filter(|&(_, &c)| c == b' ')
        .any(|(i, _)| b[i - 1] == b':' || b.get(i + 1) == Some(&b'#'));
    if ends_early {
        return false;
    }
    // `-` starts a plain scalar only when a non-space follows (`-c`, `--flag`); `---` is a marker.
    if first == b'-' && (b.len() == 1 || b[1] == b' ' || s.starts_with("---")) {
        return false;
    }
    !is_reserved_word(s) && !looks_numeric(s)
}

/// Booleans and nulls of YAML 1.1 and 1.2, and PyYAML's `=` / merge key.
fn is_reserved_word(s: &str) -> bool {
    if s.len() > 5
        || !s
            .bytes()
            .next()
            .is_some_and(|c| b"nN~tTfFyYoO=<.-+".contains(&c))
    {
        return false; // longer than any of the words, or starting as none does
    }
    const WORDS: [&str; 15] = [
        "null", "~", "true", "false", "yes", "no", "y", "n", "on", "off", "=", "<<", ".inf",
        ".nan", "-.inf",
    ];
    WORDS.iter().any(|w| w.eq_ignore_ascii_case(s)) || s.eq_ignore_ascii_case("+.inf")
}

/// Anything a YAML 1.1 or 1.2 parser might read as an int, float, sexagesimal or timestamp:
/// starts with a digit (after an optional sign or dot) and uses only number-ish characters.
fn looks_numeric(s: &str) -> bool {
    if s.bytes().next().is_some_and(|c| c.is_ascii_alphabetic()) {
        return false; // the common case: a name
    }
    let body = s.trim_start_matches(['+', '-', '.']);
    body.starts_with(|c: char| c.is_ascii_digit())
        && body
            .chars()
            .all(|c| c.is_ascii_hexdigit() || "xXoObB_.:+-eEtTzZ ".contains(c))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn layout_and_key_order() {
        let doc = json!({
            "spec": {"containers": [{"image": "nginx:1.27", "name": "main", "args": ["-c", "echo hi"]}], "empty": {}, "none": []},
            "metadata": {"name": "web", "labels": {"app": "web"}},
            "kind": "Deployment",
            "apiVersion": "apps/v1",
        });
        assert_eq!(
            to_yaml(&[doc, json!({"a": [[1, 2], {"b": null}]})]),
            "---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  labels:\n    app: web\nspec:\n  containers:\n    - name: main\n      args:\n        - -c\n        - echo hi\n      image: nginx:1.27\n  empty: {}\n  none: []\n---\na:\n  - - 1\n    - 2\n  - b: null\n"
        );
        assert_eq!(to_yaml(&[]), "");
    }

    #[test]
    fn ambiguous_strings_are_quoted() {
        for s in [
            "",
            "0644",
            "1e3",
            "12:30",
            "true",
            "Yes",
            "off",
            "null",
            "~",
            "2024-01-01",
            "1_000",
            "0x1F",
            "+1",
            "-1",
            ".5",
            "=",
            "<<",
            " lead",
            "trail ",
            "a: b",
            "a #b",
            "x:",
            "- a",
            "-",
            "---",
            "--- x",
            "*ref",
            "&a",
            "!tag",
            "{a}",
            "[a]",
            "a,b",
            "'q'",
            "\"q\"",
            "%x",
            "@x",
            "`x`",
            "tab\there",
            "über",
            "2001-12-14 21:59:43",
        ] {
            assert!(!plain_ok(s), "{s:?} must be quoted");
        }
        for s in [
            "250m",
            "1Gi",
            "nginx:1.27",
            "-c",
            "--flag=x",
            "echo hi",
            "/etc/nginx/nginx.conf",
            "http://a:8080/x",
            "app.kubernetes.io/name",
            "deadbeef",
            "a#b",
            "$(VAR)",
            "5L6g3nShT-eMCtK--X86sw",
        ] {
            assert!(plain_ok(s), "{s:?} should be plain");
        }
        assert_eq!(
            double_quoted("a\"b\\c\u{2028}\u{1}"),
            r#""a\"b\\c\u2028\u0001""#
        );
    }

    #[test]
    fn multi_line_text_uses_block_literals() {
        let y = to_yaml(&[
            json!({"a": "line1\nline2\n", "b": "x\ny", "c": "  indented\nnext\n\n", "d": "\n", "e": "a\r\nb"}),
        ]);
        assert_eq!(y, "---\na: |\n  line1\n  line2\nb: |-\n  x\n  y\nc: |2+\n    indented\n  next\n\nd: \"\\n\"\ne: \"a\\r\\nb\"\n");
    }
}
