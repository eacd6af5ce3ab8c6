//! `score-rs validate`.
//!
//! Besides the schema and the semantic checks of the loader, every `${resources.NAME.KEY}` is
//! checked against the outputs of the provisioner that will serve the resource
//! ([`score_core::output_check`]): the project's installed provisioners when the state
//! directory exists, the built-in defaults otherwise; for every target, or for `--target`.

use std::path::PathBuf;

use score_core::load::{display_name, load_path};
use score_core::output_check::{check_outputs, Catalogue};
use score_core::provision::{load_provisioner_files_for, parse_provisioner_file, Provisioner};
use score_core::state::StateDir;
use score_core::{Diagnostic, DiagnosticsExt, SourceFile};

use super::{usage, OK};
use crate::cli::{Format, TargetName};
use crate::document::{FileReport, ValidateReport};
use crate::report::{print_document, Reporter};
use crate::targets;

/// Validate every file (a failure does not stop the others); with `--format json` print one
/// document for all of them. Exit code: [`super::USAGE`] if a file is missing, else
/// [`super::FAILED`] if any is invalid.
pub fn run(
    files: &[PathBuf],
    target: Option<TargetName>,
    state_dir: &StateDir,
    format: Format,
    reporter: &mut Reporter,
) -> u8 {
    let mut code = OK;
    let mut entries = Vec::new();
    // Read only when some workload has a resource: most runs never need them.
    let mut provisioners: Option<Result<Vec<Provisioners>, Vec<Diagnostic>>> = None;
    for path in files {
        let (diags, workload) = match usage::missing(path) {
            Some(missing) => (vec![missing], None),
            None => match load_path(path) {
                Ok(loaded) => {
                    let mut diags = loaded.warnings.clone();
                    let (workload, _, origin) = loaded.into_parts();
                    if !workload.resources.is_empty() {
                        match provisioners.get_or_insert_with(|| catalogues(state_dir, target)) {
                            Ok(sets) => {
                                let catalogues: Vec<Catalogue<'_>> =
                                    sets.iter().map(Provisioners::catalogue).collect();
                                diags.extend(check_outputs(&workload, Some(&origin), &catalogues));
                            }
                            Err(e) => diags.extend(e.iter().cloned()),
                        }
                    }
                    diags.sort_by_key(|d| d.labels.first().map(|l| l.span.start));
                    let valid = !diags.has_errors();
                    (diags, valid.then_some(workload))
                }
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

/// One target's provisioners.
struct Provisioners {
    target: &'static str,
    artifact_keys: Vec<String>,
    list: Vec<Provisioner>,
}

impl Provisioners {
    fn catalogue(&self) -> Catalogue<'_> {
        Catalogue {
            target: self.target,
            artifact_keys: &self.artifact_keys,
            provisioners: &self.list,
        }
    }
}

/// The provisioners `generate` would use for each target asked for: the project's when the
/// state directory exists, else the built-in defaults.
fn catalogues(
    state_dir: &StateDir,
    only: Option<TargetName>,
) -> Result<Vec<Provisioners>, Vec<Diagnostic>> {
    let mut out = Vec::new();
    for (target, defaults) in targets::default_provisioners() {
        if only.is_some_and(|t| t.as_str() != target) {
            continue;
        }
        let list = if state_dir.exists() {
            load_provisioner_files_for(state_dir.path(), target)?
        } else {
            let name = format!("zz-default-{target}.provisioners.yaml");
            parse_provisioner_file(&SourceFile::new(name, defaults))?
        };
        out.push(Provisioners {
            target,
            artifact_keys: targets::artifact_keys(target),
            list,
        });
    }
    Ok(out)
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}
