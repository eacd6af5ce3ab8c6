//! The integration tests of score-core: one module per file, all in this one test
//! binary (`autotests = false` in Cargo.toml), so the crate links one test program instead of
//! one per file. `every_test_file_is_a_module` keeps a new file from being left out.
//! `tests/hostile.rs` stays a binary of its own: it installs a counting global allocator.

#[path = "../../testing/prereq.rs"]
mod prereq;
#[path = "../../testing/suite.rs"]
mod suite;

mod support;

mod fixtures;
mod schema_parity;
mod state_roundtrip;

#[test]
fn every_test_file_is_a_module() {
    suite::every_test_file_is_a_module(include_str!("integration.rs"), &["hostile"]);
}
