//! Rendering diagnostics for people.

use std::fmt;

use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan, SourceCode};

use crate::diagnostic::Diagnostic;

/// Render a diagnostic as text with a source snippet and carets; `color` adds ANSI colours.
///
/// ```
/// use score_core::{render::render, Diagnostic};
/// let text = render(&Diagnostic::error("score::x", "boom"), false);
/// assert!(text.contains("score::x"));
/// ```
pub fn render(d: &Diagnostic, color: bool) -> String {
    if too_wide(d) {
        // No snippet: say where instead.
        let mut short = d.clone();
        if let Some((line, col)) = d.location() {
            short.message = format!("{} (line {line}, column {col})", d.message);
        }
        short.labels.clear();
        short.source = None;
        let file = d
            .source
            .as_ref()
            .map(|s| format!("  in {}\n", s.name()))
            .unwrap_or_default();
        return render(&short, color) + &file;
    }
    let theme = if color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_width(100)
        .with_context_lines(2);
    let mut out = String::new();
    match handler.render_report(&mut out, &Report(d)) {
        Ok(()) => out,
        Err(_) => format!("{}: {}\n", d.code, d.message),
    }
}

/// Past this column miette's padding (`{:width$}`, at most `u16::MAX`) can panic, and a snippet
/// of such a line is unreadable anyway.
const MAX_SNIPPET_COLUMN: usize = 4096;

fn too_wide(d: &Diagnostic) -> bool {
    let Some(src) = &d.source else { return false };
    d.labels.iter().any(|l| {
        src.line_col(l.span.start).1 > MAX_SNIPPET_COLUMN
            || src.line_col(l.span.end).1 > MAX_SNIPPET_COLUMN
    })
}

/// A diagnostic as miette shows it: the headline is the message alone, since the report's
/// snippet already says where (`Diagnostic`'s own `Display` starts with `file:line:col`).
#[derive(Debug)]
struct Report<'a>(&'a Diagnostic);

impl fmt::Display for Report<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.headline().fmt(f)
    }
}

impl std::error::Error for Report<'_> {}

impl miette::Diagnostic for Report<'_> {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        miette::Diagnostic::code(self.0)
    }

    fn severity(&self) -> Option<miette::Severity> {
        miette::Diagnostic::severity(self.0)
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        miette::Diagnostic::help(self.0)
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        miette::Diagnostic::source_code(self.0)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        miette::Diagnostic::labels(self.0)
    }
}
