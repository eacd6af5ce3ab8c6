//! An independent validator of generated modules against the real provider schemas
//! (`terraform providers schema -json` of hashicorp/kubernetes 3.2.1 and hashicorp/random
//! 3.9.0, read from `../shared/terraform/`, see [`super::prereq`]).
//!
//! It checks what `terraform validate` would: every resource type exists; every argument and
//! nested block exists at its place; required arguments and blocks are present; computed-only
//! attributes are not set; block counts respect the nesting mode; literal values have the
//! schema's type; and every reference (`kubernetes_*.x…`, `random_password.y.result`,
//! `module.z.out`, `var.n`, `local.l`) names a declared block and, for resources, an attribute
//! or block that exists in the schema. It shares no code with the crate under test.

use std::collections::BTreeSet;
use std::str::FromStr;

use hcl::expr::{Expression, ObjectKey, TraversalOperator};
use hcl::template::{Directive, Element, Template};
use serde_json::{Map, Value};

/// Resource schemas by type.
pub struct Schemas {
    resources: Map<String, Value>,
}

impl Schemas {
    /// Load both providers from `../shared/terraform/`; fails when they are absent (the tests
    /// that call this are ignored unless run with `--include-ignored`).
    pub fn load() -> Schemas {
        let mut resources = Map::new();
        for (file, provider) in [
            (
                "kubernetes-provider-schema.json",
                "registry.terraform.io/hashicorp/kubernetes",
            ),
            (
                "random-provider-schema.json",
                "registry.terraform.io/hashicorp/random",
            ),
        ] {
            let path = super::prereq::shared_path(&format!("terraform/{file}"));
            let text = std::fs::read_to_string(&path).expect("readable provider schema");
            let v: Value = serde_json::from_str(&text).expect("schema is JSON");
            let rs = v["provider_schemas"][provider]["resource_schemas"]
                .as_object()
                .expect("resource_schemas")
                .clone();
            for (k, s) in rs {
                resources.insert(k, s["block"].clone());
            }
        }
        Schemas { resources }
    }

    /// The block schema of a resource type.
    pub fn resource(&self, t: &str) -> Option<&Value> {
        self.resources.get(t)
    }

    /// Every resource type.
    pub fn types(&self) -> impl Iterator<Item = (&String, &Value)> {
        self.resources.iter()
    }
}

/// What a module declares.
#[derive(Default)]
struct Decls {
    resources: BTreeSet<(String, String)>,
    data: BTreeSet<(String, String)>,
    modules: BTreeSet<String>,
    variables: BTreeSet<String>,
    locals: BTreeSet<String>,
}

const FUNCTIONS: &[&str] = &[
    "sha256",
    "jsonencode",
    "base64encode",
    "base64decode",
    "format",
    "join",
    "lower",
    "upper",
    "replace",
    "sensitive",
    "nonsensitive",
    "urlencode",
    "tostring",
    "tonumber",
    "try",
    "coalesce",
    "lookup",
    "trimsuffix",
    "trimprefix",
];

