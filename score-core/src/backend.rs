//! The [`Backend`] trait: what a target (compose, Kubernetes, Terraform, or your own) plugs into
//! the generate pipeline ([`crate::generate`]), and the [`Output`] it produces.
//!
//! A backend describes itself to the provisioner engine ([`Backend::target`]), lowers the
//! resolved project to a document that patch templates may edit ([`Backend::lower`]), and
//! renders that document to files ([`Backend::render`]). The [`Resolved`] project it receives is
//! plain serialisable data, so a backend could as well be a separate program that reads it as
//! JSON.
//!
//! A whole backend in a few lines, writing one `.env` file per workload:
//!
//! ```
//! use score_core::backend::{Backend, Lowered, Output, OutputFile};
//! use score_core::provision::{Resolved, Target, WorkloadInput};
//! use score_core::Diagnostic;
//!
//! struct DotEnv;
//! impl Backend for DotEnv {
//!     fn name(&self) -> &str { "dotenv" }
//!     fn default_provisioners(&self) -> &str { "[]" }
//!     fn target(&self, _: &[WorkloadInput]) -> Target {
//!         Target { name: "dotenv".into(), ..Target::default() }
//!     }
//!     fn lower(&self, resolved: &Resolved) -> Result<Lowered, Vec<Diagnostic>> {
//!         let names: Vec<&String> = resolved.workloads.keys().collect();
//!         Ok(Lowered::new(serde_json::json!(names)))
//!     }
//!     fn render(&self, lowered: Lowered, _: &Resolved) -> Result<Output, Vec<Diagnostic>> {
//!         let mut out = lowered.output;
//!         for name in lowered.document.as_array().into_iter().flatten() {
//!             let name = name.as_str().unwrap_or_default();
//!             out.files.push(OutputFile::new(format!("{name}.env"), format!("NAME={name}\n")));
//!         }
//!         Ok(out)
//!     }
//! }
//! assert_eq!(DotEnv.name(), "dotenv");
//! ```

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::diagnostic::Diagnostic;
use crate::provision::{ProvisionedResource, Resolved, Target, WorkloadInput};

pub use crate::output::OutputFile;

/// A target that the generate pipeline can lower a Score project to.
pub trait Backend {
    /// The target name (`compose`, `k8s`, `terraform`): the state section its resources are
    /// kept in and the `targets` value of the provisioners meant for it.
    fn name(&self) -> &str;

    /// The YAML text of the provisioners this backend ships (`init` installs it as
    /// `zz-default-<name>.provisioners.yaml`; an in-memory store uses it directly). `[]` for none.
    fn default_provisioners(&self) -> &str;

    /// What the provisioner engine needs to know about this target: its name, the extra template
    /// keys its provisioners render, and extra template inputs.
    fn target(&self, workloads: &[WorkloadInput]) -> Target;

    /// Lower the resolved project to a document that patch templates edit (as JSON), with
    /// whatever else the backend produces beside it in [`Lowered::output`].
    ///
    /// # Errors
    /// Every problem found, warnings included.
    fn lower(&self, resolved: &Resolved) -> Result<Lowered, Vec<Diagnostic>>;

    /// Render the (possibly patched) document to files.
    ///
    /// # Errors
    /// The document cannot be rendered (a patch made it invalid, say).
    fn render(&self, lowered: Lowered, resolved: &Resolved) -> Result<Output, Vec<Diagnostic>>;

    /// The output when no patch template runs: by default [`Backend::lower`] then
    /// [`Backend::render`]; a backend may take a shorter way to the same bytes.
    ///
    /// # Errors
    /// As [`Backend::lower`] and [`Backend::render`].
    fn generate(&self, resolved: &Resolved) -> Result<Output, Vec<Diagnostic>> {
        let lowered = self.lower(resolved)?;
        self.render(lowered, resolved)
    }

    /// A writer that takes each resource as soon as it is provisioned, when no patch template
    /// runs, so that the objects of all resources never exist at once (Kubernetes,
    /// Terraform). `None` (the default): the pipeline calls [`Backend::generate`].
    fn streaming(&self) -> Option<Box<dyn Streaming + '_>> {
        None
    }

    /// Whether the secret values this target generates are kept in the score-rs state (true
    /// for compose and Kubernetes). Terraform's are made at apply time: a lost score-rs state
    /// does not change them, and the pipeline does not warn about regenerated secrets.
    fn keeps_secrets(&self) -> bool {
        true
    }

    /// Called before provisioning when the run will write its output: work that can start
    /// early (compose makes the directories of the mounts tree on another core).
    fn prepare(&self, _workloads: &[WorkloadInput]) {}

    /// Write a [`Tree`] once the state is saved. The default writes each file atomically with
    /// its mode, makes the directories to keep and removes nothing; compose also removes the
    /// files of earlier runs and the directories to remove.
    ///
    /// # Errors
    /// The first file that cannot be written.
    fn write_tree(&self, tree: Tree) -> Result<(), Vec<Diagnostic>> {
        for (dir, _) in tree.directories.iter().filter(|(_, keep)| **keep) {
            let path = tree.dir.join(dir);
            std::fs::create_dir_all(&path).map_err(|e| {
                vec![Diagnostic::error(
                    "score::io::write",
                    format!("cannot create `{}`: {e}", path.display()),
                )]
            })?;
        }
        for f in &tree.files {
            let path = tree.dir.join(&f.path);
            crate::state::Staged::new(&path, &f.bytes, false, f.mode)
                .and_then(crate::state::Staged::commit)
                .map_err(|d| vec![*d])?;
        }
        Ok(())
    }
}

