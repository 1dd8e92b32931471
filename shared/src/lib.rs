//! eks-sso-sync: keep Amazon EKS access entries in step with AWS IAM Identity Center.
//!
//! The crate is layered so that the interesting logic is pure and testable:
//!
//! - [`domain`]: validated identifiers and plain values (clusters, entries, roles, policies).
//! - [`config`]: the mapping file, validated before anything else.
//! - [`inventory`]: the snapshot of Identity Center, IAM and EKS that desired state is computed from.
//! - [`desired`]: mapping × inventory → the entries each cluster should have (pure).
//! - [`plan`]: desired × actual → an ordered, guarded [`plan::AccessPlan`] (pure, deterministic).
//! - [`ports`]: the async traits through which AWS is reached; [`memory`] implements them in
//!   memory for engine tests and [`aws`] with the official SDK.
//! - [`engine`]: read → desired → plan → guard → apply, per cluster (`reconcile_cluster`).
//! - [`events`]: EventBridge / CloudTrail events classified into triggers.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

pub mod config;
pub mod desired;
pub mod domain;
pub mod engine;
pub mod events;
pub mod inventory;
pub mod invocation;
pub mod memory;
pub mod metrics;
pub mod migrate;
pub mod plan;
pub mod ports;

#[cfg(feature = "aws")]
pub mod aws;
