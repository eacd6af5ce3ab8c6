//! Validation against our embedded JSON schema for Score v1b1, with errors mapped back to the
//! YAML node that caused them.

use std::sync::OnceLock;

use jsonschema::error::{TypeKind, ValidationErrorKind};
use jsonschema::{ValidationError, Validator};
use serde_json::Value;

use crate::diagnostic::Diagnostic;
use crate::source::{SourceFile, Span};
use crate::suggest::closest;
use crate::yaml::{Node, NodeKind};

/// The schema text, as shipped in `schemas/score-v1b1.json`.
pub const SCHEMA_JSON: &str = include_str!("../../schemas/score-v1b1.json");

/// The schema as JSON, parsed once per process (the validator and the error mapper read it).
fn schema_json() -> &'static Value {
    static JSON: OnceLock<Value> = OnceLock::new();
    JSON.get_or_init(|| serde_json::from_str(SCHEMA_JSON).expect("embedded schema is valid JSON"))
}

/// The validator, compiled once per process when the first document is checked. (A
/// hand-written walker over the schema once ran first: it spared a single-workload run the
/// compilation, ~9 M instructions, but cost more per document than this validator, so it lost
/// at 200 workloads; see docs/performance.md.)
fn validator() -> &'static Validator {
    static VALIDATOR: OnceLock<Validator> = OnceLock::new();
    VALIDATOR
        .get_or_init(|| jsonschema::validator_for(schema_json()).expect("embedded schema compiles"))
}

/// Validate a parsed document; one diagnostic per problem, in source order.
///
/// ```
/// use score_core::{schema, yaml, SourceFile};
/// let src = SourceFile::new("score.yaml", "apiVersion: score.dev/v1b1\nmetadata: {name: web}\ncontainers: {}\n");
/// let root = yaml::parse_source(&src).unwrap();
/// let diags = schema::validate(&root, &src);
/// assert_eq!(diags[0].code, "score::schema::min_properties");
/// ```
pub fn validate(root: &Node, src: &SourceFile) -> Vec<Diagnostic> {
    validate_instance(root, src, &root.to_json())
}

/// [`validate`] with `root` already converted to JSON (`root.to_json()`).
pub fn validate_instance(root: &Node, src: &SourceFile, instance: &Value) -> Vec<Diagnostic> {
    if validator().is_valid(instance) {
        return Vec::new(); // nearly every document: no error to map
    }
    let mapper = Mapper {
        root,
        src,
        schema: schema_json(),
    };
    let mut diags: Vec<Diagnostic> = validator()
        .iter_errors(instance)
        .flat_map(|e| mapper.map(&e))
        .collect();
    diags.sort_by_key(|d| d.labels.first().map(|l| (l.span.start, l.span.end)));
    diags.dedup_by(|a, b| a.message == b.message && a.location() == b.location());
    diags
}

/// Whether a JSON document passes the schema (used by tests and tools).
pub fn is_valid(instance: &Value) -> bool {
    validator().is_valid(instance)
}

struct Mapper<'a> {
    root: &'a Node,
    src: &'a SourceFile,
    schema: &'a Value,
}

