//! `score-rs generate`: load Score files, provision resources, lower to the target, write.

use std::io::Write;
use std::path::{Path, PathBuf};

use score_core::project::{load_with_overrides, Overrides, Project};
use score_core::state::{write_atomic, write_atomic_with_mode, StateDir};
use score_core::{Diagnostic, DiagnosticsExt};

use crate::backends::{self, Written};
use crate::cli::GenerateArgs;
use crate::report::Reporter;

/// Returns how many workloads were rendered and the files written.
pub fn run(
    dir: &StateDir,
    args: &GenerateArgs,
    reporter: &mut Reporter,
) -> Result<(usize, Vec<PathBuf>), Vec<Diagnostic>> {
    let mut project = Project::open(dir).map_err(|d| vec![*d])?;
    let overrides = Overrides {
        file: args.overrides_file.clone(),
        properties: args.override_property.clone(),
        image: args.image.clone(),
    };
    if !overrides.is_empty() && args.files.len() != 1 {
        return Err(vec![Diagnostic::error(
            "score::usage::overrides",
            "--overrides-file, --override-property and --image need exactly one Score file",
        )
        .with_help("run generate once per Score file that needs overrides")]);
    }
    let mut errors = Vec::new();
    for path in &args.files {
        match load_with_overrides(path, &overrides) {
            Ok(loaded) => {
                reporter.diagnostics(&loaded.warnings);
                project.add_loaded(loaded);
            }
            Err(diags) => errors.extend(diags),
        }
    }
    if errors.has_errors() {
        return Err(errors);
    }
    let inputs = project.take_workload_inputs()?;
    if inputs.is_empty() {
        return Err(vec![Diagnostic::error(
            "score::usage::no_workloads",
            "there are no workloads to generate",
        )
        .with_help("pass Score files: `score-rs generate score.yaml`")]);
    }
    let workloads = inputs.len();
    let mut out = backends::generate(&mut project, inputs, args)?;
    reporter.diagnostics(&out.warnings);
    reporter.summary();
    if let Some(pending) = out.written.pending.take() {
        pending()?;
    }
    write_output(&out.written, args.output.as_deref())?;
    project.save().map_err(|d| vec![*d])?;
    let files = out.written.paths(args.output.as_deref());
    // The process ends next: freeing every workload and resource one by one would only cost
    // time (the lock inside `project` is still released on drop).
    std::mem::forget(std::mem::take(&mut project.state));
    std::mem::forget(out);
    Ok((workloads, files))
}

fn write_output(written: &Written, output: Option<&Path>) -> Result<(), Vec<Diagnostic>> {
    let to_stdout = output == Some(Path::new("-"));
    for f in &written.side_files {
        write_file(&f.path, &f.bytes, f.mode)?;
    }
    match &written.main {
        backends::Main::File { default, text } => {
            if to_stdout {
                let _ = std::io::stdout().lock().write_all(text.as_bytes());
                return Ok(());
            }
            let path = output.map_or_else(|| PathBuf::from(default), Path::to_path_buf);
            write_atomic(&path, text.as_bytes()).map_err(|d| vec![*d])?;
            eprintln!("wrote {}", path.display());
        }
        backends::Main::Dir { default, files } => {
            if to_stdout {
                let mut out = std::io::stdout().lock();
                for (name, text) in files {
                    let _ = writeln!(out, "# ---- {name}\n{text}");
                }
                return Ok(());
            }
            let dir = output.map_or_else(|| PathBuf::from(default), Path::to_path_buf);
            for (name, text) in files {
                write_atomic(&dir.join(name), text.as_bytes()).map_err(|d| vec![*d])?;
            }
            eprintln!("wrote {} files to {}", files.len(), dir.display());
        }
    }
    Ok(())
}

fn write_file(path: &Path, bytes: &[u8], mode: Option<u32>) -> Result<(), Vec<Diagnostic>> {
    match mode {
        Some(mode) => write_atomic_with_mode(path, bytes, mode),
        None => write_atomic(path, bytes),
    }
    .map_err(|d| vec![*d])
}
