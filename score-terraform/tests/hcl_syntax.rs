//! The HCL output parses (hcl-rs), says the same as the JSON output, and is formatted as
//! `terraform fmt` formats it (checked with the real binary named by `SCORE_RS_TERRAFORM_BIN`, in
//! an ignored test).

use crate::support;

use std::str::FromStr;

use hcl::expr::{Expression, ObjectKey};
use hcl::template::{Element, Template};
use hcl::{Block, Body, Structure};
use serde_json::{Map, Value};

/// A template in a comparable form: literals merged, elements' debug text.
fn norm_template(t: &Template) -> Value {
    let mut out: Vec<String> = Vec::new();
    let mut lit = String::new();
    for e in t.elements() {
        match e {
            Element::Literal(l) => lit.push_str(l),
            other => {
                if !lit.is_empty() {
                    out.push(format!("L{lit:?}"));
                    lit.clear();
                }
                out.push(format!("{other:?}"));
            }
        }
    }
    if !lit.is_empty() || out.is_empty() {
        out.push(format!("L{lit:?}"));
    }
    Value::String(out.join(" "))
}

/// A Terraform JSON value with every string replaced by its parsed template.
fn norm_json(v: &Value) -> Value {
    match v {
        Value::String(s) => norm_template(
            &Template::from_str(s).unwrap_or_else(|e| panic!("bad template {s:?}: {e}")),
        ),
        Value::Array(xs) => Value::Array(xs.iter().map(norm_json).collect()),
        Value::Object(m) => {
            Value::Object(m.iter().map(|(k, v)| (k.clone(), norm_json(v))).collect())
        }
        other => other.clone(),
    }
}

fn norm_expr(e: &Expression) -> Value {
    match e {
        Expression::Null => Value::Null,
        Expression::Bool(b) => Value::Bool(*b),
        Expression::Number(n) => serde_json::to_value(n).unwrap(),
        Expression::String(s) => norm_template(
            &Template::from_str(&s.replace("${", "$${").replace("%{", "%%{")).unwrap(),
        ),
        Expression::Array(xs) => Value::Array(xs.iter().map(norm_expr).collect()),
        Expression::Object(o) => Value::Object(
            o.iter()
                .map(|(k, v)| {
                    let key = match k {
                        ObjectKey::Identifier(i) => i.to_string(),
                        ObjectKey::Expression(Expression::String(s)) => s.clone(),
                        other => panic!("unexpected object key {other:?}"),
                    };
                    (key, norm_expr(v))
                })
                .collect(),
        ),
        Expression::TemplateExpr(t) => norm_template(&Template::from_expr(t).unwrap()),
        other => {
            // A bare expression means the same as "${expr}".
            let t = Template::from_str(&format!("${{{}}}", hcl::format::to_string(other).unwrap()))
                .unwrap();
            norm_template(&t)
        }
    }
}

fn norm_body(body: &Body, top: bool) -> Value {
    let mut m = Map::new();
    for s in body.iter() {
        match s {
            Structure::Attribute(a) => {
                m.insert(a.key.to_string(), norm_expr(&a.expr));
            }
            Structure::Block(b) if top => insert_top(&mut m, b),
            Structure::Block(b) => {
                let slot = m
                    .entry(b.identifier.to_string())
                    .or_insert_with(|| Value::Array(Vec::new()));
                slot.as_array_mut().unwrap().push(norm_body(&b.body, false));
            }
        }
    }
    Value::Object(m)
}

