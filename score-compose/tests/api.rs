//! The public API on small inline projects: error paths, options and file writing.

use std::path::{Path, PathBuf};

use score_compose::{generate_with_env, target, GeneratedFile, Options, Output};
use score_core::provision::{parse_provisioner_file, provision, Resolved, WorkloadInput};
use score_core::state::TargetState;
use score_core::{Diagnostic, SourceFile};

fn opts() -> Options {
    Options {
        project: "demo".into(),
        mounts_dir: "/p/.score-rs/mounts".into(),
        compose_dir: "/p".into(),
        ..Options::default()
    }
}

fn inputs(specs: &[&str]) -> Vec<WorkloadInput> {
    specs
        .iter()
        .map(|s| {
            let l = score_core::load::load_source(
                SourceFile::new("score.yaml", *s),
                Path::new("."),
                None,
            )
            .unwrap_or_else(|e| panic!("{e:?}"));
            WorkloadInput::from(l)
        })
        .collect()
}

fn resolve_with(specs: &[&str], extra_provisioners: &str, o: &Options) -> Resolved {
    let inputs = inputs(specs);
    let mut provisioners = Vec::new();
    if !extra_provisioners.is_empty() {
        provisioners.extend(
            parse_provisioner_file(&SourceFile::new(
                "10-test.provisioners.yaml",
                extra_provisioners,
            ))
            .unwrap(),
        );
    }
    provisioners.extend(
        parse_provisioner_file(&SourceFile::new(
            "zz-default.provisioners.yaml",
            score_compose::DEFAULT_PROVISIONERS,
        ))
        .unwrap(),
    );
    let mut state = TargetState::default();
    provision(&mut state, &inputs, &provisioners, &target(&inputs, o))
        .unwrap_or_else(|e| panic!("{e:?}"))
}

fn run(specs: &[&str], o: &Options) -> Result<Output, Vec<Diagnostic>> {
    let resolved = resolve_with(specs, "", o);
    generate_with_env(&resolved, o, &|_| None)
}

fn errors(r: Result<Output, Vec<Diagnostic>>) -> Vec<Diagnostic> {
    match r {
        Ok(o) => panic!(
            "expected errors, got:\n{}",
            score_compose::to_yaml(&o.document)
        ),
        Err(d) => d.into_iter().filter(Diagnostic::is_error).collect(),
    }
}

const WEB: &str = "apiVersion: score.dev/v1b1
metadata: {name: web}
service:
  ports:
    http: {port: 8080, targetPort: 80}
containers:
  main: {image: nginx:1.27-alpine}
resources:
  db: {type: postgres}
";

const API: &str = "apiVersion: score.dev/v1b1
metadata: {name: api}
containers:
  main: {image: .}
";

#[test]
fn target_describes_workload_services() {
    let i = inputs(&[WEB]);
    let t = target(&i, &opts());
    assert_eq!(t.name, "compose");
    assert_eq!(
        t.artifact_keys,
        [
            "services",
            "volumes",
            "networks",
            "models",
            "files",
            "directories",
            "info_logs"
        ]
    );
    assert_eq!(
        t.vars["workload_services"],
        serde_json::json!({"web": {"hostname": "web-main", "ports": {"http": {"port": 8080, "targetPort": 80, "protocol": "TCP"}}}})
    );
    assert_eq!(t.vars["project"], "demo");
    assert_eq!(t.vars["mounts_dir"], "./.score-rs/mounts");
}

#[test]
fn publish_errors_name_the_problem() {
    for (flag, needle) in [
        ("8080:nope:80", "neither a workload nor a resource UID"),
        (
            "8080:web:https",
            "has no service port `https` (ports: http)",
        ),
        (
            "8080:redis.default#x.y:6379",
            "no resource `redis.default#x.y`",
        ),
        ("8080:web", "expected three"),
    ] {
        let o = Options {
            publish: vec![flag.into()],
            ..opts()
        };
        let e = errors(run(&[WEB], &o));
        assert!(
            e.iter().any(|d| d.message.contains(needle)),
            "{flag}: {e:?}"
        );
    }
}

#[test]
fn publish_by_port_name_and_resource_uid() {
    let o = Options {
        publish: vec![
            "8080:web:http".into(),
            "5432:postgres.default#web.db:5432".into(),
        ],
        ..opts()
    };
    let out = run(&[WEB], &o).unwrap();
    assert_eq!(
        out.document["services"]["web-main"]["ports"],
        serde_json::json!(["8080:80"])
    );
    assert_eq!(
        out.document["services"]["postgres-web-db"]["ports"],
        serde_json::json!(["5432:5432"])
    );
}