impl Mapper<'_> {
    fn map(&self, err: &ValidationError<'_>) -> Vec<Diagnostic> {
        let path = pointer_segments(err.instance_path().as_str());
        let (key, node) = self.root.lookup(&path).unwrap_or((None, self.root));
        let at = Here {
            path: &path,
            key,
            node,
        };
        match err.kind() {
            ValidationErrorKind::AdditionalProperties { unexpected } => {
                let allowed = self.allowed_properties(err.evaluation_path().as_str());
                let keys = key_spans(at.node);
                let mut diags: Vec<Diagnostic> = unexpected
                    .iter()
                    .take(MAX_UNKNOWN_FIELDS)
                    .map(|name| self.unknown_field(&at, name, &allowed, &keys))
                    .collect();
                if unexpected.len() > MAX_UNKNOWN_FIELDS {
                    let more = unexpected.len() - MAX_UNKNOWN_FIELDS;
                    let span = at.key.map_or(at.node.span, |k| k.span);
                    diags.push(self.diag(
                        "unknown_field",
                        span,
                        format!("{more} more unknown fields {}", describe(at.path)),
                        "in this mapping",
                    ));
                }
                diags
            }
            ValidationErrorKind::OneOfNotValid { context }
            | ValidationErrorKind::AnyOf { context } => self.no_branch(&at, context),
            ValidationErrorKind::OneOfMultipleValid { .. } => vec![self.several_branches(&at)],
            ValidationErrorKind::PropertyNames { error } => vec![self.bad_key(&at, error)],
            kind => vec![self.simple(&at, kind, err)],
        }
    }

    fn diag(&self, code: &str, span: Span, msg: String, label: impl Into<String>) -> Diagnostic {
        Diagnostic::error(format!("score::schema::{code}"), msg).with_label(self.src, span, label)
    }

    fn unknown_field(
        &self,
        at: &Here,
        name: &str,
        allowed: &[String],
        keys: &std::collections::HashMap<String, Span>,
    ) -> Diagnostic {
        let span = keys.get(name).copied().unwrap_or(at.node.span);
        let d = self.diag(
            "unknown_field",
            span,
            format!("unknown field `{name}` {}", describe(at.path)),
            "not allowed here",
        );
        match closest(name, allowed.iter().map(String::as_str)) {
            Some(best) => d.with_help(format!("did you mean `{best}`?")),
            None if !allowed.is_empty() => {
                d.with_help(format!("allowed fields: {}", quote_list(allowed)))
            }
            None => d,
        }
    }

    fn bad_key(&self, at: &Here, inner: &ValidationError<'_>) -> Diagnostic {
        let key = inner.instance().as_str().unwrap_or_default().to_string();
        let span = at.node.entry(&key).map_or(at.node.span, |(k, _)| k.span);
        let what = key_kind(at.path);
        let rule = match inner.kind() {
            ValidationErrorKind::MinLength { limit } => {
                format!("must be at least {limit} characters long")
            }
            ValidationErrorKind::MaxLength { limit } => {
                format!("must be at most {limit} characters long")
            }
            _ => key_rule(at.path).to_string(),
        };
        let d = self.diag(
            "invalid_name",
            span,
            format!("invalid {what} `{key}`: it {rule}"),
            "invalid name",
        );
        match suggest_label(&key) {
            Some(fixed) if fixed != key && !matches!(what, "variable name" | "annotation key") => {
                d.with_help(format!("try `{fixed}`"))
            }
            _ => d,
        }
    }

    fn no_branch(&self, at: &Here, context: &[Vec<ValidationError<'static>>]) -> Vec<Diagnostic> {
        let required: Option<Vec<String>> = context
            .iter()
            .map(|errs| match errs.as_slice() {
                [e] => match e.kind() {
                    ValidationErrorKind::Required { property } => {
                        property.as_str().map(str::to_string)
                    }
                    _ => None,
                },
                _ => None,
            })
            .collect();
        if let Some(options) = required {
            let span = at.key.map_or(at.node.span, |k| k.span);
            let msg = format!("{} needs one of {}", what_is(at.path), quote_list(&options));
            return vec![self.diag("one_of", span, msg, "none of them is set here")];
        }
        // Keep branches that at least accept this value's type; report the closest one.
        let here = at.path.join("/");
        let fits = |errs: &&Vec<ValidationError<'static>>| {
            !errs.iter().any(|e| {
                matches!(e.kind(), ValidationErrorKind::Type { .. })
                    && pointer_segments(e.instance_path().as_str()).join("/") == here
            })
        };
        match context.iter().filter(fits).min_by_key(|errs| errs.len()) {
            Some(errs) => errs.iter().flat_map(|e| self.map(e)).collect(),
            None => {
                let msg = format!(
                    "{} has the wrong type ({})",
                    what_is(at.path),
                    at.node.type_name()
                );
                vec![self.diag("type", at.node.span, msg, "unexpected value")]
            }
        }
    }

    fn several_branches(&self, at: &Here) -> Diagnostic {
        let present: Vec<String> = ["source", "content", "binaryContent", "httpGet", "exec"]
            .iter()
            .filter(|k| at.node.get(k).is_some())
            .map(|k| k.to_string())
            .collect();
        let span = at.key.map_or(at.node.span, |k| k.span);
        self.diag(
            "one_of",
            span,
            format!(
                "{} sets more than one of {}",
                what_is(at.path),
                quote_list(&present)
            ),
            "conflicting fields",
        )
        .with_help("keep exactly one of them")
    }

    fn simple(
        &self,
        at: &Here,
        kind: &ValidationErrorKind,
        err: &ValidationError<'_>,
    ) -> Diagnostic {
        let what = what_is(at.path);
        let value_span = at.node.span;
        // At the top level there is no key: point at the first line rather than the whole file.
        let key_span = at.key.map_or_else(|| first_key_span(at.node), |k| k.span);
        match kind {
            ValidationErrorKind::Required { property } => {
                let p = property.as_str().unwrap_or_default();
                let d = self.diag(
                    "required",
                    key_span,
                    format!("{what} is missing the required field `{p}`"),
                    format!("`{p}` is missing"),
                );
                match required_help(p) {
                    Some(h) => d.with_help(h),
                    None => d,
                }
            }
            ValidationErrorKind::Type { kind } => self.wrong_type(at, kind),
            ValidationErrorKind::Enum { options } => {
                let opts: Vec<String> = options
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|o| o.as_str().unwrap_or_default().to_string())
                    .collect();
                let found = at.node.key_string().unwrap_or_default();
                let d = self.diag(
                    "enum",
                    value_span,
                    format!(
                        "{what} must be one of {}, found `{found}`",
                        quote_list(&opts)
                    ),
                    "unknown value",
                );
                match opts.iter().find(|o| o.eq_ignore_ascii_case(&found)) {
                    Some(o) => {
                        d.with_help(format!("values are case-sensitive: did you mean `{o}`?"))
                    }
                    None => d,
                }
            }
            ValidationErrorKind::Pattern { .. } => {
                let found = at.node.key_string().unwrap_or_default();
                let d = self.diag(
                    "pattern",
                    value_span,
                    format!("{what} `{found}` is invalid: it {}", value_rule(at.path)),
                    "invalid value",
                );
                match value_help(at.path, &found) {
                    Some(h) => d.with_help(h),
                    None => d,
                }
            }
            ValidationErrorKind::MinLength { limit } if *limit <= 1 => self.diag(
                "min_length",
                value_span,
                format!("{what} must not be empty"),
                "empty",
            ),
            ValidationErrorKind::MinLength { limit } => self.diag(
                "min_length",
                value_span,
                format!("{what} must be at least {limit} characters long"),
                "too short",
            ),
            ValidationErrorKind::MaxLength { limit } => self.diag(
                "max_length",
                value_span,
                format!("{what} must be at most {limit} characters long"),
                "too long",
            ),
            ValidationErrorKind::Minimum { limit } | ValidationErrorKind::Maximum { limit } => {
                let found = at.node.key_string().unwrap_or_default();
                let range = if what.contains("port") {
                    "between 1 and 65535".to_string()
                } else {
                    format!("within {limit}")
                };
                self.diag(
                    "range",
                    value_span,
                    format!("{what} must be {range}, found {found}"),
                    "out of range",
                )
            }
            ValidationErrorKind::MinProperties { .. } => {
                let d = self.diag(
                    "min_properties",
                    key_span,
                    format!("{what} must not be empty"),
                    "no entries",
                );
                if at.path == ["containers"] {
                    d.with_help("add a container, e.g. `main: {image: nginx:1.27}`")
                } else {
                    d
                }
            }
            ValidationErrorKind::Not { .. } => self
                .diag(
                    "not_allowed",
                    key_span,
                    format!("{what} uses a form that is not allowed here"),
                    "not allowed",
                )
                .with_help(not_help(at.path)),
            _ => self.diag("invalid", value_span, format!("{what}: {err}"), "invalid"),
        }
    }

    fn wrong_type(&self, at: &Here, kind: &TypeKind) -> Diagnostic {
        let expected = match kind {
            TypeKind::Single(t) => t.to_string(),
            TypeKind::Multiple(ts) => ts
                .iter()
                .map(|t| t.to_string())
                .collect::<Vec<_>>()
                .join(" or "),
        };
        let expected = match expected.as_str() {
            "object" => "a mapping".to_string(),
            "array" => "a list".to_string(),
            "integer" => "an integer".to_string(),
            "string" => "a string".to_string(),
            "boolean" => "`true` or `false`".to_string(),
            other => other.to_string(),
        };
        let found = at.node.type_name();
        let d = self.diag(
            "type",
            at.node.span,
            format!("{} must be {expected}, found a {found}", what_is(at.path)),
            format!("expected {expected}"),
        );
        match (&at.node.kind, expected.as_str()) {
            (NodeKind::Str(s), "an integer") if s.trim().parse::<i64>().is_ok() => {
                d.with_help(format!("remove the quotes: `{}`", s.trim()))
            }
            (NodeKind::Int(i), "a string") if at.path.last().is_some_and(|l| l == "mode") => {
                d.with_help(format!("quote the mode so it stays octal: \"{i:04}\""))
            }
            (NodeKind::Int(_) | NodeKind::Float(_) | NodeKind::Bool(_), "a string") => {
                d.with_help(format!(
                    "quote the value: \"{}\"",
                    at.node.key_string().unwrap_or_default()
                ))
            }
            (NodeKind::Str(s), "a list") => d.with_help(format!("write it as a list: [\"{s}\"]")),
            (NodeKind::Str(s), "`true` or `false`") => {
                d.with_help(format!("write `true` or `false` without quotes, not `{s}`"))
            }
            _ => d,
        }
    }

    /// The `properties` of the schema object an `additionalProperties` error came from.
    fn allowed_properties(&self, evaluation_path: &str) -> Vec<String> {
        let mut segs = pointer_segments(evaluation_path);
        segs.pop(); // the `additionalProperties` keyword itself
        let mut node = self.schema;
        for seg in &segs {
            node = if seg == "$ref" {
                match node
                    .get("$ref")
                    .and_then(Value::as_str)
                    .and_then(|r| r.strip_prefix('#'))
                {
                    Some(ptr) => match self.schema.pointer(ptr) {
                        Some(n) => n,
                        None => return Vec::new(),
                    },
                    None => return Vec::new(),
                }
            } else {
                match node {
                    Value::Array(items) => {
                        match seg.parse::<usize>().ok().and_then(|i| items.get(i)) {
                            Some(n) => n,
                            None => return Vec::new(),
                        }
                    }
                    _ => match node.get(seg) {
                        Some(n) => n,
                        None => return Vec::new(),
                    },
                }
            };
        }
        node.get("properties")
            .and_then(Value::as_object)
            .map(|p| p.keys().cloned().collect())
            .unwrap_or_default()
    }
}

