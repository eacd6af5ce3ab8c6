//! A warning when `generate` makes new secret values for resources that probably existed
//! before: the state that held their old values is gone (a CI job on a fresh checkout, a
//! deleted `.score-rs/`), so a deployed database keeps its old password while the workloads get
//! a new one.
//!
//! A resource counts as existing when the target's state has no record of it and either
//! - the output this run replaces (`compose.yaml`, `manifests.yaml`) mentions one of its
//!   non-secret output values (its host name, say, which the default provisioners derive from
//!   the resource's UID), or
//! - the environment variable `CI` is set (as CI services do) and the target's state held no
//!   resource at all, the mark of a state made by `init` in this job.
//!
//! Terraform is not checked ([`crate::backend::Backend::keeps_secrets`]): its passwords come
//! from `random_password` at apply time and live in Terraform's own state.

use std::collections::BTreeSet;
use std::path::Path;

use serde_json::Value;

use crate::diagnostic::Diagnostic;
use crate::state::{ResourceRecord, State};
use crate::uid::ResourceUid;

/// Outputs shorter than this are not looked for in the earlier output (a port, `app`).
const MIN_MENTION: usize = 8;
/// Resources named in the warning; the rest are counted.
const NAMED: usize = 5;

/// What the state knew of a target before provisioning.
pub(crate) struct Before {
    known: BTreeSet<ResourceUid>,
}

impl Before {
    pub(crate) fn of(state: &State, target: &str) -> Before {
        let known = state
            .targets
            .get(target)
            .map(|t| t.resources.keys().cloned().collect())
            .unwrap_or_default();
        Before { known }
    }

    /// The warning for the resources provisioned since, if any of them got new secrets while
    /// they probably existed; `earlier` is the output file about to be replaced.
    pub(crate) fn warning(
        &self,
        state: &State,
        target: &str,
        earlier: &Path,
    ) -> Option<Diagnostic> {
        let section = state.targets.get(target)?;
        let new: Vec<(&ResourceUid, &ResourceRecord)> = section
            .resources
            .iter()
            .filter(|(uid, r)| !self.known.contains(*uid) && !r.secret_outputs.is_empty())
            .collect();
        if new.is_empty() {
            return None;
        }
        let in_ci = self.known.is_empty() && ci();
        let earlier_text = std::fs::read_to_string(earlier).unwrap_or_default();
        let existed: Vec<String> = new
            .iter()
            .filter(|(_, r)| in_ci || mentioned(r, &earlier_text))
            .map(|(uid, r)| {
                let keys: Vec<&str> = r.secret_outputs.iter().map(String::as_str).collect();
                format!("`{uid}` ({})", keys.join(", "))
            })
            .collect();
        if existed.is_empty() {
            return None;
        }
        let why = if in_ci {
            ", and this CI job (`CI` is set) started without saved resources: every job makes new ones".to_string()
        } else {
            format!(
                ", although `{}` from an earlier run uses them",
                earlier.display()
            )
        };
        let more = match existed.len().saturating_sub(NAMED) {
            0 => String::new(),
            n => format!(" and {n} more"),
        };
        Some(
            Diagnostic::warning(
                "score::secrets::regenerated",
                format!(
                    "generated new secret values for {} resource{} the state had no record of{why}: {}{more}",
                    existed.len(),
                    if existed.len() == 1 { "" } else { "s" },
                    existed[..existed.len().min(NAMED)].join(", "),
                ),
            )
            .with_help(
                "a deployed database keeps its old password: keep `.score-rs/state.yaml` between runs (see \"Using score-rs in CI\" in the README)",
            ),
        )
    }
}

/// Whether a CI service runs us (they set `CI`, usually to `true`).
fn ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0")
}

/// Whether `text` contains one of the record's non-secret string outputs.
fn mentioned(r: &ResourceRecord, text: &str) -> bool {
    !text.is_empty()
        && r.outputs.iter().any(|(key, value)| {
            matches!(value, Value::String(s) if s.len() >= MIN_MENTION && !r.secret_outputs.contains(key) && text.contains(s.as_str()))
        })
}
