//! A fast path for the YAML that provisioner templates render: block mappings and sequences of
//! one-line scalars (plain, JSON-quoted) and one-line flow collections, straight to JSON.
//!
//! Parsing rendered templates with the full, span-keeping parser was the largest single cost of
//! provisioning hundreds of resources. Anything outside this subset — comments, anchors, tags,
//! block scalars, multi-line scalars, single quotes, unusual indentation, duplicate keys — makes
//! [`to_json`] return `None`, and the caller uses the full parser (which also reports errors).
//! Debug builds check every fast result against the full parser.

use serde_json::{Map, Value};

use super::{scalar_kind, NodeKind};
use saphyr_parser::ScalarStyle;

/// The document as JSON, or `None` when it is not in the simple subset.
pub(crate) fn to_json(text: &str) -> Option<Value> {
    if text.bytes().any(|b| b == b'\t' || b == b'\r' || b == b'#')
        || text
            .chars()
            .any(|c| c.is_control() && c != '\n' || c == '\u{feff}')
    {
        return None;
    }
    let mut lines = Vec::new();
    for raw in text.split('\n') {
        let content = raw.trim_start_matches(' ');
        if content.trim_end_matches(' ').is_empty() {
            continue;
        }
        let indent = raw.len() - content.len();
        if indent == 0 && (content.starts_with("---") || content.starts_with("...")) {
            return None;
        }
        lines.push(Line {
            indent,
            text: content.trim_end_matches(' '),
        });
    }
    if lines.is_empty() {
        return None;
    }
    let mut p = Parser {
        lines,
        pos: 0,
        depth: 0,
    };
    let first = p.lines[0].indent;
    let v = p.block(first)?;
    (p.pos == p.lines.len()).then_some(v)
}

struct Line<'a> {
    indent: usize,
    text: &'a str,
}

struct Parser<'a> {
    lines: Vec<Line<'a>>,
    pos: usize,
    depth: usize,
}

/// Deeper nesting is left to the full parser (which enforces its own limit).
const MAX_DEPTH: usize = 64;

/// Characters that may not start a plain scalar (or key) in this subset.
fn bad_start(c: u8) -> bool {
    b"-?:,[]{}#&*!|>'\"%@`".contains(&c)
}

impl<'a> Parser<'a> {
    fn peek(&self) -> Option<&Line<'a>> {
        self.lines.get(self.pos)
    }

    /// The node starting at the current line, which is indented by `indent`.
    fn block(&mut self, indent: usize) -> Option<Value> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return None;
        }
        let v = self.block_inner(indent);
        self.depth -= 1;
        v
    }

    fn block_inner(&mut self, indent: usize) -> Option<Value> {
        let line = self.peek()?;
        if line.indent != indent {
            return None;
        }
        let text = line.text;
        if is_seq_item(text) {
            self.seq(indent)
        } else if split_key(text).is_some() {
            self.map(indent, None)
        } else {
            // A lone scalar: one line only.
            self.pos += 1;
            if self.peek().is_some_and(|l| l.indent > indent) {
                return None;
            }
            inline(text)
        }
    }

    fn seq(&mut self, indent: usize) -> Option<Value> {
        let mut items = Vec::new();
        while let Some(line) = self.peek() {
            if line.indent < indent {
                break;
            }
            if line.indent > indent {
                return None;
            }
            if !is_seq_item(line.text) {
                break; // the enclosing mapping goes on
            }
            let text = line.text;
            self.pos += 1;
            let rest = text[1..].trim_start_matches(' ');
            if rest.is_empty() {
                // The item is the block below, or null.
                match self.peek() {
                    Some(next) if next.indent > indent => {
                        let child = next.indent;
                        items.push(self.block(child)?);
                    }
                    _ => items.push(Value::Null),
                }
                continue;
            }
            // `- key: value` opens a mapping whose entries line up with `key`.
            let column = indent + (text.len() - rest.len());
            if is_seq_item(rest) {
                return None;
            }
            if split_key(rest).is_some() {
                items.push(self.map(column, Some(rest))?);
            } else {
                if self.peek().is_some_and(|l| l.indent > indent) {
                    return None; // a multi-line scalar
                }
                items.push(inline(rest)?);
            }
        }
        Some(Value::Array(items))
    }

    /// A mapping at `indent`; `first` is its first entry when it shares a line with `- `.
    fn map(&mut self, indent: usize, first: Option<&'a str>) -> Option<Value> {
        let mut out = Map::new();
        let mut pending = first;
        loop {
            let text = match pending.take() {
                Some(t) => t,
                None => match self.peek() {
                    Some(l) if l.indent == indent => {
                        let t = l.text;
                        self.pos += 1;
                        t
                    }
                    Some(l) if l.indent > indent => return None,
                    _ => break,
                },
            };
            let (key, rest) = split_key(text)?;
            let value = if rest.is_empty() {
                match self.peek() {
                    Some(next) if next.indent > indent => {
                        let child = next.indent;
                        self.block(child)?
                    }
                    // A sequence may sit at the key's own indentation.
                    Some(next) if next.indent == indent && is_seq_item(next.text) => {
                        self.seq(indent)?
                    }
                    _ => Value::Null,
                }
            } else {
                if self.peek().is_some_and(|l| l.indent > indent) {
                    return None; // a multi-line scalar
                }
                inline(rest)?
            };
            if out.insert(key, value).is_some() {
                return None; // duplicate key: the full parser reports it
            }
        }
        Some(Value::Object(out))
    }
}

