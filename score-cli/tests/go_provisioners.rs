//! Provisioner files written for score-compose and score-k8s (Go templates with sprig, the
//! reference tools' data names, `cmd://` with their JSON), installed from files, directories
//! and URLs; and every way such a file can be broken: a located error, no state written.
//!
//! The generated output also goes through the independent validators (`SCORE_RS_COMPOSE_BIN`,
//! `SCORE_RS_K8S_VALIDATE`) in tests a plain `cargo test` ignores; CI runs them with
//! `--include-ignored`, where a validator that is not set up fails them.

use crate::{cli, prereq};

use std::fs;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::Path;

use assert_cmd::Command;
use predicates::str::contains;

const WEB: &str = "apiVersion: score.dev/v1b1
metadata:
  name: web
service:
  ports:
    http: {port: 8080, targetPort: 9898}
containers:
  main:
    image: nginx:1.27
    variables:
      DB: postgres://${resources.db.username}:${resources.db.password}@${resources.db.host}:${resources.db.port}/${resources.db.database}
      BACKEND: ${resources.backend.name}
resources:
  db: {type: postgres}
  backend: {type: service}
  route:
    type: route
    params: {host: web.localhost, path: /, port: 8080}
";

/// The smallest workload with a `postgres`: for provisioner files that break while provisioning it.
const WEB_WITH_A_DATABASE: &str = "apiVersion: score.dev/v1b1\nmetadata: {name: web}\ncontainers: {main: {image: nginx}}\nresources: {db: {type: postgres}}\n";

const BACKEND: &str = "apiVersion: score.dev/v1b1
metadata:
  name: backend
containers:
  main:
    image: busybox:1.37
";

/// A compose provisioner file in the reference tools' style: init/state/shared/outputs,
/// `dig` on missing state, shared state, `files` under the mounts directory, `info_logs`.
const COMPOSE_PROVISIONERS: &str = r#"
- uri: template://go/postgres
  type: postgres
  init: |
    randomPassword: {{ randAlphaNum 16 | quote }}
    sk: go-postgres-instance
  state: |
    database: {{ dig "database" (print "db" (randAlpha 6 | lower)) .State | quote }}
    password: {{ dig "password" .Init.randomPassword .State | quote }}
  shared: |
    {{ .Init.sk }}:
      service: {{ dig .Init.sk "service" (printf "pg-%s" (randAlphaNum 6 | lower)) .Shared | quote }}
  outputs: |
    host: {{ dig .Init.sk "service" "" .Shared }}
    port: 5432
    database: {{ .State.database }}
    username: {{ .State.database }}
    password: {{ .State.password | quote }}
  files: |
    {{ dig .Init.sk "service" "" .Shared }}/{{ .State.database }}.sql: |
      CREATE DATABASE "{{ .State.database }}";
  services: |
    {{ dig .Init.sk "service" "" .Shared }}:
      image: postgres:17-alpine
      environment:
        POSTGRES_PASSWORD: {{ .State.password | quote }}
      volumes:
      - type: bind
        source: {{ .MountsDirectory }}/{{ dig .Init.sk "service" "" .Shared }}
        target: /docker-entrypoint-initdb.d
  info_logs: |
    - "{{ .Uid }}: psql -h {{ dig .Init.sk "service" "" .Shared }} in project {{ .ComposeProjectName }}"
- uri: template://go/service
  type: service
  init: |
    name: {{ splitList "." .Id | last }}
  outputs: |
    {{ $w := (index .WorkloadServices .Init.name) }}
    {{ if or (not $w) (not $w.ServiceName) }}{{ fail "unknown workload" }}{{ end }}
    name: {{ $w.ServiceName | quote }}
- uri: template://go/route
  type: route
  init: |
    {{ if not (regexMatch "^[a-z0-9_.-]{1,253}$" .Params.host) }}{{ fail (cat "params.host must be a valid hostname but was" .Params.host) }}{{ end }}
    {{ $port := index (index .WorkloadServices .SourceWorkload).Ports (print .Params.port) }}
    {{ if not $port.TargetPort }}{{ fail "params.port is not a service port" }}{{ end }}
    target: {{ printf "%s:%d" (index .WorkloadServices .SourceWorkload).ServiceName $port.TargetPort | quote }}
  outputs: |
    url: http://{{ .Params.host }}:8080{{ .Params.path }}
  info_logs: |
    - "route {{ .Params.host }}{{ .Params.path }} -> {{ .Init.target }}"
"#;

/// The same types for Kubernetes, with `.Namespace`, `.Guid` and `manifests`.
const K8S_PROVISIONERS: &str = r#"
- uri: template://go/postgres
  type: postgres
  init: |
    randomPassword: {{ randAlphaNum 16 | quote }}
  state: |
    service: pg-{{ .SourceWorkload }}-{{ substr 0 8 .Guid | lower }}
    password: {{ dig "password" .Init.randomPassword .State | quote }}
  outputs: |
    host: {{ .State.service }}
    port: 5432
    database: app
    username: app
    password: {{ .State.password | quote }}
  secret_outputs: [password]
  manifests: |
    - apiVersion: v1
      kind: Secret
      metadata:
        name: {{ .State.service }}
        {{ if ne .Namespace "" }}
        namespace: {{ .Namespace }}
        {{ end }}
        annotations:
          k8s.score.dev/resource-uid: {{ .Uid }}
      data:
        password: {{ .State.password | b64enc }}
