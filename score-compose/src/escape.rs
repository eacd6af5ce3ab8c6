//! Escaping for compose, which interpolates `$VAR` / `${VAR}` in every string of the file.
//!
//! * [`dollars`] doubles every `$` so compose passes text through unchanged.
//! * [`command_arg`] handles `command`, `args` and probe commands. Score does not substitute
//!   placeholders there (neither do the reference tools), but its `$$` escape still means `$`:
//!   the text the container receives is the Score string with `$$` → `$` and `$${x}` → `${x}`,
//!   which is what `score-compose` users write today (`args: ["echo $${GREETING}"]` prints the
//!   variable). That text is then escaped for compose, so no `$` is ever interpolated by compose.
//! * [`env_file_line`] writes one `KEY="value"` line of an env file in compose's dotenv dialect.

use score_core::placeholder::{Segment, Template};

/// Every `$` doubled: compose turns `$$` back into `$`.
///
/// ```text
/// a$b ${c} → a$$b $${c}
/// ```
pub(crate) fn dollars(s: &str) -> String {
    s.replace('$', "$$")
}

/// A `command`/`args`/probe string as compose must write it (see the module docs).
pub(crate) fn command_arg(s: &str) -> String {
    match Template::parse(s) {
        Ok(t) => t
            .segments
            .iter()
            .map(|seg| match seg {
                Segment::Literal(text) => dollars(text),
                // Not substituted: kept as written, for the container's shell to expand.
                Segment::Placeholder(p) => format!("$${{{}}}", p.raw),
            })
            .collect(),
        // `${}` and friends: no Score meaning here, pass the text through untouched.
        Err(_) => dollars(s),
    }
}

/// The text the container receives for a [`command_arg`]-escaped string (for messages/tests).
#[cfg(test)]
pub(crate) fn compose_unescape(s: &str) -> String {
    s.replace("$$", "$")
}

/// One env-file line. `value` is already compose-escaped (`$` written `$$`, `${KEY}` for a
/// variable compose must interpolate); inside double quotes compose's dotenv parser also
/// reads `\\`, `\"` and `\n`, so those are escaped too.
pub(crate) fn env_file_line(key: &str, value: &str) -> String {
    let mut out = String::with_capacity(key.len() + value.len() + 4);
    out.push_str(key);
    out.push_str("=\"");
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c => out.push(c),
        }
    }
    out.push_str("\"\n");
    out
}

/// Whether `key` can be used as `${key}` in compose interpolation.
pub(crate) fn is_env_name(key: &str) -> bool {
    let mut chars = key.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dollars_are_doubled() {
        assert_eq!(dollars("a$b ${c} $$"), "a$$b $${c} $$$$");
        assert_eq!(dollars("none"), "none");
    }

    #[test]
    fn command_args_follow_score_escapes() {
        // What the corpus writes: `$${X}` reaches the shell as `${X}`.
        assert_eq!(
            command_arg("echo $${GREETING} $${NAME}!"),
            "echo $${GREETING} $${NAME}!"
        );
        assert_eq!(
            compose_unescape(&command_arg("echo $${GREETING}")),
            "echo ${GREETING}"
        );
        // A lone `$` reaches the container as is.
        assert_eq!(command_arg("echo $HOME"), "echo $$HOME");
        assert_eq!(command_arg("cost: 5$"), "cost: 5$$");
        // `$$` is one `$` in Score.
        assert_eq!(command_arg("pid $$"), "pid $$");
        // Unsubstituted placeholders are kept for the shell.
        assert_eq!(command_arg("${metadata.name}"), "$${metadata.name}");
        assert_eq!(command_arg("${VAR:-x}"), "$${VAR:-x}");
        // Malformed placeholders: text kept.
        assert_eq!(command_arg("a ${} b"), "a $${} b");
    }

    #[test]
    fn env_file_lines() {
        assert_eq!(env_file_line("A", "plain"), "A=\"plain\"\n");
        assert_eq!(
            env_file_line("A", "q\"b\\s\nx $$y ${Z}"),
            "A=\"q\\\"b\\\\s\\nx $$y ${Z}\"\n"
        );
    }

    #[test]
    fn env_names() {
        assert!(is_env_name("NAME"));
        assert!(is_env_name("_a1"));
        assert!(!is_env_name("1A"));
        assert!(!is_env_name("A-B"));
        assert!(!is_env_name(""));
    }
}
