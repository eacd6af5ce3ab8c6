//! Printing diagnostics and results.
//!
//! Human text (diagnostics, "wrote …") goes to stderr; stdout holds what a script consumes:
//! `validate`'s success lines, or with `--format json` the one JSON document of the run.

use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};

use score_core::render::render;
use score_core::{Diagnostic, Severity};

use crate::cli::Format;

/// Human output shows this many warnings of one kind; the rest are counted in [`Reporter::summary`].
const SAME_WARNINGS_SHOWN: usize = 3;

/// Prints diagnostics to stderr, rendered or (`SCORE_RS_DIAGNOSTICS=json`) as JSON lines.
pub struct Reporter {
    /// `--format json`: stdout is kept for the JSON document.
    document: bool,
    /// One JSON object per diagnostic on stderr instead of the rendered form.
    json_lines: bool,
    color: bool,
    /// Warnings seen per code, for the summary.
    warnings: BTreeMap<String, usize>,
    /// Every diagnostic printed, kept for the JSON document (only with `--format json`).
    recorded: Vec<Diagnostic>,
}

impl Reporter {
    pub fn new(format: Format) -> Self {
        // Scripts can ask every command for machine-readable diagnostics.
        let json_lines = std::env::var("SCORE_RS_DIAGNOSTICS").is_ok_and(|v| v == "json");
        let color = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
        Reporter {
            document: format == Format::Json,
            json_lines,
            color,
            warnings: BTreeMap::new(),
            recorded: Vec::new(),
        }
    }

    /// Print every diagnostic.
    pub fn diagnostics(&mut self, diags: &[Diagnostic]) {
        if diags.is_empty() {
            return;
        }
        if self.document {
            self.recorded.extend_from_slice(diags);
        }
        // stderr is unbuffered: one write for all of them rather than several per diagnostic.
        let mut err = std::io::BufWriter::with_capacity(64 * 1024, std::io::stderr().lock());
        for d in diags {
            let _ = if self.json_lines {
                writeln!(err, "{}", d.to_json())
            } else if self.repeated_warning(d) {
                continue;
            } else {
                // A blank line keeps consecutive reports apart.
                writeln!(err, "{}", render(d, self.color))
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

    /// A one-line success message on stdout (not with `--format json`: stdout holds the
    /// document then).
    pub fn success(&mut self, line: &str) {
        if !self.document {
            let _ = writeln!(std::io::stdout().lock(), "{line}");
        }
    }

    /// The diagnostics printed so far (recorded only with `--format json`).
    pub fn recorded(&self) -> &[Diagnostic] {
        &self.recorded
    }
}

/// Print the run's JSON document on stdout.
pub fn print_document(doc: &impl serde::Serialize) {
    let mut out = std::io::stdout().lock();
    let _ = serde_json::to_writer_pretty(&mut out, doc);
    let _ = writeln!(out);
}
