//! Engine tests: ordering, sharing, conflicts, stability, deprovisioning, command provisioners.

use std::path::PathBuf;

use super::*;
use crate::state::TargetState;
use crate::SourceFile;

const PROVISIONERS: &str = r#"
- uri: template://test/db
  type: postgres
  secret_outputs: [password]
  state: |
    password: {{ state.password | default(random_password(12)) }}
  outputs: |
    host: db-{{ guid[:8] }}
    port: 5432
    password: {{ state.password }}
    url: postgres://{{ params.user | default('app') }}@db
  services: |
    {{ uid | slug }}: {image: "postgres:17"}
- uri: template://test/cache
  type: redis
  shared: |
    broker: {{ shared.broker | default(random_string(6)) }}
  outputs: |
    host: cache
    broker: {{ shared.broker }}
- uri: template://test/k8s-only
  type: queue
  manifests: |
    - kind: ConfigMap
"#;

fn workload(yaml: &str) -> WorkloadInput {
    let loaded = crate::load::load_source(
        SourceFile::new("score.yaml", yaml),
        std::path::Path::new("."),
        None,
    )
    .unwrap();
    WorkloadInput::new(loaded.workload, PathBuf::from("."))
}

fn provisioners(text: &str) -> Vec<Provisioner> {
    parse_provisioner_file(&SourceFile::new("t.provisioners.yaml", text)).unwrap()
}

fn target() -> Target {
    Target {
        name: "compose".into(),
        artifact_keys: vec!["services".into()],
        vars: Default::default(),
        secret_refs: false,
    }
}

const WEB: &str = "apiVersion: score.dev/v1b1\nmetadata: {name: web}\ncontainers: {main: {image: nginx}}\nresources:\n  db: {type: postgres, params: {user: '${resources.cache.host}'}}\n  cache: {type: redis, id: shared-cache}\n";
const API: &str = "apiVersion: score.dev/v1b1\nmetadata: {name: api}\ncontainers: {main: {image: nginx}}\nresources:\n  cc: {type: redis, id: shared-cache}\n";

#[test]
fn provisions_in_dependency_order_and_shares_by_id() {
    let mut state = TargetState::default();
    let r = provision(
        &mut state,
        &[workload(WEB), workload(API)],
        &provisioners(PROVISIONERS),
        &target(),
    )
    .unwrap();
    let uids: Vec<String> = r.resources.iter().map(|x| x.uid.to_string()).collect();
    assert_eq!(
        uids,
        ["redis.default#shared-cache", "postgres.default#web.db"]
    );
    assert_eq!(r.resources[1].record.params["user"], "cache");
    assert_eq!(r.resources[1].record.outputs["url"], "postgres://cache@db");
    assert!(r.resources[1].artifacts.contains_key("services"));
    assert!(r.is_secret("web", "db", "password"));
    assert_eq!(r.outputs_for("api")["cc"]["host"], "cache");
    assert!(state.shared_state.contains_key("broker"));
}

#[test]
fn provision_owned_shows_each_resource_in_provisioning_order() {
    let p = provisioners(PROVISIONERS);
    let mut state = TargetState::default();
    let mut seen = Vec::new();
    let r = provision_owned(
        &mut state,
        vec![workload(WEB), workload(API)],
        &p,
        &target(),
        &mut |r: &mut ProvisionedResource| {
            seen.push(r.uid.to_string());
            r.artifacts.remove("services");
        },
    )
    .unwrap();
    let uids: Vec<String> = r.resources.iter().map(|x| x.uid.to_string()).collect();
    assert_eq!(seen, uids);
    assert!(r.resources.iter().all(|x| x.artifacts.is_empty()));
    assert_eq!(r.workloads.keys().collect::<Vec<_>>(), ["api", "web"]);
    let copied = provision(&mut state, &[workload(WEB), workload(API)], &p, &target()).unwrap();
    assert_eq!(copied.resources[1].record, r.resources[1].record);
}

#[test]
fn reruns_keep_generated_secrets_and_drop_orphans() {
    let mut state = TargetState::default();
    let p = provisioners(PROVISIONERS);
    let first = provision(&mut state, &[workload(WEB), workload(API)], &p, &target()).unwrap();
    let second = provision(&mut state, &[workload(WEB), workload(API)], &p, &target()).unwrap();
    assert_eq!(first.resources, second.resources);
    let api_only = provision(&mut state, &[workload(API)], &p, &target()).unwrap();
    assert_eq!(api_only.resources.len(), 1);
    assert_eq!(
        state.resources.len(),
        1,
        "the postgres of the removed workload is deprovisioned"
    );
}

