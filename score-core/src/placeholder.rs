//! Score placeholders: parsing and substituting `${...}` references.
//!
//! Syntax (the same as score-go, the library behind the reference tools):
//!
//! * `${ref}` is replaced by the value `ref` points at;
//! * `$$` yields `$`, and `$${...}` yields a literal `${...}` (its body is kept verbatim);
//! * a lone `$`, and a `${` with no closing `}`, stay as they are;
//! * a ref is a dot path; `\.` escapes a dot inside a key, e.g.
//!   `${metadata.annotations.example\.com/team}`;
//! * placeholders do not nest: a ref ends at the first `}`.
//!
//! Valid roots are `metadata.<key>[.<key>...]` and `resources.<name>[.<output>[.<key>...]]`.
//! Strings are inserted verbatim, other JSON values compact-JSON-encoded.
//!
//! ```
//! use std::collections::BTreeMap;
//! use serde_json::json;
//! use score_core::placeholder::{substitute, Context};
//!
//! let metadata = json!({ "name": "web" });
//! let mut resources = BTreeMap::new();
//! resources.insert("db".to_string(), json!({ "host": "db.local", "port": 5432 }));
//! let ctx = Context::new(&metadata, &resources);
//!
//! let out = substitute("${metadata.name} uses ${resources.db.host}:${resources.db.port}", &ctx);
//! assert_eq!(out.unwrap(), "web uses db.local:5432");
//! assert_eq!(substitute("cost: $$5, literal: $${metadata.name}", &ctx).unwrap(),
//!            "cost: $5, literal: ${metadata.name}");
//! assert!(substitute("${resources.cache.host}", &ctx).is_err());
//! ```

use std::collections::BTreeMap;
use std::ops::Range;

use serde_json::Value;

/// One piece of a parsed string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    /// Text copied to the output as is; escapes (`$$`, `$${...}`) are already resolved.
    Literal(String),
    /// A `${...}` reference to substitute.
    Placeholder(Placeholder),
}

/// A single `${...}` reference found in a string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placeholder {
    /// Unescaped path segments: `${resources.db.host}` -> `["resources", "db", "host"]`;
    /// `a\.b` -> `["a.b"]`.
    pub path: Vec<String>,
    /// The raw text between `${` and `}` (escapes kept), e.g. `resources.db.host`.
    pub raw: String,
    /// Byte range of the whole `${...}` inside the parsed input string.
    pub range: Range<usize>,
}

/// A string parsed into literal text and placeholders.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Template {
    /// The pieces in order; adjacent literals are merged and literals are never empty.
    pub segments: Vec<Segment>,
}

/// Errors found while parsing, each with the byte range (in the input string) of the
/// offending `${...}`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, miette::Diagnostic)]
pub enum PlaceholderError {
    /// `${}`: nothing to look up.
    #[error("empty placeholder '${{}}', use $$ to escape the substitution")]
    #[diagnostic(code(score::placeholder::empty))]
    Empty {
        /// Byte range of the `${}`.
        range: Range<usize>,
    },
    /// A ref with an empty key: `${a..b}`, `${.a}` or `${a.}`.
    #[error("invalid ref '{raw}': empty key (check for doubled, leading or trailing dots)")]
    #[diagnostic(code(score::placeholder::empty_segment))]
    EmptySegment {
        /// Byte range of the `${...}`.
        range: Range<usize>,
        /// The raw ref text between `${` and `}`.
        raw: String,
    },
}

impl PlaceholderError {
    /// Byte range of the offending `${...}` in the parsed string.
    pub fn range(&self) -> Range<usize> {
        match self {
            Self::Empty { range } | Self::EmptySegment { range, .. } => range.clone(),
        }
    }
}

/// Parse `input` into a [`Template`]; same as [`Template::parse`].
///
/// # Errors
/// See [`Template::parse`].
pub fn parse(input: &str) -> Result<Template, PlaceholderError> {
    Template::parse(input)
}

impl Template {
    /// Parse `input`, resolving `$` escapes and locating every `${...}`.
    ///
    /// # Errors
    /// [`PlaceholderError`] for `${}` or a ref with an empty key such as `${a..b}`.
    pub fn parse(input: &str) -> Result<Template, PlaceholderError> {
        let mut template = Template::default();
        let mut pos = 0;
        while let Some(offset) = input[pos..].find('$') {
            let dollar = pos + offset;
            template.push_literal(&input[pos..dollar]);
            pos = template.scan_dollar(input, dollar)?;
        }
        template.push_literal(&input[pos..]);
        Ok(template)
    }

    /// The placeholders, in order of appearance.
    pub fn placeholders(&self) -> impl Iterator<Item = &Placeholder> {
        self.segments.iter().filter_map(|s| match s {
            Segment::Placeholder(p) => Some(p),
            Segment::Literal(_) => None,
        })
    }

    /// Whether the string contains at least one placeholder.
    pub fn has_placeholders(&self) -> bool {
        self.placeholders().next().is_some()
    }

    /// Substitute every placeholder with what `resolve` returns: strings are inserted
    /// verbatim, other JSON values compact-JSON-encoded (see [`value_to_string`]).
    ///
    /// # Errors
    /// The first error `resolve` returns; later placeholders are not resolved.
    pub fn render<E>(
        &self,
        mut resolve: impl FnMut(&Placeholder) -> Result<Value, E>,
    ) -> Result<String, E> {
        let mut out = String::new();
        for segment in &self.segments {
            match segment {
                Segment::Literal(text) => out.push_str(text),
                Segment::Placeholder(p) => push_value(&mut out, &resolve(p)?),
            }
        }
        Ok(out)
    }

