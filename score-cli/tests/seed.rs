//! The source article's workload (`fixtures/compose/seed/score.yaml`, a copy of
//! `../shared/corpus/seed/score.yaml`), unchanged, on the real binary and all three targets: it
//! generates, postgres runs version 16 everywhere, and the `DATABASE_URL` the application gets
//! is a working URL for the database the provisioner created (user, password, host, port and
//! database are the server's own).

use std::fs;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::cli::score_rs;

fn seed() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/compose/seed/score.yaml")
}

fn project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    fs::copy(seed(), dir.path().join("score.yaml")).unwrap();
    score_rs(dir.path())
        .args(["init", "--no-sample"])
        .assert()
        .success();
    dir
}

/// The parts of a connection URL.
#[derive(Debug, PartialEq, Eq)]
struct Url {
    scheme: String,
    user: String,
    password: String,
    host: String,
    port: String,
    database: String,
}

fn parse_url(url: &str) -> Url {
    let (scheme, rest) = url.split_once("://").expect("scheme://");
    let (userinfo, rest) = rest.rsplit_once('@').expect("user@host");
    let (user, password) = userinfo.split_once(':').expect("user:password");
    let (hostport, database) = rest.split_once('/').expect("host:port/database");
    let (host, port) = hostport.split_once(':').expect("host:port");
    Url {
        scheme: scheme.into(),
        user: user.into(),
        password: password.into(),
        host: host.into(),
        port: port.into(),
        database: database.into(),
    }
}

/// `KEY="value"` lines of a compose env file.
fn env_file(path: &Path) -> Vec<(String, String)> {
    fs::read_to_string(path)
        .unwrap()
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_string(), v.trim_matches('"').to_string()))
        .collect()
}

fn get<'a>(vars: &'a [(String, String)], key: &str) -> &'a str {
    &vars
        .iter()
        .find(|(k, _)| k == key)
        .unwrap_or_else(|| panic!("{key} in {vars:?}"))
        .1
}

#[test]
fn compose_gives_the_app_a_working_database_url_for_postgres_16() {
    let dir = project();
    let d = dir.path();
    score_rs(d)
        .args(["generate", "score.yaml"])
        .assert()
        .success();
    let compose: Value =
        serde_saphyr::from_str(&fs::read_to_string(d.join("compose.yaml")).unwrap()).unwrap();
    let services = compose["services"].as_object().unwrap();
    let (db_name, db) = services
        .iter()
        .find(|(n, _)| n.starts_with("postgres-"))
        .expect("a postgres service");
    assert_eq!(db["image"], "postgres:16");
    let mounts = d.join(".score-rs/mounts/secrets");
    let app = env_file(&mounts.join("orders-api-main.env"));
    let server = env_file(&mounts.join(format!("{db_name}.env")));
    let url = parse_url(get(&app, "DATABASE_URL"));
    assert_eq!(
        url,
        Url {
            scheme: "postgresql".into(),
            user: db["environment"]["POSTGRES_USER"].as_str().unwrap().into(),
            password: get(&server, "POSTGRES_PASSWORD").into(),
            host: db_name.clone(),
            port: "5432".into(),
            database: db["environment"]["POSTGRES_DB"].as_str().unwrap().into(),
        }
    );
    assert!(url.password.len() >= 20, "a generated password");
    // The redis URL carries the server's password too.
    let redis = get(&app, "REDIS_URL");
    let (redis_name, _) = services
        .iter()
        .find(|(n, _)| n.starts_with("redis-"))
        .unwrap();
    let redis_auth = env_file(&mounts.join(format!("{redis_name}.env")));
    assert_eq!(
        redis,
        format!(
            "redis://default:{}@{redis_name}:6379",
            get(&redis_auth, "REDISCLI_AUTH")
        )
    );
    // Secrets stay out of compose.yaml.
    let text = fs::read_to_string(d.join("compose.yaml")).unwrap();
    assert!(!text.contains(&url.password));
    if let Ok(bin) = std::env::var("SCORE_RS_COMPOSE_BIN") {
        let out = std::process::Command::new(bin)
            .args(["-f", "compose.yaml", "config", "-q"])
            .current_dir(d)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// The documents of a multi-document manifests file.
fn documents(text: &str) -> Vec<Value> {
    text.split("\n---\n")
        .map(|d| d.trim_start_matches("---\n"))
        .filter(|d| !d.trim().is_empty())
        .map(|d| serde_saphyr::from_str(d).unwrap())
        .collect()
}

fn find<'a>(docs: &'a [Value], kind: &str, name: &str) -> &'a Value {
    docs.iter()
        .find(|d| d["kind"] == kind && d["metadata"]["name"] == name)
        .unwrap_or_else(|| panic!("{kind} {name}"))
}

