//! A minimal local Lambda Runtime API (`AWS_LAMBDA_RUNTIME_API`): it hands one event to the
//! first `next` request, records when that request arrived (the end of the function's init, as
//! Lambda sees it) and how the invocation ended, and leaves every later `next` request waiting,
//! as Lambda does between invocations.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::routing::{get, post};
use tokio::sync::watch;

/// The request id of the one invocation.
pub const REQUEST_ID: &str = "8476a536-e9f4-11e8-9739-2dfe598c3fcd";
/// How long the invocation may take before the function's deadline, in milliseconds.
const DEADLINE_MS: u64 = 900_000;

/// How the invocation ended, as the function reported it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reported {
    /// `POST /runtime/invocation/{id}/response`.
    Response(String),
    /// `POST /runtime/invocation/{id}/error`.
    Error(String),
    /// `POST /runtime/init/error`: the function failed before asking for an event.
    InitError(String),
}

/// What the server has seen so far, with the instants it saw it.
#[derive(Debug, Clone, Default)]
pub struct Observed {
    /// When the first `next` request arrived.
    pub first_next: Option<Instant>,
    /// How the invocation ended, and when.
    pub reported: Option<(Instant, Reported)>,
}

struct Shared {
    event: Mutex<Option<String>>,
    function_arn: String,
    observed: watch::Sender<Observed>,
}

/// A running Runtime API; stops when dropped.
pub struct RuntimeApi {
    /// `127.0.0.1:PORT`: the value of `AWS_LAMBDA_RUNTIME_API`.
    pub addr: SocketAddr,
    observed: watch::Receiver<Observed>,
    task: tokio::task::JoinHandle<()>,
}

impl RuntimeApi {
    /// Starts serving `event` (JSON text) to a function named by `function_arn`.
    pub async fn start(event: String, function_arn: String) -> std::io::Result<Self> {
        let (observed_tx, observed) = watch::channel(Observed::default());
        let shared = Arc::new(Shared {
            event: Mutex::new(Some(event)),
            function_arn,
            observed: observed_tx,
        });
        let app = Router::new()
            .route("/2018-06-01/runtime/invocation/next", get(next))
            .route(
                "/2018-06-01/runtime/invocation/{id}/response",
                post(response),
            )
            .route("/2018-06-01/runtime/invocation/{id}/error", post(error))
            .route("/2018-06-01/runtime/init/error", post(init_error))
            .with_state(shared);
        let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0))).await?;
        let addr = listener.local_addr()?;
        // No graceful shutdown: a waiting `next` request never finishes; the task is aborted.
        let task = tokio::spawn(async move {
            if let Err(err) = axum::serve(listener, app).await {
                tracing::warn!(%err, "local Lambda Runtime API stopped");
            }
        });
        Ok(Self {
            addr,
            observed,
            task,
        })
    }

    /// Waits until `done` holds for what was observed, and returns it.
    pub async fn wait_for(&mut self, done: impl Fn(&Observed) -> bool) -> Observed {
        let seen = self.observed.wait_for(|o| done(o)).await.map(|o| o.clone());
        // The sender lives in the server's state; it only goes away with the server.
        seen.unwrap_or_else(|_| self.observed.borrow().clone())
    }
}

impl Drop for RuntimeApi {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn next(State(shared): State<Arc<Shared>>) -> (StatusCode, HeaderMap, String) {
    let arrived = Instant::now();
    shared.observed.send_if_modified(|o| {
        let first = o.first_next.is_none();
        o.first_next.get_or_insert(arrived);
        first
    });
    let event = shared
        .event
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .take();
    let Some(event) = event else {
        // Lambda freezes the function here until the next invocation: wait forever.
        std::future::pending::<()>().await;
        return (
            StatusCode::INTERNAL_SERVER_ERROR,
            HeaderMap::new(),
            String::new(),
        );
    };
    let deadline = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64 + DEADLINE_MS)
        .unwrap_or(DEADLINE_MS);
    let mut headers = HeaderMap::new();
    let mut set = |name: &'static str, value: String| {
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.insert(name, value);
        }
    };
    set("lambda-runtime-aws-request-id", REQUEST_ID.to_owned());
    set("lambda-runtime-deadline-ms", deadline.to_string());
    set(
        "lambda-runtime-invoked-function-arn",
        shared.function_arn.clone(),
    );
    set(
        "lambda-runtime-trace-id",
        "Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Parent=9a9197af755a6419;Sampled=1".to_owned(),
    );
    (StatusCode::OK, headers, event)
}

async fn response(
    State(shared): State<Arc<Shared>>,
    Path(_id): Path<String>,
    body: String,
) -> StatusCode {
    record(&shared, Reported::Response(body));
    StatusCode::ACCEPTED
}

async fn error(
    State(shared): State<Arc<Shared>>,
    Path(_id): Path<String>,
    body: String,
) -> StatusCode {
    record(&shared, Reported::Error(body));
    StatusCode::ACCEPTED
}

async fn init_error(State(shared): State<Arc<Shared>>, body: String) -> StatusCode {
    record(&shared, Reported::InitError(body));
    StatusCode::ACCEPTED
}

fn record(shared: &Shared, reported: Reported) {
    let at = Instant::now();
    shared.observed.send_modify(|o| {
        o.reported.get_or_insert((at, reported));
    });
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    use super::*;

    /// One HTTP/1.1 exchange over a fresh connection; the whole answer as text.
    async fn exchange(addr: SocketAddr, method: &str, path: &str, body: &str) -> String {
        let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
        let request = format!(
            "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        stream.write_all(request.as_bytes()).await.unwrap();
        let mut answer = String::new();
        stream.read_to_string(&mut answer).await.unwrap();
        answer
    }

    #[tokio::test]
    async fn serves_one_event_records_the_answer_and_holds_later_polls() {
        let arn = "arn:aws:lambda:eu-west-1:111111111111:function:f".to_owned();
        let mut api = RuntimeApi::start(r#"{"hello":1}"#.to_owned(), arn.clone())
            .await
            .unwrap();
        let next = exchange(api.addr, "GET", "/2018-06-01/runtime/invocation/next", "").await;
        let lower = next.to_ascii_lowercase();
        assert!(next.starts_with("HTTP/1.1 200"), "{next}");
        assert!(lower.contains(&format!("lambda-runtime-aws-request-id: {REQUEST_ID}")));
        assert!(lower.contains(&format!("lambda-runtime-invoked-function-arn: {arn}")));
        assert!(lower.contains("lambda-runtime-deadline-ms: "));
        assert!(lower.contains("lambda-runtime-trace-id: root="));
        assert!(next.ends_with(r#"{"hello":1}"#), "{next}");
        assert!(
            api.wait_for(|o| o.first_next.is_some())
                .await
                .reported
                .is_none()
        );

        let path = format!("/2018-06-01/runtime/invocation/{REQUEST_ID}/response");
        let posted = exchange(api.addr, "POST", &path, r#"{"ok":true}"#).await;
        assert!(posted.starts_with("HTTP/1.1 202"), "{posted}");
        let seen = api.wait_for(|o| o.reported.is_some()).await;
        assert_eq!(
            seen.reported.map(|(_, r)| r),
            Some(Reported::Response(r#"{"ok":true}"#.to_owned()))
        );

        // The event was handed out once: the next poll waits, as a frozen Lambda's would.
        let again = exchange(api.addr, "GET", "/2018-06-01/runtime/invocation/next", "");
        assert!(
            tokio::time::timeout(Duration::from_millis(200), again)
                .await
                .is_err()
        );
    }
}
