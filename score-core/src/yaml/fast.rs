//! A fast path for the YAML that Score files and provisioner templates are written in: block
//! mappings and sequences, one-line plain and quoted scalars, literal and folded block scalars,
//! one-line flow collections and comments, straight to a [`Node`] tree.
//!
//! The full parser (saphyr's scanner under [`super::Builder`]) spends about 275 instructions
//! per byte of a Score file; this one under a third of that. Anything outside the subset — anchors, aliases, tags,
//! directives, multi-line plain, quoted or flow scalars, tabs, `\r`, explicit keys, block
//! scalars with indentation indicators or `+` chomping, duplicate keys, unusual indentation —
//! makes [`parse`] return `None` and the caller uses the full parser, which also reports every
//! error. Within the subset the values equal the full parser's (debug builds check each one).
//!
//! Spans cover each node's own text but do not follow saphyr's conventions (saphyr stretches a
//! scalar's span over a trailing comment, a block scalar's over the blank lines after it), so
//! a caller that reports diagnostics takes its spans from the full parser
//! (see [`crate::load::load_source`]).

use std::collections::HashSet;

use saphyr_parser::ScalarStyle;

use super::{scalar_kind, Node, NodeKind};
use crate::source::Span;

/// Larger inputs go to the full parser. Score files and rendered templates are a few KiB; the
/// bound keeps the line table of a hostile input (a file of newlines) to a few MiB, and without
/// aliases a document this size stays far below [`super::MAX_NODES`], so the fast path needs
/// no node budget of its own.
const MAX_BYTES: usize = 256 << 10;
/// Deeper nesting is left to the full parser (which enforces its own limit).
const MAX_DEPTH: usize = 64;
/// YAML limits implicit keys to 1024 characters.
const MAX_KEY_LEN: usize = 1024;

/// The document as a tree, or `None` when it is not in the fast subset.
pub(crate) fn parse(text: &str) -> Option<Node> {
    let node = parse_unchecked(text);
    #[cfg(debug_assertions)]
    if let Some(fast) = &node {
        let full = super::parse("fast-path check", text).unwrap_or_else(|e| {
            panic!(
                "fast path accepted what the full parser rejects ({}): {text:?}",
                e.message
            )
        });
        assert!(
            same_value(fast, &full),
            "fast path disagrees with the full parser on {text:?}:\nfast: {fast:?}\nfull: {full:?}"
        );
    }
    node
}

fn parse_unchecked(text: &str) -> Option<Node> {
    if text.len() > MAX_BYTES {
        return None;
    }
    let mut p = Parser {
        lines: lines(text)?,
        pos: 0,
        depth: 0,
    };
    let first = p.peek()?;
    let node = p.block(first.indent)?;
    p.peek().is_none().then_some(node)
}

/// Whether a non-ASCII text holds none of the characters the full parser has rules (and errors)
/// for: control characters, byte order marks, Unicode line separators.
fn plain_unicode(text: &str) -> bool {
    text.chars().all(|c| {
        c.is_ascii()
            || !c.is_control()
                && !matches!(
                    c,
                    '\u{feff}' | '\u{2028}' | '\u{2029}' | '\u{fffe}' | '\u{ffff}'
                )
    })
}

/// One line of the input.
#[derive(Clone, Copy)]
struct Line<'a> {
    /// Byte offset of its first character.
    start: usize,
    /// Leading spaces (all of them, for a line of spaces only).
    indent: usize,
    /// The rest, trailing spaces removed (empty for a blank line).
    text: &'a str,
    /// The line as written, without its `\n`.
    raw: &'a str,
    /// Whether a `\n` ends it.
    newline: bool,
}

impl Line<'_> {
    /// Blank and comment-only lines carry nothing outside block scalars.
    fn is_content(&self) -> bool {
        !self.text.is_empty() && !self.text.starts_with('#')
    }

    /// Byte offset of `text`.
    fn text_start(&self) -> usize {
        self.start + self.indent
    }
}

/// The lines of `text`; `None` for tabs, carriage returns and other control characters, a
/// directive, or a document marker other than one `---` before everything else.
fn lines(text: &str) -> Option<Vec<Line<'_>>> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len() / 24 + 1);
    let mut start = 0;
    let mut content_seen = false;
    let mut ascii = true;
    loop {
        // One pass finds the line's end and refuses control characters.
        let mut end = start;
        while let Some(&b) = bytes.get(end) {
            if b == b'\n' {
                break;
            }
            if b < 0x20 || b == 0x7f {
                return None;
            }
            ascii &= b < 0x80;
            end += 1;
        }
        let raw = &text[start..end];
        let rest = raw.trim_start_matches(' ');
        let indent = raw.len() - rest.len();
        let mut content = rest.trim_end_matches(' ');
        if indent == 0 && is_marker(content) {
            if content_seen || content != "---" {
                return None;
            }
            content = ""; // the opening `---` carries nothing
        } else if indent == 0 && content.starts_with('%') {
            return None; // a directive
        }
        content_seen |=
            (!content.is_empty() && !content.starts_with('#')) || raw.starts_with("---");
        out.push(Line {
            start,
            indent,
            text: content,
            raw,
            newline: end < bytes.len(),
        });
        if end >= bytes.len() {
            break;
        }
        start = end + 1;
    }
    (ascii || plain_unicode(text)).then_some(out)
}

