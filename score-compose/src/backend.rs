//! [`ComposeBackend`]: this crate behind [`score_core::backend::Backend`].

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use score_core::backend::{Backend, Lowered, Output, OutputFile, Tree};
use score_core::provision::{Resolved, Target, WorkloadInput};
use score_core::Diagnostic;

use crate::{GeneratedFile, Options};

/// The compose target for the generate pipeline ([`score_core::generate`]): `compose.yaml`, the
/// `.env` skeleton when asked for, and the mounts directory (a [`Tree`] kept in step across
/// runs: files no workload produces any more are removed).
///
/// ```
/// use score_core::generate::Generate;
/// use score_core::store::MemoryStore;
/// let backend = score_compose::ComposeBackend::new(score_compose::Options {
///     project: "demo".into(),
///     mounts_dir: ".score-rs/mounts".into(),
///     compose_dir: ".".into(),
///     ..Default::default()
/// });
/// let score = "apiVersion: score.dev/v1b1\nmetadata: {name: web}\ncontainers:\n  main: {image: nginx:1.27}\n";
/// let out = Generate::new().score_text("score.yaml", score).run(&backend, MemoryStore::default()).unwrap();
/// assert!(out.output.text("compose.yaml").unwrap().contains("image: nginx:1.27"));
/// ```
#[derive(Debug)]
pub struct ComposeBackend {
    /// How to lower.
    pub options: Options,
    /// Where `compose.yaml` goes (relative to the project directory).
    pub file: PathBuf,
    /// Where the `.env` skeleton goes when [`Options::env_file`] is set.
    pub env_file: PathBuf,
    /// Directories of the mounts tree made early ([`Backend::prepare`]).
    premade: Mutex<Option<Premade>>,
}

impl ComposeBackend {
    /// Compose with these options, writing `compose.yaml` and `.env`.
    pub fn new(options: Options) -> Self {
        ComposeBackend {
            options,
            file: PathBuf::from("compose.yaml"),
            env_file: PathBuf::from(".env"),
            premade: Mutex::new(None),
        }
    }

    /// Write the compose file at `path`.
    #[must_use]
    pub fn with_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.file = path.into();
        self
    }

    /// Also write the `.env` skeleton, at `path`.
    #[must_use]
    pub fn with_env_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.env_file = path.into();
        self.options.env_file = true;
        self
    }

    fn premade(&self) -> std::sync::MutexGuard<'_, Option<Premade>> {
        self.premade
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl Backend for ComposeBackend {
    fn name(&self) -> &str {
        crate::TARGET
    }

    fn default_provisioners(&self) -> &str {
        crate::DEFAULT_PROVISIONERS
    }

    fn target(&self, workloads: &[WorkloadInput]) -> Target {
        crate::target(workloads, &self.options)
    }

    /// On a first run the mounts directory does not exist: nothing in it can be stale, and the
    /// directories of container files are created on another core while resources are
    /// provisioned (the kernel spends longer on them than we do on everything else). Once the
    /// files are known, writing them (on both cores) makes whatever directories are left.
    fn prepare(&self, workloads: &[WorkloadInput]) {
        let mounts_dir = self.options.mounts_dir.clone();
        // Not `exists()`: a dangling `mounts` link is not a fresh directory.
        let fresh = std::fs::symlink_metadata(&mounts_dir).is_err();
        let mut premade = Premade {
            fresh,
            mounts_dir,
            stop: Arc::new(AtomicBool::new(false)),
            worker: None,
            created: None,
        };
        if fresh {
            let (dir, dirs) = (premade.mounts_dir.clone(), crate::planned_dirs(workloads));
            let stop = premade.stop.clone();
            premade.worker = Some(std::thread::spawn(move || {
                crate::make_dirs(&dir, &dirs, &stop)
            }));
        }
        *self.premade() = Some(premade);
    }

    fn lower(&self, resolved: &Resolved) -> Result<Lowered, Vec<Diagnostic>> {
        let generated = crate::generate(resolved, &self.options);
        // The early directories are done with once lowering is: until the mounts are written,
        // they are removed again if the run fails.
        if let Some(p) = self.premade().as_mut() {
            p.join();
        }
        let out = generated?;
        let mut output = Output {
            warnings: out.warnings,
            info: out.info_logs,
            ..Output::default()
        };
        if let Some(text) = out.env_file {
            let env = OutputFile::new(&self.env_file, text).secret().named(true);
            output.side_files.push(env);
        }
        // Mounted files (and secret env files, created 0600) go under the mounts dir once the
        // state is saved.
        output.trees.push(Tree {
            dir: self.options.mounts_dir.clone(),
            files: out.files.into_iter().map(to_output_file).collect(),
            directories: out.directories,
        });
        Ok(Lowered {
            document: out.document,
            output,
        })
    }

    fn render(&self, lowered: Lowered, _: &Resolved) -> Result<Output, Vec<Diagnostic>> {
        let mut output = lowered.output;
        // Secret values are moved to 0600 env files: compose.yaml holds none.
        let text = crate::to_yaml(&lowered.document);
        output.files.insert(0, OutputFile::new(&self.file, text));
        Ok(output)
    }

    /// The mounts directory: files of earlier runs that no workload produces any more are
    /// removed ([`crate::sync_files`]).
    fn write_tree(&self, tree: Tree) -> Result<(), Vec<Diagnostic>> {
        let files: Vec<GeneratedFile> = tree.files.into_iter().map(to_generated_file).collect();
        let premade = self.premade().take();
        let fresh = premade.as_ref().map_or_else(
            || std::fs::symlink_metadata(&tree.dir).is_err(),
            |p| p.fresh,
        );
        // Provisioners' `directories` (kept ones are not searched for stale files).
        let keep: Vec<PathBuf> = tree
            .directories
            .iter()
            .filter(|(_, make)| **make)
            .map(|(d, _)| d.clone())
            .collect();
        let synced = crate::sync_files_keeping(&files, &keep, &tree.dir, fresh);
        if let Some(mut p) = premade {
            if let Some(created) = p.created.take() {
                crate::remove_unused_dirs(&created, &p.mounts_dir, &files);
            }
        }
        synced?;
        crate::sync_directories(&tree.directories, &tree.dir)
    }
}

fn to_output_file(f: GeneratedFile) -> OutputFile {
    OutputFile {
        path: f.path,
        bytes: f.bytes,
        mode: f.mode,
        named: false,
    }
}

fn to_generated_file(f: OutputFile) -> GeneratedFile {
    GeneratedFile {
        path: f.path,
        bytes: f.bytes,
        mode: f.mode,
    }
}

/// Directories of the mounts tree made while provisioning (see [`ComposeBackend::prepare`]):
/// removed on drop unless the files were written.
#[derive(Debug)]
struct Premade {
    fresh: bool,
    mounts_dir: PathBuf,
    stop: Arc<AtomicBool>,
    worker: Option<JoinHandle<Vec<PathBuf>>>,
    created: Option<Vec<PathBuf>>,
}

impl Premade {
    /// Stop making directories and keep the list of those made.
    fn join(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(worker) = self.worker.take() {
            self.created = Some(worker.join().unwrap_or_default());
        }
    }
}

impl Drop for Premade {
    fn drop(&mut self) {
        self.join();
        if let Some(created) = &self.created {
            crate::remove_unused_dirs(created, &self.mounts_dir, &[]);
            let _ = std::fs::remove_dir(&self.mounts_dir);
        }
    }
}
