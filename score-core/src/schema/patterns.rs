//! Hand-written matchers for the `pattern`s of our embedded schema.
//!
//! Why: compiling the regular expressions a run meets (nine of the schema's ten) with
//! `regex_lite` cost 8.5 % of a single-workload `generate` (the `{0,61}` repetitions of the
//! name patterns expand into hundreds of NFA states). These patterns are simple enough to test
//! directly, byte by byte. Any other pattern still goes to `regex_lite`; the tests hold every
//! matcher equal to `regex_lite` on a large set of generated strings and check that each pattern
//! of the embedded schema has one.
//!
//! The classes are ASCII, so a string with any non-ASCII byte fails every class test, as the
//! regular expression fails on the character; for ASCII strings bytes and characters coincide.

/// A matcher for `pattern` (the JSON string, unescaped), if it is one of ours.
pub(crate) fn builtin(pattern: &str) -> Option<fn(&str) -> bool> {
    let matcher: fn(&str) -> bool = match pattern {
        r"^score\.dev/v1b1$" => |s| s == "score.dev/v1b1",
        r"^[a-z0-9][a-z0-9-]{0,61}[a-z0-9]$" => |s| dns_label(s.as_bytes()),
        r"^[A-Za-z0-9][A-Za-z0-9-]{0,61}[A-Za-z0-9]$" => {
            |s| bounded(s.as_bytes(), alnum, |b| alnum(b) || b == b'-')
        }
        r"^[a-z0-9]+(?:-+[a-z0-9]+)*(?:\.[a-z0-9]+(?:-+[a-z0-9]+)*)*$" => {
            |s| s.split('.').all(|label| dashed(label.as_bytes()))
        }
        r"^(?:[a-z0-9][a-z0-9-]{0,61}[a-z0-9](?:\.[a-z0-9][a-z0-9-]{0,61}[a-z0-9])*/)?[A-Za-z0-9][A-Za-z0-9._-]{0,61}[A-Za-z0-9]$" => {
            qualified_name
        }
        r"^\d+(?:m|\.\d+)?$" => cpu_quantity,
        r"^(?:0\.\d+|[1-9]\d*(?:\.\d+)?)(?:[KMGTPE]i?)?$" => memory_quantity,
        r"^0?[0-7]{3}$" => |s| match s.as_bytes() {
            [b'0', rest @ ..] if rest.len() == 3 => rest.iter().all(|b| (b'0'..=b'7').contains(b)),
            bytes => bytes.len() == 3 && bytes.iter().all(|b| (b'0'..=b'7').contains(b)),
        },
        r"^[A-Za-z0-9_-]+$" => {
            |s| !s.is_empty() && s.bytes().all(|b| alnum(b) || b == b'_' || b == b'-')
        }
        r"^[^=]+$" => |s| !s.is_empty() && !s.contains('='),
        _ => return None,
    };
    Some(matcher)
}

fn lower_alnum(b: u8) -> bool {
    b.is_ascii_lowercase() || b.is_ascii_digit()
}

fn alnum(b: u8) -> bool {
    b.is_ascii_alphanumeric()
}

/// `[edge][middle]{0,61}[edge]`: 2 to 63 bytes.
fn bounded(s: &[u8], edge: fn(u8) -> bool, middle: fn(u8) -> bool) -> bool {
    match s {
        [first, inner @ .., last] if s.len() <= 63 => {
            edge(*first) && edge(*last) && inner.iter().all(|&b| middle(b))
        }
        _ => false,
    }
}

/// `[a-z0-9][a-z0-9-]{0,61}[a-z0-9]`.
fn dns_label(s: &[u8]) -> bool {
    bounded(s, lower_alnum, |b| lower_alnum(b) || b == b'-')
}

/// `[a-z0-9]+(?:-+[a-z0-9]+)*`: lower-case letters and digits, dashes only inside.
fn dashed(s: &[u8]) -> bool {
    match s {
        [first, .., last] | [first @ last] => {
            lower_alnum(*first)
                && lower_alnum(*last)
                && s.iter().all(|&b| lower_alnum(b) || b == b'-')
        }
        [] => false,
    }
}

/// An optional DNS-subdomain prefix and `/`, then a name: neither part can hold a `/`, so the
/// first one splits them.
fn qualified_name(s: &str) -> bool {
    let name = |n: &str| bounded(n.as_bytes(), alnum, |b| alnum(b) || b"._-".contains(&b));
    match s.split_once('/') {
        Some((prefix, rest)) => prefix.split('.').all(|l| dns_label(l.as_bytes())) && name(rest),
        None => name(s),
    }
}

