//! The generate pipeline: Score files in, a backend's [`Output`] out ([`Generate`]); writing it
//! is a separate step ([`Generated::write`]) that saves the state first.
//!
//! ```
//! use score_core::backend::{Backend, Lowered, Output, OutputFile};
//! use score_core::generate::Generate;
//! use score_core::provision::{Resolved, Target, WorkloadInput};
//! use score_core::store::MemoryStore;
//! use score_core::Diagnostic;
//!
//! /// Lists the workloads' images, one a line.
//! struct Images;
//! impl Backend for Images {
//!     fn name(&self) -> &str { "images" }
//!     fn default_provisioners(&self) -> &str { "[]" }
//!     fn target(&self, _: &[WorkloadInput]) -> Target {
//!         Target { name: "images".into(), ..Target::default() }
//!     }
//!     fn lower(&self, resolved: &Resolved) -> Result<Lowered, Vec<Diagnostic>> {
//!         let images = resolved.workloads.values()
//!             .flat_map(|w| w.workload.containers.values().map(|c| c.image.clone()));
//!         Ok(Lowered::new(images.collect::<Vec<_>>().into()))
//!     }
//!     fn render(&self, lowered: Lowered, _: &Resolved) -> Result<Output, Vec<Diagnostic>> {
//!         let lines: Vec<String> = serde_json::from_value(lowered.document).unwrap_or_default();
//!         let mut out = lowered.output;
//!         out.files.push(OutputFile::new("images.txt", lines.join("\n") + "\n"));
//!         Ok(out)
//!     }
//! }
//!
//! let score = "apiVersion: score.dev/v1b1\nmetadata: {name: web}\ncontainers:\n  main: {image: nginx:1.27}\n";
//! let generated = Generate::new()
//!     .score_text("score.yaml", score)
//!     .run(&Images, MemoryStore::default())
//!     .unwrap();
//! assert_eq!(generated.output.text("images.txt"), Some("nginx:1.27\n"));
//! ```

mod regenerated;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use crate::backend::{Backend, Output, OutputFile};
use crate::diagnostic::{Diagnostic, DiagnosticsExt};
use crate::ir::Workload;
use crate::project::{load_source_with_overrides, load_with_overrides, Overrides, Project};
use crate::provision::{self, Resolved};
use crate::source::SourceFile;
use crate::state::State;
use crate::store::StateStore;

/// A generate run being set up: Score sources, overrides, extra provisioners and patch
/// templates. [`Generate::run`] runs it with a backend and a state store.
#[derive(Debug, Clone, Default)]
pub struct Generate {
    sources: Vec<ScoreSource>,
    overrides: Overrides,
    provisioners: Vec<SourceFile>,
    patch_templates: Vec<SourceFile>,
    prepare: bool,
}

#[derive(Debug, Clone)]
enum ScoreSource {
    Path(PathBuf),
    Text(SourceFile, PathBuf),
}

impl Generate {
    /// A run with no Score files yet (it then renders the workloads the state holds).
    pub fn new() -> Self {
        Generate::default()
    }

    /// Add a Score file (`-` reads standard input).
    #[must_use]
    pub fn score_path(mut self, path: impl Into<PathBuf>) -> Self {
        self.sources.push(ScoreSource::Path(path.into()));
        self
    }

    /// Add Score text held in memory, named `name` in diagnostics; its file `source`s resolve
    /// against the working directory.
    #[must_use]
    pub fn score_text(mut self, name: impl Into<String>, text: impl Into<String>) -> Self {
        let src = SourceFile::new(name.into(), text.into());
        self.sources
            .push(ScoreSource::Text(src, PathBuf::from(".")));
        self
    }

    /// Overrides applied to the (single) Score file before it is validated.
    #[must_use]
    pub fn overrides(mut self, overrides: Overrides) -> Self {
        self.overrides = overrides;
        self
    }