    /// Handle the `$` at byte `at`; returns where scanning resumes.
    fn scan_dollar(&mut self, input: &str, at: usize) -> Result<usize, PlaceholderError> {
        match input.as_bytes().get(at + 1) {
            Some(b'$') => Ok(self.scan_escape(input, at)),
            Some(b'{') => match closing_brace(input, at + 2) {
                Some(end) => {
                    let placeholder = Placeholder::parse_at(input, at..end)?;
                    self.segments.push(Segment::Placeholder(placeholder));
                    Ok(end)
                }
                // Unterminated `${`: keep the `$`; the rest holds no `}` so it stays literal.
                None => Ok(self.lone_dollar(at)),
            },
            _ => Ok(self.lone_dollar(at)),
        }
    }

    /// Handle `$$` at byte `at`. Like score-go, `$${...}` is one unit whose body is kept
    /// verbatim (so `$${a$$b}` -> `${a$$b}`); any other `$$` is just an escaped `$`.
    fn scan_escape(&mut self, input: &str, at: usize) -> usize {
        if input.as_bytes().get(at + 2) == Some(&b'{') {
            if let Some(end) = closing_brace(input, at + 3) {
                self.push_literal(&input[at + 1..end]);
                return end;
            }
        }
        self.push_literal("$");
        at + 2
    }

    fn lone_dollar(&mut self, at: usize) -> usize {
        self.push_literal("$");
        at + 1
    }

    /// Append literal text, merging with a preceding literal so callers see one run.
    fn push_literal(&mut self, text: &str) {
        if text.is_empty() {
            return;
        }
        match self.segments.last_mut() {
            Some(Segment::Literal(prev)) => prev.push_str(text),
            _ => self.segments.push(Segment::Literal(text.to_owned())),
        }
    }
}

/// Byte offset of the first `${` that is never closed (it stays literal text, which is rarely
/// what the author meant), skipping `$$` escapes the way [`Template::parse`] does.
///
/// ```
/// use score_core::placeholder::unclosed;
/// assert_eq!(unclosed("postgres://${resources.db.host:5432"), Some(11));
/// assert_eq!(unclosed("${metadata.name} costs $$5 and $${literal"), None);
/// ```
pub fn unclosed(input: &str) -> Option<usize> {
    let bytes = input.as_bytes();
    let mut pos = 0;
    while let Some(offset) = input[pos..].find('$') {
        let at = pos + offset;
        pos = match (bytes.get(at + 1), bytes.get(at + 2)) {
            (Some(b'$'), Some(b'{')) => closing_brace(input, at + 3).unwrap_or(at + 2),
            (Some(b'$'), _) => at + 2,
            (Some(b'{'), _) => match closing_brace(input, at + 2) {
                Some(end) => end,
                None => return Some(at),
            },
            _ => at + 1,
        };
    }
    None
}

/// Byte index just past the first `}` at or after `from`.
fn closing_brace(input: &str, from: usize) -> Option<usize> {
    input[from..].find('}').map(|i| from + i + 1)
}

impl Placeholder {
    /// Build the placeholder spanning `range` (`${` .. `}` inclusive) of `input`.
    fn parse_at(input: &str, range: Range<usize>) -> Result<Placeholder, PlaceholderError> {
        let raw = &input[range.start + 2..range.end - 1];
        if raw.is_empty() {
            return Err(PlaceholderError::Empty { range });
        }
        let path = split_ref(raw);
        if path.iter().any(String::is_empty) {
            let raw = raw.to_owned();
            return Err(PlaceholderError::EmptySegment { range, raw });
        }
        let raw = raw.to_owned();
        Ok(Placeholder { path, raw, range })
    }

    /// Classify the placeholder by its root (`metadata` or `resources`).
    ///
    /// # Errors
    /// [`RefError::UnknownRoot`], [`RefError::MetadataRootOnly`] or
    /// [`RefError::ResourceRootOnly`].
    pub fn root(&self) -> Result<RefRoot<'_>, RefError> {
        let raw = || self.raw.clone();
        match self.path.split_first() {
            Some((root, [])) if root == "metadata" => {
                Err(RefError::MetadataRootOnly { raw: raw() })
            }
            Some((root, keys)) if root == "metadata" => Ok(RefRoot::Metadata(keys)),
            Some((root, rest)) if root == "resources" => match rest.split_first() {
                Some((name, output)) => Ok(RefRoot::Resource { name, output }),
                None => Err(RefError::ResourceRootOnly { raw: raw() }),
            },
            _ => Err(RefError::UnknownRoot { raw: raw() }),
        }
    }
}

/// Split a raw ref on `.`, turning `\.` into a literal dot. A backslash not followed by a
/// dot is kept as is, so keys may contain `\`, `-`, `/` and any other character.
pub fn split_ref(raw: &str) -> Vec<String> {
    // Most refs hold no backslash: split them without building keys a character at a time.
    if !raw.contains('\\') {
        return raw.split('.').map(str::to_owned).collect();
    }
    let mut parts = vec![String::new()];
    let mut chars = raw.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek() == Some(&'.') => {
                chars.next();
                push_char(&mut parts, '.');
            }
            '.' => parts.push(String::new()),
            c => push_char(&mut parts, c),
        }
    }
    parts
}

fn push_char(parts: &mut [String], c: char) {
    if let Some(last) = parts.last_mut() {
        last.push(c);
    }
}

/// Escape `text` so that parsing it yields `text` again (no placeholders): every `$`
/// becomes `$$`, except that a `${body}` becomes `$${body}` with the body copied as is,
/// because the parser keeps the body of `$${...}` verbatim.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut pos = 0;
    while let Some(offset) = text[pos..].find('$') {
        let dollar = pos + offset;
        out.push_str(&text[pos..dollar]);
        out.push_str("$$");
        pos = dollar + 1;
        if text.as_bytes().get(pos) == Some(&b'{') {
            if let Some(end) = closing_brace(text, pos + 1) {
                out.push_str(&text[pos..end]);
                pos = end;
            }
        }
    }
    out.push_str(&text[pos..]);
    out
}

