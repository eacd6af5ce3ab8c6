//! The integration tests of score-k8s: one module per file, all in this one test
//! binary (`autotests = false` in Cargo.toml), so the crate links one test program instead of
//! one per file. `every_test_file_is_a_module` keeps a new file from being left out.

#[path = "../../testing/prereq.rs"]
mod prereq;
#[path = "../../testing/suite.rs"]
mod suite;

mod common;

mod api;
mod golden;
mod httproute_schema;
mod invariants;
mod kubernetes_validate;

#[test]
fn every_test_file_is_a_module() {
    suite::every_test_file_is_a_module(include_str!("integration.rs"), &[]);
}
