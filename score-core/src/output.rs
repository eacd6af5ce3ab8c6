//! Writing what a run produced: the state first, then the outputs ([`commit`]).
//!
//! The order is what keeps generated passwords stable. Outputs hold values that only the state
//! remembers (a password generated on the first run); were an output written and the state
//! then not saved, the next run would generate another password and silently change it. So:
//!
//! 1. every output file is written in full under a temporary name next to its destination
//!    ([`Staged`]); a failure here (a full disk) removes them and changes nothing;
//! 2. the state is saved (atomically, flushed to disk); a failure removes the temporary files
//!    and changes nothing;
//! 3. work that writes outputs itself runs ([`Outputs::deferred`], compose's mounts directory);
//! 4. the temporary files are renamed into place.
//!
//! No output ever holds a value the saved state does not, even when the process is killed
//! at any point. A failure in step 3 or 4 (rare: the space is already taken) leaves the new
//! state with some outputs not yet updated; the next run writes them from that state, with the
//! same passwords.

use std::path::{Path, PathBuf};

use crate::diagnostic::Diagnostic;
use crate::state::{Staged, State, StateDir};

/// One output file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputFile {
    /// Where it goes.
    pub path: PathBuf,
    /// Its content.
    pub bytes: Vec<u8>,
    /// Permission bits (`0o600` for a file that holds secrets); `None`: the process default.
    pub mode: Option<u32>,
    /// The user named this path (`-o`). When it exists and is not a regular file
    /// (`/dev/null`, `/dev/stdout`, a FIFO), it is written into, as a shell redirection
    /// would, instead of being replaced. A path score-rs chose is always replaced: a link
    /// planted there is never followed.
    pub named: bool,
}

impl OutputFile {
    /// A file at `path` (relative to the project directory) with the process's default mode.
    ///
    /// ```
    /// use score_core::output::OutputFile;
    /// let f = OutputFile::new("app.env", "A=1\n").secret();
    /// assert_eq!(f.mode, Some(0o600));
    /// assert!(f.is_secret());
    /// ```
    pub fn new(path: impl Into<PathBuf>, bytes: impl Into<Vec<u8>>) -> Self {
        OutputFile {
            path: path.into(),
            bytes: bytes.into(),
            mode: None,
            named: false,
        }
    }

    /// The file holds secrets: written owner-only (`0o600`).
    #[must_use]
    pub fn secret(self) -> Self {
        self.with_mode(SECRET_MODE)
    }

    /// Written with these permission bits.
    #[must_use]
    pub fn with_mode(mut self, mode: u32) -> Self {
        self.mode = Some(mode);
        self
    }

    /// The user named this path (see [`OutputFile::named`]).
    #[must_use]
    pub fn named(mut self, named: bool) -> Self {
        self.named = named;
        self
    }

    /// Whether only its owner may read it.
    pub fn is_secret(&self) -> bool {
        self.mode.is_some_and(|m| m & 0o077 == 0)
    }
}

/// The permission bits of a file that holds secrets.
pub const SECRET_MODE: u32 = 0o600;

/// Work that writes outputs itself, run once the state is saved.
pub type Deferred = Box<dyn FnOnce() -> Result<(), Vec<Diagnostic>> + Send>;

/// Everything a run writes besides the state.
#[derive(Default)]
pub struct Outputs {
    /// Files, put in place together after the state is saved.
    pub files: Vec<OutputFile>,
    /// Work run after the state is saved, before the files are put in place (so that they
    /// never refer to something not yet written).
    pub deferred: Vec<Deferred>,
}

impl std::fmt::Debug for Outputs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Outputs")
            .field("files", &self.files)
            .field("deferred", &self.deferred.len())
            .finish()
    }
}