    /// A provisioner file (YAML text) matched before the store's provisioners.
    #[must_use]
    pub fn provisioners_text(mut self, name: impl Into<String>, text: impl Into<String>) -> Self {
        self.provisioners
            .push(SourceFile::new(name.into(), text.into()));
        self
    }

    /// A patch template run after the store's ones.
    #[must_use]
    pub fn patch_template_text(mut self, name: impl Into<String>, text: impl Into<String>) -> Self {
        self.patch_templates
            .push(SourceFile::new(name.into(), text.into()));
        self
    }

    /// Let the backend start writing work early ([`Backend::prepare`]); only for a run whose
    /// output will be written.
    #[must_use]
    pub fn prepare_writes(mut self, prepare: bool) -> Self {
        self.prepare = prepare;
        self
    }

    /// Load the Score sources into the store's state, provision their resources, lower and
    /// render with `backend`. Nothing is written.
    ///
    /// # Errors
    /// Every problem found, after the warnings of the Score files that loaded.
    pub fn run<'a>(
        self,
        backend: &'a dyn Backend,
        store: impl StateStore + 'a,
    ) -> Result<Generated<'a>, Vec<Diagnostic>> {
        self.run_in(backend, Project::with_store(store)?)
    }

    /// [`Generate::run`] in a project opened already (to build the backend's options from its
    /// state, say).
    ///
    /// # Errors
    /// As [`Generate::run`].
    pub fn run_in<'a>(
        self,
        backend: &'a dyn Backend,
        project: Project<'a>,
    ) -> Result<Generated<'a>, Vec<Diagnostic>> {
        let mut warnings = Vec::new();
        match self.run_collecting(backend, project, &mut warnings) {
            Ok(mut g) => {
                g.warnings = warnings;
                Ok(g)
            }
            Err(mut errors) => {
                warnings.append(&mut errors);
                Err(warnings)
            }
        }
    }

    fn run_collecting<'a>(
        self,
        backend: &'a dyn Backend,
        mut project: Project<'a>,
        warnings: &mut Vec<Diagnostic>,
    ) -> Result<Generated<'a>, Vec<Diagnostic>> {
        self.load_sources(&mut project, warnings)?;
        let inputs = project.take_workload_inputs()?;
        if inputs.is_empty() {
            return Err(vec![Diagnostic::error(
                "score::usage::no_workloads",
                "there are no workloads to generate",
            )
            .with_help("pass Score files: `score-rs generate score.yaml`")]);
        }
        let workloads = inputs.len();
        let name = backend.name().to_string();
        let before = regenerated::Before::of(&project.state, &name);
        if self.prepare {
            backend.prepare(&inputs);
        }
        let target = backend.target(&inputs);
        let mut provisioners = Vec::new();
        for src in &self.provisioners {
            provisioners.extend(provision::parse_provisioner_file(src)?);
        }
        let defaults = backend.default_provisioners();
        provisioners.extend(project.provisioners_for(&target, &inputs, defaults)?);
        let mut templates = project.patch_templates()?;
        templates.extend(self.patch_templates);
        let streaming = templates.is_empty().then(|| backend.streaming()).flatten();
        let (resolved, mut output) = if let Some(mut stream) = streaming {
            let resolved = project.provision_with(&target, |state| {
                let each = &mut |r: &mut provision::ProvisionedResource| stream.resource(r);
                provision::provision_owned(state, inputs, &provisioners, &target, each)
            })?;
            let output = stream.finish(&resolved)?;
            (resolved, output)
        } else {
            let resolved = project.provision_with(&target, |state| {
                provision::provision_owned(state, inputs, &provisioners, &target, &mut |_| {})
            })?;
            let output = if templates.is_empty() {
                backend.generate(&resolved)?
            } else {
                let mut lowered = backend.lower(&resolved)?;
                let workloads = resolved.workloads.values().map(|w| &w.workload);
                apply_patches(&templates, &mut lowered.document, workloads, &name)?;
                backend.render(lowered, &resolved)?
            };
            (resolved, output)
        };
        if backend.keeps_secrets() && project.store().project_dir().is_some() {
            let earlier = match output.files.as_slice() {
                [one] => one.path.clone(),
                _ => PathBuf::new(),
            };
            let warning = before.warning(&project.state, &name, &earlier);
            output.warnings.extend(warning);
        }
        Ok(Generated {
            output,
            resolved,
            warnings: Vec::new(),
            workloads,
            project,
            backend,
        })
    }

    /// Load every Score source into the project's state, with the overrides.
    fn load_sources(
        &self,
        project: &mut Project<'_>,
        warnings: &mut Vec<Diagnostic>,
    ) -> Result<(), Vec<Diagnostic>> {
        if !self.overrides.is_empty() && self.sources.len() != 1 {
            return Err(vec![Diagnostic::error(
                "score::usage::overrides",
                "--overrides-file, --override-property and --image need exactly one Score file",
            )
            .with_help("run generate once per Score file that needs overrides")]);
        }
        let mut errors = Vec::new();
        // Two Score files of one run that name the same workload: the later one would silently
        // replace the earlier.
        let mut origin: HashMap<String, String> = HashMap::new();
        for source in &self.sources {
            let loaded = match source {
                ScoreSource::Path(path) => load_with_overrides(path, &self.overrides),
                ScoreSource::Text(src, base) => {
                    load_source_with_overrides(src.clone(), base, &self.overrides)
                }
            };
            match loaded {
                Ok(loaded) => {
                    let name = loaded.workload.name().to_string();
                    let file = loaded.source.name().to_string();
                    if let Some(first) = origin.insert(name.clone(), file.clone()) {
                        errors.push(
                            Diagnostic::error(
                                "score::cli::duplicate_workload",
                                format!("`{first}` and `{file}` both define the workload `{name}`"),
                            )
                            .with_help("give each workload its own `metadata.name`"),
                        );
                        continue;
                    }
                    warnings.extend(loaded.warnings.iter().cloned());
                    project.add_loaded(loaded);
                }
                Err(diags) => errors.extend(diags),
            }
        }
        if errors.has_errors() {
            return Err(errors);
        }
        Ok(())
    }
}

