//! Project state in `.score-rs/`: workloads, provisioned resources and shared state.
//!
//! `state.yaml` is the only thing that makes re-runs stable (generated passwords live in each
//! resource's private `state`), so it is written atomically (temp file + rename) and guarded by
//! a lock file; a failed run never touches it.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::diagnostic::Diagnostic;
use crate::source::{SourceFile, Span};
use crate::uid::ResourceUid;
use crate::yaml;

/// The state format this build writes; older ones are read, newer ones refused.
pub const STATE_VERSION: u32 = 1;
/// Default name of the state directory.
pub const STATE_DIR: &str = ".score-rs";
/// File name of the state inside the state directory.
pub const STATE_FILE: &str = "state.yaml";
/// The last line of every state file: a missing one means the file was cut short.
pub const END_MARKER: &str = "# end of score-rs state";
/// Where compose mounts and other generated files are written, inside the state directory.
pub const MOUNTS_DIR: &str = "mounts";

/// Largest state file read or written: 1 GiB. A monorepo of 10,000 workloads generated for
/// all three targets writes well under a tenth of it (`docs/security.md`); the cap only stops
/// a hostile file from exhausting memory. It is not the 8 MiB limit of a Score file: the
/// state holds every workload, inline file contents included.
pub const MAX_STATE_BYTES: usize = 1 << 30;

/// Deepest nesting of a state file. The state nests what score-rs accepted (Score files,
/// provisioner outputs: at most [`yaml::MAX_DEPTH`] levels each) a few levels down (`targets`
/// → target → `resources` → UID → `outputs` → …), so it is given room beyond the input limit:
/// a state score-rs wrote is always one it can read ([`StateDir::save`] checks).
pub const MAX_STATE_DEPTH: usize = yaml::MAX_DEPTH + 16;

/// The parse limits of a state file.
const STATE_LIMITS: yaml::Limits = yaml::Limits {
    bytes: MAX_STATE_BYTES,
    depth: MAX_STATE_DEPTH,
    extra_nodes: yaml::MAX_NODES,
};

/// Permission bits of `state.yaml`: it holds every generated password.
pub const STATE_FILE_MODE: u32 = 0o600;

/// Everything score-rs remembers between runs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct State {
    /// Format version ([`STATE_VERSION`]).
    pub version: u32,
    /// Project-wide settings chosen at `init`.
    #[serde(default)]
    pub project: ProjectSettings,
    /// Workloads by name.
    #[serde(default)]
    pub workloads: BTreeMap<String, WorkloadRecord>,
    /// Per-target resource state (`compose`, `k8s`, `terraform`): targets never clobber each other.
    #[serde(default)]
    pub targets: BTreeMap<String, TargetState>,
}

impl Default for State {
    fn default() -> Self {
        State {
            version: STATE_VERSION,
            project: ProjectSettings::default(),
            workloads: BTreeMap::new(),
            targets: BTreeMap::new(),
        }
    }
}

/// Settings from `init`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProjectSettings {
    /// Project name (compose project name; defaults to the directory name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// A workload as last generated.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkloadRecord {
    /// Path of the Score file it came from (file `source`s resolve against its directory).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// The spec after overrides, as JSON.
    pub spec: Value,
}

/// One target's resources and shared state.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TargetState {
    /// Resources by UID.
    #[serde(default)]
    pub resources: BTreeMap<ResourceUid, ResourceRecord>,
    /// State shared by all provisioners of the target (merged; a null deletes a key).
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub shared_state: Map<String, Value>,
}

/// A provisioned resource.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResourceRecord {
    /// Random identifier fixed at first provisioning.
    pub guid: String,
    /// Resource type.
    #[serde(rename = "type")]
    pub kind: String,
    /// Resource class.
    pub class: String,
    /// Shared id, when set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Resource metadata from the Score file.
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub metadata: Map<String, Value>,
    /// Params after placeholder substitution.
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub params: Map<String, Value>,
    /// The workload whose metadata the params were resolved with.
    pub source_workload: String,
    /// URI of the provisioner that handled it.
    pub provisioner: String,
    /// The provisioner's private state (generated passwords live here).
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub state: Map<String, Value>,
    /// The outputs placeholders resolve to.
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub outputs: Map<String, Value>,
    /// Output keys whose values are secret.
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub secret_outputs: BTreeSet<String>,
}

