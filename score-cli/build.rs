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
