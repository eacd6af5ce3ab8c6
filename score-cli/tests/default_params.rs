//! Hostile params given to every default provisioner on every target: a value with newlines,
//! quotes, `: `, `#`, list markers and Terraform `${…}`/`%{…}` is either rejected with a
//! provisioner error or embedded as a value. It never changes the structure of what is
//! generated (no injected key, service, file or Terraform interpolation), and never makes a
//! template render invalid YAML.

use std::collections::BTreeSet;
use std::path::Path;

use score_core::provision::{self, parse_provisioner_file, Provisioner, WorkloadInput};
use score_core::state::TargetState;
use score_core::{Diagnostic, SourceFile};
use serde_json::{json, Map, Value};

/// Each payload carries the marker `injected`, which must never become a key or a reference.
const PAYLOADS: &[&str] = &[
    // `$$` is Score's escape for `$`: the provisioner receives `${var.injected}`.
    "x\"\ninjected: 'y' # : $${var.injected} %{ if true }",
    "x\n- injected\n  injected: [1]",
    "x', injected: {a: b}, z: '",
];

const TARGETS: &[&str] = &["compose", "k8s", "terraform"];

fn defaults(target: &str) -> Vec<Provisioner> {
    let text = match target {
        "compose" => score_compose::DEFAULT_PROVISIONERS,
        "k8s" => score_k8s::DEFAULT_PROVISIONERS,
        _ => score_terraform::DEFAULT_PROVISIONERS,
    };
    parse_provisioner_file(&SourceFile::new("zz-default.provisioners.yaml", text))
        .unwrap_or_else(|e| panic!("{target} defaults: {e:?}"))
}

/// A harmless value for each param the defaults declare.
fn benign(param: &str) -> Value {
    match param {
        "version" => json!("1.0"),
        "database" => json!("orders"),
        "username" => json!("owner"),
        "storage" | "size" => json!("2Gi"),
        "resources" => json!({"requests": {"cpu": "200m"}, "limits": {"memory": "2Gi"}}),
        "vhost" => json!("orders"),
        "bucket" => json!("my-bucket"),
        "name" => json!("orders-topic"),
        "partitions" => json!(2),
        "host" => json!("app.example.com"),
        "path" => json!("/api"),
        "port" => json!(80),
        "gateway" => json!("public"),
        "gateway_namespace" => json!("gateways"),
        "ingress_class" => json!("nginx"),
        "storage_class" => json!("fast"),
        "access_mode" => json!("ReadWriteMany"),
        "workload" => json!("web"),
        "pubsub" => json!("bus"),
        "topic" => json!("orders"),
        "route" => json!("/orders"),
        "minReplicas" => json!(1),
        "maxReplicas" => json!(4),
        "targetCPUUtilizationPercentage" | "targetMemoryUtilizationPercentage" => json!(70),
        "model" => json!("smollm2:135m"),
        "project_id" => json!("my-project"),
        other => panic!("no benign value for param `{other}`: add one"),
    }
}

/// Params a type needs to render at all.
fn required(kind: &str) -> Map<String, Value> {
    let needed: &[&str] = match kind {
        "route" => &["host", "port"],
        "service-port" => &["workload", "port"],
        "dapr-subscription" => &["pubsub", "topic"],
        "endpoint" => &["port"],
        _ => &[],
    };
    needed.iter().map(|p| (p.to_string(), benign(p))).collect()
}

fn score_file(p: &Provisioner, params: &Map<String, Value>) -> String {
    let class = p
        .class
        .as_deref()
        .map_or(String::new(), |c| format!(", \"class\": \"{c}\""));
    format!(
        "apiVersion: score.dev/v1b1\nmetadata: {{name: web}}\nservice: {{ports: {{web: {{port: 80, targetPort: 8080}}}}}}\ncontainers: {{main: {{image: nginx}}}}\nresources:\n  res: {{\"type\": \"{}\"{class}, \"params\": {}}}\n",
        p.kind,
        Value::Object(params.clone())
    )
}

/// What the target generates and the resources' outputs, as one JSON value (compose files as
/// path → number of lines).
fn generate(target: &str, yaml: &str) -> Result<Value, Vec<Diagnostic>> {
    generate_with(target, yaml, &defaults(target))
}

