//! The "serde floor" of the benchmark: the least work any Score compiler must do — read every
//! input file, parse it, and serialise as many output bytes — with serde alone.
//!
//! Usage: `floor <output-bytes> <files…>`; writes `floor.out` in the current directory.

use std::io::Write;

fn main() {
    let mut args = std::env::args().skip(1);
    let target: usize = args
        .next()
        .and_then(|a| a.parse().ok())
        .expect("usage: floor <output-bytes> <files…>");
    let mut docs = Vec::new();
    for path in args {
        let text = std::fs::read_to_string(&path).expect("readable input");
        let value: serde_json::Value = serde_saphyr::from_str(&text).expect("valid YAML");
        docs.push(value);
    }
    let mut out = std::io::BufWriter::new(std::fs::File::create("floor.out").expect("writable"));
    let mut written = 0;
    while written < target && !docs.is_empty() {
        for d in &docs {
            let text = serde_saphyr::to_string(d).expect("serialisable");
            out.write_all(text.as_bytes()).expect("write");
            written += text.len();
            if written >= target {
                break;
            }
        }
    }
    out.flush().expect("flush");
}
