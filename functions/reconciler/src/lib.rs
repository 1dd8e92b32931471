//! The reconciler Lambda: SQS reconcile jobs (one cluster per message, partial batch failures,
//! the invocation deadline honoured) and the scheduled full sweep that fans out one job per
//! cluster.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

pub mod batch;
pub mod handler;
pub mod local;
pub mod snapshots;
pub mod sweep;