/// The state directory of a project.
#[derive(Debug, Clone)]
pub struct StateDir {
    root: PathBuf,
}

impl StateDir {
    /// The state directory at `root` (usually `./.score-rs`).
    pub fn new(root: impl Into<PathBuf>) -> Self {
        StateDir { root: root.into() }
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.root
    }

    /// The state file.
    pub fn state_file(&self) -> PathBuf {
        self.root.join(STATE_FILE)
    }

    /// The folder generated files are written under.
    pub fn mounts_dir(&self) -> PathBuf {
        self.root.join(MOUNTS_DIR)
    }

    /// Whether `init` has run here.
    pub fn exists(&self) -> bool {
        self.state_file().is_file()
    }

    /// Read the state; a missing directory is an error that says to run `init`.
    pub fn load(&self) -> Result<State, Box<Diagnostic>> {
        let path = self.state_file();
        if !path.is_file() {
            return Err(Box::new(
                Diagnostic::error(
                    "score::state::missing",
                    format!("no project state in `{}`", self.root.display()),
                )
                .with_help("run `score-rs init` first"),
            ));
        }
        let src = crate::load::read_source_within(&path, MAX_STATE_BYTES)
            .map_err(|e| e.unwrap_or_else(|| Box::new(state_too_large(&path, None))))?;
        parse_state(&src)
    }

    /// Write the state atomically: a temp file in the same directory, fsync, rename.
    ///
    /// An unchanged state is not written at all (a warm re-run costs no fsync). A state file
    /// created where none existed is not fsynced either: before it existed there was nothing to
    /// lose, and the end marker makes a file cut short by a crash an error rather than data.
    pub fn save(&self, state: &State) -> Result<(), Box<Diagnostic>> {
        // JSON syntax (a subset of YAML): it reads back an order of magnitude faster than
        // block YAML, which matters with hundreds of workloads; hand edits may use any YAML.
        let mut text = serde_json::to_string_pretty(state)
            .map_err(|e| io_diag("serialise", &self.state_file(), std::io::Error::other(e)))?;
        text.push('\n');
        text.push_str(END_MARKER);
        text.push('\n');
        let path = self.state_file();
        // Never write a state this build could not read back: the run fails instead, and
        // the project keeps its previous state.
        if text.len() > MAX_STATE_BYTES {
            return Err(Box::new(state_too_large(&path, Some(text.len()))));
        }
        if json_depth(&text) > MAX_STATE_DEPTH {
            return Err(Box::new(
                Diagnostic::error(
                    "score::state::too_deep",
                    format!("the state would nest deeper than {MAX_STATE_DEPTH} levels; it was not written"),
                )
                .with_help("a provisioner output or a resource's params nest too deeply; flatten them"),
            ));
        }
        match fs::read(&path) {
            Ok(old) if old == text.as_bytes() => keep_private(&path),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                write_atomic_with_mode(&path, text.as_bytes(), STATE_FILE_MODE)
            }
            _ => write_via_temp(&path, text.as_bytes(), true, Some(STATE_FILE_MODE)),
        }
    }
}