/// [`generate`] with the given provisioners.
fn generate_with(
    target: &str,
    yaml: &str,
    provisioners: &[Provisioner],
) -> Result<Value, Vec<Diagnostic>> {
    let loaded =
        score_core::load::load_source(SourceFile::new("score.yaml", yaml), Path::new("."), None)?;
    let inputs = vec![WorkloadInput::new(loaded.workload, ".".into())];
    let mut state = TargetState::default();
    match target {
        "compose" => {
            let opts = score_compose::Options {
                project: "t".into(),
                mounts_dir: ".score-rs/mounts".into(),
                compose_dir: ".".into(),
                ..Default::default()
            };
            let t = score_compose::target(&inputs, &opts);
            let resolved = provision::provision(&mut state, &inputs, provisioners, &t)?;
            let outputs = outputs_of(&resolved);
            let out = score_compose::generate(&resolved, &opts)?;
            let files: Map<String, Value> = out
                .files
                .iter()
                .map(|f| {
                    let lines = String::from_utf8_lossy(&f.bytes).lines().count();
                    (f.path.display().to_string(), json!(lines))
                })
                .collect();
            Ok(
                json!({"outputs": outputs, "document": out.document, "files": files, "info": out.info_logs}),
            )
        }
        "k8s" => {
            let opts = score_k8s::Options::default();
            let t = score_k8s::target(&inputs, &opts);
            let resolved = provision::provision(&mut state, &inputs, provisioners, &t)?;
            let documents = score_k8s::generate(&resolved, &opts)?.documents;
            Ok(json!({"outputs": outputs_of(&resolved), "documents": documents}))
        }
        _ => {
            let opts = score_terraform::Options::default();
            let t = score_terraform::target(&inputs, &opts);
            let resolved = provision::provision(&mut state, &inputs, provisioners, &t)?;
            let files: Map<String, Value> = score_terraform::module_files(&resolved)?
                .into_iter()
                .map(|(n, v)| (n.to_string(), v))
                .collect();
            Ok(json!({"outputs": outputs_of(&resolved), "module": files}))
        }
    }
}

/// Every resource's outputs, by UID: their keys are structure too (an injected key could
/// shadow a real output).
fn outputs_of(resolved: &provision::Resolved) -> Value {
    resolved
        .resources
        .iter()
        .map(|r| (r.uid.to_string(), Value::Object(r.record.outputs.clone())))
        .collect::<Map<String, Value>>()
        .into()
}

/// Every key path of `v` (list items merged), plus the number of items of each list.
fn shape(v: &Value, at: &str, out: &mut BTreeSet<String>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                let p = format!("{at}/{k}");
                out.insert(p.clone());
                shape(x, &p, out);
            }
        }
        Value::Array(xs) => {
            out.insert(format!("{at}[{}]", xs.len()));
            for x in xs {
                shape(x, &format!("{at}[]"), out);
            }
        }
        _ => {}
    }
}

/// Where the marker shows up as structure: a key, or a live Terraform reference.
fn injections(v: &Value, target: &str, at: &str, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                if k.contains("injected") {
                    out.push(format!("key {at}/{k}"));
                }
                injections(x, target, &format!("{at}/{k}"), out);
            }
        }
        Value::Array(xs) => xs
            .iter()
            .for_each(|x| injections(x, target, &format!("{at}[]"), out)),
        Value::String(s) if target == "terraform" => {
            let live = s.replace("$${", "").replace("%%{", "");
            if live.contains("${var.injected") || live.contains("%{ if") {
                out.push(format!("Terraform interpolation in {at}: {s:?}"));
            }
        }
        _ => {}
    }
}

