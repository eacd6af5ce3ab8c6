//! A cache of parsed provisioner files under `<state dir>/cache/`.
//!
//! Why: the default Kubernetes provisioners are ~50 KB of YAML, and parsing them cost about a
//! third of a single-workload `generate`. The parsed entries are kept as JSON next to a
//! fingerprint of the file's text; a run whose file still has that fingerprint reads the JSON
//! (an order of magnitude cheaper) instead. Anything unexpected — a missing, stale, corrupt or
//! foreign cache file, an unwritable directory — just means parsing the YAML as before.
//!
//! The file is JSON lines: the fingerprint, then one line per entry holding its resource type
//! (a JSON string), a tab and the entry. A run parses only the entries of the types it
//! provisions (a default file has some 20 types, a run uses a few) and skips the other lines
//! with a search for the newline; serialised JSON has no raw newline or tab.

use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::file::{parse_provisioner_file, Provisioner};
use crate::diagnostic::Diagnostic;
use crate::source::SourceFile;

/// Shape of cached entries: 2 since entries record their template syntax.
const CACHE_FORMAT: u32 = 2;

/// Folder of the cache inside the state directory.
pub(crate) const CACHE_DIR: &str = "cache";

/// What a cache file must match to be used: the exact text it was made from (length and hash)
/// and the score-rs version that made it (entries' shape may change between versions).
#[derive(Serialize, Deserialize, PartialEq)]
struct Fingerprint {
    tool: String,
    /// Bumped when the shape of a cached entry changes within one version (a cache without it,
    /// or with another number, is not read).
    format: u32,
    len: usize,
    hash: u64,
}

impl Fingerprint {
    fn of(text: &str) -> Self {
        // Not cryptographic: the cache lives next to the files it describes, so anyone who could
        // forge it could edit those directly. A different hasher after a Rust upgrade only
        // means one re-parse.
        let mut h = std::hash::DefaultHasher::new();
        text.hash(&mut h);
        Fingerprint {
            tool: env!("CARGO_PKG_VERSION").to_string(),
            format: CACHE_FORMAT,
            len: text.len(),
            hash: h.finish(),
        }
    }
}

/// [`parse_provisioner_file`] through the cache of `state_dir`, keeping the entries whose
/// resource type `keep` accepts.
pub(crate) fn parse_cached(
    state_dir: &Path,
    write_back: bool,
    src: &SourceFile,
    keep: &dyn Fn(&str) -> bool,
) -> Result<Vec<Provisioner>, Vec<Diagnostic>> {
    let fingerprint = Fingerprint::of(src.text());
    let path = cache_path(state_dir, src);
    if let Some(entries) = read(&path, &fingerprint, src, keep) {
        return Ok(entries);
    }
    let mut entries = parse_provisioner_file(src)?;
    if write_back {
        write(&path, fingerprint, &entries);
    }
    entries.retain(|e| keep(&e.kind));
    Ok(entries)
}

/// The text of a cache file (what [`read`] reads back).
fn to_text(fingerprint: Fingerprint, entries: &[Provisioner]) -> Option<String> {
    let mut out = serde_json::to_string(&fingerprint).ok()?;
    for e in entries {
        out.push('\n');
        out.push_str(&serde_json::to_string(&e.kind).ok()?);
        out.push('\t');
        out.push_str(&serde_json::to_string(e).ok()?);
    }
    out.push('\n');
    Some(out)
}

fn cache_path(state_dir: &Path, src: &SourceFile) -> PathBuf {
    let name = Path::new(src.name()).file_name().map_or_else(
        || "provisioners".into(),
        |n| n.to_string_lossy().into_owned(),
    );
    state_dir.join(CACHE_DIR).join(format!("{name}.jsonl"))
}

fn read(
    path: &Path,
    fingerprint: &Fingerprint,
    src: &SourceFile,
    keep: &dyn Fn(&str) -> bool,
) -> Option<Vec<Provisioner>> {
    let text = std::fs::read_to_string(path).ok()?;
    let mut lines = text.split_terminator('\n');
    let found: Fingerprint = serde_json::from_str(lines.next()?).ok()?;
    if found != *fingerprint {
        return None;
    }
    let mut entries = Vec::new();
    for line in lines {
        let (kind, entry) = line.split_once('\t')?;
        let kind: String = serde_json::from_str(kind).ok()?;
        if !keep(&kind) {
            continue;
        }
        let mut entry: Provisioner = serde_json::from_str(entry).ok()?;
        if entry.kind != kind {
            return None;
        }
        entry.file = src.clone();
        entries.push(entry);
    }
    Some(entries)
}

