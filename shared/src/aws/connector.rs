//! [`AccountConnector`] over the SDK: reaches EKS and IAM in member accounts by assuming their
//! role with STS, caching one credentials provider per account and one client per (account,
//! region), so a sweep over a thousand clusters neither rebuilds clients nor calls `AssumeRole`
//! more than once per account and credential lifetime.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use aws_config::SdkConfig;
use aws_config::sts::AssumeRoleProvider;
use aws_credential_types::provider::SharedCredentialsProvider;
use tokio::sync::Mutex;

use crate::aws::config::sdk_region;
use crate::aws::eks::SdkEks;
use crate::aws::errors::{port_error, unexpected_response};
use crate::aws::iam::SdkIam;
use crate::aws::member::RoleSessionName;
use crate::domain::{AccountId, PrincipalArn, Region};
use crate::ports::{AccountConnector, EksApi, IamApi, PortError};

/// IAM is global; its endpoint is resolved from this region when the base config has none.
const IAM_FALLBACK_REGION: &str = "us-east-1";

/// Which role to assume in an account; `None` uses the base credentials (the hub's own account,
/// or the emulator where one set of credentials reaches everything).
pub type RoleForAccount = dyn Fn(&AccountId) -> Option<PrincipalArn> + Send + Sync;

/// Reaches EKS and IAM in any configured account.
pub struct SdkConnector {
    base: SdkConfig,
    /// What a member account's CloudTrail shows as the caller's session (one per function).
    session_name: RoleSessionName,
    role_for_account: Box<RoleForAccount>,
    /// Results per page of list calls; `None` leaves each service's default (its maximum).
    page_size: Option<i32>,
    /// Per account: the base config with that account's (assumed-role) credentials. Built once:
    /// the credentials provider inside is what the shared identity cache keys on, so keeping it
    /// means assumed credentials are reused until shortly before they expire.
    account_configs: Mutex<BTreeMap<AccountId, SdkConfig>>,
    eks_clients: Mutex<BTreeMap<(AccountId, Region), Arc<SdkEks>>>,
    iam_clients: Mutex<BTreeMap<AccountId, Arc<SdkIam>>>,
}

impl fmt::Debug for SdkConnector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SdkConnector")
            .field("region", &self.base.region())
            .field("page_size", &self.page_size)
            .finish_non_exhaustive()
    }
}

impl SdkConnector {
    /// A connector building every client from `base`, assuming `role_for_account(account)` where
    /// it names a role, as session `session_name`.
    pub fn new(
        base: SdkConfig,
        session_name: RoleSessionName,
        role_for_account: impl Fn(&AccountId) -> Option<PrincipalArn> + Send + Sync + 'static,
    ) -> Self {
        Self {
            base,
            session_name,
            role_for_account: Box::new(role_for_account),
            page_size: None,
            account_configs: Mutex::default(),
            eks_clients: Mutex::default(),
            iam_clients: Mutex::default(),
        }
    }

    /// EKS and IAM list calls fetch `page_size` results per page (tests exercise pagination
    /// with it).
    pub fn with_page_size(mut self, page_size: i32) -> Self {
        self.page_size = Some(page_size);
        self
    }

    /// The config for `account`: the base config, with assumed-role credentials if the account
    /// has a role. The lock is held while building so concurrent callers share one provider.
    pub async fn account_config(&self, account: &AccountId) -> SdkConfig {
        let mut configs = self.account_configs.lock().await;
        if let Some(config) = configs.get(account) {
            return config.clone();
        }
        let config = match (self.role_for_account)(account) {
            None => self.base.clone(),
            Some(role) => {
                tracing::debug!(%account, %role, session = %self.session_name, "assuming member-account role");
                let provider = AssumeRoleProvider::builder(role.as_str())
                    .session_name(self.session_name.as_str())
                    .configure(&self.base)
                    .build()
                    .await;
                self.base
                    .to_builder()
                    .credentials_provider(SharedCredentialsProvider::new(provider))
                    .build()
            }
        };
        configs.insert(account.clone(), config.clone());
        config
    }

    /// The cached EKS adapter for `account` / `region`.
    pub async fn sdk_eks(&self, account: &AccountId, region: &Region) -> Arc<SdkEks> {
        let key = (account.clone(), region.clone());
        if let Some(eks) = self.eks_clients.lock().await.get(&key) {
            return Arc::clone(eks);
        }
        let config = self.account_config(account).await;
        let client_config = aws_sdk_eks::config::Builder::from(&config)
            .region(sdk_region(region))
            .retry_partition(super::config::retry_partition("eks"))
            .build();
        let mut eks = SdkEks::new(
            aws_sdk_eks::Client::from_conf(client_config),
            account.clone(),
            region.clone(),
        );
        if let Some(size) = self.page_size {
            eks = eks.with_page_size(size);
        }
        // Another task may have built one meanwhile; keep the first so everyone shares it.
        let mut clients = self.eks_clients.lock().await;
        Arc::clone(clients.entry(key).or_insert_with(|| Arc::new(eks)))
    }

