//! Kubernetes quantities in the canonical spelling the API server stores (so `terraform plan`
//! shows no change on every run); shared with the Kubernetes backend, see [`score_core::quantity`].

pub use score_core::quantity::*;
