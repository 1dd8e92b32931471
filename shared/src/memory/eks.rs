//! The in-memory EKS of one account and region, with the access-entry rules of AWS-FACTS §2.

use std::collections::{BTreeMap, BTreeSet};

use async_trait::async_trait;

use super::{MemoryAws, StoredCluster, StoredEntry, World};
use crate::domain::{
    AccessEntryArn, AccessScope, AccountId, ActualEntry, AuthenticationMode, ClusterInfo,
    ClusterName, ClusterRef, ClusterStatus, EntryType, KubernetesGroup, PolicyArn, PrincipalArn,
    Region, Username,
};
use crate::ports::{EksApi, ErrorKind, NewEntry, PortError};

/// EKS in one account and region of a [`MemoryAws`] world.
pub struct MemoryEks {
    aws: MemoryAws,
    account: AccountId,
    region: Region,
}

impl MemoryEks {
    pub(crate) fn new(aws: MemoryAws, account: AccountId, region: Region) -> Self {
        Self {
            aws,
            account,
            region,
        }
    }

    fn cluster_ref(&self, name: &ClusterName) -> ClusterRef {
        ClusterRef::new(self.account.clone(), self.region.clone(), name.clone())
    }
}

fn not_found(operation: &str, what: &str) -> PortError {
    PortError::new(ErrorKind::NotFound, operation, format!("{what} not found"))
}

/// The cluster, if it accepts access-entry calls (exists, not CONFIG_MAP).
fn entry_cluster<'w>(
    w: &'w mut World,
    cluster: &ClusterRef,
    op: &str,
) -> Result<&'w mut StoredCluster, PortError> {
    w.call(op)?;
    let c = w
        .clusters
        .get_mut(cluster)
        .ok_or_else(|| not_found(op, "cluster"))?;
    if c.info.authentication_mode == AuthenticationMode::ConfigMap {
        return Err(PortError::new(
            ErrorKind::InvalidRequest,
            op,
            "The cluster's authentication mode must be set to one of [API, API_AND_CONFIG_MAP] to perform this operation.",
        ));
    }
    Ok(c)
}

fn entry_mut<'c>(
    c: &'c mut StoredCluster,
    principal: &PrincipalArn,
    op: &str,
) -> Result<&'c mut StoredEntry, PortError> {
    c.entries
        .get_mut(principal)
        .ok_or_else(|| not_found(op, "access entry"))
}

/// The username EKS fills in when none is given.
fn default_username(principal: &PrincipalArn) -> String {
    format!(
        "arn:aws:sts::{}:assumed-role/{}/{{{{SessionName}}}}",
        principal.account(),
        principal.name()
    )
}

#[async_trait]
impl EksApi for MemoryEks {
    async fn list_clusters(&self) -> Result<Vec<ClusterName>, PortError> {
        let mut w = self.aws.world();
        w.call("ListClusters")?;
        Ok(w.clusters
            .keys()
            .filter(|c| c.account == self.account && c.region == self.region)
            .map(|c| c.name.clone())
            .collect())
    }

    async fn describe_cluster(&self, cluster: &ClusterName) -> Result<ClusterInfo, PortError> {
        let mut w = self.aws.world();
        w.call("DescribeCluster")?;
        w.clusters
            .get(&self.cluster_ref(cluster))
            .map(|c| c.info.clone())
            .ok_or_else(|| not_found("DescribeCluster", "cluster"))
    }

    async fn set_authentication_mode(
        &self,
        cluster: &ClusterName,
        mode: AuthenticationMode,
    ) -> Result<(), PortError> {
        let mut w = self.aws.world();
        w.call("UpdateClusterConfig")?;
        let c = w
            .clusters
            .get_mut(&self.cluster_ref(cluster))
            .ok_or_else(|| not_found("UpdateClusterConfig", "cluster"))?;
        if mode < c.info.authentication_mode {
            return Err(PortError::new(
                ErrorKind::InvalidParameter,
                "UpdateClusterConfig",
                "authentication mode changes are one-way",
            ));
        }
        c.info.authentication_mode = mode;
        c.info.status = ClusterStatus::Updating;
        Ok(())
    }

    async fn list_access_entries(
        &self,
        cluster: &ClusterName,
    ) -> Result<Vec<PrincipalArn>, PortError> {
        let mut w = self.aws.world();
        let c = entry_cluster(&mut w, &self.cluster_ref(cluster), "ListAccessEntries")?;
        Ok(c.entries.keys().cloned().collect())
    }

    async fn list_access_entries_with_policy(
        &self,
        cluster: &ClusterName,
        policy: &PolicyArn,
    ) -> Result<Vec<PrincipalArn>, PortError> {
        let mut w = self.aws.world();
        let c = entry_cluster(&mut w, &self.cluster_ref(cluster), "ListAccessEntries")?;
        Ok(c.entries
            .iter()
            .filter(|(_, e)| e.entry.policies.contains_key(policy))
            .map(|(p, _)| p.clone())
            .collect())
    }

    async fn describe_access_entry(
        &self,
        cluster: &ClusterName,
        principal: &PrincipalArn,
    ) -> Result<ActualEntry, PortError> {
        let mut w = self.aws.world();
        let c = entry_cluster(&mut w, &self.cluster_ref(cluster), "DescribeAccessEntry")?;
        let mut entry = entry_mut(c, principal, "DescribeAccessEntry")?
            .entry
            .clone();
        entry.policies.clear();
        Ok(entry)
    }

