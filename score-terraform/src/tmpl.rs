//! Terraform template strings.
//!
//! Every string in the generated module is a Terraform *template*: `${expr}` interpolates and
//! `%{...}` is a directive, in `.tf.json` strings exactly as in HCL quoted strings. Text that
//! must reach Kubernetes verbatim (user values, metadata) is escaped (`${` → `$${`,
//! `%{` → `%%{`); resource outputs are template fragments and are inserted as they are.

use std::str::FromStr;

use hcl::expr::{Expression, FuncCall, Operation, TemplateExpr, TraversalOperator};
use hcl::template::{Directive, Element, Template};

/// Escape `text` so that Terraform renders it verbatim.
///
/// ```
/// use score_terraform::tmpl::escape;
/// assert_eq!(escape("a ${b} %{c} $d"), "a $${b} %%{c} $d");
/// assert_eq!(escape("$${x}"), "$$${x}");
/// ```
pub fn escape(text: &str) -> String {
    let mut b = Builder::default();
    b.literal(text);
    b.finish()
}

/// Protect text from the kubelet's expansion: in container `command`, `args` and env
/// `value`s it replaces `$(VAR)` with the variable and `$$` with `$`. Score does not
/// substitute there, so a `$` followed by `$` or `(` is doubled; any other `$` is left alone
/// (the kubelet keeps it).
///
/// ```
/// use score_terraform::tmpl::kubelet_escape;
/// assert_eq!(kubelet_escape("echo $HOME $(date) $$"), "echo $HOME $$(date) $$$");
/// ```
pub fn kubelet_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        out.push(c);
        if c == '$' && matches!(chars.peek(), Some('$' | '(')) {
            out.push('$');
        }
    }
    out
}

/// Builds a template from literal text and template fragments, escaping where needed.
///
/// The one subtle case: a literal `$` (or `%`) directly followed by a fragment that starts
/// with `{` would read as `${`; it is written as `${"$"}` instead.
#[derive(Debug, Default, Clone)]
pub struct Builder {
    out: String,
    /// A literal `$` or `%` not yet written: how to write it depends on what follows.
    pending: Option<char>,
}

impl Builder {
    /// Append text to render verbatim.
    pub fn literal(&mut self, text: &str) {
        for c in text.chars() {
            if let Some(p) = self.pending.take() {
                self.out.push(p);
                if c == '{' {
                    self.out.push(p); // `${` → `$${`, `%{` → `%%{`
                }
            }
            match c {
                '$' | '%' => self.pending = Some(c),
                _ => self.out.push(c),
            }
        }
    }

    /// Append a template fragment (e.g. a resource output) to be interpolated by Terraform.
    pub fn template(&mut self, fragment: &str) {
        if fragment.is_empty() {
            return;
        }
        if let Some(p) = self.pending.take() {
            // `$` before `{…` or `${…` would start an interpolation or an escape.
            if fragment.starts_with('{') || fragment.starts_with(&format!("{p}{{")) {
                self.out.push_str(&format!("${{\"{p}\"}}"));
            } else {
                self.out.push(p);
            }
        }
        self.out.push_str(fragment);
        // A trailing literal `$`/`%` must not pair with a `{` that comes next.
        if self.out.ends_with(['$', '%']) {
            self.pending = self.out.pop();
        }
    }

    /// The template text.
    pub fn finish(mut self) -> String {
        if let Some(p) = self.pending.take() {
            self.out.push(p);
        }
        self.out
    }
}

/// `${expr}`: a template that is a single interpolation.
pub fn interp(expr: &str) -> String {
    format!("${{{expr}}}")
}

/// Parse a template string, as Terraform parses a `.tf.json` string.
pub fn parse(text: &str) -> Result<Template, String> {
    Template::from_str(text).map_err(|e| e.to_string())
}

/// The expression when `text` is exactly one `${expr}` (no strip markers).
pub fn sole_interpolation(t: &Template) -> Option<&Expression> {
    match t.elements() {
        [Element::Interpolation(i)] if !i.strip.strip_start() && !i.strip.strip_end() => {
            Some(&i.expr)
        }
        _ => None,
    }
}

/// Whether `text` interpolates anything (so its value is only known at apply time).
pub fn is_dynamic(text: &str) -> bool {
    parse(text).is_ok_and(|t| {
        t.elements()
            .iter()
            .any(|e| !matches!(e, Element::Literal(_)))
    })
}

/// Every reference (`var.x`, `random_password.y.result`, …) a template makes, as the root
/// name and the attribute names that follow it (up to the first index or splat).
pub fn references(text: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    if let Ok(t) = parse(text) {
        template_refs(&t, &mut out);
    }
    out
}

/// Whether a template refers to something Terraform treats as a secret: a generated
/// password, or the data of a Kubernetes secret.
pub fn references_secret(text: &str) -> bool {
    references(text).iter().any(|r| {
        matches!(
            r.first().map(String::as_str),
            Some("random_password" | "kubernetes_secret_v1" | "kubernetes_secret")
        ) || (r.first().map(String::as_str) == Some("data")
            && r.get(1).is_some_and(|t| t.starts_with("kubernetes_secret")))
    }) || text.contains("sensitive(")
}

