//! Go `text/template` provisioner templates, as score-compose and score-k8s render them: the
//! `gotmpl` engine (a port of Go's `text/template`), the sprig functions those files use
//! ([`sprig`]), and the reference tools' data names (`.Init`, `.State`, `.Uid`, …, built in
//! [`data`]).
//!
//! Two things are added around the engine so that every failure names a line of the
//! provisioner file: functions are checked when a template is compiled (Go does the same; the
//! engine would only notice when the call runs), and before each action the compiled tree
//! records the action's line, so a `fail`, a bad argument or a range past the step limit is
//! reported where it happened (the engine's own run-time errors carry no position).

mod bounded;
mod convert;
pub(crate) mod data;
mod mutate;
pub(crate) mod sprig;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use gotmpl::parse::{
    ActionNode, CommandNode, Expr, ListNode, Node, Number, Parser, PipeNode, Pos, SmolStr,
};
use gotmpl::{Template, TemplateError, Value};

use crate::provision::functions::Random;

#[cfg(test)]
use convert::from_json;

/// `{{range}}` iterations one render may run, across all loops: the step limit that ends
/// runaway loops (the reference tools' files range over a handful of ports or hosts).
pub(crate) const MAX_RANGE_ITERATIONS: u64 = 100_000;

/// Name of the hidden function the compiled tree calls before each action.
const LINE_FN: &str = "__score_rs_line";
/// Name the instrumented body is stored under.
const MAIN: &str = "__score_rs_main";

/// Go's built-in template functions (provided by the engine).
const GO_BUILTINS: &[&str] = &[
    "and", "call", "eq", "ge", "gt", "html", "index", "js", "le", "len", "lt", "ne", "not", "or",
    "print", "printf", "println", "slice", "urlquery",
];

/// The functions a Go-template provisioner may call, with their implementations.
#[derive(Clone)]
pub(crate) struct Functions(Arc<BTreeMap<&'static str, sprig::Func>>);

impl Functions {
    /// sprig's functions backed by `random`.
    pub(crate) fn new(random: &Random) -> Self {
        Functions(Arc::new(all_functions(random)))
    }

    fn knows(&self, name: &str) -> bool {
        self.0.contains_key(name) || GO_BUILTINS.contains(&name)
    }
}

/// sprig's functions and score-k8s's `encodeSecretRef` (a reference to a key of a Secret the
/// provisioner's manifests create; see [`crate::secret_ref`]).
fn all_functions(random: &Random) -> BTreeMap<&'static str, sprig::Func> {
    let mut m = sprig::functions(random);
    m.insert(
        "encodeSecretRef",
        Arc::new(|a: &[Value]| match a {
            [name, key] => Ok(Value::String(
                crate::secret_ref::encode(&convert::strval(name), &convert::strval(key)).into(),
            )),
            _ => Err(TemplateError::ArgCount {
                name: "encodeSecretRef".into(),
                expected: 2,
                got: a.len(),
            }),
        }),
    );
    // Go's string-building built-ins, with a bound on what they build.
    m.extend(bounded::guards());
    m
}

/// Every function name a Go template may call: Go's built-ins and the sprig set (for docs and
/// error messages).
pub fn supported_functions() -> &'static [&'static str] {
    static NAMES: std::sync::OnceLock<Vec<&'static str>> = std::sync::OnceLock::new();
    NAMES.get_or_init(|| {
        let mut names: Vec<&'static str> = all_functions(&Random::for_resource("names"))
            .into_keys()
            .chain(GO_BUILTINS.iter().copied())
            .collect();
        names.sort_unstable();
        names.dedup();
        names
    })
}

/// A failure with the line (1-based, in the template text as written) it happened on.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct GoError {
    /// Where, when known.
    pub line: Option<usize>,
    /// What went wrong.
    pub message: String,
    /// What kind of failure (for the help text).
    pub kind: ErrorKind,
}

/// Kinds of [`GoError`] that get their own help.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ErrorKind {
    Syntax,
    UnknownFunction,
    Fail,
    StepLimit,
    Other,
}

/// A compiled template.
pub(crate) struct Compiled {
    template: Template,
    /// Line (of the trimmed text) of the action running now.
    line: Arc<AtomicUsize>,
    /// Lines trimmed from the top of the text (the reference tools trim templates).
    offset: usize,
}

