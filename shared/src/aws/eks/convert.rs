//! EKS SDK shapes → domain values, and back for the few request shapes we send. Pure functions, so
//! the conversions are tested without HTTP.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use aws_sdk_eks::types as sdk;

use crate::aws::errors::unexpected_response;
use crate::domain::{
    AccessEntryArn, AccessScope, AccountId, ActualEntry, AuthenticationMode, ClusterInfo,
    ClusterName, ClusterRef, ClusterStatus, EntryType, NamespacePattern, PolicyArn, PrincipalArn,
    Region,
};
use crate::ports::PortError;

/// `DescribeCluster`'s cluster → [`ClusterInfo`] for a cluster in `account` / `region`.
pub fn cluster_info(
    account: &AccountId,
    region: &Region,
    cluster: &sdk::Cluster,
) -> Result<ClusterInfo, PortError> {
    const OP: &str = "DescribeCluster";
    let name = cluster
        .name()
        .ok_or_else(|| unexpected_response(OP, "cluster without a name"))?;
    let name = ClusterName::new(name).map_err(|e| unexpected_response(OP, e))?;
    let status = cluster
        .status()
        .map(sdk::ClusterStatus::as_str)
        .ok_or_else(|| unexpected_response(OP, format!("cluster {name} without a status")))?;
    let status = ClusterStatus::parse(status)
        .ok_or_else(|| unexpected_response(OP, format!("unknown cluster status {status:?}")))?;
    // Clusters that predate access entries may report no access config: they are `CONFIG_MAP`,
    // which is also what the API defaults to.
    let authentication_mode = match cluster
        .access_config()
        .and_then(sdk::AccessConfigResponse::authentication_mode)
    {
        None => AuthenticationMode::ConfigMap,
        Some(mode) => AuthenticationMode::parse(mode.as_str()).ok_or_else(|| {
            unexpected_response(OP, format!("unknown authentication mode {mode:?}"))
        })?,
    };
    Ok(ClusterInfo {
        cluster: ClusterRef::new(account.clone(), region.clone(), name),
        status,
        authentication_mode,
        tags: sorted_tags(cluster.tags()),
        created_at: cluster.created_at().map(aws_smithy_types::DateTime::secs),
        creator: None,
    })
}

/// `DescribeAccessEntry`'s entry → [`ActualEntry`] (policies left empty: they come from
/// `ListAssociatedAccessPolicies`).
pub fn actual_entry(entry: &sdk::AccessEntry) -> Result<ActualEntry, PortError> {
    const OP: &str = "DescribeAccessEntry";
    let principal = entry
        .principal_arn()
        .ok_or_else(|| unexpected_response(OP, "access entry without a principal ARN"))?;
    let principal = PrincipalArn::new(principal).map_err(|e| unexpected_response(OP, e))?;
    Ok(ActualEntry {
        principal,
        // A malformed ARN only means the entry cannot be tagged: nothing else rests on it.
        arn: entry
            .access_entry_arn()
            .and_then(|a| AccessEntryArn::new(a).ok()),
        // EKS always reports a type; a missing one is the API default.
        entry_type: EntryType::parse(entry.r#type().unwrap_or("STANDARD")),
        kubernetes_groups: entry.kubernetes_groups().iter().cloned().collect(),
        username: entry.username().map(str::to_owned),
        tags: sorted_tags(entry.tags()),
        policies: BTreeMap::new(),
        created_at: entry.created_at().map(aws_smithy_types::DateTime::secs),
        // Looked up in IAM by the engine only where the lockout guard needs it.
        principal_status: Default::default(),
    })
}

/// An associated policy → its ARN and scope.
pub fn associated_policy(
    policy: &sdk::AssociatedAccessPolicy,
) -> Result<(PolicyArn, AccessScope), PortError> {
    const OP: &str = "ListAssociatedAccessPolicies";
    let arn = policy
        .policy_arn()
        .ok_or_else(|| unexpected_response(OP, "associated policy without an ARN"))?;
    let arn = PolicyArn::new(arn).map_err(|e| unexpected_response(OP, e))?;
    let scope = policy
        .access_scope()
        .ok_or_else(|| unexpected_response(OP, format!("policy {arn} without an access scope")))?;
    Ok((arn, access_scope(scope)?))
}

/// `accessScope{type, namespaces}` → [`AccessScope`].
pub fn access_scope(scope: &sdk::AccessScope) -> Result<AccessScope, PortError> {
    const OP: &str = "ListAssociatedAccessPolicies";
    match scope.r#type() {
        Some(sdk::AccessScopeType::Cluster) => Ok(AccessScope::Cluster),
        Some(sdk::AccessScopeType::Namespace) => {
            let namespaces = scope
                .namespaces()
                .iter()
                .map(|ns| NamespacePattern::new(ns.as_str()))
                .collect::<Result<BTreeSet<_>, _>>()
                .map_err(|e| unexpected_response(OP, e))?;
            Ok(AccessScope::Namespace(namespaces))
        }
        other => Err(unexpected_response(
            OP,
            format!("unknown access scope type {other:?}"),
        )),
    }
}

/// [`AccessScope`] → the request shape for `AssociateAccessPolicy`.
pub fn sdk_access_scope(scope: &AccessScope) -> sdk::AccessScope {
    match scope {
        AccessScope::Cluster => sdk::AccessScope::builder()
            .r#type(sdk::AccessScopeType::Cluster)
            .build(),
        AccessScope::Namespace(namespaces) => sdk::AccessScope::builder()
            .r#type(sdk::AccessScopeType::Namespace)
            .set_namespaces(Some(
                namespaces.iter().map(|n| n.as_str().to_owned()).collect(),
            ))
            .build(),
    }
}

