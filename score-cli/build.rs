//! Parse the default provisioner files of the three backends at build time, so that `init` can
//! install their parse cache next to them and the first `generate` does not parse ~120 KB of
//! YAML (see `score_core::provision::parse_cache`; a cache is only used for the exact text it
//! was made from, so a stale one can never be wrong).

use std::path::Path;

const DEFAULTS: [(&str, &str); 3] = [
    (
        "compose",
        "../score-compose/provisioners/default.provisioners.yaml",
    ),
    ("k8s", "../score-k8s/provisioners/default.provisioners.yaml"),
    (
        "terraform",
        "../score-terraform/provisioners/default.provisioners.yaml",
    ),
];

fn main() {
    link_at_a_fixed_address();
    let out = std::env::var("OUT_DIR").expect("cargo sets OUT_DIR");
    for (target, path) in DEFAULTS {
        println!("cargo:rerun-if-changed={path}");
        let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
        let name = format!("zz-default-{target}.provisioners.yaml");
        // A default file that does not parse fails the backend's own tests; here it only means
        // no cache is installed for it.
        let cache = score_core::provision::parse_cache(&name, &text).unwrap_or_default();
        let dest = Path::new(&out).join(format!("{name}.jsonl"));
        std::fs::write(&dest, cache).unwrap_or_else(|e| panic!("{}: {e}", dest.display()));
    }
}

/// On Linux, link `score-rs` as a position-dependent executable. A PIE's loader applies ~21,000
/// relocations and touches every page of pointer tables before `main` runs; without them a
/// process starts ~0.4 ms sooner, 8% of a single-workload `generate` (300 alternating runs).
/// The Go reference tools are position-dependent too, and shared libraries keep their address
/// randomisation. `SCORE_RS_PIE=1` at build time keeps the platform default.
fn link_at_a_fixed_address() {
    println!("cargo:rerun-if-env-changed=SCORE_RS_PIE");
    let linux = std::env::var("CARGO_CFG_TARGET_OS").is_ok_and(|os| os == "linux");
    if linux && std::env::var("SCORE_RS_PIE").is_err() {
        println!("cargo:rustc-link-arg-bin=score-rs=-no-pie");
    }
}
