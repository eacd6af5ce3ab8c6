//! Hostile input: every case must end in a clear diagnostic (or a clean load), never a panic,
//! with bounded work and memory.
//!
//! Every test holds [`serial`] for its whole run, so the cases run one at a time and their
//! measurements do not mix. [`bounded`] asserts that a step made fewer than [`ALLOCATION_LIMIT`]
//! allocations of fewer than [`ALLOCATED_LIMIT`] bytes in all, and that the heap grew by less
//! than [`MEMORY_LIMIT`] at its peak (counted by [`Counting`], this test binary's global
//! allocator). Work is counted rather than timed, so a loaded machine cannot fail a case; the
//! time of the largest cases is tracked by `cargo bench -p score-core` (`hostile_*`).

use std::alloc::{GlobalAlloc, Layout, System};
use std::fmt::Write as _;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard};

use score_core::load::{load_path, load_source, source_from_bytes};
use score_core::render::render;
use score_core::{Diagnostic, DiagnosticsExt, SourceFile};

/// Most allocations a case may make. The largest (100,000 params with placeholders) makes about
/// 3 million in a debug build, 30 per entry; a step that allocated per entry for every entry
/// (quadratic) would make billions.
const ALLOCATION_LIMIT: usize = 10_000_000;
/// Most bytes a case may allocate in all, freed ones included (the largest: ~190 MiB): far below
/// what copying a large input once per entry would cost.
const ALLOCATED_LIMIT: usize = 1024 * 1024 * 1024;
/// Most heap a case may hold at once beyond what was allocated when it started. Inputs are at
/// most 8 MiB once the size limit applies; this leaves room for the tree, JSON and IR copies.
const MEMORY_LIMIT: usize = 128 * 1024 * 1024;

/// The system allocator, counting the bytes currently allocated and their peak.
struct Counting;

static CURRENT: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);
/// Allocations made (a `realloc` that grows counts as one) and the bytes they asked for.
static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);
static ALLOCATED: AtomicUsize = AtomicUsize::new(0);

fn grew(n: usize) {
    ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
    ALLOCATED.fetch_add(n, Ordering::Relaxed);
    let now = CURRENT.fetch_add(n, Ordering::Relaxed) + n;
    PEAK.fetch_max(now, Ordering::Relaxed);
}

fn shrank(n: usize) {
    CURRENT.fetch_sub(n, Ordering::Relaxed);
}

// SAFETY: every call is forwarded to `System` unchanged; only sizes are counted.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            grew(layout.size());
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            grew(layout.size());
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        shrank(layout.size());
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            if new_size >= layout.size() {
                grew(new_size - layout.size());
            } else {
                shrank(layout.size() - new_size);
            }
        }
        p
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

static SERIAL: Mutex<()> = Mutex::new(());

/// Run the calling test alone (held for the whole test).
fn serial() -> MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

/// What a step cost.
struct Work {
    /// Allocations made.
    allocations: usize,
    /// Bytes allocated in all (freed ones included).
    allocated: usize,
    /// How far the heap grew above where it started, at its peak.
    peak: usize,
}

/// Run `f` and count its work. Call it while holding [`serial`].
fn measured<T>(what: &str, f: impl FnOnce() -> T) -> (T, Work) {
    let base = CURRENT.load(Ordering::Relaxed);
    PEAK.store(base, Ordering::Relaxed);
    let (allocations, allocated) = (
        ALLOCATIONS.load(Ordering::Relaxed),
        ALLOCATED.load(Ordering::Relaxed),
    );
    let out = f();
    let work = Work {
        allocations: ALLOCATIONS.load(Ordering::Relaxed) - allocations,
        allocated: ALLOCATED.load(Ordering::Relaxed) - allocated,
        peak: PEAK.load(Ordering::Relaxed).saturating_sub(base),
    };
    eprintln!(
        "{what}: {} allocations, {} KiB allocated, heap peak +{} KiB",
        work.allocations,
        work.allocated / 1024,
        work.peak / 1024
    );
    (out, work)
}

