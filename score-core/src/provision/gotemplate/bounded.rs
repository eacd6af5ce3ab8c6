//! Go's built-ins that build strings (`printf`, `print`, `println`, `html`, `js`, `urlquery`),
//! bounded like the sprig functions: each call first estimates, from its arguments, how long
//! its result could be, and refuses past [`MAX_LEN`] before anything is built. `printf` pads to
//! widths of up to 65,535 and can repeat an argument (`%[1]s`), so `printf (repeat 100000
//! "%[1]65535d") 1` would otherwise allocate gigabytes; `print` and the escapers multiply their
//! input, so doubling a variable in a loop would too.
//!
//! The estimate only has to be an upper bound; the call itself goes to the engine's own
//! built-in, run in a template of its own, so the output is exactly Go's.

use std::sync::Arc;

use gotmpl::parse::{ActionNode, CommandNode, Expr, ListNode, Node, Number, PipeNode, Pos};
use gotmpl::{Template, TemplateError, Value};

use super::sprig::{Func, MAX_LEN};

/// The widest padding or precision the engine formats (it clamps larger ones).
const MAX_WIDTH: usize = u16::MAX as usize;

/// The guarded built-ins, to register over the engine's own.
pub(super) fn guards() -> Vec<(&'static str, Func)> {
    let mut out: Vec<(&'static str, Func)> = vec![("printf", Arc::new(printf))];
    for (name, factor) in [
        ("print", 1),
        ("println", 1),
        // `&#34;` for `"`, `\u003C` for `<`, `%XX` for a byte: at most 6 out per byte in.
        ("html", 6),
        ("js", 6),
        ("urlquery", 6),
    ] {
        out.push((
            name,
            Arc::new(move |a: &[Value]| {
                let bound = factor * (sizes(a) + a.len() + 1);
                check(name, bound)?;
                builtin(name, a)
            }),
        ));
    }
    out
}

fn printf(a: &[Value]) -> Result<Value, TemplateError> {
    if let Some(Value::String(format)) = a.first() {
        check("printf", printf_bound(format, &a[1..]))?;
    }
    builtin("printf", a)
}

fn check(name: &str, bound: usize) -> Result<(), TemplateError> {
    if bound > MAX_LEN {
        return Err(TemplateError::Exec(format!(
            "{name}: the result could be longer than the limit of {MAX_LEN} bytes"
        )));
    }
    Ok(())
}

/// An upper bound of `printf format args…`: the format's text, each width and precision once
/// per element of the largest argument (lists are formatted element by element), and the
/// arguments, once each plus once per `[n]` index, times the most an escaping verb (`%q`: 10,
/// `%x`: 3) makes of a byte.
fn printf_bound(format: &str, args: &[Value]) -> usize {
    let mut pad = 0usize;
    let mut indexed = 0usize;
    let mut factor = 1usize;
    let mut chars = format.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '%' {
            continue;
        }
        let mut number = 0usize;
        while let Some(&c) = chars.peek() {
            chars.next();
            match c {
                '0'..='9' => number = number.saturating_mul(10).saturating_add(c as usize - 48),
                '*' => number = MAX_WIDTH,
                '.' | '[' | ']' => {
                    pad = pad.saturating_add(number.min(MAX_WIDTH));
                    number = 0;
                    indexed += usize::from(c == '[');
                }
                '-' | '+' | '#' | ' ' => {}
                verb => {
                    pad = pad.saturating_add(number.min(MAX_WIDTH));
                    factor = factor.max(match verb {
                        'q' => 10,
                        'x' | 'X' => 3,
                        _ => 1,
                    });
                    break;
                }
            }
        }
    }
    let elements = args.iter().map(elements).max().unwrap_or(1).max(1);
    let input = sizes(args).saturating_mul(indexed.saturating_add(1));
    format
        .len()
        .saturating_add(pad.saturating_mul(elements))
        .saturating_add(factor.saturating_mul(input))
}

/// The summed [`size`] of `values`, stopping just past [`MAX_LEN`].
fn sizes(values: &[Value]) -> usize {
    let mut total = 0;
    for v in values {
        total = size(v, total);
        if total > MAX_LEN {
            break;
        }
    }
    total
}

