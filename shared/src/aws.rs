//! The AWS SDK adapters implementing the ports. Each converts SDK shapes to domain values at the
//! boundary and maps every SDK error through one classification ([`errors::port_error`]).
//!
//! Endpoints are never special-cased: [`load_sdk_config`] honours the SDK's standard
//! `AWS_ENDPOINT_URL` / `AWS_ENDPOINT_URL_<SERVICE>` settings and [`sdk_config_for_endpoint`]
//! sets one explicitly, so the same code talks to AWS or to the emulator.

use std::sync::Arc;

use aws_config::SdkConfig;

pub mod config;
pub mod connector;
pub mod eks;
pub mod errors;
pub mod iam;
pub mod identity_center;
pub mod member;
pub mod pacing;
pub mod setup;
pub mod sqs;
pub mod ssm;

pub use config::{load_sdk_config, sdk_config_for_endpoint, static_credentials};
pub use connector::{SdkConnector, caller_account};
pub use eks::SdkEks;
pub use errors::port_error;
pub use iam::SdkIam;
pub use identity_center::{SdkIdentityStore, SdkSsoAdmin};
pub use member::{MemberAccess, RoleSessionName};
pub use sqs::SdkJobQueue;
pub use ssm::read_parameter;

use crate::domain::{AccountId, PrincipalArn, Region};

/// Every port a Lambda or the CLI needs, built from one base config.
#[derive(Debug, Clone)]
pub struct AwsPorts {
    /// EKS and IAM per account (assuming member-account roles).
    pub connector: Arc<SdkConnector>,
    /// Identity Center administration, in its home region.
    pub sso_admin: Arc<SdkSsoAdmin>,
    /// The Identity Store, in the Identity Center home region.
    pub identity_store: Arc<SdkIdentityStore>,
}

impl AwsPorts {
    /// Builds the ports: Identity Center clients in `identity_center_region`, EKS/IAM through a
    /// connector that assumes `role_for_account(account)` where it names a role, as the CLI's
    /// session (`eks-sso-sync`).
    pub async fn from_config(
        base: &SdkConfig,
        identity_center_region: &Region,
        role_for_account: impl Fn(&AccountId) -> Option<PrincipalArn> + Send + Sync + 'static,
    ) -> AwsPorts {
        Self::with_session(
            base,
            identity_center_region,
            RoleSessionName::default(),
            role_for_account,
        )
    }

    /// [`AwsPorts::from_config`] with member-account sessions named `session_name`.
    pub fn with_session(
        base: &SdkConfig,
        identity_center_region: &Region,
        session_name: RoleSessionName,
        role_for_account: impl Fn(&AccountId) -> Option<PrincipalArn> + Send + Sync + 'static,
    ) -> AwsPorts {
        let region = config::sdk_region(identity_center_region);
        let mut sso_admin = aws_sdk_ssoadmin::config::Builder::from(base)
            .region(region.clone())
            .retry_config(config::identity_center_retry_config())
            .retry_partition(config::retry_partition("sso"));
        let mut identity_store = aws_sdk_identitystore::config::Builder::from(base)
            .region(region)
            .retry_config(config::identity_center_retry_config())
            .retry_partition(config::retry_partition("identitystore"));
        // Our own token buckets, under the SDK's retries (see `pacing`).
        sso_admin.set_http_client(Some(pacing::PacedHttpClient::wrap(
            base.http_client(),
            pacing::Pacer::identity_center(pacing::Share::Service),
        )));
        identity_store.set_http_client(Some(pacing::PacedHttpClient::wrap(
            base.http_client(),
            pacing::Pacer::identity_center(pacing::Share::PerOperation),
        )));
        let sso_admin = sso_admin.build();
        let identity_store = identity_store.build();
        AwsPorts {
            connector: Arc::new(SdkConnector::new(
                base.clone(),
                session_name,
                role_for_account,
            )),
            sso_admin: Arc::new(SdkSsoAdmin::new(aws_sdk_ssoadmin::Client::from_conf(
                sso_admin,
            ))),
            identity_store: Arc::new(SdkIdentityStore::new(
                aws_sdk_identitystore::Client::from_conf(identity_store),
            )),
        }
    }
}