fn template_refs(t: &Template, out: &mut Vec<Vec<String>>) {
    for e in t.elements() {
        match e {
            Element::Literal(_) => {}
            Element::Interpolation(i) => expr_refs(&i.expr, out),
            Element::Directive(d) => match d.as_ref() {
                Directive::If(d) => {
                    expr_refs(&d.cond_expr, out);
                    template_refs(&d.true_template, out);
                    if let Some(f) = &d.false_template {
                        template_refs(f, out);
                    }
                }
                Directive::For(d) => {
                    expr_refs(&d.collection_expr, out);
                    template_refs(&d.template, out);
                }
            },
        }
    }
}

/// Collect the references an expression makes (see [`references`]).
pub fn expr_refs(e: &Expression, out: &mut Vec<Vec<String>>) {
    match e {
        Expression::Variable(v) => out.push(vec![v.to_string()]),
        Expression::Traversal(t) => {
            if let Expression::Variable(v) = &t.expr {
                let mut path = vec![v.to_string()];
                for op in &t.operators {
                    match op {
                        TraversalOperator::GetAttr(id) => path.push(id.to_string()),
                        TraversalOperator::Index(i) => {
                            expr_refs(i, out);
                            break;
                        }
                        _ => break,
                    }
                }
                out.push(path);
            } else {
                expr_refs(&t.expr, out);
            }
            for op in &t.operators {
                if let TraversalOperator::Index(i) = op {
                    expr_refs(i, out);
                }
            }
        }
        Expression::Array(xs) => xs.iter().for_each(|x| expr_refs(x, out)),
        Expression::Object(o) => o.iter().for_each(|(k, v)| {
            if let hcl::expr::ObjectKey::Expression(k) = k {
                expr_refs(k, out);
            }
            expr_refs(v, out);
        }),
        Expression::TemplateExpr(t) => {
            if let Ok(t) = Template::from_expr(t.as_ref()) {
                template_refs(&t, out);
            } else if let TemplateExpr::QuotedString(s) = t.as_ref() {
                out.extend(references(s));
            }
        }
        Expression::FuncCall(f) => {
            let f: &FuncCall = f;
            f.args.iter().for_each(|a| expr_refs(a, out));
        }
        Expression::Parenthesis(x) => expr_refs(x, out),
        Expression::Conditional(c) => {
            expr_refs(&c.cond_expr, out);
            expr_refs(&c.true_expr, out);
            expr_refs(&c.false_expr, out);
        }
        Expression::Operation(op) => match op.as_ref() {
            Operation::Unary(u) => expr_refs(&u.expr, out),
            Operation::Binary(b) => {
                expr_refs(&b.lhs_expr, out);
                expr_refs(&b.rhs_expr, out);
            }
        },
        Expression::ForExpr(f) => {
            // The loop variables are local; only the collection and conditions refer out.
            expr_refs(&f.collection_expr, out);
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn build(parts: &[(bool, &str)]) -> String {
        let mut b = Builder::default();
        for (lit, s) in parts {
            if *lit {
                b.literal(s);
            } else {
                b.template(s);
            }
        }
        b.finish()
    }

    #[test]
    fn escapes_markers_only() {
        assert_eq!(escape("plain $HOME 100% {x}"), "plain $HOME 100% {x}");
        assert_eq!(escape("${a} %{if}"), "$${a} %%{if}");
        assert_eq!(escape("$$${x}"), "$$$${x}");
        assert_eq!(escape("trailing $"), "trailing $");
    }

    #[test]
    fn literal_dollar_before_a_fragment_stays_literal() {
        assert_eq!(
            build(&[(true, "cost $"), (false, "${var.x}")]),
            "cost ${\"$\"}${var.x}"
        );
        assert_eq!(build(&[(true, "a%"), (false, "{b}")]), "a${\"%\"}{b}");
        assert_eq!(build(&[(true, "a$"), (false, "b")]), "a$b");
        assert_eq!(
            build(&[(true, "a%"), (false, "%{if x}y%{endif}")]),
            "a${\"%\"}%{if x}y%{endif}"
        );
        assert_eq!(build(&[(true, "a$"), (false, "$${lit}")]), "a$$${lit}");
        assert_eq!(build(&[(false, "x$"), (true, "{y}")]), "x$${y}");
        // What Terraform reads back is the intended text.
        let t = parse(&build(&[(true, "p$"), (false, "${var.x}")])).unwrap();
        assert!(matches!(&t.elements()[0], Element::Literal(l) if l == "p"));
    }

    #[test]
    fn finds_references() {
        let r = references("postgres://${random_password.pg-a.result}@${kubernetes_service_v1.pg-a.metadata[0].name}:${var.port}");
        assert_eq!(
            r,
            vec![
                vec![
                    "random_password".to_string(),
                    "pg-a".into(),
                    "result".into()
                ],
                vec![
                    "kubernetes_service_v1".into(),
                    "pg-a".into(),
                    "metadata".into()
                ],
                vec!["var".into(), "port".into()],
            ]
        );
        assert!(references_secret("${random_password.x.result}"));
        assert!(!references_secret(
            "${kubernetes_service_v1.x.metadata[0].name}"
        ));
        assert!(references("$${literal}").is_empty());
        assert_eq!(
            references("${sha256(jsonencode(kubernetes_config_map_v1.a.data))}")[0][1],
            "a"
        );
    }
}
