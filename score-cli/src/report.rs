//! Printing diagnostics and results.

use std::io::{IsTerminal, Write};

use score_core::render::render;
use score_core::Diagnostic;

use crate::cli::Format;

/// Prints diagnostics to stderr in the chosen format.
pub struct Reporter {
    format: Format,
    color: bool,
}

impl Reporter {
    pub fn new(format: Format) -> Self {
        // Scripts can ask every command for machine-readable diagnostics.
        let format = match std::env::var("SCORE_RS_DIAGNOSTICS").as_deref() {
            Ok("json") => Format::Json,
            _ => format,
        };
        let color = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
        Reporter { format, color }
    }

    /// Print every diagnostic.
    pub fn diagnostics(&mut self, diags: &[Diagnostic]) {
        if diags.is_empty() {
            return;
        }
        // stderr is unbuffered: one write for all of them rather than several per diagnostic.
        let mut err = std::io::BufWriter::with_capacity(64 * 1024, std::io::stderr().lock());
        for d in diags {
            let _ = match self.format {
                // A blank line keeps consecutive reports apart.
                Format::Human => writeln!(err, "{}", render(d, self.color)),
                Format::Json => writeln!(err, "{}", d.to_json()),
            };
        }
        let _ = err.flush();
    }

    /// A one-line success message (human format only; JSON stays machine-readable).
    pub fn success(&mut self, line: &str) {
        if self.format == Format::Human {
            let _ = writeln!(std::io::stdout().lock(), "{line}");
        }
    }
}
