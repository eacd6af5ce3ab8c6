//! The project boundary: the one rule every file score-rs reads or writes because of what a
//! Score file, the state or a provisioner says goes through.
//!
//! The project directory is the working directory of the run. Nothing in a Score file, in
//! `state.yaml` or in a provisioner's output may make score-rs read or write outside it:
//!
//! * **Reads** ([`read_inside`]): a `files.source` is a relative path that stays inside the
//!   Score file's directory, first as text (no absolute path, no `..` above it), then with
//!   every symbolic link resolved ([`resolve_inside`]). It must name a regular file (a FIFO
//!   or a device is refused without being opened for a blocking read) of at most
//!   [`MAX_SOURCE_BYTES`], and is read with that cap. Score files given to `generate`, and the
//!   Score file paths recorded in the state, must lie inside the project directory
//!   ([`is_inside`]), so a source can never reach outside it.
//! * **Writes** ([`Tree`]): the directories score-rs fills itself (the mounts directory) hold
//!   only real directories and regular files. A symbolic link met on the way to a file is an
//!   error, never followed; files are created exclusively, or replaced by renaming a private
//!   temporary file with an unpredictable name over them ([`crate::state::write_atomic`]), so
//!   an existing file or link is never opened for writing.
//!
//! Paths named on the command line (`-o`, `--env-file`, `--state-dir`) are the user's choice
//! and are used as given, except that an output may not land in the state directory.
//!
//! Out of scope: another local process that changes the project directory while score-rs runs
//! (it can write those files itself).

use std::fs;
use std::io::{self, Read};
use std::path::{Component, Path, PathBuf};
use std::sync::Mutex;

use crate::check::io_reason;

/// Largest file a `files.source` may name: the same limit as a Score file.
pub const MAX_SOURCE_BYTES: usize = crate::yaml::MAX_FILE_BYTES;

/// Why a path was refused or could not be read.
#[derive(Debug)]
pub enum Refusal {
    /// An absolute path where a relative one is required.
    Absolute,
    /// `..` takes the path above the directory it is relative to.
    Escapes,
    /// Once symbolic links are resolved, the path lies outside the directory.
    LinksOutside(PathBuf),
    /// Not a regular file (a directory, FIFO, socket or device).
    NotRegular,
    /// Larger than the cap.
    TooLarge(usize),
    /// The file system said no.
    Io(io::Error),
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refusal::Absolute => write!(f, "it is an absolute path"),
            Refusal::Escapes => write!(f, "it points outside the Score file's directory"),
            Refusal::LinksOutside(to) => write!(
                f,
                "a symbolic link takes it outside the Score file's directory (to `{}`)",
                to.display()
            ),
            Refusal::NotRegular => write!(f, "it is not a regular file"),
            Refusal::TooLarge(cap) => write!(f, "it is larger than the limit of {cap} bytes"),
            Refusal::Io(e) => write!(f, "{}", io_reason(e)),
        }
    }
}

impl Refusal {
    /// Whether the path itself breaks the boundary (as opposed to a missing or odd file).
    pub fn is_escape(&self) -> bool {
        matches!(
            self,
            Refusal::Absolute | Refusal::Escapes | Refusal::LinksOutside(_)
        )
    }
}

/// The text rule: `rel` is relative and its `..`s never climb above its start.
///
/// ```
/// use score_core::boundary::check_relative;
/// assert!(check_relative("conf/app.yaml").is_ok());
/// assert!(check_relative("a/../b").is_ok());
/// assert!(check_relative("../b").is_err());
/// assert!(check_relative("/etc/passwd").is_err());
/// ```
pub fn check_relative(rel: &str) -> Result<(), Refusal> {
    let path = Path::new(rel);
    if path.is_absolute() || rel.starts_with(['/', '\\']) || path.has_root() {
        return Err(Refusal::Absolute);
    }
    let mut depth: usize = 0;
    for comp in path.components() {
        match comp {
            Component::ParentDir => depth = depth.checked_sub(1).ok_or(Refusal::Escapes)?,
            Component::Normal(_) => depth += 1,
            Component::CurDir => {}
            Component::Prefix(_) | Component::RootDir => return Err(Refusal::Absolute),
        }
    }
    Ok(())
}

