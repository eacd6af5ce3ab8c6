//! The sprig functions provisioner files for score-compose and score-k8s use, with sprig's
//! semantics (argument order, nil handling, Go's integer conversions).
//!
//! Deliberate differences, documented in `docs/provisioners.md`: functions that read the
//! environment, the clock or files are absent (an unknown function is an error); `set`,
//! `unset`, `merge` and `mergeOverwrite` return the new map (values are immutable here;
//! `mutate` assigns it back to the variable given, so the variable changes as in Go);
//! `b64dec` of invalid base64 is an error instead of the error's text; sizes
//! of generated strings and lists are capped.

use std::collections::BTreeMap;
use std::sync::Arc;

use base64::Engine as _;
use gotmpl::{TemplateError, Value};
use sha2::{Digest, Sha256};

use super::convert::{go_json, strval, to_json};
use crate::provision::functions::Random;

type Result<T> = std::result::Result<T, TemplateError>;
pub(crate) type Func = Arc<dyn Fn(&[Value]) -> Result<Value> + Send + Sync>;

/// Longest string or list a function may build (stops `repeat 1000000000 "x"`).
pub(super) const MAX_LEN: usize = 1 << 20;

/// Name and implementation of every function provided on top of Go's built-ins.
pub(crate) fn functions(random: &Random) -> BTreeMap<&'static str, Func> {
    let mut m: BTreeMap<&'static str, Func> = BTreeMap::new();
    let mut add = |name: &'static str, f: Func| {
        m.insert(name, f);
    };
    for (name, charset) in [
        ("randAlphaNum", ALNUM),
        ("randAlpha", ALPHA),
        ("randNumeric", DIGITS),
        ("randAscii", ASCII),
    ] {
        let r = random.clone();
        add(
            name,
            Arc::new(move |a| {
                arity(name, a, 1)?;
                let n = usize::try_from(to_int(&a[0])).unwrap_or(0);
                Ok(s(r.string(capped(name, n)?, charset)))
            }),
        );
    }
    let r = random.clone();
    add(
        "uuidv4",
        Arc::new(move |a| arity("uuidv4", a, 0).map(|()| s(r.uuid()))),
    );
    add(
        "fail",
        Arc::new(|a| {
            Err(TemplateError::Exec(
                a.iter().map(strval).collect::<Vec<_>>().join(" "),
            ))
        }),
    );
    add(
        "required",
        Arc::new(|a| {
            arity("required", a, 2)?;
            match &a[1] {
                Value::Nil => Err(TemplateError::Exec(strval(&a[0]))),
                Value::String(x) if x.is_empty() => Err(TemplateError::Exec(strval(&a[0]))),
                v => Ok(v.clone()),
            }
        }),
    );
    strings(&mut add);
    lists(&mut add);
    dicts(&mut add);
    math(&mut add);
    encodings(&mut add);
    regexes(&mut add);
    m
}

const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const ALPHA: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const DIGITS: &[u8] = b"0123456789";
const ASCII: &[u8] = b"!\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~";

fn s(x: impl Into<Arc<str>>) -> Value {
    Value::String(x.into())
}

fn list(xs: Vec<Value>) -> Value {
    Value::List(xs.into())
}

fn map(m: BTreeMap<Arc<str>, Value>) -> Value {
    Value::Map(Arc::new(m))
}

fn arity(name: &str, a: &[Value], n: usize) -> Result<()> {
    if a.len() == n {
        Ok(())
    } else {
        Err(TemplateError::ArgCount {
            name: name.into(),
            expected: n,
            got: a.len(),
        })
    }
}

fn at_least(name: &str, a: &[Value], n: usize) -> Result<()> {
    if a.len() >= n {
        Ok(())
    } else {
        Err(TemplateError::ArgCount {
            name: name.into(),
            expected: n,
            got: a.len(),
        })
    }
}

fn capped(name: &str, n: usize) -> Result<usize> {
    if n > MAX_LEN {
        return Err(TemplateError::Exec(format!(
            "{name}: {n} is over the limit of {MAX_LEN}"
        )));
    }
    Ok(n)
}