/// `so_far` plus the most `v` prints as (`%v`, or `%f` of a huge float), stopping just past
/// [`MAX_LEN`]: a map that holds itself many times over is never walked in full.
fn size(v: &Value, so_far: usize) -> usize {
    if so_far > MAX_LEN {
        return so_far;
    }
    match v {
        Value::String(s) => so_far + s.len(),
        Value::Int(_) | Value::Uint(_) => so_far + 24,
        Value::Float(_) => so_far + 400,
        Value::List(items) => items.iter().fold(so_far + 2, |n, item| size(item, n + 1)),
        Value::Map(m) => m
            .iter()
            .fold(so_far + 5, |n, (k, item)| size(item, n + k.len() + 2)),
        _ => so_far + 8,
    }
}

/// How many elements `%d` and the like format `v` as.
fn elements(v: &Value) -> usize {
    match v {
        Value::List(items) => items.len(),
        Value::Map(m) => m.len(),
        _ => 1,
    }
}

/// Call the engine's built-in `name` with `args`: a one-action template `{{ name (index . 0)
/// (index . 1) … }}` run with `args` as dot.
fn builtin(name: &str, args: &[Value]) -> Result<Value, TemplateError> {
    let pos = Pos::new(0, 1);
    let arg = |i: usize| {
        Expr::Pipe(
            pos,
            PipeNode {
                pos,
                decl: Vec::new(),
                commands: vec![CommandNode {
                    pos,
                    args: vec![
                        Expr::Identifier(pos, "index".into()),
                        Expr::Dot(pos),
                        Expr::Number(pos, Number::Int(i as i64)),
                    ],
                }],
                is_assign: false,
            },
        )
    };
    let mut call = vec![Expr::Identifier(pos, name.into())];
    call.extend((0..args.len()).map(arg));
    let tree = ListNode {
        pos,
        nodes: vec![Node::Action(ActionNode {
            pos,
            pipe: PipeNode {
                pos,
                decl: Vec::new(),
                commands: vec![CommandNode { pos, args: call }],
                is_assign: false,
            },
        })],
    };
    let text = Template::new("builtin")
        .add_parse_tree("builtin", tree)
        .execute_template_to_string("builtin", &Value::List(args.into()))?;
    Ok(Value::String(text.into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(x: &str) -> Value {
        Value::String(x.into())
    }

    #[test]
    fn builtins_keep_go_semantics() {
        assert_eq!(
            printf(&[s("%s:%d"), s("web"), Value::Int(80)]).unwrap(),
            s("web:80")
        );
        let print = &guards()[1].1;
        assert_eq!(
            print(&[s("a"), Value::Int(1), Value::Int(2)]).unwrap(),
            s("a1 2")
        );
    }

    #[test]
    fn huge_results_are_refused_before_they_are_built() {
        let many = "%[1]65535d".repeat(100);
        let e = printf(&[s(&many), Value::Int(1)]).unwrap_err();
        assert!(e.to_string().contains("limit"), "{e}");
        let big = s(&"x".repeat(600_000));
        assert!(printf(&[s("%s%s"), big.clone(), big.clone()]).is_err());
        assert!(printf(&[s("%s"), big.clone()]).is_ok());
        let html = &guards()[3].1;
        assert!(html(&[big]).is_err());
        // A map that holds itself many times over is not walked in full.
        let mut v = Value::Map(Arc::new(Default::default()));
        for _ in 0..64 {
            let m = [("a".into(), v.clone()), ("b".into(), v.clone())];
            v = Value::Map(Arc::new(m.into_iter().collect()));
        }
        assert!(sizes(&[v]) > MAX_LEN);
    }

    #[test]
    fn ordinary_formats_are_allowed() {
        for f in [
            "%s-%s", "%05d", "%.2f", "%-10s|", "%x", "%q", "%v", "%%", "%*d",
        ] {
            assert!(printf_bound(f, &[s("abc"), Value::Int(5)]) < MAX_LEN, "{f}");
        }
    }
}