/// Run one hostile step, asserting it did bounded work in bounded memory. Call it while
/// holding [`serial`].
fn bounded<T>(what: &str, f: impl FnOnce() -> T) -> T {
    let (out, work) = measured(what, f);
    assert!(
        work.allocations < ALLOCATION_LIMIT,
        "{what}: {} allocations, limit {ALLOCATION_LIMIT}",
        work.allocations
    );
    assert!(
        work.allocated < ALLOCATED_LIMIT,
        "{what}: {} bytes allocated, limit {ALLOCATED_LIMIT}",
        work.allocated
    );
    assert!(
        work.peak < MEMORY_LIMIT,
        "{what}: the heap grew by {} bytes at its peak, limit {MEMORY_LIMIT}",
        work.peak
    );
    out
}

/// Every diagnostic of loading `text`, and whether it loaded.
fn load_text(text: &str) -> (bool, Vec<Diagnostic>) {
    load_bytes(text.as_bytes().to_vec())
}

fn load_bytes(bytes: Vec<u8>) -> (bool, Vec<Diagnostic>) {
    let src = match source_from_bytes("hostile.yaml".into(), bytes) {
        Ok(src) => src,
        Err(d) => return (false, vec![*d]),
    };
    match load_source(src, Path::new("."), None) {
        Ok(loaded) => (true, loaded.warnings),
        Err(diags) => (false, diags),
    }
}

/// The first diagnostic with `code`; fails (showing all of them) when there is none or the input
/// loaded.
fn expect_error(what: &str, result: (bool, Vec<Diagnostic>), code: &str) -> Diagnostic {
    let (ok, diags) = result;
    let shown = || diags.iter().map(|d| render(d, false)).collect::<String>();
    assert!(!ok, "{what}: loaded, expected `{code}`; got:\n{}", shown());
    assert!(diags.has_errors(), "{what}: no error; got:\n{}", shown());
    diags
        .iter()
        .find(|d| d.code == code && d.is_error())
        .cloned()
        .unwrap_or_else(|| panic!("{what}: expected `{code}`, got:\n{}", shown()))
}

fn expect_loads(what: &str, result: (bool, Vec<Diagnostic>)) {
    let (ok, diags) = result;
    let shown: String = diags.iter().map(|d| render(d, false)).collect();
    assert!(ok, "{what}: expected to load, got:\n{shown}");
}

/// A valid workload with `extra` lines appended inside container `app`.
fn workload_with(container_lines: &str) -> String {
    format!(
        "apiVersion: score.dev/v1b1\nmetadata:\n  name: hostile\ncontainers:\n  app:\n    image: busybox:1.36\n{container_lines}"
    )
}

// ---------------------------------------------------------------------------------------------
// The cases the issue names.
// ---------------------------------------------------------------------------------------------

