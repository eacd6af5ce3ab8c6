//! Printing diagnostics and results.

use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};

use score_core::render::render;
use score_core::{Diagnostic, Severity};

use crate::cli::Format;

/// Human output shows this many warnings of one kind; the rest are counted in [`Reporter::summary`].
const SAME_WARNINGS_SHOWN: usize = 3;

/// Prints diagnostics to stderr in the chosen format.
pub struct Reporter {
    format: Format,
    color: bool,
    /// Warnings seen per code, for the summary.
    warnings: BTreeMap<String, usize>,
}

impl Reporter {
    pub fn new(format: Format) -> Self {
        // Scripts can ask every command for machine-readable diagnostics.
        let format = match std::env::var("SCORE_RS_DIAGNOSTICS").as_deref() {
            Ok("json") => Format::Json,
            _ => format,
        };
        let color = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
        Reporter {
            format,
            color,
            warnings: BTreeMap::new(),
        }
    }

    /// Print every diagnostic.
    pub fn diagnostics(&mut self, diags: &[Diagnostic]) {
        if diags.is_empty() {
            return;
        }
        // stderr is unbuffered: one write for all of them rather than several per diagnostic.
        let mut err = std::io::BufWriter::with_capacity(64 * 1024, std::io::stderr().lock());
        let format = self.format;
        for d in diags {
            let _ = match format {
                Format::Human if self.repeated_warning(d) => continue,
                // A blank line keeps consecutive reports apart.
                Format::Human => writeln!(err, "{}", render(d, self.color)),
                Format::Json => writeln!(err, "{}", d.to_json()),
            };
        }
        let _ = err.flush();
    }

    /// Whether `d` is one more warning of a kind already shown [`SAME_WARNINGS_SHOWN`] times:
    /// 200 workloads with the same liveness probe should not bury the output (errors are
    /// always shown in full).
    fn repeated_warning(&mut self, d: &Diagnostic) -> bool {
        if d.severity != Severity::Warning {
            return false;
        }
        let seen = self.warnings.entry(d.code.clone()).or_default();
        *seen += 1;
        *seen > SAME_WARNINGS_SHOWN
    }

    /// One line per kind of warning that was cut short, saying how many were not shown.
    pub fn summary(&mut self) {
        let hidden: Vec<String> = self
            .warnings
            .iter()
            .filter(|(_, &n)| n > SAME_WARNINGS_SHOWN)
            .map(|(code, n)| format!("  ⚠ {} more `{code}` warnings", n - SAME_WARNINGS_SHOWN))
            .collect();
        if hidden.is_empty() {
            return;
        }
        let mut err = std::io::stderr().lock();
        let _ = writeln!(
            err,
            "{}\n  (set SCORE_RS_DIAGNOSTICS=json to list every warning)\n",
            hidden.join("\n")
        );
    }

    /// A one-line success message (human format only; JSON stays machine-readable).
    pub fn success(&mut self, line: &str) {
        if self.format == Format::Human {
            let _ = writeln!(std::io::stdout().lock(), "{line}");
        }
    }
}