/// What goes wrong when `p`'s params are hostile, and how many cases were tried.
fn check(target: &str, p: &Provisioner, all: &[Provisioner], problems: &mut Vec<String>) -> usize {
    let base = required(&p.kind);
    let mut checked = 0;
    for param in &p.supported_params {
        let mut benign_params = base.clone();
        benign_params.insert(param.clone(), benign(param));
        let expected = match generate_with(target, &score_file(p, &benign_params), all) {
            Ok(v) => v,
            Err(e) => {
                let messages: Vec<&String> = e.iter().map(|d| &d.message).collect();
                problems.push(format!(
                    "{target} `{}` rejects the harmless `{param}`: {messages:?}",
                    p.uri
                ));
                continue;
            }
        };
        let mut want = BTreeSet::new();
        shape(&expected, "", &mut want);
        for payload in PAYLOADS {
            checked += 1;
            let mut params = base.clone();
            params.insert(param.clone(), json!(payload));
            match generate_with(target, &score_file(p, &params), all) {
                Ok(out) => {
                    let mut got = BTreeSet::new();
                    shape(&out, "", &mut got);
                    if got != want {
                        let extra: Vec<_> = got.symmetric_difference(&want).collect();
                        problems.push(format!("{target} `{}` param `{param}` = {payload:?} changed the structure: {extra:?}", p.uri));
                    }
                    let mut found = Vec::new();
                    injections(&out, target, "", &mut found);
                    if !found.is_empty() {
                        problems.push(format!(
                            "{target} `{}` param `{param}` = {payload:?}: {found:?}",
                            p.uri
                        ));
                    }
                }
                Err(errors) => {
                    for d in errors {
                        // A rejection (`fail()`, a filter refusing the value) is fine; anything
                        // else (YAML that no longer parses, a backend refusing what the template
                        // made) means the value got into the structure.
                        let rejected = d.code == "score::provisioner::template"
                            && d.message.contains("invalid operation");
                        if !rejected {
                            problems.push(format!(
                                "{target} `{}` param `{param}` = {payload:?}: [{}] {}",
                                p.uri, d.code, d.message
                            ));
                        }
                    }
                }
            }
        }
    }
    checked
}

#[test]
fn hostile_params_never_change_the_structure_of_default_output() {
    let mut problems = Vec::new();
    let mut checked = 0;
    for target in TARGETS {
        let all = defaults(target);
        for p in &all {
            match generate_with(target, &score_file(p, &required(&p.kind)), &all) {
                Ok(_) => {}
                // No meaning on terraform: it fails whatever the params.
                Err(_) if *target == "terraform" && p.kind == "gcp-pubsub-emulator" => continue,
                Err(e) => panic!("{target} `{}`: fails with harmless params: {e:?}", p.uri),
            }
            checked += check(target, p, &all, &mut problems);
        }
    }
    assert!(checked > 300, "only {checked} cases checked");
    assert!(
        problems.is_empty(),
        "{} problem(s):\n{}",
        problems.len(),
        problems.join("\n")
    );
}

/// The check has teeth: a provisioner that embeds a param without quoting is caught.
#[test]
fn an_unquoted_param_is_caught() {
    let unsafe_entry = "- uri: template://test/unsafe\n  type: thing\n  supported_params: [host]\n  outputs: |\n    host: {{ params.host }}\n  services: |\n    thing:\n      image: nginx\n      hostname: {{ params.host }}\n";
    let all =
        parse_provisioner_file(&SourceFile::new("t.provisioners.yaml", unsafe_entry)).unwrap();
    let mut problems = Vec::new();
    assert_eq!(
        check("compose", &all[0], &all, &mut problems),
        PAYLOADS.len()
    );
    assert!(problems.len() >= PAYLOADS.len(), "{problems:#?}");
}

/// Every value of an `image` key in `v`.
fn images(v: &Value, out: &mut BTreeSet<String>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                if k == "image" {
                    if let Some(s) = x.as_str() {
                        out.insert(s.to_string());
                    }
                }
                images(x, out);
            }
        }
        Value::Array(xs) => xs.iter().for_each(|x| images(x, out)),
        _ => {}
    }
}

