//! `score-rs generate`: load Score files, provision resources, lower to the target, write.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use score_core::output::{OutputFile, Outputs};
use score_core::project::{load_with_overrides, Overrides, Project};
use score_core::state::StateDir;
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
    // Two Score files of one run that name the same workload: the later one would silently
    // replace the earlier.
    let mut origin: HashMap<String, String> = HashMap::new();
    for path in &args.files {
        match load_with_overrides(path, &overrides) {
            Ok(loaded) => {
                let name = loaded.workload.name().to_string();
                let file = loaded.source.name().to_string();
                if let Some(first) = origin.insert(name.clone(), file.clone()) {
                    errors.push(
                        Diagnostic::error(
                            "score::cli::duplicate_workload",
                            format!("`{first}` and `{file}` both define the workload `{name}`"),
                        )
                        .with_help("give each workload its own `metadata.name`"),
                    );
                    continue;
                }
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
    let out = backends::generate(&mut project, inputs, args)?;
    reporter.diagnostics(&out.warnings);
    reporter.summary();
    let files = out.written.paths(args.output.as_deref());
    let plan = plan_output(out.written, args.output.as_deref(), project.root())?;
    // The state first, then the outputs (see `score_core::output`).
    project.commit(plan.outputs)?;
    if let Some(text) = plan.stdout {
        let _ = std::io::stdout().lock().write_all(text.as_bytes());
    }
    if let Some(line) = plan.message {
        eprintln!("{line}");
    }
    // The process ends next: freeing every workload and resource one by one would only cost
    // time (the lock inside `project` is still released on drop).
    std::mem::forget(std::mem::take(&mut project.state));
    Ok((workloads, files))
}

/// What to write, print and say once the state is saved.
struct Plan {
    outputs: Outputs,
    stdout: Option<String>,
    message: Option<String>,
}

fn plan_output(
    written: Written,
    output: Option<&Path>,
    root: &Path,
) -> Result<Plan, Vec<Diagnostic>> {
    let to_stdout = output == Some(Path::new("-"));
    let mut files: Vec<OutputFile> = written
        .side_files
        .into_iter()
        .map(|f| OutputFile {
            path: f.path,
            bytes: f.bytes,
            mode: f.mode,
            named: true,
        })
        .collect();
    let deferred = written.deferred.into_iter().collect();
    // A path the user named is theirs; a default one must not lead out of the project
    // through a symbolic link (a `score-terraform` link to elsewhere, say).
    let chosen = |default: &str| match output {
        Some(p) => Ok(p.to_path_buf()),
        None if score_core::boundary::is_inside(root, Path::new(default)) => {
            Ok(PathBuf::from(default))
        }
        None => Err(vec![Diagnostic::error(
            "score::output::outside",
            format!("`{default}` leads outside the project directory through a symbolic link"),
        )
        .with_help("remove the link, or name the output with `-o`")]),
    };
    let (stdout, message) = match written.main {
        backends::Main::File {
            default,
            text,
            mode,
        } => {
            if to_stdout {
                (Some(text), None)
            } else {
                let path = chosen(default)?;
                let message = format!("wrote {}", path.display());
                files.push(OutputFile {
                    path,
                    bytes: text.into_bytes(),
                    mode,
                    named: output.is_some(),
                });
                (None, Some(message))
            }
        }
        backends::Main::Dir {
            default,
            files: texts,
            mode,
        } => {
            if to_stdout {
                let mut out = String::new();
                for (name, text) in &texts {
                    let _ = writeln!(out, "# ---- {name}\n{text}");
                }
                (Some(out), None)
            } else {
                let dir = chosen(default)?;
                let message = format!("wrote {} files to {}", texts.len(), dir.display());
                for (name, text) in texts {
                    files.push(OutputFile {
                        path: dir.join(name),
                        bytes: text.into_bytes(),
                        mode,
                        named: output.is_some(),
                    });
                }
                (None, Some(message))
            }
        }
    };
    Ok(Plan {
        outputs: Outputs { files, deferred },
        stdout,
        message,
    })
}
