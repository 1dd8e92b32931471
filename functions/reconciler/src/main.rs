//! Lambda entry point of the reconciler: tracing, runtime built once, `run(service_fn(...))`.
//! One function serves both the SQS event source (reconcile jobs) and the schedule (sweep).

use eks_sso_sync::aws::setup::function_runtime;
use lambda_runtime::{Diagnostic, Error, LambdaEvent, run, service_fn};
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
    run(service_fn(move |event: LambdaEvent<Value>| async move {
        let request_id = Some(event.context.request_id.clone());
        handler
            .handle(event.payload, request_id)
            .await
            .map_err(|e| Diagnostic {
                error_type: "InvalidEvent".to_owned(),
                error_message: e.to_string(),
            })
    }))
    .await
}
