//! `compose.yaml` text.
//!
//! Output must stay byte-identical to what serde-saphyr writes (block style, sequences flush with
//! their key, keys in map order), but going through serde's data model cost a tenth of a whole
//! 200-workload run. So the shapes compose documents are made of (maps, sequences of scalars
//! and of maps, plain strings) are written directly here. Anything this module is not sure
//! about goes to serde-saphyr: a single scalar whose quoting is not obvious, or the whole
//! document when a shape could lay out differently (multi-line strings, nested sequences).
//! Differential tests hold the two to the same bytes.

use serde_json::{Map, Value};

/// The document as YAML, as [`reference`] writes it.
pub(crate) fn to_yaml(doc: &Value) -> String {
    direct(doc).unwrap_or_else(|| reference(doc))
}

/// serde-saphyr's YAML for `v`: long strings stay on one line (no folded `>` scalars),
/// multi-line text uses `|`.
pub(crate) fn reference<T: serde::Serialize>(v: &T) -> String {
    let mut options = serde_saphyr::SerializerOptions::default();
    options.folded_wrap_chars = usize::MAX;
    // JSON is valid YAML: the fallback keeps output correct should the emitter ever fail.
    serde_saphyr::to_string_with_options(v, options)
        .unwrap_or_else(|_| serde_json::to_string_pretty(v).unwrap_or_default() + "\n")
}

/// The direct emitter; `None` when the document has a shape it leaves to serde-saphyr.
fn direct(doc: &Value) -> Option<String> {
    let Value::Object(m) = doc else { return None };
    if m.is_empty() {
        return None;
    }
    let mut out = String::with_capacity(256 * m.len());
    emit_map(m, 0, false, &mut out)?;
    Some(out)
}

/// A non-empty map at `indent`; `inline` when its first key follows a `- ` already written.
fn emit_map(m: &Map<String, Value>, indent: usize, inline: bool, out: &mut String) -> Option<()> {
    for (i, (key, value)) in m.iter().enumerate() {
        if i > 0 || !inline {
            push_indent(indent, out);
        }
        push_key(key, out)?;
        out.push(':');
        match value {
            Value::Object(child) if !child.is_empty() => {
                out.push('\n');
                emit_map(child, indent + 2, false, out)?;
            }
            // Sequences sit at their key's indentation.
            Value::Array(items) if !items.is_empty() => {
                out.push('\n');
                emit_seq(items, indent, out)?;
            }
            scalar => {
                out.push(' ');
                push_scalar(scalar, out)?;
                out.push('\n');
            }
        }
    }
    Some(())
}

/// A non-empty sequence whose dashes sit at `indent`.
fn emit_seq(items: &[Value], indent: usize, out: &mut String) -> Option<()> {
    for item in items {
        push_indent(indent, out);
        out.push_str("- ");
        match item {
            Value::Object(m) if !m.is_empty() => emit_map(m, indent + 2, true, out)?,
            Value::Array(a) if !a.is_empty() => return None,
            scalar => {
                push_scalar(scalar, out)?;
                out.push('\n');
            }
        }
    }
    Some(())
}

fn push_indent(n: usize, out: &mut String) {
    const SPACES: &str = "                                ";
    let mut left = n;
    while left > 0 {
        let step = left.min(SPACES.len());
        out.push_str(&SPACES[..step]);
        left -= step;
    }
}

fn push_key(key: &str, out: &mut String) -> Option<()> {
    // Keys are quoted for any `:` at all.
    if obviously_plain(key) && !key.contains(':') {
        out.push_str(key);
        return Some(());
    }
    // serde-saphyr's own spelling of the key, taken from a one-entry map.
    let one = reference(&std::collections::BTreeMap::from([(key, ())]));
    let text = one.strip_suffix(": null\n")?;
    (!text.contains('\n')).then(|| out.push_str(text))
}

