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
