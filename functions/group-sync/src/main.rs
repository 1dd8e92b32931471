//! Lambda entry point of group-sync: tracing, runtime built once (mapping source and hash
//! logged), then the shared trigger scaffold serves the handler.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

use eks_sso_sync::invocation::mapping_source::function_runtime;
use eks_sso_sync::invocation::serve_trigger;
use group_sync::handler::GroupSync;
use lambda_runtime::Error;

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let runtime = function_runtime()
        .await
        .inspect_err(|e| tracing::error!(error = %e, "init failed"))?;
    let handler = GroupSync::new(runtime.ctx, runtime.queue);
    serve_trigger(handler).await
}