/// The three default files take every server image from the one engine table, so `version`
/// means the same everywhere and the pinned defaults cannot drift apart.
#[test]
fn every_target_runs_the_same_engine_images() {
    let engines = [
        ("postgres", "postgres"),
        ("postgres-instance", "postgres"),
        ("mysql", "mysql"),
        ("mongodb", "mongodb"),
        ("redis", "redis"),
        ("amqp", "rabbitmq"),
        ("kafka-topic", "kafka"),
        ("mssql", "mssql"),
        ("elasticsearch", "elasticsearch"),
        ("s3", "minio"),
        ("dapr-state-store", "redis"),
        ("dapr-pubsub", "redis"),
        ("llm-model", "ollama"),
        ("gcp-pubsub-emulator", "pubsub-emulator"),
    ];
    use score_core::provision::engines::image;
    for target in TARGETS {
        let provisioners = defaults(target);
        for (kind, engine) in engines {
            if *target == "terraform" && kind == "gcp-pubsub-emulator" {
                continue;
            }
            let p = provisioners
                .iter()
                .find(|p| p.kind == kind && p.class.is_none())
                .unwrap_or_else(|| panic!("{target} has no default for `{kind}`"));
            assert!(
                p.supported_params.iter().any(|x| x == "version"),
                "{target} `{kind}` takes no `version`"
            );
            for version in [None, Some("9.9")] {
                let mut params = required(kind);
                if let Some(v) = version {
                    params.insert("version".into(), json!(v));
                }
                let out = generate(target, &score_file(p, &params))
                    .unwrap_or_else(|e| panic!("{target} `{kind}`: {e:?}"));
                let mut found = BTreeSet::new();
                images(&out, &mut found);
                let want = image(engine, version).unwrap();
                assert!(
                    found.contains(&want),
                    "{target} `{kind}` version {version:?}: want {want}, images {found:?}"
                );
            }
        }
    }
}

