//! Lambda entry point of the reconciler: tracing, runtime built once (mapping source and hash
//! logged), `run(service_fn(...))`. One function serves both the SQS event source (reconcile
//! jobs) and the schedule (sweep); failures reach Lambda as a `Diagnostic` with its `errorType`.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

use eks_sso_sync::invocation::mapping_source::function_runtime;
use lambda_runtime::{Error, LambdaEvent, run, service_fn};
use reconciler::handler::{Reconciler, WaitPolicy};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let runtime = function_runtime()
        .await
        .inspect_err(|e| tracing::error!(error = %e, "init failed"))?;
    let handler = Reconciler::new(runtime.ctx, runtime.queue, WaitPolicy::default());
    let handler = &handler;
    run(service_fn(move |event: LambdaEvent<Value>| {
        handler.handle(event)
    }))
    .await
}
