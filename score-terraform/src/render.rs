//! Render a module file from its canonical Terraform JSON value, as `.tf.json` or as HCL.
//!
//! Both renderers walk the same value in the same order ([`entries`]), so the two formats are
//! equivalent by construction. In the canonical value every nested block is an array of
//! objects (see [`crate::blocks`]); any other value is an attribute.
//!
//! HCL is built block by block as [`hcl::Block`]s, printed with hcl-rs, then aligned the way
//! `terraform fmt` aligns (see [`crate::align`]).

use std::fmt::Write as _;

use hcl::expr::{Expression, Heredoc, HeredocStripMode, ObjectKey, TemplateExpr};
use hcl::format::Format as _;
use hcl::template::{Directive, Element, Template};
use hcl::{Attribute, Block, Body, Identifier};
use serde_json::Value;

use crate::tmpl;

/// What kind of body a JSON object is, which decides the order of its keys and which of
/// them are blocks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyKind {
    /// A resource or data body (`nested`: inside a block of one).
    Resource {
        /// Inside a block of a resource or data body.
        nested: bool,
    },
    /// A `module` block: attributes only.
    Module,
    /// A `variable` block.
    Variable,
    /// An `output` block.
    Output,
    /// A `provider` block.
    Provider,
    /// `locals`: attributes only.
    Locals,
}

/// Top-level sections, in the order both formats write them.
pub const SECTIONS: &[&str] = &[
    "terraform",
    "variable",
    "locals",
    "provider",
    "data",
    "module",
    "resource",
    "output",
];

/// Attribute keys written before the others, by body kind.
fn leading(kind: BodyKind) -> &'static [&'static str] {
    match kind {
        BodyKind::Resource { nested: false } => &["count", "for_each", "provider"],
        BodyKind::Resource { nested: true } => &["name", "namespace"],
        BodyKind::Module => &["source", "version", "count", "for_each", "providers"],
        BodyKind::Variable => &["type", "description", "default", "sensitive", "nullable"],
        BodyKind::Output => &["description", "value", "sensitive"],
        BodyKind::Provider => &["alias"],
        BodyKind::Locals => &[],
    }
}

/// Whether `key: value` of a body of `kind` is a nested block.
pub fn is_block(kind: BodyKind, key: &str, value: &Value) -> bool {
    let blocks_allowed = match kind {
        BodyKind::Resource { .. } | BodyKind::Provider => true,
        BodyKind::Variable => key == "validation",
        BodyKind::Output => key == "precondition",
        BodyKind::Module | BodyKind::Locals => false,
    };
    blocks_allowed
        && matches!(value, Value::Array(xs) if !xs.is_empty() && xs.iter().all(Value::is_object))
}

/// The entries of a body in writing order: leading attributes, other attributes sorted,
/// `depends_on`, blocks sorted, `lifecycle`.
pub fn entries(
    kind: BodyKind,
    map: &serde_json::Map<String, Value>,
) -> Vec<(&String, &Value, bool)> {
    let lead = leading(kind);
    let mut items: Vec<(&String, &Value, bool)> = map
        .iter()
        .map(|(k, v)| (k, v, is_block(kind, k, v)))
        .collect();
    let rank = |(k, _, block): &(&String, &Value, bool)| -> (u8, usize, String) {
        if *block {
            (
                if k.as_str() == "lifecycle" { 4 } else { 3 },
                0,
                (*k).clone(),
            )
        } else if let Some(i) = lead.iter().position(|l| l == k) {
            (0, i, String::new())
        } else if k.as_str() == "depends_on" {
            (2, 0, String::new())
        } else {
            (1, 0, (*k).clone())
        }
    };
    items.sort_by_key(|e| rank(e));
    items
}

/// The kind of the bodies directly under a section.
fn section_body(section: &str) -> BodyKind {
    match section {
        "module" => BodyKind::Module,
        "variable" => BodyKind::Variable,
        "output" => BodyKind::Output,
        "provider" => BodyKind::Provider,
        "locals" => BodyKind::Locals,
        _ => BodyKind::Resource { nested: false },
    }
}

/// How many label levels a section has (`resource "t" "n"` has two).
fn section_depth(section: &str) -> usize {
    match section {
        "resource" | "data" => 2,
        "terraform" | "locals" => 0,
        _ => 1,
    }
}

// ---------------------------------------------------------------------------------------------
// JSON

