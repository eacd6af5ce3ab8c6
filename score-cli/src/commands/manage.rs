//! `workloads`, `provisioners` and `resources` subcommands.

use std::fmt::Write as _;

use serde_json::{Map, Value};

use score_core::project::Project;
use score_core::provision::{describe, load_provisioner_files};
use score_core::state::{ResourceRecord, StateDir};
use score_core::uid::ResourceUid;
use score_core::Diagnostic;

use crate::cli::{
    ListFormat, ProvisionersCommand, ResourcesCommand, ValueFormat, WorkloadsCommand,
};
use crate::targets;

pub fn workloads(dir: &StateDir, c: WorkloadsCommand) -> Result<(), Vec<Diagnostic>> {
    match c {
        WorkloadsCommand::List => {
            let state = dir.load().map_err(|d| vec![*d])?;
            for (name, rec) in &state.workloads {
                println!("{name}\t{}", rec.source.as_deref().unwrap_or("-"));
            }
            Ok(())
        }
        WorkloadsCommand::Remove { name } => {
            let mut project = Project::open(dir).map_err(|d| vec![*d])?;
            if !project.remove_workload(&name) {
                let known: Vec<&String> = project.state.workloads.keys().collect();
                return Err(vec![Diagnostic::error(
                    "score::cli::unknown_workload",
                    format!("there is no workload `{name}` in the state"),
                )
                .with_help(format!(
                    "workloads: {}",
                    known
                        .iter()
                        .map(|s| s.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ))]);
            }
            project.save()?;
            eprintln!(
                "removed workload `{name}`; its unused resources are dropped on the next generate"
            );
            Ok(())
        }
    }
}

pub fn provisioners(dir: &StateDir, c: ProvisionersCommand) -> Result<(), Vec<Diagnostic>> {
    let ProvisionersCommand::List { target, format } = c;
    let all = load_provisioner_files(dir.path())?;
    let keys_of = |t: &str| -> Vec<String> {
        let _ = targets::default_provisioners();
        match t {
            "compose" => score_compose::ARTIFACT_KEYS
                .iter()
                .map(|s| s.to_string())
                .collect(),
            "k8s" => vec!["manifests".into()],
            _ => vec!["terraform".into()],
        }
    };
    let shown: Vec<_> = all
        .iter()
        .filter(|p| target.is_none_or(|t| p.applies_to(t.as_str(), &keys_of(t.as_str()))))
        .collect();
    match format {
        ListFormat::Json => {
            let list: Vec<_> = shown.iter().map(|p| describe(p)).collect();
            println!(
                "{}",
                serde_json::to_string_pretty(&list).unwrap_or_default()
            );
        }
        ListFormat::Table => {
            let rows: Vec<[String; 5]> = shown
                .iter()
                .map(|p| {
                    [
                        p.kind.clone(),
                        p.class.clone().unwrap_or_else(|| "*".into()),
                        p.targets.as_ref().map_or("*".into(), |t| t.join(",")),
                        p.expected_outputs.join(", "),
                        p.uri.clone(),
                    ]
                })
                .collect();
            print!(
                "{}",
                table(&["TYPE", "CLASS", "TARGETS", "OUTPUTS", "URI"], &rows)
            );
        }
    }
    Ok(())
}

pub fn resources(dir: &StateDir, c: ResourcesCommand) -> Result<(), Vec<Diagnostic>> {
    // A malformed UID is a usage error, whether or not there is a state to look it up in.
    if let ResourcesCommand::GetOutputs { uid, .. } = &c {
        uid.parse::<ResourceUid>()
            .map_err(|e: String| vec![Diagnostic::error("score::usage::uid", e)])?;
    }
    let state = dir.load().map_err(|d| vec![*d])?;
    match c {
        ResourcesCommand::List { target, format } => {
            let section = state
                .targets
                .get(target.as_str())
                .cloned()
                .unwrap_or_default();
            match format {
                ListFormat::Json => {
                    let list: Vec<_> = section
                        .resources
                        .iter()
                        .map(|(uid, r)| serde_json::json!({"uid": uid.to_string(), "type": r.kind, "class": r.class, "id": r.id, "source_workload": r.source_workload, "provisioner": r.provisioner, "outputs": r.outputs.keys().collect::<Vec<_>>()}))
                        .collect();
                    println!(
                        "{}",
                        serde_json::to_string_pretty(&list).unwrap_or_default()
                    );
                }
                ListFormat::Table => {
                    let rows: Vec<[String; 4]> = section
                        .resources
                        .iter()
                        .map(|(uid, r)| {
                            [
                                uid.to_string(),
                                r.source_workload.clone(),
                                r.outputs.keys().cloned().collect::<Vec<_>>().join(", "),
                                r.provisioner.clone(),
                            ]
                        })
                        .collect();
                    print!(
                        "{}",
                        table(&["UID", "WORKLOAD", "OUTPUTS", "PROVISIONER"], &rows)
                    );
                }
            }
            Ok(())
        }
        ResourcesCommand::GetOutputs {
            uid,
            target,
            format,
            show_secrets,
        } => {
            let parsed: ResourceUid = uid
                .parse()
                .map_err(|e: String| vec![Diagnostic::error("score::usage::uid", e)])?;
            let section = state
                .targets
                .get(target.as_str())
                .cloned()
                .unwrap_or_default();
            let Some(r) = section.resources.get(&parsed) else {
                let known: Vec<String> = section.resources.keys().map(|u| u.to_string()).collect();
                let d = Diagnostic::error(
                    "score::cli::unknown_resource",
                    format!("no resource `{uid}` in the `{}` state", target.as_str()),
                );
                return Err(vec![match score_core::suggest::closest(
                    &uid,
                    known.iter().map(String::as_str),
                ) {
                    Some(b) => d.with_help(format!("did you mean `{b}`?")),
                    None => d.with_help("list them with `score-rs resources list`"),
                }]);
            };
            let outputs = serde_json::Value::Object(shown_outputs(r, show_secrets));
            match format {
                ValueFormat::Json => println!(
                    "{}",
                    serde_json::to_string_pretty(&outputs).unwrap_or_default()
                ),
                ValueFormat::Yaml => print!(
                    "{}",
                    score_core::state::to_yaml(&outputs).unwrap_or_default()
                ),
            }
            Ok(())
        }
    }
}

/// What `resources get-outputs` prints: a resource's outputs, secret ones masked unless asked.
fn shown_outputs(r: &ResourceRecord, show_secrets: bool) -> Map<String, Value> {
    let mut outputs = r.outputs.clone();
    if !show_secrets {
        for (key, value) in outputs.iter_mut() {
            if r.secret_outputs.contains(key) {
                *value = Value::from(MASK);
            }
        }
    }
    outputs
}

/// Printed in place of a secret output's value.
const MASK: &str = "<secret: pass --show-secrets>";

fn table<const N: usize>(header: &[&str; N], rows: &[[String; N]]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.len()).collect();
    for r in rows {
        for (i, c) in r.iter().enumerate() {
            widths[i] = widths[i].max(c.chars().count());
        }
    }
    let mut out = String::new();
    let mut line = |cells: Vec<&str>| {
        let padded: Vec<String> = cells
            .iter()
            .enumerate()
            .map(|(i, c)| format!("{c:<w$}", w = widths[i]))
            .collect();
        let _ = writeln!(out, "{}", padded.join("  ").trim_end());
    };
    line(header.to_vec());
    for r in rows {
        line(r.iter().map(String::as_str).collect());
    }
    out
}
