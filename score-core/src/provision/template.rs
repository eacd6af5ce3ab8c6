//! Running a `template://` provisioner: render each template in order and parse it as YAML.
//! Entries in our minijinja dialect and in Go `text/template` (the reference tools') share the
//! order and the YAML step; [`Engines`] holds what each language compiles and keeps.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use minijinja::Environment;
use serde_json::{Map, Value};

use super::file::{Provisioner, TemplateText};
use super::gotemplate::{self, data, Compiled, ErrorKind, Functions, GoError};
use super::{Outcome, RunInputs};
use crate::diagnostic::Diagnostic;
use crate::source::{SourceFile, Span};
use crate::yaml;

/// The template engines of one provisioning run, with their compiled templates.
pub(crate) struct Engines {
    /// minijinja, with our helpers (templates are kept inside it by name).
    pub jinja: Environment<'static>,
    /// sprig for Go templates (built at the first Go template: most runs have none).
    go_functions: Option<Functions>,
    /// Compiled Go templates by name (a failed compile is kept too: it fails the same way).
    go_compiled: HashMap<String, Result<Compiled, GoError>>,
    /// The target's vars under the reference tools' names, built at the first Go template.
    go_vars: Option<BTreeMap<Arc<str>, gotmpl::Value>>,
    random: super::functions::Random,
}

impl Engines {
    /// Engines whose random helpers draw from `random`.
    pub(crate) fn new(random: &super::functions::Random) -> Self {
        Engines {
            jinja: super::functions::environment(random),
            go_functions: None,
            random: random.clone(),
            go_compiled: HashMap::new(),
            go_vars: None,
        }
    }
}

/// Render the Go `templates` of `p` for one resource, as score-compose and score-k8s do:
/// `init`, then `state` (which sees the previous `.State`; without a `state` template the new
/// state is empty), `shared` (merged into `.Shared`), `outputs`, then the target's keys.
pub(crate) fn run_go(
    engines: &mut Engines,
    p: &Provisioner,
    templates: &BTreeMap<String, TemplateText>,
    inputs: &RunInputs,
    artifact_keys: &[String],
) -> Result<Outcome, Box<Diagnostic>> {
    let run_vars = engines
        .go_vars
        .get_or_insert_with(|| data::run_vars(&inputs.vars))
        .clone();
    let mut init: Option<Map<String, Value>> = None;
    let mut state = inputs.state.clone();
    let mut shared = inputs.shared.clone();
    let mut out = Outcome::default();
    let render = |engines: &mut Engines,
                  key: &str,
                  init: &Option<Map<String, Value>>,
                  state: &Map<String, Value>,
                  shared: &Map<String, Value>|
     -> Result<Option<Value>, Box<Diagnostic>> {
        let Some(t) = templates.get(key) else {
            return Ok(None);
        };
        let d = data::data(&run_vars, &inputs.context, init.as_ref(), state, shared);
        render_go(engines, p, key, t, &d)
    };
    init = Some(match render(engines, "init", &init, &state, &shared)? {
        Some(v) => expect_map(p, "init", v)?,
        None => Map::new(),
    });
    state = match render(engines, "state", &init, &state, &shared)? {
        Some(v) => expect_map(p, "state", v)?,
        None => Map::new(),
    };
    out.state = state.clone();
    if let Some(v) = render(engines, "shared", &init, &state, &shared)? {
        out.shared = expect_map(p, "shared", v)?;
        super::engine::merge_shared(&mut shared, &out.shared);
    }
    if let Some(v) = render(engines, "outputs", &init, &state, &shared)? {
        out.outputs = expect_map(p, "outputs", v)?;
    }
    for key in artifact_keys {
        if let Some(v) = render(engines, key, &init, &state, &shared)? {
            out.artifacts.insert(key.clone(), v);
        }
    }
    Ok(out)
}

fn render_go(
    engines: &mut Engines,
    p: &Provisioner,
    key: &str,
    t: &TemplateText,
    data: &gotmpl::Value,
) -> Result<Option<Value>, Box<Diagnostic>> {
    let name = format!("{}#{}@{}", p.file.name(), p.span.start, key);
    let random = &engines.random;
    let functions = engines
        .go_functions
        .get_or_insert_with(|| Functions::new(random));
    let compiled = engines
        .go_compiled
        .entry(name)
        .or_insert_with(|| gotemplate::compile(&t.text, functions));
    let compiled = compiled.as_ref().map_err(|e| go_error(p, key, t, e))?;
    let mut buf = Capped(Vec::new());
    compiled
        .render(data, &mut buf)
        .map_err(|e| go_error(p, key, t, &e))?;
    let text = String::from_utf8(buf.0)
        .map_err(|_| run_error(p, key, "rendered text is not UTF-8".into()))?;
    parse_rendered(p, key, text)
}