fn push_scalar(v: &Value, out: &mut String) -> Option<()> {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) if n.is_i64() || n.is_u64() => {
            use std::fmt::Write as _;
            let _ = write!(out, "{n}");
        }
        Value::Object(m) if m.is_empty() => out.push_str("{}"),
        Value::Array(a) if a.is_empty() => out.push_str("[]"),
        Value::String(s) if obviously_plain(s) || plain_flag_or_amount(s) => out.push_str(s),
        Value::String(s) if dotted_digits(s) => {
            out.push('"');
            out.push_str(s);
            out.push('"');
        }
        // Floats and strings that may need quotes: as serde-saphyr writes them alone.
        other => {
            let text = reference(other);
            let line = text.strip_suffix('\n')?;
            if line.contains('\n') {
                return None;
            }
            out.push_str(line);
        }
    }
    Some(())
}

/// Strings that every YAML reader takes as the same plain string, key or value: they start with
/// a letter, `/` or `./`, hold only printable ASCII with single inner spaces, and are none of
/// the words YAML 1.1 or 1.2 give another meaning. Conservative by design: anything else is
/// left to serde-saphyr.
fn obviously_plain(s: &str) -> bool {
    let b = s.as_bytes();
    let start_ok = match b {
        [c, ..] if c.is_ascii_alphabetic() || *c == b'/' => true,
        [b'.', b'/', ..] => true,
        _ => false,
    };
    if !start_ok || b[b.len() - 1] == b' ' || b[b.len() - 1] == b':' {
        return false;
    }
    // A space may not be followed by another or by `#`; a colon not by a space.
    let chars_ok = b.iter().enumerate().all(|(i, &c)| match PLAIN[c as usize] {
        OK => true,
        COLON => b.get(i + 1) != Some(&b' '),
        SPACE => !matches!(b.get(i + 1), Some(b' ' | b'#')),
        _ => false,
    });
    chars_ok && !is_special_word(s)
}

const OK: u8 = 1;
const COLON: u8 = 2;
const SPACE: u8 = 3;

/// What each byte may be inside an obviously plain string (0: not at all).
const PLAIN: [u8; 256] = {
    let mut t = [0; 256];
    let mut c = 0;
    while c < 128 {
        if (c as u8).is_ascii_alphanumeric() {
            t[c] = OK;
        }
        c += 1;
    }
    let extra = b"-_./=+@,%$";
    let mut i = 0;
    while i < extra.len() {
        t[extra[i] as usize] = OK;
        i += 1;
    }
    t[b':' as usize] = COLON;
    t[b' ' as usize] = SPACE;
    t
};

/// Command-line flags (`-c`, `--ready`) and amounts with a unit (`5s`, `256m`): plain, since
/// no YAML reader takes them for a number. Hex (`0xff`) and the like are excluded.
fn plain_flag_or_amount(s: &str) -> bool {
    let b = s.as_bytes();
    match b {
        [b'-', ..] => {
            let rest = s.trim_start_matches('-');
            rest.len() + 2 >= s.len()
                && rest.starts_with(|c: char| c.is_ascii_alphabetic())
                && obviously_plain(rest)
        }
        [b'0', b'x' | b'X' | b'o' | b'O' | b'b' | b'B', ..] => false,
        [b'0'..=b'9', ..] => {
            let digits = b.iter().take_while(|c| c.is_ascii_digit()).count();
            digits < b.len() && b[digits..].iter().all(u8::is_ascii_alphabetic)
        }
        _ => false,
    }
}

/// Digits and dots (`0.5`, `127.0.0.1`): numbers, or close enough for YAML 1.1 readers, so
/// serde-saphyr double-quotes them.
fn dotted_digits(s: &str) -> bool {
    s.bytes().any(|c| c.is_ascii_digit()) && s.bytes().all(|c| c.is_ascii_digit() || c == b'.')
}

