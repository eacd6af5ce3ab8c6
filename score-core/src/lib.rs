//! # score-core
//!
//! Everything about Score workloads that no backend owns: loading YAML/JSON with source spans,
//! schema validation, upgrading deprecated forms, the typed IR, placeholders and diagnostics.
//!
//! Data flows one way: text → [`yaml::Node`] (spanned tree) → validated [`ir::Workload`] →
//! resolved project ([`provision::Resolved`]) → backend output ([`backend::Output`]).
//!
//! The whole pipeline is [`generate::Generate`]: Score files or text, a [`backend::Backend`]
//! (`score_compose::ComposeBackend`, `score_k8s::K8sBackend`, `score_terraform::TerraformBackend`
//! or your own) and a [`store::StateStore`] (the `.score-rs/` directory, or memory) in, the
//! output in memory out; [`generate::Generated::write`] then saves the state and writes the files.
//!
//! Loading and checking a Score file alone:
//!
//! ```
//! use score_core::{load, SourceFile};
//! let src = SourceFile::new("score.yaml", "apiVersion: score.dev/v1b1\nmetadata: {name: web}\ncontainers:\n  main: {image: nginx:1.27}\n");
//! let loaded = load::load_source(src, std::path::Path::new("."), None).unwrap();
//! assert_eq!(loaded.workload.name(), "web");
//! ```

#![warn(missing_docs)]

pub mod backend;
pub mod boundary;
pub mod check;
pub mod diagnostic;
pub mod generate;
pub mod ir;
pub mod kube_names;
pub mod load;
pub mod output;
pub mod output_check;
pub mod overrides;
pub mod patch;
pub mod placeholder;
pub mod project;
pub mod provision;
pub mod quantity;
pub mod render;
pub mod schema;
pub mod secret_ref;
pub mod source;
pub mod start_order;
pub mod state;
pub mod store;
pub mod suggest;
#[cfg(test)]
mod test_rng;
pub mod uid;
pub mod upgrade;
pub mod yaml;

pub use diagnostic::{Diagnostic, DiagnosticsExt, Label, Severity};
pub use source::{SourceFile, Span};