/// Pretty-print a file value as Terraform JSON (two-space indent, keys in writing order).
pub fn to_json(file: &Value) -> String {
    let mut out = String::new();
    let Value::Object(top) = file else {
        return "{}\n".into();
    };
    let sections: Vec<(&String, &Value)> = SECTIONS
        .iter()
        .filter_map(|s| top.get_key_value(*s))
        .collect();
    write_obj(&mut out, 0, sections, |out, ind, key, v| {
        write_section(out, ind, key, v)
    });
    out.push('\n');
    out
}

fn write_section(out: &mut String, ind: usize, section: &str, v: &Value) {
    match (section, v) {
        ("terraform", Value::Object(m)) => {
            let mut keys: Vec<(&String, &Value)> = m.iter().collect();
            keys.sort_by_key(|(k, _)| (k.as_str() != "required_version", (*k).clone()));
            write_obj(out, ind, keys, |out, ind, _, v| write_value(out, ind, v));
        }
        ("locals", Value::Object(m)) => write_body(out, ind, BodyKind::Locals, m),
        (_, Value::Object(m)) => {
            write_labelled(out, ind, section_depth(section), section_body(section), m)
        }
        (_, other) => write_value(out, ind, other),
    }
}

fn write_labelled(
    out: &mut String,
    ind: usize,
    depth: usize,
    kind: BodyKind,
    m: &serde_json::Map<String, Value>,
) {
    let keys: Vec<(&String, &Value)> = m.iter().collect(); // sorted: serde_json maps are ordered by key
    let mut keys = keys;
    keys.sort_by(|a, b| a.0.cmp(b.0));
    write_obj(out, ind, keys, |out, ind, _, v| match v {
        Value::Object(inner) if depth > 1 => write_labelled(out, ind, depth - 1, kind, inner),
        Value::Object(body) => write_body(out, ind, kind, body),
        other => write_value(out, ind, other),
    });
}

fn write_body(out: &mut String, ind: usize, kind: BodyKind, m: &serde_json::Map<String, Value>) {
    let items: Vec<(&String, &Value)> = entries(kind, m)
        .into_iter()
        .map(|(k, v, _)| (k, v))
        .collect();
    write_obj(out, ind, items, |out, ind, key, v| {
        if is_block(kind, key, v) {
            let Value::Array(blocks) = v else { return };
            let nested = match kind {
                BodyKind::Resource { .. } => BodyKind::Resource { nested: true },
                other => other,
            };
            write_arr(out, ind, blocks, |out, ind, b| match b {
                Value::Object(bm) => write_body(out, ind, nested, bm),
                other => write_value(out, ind, other),
            });
        } else {
            write_value(out, ind, v);
        }
    });
}

fn write_value(out: &mut String, ind: usize, v: &Value) {
    match v {
        Value::Object(m) => {
            let mut keys: Vec<(&String, &Value)> = m.iter().collect();
            keys.sort_by(|a, b| a.0.cmp(b.0));
            write_obj(out, ind, keys, |out, ind, _, v| write_value(out, ind, v));
        }
        Value::Array(xs) => write_arr(out, ind, xs, write_value),
        scalar => out.push_str(&scalar.to_string()),
    }
}

fn write_obj<'a>(
    out: &mut String,
    ind: usize,
    items: Vec<(&'a String, &'a Value)>,
    mut each: impl FnMut(&mut String, usize, &str, &Value),
) {
    if items.is_empty() {
        out.push_str("{}");
        return;
    }
    out.push_str("{\n");
    let n = items.len();
    for (i, (k, v)) in items.into_iter().enumerate() {
        pad(out, ind + 1);
        out.push_str(&Value::String(k.clone()).to_string());
        out.push_str(": ");
        each(out, ind + 1, k, v);
        out.push_str(if i + 1 < n { ",\n" } else { "\n" });
    }
    pad(out, ind);
    out.push('}');
}

fn write_arr(
    out: &mut String,
    ind: usize,
    xs: &[Value],
    mut each: impl FnMut(&mut String, usize, &Value),
) {
    if xs.is_empty() {
        out.push_str("[]");
        return;
    }
    out.push_str("[\n");
    for (i, x) in xs.iter().enumerate() {
        pad(out, ind + 1);
        each(out, ind + 1, x);
        out.push_str(if i + 1 < xs.len() { ",\n" } else { "\n" });
    }
    pad(out, ind);
    out.push(']');
}

fn pad(out: &mut String, ind: usize) {
    for _ in 0..ind {
        out.push_str("  ");
    }
}

// ---------------------------------------------------------------------------------------------
// HCL

