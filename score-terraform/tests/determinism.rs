//! Re-running with the same state gives byte-identical output, in both formats.

use crate::support;

use score_core::state::TargetState;
use score_terraform::{generate, Format, Options};

#[test]
fn reruns_with_the_same_state_are_byte_identical() {
    for dir in support::cases() {
        let case = support::case_name(&dir);
        let mut state = TargetState::default();
        let first = support::provision_case(&dir, &mut state);
        let saved = state.clone();
        let second = support::provision_case(&dir, &mut state);
        assert_eq!(saved, state, "{case}: the state changed on re-run");
        for format in [Format::Hcl, Format::Json] {
            let a = generate(&first, &Options { format }).unwrap();
            let b = generate(&second, &Options { format }).unwrap();
            assert_eq!(
                a.files, b.files,
                "{case}: output differs between runs ({format:?})"
            );
        }
        // A fresh state gives the same output too: nothing random is generated at provision time.
        let fresh = support::run(&dir);
        let a = generate(&first, &Options::default()).unwrap();
        assert_eq!(
            a.files, fresh.hcl.files,
            "{case}: output depends on the state"
        );
    }
}
