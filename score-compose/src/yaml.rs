//! `compose.yaml` text, written by serde-saphyr.
//!
//! A hand-written emitter for the shapes compose documents are made of once wrote most
//! documents directly; it saved 9.7 % of the instructions of a 200-workload run, under the bar
//! of 10 % a replacement of a library must clear (docs/performance.md), and was removed.

use serde_json::Value;

/// The document as YAML.
pub(crate) fn to_yaml(doc: &Value) -> String {
    reference(doc)
}

/// serde-saphyr's YAML for `v`: long strings stay on one line (no folded `>` scalars),
/// multi-line text uses `|`.
pub(crate) fn reference<T: serde::Serialize>(v: &T) -> String {
    let mut options = serde_saphyr::SerializerOptions::default();
    options.folded_wrap_chars = usize::MAX;
    // JSON is valid YAML: the fallback keeps output correct should the emitter ever fail.
    serde_saphyr::to_string_with_options(v, options)
        .unwrap_or_else(|_| serde_json::to_string_pretty(v).unwrap_or_default() + "\n")
}