/// Render a file value as HCL formatted like `terraform fmt`.
///
/// Block by block: each top-level block is built, printed, aligned and dropped before the
/// next, so that the memory a module needs beyond its JSON value is one block's, not a
/// second and third copy of the whole module (hcl-rs's tree and the unaligned text).
///
/// # Errors
/// A message naming the attribute when a string is not a valid Terraform template.
pub fn to_hcl(file: &Value) -> Result<String, String> {
    let mut out = String::new();
    let Value::Object(top) = file else {
        return Ok(out);
    };
    for section in SECTIONS {
        let Some(v) = top.get(*section) else { continue };
        match (*section, v) {
            ("terraform", Value::Object(m)) => push_block(&mut out, terraform_block(m)?)?,
            ("locals", Value::Object(m)) => {
                let locals = Block::builder("locals")
                    .add_structures(hcl_body(BodyKind::Locals, m, "locals")?)
                    .build();
                push_block(&mut out, locals)?;
            }
            (s, Value::Object(m)) => {
                let (depth, kind) = (section_depth(s), section_body(s));
                let mut each = |b: Block| push_block(&mut out, b);
                labelled_blocks(s, depth, kind, m, &mut Vec::new(), &mut each)?;
            }
            (s, _) => return Err(format!("section `{s}` must be an object")),
        }
    }
    Ok(out)
}

/// Append a top-level block as hcl-rs prints it in a body (blocks apart by a blank line),
/// aligned (each block is aligned on its own: a blank line ends every alignment group).
fn push_block(out: &mut String, block: Block) -> Result<(), String> {
    let text = block_text(block)?;
    if !out.is_empty() {
        out.push('\n');
    }
    out.push_str(&text);
    Ok(())
}

/// A top-level block as [`to_hcl`] writes it, aligned, without the blank line before it.
fn block_text(block: Block) -> Result<String, String> {
    let mut f = hcl::format::Formatter::builder()
        .indent(b"  ")
        .compact_arrays(true)
        .build_vec();
    block.format(&mut f).map_err(|e| e.to_string())?;
    let text = String::from_utf8(f.into_inner()).map_err(|e| e.to_string())?;
    Ok(crate::align::align(&text))
}

/// The labelled block `section "labels"… { body }` (a canonical body of that section) as
/// [`to_hcl`] writes it within its file, without the blank line before it.
///
/// # Errors
/// When `body` is not an object or holds something HCL cannot say.
pub fn block_hcl(section: &str, labels: &[String], body: &Value) -> Result<String, String> {
    let at = format!("{section}.{}", labels.join("."));
    let Value::Object(body) = body else {
        return Err(format!("`{at}` must be an object"));
    };
    let mut b = Block::builder(section);
    for l in labels {
        b = b.add_label(l.as_str());
    }
    block_text(
        b.add_structures(hcl_body(section_body(section), body, &at)?)
            .build(),
    )
}

/// The `locals` block of these locals as [`to_hcl`] writes it.
///
/// # Errors
/// When a value holds something HCL cannot say.
pub fn locals_hcl(locals: &serde_json::Map<String, Value>) -> Result<String, String> {
    block_text(
        Block::builder("locals")
            .add_structures(hcl_body(BodyKind::Locals, locals, "locals")?)
            .build(),
    )
}

fn terraform_block(m: &serde_json::Map<String, Value>) -> Result<Block, String> {
    let mut b = Block::builder("terraform");
    if let Some(v) = m.get("required_version") {
        b = b.add_attribute(Attribute::new(
            "required_version",
            expr(v, "terraform.required_version")?,
        ));
    }
    if let Some(Value::Object(rp)) = m.get("required_providers") {
        let mut inner = Block::builder("required_providers");
        let mut names: Vec<&String> = rp.keys().collect();
        names.sort();
        for n in names {
            inner = inner.add_attribute(Attribute::new(ident(n)?, expr(&rp[n], n)?));
        }
        b = b.add_block(inner.build());
    }
    Ok(b.build())
}

/// The blocks of a section (`resource "t" "n" {…}`), in label order, each handed to `each`.
fn labelled_blocks(
    section: &str,
    depth: usize,
    kind: BodyKind,
    m: &serde_json::Map<String, Value>,
    labels: &mut Vec<String>,
    each: &mut dyn FnMut(Block) -> Result<(), String>,
) -> Result<(), String> {
    let mut keys: Vec<&String> = m.keys().collect();
    keys.sort();
    for k in keys {
        labels.push(k.clone());
        match &m[k] {
            Value::Object(inner) if depth > 1 => {
                labelled_blocks(section, depth - 1, kind, inner, labels, each)?;
            }
            Value::Object(body) => {
                let mut b = Block::builder(section);
                for l in labels.iter() {
                    b = b.add_label(l.as_str());
                }
                let at = format!("{section}.{}", labels.join("."));
                each(b.add_structures(hcl_body(kind, body, &at)?).build())?;
            }
            _ => {
                return Err(format!(
                    "`{section}.{}` must be an object",
                    labels.join(".")
                ))
            }
        }
        labels.pop();
    }
    Ok(())
}