/// `---` or `...` alone or before a space: a document marker.
fn is_marker(text: &str) -> bool {
    (text.starts_with("---") || text.starts_with("..."))
        && matches!(text.as_bytes().get(3), None | Some(b' '))
}

struct Parser<'a> {
    lines: Vec<Line<'a>>,
    pos: usize,
    depth: usize,
}

impl<'a> Parser<'a> {
    /// The next line with content, skipping blank and comment lines.
    fn peek(&mut self) -> Option<Line<'a>> {
        while let Some(line) = self.lines.get(self.pos) {
            if line.is_content() {
                return Some(*line);
            }
            self.pos += 1;
        }
        None
    }

    fn enter(&mut self) -> Option<()> {
        self.depth += 1;
        (self.depth <= MAX_DEPTH).then_some(())
    }

    /// The node whose first line is the current one, indented by `indent`.
    fn block(&mut self, indent: usize) -> Option<Node> {
        self.enter()?;
        let line = self.peek()?;
        if line.indent != indent {
            return None;
        }
        let node = if is_seq_item(line.text) {
            self.seq(indent)
        } else if let Some(first) = split_key(line.text, line.text_start()) {
            self.pos += 1;
            self.map(indent, first)
        } else {
            // A lone scalar or flow collection, on one line.
            self.pos += 1;
            let node = inline(line.text, line.text_start())?;
            self.ends_here(indent, node)
        };
        self.depth -= 1;
        node
    }

    /// `node` unless the next content line is indented deeper than `parent` (a multi-line
    /// scalar, or a mapping where none may start).
    fn ends_here(&mut self, parent: usize, node: Node) -> Option<Node> {
        match self.peek() {
            Some(next) if next.indent > parent => None,
            _ => Some(node),
        }
    }

    fn seq(&mut self, indent: usize) -> Option<Node> {
        let mut items = Vec::new();
        let start = self.peek()?.text_start();
        let mut end = start;
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
            self.pos += 1;
            let rest = line.text[1..].trim_start_matches(' ');
            let rest_at = line.text_start() + (line.text.len() - rest.len());
            let item = if rest.is_empty() || rest.starts_with('#') {
                // The item is the block below, or null.
                match self.peek() {
                    Some(next) if next.indent > indent => self.block(next.indent)?,
                    _ => null_at(line.text_start() + 1),
                }
            } else if is_seq_item(rest) {
                return None; // `- - a`
            } else if let Some(first) = split_key(rest, rest_at) {
                // `- key: value` opens a mapping whose entries line up with `key`.
                self.enter()?;
                let map = self.map(rest_at - line.start, first)?;
                self.depth -= 1;
                map
            } else {
                self.value(rest, rest_at, indent)?
            };
            end = item.span.end;
            items.push(item);
        }
        Some(Node {
            kind: NodeKind::Seq(items),
            span: Span::new(start, end),
        })
    }

    /// A mapping at `indent` whose first entry (already split off its line) is `first`.
    fn map(&mut self, indent: usize, first: Entry<'a>) -> Option<Node> {
        let mut entries: Vec<(Node, Node)> = Vec::new();
        let mut keys = Keys::default();
        let mut next = Some(first);
        while let Some((key, rest, rest_at)) = next.take() {
            let value = if rest.is_empty() || rest.starts_with('#') {
                match self.peek() {
                    Some(next) if next.indent > indent => self.block(next.indent)?,
                    // A sequence may sit at the key's own indentation.
                    Some(next) if next.indent == indent && is_seq_item(next.text) => {
                        self.enter()?;
                        let seq = self.seq(indent)?;
                        self.depth -= 1;
                        seq
                    }
                    _ => null_at(rest_at),
                }
            } else {
                self.value(rest, rest_at, indent)?
            };
            if keys.is_duplicate(&entries, &key) {
                return None; // the full parser reports it
            }
            entries.push((key, value));
            next = match self.peek() {
                Some(l) if l.indent == indent => {
                    self.pos += 1;
                    Some(split_key(l.text, l.text_start())?)
                }
                Some(l) if l.indent > indent => return None,
                _ => None,
            };
        }
        let start = entries.first()?.0.span.start;
        let end = entries.last().map_or(start, |(_, v)| v.span.end);
        Some(Node {
            kind: NodeKind::Map(entries),
            span: Span::new(start, end),
        })
    }

    /// The value that makes up the rest of a line (after `key: ` or `- `) at offset `at`, in a
    /// collection indented by `parent`: a block scalar, or an inline scalar or flow collection.
    fn value(&mut self, text: &'a str, at: usize, parent: usize) -> Option<Node> {
        if text.starts_with(['|', '>']) {
            return self.block_scalar(text, at, parent);
        }
        let node = inline(text, at)?;
        self.ends_here(parent, node)
    }

    /// A literal (`|`) or folded (`>`) scalar whose header `header` stands at `at`; its content
    /// is on the following lines, indented deeper than `parent`.
    fn block_scalar(&mut self, header: &str, at: usize, parent: usize) -> Option<Node> {
        let folded = header.starts_with('>');
        let (strip, after) = match header.as_bytes().get(1) {
            Some(b'-') => (true, &header[2..]),
            Some(b' ') | None => (false, &header[1..]),
            _ => return None, // `+` chomping, an indentation indicator, or no space before `#`
        };
        let rest = after.trim_start_matches(' ');
        if !(rest.is_empty() || rest.starts_with('#') && after.starts_with(' ')) {
            return None;
        }
        // The first line with text sets the indentation; blank lines before it must not be
        // indented deeper (the full parser has rules for that).
        let first = self.lines[self.pos..]
            .iter()
            .position(|l| !l.text.is_empty())?
            + self.pos;
        let n = self.lines[first].indent;
        if n <= parent {
            return None; // an empty scalar
        }
        let mut content: Vec<&str> = Vec::new();
        let mut last = None;
        let mut i = self.pos;
        while let Some(line) = self.lines.get(i) {
            if line.text.is_empty() {
                if line.indent > n {
                    return None; // spaces beyond the indentation are content
                }
                content.push("");
            } else if line.indent >= n {
                content.push(&line.raw[n..]);
                last = Some(i);
            } else {
                break;
            }
            i += 1;
        }
        let last = last?;
        if !self.lines[last].newline {
            return None; // the last line break is missing: left to the full parser
        }
        content.truncate(last - self.pos + 1);
        let end = self.lines[last].start + self.lines[last].raw.len();
        self.pos = last + 1;
        let mut value = if folded {
            fold(&content)?
        } else {
            content.join("\n")
        };
        if !strip {
            value.push('\n');
        }
        Some(Node {
            kind: NodeKind::Str(value),
            span: Span::new(at, end),
        })
    }
}

