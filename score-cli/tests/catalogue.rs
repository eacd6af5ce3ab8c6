//! The community provisioner catalogue's own check (`scripts/catalogue.py`): every provisioner
//! file installed with `init --provisioners`, the type folder's Score files generated for its
//! target, the output checked by the Compose loader and `kubernetes-validate`. Files that need a
//! program absent here are skipped by the script, each with its reason in the output.
//!
//! Ignored by a plain `cargo test`: it needs `../shared/corpus/community-provisioners` (or
//! `SCORE_RS_SHARED`) and both validators. CI runs it with `--include-ignored`, where a missing
//! one fails it.

use crate::{cli, prereq};

use std::path::Path;

#[test]
#[ignore = "needs ../shared/corpus/community-provisioners (or SCORE_RS_SHARED) and the validators; CI runs it with --include-ignored"]
fn the_community_catalogue_generates_and_validates() {
    let catalogue = prereq::shared_path("corpus/community-provisioners");
    let compose = prereq::validator(
        "SCORE_RS_COMPOSE_BIN",
        "the Compose v2 loader (`docker-compose`)",
    );
    let k8s = prereq::validator("SCORE_RS_K8S_VALIDATE", "kubernetes-validate");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/catalogue.py");
    let mut cmd = std::process::Command::new("python3");
    // The script runs score-rs with its own environment.
    cli::without_ambient(&mut cmd)
        .arg(script)
        .arg("--bin")
        .arg(env!("CARGO_BIN_EXE_score-rs"))
        .arg("--catalogue")
        .arg(&catalogue)
        .arg("--compose-bin")
        .arg(compose)
        .arg("--k8s-validate")
        .arg(k8s);
    let out = cmd.output().expect("python3 runs scripts/catalogue.py");
    let stdout = String::from_utf8_lossy(&out.stdout);
    println!("{stdout}");
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
