//! Container start-up ordering (`before`) → init containers and native sidecars.
//!
//! The plan is shared with the Terraform target: see [`score_core::start_order`]. A container
//! that declares `before: {app: {ready: complete}}` becomes an init container that runs to
//! completion before `app`; `ready: started` / `healthy` make it a native sidecar (an init
//! container with `restartPolicy: Always`; for `healthy` with a startup probe copied from its
//! own readiness or liveness probe).

pub use score_core::start_order::{plan, Plan, Role};
