//! # score-core
//!
//! Everything about Score workloads that no backend owns: loading YAML/JSON with source spans,
//! schema validation, upgrading deprecated forms, the typed IR, placeholders and diagnostics.
//!
//! Data flows one way: text → [`yaml::Node`] (spanned tree) → validated [`ir::Workload`] →
//! resolved project → backend output.

pub mod diagnostic;
pub mod placeholder;
pub mod source;
pub mod yaml;

pub use diagnostic::{Diagnostic, DiagnosticsExt, Label, Severity};
pub use source::{SourceFile, Span};