/// Best effort: a cache that cannot be written costs the next run a parse, nothing more.
fn write(path: &Path, fingerprint: Fingerprint, entries: &[Provisioner]) {
    if let Some(text) = to_text(fingerprint, entries) {
        let _ = crate::state::write_atomic(path, text.as_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = "- uri: template://t/redis\n  type: redis\n  outputs: |\n    host: redis\n";

    fn all(_: &str) -> bool {
        true
    }

    fn src(dir: &Path, text: &str) -> SourceFile {
        let path = dir.join("a.provisioners.yaml");
        std::fs::write(&path, text).unwrap();
        SourceFile::new(path.display().to_string(), text)
    }

    #[test]
    fn a_cached_parse_equals_a_fresh_one_and_follows_edits() {
        let dir = tempfile::tempdir().unwrap();
        let first = src(dir.path(), FILE);
        let fresh = parse_provisioner_file(&first).unwrap();
        assert_eq!(parse_cached(dir.path(), true, &first, &all).unwrap(), fresh);
        let cache = dir.path().join(CACHE_DIR).join("a.provisioners.yaml.jsonl");
        assert!(cache.is_file(), "the first parse writes the cache");
        assert_eq!(
            parse_cached(dir.path(), true, &first, &all).unwrap(),
            fresh,
            "read back from the cache"
        );

        let edited = src(
            dir.path(),
            &FILE.replace("redis\n  outputs", "valkey\n  outputs"),
        );
        assert_eq!(
            parse_cached(dir.path(), true, &edited, &all).unwrap()[0].kind,
            "valkey"
        );
    }

    #[test]
    fn a_corrupt_or_forged_cache_is_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let file = src(dir.path(), FILE);
        let cache = dir.path().join(CACHE_DIR).join("a.provisioners.yaml.jsonl");
        std::fs::create_dir_all(cache.parent().unwrap()).unwrap();
        std::fs::write(&cache, b"{ not json").unwrap();
        assert_eq!(
            parse_cached(dir.path(), true, &file, &all).unwrap()[0].kind,
            "redis"
        );
        // A cache made for other text (here: hand-edited entries) is not trusted.
        let text = std::fs::read_to_string(&cache)
            .unwrap()
            .replace("\"redis\"", "\"mysql\"");
        let (first, rest) = text.split_once('\n').unwrap();
        let mut forged: serde_json::Value = serde_json::from_str(first).unwrap();
        forged["len"] = 1.into();
        std::fs::write(&cache, format!("{forged}\n{rest}")).unwrap();
        assert_eq!(
            parse_cached(dir.path(), true, &file, &all).unwrap()[0].kind,
            "redis"
        );
    }

    #[test]
    fn a_cache_is_used_only_for_its_own_text() {
        let dir = tempfile::tempdir().unwrap();
        let file = src(dir.path(), FILE);
        let cache_of = |text: &str| {
            let entries = parse_provisioner_file(&SourceFile::new("a", text)).unwrap();
            to_text(Fingerprint::of(text), &entries).unwrap()
        };
        let install = |cache: String| {
            let path = dir.path().join(CACHE_DIR).join("a.provisioners.yaml.jsonl");
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, cache).unwrap();
        };
        // A cache made for different text than the file holds is never believed.
        install(cache_of(&FILE.replace("redis", "valkey")));
        assert_eq!(
            parse_cached(dir.path(), true, &file, &all).unwrap()[0].kind,
            "redis"
        );
        // For the right text it is read as is (here proven by a doctored entry).
        install(cache_of(FILE).replace("\"redis\"", "\"doctored\""));
        assert_eq!(
            parse_cached(dir.path(), true, &file, &all).unwrap()[0].kind,
            "doctored"
        );
    }

    #[test]
    fn parse_errors_are_not_cached() {
        let dir = tempfile::tempdir().unwrap();
        let bad = src(dir.path(), "- uri: template://t/x\n");
        assert!(parse_cached(dir.path(), true, &bad, &all).is_err());
        assert!(!dir.path().join(CACHE_DIR).exists());
    }
}
