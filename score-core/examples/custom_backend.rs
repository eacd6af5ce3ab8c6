//! A backend of your own, through the public API only: each workload becomes a `.env` file per
//! container and one `run.sh` of `docker run` commands. Its provisioner gives a `redis`
//! resource a generated password, kept in the state between runs.
//!
//! Run with `cargo run -p score-core --example custom_backend`: it generates twice from an
//! in-memory state (the password stays the same) and prints the files.

use score_core::backend::{Backend, Lowered, Output, OutputFile};
use score_core::generate::Generate;
use score_core::placeholder::{substitute, Context};
use score_core::provision::{Resolved, Target, WorkloadInput};
use score_core::store::MemoryStore;
use score_core::Diagnostic;
use serde_json::{json, Value};

/// `.env` files and a `docker run` script.
struct DockerRun;

const PROVISIONERS: &str = r#"
- uri: template://docker-run/redis
  type: redis
  secret_outputs: [password]
  state: |
    password: {{ (state.password | default(random_password(16))) | tojson }}
  outputs: |
    host: {{ source_workload }}-redis
    port: 6379
    password: {{ state.password | tojson }}
"#;

impl Backend for DockerRun {
    fn name(&self) -> &str {
        "docker-run"
    }

    fn default_provisioners(&self) -> &str {
        PROVISIONERS
    }

    fn target(&self, _workloads: &[WorkloadInput]) -> Target {
        Target {
            name: self.name().into(),
            ..Target::default()
        }
    }

    /// The document patch templates could edit: `{"<workload>-<container>": {image, env}}`.
    fn lower(&self, resolved: &Resolved) -> Result<Lowered, Vec<Diagnostic>> {
        let mut containers = serde_json::Map::new();
        let mut errors = Vec::new();
        for (name, w) in &resolved.workloads {
            let metadata = serde_json::to_value(&w.workload.metadata).unwrap_or_default();
            let outputs = resolved.outputs_for(name);
            let ctx = Context::new(&metadata, &outputs);
            for (cname, c) in &w.workload.containers {
                let mut env = serde_json::Map::new();
                for (key, raw) in &c.variables {
                    match substitute(raw, &ctx) {
                        Ok(value) => {
                            env.insert(key.clone(), value.into());
                        }
                        Err(e) => errors.push(Diagnostic::error(
                            "docker_run::placeholder",
                            format!("{name}.{cname}: variable {key}: {e}"),
                        )),
                    }
                }
                let service = format!("{name}-{cname}");
                containers.insert(service, json!({"image": c.image, "env": env}));
            }
        }
        if errors.is_empty() {
            Ok(Lowered::new(Value::Object(containers)))
        } else {
            Err(errors)
        }
    }

    fn render(&self, lowered: Lowered, _resolved: &Resolved) -> Result<Output, Vec<Diagnostic>> {
        let mut output = lowered.output;
        let mut script = String::from("#!/bin/sh\nset -e\n");
        for (service, c) in lowered.document.as_object().into_iter().flatten() {
            let env: String = c["env"]
                .as_object()
                .into_iter()
                .flatten()
                .map(|(k, v)| format!("{k}={}\n", v.as_str().unwrap_or_default()))
                .collect();
            // The variables may hold the generated password: the file is owner-only.
            output
                .files
                .push(OutputFile::new(format!("{service}.env"), env).secret());
            let image = c["image"].as_str().unwrap_or_default();
            script.push_str(&format!(
                "docker run -d --name {service} --env-file {service}.env {image}\n"
            ));
        }
        output
            .files
            .push(OutputFile::new("run.sh", script).with_mode(0o755));
        Ok(output)
    }
}

const SCORE: &str = "
apiVersion: score.dev/v1b1
metadata: {name: web}
containers:
  main:
    image: nginx:1.27
    variables:
      REDIS_URL: 'redis://:${resources.cache.password}@${resources.cache.host}:${resources.cache.port}'
resources:
  cache: {type: redis}
";

fn main() -> Result<(), String> {
    let errors =
        |diags: Vec<Diagnostic>| diags.iter().map(|d| format!("{d}\n")).collect::<String>();
    let mut store = MemoryStore::default();
    let mut first = Generate::new()
        .score_text("score.yaml", SCORE)
        .run(&DockerRun, &mut store)
        .map_err(errors)?;
    let env = first
        .output
        .text("web-main.env")
        .unwrap_or_default()
        .to_string();
    // Saving keeps the generated password in the (in-memory) state; no file is written.
    first.save_state().map_err(errors)?;
    drop(first);
    // A second run renders the workloads the state holds, with the same password.
    let again = Generate::new()
        .run(&DockerRun, &mut store)
        .map_err(errors)?;
    assert_eq!(again.output.text("web-main.env"), Some(env.as_str()));
    for f in &again.output.files {
        println!(
            "==> {} (mode {:o})",
            f.path.display(),
            f.mode.unwrap_or(0o644)
        );
        print!("{}", String::from_utf8_lossy(&f.bytes));
    }
    Ok(())
}
