//! A Score file (as a string) to Kubernetes manifests (as a string), in memory: no state
//! directory, no files written. Run with `cargo run -p score-k8s --example in_memory`.

use score_core::generate::Generate;
use score_core::store::MemoryStore;
use score_k8s::{K8sBackend, Options};

const SCORE: &str = "
apiVersion: score.dev/v1b1
metadata: {name: web}
containers:
  main:
    image: nginx:1.27
    variables: {REDIS_HOST: '${resources.cache.host}'}
service:
  ports: {http: {port: 80, targetPort: 8080}}
resources:
  cache: {type: redis}
";

fn main() -> Result<(), String> {
    let backend = K8sBackend::new(Options::default());
    let generated = Generate::new()
        .score_text("score.yaml", SCORE)
        .run(&backend, MemoryStore::default())
        .map_err(|diags| diags.iter().map(|d| format!("{d}\n")).collect::<String>())?;
    print!(
        "{}",
        generated.output.text("manifests.yaml").unwrap_or_default()
    );
    Ok(())
}
