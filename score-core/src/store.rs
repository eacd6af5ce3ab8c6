//! Where a project's state and provisioners live: the [`StateStore`] trait, the `.score-rs/`
//! directory ([`DirStore`], what the CLI uses) and an in-memory store ([`MemoryStore`], for
//! embedding and tests: it touches no disk).
//!
//! ```
//! use score_core::store::{MemoryStore, StateStore};
//! let mut store = MemoryStore::default();
//! let mut state = store.load().unwrap();
//! state.project.name = Some("demo".into());
//! store.save(&state).unwrap();
//! assert_eq!(store.state.project.name.as_deref(), Some("demo"));
//! ```

use std::path::{Path, PathBuf};

use crate::diagnostic::Diagnostic;
use crate::provision::{self, Need, Provisioner, Target, WorkloadInput};
use crate::source::SourceFile;
use crate::state::{State, StateDir, StateLock};

/// The state of a project and the provisioners and patch templates installed in it.
pub trait StateStore {
    /// The state as stored.
    ///
    /// # Errors
    /// The state cannot be read or is invalid.
    fn load(&mut self) -> Result<State, Vec<Diagnostic>>;

    /// Keep `state`; a failure must leave the previous state as it was.
    ///
    /// # Errors
    /// The state cannot be written.
    fn save(&mut self, state: &State) -> Result<(), Vec<Diagnostic>>;

    /// The provisioners that may serve the resources of `workloads` on `target`, in match
    /// order. `defaults` is the backend's own provisioner text
    /// ([`crate::backend::Backend::default_provisioners`]): a store whose project installed it
    /// already (as `init` does) ignores it.
    ///
    /// # Errors
    /// A provisioner file cannot be read or parsed.
    fn provisioners(
        &self,
        target: &Target,
        workloads: &[WorkloadInput],
        defaults: &str,
    ) -> Result<Vec<Provisioner>, Vec<Diagnostic>>;

    /// The patch templates, in the order they run.
    ///
    /// # Errors
    /// A template cannot be read.
    fn patch_templates(&self) -> Result<Vec<SourceFile>, Vec<Diagnostic>>;

    /// The project directory on disk: Score file paths kept in the state must lie inside it,
    /// and earlier outputs are read from it (for the regenerated-secrets warning). `None`: the
    /// store is not on disk and nothing is read.
    fn project_dir(&self) -> Option<&Path> {
        None
    }

    /// A directory that outputs may not be written into (the state directory).
    fn state_dir(&self) -> Option<&Path> {
        None
    }
}

impl<S: StateStore + ?Sized> StateStore for &mut S {
    fn load(&mut self) -> Result<State, Vec<Diagnostic>> {
        (**self).load()
    }
    fn save(&mut self, state: &State) -> Result<(), Vec<Diagnostic>> {
        (**self).save(state)
    }
    fn provisioners(
        &self,
        target: &Target,
        workloads: &[WorkloadInput],
        defaults: &str,
    ) -> Result<Vec<Provisioner>, Vec<Diagnostic>> {
        (**self).provisioners(target, workloads, defaults)
    }
    fn patch_templates(&self) -> Result<Vec<SourceFile>, Vec<Diagnostic>> {
        (**self).patch_templates()
    }
    fn project_dir(&self) -> Option<&Path> {
        (**self).project_dir()
    }
    fn state_dir(&self) -> Option<&Path> {
        (**self).state_dir()
    }
}

/// File names ending with this in the state directory are patch templates.
pub const PATCH_TEMPLATE_SUFFIX: &str = ".patch.tpl";

/// The `.score-rs/` directory of a project, locked for as long as the store lives (a second
/// run waits for the first), written atomically.
#[derive(Debug)]
pub struct DirStore {
    dir: StateDir,
    /// The project directory: the working directory of the run, canonical.
    root: PathBuf,
    /// Whether parsed provisioner files are cached in the state directory.
    cache: bool,
    _lock: StateLock,
}