/// Save `state` in `dir`, then write `outputs`, in the order the module docs give.
///
/// # Errors
/// An output path inside the state directory (it would overwrite what score-rs keeps there),
/// or the first failure to write; see the module docs for what each leaves behind.
///
/// ```
/// use score_core::output::{commit, OutputFile, Outputs};
/// use score_core::state::{State, StateDir};
/// let dir = tempfile::tempdir().unwrap();
/// let state_dir = StateDir::new(dir.path().join(".score-rs"));
/// let out = dir.path().join("compose.yaml");
/// let outputs = Outputs {
///     files: vec![OutputFile { path: out.clone(), bytes: b"services: {}\n".to_vec(), mode: None, named: false }],
///     deferred: Vec::new(),
/// };
/// commit(&state_dir, &State::default(), outputs).unwrap();
/// assert!(out.exists() && state_dir.exists());
/// ```
pub fn commit(dir: &StateDir, state: &State, outputs: Outputs) -> Result<(), Vec<Diagnostic>> {
    let save = || dir.save(state).map_err(|d| vec![*d]);
    let deferred = || outputs.deferred.into_iter().try_for_each(|job| job());
    commit_with(Some(dir.path()), save, &outputs.files, deferred)
}

/// [`commit`] with the saving of the state and the deferred work as closures: `files` are
/// staged, then `save` runs, then `after_save`, then the files are put in place. An output in
/// `state_dir` is refused.
///
/// # Errors
/// As [`commit`].
pub fn commit_with(
    state_dir: Option<&Path>,
    save: impl FnOnce() -> Result<(), Vec<Diagnostic>>,
    files: &[OutputFile],
    after_save: impl FnOnce() -> Result<(), Vec<Diagnostic>>,
) -> Result<(), Vec<Diagnostic>> {
    if let Some(dir) = state_dir {
        for f in files {
            refuse_state_dir(dir, &f.path)?;
        }
    }
    let mut staged = Vec::new();
    let mut in_place = Vec::new();
    for f in files {
        // Caught now, not when the rename fails after the state is saved.
        if f.path.is_dir() {
            return Err(vec![Diagnostic::error(
                "score::io::write",
                format!("cannot write `{}`: it is a directory", f.path.display()),
            )
            .with_help("name a file with `-o`")]);
        }
        if f.named && is_special(&f.path) {
            in_place.push(f);
        } else {
            staged.push(Staged::new(&f.path, &f.bytes, false, f.mode).map_err(|d| vec![*d])?);
        }
    }
    save()?;
    after_save()?;
    for s in staged {
        s.commit().map_err(|d| vec![*d])?;
    }
    for f in in_place {
        write_in_place(f)?;
    }
    Ok(())
}

/// Whether `path` exists and is, once links are followed, neither a regular file nor a
/// directory (a device, FIFO or socket).
fn is_special(path: &Path) -> bool {
    std::fs::metadata(path).is_ok_and(|m| !m.is_file() && !m.is_dir())
}

fn write_in_place(f: &OutputFile) -> Result<(), Vec<Diagnostic>> {
    use std::io::Write as _;
    std::fs::OpenOptions::new()
        .write(true)
        .open(&f.path)
        .and_then(|mut out| out.write_all(&f.bytes))
        .map_err(|e| {
            vec![Diagnostic::error(
                "score::io::write",
                format!("cannot write `{}`: {e}", f.path.display()),
            )]
        })
}

