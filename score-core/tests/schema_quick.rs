//! `schema::quick_check` (the compile-free walker used before the full validator) must never
//! disagree with the full `jsonschema` validator when it gives an answer, and must give one for
//! ordinary valid workloads (otherwise the fast path silently stops working).
//!
//! Checked on every fixture and thousands of deterministic mutations of them; with `../shared`
//! (CI: `--include-ignored`) also on the upstream corpus and mutations of it.

use crate::prereq;

use std::fs;
use std::path::{Path, PathBuf};

use serde_json::{json, Map, Value};

const OUR_SCHEMA: &str = include_str!("../../schemas/score-v1b1.json");
const FIXTURES_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures");

/// Mutated documents per run; each run uses the same seed, so a failure reproduces.
const MUTANTS: usize = 20_000;

fn full() -> jsonschema::Validator {
    let schema: Value = serde_json::from_str(OUR_SCHEMA).expect("schema is JSON");
    jsonschema::validator_for(&schema).expect("schema compiles")
}

fn documents_below(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    let mut paths: Vec<PathBuf> = entries.map(|e| e.expect("dir entry").path()).collect();
    paths.sort();
    for path in paths {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if path.is_dir() {
            documents_below(&path, out);
        } else if name.ends_with(".yaml") || name.ends_with(".yml") || name.ends_with(".json") {
            out.push(path);
        }
    }
}

/// The fixtures (valid and invalid Score files).
fn fixture_dirs() -> Vec<PathBuf> {
    let fixtures = Path::new(FIXTURES_DIR);
    vec![fixtures.join("valid"), fixtures.join("invalid")]
}

/// Every file below `dirs` that parses as one YAML document, as JSON.
fn documents(dirs: &[PathBuf]) -> Vec<(PathBuf, Value)> {
    let mut paths = Vec::new();
    for dir in dirs {
        documents_below(dir, &mut paths);
    }
    paths
        .into_iter()
        .filter_map(|p| {
            let text = fs::read_to_string(&p).ok()?;
            let node = score_core::yaml::parse(&p.display().to_string(), &text).ok()?;
            Some((p, node.to_json()))
        })
        .collect()
}

fn disagreement(full: &jsonschema::Validator, doc: &Value) -> Option<String> {
    let quick = score_core::schema::quick_check(doc)?;
    let truth = full.is_valid(doc);
    (quick != truth).then(|| format!("quick says {quick}, full validator says {truth}"))
}