/// Run the patch templates over a backend's document.
fn apply_patches<'w>(
    templates: &[SourceFile],
    doc: &mut Value,
    workloads: impl Iterator<Item = &'w Workload>,
    target: &str,
) -> Result<(), Vec<Diagnostic>> {
    let workloads: Map<String, Value> = workloads
        .map(|w| {
            (
                w.name().to_string(),
                serde_json::to_value(w).unwrap_or_default(),
            )
        })
        .collect();
    for t in templates {
        let mut ctx = Map::new();
        ctx.insert("workloads".into(), Value::Object(workloads.clone()));
        ctx.insert("target".into(), target.into());
        crate::patch::apply_template(t, doc, ctx).map_err(|d| vec![*d])?;
    }
    Ok(())
}

/// The result of [`Generate::run`]: the output in memory, and the new state, which
/// [`Generated::write`] saves before it writes the output.
pub struct Generated<'a> {
    /// What the backend produced, its warnings and info lines included.
    pub output: Output,
    /// The resolved project the backend lowered (workloads and provisioned resources).
    pub resolved: Resolved,
    /// Warnings of the Score files loaded (the backend's are in [`Output::warnings`]).
    pub warnings: Vec<Diagnostic>,
    /// How many workloads were rendered.
    pub workloads: usize,
    project: Project<'a>,
    backend: &'a dyn Backend,
}

impl std::fmt::Debug for Generated<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Generated")
            .field("output", &self.output)
            .field("workloads", &self.workloads)
            .finish_non_exhaustive()
    }
}