#[test]
fn alias_bomb_is_stopped() {
    let _serial = serial();
    // "Billion laughs": 9 levels of 10 aliases each expand to 10^9 nodes.
    let mut text = String::from("lol0: &lol0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
    for i in 1..=9 {
        let prev = format!("*lol{}", i - 1);
        writeln!(text, "lol{i}: &lol{i} [{}]", vec![prev; 10].join(", ")).unwrap();
    }
    let d = bounded("alias bomb", || {
        expect_error(
            "alias bomb",
            load_text(&text),
            "score::parse::too_many_nodes",
        )
    });
    assert!(d.location().is_some());
}

#[test]
fn alias_bomb_in_block_style_is_stopped() {
    let _serial = serial();
    let mut text = String::from("a: &a\n");
    for _ in 0..10 {
        text.push_str("  - lol\n");
    }
    for i in 1..=9 {
        writeln!(text, "{}: &{}", (b'a' + i) as char, (b'a' + i) as char).unwrap();
        for _ in 0..10 {
            writeln!(text, "  - *{}", (b'a' + i - 1) as char).unwrap();
        }
    }
    bounded("block alias bomb", || {
        expect_error(
            "block alias bomb",
            load_text(&text),
            "score::parse::too_many_nodes",
        )
    });
}

#[test]
fn deep_flow_nesting_is_stopped() {
    let _serial = serial();
    let text = "[".repeat(10_000) + &"]".repeat(10_000);
    bounded("10k-deep flow sequence", || {
        expect_error("flow", load_text(&text), "score::parse::too_deep")
    });
    let text = "{a: ".repeat(10_000) + "b" + &"}".repeat(10_000);
    bounded("10k-deep flow mapping", || {
        expect_error("flow map", load_text(&text), "score::parse::too_deep")
    });
    // Never closed.
    let text = "[".repeat(10_000);
    bounded("10k unclosed brackets", || {
        let (ok, diags) = load_text(&text);
        assert!(!ok && diags.has_errors());
    });
}

#[test]
fn deep_block_nesting_is_stopped() {
    let _serial = serial();
    // A 10,000-deep block sequence fits on one line.
    let text = "- ".repeat(10_000) + "x\n";
    bounded("10k-deep block sequence", || {
        expect_error("block seq", load_text(&text), "score::parse::too_deep")
    });
    // Block mappings need one more space per level: 10,000 levels would be 50 MB, so the size
    // limit stops those; 2,000 levels (2 MB) reach the depth limit.
    let text: String = (0..2_000)
        .map(|i| format!("{}k:\n", " ".repeat(i)))
        .collect();
    bounded("2k-deep block mapping", || {
        expect_error("block map", load_text(&text), "score::parse::too_deep")
    });
    let text: String = (0..10_000)
        .map(|i| format!("{}k:\n", " ".repeat(i)))
        .collect();
    bounded("10k-deep block mapping (50 MB)", || {
        expect_error("block map", load_text(&text), "score::parse::too_large")
    });
}

#[test]
fn nesting_inside_free_form_params_is_limited_too() {
    let _serial = serial();
    // `params` is free-form, so deep nesting there passes the schema; only the depth limit applies.
    let deep = |n: usize| {
        format!(
            "apiVersion: score.dev/v1b1\nmetadata: {{name: deep}}\ncontainers: {{app: {{image: x}}}}\nresources:\n  db:\n    type: postgres\n    params: {{deep: {}x{}}}\n",
            "[".repeat(n),
            "]".repeat(n)
        )
    };
    bounded("100-deep params", || {
        expect_loads("100-deep", load_text(&deep(100)))
    });
    bounded("1000-deep params", || {
        expect_error(
            "1000-deep",
            load_text(&deep(1000)),
            "score::parse::too_deep",
        )
    });
}

#[test]
fn a_20_mb_file_is_rejected_by_size() {
    let _serial = serial();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("score.yaml");
    let mut text = workload_with("    variables:\n");
    let mut i = 0;
    while text.len() < 20 * 1024 * 1024 {
        writeln!(text, "      VAR_{i}: \"{}\"", "x".repeat(100)).unwrap();
        i += 1;
    }
    std::fs::write(&path, &text).unwrap();
    drop(text);
    let result = bounded("20 MB file", || match load_path(&path) {
        Ok(loaded) => (true, loaded.warnings),
        Err(diags) => (false, diags),
    });
    let d = expect_error("20 MB file", result, "score::parse::too_large");
    assert!(d.message.contains("limit"), "{}", d.message);
    assert!(d.help.is_some());
}

#[test]
#[cfg(unix)]
fn an_endless_stream_is_cut_off_at_the_size_limit() {
    let _serial = serial();
    use std::io::Write;
    // A FIFO stands in for `/dev/zero` or an endless stdin, but stops after 64 MiB so that a
    // loader that reads everything cannot take the machine down.
    const OFFERED: usize = 64 * 1024 * 1024;
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("endless.yaml");
    // `mkfifo` is part of every Unix's base system.
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    assert!(
        made.as_ref().is_ok_and(|s| s.success()),
        "mkfifo failed: {made:?}"
    );
    let writer_path = fifo.clone();
    let writer = std::thread::spawn(move || {
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .open(writer_path)
            .unwrap();
        let chunk = vec![b'#'; 1024 * 1024];
        let mut written = 0;
        while written < OFFERED {
            // Fails with EPIPE once the reader has closed its end.
            if f.write_all(&chunk).is_err() {
                break;
            }
            written += chunk.len();
        }
        written
    });
    let result = bounded("endless stream", || match load_path(&fifo) {
        Ok(loaded) => (true, loaded.warnings),
        Err(diags) => (false, diags),
    });
    let written = writer.join().unwrap();
    expect_error("endless stream", result, "score::parse::too_large");
    assert!(
        written < OFFERED,
        "the loader consumed all {written} bytes offered instead of stopping after the limit"
    );
}

#[test]
fn a_20_mb_file_of_newlines_is_rejected_by_size() {
    let _serial = serial();
    // The worst case for per-line bookkeeping: one line per byte.
    let bytes = vec![b'\n'; 20 * 1024 * 1024];
    bounded("20 MB of newlines", || {
        expect_error("newlines", load_bytes(bytes), "score::parse::too_large")
    });
}

#[test]
fn invalid_utf8_is_located() {
    let _serial = serial();
    // Line 4 starts with multi-byte characters, so the column must count characters, not bytes.
    let mut bytes =
        b"apiVersion: score.dev/v1b1\nmetadata:\n  name: cafe\n  note: \xc3\xa9t\xc3\xa9 ".to_vec();
    bytes.extend_from_slice(b"\xff\xfe oops\ncontainers: {app: {image: x}}\n");
    let d = bounded("invalid UTF-8", || {
        expect_error("utf8", load_bytes(bytes), "score::parse::utf8")
    });
    // `  note: été ` is 12 characters, so the bad byte is column 13.
    assert_eq!(d.location(), Some((4, 13)));
}

#[test]
fn rendered_columns_count_characters() {
    let _serial = serial();
    // `Bad` follows the 3-character, 5-byte `été`: column 31 in characters, 33 in bytes.
    let text = "apiVersion: score.dev/v1b1\nmetadata: {note: \"été\", name: Bad}\ncontainers: {app: {image: x}}\n";
    let (_, diags) = load_text(text);
    let d = diags
        .iter()
        .find(|d| d.code == "score::schema::pattern")
        .expect("name pattern error");
    assert_eq!(d.location(), Some((2, 31)));
    let rendered = render(d, false);
    assert!(rendered.contains("hostile.yaml:2:31"), "{rendered}");
}

#[test]
fn invalid_utf8_from_a_file_is_located() {
    let _serial = serial();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("latin1.yaml");
    std::fs::write(
        &path,
        b"apiVersion: score.dev/v1b1\nmetadata:\n  name: caf\xe9\n",
    )
    .unwrap();
    let d = bounded("invalid UTF-8 file", || match load_path(&path) {
        Ok(_) => panic!("loaded"),
        Err(diags) => diags.into_iter().next().unwrap(),
    });
    assert_eq!(d.code, "score::parse::utf8");
    assert_eq!(d.location(), Some((3, 12)));
}

#[test]
fn a_truncated_utf8_sequence_at_the_end_is_located() {
    let _serial = serial();
    let mut bytes = b"apiVersion: score.dev/v1b1\n# \xe2\x82".to_vec();
    bytes.truncate(bytes.len());
    let d = bounded("truncated UTF-8", || {
        expect_error("utf8", load_bytes(bytes), "score::parse::utf8")
    });
    assert_eq!(d.location(), Some((2, 3)));
}

#[test]
fn duplicate_keys_are_rejected() {
    let _serial = serial();
    let text = workload_with("    image: busybox:1.37\n");
    let d = bounded("duplicate keys", || {
        expect_error("dup", load_text(&text), "score::parse::duplicate_key")
    });
    assert_eq!(d.location(), Some((7, 5)));
    assert_eq!(d.labels.len(), 2, "both occurrences are labelled");
    // Keys that differ in spelling but not in value are duplicates too.
    let text = "a: 1\n\"a\": 2\n";
    bounded("duplicate quoted key", || {
        expect_error("quoted dup", load_text(text), "score::parse::duplicate_key")
    });
}

#[test]
fn an_empty_file_is_rejected() {
    let _serial = serial();
    for (what, text) in [
        ("empty", ""),
        ("whitespace", "   \n\n\t\n"),
        ("comment", "# nothing\n"),
    ] {
        let d = bounded(what, || {
            expect_error(what, load_text(text), "score::parse::empty")
        });
        assert_eq!(d.location(), Some((1, 1)), "{what}");
    }
}

#[test]
fn a_json_array_at_top_level_is_a_type_error() {
    let _serial = serial();
    let text = r#"[{"apiVersion": "score.dev/v1b1", "metadata": {"name": "x"}, "containers": {"a": {"image": "x"}}}]"#;
    let d = bounded("JSON array", || {
        expect_error("array", load_text(text), "score::schema::type")
    });
    assert!(d.message.contains("mapping"), "{}", d.message);
    assert_eq!(d.location(), Some((1, 1)));
}

#[test]
fn scalars_at_top_level_are_type_errors() {
    let _serial = serial();
    for text in ["42\n", "\"just a string\"\n", "true\n", "null\n"] {
        bounded(text, || {
            expect_error(text, load_text(text), "score::schema::type")
        });
    }
}

// ---------------------------------------------------------------------------------------------
// More nasty ones.
// ---------------------------------------------------------------------------------------------

#[test]
fn a_file_of_only_a_document_marker_is_rejected() {
    let _serial = serial();
    // `---` alone is one document holding null: not a workload.
    for text in ["---", "---\n", "---\n...\n", "--- \n# nothing\n"] {
        let (ok, diags) = bounded(text, || load_text(text));
        assert!(!ok, "{text:?} loaded");
        let codes: Vec<&str> = diags.iter().map(|d| d.code.as_str()).collect();
        assert!(
            codes
                .iter()
                .any(|c| *c == "score::parse::empty" || *c == "score::schema::type"),
            "{text:?}: {codes:?}"
        );
        assert!(diags.iter().all(|d| d.location().is_some()), "{text:?}");
    }
}

#[test]
fn many_documents_are_rejected_at_the_second() {
    let _serial = serial();
    let text = workload_with("") + &"---\n".repeat(1_000_000);
    let d = bounded("a million `---`", || {
        expect_error("docs", load_text(&text), "score::parse::multiple_documents")
    });
    assert_eq!(d.location(), Some((7, 1)));
}

#[test]
fn a_5_mb_string_value_loads() {
    let _serial = serial();
    let big = "x".repeat(5 * 1024 * 1024);
    let text = workload_with(&format!(
        "    files:\n      /data/big.txt:\n        content: \"{big}\"\n"
    ));
    bounded("5 MB plain string", || {
        expect_loads("5 MB", load_text(&text))
    });
}

#[test]
fn a_5_mb_string_full_of_dollars_loads() {
    let _serial = serial();
    // Placeholder scanning must stay linear: `$$` escapes and lone `$` everywhere.
    let big = "$$ $ ".repeat(1024 * 1024);
    let text = workload_with(&format!(
        "    files:\n      /data/big.txt:\n        content: \"{big}\"\n"
    ));
    bounded("5 MB of dollars", || {
        expect_loads("5 MB dollars", load_text(&text))
    });
}

#[test]
fn broken_placeholders_cost_bounded_work_each() {
    let _serial = serial();
    // 100k unknown placeholders (600 KB): one diagnostic each would be a flood (check.rs caps
    // them). Known limit: `placeholder::Template` holds ~220 B per placeholder, so the 800k
    // that fit in a 5 MB string take ~180 MB; the bound here keeps it from growing further.
    const PLACEHOLDERS: usize = 100 * 1024;
    let big = "${a.b}".repeat(PLACEHOLDERS);
    let text = workload_with(&format!("    variables:\n      BIG: \"{big}\"\n"));
    let (result, work) = measured("100k broken placeholders", || load_text(&text));
    expect_error("placeholders", result, "score::placeholder::unknown_root");
    assert!(
        work.peak < PLACEHOLDERS * 400,
        "{} bytes of heap for {PLACEHOLDERS} placeholders",
        work.peak
    );
    assert!(
        work.allocations < PLACEHOLDERS * 20,
        "{} allocations for {PLACEHOLDERS} placeholders",
        work.allocations
    );
}

#[test]
fn a_5_mb_explicit_key_is_an_unknown_field() {
    let _serial = serial();
    // An explicit (`? `) key may be any length.
    let key = "k".repeat(5 * 1024 * 1024);
    let text = workload_with(&format!("    ? {key}\n    : 1\n"));
    let d = bounded("5 MB explicit key", || {
        expect_error("key", load_text(&text), "score::schema::unknown_field")
    });
    assert_eq!(d.location(), Some((7, 7)));
}

#[test]
fn a_5_mb_implicit_key_is_a_syntax_error() {
    let _serial = serial();
    // YAML limits implicit keys to 1024 characters.
    let key = "k".repeat(5 * 1024 * 1024);
    let text = workload_with(&format!("    {key}: 1\n"));
    let (ok, diags) = bounded("5 MB implicit key", || load_text(&text));
    assert!(!ok);
    let codes: Vec<&str> = diags.iter().map(|d| d.code.as_str()).collect();
    assert_eq!(codes, ["score::parse::syntax"]);
    assert_eq!(diags[0].location().map(|(line, _)| line), Some(7));
}

/// A diagnostic on a line longer than 65,535 columns: miette pads with `{:width$}`, which
/// panics ("Formatting argument out of range") once the width exceeds `u16::MAX`.
fn wide_line_diagnostics() -> Vec<Diagnostic> {
    // A minified one-line JSON workload with a large embedded value and one unknown field.
    let text = format!(
        r#"{{"apiVersion": "score.dev/v1b1", "metadata": {{"name": "wide", "note": "{}"}}, "containers": {{"app": {{"image": "x"}}}}, "bogus": 1}}"#,
        "x".repeat(70_000)
    );
    let (ok, diags) = load_text(&text);
    assert!(!ok);
    assert_eq!(diags[0].code, "score::schema::unknown_field");
    let col = text.find("\"bogus\"").expect("bogus") + 1;
    assert_eq!(diags[0].location(), Some((1, col)));
    diags
}

#[test]
fn diagnostics_on_very_long_lines_render_without_panicking() {
    let _serial = serial();
    let diags = wide_line_diagnostics();
    let text = bounded("render a 70k-column line", || render(&diags[0], false));
    assert!(text.contains("bogus"), "{text}");
    // The same through the syntax-error path (5 MB implicit key).
    let key = "k".repeat(5 * 1024 * 1024);
    let (_, diags) = load_text(&workload_with(&format!("    x{key}: 1\n")));
    bounded("render a 5 MB line", || render(&diags[0], false));
}

#[test]
fn a_hundred_thousand_variables_load() {
    let _serial = serial();
    let mut lines = String::from("    variables:\n");
    for i in 0..100_000 {
        writeln!(lines, "      VAR_{i}: v{i}").unwrap();
    }
    let text = workload_with(&lines);
    bounded("100k variables", || expect_loads("100k", load_text(&text)));
}

#[test]
fn a_hundred_thousand_unknown_keys_fail_fast() {
    let _serial = serial();
    let mut text = workload_with("");
    for i in 0..100_000 {
        writeln!(text, "unknown_{i}: {i}").unwrap();
    }
    bounded("100k unknown keys", || {
        expect_error("100k", load_text(&text), "score::schema::unknown_field")
    });
}

#[test]
fn a_hundred_thousand_keys_in_free_form_params_load() {
    let _serial = serial();
    let mut text = String::from(
        "apiVersion: score.dev/v1b1\nmetadata: {name: many}\ncontainers: {app: {image: x}}\nresources:\n  db:\n    type: postgres\n    params:\n",
    );
    for i in 0..100_000 {
        writeln!(text, "      key_{i}: ${{resources.db.host}}").unwrap();
    }
    bounded("100k params", || {
        expect_loads("100k params", load_text(&text))
    });
}

#[test]
fn tab_indentation_is_a_syntax_error_with_help() {
    let _serial = serial();
    let text = "apiVersion: score.dev/v1b1\nmetadata:\n\tname: web\n";
    let d = bounded("tabs", || {
        expect_error("tabs", load_text(text), "score::parse::syntax")
    });
    assert!(d.help.as_deref().unwrap_or("").contains("tabs"), "{d:?}");
    assert_eq!(d.location().map(|(line, _)| line), Some(3));
}

#[test]
fn a_nul_byte_is_an_error() {
    let _serial = serial();
    for (what, text) in [
        ("NUL in a value", workload_with("    command: [\"a\0b\"]\n")),
        ("NUL at the start", "\0".to_string()),
        ("NUL after a key", "apiVersion: \0\n".to_string()),
    ] {
        let (ok, diags) = bounded(what, || load_text(&text));
        assert!(!ok && diags.has_errors(), "{what}: loaded");
        assert!(diags.iter().all(|d| d.location().is_some()), "{what}");
    }
}

#[test]
fn a_byte_order_mark_is_skipped() {
    let _serial = serial();
    let text = format!("\u{feff}{}", workload_with(""));
    bounded("BOM", || expect_loads("BOM", load_text(&text)));
    // Locations after a BOM still count columns from the real start of the line.
    let text = "\u{feff}apiVersion: score.dev/v1b2\n";
    let (_, diags) = load_text(text);
    let d = diags
        .iter()
        .find(|d| d.code == "score::schema::pattern")
        .expect("apiVersion pattern error");
    let span = d.labels[0].span;
    assert_eq!(&text[span.range()], "score.dev/v1b2");
}

#[test]
fn crlf_line_endings_load_and_locate() {
    let _serial = serial();
    let text = workload_with("    variables: {A: \"1\"}\n").replace('\n', "\r\n");
    bounded("CRLF", || expect_loads("CRLF", load_text(&text)));
    let text = "apiVersion: score.dev/v1b1\r\nmetadata:\r\n  name: Web\r\n";
    let (_, diags) = load_text(text);
    let d = diags
        .iter()
        .find(|d| d.code == "score::schema::pattern")
        .expect("name pattern error");
    assert_eq!(d.location(), Some((3, 9)));
}

#[test]
fn aliases_to_unknown_or_enclosing_anchors_are_errors() {
    let _serial = serial();
    for (what, text) in [
        ("unknown anchor", "a: *nope\n"),
        ("self-referencing anchor", "a: &x [*x]\n"),
        ("self-referencing map", "a: &x {b: *x}\n"),
    ] {
        let (ok, diags) = bounded(what, || load_text(text));
        assert!(!ok && diags.has_errors(), "{what}: loaded");
        assert!(
            diags.iter().any(|d| d.code.starts_with("score::parse::")),
            "{what}: {:?}",
            diags.iter().map(|d| &d.code).collect::<Vec<_>>()
        );
    }
}

#[test]
fn complex_keys_are_rejected() {
    let _serial = serial();
    for text in ["? [a, b]\n: c\n", "{[a]: b}\n", "? {a: 1}\n: x\n"] {
        bounded(text, || {
            expect_error(text, load_text(text), "score::parse::complex_key")
        });
    }
}

#[test]
fn huge_numbers_are_range_or_type_errors() {
    let _serial = serial();
    for port in [
        "99999999999999999999999999",
        "-1",
        "1e400",
        ".nan",
        "-.inf",
        "0x10000",
    ] {
        let text = format!(
            "apiVersion: score.dev/v1b1\nmetadata: {{name: n}}\nservice:\n  ports:\n    p: {{port: {port}}}\ncontainers: {{app: {{image: x}}}}\n"
        );
        let (ok, diags) = bounded(port, || load_text(&text));
        assert!(!ok, "port {port} loaded");
        assert!(
            diags
                .iter()
                .all(|d| d.code.starts_with("score::schema::") && d.location().is_some()),
            "port {port}: {:?}",
            diags.iter().map(|d| &d.code).collect::<Vec<_>>()
        );
    }
}

#[test]
fn control_characters_do_not_reach_the_terminal() {
    let _serial = serial();
    // YAML double-quoted `\e` is ESC; a key or value must not smuggle terminal escapes into
    // the rendered diagnostic (clearing the screen, rewriting earlier lines, …).
    let text = workload_with("    \"\\e[2J\\e[1;1Hpwned\": 1\n");
    let (ok, mut diags) = bounded("escape in key", || load_text(&text));
    assert!(!ok);
    // A raw ESC in the file itself is a syntax error whose snippet shows the line.
    let raw = "apiVersion: score.dev/v1b1 # \u{1b}[2J\u{1b}]0;pwned\u{7}\n";
    let (ok, more) = bounded("raw escape", || load_text(raw));
    assert!(!ok);
    diags.extend(more);
    for d in &diags {
        let rendered = render(d, false);
        assert!(
            !rendered.chars().any(|c| c.is_control() && c != '\n'),
            "raw control character in diagnostic: {rendered:?}"
        );
    }
}

#[test]
fn unicode_line_breaks_and_wide_characters_keep_locations_right() {
    let _serial = serial();
    // U+2028 is not a YAML line break; emoji are one character wide for columns.
    let text = "apiVersion: score.dev/v1b1\nmetadata:\n  name: \"🦀🦀\u{2028}\"\n";
    let (ok, diags) = bounded("unicode", || load_text(text));
    assert!(!ok);
    let d = diags
        .iter()
        .find(|d| d.code == "score::schema::pattern")
        .expect("name pattern error");
    assert_eq!(d.location(), Some((3, 9)));
    assert_eq!(&text[d.labels[0].span.range()], "\"🦀🦀\u{2028}\"");
}

#[test]
fn a_million_blank_lines_are_empty_quickly() {
    let _serial = serial();
    let text = "\n".repeat(1_000_000);
    bounded("blank lines", || {
        expect_error("blank", load_text(&text), "score::parse::empty")
    });
}

#[test]
fn deeply_indented_scalar_lines_are_fine() {
    let _serial = serial();
    // A long literal block with deep indentation: large but legal.
    let mut block = String::from("    files:\n      /a:\n        content: |\n");
    for _ in 0..20_000 {
        writeln!(block, "          {}", "y".repeat(200)).unwrap();
    }
    let text = workload_with(&block);
    bounded("4 MB literal block", || {
        expect_loads("block", load_text(&text))
    });
}

#[test]
fn sources_in_memory_report_their_own_name() {
    let _serial = serial();
    let src = SourceFile::new("memory://x", "a: [\n");
    let diags = load_source(src, Path::new("."), None).unwrap_err();
    assert_eq!(diags[0].code, "score::parse::syntax");
    assert!(render(&diags[0], false).contains("memory://x"));
}
