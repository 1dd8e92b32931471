//! The scaffold group-sync and cluster-bootstrap share: parse and classify the EventBridge event,
//! open the invocation's span (event id, trigger kind, mapping hash), run the function, count and
//! log the outcome, flush the metrics, and answer Lambda.

use std::future::Future;

use lambda_runtime::{LambdaEvent, service_fn};
use serde_json::Value;

use super::{InvocationError, event_time, finish, respond};
use crate::events::{self, Classified};
use crate::metrics::Metrics;

/// What a trigger function receives once its event is classified.
#[derive(Debug, Clone)]
pub struct TriggerInput {
    /// The classified event; its `event_id` is the trigger id every job and audit record carries.
    pub classified: Classified,
    /// The event's `time` (seconds since the epoch), when it has one; see [`event_time`].
    pub time: Option<i64>,
}

/// A function triggered by one EventBridge event.
pub trait TriggerFunction: Sync {
    /// The function's name: the `Function` metric dimension and the span's `function` field.
    const NAME: &'static str;
    /// What the function answers on success.
    type Outcome: serde::Serialize + Send;

    /// The content hash of the mapping the function runs on, recorded on every invocation's
    /// span so each log line (audit records included) names the mapping version behind it.
    fn mapping_sha256(&self) -> &str;

    /// Handles one classified event, counting what it did into `metrics`.
    fn act(
        &self,
        input: TriggerInput,
        metrics: &mut Metrics,
    ) -> impl Future<Output = Result<Self::Outcome, InvocationError>> + Send;
}

/// Handles one EventBridge event with `function`: a malformed event never reaches
/// [`TriggerFunction::act`], and whatever happens, the outcome is logged and the metrics flushed.
#[tracing::instrument(
    name = "invocation",
    skip_all,
    fields(
        function = F::NAME,
        mapping_sha256 = %function.mapping_sha256(),
        event_id = tracing::field::Empty,
        trigger = tracing::field::Empty,
    )
)]
pub async fn handle_trigger<F: TriggerFunction>(
    function: &F,
    event: Value,
) -> Result<F::Outcome, InvocationError> {
    let mut metrics = Metrics::new(F::NAME);
    let time = event_time(&event);
    let result = match events::parse_event_value(event) {
        Ok(classified) => {
            let span = tracing::Span::current();
            span.record("event_id", classified.event_id.as_str());
            span.record("trigger", classified.trigger.kind());
            function
                .act(TriggerInput { classified, time }, &mut metrics)
                .await
        }
        Err(e) => Err(e.into()),
    };
    finish(result, metrics)
}

/// Serves `function` on the Lambda runtime until the runtime stops: each invocation goes
/// through [`handle_trigger`] and [`respond`]; failures reach Lambda as a `Diagnostic` with a
/// meaningful `errorType`.
pub async fn serve_trigger<F: TriggerFunction>(function: F) -> Result<(), lambda_runtime::Error> {
    let function = &function;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        respond(handle_trigger(function, event.payload).await)
    }))
    .await
}