/// `rel` (relative to `root`) with every symbolic link resolved, if it lies inside `root`.
///
/// # Errors
/// The text rule of [`check_relative`], [`Refusal::LinksOutside`] when a link leaves `root`,
/// or the I/O error of a missing path.
pub fn resolve_inside(root: &Path, rel: &str) -> Result<PathBuf, Refusal> {
    check_relative(rel)?;
    let root = canonical(root).map_err(Refusal::Io)?;
    let full = canonical(&root.join(rel)).map_err(Refusal::Io)?;
    if full.starts_with(&root) {
        Ok(full)
    } else {
        Err(Refusal::LinksOutside(full))
    }
}

/// Read the regular file `rel` inside `root` (see [`resolve_inside`]), at most
/// [`MAX_SOURCE_BYTES`].
///
/// # Errors
/// See [`Refusal`].
pub fn read_inside(root: &Path, rel: &str) -> Result<Vec<u8>, Refusal> {
    let path = resolve_inside(root, rel)?;
    read_regular(&path, MAX_SOURCE_BYTES)
}

/// Read the regular file at `path`, at most `cap` bytes. A FIFO or device is refused without
/// a blocking open or read (a FIFO with no writer would hang the run, `/dev/zero` never ends).
///
/// # Errors
/// See [`Refusal`].
pub fn read_regular(path: &Path, cap: usize) -> Result<Vec<u8>, Refusal> {
    let file = open_regular(path)?;
    let size = file.metadata().map_err(Refusal::Io)?.len();
    if size > cap as u64 {
        return Err(Refusal::TooLarge(cap));
    }
    let mut buf = Vec::with_capacity(size as usize);
    // The size may change while reading: never take more than the cap (plus one to notice).
    file.take(cap as u64 + 1)
        .read_to_end(&mut buf)
        .map_err(Refusal::Io)?;
    if buf.len() > cap {
        return Err(Refusal::TooLarge(cap));
    }
    Ok(buf)
}

/// Open `path` for reading if it is a regular file, without blocking on a FIFO.
///
/// # Errors
/// [`Refusal::NotRegular`] or the I/O error.
pub fn open_regular(path: &Path) -> Result<fs::File, Refusal> {
    let mut options = fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        // O_NONBLOCK: opening a FIFO for reading returns at once instead of waiting for a
        // writer; on a regular file the flag changes nothing.
        options.custom_flags(libc::O_NONBLOCK);
    }
    let file = options.open(path).map_err(Refusal::Io)?;
    let meta = file.metadata().map_err(Refusal::Io)?;
    if meta.is_file() {
        Ok(file)
    } else {
        Err(Refusal::NotRegular)
    }
}

/// Whether `path` lies inside `root` once both are made absolute and symbolic links are
/// resolved. A path that does not exist is judged by its nearest existing ancestor and the
/// rest of its text (which must not climb with `..`).
///
/// ```
/// let dir = tempfile::tempdir().unwrap();
/// let root = dir.path();
/// std::fs::create_dir(root.join("a")).unwrap();
/// assert!(score_core::boundary::is_inside(root, &root.join("a/new.yaml")));
/// assert!(!score_core::boundary::is_inside(&root.join("a"), root));
/// ```
pub fn is_inside(root: &Path, path: &Path) -> bool {
    let Ok(root) = canonical(root) else {
        return false;
    };
    let Ok(abs) = std::path::absolute(path) else {
        return false;
    };
    // Walk up to the nearest ancestor that exists.
    let mut existing = abs.as_path();
    let resolved = loop {
        match canonical(existing) {
            Ok(p) => break p,
            Err(_) => match (existing.parent(), existing.file_name()) {
                (Some(parent), Some(_)) => existing = parent,
                _ => return false,
            },
        }
    };
    // (A trailing `..` has no file name: such a path is refused above, so the missing rest
    // never climbs.)
    resolved.starts_with(&root)
}

/// The canonical form of the current directory: the project directory of a run.
///
/// # Errors
/// When the working directory is gone or unreadable.
pub fn project_dir() -> io::Result<PathBuf> {
    canonical(&std::env::current_dir()?)
}