/// Parse state text, with clear errors for newer versions and unknown fields.
pub fn parse_state(src: &SourceFile) -> Result<State, Box<Diagnostic>> {
    if !src.text().trim_end().ends_with(END_MARKER) {
        let end = src.text().len();
        return Err(Box::new(
            Diagnostic::error("score::state::truncated", "the state file is incomplete: its end marker is missing")
                .with_label(src, Span::new(end, end), format!("expected `{END_MARKER}` as the last line"))
                .with_help("an interrupted write or a bad copy cut it short; restore it from version control or a backup"),
        ));
    }
    if let Some(state) = parse_json_fast(src.text()) {
        return Ok(state);
    }
    // Hand edits, errors and states nested deeper than serde_json's limit of 128 levels.
    let tree = yaml::parse_source_within(src, STATE_LIMITS)?;
    let version = tree.get("version").and_then(|v| match v.kind {
        yaml::NodeKind::Int(i) => Some(i),
        _ => None,
    });
    match version {
        Some(v) if v > i64::from(STATE_VERSION) => {
            let span = tree.get("version").map(|n| n.span).unwrap_or_default();
            return Err(Box::new(
                Diagnostic::error("score::state::newer", format!("the state was written by a newer score-rs (format {v}; this build reads up to {STATE_VERSION})"))
                    .with_label(src, span, "newer format")
                    .with_help("upgrade score-rs; do not edit the version by hand"),
            ));
        }
        Some(_) => {}
        None => {
            return Err(Box::new(
                Diagnostic::error("score::state::invalid", "the state file has no `version`")
                    .with_label(src, tree.span, "expected `version: 1` here")
                    .with_help("the state file may have been truncated or hand-edited; restore it from version control"),
            ))
        }
    }
    let json = tree.to_json();
    serde_path_to_error::deserialize::<_, State>(&json).map_err(|e| {
        let path: Vec<String> = e
            .path()
            .iter()
            .map(|s| s.to_string())
            .filter(|s| s != "?")
            .collect();
        let span = tree
            .lookup(&path)
            .map_or(tree.span, |(k, n)| k.map_or(n.span, |k| k.span));
        Box::new(
            Diagnostic::error(
                "score::state::invalid",
                format!("invalid state file: {}", e.inner()),
            )
            .with_label(src, span, "here")
            .with_help(
                "the state file may have been hand-edited; fix or restore it from version control",
            ),
        )
    })
}

/// The fast path for state files as we write them (JSON syntax); `None` sends anything else,
/// including every error case, through the YAML loader for a located diagnostic.
fn parse_json_fast(text: &str) -> Option<State> {
    let body = text.trim_end().strip_suffix(END_MARKER)?;
    if !body.trim_start().starts_with('{') {
        return None;
    }
    let state: State = serde_json::from_str(body).ok()?;
    (state.version <= STATE_VERSION).then_some(state)
}

/// The diagnostic for a state file over [`MAX_STATE_BYTES`] (`size`: of a state not written).
fn state_too_large(path: &Path, size: Option<usize>) -> Diagnostic {
    let (message, help) = match size {
        Some(n) => (
            format!("the state would be {n} bytes, over the limit of {MAX_STATE_BYTES}; it was not written"),
            "move large inline file `content` into files next to the Score files (`source`), or split the project",
        ),
        None => (
            format!("`{}` is larger than the limit of {MAX_STATE_BYTES} bytes", path.display()),
            "score-rs never writes a state this large; restore it from version control",
        ),
    };
    Diagnostic::error("score::state::too_large", message).with_help(help)
}

/// How deeply arrays and objects nest in JSON `text` (brackets inside strings ignored).
fn json_depth(text: &str) -> usize {
    let (mut depth, mut deepest) = (0usize, 0usize);
    let (mut in_string, mut escaped) = (false, false);
    for b in text.bytes() {
        if in_string {
            match b {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'{' | b'[' => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            b'}' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    deepest
}

/// Make an existing state file owner-only (older versions wrote it 0644).
fn keep_private(path: &Path) -> Result<(), Box<Diagnostic>> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let meta = fs::symlink_metadata(path).map_err(|e| io_diag("read", path, e))?;
        if meta.is_file() && meta.permissions().mode() & 0o777 != STATE_FILE_MODE {
            fs::set_permissions(path, fs::Permissions::from_mode(STATE_FILE_MODE))
                .map_err(|e| io_diag("protect", path, e))?;
        }
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

/// Serialise to YAML (stable key order: every map in the state is a BTreeMap).
pub fn to_yaml<T: Serialize>(value: &T) -> Result<String, std::io::Error> {
    serde_saphyr::to_string(value).map_err(|e| std::io::Error::other(e.to_string()))
}

/// Write `bytes` to `path` so that readers see the old or the new file, never a partial one.
///
/// Not fsynced: generated output can always be produced again from the state. The state
/// itself is written with [`write_durable`].
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), Box<Diagnostic>> {
    write_via_temp(path, bytes, false, None)
}

/// [`write_atomic`] with permission bits: the temporary file is private (0600) until `mode` is
/// set, so a file holding secrets is never readable by others, even briefly.
pub fn write_atomic_with_mode(path: &Path, bytes: &[u8], mode: u32) -> Result<(), Box<Diagnostic>> {
    write_via_temp(path, bytes, false, Some(mode))
}

/// [`write_atomic_with_mode`] for a generated file that can always be produced again: when
/// `path` does not exist yet it is created in place (private until `mode` is set), which spares
/// a temporary name and a rename per file — on a first run that is most of the cost of writing
/// hundreds of mounted files. An existing file is still replaced atomically. A crash can leave a
/// new file cut short; the next run sees the difference and rewrites it.
pub fn write_generated(path: &Path, bytes: &[u8], mode: u32) -> Result<(), Box<Diagnostic>> {
    let created = create_new_private(path).or_else(|e| match path.parent() {
        // Missing parents are made here, and the file still created in place.
        Some(dir) if e.kind() == std::io::ErrorKind::NotFound && !dir.as_os_str().is_empty() => {
            fs::create_dir_all(dir).and_then(|()| create_new_private(path))
        }
        _ => Err(e),
    });
    match created {
        Ok(mut f) => {
            let written = f.write_all(bytes).and_then(|()| set_mode(&f, mode));
            written.map_err(|e| {
                let _ = fs::remove_file(path);
                io_diag("write", path, e)
            })
        }
        // An existing file is replaced atomically; anything else is handled (or reported) by
        // the general path too.
        Err(_) => write_atomic_with_mode(path, bytes, mode),
    }
}

fn create_new_private(path: &Path) -> std::io::Result<fs::File> {
    let mut o = fs::OpenOptions::new();
    o.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600);
    }
    o.open(path)
}

