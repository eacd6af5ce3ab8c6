//! A YAML (and JSON, a YAML subset) loader that keeps a byte span for every node.
//!
//! Built directly on `saphyr-parser` events so that we control the hostile cases ourselves:
//! duplicate keys, alias bombs, pathological nesting and multi-document files.

use std::collections::HashMap;

pub(crate) mod fast;

use saphyr_parser::{Event, Parser, ScalarStyle, ScanError};

use crate::diagnostic::Diagnostic;
use crate::source::{SourceFile, Span};

/// Largest input accepted, in bytes; Score files are a few KiB.
pub const MAX_FILE_BYTES: usize = 8 * 1024 * 1024;
/// Deepest nesting accepted.
pub const MAX_DEPTH: usize = 128;
/// Most nodes a document may expand to, counting alias copies (stops "billion laughs").
pub const MAX_NODES: usize = 1_000_000;

/// The bounds of one parse.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest input, in bytes.
    pub bytes: usize,
    /// Deepest nesting.
    pub depth: usize,
    /// Most nodes beyond one per byte of input: a document without aliases has fewer nodes
    /// than bytes, so this is what alias copies may add.
    pub extra_nodes: usize,
}

impl Limits {
    /// Score files, overrides and provisioner files ([`MAX_FILE_BYTES`], [`MAX_DEPTH`],
    /// [`MAX_NODES`] in all).
    pub const INPUT: Limits = Limits {
        bytes: MAX_FILE_BYTES,
        depth: MAX_DEPTH,
        extra_nodes: 0,
    };

    /// The most nodes a text of `len` bytes may expand to.
    fn nodes(&self, len: usize) -> usize {
        if self.extra_nodes == 0 {
            MAX_NODES
        } else {
            len.saturating_add(self.extra_nodes)
        }
    }
}

/// A YAML node with its location.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// The value.
    pub kind: NodeKind,
    /// Where it stands in the source.
    pub span: Span,
}

/// The value of a [`Node`]; scalars are typed with the YAML 1.2 core schema.
#[derive(Debug, Clone, PartialEq)]
pub enum NodeKind {
    /// `null`, `~` or nothing.
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// An integer that fits `i64`.
    Int(i64),
    /// Any other number.
    Float(f64),
    /// A string.
    Str(String),
    /// A sequence.
    Seq(Vec<Node>),
    /// A mapping, in source order; keys are unique.
    Map(Vec<(Node, Node)>),
}

impl Node {
    /// The mapping entry for `key`, as (key node, value node).
    pub fn entry(&self, key: &str) -> Option<(&Node, &Node)> {
        match &self.kind {
            NodeKind::Map(entries) => entries
                .iter()
                .find(|(k, _)| k.key_string().as_deref() == Some(key))
                .map(|(k, v)| (k, v)),
            _ => None,
        }
    }

