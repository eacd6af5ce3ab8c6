//! The community provisioner catalogue's own check (`scripts/catalogue.py`): every provisioner
//! file installed with `init --provisioners`, the type folder's Score files generated for its
//! target, the output checked by the validators when `SCORE_RS_COMPOSE_BIN` /
//! `SCORE_RS_K8S_VALIDATE` are set. Files that need a program absent here are skipped, each
//! with its reason in the output.

use std::path::Path;

const CATALOGUE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/corpus/community-provisioners"
);

#[test]
#[ignore = "needs ../shared/corpus/community-provisioners (CI runs it)"]
fn the_community_catalogue_generates_and_validates() {
    let catalogue = std::env::var("SCORE_RS_SHARED")
        .map(|s| Path::new(&s).join("corpus/community-provisioners"))
        .unwrap_or_else(|_| Path::new(CATALOGUE).to_path_buf());
    assert!(
        catalogue.is_dir(),
        "{} not found: run from a checkout with ../shared beside it, or set SCORE_RS_SHARED",
        catalogue.display()
    );
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/catalogue.py");
    let mut cmd = std::process::Command::new("python3");
    cmd.arg(script)
        .arg("--bin")
        .arg(env!("CARGO_BIN_EXE_score-rs"))
        .arg("--catalogue")
        .arg(&catalogue);
    for (var, flag) in [
        ("SCORE_RS_COMPOSE_BIN", "--compose-bin"),
        ("SCORE_RS_K8S_VALIDATE", "--k8s-validate"),
    ] {
        if let Ok(v) = std::env::var(var) {
            cmd.arg(flag).arg(v);
        }
    }
    let out = cmd.output().expect("python3 runs scripts/catalogue.py");
    let stdout = String::from_utf8_lossy(&out.stdout);
    println!("{stdout}");
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