fn insert_top(m: &mut Map<String, Value>, b: &Block) {
    let id = b.identifier.to_string();
    let labels: Vec<String> = b.labels.iter().map(|l| l.as_str().to_string()).collect();
    let body = match id.as_str() {
        "terraform" => {
            let mut t = Map::new();
            for s in b.body.iter() {
                match s {
                    Structure::Attribute(a) => {
                        t.insert(a.key.to_string(), norm_expr(&a.expr));
                    }
                    Structure::Block(rp) => {
                        t.insert(rp.identifier.to_string(), norm_body(&rp.body, false));
                    }
                }
            }
            Value::Object(t)
        }
        "variable" => {
            // `type = string` is a type expression; JSON writes it as the string "string".
            let mut v = norm_body(&b.body, false);
            if let Some(a) = b.body.attributes().find(|a| a.key.as_str() == "type") {
                v["type"] = norm_template(
                    &Template::from_str(&hcl::format::to_string(&a.expr).unwrap()).unwrap(),
                );
            }
            v
        }
        _ => norm_body(&b.body, false),
    };
    if id == "terraform" || id == "locals" {
        match m.get_mut(&id) {
            Some(Value::Object(existing)) => existing.extend(body.as_object().unwrap().clone()),
            _ => {
                m.insert(id, body);
            }
        }
        return;
    }
    let mut slot = m.entry(id).or_insert_with(|| Value::Object(Map::new()));
    for (i, l) in labels.iter().enumerate() {
        let obj = slot.as_object_mut().unwrap();
        if i + 1 == labels.len() {
            assert!(
                obj.insert(l.clone(), body.clone()).is_none(),
                "duplicate block {l}"
            );
            break;
        }
        slot = obj
            .entry(l.clone())
            .or_insert_with(|| Value::Object(Map::new()));
    }
}

#[test]
fn hcl_parses_and_says_the_same_as_json() {
    for dir in support::cases() {
        let case = support::case_name(&dir);
        let run = support::run(&dir);
        let json = support::json_files(&run.json);
        assert_eq!(run.hcl.files.len(), json.len());
        for ((hname, htext), (jname, jvalue)) in run.hcl.files.iter().zip(&json) {
            assert_eq!(hname.trim_end_matches(".tf"), jname, "{case}");
            let body: Body = hcl::parse(htext)
                .unwrap_or_else(|e| panic!("{case}/{hname} does not parse: {e}\n{htext}"));
            let from_hcl = norm_body(&body, true);
            let from_json = norm_json(jvalue);
            if from_hcl != from_json {
                let a = serde_json::to_string_pretty(&from_hcl).unwrap();
                let b = serde_json::to_string_pretty(&from_json).unwrap();
                let first = a
                    .lines()
                    .zip(b.lines())
                    .position(|(x, y)| x != y)
                    .unwrap_or(0);
                panic!(
                    "{case}/{hname}: HCL and JSON differ near line {first}:\nHCL : {}\nJSON: {}",
                    a.lines().nth(first).unwrap_or(""),
                    b.lines().nth(first).unwrap_or("")
                );
            }
        }
    }
}

/// Terraform cannot be installed where CI runs (see `shared/docs/validators.md`), so `.ci/run`
/// skips this one by name; run it wherever a `terraform` binary exists.
#[test]
#[ignore = "needs the terraform CLI (SCORE_RS_TERRAFORM_BIN); CI has none and skips it by name"]
fn hcl_is_formatted_like_terraform_fmt() {
    let terraform = support::prereq::validator("SCORE_RS_TERRAFORM_BIN", "the terraform CLI");
    let status = std::process::Command::new(&terraform)
        .arg("version")
        .output()
        .unwrap_or_else(|e| panic!("cannot run {terraform}: {e}"));
    assert!(status.status.success());
    let tmp = tempfile::tempdir().unwrap();
    for dir in support::cases() {
        let case = support::case_name(&dir);
        let out = tmp.path().join(&case);
        std::fs::create_dir_all(&out).unwrap();
        for (name, text) in &support::run(&dir).hcl.files {
            std::fs::write(out.join(name), text).unwrap();
        }
    }
    let result = std::process::Command::new(&terraform)
        .args(["fmt", "-check", "-diff", "-recursive"])
        .arg(tmp.path())
        .env("TF_CLI_CONFIG_FILE", "/dev/null")
        .output()
        .unwrap();
    assert!(
        result.status.success(),
        "terraform fmt would change the output:\n{}{}",
        String::from_utf8_lossy(&result.stdout),
        String::from_utf8_lossy(&result.stderr)
    );
}

#[test]
fn json_output_is_valid_terraform_json_shape() {
    for dir in support::cases() {
        let run = support::run(&dir);
        let names: Vec<&str> = run.json.files.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            [
                "main.tf.json",
                "variables.tf.json",
                "outputs.tf.json",
                "versions.tf.json"
            ]
        );
        for (_, v) in support::json_files(&run.json) {
            assert!(v.is_object());
        }
    }
}