fn is_seq_item(text: &str) -> bool {
    text == "-" || text.starts_with("- ")
}

/// `key: rest` or `key:` with a plain key; the key as the full parser names it.
fn split_key(text: &str) -> Option<(String, &str)> {
    let first = *text.as_bytes().first()?;
    if bad_start(first) {
        return None;
    }
    let (key, rest) = match text.find(": ") {
        Some(i) => (&text[..i], text[i + 2..].trim_start_matches(' ')),
        None => (text.strip_suffix(':')?, ""),
    };
    if key.is_empty() || key.ends_with(' ') || key.contains(": ") || key.ends_with(':') {
        return None;
    }
    let kind = scalar_kind(key, ScalarStyle::Plain, false);
    let name = match kind {
        NodeKind::Str(s) => s,
        NodeKind::Null => "null".to_string(),
        NodeKind::Bool(b) => b.to_string(),
        NodeKind::Int(i) => i.to_string(),
        NodeKind::Float(f) => f.to_string(),
        NodeKind::Seq(_) | NodeKind::Map(_) => return None,
    };
    Some((name, rest))
}

/// A scalar or flow collection that makes up the rest of a line.
fn inline(text: &str) -> Option<Value> {
    let mut s = Scan {
        text,
        pos: 0,
        depth: 0,
    };
    let v = match text.as_bytes().first()? {
        b'"' => s.quoted()?,
        b'[' | b'{' => s.flow()?,
        &c if bad_start(c) => return None,
        _ => {
            if text.contains(": ") || text.ends_with(':') {
                return None;
            }
            s.pos = text.len();
            plain(text)
        }
    };
    s.skip_spaces();
    (s.pos == text.len()).then_some(v)
}

fn plain(text: &str) -> Value {
    kind_json(scalar_kind(text, ScalarStyle::Plain, false))
}

fn kind_json(kind: NodeKind) -> Value {
    match kind {
        NodeKind::Null => Value::Null,
        NodeKind::Bool(b) => Value::Bool(b),
        NodeKind::Int(i) => Value::from(i),
        NodeKind::Float(f) => serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number),
        NodeKind::Str(s) => Value::String(s),
        NodeKind::Seq(_) | NodeKind::Map(_) => Value::Null,
    }
}

struct Scan<'a> {
    text: &'a str,
    pos: usize,
    depth: usize,
}