    /// The value for `key` in a mapping.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entry(key).map(|(_, v)| v)
    }

    /// The string value, if this is a string scalar.
    pub fn as_str(&self) -> Option<&str> {
        match &self.kind {
            NodeKind::Str(s) => Some(s),
            _ => None,
        }
    }

    /// [`Node::key_string`] without copying string keys.
    fn key_text(&self) -> Option<std::borrow::Cow<'_, str>> {
        match &self.kind {
            NodeKind::Str(s) => Some(std::borrow::Cow::Borrowed(s)),
            _ => self.key_string().map(std::borrow::Cow::Owned),
        }
    }

    /// [`Node::to_json`], consuming the tree (strings move instead of being copied).
    pub fn into_json(self) -> serde_json::Value {
        use serde_json::Value;
        match self.kind {
            NodeKind::Str(s) => Value::String(s),
            NodeKind::Seq(items) => Value::Array(items.into_iter().map(Node::into_json).collect()),
            NodeKind::Map(entries) => Value::Object(
                entries
                    .into_iter()
                    .map(|(k, v)| {
                        let key = match k.kind {
                            NodeKind::Str(s) => s,
                            _ => k.key_string().unwrap_or_default(),
                        };
                        (key, v.into_json())
                    })
                    .collect(),
            ),
            _ => self.to_json(),
        }
    }

    /// A scalar rendered as a mapping key (JSON object keys are strings).
    pub fn key_string(&self) -> Option<String> {
        Some(match &self.kind {
            NodeKind::Null => "null".to_string(),
            NodeKind::Bool(b) => b.to_string(),
            NodeKind::Int(i) => i.to_string(),
            NodeKind::Float(f) => f.to_string(),
            NodeKind::Str(s) => s.clone(),
            NodeKind::Seq(_) | NodeKind::Map(_) => return None,
        })
    }

    /// A short name of the node's type, for messages.
    pub fn type_name(&self) -> &'static str {
        match self.kind {
            NodeKind::Null => "null",
            NodeKind::Bool(_) => "boolean",
            NodeKind::Int(_) | NodeKind::Float(_) => "number",
            NodeKind::Str(_) => "string",
            NodeKind::Seq(_) => "list",
            NodeKind::Map(_) => "mapping",
        }
    }

    /// Follow a path of keys / list indexes. Returns the key node of the last step (if it was a
    /// mapping key) and the value node.
    pub fn lookup<'a, S: AsRef<str>>(&'a self, path: &[S]) -> Option<(Option<&'a Node>, &'a Node)> {
        let mut key = None;
        let mut node = self;
        for seg in path {
            let seg = seg.as_ref();
            match &node.kind {
                NodeKind::Map(_) => {
                    let (k, v) = node.entry(seg)?;
                    key = Some(k);
                    node = v;
                }
                NodeKind::Seq(items) => {
                    node = items.get(seg.parse::<usize>().ok()?)?;
                    key = None;
                }
                _ => return None,
            }
        }
        Some((key, node))
    }

    /// How deeply collections nest in this node (a scalar is 0, `{a: 1}` is 1). Iterative: a
    /// tree built by edits (overrides) may be deeper than a parse would allow.
    pub fn depth(&self) -> usize {
        let mut deepest = 0;
        let mut stack = vec![(self, 0)];
        while let Some((node, depth)) = stack.pop() {
            let children: Box<dyn Iterator<Item = &Node>> = match &node.kind {
                NodeKind::Seq(items) => Box::new(items.iter()),
                NodeKind::Map(entries) => Box::new(entries.iter().map(|(_, v)| v)),
                _ => continue,
            };
            deepest = deepest.max(depth + 1);
            stack.extend(children.map(|c| (c, depth + 1)));
        }
        deepest
    }

    /// Convert to JSON (mapping keys become strings).
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value;
        match &self.kind {
            NodeKind::Null => Value::Null,
            NodeKind::Bool(b) => Value::Bool(*b),
            NodeKind::Int(i) => Value::from(*i),
            NodeKind::Float(f) => {
                serde_json::Number::from_f64(*f).map_or(Value::Null, Value::Number)
            }
            NodeKind::Str(s) => Value::String(s.clone()),
            NodeKind::Seq(items) => Value::Array(items.iter().map(Node::to_json).collect()),
            NodeKind::Map(entries) => Value::Object(
                entries
                    .iter()
                    .map(|(k, v)| {
                        let key = match &k.kind {
                            NodeKind::Str(s) => s.clone(),
                            _ => k.key_string().unwrap_or_default(),
                        };
                        (key, v.to_json())
                    })
                    .collect(),
            ),
        }
    }

    fn count(&self) -> usize {
        1 + match &self.kind {
            NodeKind::Seq(items) => items.iter().map(Node::count).sum(),
            NodeKind::Map(entries) => entries.iter().map(|(k, v)| k.count() + v.count()).sum(),
            _ => 0,
        }
    }
}

/// Parse `text` (YAML or JSON) holding exactly one document.
///
/// ```
/// let root = score_core::yaml::parse("score.yaml", "metadata:\n  name: web\n").unwrap();
/// let name = root.lookup(&["metadata", "name"]).unwrap().1;
/// assert_eq!(name.as_str(), Some("web"));
/// assert_eq!(name.span.start, 18); // byte offset of `web`
/// ```
pub fn parse(name: &str, text: &str) -> Result<Node, Box<Diagnostic>> {
    parse_source(&SourceFile::new(name, text))
}

