//! The group-sync Lambda: Identity Center group, membership, assignment and permission-set
//! events, and IAM SSO-role events → one reconcile job per affected cluster.

pub mod handler;