/// Booleans, nulls and special floats of YAML 1.1 and 1.2, in any letter case.
fn is_special_word(s: &str) -> bool {
    const WORDS: [&str; 11] = [
        "y", "n", "yes", "no", "on", "off", "true", "false", "null", "nan", "inf",
    ];
    s.len() <= 5 && WORDS.iter().any(|w| w.eq_ignore_ascii_case(s))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// A small deterministic generator (xorshift) so failures reproduce.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
    }

    /// Strings near every quoting rule: words, numbers, indicators, spaces, colons, unicode.
    const PIECES: [&str; 60] = [
        "a",
        "web",
        "main",
        "-",
        "--",
        "---",
        "...",
        ".",
        "./",
        "/",
        ":",
        ": ",
        " ",
        "  ",
        "#",
        " #",
        "0",
        "1",
        "08",
        "0x1F",
        "1e3",
        ".5",
        "12:30",
        "2024-01-01",
        "yes",
        "No",
        "ON",
        "null",
        "~",
        "true",
        "NaN",
        ".inf",
        "=",
        "<<",
        "$$",
        "${x}",
        "@",
        "%",
        "*",
        "&",
        "!",
        "|",
        ">",
        "'",
        "\"",
        "\n",
        "\t",
        "ü",
        "s",
        "m",
        "Mi",
        "x",
        "o",
        "b",
        "e",
        "E",
        "ff",
        "127.0.0.1",
        "-c",
        "--ready",
    ];

    fn string(rng: &mut Rng) -> String {
        (0..1 + rng.below(4))
            .map(|_| PIECES[rng.below(PIECES.len())])
            .collect()
    }

    fn value(rng: &mut Rng, depth: usize) -> Value {
        match rng.below(if depth > 3 { 5 } else { 9 }) {
            0 => Value::Null,
            1 => json!(rng.below(2) == 0),
            2 => json!(rng.below(100_000) as i64 - 50),
            3 => json!(rng.below(1000) as f64 / 8.0),
            4 => Value::String(string(rng)),
            5 | 6 => Value::Object(
                (0..rng.below(4))
                    .map(|_| (string(rng), value(rng, depth + 1)))
                    .collect(),
            ),
            _ => Value::Array((0..rng.below(4)).map(|_| value(rng, depth + 1)).collect()),
        }
    }

    #[test]
    fn same_bytes_as_serde_saphyr_on_random_documents() {
        let mut rng = Rng(0x5eed_cafe_f00d_d00d);
        let mut direct_count = 0;
        for _ in 0..20_000 {
            let doc = Value::Object(
                (0..1 + rng.below(4))
                    .map(|_| (string(&mut rng), value(&mut rng, 0)))
                    .collect(),
            );
            if direct(&doc).is_some() {
                direct_count += 1;
            }
            assert_eq!(to_yaml(&doc), reference(&doc), "document: {doc}");
        }
        // The comparison means little if every document fell back.
        assert!(
            direct_count > 5_000,
            "only {direct_count} went the direct way"
        );
    }

    #[test]
    fn compose_shapes_are_written_directly() {
        let doc = json!({
            "name": "demo",
            "services": {"web-main": {
                "command": ["sh", "-c", "echo hi && exec nginx"],
                "environment": {"PORT": "8080", "URL": "postgres://u@db:5432/x"},
                "healthcheck": {"retries": 3, "test": ["CMD", "/bin/true"], "interval": "5s"},
                "volumes": [{"read_only": true, "source": "./.score-rs/mounts/x", "type": "bind"}],
            }},
            "volumes": {"data": {}},
        });
        let text = direct(&doc).expect("a compose document goes the direct way");
        assert_eq!(text, reference(&doc));
        assert!(
            text.contains("    command:\n    - sh\n    - -c\n"),
            "{text}"
        );
        assert!(text.contains("PORT: \"8080\""), "{text}");
    }

    #[test]
    fn plain_strings_are_conservative() {
        for s in [
            "web",
            "nginx:1.27-alpine",
            "./a/b",
            "/etc/x",
            "echo hi",
            "a=b",
            "a$$X",
        ] {
            assert!(obviously_plain(s), "{s}");
        }
        for s in ["5s", "256m", "-c", "--ready", "-U"] {
            assert!(plain_flag_or_amount(s), "{s}");
        }
        for s in [
            "0xff", "1e3", "---x", "-1", "-.5", "-", "- a", "-a: b", "5s!",
        ] {
            assert!(!plain_flag_or_amount(s), "{s}");
        }
        for s in [
            "", "yes", "Off", "1", "-c", "a: b", "a #b", "x:", "a  b", "ü", ".5", "a\tb", "$X",
        ] {
            assert!(!obviously_plain(s), "{s}");
        }
    }
}