impl Generated<'_> {
    /// The state after this run (not saved yet).
    pub fn state(&self) -> &State {
        &self.project.state
    }

    /// Save the state, then write the output ([`crate::output`] gives the order and what a
    /// failure at each step leaves behind): every file is written under a temporary name, the
    /// state is saved, the backend's trees are written, and the files are renamed into place.
    ///
    /// # Errors
    /// An output in the state directory, or the first failure to write.
    ///
    /// The files are taken out of [`Generated::output`]: a second call writes only the state.
    pub fn write(&mut self) -> Result<(), Vec<Diagnostic>> {
        let files: Vec<OutputFile> = std::mem::take(&mut self.output.files)
            .into_iter()
            .chain(std::mem::take(&mut self.output.side_files))
            .collect();
        self.write_files(&files)?;
        remove_stale(&std::mem::take(&mut self.output.stale))
    }

    fn write_files(&mut self, files: &[OutputFile]) -> Result<(), Vec<Diagnostic>> {
        let trees = std::mem::take(&mut self.output.trees);
        let backend = self.backend;
        self.project.commit_files(files, || {
            trees.into_iter().try_for_each(|t| backend.write_tree(t))
        })
    }

    /// Save the state alone, writing no output (an embedding program that keeps the files
    /// itself).
    ///
    /// # Errors
    /// The state cannot be saved.
    pub fn save_state(&mut self) -> Result<(), Vec<Diagnostic>> {
        self.project.save()
    }

    /// Compare every generated file with what is on disk, writing nothing: the main and side
    /// files, then the files of each tree (compose's mounted files and secret env files).
    /// Files an earlier run left in a tree that this run would remove are not reported.
    pub fn check(&self) -> Vec<Difference> {
        let main = self.output.files.iter().chain(&self.output.side_files);
        let main = main.map(|f| (f.path.clone(), f, false));
        // An owner-only file of a tree holds secret values and little else (compose's secret
        // env files): its diff would print them into CI logs. The main files are what users
        // review and commit, so theirs is shown.
        let trees = self.output.trees.iter().flat_map(|t| {
            t.files
                .iter()
                .map(move |f| (t.dir.join(&f.path), f, f.is_secret()))
        });
        let mut differences: Vec<Difference> = main
            .chain(trees)
            .filter_map(|(path, f, hidden)| {
                let on_disk = std::fs::read(&path).ok();
                (on_disk.as_deref() != Some(f.bytes.as_slice())).then(|| Difference {
                    path,
                    expected: f.bytes.clone(),
                    on_disk,
                    hidden,
                    stale: false,
                })
            })
            .collect();
        for path in self.output.stale.iter().filter(|p| is_file(p)) {
            differences.push(Difference {
                path: path.clone(),
                expected: Vec::new(),
                on_disk: std::fs::read(path).ok(),
                hidden: false,
                stale: true,
            });
        }
        differences
    }
}

/// A file whose content on disk differs from what generate renders ([`Generated::check`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Difference {
    /// The file.
    pub path: PathBuf,
    /// What generate renders.
    pub expected: Vec<u8>,
    /// What is on disk; `None` when the file is missing or unreadable.
    pub on_disk: Option<Vec<u8>>,
    /// Print no content of it: an owner-only file of a tree, made of secret values.
    pub hidden: bool,
    /// A file of an earlier run that `write` would remove ([`Output::stale`]).
    pub stale: bool,
}

/// A regular file (not a link) at `path`.
fn is_file(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok_and(|m| m.is_file())
}

/// Remove the files of [`Output::stale`] that exist as regular files (a link there is left
/// alone: it is not a file an earlier run wrote).
fn remove_stale(paths: &[PathBuf]) -> Result<(), Vec<Diagnostic>> {
    let errors: Vec<Diagnostic> = paths
        .iter()
        .filter(|p| is_file(p))
        .filter_map(|p| {
            std::fs::remove_file(p).err().map(|e| {
                Diagnostic::error(
                    "score::io::write",
                    format!("cannot remove `{}`, replaced by this run: {e}", p.display()),
                )
                .with_help("remove it by hand: the tool that reads the output would read both")
            })
        })
        .collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}
