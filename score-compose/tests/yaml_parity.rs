//! `to_yaml` writes most documents itself instead of through serde-saphyr (see `src/yaml.rs`).
//! Here the two are held to the same bytes on every real compose document we can make: each
//! fixture case, and every file of the Score community corpus beside the checkout
//! (`../shared/corpus/upstream`) that generates with the default provisioners.

use crate::common;
use crate::prereq;

use std::path::{Path, PathBuf};

use score_core::provision::{parse_provisioner_file, provision, WorkloadInput};
use score_core::state::TargetState;
use score_core::SourceFile;
use serde_json::Value;

/// serde-saphyr with the options `to_yaml` promises: long lines kept whole.
fn serde_saphyr_yaml(doc: &Value) -> String {
    let mut options = serde_saphyr::SerializerOptions::default();
    options.folded_wrap_chars = usize::MAX;
    serde_saphyr::to_string_with_options(doc, options).expect("serde-saphyr writes the document")
}

fn assert_same(doc: &Value, what: &str) {
    let ours = score_compose::to_yaml(doc);
    let theirs = serde_saphyr_yaml(doc);
    assert!(
        ours == theirs,
        "{what}: to_yaml differs from serde-saphyr\n--- ours\n{ours}\n--- serde-saphyr\n{theirs}"
    );
}

#[test]
fn fixture_documents() {
    let mut compared = 0;
    for case in common::cases() {
        if let Ok(out) = common::run_case(&case).result {
            assert_same(&out.document, &case);
            compared += 1;
        }
    }
    assert!(compared > 20, "only {compared} fixture cases generated");
}

fn corpus_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.filter_map(Result::ok) {
        let p = e.path();
        if p.is_dir() {
            corpus_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "yaml" || x == "yml") {
            out.push(p);
        }
    }
}

#[test]
#[ignore = "needs ../shared/corpus (or SCORE_RS_SHARED); CI runs it with --include-ignored"]
fn corpus_documents() {
    let corpus = prereq::corpus();
    common::init();
    let mut files = Vec::new();
    corpus_files(&corpus, &mut files);
    files.sort();
    let provisioners = parse_provisioner_file(&SourceFile::new(
        "zz-default.provisioners.yaml",
        score_compose::DEFAULT_PROVISIONERS,
    ))
    .expect("default provisioners parse");
    let opts = score_compose::Options {
        project: "corpus".into(),
        mounts_dir: "/project/.score-rs/mounts".into(),
        compose_dir: "/project".into(),
        ..Default::default()
    };
    let mut compared = 0;
    for path in &files {
        let Ok(loaded) = score_core::load::load_path(path) else {
            continue;
        };
        let inputs = vec![WorkloadInput::from(loaded)];
        let target = score_compose::target(&inputs, &opts);
        let Ok(resolved) = provision(&mut TargetState::default(), &inputs, &provisioners, &target)
        else {
            continue;
        };
        if let Ok(out) = score_compose::generate(&resolved, &opts) {
            assert_same(&out.document, &path.display().to_string());
            compared += 1;
        }
    }
    println!("{compared} corpus documents compared");
    // 62 of the 84 files generate for compose (the rest use resource types we do not provision).
    assert!(compared >= 50, "only {compared} corpus files generated");
}