/// Where an error points: its path, the key node (if reached through a mapping) and the value.
struct Here<'a> {
    path: &'a [String],
    key: Option<&'a Node>,
    node: &'a Node,
}

/// The span of a mapping's first key (the node itself when it has none).
fn first_key_span(node: &Node) -> Span {
    match &node.kind {
        NodeKind::Map(entries) => entries.first().map_or(node.span, |(k, _)| k.span),
        _ => node.span,
    }
}

fn pointer_segments(ptr: &str) -> Vec<String> {
    ptr.split('/')
        .skip(1)
        .map(|s| s.replace("~1", "/").replace("~0", "~"))
        .collect()
}

fn quote_list(items: &[String]) -> String {
    let quoted: Vec<String> = items.iter().map(|i| format!("`{i}`")).collect();
    match quoted.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
        _ => quoted.join(""),
    }
}

/// Human name of the element at `path`, e.g. "file `/etc/x` of container `web`".
pub(crate) fn what_is(path: &[String]) -> String {
    let p: Vec<&str> = path.iter().map(String::as_str).collect();
    match p.as_slice() {
        [] => "the workload".into(),
        ["containers"] => "`containers`".into(),
        ["containers", c] => format!("container `{c}`"),
        ["containers", c, "files", f] => format!("file `{f}` of container `{c}`"),
        ["containers", c, "files", f, field] => {
            format!("`{field}` of file `{f}` in container `{c}`")
        }
        ["containers", c, "volumes", v, field] => {
            format!("`{field}` of volume `{v}` in container `{c}`")
        }
        ["containers", c, "variables", v] => format!("variable `{v}` of container `{c}`"),
        ["containers", c, "volumes", v] => format!("volume `{v}` of container `{c}`"),
        ["containers", c, probe @ ("livenessProbe" | "readinessProbe")] => {
            format!("`{probe}` of container `{c}`")
        }
        ["containers", c, "before", b] => format!("`before.{b}` of container `{c}`"),
        ["containers", c, rest @ ..] => format!("`{}` of container `{c}`", rest.join(".")),
        ["service", "ports", port] => format!("service port `{port}`"),
        ["service", "ports", port, field] => format!("`{field}` of service port `{port}`"),
        ["resources", r] => format!("resource `{r}`"),
        ["resources", r, rest @ ..] => format!("`{}` of resource `{r}`", rest.join(".")),
        other => format!("`{}`", other.join(".")),
    }
}