impl Scan<'_> {
    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.pos).copied()
    }

    fn skip_spaces(&mut self) {
        while self.peek() == Some(b' ') {
            self.pos += 1;
        }
    }

    /// A double-quoted scalar with JSON escapes only.
    fn quoted(&mut self) -> Option<Value> {
        let bytes = self.text.as_bytes();
        let start = self.pos + 1;
        let mut i = start;
        let mut out = String::new();
        let mut from = start;
        loop {
            match *bytes.get(i)? {
                b'"' => break,
                b'\\' => {
                    out.push_str(&self.text[from..i]);
                    let c = match *bytes.get(i + 1)? {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'n' => '\n',
                        b't' => '\t',
                        b'r' => '\r',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'u' => {
                            let hex = self.text.get(i + 2..i + 6)?;
                            if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                                return None;
                            }
                            let code = u32::from_str_radix(hex, 16).ok()?;
                            i += 4;
                            char::from_u32(code)? // surrogates: left to the full parser
                        }
                        _ => return None,
                    };
                    out.push(c);
                    i += 2;
                    from = i;
                }
                _ => i += 1,
            }
        }
        out.push_str(&self.text[from..i]);
        self.pos = i + 1;
        Some(Value::String(out))
    }

    /// A flow sequence or mapping that closes on this line.
    fn flow(&mut self) -> Option<Value> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return None;
        }
        let v = self.flow_inner();
        self.depth -= 1;
        v
    }

    fn flow_inner(&mut self) -> Option<Value> {
        let open = self.peek()?;
        self.pos += 1;
        let close = if open == b'[' { b']' } else { b'}' };
        let mut items = Vec::new();
        let mut map = Map::new();
        self.skip_spaces();
        if self.peek() == Some(close) {
            self.pos += 1;
            return Some(if open == b'[' {
                Value::Array(items)
            } else {
                Value::Object(map)
            });
        }
        loop {
            self.skip_spaces();
            if open == b'[' {
                items.push(self.flow_node(false)?);
            } else {
                let quoted_key = self.peek() == Some(b'"');
                let key = match self.flow_node(true)? {
                    Value::String(s) if quoted_key => s,
                    Value::String(s) => s,
                    Value::Null => "null".to_string(),
                    Value::Bool(b) => b.to_string(),
                    Value::Number(n) if n.is_i64() => n.to_string(),
                    _ => return None,
                };
                self.skip_spaces();
                if self.peek() != Some(b':') {
                    return None;
                }
                self.pos += 1;
                // After a plain key, `:` must be followed by a space (else it is part of it).
                if !quoted_key && self.peek() != Some(b' ') {
                    return None;
                }
                self.skip_spaces();
                let value = self.flow_node(false)?;
                if map.insert(key, value).is_some() {
                    return None;
                }
            }
            self.skip_spaces();
            match self.peek()? {
                b',' => {
                    self.pos += 1;
                    self.skip_spaces();
                    if self.peek() == Some(close) {
                        return None; // trailing comma: leave to the full parser
                    }
                }
                c if c == close => {
                    self.pos += 1;
                    break;
                }
                _ => return None,
            }
        }
        Some(if open == b'[' {
            Value::Array(items)
        } else {
            Value::Object(map)
        })
    }

    /// One item of a flow collection (`key` true: a mapping key, which ends at `:`).
    fn flow_node(&mut self, key: bool) -> Option<Value> {
        match self.peek()? {
            b'"' => self.quoted(),
            b'[' | b'{' if !key => self.flow(),
            c if bad_start(c) => None,
            _ => {
                let bytes = self.text.as_bytes();
                let start = self.pos;
                let mut end = start;
                while let Some(&c) = bytes.get(end) {
                    if matches!(c, b',' | b']' | b'}' | b'[' | b'{') {
                        break;
                    }
                    if c == b':' {
                        // `: ` (or `:` before a flow indicator or the end) ends a plain key.
                        match bytes.get(end + 1) {
                            None | Some(b' ' | b',' | b']' | b'}' | b'[' | b'{') => break,
                            _ => {}
                        }
                    }
                    end += 1;
                }
                if matches!(bytes.get(end), Some(b'[' | b'{')) {
                    return None;
                }
                let word = self.text[start..end].trim_end_matches(' ');
                if word.is_empty() || (!key && bytes.get(end) == Some(&b':')) {
                    return None;
                }
                self.pos = start + word.len();
                Some(plain(word))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn full(text: &str) -> Option<Value> {
        crate::yaml::parse("t", text)
            .ok()
            .map(crate::yaml::Node::into_json)
    }

    #[test]
    fn fast_path_agrees_with_the_full_parser() {
        let fast = [
            "a: 1\nb: x\n",
            "name: db-1\nlabels:\n  app.kubernetes.io/name: postgres\n  k: \"v\\u003c\\n\"\n",
            "- apiVersion: v1\n  kind: Secret\n  metadata:\n    labels: {\"a\":\"b\",\"c\":1}\n  data:\n    - x\n    -\n    - y: [1, \"two\", three, {k: v}]\n- z\n",
            "key:\n- a\n- b\nother: ~\n",
            "x: postgres:17.5\ny: http://a:8080/x\nw: 0x1F\nv: 1e3\nu: 2024-01-01\n",
            "list: [ALL, NET BIND]\nempty: {}\nnone: []\nt: true\nn: null\nf: 1.5\n",
            "\"quoted\"\n",
            "  indented: 1\n  second: [a, b]\n",
            "1: one\ntrue: yes\n2.5: float key\n",
            "cmd: [\"CMD\", \"pg_isready\", \"-U\", \"user_x\"]\n",
            "a:\n  b:\n    c:\n      - d: 1\n        e: 2\n      - f\n",
        ];
        for t in fast {
            let v = to_json(t);
            assert!(v.is_some(), "expected the fast path for {t:?}");
            assert_eq!(v, full(t), "{t:?}");
        }
        let slow = [
            "a: 1 # comment\n",
            "a: &x 1\nb: *x\n",
            "a: |\n  text\n",
            "a: 'single'\n",
            "a: b\na: c\n",
            "a: multi\n  line\n",
            "---\na: 1\n",
            "a: !!str 1\n",
            "a:\tb\n",
            "a: [1,\n  2]\n",
            "a: \"x\" y\n",
            "? a\n: b\n",
            "a: [b, ]\n",
            "- - a\n",
            "a: \"\\ud83d\\ude00\"\n",
            "a:\n  - b\n c: d\n",
            "z: -.inf\n",
        ];
        for t in slow {
            if let Some(v) = to_json(t) {
                assert_eq!(Some(v), full(t), "{t:?}");
            }
        }
    }
}