- uri: template://go/service
  type: service
  init: |
    name: {{ splitList "." .Id | last }}
  outputs: |
    name: {{ (index .WorkloadServices .Init.name).ServiceName | quote }}
  manifests: |
    - apiVersion: networking.k8s.io/v1
      kind: NetworkPolicy
      metadata:
        name: {{ .Init.name }}-from-{{ .SourceWorkload }}
      spec:
        podSelector:
          matchLabels:
            app.kubernetes.io/name: {{ .Init.name }}
        policyTypes: [Ingress]
        ingress:
        - from:
          - podSelector:
              matchLabels:
                app.kubernetes.io/name: {{ .SourceWorkload }}
          ports:
          {{- range $k, $port := (index .WorkloadServices .SourceWorkload).Ports }}
          - protocol: TCP
            port: {{ $port.TargetPort }}
          {{- end }}
- uri: template://go/route
  type: route
  state: |
    routeName: route-{{ .SourceWorkload }}-{{ substr 0 8 .Guid | lower }}
  manifests: |
    - apiVersion: networking.k8s.io/v1
      kind: Ingress
      metadata:
        name: {{ .State.routeName }}
      spec:
        rules:
        - host: {{ .Params.host | quote }}
          http:
            paths:
            - path: {{ .Params.path | quote }}
              pathType: Prefix
              backend:
                service:
                  name: {{ (index .WorkloadServices .SourceWorkload).ServiceName }}
                  port:
                    number: {{ .Params.port }}
"#;

/// A run with JSON diagnostics: the tests read each one's file and line from stderr.
fn score_rs(dir: &Path) -> Command {
    let mut c = cli::score_rs(dir);
    c.env("SCORE_RS_DIAGNOSTICS", "json");
    c
}

fn project(provisioners: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    fs::write(d.join("web.yaml"), WEB).unwrap();
    fs::write(d.join("backend.yaml"), BACKEND).unwrap();
    fs::write(d.join("go.provisioners.yaml"), provisioners).unwrap();
    score_rs(d)
        .args([
            "init",
            "--no-sample",
            "--project",
            "demo",
            "--provisioners",
            "go.provisioners.yaml",
        ])
        .assert()
        .success();
    dir
}

fn state(d: &Path) -> Option<String> {
    fs::read_to_string(d.join(".score-rs/state.yaml")).ok()
}

/// Every file of the state directory with its content (what a failed command must not change;
/// the parse cache of provisioner files and the lock file are not state).
fn snapshot(d: &Path) -> Vec<(String, Vec<u8>)> {
    fn walk(p: &Path, out: &mut Vec<(String, Vec<u8>)>) {
        let Ok(rd) = fs::read_dir(p) else { return };
        for e in rd.filter_map(Result::ok) {
            let path = e.path();
            // The lock file holds the pid of its last holder, for messages only.
            if path.ends_with("cache") || path.ends_with("lock") {
                continue;
            }
            if path.is_dir() {
                walk(&path, out);
            } else {
                out.push((path.display().to_string(), fs::read(&path).unwrap()));
            }
        }
    }
    let mut out = Vec::new();
    walk(&d.join(".score-rs"), &mut out);
    out.sort();
    out
}