/// Parse a [`SourceFile`] holding exactly one document.
pub fn parse_source(src: &SourceFile) -> Result<Node, Box<Diagnostic>> {
    if src.text().len() > MAX_FILE_BYTES {
        return Err(Box::new(too_large(src)));
    }
    Builder::new(src, Limits::INPUT).run()
}

/// [`parse_source`] within other `limits` (the state's, which are larger); the caller checks
/// the size.
pub fn parse_source_within(src: &SourceFile, limits: Limits) -> Result<Node, Box<Diagnostic>> {
    if src.text().len() > limits.bytes {
        return Err(Box::new(
            Diagnostic::error(
                "score::parse::too_large",
                format!("file is larger than the limit of {} bytes", limits.bytes),
            )
            .with_source(src),
        ));
    }
    Builder::new(src, limits).run()
}

/// The diagnostic for an input over [`MAX_FILE_BYTES`].
pub(crate) fn too_large(src: &SourceFile) -> Diagnostic {
    Diagnostic::error(
        "score::parse::too_large",
        format!("file is larger than the limit of {MAX_FILE_BYTES} bytes"),
    )
    .with_source(src)
    .with_help("a Score file describes one workload; move large content into a file `source`")
}

/// Converts saphyr's character indexes into byte offsets.
struct Offsets {
    /// Byte offset of each char, only built for non-ASCII text.
    table: Option<Vec<usize>>,
    len: usize,
}

impl Offsets {
    fn new(text: &str) -> Self {
        let table = (!text.is_ascii()).then(|| text.char_indices().map(|(i, _)| i).collect());
        Offsets {
            table,
            len: text.len(),
        }
    }

    fn byte(&self, char_index: usize) -> usize {
        match &self.table {
            None => char_index.min(self.len),
            Some(t) => t.get(char_index).copied().unwrap_or(self.len),
        }
    }
}

enum Frame {
    Seq {
        items: Vec<Node>,
        start: usize,
        anchor: usize,
    },
    Map {
        entries: Vec<(Node, Node)>,
        key: Option<Node>,
        /// Keys seen so far, built only for large mappings (small ones are scanned).
        seen: Option<HashMap<String, Span>>,
        start: usize,
        anchor: usize,
    },
}

struct Builder<'s> {
    src: &'s SourceFile,
    max_depth: usize,
    max_nodes: usize,
    offsets: Offsets,
    stack: Vec<Frame>,
    anchors: HashMap<usize, Node>,
    nodes: usize,
    root: Option<Node>,
    documents: usize,
}

impl<'s> Builder<'s> {
    fn new(src: &'s SourceFile, limits: Limits) -> Self {
        Builder {
            src,
            max_depth: limits.depth,
            max_nodes: limits.nodes(src.text().len()),
            offsets: Offsets::new(src.text()),
            stack: Vec::new(),
            anchors: HashMap::new(),
            nodes: 0,
            root: None,
            documents: 0,
        }
    }

    fn span(&self, s: &saphyr_parser::Span) -> Span {
        Span::new(
            self.offsets.byte(s.start.index()),
            self.offsets.byte(s.end.index()),
        )
    }

    fn error(
        &self,
        code: &str,
        span: Span,
        msg: impl Into<String>,
        label: &str,
    ) -> Box<Diagnostic> {
        Box::new(Diagnostic::error(code, msg).with_label(self.src, span, label))
    }

    fn run(mut self) -> Result<Node, Box<Diagnostic>> {
        let mut parser = Parser::new_from_str(self.src.text());
        while let Some(ev) = parser.next_event() {
            let (event, span) = ev.map_err(|e| self.scan_error(&e))?;
            let span = self.span(&span);
            self.event(event, span)?;
        }
        // A document holding nothing (`---` alone) is as empty as no document at all.
        let root = self.root.take().filter(|r| {
            r.kind != NodeKind::Null
                || !r.span.range().is_empty() && !self.src.text()[r.span.range()].trim().is_empty()
        });
        root.ok_or_else(|| {
            Box::new(
                Diagnostic::error("score::parse::empty", "the file is empty")
                    .with_label(self.src, Span::new(0, 0), "expected a Score workload here")
                    .with_help("a Score file starts with `apiVersion: score.dev/v1b1`"),
            )
        })
    }

