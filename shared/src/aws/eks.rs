//! [`EksApi`] over the official EKS client, for one account and region. Every list call follows
//! all pages; every answer is converted to domain values before it leaves this module.

mod convert;

use std::collections::{BTreeMap, BTreeSet};

use async_trait::async_trait;
use aws_sdk_eks::Client;
use aws_sdk_eks::types::{AuthenticationMode as SdkAuthenticationMode, UpdateAccessConfigRequest};

pub use convert::{access_scope, actual_entry, cluster_info, sdk_access_scope};

use crate::aws::errors::{port_error, unexpected_response};
use crate::domain::{
    AccessEntryArn, AccessScope, AccountId, ActualEntry, AuthenticationMode, ClusterInfo,
    ClusterName, KubernetesGroup, PolicyArn, PrincipalArn, Region, Username,
};
use crate::ports::{EksApi, NewEntry, PortError};

/// EKS in one account and region.
#[derive(Debug, Clone)]
pub struct SdkEks {
    client: Client,
    account: AccountId,
    region: Region,
    /// `maxResults` for list calls; `None` leaves the service default (100, the maximum).
    page_size: Option<i32>,
}

impl SdkEks {
    /// Wraps a client already configured for `account` (credentials) and `region`.
    pub fn new(client: Client, account: AccountId, region: Region) -> Self {
        Self {
            client,
            account,
            region,
            page_size: None,
        }
    }

    /// Uses `page_size` results per list page (tests use tiny pages to exercise pagination).
    pub fn with_page_size(mut self, page_size: i32) -> Self {
        self.page_size = Some(page_size);
        self
    }

    /// The account this client reaches.
    pub fn account(&self) -> &AccountId {
        &self.account
    }

    /// The region this client reaches.
    pub fn region(&self) -> &Region {
        &self.region
    }

    /// The SDK client, for the calls no port needs (the cluster's Kubernetes endpoint).
    pub fn client(&self) -> &Client {
        &self.client
    }
}

/// The principals of `ListAccessEntries`, skipping (with a warning) any our [`PrincipalArn`]
/// rejects: an entry someone else made must never stop the reconcile of a cluster.
fn parse_listed_principals(cluster: &ClusterName, arns: Vec<String>) -> Vec<PrincipalArn> {
    arns.into_iter()
        .filter_map(|arn| match PrincipalArn::new(arn.as_str()) {
            Ok(principal) => Some(principal),
            Err(error) => {
                tracing::warn!(%cluster, principal = %arn, %error, "skipping access entry with an unrecognised principal");
                None
            }
        })
        .collect()
}

#[async_trait]
impl EksApi for SdkEks {
    async fn list_clusters(&self) -> Result<Vec<ClusterName>, PortError> {
        const OP: &str = "ListClusters";
        let names: Vec<String> = self
            .client
            .list_clusters()
            .set_max_results(self.page_size)
            .into_paginator()
            .items()
            .send()
            .collect::<Result<_, _>>()
            .await
            .map_err(|e| port_error(OP, e))?;
        names
            .into_iter()
            .map(|n| ClusterName::new(n).map_err(|e| unexpected_response(OP, e)))
            .collect()
    }

    async fn describe_cluster(&self, cluster: &ClusterName) -> Result<ClusterInfo, PortError> {
        const OP: &str = "DescribeCluster";
        let out = self
            .client
            .describe_cluster()
            .name(cluster.as_str())
            .send()
            .await
            .map_err(|e| port_error(OP, e))?;
        let found = out.cluster().ok_or_else(|| {
            unexpected_response(OP, format!("no cluster in answer for {cluster}"))
        })?;
        cluster_info(&self.account, &self.region, found)
    }

    async fn set_authentication_mode(
        &self,
        cluster: &ClusterName,
        mode: AuthenticationMode,
    ) -> Result<(), PortError> {
        let access = UpdateAccessConfigRequest::builder()
            .authentication_mode(SdkAuthenticationMode::from(mode.as_str()))
            .build();
        self.client
            .update_cluster_config()
            .name(cluster.as_str())
            .access_config(access)
            .send()
            .await
            .map_err(|e| port_error("UpdateClusterConfig", e))?;
        Ok(())
    }

    async fn list_access_entries(
        &self,
        cluster: &ClusterName,
    ) -> Result<Vec<PrincipalArn>, PortError> {
        let arns: Vec<String> = self
            .client
            .list_access_entries()
            .cluster_name(cluster.as_str())
            .set_max_results(self.page_size)
            .into_paginator()
            .items()
            .send()
            .collect::<Result<_, _>>()
            .await
            .map_err(|e| port_error("ListAccessEntries", e))?;
        Ok(parse_listed_principals(cluster, arns))
    }

    async fn list_access_entries_with_policy(
        &self,
        cluster: &ClusterName,
        policy: &PolicyArn,
    ) -> Result<Vec<PrincipalArn>, PortError> {
        let arns: Vec<String> = self
            .client
            .list_access_entries()
            .cluster_name(cluster.as_str())
            .associated_policy_arn(policy.as_str())
            .set_max_results(self.page_size)
            .into_paginator()
            .items()
            .send()
            .collect::<Result<_, _>>()
            .await
            .map_err(|e| port_error("ListAccessEntries", e))?;
        Ok(parse_listed_principals(cluster, arns))
    }

