//! Provisioner files: `*.provisioners.yaml` in the state directory, each a YAML list of entries.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::dialect::{self, Syntax};
use crate::diagnostic::Diagnostic;
use crate::source::{SourceFile, Span};
use crate::suggest::closest;
use crate::yaml::{self, Node, NodeKind};

/// File names ending with this are provisioner files.
pub const PROVISIONER_FILE_SUFFIX: &str = ".provisioners.yaml";

/// Keys every entry may have; any other key must be a template key of some target.
const COMMON_KEYS: &[&str] = &[
    "uri",
    "type",
    "class",
    "id",
    "targets",
    "description",
    "supported_params",
    "expected_outputs",
    "secret_outputs",
    "init",
    "state",
    "shared",
    "outputs",
    "warnings",
    "args",
    "timeout_seconds",
    "syntax",
];

/// How a provisioner runs.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum ProvisionerKind {
    /// `template://…`: minijinja templates by key (`init`, `state`, `shared`, `outputs`, target keys).
    Template(BTreeMap<String, TemplateText>),
    /// `template://…` written in Go `text/template` with sprig, as for score-compose and
    /// score-k8s (see [`crate::provision`]'s `dialect` rule).
    GoTemplate(BTreeMap<String, TemplateText>),
    /// `cmd://program`: JSON on stdin, JSON on stdout.
    Command {
        /// The program (after `cmd://`).
        program: String,
        /// Its arguments.
        args: Vec<String>,
        /// Kill it after this long.
        timeout: std::time::Duration,
    },
}

/// A template with where it stands, so errors can name the provisioner file's line.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct TemplateText {
    /// The template source.
    pub text: String,
    /// 1-based line in the provisioner file where the template's first line stands.
    pub first_line: usize,
}

/// One entry of a provisioner file.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Provisioner {
    /// `template://…` or `cmd://…`.
    pub uri: String,
    /// Resource type it handles.
    pub kind: String,
    /// Only this class, when set.
    pub class: Option<String>,
    /// Only this resource id, when set.
    pub id: Option<String>,
    /// Only these targets, when set.
    pub targets: Option<Vec<String>>,
    /// Human description.
    pub description: Option<String>,
    /// Output keys whose values are secret.
    pub secret_outputs: Vec<String>,
    /// Outputs it promises (informational).
    pub expected_outputs: Vec<String>,
    /// Params it understands (informational).
    pub supported_params: Vec<String>,
    /// How it runs.
    pub run: ProvisionerKind,
    /// The file it came from (not in the parse cache: it is the file the cache was checked against).
    #[serde(skip, default = "no_file")]
    pub file: SourceFile,
    /// The entry's span in that file.
    pub span: Span,
}

fn no_file() -> SourceFile {
    SourceFile::new("", "")
}

impl Provisioner {
    /// Whether this entry may serve `target`: its `targets` lists it, or it has no `targets` and
    /// uses no template key outside `target_keys`.
    pub fn applies_to(&self, target: &str, target_keys: &[String]) -> bool {
        match (&self.targets, &self.run) {
            (Some(ts), _) => ts.iter().any(|t| t == target),
            (None, ProvisionerKind::Template(ts) | ProvisionerKind::GoTemplate(ts)) => ts
                .keys()
                .all(|k| COMMON_KEYS.contains(&k.as_str()) || target_keys.contains(k)),
            (None, ProvisionerKind::Command { .. }) => true,
        }
    }

    /// Whether it handles a resource of this type, class and id. `id` is the part of the
    /// resource's UID after `#`, as score-compose and score-k8s match it: the declared `id` of a
    /// shared resource, else `<workload>.<resource>`.
    ///
    /// ```
    /// use score_core::provision::parse_provisioner_file;
    /// use score_core::SourceFile;
    /// let src = SourceFile::new("p", "- uri: template://x\n  type: redis\n  id: web.cache\n");
    /// let p = &parse_provisioner_file(&src).unwrap()[0];
    /// assert!(p.matches("redis", "default", "web.cache"));
    /// assert!(!p.matches("redis", "default", "web.other"));
    /// ```
    pub fn matches(&self, kind: &str, class: &str, id: &str) -> bool {
        self.kind == kind
            && self.class.as_deref().is_none_or(|c| c == class)
            && self.id.as_deref().is_none_or(|i| i == id)
    }
}

/// The first of `provisioners` that serves `target` (with these template keys) and handles
/// `need`: the one the engine runs.
pub(crate) fn first_serving<'p>(
    provisioners: &'p [Provisioner],
    target: &str,
    target_keys: &[String],
    need: &Need,
) -> Option<&'p Provisioner> {
    provisioners
        .iter()
        .find(|p| p.applies_to(target, target_keys) && p.matches(need.kind, need.class, &need.id))
}