/// Validate the files of a module (Terraform JSON values by base name). Returns problems.
pub fn validate(files: &[(String, Value)], s: &Schemas) -> Vec<String> {
    let mut p = Vec::new();
    let mut d = Decls::default();
    let mut all = Map::new();
    for (name, v) in files {
        let Value::Object(top) = v else {
            p.push(format!("{name}: not an object"));
            continue;
        };
        for (section, body) in top {
            if all.contains_key(section) && section != "resource" {
                // sections may appear in several files; merge
            }
            let slot = all
                .entry(section.clone())
                .or_insert_with(|| Value::Object(Map::new()));
            if let (Value::Object(dst), Value::Object(src)) = (slot, body) {
                for (k, v) in src {
                    if dst.contains_key(k) && section != "resource" && section != "data" {
                        p.push(format!("{section}.{k} is declared in two files"));
                    }
                    match (dst.get_mut(k), v) {
                        (Some(Value::Object(a)), Value::Object(b))
                            if section == "resource" || section == "data" =>
                        {
                            for (n, x) in b {
                                if a.insert(n.clone(), x.clone()).is_some() {
                                    p.push(format!("{section}.{k}.{n} is declared twice"));
                                }
                            }
                        }
                        _ => {
                            dst.insert(k.clone(), v.clone());
                        }
                    }
                }
            }
        }
    }
    for (section, v) in &all {
        let Value::Object(m) = v else { continue };
        match section.as_str() {
            "resource" | "data" => {
                for (t, named) in m {
                    for n in named.as_object().into_iter().flat_map(|o| o.keys()) {
                        if section == "resource" {
                            d.resources.insert((t.clone(), n.clone()));
                        } else {
                            d.data.insert((t.clone(), n.clone()));
                        }
                    }
                }
            }
            "module" => d.modules.extend(m.keys().cloned()),
            "variable" => d.variables.extend(m.keys().cloned()),
            "locals" => d.locals.extend(m.keys().cloned()),
            "output" | "provider" | "terraform" => {}
            other => p.push(format!("unknown top-level section `{other}`")),
        }
    }
    // Resources against the schema.
    if let Some(Value::Object(rs)) = all.get("resource") {
        for (t, named) in rs {
            let Some(schema) = s.resource(t) else {
                p.push(format!(
                    "resource type `{t}` does not exist in the provider schemas"
                ));
                continue;
            };
            for (n, body) in named.as_object().into_iter().flatten() {
                let at = format!("{t}.{n}");
                match body {
                    Value::Object(b) => check_block(schema, b, &at, true, &mut p),
                    _ => p.push(format!("{at}: body is not an object")),
                }
            }
        }
    }
    if let Some(Value::Object(ms)) = all.get("module") {
        for (n, body) in ms {
            if body.get("source").and_then(Value::as_str).is_none() {
                p.push(format!("module.{n}: no `source`"));
            }
        }
    }
    if let Some(Value::Object(vs)) = all.get("variable") {
        for (n, body) in vs {
            if let Some(def) = body.get("default") {
                let mut strings = Vec::new();
                collect_strings(def, &mut strings);
                if strings.iter().any(|s| dynamic(s)) {
                    p.push(format!("variable.{n}: a default may not interpolate"));
                }
            }
            if let Some(t) = body.get("type").and_then(Value::as_str) {
                if !["string", "number", "bool"].contains(&t) && !t.contains('(') {
                    p.push(format!("variable.{n}: unknown type `{t}`"));
                }
            }
        }
    }
    // References everywhere.
    for section in ["resource", "data", "module", "output", "locals", "provider"] {
        let Some(v) = all.get(section) else { continue };
        let mut strings = Vec::new();
        collect_strings(v, &mut strings);
        for text in strings {
            match Template::from_str(&text) {
                Ok(t) => {
                    let mut refs = Vec::new();
                    let mut funcs = Vec::new();
                    template_refs(&t, &mut refs, &mut funcs);
                    for f in funcs {
                        if !FUNCTIONS.contains(&f.as_str()) {
                            p.push(format!("{section}: unknown function `{f}` in {text:?}"));
                        }
                    }
                    for r in refs {
                        if let Err(e) = check_ref(&r, &d, s) {
                            p.push(format!("{section}: {e} in {text:?}"));
                        }
                    }
                }
                Err(e) => p.push(format!("{section}: invalid template {text:?}: {e}")),
            }
        }
    }
    p
}

/// Every string inside `v`, appended to `out`.
pub fn collect_strings(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::String(s) => out.push(s.clone()),
        Value::Array(xs) => xs.iter().for_each(|x| collect_strings(x, out)),
        Value::Object(m) => m.values().for_each(|x| collect_strings(x, out)),
        _ => {}
    }
}

/// Whether a template string interpolates anything.
pub fn dynamic(s: &str) -> bool {
    Template::from_str(s).is_ok_and(|t| {
        t.elements()
            .iter()
            .any(|e| !matches!(e, Element::Literal(_)))
    })
}

const META: &[&str] = &["count", "for_each", "depends_on", "lifecycle", "provider"];

