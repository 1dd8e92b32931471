//! eks-sso-sync: keep Amazon EKS access entries in step with AWS IAM Identity Center.
//!
//! The crate is layered so that the interesting logic is pure and testable. The **pure core** is
//! always compiled and depends on no async runtime, no AWS SDK and no Lambda crate (CI checks it:
//! `scripts/check-pure-core.sh` builds it with `--no-default-features`):
//!
//! - [`domain`]: validated identifiers and plain values (clusters, entries, roles, policies).
//! - [`config`]: the mapping file, validated before anything else, and its options.
//! - [`inventory`]: the snapshot of Identity Center, IAM and EKS that desired state is computed from.
//! - [`desired`]: mapping × inventory → the entries each cluster should have (pure).
//! - [`plan`]: desired × actual → an ordered, guarded [`plan::AccessPlan`] (pure, deterministic).
//!
//! Behind the `engine` feature (tokio, futures, async-trait):
//!
//! - `ports`: the async traits through which AWS is reached; `memory` (feature `memory`, and
//!   this crate's own tests) implements them in memory for engine tests, and `aws` (feature
//!   `aws`) with the official SDK.
//! - `engine`: read → desired → plan → guard → apply, per cluster (`reconcile_cluster`).
//! - `events`: EventBridge / CloudTrail events classified into triggers; `metrics`.
//! - `invocation` (feature `aws`): the Lambda edge shared by the three functions.
//! - `migrate` (feature `migrate`, the CLI's `import-aws-auth`): aws-auth → mapping.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

pub mod config;
pub mod desired;
pub mod domain;
pub mod inventory;
pub mod plan;

#[cfg(feature = "engine")]
pub mod engine;
#[cfg(feature = "engine")]
pub mod events;
#[cfg(feature = "aws")]
pub mod invocation;
// The in-memory fakes: for this crate's tests, and for other crates' tests through the `memory`
// feature (a dev-dependency only), never in a Lambda binary.
#[cfg(all(feature = "engine", any(test, feature = "memory")))]
pub mod memory;
#[cfg(feature = "engine")]
pub mod metrics;
#[cfg(feature = "migrate")]
pub mod migrate;
#[cfg(feature = "engine")]
pub mod ports;

#[cfg(feature = "aws")]
pub mod aws;
