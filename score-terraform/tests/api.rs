//! The public API and its error paths.

use crate::support;

use score_core::provision::{parse_provisioner_file, provision, Resolved, WorkloadInput};
use score_core::state::TargetState;
use score_core::{Diagnostic, SourceFile};
use score_terraform::{generate, target, Format, ModuleWriter, Options, TARGET};

fn workload(yaml: &str) -> WorkloadInput {
    let loaded = score_core::load::load_source(
        SourceFile::new("score.yaml", yaml),
        std::path::Path::new("."),
        None,
    )
    .unwrap_or_else(|e| panic!("{}", support::render(&e)));
    WorkloadInput::new(loaded.workload, ".".into())
}

fn resolve(ws: &[WorkloadInput], extra: &str) -> Result<Resolved, Vec<Diagnostic>> {
    support::seed();
    let mut p = if extra.is_empty() {
        Vec::new()
    } else {
        parse_provisioner_file(&SourceFile::new("extra.provisioners.yaml", extra)).unwrap()
    };
    p.extend(support::default_provisioners());
    provision(
        &mut TargetState::default(),
        ws,
        &p,
        &target(ws, &Options::default()),
    )
}

/// The errors of the writer the pipeline feeds as it provisions ([`ModuleWriter`]).
fn streamed_errors(mut resolved: Resolved) -> String {
    let mut writer = ModuleWriter::new(&Options::default());
    resolved
        .resources
        .iter_mut()
        .for_each(|r| writer.resource(r));
    messages(&writer.finish(&resolved).unwrap_err())
}

