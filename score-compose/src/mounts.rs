//! The mounts directory: the files compose bind-mounts (container `files`, secret env files,
//! files that provisioners write), kept in step with the project from run to run.
//!
//! A run writes only the files whose content or mode changed and removes those no workload
//! produces any more. [`sync_files`] records which files it left in a manifest
//! ([`MANIFEST`], one path per line), so that a re-run finds the stale ones by comparing two
//! lists instead of searching the tree: for a few hundred workloads that search made more
//! system calls than the rest of the run together. The manifest is removed before anything
//! changes and written again once the tree is in step, so a run cut short leaves none and the
//! next one searches the tree again.

use std::collections::HashSet;
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use score_core::boundary::Tree;
use score_core::provision::WorkloadInput;
use score_core::Diagnostic;

use crate::{files, paths};

/// The manifest's name, in the mounts directory.
pub const MANIFEST: &str = ".score-rs-files";

/// The manifest's first line.
const MANIFEST_HEADER: &str =
    "# files score-rs keeps here, one per line; without this list the next run searches for stale ones\n";

/// A file to write under [`Options::mounts_dir`](crate::Options::mounts_dir).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratedFile {
    /// Path relative to the mounts directory (`files/web.main.etc_app.conf`).
    pub path: PathBuf,
    /// The content.
    pub bytes: Vec<u8>,
    /// Permission bits to set (`0o644`), when the Score file or provisioner asked for some.
    pub mode: Option<u32>,
}

impl GeneratedFile {
    /// Whether `path` already holds exactly these bytes with this mode.
    fn is_current(&self, path: &Path) -> bool {
        use std::io::Read as _;
        // One open: a missing file (every file of a first run) costs a single failed syscall,
        // and a size or mode change is seen without reading. Anything but a regular file (a
        // FIFO planted there must not hang the run) is not current.
        let Ok(mut file) = score_core::boundary::open_regular(path) else {
            return false;
        };
        let Ok(meta) = file.metadata() else {
            return false;
        };
        #[cfg(unix)]
        let same_mode = {
            use std::os::unix::fs::PermissionsExt;
            meta.permissions().mode() & 0o7777 == self.mode.unwrap_or(0o644)
        };
        #[cfg(not(unix))]
        let same_mode = true;
        if !same_mode || meta.len() != self.bytes.len() as u64 {
            return false;
        }
        let mut current = Vec::with_capacity(self.bytes.len());
        file.read_to_end(&mut current).is_ok() && current == self.bytes
    }

    /// Write the file under `mounts_dir` (see [`score_core::state::write_generated`]): created
    /// in place when new, replaced atomically when present, parent directories created, private
    /// until [`GeneratedFile::mode`] (default 0644) is applied.
    ///
    /// # Errors
    /// A `score::io::write` diagnostic naming the path.
    pub fn write_to(&self, mounts_dir: &Path) -> Result<(), Diagnostic> {
        if self.is_current(&mounts_dir.join(&self.path)) {
            return Ok(()); // warm re-runs: most files are unchanged
        }
        self.write(&tree(mounts_dir).map_err(|mut e| e.remove(0))?)
    }

    /// [`GeneratedFile::write_to`] without looking at what is there. The project boundary:
    /// no symbolic link in the tree is followed ([`Tree`]).
    fn write(&self, tree: &Tree) -> Result<(), Diagnostic> {
        let path = tree
            .file(&self.path)
            .map_err(|e| write_error(tree, &self.path, &e))?;
        score_core::state::write_generated(&path, &self.bytes, self.mode.unwrap_or(0o644))
            .map_err(|d| *d)
    }
}

/// The mounts directory as a [`Tree`] (created when missing).
fn tree(mounts_dir: &Path) -> Result<Tree, Vec<Diagnostic>> {
    Tree::new(mounts_dir).map_err(|e| vec![clean_error(mounts_dir, &e)])
}

fn write_error(tree: &Tree, rel: &Path, e: &std::io::Error) -> Diagnostic {
    Diagnostic::error(
        "score::io::write",
        format!("cannot write `{}`: {e}", tree.root().join(rel).display()),
    )
}