/// Exact permission bits (not filtered by the umask: containers must be able to read 0644 files).
fn set_mode(f: &fs::File, mode: u32) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        f.set_permissions(fs::Permissions::from_mode(mode))
    }
    #[cfg(not(unix))]
    {
        let _ = (f, mode);
        Ok(())
    }
}

/// [`write_atomic`], and flushed to disk before the rename, so that a crash never loses the
/// previous contents (used for `state.yaml`, which holds generated passwords).
pub fn write_durable(path: &Path, bytes: &[u8]) -> Result<(), Box<Diagnostic>> {
    write_via_temp(path, bytes, true, None)
}

fn write_via_temp(
    path: &Path,
    bytes: &[u8],
    sync: bool,
    mode: Option<u32>,
) -> Result<(), Box<Diagnostic>> {
    Staged::new(path, bytes, sync, mode)?.commit()
}

/// A file written in full under a temporary name next to its destination, put in place by
/// [`Staged::commit`] (an atomic rename); dropped uncommitted, the temporary file is removed.
///
/// The temporary name is unpredictable and the file is created exclusively (`O_EXCL`), so no
/// existing file, nor a symbolic link planted under that name, is ever opened for writing.
#[derive(Debug)]
pub struct Staged {
    tmp: PathBuf,
    dest: PathBuf,
    committed: bool,
}

impl Staged {
    /// Write `bytes` to a new temporary file in `path`'s directory (created when missing):
    /// private (0600) until `mode` is applied, flushed to disk when `sync`.
    ///
    /// # Errors
    /// A `score::io::write` diagnostic naming `path`.
    pub fn new(
        path: &Path,
        bytes: &[u8],
        sync: bool,
        mode: Option<u32>,
    ) -> Result<Staged, Box<Diagnostic>> {
        let dir = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        fs::create_dir_all(dir).map_err(|e| io_diag("create", dir, e))?;
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("out");
        let (tmp, mut f) =
            create_temp(dir, name, mode.is_some()).map_err(|e| io_diag("write", path, e))?;
        let staged = Staged {
            tmp,
            dest: path.to_path_buf(),
            committed: false,
        };
        let written = (|| {
            f.write_all(bytes)?;
            if let Some(mode) = mode {
                set_mode(&f, mode)?;
            }
            if sync {
                f.sync_all()?;
            }
            Ok(())
        })();
        written.map_err(|e| io_diag("write", path, e))?;
        Ok(staged)
    }

    /// Where the file goes.
    pub fn destination(&self) -> &Path {
        &self.dest
    }

    /// Rename the file into place (replacing what is there; a symbolic link there is replaced,
    /// not followed).
    ///
    /// # Errors
    /// A `score::io::write` diagnostic; the temporary file is removed.
    pub fn commit(mut self) -> Result<(), Box<Diagnostic>> {
        let renamed = fs::rename(&self.tmp, &self.dest);
        self.committed = renamed.is_ok();
        renamed.map_err(|e| io_diag("write", &self.dest, e))
    }
}

