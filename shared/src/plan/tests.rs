//! Table tests: one behaviour of the planner per test, on small hand-written clusters.

use std::collections::{BTreeMap, BTreeSet};

use crate::desired::{ClusterDesired, Conflict, DesiredEntry, DesiredState};
use crate::domain::{
    AccessScope, AccountId, ActualEntry, AuthenticationMode, ClusterInfo, ClusterName, ClusterRef,
    ClusterStatus, EntryType, KubernetesGroup, ManagedTags, NamespacePattern, PolicyArn,
    PrincipalArn, PrincipalStatus, Region, RoleId, Username,
};

use super::*;

mod cluster;
mod entries;
mod output;
mod safety;
mod shadow;
mod unknown;

pub(super) const CLUSTER_CREATED_AT: i64 = 1_700_000_000;
/// The fixtures' roles were created well before the cluster and its entries.
pub(super) const ROLE_CREATED_AT: i64 = CLUSTER_CREATED_AT - 86_400;

pub(super) fn arn(name: &str) -> PrincipalArn {
    PrincipalArn::new(format!(
        "arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/eu-west-1/{name}"
    ))
    .unwrap()
}

pub(super) fn role_id(n: u32) -> RoleId {
    RoleId::new(format!("AROAEXAMPLE{n:09}")).unwrap()
}

pub(super) fn policy(name: &str) -> PolicyArn {
    PolicyArn::for_people(name).unwrap()
}

pub(super) fn ns(list: &[&str]) -> AccessScope {
    AccessScope::Namespace(
        list.iter()
            .map(|n| NamespacePattern::new(*n).unwrap())
            .collect(),
    )
}

pub(super) fn cluster_ref(name: &str) -> ClusterRef {
    ClusterRef::new(
        AccountId::new("111122223333").unwrap(),
        Region::new("eu-west-1").unwrap(),
        ClusterName::new(name).unwrap(),
    )
}

pub(super) fn cluster_info(status: ClusterStatus, mode: AuthenticationMode) -> ClusterInfo {
    ClusterInfo {
        cluster: cluster_ref("prod-1"),
        status,
        authentication_mode: mode,
        tags: BTreeMap::new(),
        created_at: Some(CLUSTER_CREATED_AT),
        creator: None,
    }
}

fn want(name: &str, id: u32, groups: &[&str], policies: &[(&str, AccessScope)]) -> DesiredEntry {
    DesiredEntry {
        principal: arn(name),
        role_id: role_id(id),
        kubernetes_groups: groups
            .iter()
            .map(|g| KubernetesGroup::new(*g).unwrap())
            .collect(),
        username: None,
        policies: policies
            .iter()
            .map(|(p, s)| (policy(p), s.clone()))
            .collect(),
        sources: crate::desired::sources_named(["rule-a"]),
        role_created_at: Some(ROLE_CREATED_AT),
    }
}

/// The entry EKS holds once `desired` has been applied: managed tags, server-default username.
fn managed(desired: &DesiredEntry) -> ActualEntry {
    ActualEntry {
        principal: desired.principal.clone(),
        arn: Some(entry_arn(desired.principal.name())),
        entry_type: EntryType::Standard,
        kubernetes_groups: desired
            .kubernetes_groups
            .iter()
            .map(|g| g.to_string())
            .collect(),
        username: Some(default_username(&desired.principal)),
        tags: ManagedTags::for_entry(desired.rules(), &desired.role_id),
        policies: desired.policies.clone(),
        created_at: Some(CLUSTER_CREATED_AT + 86_400),
        // As the engine reports an admin entry no rule desires: looked up, and it works.
        principal_status: PrincipalStatus::Exists {
            created_at: Some(ROLE_CREATED_AT),
        },
    }
}

/// The access entry ARN of the role `name` on the test cluster.
fn entry_arn(name: &str) -> crate::domain::AccessEntryArn {
    crate::domain::AccessEntryArn::new(format!(
        "arn:aws:eks:eu-west-1:111122223333:access-entry/prod-1/role/111122223333/{name}/0"
    ))
    .unwrap()
}

fn unmanaged(name: &str, policies: &[(&str, AccessScope)]) -> ActualEntry {
    ActualEntry {
        principal: arn(name),
        arn: Some(entry_arn(name)),
        entry_type: EntryType::Standard,
        kubernetes_groups: BTreeSet::new(),
        username: Some(default_username(&arn(name))),
        tags: BTreeMap::from([("team".to_owned(), "platform".to_owned())]),
        policies: policies
            .iter()
            .map(|(p, s)| (policy(p), s.clone()))
            .collect(),
        created_at: Some(CLUSTER_CREATED_AT + 86_400),
        // The principal exists and predates the entry: an unmanaged admin entry that works.
        principal_status: PrincipalStatus::Exists {
            created_at: Some(ROLE_CREATED_AT),
        },
    }
}

fn cluster(entries: Vec<DesiredEntry>) -> ClusterDesired {
    ClusterDesired {
        cluster: cluster_info(ClusterStatus::Active, AuthenticationMode::Api),
        entries: entries
            .into_iter()
            .map(|e| (e.principal.clone(), e))
            .collect(),
        held: BTreeMap::new(),
        problem_rules: BTreeMap::new(),
        problem_principals: BTreeMap::new(),
        account_has_demand: true,
        unconfirmed: BTreeMap::new(),
    }
}

fn kinds(plan: &ClusterPlan) -> Vec<&'static str> {
    plan.operations
        .iter()
        .map(|op| match op {
            Operation::SetAuthenticationMode { .. } => "mode",
            Operation::CreateEntry { .. } => "create",
            Operation::RecreateEntry { .. } => "recreate",
            Operation::UpdateEntry { .. } => "update",
            Operation::TagEntry { .. } => "tag",
            Operation::AssociatePolicy { .. } => "associate",
            Operation::DisassociatePolicy { .. } => "disassociate",
            Operation::DeleteEntry { .. } => "delete",
        })
        .collect()
}

fn reasons(plan: &ClusterPlan) -> Vec<SkipReason> {
    plan.skipped.iter().map(|s| s.reason.clone()).collect()
}

const ADMIN: &str = "ClusterAdmin";
