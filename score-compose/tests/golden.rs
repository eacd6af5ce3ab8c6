//! Golden tests: every case under `fixtures/compose/` runs through the real pipeline
//! (load → provision with the default provisioners → generate → to_yaml) and its report
//! (compose.yaml, written files, warnings, info logs, `.env`) is compared with
//! `tests/snapshots/golden__<case>.snap`.

use crate::common;

use std::collections::BTreeSet;

macro_rules! cases {
    ($($name:ident => $dir:literal,)*) => {
        $(
            #[test]
            fn $name() {
                let run = common::run_case($dir);
                // Named as when this file was a test binary of its own (`golden__<case>`).
                insta::with_settings!({ prepend_module_to_snapshot => false }, {
                    insta::assert_snapshot!(concat!("golden__", $dir), common::report(&run));
                });
            }
        )*

        /// Every fixture directory has a test above, and every test a directory.
        #[test]
        fn every_case_is_tested() {
            let listed: BTreeSet<&str> = [$($dir),*].into_iter().collect();
            let found: Vec<String> = common::cases();
            let found: BTreeSet<&str> = found.iter().map(String::as_str).collect();
            assert_eq!(listed, found, "fixtures/compose and the cases! list differ");
        }
    };
}

cases! {
    amqp => "amqp",
    before => "before",
    build => "build",
    build_default => "build-default",
    community_types => "community-types",
    custom_provisioner => "custom-provisioner",
    deprecated_lists => "deprecated-lists",
    dns_route => "dns-route",
    dollar_escapes => "dollar-escapes",
    elasticsearch => "elasticsearch",
    environment => "environment",
    files => "files",
    hello => "hello",
    kafka_topic => "kafka-topic",
    limits => "limits",
    metadata => "metadata",
    mongodb => "mongodb",
    mssql => "mssql",
    multi_container => "multi-container",
    mysql => "mysql",
    postgres => "postgres",
    postgres_instance => "postgres-instance",
    probes_exec => "probes-exec",
    probes_http => "probes-http",
    publish => "publish",
    redis_shared => "redis-shared",
    s3 => "s3",
    seed => "seed",
    service => "service",
    service_missing => "service-missing",
    service_port => "service-port",
    unknown_output => "unknown-output",
    volumes => "volumes",
}

/// A second run over the same inputs gives byte-identical output (determinism), and no secret
/// value appears in compose.yaml unless a warning says so.
#[test]
fn deterministic_and_secret_free() {
    for case in common::cases() {
        let a = common::run_case(&case);
        let b = common::run_case(&case);
        let (Ok(oa), Ok(ob)) = (&a.result, &b.result) else {
            continue;
        };
        let ya = score_compose::to_yaml(&oa.document);
        assert_eq!(
            ya,
            score_compose::to_yaml(&ob.document),
            "case {case}: output differs between runs"
        );
        assert_eq!(oa.files, ob.files, "case {case}: files differ between runs");
        let flagged = oa
            .warnings
            .iter()
            .any(|w| w.code == "score::compose::secret_in_output");
        for s in a.secrets.iter().filter(|_| !flagged) {
            assert!(
                !ya.contains(s.as_str()),
                "case {case}: a secret output appears in compose.yaml"
            );
        }
    }
}