/// An output may not land in the state directory (say `-o .score-rs/state.yaml`).
fn refuse_state_dir(dir: &Path, path: &Path) -> Result<(), Vec<Diagnostic>> {
    if crate::boundary::is_inside(dir, path) {
        return Err(vec![Diagnostic::error(
            "score::output::state_dir",
            format!(
                "`{}` is inside the state directory `{}`; score-rs keeps its own files there",
                path.display(),
                dir.display()
            ),
        )
        .with_help("write the output somewhere else (`-o`)")]);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::WorkloadRecord;

    fn state_with(name: &str) -> State {
        let mut st = State::default();
        st.workloads.insert(
            name.into(),
            WorkloadRecord {
                source: None,
                spec: serde_json::json!({}),
            },
        );
        st
    }

    fn file(path: PathBuf, text: &str) -> OutputFile {
        OutputFile {
            path,
            bytes: text.as_bytes().to_vec(),
            mode: None,
            named: false,
        }
    }

    /// Issue 15, item 10: when the state cannot be saved, no output changes (the outputs
    /// would otherwise hold a password the state forgets).
    #[test]
    fn a_state_that_cannot_be_saved_leaves_every_output_as_it_was() {
        let dir = tempfile::tempdir().unwrap();
        let sd = StateDir::new(dir.path().join(".score-rs"));
        let out = dir.path().join("compose.yaml");
        commit(
            &sd,
            &state_with("a"),
            Outputs {
                files: vec![file(out.clone(), "one")],
                deferred: Vec::new(),
            },
        )
        .unwrap();
        // A directory where the state's temporary file would go makes the save fail.
        let blocker = sd.path().join("state.yaml");
        std::fs::remove_file(&blocker).unwrap();
        std::fs::create_dir(&blocker).unwrap();
        std::fs::write(blocker.join("x"), "").unwrap();
        let ran = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let flag = ran.clone();
        let outputs = Outputs {
            files: vec![file(out.clone(), "two")],
            deferred: vec![Box::new(move || {
                flag.store(true, std::sync::atomic::Ordering::SeqCst);
                Ok(())
            })],
        };
        assert!(commit(&sd, &state_with("b"), outputs).is_err());
        assert_eq!(std::fs::read_to_string(&out).unwrap(), "one");
        assert!(
            !ran.load(std::sync::atomic::Ordering::SeqCst),
            "deferred work waits for the state"
        );
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names.len(), 2, "no temporary file is left: {names:?}");
    }

    /// `-o /dev/null` replaced the device with a regular file (as root). A named path that is
    /// not a regular file (here a FIFO, like `/dev/stdout` into a pipe) is written into.
    #[cfg(unix)]
    #[test]
    fn a_named_special_file_is_written_into_not_replaced() {
        use std::io::Read as _;
        use std::os::unix::fs::FileTypeExt;
        let dir = tempfile::tempdir().unwrap();
        let sd = StateDir::new(dir.path().join(".score-rs"));
        let fifo = dir.path().join("fifo");
        let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        // SAFETY: a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        let reader = {
            let fifo = fifo.clone();
            std::thread::spawn(move || {
                let mut text = String::new();
                std::fs::File::open(fifo)
                    .unwrap()
                    .read_to_string(&mut text)
                    .unwrap();
                text
            })
        };
        let named = OutputFile {
            named: true,
            ..file(fifo.clone(), "through the pipe")
        };
        let outputs = Outputs {
            files: vec![named],
            deferred: Vec::new(),
        };
        commit(&sd, &State::default(), outputs).unwrap();
        assert_eq!(reader.join().unwrap(), "through the pipe");
        assert!(std::fs::metadata(&fifo).unwrap().file_type().is_fifo());
    }

    #[test]
    fn an_output_that_is_a_directory_fails_before_the_state_is_saved() {
        let dir = tempfile::tempdir().unwrap();
        let sd = StateDir::new(dir.path().join(".score-rs"));
        sd.save(&State::default()).unwrap();
        let before = std::fs::read(sd.state_file()).unwrap();
        let outputs = Outputs {
            files: vec![
                file(dir.path().join("fine.yaml"), "x"),
                file(dir.path().to_path_buf(), "y"),
            ],
            deferred: Vec::new(),
        };
        assert!(commit(&sd, &state_with("a"), outputs).is_err());
        assert_eq!(std::fs::read(sd.state_file()).unwrap(), before);
        assert!(!dir.path().join("fine.yaml").exists());
    }

    #[test]
    fn outputs_may_not_overwrite_the_state() {
        let dir = tempfile::tempdir().unwrap();
        let sd = StateDir::new(dir.path().join(".score-rs"));
        sd.save(&State::default()).unwrap();
        let before = std::fs::read(sd.state_file()).unwrap();
        let outputs = Outputs {
            files: vec![file(sd.state_file(), "services: {}\n")],
            deferred: Vec::new(),
        };
        let e = commit(&sd, &state_with("a"), outputs).unwrap_err();
        assert_eq!(e[0].code, "score::output::state_dir");
        assert_eq!(std::fs::read(sd.state_file()).unwrap(), before);
    }
}