fn hcl_body(
    kind: BodyKind,
    m: &serde_json::Map<String, Value>,
    at: &str,
) -> Result<Vec<hcl::Structure>, String> {
    let mut out = Vec::new();
    for (k, v, block) in entries(kind, m) {
        let here = format!("{at}.{k}");
        if block {
            let nested = match kind {
                BodyKind::Resource { .. } => BodyKind::Resource { nested: true },
                other => other,
            };
            for b in v.as_array().into_iter().flatten() {
                let Value::Object(bm) = b else { continue };
                out.push(hcl::Structure::Block(
                    Block::builder(ident(k)?)
                        .add_structures(hcl_body(nested, bm, &here)?)
                        .build(),
                ));
            }
        } else {
            let e = match (kind, k.as_str()) {
                (_, "depends_on")
                | (BodyKind::Resource { .. }, "ignore_changes" | "replace_triggered_by") => {
                    raw_list(v, &here)?
                }
                (BodyKind::Resource { nested: false } | BodyKind::Module, "provider")
                | (BodyKind::Variable, "type") => raw(
                    v.as_str()
                        .ok_or_else(|| format!("`{here}` must be a string"))?,
                    &here,
                )?,
                (BodyKind::Module, "providers") => raw_object(v, &here)?,
                _ => expr(v, &here)?,
            };
            out.push(hcl::Structure::Attribute(Attribute::new(ident(k)?, e)));
        }
    }
    Ok(out)
}

fn ident(s: &str) -> Result<Identifier, String> {
    Identifier::new(s).map_err(|_| format!("`{s}` is not a valid HCL identifier"))
}

/// An expression written as a string in JSON (`depends_on` items, `provider`, variable types).
fn raw(s: &str, at: &str) -> Result<Expression, String> {
    let body: Body = hcl::from_str(&format!("x = {s}\n"))
        .map_err(|e| format!("`{at}`: `{s}` is not an expression: {e}"))?;
    body.into_attributes()
        .next()
        .map(|a| a.expr)
        .ok_or_else(|| format!("`{at}`: `{s}` is not an expression"))
}

fn raw_list(v: &Value, at: &str) -> Result<Expression, String> {
    let Value::Array(xs) = v else {
        return Err(format!("`{at}` must be a list"));
    };
    xs.iter()
        .map(|x| {
            raw(
                x.as_str()
                    .ok_or_else(|| format!("`{at}` items must be strings"))?,
                at,
            )
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Expression::Array)
}

fn raw_object(v: &Value, at: &str) -> Result<Expression, String> {
    let Value::Object(m) = v else {
        return Err(format!("`{at}` must be an object"));
    };
    let mut obj = hcl::Object::new();
    let mut keys: Vec<&String> = m.keys().collect();
    keys.sort();
    for k in keys {
        let x = raw(
            m[k].as_str()
                .ok_or_else(|| format!("`{at}.{k}` must be a string"))?,
            at,
        )?;
        obj.insert(object_key(k), x);
    }
    Ok(Expression::Object(obj))
}

/// A bare identifier key when `k` is a plain word, else a quoted string.
fn object_key(k: &str) -> ObjectKey {
    let plain = k.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    match Identifier::new(k) {
        Ok(id) if plain => ObjectKey::Identifier(id),
        _ => ObjectKey::Expression(Expression::String(k.to_string())),
    }
}

/// The HCL expression for an attribute value.
pub fn expr(v: &Value, at: &str) -> Result<Expression, String> {
    expr_in(v, at, true)
}

/// [`expr`]; `heredoc`: whether multi-line strings may be written as heredocs. Not inside a
/// list: hcl-rs writes lists on one line, and the `]` or `,` after a heredoc's closing
/// marker leaves the heredoc unterminated (`terraform fmt`: "Unterminated template string").
fn expr_in(v: &Value, at: &str, heredoc: bool) -> Result<Expression, String> {
    Ok(match v {
        Value::Null => Expression::Null,
        Value::Bool(b) => Expression::Bool(*b),
        Value::Number(n) => Expression::Number(number(n)),
        Value::String(s) => string_expr_in(s, heredoc)
            .map_err(|e| format!("`{at}`: invalid Terraform template {s:?}: {e}"))?,
        Value::Array(xs) => Expression::Array(
            xs.iter()
                .map(|x| expr_in(x, at, false))
                .collect::<Result<_, _>>()?,
        ),
        Value::Object(m) => {
            let mut obj = hcl::Object::new();
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            for k in keys {
                obj.insert(
                    object_key(k),
                    expr_in(&m[k], &format!("{at}.{k}"), heredoc)?,
                );
            }
            Expression::Object(obj)
        }
    })
}

fn number(n: &serde_json::Number) -> hcl::Number {
    if let Some(i) = n.as_i64() {
        hcl::Number::from(i)
    } else if let Some(u) = n.as_u64() {
        hcl::Number::from(u)
    } else {
        n.as_f64()
            .and_then(hcl::Number::from_f64)
            .unwrap_or_else(|| hcl::Number::from(0))
    }
}

/// How a template is being written.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Quoted,
    Heredoc,
}

