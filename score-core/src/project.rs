//! A project: a [`StateStore`] opened for one run, its workloads and provisioners.
//!
//! ```no_run
//! use score_core::project::Project;
//! use score_core::state::StateDir;
//! let mut project = Project::open(&StateDir::new(".score-rs")).unwrap();
//! let loaded = score_core::load::load_path("score.yaml".as_ref()).unwrap();
//! project.add_workload(&loaded);
//! let inputs = project.workload_inputs().unwrap();
//! ```

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::diagnostic::Diagnostic;
use crate::ir::Workload;
use crate::load::{self, LoadedWorkload, Origin};
use crate::provision::{self, ProvisionedResource, Resolved, Target, WorkloadInput};
use crate::source::SourceFile;
use crate::state::{State, StateDir, TargetState, WorkloadRecord};
use crate::store::{DirStore, StateStore};
use crate::{overrides, yaml};

pub use crate::store::PATCH_TEMPLATE_SUFFIX;

/// An open project: its state, loaded from a store (and locked while it lives, for the
/// `.score-rs/` directory).
pub struct Project<'s> {
    store: Box<dyn StateStore + 's>,
    /// The project directory (the working directory of the run, canonical): every Score file
    /// of the project lies inside it ([`crate::boundary`]).
    root: PathBuf,
    /// The state as loaded (and changed by this run).
    pub state: State,
    /// Typed workloads added by this run ([`Project::add_loaded`]), by name, with their Score
    /// files: their state record holds the same workload as JSON, which need not be parsed
    /// back, and diagnostics of later stages can point into the file.
    fresh: HashMap<String, (Workload, Origin)>,
}

impl std::fmt::Debug for Project<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Project")
            .field("root", &self.root)
            .field("state", &self.state)
            .finish_non_exhaustive()
    }
}

impl Project<'static> {
    /// Lock and load the state directory.
    ///
    /// # Errors
    /// As [`DirStore::open`], or the state cannot be read.
    pub fn open(dir: &StateDir) -> Result<Project<'static>, Box<Diagnostic>> {
        let store = DirStore::open(dir)?;
        Project::with_store(store).map_err(|mut d| Box::new(d.remove(0)))
    }
}