fn canonical(p: &Path) -> io::Result<PathBuf> {
    let p = if p.as_os_str().is_empty() {
        Path::new(".")
    } else {
        p
    };
    fs::canonicalize(p)
}

/// A directory tree score-rs fills itself (the mounts directory): every directory below its
/// root is checked (once) to be a real directory before anything is written or removed in it,
/// so a symbolic link planted in the tree is an error and never followed.
#[derive(Debug)]
pub struct Tree {
    root: PathBuf,
    /// Directories (below the root) already checked or created.
    known: Mutex<std::collections::HashSet<PathBuf>>,
}

impl Tree {
    /// The tree at `root`. `root` itself must not be a symbolic link; it is created when
    /// missing.
    ///
    /// # Errors
    /// When `root` is a symbolic link or a file, or cannot be created.
    pub fn new(root: &Path) -> io::Result<Tree> {
        match fs::symlink_metadata(root) {
            Ok(m) if m.is_dir() => {}
            Ok(_) => return Err(not_a_directory(root)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                fs::create_dir_all(root)?;
                if !fs::symlink_metadata(root)?.is_dir() {
                    return Err(not_a_directory(root));
                }
            }
            Err(e) => return Err(e),
        }
        Ok(Tree {
            root: root.to_path_buf(),
            known: Mutex::new(std::collections::HashSet::new()),
        })
    }

    /// The root directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Make sure every directory of `rel_dir` (relative to the root) is a real directory,
    /// creating the missing ones; returns the full path.
    ///
    /// # Errors
    /// When `rel_dir` is not a plain relative path, a component is a symbolic link or a file,
    /// or a directory cannot be created.
    pub fn dir(&self, rel_dir: &Path) -> io::Result<PathBuf> {
        let mut full = self.root.clone();
        let mut rel = PathBuf::new();
        for comp in rel_dir.components() {
            let Component::Normal(name) = comp else {
                return Err(io::Error::other(format!(
                    "`{}` is not a plain relative path",
                    rel_dir.display()
                )));
            };
            full.push(name);
            rel.push(name);
            if self.is_known(&rel) {
                continue;
            }
            match fs::symlink_metadata(&full) {
                Ok(m) if m.is_dir() => {}
                Ok(_) => return Err(not_a_directory(&full)),
                Err(e) if e.kind() == io::ErrorKind::NotFound => match fs::create_dir(&full) {
                    Ok(()) => {}
                    // Made meanwhile (by the other writer thread): check what it is.
                    Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                        if !fs::symlink_metadata(&full)?.is_dir() {
                            return Err(not_a_directory(&full));
                        }
                    }
                    Err(e) => return Err(e),
                },
                Err(e) => return Err(e),
            }
            self.known
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert(rel.clone());
        }
        Ok(full)
    }

    fn is_known(&self, rel: &Path) -> bool {
        self.known
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .contains(rel)
    }

    /// The full path of file `rel`, its parent directories checked (and created): the file
    /// itself may then be created or replaced, never followed (see
    /// [`crate::state::write_generated`]) or removed.
    ///
    /// # Errors
    /// See [`Tree::dir`]; `rel` must name a file below the root.
    pub fn file(&self, rel: &Path) -> io::Result<PathBuf> {
        let name = match rel.components().next_back() {
            Some(Component::Normal(name)) => name,
            _ => {
                return Err(io::Error::other(format!(
                    "`{}` is not a plain relative path",
                    rel.display()
                )))
            }
        };
        let parent = rel.parent().unwrap_or(Path::new(""));
        Ok(self.dir(parent)?.join(name))
    }

    /// Whether `rel`'s parent directories exist and are all real directories (nothing is
    /// created): a file listed there may be removed.
    pub fn has_real_parents(&self, rel: &Path) -> bool {
        let mut full = self.root.clone();
        let mut partial = PathBuf::new();
        let Some(parent) = rel.parent() else {
            return true;
        };
        for comp in parent.components() {
            let Component::Normal(name) = comp else {
                return false;
            };
            full.push(name);
            partial.push(name);
            if self.is_known(&partial) {
                continue;
            }
            match fs::symlink_metadata(&full) {
                Ok(m) if m.is_dir() => {
                    self.known
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .insert(partial.clone());
                }
                _ => return false,
            }
        }
        true
    }
}