fn go_error(p: &Provisioner, key: &str, t: &TemplateText, e: &GoError) -> Box<Diagnostic> {
    let span = match e.line {
        Some(line) => line_span(&p.file, t.first_line + line - 1),
        None => key_span(p, key),
    };
    let what = match e.kind {
        ErrorKind::Syntax => "has a syntax error",
        ErrorKind::UnknownFunction => "calls an unknown function",
        _ => "failed",
    };
    let mut d = Diagnostic::error(
        "score::provisioner::template",
        format!(
            "provisioner `{}`: template `{key}` {what}: {}",
            p.uri, e.message
        ),
    )
    .with_label(&p.file, span, "here");
    d = match e.kind {
        ErrorKind::UnknownFunction => d.with_help(format!(
            "Go templates may call Go's built-ins and these sprig functions: {}",
            gotemplate::supported_functions().join(", ")
        )),
        ErrorKind::StepLimit => {
            d.with_help("the template ran too long; look for a loop that does not end")
        }
        _ if e.message.contains("rendered output exceeds") => {
            d.with_help("the template produced too much output; look for a loop that explodes")
        }
        _ => d,
    };
    Box::new(d)
}

/// Largest text one template may render, in bytes.
const MAX_RENDERED_BYTES: usize = 4 * 1024 * 1024;

/// Render `templates` of `p` for one resource.
pub(crate) fn run(
    engines: &mut Engines,
    p: &Provisioner,
    templates: &BTreeMap<String, TemplateText>,
    inputs: &RunInputs,
    artifact_keys: &[String],
) -> Result<Outcome, Box<Diagnostic>> {
    // The context is converted to template values once per resource; only the small entries
    // that change between templates (`state`, `shared`, `init`) are converted again. Keys of
    // `layer` never collide with the context's, so the lookup order does not matter.
    let base = minijinja::Value::from(minijinja::value::Serde(&inputs.context));
    let as_template = |v: &Map<String, Value>| minijinja::Value::from(minijinja::value::Serde(v));
    let mut layer: BTreeMap<&str, minijinja::Value> = BTreeMap::new();
    layer.insert("state", as_template(&inputs.state));
    layer.insert("shared", as_template(&inputs.shared));
    let mut out = Outcome {
        state: inputs.state.clone(),
        ..Outcome::default()
    };
    let env = &mut engines.jinja;
    let mut render = |key: &str,
                      layer: &BTreeMap<&str, minijinja::Value>|
     -> Result<Option<Value>, Box<Diagnostic>> {
        let Some(t) = templates.get(key) else {
            return Ok(None);
        };
        let ctx = minijinja::value::merge_maps([
            minijinja::Value::from(layer.clone()),
            base.clone(),
            inputs.vars_template.clone(),
        ]);
        render_one(env, p, key, t, ctx)
    };
    if let Some(init) = render("init", &layer)? {
        layer.insert(
            "init",
            minijinja::Value::from(minijinja::value::Serde(&init)),
        );
    }
    if let Some(state) = render("state", &layer)? {
        out.state = expect_map(p, "state", state)?;
        layer.insert("state", as_template(&out.state));
    }
    if let Some(shared) = render("shared", &layer)? {
        out.shared = expect_map(p, "shared", shared)?;
        let mut merged = inputs.shared.clone();
        super::engine::merge_shared(&mut merged, &out.shared);
        layer.insert("shared", as_template(&merged));
    }
    if let Some(outputs) = render("outputs", &layer)? {
        out.outputs = expect_map(p, "outputs", outputs)?;
    }
    for key in artifact_keys {
        if let Some(v) = render(key, &layer)? {
            out.artifacts.insert(key.clone(), v);
        }
    }
    Ok(out)
}

fn render_one(
    env: &mut Environment<'static>,
    p: &Provisioner,
    key: &str,
    t: &TemplateText,
    ctx: minijinja::Value,
) -> Result<Option<Value>, Box<Diagnostic>> {
    // Compiled once per provisioner entry and key, then reused for every resource it serves.
    let name = format!("{}#{}@{}", p.file.name(), p.span.start, key);
    if env.get_template(&name).is_err() {
        env.add_template_owned(name.clone(), t.text.clone())
            .map_err(|e| template_error(p, key, t, &e))?;
    }
    let tmpl = env
        .get_template(&name)
        .map_err(|e| template_error(p, key, t, &e))?;
    let mut buf = Capped(Vec::new());
    tmpl.render_captured_to(ctx, &mut buf)
        .map_err(|e| template_error(p, key, t, &e))?;
    let text = String::from_utf8(buf.0)
        .map_err(|_| run_error(p, key, "rendered text is not UTF-8".into()))?;
    parse_rendered(p, key, text)
}