#[test]
fn kubernetes_gives_the_app_a_working_database_url_for_postgres_16() {
    let dir = project();
    let d = dir.path();
    score_rs(d)
        .args(["generate", "score.yaml", "--target", "k8s"])
        .assert()
        .success();
    let text = fs::read_to_string(d.join("manifests.yaml")).unwrap();
    let docs = documents(&text);
    let db = docs
        .iter()
        .find(|x| {
            x["kind"] == "StatefulSet"
                && x["metadata"]["labels"]["app.kubernetes.io/name"] == "postgres"
        })
        .expect("a postgres StatefulSet");
    let name = db["metadata"]["name"].as_str().unwrap();
    let pod = &db["spec"]["template"]["spec"];
    let container = &pod["containers"][0];
    assert_eq!(container["image"], "postgres:16");
    assert!(
        container["resources"]["requests"]["memory"].is_string(),
        "{container}"
    );
    let env = |key: &str| -> Value {
        container["env"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["name"] == key)
            .unwrap_or_else(|| panic!("{key}"))
            .clone()
    };
    // The StatefulSet names a headless Service, clients the ClusterIP Service.
    let headless = db["spec"]["serviceName"].as_str().unwrap();
    assert_eq!(
        find(&docs, "Service", headless)["spec"]["clusterIP"],
        "None"
    );
    assert_eq!(find(&docs, "Service", name)["spec"]["type"], "ClusterIP");
    let server_secret = find(&docs, "Secret", name);
    assert_eq!(
        env("POSTGRES_PASSWORD")["valueFrom"]["secretKeyRef"]["name"],
        name
    );
    // The app reads DATABASE_URL from its own Secret, never as a plain value.
    let app = find(&docs, "Deployment", "orders-api");
    let var = app["spec"]["template"]["spec"]["containers"][0]["env"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["name"] == "DATABASE_URL")
        .unwrap()
        .clone();
    assert!(var.get("value").is_none(), "{var}");
    let r = &var["valueFrom"]["secretKeyRef"];
    let app_secret = find(&docs, "Secret", r["name"].as_str().unwrap());
    let url = parse_url(
        app_secret["stringData"][r["key"].as_str().unwrap()]
            .as_str()
            .unwrap(),
    );
    assert_eq!(
        url,
        Url {
            scheme: "postgresql".into(),
            user: env("POSTGRES_USER")["value"].as_str().unwrap().into(),
            password: server_secret["stringData"]["password"]
                .as_str()
                .unwrap()
                .into(),
            host: name.into(),
            port: "5432".into(),
            database: env("POSTGRES_DB")["value"].as_str().unwrap().into(),
        }
    );
    if let Ok(bin) = std::env::var("SCORE_RS_K8S_VALIDATE") {
        let out = std::process::Command::new(bin)
            .args(["--strict", "manifests.yaml"])
            .current_dir(d)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success() && !stdout.contains("ERROR"),
            "{stdout}"
        );
    }
}

#[test]
fn terraform_gives_the_app_a_working_database_url_for_postgres_16() {
    let dir = project();
    let d = dir.path();
    score_rs(d)
        .args([
            "generate",
            "score.yaml",
            "--target",
            "terraform",
            "--tf-format",
            "json",
            "-o",
            "tf",
        ])
        .assert()
        .success();
    let main: Value =
        serde_json::from_str(&fs::read_to_string(d.join("tf/main.tf.json")).unwrap()).unwrap();
    let resources = &main["resource"];
    let (n, db) = resources["kubernetes_stateful_set_v1"]
        .as_object()
        .unwrap()
        .iter()
        .find(|(n, _)| n.starts_with("postgres-"))
        .expect("a postgres StatefulSet");
    let container = &db["spec"][0]["template"][0]["spec"][0]["container"][0];
    assert_eq!(container["image"], "postgres:16");
    let env = |key: &str| -> String {
        container["env"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["name"] == key)
            .and_then(|e| e["value"].as_str())
            .unwrap_or_else(|| panic!("{key}"))
            .to_string()
    };
    assert_eq!(
        db["spec"][0]["service_name"],
        format!("${{kubernetes_service_v1.{n}-headless.metadata[0].name}}")
    );
    // The app's Secret holds the URL as a Terraform template of the server's own values.
    let secret = resources["kubernetes_secret_v1"]["orders-api-env"]["data"]
        .as_object()
        .unwrap();
    let url = secret
        .iter()
        .find(|(k, _)| k.ends_with("DATABASE_URL"))
        .and_then(|(_, v)| v.as_str())
        .unwrap();
    assert_eq!(
        url,
        format!(
            "postgresql://{}:${{urlencode(random_password.{n}.result)}}@${{kubernetes_service_v1.{n}.metadata[0].name}}:5432/{}",
            env("POSTGRES_USER"),
            env("POSTGRES_DB")
        )
    );
    // The server reads the same generated password.
    assert_eq!(
        resources["kubernetes_secret_v1"][n]["data"]["password"],
        format!("${{random_password.{n}.result}}")
    );
}
