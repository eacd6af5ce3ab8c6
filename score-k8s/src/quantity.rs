//! Kubernetes resource quantities in canonical form: shared with the Terraform backend, so the
//! implementation lives in [`score_core::quantity`].

pub use score_core::quantity::*;