/// Write every file under `mounts_dir` (see [`GeneratedFile::write_to`]).
///
/// # Errors
/// One diagnostic per file that could not be written.
pub fn write_files(files: &[GeneratedFile], mounts_dir: &Path) -> Result<(), Vec<Diagnostic>> {
    let tree = tree(mounts_dir)?;
    let errors: Vec<Diagnostic> = files
        .iter()
        .filter(|f| !f.is_current(&mounts_dir.join(&f.path)))
        .filter_map(|f| f.write(&tree).err())
        .collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

/// Bring `mounts_dir` in step with `files`: write those that are missing or differ, remove the
/// ones an earlier run wrote that are not among them (and directories left empty), and record
/// the list in the [`MANIFEST`]. `fresh`: the directory did not exist before this run, so
/// nothing in it can be stale. Without a manifest (an older or interrupted run) stale files
/// are found by searching the tree ([`prune_stale_files`]). Returns the paths removed,
/// relative to `mounts_dir`, sorted.
///
/// # Errors
/// One diagnostic per file that could not be written, or the first error removing one.
///
/// ```
/// use score_compose::{sync_files, GeneratedFile};
/// let dir = tempfile::tempdir().unwrap();
/// let file = |p: &str| GeneratedFile { path: p.into(), bytes: b"x".to_vec(), mode: None };
/// sync_files(&[file("a/one"), file("two")], dir.path(), true).unwrap();
/// let removed = sync_files(&[file("two")], dir.path(), false).unwrap();
/// assert_eq!(removed, [std::path::PathBuf::from("a/one")]);
/// assert!(!dir.path().join("a").exists());
/// ```
pub fn sync_files(
    files: &[GeneratedFile],
    mounts_dir: &Path,
    fresh: bool,
) -> Result<Vec<PathBuf>, Vec<Diagnostic>> {
    sync_files_keeping(files, &[], mounts_dir, fresh)
}

/// [`sync_files`] that never looks inside the mounts-relative directories `keep` (those a
/// provisioner asked for with `directories`: what containers wrote there is not stale).
///
/// # Errors
/// As [`sync_files`].
pub fn sync_files_keeping(
    files: &[GeneratedFile],
    keep: &[PathBuf],
    mounts_dir: &Path,
    fresh: bool,
) -> Result<Vec<PathBuf>, Vec<Diagnostic>> {
    let manifest = mounts_dir.join(MANIFEST);
    let listing = listing(files);
    let previous = if fresh {
        Some(MANIFEST_HEADER.to_string())
    } else {
        std::fs::read_to_string(&manifest).ok()
    };
    let outdated: Vec<&GeneratedFile> = files
        .iter()
        .filter(|f| !f.is_current(&mounts_dir.join(&f.path)))
        .collect();
    // (`previous` came from the manifest unless `fresh`.)
    if !fresh && outdated.is_empty() && listing.is_some() && previous == listing {
        return Ok(Vec::new()); // a re-run that changes nothing
    }
    // From here on the tree changes: a run cut short must not leave the old list behind.
    match std::fs::remove_file(&manifest) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            return Err(vec![clean_error(mounts_dir, &e)])
        }
        _ => {}
    }
    let tree = tree(mounts_dir)?;
    let errors = write_all(&outdated, &tree);
    if !errors.is_empty() {
        return Err(errors);
    }
    let listed = previous.as_deref().and_then(parse_listing);
    let removed = match listed {
        Some(old) => remove_unlisted(&old, files, &tree),
        None => prune(files, keep, mounts_dir),
    }
    .map_err(|e| vec![clean_error(mounts_dir, &e)])?;
    if let Some(text) = listing {
        score_core::state::write_generated(&manifest, text.as_bytes(), 0o644)
            .map_err(|d| vec![*d])?;
    }
    Ok(removed)
}

/// Write `files`, on two cores when there are many: creating files and directories is kernel
/// work, which on a disk file system takes longer than the rest of a first run.
fn write_all(files: &[&GeneratedFile], tree: &Tree) -> Vec<Diagnostic> {
    const SPLIT_FROM: usize = 64;
    let write = |part: &[&GeneratedFile]| -> Vec<Diagnostic> {
        part.iter().filter_map(|f| f.write(tree).err()).collect()
    };
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    if files.len() < SPLIT_FROM || cores < 2 {
        return write(files);
    }
    // Halves in order: each writer works in its own workloads' directories.
    let (first, second) = files.split_at(files.len() / 2);
    std::thread::scope(|s| {
        let other = s.spawn(|| write(second));
        let mut errors = write(first);
        errors.extend(other.join().unwrap_or_default());
        errors
    })
}

