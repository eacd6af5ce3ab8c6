//! The one way these tests run the `score-rs` binary: in a given directory, without colour, and
//! with every ambient variable that changes a run removed, so that neither a developer's shell
//! nor a CI service leaks into a test. A test that wants a seed or JSON diagnostics says so with
//! `.env(…)` after [`score_rs`], where the reader sees it.

use std::path::Path;
use std::process::Command;

/// The variables that change what a run does, removed from every run. The binary's own
/// (`every_variable_the_binary_reads_is_cleared_or_kept` keeps this part complete) and its libraries'.
pub const CLEARED: &[&str] = &[
    // `--state-dir`'s default (clap `env`): a run would use another state directory.
    "SCORE_RS_STATE_DIR",
    // Seeds generated passwords and names: outputs would stop being random.
    "SCORE_RS_RANDOM_SEED",
    // `json` turns every diagnostic into a JSON line on stderr.
    "SCORE_RS_DIAGNOSTICS",
    // CI services set it; it changes when regenerated secrets are warned about.
    "CI",
    // clap's colours in a pipe, for the tests that remove NO_COLOR.
    "CLICOLOR_FORCE",
    // The proxy ureq takes for `init --provisioners <URL>`; the tests serve theirs on 127.0.0.1.
    "ALL_PROXY",
    "all_proxy",
    "HTTPS_PROXY",
    "https_proxy",
    "HTTP_PROXY",
    "http_proxy",
];

/// `score-rs` run in `dir` with `NO_COLOR=1` and none of [`CLEARED`], for `assert_cmd`.
pub fn score_rs(dir: &Path) -> assert_cmd::Command {
    assert_cmd::Command::from_std(std_command(dir))
}

/// [`score_rs`] as a `std::process::Command`, for tests that spawn the run or redirect its
/// output.
pub fn std_command(dir: &Path) -> Command {
    let mut c = Command::new(assert_cmd::cargo::cargo_bin("score-rs"));
    c.current_dir(dir);
    without_ambient(&mut c);
    c
}

/// Sets `NO_COLOR=1` on `c` and removes [`CLEARED`]; for a program that runs `score-rs` itself.
pub fn without_ambient(c: &mut Command) -> &mut Command {
    c.env("NO_COLOR", "1");
    for name in CLEARED {
        c.env_remove(name);
    }
    c
}

/// Variables named in the sources that a test run need not clear: `NO_COLOR` is set, `HOME`
/// resolves `cmd://~/…` (and provisioner programs need it), the rest are read by unit tests.
const NOT_CLEARED: &[&str] = &[
    "NO_COLOR",
    "HOME",
    "SCORE_RS_SHARED",
    "SCORE_RS_FAST_MUTANTS",
];

/// Every `SCORE_RS_*` name in the library and binary sources, and every name read with
/// `env::var("…")`, `var_os("…")` or clap's `env = "…"`, is cleared or listed as not needing it.
#[test]
fn every_variable_the_binary_reads_is_cleared_or_kept() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut unknown = std::collections::BTreeSet::new();
    for krate in [
        "score-cli",
        "score-core",
        "score-compose",
        "score-k8s",
        "score-terraform",
    ] {
        for file in rust_files(&root.join(krate).join("src")) {
            let text = std::fs::read_to_string(&file).unwrap();
            for name in variable_names(&text) {
                if !CLEARED.contains(&name.as_str()) && !NOT_CLEARED.contains(&name.as_str()) {
                    let at = file.strip_prefix(&root).unwrap_or(&file).display();
                    unknown.insert(format!("{name} ({at})"));
                }
            }
        }
    }
    assert!(
        unknown.is_empty(),
        "add to cli::CLEARED (or NOT_CLEARED, saying why): {unknown:?}"
    );
}

fn rust_files(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    out
}

/// The variable names `text` mentions: `SCORE_RS_…` anywhere, and literal arguments of
/// `var("…")`, `var_os("…")` and `env = "…"`.
fn variable_names(text: &str) -> Vec<String> {
    let name_at = |s: &str| -> String {
        s.chars()
            .take_while(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || *c == '_')
            .collect()
    };
    let mut names: Vec<String> = text
        .match_indices("SCORE_RS_")
        .map(|(i, _)| name_at(&text[i..]))
        .collect();
    for call in ["var(\"", "var_os(\"", "env = \""] {
        names.extend(
            text.match_indices(call)
                .map(|(i, _)| name_at(&text[i + call.len()..]))
                .filter(|n| !n.is_empty()),
        );
    }
    names
}
