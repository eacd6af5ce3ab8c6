//! Align `=` the way `terraform fmt` does.
//!
//! hcl-rs prints `key = value` with one space; `terraform fmt` (hclwrite) pads the keys of
//! consecutive one-line attributes so their `=` line up. Its rule, reproduced here: a line is
//! an "assignment" when it has an `=` after its first token and the rest of the line is a
//! whole expression (brackets balance, or it opens a heredoc); a run of consecutive
//! assignment lines is one group; any other line (a block header, a closing brace, a line
//! that opens a multi-line value, a blank line) ends the group. A heredoc is part of the line
//! that opens it, so the attributes after it still align with those before. Each `=` of a
//! group is placed one space after the longest key.
//!
//! hclwrite also indents the `}, {` line between two objects of a list one level deeper than
//! the braces around it (`[{`, `}]`); that is done here too.

/// Re-align the attributes of HCL text printed by hcl-rs.
pub fn align(text: &str) -> String {
    let lines: Vec<&str> = text.split('\n').collect();
    // Per line: where its key ends, where its `=` is and the group's key width, when the line
    // is an attribute of a run; written once at the end (every block of a module passes here,
    // so lines are not copied one by one).
    let mut aligned: Vec<Option<(usize, usize, usize)>> = vec![None; lines.len()];
    let mut verbatim = vec![false; lines.len()];
    let mut group: Vec<(usize, usize, usize)> = Vec::new(); // (line, key end, '=' index)
    let mut heredoc: Option<String> = None;
    for (i, line) in lines.iter().enumerate() {
        if let Some(delim) = &heredoc {
            // A heredoc belongs to the line that opens it: it does not end the group.
            if line.trim() == delim {
                heredoc = None;
            }
            verbatim[i] = true;
            continue;
        }
        match assignment(line) {
            Some(a) => {
                group.push((i, a.key_end, a.eq));
                heredoc = a.heredoc;
            }
            None => flush(&mut aligned, &mut group),
        }
    }
    flush(&mut aligned, &mut group);
    let mut out = String::with_capacity(text.len() + text.len() / 4);
    for (i, line) in lines.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let start = out.len();
        match aligned[i] {
            Some((key_end, eq, width)) => {
                out.push_str(&line[..key_end]);
                out.extend(std::iter::repeat_n(' ', width - key_end + 1));
                out.push_str(&line[eq..]);
            }
            None => out.push_str(line),
        }
        if !verbatim[i] {
            collapse_empty_block(&mut out, start);
            indent_object_separator(&mut out, start);
        }
    }
    // The module keeps every block's text until the end: no slack.
    out.shrink_to_fit();
    out
}

/// `  }, {` between two objects of a list: one level deeper, as `terraform fmt` writes it.
/// `out[start..]` is the line.
fn indent_object_separator(out: &mut String, start: usize) {
    if out[start..].trim_start().starts_with("}, {") {
        out.insert_str(start, "  ");
    }
}

/// hcl-rs prints an empty block as `name {    }`; `terraform fmt` writes `name {}`.
/// `out[start..]` is the line.
fn collapse_empty_block(out: &mut String, start: usize) {
    let t = out[start..].trim_end();
    if !t.ends_with('}') || t.trim_start().starts_with('"') {
        return;
    }
    let body = &t[..t.len() - 1];
    let inner = body.trim_end();
    if inner.ends_with('{') && inner.len() < body.len() && !inner.contains('=') {
        let end = start + inner.len();
        out.truncate(end);
        out.push('}');
    }
}

/// Give every line of a run of attributes the run's key width.
fn flush(aligned: &mut [Option<(usize, usize, usize)>], group: &mut Vec<(usize, usize, usize)>) {
    let width = group.iter().map(|(_, k, _)| *k).max().unwrap_or(0);
    for (i, key_end, eq) in group.drain(..) {
        aligned[i] = Some((key_end, eq, width));
    }
}

struct Assignment {
    /// Byte index just past the key (trailing spaces excluded).
    key_end: usize,
    /// Byte index of the `=`.
    eq: usize,
    /// The delimiter when the value opens a heredoc.
    heredoc: Option<String>,
}