/// A Terraform template string as an HCL expression: the bare expression for `"${x}"`, a
/// heredoc for multi-line text, else a quoted template.
pub fn string_expr(s: &str) -> Result<Expression, String> {
    string_expr_in(s, true)
}

/// [`string_expr`], never a heredoc unless `heredoc` (see [`expr_in`]).
fn string_expr_in(s: &str, heredoc: bool) -> Result<Expression, String> {
    // Without `${` or `%{` the template is one literal (most strings of a module: names,
    // images, labels), written as it is; parsing every string was a fifth of a run.
    let t = if s.contains("${") || s.contains("%{") {
        Some(tmpl::parse(s)?)
    } else {
        None
    };
    if let Some(e) = t.as_ref().and_then(tmpl::sole_interpolation) {
        return Ok(e.clone());
    }
    let text = |mode| match &t {
        Some(t) => template_text(t, mode),
        None => Ok(literal_text(s, mode)),
    };
    if heredoc
        && s.contains('\n')
        && !s.contains('\r')
        && s.ends_with('\n')
        && s.matches('\n').count() >= 2
    {
        let text = text(Mode::Heredoc)?;
        for delim in ["EOT", "EOF", "END_OF_TEXT"] {
            if !text.lines().any(|l| l.trim() == delim) {
                let id = Identifier::new(delim).map_err(|e| e.to_string())?;
                let mut h = Heredoc::new(id, text);
                h.strip = HeredocStripMode::None;
                return Ok(Expression::TemplateExpr(Box::new(TemplateExpr::Heredoc(h))));
            }
        }
    }
    Ok(Expression::TemplateExpr(Box::new(
        TemplateExpr::QuotedString(text(Mode::Quoted)?),
    )))
}

/// [`template_text`] of a template that is the single literal `s` (see [`string_expr_in`]).
fn literal_text(s: &str, mode: Mode) -> String {
    match mode {
        Mode::Quoted => quote_escape(s),
        Mode::Heredoc => s.to_string(),
    }
}

fn template_text(t: &Template, mode: Mode) -> Result<String, String> {
    let mut b = tmpl::Builder::default();
    push_template(&mut b, t, mode)?;
    Ok(b.finish())
}

fn push_template(b: &mut tmpl::Builder, t: &Template, mode: Mode) -> Result<(), String> {
    for e in t.elements() {
        match e {
            Element::Literal(l) => match mode {
                Mode::Quoted => b.literal(&quote_escape(l)),
                Mode::Heredoc => b.literal(l),
            },
            Element::Interpolation(i) => {
                let mut s = String::from("${");
                if i.strip.strip_start() {
                    s.push('~');
                }
                s.push_str(&format_expr(&i.expr)?);
                if i.strip.strip_end() {
                    s.push('~');
                }
                s.push('}');
                b.template(&s);
            }
            Element::Directive(d) => match d.as_ref() {
                Directive::If(d) => {
                    b.template(&directive(
                        d.if_strip,
                        &format!("if {}", format_expr(&d.cond_expr)?),
                    ));
                    push_template(b, &d.true_template, mode)?;
                    if let Some(f) = &d.false_template {
                        b.template(&directive(d.else_strip, "else"));
                        push_template(b, f, mode)?;
                    }
                    b.template(&directive(d.endif_strip, "endif"));
                }
                Directive::For(d) => {
                    let vars = match &d.key_var {
                        Some(k) => format!("{k}, {}", d.value_var),
                        None => d.value_var.to_string(),
                    };
                    b.template(&directive(
                        d.for_strip,
                        &format!("for {vars} in {}", format_expr(&d.collection_expr)?),
                    ));
                    push_template(b, &d.template, mode)?;
                    b.template(&directive(d.endfor_strip, "endfor"));
                }
            },
        }
    }
    Ok(())
}