/// The reference tool's resource annotations publish a resource's port (its `port` output)
/// and its management port on the host, as `--publish` would; a type with no such port is
/// a warning, a bad host port an error.
#[test]
fn publish_port_annotations_of_resources() {
    let spec = "apiVersion: score.dev/v1b1
metadata: {name: web}
containers:
  main: {image: nginx:1.27-alpine}
resources:
  db:
    type: postgres
    metadata:
      annotations: {compose.score.dev/publish-port: \"15432\"}
  queue:
    type: amqp
    metadata:
      annotations:
        compose.score.dev/publish-port: \"5673\"
        compose.score.dev/publish-management-port: \"15673\"
";
    let out = run(&[spec], &opts()).unwrap();
    let services = &out.document["services"];
    assert_eq!(
        services["postgres-web-db"]["ports"],
        serde_json::json!(["15432:5432"]),
        "{services:#}"
    );
    assert_eq!(
        services["amqp-web-queue"]["ports"],
        serde_json::json!(["5673:5672", "15673:15672"]),
        "{services:#}"
    );
    let no_ui = spec.replace("publish-port: \"15432\"", "publish-management-port: \"1\"");
    let out = run(&[&no_ui], &opts()).unwrap();
    assert!(
        out.warnings
            .iter()
            .any(|d| d.code == "score::compose::publish" && d.message.contains("has no such port")),
        "{:?}",
        out.warnings
    );
    let bad = spec.replace("\"15432\"", "\"http\"");
    let e = errors(run(&[&bad], &opts()));
    assert!(
        e.iter().any(|d| d.message.contains("is not a host port")),
        "{e:?}"
    );
}

#[test]
fn build_flags_must_match_exactly_one_container() {
    let other = API.replace("name: api", "name: worker");
    let o = Options {
        build: vec!["main=.".into()],
        ..opts()
    };
    let e = errors(run(&[API, &other], &o));
    assert!(
        e.iter().any(|d| d
            .message
            .contains("workloads api, worker all have a container `main`")),
        "{e:?}"
    );
    let o = Options {
        build: vec!["nope=.".into()],
        ..opts()
    };
    let e = errors(run(&[WEB], &o));
    assert!(
        e.iter()
            .any(|d| d.message.contains("no workload has a container `nope`")),
        "{e:?}"
    );
    let o = Options {
        build: vec!["api.main=/p/src".into()],
        ..opts()
    };
    let out = run(&[API], &o).unwrap();
    assert_eq!(out.document["services"]["api-main"]["build"], "./src");
    assert!(out.document["services"]["api-main"].get("image").is_none());
}

#[test]
fn image_dot_is_built_from_the_score_files_directory() {
    // The Score file's directory is `.` here; seen from a compose file in `sub/` it is `..`.
    let o = Options {
        compose_dir: "sub".into(),
        ..opts()
    };
    let out = run(&[API], &o).unwrap();
    let svc = &out.document["services"]["api-main"];
    assert_eq!(svc["build"], "..", "{svc}");
    assert!(svc.get("image").is_none(), "{svc}");
    assert_eq!(out.info_logs.len(), 1, "{:?}", out.info_logs);
    assert!(
        out.info_logs[0].contains("container `main`: image `.` is built from `..`"),
        "{:?}",
        out.info_logs
    );
    // `--build` still decides where it names the container.
    let o = Options {
        compose_dir: "sub".into(),
        build: vec!["main=sub/api".into()],
        ..opts()
    };
    let out = run(&[API], &o).unwrap();
    assert_eq!(out.document["services"]["api-main"]["build"], "./api");
    assert!(out.info_logs.is_empty(), "{:?}", out.info_logs);
}

#[test]
fn project_names_are_made_valid() {
    let o = Options {
        project: "My.Project".into(),
        ..opts()
    };
    let out = run(&[WEB], &o).unwrap();
    assert_eq!(out.document["name"], "my-project");
    assert!(out
        .warnings
        .iter()
        .any(|w| w.code == "score::compose::project_name"));
}

#[test]
fn paths_are_relative_to_the_compose_file() {
    let spec = "apiVersion: score.dev/v1b1
metadata: {name: web}
containers:
  main:
    image: nginx
    files:
      /etc/x.conf: {content: x}
";
    let o = Options {
        mounts_dir: "/p/.score-rs/mounts".into(),
        compose_dir: "/p/deploy".into(),
        ..opts()
    };
    let out = run(&[spec], &o).unwrap();
    assert_eq!(
        out.document["services"]["web-main"]["volumes"][0]["source"],
        "../.score-rs/mounts/files/web.main.etc_x.conf"
    );
    assert_eq!(
        out.files[0].path,
        PathBuf::from("files/web.main.etc_x.conf")
    );
}

#[test]
fn before_healthy_needs_a_probe() {
    // The loader rejects this already; the backend does not rely on it.
    let workload = serde_json::from_value(serde_json::json!({
        "apiVersion": "score.dev/v1b1",
        "metadata": {"name": "web"},
        "containers": {"main": {"image": "nginx"}, "cache": {"image": "redis", "before": {"main": {"ready": "healthy"}}}}
    }))
    .unwrap();
    let inputs = vec![WorkloadInput::new(workload, ".".into())];
    let o = opts();
    let resolved = provision(
        &mut TargetState::default(),
        &inputs,
        &[],
        &target(&inputs, &o),
    )
    .unwrap();
    let e = errors(generate_with_env(&resolved, &o, &|_| None));
    assert!(
        e.iter().any(|d| d
            .message
            .contains("container `cache`: must be healthy before `main` starts, but has no probe")),
        "{e:?}"
    );
}

#[test]
fn environment_resource_misuse() {
    let spec = |var: &str| {
        format!(
            "apiVersion: score.dev/v1b1
metadata: {{name: web}}
containers:
  main:
    image: nginx
    {var}
resources:
  env: {{type: environment}}
"
        )
    };
    let e = errors(run(
        &[&spec("variables: {ALL: '${resources.env}'}")],
        &opts(),
    ));
    assert!(
        e[0].message
            .contains("refers to the environment resource itself"),
        "{e:?}"
    );
    // Like compose, an unset variable is blank in the file, with a warning.
    let out = run(
        &[&spec(
            "files: {/x: {content: '[${resources.env.UNSET_VAR}]'}}",
        )],
        &opts(),
    )
    .unwrap();
    assert!(
        out.warnings
            .iter()
            .any(|w| w.message.contains("`UNSET_VAR` is not set")),
        "{:?}",
        out.warnings
    );
    assert_eq!(out.files[0].bytes, b"[]");
    let e = errors(run(
        &[&spec("volumes: {/x: {source: '${resources.env.VOL}'}}")],
        &opts(),
    ));
    assert!(
        e[0].message
            .contains("a volume source cannot use the environment variable `VOL`"),
        "{e:?}"
    );
    let out = run(
        &[&spec("variables: {A: 'x-${resources.env.A}'}")],
        &Options {
            env_file: true,
            ..opts()
        },
    )
    .unwrap();
    assert_eq!(
        out.document["services"]["web-main"]["environment"]["A"],
        "x-${A}"
    );
    assert!(out.env_file.unwrap().contains("\nA=\n"));
}

const SVC: &str = "
- uri: template://test/thing
  type: thing
  services: |
    shared-thing:
      image: busybox:{{ params.tag }}
";

#[test]
fn conflicting_resource_services_are_rejected() {
    let spec = "apiVersion: score.dev/v1b1
metadata: {name: web}
containers:
  main: {image: nginx}
resources:
  one: {type: thing, params: {tag: '1.36'}}
  two: {type: thing, params: {tag: '1.37'}}
";
    let o = opts();
    let resolved = resolve_with(&[spec], SVC, &o);
    let e = errors(generate_with_env(&resolved, &o, &|_| None));
    assert!(
        e.iter().any(|d| d.code == "score::compose::conflict"
            && d.message
                .contains("`services.shared-thing` is also defined, differently")),
        "{e:?}"
    );
    // Identical definitions are merged.
    let same = spec.replace("'1.37'", "'1.36'");
    let resolved = resolve_with(&[&same], SVC, &o);
    let out = generate_with_env(&resolved, &o, &|_| None).unwrap();
    assert_eq!(
        out.document["services"]["shared-thing"]["image"],
        "busybox:1.36"
    );
    assert_eq!(
        out.document["services"]["web-main"]["depends_on"]["shared-thing"]["condition"],
        "service_started"
    );
}

/// A provisioner that keeps shared state renders its shared instance again with each resource
/// (score-compose's gateway adds each route): the last rendering, which saw every route, wins.
#[test]
fn shared_instances_take_their_last_rendering() {
    let prov = "
- uri: template://test/gateway
  type: route
  shared: |
    routes: {{ shared.routes | default([]) | list + [params.path] }}
  services: |
    gateway:
      image: nginx
      labels:
        routes: '{{ shared.routes | join(\",\") }}'
  files: |
    gateway/routes.txt: '{{ shared.routes | join(\",\") }}'
";
    let spec = "apiVersion: score.dev/v1b1
metadata: {name: web}
containers:
  main: {image: nginx}
resources:
  ra: {type: route, params: {path: /a}}
  rb: {type: route, params: {path: /b}}
";
    let o = opts();
    let resolved = resolve_with(&[spec], prov, &o);
    let out = generate_with_env(&resolved, &o, &|_| None).unwrap();
    assert_eq!(
        out.document["services"]["gateway"]["labels"]["routes"],
        "/a,/b"
    );
    let file = out
        .files
        .iter()
        .find(|f| f.path.ends_with("routes.txt"))
        .unwrap();
    assert_eq!(file.bytes, b"/a,/b");
}

#[test]
fn resource_services_cannot_take_workload_names() {
    let prov = "
- uri: template://test/clash
  type: clash
  services: |
    web-main:
      image: busybox
";
    let spec = "apiVersion: score.dev/v1b1
metadata: {name: web}
containers:
  main: {image: nginx}
resources:
  clash: {type: clash}
";
    let o = opts();
    let resolved = resolve_with(&[spec], prov, &o);
    let e = errors(generate_with_env(&resolved, &o, &|_| None));
    assert!(
        e.iter().any(|d| d
            .message
            .contains("`services.web-main`, which a workload already uses")),
        "{e:?}"
    );
}

#[test]
fn files_are_written_with_their_mode_and_stale_ones_pruned() {
    let dir = tempfile::tempdir().unwrap();
    let files = vec![
        GeneratedFile {
            path: "a/b.txt".into(),
            bytes: b"hi".to_vec(),
            mode: Some(0o600),
        },
        GeneratedFile {
            path: "c.sh".into(),
            bytes: b"#!/bin/sh".to_vec(),
            mode: Some(0o755),
        },
        GeneratedFile {
            path: "d.txt".into(),
            bytes: b"d".to_vec(),
            mode: None,
        },
    ];
    score_compose::write_files(&files, dir.path()).unwrap();
    assert_eq!(std::fs::read(dir.path().join("a/b.txt")).unwrap(), b"hi");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &str| {
            std::fs::metadata(dir.path().join(p))
                .unwrap()
                .permissions()
                .mode()
                & 0o777
        };
        assert_eq!(
            (mode("a/b.txt"), mode("c.sh"), mode("d.txt")),
            (0o600, 0o755, 0o644)
        );
    }
    std::fs::create_dir_all(dir.path().join("old/deep")).unwrap();
    std::fs::write(dir.path().join("old/deep/x"), "stale").unwrap();
    let removed = score_compose::prune_stale_files(&files[..2], dir.path()).unwrap();
    assert_eq!(
        removed,
        [PathBuf::from("d.txt"), PathBuf::from("old/deep/x")]
    );
    assert!(!dir.path().join("old").exists());
    assert!(dir.path().join("a/b.txt").exists());
}