/// How a value is written into a string: strings verbatim, anything else as compact JSON
/// (`5432` -> `5432`, `{"a":1}`, `null`), as score-go does.
pub fn value_to_string(value: &Value) -> String {
    let mut out = String::new();
    push_value(&mut out, value);
    out
}

fn push_value(out: &mut String, value: &Value) {
    match value {
        Value::String(s) => out.push_str(s),
        // `Value`'s Display is compact JSON and cannot fail.
        other => out.push_str(&other.to_string()),
    }
}

/// What a placeholder refers to, by root.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefRoot<'a> {
    /// `${metadata.<key>...}`: the keys after `metadata` (never empty).
    Metadata(&'a [String]),
    /// `${resources.<name>[.<output>...]}`.
    Resource {
        /// The resource name as declared in the workload.
        name: &'a str,
        /// Output keys after the name; empty when the ref means the resource itself
        /// (e.g. a volume `source: ${resources.data}`).
        output: &'a [String],
    },
}

/// Errors resolving a placeholder against workload metadata and resource outputs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, miette::Diagnostic)]
pub enum RefError {
    /// The first path segment is neither `metadata` nor `resources`.
    #[error("unknown reference root in '${{{raw}}}', use $$ to escape the substitution")]
    #[diagnostic(
        code(score::placeholder::unknown_root),
        help("placeholders start with 'metadata.' or 'resources.'; write $${{...}} for a literal ${{...}}")
    )]
    UnknownRoot {
        /// The raw ref text between `${` and `}`.
        raw: String,
    },
    /// `${resources.<name>...}` names a resource the context does not know.
    #[error("no known resource '{name}'")]
    #[diagnostic(code(score::placeholder::no_such_resource))]
    NoSuchResource {
        /// The raw ref text.
        raw: String,
        /// The unknown resource name.
        name: String,
    },
    /// A map has no such key, or an array index is out of range.
    #[error("invalid ref '{raw}': key '{key}' not found")]
    #[diagnostic(code(score::placeholder::key_not_found))]
    KeyNotFound {
        /// The raw ref text.
        raw: String,
        /// The (unescaped) key that was looked up.
        key: String,
    },
    /// The path continues past a scalar (or uses a non-numeric key on an array).
    #[error("invalid ref '{raw}': cannot index into a non-map value at '{key}'")]
    #[diagnostic(code(score::placeholder::not_a_map))]
    NotAMap {
        /// The raw ref text.
        raw: String,
        /// The (unescaped) key that could not be applied.
        key: String,
    },
    /// `${metadata}` without a key.
    #[error("invalid ref '{raw}': requires at least a metadata key to lookup")]
    #[diagnostic(code(score::placeholder::metadata_root_only))]
    MetadataRootOnly {
        /// The raw ref text.
        raw: String,
    },
    /// `${resources}` without a resource name.
    #[error("invalid ref '{raw}': requires at least a resource name to lookup")]
    #[diagnostic(code(score::placeholder::resource_root_only))]
    ResourceRootOnly {
        /// The raw ref text.
        raw: String,
    },
}

/// Walk `keys` down from `value`: object keys by name, array elements by decimal index.
/// `raw` only feeds error messages.
///
/// # Errors
/// [`RefError::KeyNotFound`] or [`RefError::NotAMap`] for the first key that can't be applied.
pub fn lookup<'v>(value: &'v Value, keys: &[String], raw: &str) -> Result<&'v Value, RefError> {
    keys.iter()
        .try_fold(value, |v, key| lookup_step(v, key, raw))
}

fn lookup_step<'v>(value: &'v Value, key: &str, raw: &str) -> Result<&'v Value, RefError> {
    let not_found = || RefError::KeyNotFound {
        raw: raw.to_owned(),
        key: key.to_owned(),
    };
    match value {
        Value::Object(map) => map.get(key).ok_or_else(not_found),
        Value::Array(items) if is_index(key) => {
            // Overflowing indices can't exist either, so they are "not found" too.
            key.parse::<usize>()
                .ok()
                .and_then(|i| items.get(i))
                .ok_or_else(not_found)
        }
        _ => Err(RefError::NotAMap {
            raw: raw.to_owned(),
            key: key.to_owned(),
        }),
    }
}

/// Only plain digits index arrays; `usize::from_str` would also accept `+1`.
fn is_index(key: &str) -> bool {
    !key.is_empty() && key.bytes().all(|b| b.is_ascii_digit())
}

/// Resolution context: workload metadata plus resource outputs.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    /// The workload's `metadata` object.
    pub metadata: &'a Value,
    /// Resource name (as declared in the workload) -> its outputs object.
    pub resources: &'a BTreeMap<String, Value>,
}

impl<'a> Context<'a> {
    /// Bundle metadata and resource outputs.
    pub fn new(metadata: &'a Value, resources: &'a BTreeMap<String, Value>) -> Self {
        Context {
            metadata,
            resources,
        }
    }
}

impl Context<'_> {
    /// Look up the value a placeholder refers to. `${resources.<name>}` without an output
    /// yields the resource's whole outputs value; callers decide what that means.
    ///
    /// # Errors
    /// Any [`RefError`]: a bad root, an unknown resource, or a key that can't be looked up.
    pub fn resolve(&self, p: &Placeholder) -> Result<Value, RefError> {
        let (start, keys) = match p.root()? {
            RefRoot::Metadata(keys) => (self.metadata, keys),
            RefRoot::Resource { name, output } => (self.resource(name, &p.raw)?, output),
        };
        lookup(start, keys, &p.raw).cloned()
    }

    fn resource(&self, name: &str, raw: &str) -> Result<&Value, RefError> {
        self.resources
            .get(name)
            .ok_or_else(|| RefError::NoSuchResource {
                raw: raw.to_owned(),
                name: name.to_owned(),
            })
    }
}