/// Compile `text`: parse it, check that every function it calls exists, and record lines.
pub(crate) fn compile(text: &str, functions: &Functions) -> Result<Compiled, GoError> {
    // score-compose and score-k8s trim each template before parsing it.
    let trimmed = text.trim();
    let offset = text[..text.len() - text.trim_start().len()]
        .matches('\n')
        .count();
    let at = |line: usize| Some(line + offset);
    let (tree, defines) = Parser::new(trimmed, "{{", "}}")
        .and_then(Parser::parse)
        .map_err(|e| match e {
            TemplateError::Parse { line, message, .. }
            | TemplateError::Lex { line, message, .. } => GoError {
                line: at(line),
                message,
                kind: ErrorKind::Syntax,
            },
            other => GoError {
                line: None,
                message: other.to_string(),
                kind: ErrorKind::Syntax,
            },
        })?;
    let mut unknown = Vec::new();
    check_list(&tree, functions, &mut unknown);
    for d in &defines {
        check_list(&d.body, functions, &mut unknown);
    }
    if let Some((pos, name)) = unknown.into_iter().min_by_key(|(p, _)| p.offset) {
        return Err(GoError {
            line: at(pos.line),
            message: format!("function \"{name}\" not defined"),
            kind: ErrorKind::UnknownFunction,
        });
    }
    let line = Arc::new(AtomicUsize::new(0));
    let cell = line.clone();
    let mut template = Template::new(MAIN)
        .max_range_iters(MAX_RANGE_ITERATIONS)
        .func(LINE_FN, move |args| {
            if let Some(Value::Int(l)) = args.first() {
                cell.store(usize::try_from(*l).unwrap_or(0), Ordering::Relaxed);
            }
            Ok(Value::String("".into()))
        });
    for (name, f) in functions.0.iter() {
        let f = f.clone();
        let name: &'static str = name;
        template = template.func(name, move |args| {
            f(args)
                .and_then(|v| within_limit(name, v))
                .map_err(|e| named(name, e))
        });
    }
    // Definitions first, the body last: a `{{define}}` of the body's own name cannot shadow it.
    let mut seen = BTreeSet::new();
    for d in defines {
        if seen.insert(d.name.clone()) {
            template = template.add_parse_tree(&d.name, instrument(&d.body));
        }
    }
    let template = template.add_parse_tree(MAIN, instrument(&tree));
    Ok(Compiled {
        template,
        line,
        offset,
    })
}

/// `v`, unless it is a string or list longer than [`sprig::MAX_LEN`]: each function caps what
/// it builds, and this stops the ones that only join their arguments (`cat $s $s`, doubled in
/// a loop) from growing without bound.
fn within_limit(name: &str, v: Value) -> Result<Value, TemplateError> {
    let len = match &v {
        Value::String(s) => s.len(),
        Value::List(items) => items.len(),
        _ => 0,
    };
    if len > sprig::MAX_LEN {
        return Err(TemplateError::Exec(format!(
            "{name}: the result is over the limit of {} bytes or items",
            sprig::MAX_LEN
        )));
    }
    Ok(v)
}

/// Prefix a function's error with its name, unless it is the template author's own message.
fn named(name: &str, e: TemplateError) -> TemplateError {
    match e {
        TemplateError::Exec(msg)
            if name != "fail" && name != "required" && !msg.starts_with(name) =>
        {
            TemplateError::Exec(format!("{name}: {msg}"))
        }
        other => other,
    }
}

impl Compiled {
    /// Render with `data` as dot into `out`.
    pub(crate) fn render(
        &self,
        data: &Value,
        out: &mut impl std::io::Write,
    ) -> Result<(), GoError> {
        self.line.store(0, Ordering::Relaxed);
        self.template
            .execute_template(out, MAIN, data)
            .map_err(|e| {
                let line = match self.line.load(Ordering::Relaxed) {
                    0 => None,
                    l => Some(l + self.offset),
                };
                let (message, kind) = match e {
                    TemplateError::Exec(msg) => (msg, ErrorKind::Fail),
                    TemplateError::RangeIterLimit => (
                        format!(
                            "the template ran more than {MAX_RANGE_ITERATIONS} range iterations"
                        ),
                        ErrorKind::StepLimit,
                    ),
                    TemplateError::RecursionLimit => (
                        "the template nests or recurses too deeply".to_string(),
                        ErrorKind::StepLimit,
                    ),
                    TemplateError::Io(io) => (io.to_string(), ErrorKind::Other),
                    other => (other.to_string(), ErrorKind::Other),
                };
                GoError {
                    line,
                    message,
                    kind,
                }
            })
    }
}