    async fn list_associated_policies(
        &self,
        cluster: &ClusterName,
        principal: &PrincipalArn,
    ) -> Result<BTreeMap<PolicyArn, AccessScope>, PortError> {
        let mut w = self.aws.world();
        let c = entry_cluster(
            &mut w,
            &self.cluster_ref(cluster),
            "ListAssociatedAccessPolicies",
        )?;
        Ok(entry_mut(c, principal, "ListAssociatedAccessPolicies")?
            .entry
            .policies
            .clone())
    }

    async fn create_access_entry(
        &self,
        cluster: &ClusterName,
        new: &NewEntry,
    ) -> Result<(), PortError> {
        let op = "CreateAccessEntry";
        let mut w = self.aws.world();
        let role_id = w
            .roles
            .get(new.principal.account())
            .and_then(|r| r.get(new.principal.name()))
            .filter(|r| r.arn == new.principal)
            .map(|r| r.role_id.clone());
        let c = entry_cluster(&mut w, &self.cluster_ref(cluster), op)?;
        let Some(role_id) = role_id else {
            return Err(PortError::new(
                ErrorKind::InvalidPrincipal,
                op,
                "The specified principalArn is invalid: invalid principal",
            ));
        };
        if c.entries.contains_key(&new.principal) {
            return Err(PortError::new(
                ErrorKind::AlreadyExists,
                op,
                "The specified access entry resource is already in use on this cluster.",
            ));
        }
        let entry = ActualEntry {
            principal: new.principal.clone(),
            arn: AccessEntryArn::new(format!(
                "arn:aws:eks:{}:{}:access-entry/{}/{}",
                self.region,
                self.account,
                cluster,
                new.principal.name()
            ))
            .ok(),
            entry_type: EntryType::Standard,
            kubernetes_groups: new
                .kubernetes_groups
                .iter()
                .map(ToString::to_string)
                .collect(),
            username: Some(
                new.username
                    .as_ref()
                    .map_or_else(|| default_username(&new.principal), ToString::to_string),
            ),
            tags: new.tags.clone(),
            policies: BTreeMap::new(),
            created_at: Some(1_700_000_000),
            principal_status: Default::default(),
        };
        c.entries.insert(
            new.principal.clone(),
            StoredEntry {
                entry,
                bound_role_id: Some(role_id),
            },
        );
        Ok(())
    }

    async fn update_access_entry(
        &self,
        cluster: &ClusterName,
        principal: &PrincipalArn,
        kubernetes_groups: &BTreeSet<KubernetesGroup>,
        username: Option<&Username>,
    ) -> Result<(), PortError> {
        let mut w = self.aws.world();
        let c = entry_cluster(&mut w, &self.cluster_ref(cluster), "UpdateAccessEntry")?;
        let stored = entry_mut(c, principal, "UpdateAccessEntry")?;
        stored.entry.kubernetes_groups =
            kubernetes_groups.iter().map(ToString::to_string).collect();
        if let Some(username) = username {
            stored.entry.username = Some(username.to_string());
        }
        Ok(())
    }

    async fn delete_access_entry(
        &self,
        cluster: &ClusterName,
        principal: &PrincipalArn,
    ) -> Result<(), PortError> {
        let mut w = self.aws.world();
        let c = entry_cluster(&mut w, &self.cluster_ref(cluster), "DeleteAccessEntry")?;
        c.entries
            .remove(principal)
            .map(|_| ())
            .ok_or_else(|| not_found("DeleteAccessEntry", "access entry"))
    }

    async fn associate_access_policy(
        &self,
        cluster: &ClusterName,
        principal: &PrincipalArn,
        policy: &PolicyArn,
        scope: &AccessScope,
    ) -> Result<(), PortError> {
        let op = "AssociateAccessPolicy";
        let mut w = self.aws.world();
        let c = entry_cluster(&mut w, &self.cluster_ref(cluster), op)?;
        let stored = entry_mut(c, principal, op)?;
        if stored.entry.entry_type != EntryType::Standard {
            return Err(PortError::new(
                ErrorKind::InvalidParameter,
                op,
                "policies can only be associated with STANDARD entries",
            ));
        }
        // Associating again replaces the scope.
        stored.entry.policies.insert(policy.clone(), scope.clone());
        Ok(())
    }

    async fn disassociate_access_policy(
        &self,
        cluster: &ClusterName,
        principal: &PrincipalArn,
        policy: &PolicyArn,
    ) -> Result<(), PortError> {
        let op = "DisassociateAccessPolicy";
        let mut w = self.aws.world();
        let c = entry_cluster(&mut w, &self.cluster_ref(cluster), op)?;
        let stored = entry_mut(c, principal, op)?;
        stored
            .entry
            .policies
            .remove(policy)
            .map(|_| ())
            .ok_or_else(|| not_found(op, "associated policy"))
    }

    async fn tag_resource(
        &self,
        resource_arn: &AccessEntryArn,
        tags: &BTreeMap<String, String>,
    ) -> Result<(), PortError> {
        let op = "TagResource";
        let mut w = self.aws.world();
        w.call(op)?;
        let stored = w
            .clusters
            .values_mut()
            .flat_map(|c| c.entries.values_mut())
            .find(|e| e.entry.arn.as_ref() == Some(resource_arn))
            .ok_or_else(|| not_found(op, "resource"))?;
        stored.entry.tags.extend(tags.clone());
        Ok(())
    }
}