/// Go's `cast.ToInt64` as sprig uses it: numbers truncate, strings parse (0 when they do not),
/// booleans are 0/1, anything else 0.
pub(crate) fn to_int(v: &Value) -> i64 {
    match v {
        Value::Int(i) => *i,
        Value::Uint(u) => i64::try_from(*u).unwrap_or(i64::MAX),
        Value::Float(f) => *f as i64,
        Value::Bool(b) => i64::from(*b),
        Value::String(x) => parse_go_int(x.trim()).unwrap_or(0),
        _ => 0,
    }
}

/// `strconv.ParseInt(s, 0, 64)`: decimal, `0x`, `0o`/`0`, `0b` prefixes, optional sign.
fn parse_go_int(x: &str) -> Option<i64> {
    let (neg, digits) = match x.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, x.strip_prefix('+').unwrap_or(x)),
    };
    let lower = digits.to_ascii_lowercase();
    let (radix, body) = if let Some(h) = lower.strip_prefix("0x") {
        (16, h)
    } else if let Some(b) = lower.strip_prefix("0b") {
        (2, b)
    } else if let Some(o) = lower.strip_prefix("0o") {
        (8, o)
    } else if lower.len() > 1 && lower.starts_with('0') {
        (8, &lower[1..])
    } else {
        (10, lower.as_str())
    };
    let n = i64::from_str_radix(&body.replace('_', ""), radix).ok()?;
    Some(if neg { -n } else { n })
}

fn to_float(v: &Value) -> f64 {
    match v {
        Value::Int(i) => *i as f64,
        Value::Uint(u) => *u as f64,
        Value::Float(f) => *f,
        Value::Bool(b) => f64::from(u8::from(*b)),
        Value::String(x) => x.trim().parse().unwrap_or(0.0),
        _ => 0.0,
    }
}

/// sprig's `empty`: nil, zero numbers, `false`, empty strings, lists and maps.
pub(crate) fn is_empty(v: &Value) -> bool {
    !v.is_truthy()
}

fn as_list(name: &str, v: &Value) -> Result<Arc<[Value]>> {
    match v {
        Value::List(xs) => Ok(xs.clone()),
        Value::Nil => Ok(Arc::from(Vec::new())),
        other => Err(TemplateError::Exec(format!(
            "{name}: cannot use a {} as a list",
            other.type_name()
        ))),
    }
}

fn as_map(name: &str, v: &Value) -> Result<Arc<BTreeMap<Arc<str>, Value>>> {
    match v {
        Value::Map(m) => Ok(m.clone()),
        other => Err(TemplateError::Exec(format!(
            "{name}: cannot use a {} as a map",
            other.type_name()
        ))),
    }
}

/// A sprig function of one string.
type StrFn = fn(&str) -> String;

fn string_fns(add: &mut dyn FnMut(&'static str, Func), fns: &[(&'static str, StrFn)]) {
    for &(name, f) in fns {
        add(
            name,
            Arc::new(move |a| {
                arity(name, a, 1)?;
                Ok(s(f(&strval(&a[0]))))
            }),
        );
    }
}