/// `compose.yaml` in `d` passes the Compose loader. Only for ignored tests: fails when
/// `SCORE_RS_COMPOSE_BIN` is not set.
fn compose_valid(d: &Path) {
    let bin = prereq::validator(
        "SCORE_RS_COMPOSE_BIN",
        "the Compose v2 loader (`docker-compose`)",
    );
    let out = std::process::Command::new(bin)
        .current_dir(d)
        .args(["-f", "compose.yaml", "config", "-q"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `manifests.yaml` in `d` passes `kubernetes-validate --strict`. Only for ignored tests: fails
/// when `SCORE_RS_K8S_VALIDATE` is not set.
fn k8s_valid(d: &Path) {
    let bin = prereq::validator("SCORE_RS_K8S_VALIDATE", "kubernetes-validate");
    let out = std::process::Command::new(bin)
        .args(["--strict", "manifests.yaml"])
        .current_dir(d)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Generates compose output from Go-template provisioners and checks what it holds.
fn generated_compose() -> tempfile::TempDir {
    let dir = project(COMPOSE_PROVISIONERS);
    let d = dir.path();
    score_rs(d)
        .args(["generate", "backend.yaml", "web.yaml"])
        .assert()
        .success()
        // `.ServiceName` is the compose service that owns the workload's network.
        .stderr(contains("route web.localhost/ -> web-main:9898"));
    let compose = fs::read_to_string(d.join("compose.yaml")).unwrap();
    let pg = compose
        .lines()
        .find_map(|l| l.trim().strip_suffix(':').filter(|n| n.starts_with("pg-")))
        .expect("the postgres service");
    assert!(compose.contains("DB: postgres://db"), "{compose}");
    assert!(compose.contains("BACKEND: backend-main"), "{compose}");
    assert!(
        compose.contains(&format!("source: ./.score-rs/mounts/{pg}")),
        "{compose}"
    );
    let sql = fs::read_dir(d.join(".score-rs/mounts").join(pg))
        .unwrap()
        .count();
    assert_eq!(sql, 1, "the `files` template wrote one script");
    // Generated secrets are kept in state: a re-run changes nothing.
    let first = (compose.clone(), state(d));
    score_rs(d).args(["generate"]).assert().success();
    assert_eq!(
        first,
        (
            fs::read_to_string(d.join("compose.yaml")).unwrap(),
            state(d)
        )
    );
    dir
}

#[test]
fn go_template_provisioners_generate_compose() {
    generated_compose();
}

#[test]
#[ignore = "needs SCORE_RS_COMPOSE_BIN (the Compose v2 loader); CI runs it with --include-ignored"]
fn go_template_provisioners_generate_valid_compose() {
    let bin = prereq::validator(
        "SCORE_RS_COMPOSE_BIN",
        "the Compose v2 loader (`docker-compose`)",
    );
    let dir = generated_compose();
    let out = std::process::Command::new(bin)
        .current_dir(dir.path())
        .args(["-f", "compose.yaml", "config", "-q"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Generates Kubernetes manifests from Go-template provisioners and checks what they hold.
fn generated_manifests() -> tempfile::TempDir {
    let dir = project(K8S_PROVISIONERS);
    let d = dir.path();
    score_rs(d)
        .args([
            "generate",
            "--target",
            "k8s",
            "--namespace",
            "shop",
            "backend.yaml",
            "web.yaml",
        ])
        .assert()
        .success();
    let manifests = fs::read_to_string(d.join("manifests.yaml")).unwrap();
    assert!(manifests.contains("kind: NetworkPolicy"), "{manifests}");
    assert!(manifests.contains("namespace: shop"), "{manifests}");
    assert!(
        manifests.contains("port: 9898"),
        "ports come from .WorkloadServices: {manifests}"
    );
    assert!(manifests.contains("kind: Ingress"), "{manifests}");
    dir
}

#[test]
fn go_template_provisioners_generate_kubernetes() {
    generated_manifests();
}

#[test]
#[ignore = "needs SCORE_RS_K8S_VALIDATE (kubernetes-validate); CI runs it with --include-ignored"]
fn go_template_provisioners_generate_valid_kubernetes() {
    let bin = prereq::validator("SCORE_RS_K8S_VALIDATE", "kubernetes-validate");
    let dir = generated_manifests();
    let out = std::process::Command::new(bin)
        .args(["--strict", "manifests.yaml"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn command_provisioners_written_for_the_reference_tools_run() {
    // As the catalogue's `environment` provisioner: `python3#fragment`, outputs only.
    let provisioner = r#"
- uri: cmd://sh#dotenv
  type: postgres
  args:
  - -c
  - |
    req=$(cat)
    case "$req" in *'"resource_uid":"postgres.default#web.db"'*) ;; *) echo "no resource_uid" >&2; exit 3;; esac
    case "$req" in *'"resource_id":"web.db"'*) ;; *) echo "no resource_id" >&2; exit 4;; esac
    case "$req" in *'"ServiceName"'*) ;; *) echo "no ServiceName" >&2; exit 5;; esac
    . ./.env
    printf '{"resource_outputs":{"host":"%s","port":5432,"username":"u","password":"p","database":"d"}}' "$HOST"
"#;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    fs::write(d.join("env.provisioners.yaml"), provisioner).unwrap();
    fs::write(d.join(".env"), "HOST=from-dotenv\n").unwrap();
    fs::write(
        d.join("web.yaml"),
        "apiVersion: score.dev/v1b1\nmetadata: {name: web}\nservice: {ports: {http: {port: 80}}}\ncontainers: {main: {image: nginx, variables: {H: '${resources.db.host}'}}}\nresources: {db: {type: postgres}}\n",
    )
    .unwrap();
    score_rs(d)
        .args([
            "init",
            "--no-sample",
            "--provisioners",
            "env.provisioners.yaml",
        ])
        .assert()
        .success();
    score_rs(d)
        .args(["generate", "web.yaml"])
        .assert()
        .success();
    let compose = fs::read_to_string(d.join("compose.yaml")).unwrap();
    assert!(compose.contains("H: from-dotenv"), "{compose}");
}

/// Each broken provisioner: the message, and the line of the installed file it points at.
#[test]
fn broken_go_provisioners_are_located_errors_and_change_nothing() {
    let head = "- uri: template://bad\n  type: postgres\n  outputs: |\n    host: x\n";
    let cases: &[(&str, String, &str, u64)] = &[
        ("syntax", format!("{head}    port: {{{{ .Init.port \n"), "syntax error", 5),
        ("unknown", format!("{head}    home: {{{{ env \"HOME\" }}}}\n"), "function \\\"env\\\" not defined", 5),
        ("fail", format!("{head}    {{{{ if not .Params.size }}}}{{{{ fail \"params.size is required\" }}}}{{{{ end }}}}\n"), "params.size is required", 5),
        ("loop", format!("{head}    {{{{ range until 100000 }}}}\n    {{{{ range until 100000 }}}}x{{{{ end }}}}{{{{ end }}}}\n"), "range iterations", 6),
        ("explode", format!("{head}    {{{{ range until 90000 }}}}{{{{ repeat 1000 \"x\" }}}}{{{{ end }}}}\n"), "too much output", 5),
        // Padding repeated by `%[1]`: refused before gigabytes are allocated.
        (
            "printf",
            format!("{head}    pad: {{{{ printf (repeat 100 \"%[1]65535d\") 1 }}}}\n"),
            "printf: the result could be longer than the limit",
            5,
        ),
        ("yaml", format!("{head}    {{{{ .Uid }}}}: [\n"), "invalid YAML", 0),
    ];
    for (name, text, expected, line) in cases {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        fs::write(d.join("web.yaml"), WEB_WITH_A_DATABASE).unwrap();
        let file = format!("{name}.provisioners.yaml");
        fs::write(d.join(&file), text).unwrap();
        score_rs(d)
            .args(["init", "--no-sample", "--provisioners", &file])
            .assert()
            .success();
        let before = snapshot(d);
        let out = score_rs(d).args(["generate", "web.yaml"]).output().unwrap();
        assert_eq!(out.status.code(), Some(1), "{name}: {out:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(expected), "{name}: {stderr}");
        if *line > 0 {
            let diag: serde_json::Value =
                serde_json::from_str(stderr.lines().next().unwrap()).unwrap();
            assert_eq!(diag["line"], *line, "{name}: {stderr}");
            assert!(
                diag["file"].as_str().unwrap().ends_with(&file),
                "{name}: {stderr}"
            );
        }
        assert_eq!(before, snapshot(d), "{name} changed the state directory");
    }
}

#[test]
fn broken_command_provisioners_are_located_errors_and_change_nothing() {
    let cases = [
        ("hang", "- uri: cmd://sh#hang\n  type: postgres\n  timeout_seconds: 1\n  args: ['-c', 'sleep 60 & sleep 60']\n", "did not finish within 1s"),
        ("garbage", "- uri: cmd://sh\n  type: postgres\n  args: ['-c', 'echo {not json']\n", "did not print valid JSON"),
        ("missing", "- uri: cmd://no-such-program-here#x\n  type: postgres\n", "cannot run `no-such-program-here`"),
    ];
    for (name, text, expected) in cases {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        fs::write(d.join("web.yaml"), WEB_WITH_A_DATABASE).unwrap();
        let file = format!("{name}.provisioners.yaml");
        fs::write(d.join(&file), text).unwrap();
        score_rs(d)
            .args(["init", "--no-sample", "--provisioners", &file])
            .assert()
            .success();
        let before = snapshot(d);
        let out = score_rs(d).args(["generate", "web.yaml"]).output().unwrap();
        assert_eq!(out.status.code(), Some(1), "{name}: {out:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(expected), "{name}: {stderr}");
        let diag: serde_json::Value = serde_json::from_str(stderr.lines().next().unwrap()).unwrap();
        assert_eq!(diag["line"], 1, "{name}: the entry's line: {stderr}");
        assert_eq!(before, snapshot(d), "{name} changed the state directory");
    }
}

/// A one-request-at-a-time HTTP server on 127.0.0.1 serving `files` by path (404 otherwise).
/// It stops after `requests` requests.
fn serve(files: Vec<(&'static str, String)>, requests: usize) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming().take(requests) {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut request_line = String::new();
            let _ = reader.read_line(&mut request_line);
            // Skip the headers.
            let mut line = String::new();
            while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
                line.clear();
            }
            let path = request_line.split_whitespace().nth(1).unwrap_or("");
            let response = match files.iter().find(|(p, _)| *p == path) {
                Some((_, body)) => format!(
                    "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                ),
                None => "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                    .to_string(),
            };
            let _ = stream.write_all(response.as_bytes());
        }
    });
    format!("http://{addr}")
}

#[test]
fn init_installs_provisioners_from_urls_and_directories() {
    let base = serve(
        vec![
            (
                "/catalogue/10-go.provisioners.yaml",
                COMPOSE_PROVISIONERS.to_string(),
            ),
            (
                "/broken.provisioners.yaml",
                "- uri: template://x\n".to_string(),
            ),
        ],
        3,
    );
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    fs::write(d.join("web.yaml"), WEB).unwrap();
    fs::write(d.join("backend.yaml"), BACKEND).unwrap();
    score_rs(d).args(["init", "--no-sample"]).assert().success();
    let before = snapshot(d);
    // A download that fails, and one that is not a provisioner file: nothing changes.
    for (url, expected) in [
        (format!("{base}/missing.provisioners.yaml"), "404"),
        (format!("{base}/broken.provisioners.yaml"), "has no `type`"),
    ] {
        score_rs(d)
            .args(["init", "--no-sample", "--provisioners", &url])
            .assert()
            .code(1)
            .stderr(contains(expected));
        assert_eq!(before, snapshot(d), "{url} changed the state directory");
    }
    let url = format!("{base}/catalogue/10-go.provisioners.yaml");
    score_rs(d)
        .args(["init", "--no-sample", "--provisioners", &url])
        .assert()
        .success();
    assert!(d.join(".score-rs/9000-10-go.provisioners.yaml").is_file());
    score_rs(d)
        .args(["generate", "backend.yaml", "web.yaml"])
        .assert()
        .success();

    // A directory installs each of its provisioner files, in name order (the last wins).
    let other = tempfile::tempdir().unwrap();
    let o = other.path();
    fs::create_dir(o.join("catalogue")).unwrap();
    fs::write(
        o.join("catalogue/a.provisioners.yaml"),
        "- uri: template://a\n  type: dns\n  outputs: 'host: a'\n",
    )
    .unwrap();
    fs::write(
        o.join("catalogue/b.provisioners.yaml"),
        "- uri: template://b\n  type: dns\n  outputs: 'host: b'\n",
    )
    .unwrap();
    fs::write(o.join("catalogue/notes.md"), "not a provisioner").unwrap();
    fs::write(o.join("web.yaml"), "apiVersion: score.dev/v1b1\nmetadata: {name: web}\ncontainers: {main: {image: nginx, variables: {H: '${resources.dns.host}'}}}\nresources: {dns: {type: dns}}\n").unwrap();
    score_rs(o)
        .args(["init", "--no-sample", "--provisioners", "catalogue"])
        .assert()
        .success();
    score_rs(o)
        .args(["generate", "web.yaml"])
        .assert()
        .success();
    assert!(fs::read_to_string(o.join("compose.yaml"))
        .unwrap()
        .contains("H: b"));
    // An empty directory is an error, not a silent no-op.
    fs::create_dir(o.join("empty")).unwrap();
    score_rs(o)
        .args(["init", "--no-sample", "--provisioners", "empty"])
        .assert()
        .code(1)
        .stderr(contains("holds no `*.provisioners.yaml` file"));
}

#[test]
fn the_default_provisioners_stay_in_the_jinja_dialect() {
    use score_core::provision::{parse_provisioner_file, ProvisionerKind};
    for (name, text) in [
        ("compose", score_compose::DEFAULT_PROVISIONERS),
        ("k8s", score_k8s::DEFAULT_PROVISIONERS),
        ("terraform", score_terraform::DEFAULT_PROVISIONERS),
    ] {
        let src = score_core::SourceFile::new(name, text);
        for p in parse_provisioner_file(&src).unwrap() {
            assert!(
                !matches!(p.run, ProvisionerKind::GoTemplate(_)),
                "{name}: `{}` was taken for a Go template",
                p.uri
            );
        }
    }
}

/// A k8s provisioner in the style of score-k8s's defaults: the password stays in a Secret of
/// the provisioner's own, and the outputs only refer to it, with `encodeSecretRef` and with the
/// marker written out, whole and inside a connection string.
const K8S_SECRET_REFS: &str = r#"
- uri: template://ref-style/postgres
  type: postgres
  init: |
    pw: {{ randAlphaNum 24 | quote }}
  state: |
    service: db-{{ .SourceWorkload }}-{{ substr 0 6 .Guid | lower }}
    user: {{ dig "user" (printf "u%s" (randAlpha 6 | lower)) .State | quote }}
    password: {{ dig "password" .Init.pw .State | quote }}
  outputs: |
    host: {{ .State.service }}
    port: 5432
    username: {{ .State.user }}
    password: {{ encodeSecretRef .State.service "password" }}
    url: "postgres://{{ .State.user }}:{{ encodeSecretRef .State.service "password" }}@{{ .State.service }}:5432/app"
    ca: 🔐💬{{ .State.service }}_ca.crt💬🔐
  manifests: |
    - apiVersion: v1
      kind: Secret
      metadata:
        name: {{ .State.service }}
      data:
        password: {{ .State.password | b64enc }}
        ca.crt: {{ printf "-----BEGIN CERTIFICATE-----\n%s\n" .Guid | b64enc }}
"#;

const APP: &str = "apiVersion: score.dev/v1b1
metadata:
  name: app
containers:
  main:
    image: busybox:1.37
    variables:
      PGPASSWORD: ${resources.db.password}
      DATABASE_URL: ${resources.db.url}
      DSN: host=${resources.db.host} user=${resources.db.username} password=${resources.db.password} cost=$$(0)
    files:
      /etc/ssl/db-ca.crt:
        content: ${resources.db.ca}
resources:
  db: {type: postgres}
";

#[test]
fn secret_references_become_secret_key_refs_on_kubernetes() {
    secret_reference_manifests();
}

#[test]
#[ignore = "needs SCORE_RS_K8S_VALIDATE (kubernetes-validate); CI runs it with --include-ignored"]
fn secret_reference_manifests_pass_kubernetes_validate() {
    k8s_valid(secret_reference_manifests().path());
}

/// Generates manifests from provisioners that reference secrets, and checks what they hold.
fn secret_reference_manifests() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    fs::write(d.join("app.yaml"), APP).unwrap();
    fs::write(d.join("refs.provisioners.yaml"), K8S_SECRET_REFS).unwrap();
    score_rs(d)
        .args([
            "init",
            "--no-sample",
            "--provisioners",
            "refs.provisioners.yaml",
        ])
        .assert()
        .success();
    score_rs(d)
        .args(["generate", "--target", "k8s", "app.yaml"])
        .assert()
        .success();
    let manifests = fs::read_to_string(d.join("manifests.yaml")).unwrap();
    let state = state(d).unwrap();
    let service = manifests
        .lines()
        .find_map(|l| l.trim().strip_prefix("name: db-app-"))
        .map(|rest| format!("db-app-{rest}"))
        .expect("the provisioner's Secret");
    // No marker and no password reaches the manifests.
    assert!(!manifests.contains('🔐'), "{manifests}");
    let password = state
        .split("\"password\": \"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap();
    assert!(!manifests.contains(password), "{manifests}");
    // PGPASSWORD is the Secret's key itself; the texts use one helper variable for it.
    let env = manifests.split("env:").nth(1).unwrap();
    let secret_ref = |var: &str| {
        format!(
            "- name: {var}\n              valueFrom:\n                secretKeyRef:\n                  \
             name: {service}\n                  key: password\n"
        )
    };
    assert!(env.contains(&secret_ref("PGPASSWORD")), "{manifests}");
    let helper = format!(
        "SCORE_SECRET_{}_PASSWORD",
        service.to_uppercase().replace('-', "_")
    );
    assert!(env.contains(&secret_ref(&helper)), "{manifests}");
    assert_eq!(env.matches("key: password").count(), 2, "{manifests}");
    assert!(
        env.contains("value: postgres://u")
            && env.contains(&format!(":$({helper})@{service}:5432/app\n"))
            && env.contains(&format!(" password=$({helper}) ")),
        "{manifests}"
    );
    assert!(
        env.contains("cost=$$(0)"),
        "a literal $( is escaped: {manifests}"
    );
    // The file that is exactly one reference is that key of the Secret, mounted.
    assert!(
        manifests.contains(&format!(
            "secret:\n            items:\n              - key: ca.crt\n                path: db-ca.crt\n            \
             secretName: {service}\n"
        )),
        "{manifests}"
    );
    dir
}

#[test]
fn secret_references_out_of_place_are_located_errors_and_change_nothing() {
    let marker_in_manifest = format!(
        "{K8S_SECRET_REFS}    - apiVersion: v1\n      kind: ConfigMap\n      metadata:\n        name: leak\n      data:\n        pw: {{{{ encodeSecretRef .State.service \"password\" }}}}\n"
    );
    let outputs_only = "- uri: template://ref-style/token\n  type: postgres\n  outputs: |\n    password: {{ encodeSecretRef \"api-tokens\" \"token\" }}\n";
    let cases: &[(&str, &str, String, &str)] = &[
        // A file that mixes a reference with text: score-k8s cannot mount it either.
        (
            "k8s",
            "file",
            K8S_SECRET_REFS.to_string(),
            "mixes a reference to a provisioner's Kubernetes Secret",
        ),
        (
            "k8s",
            "manifest",
            marker_in_manifest,
            "ConfigMap `leak` holds a reference to a Kubernetes Secret",
        ),
        // Compose has no Kubernetes Secrets to refer to.
        (
            "compose",
            "compose",
            outputs_only.to_string(),
            "which the `compose` target cannot resolve",
        ),
    ];
    for (target, name, provisioners, expected) in cases {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let app = if *name == "file" {
            APP.replace(
                "content: ${resources.db.ca}",
                "content: \"ca: ${resources.db.ca}\"",
            )
        } else {
            APP.to_string()
        };
        fs::write(d.join("app.yaml"), app).unwrap();
        fs::write(d.join("p.provisioners.yaml"), provisioners).unwrap();
        score_rs(d)
            .args([
                "init",
                "--no-sample",
                "--provisioners",
                "p.provisioners.yaml",
            ])
            .assert()
            .success();
        let before = snapshot(d);
        let out = score_rs(d)
            .args(["generate", "--target", target, "app.yaml"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{name}: {out:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(expected), "{name}: {stderr}");
        assert_eq!(before, snapshot(d), "{name} changed the state directory");
    }
}

/// A compose gateway in the style of score-compose's route default: one shared nginx,
/// re-rendered by every route with the routes gathered so far in shared state (built with
/// `set` on a variable, as sprig changes maps in place), its config in `files`, a cache
/// directory from `directories`, and two keys the Compose specification does not know.
const COMPOSE_GATEWAY: &str = r#"
- uri: template://ref-style/gateway
  type: route
  init: |
    sk: ref-style-gateway
    {{ if not (regexMatch "^/" .Params.path) }}{{ fail "params.path must start with /" }}{{ end }}
  shared: |
    {{ .Init.sk }}:
      service: {{ dig .Init.sk "service" (printf "gw-%s" (randAlphaNum 5 | lower)) .Shared | quote }}
      {{ $routes := dig .Init.sk "routes" (dict) .Shared }}
      {{ $w := index .WorkloadServices .SourceWorkload }}
      {{ $p := index $w.Ports (print .Params.port) }}
      {{ $_ := set $routes .Uid (printf "%s -> %s:%d" .Params.path $w.ServiceName $p.TargetPort) }}
      routes: {{ $routes | toRawJson }}
  files: |
    {{ dig .Init.sk "service" "" .Shared }}/routes.txt: |
      {{- range $uid, $r := (dig .Init.sk "routes" (dict) .Shared) }}
      {{ $r }}
      {{- end }}
  directories: |
    {{ dig .Init.sk "service" "" .Shared }}/cache: true
  services: |
    {{ $gw := dig .Init.sk "service" "" .Shared }}
    {{ $gw }}:
      image: nginx:1-alpine
      restartPolicy: always
      ports:
      - published: 8080
        target: 80
      volumes:
      - type: bind
        source: {{ .MountsDirectory }}/{{ $gw }}/routes.txt
        target: /etc/nginx/routes.txt
        readOnly: true
      - type: bind
        source: {{ .MountsDirectory }}/{{ $gw }}/cache
        target: /var/cache/nginx
- uri: template://ref-style/web-db
  type: postgres
  id: web.db
  outputs: |
    host: only-for-web
    port: 5432
    database: web
    username: web
    password: web-only
- uri: template://ref-style/db
  type: postgres
  outputs: |
    host: {{ .Id }}
"#;

const FRONT: &str = "apiVersion: score.dev/v1b1
metadata:
  name: front
service:
  ports:
    http: {port: 80, targetPort: 3000}
containers:
  main:
    image: nginx:1.27
    variables:
      DB: ${resources.db.host}
resources:
  db: {type: postgres}
  route:
    type: route
    params: {host: front.localhost, path: /, port: 80}
";

#[test]
fn reference_style_compose_gateway_generates_compose() {
    reference_style_gateway();
}

#[test]
#[ignore = "needs SCORE_RS_COMPOSE_BIN (the Compose v2 loader); CI runs it with --include-ignored"]
fn reference_style_compose_gateway_generates_valid_compose() {
    compose_valid(reference_style_gateway().path());
}

/// Generates compose output from reference-style gateway provisioners and checks what it holds.
fn reference_style_gateway() -> tempfile::TempDir {
    let dir = project(COMPOSE_GATEWAY);
    let d = dir.path();
    fs::write(d.join("front.yaml"), FRONT).unwrap();
    let out = score_rs(d)
        .env("SCORE_RS_DIAGNOSTICS", "human")
        .args(["generate", "front.yaml", "web.yaml", "backend.yaml"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    // The unknown keys are named, with the provisioner file and the service, and left out;
    // once each, though both routes render the gateway.
    assert_eq!(
        stderr.matches("score::compose::unknown_key").count(),
        2,
        "{stderr}"
    );
    for expected in [
        "volumes[0].readOnly",
        "restartPolicy",
        "9000-go.provisioners.yaml",
        "did you mean `read_only`?",
    ] {
        assert!(stderr.contains(expected), "{expected}: {stderr}");
    }
    let compose = fs::read_to_string(d.join("compose.yaml")).unwrap();
    assert!(
        !compose.contains("readOnly") && !compose.contains("restartPolicy"),
        "{compose}"
    );
    // The last rendering saw both routes; `set` changed the map it was given.
    let gw = compose
        .lines()
        .find_map(|l| l.trim().strip_suffix(':').filter(|n| n.starts_with("gw-")))
        .expect("the gateway service");
    let routes =
        fs::read_to_string(d.join(".score-rs/mounts").join(gw).join("routes.txt")).unwrap();
    assert!(
        routes.contains("/ -> front-main:3000") && routes.contains("/ -> web-main:9898"),
        "{routes}"
    );
    assert!(d.join(".score-rs/mounts").join(gw).join("cache").is_dir());
    // `id: web.db` serves web's own db only; front's db goes to the general entry.
    assert!(compose.contains("DB: front.db"), "{compose}");
    assert!(compose.contains("only-for-web"), "{compose}");
    // What a container writes in the directory survives a re-run.
    fs::write(d.join(".score-rs/mounts").join(gw).join("cache/entry"), "x").unwrap();
    score_rs(d).arg("generate").assert().success();
    assert!(d
        .join(".score-rs/mounts")
        .join(gw)
        .join("cache/entry")
        .is_file());
    dir
}

/// The table of Compose keys is what `scripts/compose_keys.py` makes of the Compose loader's
/// schema: regenerate it after upgrading the loader.
#[test]
#[ignore = "needs SCORE_RS_COMPOSE_BIN (the Compose v2 loader); CI runs it with --include-ignored"]
fn compose_key_table_follows_the_compose_loader() {
    let bin = prereq::validator(
        "SCORE_RS_COMPOSE_BIN",
        "the Compose v2 loader (`docker-compose`)",
    );
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let script = std::process::Command::new("python3")
        .arg(root.join("scripts/compose_keys.py"))
        .arg(bin)
        .output()
        .unwrap();
    assert!(
        script.status.success(),
        "{}",
        String::from_utf8_lossy(&script.stderr)
    );
    let mut rustfmt = std::process::Command::new("rustfmt")
        .args(["--edition", "2021"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    rustfmt
        .stdin
        .take()
        .unwrap()
        .write_all(&script.stdout)
        .unwrap();
    let formatted = rustfmt.wait_with_output().unwrap();
    let committed = fs::read_to_string(root.join("score-compose/src/spec_keys.rs")).unwrap();
    assert!(
        String::from_utf8_lossy(&formatted.stdout) == committed,
        "score-compose/src/spec_keys.rs is out of date: run scripts/compose_keys.py (see its header)"
    );
}

/// `directories: {path: false}` removes a directory with what is in it (a link there is removed,
/// never followed); a path outside the mounts directory, two resources that disagree, or a file
/// written into a removed directory are errors that change nothing.
#[test]
fn provisioner_directories_are_removed_and_misuse_changes_nothing() {
    let entry = |ty: &str, dirs: &str, files: &str| {
        format!("- uri: template://dirs/{ty}\n  type: {ty}\n  outputs: |\n    host: x\n  directories: |\n    {dirs}\n  files: |\n    {files}\n")
    };
    let app = "apiVersion: score.dev/v1b1\nmetadata: {name: app}\ncontainers: {main: {image: busybox:1.37}}\nresources:\n  aa: {type: aa}\n  bb: {type: bb}\n";
    let setup = |provisioners: &str| {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        fs::write(d.join("app.yaml"), app).unwrap();
        fs::write(d.join("d.provisioners.yaml"), provisioners).unwrap();
        score_rs(d)
            .args([
                "init",
                "--no-sample",
                "--provisioners",
                "d.provisioners.yaml",
            ])
            .assert()
            .success();
        dir
    };

    // Removal: the old cache goes, with its content; a link named for removal goes, its target stays.
    let ok = format!(
        "{}{}",
        entry("aa", "old-cache: false", "{}"),
        entry("bb", "link: false", "kept/f.txt: hello")
    );
    let dir = setup(&ok);
    let d = dir.path();
    let mounts = d.join(".score-rs/mounts");
    fs::create_dir_all(mounts.join("old-cache/inner")).unwrap();
    fs::write(mounts.join("old-cache/inner/x"), "x").unwrap();
    let outside = tempfile::tempdir().unwrap();
    fs::write(outside.path().join("keep-me"), "x").unwrap();
    #[cfg(unix)]
    std::os::unix::fs::symlink(outside.path(), mounts.join("link")).unwrap();
    score_rs(d)
        .args(["generate", "app.yaml"])
        .assert()
        .success();
    assert!(!mounts.join("old-cache").exists());
    assert!(fs::symlink_metadata(mounts.join("link")).is_err());
    assert!(outside.path().join("keep-me").is_file());
    assert_eq!(
        fs::read_to_string(mounts.join("kept/f.txt")).unwrap(),
        "hello"
    );

    let cases = [
        (
            "outside",
            format!(
                "{}{}",
                entry("aa", "../escape: true", "{}"),
                entry("bb", "{}", "{}")
            ),
            "the path must be relative to the mounts directory and stay inside it",
        ),
        (
            "disagree",
            format!(
                "{}{}",
                entry("aa", "data: true", "{}"),
                entry("bb", "data: false", "{}")
            ),
            "directory `data` is made by one resource and removed by the other",
        ),
        (
            "file in removed",
            format!(
                "{}{}",
                entry("aa", "data: false", "{}"),
                entry("bb", "{}", "data/f.txt: hello")
            ),
            "directory `data` is to be removed (`directories`), but `data/f.txt` would be written in it",
        ),
    ];
    for (name, provisioners, expected) in cases {
        let dir = setup(&provisioners);
        let d = dir.path();
        let before = snapshot(d);
        let out = score_rs(d).args(["generate", "app.yaml"]).output().unwrap();
        assert_eq!(out.status.code(), Some(1), "{name}: {out:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(expected), "{name}: {stderr}");
        assert_eq!(before, snapshot(d), "{name} changed the state directory");
        assert!(!d.join("compose.yaml").exists(), "{name}");
        assert!(
            !d.join(".score-rs/escape").exists() && !d.join("escape").exists(),
            "{name}"
        );
    }
}
