//! `score-rs init`: create the state directory, default provisioners and a sample Score file.
//!
//! `--provisioners` takes files, directories (their `*.provisioners.yaml`, in name order) and
//! `http(s)://` URLs, as score-compose and score-k8s do. Everything to install is read, fetched
//! and parsed before anything is written, so a failed download changes nothing.

use std::path::{Path, PathBuf};
use std::time::Duration;

use score_core::project::PATCH_TEMPLATE_SUFFIX;
use score_core::provision::{parse_provisioner_file, PROVISIONER_FILE_SUFFIX};
use score_core::state::{write_atomic, State, StateDir, StateLock};
use score_core::{Diagnostic, SourceFile};

use crate::cli::InitArgs;
use crate::targets;

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

/// Longest provisioner file a download may be (the limit of every file we read).
const MAX_DOWNLOAD: u64 = score_core::yaml::MAX_FILE_BYTES as u64;
/// How long a download may take, in all.
const DOWNLOAD_TIMEOUT: Duration = Duration::from_secs(60);

/// A file to install: the name it is installed under (without suffix) and its text.
struct Install {
    stem: String,
    src: SourceFile,
}

pub fn run(dir: &StateDir, args: &InitArgs) -> Result<(), Vec<Diagnostic>> {
    // Read, fetch and check everything first: a missing file, a failed download or a broken
    // provisioner file must leave the project as it was.
    let provisioners = gather(&args.provisioners, PROVISIONER_FILE_SUFFIX, true)?;
    let patches = gather(&args.patch_templates, PATCH_TEMPLATE_SUFFIX, false)?;
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
    for (target, text) in targets::default_provisioners() {
        let name = format!("zz-default-{target}{PROVISIONER_FILE_SUFFIX}");
        write_atomic(&dir.path().join(&name), text.as_bytes()).map_err(|d| vec![*d])?;
    }
    for file in provisioners {
        install(dir, file, PROVISIONER_FILE_SUFFIX, true)?;
    }
    for file in patches {
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

/// The files named by `args`: files as they are, directories by their files ending in
/// `suffix` (sorted), URLs downloaded. Provisioner files (`check`) must parse.
fn gather(args: &[PathBuf], suffix: &str, check: bool) -> Result<Vec<Install>, Vec<Diagnostic>> {
    let mut out = Vec::new();
    let mut errors = Vec::new();
    for arg in args {
        let text = arg.to_string_lossy();
        let found = if super::usage::is_url(arg) {
            download(&text).map(|src| {
                vec![Install {
                    stem: stem_of_url(&text, suffix),
                    src,
                }]
            })
        } else if arg.is_dir() {
            in_directory(arg, suffix)
        } else {
            score_core::load::read_source(arg).map(|src| {
                vec![Install {
                    stem: stem_of(arg, suffix),
                    src,
                }]
            })
        };
        match found {
            Ok(files) => out.extend(files),
            Err(d) => errors.push(*d),
        }
    }
    if check {
        for f in &out {
            // Refuse a broken file now rather than at generate time.
            if let Err(mut e) = parse_provisioner_file(&f.src) {
                errors.append(&mut e);
            }
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

fn in_directory(dir: &Path, suffix: &str) -> Result<Vec<Install>, Box<Diagnostic>> {
    let entries = std::fs::read_dir(dir).map_err(|e| {
        Box::new(Diagnostic::error(
            "score::io::read",
            format!("cannot list `{}`: {e}", dir.display()),
        ))
    })?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            p.is_file()
                && p.file_name()
                    .is_some_and(|n| n.to_string_lossy().ends_with(suffix))
        })
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(Box::new(
            Diagnostic::error(
                "score::io::read",
                format!("`{}` holds no `*{suffix}` file", dir.display()),
            )
            .with_help(format!(
                "name the files `<name>{suffix}`, or pass them one by one"
            )),
        ));
    }
    files
        .iter()
        .map(|f| {
            score_core::load::read_source(f).map(|src| Install {
                stem: stem_of(f, suffix),
                src,
            })
        })
        .collect()
}

/// GET `url` (at most [`MAX_DOWNLOAD`] bytes, within [`DOWNLOAD_TIMEOUT`]).
fn download(url: &str) -> Result<SourceFile, Box<Diagnostic>> {
    let fail = |why: String| {
        Box::new(
            Diagnostic::error(
                "score::io::download",
                format!("cannot download `{url}`: {why}"),
            )
            .with_help("check the URL, or download the file and pass its path"),
        )
    };
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(DOWNLOAD_TIMEOUT))
        .build()
        .into();
    let mut response = agent.get(url).call().map_err(|e| fail(e.to_string()))?;
    let text = response
        .body_mut()
        .with_config()
        .limit(MAX_DOWNLOAD)
        .read_to_string()
        .map_err(|e| fail(e.to_string()))?;
    Ok(SourceFile::new(url, text))
}

/// The installed name of a downloaded file: its last path segment, as for a file.
fn stem_of_url(url: &str, suffix: &str) -> String {
    let path = url.split(['?', '#']).next().unwrap_or(url);
    let last = path
        .trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or("download");
    stem_of(Path::new(last), suffix)
}

/// Copy `file` into the state dir. Provisioner files get a descending prefix so that the newest
/// install sorts (and so matches) first; patch templates an ascending one (applied in order).
fn install(
    dir: &StateDir,
    file: Install,
    suffix: &str,
    newest_first: bool,
) -> Result<(), Vec<Diagnostic>> {
    let Install { stem, src } = file;
    let existing = installed(dir.path(), suffix);
    // Re-installing a file replaces its previous copy.
    for (_, _, path) in existing.iter().filter(|(_, n, _)| *n == stem) {
        let _ = std::fs::remove_file(path);
    }
    let numbers = existing.iter().map(|(n, _, _)| *n);
    let n = if newest_first {
        numbers.min().map_or(9000, |m| m.saturating_sub(1))
    } else {
        numbers.max().map_or(1000, |m| m + 1)
    };
    let target = dir.path().join(format!("{n:04}-{stem}{suffix}"));
    write_atomic(&target, src.text().as_bytes()).map_err(|d| vec![*d])?;
    eprintln!("installed {} as {}", src.name(), target.display());
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