fn clean_error(mounts_dir: &Path, e: &std::io::Error) -> Diagnostic {
    Diagnostic::error(
        "score::io::write",
        format!("cannot clean `{}`: {e}", mounts_dir.display()),
    )
}

/// The manifest text for `files`; `None` when a path cannot be written on one line of UTF-8.
fn listing(files: &[GeneratedFile]) -> Option<String> {
    let mut paths = files
        .iter()
        .map(|f| listed_path(&f.path))
        .collect::<Option<Vec<_>>>()?;
    paths.sort_unstable();
    paths.dedup();
    let mut text = String::with_capacity(
        MANIFEST_HEADER.len() + paths.iter().map(|p| p.len() + 1).sum::<usize>(),
    );
    text.push_str(MANIFEST_HEADER);
    for p in paths {
        text.push_str(&p);
        text.push('\n');
    }
    Some(text)
}

/// `path` as the manifest lists it: normalised, on one line.
fn listed_path(path: &Path) -> Option<std::borrow::Cow<'_, str>> {
    let text = path.to_str()?;
    // The paths this crate makes are clean already; `Path` normalisation costs more than the
    // rest of listing them.
    let clean = !text.is_empty()
        && text.split('/').all(|part| {
            !part.is_empty() && part != "." && part != ".." && !part.contains(['\n', '\\'])
        });
    if clean {
        return Some(std::borrow::Cow::Borrowed(text));
    }
    let normal = paths::normalize(path).into_os_string().into_string().ok()?;
    (!normal.contains('\n')).then_some(std::borrow::Cow::Owned(normal))
}

/// The paths of a manifest; `None` unless it is one [`listing`] wrote and every path stays
/// inside the mounts directory (the file could have been edited).
fn parse_listing(text: &str) -> Option<Vec<PathBuf>> {
    let body = text.strip_prefix(MANIFEST_HEADER)?;
    body.lines()
        .map(|line| {
            let p = PathBuf::from(line);
            p.components()
                .all(|c| matches!(c, Component::Normal(_)))
                .then_some(p)
                .filter(|p| !p.as_os_str().is_empty())
        })
        .collect()
}

/// The paths of `files`, normalised as the stale-file checks compare them.
fn kept_paths(files: &[GeneratedFile]) -> HashSet<PathBuf> {
    files.iter().map(|f| paths::normalize(&f.path)).collect()
}

