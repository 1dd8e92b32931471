//! The reconciler Lambda: SQS reconcile jobs (one cluster per message, partial batch failures)
//! and the scheduled full sweep that fans out one job per managed cluster.

pub mod handler;
pub mod local;