#[test]
fn unsupported_types_name_the_uid_and_list_types() {
    let w = workload("apiVersion: score.dev/v1b1\nmetadata: {name: web}\ncontainers: {main: {image: nginx}}\nresources:\n  qq: {type: queue}\n  mm: {type: postgress}\n");
    let errs = provision(
        &mut TargetState::default(),
        &[w],
        &provisioners(PROVISIONERS),
        &target(),
    )
    .unwrap_err();
    assert_eq!(errs.len(), 2);
    assert_eq!(
        errs[0].message,
        "resource 'postgress.default#web.mm' is not supported by any provisioner"
    );
    assert!(errs[0]
        .help
        .as_deref()
        .unwrap()
        .starts_with("did you mean type `postgres`?"));
    assert!(
        errs[1].help.as_deref().unwrap().contains("postgres, redis"),
        "k8s-only entries are not offered to compose"
    );
}

#[test]
fn conflicting_shared_params_are_an_error() {
    let a = workload("apiVersion: score.dev/v1b1\nmetadata: {name: a1}\ncontainers: {main: {image: x}}\nresources:\n  dd: {type: postgres, id: db, params: {user: a}}\n");
    let b = workload("apiVersion: score.dev/v1b1\nmetadata: {name: b1}\ncontainers: {main: {image: x}}\nresources:\n  dd: {type: postgres, id: db, params: {user: b}}\n");
    let errs = provision(
        &mut TargetState::default(),
        &[a, b],
        &provisioners(PROVISIONERS),
        &target(),
    )
    .unwrap_err();
    assert!(
        errs[0].message.contains("`a1` and `b1`"),
        "{}",
        errs[0].message
    );
}

#[test]
fn param_cycles_are_an_error() {
    let w = workload("apiVersion: score.dev/v1b1\nmetadata: {name: web}\ncontainers: {main: {image: x}}\nresources:\n  aa: {type: postgres, params: {x: '${resources.bb.host}'}}\n  bb: {type: postgres, params: {x: '${resources.aa.host}'}}\n");
    let errs = provision(
        &mut TargetState::default(),
        &[w],
        &provisioners(PROVISIONERS),
        &target(),
    )
    .unwrap_err();
    assert_eq!(errs[0].code, "score::resource::cycle");
    assert!(
        errs[0].message.contains(
            "postgres.default#web.aa → postgres.default#web.bb → postgres.default#web.aa"
        ),
        "{}",
        errs[0].message
    );
}

#[test]
fn template_errors_name_the_file_line() {
    let p = provisioners("- uri: template://bad\n  type: postgres\n  outputs: |\n    host: ok\n    port: {{ 1 + }}\n");
    let w = workload("apiVersion: score.dev/v1b1\nmetadata: {name: web}\ncontainers: {main: {image: x}}\nresources:\n  dd: {type: postgres}\n");
    let errs = provision(&mut TargetState::default(), &[w], &p, &target()).unwrap_err();
    assert_eq!(errs[0].code, "score::provisioner::template");
    assert_eq!(errs[0].location(), Some((5, 5)));
}

#[test]
fn runaway_templates_stop() {
    let p = provisioners("- uri: template://loop\n  type: postgres\n  outputs: |\n    {% for i in range(100000) %}{% for j in range(100000) %}x{% endfor %}{% endfor %}\n");
    let w = workload("apiVersion: score.dev/v1b1\nmetadata: {name: web}\ncontainers: {main: {image: x}}\nresources:\n  dd: {type: postgres}\n");
    // Stopped by the template fuel, not by a clock: no time is asserted.
    let errs = provision(&mut TargetState::default(), &[w], &p, &target()).unwrap_err();
    assert!(
        errs[0].message.contains("failed to render `outputs`"),
        "{}",
        errs[0].message
    );
}

#[cfg(unix)]
mod command {
    use super::*;

    fn run_cmd(script: &str, timeout: u64) -> Result<Resolved, Vec<crate::Diagnostic>> {
        let p = provisioners(&format!(
            "- uri: cmd:///bin/sh\n  type: postgres\n  timeout_seconds: {timeout}\n  args: ['-c', {}]\n",
            serde_json::to_string(script).unwrap()
        ));
        let w = workload("apiVersion: score.dev/v1b1\nmetadata: {name: web}\ncontainers: {main: {image: x}}\nresources:\n  dd: {type: postgres}\n");
        provision(&mut TargetState::default(), &[w], &p, &target())
    }