/// A failed lookup, explained the same way on every target: for an output the resource does
/// not have, the nearest existing key and the list of its outputs (names only, never values).
///
/// ```
/// use std::collections::BTreeMap;
/// use serde_json::json;
/// use score_core::placeholder::{parse, Context, explain};
/// let metadata = json!({"name": "web"});
/// let resources = BTreeMap::from([("db".to_string(), json!({"host": "pg", "port": 5432}))]);
/// let p = parse("${resources.db.hots}").unwrap().placeholders().next().unwrap().clone();
/// let e = Context::new(&metadata, &resources).resolve(&p).unwrap_err();
/// let x = explain(&e, &p, &resources);
/// assert_eq!(x.help.as_deref(), Some("did you mean `host`?"));
/// assert_eq!(x.to_string(), "invalid ref 'resources.db.hots': key 'hots' not found (did you mean `host`?); outputs of `db`: host, port");
/// ```
pub fn explain(e: &RefError, p: &Placeholder, resources: &BTreeMap<String, Value>) -> Explained {
    let mut out = Explained {
        message: e.to_string(),
        outputs: None,
        help: None,
    };
    if let (RefError::KeyNotFound { key, .. }, Ok(RefRoot::Resource { name, output: [_] })) =
        (e, p.root())
    {
        if let Some(Value::Object(outputs)) = resources.get(name) {
            let keys: Vec<&str> = outputs.keys().map(String::as_str).collect();
            out = unknown_output(&p.raw, key, name, &keys);
        }
    }
    out
}

/// The explanation of `${<raw>}` naming output `key`, which resource `name` (with outputs
/// `keys`) does not have. Shared by the static check and the targets' lowering.
pub fn unknown_output(raw: &str, key: &str, name: &str, keys: &[&str]) -> Explained {
    let listed = if keys.is_empty() {
        "none".to_string()
    } else {
        keys.join(", ")
    };
    Explained {
        message: format!("invalid ref '{raw}': key '{key}' not found"),
        outputs: Some(format!("outputs of `{name}`: {listed}")),
        help: crate::suggest::closest(key, keys.iter().copied())
            .map(|best| format!("did you mean `{best}`?")),
    }
}

/// A lookup error in words. Its `Display` is the one-line form used where there is no
/// separate help line: `<message> (<help>); <outputs>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Explained {
    /// What went wrong.
    pub message: String,
    /// The outputs the resource does have (`outputs of `db`: host, port`), for a missing key.
    pub outputs: Option<String>,
    /// `did you mean …?`, when a close key exists.
    pub help: Option<String>,
}

impl Explained {
    /// The message with the list of outputs, for a diagnostic whose help line holds the hint.
    pub fn with_outputs(&self) -> String {
        match &self.outputs {
            Some(o) => format!("{}; {o}", self.message),
            None => self.message.clone(),
        }
    }
}

impl std::fmt::Display for Explained {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)?;
        if let Some(h) = &self.help {
            write!(f, " ({h})")?;
        }
        if let Some(o) = &self.outputs {
            write!(f, "; {o}")?;
        }
        Ok(())
    }
}

impl Context<'_> {
    /// [`Context::resolve`], with the error [`explain`]ed.
    ///
    /// # Errors
    /// The explained lookup error.
    pub fn resolve_explained(&self, p: &Placeholder) -> Result<Value, Explained> {
        self.resolve(p).map_err(|e| explain(&e, p, self.resources))
    }
}

/// Failure of [`substitute`] / [`substitute_value`]: a syntax error or an unresolvable ref,
/// either way with the byte range of the `${...}` in the string being substituted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, miette::Diagnostic)]
pub enum SubstituteError {
    /// The string is not well-formed.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Parse(#[from] PlaceholderError),
    /// A placeholder could not be resolved.
    #[error("{error}")]
    #[diagnostic(forward(error))]
    Ref {
        /// Byte range of the `${...}`.
        range: Range<usize>,
        /// What went wrong. Not exposed as `source()`: the message already includes it,
        /// and error-chain printers would show it twice.
        error: RefError,
    },
}

impl SubstituteError {
    /// Byte range of the offending `${...}` in the substituted string.
    pub fn range(&self) -> Range<usize> {
        match self {
            Self::Parse(e) => e.range(),
            Self::Ref { range, .. } => range.clone(),
        }
    }
}

/// Parse `input` and resolve every placeholder against `ctx`.
///
/// # Errors
/// A syntax error anywhere in `input` (checked first), else the first unresolvable ref.
pub fn substitute(input: &str, ctx: &Context) -> Result<String, SubstituteError> {
    Template::parse(input)?.render(|p| {
        ctx.resolve(p).map_err(|error| SubstituteError::Ref {
            range: p.range.clone(),
            error,
        })
    })
}