fn check_block(
    schema: &Value,
    body: &Map<String, Value>,
    at: &str,
    top: bool,
    p: &mut Vec<String>,
) {
    let attrs = schema
        .get("attributes")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let blocks = schema
        .get("block_types")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    for (k, v) in body {
        let here = format!("{at}.{k}");
        if top && META.contains(&k.as_str()) {
            continue;
        }
        if let Some(a) = attrs.get(k) {
            let settable = a.get("required").is_some_and(|x| x == true)
                || a.get("optional").is_some_and(|x| x == true);
            if !settable {
                p.push(format!("{here}: computed-only attribute is set"));
            }
            check_type(&a["type"], v, &here, p);
        } else if let Some(bt) = blocks.get(k) {
            let items: Vec<&Value> = match v {
                Value::Array(xs) => xs.iter().collect(),
                one => vec![one],
            };
            let mode = bt["nesting_mode"].as_str().unwrap_or("list");
            let min = bt.get("min_items").and_then(Value::as_u64).unwrap_or(0) as usize;
            let max = bt
                .get("max_items")
                .and_then(Value::as_u64)
                .map(|m| m as usize);
            if items.len() < min {
                p.push(format!(
                    "{here}: at least {min} block(s) required, got {}",
                    items.len()
                ));
            }
            if let Some(max) = max.or(if mode == "single" { Some(1) } else { None }) {
                if items.len() > max {
                    p.push(format!(
                        "{here}: at most {max} block(s) allowed ({mode}), got {}",
                        items.len()
                    ));
                }
            }
            for (i, item) in items.into_iter().enumerate() {
                match item {
                    Value::Object(b) => {
                        check_block(&bt["block"], b, &format!("{here}[{i}]"), false, p)
                    }
                    _ => p.push(format!("{here}[{i}]: a block must be an object")),
                }
            }
        } else {
            p.push(format!("{here}: no such argument or block"));
        }
    }
    for (k, a) in &attrs {
        if a.get("required").is_some_and(|x| x == true) && !body.contains_key(k) {
            p.push(format!("{at}: required argument `{k}` is missing"));
        }
    }
    for (k, bt) in &blocks {
        let min = bt.get("min_items").and_then(Value::as_u64).unwrap_or(0);
        if min > 0 && !body.contains_key(k) {
            p.push(format!("{at}: required block `{k}` is missing"));
        }
    }
}

fn check_type(t: &Value, v: &Value, at: &str, p: &mut Vec<String>) {
    if v.is_null() {
        return;
    }
    if let Value::String(s) = v {
        if dynamic(s) && t != "string" {
            return; // known at apply time; Terraform converts
        }
    }
    let ok = match t {
        Value::String(prim) => match prim.as_str() {
            "string" => v.is_string(),
            "number" => v.is_number(),
            "bool" => v.is_boolean(),
            "dynamic" => true,
            _ => false,
        },
        Value::Array(parts) => match (parts.first().and_then(Value::as_str), parts.get(1)) {
            (Some("list" | "set"), Some(elem)) => match v {
                Value::Array(xs) => {
                    for (i, x) in xs.iter().enumerate() {
                        check_type(elem, x, &format!("{at}[{i}]"), p);
                    }
                    true
                }
                _ => false,
            },
            (Some("map"), Some(elem)) => match v {
                Value::Object(m) => {
                    for (k, x) in m {
                        check_type(elem, x, &format!("{at}[{k:?}]"), p);
                    }
                    true
                }
                _ => false,
            },
            (Some("object"), Some(Value::Object(fields))) => match v {
                Value::Object(m) => {
                    for (k, x) in m {
                        match fields.get(k) {
                            Some(ft) => check_type(ft, x, &format!("{at}.{k}"), p),
                            None => p.push(format!("{at}.{k}: no such object attribute")),
                        }
                    }
                    true
                }
                _ => false,
            },
            _ => false,
        },
        _ => false,
    };
    if !ok {
        p.push(format!("{at}: {v} is not of type {t}"));
    }
}

/// A reference: root, attribute names, and for each step whether it was an index.
#[derive(Debug)]
struct Ref {
    steps: Vec<Step>,
}

#[derive(Debug)]
enum Step {
    Attr(String),
    Index,
}

fn template_refs(t: &Template, refs: &mut Vec<Ref>, funcs: &mut Vec<String>) {
    for e in t.elements() {
        match e {
            Element::Literal(_) => {}
            Element::Interpolation(i) => expr_refs(&i.expr, refs, funcs),
            Element::Directive(d) => match d.as_ref() {
                Directive::If(d) => {
                    expr_refs(&d.cond_expr, refs, funcs);
                    template_refs(&d.true_template, refs, funcs);
                    if let Some(f) = &d.false_template {
                        template_refs(f, refs, funcs);
                    }
                }
                Directive::For(d) => {
                    expr_refs(&d.collection_expr, refs, funcs);
                }
            },
        }
    }
}

