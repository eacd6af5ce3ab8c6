//! Golden snapshots: every case in `fixtures/k8s/` through the real pipeline.
//!
//! Manifests are snapshotted with secret values redacted (`<secret-N>`); warnings come first as
//! comments. Cases with `expect: error` snapshot their diagnostics instead.

use crate::common;

use std::path::Path;

use score_core::state::TargetState;

/// The one-pass writer the CLI uses ([`score_k8s::generate_yaml`]) gives the same text,
/// warnings and errors as [`score_k8s::generate`] followed by [`score_k8s::to_yaml`].
fn assert_streamed_same(dir: &Path) {
    let opts = common::case_options(dir).opts;
    let Ok(resolved) = common::provision_case(dir, &mut TargetState::default()) else {
        return;
    };
    let streamed = score_k8s::generate_yaml(&mut resolved.clone(), &opts);
    match (score_k8s::generate(&resolved, &opts), streamed) {
        (Ok(values), Ok(text)) => {
            assert_eq!(score_k8s::to_yaml(&values.documents), text.text);
            assert_eq!(
                common::render(&values.warnings),
                common::render(&text.warnings)
            );
        }
        (Err(a), Err(b)) => assert_eq!(common::render(&a), common::render(&b)),
        (a, b) => panic!("{}: {a:?} but streamed {b:?}", dir.display()),
    }
}

fn snapshot_text(dir: &Path) -> String {
    let expect_error = common::case_options(dir).expect_error;
    match common::run_case(dir) {
        Ok((resolved, out)) => {
            assert!(
                !expect_error,
                "{}: expected an error, got manifests",
                dir.display()
            );
            let mut text = String::new();
            for w in resolved.warnings.iter().chain(&out.warnings) {
                text.push_str(&format!("# warning {}: {}\n", w.code, w.message));
            }
            text.push_str(&score_k8s::to_yaml(&out.documents));
            let secrets = common::all_secrets(&resolved);
            let redacted = common::redact(&text, &secrets);
            // A checksum over config that holds random secrets is random too.
            if redacted != text {
                common::redact_checksums(&redacted)
            } else {
                redacted
            }
        }
        Err(diags) => {
            assert!(
                expect_error,
                "{}: unexpected errors:\n{}",
                dir.display(),
                common::render(&diags)
            );
            common::render(&diags)
        }
    }
}

macro_rules! golden {
    ($($case:ident),* $(,)?) => {
        $(
            #[test]
            fn $case() {
                let name = stringify!($case).replace('_', "-");
                let dir = common::fixtures_dir().join(&name);
                assert_streamed_same(&dir);
                insta::with_settings!({ snapshot_path => "snapshots", prepend_module_to_snapshot => false, omit_expression => true }, {
                    insta::assert_snapshot!(name.clone(), snapshot_text(&dir));
                });
            }
        )*

        /// Every case directory has a test above.
        #[test]
        fn every_case_is_listed() {
            let listed: Vec<String> = vec![$(stringify!($case).replace('_', "-")),*];
            for dir in common::cases() {
                let name = common::name(&dir);
                assert!(listed.contains(&name), "fixtures/k8s/{name} has no golden test: add `{}` to golden!", name.replace('-', "_"));
            }
        }
    };
}

golden!(
    amqp,
    annotations_checksum,
    before,
    community_types,
    custom_provisioner,
    dns_and_route,
    elasticsearch,
    environment,
    error_before_conflict,
    error_claim_on_deployment,
    error_duplicate_object,
    error_image_dot,
    error_unknown_kind,
    files,
    kafka_topic,
    minimal,
    mongodb,
    mssql,
    multiple_workloads,
    mysql,
    namespace,
    postgres,
    postgres_instance,
    probe_both,
    probes,
    redis,
    resources_quantities,
    route_ingress,
    s3,
    secrets_in_variables,
    seed,
    service_community,
    service_name_annotation,
    service_ports,
    shared_resource_id,
    statefulset,
    variables_and_escaping,
    volume_named_claim,
    volumes,
);