/// Recursively [`substitute`] every string inside a JSON value (used for resource params).
/// Object keys and non-string scalars are left untouched; results are always strings, so
/// `"${resources.db.port}"` becomes `"5432"`, not `5432`.
///
/// # Errors
/// The first [`SubstituteError`] met, in document order (object keys sorted unless
/// `serde_json`'s `preserve_order` is on).
pub fn substitute_value(value: &Value, ctx: &Context) -> Result<Value, SubstituteError> {
    Ok(match value {
        Value::String(s) => Value::String(substitute(s, ctx)?),
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|v| substitute_value(v, ctx))
                .collect::<Result<_, _>>()?,
        ),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| Ok((k.clone(), substitute_value(v, ctx)?)))
                .collect::<Result<_, SubstituteError>>()?,
        ),
        scalar => scalar.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn metadata() -> Value {
        json!({
            "name": "test-name",
            "other": { "key": "value" },
            "annotations": { "key.com/foo-bar": "thing" },
            "naïve": "café",
            "a\\b": "backslash",
            "a\\.b": "backslash-dot",
            "list": ["x", "y"],
        })
    }

    fn resources() -> BTreeMap<String, Value> {
        let mut r = BTreeMap::new();
        r.insert(
            "db".to_owned(),
            json!({
                "host": "db.local", "port": 5432, "user": "u", "password": "p", "name": "app",
                "ratio": 0.5, "tls": true, "none": null, "map": { "a": 1 }, "arr": [1, "two"],
                "hosts": ["h0", "h1"], "quoted": { "q": "say \"hi\"" },
            }),
        );
        r.insert("data".to_owned(), json!({ "source": "vol-1" }));
        r
    }

    /// Substitute with the standard test context.
    fn sub(input: &str) -> Result<String, SubstituteError> {
        let (m, r) = (metadata(), resources());
        substitute(input, &Context::new(&m, &r))
    }

    fn sub_err(input: &str) -> String {
        sub(input).unwrap_err().to_string()
    }

    fn ph(input: &str) -> Placeholder {
        let segments = parse(input).unwrap().segments;
        segments
            .into_iter()
            .find_map(|s| match s {
                Segment::Placeholder(p) => Some(p),
                Segment::Literal(_) => None,
            })
            .expect("a placeholder")
    }

    fn lit(s: &str) -> Segment {
        Segment::Literal(s.to_owned())
    }

    fn unknown_root(raw: &str, range: Range<usize>) -> SubstituteError {
        SubstituteError::Ref {
            range,
            error: RefError::UnknownRoot {
                raw: raw.to_owned(),
            },
        }
    }

    // ---- score-go escape vectors ----

    #[test]
    fn plain_strings_pass_through() {
        assert_eq!(sub("").unwrap(), "");
        assert_eq!(sub("abc").unwrap(), "abc");
        assert!(parse("").unwrap().segments.is_empty());
    }

    #[test]
    fn lone_dollar_stays() {
        assert_eq!(sub("$abc").unwrap(), "$abc");
        assert_eq!(sub("$").unwrap(), "$");
        assert_eq!(sub("abc$").unwrap(), "abc$");
        assert_eq!(sub("a $ b").unwrap(), "a $ b");
        assert_eq!(sub("$}").unwrap(), "$}");
    }

    #[test]
    fn double_dollar_is_escaped_dollar() {
        assert_eq!(sub("abc $$ abc").unwrap(), "abc $ abc");
        assert_eq!(sub("$$").unwrap(), "$");
        assert_eq!(sub("$$$").unwrap(), "$$");
        assert_eq!(sub("$$$$").unwrap(), "$$");
    }

    #[test]
    fn escaped_placeholder_is_literal() {
        assert_eq!(sub("$${abc}").unwrap(), "${abc}");
        assert_eq!(sub("$${metadata.name}").unwrap(), "${metadata.name}");
        assert_eq!(
            sub("$${abc .4t3298y *(^&(*}").unwrap(),
            "${abc .4t3298y *(^&(*}"
        );
        assert_eq!(sub("$${}").unwrap(), "${}");
        assert!(!parse("$${abc}").unwrap().has_placeholders());
    }

    #[test]
    fn escaped_placeholder_body_is_verbatim() {
        // The body of `$${...}` up to the first `}` is not scanned for `$` at all.
        assert_eq!(sub("$${a$$b}").unwrap(), "${a$$b}");
        assert_eq!(sub("$${a ${b}}").unwrap(), "${a ${b}}");
    }

    #[test]
    fn odd_dollar_runs_before_brace() {
        // `$$` is consumed first, leaving `${abc}`, whose root is unknown.
        assert_eq!(sub("$$${abc}"), Err(unknown_root("abc", 2..8)));
        assert_eq!(sub("$$$${abc}").unwrap(), "$${abc}");
        assert_eq!(sub("$$$$${abc}"), Err(unknown_root("abc", 4..10)));
    }

    #[test]
    fn empty_placeholder_is_an_error() {
        assert_eq!(
            sub("${}"),
            Err(PlaceholderError::Empty { range: 0..3 }.into())
        );
        let err = parse("my name is ${}").unwrap_err();
        assert_eq!(err, PlaceholderError::Empty { range: 11..14 });
        assert_eq!(err.range(), 11..14);
        assert_eq!(
            err.to_string(),
            "empty placeholder '${}', use $$ to escape the substitution"
        );
    }

    #[test]
    fn unterminated_placeholder_is_literal() {
        assert_eq!(sub("${").unwrap(), "${");
        assert_eq!(sub("${abc").unwrap(), "${abc");
        assert_eq!(sub("x ${metadata.name").unwrap(), "x ${metadata.name");
        assert_eq!(sub("$${abc").unwrap(), "${abc");
        // Escapes after an unterminated `${` are still processed.
        assert_eq!(sub("${abc $$ x").unwrap(), "${abc $ x");
        assert_eq!(parse("${abc").unwrap().segments, vec![lit("${abc")]);
    }

    #[test]
    fn unclosed_finds_the_first_never_closed_placeholder() {
        assert_eq!(unclosed("${"), Some(0));
        assert_eq!(unclosed("x ${metadata.name"), Some(2));
        assert_eq!(unclosed("${a} ${b"), Some(5));
        assert_eq!(unclosed("$$ ${b"), Some(3));
        // Escaped, closed or not a placeholder at all.
        for ok in [
            "", "$", "a $ b", "${a}", "$${abc", "$${a} $$", "} {", "${a${b}}",
        ] {
            assert_eq!(unclosed(ok), None, "{ok}");
        }
    }

    #[test]
    fn close_brace_without_open_is_literal() {
        assert_eq!(sub("}").unwrap(), "}");
        assert_eq!(
            sub("a } {b} ${metadata.name}}").unwrap(),
            "a } {b} test-name}"
        );
    }

    #[test]
    fn placeholders_do_not_nest() {
        // The ref ends at the first `}`: raw is `a${b`, and the final `}` is literal.
        let t = parse("${a${b}}").unwrap();
        let p = Placeholder {
            path: vec!["a${b".into()],
            raw: "a${b".into(),
            range: 0..7,
        };
        assert_eq!(t.segments, vec![Segment::Placeholder(p), lit("}")]);
        // ...which then fails the root check, as it should.
        assert_eq!(sub("${a${b}}"), Err(unknown_root("a${b", 0..7)));
        let nested = "${metadata.${metadata.name}}";
        assert_eq!(
            sub_err(nested),
            "invalid ref 'metadata.${metadata.name': key '${metadata' not found"
        );
    }

    // ---- parsing details ----

    #[test]
    fn parse_segments_and_ranges() {
        let input = "postgresql://${resources.db.user}:${resources.db.password}@h";
        let t = parse(input).unwrap();
        let raws: Vec<_> = t.placeholders().map(|p| p.raw.as_str()).collect();
        assert_eq!(raws, ["resources.db.user", "resources.db.password"]);
        for p in t.placeholders() {
            assert_eq!(&input[p.range.clone()], format!("${{{}}}", p.raw));
        }
        assert_eq!(t.placeholders().next().unwrap().range, 13..33);
        assert_eq!(t.segments.len(), 5);
        assert_eq!(t.segments[0], lit("postgresql://"));
        assert_eq!(t.segments[4], lit("@h"));
    }

    #[test]
    fn adjacent_literals_are_merged() {
        let t = parse("a$$b$c$${d}e").unwrap();
        assert_eq!(t.segments, vec![lit("a$b$c${d}e")]);
        assert!(!t.has_placeholders());
    }

    #[test]
    fn adjacent_placeholders() {
        let t = parse("${metadata.name}${metadata.name}").unwrap();
        assert_eq!(t.segments.len(), 2);
        assert_eq!(t.placeholders().nth(1).unwrap().range, 16..32);
        assert_eq!(
            sub("${metadata.name}${metadata.name}").unwrap(),
            "test-nametest-name"
        );
    }

    #[test]
    fn path_is_split_on_dots() {
        assert_eq!(ph("${resources.db.host}").path, ["resources", "db", "host"]);
        assert_eq!(ph("x${abc}y").path, ["abc"]);
        assert_eq!(
            ph("${resources.my-db/x.out_put}").path,
            ["resources", "my-db/x", "out_put"]
        );
    }

    #[test]
    fn escaped_dots() {
        let p = ph(r"${metadata.annotations.key\.com/foo-bar}");
        assert_eq!(p.path, ["metadata", "annotations", "key.com/foo-bar"]);
        assert_eq!(p.raw, r"metadata.annotations.key\.com/foo-bar");
        assert_eq!(
            sub(r"${metadata.annotations.key\.com/foo-bar}").unwrap(),
            "thing"
        );
        assert_eq!(split_ref(r"a\.b"), ["a.b"]);
        assert_eq!(split_ref(r"\.\."), [".."]);
        // A backslash not followed by a dot is kept literally.
        assert_eq!(split_ref(r"a\b.c\"), [r"a\b", r"c\"]);
        assert_eq!(split_ref(r"a\\.b"), [r"a\.b"]);
        // Without a backslash: empty keys are kept (and rejected by the parser).
        assert_eq!(
            split_ref("resources.db..host."),
            ["resources", "db", "", "host", ""]
        );
        assert_eq!(split_ref(""), [""]);
        assert_eq!(sub(r"${metadata.a\b}").unwrap(), "backslash");
        assert_eq!(sub(r"${metadata.a\\.b}").unwrap(), "backslash-dot");
    }

    #[test]
    fn escaped_dot_missing_key_message() {
        assert_eq!(
            sub_err(r"my name is ${metadata.thing\.two}"),
            r"invalid ref 'metadata.thing\.two': key 'thing.two' not found"
        );
    }

    #[test]
    fn empty_segments_are_errors() {
        for (input, raw, range) in [
            ("${a..b}", "a..b", 0..7),
            ("x ${.a}", ".a", 2..7),
            ("${metadata.}", "metadata.", 0..12),
            ("${.}", ".", 0..4),
        ] {
            let err = parse(input).unwrap_err();
            let want = PlaceholderError::EmptySegment {
                range: range.clone(),
                raw: raw.into(),
            };
            assert_eq!(err, want, "{input}");
            assert_eq!(err.range(), range);
        }
        assert_eq!(
            parse("${a..b}").unwrap_err().to_string(),
            "invalid ref 'a..b': empty key (check for doubled, leading or trailing dots)"
        );
        // An escaped dot is not a separator, so this is fine.
        assert_eq!(ph(r"${\.}").path, ["."]);
    }

    #[test]
    fn unicode_keys_and_byte_ranges() {
        let input = "é ${metadata.naïve} ü ${metadata.name}";
        let t = parse(input).unwrap();
        let ps: Vec<_> = t.placeholders().collect();
        assert_eq!(ps[0].range, 3..21);
        assert_eq!(&input[ps[0].range.clone()], "${metadata.naïve}");
        assert_eq!(ps[0].path, ["metadata", "naïve"]);
        assert_eq!(&input[ps[1].range.clone()], "${metadata.name}");
        assert_eq!(sub(input).unwrap(), "é café ü test-name");
        assert_eq!(sub("€$$€ $${ü}").unwrap(), "€$€ ${ü}");
        assert_eq!(sub("日本${metadata.nope}").unwrap_err().range(), 6..22);
    }

    #[test]
    fn multiline_placeholder_body() {
        // Like score-go, a ref may span anything up to `}` (it then fails to resolve).
        assert_eq!(ph("${a\nb}").raw, "a\nb");
    }

    // ---- roots ----

    #[test]
    fn root_classification() {
        let p = ph("${metadata.annotations.x}");
        assert_eq!(
            p.root(),
            Ok(RefRoot::Metadata(&["annotations".into(), "x".into()]))
        );
        let p = ph("${resources.db.host.x}");
        let output = ["host".to_owned(), "x".to_owned()];
        assert_eq!(
            p.root(),
            Ok(RefRoot::Resource {
                name: "db",
                output: &output
            })
        );
        let p = ph("${resources.data}");
        assert_eq!(
            p.root(),
            Ok(RefRoot::Resource {
                name: "data",
                output: &[]
            })
        );
    }

    #[test]
    fn root_errors() {
        let raw = |s: &str| s.to_owned();
        assert_eq!(
            ph("${metadata}").root(),
            Err(RefError::MetadataRootOnly {
                raw: raw("metadata")
            })
        );
        assert_eq!(
            ph("${resources}").root(),
            Err(RefError::ResourceRootOnly {
                raw: raw("resources")
            })
        );
        assert_eq!(
            ph("${abc}").root(),
            Err(RefError::UnknownRoot { raw: raw("abc") })
        );
        assert_eq!(
            ph("${Metadata.name}").root(),
            Err(RefError::UnknownRoot {
                raw: raw("Metadata.name")
            })
        );
        // An escaped dot makes `metadata.name` a single (unknown) root key.
        let p = ph(r"${metadata\.name}");
        assert_eq!(
            p.root(),
            Err(RefError::UnknownRoot {
                raw: raw(r"metadata\.name")
            })
        );
        // Whitespace is not trimmed, as in score-go.
        assert_eq!(
            ph("${ metadata.name}").root(),
            Err(RefError::UnknownRoot {
                raw: raw(" metadata.name")
            })
        );
    }

    #[test]
    fn root_of_hand_built_empty_path_is_unknown() {
        let p = Placeholder {
            path: vec![],
            raw: String::new(),
            range: 0..0,
        };
        assert_eq!(p.root(), Err(RefError::UnknownRoot { raw: String::new() }));
    }

    // ---- resolution ----

    #[test]
    fn resolves_metadata_and_resources() {
        assert_eq!(
            sub("my name is ${metadata.name}").unwrap(),
            "my name is test-name"
        );
        assert_eq!(sub("${metadata.other.key}").unwrap(), "value");
        assert_eq!(
            sub("postgresql://${resources.db.user}:${resources.db.password}@${resources.db.host}:${resources.db.port}/${resources.db.name}").unwrap(),
            "postgresql://u:p@db.local:5432/app"
        );
    }

    #[test]
    fn non_strings_are_json_encoded() {
        assert_eq!(sub("${resources.db.port}").unwrap(), "5432");
        assert_eq!(sub("${resources.db.ratio}").unwrap(), "0.5");
        assert_eq!(sub("${resources.db.tls}").unwrap(), "true");
        assert_eq!(sub("${resources.db.none}").unwrap(), "null");
        assert_eq!(sub("${resources.db.map}").unwrap(), r#"{"a":1}"#);
        assert_eq!(sub("${resources.db.arr}").unwrap(), r#"[1,"two"]"#);
        assert_eq!(sub("${metadata.other}").unwrap(), r#"{"key":"value"}"#);
        // Strings nested in a structure are JSON-quoted; top-level strings are not.
        assert_eq!(
            sub("${resources.db.quoted}").unwrap(),
            r#"{"q":"say \"hi\""}"#
        );
        assert_eq!(sub("${resources.db.quoted.q}").unwrap(), r#"say "hi""#);
        assert_eq!(value_to_string(&json!(-1)), "-1");
        assert_eq!(value_to_string(&json!("s")), "s");
    }

    #[test]
    fn resource_without_output_is_the_whole_outputs_value() {
        let (m, r) = (metadata(), resources());
        let ctx = Context::new(&m, &r);
        assert_eq!(
            ctx.resolve(&ph("${resources.data}")),
            Ok(json!({ "source": "vol-1" }))
        );
        assert_eq!(sub("${resources.data}").unwrap(), r#"{"source":"vol-1"}"#);
    }

    #[test]
    fn array_indices() {
        assert_eq!(sub("${resources.db.hosts.1}").unwrap(), "h1");
        assert_eq!(sub("${metadata.list.0}").unwrap(), "x");
        assert_eq!(
            sub_err("${resources.db.hosts.2}"),
            "invalid ref 'resources.db.hosts.2': key '2' not found"
        );
        assert_eq!(
            sub_err("${resources.db.hosts.99999999999999999999999}"),
            "invalid ref 'resources.db.hosts.99999999999999999999999': key '99999999999999999999999' not found"
        );
        for key in ["first", "+1", "-1"] {
            let input = format!("${{resources.db.hosts.{key}}}");
            let want = format!(
                "invalid ref 'resources.db.hosts.{key}': cannot index into a non-map value at '{key}'"
            );
            assert_eq!(sub_err(&input), want);
        }
    }

    #[test]
    fn resolve_error_messages() {
        let cases = [
            (
                "${missing}",
                "unknown reference root in '${missing}', use $$ to escape the substitution",
            ),
            (
                "${metadata}",
                "invalid ref 'metadata': requires at least a metadata key to lookup",
            ),
            (
                "${resources}",
                "invalid ref 'resources': requires at least a resource name to lookup",
            ),
            (
                "${metadata.missing}",
                "invalid ref 'metadata.missing': key 'missing' not found",
            ),
            (
                "${resources.db.hots}",
                "invalid ref 'resources.db.hots': key 'hots' not found",
            ),
            ("${resources.x}", "no known resource 'x'"),
            ("${resources.x.host}", "no known resource 'x'"),
            (
                "${metadata.name.foo}",
                "invalid ref 'metadata.name.foo': cannot index into a non-map value at 'foo'",
            ),
            (
                "${resources.db.port.x.y}",
                "invalid ref 'resources.db.port.x.y': cannot index into a non-map value at 'x'",
            ),
        ];
        for (input, message) in cases {
            assert_eq!(sub_err(input), message, "{input}");
        }
    }

    #[test]
    fn resolve_error_values() {
        let (m, r) = (metadata(), resources());
        let ctx = Context::new(&m, &r);
        let want = RefError::NoSuchResource {
            raw: "resources.x.y".into(),
            name: "x".into(),
        };
        assert_eq!(ctx.resolve(&ph("${resources.x.y}")), Err(want));
        let want = RefError::KeyNotFound {
            raw: "metadata.nope".into(),
            key: "nope".into(),
        };
        assert_eq!(ctx.resolve(&ph("${metadata.nope}")), Err(want));
        let want = RefError::NotAMap {
            raw: "metadata.name.x".into(),
            key: "x".into(),
        };
        assert_eq!(ctx.resolve(&ph("${metadata.name.x}")), Err(want));
    }

    #[test]
    fn substitute_error_carries_range() {
        let err = sub("ok ${metadata.name} then ${resources.nope.x}").unwrap_err();
        assert_eq!(err.range(), 25..44);
        let want = RefError::NoSuchResource {
            raw: "resources.nope.x".into(),
            name: "nope".into(),
        };
        assert_eq!(
            err,
            SubstituteError::Ref {
                range: 25..44,
                error: want
            }
        );
        // The whole string is parsed before anything is resolved, so a syntax error is
        // reported even when an earlier placeholder would fail to resolve.
        assert_eq!(
            sub("${nope} ${}").unwrap_err(),
            PlaceholderError::Empty { range: 8..11 }.into()
        );
    }

    #[test]
    fn lookup_walks_values() {
        let v = json!({ "a": [ { "b": 1 } ] });
        let keys = ["a".to_owned(), "0".to_owned(), "b".to_owned()];
        assert_eq!(lookup(&v, &keys, "raw"), Ok(&json!(1)));
        assert_eq!(lookup(&v, &[], "raw"), Ok(&v));
    }

    #[test]
    fn render_with_custom_resolver() {
        let t = parse("${x.y} and ${z} $$").unwrap();
        let out: Result<String, ()> = t.render(|p| Ok(json!(p.path.len())));
        assert_eq!(out.unwrap(), "2 and 1 $");
        let mut seen = Vec::new();
        let err = t.render(|p| {
            seen.push(p.raw.clone());
            Err::<Value, _>(p.range.clone())
        });
        assert_eq!(err, Err(0..6));
        assert_eq!(seen, ["x.y"], "stops at the first error");
    }

    #[test]
    fn escape_round_trips() {
        let samples = [
            "",
            "a",
            "$",
            "$$",
            "$$$",
            "${metadata.name}",
            "$${x}",
            "a$b$",
            "€${",
            "${a$b}",
            "${a$$b}",
            "$x{y}",
            "{a$b}",
            "${a}${b}$",
            "${}",
            "}$",
        ];
        for s in samples {
            let t = parse(&escape(s)).unwrap();
            assert!(!t.has_placeholders(), "{s}");
            assert_eq!(t.render(|_| Err::<Value, ()>(())).unwrap(), s);
        }
        assert_eq!(escape("a $ ${b}"), "a $$ $${b}");
    }

    // ---- substitute_value ----

    #[test]
    fn substitute_value_recurses() {
        let (m, r) = (metadata(), resources());
        let ctx = Context::new(&m, &r);
        let input = json!({
            "a": "1",
            "b": "${metadata.name}",
            "c": ["1", "${metadata.name}", { "d": "${resources.db.port}" }],
            "${metadata.name}": { "e": 5, "f": null, "g": true, "h": "$${x} $$" },
        });
        let want = json!({
            "a": "1",
            "b": "test-name",
            "c": ["1", "test-name", { "d": "5432" }],
            "${metadata.name}": { "e": 5, "f": null, "g": true, "h": "${x} $" },
        });
        assert_eq!(substitute_value(&input, &ctx), Ok(want));
        assert_eq!(substitute_value(&json!(7), &ctx), Ok(json!(7)));
    }

    #[test]
    fn substitute_value_propagates_errors() {
        let (m, r) = (metadata(), resources());
        let ctx = Context::new(&m, &r);
        let input = json!({ "a": [{ "b": "x ${metadata.unknown}" }] });
        let err = substitute_value(&input, &ctx).unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid ref 'metadata.unknown': key 'unknown' not found"
        );
        assert_eq!(err.range(), 2..21);
        let err = substitute_value(&json!(["${}"]), &ctx).unwrap_err();
        assert_eq!(err, PlaceholderError::Empty { range: 0..3 }.into());
    }

    #[test]
    fn diagnostics_have_codes() {
        use miette::Diagnostic;
        let err = sub("${x}").unwrap_err();
        assert_eq!(
            err.code().unwrap().to_string(),
            "score::placeholder::unknown_root"
        );
        assert!(err.help().is_some());
        let err = sub("${}").unwrap_err();
        assert_eq!(err.code().unwrap().to_string(), "score::placeholder::empty");
        assert!(std::error::Error::source(&sub("${x}").unwrap_err()).is_none());
    }
}