impl<'s> Project<'s> {
    /// Load the state of `store`.
    ///
    /// # Errors
    /// The state cannot be read.
    pub fn with_store(store: impl StateStore + 's) -> Result<Project<'s>, Vec<Diagnostic>> {
        let mut store: Box<dyn StateStore + 's> = Box::new(store);
        let state = store.load()?;
        let root = match store.project_dir() {
            Some(dir) => dir.to_path_buf(),
            None => crate::boundary::project_dir().unwrap_or_else(|_| PathBuf::from(".")),
        };
        Ok(Project {
            store,
            root,
            state,
            fresh: HashMap::new(),
        })
    }

    /// The store the project was loaded from.
    pub fn store(&self) -> &dyn StateStore {
        &*self.store
    }

    /// The project directory: the working directory of the run.
    pub fn root(&self) -> &Path {
        &self.root
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

    /// [`Project::add_workload`], keeping the typed workload and its file for
    /// [`Project::take_workload_inputs`].
    pub fn add_loaded(&mut self, loaded: LoadedWorkload) {
        self.add_workload(&loaded);
        let (workload, _, origin) = loaded.into_parts();
        self.fresh
            .insert(workload.name().to_string(), (workload, origin));
    }

    /// Remove a workload; false when there was none of that name.
    pub fn remove_workload(&mut self, name: &str) -> bool {
        self.fresh.remove(name);
        self.state.workloads.remove(name).is_some()
    }

    /// Every workload in state, typed, in name order.
    pub fn workload_inputs(&self) -> Result<Vec<WorkloadInput>, Vec<Diagnostic>> {
        self.inputs_with(|name| self.fresh.get(name).cloned())
    }

    /// [`Project::workload_inputs`], moving out the workloads this run added instead of
    /// parsing their JSON back (a later call parses them from the state again).
    pub fn take_workload_inputs(&mut self) -> Result<Vec<WorkloadInput>, Vec<Diagnostic>> {
        let mut fresh = std::mem::take(&mut self.fresh);
        self.inputs_with(|name| fresh.remove(name))
    }

    fn inputs_with(
        &self,
        mut typed: impl FnMut(&str) -> Option<(Workload, Origin)>,
    ) -> Result<Vec<WorkloadInput>, Vec<Diagnostic>> {
        let mut out = Vec::new();
        let mut errors = Vec::new();
        for (name, rec) in &self.state.workloads {
            // Workloads added by this run passed the loader; the others come from a state
            // file that may have been edited or committed by someone else, and are held to
            // the same rules before anything is read or written for them.
            let (workload, origin, named_this_run) = match typed(name) {
                Some((w, origin)) => (Ok(w), Some(origin), true),
                None => (stored_workload(name, &rec.spec), None, false),
            };
            let reads_sources = workload.as_ref().is_ok_and(reads_file_sources);
            let base_dir = self.base_dir(
                name,
                rec.source.as_deref(),
                named_this_run || !reads_sources,
            );
            match (workload, base_dir) {
                (Ok(workload), Ok(base_dir)) => out.push(WorkloadInput {
                    workload,
                    base_dir,
                    origin,
                }),
                (Err(d), _) | (_, Err(d)) => errors.push(d.with_help(
                    "re-run `score-rs generate` with its Score file, or remove it with `score-rs workloads remove`",
                )),
            }
        }
        if errors.is_empty() {
            Ok(out)
        } else {
            Err(errors)
        }
    }

    /// The directory a workload's file `source`s resolve against: its Score file's.
    ///
    /// A Score file the user named on this run's command line may live anywhere (as with
    /// score-compose, `generate ../svc/score.yaml` is fine), and so may one nothing will be
    /// read beside (`trusted`). Otherwise a path that comes only from the state file must lie
    /// inside the project directory: an edited or foreign state file must not make us read
    /// files outside it.
    fn base_dir(
        &self,
        name: &str,
        source: Option<&str>,
        trusted: bool,
    ) -> Result<PathBuf, Diagnostic> {
        let Some(source) = source else {
            return Ok(PathBuf::from(".")); // read from standard input
        };
        let path = Path::new(source);
        if trusted || crate::boundary::is_inside(&self.root, path) {
            Ok(load::base_dir_of(path))
        } else {
            Err(Diagnostic::error(
                "score::project::outside",
                format!(
                    "workload `{name}` comes from `{source}`, outside the project directory `{}`",
                    self.root.display()
                ),
            ))
        }
    }

    /// The installed patch templates in the order they run.
    ///
    /// # Errors
    /// A template cannot be read.
    pub fn patch_templates(&self) -> Result<Vec<SourceFile>, Vec<Diagnostic>> {
        self.store.patch_templates()
    }

    /// The provisioners that may serve the resources of `inputs` on `target`, in match order;
    /// `defaults`: the backend's own provisioner text (see [`StateStore::provisioners`]).
    ///
    /// # Errors
    /// A provisioner file cannot be read or parsed.
    pub fn provisioners_for(
        &self,
        target: &Target,
        inputs: &[WorkloadInput],
        defaults: &str,
    ) -> Result<Vec<provision::Provisioner>, Vec<Diagnostic>> {
        self.store.provisioners(target, inputs, defaults)
    }

    /// Provision every workload's resources for `target` (its own state section).
    ///
    /// # Errors
    /// Every problem found; the state is left as it was.
    pub fn provision(
        &mut self,
        target: &Target,
        inputs: &[WorkloadInput],
    ) -> Result<Resolved, Vec<Diagnostic>> {
        let provisioners = self.provisioners_for(target, inputs, "[]")?;
        self.provision_with(target, |state| {
            provision::provision(state, inputs, &provisioners, target)
        })
    }

    /// [`Project::provision`] that moves `inputs` into the result instead of copying them, and
    /// shows `each` every resource as soon as it is provisioned ([`provision::provision_owned`]).
    ///
    /// # Errors
    /// As [`Project::provision`].
    pub fn provision_owned(
        &mut self,
        target: &Target,
        inputs: Vec<WorkloadInput>,
        mut each: impl FnMut(&mut ProvisionedResource),
    ) -> Result<Resolved, Vec<Diagnostic>> {
        let provisioners = self.provisioners_for(target, &inputs, "[]")?;
        self.provision_with(target, |state| {
            provision::provision_owned(state, inputs, &provisioners, target, &mut each)
        })
    }

    /// Run `run` on a copy of `target`'s state section, kept only when it succeeds.
    pub(crate) fn provision_with(
        &mut self,
        target: &Target,
        run: impl FnOnce(&mut TargetState) -> Result<Resolved, Vec<Diagnostic>>,
    ) -> Result<Resolved, Vec<Diagnostic>> {
        let section = self.state.targets.entry(target.name.clone()).or_default();
        // Work on a copy: a failed run must not leave half-updated state behind.
        let mut scratch = section.clone();
        let resolved = run(&mut scratch)?;
        *section = scratch;
        Ok(resolved)
    }

    /// Save the state.
    ///
    /// # Errors
    /// The state cannot be written; the stored one is left as it was.
    pub fn save(&mut self) -> Result<(), Vec<Diagnostic>> {
        self.store.save(&self.state)
    }

    /// Save the state, then write `outputs` ([`crate::output::commit`]): a run that fails
    /// before the state is saved changes nothing, and no output ever holds a generated value
    /// the saved state does not.
    ///
    /// # Errors
    /// See [`crate::output::commit`].
    pub fn commit(&mut self, outputs: crate::output::Outputs) -> Result<(), Vec<Diagnostic>> {
        let deferred = || outputs.deferred.into_iter().try_for_each(|job| job());
        self.commit_files(&outputs.files, deferred)
    }

    /// [`Project::commit`] with the work that runs once the state is saved as a closure.
    ///
    /// # Errors
    /// See [`crate::output::commit`].
    pub fn commit_files(
        &mut self,
        files: &[crate::output::OutputFile],
        after_save: impl FnOnce() -> Result<(), Vec<Diagnostic>>,
    ) -> Result<(), Vec<Diagnostic>> {
        let (store, state) = (&mut self.store, &self.state);
        let state_dir = store.state_dir().map(Path::to_path_buf);
        let save = || store.save(state);
        crate::output::commit_with(state_dir.as_deref(), save, files, after_save)
    }
}

/// A workload read back from the state, checked as its Score file was: the schema, the name it
/// is stored under, and file `source`s that stay inside the Score file's directory.
fn stored_workload(name: &str, spec: &serde_json::Value) -> Result<Workload, Diagnostic> {
    let invalid = |why: String| {
        Diagnostic::error(
            "score::state::invalid",
            format!("workload `{name}` in the state is invalid: {why}"),
        )
    };
    if !crate::schema::is_valid(spec) {
        return Err(invalid("it does not pass the Score schema".into()));
    }
    let workload: Workload =
        serde_json::from_value(spec.clone()).map_err(|e| invalid(e.to_string()))?;
    if workload.name() != name {
        return Err(invalid(format!(
            "it is stored under `{name}` but named `{}`",
            workload.name()
        )));
    }
    for (cname, c) in &workload.containers {
        for (target, f) in &c.files {
            if let crate::ir::FileContent::Source(source) = &f.content {
                if let Err(e) = crate::boundary::check_relative(source) {
                    return Err(invalid(format!(
                        "containers.{cname}.files[{target}]: source `{source}`: {e}"
                    )));
                }
            }
        }
    }
    Ok(workload)
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
    load_source_with_overrides(src, &load::base_dir_of(path), o)
}

/// [`load_with_overrides`] for Score text in memory; file `source`s resolve against `base_dir`.
///
/// # Errors
/// Every diagnostic found when the file or the overrides are invalid.
pub fn load_source_with_overrides(
    src: SourceFile,
    base_dir: &Path,
    o: &Overrides,
) -> Result<LoadedWorkload, Vec<Diagnostic>> {
    if o.is_empty() {
        // No edit hook: the loader may take its fast path.
        return load::load_source(src, base_dir, None);
    }
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
    load::load_source(src, base_dir, Some(&mut edit))
}

/// Whether generating `workload` reads files beside its Score file (container files with a
/// `source`): only then does the directory recorded for it matter to the project boundary.
fn reads_file_sources(workload: &Workload) -> bool {
    workload.containers.values().any(|c| {
        c.files
            .values()
            .any(|f| matches!(f.content, crate::ir::FileContent::Source(_)))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn loaded(name: &str, image: &str) -> LoadedWorkload {
        let text = format!(
            "apiVersion: score.dev/v1b1\nmetadata: {{name: {name}}}\ncontainers:\n  main: {{image: {image}}}\n"
        );
        load::load_source(SourceFile::new("w/score.yaml", text), Path::new("w"), None).unwrap()
    }

    #[test]
    fn added_workloads_are_handed_over_typed_and_kept_in_state() {
        let dir = tempfile::tempdir().unwrap();
        let sd = StateDir::new(dir.path().join(crate::state::STATE_DIR));
        sd.save(&State::default()).unwrap();
        let mut project = Project::open(&sd).unwrap();
        project.add_loaded(loaded("web", "nginx:1"));
        project.add_loaded(loaded("web", "nginx:2")); // same name: the later one wins
        project.add_loaded(loaded("api", "api:1"));
        project.add_loaded(loaded("gone", "x"));
        assert!(project.remove_workload("gone"));
        let parsed = project.workload_inputs().unwrap();
        let taken = project.take_workload_inputs().unwrap();
        let again = project.take_workload_inputs().unwrap(); // from the state's JSON now
        let names = |v: &[WorkloadInput]| -> Vec<String> {
            v.iter()
                .map(|i| {
                    format!(
                        "{}={}",
                        i.workload.name(),
                        i.workload.containers["main"].image
                    )
                })
                .collect()
        };
        assert_eq!(names(&taken), ["api=api:1", "web=nginx:2"]);
        for other in [&parsed, &again] {
            assert_eq!(names(other), names(&taken));
            let same = other
                .iter()
                .zip(&taken)
                .all(|(a, b)| a.workload == b.workload && a.base_dir == b.base_dir);
            assert!(same);
        }
        assert!(project.fresh.is_empty());
    }
}
