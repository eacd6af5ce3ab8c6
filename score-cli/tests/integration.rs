//! The integration tests of the `score-rs` binary: one module per file, all in this one test
//! binary (`autotests = false` in Cargo.toml), so the crate links one test program instead of
//! one per file. `every_test_file_is_a_module` keeps a new file from being left out.

#[path = "../../testing/prereq.rs"]
mod prereq;
#[path = "../../testing/suite.rs"]
mod suite;

mod catalogue;
mod check;
mod cli;
mod cross_target;
mod default_params;
mod go_provisioners;
mod one_meaning;
mod project;
mod reference_style;
mod reliability;
mod security;
mod seed;
mod start_order;
mod validate;

#[test]
fn every_test_file_is_a_module() {
    suite::every_test_file_is_a_module(include_str!("integration.rs"), &[]);
}