/// Folded content: a single line break between two lines becomes a space, `k` blank lines
/// become `k` line breaks. More-indented lines, leading blank lines and trailing spaces keep
/// their breaks under rules of their own: the full parser handles them.
fn fold(lines: &[&str]) -> Option<String> {
    let mut out = String::new();
    let mut blanks = 0;
    for (i, line) in lines.iter().enumerate() {
        if line.is_empty() {
            if i == 0 {
                return None;
            }
            blanks += 1;
            continue;
        }
        if line.starts_with(' ') || line.ends_with(' ') {
            return None;
        }
        if i > 0 {
            match blanks {
                0 => out.push(' '),
                k => out.extend(std::iter::repeat_n('\n', k)),
            }
        }
        out.push_str(line);
        blanks = 0;
    }
    Some(out)
}

fn null_at(at: usize) -> Node {
    Node {
        kind: NodeKind::Null,
        span: Span::new(at, at),
    }
}

fn is_seq_item(text: &str) -> bool {
    text == "-" || text.starts_with("- ")
}

/// Spots duplicate keys of one mapping: by scanning its entries while they are few, through a
/// hash set once they are many.
#[derive(Default)]
struct Keys {
    many: Option<HashSet<String>>,
}

impl Keys {
    /// Whether `key` is among `entries` (the mapping so far) or no scalar.
    fn is_duplicate(&mut self, entries: &[(Node, Node)], key: &Node) -> bool {
        const SCAN_LIMIT: usize = 16;
        let Some(name) = key.key_text() else {
            return true;
        };
        if let Some(many) = &mut self.many {
            return !many.insert(name.into_owned());
        }
        if entries
            .iter()
            .any(|(k, _)| k.key_text() == Some(name.clone()))
        {
            return true;
        }
        if entries.len() + 1 >= SCAN_LIMIT {
            let mut many: HashSet<String> =
                entries.iter().filter_map(|(k, _)| k.key_string()).collect();
            many.insert(name.into_owned());
            self.many = Some(many);
        }
        false
    }
}

/// A mapping entry split off its line: the key, the rest of the line and the rest's offset.
type Entry<'a> = (Node, &'a str, usize);

