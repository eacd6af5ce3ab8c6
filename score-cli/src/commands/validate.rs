//! `score-rs validate`.

use std::path::PathBuf;

use score_core::load::{display_name, load_path};
use score_core::{Diagnostic, DiagnosticsExt};

use super::{usage, OK};
use crate::cli::Format;
use crate::document::{FileReport, ValidateReport};
use crate::report::{print_document, Reporter};

/// Validate every file (a failure does not stop the others); with `--format json` print one
/// document for all of them. Exit code: [`super::USAGE`] if a file is missing, else
/// [`super::FAILED`] if any is invalid.
pub fn run(files: &[PathBuf], format: Format, reporter: &mut Reporter) -> u8 {
    let mut code = OK;
    let mut entries = Vec::new();
    for path in files {
        let (diags, workload) = match usage::missing(path) {
            Some(missing) => (vec![missing], None),
            None => match load_path(path) {
                Ok(loaded) => (loaded.warnings, Some(loaded.workload)),
                Err(diags) => (diags, None),
            },
        };
        reporter.diagnostics(&diags);
        if let Some(w) = &workload {
            reporter.success(&format!(
                "✓ {}: workload `{}` is valid ({} container{}, {} resource{})",
                display_name(path),
                w.name(),
                w.containers.len(),
                plural(w.containers.len()),
                w.resources.len(),
                plural(w.resources.len()),
            ));
        }
        if diags.has_errors() {
            // A usage error (2) outranks an invalid file (1).
            code = code.max(super::usage_or_failed(&diags));
        }
        if format == Format::Json {
            entries.push(FileReport {
                file: display_name(path),
                valid: workload.is_some(),
                workload: workload.map(|w| w.name().to_string()),
                diagnostics: diags.iter().map(Diagnostic::to_json).collect(),
            });
        }
    }
    reporter.summary();
    if format == Format::Json {
        print_document(&ValidateReport::new(entries, code));
    }
    code
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}