/// The length of the run of ASCII digits `s` starts with.
fn digits(s: &[u8]) -> usize {
    s.iter().take_while(|b| b.is_ascii_digit()).count()
}

/// `\.\d+` and nothing after it.
fn is_fraction(s: &[u8]) -> bool {
    matches!(s, [b'.', rest @ ..] if !rest.is_empty() && digits(rest) == rest.len())
}

/// `\d+(?:m|\.\d+)?`.
fn cpu_quantity(s: &str) -> bool {
    let s = s.as_bytes();
    let n = digits(s);
    n > 0 && (matches!(&s[n..], [] | [b'm']) || is_fraction(&s[n..]))
}

/// `(?:0\.\d+|[1-9]\d*(?:\.\d+)?)(?:[KMGTPE]i?)?`.
fn memory_quantity(s: &str) -> bool {
    let s = s.as_bytes();
    // Digits never appear in the suffix, so the number ends where the suffix letters start.
    let end = s
        .iter()
        .position(|b| b"KMGTPE".contains(b))
        .unwrap_or(s.len());
    let (number, suffix) = s.split_at(end);
    let number_ok = match number {
        [b'0', rest @ ..] => is_fraction(rest),
        [b'1'..=b'9', ..] => {
            let n = digits(number);
            n == number.len() || is_fraction(&number[n..])
        }
        _ => false,
    };
    number_ok && matches!(suffix, [] | [_] | [_, b'i'])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_rng::Lcg;

    /// Every pattern of the embedded schema.
    fn schema_patterns() -> Vec<String> {
        fn walk(v: &serde_json::Value, out: &mut Vec<String>) {
            match v {
                serde_json::Value::Object(map) => {
                    for (k, x) in map {
                        match (k.as_str(), x) {
                            ("pattern", serde_json::Value::String(p)) => out.push(p.clone()),
                            _ => walk(x, out),
                        }
                    }
                }
                serde_json::Value::Array(items) => items.iter().for_each(|x| walk(x, out)),
                _ => {}
            }
        }
        let schema: serde_json::Value = serde_json::from_str(super::super::SCHEMA_JSON).unwrap();
        let mut out = Vec::new();
        walk(&schema, &mut out);
        out.sort();
        out.dedup();
        out
    }

    #[test]
    fn every_schema_pattern_has_a_matcher() {
        let patterns = schema_patterns();
        assert!(patterns.len() >= 10, "{patterns:?}");
        for p in patterns {
            assert!(builtin(&p).is_some(), "no hand-written matcher for {p}");
        }
    }

    /// Pieces that make strings near the patterns' edges: their classes, separators, suffixes,
    /// runs at the 63-byte bound, characters outside ASCII and line ends.
    const PIECES: &[&str] = &[
        "a",
        "z",
        "Q",
        "0",
        "1",
        "7",
        "8",
        "9",
        "-",
        "--",
        ".",
        "/",
        "_",
        "=",
        "m",
        "K",
        "Ki",
        "E",
        "i",
        "é",
        "\n",
        " ",
        "0.",
        ".5",
        "score.dev/v1b1",
        "v1b1",
        "ab",
        "a-b",
        "example.com/",
    ];

    fn sample(rng: &mut Lcg) -> String {
        let mut s = String::new();
        for _ in 0..rng.below(9) {
            let piece = PIECES[rng.below(PIECES.len())];
            // Now and then a long run, to cross the {0,61} bounds.
            let times = if rng.below(8) == 0 {
                58 + rng.below(8)
            } else {
                1
            };
            s.push_str(&piece.repeat(times));
        }
        s
    }

    #[test]
    fn matchers_agree_with_regex_lite() {
        let count: usize = std::env::var("SCORE_RS_PATTERN_SAMPLES")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(40_000);
        let fixed = [
            "", "0", "00", "000", "0000", "0777", "0.5Gi", "1.Mi", "5m", "a", "ab",
        ];
        for p in schema_patterns() {
            let regex = regex_lite::Regex::new(&p).unwrap();
            let matcher = builtin(&p).unwrap();
            let mut rng = Lcg(0x5EED ^ p.len() as u64);
            let (mut hits, mut total) = (0, 0);
            let long = ["a".repeat(62), "a".repeat(63), "a".repeat(64)];
            let edges = fixed.iter().map(|s| s.to_string()).chain(long);
            for s in edges.chain((0..count).map(|_| sample(&mut rng))) {
                let expected = regex.is_match(&s);
                assert_eq!(matcher(&s), expected, "pattern {p} on {s:?}");
                hits += usize::from(expected);
                total += 1;
            }
            // The samples must exercise both verdicts, or the comparison proves little.
            assert!(hits > 0 && hits < total, "{p}: {hits} of {total} match");
        }
    }
}