    async fn describe_access_entry(
        &self,
        cluster: &ClusterName,
        principal: &PrincipalArn,
    ) -> Result<ActualEntry, PortError> {
        const OP: &str = "DescribeAccessEntry";
        let out = self
            .client
            .describe_access_entry()
            .cluster_name(cluster.as_str())
            .principal_arn(principal.as_str())
            .send()
            .await
            .map_err(|e| port_error(OP, e))?;
        let entry = out.access_entry().ok_or_else(|| {
            unexpected_response(OP, format!("no entry in answer for {principal}"))
        })?;
        actual_entry(entry)
    }

    async fn list_associated_policies(
        &self,
        cluster: &ClusterName,
        principal: &PrincipalArn,
    ) -> Result<BTreeMap<PolicyArn, AccessScope>, PortError> {
        let policies: Vec<_> = self
            .client
            .list_associated_access_policies()
            .cluster_name(cluster.as_str())
            .principal_arn(principal.as_str())
            .set_max_results(self.page_size)
            .into_paginator()
            .items()
            .send()
            .collect::<Result<_, _>>()
            .await
            .map_err(|e| port_error("ListAssociatedAccessPolicies", e))?;
        policies.iter().map(convert::associated_policy).collect()
    }

    async fn create_access_entry(
        &self,
        cluster: &ClusterName,
        entry: &NewEntry,
    ) -> Result<(), PortError> {
        self.client
            .create_access_entry()
            .cluster_name(cluster.as_str())
            .principal_arn(entry.principal.as_str())
            .r#type("STANDARD")
            // Empty lists and maps are left out rather than sent as `[]` / `{}`: the request
            // then looks exactly like one from the console or CLI.
            .set_kubernetes_groups(
                (!entry.kubernetes_groups.is_empty()).then(|| group_list(&entry.kubernetes_groups)),
            )
            .set_username(entry.username.as_ref().map(|u| u.as_str().to_owned()))
            .set_tags((!entry.tags.is_empty()).then(|| entry.tags.clone().into_iter().collect()))
            .send()
            .await
            .map_err(|e| port_error("CreateAccessEntry", e))?;
        Ok(())
    }

    async fn update_access_entry(
        &self,
        cluster: &ClusterName,
        principal: &PrincipalArn,
        kubernetes_groups: &BTreeSet<KubernetesGroup>,
        username: Option<&Username>,
    ) -> Result<(), PortError> {
        self.client
            .update_access_entry()
            .cluster_name(cluster.as_str())
            .principal_arn(principal.as_str())
            // Always sent, even empty: EKS replaces the whole list, and `[]` is how groups are cleared.
            .set_kubernetes_groups(Some(group_list(kubernetes_groups)))
            .set_username(username.map(|u| u.as_str().to_owned()))
            .send()
            .await
            .map_err(|e| port_error("UpdateAccessEntry", e))?;
        Ok(())
    }

    async fn delete_access_entry(
        &self,
        cluster: &ClusterName,
        principal: &PrincipalArn,
    ) -> Result<(), PortError> {
        self.client
            .delete_access_entry()
            .cluster_name(cluster.as_str())
            .principal_arn(principal.as_str())
            .send()
            .await
            .map_err(|e| port_error("DeleteAccessEntry", e))?;
        Ok(())
    }

    async fn associate_access_policy(
        &self,
        cluster: &ClusterName,
        principal: &PrincipalArn,
        policy: &PolicyArn,
        scope: &AccessScope,
    ) -> Result<(), PortError> {
        self.client
            .associate_access_policy()
            .cluster_name(cluster.as_str())
            .principal_arn(principal.as_str())
            .policy_arn(policy.as_str())
            .access_scope(sdk_access_scope(scope))
            .send()
            .await
            .map_err(|e| port_error("AssociateAccessPolicy", e))?;
        Ok(())
    }

    async fn disassociate_access_policy(
        &self,
        cluster: &ClusterName,
        principal: &PrincipalArn,
        policy: &PolicyArn,
    ) -> Result<(), PortError> {
        self.client
            .disassociate_access_policy()
            .cluster_name(cluster.as_str())
            .principal_arn(principal.as_str())
            .policy_arn(policy.as_str())
            .send()
            .await
            .map_err(|e| port_error("DisassociateAccessPolicy", e))?;
        Ok(())
    }

    async fn tag_resource(
        &self,
        resource_arn: &AccessEntryArn,
        tags: &BTreeMap<String, String>,
    ) -> Result<(), PortError> {
        self.client
            .tag_resource()
            .resource_arn(resource_arn.as_str())
            .set_tags(Some(tags.clone().into_iter().collect()))
            .send()
            .await
            .map_err(|e| port_error("TagResource", e))?;
        Ok(())
    }
}

/// Kubernetes groups in the order EKS gets them (sorted, so requests are reproducible).
fn group_list(groups: &BTreeSet<KubernetesGroup>) -> Vec<String> {
    groups.iter().map(|g| g.as_str().to_owned()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unparseable_listed_principals_are_skipped() {
        let cluster = ClusterName::new("prod-1").expect("name");
        let listed = vec![
            "arn:aws:iam::111122223333:role/ci/deployer".to_owned(),
            // Service-linked roles and oddities someone else created must not stop a reconcile.
            "arn:aws:iam::111122223333:role/aws-service-role/eks.amazonaws.com/AWSServiceRoleForAmazonEKS".to_owned(),
            "garbage".to_owned(),
            "arn:aws:iam::111122223333:user/alice".to_owned(),
        ];
        let parsed = parse_listed_principals(&cluster, listed);
        let names: Vec<&str> = parsed.iter().map(PrincipalArn::name).collect();
        assert_eq!(names, vec!["deployer", "alice"]);
    }
}
