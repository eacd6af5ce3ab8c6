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

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::diagnostic::Diagnostic;
use crate::ir::Workload;
use crate::load::{self, LoadedWorkload};
use crate::provision::{
    self, Need, ProvisionedResource, Provisioner, Resolved, Target, WorkloadInput,
};
use crate::source::SourceFile;
use crate::state::{State, StateDir, StateLock, TargetState, WorkloadRecord};
use crate::{overrides, yaml};

/// File names ending with this in the state directory are patch templates.
pub const PATCH_TEMPLATE_SUFFIX: &str = ".patch.tpl";

/// An open, locked project.
#[derive(Debug)]
pub struct Project {
    dir: StateDir,
    /// The project directory (the working directory of the run, canonical): every Score file
    /// of the project lies inside it ([`crate::boundary`]).
    root: PathBuf,
    /// The state as loaded (and changed by this run).
    pub state: State,
    /// Typed workloads added by this run ([`Project::add_loaded`]), by name: their state record
    /// holds the same workload as JSON, which need not be parsed back.
    fresh: HashMap<String, Workload>,
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
        let root = crate::boundary::project_dir().map_err(|e| {
            Box::new(Diagnostic::error(
                "score::io::read",
                format!("cannot resolve the working directory: {e}"),
            ))
        })?;
        let lock = StateLock::acquire(dir)?;
        let state = dir.load()?;
        Ok(Project {
            dir: dir.clone(),
            root,
            state,
            fresh: HashMap::new(),
            _lock: lock,
        })
    }

    /// The state directory.
    pub fn dir(&self) -> &StateDir {
        &self.dir
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

    /// [`Project::add_workload`], keeping the typed workload for [`Project::take_workload_inputs`].
    pub fn add_loaded(&mut self, loaded: LoadedWorkload) {
        self.add_workload(&loaded);
        self.fresh
            .insert(loaded.workload.name().to_string(), loaded.workload);
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
        mut typed: impl FnMut(&str) -> Option<Workload>,
    ) -> Result<Vec<WorkloadInput>, Vec<Diagnostic>> {
        let mut out = Vec::new();
        let mut errors = Vec::new();
        for (name, rec) in &self.state.workloads {
            // Workloads added by this run passed the loader; the others come from a state
            // file that may have been edited or committed by someone else, and are held to
            // the same rules before anything is read or written for them.
            let (workload, named_this_run) = match typed(name) {
                Some(w) => (Ok(w), true),
                None => (stored_workload(name, &rec.spec), false),
            };
            let reads_sources = workload.as_ref().is_ok_and(reads_file_sources);
            let base_dir = self.base_dir(
                name,
                rec.source.as_deref(),
                named_this_run || !reads_sources,
            );
            match (workload, base_dir) {
                (Ok(workload), Ok(base_dir)) => out.push(WorkloadInput { workload, base_dir }),
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
        let provisioners = self.provisioners_for(target, inputs)?;
        self.provision_with(target, |state| {
            provision::provision(state, inputs, &provisioners, target)
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
        let provisioners = self.provisioners_for(target, &inputs)?;
        self.provision_with(target, |state| {
            provision::provision_owned(state, inputs, &provisioners, target, &mut each)
        })
    }

    /// The provisioner entries that can serve the resources of `inputs`.
    fn provisioners_for(
        &self,
        target: &Target,
        inputs: &[WorkloadInput],
    ) -> Result<Vec<Provisioner>, Vec<Diagnostic>> {
        let needs: Vec<Need> = inputs
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
        provision::load_provisioners_serving(self.dir.path(), &target.name, keys, &needs)
    }

    fn provision_with(
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

    /// Write the state atomically.
    pub fn save(&self) -> Result<(), Box<Diagnostic>> {
        self.dir.save(&self.state)
    }

    /// Save the state, then write `outputs` ([`crate::output::commit`]): a run that fails
    /// before the state is saved changes nothing, and no output ever holds a generated value
    /// the saved state does not.
    ///
    /// # Errors
    /// See [`crate::output::commit`].
    pub fn commit(&self, outputs: crate::output::Outputs) -> Result<(), Vec<Diagnostic>> {
        crate::output::commit(&self.dir, &self.state, outputs)
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
    if o.is_empty() {
        // No edit hook: the loader may take its fast path.
        return load::load_source(src, &load::base_dir_of(path), None);
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
    load::load_source(src, &load::base_dir_of(path), Some(&mut edit))
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