/// The SDK's tag map (a `HashMap`) in deterministic order.
fn sorted_tags(tags: Option<&HashMap<String, String>>) -> BTreeMap<String, String> {
    tags.map(|t| t.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use aws_smithy_types::DateTime;

    use super::*;

    const ROLE: &str = "arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_Admin_0123456789abcdef";

    fn account() -> AccountId {
        AccountId::new("111122223333").expect("account")
    }

    fn region() -> Region {
        Region::new("eu-west-1").expect("region")
    }

    #[test]
    fn cluster_converts_with_tags_mode_and_creation_time() {
        let cluster = sdk::Cluster::builder()
            .name("prod-1")
            .status(sdk::ClusterStatus::Active)
            .created_at(DateTime::from_secs(1_700_000_000))
            .tags("env", "prod")
            .tags("team", "payments")
            .access_config(
                sdk::AccessConfigResponse::builder()
                    .authentication_mode(sdk::AuthenticationMode::ApiAndConfigMap)
                    .build(),
            )
            .build();
        let info = cluster_info(&account(), &region(), &cluster).expect("converts");
        assert_eq!(
            info.cluster.arn(),
            "arn:aws:eks:eu-west-1:111122223333:cluster/prod-1"
        );
        assert_eq!(info.status, ClusterStatus::Active);
        assert_eq!(
            info.authentication_mode,
            AuthenticationMode::ApiAndConfigMap
        );
        assert_eq!(info.created_at, Some(1_700_000_000));
        assert_eq!(info.tags.keys().collect::<Vec<_>>(), vec!["env", "team"]);
    }

    #[test]
    fn cluster_without_access_config_is_config_map() {
        let cluster = sdk::Cluster::builder()
            .name("old")
            .status(sdk::ClusterStatus::Creating)
            .build();
        let info = cluster_info(&account(), &region(), &cluster).expect("converts");
        assert_eq!(info.authentication_mode, AuthenticationMode::ConfigMap);
        assert_eq!(info.status, ClusterStatus::Creating);
        assert!(info.tags.is_empty() && info.created_at.is_none());
    }

    #[test]
    fn cluster_with_unknown_status_is_an_error_not_a_guess() {
        let cluster = sdk::Cluster::builder()
            .name("x")
            .status(sdk::ClusterStatus::from("HIBERNATING"))
            .build();
        let err = cluster_info(&account(), &region(), &cluster).expect_err("rejected");
        assert!(err.message.contains("HIBERNATING"), "{}", err.message);
    }

    #[test]
    fn access_entry_converts() {
        let entry = sdk::AccessEntry::builder()
            .principal_arn(ROLE)
            .access_entry_arn("arn:aws:eks:eu-west-1:111122223333:access-entry/prod-1/role/111122223333/AWSReservedSSO_Admin_0123456789abcdef/abc")
            .kubernetes_groups("payments-devs")
            .kubernetes_groups("viewers")
            .username("arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_Admin_0123456789abcdef/{{SessionName}}")
            .r#type("STANDARD")
            .tags("eks-sso-sync:managed", "true")
            .created_at(DateTime::from_secs(1_700_000_100))
            .build();
        let actual = actual_entry(&entry).expect("converts");
        assert_eq!(actual.principal.as_str(), ROLE);
        assert_eq!(actual.entry_type, EntryType::Standard);
        assert!(actual.is_managed());
        assert_eq!(actual.kubernetes_groups.len(), 2);
        assert_eq!(actual.created_at, Some(1_700_000_100));
        assert!(actual.arn.is_some() && actual.username.is_some());

        let node = sdk::AccessEntry::builder()
            .principal_arn("arn:aws:iam::111122223333:role/node-role")
            .r#type("EC2_LINUX")
            .build();
        assert_eq!(
            actual_entry(&node).expect("converts").entry_type,
            EntryType::Other("EC2_LINUX".into())
        );
    }

    #[test]
    fn access_scopes_convert_both_ways() {
        let ns = sdk::AccessScope::builder()
            .r#type(sdk::AccessScopeType::Namespace)
            .namespaces("payments")
            .namespaces("payments-*")
            .build();
        let scope = access_scope(&ns).expect("converts");
        let AccessScope::Namespace(set) = &scope else {
            panic!("expected namespace scope, got {scope:?}");
        };
        assert_eq!(set.len(), 2);
        let back = sdk_access_scope(&scope);
        assert_eq!(back.r#type(), Some(&sdk::AccessScopeType::Namespace));
        assert_eq!(back.namespaces(), ["payments", "payments-*"]);

        let cluster = sdk::AccessScope::builder()
            .r#type(sdk::AccessScopeType::Cluster)
            .build();
        assert_eq!(
            access_scope(&cluster).expect("converts"),
            AccessScope::Cluster
        );
        assert!(
            sdk_access_scope(&AccessScope::Cluster)
                .namespaces()
                .is_empty()
        );

        let policy = sdk::AssociatedAccessPolicy::builder()
            .policy_arn("arn:aws:eks::aws:cluster-access-policy/AmazonEKSEditPolicy")
            .access_scope(ns)
            .build();
        let (arn, scope) = associated_policy(&policy).expect("converts");
        assert_eq!(arn.name(), "AmazonEKSEditPolicy");
        assert!(matches!(scope, AccessScope::Namespace(_)));
    }
}