/// Load every `*.provisioners.yaml` in `dir`, in file-name order, entries in file order.
pub fn load_provisioner_files(dir: &Path) -> Result<Vec<Provisioner>, Vec<Diagnostic>> {
    load_provisioner_files_where(dir, true, |_| true, &|_| true)
}

/// Like [`load_provisioner_files`], for one target: the defaults `init` writes for other targets
/// (`zz-default-<other>.provisioners.yaml`) are not read, since none of their entries could match.
pub fn load_provisioner_files_for(
    dir: &Path,
    target: &str,
) -> Result<Vec<Provisioner>, Vec<Diagnostic>> {
    load_target_files(dir, true, target, &|_| true)
}

/// A resource a run provisions, as the provisioner lookup sees it.
pub(crate) struct Need<'a> {
    pub kind: &'a str,
    pub class: &'a str,
    /// The part of its UID after `#` (see [`Provisioner::matches`]).
    pub id: std::borrow::Cow<'a, str>,
}

/// [`load_provisioner_files_for`] with only the entries of the resource types in `needs`: from
/// the parse cache, the other entries are never parsed (a default file has some 20 types, a run
/// uses a few). Lookups find the same first entry either way, since every entry of a needed
/// type is kept in order. When some need has no entry serving it, the whole list is loaded
/// instead, so that the "not supported" diagnostic, which lists every type, reads the same.
pub(crate) fn load_provisioners_serving(
    dir: &Path,
    cache: bool,
    target: &str,
    target_keys: &[String],
    needs: &[Need],
) -> Result<Vec<Provisioner>, Vec<Diagnostic>> {
    let kinds: std::collections::BTreeSet<&str> = needs.iter().map(|n| n.kind).collect();
    let some = load_target_files(dir, cache, target, &|kind| kinds.contains(kind))?;
    let served = |n: &Need| first_serving(&some, target, target_keys, n).is_some();
    if needs.iter().all(served) {
        return Ok(some);
    }
    load_target_files(dir, cache, target, &|_| true)
}

/// The files `target` reads: everyone's but the other targets' defaults.
fn load_target_files(
    dir: &Path,
    cache: bool,
    target: &str,
    keep_kind: &dyn Fn(&str) -> bool,
) -> Result<Vec<Provisioner>, Vec<Diagnostic>> {
    let own = format!("zz-default-{target}{PROVISIONER_FILE_SUFFIX}");
    let keep_file = |name: &str| !name.starts_with("zz-default-") || name == own;
    load_provisioner_files_where(dir, cache, keep_file, keep_kind)
}

