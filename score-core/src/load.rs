//! The front-end pipeline: text → spanned tree → upgraded → schema-valid → [`Workload`] → checked.

use std::path::{Path, PathBuf};

use crate::check::{self, io_reason, Checked};
use crate::diagnostic::{Diagnostic, DiagnosticsExt};
use crate::ir::Workload;
use crate::source::{SourceFile, Span};
use crate::yaml::{self, Node};
use crate::{schema, upgrade};

/// A workload that passed every check, with what it came from.
#[derive(Debug, Clone)]
pub struct LoadedWorkload {
    /// The Score file.
    pub source: SourceFile,
    /// The upgraded tree (spans point into `source`).
    pub tree: Node,
    /// The typed workload.
    pub workload: Workload,
    /// Directory that relative file `source`s resolve against.
    pub base_dir: PathBuf,
    /// Warnings found on the way (deprecated forms, …).
    pub warnings: Vec<Diagnostic>,
}

/// A hook that edits the tree before validation (overrides); returns its own diagnostics.
pub type TreeEdit<'a> = &'a mut dyn FnMut(&mut Node, &SourceFile) -> Vec<Diagnostic>;

/// Read and load a Score file. `-` reads standard input.
///
/// On failure, every diagnostic found (errors and warnings) is returned.
pub fn load_path(path: &Path) -> Result<LoadedWorkload, Vec<Diagnostic>> {
    let src = read_source(path).map_err(|d| vec![*d])?;
    let base = base_dir_of(path);
    load_source(src, &base, None)
}