fn not_a_directory(path: &Path) -> io::Error {
    io::Error::other(format!(
        "`{}` is a symbolic link or a file; score-rs keeps only directories and regular files \
         there and never follows a link out of it (remove it)",
        path.display()
    ))
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    #[test]
    fn a_symbolic_link_out_of_the_directory_is_refused() {
        let outer = tempfile::tempdir().unwrap();
        let root = outer.path().join("project");
        fs::create_dir_all(root.join("conf")).unwrap();
        fs::write(outer.path().join("secret"), "s3cret").unwrap();
        fs::write(root.join("conf/app.conf"), "ok").unwrap();
        symlink(outer.path().join("secret"), root.join("link")).unwrap();
        symlink("conf", root.join("inner")).unwrap();
        symlink(outer.path(), root.join("up")).unwrap();
        assert_eq!(read_inside(&root, "conf/app.conf").unwrap(), b"ok");
        assert_eq!(read_inside(&root, "inner/app.conf").unwrap(), b"ok");
        for escaping in ["link", "up/secret", "../secret", "/etc/passwd"] {
            let refused = read_inside(&root, escaping).unwrap_err();
            assert!(refused.is_escape(), "{escaping}: {refused}");
        }
    }

    #[test]
    fn only_regular_files_of_bounded_size_are_read() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let fifo = root.join("fifo");
        let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        // SAFETY: a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        assert!(matches!(
            read_inside(root, "fifo"),
            Err(Refusal::NotRegular)
        ));
        assert!(matches!(
            read_regular(Path::new("/dev/zero"), 10),
            Err(Refusal::NotRegular)
        ));
        fs::create_dir(root.join("d")).unwrap();
        assert!(matches!(read_inside(root, "d"), Err(Refusal::NotRegular)));
        fs::write(root.join("big"), vec![b'x'; 11]).unwrap();
        assert!(matches!(
            read_regular(&root.join("big"), 10),
            Err(Refusal::TooLarge(10))
        ));
        assert_eq!(read_regular(&root.join("big"), 11).unwrap().len(), 11);
    }

    #[test]
    fn a_tree_never_writes_through_a_symbolic_link() {
        let outer = tempfile::tempdir().unwrap();
        let root = outer.path().join("mounts");
        let tree = Tree::new(&root).unwrap();
        let elsewhere = outer.path().join("elsewhere");
        fs::create_dir(&elsewhere).unwrap();
        symlink(&elsewhere, root.join("w")).unwrap();
        assert!(tree.file(Path::new("w/a/file")).is_err());
        assert!(!tree.has_real_parents(Path::new("w/file")));
        assert!(fs::read_dir(&elsewhere).unwrap().next().is_none());
        assert!(tree.file(Path::new("../x")).is_err());
        let ok = tree.file(Path::new("v/a/file")).unwrap();
        assert_eq!(ok, root.join("v/a/file"));
        assert!(root.join("v/a").is_dir());
        assert!(tree.has_real_parents(Path::new("v/a/file")));
        symlink(&elsewhere, outer.path().join("linked")).unwrap();
        assert!(Tree::new(&outer.path().join("linked")).is_err());
    }

    #[test]
    fn inside_judges_missing_paths_by_their_existing_ancestor() {
        let outer = tempfile::tempdir().unwrap();
        let root = outer.path().join("p");
        fs::create_dir(&root).unwrap();
        symlink(outer.path(), root.join("up")).unwrap();
        assert!(is_inside(&root, &root.join("score.yaml")));
        assert!(is_inside(&root, &root.join("new/dir/score.yaml")));
        assert!(!is_inside(&root, &root.join("up/score.yaml")));
        assert!(!is_inside(&root, &root.join("../score.yaml")));
        assert!(!is_inside(&root, &root.join("missing/../../x")));
        assert!(!is_inside(&root, Path::new("/etc/passwd")));
    }
}