/// A rendered template as a value: nothing for blank text, else its YAML.
fn parse_rendered(
    p: &Provisioner,
    key: &str,
    text: String,
) -> Result<Option<Value>, Box<Diagnostic>> {
    if text.trim().is_empty() {
        return Ok(None);
    }
    // Most rendered documents are plain block YAML: read those without the span-keeping parser
    // (debug builds check the two agree).
    if let Some(node) = yaml::fast::parse(&text) {
        return Ok(Some(node.into_json()));
    }
    let rendered = SourceFile::new(format!("{} `{key}` (rendered)", p.uri), text);
    let node = yaml::parse_source(&rendered).map_err(|d| {
        let mut d = *d;
        d.message = format!(
            "provisioner `{}` rendered invalid YAML for `{key}`: {}",
            p.uri, d.message
        );
        Box::new(
            d.with_help("check the template's indentation; use `| tojson` to embed values safely"),
        )
    })?;
    Ok(Some(node.into_json()))
}

/// A writer that refuses to grow past [`MAX_RENDERED_BYTES`] (stops exploding templates).
struct Capped(Vec<u8>);

impl std::io::Write for Capped {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.0.len() + buf.len() > MAX_RENDERED_BYTES {
            return Err(std::io::Error::other(format!(
                "rendered output exceeds {MAX_RENDERED_BYTES} bytes"
            )));
        }
        self.0.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn expect_map(p: &Provisioner, key: &str, v: Value) -> Result<Map<String, Value>, Box<Diagnostic>> {
    match v {
        Value::Object(m) => Ok(m),
        Value::Null => Ok(Map::new()),
        other => Err(run_error(
            p,
            key,
            format!("`{key}` must render a mapping, got {}", kind_of(&other)),
        )),
    }
}

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Array(_) => "a list",
        Value::String(_) => "a string",
        Value::Number(_) => "a number",
        Value::Bool(_) => "a boolean",
        _ => "something else",
    }
}

fn run_error(p: &Provisioner, key: &str, msg: String) -> Box<Diagnostic> {
    let span = key_span(p, key);
    Box::new(
        Diagnostic::error(
            "score::provisioner::template",
            format!("provisioner `{}`: {msg}", p.uri),
        )
        .with_label(&p.file, span, format!("template `{key}`")),
    )
}

/// Span of the line `line` (1-based) of a file.
fn line_span(src: &SourceFile, line: usize) -> Span {
    let text = src.text();
    let start = text
        .split_inclusive('\n')
        .take(line.saturating_sub(1))
        .map(str::len)
        .sum::<usize>()
        .min(text.len());
    let end = text[start..].find('\n').map_or(text.len(), |i| start + i);
    let indent = text[start..end].len() - text[start..end].trim_start().len();
    Span::new(start + indent, end)
}

fn key_span(p: &Provisioner, key: &str) -> Span {
    let text = &p.file.text()[p.span.range()];
    text.find(&format!("{key}:")).map_or(p.span, |i| {
        Span::new(p.span.start + i, p.span.start + i + key.len())
    })
}

fn template_error(
    p: &Provisioner,
    key: &str,
    t: &TemplateText,
    e: &minijinja::Error,
) -> Box<Diagnostic> {
    let detail = e
        .detail()
        .map_or_else(|| e.kind().to_string(), |d| format!("{}: {d}", e.kind()));
    let span = match e.line() {
        Some(line) => line_span(&p.file, t.first_line + line - 1),
        None => key_span(p, key),
    };
    let mut d = Diagnostic::error(
        "score::provisioner::template",
        format!("provisioner `{}` failed to render `{key}`: {detail}", p.uri),
    )
    .with_label(&p.file, span, "while rendering this line");
    if e.kind() == minijinja::ErrorKind::OutOfFuel {
        d = d.with_help("the template ran too long; look for a loop that does not end");
    } else if e.kind() == minijinja::ErrorKind::WriteFailure {
        d = d.with_help("the template produced too much output; look for a loop that explodes");
    }
    Box::new(d)
}