    fn scan_error(&self, e: &ScanError) -> Box<Diagnostic> {
        let at = self.offsets.byte(e.marker().index());
        let end = self.src.text()[at..]
            .chars()
            .next()
            .map_or(at, |c| at + c.len_utf8());
        // saphyr bounds flow nesting itself; report it like our own depth limit.
        let code = if e.info().contains("recursion limit") {
            "score::parse::too_deep"
        } else {
            "score::parse::syntax"
        };
        let mut d = Diagnostic::error(code, format!("invalid YAML: {}", e.info())).with_label(
            self.src,
            Span::new(at, end),
            "here",
        );
        if self
            .src
            .text()
            .lines()
            .any(|l| l.trim_start_matches(' ').starts_with('\t'))
        {
            d = d.with_help("YAML indentation must use spaces, not tabs");
        }
        Box::new(d)
    }

    fn event(&mut self, event: Event<'_>, span: Span) -> Result<(), Box<Diagnostic>> {
        match event {
            Event::DocumentStart(_) => {
                self.documents += 1;
                if self.documents > 1 {
                    let d = self.error(
                        "score::parse::multiple_documents",
                        span,
                        "the file holds more than one YAML document",
                        "a second document starts here",
                    );
                    return Err(Box::new(d.with_help("put each workload in its own file")));
                }
            }
            Event::Scalar(value, style, anchor, tag) => {
                let is_str_tag = tag.as_ref().is_some_and(|t| t.suffix == "str");
                let kind = scalar_kind(&value, style, is_str_tag);
                self.complete(Node { kind, span }, anchor)?;
            }
            Event::SequenceStart(anchor, _) => self.push(
                Frame::Seq {
                    items: Vec::new(),
                    start: span.start,
                    anchor,
                },
                span,
            )?,
            Event::MappingStart(anchor, _) => self.push(
                Frame::Map {
                    entries: Vec::new(),
                    key: None,
                    seen: None,
                    start: span.start,
                    anchor,
                },
                span,
            )?,
            Event::SequenceEnd | Event::MappingEnd => self.pop(span)?,
            Event::Alias(id) => {
                let node = self.anchors.get(&id).cloned().ok_or_else(|| {
                    self.error(
                        "score::parse::alias",
                        span,
                        "alias to an unknown anchor",
                        "unknown anchor",
                    )
                })?;
                self.nodes += node.count();
                self.complete(
                    Node {
                        kind: node.kind,
                        span,
                    },
                    0,
                )?;
            }
            Event::Nothing | Event::StreamStart | Event::StreamEnd | Event::DocumentEnd => {}
        }
        Ok(())
    }

    fn push(&mut self, frame: Frame, span: Span) -> Result<(), Box<Diagnostic>> {
        if self.stack.len() >= self.max_depth {
            return Err(self.error(
                "score::parse::too_deep",
                span,
                format!("nesting is deeper than {} levels", self.max_depth),
                "too deep",
            ));
        }
        self.stack.push(frame);
        Ok(())
    }

    fn pop(&mut self, end: Span) -> Result<(), Box<Diagnostic>> {
        let Some(frame) = self.stack.pop() else {
            return Ok(());
        };
        let (kind, start, anchor) = match frame {
            Frame::Seq {
                items,
                start,
                anchor,
            } => (NodeKind::Seq(items), start, anchor),
            Frame::Map {
                entries,
                start,
                anchor,
                ..
            } => (NodeKind::Map(entries), start, anchor),
        };
        self.complete(
            Node {
                kind,
                span: Span::new(start, end.end.max(start)),
            },
            anchor,
        )
    }