/// `cache`: parsed files are cached in `dir` (read either way, written only when true).
fn load_provisioner_files_where(
    dir: &Path,
    cache: bool,
    keep: impl Fn(&str) -> bool,
    keep_kind: &dyn Fn(&str) -> bool,
) -> Result<Vec<Provisioner>, Vec<Diagnostic>> {
    let mut files: Vec<PathBuf> = match std::fs::read_dir(dir) {
        Ok(rd) => rd
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| {
                p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.ends_with(PROVISIONER_FILE_SUFFIX) && keep(n))
            })
            .collect(),
        Err(e) => {
            return Err(vec![Diagnostic::error(
                "score::provisioner::read",
                format!("cannot list provisioner files in `{}`: {e}", dir.display()),
            )])
        }
    };
    files.sort();
    let mut out = Vec::new();
    let mut errors = Vec::new();
    for path in files {
        match crate::load::read_source(&path) {
            Ok(src) => match super::cache::parse_cached(dir, cache, &src, keep_kind) {
                Ok(entries) => out.extend(entries),
                Err(mut e) => errors.append(&mut e),
            },
            Err(d) => errors.push(*d),
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

/// Parse one provisioner file.
///
/// ```
/// use score_core::{provision::parse_provisioner_file, SourceFile};
/// let src = SourceFile::new("p.provisioners.yaml", "- uri: template://x/redis\n  type: redis\n  outputs: |\n    host: redis\n");
/// let entries = parse_provisioner_file(&src).unwrap();
/// assert_eq!(entries[0].kind, "redis");
/// ```
pub fn parse_provisioner_file(src: &SourceFile) -> Result<Vec<Provisioner>, Vec<Diagnostic>> {
    let root = yaml::parse_source(src).map_err(|d| vec![*d])?;
    let NodeKind::Seq(items) = &root.kind else {
        return Err(vec![Diagnostic::error(
            "score::provisioner::format",
            "a provisioner file must be a YAML list of entries",
        )
        .with_label(src, root.span, "expected a list here")
        .with_help(
            "start each entry with `- uri: template://…` and `type: …`",
        )]);
    };
    let mut out = Vec::new();
    let mut errors = Vec::new();
    for item in items {
        match parse_entry(item, src) {
            Ok(p) => out.push(p),
            Err(d) => errors.push(d),
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

fn parse_entry(item: &Node, src: &SourceFile) -> Result<Provisioner, Diagnostic> {
    let err = |span: Span, msg: String, label: &str| {
        Diagnostic::error("score::provisioner::format", msg).with_label(
            src,
            span,
            label.to_string(),
        )
    };
    let NodeKind::Map(entries) = &item.kind else {
        return Err(err(
            item.span,
            "a provisioner entry must be a mapping".into(),
            "expected `uri:`, `type:` …",
        ));
    };
    let string = |key: &str| -> Result<Option<String>, Diagnostic> {
        match item.get(key) {
            None
            | Some(Node {
                kind: NodeKind::Null,
                ..
            }) => Ok(None),
            Some(n) => n
                .as_str()
                .map(|s| Some(s.to_string()))
                .ok_or_else(|| err(n.span, format!("`{key}` must be a string"), "not a string")),
        }
    };
    let list = |key: &str| -> Result<Vec<String>, Diagnostic> {
        match item.get(key) {
            None => Ok(Vec::new()),
            Some(n) => match &n.kind {
                NodeKind::Seq(xs) => xs
                    .iter()
                    .map(|x| {
                        x.key_string().ok_or_else(|| {
                            err(x.span, format!("`{key}` items must be strings"), "here")
                        })
                    })
                    .collect(),
                NodeKind::Null => Ok(Vec::new()),
                _ => Err(err(
                    n.span,
                    format!("`{key}` must be a list of strings"),
                    "expected a list",
                )),
            },
        }
    };
    let uri = string("uri")?.ok_or_else(|| {
        err(
            item.span,
            "provisioner entry without `uri`".into(),
            "add `uri: template://…` or `uri: cmd://…`",
        )
    })?;
    let kind = string("type")?.ok_or_else(|| {
        err(
            item.span,
            format!("provisioner `{uri}` has no `type`"),
            "add `type: <resource type>`",
        )
    })?;
    let run = if uri.starts_with("template://") {
        let mut templates = BTreeMap::new();
        for (k, v) in entries {
            let key = k.key_string().unwrap_or_default();
            if matches!(
                key.as_str(),
                "uri"
                    | "type"
                    | "class"
                    | "id"
                    | "targets"
                    | "description"
                    | "supported_params"
                    | "expected_outputs"
                    | "secret_outputs"
                    | "syntax"
            ) {
                continue;
            }
            if matches!(key.as_str(), "args" | "timeout_seconds") {
                return Err(err(
                    k.span,
                    format!("`{key}` only applies to `cmd://` provisioners"),
                    "not for templates",
                ));
            }
            let text = template_text(v).ok_or_else(|| {
                err(
                    v.span,
                    format!("template `{key}` must be a string"),
                    "use a block string `|`",
                )
            })?;
            templates.insert(
                key,
                TemplateText {
                    text,
                    first_line: first_content_line(src, v),
                },
            );
        }
        let syntax = match string("syntax")? {
            Some(s) => Syntax::parse(&s).ok_or_else(|| {
                let span = item.get("syntax").map_or(item.span, |n| n.span);
                err(
                    span,
                    format!("unknown template syntax `{s}`"),
                    "expected `go` or `jinja`",
                )
            })?,
            None => dialect::detect(templates.values().map(|t| t.text.as_str())),
        };
        match syntax {
            Syntax::Jinja => ProvisionerKind::Template(templates),
            Syntax::Go => ProvisionerKind::GoTemplate(templates),
        }
    } else if let Some(program) = uri.strip_prefix("cmd://") {
        for (k, _) in entries {
            let key = k.key_string().unwrap_or_default();
            if !COMMON_KEYS.contains(&key.as_str()) {
                let d = err(
                    k.span,
                    format!("unknown key `{key}` in a `cmd://` provisioner"),
                    "unknown",
                );
                return Err(match closest(&key, COMMON_KEYS.iter().copied()) {
                    Some(b) => d.with_help(format!("did you mean `{b}`?")),
                    None => d,
                });
            }
        }
        let timeout = match item.get("timeout_seconds").map(|n| &n.kind) {
            None => 60,
            Some(NodeKind::Int(i)) if *i > 0 => *i as u64,
            Some(_) => {
                return Err(err(
                    item.get("timeout_seconds").map_or(item.span, |n| n.span),
                    "`timeout_seconds` must be a positive integer".into(),
                    "here",
                ))
            }
        };
        ProvisionerKind::Command {
            program: program.to_string(),
            args: list("args")?,
            timeout: std::time::Duration::from_secs(timeout),
        }
    } else {
        let span = item.get("uri").map_or(item.span, |n| n.span);
        return Err(err(
            span,
            format!("unsupported provisioner uri `{uri}`"),
            "expected `template://` or `cmd://`",
        ));
    };
    Ok(Provisioner {
        uri,
        kind,
        class: string("class")?,
        id: string("id")?,
        targets: item.get("targets").map(|_| list("targets")).transpose()?,
        description: string("description")?,
        secret_outputs: list("secret_outputs")?,
        expected_outputs: list("expected_outputs")?,
        supported_params: list("supported_params")?,
        run,
        file: src.clone(),
        span: item.span,
    })
}

/// Templates are usually strings; a mapping or list written inline is used as its YAML text.
fn template_text(v: &Node) -> Option<String> {
    match &v.kind {
        NodeKind::Str(s) => Some(s.clone()),
        NodeKind::Null => Some(String::new()),
        NodeKind::Map(_) | NodeKind::Seq(_) => crate::state::to_yaml(&v.to_json()).ok(),
        _ => v.key_string(),
    }
}

/// The file line where a template's text starts (block scalars start on the next line).
fn first_content_line(src: &SourceFile, v: &Node) -> usize {
    let (line, _) = src.line_col(v.span.start);
    let raw = &src.text()[v.span.range()];
    if raw.starts_with('|') || raw.starts_with('>') {
        line + 1
    } else {
        line
    }
}

/// A JSON view of an entry for `provisioners list --format json`.
pub fn describe(p: &Provisioner) -> Value {
    serde_json::json!({
        "uri": p.uri,
        "type": p.kind,
        "class": p.class,
        "id": p.id,
        "targets": p.targets,
        "description": p.description,
        "outputs": p.expected_outputs,
        "secret_outputs": p.secret_outputs,
        "params": p.supported_params,
        "file": p.file.name(),
    })
}

#[cfg(test)]
mod serving_tests {
    use super::*;

    const USER: &str = "\
- uri: template://me/redis-big
  type: redis
  class: big
  outputs: 'host: big'
- uri: template://me/mysql
  type: mysql
  class: small
  outputs: 'host: mysql'
";
    const DEFAULTS: &str = "\
- uri: template://default/redis
  type: redis
  outputs: 'host: redis'
- uri: template://default/postgres
  type: postgres
  outputs: 'host: pg'
";

    fn dir() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.provisioners.yaml"), USER).unwrap();
        let defaults = dir.path().join("zz-default-k8s.provisioners.yaml");
        std::fs::write(defaults, DEFAULTS).unwrap();
        dir
    }

    fn uris(dir: &Path, needs: &[Need]) -> Vec<String> {
        let got = load_provisioners_serving(dir, true, "k8s", &[], needs).unwrap();
        got.into_iter().map(|p| p.uri).collect()
    }

    fn need<'a>(kind: &'a str, class: &'a str) -> Need<'a> {
        Need {
            kind,
            class,
            id: "web.res".into(),
        }
    }

    #[test]
    fn only_the_needed_types_are_kept_in_file_order() {
        let dir = dir();
        // Twice: the first run parses the YAML (and writes the cache), the second reads the cache.
        for _ in 0..2 {
            let got = uris(dir.path(), &[need("redis", "default")]);
            assert_eq!(got, ["template://me/redis-big", "template://default/redis"]);
        }
        assert!(dir.path().join("cache/a.provisioners.yaml.jsonl").is_file());
    }

    #[test]
    fn an_unserved_need_loads_everything_for_the_diagnostic() {
        let dir = dir();
        let all = load_provisioner_files_for(dir.path(), "k8s").unwrap();
        let all: Vec<String> = all.into_iter().map(|p| p.uri).collect();
        for _ in 0..2 {
            assert_eq!(uris(dir.path(), &[need("postgress", "default")]), all);
            // The type exists, but no entry serves the class.
            let mysql_large = [need("redis", "default"), need("mysql", "large")];
            assert_eq!(uris(dir.path(), &mysql_large), all);
            let mysql_small = [need("mysql", "small")];
            assert_eq!(uris(dir.path(), &mysql_small), ["template://me/mysql"]);
        }
    }
}