fn describe(path: &[String]) -> String {
    match path {
        [] => "at the top level".into(),
        _ => format!("in {}", what_is(path)),
    }
}

fn key_kind(path: &[String]) -> &'static str {
    match path.last().map(String::as_str) {
        Some("containers") => "container name",
        Some("ports") => "port name",
        Some("resources") if path.len() == 1 => "resource name",
        Some("annotations") => "annotation key",
        Some("variables") => "variable name",
        Some("before") => "container name",
        _ => "key",
    }
}

const LABEL_RULE: &str =
    "must be 2-63 lower-case letters, digits or '-', starting and ending with a letter or digit";

fn key_rule(path: &[String]) -> &'static str {
    match path.last().map(String::as_str) {
        Some("annotations") => {
            "must be an optional DNS prefix and `/`, then 2-63 letters, digits, '-', '_' or '.'"
        }
        Some("variables") => "must not contain `=`",
        _ => LABEL_RULE,
    }
}

fn value_rule(path: &[String]) -> &'static str {
    match path.last().map(String::as_str) {
        Some("apiVersion") => "must be `score.dev/v1b1`",
        Some("name") if path.len() == 2 && path[0] == "metadata" => LABEL_RULE,
        Some("cpu") => "must be a CPU amount such as `500m`, `2` or `0.25`",
        Some("memory") => "must be a memory amount such as `128Mi`, `512M` or `1.5Gi`",
        Some("mode") => "must be an octal file mode such as `0644`",
        Some("type" | "class") => {
            "must be 2-63 letters, digits or '-', starting and ending with a letter or digit"
        }
        Some("id") => "must be lower-case labels of letters, digits and '-', separated by '.'",
        Some("name") => "may contain only letters, digits, '_' and '-'",
        _ => "does not have the expected format",
    }
}

