//! The differential scenario (`differential.rs`) run through our SDK adapters against any
//! emulator: each half records a [`Transcript`] of normalized observable results.
#![allow(dead_code)]

pub mod eks;
pub mod identity;

use std::collections::BTreeMap;
use std::time::Duration;

use aws_config::SdkConfig;
use eks_sso_sync::aws::config::retry_config;
use eks_sso_sync::aws::{sdk_config_for_endpoint, static_credentials};
use eks_sso_sync::domain::{AccountId, PrincipalArn, Region};
use eks_sso_sync_emulator::{Emulator, EmulatorConfig, RunningEmulator};

pub use crate::third_party::ACCOUNT;

pub type Transcript = BTreeMap<&'static str, String>;

pub const HOME: &str = "eu-west-1";
pub const SSO_PATH: &str = "/aws-reserved/sso.amazonaws.com/eu-west-1/";
pub const TRUST: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:root"},"Action":"sts:AssumeRole"}]}"#;

pub fn region() -> Region {
    Region::new(HOME).expect("region")
}

pub fn account() -> AccountId {
    AccountId::new(ACCOUNT).expect("account")
}

pub fn arn(text: &str) -> PrincipalArn {
    PrincipalArn::new(text).expect("principal ARN")
}

/// Everything to `endpoint` as [`ACCOUNT`], with the production retry mode and tiny backoffs.
pub fn sdk(endpoint: &str) -> SdkConfig {
    let retries = retry_config()
        .with_initial_backoff(Duration::from_millis(2))
        .with_max_backoff(Duration::from_millis(20));
    sdk_config_for_endpoint(endpoint, &region(), static_credentials(ACCOUNT, "secret"))
        .to_builder()
        .retry_config(retries)
        .build()
}

pub async fn ours() -> RunningEmulator {
    let config = EmulatorConfig {
        home_region: HOME.to_owned(),
        ..EmulatorConfig::default()
    };
    Emulator::start(config).await.expect("emulator starts")
}

/// `Ok` → the value's debug form; `Err` → the error kind only (messages differ legitimately).
pub fn outcome<T: std::fmt::Debug>(result: Result<T, eks_sso_sync::ports::PortError>) -> String {
    match result {
        Ok(value) => format!("ok {value:?}"),
        Err(e) => format!("error {:?} in {}", e.kind, e.operation),
    }
}

/// Creates IAM role `name` under `path` with a trust policy for the account.
pub async fn create_role(config: &SdkConfig, name: &str, path: &str) {
    aws_sdk_iam::Client::new(config)
        .create_role()
        .role_name(name)
        .path(path)
        .assume_role_policy_document(TRUST)
        .send()
        .await
        .unwrap_or_else(|e| panic!("CreateRole {name}: {e:?}"));
}