    fn complete(&mut self, node: Node, anchor: usize) -> Result<(), Box<Diagnostic>> {
        self.nodes += 1;
        if self.nodes > self.max_nodes {
            return Err(self
                .error(
                    "score::parse::too_many_nodes",
                    node.span,
                    format!("the document expands to more than {} nodes", self.max_nodes),
                    "expansion limit reached here",
                )
                .with_help("this looks like an alias bomb; remove the nested aliases")
                .into());
        }
        if anchor != 0 {
            self.anchors.insert(anchor, node.clone());
        }
        let src = self.src;
        match self.stack.last_mut() {
            None => self.root = Some(node),
            Some(Frame::Seq { items, .. }) => items.push(node),
            Some(Frame::Map {
                key: key @ None, ..
            }) => *key = Some(node),
            Some(Frame::Map {
                entries, key, seen, ..
            }) => {
                let k = key.take().expect("matched Some above");
                let Some(name) = k.key_text() else {
                    return Err(Box::new(
                        Diagnostic::error(
                            "score::parse::complex_key",
                            "mapping keys must be plain values",
                        )
                        .with_label(
                            src,
                            k.span,
                            "a list or mapping used as a key",
                        ),
                    ));
                };
                // Mappings are small: scanning them beats hashing (and copying) every key.
                const SCAN_LIMIT: usize = 16;
                let first = match seen {
                    Some(seen) => seen.insert(name.to_string(), k.span),
                    None => {
                        let first = entries
                            .iter()
                            .find(|(e, _)| e.key_text().is_some_and(|t| t == name))
                            .map(|(e, _)| e.span);
                        if first.is_none() && entries.len() + 1 >= SCAN_LIMIT {
                            let mut map: HashMap<String, Span> = entries
                                .iter()
                                .filter_map(|(e, _)| Some((e.key_string()?, e.span)))
                                .collect();
                            map.insert(name.to_string(), k.span);
                            *seen = Some(map);
                        }
                        first
                    }
                };
                if let Some(first) = first {
                    return Err(Box::new(
                        Diagnostic::error(
                            "score::parse::duplicate_key",
                            format!("duplicate key `{name}`"),
                        )
                        .with_label(src, k.span, "defined again here")
                        .with_label(src, first, "first defined here")
                        .with_help("remove one of the two entries"),
                    ));
                }
                drop(name);
                entries.push((k, node));
            }
        }
        Ok(())
    }
}

/// Type a scalar with the YAML 1.2 core schema (only plain scalars are typed).
fn scalar_kind(value: &str, style: ScalarStyle, force_str: bool) -> NodeKind {
    if style != ScalarStyle::Plain || force_str {
        return NodeKind::Str(value.to_string());
    }
    // Most plain scalars are words: nothing but null, true and false (in their spellings)
    // starts with a letter, so any other letter makes a string.
    if let Some(c) = value.as_bytes().first() {
        if c.is_ascii_alphabetic() && !b"nNtTfF".contains(c) {
            return NodeKind::Str(value.to_string());
        }
    }
    match value {
        "" | "~" | "null" | "Null" | "NULL" => return NodeKind::Null,
        "true" | "True" | "TRUE" => return NodeKind::Bool(true),
        "false" | "False" | "FALSE" => return NodeKind::Bool(false),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => {
            return NodeKind::Float(f64::INFINITY)
        }
        "-.inf" | "-.Inf" | "-.INF" => return NodeKind::Float(f64::NEG_INFINITY),
        ".nan" | ".NaN" | ".NAN" => return NodeKind::Float(f64::NAN),
        _ => {}
    }
    if let Some(n) = parse_int(value) {
        return n;
    }
    if is_float(value) {
        if let Ok(f) = value.parse::<f64>() {
            return NodeKind::Float(f);
        }
    }
    NodeKind::Str(value.to_string())
}

fn parse_int(v: &str) -> Option<NodeKind> {
    let radix = |p: &str, r| i64::from_str_radix(p, r).ok().map(NodeKind::Int);
    if let Some(oct) = v.strip_prefix("0o") {
        return radix(oct, 8);
    }
    if let Some(hex) = v.strip_prefix("0x") {
        return radix(hex, 16);
    }
    let digits = v.strip_prefix(['-', '+']).unwrap_or(v);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(v.parse::<i64>().map_or_else(
        |_| NodeKind::Float(v.parse().unwrap_or(f64::NAN)),
        NodeKind::Int,
    ))
}