/// Collect the functions a tree calls that are not defined.
fn check_list(list: &ListNode, f: &Functions, out: &mut Vec<(Pos, SmolStr)>) {
    for node in &list.nodes {
        match node {
            Node::List(l) => check_list(l, f, out),
            Node::Action(a) => check_pipe(&a.pipe, f, out),
            Node::If(b) | Node::Range(b) | Node::With(b) => {
                check_pipe(&b.pipe, f, out);
                check_list(&b.body, f, out);
                if let Some(e) = &b.else_body {
                    check_list(e, f, out);
                }
            }
            Node::Template(t) => {
                if let Some(p) = &t.pipe {
                    check_pipe(p, f, out);
                }
            }
            Node::Define(d) => check_list(&d.body, f, out),
            Node::Text(_) | Node::Break(_) | Node::Continue(_) => {}
        }
    }
}

fn check_pipe(pipe: &PipeNode, f: &Functions, out: &mut Vec<(Pos, SmolStr)>) {
    for cmd in &pipe.commands {
        for e in &cmd.args {
            check_expr(e, f, out);
        }
    }
}

fn check_expr(e: &Expr, f: &Functions, out: &mut Vec<(Pos, SmolStr)>) {
    match e {
        Expr::Identifier(pos, name) if !f.knows(name) => out.push((*pos, name.clone())),
        Expr::Pipe(_, p) => check_pipe(p, f, out),
        Expr::Chain(_, inner, _) => check_expr(inner, f, out),
        _ => {}
    }
}

/// A copy of `list` that records the line of each action before running it.
fn instrument(list: &ListNode) -> ListNode {
    let mut nodes = Vec::with_capacity(list.nodes.len() * 2);
    for node in &list.nodes {
        let pos = match node {
            Node::Text(_) | Node::Define(_) => None,
            Node::List(l) => Some(l.pos),
            Node::Action(a) => Some(a.pos),
            Node::If(b) | Node::Range(b) | Node::With(b) => Some(b.pos),
            Node::Template(t) => Some(t.pos),
            Node::Break(p) | Node::Continue(p) => Some(*p),
        };
        if let Some(pos) = pos {
            nodes.push(line_marker(pos));
        }
        // sprig's in-place map changes become assignments placed before the node (`mutate`).
        let node = match node {
            Node::List(l) => Node::List(instrument(l)),
            Node::If(b) => Node::If(instrument_branch(b, &mut nodes)),
            Node::Range(b) => Node::Range(instrument_branch(b, &mut nodes)),
            Node::With(b) => Node::With(instrument_branch(b, &mut nodes)),
            Node::Action(a) => Node::Action(ActionNode {
                pos: a.pos,
                pipe: mutate::hoist(&a.pipe, &mut nodes),
            }),
            Node::Template(t) => Node::Template(gotmpl::parse::TemplateNode {
                pipe: t.pipe.as_ref().map(|p| mutate::hoist(p, &mut nodes)),
                ..t.clone()
            }),
            other => other.clone(),
        };
        nodes.push(node);
    }
    ListNode {
        pos: list.pos,
        nodes,
    }
}

fn instrument_branch(
    b: &gotmpl::parse::BranchNode,
    before: &mut Vec<Node>,
) -> gotmpl::parse::BranchNode {
    gotmpl::parse::BranchNode {
        pos: b.pos,
        pipe: mutate::hoist(&b.pipe, before),
        body: instrument(&b.body),
        else_body: b.else_body.as_ref().map(instrument),
    }
}

/// `{{__score_rs_line N}}`: prints nothing.
fn line_marker(pos: Pos) -> Node {
    let line = i64::try_from(pos.line).unwrap_or(0);
    Node::Action(ActionNode {
        pos,
        pipe: PipeNode {
            pos,
            decl: Vec::new(),
            commands: vec![CommandNode {
                pos,
                args: vec![
                    Expr::Identifier(pos, SmolStr::new(LINE_FN)),
                    Expr::Number(pos, Number::Int(line)),
                ],
            }],
            is_assign: false,
        },
    })
}

#[cfg(test)]
mod tests;