impl Drop for Staged {
    fn drop(&mut self) {
        if !self.committed {
            let _ = fs::remove_file(&self.tmp);
        }
    }
}

/// Create a new file `.<name>.<random>.tmp` in `dir`, exclusively; mode 0600 on Unix when
/// `private`.
fn create_temp(dir: &Path, name: &str, private: bool) -> std::io::Result<(PathBuf, fs::File)> {
    let mut last = None;
    for _ in 0..8 {
        let tmp = dir.join(format!(".{name}.{:016x}.tmp", rand::random::<u64>()));
        let mut o = fs::OpenOptions::new();
        o.write(true).create_new(true);
        #[cfg(unix)]
        if private {
            use std::os::unix::fs::OpenOptionsExt;
            o.mode(0o600);
        }
        #[cfg(not(unix))]
        let _ = private;
        match o.open(&tmp) {
            Ok(f) => return Ok((tmp, f)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => last = Some(e),
            Err(e) => return Err(e),
        }
    }
    Err(last.unwrap_or_else(|| std::io::Error::other("no free temporary name")))
}

fn io_diag(what: &str, path: &Path, e: std::io::Error) -> Box<Diagnostic> {
    Box::new(Diagnostic::error(
        "score::io::write",
        format!("cannot {what} `{}`: {e}", path.display()),
    ))
}

/// An exclusive lock on a state directory, released on drop (or when the process dies).
///
/// On Unix it is an advisory `flock` on `<state dir>/lock`, which the kernel releases with the
/// process: no stale lock can outlive a crash, and no run ever deletes a lock another holds.
/// The file stays; it holds the pid of the last holder, for messages only.
#[derive(Debug)]
pub struct StateLock {
    _file: fs::File,
    #[cfg(not(unix))]
    path: PathBuf,
}

/// How long [`StateLock::acquire`] waits for another run to finish.
pub const LOCK_WAIT: std::time::Duration = std::time::Duration::from_secs(60);

impl StateLock {
    /// Take the lock, waiting up to [`LOCK_WAIT`] for another run to release it.
    ///
    /// # Errors
    /// `score::state::locked` naming the holder when it is still held after the wait.
    pub fn acquire(dir: &StateDir) -> Result<StateLock, Box<Diagnostic>> {
        Self::acquire_within(dir, LOCK_WAIT)
    }

    /// [`StateLock::acquire`], waiting at most `wait`.
    ///
    /// # Errors
    /// See [`StateLock::acquire`].
    pub fn acquire_within(
        dir: &StateDir,
        wait: std::time::Duration,
    ) -> Result<StateLock, Box<Diagnostic>> {
        let path = dir.path().join("lock");
        let started = std::time::Instant::now();
        loop {
            match Self::try_take(&path) {
                Ok(Some(lock)) => return Ok(lock),
                Ok(None) if started.elapsed() < wait => {
                    std::thread::sleep(std::time::Duration::from_millis(25));
                }
                Ok(None) => return Err(locked(dir, &path)),
                Err(e) => return Err(io_diag("lock", &path, e)),
            }
        }
    }

    #[cfg(unix)]
    fn try_take(path: &Path) -> std::io::Result<Option<StateLock>> {
        use std::os::unix::fs::OpenOptionsExt;
        use std::os::unix::io::AsRawFd;
        let mut file = fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .custom_flags(libc::O_NOFOLLOW)
            .open(path)?;
        // SAFETY: flock on a descriptor this function owns.
        if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } != 0 {
            let e = std::io::Error::last_os_error();
            return match e.raw_os_error() {
                Some(libc::EWOULDBLOCK) => Ok(None),
                _ => Err(e),
            };
        }
        // For the message another run shows while this one holds the lock.
        file.set_len(0)?;
        write!(file, "{}", std::process::id())?;
        Ok(Some(StateLock { _file: file }))
    }

    #[cfg(not(unix))]
    fn try_take(path: &Path) -> std::io::Result<Option<StateLock>> {
        match fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(path)
        {
            Ok(mut file) => {
                write!(file, "{}", std::process::id())?;
                Ok(Some(StateLock {
                    _file: file,
                    path: path.to_path_buf(),
                }))
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(None),
            Err(e) => Err(e),
        }
    }
}

#[cfg(not(unix))]
impl Drop for StateLock {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.path);
    }
}