fn strings(add: &mut dyn FnMut(&'static str, Func)) {
    string_fns(
        add,
        &[
            ("lower", |x| x.to_lowercase()),
            ("upper", |x| x.to_uppercase()),
            ("trim", |x| x.trim().to_string()),
            ("title", title),
            ("nospace", |x| {
                x.chars().filter(|c| !c.is_whitespace()).collect()
            }),
            ("b64enc", |x| {
                base64::engine::general_purpose::STANDARD.encode(x)
            }),
            ("sha256sum", |x| hex(&Sha256::digest(x.as_bytes()))),
            ("toString", |x| x.to_string()),
        ],
    );
    add(
        "quote",
        Arc::new(|a| {
            let parts: Vec<String> = a
                .iter()
                .filter(|v| !matches!(v, Value::Nil))
                .map(|v| go_quote(&strval(v)))
                .collect();
            Ok(s(parts.join(" ")))
        }),
    );
    add(
        "squote",
        Arc::new(|a| {
            let parts: Vec<String> = a
                .iter()
                .filter(|v| !matches!(v, Value::Nil))
                .map(|v| format!("'{}'", strval(v)))
                .collect();
            Ok(s(parts.join(" ")))
        }),
    );
    add(
        "cat",
        Arc::new(|a| {
            let parts: Vec<String> = a
                .iter()
                .filter(|v| !matches!(v, Value::Nil))
                .map(strval)
                .collect();
            Ok(s(parts.join(" ")))
        }),
    );
    add(
        "replace",
        Arc::new(|a| {
            arity("replace", a, 3)?;
            let (old, new, src) = (strval(&a[0]), strval(&a[1]), strval(&a[2]));
            let out = if old.is_empty() {
                go_replace_empty(&src, &new)
            } else {
                src.replace(&old, &new)
            };
            Ok(s(bounded("replace", out)?))
        }),
    );
    for (name, f) in [
        (
            "trimPrefix",
            (|p: &str, x: &str| x.strip_prefix(p).unwrap_or(x).to_string())
                as fn(&str, &str) -> String,
        ),
        ("trimSuffix", |p, x| {
            x.strip_suffix(p).unwrap_or(x).to_string()
        }),
        ("trimAll", |cut, x| {
            x.trim_matches(|c| cut.contains(c)).to_string()
        }),
    ] {
        add(
            name,
            Arc::new(move |a| {
                arity(name, a, 2)?;
                Ok(s(f(&strval(&a[0]), &strval(&a[1]))))
            }),
        );
    }
    for (name, f) in [
        (
            "contains",
            (|n: &str, x: &str| x.contains(n)) as fn(&str, &str) -> bool,
        ),
        ("hasPrefix", |p, x| x.starts_with(p)),
        ("hasSuffix", |p, x| x.ends_with(p)),
    ] {
        add(
            name,
            Arc::new(move |a| {
                arity(name, a, 2)?;
                Ok(Value::Bool(f(&strval(&a[0]), &strval(&a[1]))))
            }),
        );
    }
    add(
        "substr",
        Arc::new(|a| {
            arity("substr", a, 3)?;
            let x = strval(&a[2]);
            let (start, end) = (to_int(&a[0]), to_int(&a[1]));
            let len = x.len() as i64;
            let (from, to) = if start < 0 {
                (0, end)
            } else if end < 0 || end > len {
                (start, len)
            } else {
                (start, end)
            };
            byte_slice("substr", &x, from, to)
        }),
    );
    add(
        "trunc",
        Arc::new(|a| {
            arity("trunc", a, 2)?;
            let x = strval(&a[1]);
            let (c, len) = (to_int(&a[0]), x.len() as i64);
            if c < 0 && len + c > 0 {
                byte_slice("trunc", &x, len + c, len)
            } else if c >= 0 && len > c {
                byte_slice("trunc", &x, 0, c)
            } else {
                Ok(s(x))
            }
        }),
    );
    add(
        "repeat",
        Arc::new(|a| {
            arity("repeat", a, 2)?;
            let x = strval(&a[1]);
            let n = usize::try_from(to_int(&a[0])).unwrap_or(0);
            capped("repeat", n.saturating_mul(x.len()))?;
            Ok(s(x.repeat(n)))
        }),
    );
    add(
        "indent",
        Arc::new(|a| {
            arity("indent", a, 2)?;
            Ok(s(bounded("indent", indent(to_int(&a[0]), &strval(&a[1])))?))
        }),
    );
    add(
        "nindent",
        Arc::new(|a| {
            arity("nindent", a, 2)?;
            Ok(s(bounded(
                "nindent",
                format!("\n{}", indent(to_int(&a[0]), &strval(&a[1]))),
            )?))
        }),
    );
    add(
        "split",
        Arc::new(|a| {
            arity("split", a, 2)?;
            let parts = go_split(&strval(&a[1]), &strval(&a[0]))?;
            let m = parts
                .into_iter()
                .enumerate()
                .map(|(i, p)| (Arc::from(format!("_{i}")), s(p)))
                .collect();
            Ok(map(m))
        }),
    );
    add(
        "splitList",
        Arc::new(|a| {
            arity("splitList", a, 2)?;
            Ok(list(
                go_split(&strval(&a[1]), &strval(&a[0]))?
                    .into_iter()
                    .map(s)
                    .collect(),
            ))
        }),
    );
    add(
        "join",
        Arc::new(|a| {
            arity("join", a, 2)?;
            let items = match &a[1] {
                Value::List(xs) => xs
                    .iter()
                    .filter(|v| !matches!(v, Value::Nil))
                    .map(strval)
                    .collect(),
                Value::Nil => Vec::new(),
                other => vec![strval(other)],
            };
            Ok(s(items.join(&strval(&a[0]))))
        }),
    );
}

/// Go's `strings.Replace` with an empty `old`: `new` before every character and at the end.
fn go_replace_empty(src: &str, new: &str) -> String {
    let mut out = String::with_capacity(src.len() + new.len() * (src.len() + 1));
    out.push_str(new);
    for c in src.chars() {
        out.push(c);
        out.push_str(new);
    }
    out
}

/// Go's `strings.Split`: an empty separator splits into characters.
fn go_split(x: &str, sep: &str) -> Result<Vec<String>> {
    let parts: Vec<String> = if sep.is_empty() {
        x.chars().map(String::from).collect()
    } else {
        x.split(sep).map(str::to_string).collect()
    };
    capped("split", parts.len())?;
    Ok(parts)
}

fn bounded(name: &str, x: String) -> Result<String> {
    capped(name, x.len())?;
    Ok(x)
}

fn indent(n: i64, x: &str) -> String {
    let pad = " ".repeat(usize::try_from(n).unwrap_or(0).min(MAX_LEN));
    format!("{pad}{}", x.replace('\n', &format!("\n{pad}")))
}

/// `x[from..to]` by bytes as Go slices strings; out of range (a Go panic) is an error, and so
/// is a cut inside a character (Go would produce invalid UTF-8).
fn byte_slice(name: &str, x: &str, from: i64, to: i64) -> Result<Value> {
    let (Ok(from), Ok(to)) = (usize::try_from(from), usize::try_from(to)) else {
        return Err(TemplateError::Exec(format!(
            "{name}: slice bounds out of range [{from}:{to}]"
        )));
    };
    x.get(from..to).map(s).ok_or_else(|| {
        TemplateError::Exec(format!(
            "{name}: slice bounds out of range [{from}:{to}] of a string of {} bytes",
            x.len()
        ))
    })
}

/// sprig's `title` (Go's deprecated `strings.Title`): upper-case the first letter of each word.
fn title(x: &str) -> String {
    let mut out = String::with_capacity(x.len());
    let mut prev_letter = false;
    for c in x.chars() {
        if !prev_letter && c.is_alphanumeric() {
            out.extend(c.to_uppercase());
        } else {
            out.push(c);
        }
        prev_letter = c.is_alphanumeric() || c == '_' || c == '\'';
    }
    out
}

/// Go's `%q` of a string: double quotes, Go escapes, non-printable characters as `\x`/`\u`.
pub(crate) fn go_quote(x: &str) -> String {
    let mut out = String::with_capacity(x.len() + 2);
    out.push('"');
    for c in x.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\u{b}' => out.push_str("\\v"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                out.push_str(&format!("\\x{:02x}", c as u32))
            }
            c if c.is_control() || matches!(c, '\u{2028}' | '\u{2029}' | '\u{feff}') => {
                if (c as u32) <= 0xffff {
                    out.push_str(&format!("\\u{:04x}", c as u32));
                } else {
                    out.push_str(&format!("\\U{:08x}", c as u32));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn lists(add: &mut dyn FnMut(&'static str, Func)) {
    add("list", Arc::new(|a| Ok(list(a.to_vec()))));
    add(
        "first",
        Arc::new(|a| {
            arity("first", a, 1)?;
            Ok(as_list("first", &a[0])?
                .first()
                .cloned()
                .unwrap_or(Value::Nil))
        }),
    );
    add(
        "last",
        Arc::new(|a| {
            arity("last", a, 1)?;
            Ok(as_list("last", &a[0])?
                .last()
                .cloned()
                .unwrap_or(Value::Nil))
        }),
    );
    add(
        "rest",
        Arc::new(|a| {
            arity("rest", a, 1)?;
            let xs = as_list("rest", &a[0])?;
            Ok(if xs.is_empty() {
                Value::Nil
            } else {
                list(xs[1..].to_vec())
            })
        }),
    );
    add(
        "initial",
        Arc::new(|a| {
            arity("initial", a, 1)?;
            let xs = as_list("initial", &a[0])?;
            Ok(if xs.is_empty() {
                Value::Nil
            } else {
                list(xs[..xs.len() - 1].to_vec())
            })
        }),
    );
    add(
        "append",
        Arc::new(|a| {
            arity("append", a, 2)?;
            let mut xs = as_list("append", &a[0])?.to_vec();
            capped("append", xs.len() + 1)?;
            xs.push(a[1].clone());
            Ok(list(xs))
        }),
    );
    add(
        "prepend",
        Arc::new(|a| {
            arity("prepend", a, 2)?;
            let mut xs = vec![a[1].clone()];
            xs.extend(as_list("prepend", &a[0])?.iter().cloned());
            capped("prepend", xs.len())?;
            Ok(list(xs))
        }),
    );
    add(
        "concat",
        Arc::new(|a| {
            let mut xs = Vec::new();
            for l in a {
                xs.extend(as_list("concat", l)?.iter().cloned());
                capped("concat", xs.len())?;
            }
            Ok(list(xs))
        }),
    );
    add(
        "reverse",
        Arc::new(|a| {
            arity("reverse", a, 1)?;
            Ok(list(
                as_list("reverse", &a[0])?.iter().rev().cloned().collect(),
            ))
        }),
    );
    add(
        "uniq",
        Arc::new(|a| {
            arity("uniq", a, 1)?;
            let mut out: Vec<Value> = Vec::new();
            for x in as_list("uniq", &a[0])?.iter() {
                if !out.contains(x) {
                    out.push(x.clone());
                }
            }
            Ok(list(out))
        }),
    );
    add(
        "compact",
        Arc::new(|a| {
            arity("compact", a, 1)?;
            Ok(list(
                as_list("compact", &a[0])?
                    .iter()
                    .filter(|v| !is_empty(v))
                    .cloned()
                    .collect(),
            ))
        }),
    );
    add(
        "has",
        Arc::new(|a| {
            arity("has", a, 2)?;
            Ok(Value::Bool(as_list("has", &a[1])?.contains(&a[0])))
        }),
    );
    add(
        "without",
        Arc::new(|a| {
            at_least("without", a, 1)?;
            let drop = &a[1..];
            Ok(list(
                as_list("without", &a[0])?
                    .iter()
                    .filter(|v| !drop.contains(v))
                    .cloned()
                    .collect(),
            ))
        }),
    );
    add(
        "sortAlpha",
        Arc::new(|a| {
            arity("sortAlpha", a, 1)?;
            let mut xs: Vec<String> = as_list("sortAlpha", &a[0])?.iter().map(strval).collect();
            xs.sort();
            Ok(list(xs.into_iter().map(s).collect()))
        }),
    );
    add(
        "until",
        Arc::new(|a| {
            arity("until", a, 1)?;
            let n = to_int(&a[0]);
            let len = capped(
                "until",
                usize::try_from(n.unsigned_abs()).unwrap_or(usize::MAX),
            )?;
            let step = if n < 0 { -1 } else { 1 };
            Ok(list(
                (0..len as i64).map(|i| Value::Int(i * step)).collect(),
            ))
        }),
    );
    add(
        "untilStep",
        Arc::new(|a| {
            arity("untilStep", a, 3)?;
            let (start, stop, step) = (to_int(&a[0]), to_int(&a[1]), to_int(&a[2]));
            let mut out = Vec::new();
            if step == 0 {
                return Ok(list(out));
            }
            let mut i = start;
            while (step > 0 && i < stop) || (step < 0 && i > stop) {
                out.push(Value::Int(i));
                capped("untilStep", out.len())?;
                i = i.saturating_add(step);
            }
            Ok(list(out))
        }),
    );
    add(
        "empty",
        Arc::new(|a| {
            arity("empty", a, 1)?;
            Ok(Value::Bool(is_empty(&a[0])))
        }),
    );
    add(
        "default",
        Arc::new(|a| {
            at_least("default", a, 1)?;
            Ok(match a.get(1) {
                Some(given) if !is_empty(given) => given.clone(),
                _ => a[0].clone(),
            })
        }),
    );
    add(
        "coalesce",
        Arc::new(|a| {
            Ok(a.iter()
                .find(|v| !is_empty(v))
                .cloned()
                .unwrap_or(Value::Nil))
        }),
    );
    add(
        "ternary",
        Arc::new(|a| {
            arity("ternary", a, 3)?;
            Ok(if a[2].is_truthy() {
                a[0].clone()
            } else {
                a[1].clone()
            })
        }),
    );
    add(
        "all",
        Arc::new(|a| Ok(Value::Bool(a.iter().all(Value::is_truthy)))),
    );
    add(
        "any",
        Arc::new(|a| Ok(Value::Bool(a.iter().any(Value::is_truthy)))),
    );
}

fn dicts(add: &mut dyn FnMut(&'static str, Func)) {
    add(
        "dict",
        Arc::new(|a| {
            let mut m = BTreeMap::new();
            for pair in a.chunks(2) {
                let v = pair.get(1).cloned().unwrap_or_else(|| s(""));
                m.insert(Arc::from(strval(&pair[0])), v);
            }
            Ok(map(m))
        }),
    );
    add("dig", Arc::new(dig));
    add(
        "hasKey",
        Arc::new(|a| {
            arity("hasKey", a, 2)?;
            Ok(Value::Bool(
                as_map("hasKey", &a[0])?.contains_key(strval(&a[1]).as_str()),
            ))
        }),
    );
    add(
        "get",
        Arc::new(|a| {
            arity("get", a, 2)?;
            Ok(as_map("get", &a[0])?
                .get(strval(&a[1]).as_str())
                .cloned()
                .unwrap_or_else(|| s("")))
        }),
    );
    add(
        "set",
        Arc::new(|a| {
            arity("set", a, 3)?;
            let mut m = (*as_map("set", &a[0])?).clone();
            m.insert(Arc::from(strval(&a[1])), a[2].clone());
            Ok(map(m))
        }),
    );
    add(
        "unset",
        Arc::new(|a| {
            arity("unset", a, 2)?;
            let mut m = (*as_map("unset", &a[0])?).clone();
            m.remove(strval(&a[1]).as_str());
            Ok(map(m))
        }),
    );
    add(
        "keys",
        Arc::new(|a| {
            let mut ks = Vec::new();
            for d in a {
                ks.extend(as_map("keys", d)?.keys().map(|k| Value::String(k.clone())));
            }
            Ok(list(ks))
        }),
    );
    add(
        "values",
        Arc::new(|a| {
            arity("values", a, 1)?;
            Ok(list(as_map("values", &a[0])?.values().cloned().collect()))
        }),
    );
    add(
        "pick",
        Arc::new(|a| {
            at_least("pick", a, 1)?;
            let names: Vec<String> = a[1..].iter().map(strval).collect();
            let m = as_map("pick", &a[0])?;
            Ok(map(m
                .iter()
                .filter(|(k, _)| names.iter().any(|n| n == k.as_ref()))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect()))
        }),
    );
    add(
        "omit",
        Arc::new(|a| {
            at_least("omit", a, 1)?;
            let names: Vec<String> = a[1..].iter().map(strval).collect();
            let m = as_map("omit", &a[0])?;
            Ok(map(m
                .iter()
                .filter(|(k, _)| !names.iter().any(|n| n == k.as_ref()))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect()))
        }),
    );
    add("merge", Arc::new(|a| merge_fn("merge", a, false)));
    add(
        "mergeOverwrite",
        Arc::new(|a| merge_fn("mergeOverwrite", a, true)),
    );
    add(
        "deepCopy",
        Arc::new(|a| {
            arity("deepCopy", a, 1)?;
            Ok(a[0].clone())
        }),
    );
}

/// sprig's `dig "k1" "k2" default dict`: walk nested maps; a missing key gives the default.
fn dig(a: &[Value]) -> Result<Value> {
    at_least("dig", a, 3)?;
    let mut cur = as_map("dig", &a[a.len() - 1])?;
    let default = &a[a.len() - 2];
    let keys = &a[..a.len() - 2];
    for (i, k) in keys.iter().enumerate() {
        let Value::String(k) = k else {
            return Err(TemplateError::Exec(format!(
                "dig: keys must be strings, got a {}",
                k.type_name()
            )));
        };
        let Some(step) = cur.get(k.as_ref()) else {
            return Ok(default.clone());
        };
        if i + 1 == keys.len() {
            return Ok(step.clone());
        }
        cur = as_map("dig", step).map_err(|_| {
            TemplateError::Exec(format!("dig: `{k}` is a {}, not a map", step.type_name()))
        })?;
    }
    Ok(default.clone())
}

/// mergo as sprig calls it: keys missing from the destination are copied from each source in
/// turn, nested maps merged; with `overwrite`, non-empty source values win.
fn merge_fn(name: &str, a: &[Value], overwrite: bool) -> Result<Value> {
    at_least(name, a, 1)?;
    let mut dst = (*as_map(name, &a[0])?).clone();
    for src in &a[1..] {
        merge_into(&mut dst, &*as_map(name, src)?, overwrite);
    }
    Ok(map(dst))
}

fn merge_into(
    dst: &mut BTreeMap<Arc<str>, Value>,
    src: &BTreeMap<Arc<str>, Value>,
    overwrite: bool,
) {
    for (k, v) in src {
        match (dst.get_mut(k), v) {
            (Some(Value::Map(d)), Value::Map(sv)) => {
                let mut inner = (**d).clone();
                merge_into(&mut inner, sv, overwrite);
                *d = Arc::new(inner);
            }
            (Some(existing), _) => {
                if (overwrite && !is_empty(v)) || is_empty(existing) {
                    *existing = v.clone();
                }
            }
            (None, _) => {
                dst.insert(k.clone(), v.clone());
            }
        }
    }
}

fn math(add: &mut dyn FnMut(&'static str, Func)) {
    add(
        "atoi",
        Arc::new(|a| {
            arity("atoi", a, 1)?;
            Ok(Value::Int(strval(&a[0]).parse().unwrap_or(0)))
        }),
    );
    add(
        "int",
        Arc::new(|a| {
            arity("int", a, 1)?;
            Ok(Value::Int(to_int(&a[0])))
        }),
    );
    add(
        "int64",
        Arc::new(|a| {
            arity("int64", a, 1)?;
            Ok(Value::Int(to_int(&a[0])))
        }),
    );
    add(
        "float64",
        Arc::new(|a| {
            arity("float64", a, 1)?;
            Ok(Value::Float(to_float(&a[0])))
        }),
    );
    add(
        "add1",
        Arc::new(|a| {
            arity("add1", a, 1)?;
            Ok(Value::Int(to_int(&a[0]).wrapping_add(1)))
        }),
    );
    type Fold = fn(i64, i64) -> i64;
    for (name, f, min_args) in [
        ("add", i64::wrapping_add as Fold, 0),
        ("mul", i64::wrapping_mul as Fold, 1),
        ("max", (|x: i64, y: i64| x.max(y)) as Fold, 1),
        ("min", (|x: i64, y: i64| x.min(y)) as Fold, 1),
    ] {
        add(
            name,
            Arc::new(move |a| {
                at_least(name, a, min_args)?;
                let mut it = a.iter().map(to_int);
                let first = it.next().unwrap_or(0);
                Ok(Value::Int(it.fold(first, f)))
            }),
        );
    }
    add(
        "sub",
        Arc::new(|a| {
            arity("sub", a, 2)?;
            Ok(Value::Int(to_int(&a[0]).wrapping_sub(to_int(&a[1]))))
        }),
    );
    for (name, f) in [
        ("div", i64::checked_div as fn(i64, i64) -> Option<i64>),
        ("mod", i64::checked_rem),
    ] {
        add(
            name,
            Arc::new(move |a| {
                arity(name, a, 2)?;
                f(to_int(&a[0]), to_int(&a[1]))
                    .map(Value::Int)
                    .ok_or_else(|| TemplateError::Exec(format!("{name}: integer divide by zero")))
            }),
        );
    }
}

fn encodings(add: &mut dyn FnMut(&'static str, Func)) {
    add(
        "b64dec",
        Arc::new(|a| {
            arity("b64dec", a, 1)?;
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(strval(&a[0]))
                .map_err(|e| TemplateError::Exec(format!("b64dec: invalid base64: {e}")))?;
            String::from_utf8(bytes)
                .map(s)
                .map_err(|_| TemplateError::Exec("b64dec: the decoded bytes are not UTF-8".into()))
        }),
    );
    add(
        "toJson",
        Arc::new(|a| {
            arity("toJson", a, 1)?;
            Ok(s(go_json(&to_json(&a[0]), true)))
        }),
    );
    add(
        "toRawJson",
        Arc::new(|a| {
            arity("toRawJson", a, 1)?;
            Ok(s(go_json(&to_json(&a[0]), false)))
        }),
    );
    add(
        "toPrettyJson",
        Arc::new(|a| {
            arity("toPrettyJson", a, 1)?;
            Ok(s(
                serde_json::to_string_pretty(&to_json(&a[0])).unwrap_or_default()
            ))
        }),
    );
    add(
        "fromJson",
        Arc::new(|a| {
            arity("fromJson", a, 1)?;
            Ok(serde_json::from_str::<serde_json::Value>(&strval(&a[0]))
                .map_or(Value::Nil, |v| super::convert::from_json(&v)))
        }),
    );
    add(
        "toYaml",
        Arc::new(|a| {
            arity("toYaml", a, 1)?;
            let text = crate::state::to_yaml(&to_json(&a[0])).unwrap_or_default();
            Ok(s(text.trim_end_matches('\n').to_string()))
        }),
    );
}

fn regex(name: &str, pattern: &str) -> Result<regex_lite::Regex> {
    regex_lite::Regex::new(pattern)
        .map_err(|e| TemplateError::Exec(format!("{name}: invalid regular expression: {e}")))
}

fn regexes(add: &mut dyn FnMut(&'static str, Func)) {
    add(
        "regexMatch",
        Arc::new(|a| {
            arity("regexMatch", a, 2)?;
            Ok(Value::Bool(
                regex("regexMatch", &strval(&a[0]))?.is_match(&strval(&a[1])),
            ))
        }),
    );
    add(
        "regexFind",
        Arc::new(|a| {
            arity("regexFind", a, 2)?;
            let x = strval(&a[1]);
            Ok(s(regex("regexFind", &strval(&a[0]))?
                .find(&x)
                .map_or("", |m| m.as_str())))
        }),
    );
    add(
        "regexFindAll",
        Arc::new(|a| {
            arity("regexFindAll", a, 3)?;
            let x = strval(&a[1]);
            let n = to_int(&a[2]);
            let re = regex("regexFindAll", &strval(&a[0]))?;
            let limit = usize::try_from(n).unwrap_or(usize::MAX);
            Ok(list(
                re.find_iter(&x)
                    .take(limit)
                    .map(|m| s(m.as_str()))
                    .collect(),
            ))
        }),
    );
    add(
        "regexReplaceAll",
        Arc::new(|a| {
            arity("regexReplaceAll", a, 3)?;
            let x = strval(&a[1]);
            let re = regex("regexReplaceAll", &strval(&a[0]))?;
            Ok(s(bounded(
                "regexReplaceAll",
                re.replace_all(&x, strval(&a[2]).as_str()).into_owned(),
            )?))
        }),
    );
    add(
        "regexReplaceAllLiteral",
        Arc::new(|a| {
            arity("regexReplaceAllLiteral", a, 3)?;
            let x = strval(&a[1]);
            let re = regex("regexReplaceAllLiteral", &strval(&a[0]))?;
            let repl = strval(&a[2]);
            Ok(s(bounded(
                "regexReplaceAllLiteral",
                re.replace_all(&x, regex_lite::NoExpand(&repl)).into_owned(),
            )?))
        }),
    );
    add(
        "regexSplit",
        Arc::new(|a| {
            arity("regexSplit", a, 3)?;
            let x = strval(&a[1]);
            let re = regex("regexSplit", &strval(&a[0]))?;
            let n = to_int(&a[2]);
            let parts: Vec<Value> = if n < 0 {
                re.split(&x).map(s).collect()
            } else {
                re.splitn(&x, usize::try_from(n).unwrap_or(0))
                    .map(s)
                    .collect()
            };
            Ok(list(parts))
        }),
    );
}
