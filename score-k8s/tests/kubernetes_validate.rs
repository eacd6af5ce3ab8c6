//! Independent validation with the official Kubernetes OpenAPI schemas.
//!
//! When `SCORE_RS_K8S_VALIDATE` names the `kubernetes-validate` executable
//! (`pip install kubernetes-validate==1.37.0`), every case's generated `manifests.yaml` is
//! checked with `kubernetes-validate --strict` (unknown fields rejected); a failure carries the
//! validator's message. The test is ignored by a plain `cargo test`; CI runs it with
//! `--include-ignored`, where an unset variable fails it.
//! `SCORE_RS_K8S_VERSIONS` (comma-separated, e.g. `1.33.0,1.37.0`) adds `-k <version>` runs.
//!
//! kubernetes-validate knows built-in kinds only; Gateway API `HTTPRoute` objects are checked
//! against their own schema in `httproute_schema.rs`.

use crate::common;
use crate::prereq;

use std::process::Command;

#[test]
#[ignore = "needs SCORE_RS_K8S_VALIDATE (kubernetes-validate); CI runs it with --include-ignored"]
fn manifests_pass_kubernetes_validate_strict() {
    let exe = prereq::validator(
        "SCORE_RS_K8S_VALIDATE",
        "`kubernetes-validate` (pip install kubernetes-validate==1.37.0)",
    );
    let versions: Vec<Option<String>> = match std::env::var("SCORE_RS_K8S_VERSIONS") {
        Ok(v) => v.split(',').map(|s| Some(s.trim().to_string())).collect(),
        Err(_) => vec![None],
    };
    let dir = tempfile::tempdir().unwrap();
    let mut failures = Vec::new();
    let mut validated = 0;
    for case in common::ok_cases() {
        let (_, out) = common::run_case(&case).unwrap();
        let path = dir.path().join(format!("{}.yaml", common::name(&case)));
        std::fs::write(&path, score_k8s::to_yaml(&out.documents)).unwrap();
        for version in &versions {
            let mut cmd = Command::new(&exe);
            cmd.arg("--strict");
            if let Some(v) = version {
                cmd.args(["-k", v]);
            }
            let result = cmd
                .arg(&path)
                .output()
                .unwrap_or_else(|e| panic!("cannot run `{exe}`: {e}"));
            let text = format!(
                "{}{}",
                String::from_utf8_lossy(&result.stdout),
                String::from_utf8_lossy(&result.stderr)
            );
            if !result.status.success() || text.contains("ERROR") {
                failures.push(format!(
                    "{} ({}):\n{text}",
                    common::name(&case),
                    version.as_deref().unwrap_or("latest")
                ));
            }
            validated += 1;
        }
    }
    assert!(
        failures.is_empty(),
        "kubernetes-validate --strict failed:\n{}",
        failures.join("\n")
    );
    eprintln!("kubernetes-validate --strict: {validated} manifest files passed");
}
