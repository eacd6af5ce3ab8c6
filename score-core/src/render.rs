//! Rendering diagnostics for people.

use miette::{GraphicalReportHandler, GraphicalTheme};

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
    match handler.render_report(&mut out, d) {
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