fn is_float(v: &str) -> bool {
    let v = v.strip_prefix(['-', '+']).unwrap_or(v);
    let (mantissa, exp) = match v.find(['e', 'E']) {
        Some(i) => (&v[..i], Some(&v[i + 1..])),
        None => (v, None),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    let mantissa_ok = digits(int) && digits(frac) && (!int.is_empty() || !frac.is_empty());
    let exp_ok = exp.is_none_or(|e| {
        let e = e.strip_prefix(['-', '+']).unwrap_or(e);
        !e.is_empty() && digits(e)
    });
    mantissa_ok && exp_ok && (mantissa.contains('.') || exp.is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(text: &str) -> NodeKind {
        parse("t.yaml", &format!("v: {text}\n"))
            .unwrap()
            .get("v")
            .unwrap()
            .kind
            .clone()
    }

    #[test]
    fn scalars_follow_the_core_schema() {
        assert_eq!(kind("8080"), NodeKind::Int(8080));
        assert_eq!(kind("\"8080\""), NodeKind::Str("8080".into()));
        assert_eq!(kind("0644"), NodeKind::Int(644));
        assert_eq!(kind("0o644"), NodeKind::Int(0o644));
        assert_eq!(kind("1.5"), NodeKind::Float(1.5));
        assert_eq!(kind("true"), NodeKind::Bool(true));
        assert_eq!(kind("yes"), NodeKind::Str("yes".into()));
        assert_eq!(kind("~"), NodeKind::Null);
        assert_eq!(kind("500m"), NodeKind::Str("500m".into()));
        assert_eq!(kind("!!str 12"), NodeKind::Str("12".into()));
        assert_eq!(kind("1e3"), NodeKind::Float(1000.0));
        assert_eq!(kind("."), NodeKind::Str(".".into()));
    }

    #[test]
    fn spans_are_byte_offsets_even_after_unicode() {
        let text = "a: \"héllo\"\nb: x\n";
        let root = parse("t.yaml", text).unwrap();
        let b = root.get("b").unwrap();
        assert_eq!(&text[b.span.range()], "x");
    }

    #[test]
    fn duplicate_keys_point_at_both() {
        let err = parse("t.yaml", "a: 1\nb: 2\na: 3\n").unwrap_err();
        assert_eq!(err.code, "score::parse::duplicate_key");
        assert_eq!(err.location(), Some((3, 1)));
        assert_eq!(err.labels.len(), 2);
    }

    #[test]
    fn multiple_documents_are_rejected() {
        let err = parse("t.yaml", "a: 1\n---\nb: 2\n").unwrap_err();
        assert_eq!(err.code, "score::parse::multiple_documents");
    }

    #[test]
    fn empty_input_is_rejected() {
        assert_eq!(parse("t.yaml", "").unwrap_err().code, "score::parse::empty");
        assert_eq!(
            parse("t.yaml", "# only a comment\n").unwrap_err().code,
            "score::parse::empty"
        );
    }

    #[test]
    fn aliases_expand_within_budget() {
        let root = parse("t.yaml", "a: &x {k: v}\nb: *x\n").unwrap();
        assert_eq!(root.get("b").unwrap().get("k").unwrap().as_str(), Some("v"));
    }

    #[test]
    fn alias_bomb_is_stopped() {
        let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..10 {
            let prev = format!("*a{}", i - 1);
            text.push_str(&format!("a{i}: &a{i} [{}]\n", vec![prev; 10].join(", ")));
        }
        assert_eq!(
            parse("t.yaml", &text).unwrap_err().code,
            "score::parse::too_many_nodes"
        );
    }

    #[test]
    fn deep_nesting_is_stopped() {
        let text = "[".repeat(10_000) + &"]".repeat(10_000);
        assert_eq!(
            parse("t.yaml", &text).unwrap_err().code,
            "score::parse::too_deep"
        );
        let block: String = (0..1_000)
            .map(|i| format!("{}k:\n", " ".repeat(i)))
            .collect();
        assert_eq!(
            parse("t.yaml", &block).unwrap_err().code,
            "score::parse::too_deep"
        );
    }

    #[test]
    fn json_is_accepted() {
        let root = parse("t.json", r#"{"a": [1, "b", null], "c": {"d": true}}"#).unwrap();
        assert_eq!(
            root.to_json(),
            serde_json::json!({"a": [1, "b", null], "c": {"d": true}})
        );
    }
}