/// The quick check agrees with the full validator on `docs` and decides every valid one.
fn agrees_and_decides_valid_ones(docs: &[(PathBuf, Value)]) {
    let full = full();
    let mut problems = Vec::new();
    for (path, doc) in docs {
        if let Some(d) = disagreement(&full, doc) {
            problems.push(format!("{}: {d}", path.display()));
        }
        if full.is_valid(doc) && score_core::schema::quick_check(doc) != Some(true) {
            problems.push(format!(
                "{}: valid, but the quick check did not say so",
                path.display()
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn quick_check_agrees_on_fixtures_and_decides_valid_ones() {
    let docs = documents(&fixture_dirs());
    assert!(docs.len() >= 70, "only {} documents found", docs.len());
    agrees_and_decides_valid_ones(&docs);
}

#[test]
#[ignore = "needs ../shared/corpus (or SCORE_RS_SHARED); CI runs it with --include-ignored"]
fn quick_check_agrees_on_the_corpus_and_decides_valid_ones() {
    let docs = documents(&[prereq::corpus()]);
    assert!(docs.len() >= 80, "only {} documents found", docs.len());
    agrees_and_decides_valid_ones(&docs);
}

/// Small deterministic generator (xorshift64*), so the test needs no seed plumbing.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// Keys the schema knows, so mutations often land on meaningful fields.
const KEYS: &[&str] = &[
    "apiVersion",
    "metadata",
    "name",
    "annotations",
    "service",
    "ports",
    "port",
    "targetPort",
    "protocol",
    "containers",
    "image",
    "command",
    "args",
    "variables",
    "files",
    "volumes",
    "resources",
    "limits",
    "requests",
    "cpu",
    "memory",
    "livenessProbe",
    "readinessProbe",
    "httpGet",
    "exec",
    "scheme",
    "host",
    "path",
    "httpHeaders",
    "value",
    "before",
    "ready",
    "target",
    "mode",
    "source",
    "content",
    "binaryContent",
    "noExpand",
    "readOnly",
    "type",
    "class",
    "id",
    "params",
    "x",
    "A",
    "a-",
    "-a",
    "a.b",
    "x=y",
    "",
];

fn tricky_values() -> Vec<Value> {
    let long63 = "a".repeat(63);
    let long64 = "a".repeat(64);
    vec![
        json!(""),
        json!("a"),
        json!("ab"),
        json!("A"),
        json!("Ab"),
        json!("-a"),
        json!("a-"),
        json!("a.b"),
        json!("a..b"),
        json!("a--b"),
        json!("a_b"),
        json!(long63),
        json!(long64),
        json!("1"),
        json!("0.5"),
        json!("100m"),
        json!("1.5"),
        json!("1.5Gi"),
        json!("512Mi"),
        json!("Gi"),
        json!("01"),
        json!("0755"),
        json!("755"),
        json!("0o755"),
        json!("١٢"),
        json!("x=y"),
        json!("="),
        json!("TCP"),
        json!("UDP"),
        json!("tcp"),
        json!("started"),
        json!("healthy"),
        json!("complete"),
        json!("HTTP"),
        json!("HTTPS"),
        json!("score.dev/v1b1"),
        json!("score.dev/v1b1\n"),
        json!("X-Header"),
        json!("é"),
        json!(0),
        json!(1),
        json!(80),
        json!(65535),
        json!(65536),
        json!(-1),
        json!(1.0),
        json!(1.5),
        json!(true),
        json!(null),
        json!({}),
        json!([]),
        json!(["a"]),
        json!([1]),
        json!({"a": "b"}),
        json!({"image": "nginx"}),
        json!({"type": "postgres"}),
        json!({"port": 80}),
        json!({"ready": "healthy"}),
        json!({"source": "x", "target": "/t"}),
        json!({"content": "x"}),
        json!({"content": "x", "source": "y"}),
        json!({"httpGet": {"path": "/", "port": 80}}),
        json!({"exec": {"command": ["x"]}}),
        json!({"cpu": "1", "memory": "1Gi"}),
        json!({"path": "/", "source": "v"}),
    ]
}

/// Paths to every node of `doc` (object keys and array indexes).
fn paths(doc: &Value, here: &mut Vec<Step>, out: &mut Vec<Vec<Step>>) {
    out.push(here.clone());
    match doc {
        Value::Object(map) => {
            for (k, v) in map {
                here.push(Step::Key(k.clone()));
                paths(v, here, out);
                here.pop();
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                here.push(Step::Index(i));
                paths(v, here, out);
                here.pop();
            }
        }
        _ => {}
    }
}

#[derive(Clone)]
enum Step {
    Key(String),
    Index(usize),
}

fn node_mut<'a>(doc: &'a mut Value, path: &[Step]) -> &'a mut Value {
    path.iter().fold(doc, |node, step| match step {
        Step::Key(k) => &mut node[k.as_str()],
        Step::Index(i) => &mut node[*i],
    })
}

fn mutate(doc: &mut Value, rng: &mut Rng, values: &[Value]) {
    let mut all = Vec::new();
    paths(doc, &mut Vec::new(), &mut all);
    let path = rng.pick(&all).clone();
    let node = node_mut(doc, &path);
    match rng.below(5) {
        0 | 1 => *node = rng.pick(values).clone(),
        2 => {
            if let Value::Object(map) = node {
                let key = rng.pick(KEYS).to_string();
                map.insert(key, rng.pick(values).clone());
            }
        }
        3 => match node {
            Value::Object(map) if !map.is_empty() => {
                let key = map.keys().nth(rng.below(map.len())).cloned().expect("key");
                let v = map.remove(&key).expect("value");
                if rng.below(2) == 0 {
                    map.insert(rng.pick(KEYS).to_string(), v);
                }
            }
            Value::Array(items) if !items.is_empty() => {
                items.remove(rng.below(items.len()));
            }
            _ => {}
        },
        _ => {
            let inner = std::mem::take(node);
            *node = if rng.below(2) == 0 {
                Value::Array(vec![inner])
            } else {
                let mut map = Map::new();
                map.insert(rng.pick(KEYS).to_string(), inner);
                Value::Object(map)
            };
        }
    }
}

/// Mutants of `docs`: the quick check never disagrees with the full validator and decides
/// nearly all of them itself. Most mutations break a document, so valid seeds are picked three
/// times in four (whatever the mix of `docs`) to keep both verdicts well exercised.
fn agrees_on_mutants_of(docs: Vec<(PathBuf, Value)>) {
    let full = full();
    let (valid_seeds, invalid_seeds): (Vec<Value>, Vec<Value>) = {
        let (v, i): (Vec<_>, Vec<_>) = docs.into_iter().partition(|(_, d)| full.is_valid(d));
        (
            v.into_iter().map(|(_, d)| d).collect(),
            i.into_iter().map(|(_, d)| d).collect(),
        )
    };
    assert!(!valid_seeds.is_empty(), "no valid seed document");
    let values = tricky_values();
    let mut rng = Rng(0x5C0_4E25);
    let (mut decided, mut valid, mut problems) = (0, 0, Vec::new());
    for i in 0..MUTANTS {
        let seeds = if invalid_seeds.is_empty() || rng.below(4) != 0 {
            &valid_seeds
        } else {
            &invalid_seeds
        };
        let mut doc = rng.pick(seeds).clone();
        for _ in 0..=rng.below(3) {
            mutate(&mut doc, &mut rng, &values);
        }
        if score_core::schema::quick_check(&doc).is_some() {
            decided += 1;
        }
        if full.is_valid(&doc) {
            valid += 1;
        }
        if let Some(d) = disagreement(&full, &doc) {
            if problems.len() < 20 {
                problems.push(format!("mutant {i}: {d}\n{doc:#}"));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
    // Guard against a vacuous run: the mutants must exercise both verdicts, and the quick check
    // must decide nearly all of them itself.
    assert!(
        valid > MUTANTS / 10 && valid < MUTANTS * 9 / 10,
        "{valid} of {MUTANTS} valid"
    );
    assert!(
        decided > MUTANTS * 9 / 10,
        "quick check decided only {decided} of {MUTANTS}"
    );
}

#[test]
fn quick_check_agrees_on_mutated_fixtures() {
    agrees_on_mutants_of(documents(&fixture_dirs()));
}

#[test]
#[ignore = "needs ../shared/corpus (or SCORE_RS_SHARED); CI runs it with --include-ignored"]
fn quick_check_agrees_on_mutated_corpus_documents() {
    agrees_on_mutants_of(documents(&[prereq::corpus()]));
}