#[test]
fn colliding_service_names_are_rejected() {
    let a = "apiVersion: score.dev/v1b1\nmetadata: {name: web-api}\ncontainers:\n  main: {image: nginx}\n";
    let b = "apiVersion: score.dev/v1b1\nmetadata: {name: web}\ncontainers:\n  api-main: {image: nginx}\n";
    let e = errors(run(&[a, b], &opts()));
    assert!(
        e.iter().any(|d| d.message.contains(
            "workloads `web` and `web-api` both produce the compose service `web-api-main`"
        )),
        "{e:?}"
    );
}

#[test]
fn planned_dirs_are_the_one_flat_directory_of_mounted_files() {
    let spec = |name: &str, files: &str| {
        format!(
            "apiVersion: score.dev/v1b1\nmetadata: {{name: {name}}}\ncontainers:\n  main:\n    image: nginx\n{files}"
        )
    };
    let many = "    files:\n      /etc/a/b/one.conf: {content: x}\n      /etc/a/two.conf: {content: x}\n      /top.conf: {content: x}\n";
    let (web, api, bare) = (spec("web", many), spec("api", many), spec("bare", ""));
    assert_eq!(
        score_compose::planned_dirs(&inputs(&[&web, &api, &bare])),
        [PathBuf::from("files")]
    );
    assert!(score_compose::planned_dirs(&inputs(&[&bare])).is_empty());
}

#[cfg(unix)]
#[test]
fn unchanged_files_are_left_alone_and_changed_ones_replaced() {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let dir = tempfile::tempdir().unwrap();
    let file = |bytes: &[u8], mode| GeneratedFile {
        path: "a/f.txt".into(),
        bytes: bytes.to_vec(),
        mode: Some(mode),
    };
    let path = dir.path().join("a/f.txt");
    let inode = || std::fs::metadata(&path).unwrap().ino();
    file(b"one", 0o644).write_to(dir.path()).unwrap();
    let first = inode();
    file(b"one", 0o644).write_to(dir.path()).unwrap();
    assert_eq!(inode(), first, "an unchanged file is not rewritten");
    // Same size, other bytes; then other mode.
    file(b"two", 0o644).write_to(dir.path()).unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), b"two");
    let second = inode();
    assert_ne!(second, first);
    file(b"two", 0o600).write_to(dir.path()).unwrap();
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
}
