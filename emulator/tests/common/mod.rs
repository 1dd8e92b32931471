//! Helpers shared by the HTTP-level tests: a seeded emulator and request builders that send
//! realistic SigV4-style `Authorization` headers for each protocol.
// Each test binary uses only some of these helpers.
#![allow(dead_code)]

use eks_sso_sync_emulator::{Emulator, EmulatorConfig, RunningEmulator, Seed};
use reqwest::{Client, Response};
use serde_json::Value;

pub const SEED: &str = include_str!("../fixtures/seed.yaml");

/// A SigV4-style `Authorization` header (the emulator reads the scope, not the signature).
pub fn auth(key: &str, region: &str, service: &str) -> String {
    format!(
        "AWS4-HMAC-SHA256 Credential={key}/20240501/{region}/{service}/aws4_request, SignedHeaders=host;x-amz-date, Signature=0"
    )
}

/// An emulator seeded with `fixtures/seed.yaml`.
pub async fn start() -> RunningEmulator {
    let config = EmulatorConfig {
        seed: Some(Seed::from_yaml(SEED).unwrap()),
        ..EmulatorConfig::default()
    };
    Emulator::start(config).await.unwrap()
}

/// Request builders for each protocol against one emulator.
pub struct Calls {
    pub client: Client,
    pub endpoint: String,
}

impl Calls {
    pub fn new(emulator: &RunningEmulator) -> Self {
        Self {
            client: Client::new(),
            endpoint: emulator.endpoint.clone(),
        }
    }

    pub async fn eks(
        &self,
        key: &str,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> Response {
        let mut request = self
            .client
            .request(method, format!("{}{path}", self.endpoint))
            .header("authorization", auth(key, "eu-west-1", "eks"));
        if let Some(body) = body {
            request = request
                .header("content-type", "application/json")
                .body(body.to_string());
        }
        request.send().await.unwrap()
    }

    pub async fn query(&self, key: &str, service: &str, form: &str) -> Response {
        self.client
            .post(&self.endpoint)
            .header("authorization", auth(key, "us-east-1", service))
            .header(
                "content-type",
                "application/x-www-form-urlencoded; charset=utf-8",
            )
            .body(form.to_owned())
            .send()
            .await
            .unwrap()
    }

    pub async fn json(&self, service: &str, target: &str, version: &str, body: Value) -> Response {
        self.client
            .post(&self.endpoint)
            .header("authorization", auth("test", "eu-west-1", service))
            .header("x-amz-target", target)
            .header("content-type", format!("application/x-amz-json-{version}"))
            .body(body.to_string())
            .send()
            .await
            .unwrap()
    }

    pub async fn admin(&self, method: reqwest::Method, path: &str, body: Option<String>) -> Value {
        let mut request = self
            .client
            .request(method, format!("{}/_emulator/{path}", self.endpoint));
        if let Some(body) = body {
            request = request
                .header("content-type", "application/json")
                .body(body);
        }
        let response = request.send().await.unwrap();
        assert!(
            response.status().is_success(),
            "admin {path}: {}",
            response.status()
        );
        response.json().await.unwrap()
    }
}

/// The `x-amzn-ErrorType` header of an answer.
pub fn error_type(response: &Response) -> String {
    response
        .headers()
        .get("x-amzn-errortype")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default()
}