/// Remove the files of `listed` that are not in `files`, then their directories left empty.
/// Nothing is removed through a symbolic link (the manifest could have been edited).
fn remove_unlisted(
    listed: &[PathBuf],
    files: &[GeneratedFile],
    tree: &Tree,
) -> std::io::Result<Vec<PathBuf>> {
    if listed.is_empty() {
        return Ok(Vec::new());
    }
    let mounts_dir = tree.root();
    let keep = kept_paths(files);
    let mut removed = Vec::new();
    let removable = listed
        .iter()
        .filter(|p| !keep.contains(*p) && tree.has_real_parents(p));
    for rel in removable {
        match std::fs::remove_file(mounts_dir.join(rel)) {
            Ok(()) => removed.push(rel.clone()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
        // Parents go while they are empty; the first that is not stops it.
        let mut dir = rel.parent();
        while let Some(d) = dir.filter(|d| !d.as_os_str().is_empty()) {
            if std::fs::remove_dir(mounts_dir.join(d)).is_err() {
                break;
            }
            dir = d.parent();
        }
    }
    removed.sort();
    Ok(removed)
}

/// Delete regular files under `mounts_dir` that are not in `files` (left over from workloads,
/// files or resources that no longer exist), then the directories left empty. Only call this on
/// a directory score-rs owns. Returns the paths removed, relative to `mounts_dir`, sorted.
/// [`sync_files`] does this without searching the tree when it can.
///
/// # Errors
/// The first I/O error met.
pub fn prune_stale_files(
    files: &[GeneratedFile],
    mounts_dir: &Path,
) -> std::io::Result<Vec<PathBuf>> {
    prune(files, &[], mounts_dir)
}

/// [`prune_stale_files`], leaving the directories `keep` (mounts-relative) as they are.
fn prune(
    files: &[GeneratedFile],
    keep_dirs: &[PathBuf],
    mounts_dir: &Path,
) -> std::io::Result<Vec<PathBuf>> {
    struct Keep<'a> {
        files: HashSet<PathBuf>,
        dirs: &'a [PathBuf],
    }
    fn visit(
        dir: &Path,
        root: &Path,
        keep: &Keep<'_>,
        removed: &mut Vec<PathBuf>,
    ) -> std::io::Result<bool> {
        let mut empty = true;
        for entry in std::fs::read_dir(dir)? {
            let entry = entry?;
            if dir == root && entry.file_name() == MANIFEST {
                empty = false;
                continue;
            }
            let path = entry.path();
            let ty = entry.file_type()?;
            let rel = path.strip_prefix(root).unwrap_or(&path).to_path_buf();
            if ty.is_dir() && keep.dirs.contains(&rel) {
                empty = false;
            } else if ty.is_dir() {
                if visit(&path, root, keep, removed)? {
                    std::fs::remove_dir(&path)?;
                } else {
                    empty = false;
                }
            } else if ty.is_file() && !keep.files.contains(&rel) {
                std::fs::remove_file(&path)?;
                removed.push(rel);
            } else {
                empty = false;
            }
        }
        Ok(empty)
    }
    let keep = Keep {
        files: kept_paths(files),
        dirs: keep_dirs,
    };
    let mut removed = Vec::new();
    if mounts_dir.is_dir() {
        visit(mounts_dir, mounts_dir, &keep, &mut removed)?;
    }
    removed.sort();
    Ok(removed)
}

/// The mounts-relative directories that the container `files` of `workloads` will be written
/// in, known before anything is provisioned, so that callers may create them early (see
/// [`make_dirs`]): the one flat directory of mounted files (`files::mounted_file`), when any
/// container has files.
pub fn planned_dirs(workloads: &[WorkloadInput]) -> Vec<PathBuf> {
    let any = workloads
        .iter()
        .flat_map(|w| w.workload.containers.values())
        .any(|c| !c.files.is_empty());
    if any {
        vec![PathBuf::from(files::FILES_DIR)]
    } else {
        Vec::new()
    }
}

/// Create `mounts_dir` and the mounts-relative `dirs` (parents first, as [`planned_dirs`] lists
/// them) that do not exist yet, until `stop` is set; returns the directories it created, in
/// creation order. Writing a file creates its missing parents too, so a caller that is ready
/// to write stops this and lets the writers share what is left.
pub fn make_dirs(mounts_dir: &Path, dirs: &[PathBuf], stop: &AtomicBool) -> Vec<PathBuf> {
    let mut created = Vec::new();
    // Through a `mounts` link, directories would be made wherever it points.
    if Tree::new(mounts_dir).is_err() {
        return created;
    }
    for d in dirs {
        if stop.load(Ordering::Relaxed) {
            break;
        }
        let path = mounts_dir.join(d);
        if std::fs::create_dir(&path).is_ok() {
            created.push(path);
        }
    }
    created
}

/// Apply provisioners' `directories` under `mounts_dir`: make each `true` one (a real
/// directory, no symbolic link followed on the way), remove each `false` one with everything in
/// it (a symbolic link there is removed itself, never followed).
///
/// # Errors
/// One diagnostic per directory that could not be made or removed.
pub fn sync_directories(
    dirs: &std::collections::BTreeMap<PathBuf, bool>,
    mounts_dir: &Path,
) -> Result<(), Vec<Diagnostic>> {
    if dirs.is_empty() {
        return Ok(());
    }
    let tree = tree(mounts_dir)?;
    let mut errors = Vec::new();
    for (rel, &make) in dirs {
        let done = if make {
            tree.dir(rel).map(drop)
        } else {
            remove_tree(&tree, rel)
        };
        if let Err(e) = done {
            errors.push(Diagnostic::error(
                "score::io::write",
                format!(
                    "cannot {} directory `{}`: {e}",
                    if make { "make" } else { "remove" },
                    mounts_dir.join(rel).display()
                ),
            ));
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

/// Remove `rel` under the tree's root: nothing when its parents are not real directories (a
/// link there could lead out), the link itself when it is one, else the directory and all in it
/// (`remove_dir_all` does not follow links inside).
fn remove_tree(tree: &Tree, rel: &Path) -> std::io::Result<()> {
    if !tree.has_real_parents(rel) {
        return Ok(());
    }
    let path = tree.root().join(rel);
    match std::fs::symlink_metadata(&path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
        Ok(m) if m.is_dir() => std::fs::remove_dir_all(&path),
        Ok(_) => std::fs::remove_file(&path),
    }
}

/// Remove the directories of `created` (as [`make_dirs`] returned them) that no file of `files`
/// lives in, children first (with no files: every one that is empty).
pub fn remove_unused_dirs(created: &[PathBuf], mounts_dir: &Path, files: &[GeneratedFile]) {
    // Directories as bytes of the mounts-relative path: hashing `Path`s parses their components
    // and cost more than the rest of a first run's bookkeeping.
    let sep = std::path::MAIN_SEPARATOR as u8;
    let mut used: HashSet<&[u8]> = HashSet::new();
    for f in files {
        let path = f.path.as_os_str().as_encoded_bytes();
        // Deepest first; a directory already there has its parents there too.
        for (i, _) in path.iter().enumerate().rev().filter(|(_, &b)| b == sep) {
            if !used.insert(&path[..i]) {
                break;
            }
        }
    }
    for d in created.iter().rev() {
        let rel = d.strip_prefix(mounts_dir).unwrap_or(d);
        if !used.contains(rel.as_os_str().as_encoded_bytes()) {
            let _ = std::fs::remove_dir(d);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(path: &str, bytes: &str) -> GeneratedFile {
        GeneratedFile {
            path: path.into(),
            bytes: bytes.as_bytes().to_vec(),
            mode: None,
        }
    }

    fn manifest(dir: &Path) -> Option<String> {
        std::fs::read_to_string(dir.join(MANIFEST)).ok()
    }

    #[test]
    fn a_re_run_that_changes_nothing_touches_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let files = [file("w/a/one.conf", "1"), file("secrets/w.env", "K=v\n")];
        assert!(sync_files(&files, dir.path(), true).unwrap().is_empty());
        let listed = manifest(dir.path()).unwrap();
        assert_eq!(
            listed,
            format!("{MANIFEST_HEADER}secrets/w.env\nw/a/one.conf\n")
        );
        let before = std::fs::metadata(dir.path().join(MANIFEST))
            .unwrap()
            .modified()
            .unwrap();
        assert!(sync_files(&files, dir.path(), false).unwrap().is_empty());
        let after = std::fs::metadata(dir.path().join(MANIFEST))
            .unwrap()
            .modified()
            .unwrap();
        assert_eq!(before, after, "the manifest is not rewritten");
    }

    #[test]
    fn stale_files_are_found_from_the_manifest_without_a_search() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        sync_files(&[file("w/a/one", "1"), file("w/b/two", "2")], d, true).unwrap();
        // Not listed, so not score-rs's to remove while the manifest is there.
        std::fs::write(d.join("w/a/mine"), "user").unwrap();
        let removed = sync_files(&[file("w/a/one", "1")], d, false).unwrap();
        assert_eq!(removed, [PathBuf::from("w/b/two")]);
        assert!(!d.join("w/b").exists(), "its directory went with it");
        assert!(d.join("w/a/mine").exists());
        assert_eq!(manifest(d).unwrap(), format!("{MANIFEST_HEADER}w/a/one\n"));
    }

    #[test]
    fn without_a_manifest_the_tree_is_searched() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        sync_files(&[file("w/a/one", "1"), file("w/b/two", "2")], d, true).unwrap();
        // A run cut short between removing the manifest and writing it again.
        std::fs::remove_file(d.join(MANIFEST)).unwrap();
        let removed = sync_files(&[file("w/a/one", "changed")], d, false).unwrap();
        assert_eq!(removed, [PathBuf::from("w/b/two")]);
        assert_eq!(
            std::fs::read_to_string(d.join("w/a/one")).unwrap(),
            "changed"
        );
        assert!(manifest(d).is_some());
    }

    #[test]
    fn an_edited_manifest_cannot_reach_outside() {
        let outer = tempfile::tempdir().unwrap();
        let d = outer.path().join("mounts");
        std::fs::write(outer.path().join("precious"), "keep").unwrap();
        sync_files(&[file("one", "1")], &d, true).unwrap();
        std::fs::write(
            d.join(MANIFEST),
            format!("{MANIFEST_HEADER}one\n../precious\n"),
        )
        .unwrap();
        sync_files(&[file("one", "1")], &d, false).unwrap();
        assert!(outer.path().join("precious").exists());
        assert_eq!(manifest(&d).unwrap(), format!("{MANIFEST_HEADER}one\n"));
    }

    #[test]
    fn a_changed_file_is_rewritten_and_listed_again() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        sync_files(&[file("a", "1")], d, true).unwrap();
        sync_files(&[file("a", "2")], d, false).unwrap();
        assert_eq!(std::fs::read_to_string(d.join("a")).unwrap(), "2");
        assert_eq!(manifest(d).unwrap(), format!("{MANIFEST_HEADER}a\n"));
    }

    #[test]
    fn many_files_are_written_on_two_cores_into_directories_made_on_the_way() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let files: Vec<GeneratedFile> = (0..200)
            .map(|i| file(&format!("files/w{i}.main.etc_app.conf"), &format!("n={i}")))
            .collect();
        // The directory maker was stopped before it made any.
        let stop = AtomicBool::new(true);
        let planned: Vec<PathBuf> = vec!["files".into()];
        assert!(make_dirs(d, &planned, &stop).is_empty());
        sync_files(&files, d, true).unwrap();
        for i in [0, 99, 100, 199] {
            let text = std::fs::read_to_string(d.join(format!("files/w{i}.main.etc_app.conf")));
            assert_eq!(text.unwrap(), format!("n={i}"));
        }
        assert_eq!(manifest(d).unwrap().lines().count(), 201);
    }

    #[test]
    fn unused_made_directories_are_removed_children_first() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let planned: Vec<PathBuf> = ["a", "a/b", "a/b/c", "x", "x/y"]
            .iter()
            .map(PathBuf::from)
            .collect();
        let created = make_dirs(d, &planned, &AtomicBool::new(false));
        assert_eq!(created.len(), 5);
        remove_unused_dirs(&created, d, &[file("a/b/f", "1")]);
        assert!(d.join("a/b").is_dir());
        assert!(!d.join("a/b/c").exists() && !d.join("x").exists());
    }

    #[test]
    fn provisioner_directories_are_made_kept_and_removed() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::create_dir_all(d.join("gone/inner")).unwrap();
        std::fs::write(d.join("gone/inner/f"), "x").unwrap();
        let dirs = std::collections::BTreeMap::from([
            (PathBuf::from("data/pg"), true),
            (PathBuf::from("gone"), false),
        ]);
        sync_directories(&dirs, d).unwrap();
        assert!(d.join("data/pg").is_dir() && !d.join("gone").exists());
        // What a container wrote in a kept directory is not stale, even without a manifest.
        std::fs::write(d.join("data/pg/db"), "rows").unwrap();
        std::fs::write(d.join("stale"), "old").unwrap();
        let keep = [PathBuf::from("data/pg")];
        let removed = sync_files_keeping(&[file("a", "1")], &keep, d, false).unwrap();
        assert_eq!(removed, [PathBuf::from("stale")]);
        assert!(d.join("data/pg/db").is_file());
        // A link where a directory is to be removed is removed itself, never followed.
        let outside = tempfile::tempdir().unwrap();
        std::fs::write(outside.path().join("keep-me"), "x").unwrap();
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(outside.path(), d.join("link")).unwrap();
            let dirs = std::collections::BTreeMap::from([(PathBuf::from("link"), false)]);
            sync_directories(&dirs, d).unwrap();
            assert!(!d.join("link").exists() && outside.path().join("keep-me").is_file());
        }
    }
}