/// `key: rest` or `key:` on a line at offset `at`: the key node, the rest (leading spaces
/// removed) and the rest's offset.
fn split_key(text: &str, at: usize) -> Option<Entry<'_>> {
    let (key, after) = match text.as_bytes().first()? {
        b'"' | b'\'' => {
            let mut s = Scan::new(text, at);
            let key = s.quoted()?;
            // YAML limits an implicit key to 1024 characters, quotes included; the full parser
            // reports a longer one (issue 15, item 16: this path accepted it).
            if s.pos > MAX_KEY_LEN {
                return None;
            }
            (key, &text[s.pos..])
        }
        _ if !plain_start(text) => return None,
        _ => {
            let i = plain_key_end(text)?;
            let name = &text[..i];
            if name.ends_with(' ') || name.len() > MAX_KEY_LEN {
                return None;
            }
            let key = Node {
                kind: scalar_kind(name, ScalarStyle::Plain, false),
                span: Span::new(at, at + i),
            };
            (key, &text[i..])
        }
    };
    let after = after.strip_prefix(':')?;
    if !(after.is_empty() || after.starts_with(' ')) {
        return None;
    }
    let rest = after.trim_start_matches(' ');
    Some((key, rest, at + (text.len() - rest.len())))
}

/// Where a plain key ends: at the first `: ` or a final `:`. `None` when there is none, or the
/// key holds what the subset leaves to the full parser (a comment, flow indicators, quotes).
fn plain_key_end(text: &str) -> Option<usize> {
    let b = text.as_bytes();
    for (i, &c) in b.iter().enumerate() {
        match c {
            b':' if b.get(i + 1).is_none_or(|&n| n == b' ') => return Some(i),
            b'#' if i > 0 && b[i - 1] == b' ' => return None,
            b'[' | b']' | b'{' | b'}' | b',' | b'"' | b'\'' => return None,
            _ => {}
        }
    }
    None
}

/// Characters that may not start a plain scalar (or key) in this subset. YAML allows `-`, `?`
/// and `:` before a non-space; only `-` is common (`-1`, `--port=80`) and taken.
fn bad_start(c: u8) -> bool {
    b"?:,[]{}#&*!|>'\"%@`".contains(&c)
}

/// Whether `text` may start a plain scalar.
fn plain_start(text: &str) -> bool {
    match text.as_bytes() {
        [] => false,
        [b'-'] => false,
        [b'-', next, ..] => *next != b' ',
        [c, ..] => !bad_start(*c),
    }
}

/// A scalar or flow collection that makes up the rest of a line (a comment may follow).
fn inline(text: &str, at: usize) -> Option<Node> {
    let mut s = Scan::new(text, at);
    let node = match text.as_bytes().first()? {
        b'"' | b'\'' => s.quoted()?,
        b'[' | b'{' => s.flow()?,
        _ if plain_start(text) => {
            // A plain scalar runs to the end of the line or to a comment; `: ` or a final `:`
            // would open a mapping where none may start.
            let b = text.as_bytes();
            let mut len = b.len();
            for (i, &c) in b.iter().enumerate() {
                match c {
                    b'#' if i > 0 && b[i - 1] == b' ' => {
                        len = i;
                        break;
                    }
                    b':' if b.get(i + 1).is_none_or(|&n| n == b' ') => return None,
                    _ => {}
                }
            }
            let word = text[..len].trim_end_matches(' ');
            s.pos = word.len();
            Node {
                kind: scalar_kind(word, ScalarStyle::Plain, false),
                span: Span::new(at, at + word.len()),
            }
        }
        _ => return None,
    };
    s.end_of_line().then_some(node)
}

/// A cursor over one line.
struct Scan<'a> {
    text: &'a str,
    /// Offset of `text` in the source.
    at: usize,
    pos: usize,
    depth: usize,
}

