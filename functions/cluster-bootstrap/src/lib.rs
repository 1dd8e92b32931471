//! The cluster-bootstrap Lambda: EKS cluster events (from any member account and region) → a
//! reconcile job for the cluster when the mapping manages it.

pub mod handler;
