//! Which template language an entry is written in: our minijinja (Jinja2) dialect, or Go
//! `text/template` as score-compose and score-k8s read it.
//!
//! The rule, in order (documented in `docs/provisioners.md`):
//! 1. the entry's `syntax` key: `go` or `jinja`;
//! 2. any template with a Jinja statement `{%` or comment `{#`: Jinja;
//! 3. any action `{{ … }}` (or `{{- … }}`) that starts the Go way: with `.` or `$`
//!    (`{{ .State.x }}`, `{{ $p := … }}`), a Go comment `/*`, a Go keyword (`if`, `range`,
//!    `with`, `end`, `else`, `define`, `template`, `block`, `break`, `continue`), or a call with
//!    its arguments after a space (`{{ randAlphaNum 6 }}`, `{{ anything "text" }}`): Go;
//! 4. otherwise Jinja (a template without any `{{` renders the same either way).

/// The template language of one entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Syntax {
    /// minijinja (Jinja2): `{{ state.password }}`, `{% if %}`.
    Jinja,
    /// Go `text/template` with sprig: `{{ .State.password }}`, `{{ if }}`.
    Go,
}

impl Syntax {
    /// The value of the `syntax` key.
    pub(crate) fn parse(s: &str) -> Option<Self> {
        match s {
            "go" | "go-template" | "gotemplate" => Some(Syntax::Go),
            "jinja" | "jinja2" | "minijinja" => Some(Syntax::Jinja),
            _ => None,
        }
    }
}

const GO_KEYWORDS: &[&str] = &[
    "if", "else", "end", "range", "with", "define", "template", "block", "break", "continue",
];

/// Rules 2–4 over the texts of one entry.
pub(crate) fn detect<'a>(texts: impl IntoIterator<Item = &'a str> + Clone) -> Syntax {
    if texts
        .clone()
        .into_iter()
        .any(|t| t.contains("{%") || t.contains("{#"))
    {
        return Syntax::Jinja;
    }
    let go_names = super::gotemplate::supported_functions();
    let go = texts
        .into_iter()
        .any(|t| actions(t).any(|a| go_action(a, go_names)));
    if go {
        Syntax::Go
    } else {
        Syntax::Jinja
    }
}

/// The start of every action: the text after `{{` (and a trim marker `-`), spaces skipped.
fn actions(text: &str) -> impl Iterator<Item = &str> {
    text.match_indices("{{").map(move |(i, _)| {
        let rest = &text[i + 2..];
        rest.strip_prefix('-').unwrap_or(rest).trim_start()
    })
}

fn go_action(a: &str, go_names: &[&str]) -> bool {
    if a.starts_with('.') || a.starts_with('$') || a.starts_with("/*") {
        return true;
    }
    let word_len = a
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(a.len());
    let (word, after) = a.split_at(word_len);
    if word.is_empty() {
        return false;
    }
    let ends_word = after.is_empty()
        || after.starts_with(char::is_whitespace)
        || after.starts_with('}')
        || after.starts_with('-');
    if GO_KEYWORDS.contains(&word) && ends_word {
        return true;
    }
    // A call with space-separated arguments: invalid Jinja, the Go way to call a function.
    let Some(rest) = after.strip_prefix(char::is_whitespace) else {
        return false;
    };
    let next = rest.trim_start().chars().next();
    // Any name followed by a string, a field or a variable is a Go call (`{{ env "HOME" }}`:
    // an unknown function then gets its own error); a known Go/sprig name also with a number,
    // a name or a parenthesised argument.
    next.is_some_and(|c| matches!(c, '"' | '`' | '.' | '$'))
        || (go_names.contains(&word) && next.is_some_and(|c| c.is_ascii_alphanumeric() || c == '('))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(t: &str) -> Syntax {
        detect([t])
    }

    #[test]
    fn go_templates_are_recognised() {
        for t in [
            "host: {{ .State.serviceName }}",
            "{{- $w := index .WorkloadServices .Id }}",
            "p: {{ randAlphaNum 16 | quote }}",
            "{{ if not .Params.x }}{{ fail \"x\" }}{{ end }}",
            "{{/* a comment */}}",
            "name: {{ printf \"%s\" \"x\" }}",
            "home: {{ env \"HOME\" }}",
        ] {
            assert_eq!(one(t), Syntax::Go, "{t}");
        }
    }

    #[test]
    fn jinja_templates_stay_jinja() {
        for t in [
            "host: {{ uid | slug }}",
            "password: {{ state.password | default(random_password(24)) }}",
            "{% if params.x %}a: 1{% endif %}",
            "x: {{ dig(state, 'a.b', 0) }}",
            "x: {{ range(3) | list }}",
            "x: {{ lower }}",
            "plain: yaml",
            "",
            // A Jinja statement anywhere decides for the whole entry.
            "{{ .X }} {% raw %}{% endraw %}",
        ] {
            assert_eq!(one(t), Syntax::Jinja, "{t}");
        }
    }

    #[test]
    fn one_go_template_makes_the_entry_go() {
        assert_eq!(detect(["port: 5432", "host: {{ .State.h }}"]), Syntax::Go);
        assert_eq!(Syntax::parse("go"), Some(Syntax::Go));
        assert_eq!(Syntax::parse("jinja"), Some(Syntax::Jinja));
        assert_eq!(Syntax::parse("erb"), None);
    }
}
