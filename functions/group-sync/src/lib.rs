//! The group-sync Lambda: Identity Center group, membership, assignment and permission-set
//! events, and IAM SSO-role events → one reconcile job per affected cluster.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

pub mod handler;
