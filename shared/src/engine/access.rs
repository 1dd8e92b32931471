//! Effective access: which clusters a group reaches, through which permission-set role, with which
//! policies and namespaces. Used for onboarding audit records and by `explain`; it reads the same
//! desired state the reconciler converges to.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::reconcile::ReconcileContext;
use crate::desired;
use crate::domain::{
    AccessScope, ClusterRef, KubernetesGroup, PermissionSetName, PolicyArn, PrincipalArn,
};
use crate::ports::{PortError, PrincipalType};

/// One way a group reaches a cluster.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct GroupAccess {
    /// The cluster reached.
    pub cluster: ClusterRef,
    /// The permission set the group holds in the cluster's account.
    pub permission_set: PermissionSetName,
    /// Its role in that account: the access entry's principal.
    pub principal: PrincipalArn,
    /// Kubernetes groups of the entry.
    pub kubernetes_groups: BTreeSet<KubernetesGroup>,
    /// Policies and their scopes.
    pub policies: BTreeMap<PolicyArn, AccessScope>,
    /// The mapping rules that grant it.
    pub rules: BTreeSet<String>,
}

/// The access members of `group_id` have (or are about to have) on `clusters`, as the mapping
/// grants it through the group's account assignments.
pub async fn access_via_group(
    ctx: &ReconcileContext,
    group_id: &str,
    clusters: &[ClusterRef],
) -> Result<Vec<GroupAccess>, PortError> {
    let instance = ctx.reader().instance().await?;
    let assignments = ctx
        .sso_admin
        .assignments_for_principal(&instance.instance_arn, PrincipalType::Group, group_id)
        .await?;
    let names: BTreeMap<&str, &PermissionSetName> = ctx
        .reader()
        .wanted_permission_sets()
        .await?
        .iter()
        .map(|ps| (ps.arn.as_str(), &ps.name))
        .collect();
    let mut held: BTreeSet<(&crate::domain::AccountId, &PermissionSetName)> = BTreeSet::new();
    for a in &assignments {
        if let Some(name) = names.get(a.permission_set_arn.as_str()) {
            held.insert((&a.account, *name));
        }
    }
    let mut out = Vec::new();
    for cluster in clusters
        .iter()
        .filter(|c| held.iter().any(|(a, _)| **a == c.account))
    {
        let inventory = ctx.reader().for_cluster(cluster).await?;
        let state = desired::compute(&ctx.mapping, &inventory);
        let Some(desired) = state.clusters.get(cluster) else {
            continue;
        };
        // A CONFIG_MAP cluster has no working access entries: nobody reaches it this way (yet).
        if !desired
            .cluster
            .authentication_mode
            .supports_access_entries()
        {
            continue;
        }
        for entry in desired.entries.values() {
            let Some(ps) = entry.principal.sso_permission_set_name() else {
                continue;
            };
            if held.contains(&(&cluster.account, &ps)) {
                out.push(GroupAccess {
                    cluster: cluster.clone(),
                    permission_set: ps,
                    principal: entry.principal.clone(),
                    kubernetes_groups: entry.kubernetes_groups.clone(),
                    policies: entry.policies.clone(),
                    rules: entry.rules.clone(),
                });
            }
        }
    }
    out.sort();
    Ok(out)
}
