//! `score-rs generate`: build the target's backend from the options, run the library's
//! pipeline ([`score_core::generate`]), print, then write (or, with `--check`, compare).

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use score_core::generate::{Difference, Generate};
use score_core::output::OutputFile;
use score_core::project::{Overrides, Project};
use score_core::state::StateDir;
use score_core::store::DirStore;
use score_core::Diagnostic;

use crate::cli::{Format, GenerateArgs};
use crate::report::Reporter;
use crate::targets;

/// Returns how many workloads were rendered and the files written.
pub fn run(
    dir: &StateDir,
    args: &GenerateArgs,
    reporter: &mut Reporter,
) -> Result<(usize, Vec<PathBuf>), Vec<Diagnostic>> {
    let mut store = DirStore::open(dir).map_err(|d| vec![*d])?;
    if args.check {
        store = store.read_only();
    }
    let project = Project::with_store(store)?;
    let root = project.root().to_path_buf();
    let backend = targets::backend(args, &project.state, dir);
    let overrides = Overrides {
        file: args.overrides_file.clone(),
        properties: args.override_property.clone(),
        image: args.image.clone(),
    };
    let mut pipeline = Generate::new()
        .overrides(overrides)
        .prepare_writes(!args.check);
    for path in &args.files {
        pipeline = pipeline.score_path(path);
    }
    let mut generated = pipeline.run_in(&*backend, project)?;
    reporter.diagnostics(&generated.warnings);
    for line in &generated.output.info {
        eprintln!("{line}");
    }
    reporter.diagnostics(&generated.output.warnings);
    reporter.summary();
    let workloads = generated.workloads;
    if args.check {
        let files = generated.output.paths();
        let differences = generated.check();
        return check(&differences, args.format).map(|()| (workloads, files));
    }
    let to_stdout = args.output.as_deref() == Some(Path::new("-"));
    // A path the user named is theirs; a default one must not lead out of the project
    // through a symbolic link (a `score-terraform` link to elsewhere, say).
    if args.output.is_none() && !targets::default_output_inside(args.target, &root) {
        let default = targets::default_output(args.target);
        return Err(vec![Diagnostic::error(
            "score::output::outside",
            format!("`{default}` leads outside the project directory through a symbolic link"),
        )
        .with_help("remove the link, or name the output with `-o`")]);
    }
    let mut files = generated.output.paths();
    let (stdout, message) = if to_stdout {
        let main = std::mem::take(&mut generated.output.files);
        // Nothing replaces the files on disk, so nothing of them is stale.
        generated.output.stale.clear();
        let main_paths = main.len();
        files.splice(..main_paths, main.iter().map(|_| PathBuf::from("-")));
        (Some(printed(&main)), None)
    } else {
        for f in &mut generated.output.files {
            f.named = args.output.is_some();
        }
        (None, Some(wrote(&generated.output.files)))
    };
    // The state first, then the outputs (see `score_core::output`).
    generated.write()?;
    if let Some(text) = stdout {
        let _ = std::io::stdout().lock().write_all(text.as_bytes());
    }
    if let Some(line) = message {
        eprintln!("{line}");
    }
    Ok((workloads, files))
}

/// What `-o -` prints: the one file, or each file under a `# ---- <name>` line.
fn printed(files: &[OutputFile]) -> String {
    match files {
        [one] => String::from_utf8_lossy(&one.bytes).into_owned(),
        many => {
            let mut out = String::new();
            for f in many {
                let name = f.path.file_name().unwrap_or_default().to_string_lossy();
                let _ = writeln!(out, "# ---- {name}\n{}", String::from_utf8_lossy(&f.bytes));
            }
            out
        }
    }
}

/// `wrote compose.yaml`, or `wrote 4 files to score-terraform`.
fn wrote(files: &[OutputFile]) -> String {
    match files {
        [one] => format!("wrote {}", one.path.display()),
        many => {
            let dir = many
                .first()
                .and_then(|f| f.path.parent())
                .unwrap_or(Path::new("."));
            format!("wrote {} files to {}", many.len(), dir.display())
        }
    }
}

/// `--check`: print a unified diff per differing file (on stdout, unless the JSON report is
/// there) and fail when there is any.
fn check(differences: &[Difference], format: Format) -> Result<(), Vec<Diagnostic>> {
    if differences.is_empty() {
        eprintln!("generated files are up to date");
        return Ok(());
    }
    if format != Format::Json {
        let mut out = std::io::stdout().lock();
        for d in differences {
            let _ = out.write_all(unified_diff(d).as_bytes());
        }
    }
    let names: Vec<String> = differences
        .iter()
        .map(|d| format!("`{}`", d.path.display()))
        .collect();
    Err(vec![Diagnostic::error(
        "score::check::differs",
        format!(
            "{} generated file{} differ{} from disk: {}",
            names.len(),
            if names.len() == 1 { "" } else { "s" },
            if names.len() == 1 { "s" } else { "" },
            names.join(", ")
        ),
    )
    .with_help(
        "run `score-rs generate` without `--check` and commit the result",
    )])
}

/// The unified diff from the file on disk to the generated one (`/dev/null` when missing, or
/// when `generate` would remove the file); for a file of secret values, only that it differs.
fn unified_diff(d: &Difference) -> String {
    let path = d.path.display().to_string();
    if d.hidden {
        let how = if d.on_disk.is_some() {
            "differs"
        } else {
            "is missing"
        };
        return format!("{path} {how} (not shown: it holds secret values)\n");
    }
    let old = d
        .on_disk
        .as_deref()
        .map(String::from_utf8_lossy)
        .unwrap_or_default();
    let new = String::from_utf8_lossy(&d.expected);
    let from = if d.on_disk.is_some() {
        format!("a/{path}")
    } else {
        "/dev/null".to_string()
    };
    let to = if d.stale {
        "/dev/null".to_string()
    } else {
        format!("b/{path}")
    };
    let diff = similar::TextDiff::from_lines(old.as_ref(), new.as_ref());
    let mut text = diff
        .unified_diff()
        .context_radius(3)
        .header(&from, &to)
        .to_string();
    if !text.ends_with('\n') {
        text.push('\n');
    }
    text
}