fn locked(dir: &StateDir, path: &Path) -> Box<Diagnostic> {
    let holder = fs::read_to_string(path)
        .ok()
        .and_then(|s| s.trim().parse::<u32>().ok())
        .map_or_else(String::new, |pid| format!(" (pid {pid})"));
    Box::new(
        Diagnostic::error(
            "score::state::locked",
            format!(
                "another score-rs run{holder} is using `{}`",
                dir.path().display()
            ),
        )
        .with_help(format!(
            "waited {} s for it to finish; run again when it has",
            LOCK_WAIT.as_secs()
        )),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn save_and_load_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let sd = StateDir::new(dir.path().join(STATE_DIR));
        let mut st = State::default();
        st.workloads.insert(
            "web".into(),
            WorkloadRecord {
                source: Some("score.yaml".into()),
                spec: serde_json::json!({"a": "0644"}),
            },
        );
        sd.save(&st).unwrap();
        assert_eq!(sd.load().unwrap(), st);
    }

    #[cfg(unix)]
    #[test]
    fn generated_files_get_exact_modes_when_created_and_replaced() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a/b/secret.env");
        let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
        write_generated(&path, b"one", 0o600).unwrap();
        assert_eq!(
            (fs::read(&path).unwrap(), mode(&path)),
            (b"one".to_vec(), 0o600)
        );
        write_generated(&path, b"two", 0o644).unwrap();
        assert_eq!(
            (fs::read(&path).unwrap(), mode(&path)),
            (b"two".to_vec(), 0o644)
        );
        let fresh = dir.path().join("config.yaml");
        write_generated(&fresh, b"x", 0o644).unwrap();
        assert_eq!(mode(&fresh), 0o644);
        let leftovers: Vec<_> = fs::read_dir(dir.path().join("a/b")).unwrap().collect();
        assert_eq!(leftovers.len(), 1, "no temporary files are left behind");
    }

    #[cfg(unix)]
    #[test]
    fn an_unchanged_state_is_not_rewritten() {
        use std::os::unix::fs::MetadataExt;
        let dir = tempfile::tempdir().unwrap();
        let sd = StateDir::new(dir.path().join(STATE_DIR));
        let mut st = State::default();
        sd.save(&st).unwrap();
        let inode = || fs::metadata(sd.state_file()).unwrap().ino();
        let first = inode();
        sd.save(&st).unwrap();
        assert_eq!(inode(), first, "same state: the file must stay as it was");
        st.project.name = Some("p".into());
        sd.save(&st).unwrap();
        assert_ne!(inode(), first, "a changed state is written via a new file");
        assert_eq!(sd.load().unwrap(), st);
    }

    #[test]
    fn newer_versions_and_unknown_fields_are_refused() {
        let newer = parse_state(&SourceFile::new(
            "state.yaml",
            format!("version: 99\n{END_MARKER}\n"),
        ))
        .unwrap_err();
        assert_eq!(newer.code, "score::state::newer");
        let unknown = parse_state(&SourceFile::new(
            "state.yaml",
            format!("version: 1\nworkloadz: {{}}\n{END_MARKER}\n"),
        ))
        .unwrap_err();
        assert_eq!(unknown.code, "score::state::invalid");
        assert!(unknown.message.contains("workloadz"), "{}", unknown.message);
        let truncated = parse_state(&SourceFile::new(
            "state.yaml",
            "version: 1\nworkloads:\n  web:\n",
        ))
        .unwrap_err();
        assert_eq!(truncated.code, "score::state::truncated");
        let no_version = parse_state(&SourceFile::new(
            "state.yaml",
            format!("workloads: {{}}\n{END_MARKER}\n"),
        ))
        .unwrap_err();
        assert_eq!(no_version.code, "score::state::invalid");
    }

    /// Issue 15, item 15: temporary files had predictable names and were opened without
    /// `O_EXCL`, following a link planted under the name. Now the name is random, the file
    /// created exclusively, and a link at the destination replaced, not followed.
    #[cfg(unix)]
    #[test]
    fn writes_never_open_an_existing_file_or_link() {
        let dir = tempfile::tempdir().unwrap();
        let outside = dir.path().join("outside");
        fs::write(&outside, "keep").unwrap();
        let dest = dir.path().join("out/compose.yaml");
        fs::create_dir(dir.path().join("out")).unwrap();
        // The old temporary name, and the destination, as links to a file elsewhere.
        let old_tmp = dest.with_file_name(format!(".compose.yaml.{}.tmp", std::process::id()));
        std::os::unix::fs::symlink(&outside, &old_tmp).unwrap();
        std::os::unix::fs::symlink(&outside, &dest).unwrap();
        write_atomic(&dest, b"new").unwrap();
        assert_eq!(fs::read_to_string(&outside).unwrap(), "keep");
        assert!(fs::symlink_metadata(&dest).unwrap().is_file());
        assert_eq!(fs::read_to_string(&dest).unwrap(), "new");
        let a = Staged::new(&dest, b"a", false, None).unwrap();
        let b = Staged::new(&dest, b"b", false, None).unwrap();
        assert_ne!(a.tmp, b.tmp, "temporary names are not predictable");
        drop((a, b));
        let left: Vec<_> = fs::read_dir(dir.path().join("out")).unwrap().collect();
        assert_eq!(
            left.len(),
            2,
            "only the destination and the planted link remain"
        );
    }

    /// Issue 15, item 8: a state nesting what validation accepted (params 124 levels deep)
    /// could not be read back; one that nests too deeply for this build is never written.
    #[test]
    fn the_state_reads_back_whatever_it_wrote() {
        let dir = tempfile::tempdir().unwrap();
        let sd = StateDir::new(dir.path().join(STATE_DIR));
        let nested = |depth: usize| {
            (0..depth).fold(
                serde_json::json!("leaf"),
                |v, _| serde_json::json!({ "a": v }),
            )
        };
        let mut st = State::default();
        st.workloads.insert(
            "web".into(),
            WorkloadRecord {
                source: None,
                spec: serde_json::json!({"resources": {"db": {"params": nested(124)}}}),
            },
        );
        sd.save(&st).unwrap();
        assert_eq!(sd.load().unwrap(), st);
        let before = fs::read(sd.state_file()).unwrap();
        st.workloads.get_mut("web").unwrap().spec = nested(MAX_STATE_DEPTH);
        assert_eq!(sd.save(&st).unwrap_err().code, "score::state::too_deep");
        assert_eq!(fs::read(sd.state_file()).unwrap(), before);
    }

    #[test]
    fn json_depth_ignores_brackets_in_strings() {
        assert_eq!(json_depth(r#"{"a": [1, {"b": "[[[{"}], "c": "\"]"}"#), 3);
        assert_eq!(json_depth("1"), 0);
    }

    #[test]
    fn lock_is_exclusive() {
        let dir = tempfile::tempdir().unwrap();
        let sd = StateDir::new(dir.path());
        let first = StateLock::acquire(&sd).unwrap();
        let short = std::time::Duration::from_millis(50);
        let refused = StateLock::acquire_within(&sd, short).unwrap_err();
        assert_eq!(refused.code, "score::state::locked");
        assert!(
            refused
                .message
                .contains(&format!("pid {}", std::process::id())),
            "{}",
            refused.message
        );
        drop(first);
        StateLock::acquire_within(&sd, short).unwrap();
    }

    /// Issue 15, item 4: a run that found the lock file before its owner had written its pid
    /// took the lock as stale and deleted it. Many threads now take turns without ever
    /// holding it together.
    #[cfg(unix)]
    #[test]
    fn the_lock_is_never_held_twice() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        let dir = tempfile::tempdir().unwrap();
        let sd = StateDir::new(dir.path());
        let inside = AtomicUsize::new(0);
        let turns = AtomicUsize::new(0);
        std::thread::scope(|s| {
            for _ in 0..8 {
                s.spawn(|| {
                    for _ in 0..25 {
                        let lock = StateLock::acquire(&sd).unwrap();
                        assert_eq!(inside.fetch_add(1, Ordering::SeqCst), 0, "two holders");
                        turns.fetch_add(1, Ordering::SeqCst);
                        std::thread::yield_now();
                        inside.fetch_sub(1, Ordering::SeqCst);
                        drop(lock);
                    }
                });
            }
        });
        assert_eq!(turns.into_inner(), 200);
    }
}