impl<'a> Scan<'a> {
    fn new(text: &'a str, at: usize) -> Self {
        Scan {
            text,
            at,
            pos: 0,
            depth: 0,
        }
    }

    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.pos).copied()
    }

    fn skip_spaces(&mut self) {
        while self.peek() == Some(b' ') {
            self.pos += 1;
        }
    }

    /// Nothing but spaces and a comment left.
    fn end_of_line(&mut self) -> bool {
        let before = self.pos;
        self.skip_spaces();
        match self.peek() {
            None => true,
            Some(b'#') => self.pos > before,
            Some(_) => false,
        }
    }

    fn span(&self, start: usize) -> Span {
        Span::new(self.at + start, self.at + self.pos)
    }

    /// A single- or double-quoted scalar that closes on this line.
    fn quoted(&mut self) -> Option<Node> {
        let start = self.pos;
        let value = if self.peek()? == b'\'' {
            self.single()?
        } else {
            self.double()?
        };
        Some(Node {
            kind: NodeKind::Str(value),
            span: self.span(start),
        })
    }

    /// `'…'`, where `''` stands for one quote.
    fn single(&mut self) -> Option<String> {
        let bytes = self.text.as_bytes();
        let mut out = String::new();
        let mut from = self.pos + 1;
        let mut i = from;
        loop {
            if *bytes.get(i)? == b'\'' {
                out.push_str(&self.text[from..i]);
                if bytes.get(i + 1) == Some(&b'\'') {
                    out.push('\'');
                    i += 2;
                    from = i;
                    continue;
                }
                self.pos = i + 1;
                return Some(out);
            }
            i += 1;
        }
    }

    /// `"…"` with the escapes JSON knows; YAML's others are left to the full parser.
    fn double(&mut self) -> Option<String> {
        let bytes = self.text.as_bytes();
        let mut out = String::new();
        let mut from = self.pos + 1;
        let mut i = from;
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
                            i += 4;
                            // Surrogate pairs: left to the full parser.
                            char::from_u32(u32::from_str_radix(hex, 16).ok()?)?
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
        Some(out)
    }

    /// A flow sequence or mapping that closes on this line.
    fn flow(&mut self) -> Option<Node> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return None;
        }
        let node = self.flow_inner();
        self.depth -= 1;
        node
    }

    fn flow_inner(&mut self) -> Option<Node> {
        let start = self.pos;
        let open = self.peek()?;
        self.pos += 1;
        let close = if open == b'[' { b']' } else { b'}' };
        let mut items = Vec::new();
        let mut entries = Vec::new();
        let mut keys = Keys::default();
        self.skip_spaces();
        if self.peek() == Some(close) {
            self.pos += 1;
        } else {
            loop {
                self.skip_spaces();
                if open == b'[' {
                    items.push(self.flow_node(false)?);
                } else {
                    let quoted = matches!(self.peek(), Some(b'"' | b'\''));
                    let key = self.flow_node(true)?;
                    if matches!(key.kind, NodeKind::Seq(_) | NodeKind::Map(_)) {
                        return None;
                    }
                    self.skip_spaces();
                    if self.peek() != Some(b':') {
                        return None; // `{a}` and other shapes: full parser
                    }
                    self.pos += 1;
                    // After a plain key, `:` must be followed by a space (else it is part of it).
                    if !quoted && self.peek() != Some(b' ') {
                        return None;
                    }
                    self.skip_spaces();
                    let value = self.flow_node(false)?;
                    if keys.is_duplicate(&entries, &key) {
                        return None;
                    }
                    entries.push((key, value));
                }
                self.skip_spaces();
                match self.peek()? {
                    b',' => {
                        self.pos += 1;
                        self.skip_spaces();
                        if self.peek() == Some(close) {
                            return None; // a trailing comma: full parser
                        }
                    }
                    c if c == close => {
                        self.pos += 1;
                        break;
                    }
                    _ => return None,
                }
            }
        }
        let kind = if open == b'[' {
            NodeKind::Seq(items)
        } else {
            NodeKind::Map(entries)
        };
        Some(Node {
            kind,
            span: self.span(start),
        })
    }

    /// One item of a flow collection (`key`: a mapping key, which ends at `:`).
    fn flow_node(&mut self, key: bool) -> Option<Node> {
        match self.peek()? {
            b'"' | b'\'' => self.quoted(),
            b'[' | b'{' if !key => self.flow(),
            _ if plain_start(&self.text[self.pos..]) => {
                let bytes = self.text.as_bytes();
                let start = self.pos;
                let mut end = start;
                while let Some(&c) = bytes.get(end) {
                    match c {
                        b',' | b']' | b'}' | b'[' | b'{' => break,
                        // `: ` (or `:` before a flow indicator or the end) ends a plain key.
                        b':' if matches!(
                            bytes.get(end + 1),
                            None | Some(b' ' | b',' | b']' | b'}' | b'[' | b'{')
                        ) =>
                        {
                            break
                        }
                        b'#' if bytes[end - 1] == b' ' => return None, // a comment inside
                        _ => end += 1,
                    }
                }
                if matches!(bytes.get(end), Some(b'[' | b'{')) {
                    return None;
                }
                let word = self.text[start..end].trim_end_matches(' ');
                if word.is_empty() || (!key && bytes.get(end) == Some(&b':')) {
                    return None;
                }
                self.pos = start + word.len();
                Some(Node {
                    kind: scalar_kind(word, ScalarStyle::Plain, false),
                    span: self.span(start),
                })
            }
            _ => None,
        }
    }
}