    #[test]
    fn json_in_json_out() {
        let r = run_cmd(r#"cat >/dev/null; echo '{"resource_outputs": {"host": "h"}, "secret_outputs": ["host"], "services": {"x": {}}}'"#, 10).unwrap();
        assert_eq!(r.resources[0].record.outputs["host"], "h");
        assert!(r.resources[0].record.secret_outputs.contains("host"));
        assert!(r.resources[0].artifacts.contains_key("services"));
    }

    #[test]
    fn failures_are_reported_with_stderr() {
        let e = run_cmd("echo boom >&2; exit 1", 10).unwrap_err();
        assert!(e[0].message.contains("exit code 1"));
        assert!(e[0].help.as_deref().unwrap().contains("boom"));
        let e = run_cmd("echo not json", 10).unwrap_err();
        assert!(
            e[0].message.contains("did not print valid JSON"),
            "{}",
            e[0].message
        );
    }

    /// Whether process `pid` has ended (gone, or a zombie nobody reaped yet). Polls briefly:
    /// a killed process takes a moment to die.
    fn ended(pid: &str) -> bool {
        (0..500).any(|_| {
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"));
            let done = match stat {
                Err(_) => true,
                Ok(s) => s
                    .rsplit(')')
                    .next()
                    .is_some_and(|rest| rest.trim_start().starts_with('Z')),
            };
            if !done {
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
            done
        })
    }

    #[test]
    fn background_children_do_not_keep_the_run_waiting() {
        let dir = tempfile::tempdir().unwrap();
        let (marker, pidfile) = (dir.path().join("slept"), dir.path().join("pid"));
        let script = format!(
            "cat >/dev/null; (sleep 30; touch {}) & echo $! > {}; echo '{{\"resource_outputs\": {{\"host\": \"h\"}}}}'",
            marker.display(),
            pidfile.display()
        );
        let r = run_cmd(&script, 5).unwrap();
        assert_eq!(r.resources[0].record.outputs["host"], "h");
        // The background job was ended with the provisioner's process group, not waited for:
        // it is gone and never got to write its marker.
        let pid = std::fs::read_to_string(&pidfile).unwrap();
        assert!(ended(pid.trim()), "background process {pid} still runs");
        assert!(
            !marker.exists(),
            "the run waited for the background job to finish"
        );
    }

    #[test]
    fn a_timeout_ends_the_whole_process_group() {
        let dir = tempfile::tempdir().unwrap();
        let pidfile = dir.path().join("pid");
        let script = format!("sleep 30 & echo $! > {}; sleep 30", pidfile.display());
        let e = run_cmd(&script, 1).unwrap_err();
        assert!(
            e[0].message.contains("did not finish within 1s"),
            "{}",
            e[0].message
        );
        let pid = std::fs::read_to_string(&pidfile).unwrap();
        assert!(
            ended(pid.trim()),
            "grandchild {pid} was orphaned, not killed"
        );
    }

    #[test]
    fn reference_answers_and_fragments_are_understood() {
        // score-compose's answer names; `#fragment` on the URI names the entry only.
        let script = r#"cat >/dev/null; echo '{"resource_outputs":{"a":1},"compose_services":{"s":{"image":"x"}}}'"#;
        let p = provisioners(&format!(
            "- uri: cmd://sh#my-entry\n  type: postgres\n  args: ['-c', {}]\n",
            serde_json::to_string(script).unwrap()
        ));
        let w = workload("apiVersion: score.dev/v1b1\nmetadata: {name: web}\ncontainers: {main: {image: x}}\nresources:\n  dd: {type: postgres}\n");
        let r = provision(&mut TargetState::default(), &[w], &p, &target()).unwrap();
        assert_eq!(r.resources[0].record.outputs["a"], 1);
        assert_eq!(r.resources[0].artifacts["services"]["s"]["image"], "x");
    }

    #[test]
    fn hanging_commands_time_out() {
        // The message names the timeout that stopped it; how long the test took is not
        // asserted (a loaded machine may be slow to reap the process).
        let e = run_cmd("sleep 30", 1).unwrap_err();
        assert!(
            e[0].message.contains("did not finish within 1s"),
            "{}",
            e[0].message
        );
    }
}

#[test]
fn target_vars_and_workload_names_reach_templates() {
    let p = provisioners("- uri: template://vars\n  type: postgres\n  outputs: |\n    project: {{ project }}\n    count: {{ workloads | length }}\n    guid_len: {{ guid | length }}\n");
    let mut t = target();
    t.vars.insert("project".into(), "demo".into());
    let r = provision(
        &mut TargetState::default(),
        &[workload(API.replace("redis", "postgres").as_str())],
        &p,
        &t,
    )
    .unwrap();
    let outputs = &r.resources[0].record.outputs;
    assert_eq!(outputs["project"], "demo");
    assert_eq!(outputs["count"], 1, "one workload");
    assert_eq!(outputs["guid_len"], 36);
}

#[test]
fn undeclared_params_and_reported_warnings_become_warnings() {
    let text = r#"
- uri: template://test/pg
  type: postgres
  supported_params: [version, database]
  outputs: 'host: db'
  warnings: |
    {%- if params.database == "x" %}
    - "database `x` is short"
    {%- endif %}
- uri: template://test/any
  type: redis
  outputs: 'host: cache'
"#;
    let yaml = "apiVersion: score.dev/v1b1\nmetadata: {name: web}\ncontainers: {main: {image: nginx}}\nresources:\n  db: {type: postgres, params: {verison: '16', database: x}}\n  cache: {type: redis, params: {anything: 1}}\n";
    let r = provision(
        &mut TargetState::default(),
        &[workload(yaml)],
        &provisioners(text),
        &target(),
    )
    .unwrap();
    let shown: Vec<String> = r
        .warnings
        .iter()
        .map(|d| {
            format!(
                "{}: {} / {}",
                d.code,
                d.message,
                d.help.clone().unwrap_or_default()
            )
        })
        .collect();
    assert_eq!(shown.len(), 3, "{shown:#?}");
    assert!(
        shown[0].starts_with("score::resource::unknown_param: resource `db` of workload `web`"),
        "{}",
        shown[0]
    );
    assert!(
        shown[0].contains("param `verison`") && shown[0].contains("did you mean `version`?"),
        "{}",
        shown[0]
    );
    assert!(
        shown[0].contains("supports: version, database"),
        "{}",
        shown[0]
    );
    assert!(
        shown[1].starts_with("score::provisioner::warning: resource `postgres.default#web.db`"),
        "{}",
        shown[1]
    );
    assert!(shown[1].contains("database `x` is short"), "{}", shown[1]);
    assert!(
        shown[2].contains("param `anything`")
            && shown[2].ends_with("declares no params (`supported_params`)"),
        "{}",
        shown[2]
    );
    // The key is consumed: backends never see it as an artifact.
    assert!(r
        .resources
        .iter()
        .all(|x| !x.artifacts.contains_key("warnings")));
}

/// An entry's `id` matches the part of the UID after `#`, as score-compose and score-k8s
/// match it: a shared resource's `id`, or `<workload>.<resource>` for the others.
#[test]
fn entry_ids_match_shared_ids_and_workload_resource_names() {
    let p = provisioners(
        r#"
- uri: template://test/web-db
  type: postgres
  id: web.db
  outputs: "host: web-only"
- uri: template://test/shared
  type: redis
  id: shared-cache
  outputs: "host: shared"
- uri: template://test/any
  type: postgres
  outputs: "host: any"
- uri: template://test/any-redis
  type: redis
  outputs: "host: other"
"#,
    );
    let other = "apiVersion: score.dev/v1b1\nmetadata: {name: api}\ncontainers: {main: {image: nginx}}\nresources:\n  db: {type: postgres}\n  cc: {type: redis, id: shared-cache}\n";
    let web = "apiVersion: score.dev/v1b1\nmetadata: {name: web}\ncontainers: {main: {image: nginx}}\nresources:\n  db: {type: postgres}\n  cache: {type: redis}\n";
    let mut state = TargetState::default();
    let r = provision(&mut state, &[workload(web), workload(other)], &p, &target()).unwrap();
    assert_eq!(r.outputs_for("web")["db"]["host"], "web-only");
    assert_eq!(r.outputs_for("api")["db"]["host"], "any");
    assert_eq!(r.outputs_for("api")["cc"]["host"], "shared");
    assert_eq!(r.outputs_for("web")["cache"]["host"], "other");
}