/// See [`Backend::streaming`].
pub trait Streaming {
    /// Take the target's artifacts out of a resource just provisioned (in provisioning order).
    fn resource(&mut self, resource: &mut ProvisionedResource);

    /// Lower the workloads and finish the output; `resolved` holds the resources fed in.
    ///
    /// # Errors
    /// As [`Backend::lower`].
    fn finish(self: Box<Self>, resolved: &Resolved) -> Result<Output, Vec<Diagnostic>>;
}

/// What [`Backend::lower`] produces.
#[derive(Debug, Clone, Default)]
pub struct Lowered {
    /// The document patch templates edit (compose: the compose project; k8s: the list of
    /// objects; Terraform: the module as Terraform JSON by file name).
    pub document: Value,
    /// Everything else produced so far: side files, trees, warnings, info lines.
    /// [`Backend::render`] adds the rendered document to it.
    pub output: Output,
}

impl Lowered {
    /// A lowered document with nothing beside it.
    pub fn new(document: Value) -> Self {
        Lowered {
            document,
            output: Output::default(),
        }
    }
}

/// What a backend produced: files to write, and what to tell the user.
///
/// Paths are relative to the project directory (the working directory of the run), or as the
/// user named them. Nothing is written until [`crate::generate::Generated::write`].
#[derive(Debug, Clone, Default)]
pub struct Output {
    /// The main output: one file (`compose.yaml`, `manifests.yaml`) or the files of one
    /// directory (`score-terraform/*.tf`). `generate -o -` prints these instead of writing them.
    pub files: Vec<OutputFile>,
    /// Files written beside the main output (compose's `.env`).
    pub side_files: Vec<OutputFile>,
    /// Directories filled with generated files (compose's mounts), written after the state is
    /// saved by [`Backend::write_tree`].
    pub trees: Vec<Tree>,
    /// Warnings (nothing failed).
    pub warnings: Vec<Diagnostic>,
    /// Lines for the user (`info_logs` of the provisioners).
    pub info: Vec<String>,
    /// Files an earlier run may have written in another form that this output replaces
    /// (Terraform's `main.tf` when it writes `main.tf.json`: Terraform would read both).
    /// [`crate::generate::Generated::write`] removes those that exist once the new files are
    /// written; `check` reports them.
    pub stale: Vec<PathBuf>,
}

impl Output {
    /// The text of the main output file at `path`, if it is one and is UTF-8.
    ///
    /// ```
    /// use score_core::backend::{Output, OutputFile};
    /// let out = Output { files: vec![OutputFile::new("a.yaml", "a: 1\n")], ..Output::default() };
    /// assert_eq!(out.text("a.yaml"), Some("a: 1\n"));
    /// ```
    pub fn text(&self, path: impl AsRef<Path>) -> Option<&str> {
        let path = path.as_ref();
        let f = self.files.iter().find(|f| f.path == path)?;
        std::str::from_utf8(&f.bytes).ok()
    }

    /// Every path this output writes: main files, side files, then each tree's files.
    pub fn paths(&self) -> Vec<PathBuf> {
        let mut out: Vec<PathBuf> = self.files.iter().map(|f| f.path.clone()).collect();
        out.extend(self.side_files.iter().map(|f| f.path.clone()));
        for t in &self.trees {
            out.extend(t.files.iter().map(|f| t.dir.join(&f.path)));
        }
        out
    }
}

/// A directory of generated files that a backend keeps in step across runs (compose's
/// `.score-rs/mounts`): written after the state is saved.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tree {
    /// The directory.
    pub dir: PathBuf,
    /// Its files, with paths relative to `dir`.
    pub files: Vec<OutputFile>,
    /// Directories relative to `dir` to make (`true`: kept, even when empty) or to remove with
    /// everything in them (`false`), as provisioners ask (compose's `directories` key).
    pub directories: std::collections::BTreeMap<PathBuf, bool>,
}
