//! The admin API under `/_emulator/` (JSON): reset and seed, the clock, cluster settling, the
//! request log, faults, and the entry view with role-binding liveness. Never subject to faults.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use http::StatusCode;
use serde::Deserialize;
use serde_json::json;

use crate::faults::Faults;
use crate::seed::Seed;
use crate::state::EmulatorState;

type Shared = State<Arc<EmulatorState>>;

/// The admin routes (nested under `/_emulator`).
pub fn router() -> Router<Arc<EmulatorState>> {
    Router::new()
        .route("/reset", post(reset))
        .route("/seed", post(seed))
        .route("/clock", get(clock))
        .route("/clock/advance", post(advance))
        .route("/clusters/settle", post(settle))
        .route("/requests", get(requests))
        .route("/requests/counts", get(counts))
        .route("/requests/clear", post(clear))
        .route("/faults", get(faults).put(set_faults))
        .route("/faults/rate-limits", get(rate_limits))
        .route("/entries/{account}/{region}/{cluster}", get(entries))
        .route("/roles/{account}/{name}/recreate", post(recreate_role))
        .route(
            "/clusters/{account}/{region}/{cluster}/status",
            axum::routing::put(cluster_status),
        )
}

fn failure(status: StatusCode, message: String) -> Response {
    (status, Json(json!({"error": message}))).into_response()
}

async fn reset(State(state): Shared) -> Response {
    match state.reset() {
        Ok(()) => Json(json!({"ok": true})).into_response(),
        Err(err) => failure(StatusCode::INTERNAL_SERVER_ERROR, err.to_string()),
    }
}

async fn seed(State(state): Shared, body: String) -> Response {
    match Seed::from_yaml(&body).and_then(|seed| state.load_seed(&seed)) {
        Ok(()) => Json(json!({"ok": true})).into_response(),
        Err(err) => failure(StatusCode::BAD_REQUEST, err.to_string()),
    }
}

async fn clock(State(state): Shared) -> Response {
    let (now, offset) =
        state.with_world(|w| (crate::clock::iso8601(w.now()), w.clock.offset_seconds()));
    Json(json!({"now": now, "offset_seconds": offset})).into_response()
}

#[derive(Deserialize)]
struct Advance {
    seconds: f64,
}

async fn advance(State(state): Shared, Json(body): Json<Advance>) -> Response {
    let offset = state.advance_clock(body.seconds);
    let now = state.with_world(|w| crate::clock::iso8601(w.now()));
    Json(json!({"now": now, "offset_seconds": offset})).into_response()
}

async fn settle(State(state): Shared) -> Response {
    Json(json!({"settled": state.settle_clusters()})).into_response()
}

async fn requests(State(state): Shared) -> Response {
    Json(state.requests()).into_response()
}

async fn counts(State(state): Shared) -> Response {
    Json(state.request_counts()).into_response()
}

async fn clear(State(state): Shared) -> Response {
    state.clear_requests();
    Json(json!({"ok": true})).into_response()
}

async fn faults(State(state): Shared) -> Response {
    Json(state.faults()).into_response()
}

async fn set_faults(State(state): Shared, Json(faults): Json<Faults>) -> Response {
    if let Some(problem) = faults.problem() {
        return failure(StatusCode::BAD_REQUEST, problem);
    }
    state.set_faults(faults.clone());
    Json(faults).into_response()
}

async fn rate_limits(State(state): Shared) -> Response {
    Json(state.rate_limit_report()).into_response()
}

async fn entries(
    State(state): Shared,
    Path((account, region, cluster)): Path<(String, String, String)>,
) -> Response {
    match state.entries(&account, &region, &cluster) {
        Some(entries) => Json(entries).into_response(),
        None => failure(
            StatusCode::NOT_FOUND,
            format!("no cluster {cluster} in {account}/{region}"),
        ),
    }
}

async fn recreate_role(
    State(state): Shared,
    Path((account, name)): Path<(String, String)>,
) -> Response {
    match state.recreate_role(&account, &name) {
        Some(role_id) => Json(json!({"role_id": role_id})).into_response(),
        None => failure(
            StatusCode::NOT_FOUND,
            format!("no role {name} in {account}"),
        ),
    }
}

#[derive(Deserialize)]
struct ClusterStatus {
    status: String,
}

async fn cluster_status(
    State(state): Shared,
    Path((account, region, cluster)): Path<(String, String, String)>,
    Json(body): Json<ClusterStatus>,
) -> Response {
    if state.set_cluster_status(&account, &region, &cluster, &body.status) {
        Json(json!({"status": body.status})).into_response()
    } else {
        failure(
            StatusCode::NOT_FOUND,
            format!("no cluster {cluster} in {account}/{region}"),
        )
    }
}