fn directive(strip: hcl::template::Strip, body: &str) -> String {
    let mut s = String::from("%{");
    if strip.strip_start() {
        s.push('~');
    }
    s.push_str(body);
    if strip.strip_end() {
        s.push('~');
    }
    s.push('}');
    s
}

fn format_expr(e: &Expression) -> Result<String, String> {
    let mut f = hcl::format::Formatter::builder().compact(true).build_vec();
    e.format(&mut f).map_err(|e| e.to_string())?;
    String::from_utf8(f.into_inner()).map_err(|e| e.to_string())
}

/// Escapes of an HCL quoted string (template markers are escaped separately).
fn quote_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn hcl_of(v: Value) -> String {
        to_hcl(&json!({"resource": {"kubernetes_config_map_v1": {"x": v}}})).unwrap()
    }

    #[test]
    fn strings_become_expressions_templates_or_heredocs() {
        let out = hcl_of(json!({
            "data": {
                "bare": "${var.namespace}",
                "mixed": "postgres://${random_password.db.result}@\"host\"\\",
                "literal": "$${not} %%{this} ${\"$\"}${var.x}",
                "file": "line one\n  ${var.x}\nthree\n"
            },
            "metadata": [{"name": "x", "namespace": "${var.namespace}"}]
        }));
        assert!(out.contains("    bare    = var.namespace\n    file    = <<EOT\nline one\n  ${var.x}\nthree\nEOT\n    literal = "), "{out}");
        assert!(
            out.contains(r#"mixed   = "postgres://${random_password.db.result}@\"host\"\\""#),
            "{out}"
        );
        assert!(
            out.contains(r#"literal = "$${not} %%{this} ${"$"}${var.x}""#),
            "{out}"
        );
    }

    /// Issue 15, item 3: a heredoc in a list was written as `<<EOT … EOT]`, which does not
    /// terminate; list items stay quoted strings (attributes and object values keep heredocs).
    #[test]
    fn multi_line_list_items_are_quoted_strings() {
        let out = hcl_of(json!({
            "args": ["-c", "echo starting\nexec httpd -f\n"],
            "env": {"SCRIPT": "a\nb\n"}
        }));
        assert!(
            out.contains(r#"args = ["-c", "echo starting\nexec httpd -f\n"]"#),
            "{out}"
        );
        assert!(out.contains("SCRIPT = <<EOT\na\nb\nEOT\n"), "{out}");
        assert!(!out.contains("EOT]") && !out.contains("EOT,"), "{out}");
    }

    /// The shortcut for strings without `${` or `%{` writes what parsing them would.
    #[test]
    fn literal_strings_are_written_as_their_parsed_template() {
        for s in [
            "",
            "nginx:1.27",
            "a \\ b \"q\" \\n $ % $$ %% $x %x {} }{ $}",
            "trailing $",
            "trailing %",
            "line\n\ttab\r\u{1}\u{7f} über",
            "two\nlines\n",
        ] {
            let t = tmpl::parse(s).unwrap();
            for mode in [Mode::Quoted, Mode::Heredoc] {
                assert_eq!(
                    literal_text(s, mode),
                    template_text(&t, mode).unwrap(),
                    "{s:?}"
                );
            }
            assert!(tmpl::sole_interpolation(&t).is_none());
        }
    }

    #[test]
    fn json_is_ordered_and_blocks_are_arrays() {
        let v = json!({"resource": {"t_x": {"n": {"b": 1, "a": [{"z": 1, "name": "q"}], "count": 2}}}, "terraform": {"required_providers": {}, "required_version": ">= 1"}});
        let s = to_json(&v);
        let t = s.find("\"terraform\"").unwrap();
        let r = s.find("\"resource\"").unwrap();
        assert!(t < r);
        assert!(s.find("\"count\"").unwrap() < s.find("\"b\"").unwrap());
        assert!(s.find("\"name\"").unwrap() < s.find("\"z\"").unwrap());
        let back: Value = serde_json::from_str(&s).unwrap();
        assert_eq!(back, v);
    }
}
