//! The "serde floor" of the benchmark: the least work any Score compiler must do — read every
//! input file, parse it, and serialise as many output bytes — with serde alone.
//!
//! Usage: `floor <output-bytes> <files…>`; writes `floor.out` in the current directory.
//!
//! `floor --tree <dir>` instead recreates the directories and files under `<dir>` (same
//! names and sizes) in `floor-tree/`: what creating a compose run's mounted files costs the
//! file system alone, with no compiler around it.

use std::io::Write;
use std::path::Path;

fn main() {
    let mut args = std::env::args().skip(1);
    let first = args.next();
    if first.as_deref() == Some("--tree") {
        let dir = args.next().expect("usage: floor --tree <dir>");
        copy_tree(Path::new(&dir), Path::new("floor-tree"));
        return;
    }
    let mut args = first.into_iter().chain(args);
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

/// Recreate the tree under `from` at `to`: each directory, and each file with as many bytes.
fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir(to).expect("floor-tree must not exist yet");
    let mut entries: Vec<_> = std::fs::read_dir(from)
        .expect("readable tree")
        .filter_map(Result::ok)
        .collect();
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let meta = e.metadata().expect("metadata");
        let target = to.join(e.file_name());
        if meta.is_dir() {
            copy_tree(&e.path(), &target);
        } else {
            std::fs::write(&target, vec![b'x'; meta.len() as usize]).expect("write");
        }
    }
}
