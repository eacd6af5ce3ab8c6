//! A project: the state directory opened for one run (locked), its workloads and provisioners.
//!
//! ```no_run
//! use score_core::project::Project;
//! use score_core::state::StateDir;
//! let mut project = Project::open(&StateDir::new(".score-rs")).unwrap();
//! let loaded = score_core::load::load_path("score.yaml".as_ref()).unwrap();
//! project.add_workload(&loaded);
//! let inputs = project.workload_inputs().unwrap();
//! ```

use std::path::{Path, PathBuf};

use crate::diagnostic::Diagnostic;
use crate::load::{self, LoadedWorkload};
use crate::provision::{self, ProvisionedResource, Provisioner, Resolved, Target, WorkloadInput};
use crate::source::SourceFile;
use crate::state::{State, StateDir, StateLock, TargetState, WorkloadRecord};
use crate::{overrides, yaml};

/// File names ending with this in the state directory are patch templates.
pub const PATCH_TEMPLATE_SUFFIX: &str = ".patch.tpl";

/// An open, locked project.
#[derive(Debug)]
pub struct Project {
    dir: StateDir,
    /// The state as loaded (and changed by this run).
    pub state: State,
    _lock: StateLock,
}

impl Project {
    /// Lock and load the state directory.
    pub fn open(dir: &StateDir) -> Result<Project, Box<Diagnostic>> {
        if !dir.exists() {
            return Err(Box::new(
                Diagnostic::error(
                    "score::state::missing",
                    format!("no project state in `{}`", dir.path().display()),
                )
                .with_help("run `score-rs init` first"),
            ));
        }
        let lock = StateLock::acquire(dir)?;
        let state = dir.load()?;
        Ok(Project {
            dir: dir.clone(),
            state,
            _lock: lock,
        })
    }

    /// The state directory.
    pub fn dir(&self) -> &StateDir {
        &self.dir
    }

    /// Add or replace a workload (by name).
    pub fn add_workload(&mut self, loaded: &LoadedWorkload) {
        let spec = serde_json::to_value(&loaded.workload).unwrap_or_default();
        let source = Some(loaded.source.name().to_string()).filter(|s| s != load::STDIN_NAME);
        self.state.workloads.insert(
            loaded.workload.name().to_string(),
            WorkloadRecord { source, spec },
        );
    }

    /// Remove a workload; false when there was none of that name.
    pub fn remove_workload(&mut self, name: &str) -> bool {
        self.state.workloads.remove(name).is_some()
    }

    /// Every workload in state, typed, in name order.
    pub fn workload_inputs(&self) -> Result<Vec<WorkloadInput>, Vec<Diagnostic>> {
        let mut out = Vec::new();
        let mut errors = Vec::new();
        for (name, rec) in &self.state.workloads {
            match serde_json::from_value(rec.spec.clone()) {
                Ok(workload) => {
                    let base_dir = rec.source.as_deref().map_or_else(|| PathBuf::from("."), |s| load::base_dir_of(Path::new(s)));
                    out.push(WorkloadInput { workload, base_dir });
                }
                Err(e) => errors.push(
                    Diagnostic::error("score::state::invalid", format!("workload `{name}` in the state is invalid: {e}"))
                        .with_help("re-run `score-rs generate` with its Score file, or remove it with `score-rs workloads remove`"),
                ),
            }
        }
        if errors.is_empty() {
            Ok(out)
        } else {
            Err(errors)
        }
    }

    /// The installed provisioners in match order.
    pub fn provisioners(&self) -> Result<Vec<Provisioner>, Vec<Diagnostic>> {
        provision::load_provisioner_files(self.dir.path())
    }

    /// The installed patch templates in file-name order.
    pub fn patch_templates(&self) -> Result<Vec<SourceFile>, Vec<Diagnostic>> {
        let mut paths: Vec<PathBuf> = std::fs::read_dir(self.dir.path())
            .map_err(|e| vec![Diagnostic::error("score::io::read", e.to_string())])?
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.to_string_lossy().ends_with(PATCH_TEMPLATE_SUFFIX))
            .collect();
        paths.sort();
        paths
            .iter()
            .map(|p| load::read_source(p).map_err(|d| vec![*d]))
            .collect()
    }

    /// Provision every workload's resources for `target` (its own state section).
    pub fn provision(
        &mut self,
        target: &Target,
        inputs: &[WorkloadInput],
    ) -> Result<Resolved, Vec<Diagnostic>> {
        self.provision_with(target, |state, provisioners| {
            provision::provision(state, inputs, provisioners, target)
        })
    }

    /// [`Project::provision`] that moves `inputs` into the result instead of copying them, and
    /// shows `each` every resource as soon as it is provisioned ([`provision::provision_owned`]).
    pub fn provision_owned(
        &mut self,
        target: &Target,
        inputs: Vec<WorkloadInput>,
        mut each: impl FnMut(&mut ProvisionedResource),
    ) -> Result<Resolved, Vec<Diagnostic>> {
        self.provision_with(target, |state, provisioners| {
            provision::provision_owned(state, inputs, provisioners, target, &mut each)
        })
    }

    fn provision_with(
        &mut self,
        target: &Target,
        run: impl FnOnce(&mut TargetState, &[Provisioner]) -> Result<Resolved, Vec<Diagnostic>>,
    ) -> Result<Resolved, Vec<Diagnostic>> {
        let provisioners = provision::load_provisioner_files_for(self.dir.path(), &target.name)?;
        let section = self.state.targets.entry(target.name.clone()).or_default();
        // Work on a copy: a failed run must not leave half-updated state behind.
        let mut scratch = section.clone();
        let resolved = run(&mut scratch, &provisioners)?;
        *section = scratch;
        Ok(resolved)
    }

    /// Write the state atomically.
    pub fn save(&self) -> Result<(), Box<Diagnostic>> {
        self.dir.save(&self.state)
    }
}

/// Overrides given on the command line.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    /// `--overrides-file`.
    pub file: Option<PathBuf>,
    /// `--override-property` values.
    pub properties: Vec<String>,
    /// `--image`.
    pub image: Option<String>,
}

impl Overrides {
    /// Whether any override is set.
    pub fn is_empty(&self) -> bool {
        self.file.is_none() && self.properties.is_empty() && self.image.is_none()
    }
}

/// Load a Score file with overrides applied before validation.
pub fn load_with_overrides(path: &Path, o: &Overrides) -> Result<LoadedWorkload, Vec<Diagnostic>> {
    let src = load::read_source(path).map_err(|d| vec![*d])?;
    let file = match &o.file {
        Some(f) => Some(load::read_source(f).map_err(|d| vec![*d])?),
        None => None,
    };
    let mut edit = |tree: &mut yaml::Node, _: &SourceFile| {
        let mut diags = Vec::new();
        if let Some(f) = &file {
            diags.extend(overrides::apply_file(tree, f));
        }
        diags.extend(overrides::apply_properties(tree, &o.properties));
        if let Some(image) = &o.image {
            overrides::set_image(tree, image);
        }
        diags
    };
    load::load_source(src, &load::base_dir_of(path), Some(&mut edit))
}