impl DirStore {
    /// Lock the state directory `dir` (made by `score-rs init`).
    ///
    /// # Errors
    /// `score::state::missing` when there is no state, or the lock cannot be taken.
    pub fn open(dir: &StateDir) -> Result<DirStore, Box<Diagnostic>> {
        if !dir.exists() {
            return Err(Box::new(
                Diagnostic::error(
                    "score::state::missing",
                    format!("no project state in `{}`", dir.path().display()),
                )
                .with_help("run `score-rs init` first"),
            ));
        }
        let root = crate::boundary::project_dir().map_err(|e| {
            Box::new(Diagnostic::error(
                "score::io::read",
                format!("cannot resolve the working directory: {e}"),
            ))
        })?;
        let lock = StateLock::acquire(dir)?;
        Ok(DirStore {
            dir: dir.clone(),
            root,
            cache: true,
            _lock: lock,
        })
    }

    /// Write nothing into the state directory, not even the provisioner parse cache
    /// (`generate --check`).
    #[must_use]
    pub fn read_only(mut self) -> Self {
        self.cache = false;
        self
    }

    /// The state directory.
    pub fn dir(&self) -> &StateDir {
        &self.dir
    }
}

impl StateStore for DirStore {
    fn load(&mut self) -> Result<State, Vec<Diagnostic>> {
        self.dir.load().map_err(|d| vec![*d])
    }

    fn save(&mut self, state: &State) -> Result<(), Vec<Diagnostic>> {
        self.dir.save(state).map_err(|d| vec![*d])
    }

    fn provisioners(
        &self,
        target: &Target,
        workloads: &[WorkloadInput],
        _defaults: &str,
    ) -> Result<Vec<Provisioner>, Vec<Diagnostic>> {
        let needs: Vec<Need> = workloads
            .iter()
            .flat_map(|w| {
                let workload = w.workload.name();
                w.workload.resources.iter().map(move |(name, r)| Need {
                    kind: &r.kind,
                    class: r.class(),
                    id: match &r.id {
                        Some(id) => id.as_str().into(),
                        None => format!("{workload}.{name}").into(),
                    },
                })
            })
            .collect();
        let keys = &target.artifact_keys;
        let dir = self.dir.path();
        provision::load_provisioners_serving(dir, self.cache, &target.name, keys, &needs)
    }

    fn patch_templates(&self) -> Result<Vec<SourceFile>, Vec<Diagnostic>> {
        let mut paths: Vec<PathBuf> = std::fs::read_dir(self.dir.path())
            .map_err(|e| vec![Diagnostic::error("score::io::read", e.to_string())])?
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.to_string_lossy().ends_with(PATCH_TEMPLATE_SUFFIX))
            .collect();
        paths.sort();
        paths
            .iter()
            .map(|p| crate::load::read_source(p).map_err(|d| vec![*d]))
            .collect()
    }

    fn project_dir(&self) -> Option<&Path> {
        Some(&self.root)
    }

    fn state_dir(&self) -> Option<&Path> {
        Some(self.dir.path())
    }
}

/// A store in memory: the state, provisioner files and patch templates as values.
///
/// Its provisioners are its own [`MemoryStore::provisioners`] files, in order, then the
/// backend's defaults.
#[derive(Debug, Clone, Default)]
pub struct MemoryStore {
    /// The state; [`StateStore::save`] replaces it.
    pub state: State,
    /// Provisioner files (YAML text), matched before the backend's defaults.
    pub provisioners: Vec<SourceFile>,
    /// Patch templates, in the order they run.
    pub patch_templates: Vec<SourceFile>,
}

impl StateStore for MemoryStore {
    fn load(&mut self) -> Result<State, Vec<Diagnostic>> {
        Ok(self.state.clone())
    }

    fn save(&mut self, state: &State) -> Result<(), Vec<Diagnostic>> {
        self.state = state.clone();
        Ok(())
    }

    fn provisioners(
        &self,
        target: &Target,
        _workloads: &[WorkloadInput],
        defaults: &str,
    ) -> Result<Vec<Provisioner>, Vec<Diagnostic>> {
        let name = format!(
            "zz-default-{}{}",
            target.name,
            provision::PROVISIONER_FILE_SUFFIX
        );
        let defaults = SourceFile::new(name, defaults);
        let mut out = Vec::new();
        let mut errors = Vec::new();
        for src in self.provisioners.iter().chain([&defaults]) {
            match provision::parse_provisioner_file(src) {
                Ok(entries) => out.extend(entries),
                Err(mut e) => errors.append(&mut e),
            }
        }
        if errors.is_empty() {
            Ok(out)
        } else {
            Err(errors)
        }
    }

    fn patch_templates(&self) -> Result<Vec<SourceFile>, Vec<Diagnostic>> {
        Ok(self.patch_templates.clone())
    }
}
