//! The cluster-bootstrap Lambda: EKS cluster events (from any member account and region) → a
//! reconcile job for the cluster when the mapping manages it.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

pub mod handler;
