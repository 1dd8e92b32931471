//! Effective access: which clusters a group reaches, through which permission-set role, with which
//! policies and namespaces. Used for onboarding audit records and by `explain`; it reads the same
//! desired state the reconciler converges to.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::reconcile::ReconcileContext;
use crate::desired;
use crate::domain::{
    AccessScope, ClusterRef, GroupId, KubernetesGroup, PermissionSetArn, PermissionSetName,
    PolicyArn, PrincipalArn, RuleName,
};
use crate::ports::{AssignedPrincipal, PortError};

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
    pub rules: BTreeSet<RuleName>,
    /// Why this access is held on this path (rules conflicting on the shared role, or a
    /// templated groups filter that cannot be confirmed): the entry stays as it is, and
    /// `policies` is empty.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub held: Option<String>,
}

/// The access members of `group_id` have (or are about to have) on `clusters`, as the mapping
/// grants it through the group's account assignments.
pub async fn access_via_group(
    ctx: &ReconcileContext,
    group_id: &GroupId,
    clusters: &[ClusterRef],
) -> Result<Vec<GroupAccess>, PortError> {
    let instance = ctx.reader().instance().await?;
    let assignments = ctx
        .sso_admin
        .assignments_for_principal(
            &instance.instance_arn,
            &AssignedPrincipal::Group(group_id.clone()),
        )
        .await?;
    let names: BTreeMap<&PermissionSetArn, &PermissionSetName> = ctx
        .reader()
        .wanted_permission_sets()
        .await?
        .iter()
        .map(|ps| (&ps.arn, &ps.name))
        .collect();
    let mut held: BTreeSet<(&crate::domain::AccountId, &PermissionSetName)> = BTreeSet::new();
    for a in &assignments {
        if let Some(name) = names.get(&a.permission_set_arn) {
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
        let reached = |principal: &PrincipalArn| {
            principal
                .sso_permission_set_name()
                .filter(|ps| held.contains(&(&cluster.account, ps)))
        };
        for entry in desired.entries.values() {
            if let Some(ps) = reached(&entry.principal) {
                out.push(GroupAccess {
                    cluster: cluster.clone(),
                    permission_set: ps,
                    principal: entry.principal.clone(),
                    kubernetes_groups: entry.kubernetes_groups.clone(),
                    policies: entry.policies.clone(),
                    rules: entry.rules().into_iter().cloned().collect(),
                    held: None,
                });
            }
        }
        out.extend(held_on_path(cluster, desired, reached));
    }
    out.sort();
    Ok(out)
}

/// The roles `reached` picks whose access is held on `desired`'s cluster: conflicting rules, or
/// an unconfirmed templated groups filter (`reached` gives the permission set of a role on the
/// path, `None` for a role off it).
pub fn held_on_path(
    cluster: &ClusterRef,
    desired: &desired::ClusterDesired,
    reached: impl Fn(&PrincipalArn) -> Option<PermissionSetName>,
) -> Vec<GroupAccess> {
    let line = |principal: &PrincipalArn, ps, rules, why: String| GroupAccess {
        cluster: cluster.clone(),
        permission_set: ps,
        principal: principal.clone(),
        kubernetes_groups: BTreeSet::new(),
        policies: BTreeMap::new(),
        rules,
        held: Some(why),
    };
    let conflicts = desired.held.values().filter_map(|c| {
        let ps = reached(&c.principal)?;
        Some(line(&c.principal, ps, c.rules.clone(), c.detail.clone()))
    });
    let unconfirmed = desired
        .unconfirmed
        .iter()
        .filter_map(|(principal, problem)| {
            let ps = reached(principal)?;
            let rules = BTreeSet::from([problem.rule.clone()]);
            Some(line(principal, ps, rules, problem.message.clone()))
        });
    conflicts.chain(unconfirmed).collect()
}
