//! `score-rs init`: create the state directory, default provisioners and a sample Score file.

use std::path::{Path, PathBuf};

use score_core::project::PATCH_TEMPLATE_SUFFIX;
use score_core::provision::{parse_provisioner_file, PROVISIONER_FILE_SUFFIX};
use score_core::state::{write_atomic, State, StateDir, StateLock};
use score_core::Diagnostic;

use crate::backends;
use crate::cli::InitArgs;

const SAMPLE: &str = "\
apiVersion: score.dev/v1b1
metadata:
  name: hello-world
containers:
  hello:
    image: busybox:1.37
    command: [\"/bin/sh\"]
    args: [\"-c\", \"while true; do echo Hello $${NAME}!; sleep 5; done\"]
    variables:
      NAME: ${metadata.name}
";

pub fn run(dir: &StateDir, args: &InitArgs) -> Result<(), Vec<Diagnostic>> {
    std::fs::create_dir_all(dir.path()).map_err(|e| io(dir.path(), e))?;
    let _lock = StateLock::acquire(dir).map_err(|d| vec![*d])?;
    let mut state = if dir.exists() {
        dir.load().map_err(|d| vec![*d])?
    } else {
        State::default()
    };
    if let Some(p) = &args.project {
        state.project.name = Some(p.clone());
    }
    for (target, text) in backends::default_provisioners() {
        let name = format!("zz-default-{target}{PROVISIONER_FILE_SUFFIX}");
        write_atomic(&dir.path().join(&name), text.as_bytes()).map_err(|d| vec![*d])?;
    }
    for file in &args.provisioners {
        install(dir, file, PROVISIONER_FILE_SUFFIX, true)?;
    }
    for file in &args.patch_templates {
        install(dir, file, PATCH_TEMPLATE_SUFFIX, false)?;
    }
    dir.save(&state).map_err(|d| vec![*d])?;
    let sample = Path::new("score.yaml");
    if !args.no_sample && !sample.exists() {
        write_atomic(sample, SAMPLE.as_bytes()).map_err(|d| vec![*d])?;
        eprintln!("wrote a sample score.yaml");
    }
    eprintln!("initialised {}", dir.path().display());
    Ok(())
}

/// Copy `file` into the state dir. Provisioner files get a descending prefix so that the newest
/// install sorts (and so matches) first; patch templates an ascending one (applied in order).
fn install(
    dir: &StateDir,
    file: &Path,
    suffix: &str,
    newest_first: bool,
) -> Result<(), Vec<Diagnostic>> {
    let src = score_core::load::read_source(file).map_err(|d| vec![*d])?;
    if newest_first {
        parse_provisioner_file(&src)?; // refuse a broken file now rather than at generate time
    }
    let stem = stem_of(file, suffix);
    let existing = installed(dir.path(), suffix);
    // Re-installing a file replaces its previous copy.
    for (_, name, path) in existing.iter().filter(|(_, n, _)| *n == stem) {
        let _ = std::fs::remove_file(path);
        let _ = name;
    }
    let numbers = existing.iter().map(|(n, _, _)| *n);
    let n = if newest_first {
        numbers.min().map_or(9000, |m| m.saturating_sub(1))
    } else {
        numbers.max().map_or(1000, |m| m + 1)
    };
    let target = dir.path().join(format!("{n:04}-{stem}{suffix}"));
    write_atomic(&target, src.text().as_bytes()).map_err(|d| vec![*d])?;
    eprintln!("installed {} as {}", file.display(), target.display());
    Ok(())
}

fn stem_of(file: &Path, suffix: &str) -> String {
    let name = if file == Path::new("-") {
        "stdin".to_string()
    } else {
        file.file_name()
            .map_or("file".into(), |n| n.to_string_lossy().into_owned())
    };
    let name = name
        .strip_suffix(suffix)
        .or_else(|| name.strip_suffix(".yaml"))
        .or_else(|| name.strip_suffix(".tpl"))
        .unwrap_or(&name)
        .to_string();
    score_core::provision::functions::slug(&name)
}

/// Installed files: (number, stem, path).
fn installed(dir: &Path, suffix: &str) -> Vec<(u32, String, PathBuf)> {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    rd.filter_map(Result::ok)
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let rest = name.strip_suffix(suffix)?;
            let (num, stem) = rest.split_once('-')?;
            Some((num.parse().ok()?, stem.to_string(), e.path()))
        })
        .collect()
}

fn io(path: &Path, e: std::io::Error) -> Vec<Diagnostic> {
    vec![Diagnostic::error(
        "score::io::write",
        format!("cannot create `{}`: {e}", path.display()),
    )]
}