/// Tokens that matter: brackets, `=`, quoted strings (skipped, templates inside balanced).
fn assignment(line: &str) -> Option<Assignment> {
    let b = line.as_bytes();
    let start = line.len() - line.trim_start().len();
    if start == line.len() {
        return None;
    }
    let mut i = start;
    let mut first_token_end = None;
    let mut eq = None;
    // Find the first `=` (not `==`, `=>`, `<=`, `>=`, `!=`) outside strings, after the first token.
    while i < b.len() {
        match b[i] {
            b'"' => {
                i = skip_string(b, i)?;
                first_token_end.get_or_insert(i);
                continue;
            }
            b'=' => {
                let prev = if i > 0 { b[i - 1] } else { b' ' };
                let next = b.get(i + 1).copied().unwrap_or(b' ');
                if next != b'=' && next != b'>' && !matches!(prev, b'=' | b'<' | b'>' | b'!') {
                    eq = Some(i);
                    break;
                }
                i += 2;
                continue;
            }
            b' ' | b'\t' => {
                first_token_end.get_or_insert(i);
            }
            b'{' | b'}' | b'[' | b']' | b'(' | b')' | b',' => return None,
            _ => {}
        }
        i += 1;
    }
    let eq = eq?;
    if first_token_end.is_none() || eq == start {
        return None;
    }
    // The value must be a whole expression: balanced brackets, or a heredoc opener.
    let rest = &line[eq + 1..];
    let trimmed = rest.trim_start();
    if let Some(h) = trimmed.strip_prefix("<<") {
        let delim = h.trim_start_matches('-').trim();
        return Some(Assignment {
            key_end: line[..eq].trim_end().len(),
            eq,
            heredoc: Some(delim.to_string()),
        });
    }
    if net_brackets(rest.as_bytes())? != 0 {
        return None;
    }
    Some(Assignment {
        key_end: line[..eq].trim_end().len(),
        eq,
        heredoc: None,
    })
}

/// Index just past the quoted string starting at `i` (templates may nest quotes).
fn skip_string(b: &[u8], mut i: usize) -> Option<usize> {
    i += 1;
    while i < b.len() {
        match b[i] {
            b'\\' => i += 2,
            b'"' => return Some(i + 1),
            b'$' | b'%' if b.get(i + 1) == Some(&b'{') => {
                if i > 0 && b[i - 1] == b[i] {
                    i += 2; // escaped marker
                    continue;
                }
                i = skip_braces(b, i + 1)?;
            }
            _ => i += 1,
        }
    }
    None
}

/// Index just past the `}` matching the `{` at `i`.
fn skip_braces(b: &[u8], mut i: usize) -> Option<usize> {
    let mut depth = 0usize;
    while i < b.len() {
        match b[i] {
            b'"' => {
                i = skip_string(b, i)?;
                continue;
            }
            b'{' => depth += 1,
            b'}' => {
                depth -= 1;
                if depth == 0 {
                    return Some(i + 1);
                }
            }
            _ => {}
        }
        i += 1;
    }
    None
}

fn net_brackets(b: &[u8]) -> Option<i32> {
    let mut net = 0;
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'"' => {
                i = skip_string(b, i)?;
                continue;
            }
            b'{' | b'[' | b'(' => net += 1,
            b'}' | b']' | b')' => net -= 1,
            _ => {}
        }
        i += 1;
    }
    Some(net)
}

#[cfg(test)]
mod tests {
    use super::align;

    #[test]
    fn object_separators_in_lists_are_indented_like_terraform_fmt() {
        let text = "a = [{\n  x = 1\n}, {\n  x = 2\n}]";
        assert_eq!(align(text), "a = [{\n  x = 1\n  }, {\n  x = 2\n}]");
    }

    #[test]
    fn aligns_runs_of_one_line_attributes() {
        let input = "a {\n  name = \"x\"\n  namespace = var.ns\n  labels = {\n    \"app.kubernetes.io/name\" = \"x\"\n    a = \"b=c\"\n  }\n  x = [1, 2]\n  yy = { a = 1 }\n  content = <<EOT\nk = v\nEOT\n  z = 1\n}\n";
        let want = "a {\n  name      = \"x\"\n  namespace = var.ns\n  labels = {\n    \"app.kubernetes.io/name\" = \"x\"\n    a                        = \"b=c\"\n  }\n  x       = [1, 2]\n  yy      = { a = 1 }\n  content = <<EOT\nk = v\nEOT\n  z       = 1\n}\n";
        assert_eq!(align(input), want);
    }

    #[test]
    fn empty_blocks_collapse() {
        assert_eq!(
            align("  a {\n    metadata {      }\n  }\n"),
            "  a {\n    metadata {}\n  }\n"
        );
        assert_eq!(align("  x = \"{  }\"\n"), "  x = \"{  }\"\n");
        assert_eq!(
            align("  x = <<EOT\nserver {  }\nEOT\n"),
            "  x = <<EOT\nserver {  }\nEOT\n"
        );
    }

    #[test]
    fn templates_with_quotes_and_braces_count_as_one_token() {
        let input = "  a = \"${f(\"}\")}\"\n  bb = 1\n";
        assert_eq!(align(input), "  a  = \"${f(\"}\")}\"\n  bb = 1\n");
    }
}
