//! The JSON documents that `validate --format json` and `generate --format json` print on
//! stdout, one per run. The schema is documented in `docs/ci.md`; [`VERSION`] changes when a
//! field is removed or changes meaning (new fields may appear without it).

use serde::Serialize;
use serde_json::Value;

use score_core::{Diagnostic, Severity};

/// Version of both documents' schema.
pub const VERSION: u32 = 1;

/// `validate --format json`.
#[derive(Serialize)]
pub struct ValidateReport {
    pub version: u32,
    pub command: &'static str,
    /// One entry per file argument, in order, valid ones included.
    pub files: Vec<FileReport>,
    pub summary: ValidateSummary,
}

/// One validated file.
#[derive(Serialize)]
pub struct FileReport {
    /// The path as given (`<stdin>` for `-`).
    pub file: String,
    pub valid: bool,
    /// The workload's `metadata.name` when the file is valid.
    pub workload: Option<String>,
    /// Errors and warnings, in source order.
    pub diagnostics: Vec<Value>,
}

/// Totals of a `validate` run.
#[derive(Serialize)]
pub struct ValidateSummary {
    pub files: usize,
    pub valid: usize,
    pub invalid: usize,
    pub errors: usize,
    pub warnings: usize,
    pub exit_code: u8,
}

impl ValidateReport {
    pub fn new(files: Vec<FileReport>, exit_code: u8) -> Self {
        let all = files.iter().flat_map(|f| &f.diagnostics);
        let errors = all.filter(|d| d["severity"] == "error").count();
        let diagnostics: usize = files.iter().map(|f| f.diagnostics.len()).sum();
        let valid = files.iter().filter(|f| f.valid).count();
        ValidateReport {
            version: VERSION,
            command: "validate",
            summary: ValidateSummary {
                files: files.len(),
                valid,
                invalid: files.len() - valid,
                errors,
                warnings: diagnostics - errors,
                exit_code,
            },
            files,
        }
    }
}

/// `generate --format json`.
#[derive(Serialize)]
pub struct GenerateReport {
    pub version: u32,
    pub command: &'static str,
    pub target: &'static str,
    /// Whether the run succeeded (then every file below was written and the state saved).
    pub ok: bool,
    /// Every file the output consists of (compose: mounted files included), as paths relative
    /// to the current directory or as given; empty when the run failed.
    pub files: Vec<String>,
    pub warnings: Vec<Value>,
    pub errors: Vec<Value>,
    pub summary: GenerateSummary,
}

/// Totals of a `generate` run.
#[derive(Serialize)]
pub struct GenerateSummary {
    /// Workloads rendered (0 when the run failed before rendering).
    pub workloads: usize,
    pub files: usize,
    pub warnings: usize,
    pub errors: usize,
    pub exit_code: u8,
}

impl GenerateReport {
    pub fn new(
        target: &'static str,
        workloads: usize,
        files: Vec<String>,
        diagnostics: &[Diagnostic],
        exit_code: u8,
    ) -> Self {
        let of = |s: Severity| -> Vec<Value> {
            diagnostics
                .iter()
                .filter(|d| d.severity == s)
                .map(Diagnostic::to_json)
                .collect()
        };
        let (warnings, errors) = (of(Severity::Warning), of(Severity::Error));
        GenerateReport {
            version: VERSION,
            command: "generate",
            target,
            ok: exit_code == 0,
            summary: GenerateSummary {
                workloads,
                files: files.len(),
                warnings: warnings.len(),
                errors: errors.len(),
                exit_code,
            },
            files,
            warnings,
            errors,
        }
    }
}