fn messages(e: &[Diagnostic]) -> String {
    e.iter()
        .map(|d| d.message.clone())
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn target_describes_names_and_services() {
    let w = workload("apiVersion: score.dev/v1b1\nmetadata: {name: web}\nservice: {ports: {http: {port: 80, targetPort: 8080}}}\ncontainers: {main: {image: nginx}}\nresources:\n  db: {type: postgres}\n  cache: {type: redis, id: shared-cache}\n");
    let t = target(
        &[w],
        &Options {
            format: Format::Json,
        },
    );
    assert_eq!(t.name, TARGET);
    assert_eq!(t.artifact_keys, ["terraform"]);
    assert_eq!(t.vars["namespace"], "${var.namespace}");
    assert_eq!(
        t.vars["resource_names"]["postgres.default#web.db"],
        "postgres-web-db"
    );
    assert_eq!(
        t.vars["resource_names"]["redis.default#shared-cache"],
        "redis-shared-cache"
    );
    let svc = &t.vars["workload_services"]["web"];
    assert_eq!(
        svc["service"],
        "${kubernetes_service_v1.web.metadata[0].name}"
    );
    assert_eq!(svc["ports"]["http"]["target_port"], 8080);
    assert!(score_terraform::DEFAULT_PROVISIONERS.contains("targets: [terraform]"));
}

#[test]
fn default_provisioners_all_target_terraform() {
    for p in support::default_provisioners() {
        assert_eq!(
            p.targets.as_deref(),
            Some(&["terraform".to_string()][..]),
            "{}",
            p.uri
        );
    }
    let types: std::collections::BTreeSet<String> = support::default_provisioners()
        .into_iter()
        .map(|p| p.kind)
        .collect();
    for t in [
        "postgres",
        "postgres-instance",
        "redis",
        "mysql",
        "mongodb",
        "amqp",
        "kafka-topic",
        "s3",
        "mssql",
        "dns",
        "route",
        "volume",
        "service-port",
        "service",
    ] {
        assert!(types.contains(t), "no default provisioner for {t}");
    }
}

#[test]
fn unknown_kinds_and_bad_service_names_are_errors() {
    let w = workload("apiVersion: score.dev/v1b1\nmetadata:\n  name: web\n  annotations: {k8s.score.dev/kind: DaemonSet}\ncontainers: {main: {image: nginx}}\n");
    let e = generate(&resolve(&[w], "").unwrap(), &Options::default()).unwrap_err();
    assert!(
        messages(&e).contains("unsupported `k8s.score.dev/kind: DaemonSet`"),
        "{}",
        messages(&e)
    );
    let w = workload("apiVersion: score.dev/v1b1\nmetadata:\n  name: web\n  annotations: {k8s.score.dev/service-name: Not_Valid}\nservice: {ports: {http: {port: 80}}}\ncontainers: {main: {image: nginx}}\n");
    let e = generate(&resolve(&[w], "").unwrap(), &Options::default()).unwrap_err();
    assert!(
        messages(&e).contains("is not a valid Service name"),
        "{}",
        messages(&e)
    );
}

#[test]
fn volumes_must_come_from_volume_resources() {
    let w = workload("apiVersion: score.dev/v1b1\nmetadata: {name: web}\ncontainers:\n  main:\n    image: nginx\n    volumes:\n      /data: {source: '${resources.db}'}\nresources:\n  db: {type: postgres}\n");
    let e = generate(&resolve(&[w], "").unwrap(), &Options::default()).unwrap_err();
    assert!(
        messages(&e).contains("has no `source` output to mount"),
        "{}",
        messages(&e)
    );
}

#[test]
fn clashing_blocks_name_both_origins() {
    let extra = "- uri: template://test/clash\n  type: thing\n  targets: [terraform]\n  terraform: |\n    resource:\n      kubernetes_service_v1:\n        web: {metadata: {name: other}}\n";
    let w = workload("apiVersion: score.dev/v1b1\nmetadata: {name: web}\nservice: {ports: {http: {port: 80}}}\ncontainers: {main: {image: nginx}}\nresources:\n  tt: {type: thing}\n");
    let resolved = resolve(&[w], extra).unwrap();
    let e = generate(&resolved, &Options::default()).unwrap_err();
    assert_eq!(streamed_errors(resolved), messages(&e));
    let m = messages(&e);
    assert!(
        m.contains("`resource.kubernetes_service_v1.web` is defined twice"),
        "{m}"
    );
    assert!(
        m.contains("template://test/clash") && m.contains("workload `web`"),
        "{m}"
    );
}

#[test]
fn bad_artifacts_are_reported() {
    let extra = "- uri: template://test/bad\n  type: thing\n  targets: [terraform]\n  terraform: |\n    resources: {}\n";
    let w = workload("apiVersion: score.dev/v1b1\nmetadata: {name: web}\ncontainers: {main: {image: nginx}}\nresources:\n  tt: {type: thing}\n");
    let resolved = resolve(&[w], extra).unwrap();
    let e = generate(&resolved, &Options::default()).unwrap_err();
    assert_eq!(streamed_errors(resolved), messages(&e));
    assert!(
        messages(&e).contains("unknown top-level key `resources`"),
        "{}",
        messages(&e)
    );
}

#[test]
fn whole_resource_references_in_variables_are_errors() {
    let w = workload("apiVersion: score.dev/v1b1\nmetadata: {name: web}\ncontainers:\n  main:\n    image: nginx\n    variables: {X: '${resources.db}'}\nresources:\n  db: {type: redis}\n");
    let e = generate(&resolve(&[w], "").unwrap(), &Options::default()).unwrap_err();
    assert!(
        messages(&e).contains("refers to the whole resource"),
        "{}",
        messages(&e)
    );
}

#[test]
fn route_and_service_port_check_their_params() {
    let w = workload("apiVersion: score.dev/v1b1\nmetadata: {name: web}\nservice: {ports: {http: {port: 80}}}\ncontainers: {main: {image: nginx}}\nresources:\n  rr: {type: route, params: {host: example.com, path: /, port: 81}}\n");
    let e = resolve(&[w], "").unwrap_err();
    assert!(
        messages(&e).contains("workload `web` has no service port `81`"),
        "{}",
        messages(&e)
    );
    let w = workload("apiVersion: score.dev/v1b1\nmetadata: {name: web}\ncontainers: {main: {image: nginx}}\nresources:\n  rr: {type: service-port, params: {workload: nope, port: http}}\n");
    let e = resolve(&[w], "").unwrap_err();
    assert!(
        messages(&e).contains("unknown workload nope"),
        "{}",
        messages(&e)
    );
}

#[test]
fn json_and_hcl_files_are_named_for_terraform() {
    let w = workload(
        "apiVersion: score.dev/v1b1\nmetadata: {name: web}\ncontainers: {main: {image: nginx}}\n",
    );
    let r = resolve(&[w], "").unwrap();
    let hcl = generate(
        &r,
        &Options {
            format: Format::Hcl,
        },
    )
    .unwrap();
    let json = generate(
        &r,
        &Options {
            format: Format::Json,
        },
    )
    .unwrap();
    let names =
        |o: &score_terraform::Output| o.files.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>();
    assert_eq!(
        names(&hcl),
        ["main.tf", "variables.tf", "outputs.tf", "versions.tf"]
    );
    assert_eq!(
        names(&json),
        [
            "main.tf.json",
            "variables.tf.json",
            "outputs.tf.json",
            "versions.tf.json"
        ]
    );
    assert!(hcl.files[3]
        .1
        .contains("source  = \"hashicorp/kubernetes\"\n      version = \"~> 3.2\""));
    assert!(hcl.files[3].1.contains("version = \"~> 3.9\""));
}

/// The module the worked example in the README generates, as Terraform JSON files.
fn readme_module() -> Vec<(String, serde_json::Value)> {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let from = readme.find("### Worked example").unwrap();
    let start = readme[from..].find("```yaml\n").unwrap() + from + 8;
    let end = readme[start..].find("```").unwrap() + start;
    let yaml = &readme[start..end];
    let dir = support::fixtures().join("module-provisioner");
    let ws = support::workloads(&dir);
    let r = resolve(&ws, yaml).unwrap_or_else(|e| panic!("{}", support::render(&e)));
    let out = generate(
        &r,
        &Options {
            format: Format::Json,
        },
    )
    .unwrap();
    support::json_files(&out)
}

/// The worked example in the README is a working provisioner file.
#[test]
fn the_readme_module_provisioner_works() {
    let files = readme_module();
    assert!(
        files[0].1["module"]["postgres-aws-orders-db"]["source"] == "terraform-aws-modules/rds/aws"
    );
}

#[test]
#[ignore = "needs ../shared/terraform (or SCORE_RS_SHARED); CI runs it with --include-ignored"]
fn the_readme_module_provisioner_matches_the_provider_schemas() {
    let problems = support::schema::validate(&readme_module(), &support::schema::Schemas::load());
    assert!(problems.is_empty(), "{problems:#?}");
}