fn expr_refs(e: &Expression, refs: &mut Vec<Ref>, funcs: &mut Vec<String>) {
    match e {
        Expression::Variable(v) => refs.push(Ref {
            steps: vec![Step::Attr(v.to_string())],
        }),
        Expression::Traversal(t) => {
            if let Expression::Variable(v) = &t.expr {
                let mut steps = vec![Step::Attr(v.to_string())];
                for op in &t.operators {
                    match op {
                        TraversalOperator::GetAttr(id) => steps.push(Step::Attr(id.to_string())),
                        TraversalOperator::Index(i) => {
                            expr_refs(i, refs, funcs);
                            steps.push(Step::Index);
                        }
                        TraversalOperator::LegacyIndex(_) => steps.push(Step::Index),
                        _ => break,
                    }
                }
                refs.push(Ref { steps });
            } else {
                expr_refs(&t.expr, refs, funcs);
            }
        }
        Expression::Array(xs) => xs.iter().for_each(|x| expr_refs(x, refs, funcs)),
        Expression::Object(o) => o.iter().for_each(|(k, v)| {
            if let ObjectKey::Expression(k) = k {
                expr_refs(k, refs, funcs);
            }
            expr_refs(v, refs, funcs);
        }),
        Expression::TemplateExpr(t) => {
            if let Ok(t) = Template::from_expr(t) {
                template_refs(&t, refs, funcs);
            }
        }
        Expression::FuncCall(f) => {
            funcs.push(f.name.to_string());
            f.args.iter().for_each(|a| expr_refs(a, refs, funcs));
        }
        Expression::Parenthesis(x) => expr_refs(x, refs, funcs),
        Expression::Conditional(c) => {
            expr_refs(&c.cond_expr, refs, funcs);
            expr_refs(&c.true_expr, refs, funcs);
            expr_refs(&c.false_expr, refs, funcs);
        }
        Expression::Operation(op) => match op.as_ref() {
            hcl::expr::Operation::Unary(u) => expr_refs(&u.expr, refs, funcs),
            hcl::expr::Operation::Binary(b) => {
                expr_refs(&b.lhs_expr, refs, funcs);
                expr_refs(&b.rhs_expr, refs, funcs);
            }
        },
        Expression::ForExpr(f) => expr_refs(&f.collection_expr, refs, funcs),
        _ => {}
    }
}

fn attr(steps: &[Step], i: usize) -> Option<&str> {
    match steps.get(i) {
        Some(Step::Attr(a)) => Some(a),
        _ => None,
    }
}

fn check_ref(r: &Ref, d: &Decls, s: &Schemas) -> Result<(), String> {
    let root = attr(&r.steps, 0).unwrap_or_default();
    let second = attr(&r.steps, 1);
    let name = |what: &str| second.ok_or_else(|| format!("`{root}` without a {what} name"));
    match root {
        "var" => {
            let n = name("variable")?;
            d.variables
                .contains(n)
                .then_some(())
                .ok_or_else(|| format!("undeclared variable `var.{n}`"))
        }
        "local" => {
            let n = name("local")?;
            d.locals
                .contains(n)
                .then_some(())
                .ok_or_else(|| format!("undeclared local `local.{n}`"))
        }
        "module" => {
            let n = name("module")?;
            d.modules
                .contains(n)
                .then_some(())
                .ok_or_else(|| format!("undeclared module `module.{n}`"))
        }
        "data" => {
            let (t, n) = (name("type")?, attr(&r.steps, 2).unwrap_or_default());
            d.data
                .contains(&(t.to_string(), n.to_string()))
                .then_some(())
                .ok_or_else(|| format!("undeclared data source `data.{t}.{n}`"))
        }
        "path" | "terraform" => Ok(()),
        t => {
            let n = name("resource")?;
            if !d.resources.contains(&(t.to_string(), n.to_string())) {
                return Err(format!(
                    "`{t}.{n}` is not declared (an unescaped placeholder or a missing block?)"
                ));
            }
            let Some(mut block) = s.resource(t) else {
                return Err(format!("unknown resource type `{t}`"));
            };
            // Walk the rest against the schema.
            let mut i = 2;
            while i < r.steps.len() {
                let Step::Attr(a) = &r.steps[i] else {
                    return Err(format!("`{t}.{n}`: unexpected index"));
                };
                if block.get("attributes").and_then(|x| x.get(a)).is_some() {
                    return Ok(()); // attribute: its inside is a value
                }
                let Some(bt) = block.get("block_types").and_then(|x| x.get(a)) else {
                    return Err(format!("`{t}.{n}`: no attribute or block `{a}`"));
                };
                block = &bt["block"];
                i += 1;
                if bt["nesting_mode"] != "single" {
                    match r.steps.get(i) {
                        Some(Step::Index) => i += 1,
                        None => return Ok(()),
                        Some(Step::Attr(x)) => {
                            return Err(format!(
                                "`{t}.{n}.{a}` is a list of blocks: index it before `.{x}`"
                            ))
                        }
                    }
                }
            }
            Ok(())
        }
    }
}