/// Whether two trees hold the same values (spans aside; NaN equals NaN).
#[cfg(any(test, debug_assertions))]
pub(crate) fn same_value(a: &Node, b: &Node) -> bool {
    match (&a.kind, &b.kind) {
        (NodeKind::Float(x), NodeKind::Float(y)) => {
            x.to_bits() == y.to_bits() || x.is_nan() && y.is_nan()
        }
        (NodeKind::Seq(x), NodeKind::Seq(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same_value(a, b))
        }
        (NodeKind::Map(x), NodeKind::Map(y)) => {
            x.len() == y.len()
                && x.iter()
                    .zip(y)
                    .all(|((ka, va), (kb, vb))| same_value(ka, kb) && same_value(va, vb))
        }
        (x, y) => x == y,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_rng::Lcg;

    /// The fast path takes `text` (and, being a debug build, checked it against the full parser).
    fn fast(text: &str) -> Node {
        parse(text).unwrap_or_else(|| panic!("expected the fast path for {text:?}"))
    }

    #[test]
    fn takes_the_shapes_score_files_use() {
        let cases = [
            "a: 1\nb: x\n",
            "apiVersion: score.dev/v1b1\nmetadata:\n  name: web # the name\n",
            "# leading comment\n\n---\na: 1\n",
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
            "a: 'it''s'\nb: \"#not a comment\"\nc: a#b\nd: x # y\n",
            "args:\n  - --port=9898\n  - -c\n  - -1\n",
            "z: -.inf\nn: .nan\n",
            "'quoted key': 1\n\"other\": [ 'a', \"b\" ] # c\n",
            "a:\n  # comment\n  b: 1\n\n  c: 2\n",
            "content: |\n  line one\n    indented\n\n  # not a comment\nnext: 1\n",
            "a: |-\n  x\n  y\n\n\nb: >\n  folded\n  text\n\n  para\nc: >-\n  f\n",
            "- |\n  in a list\n- k: |\n    in a map in a list\n  j: 2\n",
            "a: | # comment\n  x\n",
            "a:\n  - x\n  - y\nb: 1",
            "- a\n- - b\n",
        ];
        for text in &cases[..cases.len() - 1] {
            fast(text);
        }
        assert!(parse(cases[cases.len() - 1]).is_none());
    }

    #[test]
    fn block_scalar_values() {
        let v = |t: &str| fast(t).get("a").unwrap().as_str().unwrap().to_string();
        assert_eq!(v("a: |\n  x\n   y\n\n  z\n\n"), "x\n y\n\nz\n");
        assert_eq!(v("a: |-\n  x\n"), "x");
        assert_eq!(v("a: >\n  x\n  y\n\n\n  z\n"), "x y\n\nz\n");
        assert_eq!(v("a: |\n  # kept\n"), "# kept\n");
    }

    #[test]
    fn leaves_the_rest_to_the_full_parser() {
        let slow = [
            "",
            "# only a comment\n",
            "a: &x 1\nb: *x\n",
            "a: b\na: c\n",
            "a: multi\n  line\n",
            "a: 1\n---\nb: 2\n",
            "a: 1\n...\n",
            "%YAML 1.2\n---\na: 1\n",
            "a: !!str 1\n",
            "a:\tb\n",
            "a: 1\r\nb: 2\r\n",
            "a: [1,\n  2]\n",
            "a: \"x\" y\n",
            "a: \"open\n  close\"\n",
            "? a\n: b\n",
            "a: [b, ]\n",
            "a: \"\\ud83d\\ude00\"\n",
            "a: \"\\x41\"\n",
            "a:\n  - b\n c: d\n",
            "a: b: c\n",
            "a: |+\n  x\n",
            "a: |2\n  x\n",
            "a: |\n  x",
            "a: |\n\n     deeper blank first\n  x\n",
            "a: >\n  x\n    more indented\n",
            "a: {b}\n",
            "a: [x #c\n",
            "\u{feff}a: 1\n",
            "a: 1\n  b: 2\n",
            "a:\n- b\n  - c\n",
        ];
        for text in slow {
            assert!(
                parse(text).is_none(),
                "{text:?} should go to the full parser"
            );
        }
    }

    /// Issue 15, item 16: a quoted key of 1,025 characters passed here, though YAML (and the
    /// full parser) limit implicit keys to 1,024.
    #[test]
    fn long_keys_go_to_the_full_parser() {
        for quote in ["\"", "'"] {
            let ok = format!("{quote}{}{quote}: 1\n", "k".repeat(1022));
            assert!(parse(&ok).is_some(), "1,024 characters with the quotes");
            let long = format!("{quote}{}{quote}: 1\n", "k".repeat(1023));
            assert!(parse(&long).is_none());
            assert!(crate::yaml::parse("t.yaml", &long).is_err());
        }
        let plain = format!("{}: 1\n", "k".repeat(1025));
        assert!(parse(&plain).is_none());
    }

    #[test]
    fn depth_is_bounded() {
        let text = "[".repeat(100) + &"]".repeat(100);
        assert!(parse(&text).is_none());
        let block: String = (0..100).map(|i| format!("{}k:\n", " ".repeat(i))).collect();
        assert!(parse(&block).is_none());
    }

    #[test]
    fn spans_cover_the_tokens() {
        let text = "a: \"q\" # c\nb:\n  - x\n";
        let root = fast(text);
        let a = root.get("a").unwrap();
        assert_eq!(&text[a.span.range()], "\"q\"");
        let (k, _) = root.entry("b").unwrap();
        assert_eq!(&text[k.span.range()], "b");
        let x = &root.lookup(&["b", "0"]).unwrap().1;
        assert_eq!(&text[x.span.range()], "x");
    }

    /// Every YAML file below `dirs`.
    fn yaml_files(dirs: &[std::path::PathBuf]) -> Vec<(String, String)> {
        fn below(dir: &std::path::Path, out: &mut Vec<(String, String)>) {
            let Ok(entries) = std::fs::read_dir(dir) else {
                return;
            };
            let mut paths: Vec<_> = entries.filter_map(|e| Some(e.ok()?.path())).collect();
            paths.sort();
            for path in paths {
                if path.is_dir() {
                    below(&path, out);
                } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
                    if let Ok(text) = std::fs::read_to_string(&path) {
                        out.push((path.display().to_string(), text));
                    }
                }
            }
        }
        let mut out = Vec::new();
        for dir in dirs {
            below(dir, &mut out);
        }
        out
    }

    /// Every YAML file of the repository's fixtures and provisioners.
    fn sample_files() -> Vec<(String, String)> {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let dirs = ["fixtures", "score-compose", "score-k8s", "score-terraform"];
        yaml_files(&dirs.map(|d| root.join(d)))
    }

    /// The upstream corpus and spec examples under `../shared` (or `$SCORE_RS_SHARED`), as
    /// `testing/prereq.rs` finds them for the integration tests; fails when they are absent.
    fn shared_files() -> Vec<(String, String)> {
        let shared = std::env::var_os("SCORE_RS_SHARED").map_or_else(
            || std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared"),
            std::path::PathBuf::from,
        );
        let dirs = [shared.join("corpus/upstream"), shared.join("spec")];
        for dir in &dirs {
            assert!(dir.is_dir(), "this test needs {}", dir.display());
        }
        yaml_files(&dirs)
    }

    /// `None`, or the same values as the full parser, which must accept the text.
    fn agrees(text: &str) -> Result<bool, String> {
        let Some(fast) = parse_unchecked(text) else {
            return Ok(false);
        };
        match crate::yaml::parse("t", text) {
            Ok(full) if same_value(&fast, &full) => Ok(true),
            Ok(full) => Err(format!("{text:?}\nfast: {fast:?}\nfull: {full:?}")),
            Err(e) => Err(format!(
                "{text:?}: fast path took it, full parser says {}",
                e.message
            )),
        }
    }

    /// How many checked documents the fast path took.
    #[derive(Default)]
    struct Tally {
        fast: usize,
        total: usize,
    }

    impl Tally {
        /// Check `text` against the full parser; a disagreement fails the test, naming `what`.
        fn check(&mut self, text: &str, what: &str) {
            self.total += 1;
            match agrees(text) {
                Ok(took) => self.fast += usize::from(took),
                Err(e) => panic!("{what}: {e}"),
            }
        }

        /// A fast path that gave up on nearly everything would pass every check without
        /// testing anything: it must take more than one in `n` of the `what`.
        fn took_more_than_one_in(&self, n: usize, what: &str) {
            let (fast, total) = (self.fast, self.total);
            eprintln!("fast path took {fast} of {total} {what}");
            assert!(
                fast * n > total,
                "fast path took only {fast} of {total} {what}"
            );
        }
    }

    /// The fast path agrees with the full parser on `files`, and takes every Score file among
    /// them (not templates, not deliberately broken ones, not `slow_ok`).
    fn agrees_and_takes_score_files(files: &[(String, String)], slow_ok: &[&str]) {
        let mut slow = Vec::new();
        for (name, text) in files {
            match agrees(text) {
                Ok(true) => {}
                Ok(false) => slow.push(name.as_str()),
                Err(e) => panic!("{name}: {e}"),
            }
        }
        let score_files_slow: Vec<_> = slow
            .iter()
            .filter(|n| {
                !n.contains("/invalid/")
                    && !n.contains("provisioners")
                    && !n.contains("deprecated")
                    && !slow_ok.iter().any(|ok| n.ends_with(ok))
            })
            .collect();
        assert!(
            score_files_slow.is_empty(),
            "full parser needed for {score_files_slow:#?}"
        );
    }

    #[test]
    fn agrees_with_the_full_parser_on_every_sample_and_takes_score_files() {
        let files = sample_files();
        assert!(files.len() > 100, "only {} sample files", files.len());
        agrees_and_takes_score_files(&files, &[]);
    }

    #[test]
    #[ignore = "needs ../shared (or SCORE_RS_SHARED); CI runs it with --include-ignored"]
    fn agrees_with_the_full_parser_on_the_shared_corpus_and_takes_score_files() {
        let files = shared_files();
        assert!(files.len() > 80, "only {} corpus files", files.len());
        // One upstream example spreads a flow sequence over several lines.
        agrees_and_takes_score_files(&files, &["14-elasticsearch/score.yaml"]);
    }

    /// Mutants per sample file (`SCORE_RS_FAST_MUTANTS` raises it for a longer hunt).
    fn mutants_per_file() -> usize {
        std::env::var("SCORE_RS_FAST_MUTANTS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(40)
    }

    /// Small deterministic edits of every sample: indentation, markers, quotes, comments.
    #[test]
    fn agrees_with_the_full_parser_on_mutants() {
        agrees_on_mutants_of(&sample_files());
    }

    #[test]
    #[ignore = "needs ../shared (or SCORE_RS_SHARED); CI runs it with --include-ignored"]
    fn agrees_with_the_full_parser_on_mutants_of_the_shared_corpus() {
        agrees_on_mutants_of(&shared_files());
    }

    fn agrees_on_mutants_of(files: &[(String, String)]) {
        const EDITS: [&str; 20] = [
            " ", "  ", "- ", "-", ":", ": ", "#", " #", "'", "\"", "|", ">", "|-", "[", "]", "{",
            "}", ",", "\n", "---\n",
        ];
        let mut rng = Lcg(0x5eed);
        let mut next = |n: usize| rng.below(n);
        let mut tally = Tally::default();
        for (name, text) in files {
            for _ in 0..mutants_per_file() {
                let mut t = text.clone();
                for _ in 0..1 + next(2) {
                    let mut at = next(t.len() + 1);
                    while !t.is_char_boundary(at) {
                        at -= 1;
                    }
                    match next(3) {
                        0 => t.insert_str(at, EDITS[next(EDITS.len())]),
                        1 if at < t.len() => {
                            let mut end = at + 1;
                            while !t.is_char_boundary(end) {
                                end += 1;
                            }
                            t.replace_range(at..end, "");
                        }
                        _ => {
                            // Re-indent the line holding `at`.
                            let line = t[..at].rfind('\n').map_or(0, |i| i + 1);
                            t.insert_str(line, if next(2) == 0 { " " } else { "  " });
                        }
                    }
                }
                tally.check(&t, &format!("mutant of {name}"));
            }
        }
        // Most edits keep a document inside the subset.
        tally.took_more_than_one_in(4, "mutants");
    }

    /// Random documents from YAML fragments: keys, list items, scalars of every style, block
    /// scalars with blank and deeper lines, comments, at random indentation.
    #[test]
    fn agrees_with_the_full_parser_on_random_documents() {
        const VALUES: [&str; 24] = [
            "",
            "x",
            "-1",
            "--flag",
            "a:b",
            "a #b",
            "a#b",
            "'q'",
            "'it''s'",
            "\"q\"",
            "\"\\n\\u00e9\"",
            "|",
            "|-",
            ">",
            ">-",
            "[a, b]",
            "{a: 1, 'b': [c]}",
            "[]",
            "~",
            "1.5",
            "0x1F",
            "true",
            "\"x\" # c",
            "http://h:80/p",
        ];
        const KEYS: [&str; 8] = ["a", "b", "1", "\"q k\"", "'s'", "-k", "a b", "null"];
        let mut rng = Lcg(0xfa57);
        let mut next = |n: usize| rng.below(n);
        let mut tally = Tally::default();
        for _ in 0..500 * mutants_per_file() {
            let mut doc = String::new();
            for _ in 0..1 + next(8) {
                let indent = " ".repeat(next(4) * (1 + next(2)));
                let line = match next(6) {
                    0 => format!("{indent}- {}", VALUES[next(VALUES.len())]),
                    1 => format!("{indent}-"),
                    2 => format!("{indent}# comment"),
                    3 => String::new(),
                    _ => format!(
                        "{indent}{}: {}",
                        KEYS[next(KEYS.len())],
                        VALUES[next(VALUES.len())]
                    ),
                };
                doc.push_str(line.trim_end());
                doc.push('\n');
            }
            tally.check(&doc, "random document");
        }
        tally.took_more_than_one_in(10, "random documents");
    }
}