    /// The cached IAM adapter for `account`.
    pub async fn sdk_iam(&self, account: &AccountId) -> Arc<SdkIam> {
        if let Some(iam) = self.iam_clients.lock().await.get(account) {
            return Arc::clone(iam);
        }
        let config = self.account_config(account).await;
        let mut builder = aws_sdk_iam::config::Builder::from(&config)
            .retry_partition(super::config::retry_partition("iam"));
        if config.region().is_none() {
            builder = builder.region(aws_config::Region::from_static(IAM_FALLBACK_REGION));
        }
        let mut iam = SdkIam::new(
            aws_sdk_iam::Client::from_conf(builder.build()),
            account.clone(),
        );
        if let Some(size) = self.page_size {
            iam = iam.with_page_size(size);
        }
        let mut clients = self.iam_clients.lock().await;
        Arc::clone(
            clients
                .entry(account.clone())
                .or_insert_with(|| Arc::new(iam)),
        )
    }
}

#[async_trait]
impl AccountConnector for SdkConnector {
    async fn eks(
        &self,
        account: &AccountId,
        region: &Region,
    ) -> Result<Arc<dyn EksApi>, PortError> {
        Ok(self.sdk_eks(account, region).await)
    }

    async fn iam(&self, account: &AccountId) -> Result<Arc<dyn IamApi>, PortError> {
        Ok(self.sdk_iam(account).await)
    }
}

/// The account the credentials in `config` belong to (`GetCallerIdentity`).
pub async fn caller_account(config: &SdkConfig) -> Result<AccountId, PortError> {
    const OP: &str = "GetCallerIdentity";
    let out = aws_sdk_sts::Client::new(config)
        .get_caller_identity()
        .send()
        .await
        .map_err(|e| port_error(OP, e))?;
    let account = out
        .account()
        .ok_or_else(|| unexpected_response(OP, "no account in answer"))?;
    AccountId::new(account).map_err(|e| unexpected_response(OP, e))
}

#[cfg(test)]
mod tests {
    use crate::aws::config::{sdk_config_for_endpoint, static_credentials};

    use super::*;

    fn connector() -> SdkConnector {
        let region = Region::new("eu-west-1").expect("region");
        let base = sdk_config_for_endpoint(
            "http://127.0.0.1:9",
            &region,
            static_credentials("AKIDEXAMPLE", "secret"),
        );
        SdkConnector::new(base, RoleSessionName::default(), |account| {
            (account.as_str() == "222233334444").then(|| {
                PrincipalArn::new("arn:aws:iam::222233334444:role/eks-sso-sync-target")
                    .expect("role")
            })
        })
    }

    #[tokio::test]
    async fn clients_are_built_once_per_account_and_region() {
        let connector = connector();
        let hub = AccountId::new("111122223333").expect("account");
        let eu = Region::new("eu-west-1").expect("region");
        let us = Region::new("us-east-1").expect("region");
        let a = connector.sdk_eks(&hub, &eu).await;
        let b = connector.sdk_eks(&hub, &eu).await;
        let c = connector.sdk_eks(&hub, &us).await;
        assert!(Arc::ptr_eq(&a, &b));
        assert!(!Arc::ptr_eq(&a, &c));
        assert_eq!(c.region(), &us);
        let i = connector.sdk_iam(&hub).await;
        assert!(Arc::ptr_eq(&i, &connector.sdk_iam(&hub).await));
    }

    #[tokio::test]
    async fn member_accounts_get_their_own_credentials_provider() {
        let connector = connector();
        let hub = AccountId::new("111122223333").expect("account");
        let member = AccountId::new("222233334444").expect("account");
        let hub_config = connector.account_config(&hub).await;
        let member_config = connector.account_config(&member).await;
        let base_provider = format!("{:?}", connector.base.credentials_provider());
        assert_eq!(
            format!("{:?}", hub_config.credentials_provider()),
            base_provider
        );
        let member_provider = format!("{:?}", member_config.credentials_provider());
        assert_ne!(member_provider, base_provider);
        assert!(member_provider.contains("AssumeRole"), "{member_provider}");
        // Cached: the same provider (and so the same cached credentials) on every call.
        let again = connector.account_config(&member).await;
        assert_eq!(
            format!("{:?}", again.credentials_provider()),
            member_provider
        );
    }
}
