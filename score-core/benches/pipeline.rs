//! Library-level benchmarks of the front end and the provisioner engine (`cargo bench -p score-core`).
//! Whole-process timings of the CLI live in `bench/run.py`.

use std::path::{Path, PathBuf};

use score_core::provision::{parse_provisioner_file, provision, Target, WorkloadInput};
use score_core::state::TargetState;
use score_core::SourceFile;

fn main() {
    divan::main();
}

fn workload(i: usize) -> String {
    format!(
        "apiVersion: score.dev/v1b1
metadata: {{name: svc-{i:04}}}
service: {{ports: {{http: {{port: 80, targetPort: 8080}}, metrics: {{port: 9090}}}}}}
containers:
  app:
    image: registry.example.com/svc:{i}
    variables:
      DB: postgres://${{resources.db.username}}:${{resources.db.password}}@${{resources.db.host}}/${{resources.db.database}}
      CACHE: ${{resources.cache.host}}
      NAME: ${{metadata.name}}
    files:
      /etc/app.yaml: {{content: 'name: ${{metadata.name}}', mode: '0644'}}
    resources: {{limits: {{cpu: 500m, memory: 256Mi}}}}
    livenessProbe: {{httpGet: {{path: /healthz, port: 8080}}}}
resources:
  db: {{type: postgres}}
  cache: {{type: redis, id: shared-cache}}
"
    )
}

const PROVISIONERS: &str = "
- uri: template://bench/postgres
  type: postgres
  secret_outputs: [password]
  state: |
    password: {{ state.password | default(random_password(24)) }}
  outputs: |
    host: {{ uid | slug }}
    port: 5432
    username: app
    database: app
    password: {{ state.password }}
  services: |
    {{ uid | slug }}: {image: 'postgres:17.2-alpine'}
- uri: template://bench/redis
  type: redis
  outputs: |
    host: redis
    port: 6379
";

#[divan::bench]
fn load_and_validate_one(bencher: divan::Bencher) {
    let text = workload(1);
    bencher.bench(|| {
        let src = SourceFile::new("score.yaml", text.clone());
        score_core::load::load_source(src, Path::new("."), None).unwrap()
    });
}

#[divan::bench(args = [1, 200])]
fn provision_workloads(bencher: divan::Bencher, n: usize) {
    let inputs: Vec<WorkloadInput> = (0..n)
        .map(|i| {
            let src = SourceFile::new(format!("w{i}.yaml"), workload(i));
            let w = score_core::load::load_source(src, Path::new("."), None)
                .unwrap()
                .workload;
            WorkloadInput {
                workload: w,
                base_dir: PathBuf::from("."),
            }
        })
        .collect();
    let provisioners =
        parse_provisioner_file(&SourceFile::new("p.provisioners.yaml", PROVISIONERS)).unwrap();
    let target = Target {
        name: "compose".into(),
        artifact_keys: vec!["services".into()],
        vars: Default::default(),
        secret_refs: false,
    };
    let mut warm = TargetState::default();
    provision(&mut warm, &inputs, &provisioners, &target).unwrap();
    bencher.bench(|| {
        let mut state = warm.clone();
        provision(&mut state, &inputs, &provisioners, &target).unwrap()
    });
}