fn value_help(path: &[String], found: &str) -> Option<String> {
    match path.last().map(String::as_str)? {
        "apiVersion" => Some("set `apiVersion: score.dev/v1b1`".into()),
        "cpu" => Some(format!("try `{}`", found.replace(' ', ""))),
        "memory" => {
            let fixed = found
                .replace(' ', "")
                .replace("GB", "G")
                .replace("MB", "M")
                .replace("KB", "K");
            Some(format!(
                "try `{fixed}` (Kubernetes quantity units: K, M, G, Ki, Mi, Gi …)"
            ))
        }
        // Only workload names and ids are labels; header names keep their case.
        "name" if path.len() == 2 && path[0] == "metadata" => suggest_label(found)
            .filter(|f| f != found)
            .map(|f| format!("try `{f}`")),
        "id" => suggest_label(found)
            .filter(|f| f != found)
            .map(|f| format!("try `{f}`")),
        _ => None,
    }
}

/// A lower-case RFC 1123 label close to `s`, when one exists.
fn suggest_label(s: &str) -> Option<String> {
    let fixed: String = s
        .to_ascii_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    let fixed = fixed.trim_matches('-').to_string();
    (fixed.len() >= 2 && fixed.len() <= 63).then_some(fixed)
}

fn required_help(field: &str) -> Option<&'static str> {
    Some(match field {
        "apiVersion" => "add `apiVersion: score.dev/v1b1` at the top of the file",
        "metadata" => "add `metadata:` with a `name:` for the workload",
        "name" => "add `name: <workload-name>` under `metadata`",
        "containers" => "add `containers:` with at least one container and its `image`",
        "image" => "add `image: <registry/name:tag>`, or `image: .` to build it locally",
        "type" => "add `type: <resource type>`, e.g. `type: postgres`",
        "port" => "add `port: <1-65535>`",
        "ready" => "add `ready: started`, `ready: healthy` or `ready: complete`",
        _ => return None,
    })
}

fn not_help(path: &[String]) -> String {
    if path.len() >= 3 && matches!(path[2].as_str(), "files" | "volumes") {
        "in the map form the key is the target path: remove `target`".into()
    } else {
        "remove this entry".into()
    }
}

/// Most unknown fields reported one by one in a mapping; the rest are summed up.
const MAX_UNKNOWN_FIELDS: usize = 20;

/// The span of each key of a mapping, so that many unknown keys are found in linear time.
fn key_spans(node: &Node) -> std::collections::HashMap<String, Span> {
    match &node.kind {
        NodeKind::Map(entries) => entries
            .iter()
            .filter_map(|(k, _)| Some((k.key_string()?, k.span)))
            .collect(),
        _ => Default::default(),
    }
}