/// The directory file `source`s of the Score file at `path` are relative to.
pub fn base_dir_of(path: &Path) -> PathBuf {
    if path == Path::new("-") {
        return PathBuf::from(".");
    }
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// Read a file (or stdin for `-`) as UTF-8 text.
pub fn read_source(path: &Path) -> Result<SourceFile, Box<Diagnostic>> {
    read_source_within(path, crate::yaml::MAX_FILE_BYTES).map_err(|e| {
        e.unwrap_or_else(|| {
            let empty = SourceFile::new(display_name(path), String::new());
            Box::new(crate::yaml::too_large(&empty))
        })
    })
}

/// [`read_source`] with a size cap of `cap` bytes; `Err(None)` when the file is larger.
pub(crate) fn read_source_within(
    path: &Path,
    cap: usize,
) -> Result<SourceFile, Option<Box<Diagnostic>>> {
    let name = display_name(path);
    use std::io::Read;
    // Read one byte past the limit, never more: `/dev/zero` or an endless pipe must not
    // exhaust memory before the size is rejected.
    let limit = cap as u64 + 1;
    let mut buf = Vec::new();
    let bytes = if path == Path::new("-") {
        std::io::stdin()
            .lock()
            .take(limit)
            .read_to_end(&mut buf)
            .map(|_| buf)
    } else {
        std::fs::File::open(path)
            .and_then(|f| {
                // `take` hides the file's size from `read_to_end`: reserve it here, or the
                // buffer grows by doubling with a read per step.
                let size = f.metadata().map_or(0, |m| m.len()).min(limit);
                buf.reserve_exact(size as usize + 1);
                f.take(limit).read_to_end(&mut buf)
            })
            .map(|_| buf)
    }
    .map_err(|e| {
        Some(Box::new(
            Diagnostic::error(
                "score::io::read",
                format!("cannot read `{name}`: {}", io_reason(&e)),
            )
            .with_help("check the path; `score-rs validate` defaults to ./score.yaml"),
        ))
    })?;
    if bytes.len() > cap {
        return Err(None);
    }
    source_from_bytes_unchecked(name, bytes).map_err(Some)
}

/// How a path is shown in diagnostics: `-` is standard input.
pub fn display_name(path: &Path) -> String {
    if path == Path::new("-") {
        STDIN_NAME.to_string()
    } else {
        path.display().to_string()
    }
}

/// The name standard input goes by in diagnostics.
pub const STDIN_NAME: &str = "<stdin>";

/// Wrap bytes as a [`SourceFile`], rejecting invalid UTF-8 with its location.
pub fn source_from_bytes(name: String, bytes: Vec<u8>) -> Result<SourceFile, Box<Diagnostic>> {
    if bytes.len() > crate::yaml::MAX_FILE_BYTES {
        // Rejected before the UTF-8 check reads every byte of it.
        let empty = SourceFile::new(name, String::new());
        return Err(Box::new(crate::yaml::too_large(&empty)));
    }
    source_from_bytes_unchecked(name, bytes)
}

/// [`source_from_bytes`] without the size check.
fn source_from_bytes_unchecked(
    name: String,
    bytes: Vec<u8>,
) -> Result<SourceFile, Box<Diagnostic>> {
    match String::from_utf8(bytes) {
        Ok(text) => Ok(SourceFile::new(name, text)),
        Err(e) => {
            let at = e.utf8_error().valid_up_to();
            let lossy = String::from_utf8_lossy(e.as_bytes()).into_owned();
            // Offsets before the first bad byte are the same in the lossy copy.
            let src = SourceFile::new(name, lossy);
            let end = src.text()[at..]
                .chars()
                .next()
                .map_or(at, |c| at + c.len_utf8());
            Err(Box::new(
                Diagnostic::error("score::parse::utf8", "the file is not valid UTF-8")
                    .with_label(&src, Span::new(at, end), "invalid byte sequence")
                    .with_help("save the file as UTF-8; put binary data in a file's `binaryContent` as base64"),
            ))
        }
    }
}

/// Load from text already read. `edit` (overrides) runs on the tree before the upgrade.
pub fn load_source(
    src: SourceFile,
    base_dir: &Path,
    edit: Option<TreeEdit<'_>>,
) -> Result<LoadedWorkload, Vec<Diagnostic>> {
    // Most Score files are plain block YAML: parse them on the fast path and keep the result
    // when there is nothing to report. Diagnostics always come from the full parser's tree,
    // whose spans they quote (see `yaml::fast`).
    if edit.is_none() {
        if let Some(tree) = yaml::fast::parse(src.text()) {
            if let Ok(loaded) = load_tree(tree, src.clone(), base_dir, None) {
                if loaded.warnings.is_empty() {
                    return Ok(loaded);
                }
            }
        }
    }
    let tree = yaml::parse_source(&src).map_err(|d| vec![*d])?;
    load_tree(tree, src, base_dir, edit)
}

/// [`load_source`] from the parsed tree on.
fn load_tree(
    mut tree: Node,
    src: SourceFile,
    base_dir: &Path,
    edit: Option<TreeEdit<'_>>,
) -> Result<LoadedWorkload, Vec<Diagnostic>> {
    let mut diags = Vec::new();
    if let Some(edit) = edit {
        diags.extend(edit(&mut tree, &src));
        // Edits may nest deeper than the parser allows; the limit holds for what is stored
        // in the state too, so that the state stays readable.
        if tree.depth() > yaml::MAX_DEPTH {
            diags.push(
                Diagnostic::error(
                    "score::parse::too_deep",
                    format!(
                        "after overrides, nesting is deeper than {} levels",
                        yaml::MAX_DEPTH
                    ),
                )
                .with_source(&src)
                .with_help("shorten the `--override-property` path or the value it sets"),
            );
        }
    }
    diags.extend(upgrade::upgrade(&mut tree, &src));
    if diags.has_errors() {
        return Err(diags);
    }
    let instance = tree.to_json();
    diags.extend(schema::validate_instance(&tree, &src, &instance));
    if diags.has_errors() {
        return Err(diags);
    }
    let workload: Workload = match serde_json::from_value(instance) {
        Ok(w) => w,
        Err(e) => {
            diags.push(
                Diagnostic::error("score::ir", format!("cannot build the workload: {e}"))
                    .with_source(&src),
            );
            return Err(diags);
        }
    };
    diags.extend(check::check(&Checked {
        workload: &workload,
        tree: &tree,
        src: &src,
        base_dir: Some(base_dir),
    }));
    if diags.has_errors() {
        return Err(diags);
    }
    Ok(LoadedWorkload {
        source: src,
        tree,
        workload,
        base_dir: base_dir.to_path_buf(),
        warnings: diags,
    })
}
