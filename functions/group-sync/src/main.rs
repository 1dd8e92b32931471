//! Lambda entry point of group-sync: tracing, runtime built once, `run(service_fn(...))`.

use eks_sso_sync::aws::setup::function_runtime;
use eks_sso_sync::invocation::respond;
use group_sync::handler::GroupSync;
use lambda_runtime::{Diagnostic, Error, LambdaEvent, run, service_fn};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let runtime = function_runtime()
        .await
        .inspect_err(|e| tracing::error!(error = %e, "init failed"))?;
    let handler = GroupSync::new(runtime.ctx, runtime.queue);
    let handler = &handler;
    run(service_fn(move |event: LambdaEvent<Value>| async move {
        respond(handler.handle(event.payload).await).map_err(|(error_type, error_message)| {
            Diagnostic {
                error_type,
                error_message,
            }
        })
    }))
    .await
}