/// `expected_outputs` of every default entry is exactly what it outputs (validation checks
/// placeholders against it before anything runs).
#[test]
fn expected_outputs_are_exact() {
    let mut problems = Vec::new();
    for target in TARGETS {
        let all = defaults(target);
        for p in &all {
            let out = match generate_with(target, &score_file(p, &required(&p.kind)), &all) {
                Ok(v) => v,
                Err(_) if *target == "terraform" && p.kind == "gcp-pubsub-emulator" => continue,
                Err(e) => panic!("{target} `{}`: {e:?}", p.uri),
            };
            let outputs = out["outputs"].as_object().unwrap();
            let uid = outputs
                .keys()
                .find(|k| k.ends_with("#web.res"))
                .unwrap_or_else(|| panic!("{target} `{}`: no resource in {outputs:?}", p.uri));
            let got: BTreeSet<&str> = outputs[uid]
                .as_object()
                .unwrap()
                .keys()
                .map(String::as_str)
                .collect();
            let want: BTreeSet<&str> = p.expected_outputs.iter().map(String::as_str).collect();
            if got != want {
                problems.push(format!(
                    "{target} `{}`: outputs {got:?}, expected_outputs {want:?}",
                    p.uri
                ));
            }
            for s in &p.secret_outputs {
                if !want.contains(s.as_str()) {
                    problems.push(format!(
                        "{target} `{}`: secret output `{s}` is not an expected output",
                        p.uri
                    ));
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The `{{ … }}` expressions of a template text, with their line numbers (quotes inside an
/// expression may hold `}}`; `{# … #}` comments are skipped).
fn expressions(text: &str) -> Vec<(usize, String)> {
    let bytes = text.as_bytes();
    let line_of = |at: usize| text[..at].matches('\n').count() + 1;
    let (mut out, mut i) = (Vec::new(), 0);
    while i + 1 < bytes.len() {
        if bytes[i] == b'{' && bytes[i + 1] == b'#' {
            i = text[i..].find("#}").map_or(bytes.len(), |e| i + e + 2);
            continue;
        }
        if !(bytes[i] == b'{' && bytes[i + 1] == b'{') {
            i += 1;
            continue;
        }
        let start = i + 2;
        let (mut j, mut quote) = (start, None);
        while j + 1 < bytes.len() {
            match (quote, bytes[j]) {
                (Some(_), b'\\') => j += 1,
                (Some(q), c) if c == q => quote = None,
                (None, b'"' | b'\'') => quote = Some(bytes[j]),
                (None, b'}') if bytes[j + 1] == b'}' => break,
                _ => {}
            }
            j += 1;
        }
        out.push((
            line_of(i),
            text[start..j].trim_matches(['-', ' ']).to_string(),
        ));
        i = j + 2;
    }
    out
}

/// Issue 15 (YAML injection through the compose `route`'s `host`): every value a default
/// template prints goes through `tojson` (or yields a number: `int`, `quantity_value`), so no param, state or workload value can
/// add a line, key, service or file, whatever the checks before it let through.
#[test]
fn every_default_template_value_is_printed_through_tojson_or_int() {
    let mut bare = Vec::new();
    for (target, text) in [
        ("compose", score_compose::DEFAULT_PROVISIONERS),
        ("k8s", score_k8s::DEFAULT_PROVISIONERS),
        ("terraform", score_terraform::DEFAULT_PROVISIONERS),
    ] {
        let found = expressions(text);
        assert!(found.len() > 100, "{target}: {} expressions", found.len());
        for (line, expr) in found {
            let safe = expr.starts_with("fail(")
                || expr.ends_with("| tojson")
                || expr.ends_with("| int")
                || expr.ends_with("| quantity_value"); // a number, or an error
            if !safe {
                bare.push(format!("{target} defaults, line {line}: {{{{ {expr} }}}}"));
            }
        }
    }
    assert!(
        bare.is_empty(),
        "printed without tojson:\n{}",
        bare.join("\n")
    );
}

#[test]
fn the_expression_scanner_sees_through_quotes_and_comments() {
    let found = expressions("a: {{ x }}\n{# {{ no }} #}b: {{- (\"}}\" ~ y) | tojson -}}");
    assert_eq!(
        found,
        vec![
            (1, "x".to_string()),
            (2, "(\"}}\" ~ y) | tojson".to_string())
        ]
    );
}

/// `v` with every one-element list replaced by its element (Terraform's JSON wraps blocks).
fn unwrap_blocks(v: &Value) -> Value {
    match v {
        Value::Array(a) if a.len() == 1 => unwrap_blocks(&a[0]),
        Value::Array(a) => Value::Array(a.iter().map(unwrap_blocks).collect()),
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, v)| (k.clone(), unwrap_blocks(v)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// Every container `resources` object in generated output (compose: `deploy.resources`).
fn container_resources(v: &Value, out: &mut Vec<Value>) {
    match v {
        Value::Object(m) => {
            for (k, v) in m {
                let is_resources = k == "resources"
                    && ["requests", "limits", "reservations"]
                        .iter()
                        .any(|s| v.get(s).is_some());
                if is_resources {
                    out.push(v.clone());
                } else {
                    container_resources(v, out);
                }
            }
        }
        Value::Array(a) => a.iter().for_each(|v| container_resources(v, out)),
        _ => {}
    }
}

/// Issue 12 item 7: database pods get modest requests and limits by default, and the
/// `resources` param overrides them, on every target and every type that declares it.
#[test]
fn database_resources_have_modest_defaults_the_resources_param_overrides() {
    let wanted = json!({"requests": {"cpu": "750m", "memory": "3Gi"}, "limits": {"cpu": "2", "memory": "5Gi"}});
    let mut declared_by = BTreeSet::new();
    for target in TARGETS {
        let (expect, default_keys) = if *target == "compose" {
            (
                json!({"reservations": {"cpus": 0.75, "memory": "3221225472"}, "limits": {"cpus": 2.0, "memory": "5368709120"}}),
                ["reservations", "limits"],
            )
        } else {
            (wanted.clone(), ["requests", "limits"])
        };
        for p in defaults(target) {
            if !p.supported_params.iter().any(|s| s == "resources") {
                continue;
            }
            declared_by.insert((p.kind.clone(), target.to_string()));
            let found = |params: Map<String, Value>| {
                let out = generate(target, &score_file(&p, &params))
                    .unwrap_or_else(|e| panic!("{target} {}: {e:?}", p.kind));
                let mut found = Vec::new();
                container_resources(&unwrap_blocks(&out), &mut found);
                found
            };
            let defaults = found(required(&p.kind));
            let modest = defaults.iter().any(|r| {
                default_keys
                    .iter()
                    .all(|k| r[k]["memory"].is_string() && r[k] != expect[k])
            });
            assert!(
                modest,
                "{target} {}: no default requests and limits in {defaults:?}",
                p.kind
            );
            let mut params = required(&p.kind);
            params.insert("resources".into(), wanted.clone());
            let overridden = found(params);
            assert!(
                overridden.contains(&expect),
                "{target} {}: the resources param is not applied: {overridden:?}",
                p.kind
            );
        }
    }
    // Every type that takes `resources` takes it on all three targets.
    let kinds: BTreeSet<_> = declared_by.iter().map(|(k, _)| k.clone()).collect();
    for kind in &kinds {
        for target in TARGETS {
            assert!(
                declared_by.contains(&(kind.clone(), target.to_string())),
                "`{kind}` takes `resources` but not on {target}"
            );
        }
    }
    assert!(kinds.contains("postgres") && kinds.len() >= 8, "{kinds:?}");
}

/// Params a type takes on some targets only, with why the others cannot honour it (there,
/// the param gets the `score::resource::unknown_param` warning naming what is supported).
const TARGET_ONLY_PARAMS: &[(&str, &str, &str)] = &[
    // Docker volumes have no size, class or access mode.
    ("amqp", "storage", "compose"),
    ("dapr-pubsub", "storage", "compose"),
    ("dapr-state-store", "storage", "compose"),
    ("elasticsearch", "storage", "compose"),
    ("mongodb", "storage", "compose"),
    ("mssql", "storage", "compose"),
    ("mysql", "storage", "compose"),
    ("postgres", "storage", "compose"),
    ("postgres-instance", "storage", "compose"),
    ("redis", "storage", "compose"),
    ("volume", "size", "compose"),
    ("volume", "storage_class", "compose"),
    ("volume", "access_mode", "compose"),
    // Compose routes go through score-rs's own nginx gateway, not a Gateway API Gateway.
    ("route", "gateway", "compose"),
    ("route", "gateway_namespace", "compose"),
    // An Ingress class is a choice of the k8s target's `ingress` route class only.
    ("route", "ingress_class", "compose"),
    ("route", "ingress_class", "terraform"),
];

/// Issue 12 item 6: a param a default declares works on every target, or is one of
/// [`TARGET_ONLY_PARAMS`].
#[test]
fn every_declared_param_is_taken_on_every_target() {
    let mut by_type: std::collections::BTreeMap<String, Vec<BTreeSet<String>>> = Default::default();
    for (i, target) in TARGETS.iter().enumerate() {
        for p in defaults(target) {
            let sets = by_type
                .entry(p.kind.clone())
                .or_insert_with(|| vec![BTreeSet::new(); TARGETS.len()]);
            sets[i].extend(p.supported_params.iter().cloned());
        }
    }
    let mut missing = BTreeSet::new();
    for (kind, sets) in &by_type {
        let all: BTreeSet<_> = sets.iter().flatten().cloned().collect();
        for (i, set) in sets.iter().enumerate() {
            for param in all.difference(set) {
                missing.insert((kind.clone(), param.clone(), TARGETS[i].to_string()));
            }
        }
    }
    let allowed: BTreeSet<_> = TARGET_ONLY_PARAMS
        .iter()
        .map(|(k, p, t)| (k.to_string(), p.to_string(), t.to_string()))
        .collect();
    let unexplained: Vec<_> = missing.difference(&allowed).collect();
    assert!(
        unexplained.is_empty(),
        "taken on some targets only: {unexplained:?}"
    );
    let stale: Vec<_> = allowed.difference(&missing).collect();
    assert!(
        stale.is_empty(),
        "TARGET_ONLY_PARAMS lists params now taken: {stale:?}"
    );
}

/// The `service` type takes `workload` and outputs `name`, `host` and `ports` on every target:
/// the port a client connects to (compose: the container's port; Kubernetes: the Service's).
#[test]
fn the_service_type_means_the_same_on_every_target() {
    for (target, port) in [("compose", 8080), ("k8s", 80), ("terraform", 80)] {
        let p = defaults(target)
            .into_iter()
            .find(|p| p.kind == "service")
            .unwrap();
        let params = json!({"workload": "web"}).as_object().unwrap().clone();
        let out = generate(target, &score_file(&p, &params)).unwrap();
        let outputs = &out["outputs"]["service.default#web.res"];
        assert_eq!(
            outputs["ports"],
            json!({"web": port}),
            "{target}: {outputs}"
        );
        assert_eq!(outputs["host"], outputs["name"], "{target}");
        // Terraform names it through a reference to the Service resource.
        assert!(
            outputs["name"].as_str().unwrap().contains("web"),
            "{target}: {outputs}"
        );
    }
}
