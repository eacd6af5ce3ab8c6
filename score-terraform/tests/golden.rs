//! Golden snapshots of the generated module (HCL) for every fixture case in
//! `fixtures/terraform/<case>/`: the real pipeline (load → provision with the default and the
//! case's own provisioners → generate), plus the resource outputs and any warnings.

use crate::support;

use std::fmt::Write as _;

use score_terraform::{Format, ModuleWriter, Options};

#[test]
fn golden_modules() {
    for dir in support::cases() {
        let case = support::case_name(&dir);
        let run = support::run(&dir);
        let mut text = String::new();
        let _ = writeln!(text, "# case: {case}");
        // The module's warnings repeat some of the provisioning ones: each once.
        let mut seen = std::collections::BTreeSet::new();
        for w in run.resolved.warnings.iter().chain(&run.hcl.warnings) {
            if seen.insert(&w.message) {
                let _ = writeln!(text, "# warning: {}", w.message);
            }
        }
        let _ = writeln!(text, "# resource outputs:");
        for r in &run.resolved.resources {
            let _ = writeln!(text, "#   {}:", r.uid);
            for (k, v) in &r.record.outputs {
                let secret = if r.record.secret_outputs.contains(k) {
                    " (secret)"
                } else {
                    ""
                };
                let _ = writeln!(text, "#     {k}{secret}: {v}");
            }
        }
        for (name, body) in &run.hcl.files {
            let _ = write!(text, "\n# ---- {name} ----\n{body}");
        }
        snapshot(&case, text);
    }
}

/// The writer the pipeline feeds as it provisions ([`score_terraform::ModuleWriter`], which
/// takes each artifact out of its resource) writes what [`score_terraform::generate`] writes,
/// in both syntaxes, with the same warnings.
#[test]
fn streamed_modules_are_the_same() {
    for dir in support::cases() {
        let run = support::run(&dir);
        for (format, whole) in [(Format::Hcl, &run.hcl), (Format::Json, &run.json)] {
            let mut resolved = run.resolved.clone();
            let mut writer = ModuleWriter::new(&Options { format });
            resolved
                .resources
                .iter_mut()
                .for_each(|r| writer.resource(r));
            assert!(resolved
                .resources
                .iter()
                .all(|r| !r.artifacts.contains_key(score_terraform::ARTIFACT_KEY)));
            let streamed = writer.finish(&resolved).unwrap_or_else(|e| {
                panic!("{}: {}", dir.display(), support::render(&e));
            });
            assert_eq!(streamed.files, whole.files, "{}", dir.display());
            assert_eq!(
                support::render(&streamed.warnings),
                support::render(&whole.warnings)
            );
        }
    }
}

/// One case in JSON syntax, to show what `--tf-format json` writes.
#[test]
fn golden_json_format() {
    let run = support::run(&support::fixtures().join("postgres"));
    let mut text = String::new();
    for (name, body) in &run.json.files {
        let _ = write!(text, "# ---- {name} ----\n{body}");
    }
    snapshot("postgres-json", text);
}

/// Named as when this file was a test binary of its own (`golden__<case>`).
fn snapshot(case: &str, text: String) {
    insta::with_settings!({ prepend_module_to_snapshot => false }, {
        insta::assert_snapshot!(format!("golden__{case}"), text);
    });
}
