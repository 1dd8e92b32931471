//! The EKS half of the differential scenario (ministack and ours): a cluster, one access entry
//! through its whole life, and the steps where ministack is known to part from AWS.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use aws_config::SdkConfig;
use aws_sdk_eks::types::{
    AuthenticationMode as SdkMode, CreateAccessConfigRequest, VpcConfigRequest,
};
use eks_sso_sync::aws::SdkConnector;
use eks_sso_sync::domain::{
    AccessScope, AuthenticationMode, ClusterName, ClusterStatus, KubernetesGroup, NamespacePattern,
    PolicyArn, PrincipalArn, Username,
};
use eks_sso_sync::ports::{EksApi, NewEntry};

use super::{ACCOUNT, Transcript, account, arn, create_role, outcome, region, sdk};

const VIEW: &str = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy";
const EDIT: &str = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSEditPolicy";

fn policy(arn: &str) -> PolicyArn {
    PolicyArn::new(arn).expect("policy ARN")
}

fn namespaces(names: &[&str]) -> AccessScope {
    let patterns = names
        .iter()
        .map(|n| NamespacePattern::new(*n).expect("namespace"));
    AccessScope::Namespace(patterns.collect())
}

fn groups(names: &[&str]) -> BTreeSet<KubernetesGroup> {
    names
        .iter()
        .map(|g| KubernetesGroup::new(*g).expect("group"))
        .collect()
}

fn cluster(name: &str) -> ClusterName {
    ClusterName::new(name).expect("cluster name")
}

fn entry_for(principal: &PrincipalArn, kubernetes_groups: &[&str]) -> NewEntry {
    NewEntry {
        principal: principal.clone(),
        kubernetes_groups: groups(kubernetes_groups),
        username: None,
        tags: BTreeMap::from([("team".to_owned(), "ci".to_owned())]),
    }
}

/// Creates cluster `name` (with `mode`, or the API default when `None`) and waits until it is
/// `ACTIVE`, calling `settle` (ours: finish transitions now) between polls.
async fn create_cluster(
    config: &SdkConfig,
    eks: &dyn EksApi,
    name: &str,
    mode: Option<SdkMode>,
    settle: &(dyn Fn() + Sync),
) {
    let mut request = aws_sdk_eks::Client::new(config)
        .create_cluster()
        .name(name)
        .role_arn(format!("arn:aws:iam::{ACCOUNT}:role/cluster"))
        .resources_vpc_config(VpcConfigRequest::builder().subnet_ids("subnet-1").build())
        .tags("env", "prod");
    if let Some(mode) = mode {
        let access = CreateAccessConfigRequest::builder()
            .authentication_mode(mode)
            .build();
        request = request.access_config(access);
    }
    request
        .send()
        .await
        .unwrap_or_else(|e| panic!("CreateCluster {name}: {e:?}"));
    for _ in 0..100 {
        settle();
        let info = eks
            .describe_cluster(&cluster(name))
            .await
            .expect("DescribeCluster");
        if info.status == ClusterStatus::Active {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("cluster {name} never became ACTIVE");
}

/// The principal ARNs of a cluster's entries as the raw SDK lists them (all pages). The adapter
/// drops principals eks-sso-sync cannot manage (an account's `:root`); the raw list shows all.
async fn raw_entries(config: &SdkConfig, name: &str) -> Vec<String> {
    aws_sdk_eks::Client::new(config)
        .list_access_entries()
        .cluster_name(name)
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .expect("ListAccessEntries")
}

/// Whether a first page of one entry says there is more (`nextToken`).
async fn first_page_has_more(config: &SdkConfig, name: &str) -> String {
    let page = aws_sdk_eks::Client::new(config)
        .list_access_entries()
        .cluster_name(name)
        .max_results(1)
        .send()
        .await
        .expect("ListAccessEntries");
    format!(
        "{} entries, next token: {}",
        page.access_entries().len(),
        page.next_token().is_some()
    )
}

/// The policies of `principal` as the raw SDK lists them: policy ARN → scope type.
async fn raw_policies(config: &SdkConfig, name: &str, principal: &str) -> String {
    let out = aws_sdk_eks::Client::new(config)
        .list_associated_access_policies()
        .cluster_name(name)
        .principal_arn(principal)
        .send()
        .await
        .expect("ListAssociatedAccessPolicies");
    let policies: BTreeMap<String, String> = out
        .associated_access_policies()
        .iter()
        .map(|p| {
            let scope = p
                .access_scope()
                .and_then(|s| s.r#type())
                .map(|t| t.as_str().to_owned());
            (
                p.policy_arn().unwrap_or("?").to_owned(),
                scope.unwrap_or_default(),
            )
        })
        .collect();
    format!("{policies:?}")
}

/// An entry as the adapter reads it (ARN and timestamps stripped; the username only when asked,
/// since the default EKS fills in is a step of its own).
async fn observed_entry(eks: &dyn EksApi, principal: &PrincipalArn, with_username: bool) -> String {
    let entry = eks
        .describe_access_entry(&cluster("prod-1"), principal)
        .await;
    outcome(entry.map(|e| {
        let username = if with_username { e.username } else { None };
        (
            e.principal.to_string(),
            e.entry_type,
            e.kubernetes_groups,
            username,
            e.tags,
        )
    }))
}

async fn policies(eks: &dyn EksApi, principal: &PrincipalArn) -> String {
    outcome(
        eks.list_associated_policies(&cluster("prod-1"), principal)
            .await,
    )
}

/// The cluster and its creator's entry, as created.
async fn new_cluster(config: &SdkConfig, eks: &dyn EksApi, t: &mut Transcript) {
    let info = eks.describe_cluster(&cluster("prod-1")).await;
    let info = info.map(|i| (i.cluster, i.status, i.authentication_mode, i.tags));
    t.insert("eks: describe cluster", outcome(info));
    t.insert("eks: list clusters", outcome(eks.list_clusters().await));
    let missing = eks.describe_cluster(&cluster("nope")).await.map(|_| ());
    t.insert("eks: describe a missing cluster", outcome(missing));
    let creators = raw_entries(config, "prod-1").await;
    t.insert("eks: entries of a new cluster", format!("{creators:?}"));
    let creator = creators.first().expect("the creator's entry");
    t.insert(
        "eks: creator entry policies",
        raw_policies(config, "prod-1", creator).await,
    );
}

/// One entry: create, describe, associate, re-associate, update, disassociate, delete.
async fn entry_lifecycle(config: &SdkConfig, eks: &dyn EksApi, t: &mut Transcript) {
    let prod = cluster("prod-1");
    let (view_policy, edit_policy) = (policy(VIEW), policy(EDIT));
    let deployer = arn(&format!("arn:aws:iam::{ACCOUNT}:role/ci/deployer"));
    let entry = entry_for(&deployer, &["deployers"]);
    t.insert(
        "eks: create entry",
        outcome(eks.create_access_entry(&prod, &entry).await),
    );
    t.insert(
        "eks: create it again",
        outcome(eks.create_access_entry(&prod, &entry).await),
    );
    t.insert(
        "eks: describe entry",
        observed_entry(eks, &deployer, false).await,
    );
    let view = eks.associate_access_policy(&prod, &deployer, &view_policy, &AccessScope::Cluster);
    t.insert("eks: associate view", outcome(view.await));
    let scope = namespaces(&["apps", "apps-*"]);
    let edit = eks.associate_access_policy(&prod, &deployer, &edit_policy, &scope);
    t.insert("eks: associate edit", outcome(edit.await));
    t.insert(
        "eks: policies after associate",
        policies(eks, &deployer).await,
    );
    let scope = namespaces(&["web"]);
    let again = eks.associate_access_policy(&prod, &deployer, &edit_policy, &scope);
    t.insert("eks: associate edit again", outcome(again.await));
    t.insert(
        "eks: policies after re-associate",
        policies(eks, &deployer).await,
    );
    let username = Username::new("ci-deployer").expect("username");
    let new_groups = groups(&["deployers", "viewers"]);
    let updated = eks.update_access_entry(&prod, &deployer, &new_groups, Some(&username));
    t.insert("eks: update entry", outcome(updated.await));
    t.insert(
        "eks: describe updated entry",
        observed_entry(eks, &deployer, true).await,
    );
    let gone = eks.disassociate_access_policy(&prod, &deployer, &view_policy);
    t.insert("eks: disassociate view", outcome(gone.await));
    t.insert(
        "eks: policies after disassociate",
        policies(eks, &deployer).await,
    );
    t.insert(
        "eks: delete entry",
        outcome(eks.delete_access_entry(&prod, &deployer).await),
    );
    let left = raw_entries(config, "prod-1").await.len();
    t.insert("eks: entries after delete", left.to_string());
    t.insert(
        "eks: describe deleted entry",
        observed_entry(eks, &deployer, false).await,
    );
}

/// The steps where ministack is known to part from AWS (see docs/emulator-fidelity.md).
async fn known_differences(
    config: &SdkConfig,
    eks: &dyn EksApi,
    t: &mut Transcript,
    settle: &(dyn Fn() + Sync),
) {
    let prod = cluster("prod-1");
    for i in 0..3 {
        let app = arn(&format!("arn:aws:iam::{ACCOUNT}:role/app-{i}"));
        eks.create_access_entry(&prod, &entry_for(&app, &[]))
            .await
            .expect("CreateAccessEntry");
    }
    let app = arn(&format!("arn:aws:iam::{ACCOUNT}:role/app-0"));
    let username = eks
        .describe_access_entry(&prod, &app)
        .await
        .map(|e| e.username);
    t.insert("eks: default username", outcome(username));
    t.insert(
        "eks: first page of one entry (4 exist)",
        first_page_has_more(config, "prod-1").await,
    );
    let paged = SdkConnector::new(
        config.clone(),
        eks_sso_sync::aws::RoleSessionName::default(),
        |_| None,
    )
    .with_page_size(1);
    let paged = paged.sdk_eks(&account(), &region()).await;
    let listed = paged.list_access_entries(&prod).await.map(|e| e.len());
    t.insert(
        "eks: role entries the adapter lists with pages of one",
        outcome(listed),
    );
    let pathless = format!("arn:aws:iam::{ACCOUNT}:role/AWSReservedSSO_Admin_0123456789abcdef");
    let created = eks
        .create_access_entry(&prod, &entry_for(&arn(&pathless), &[]))
        .await;
    t.insert("eks: entry for a path-less SSO role ARN", outcome(created));

    create_cluster(config, eks, "legacy", None, settle).await;
    let described = aws_sdk_eks::Client::new(config)
        .describe_cluster()
        .name("legacy")
        .send()
        .await
        .expect("DescribeCluster");
    let mode = described
        .cluster()
        .and_then(|c| c.access_config())
        .and_then(|a| a.authentication_mode())
        .map(|m| m.as_str().to_owned());
    t.insert(
        "eks: authentication mode when CreateCluster gives none",
        format!("{mode:?}"),
    );
    let legacy = cluster("legacy");
    let listed = eks.list_access_entries(&legacy).await.map(|_| ());
    t.insert("eks: list entries of a CONFIG_MAP cluster", outcome(listed));
    let switched = eks.set_authentication_mode(&legacy, AuthenticationMode::ApiAndConfigMap);
    t.insert(
        "eks: switch CONFIG_MAP to API_AND_CONFIG_MAP",
        outcome(switched.await),
    );
}

/// Runs the EKS scenario against `endpoint`; `settle` finishes cluster transitions (ours).
pub async fn transcript(endpoint: &str, settle: &(dyn Fn() + Sync)) -> Transcript {
    let config = sdk(endpoint);
    // The principals must exist for our emulator, as for EKS; ministack has IAM too.
    let roles = [
        ("deployer", "/ci/"),
        ("app-0", "/"),
        ("app-1", "/"),
        ("app-2", "/"),
        ("cluster", "/"),
    ];
    for (name, path) in roles {
        create_role(&config, name, path).await;
    }
    let connector = SdkConnector::new(
        config.clone(),
        eks_sso_sync::aws::RoleSessionName::default(),
        |_| None,
    );
    let eks = connector.sdk_eks(&account(), &region()).await;
    let mode = Some(SdkMode::ApiAndConfigMap);
    create_cluster(&config, eks.as_ref(), "prod-1", mode, settle).await;
    let mut t = Transcript::new();
    new_cluster(&config, eks.as_ref(), &mut t).await;
    entry_lifecycle(&config, eks.as_ref(), &mut t).await;
    known_differences(&config, eks.as_ref(), &mut t, settle).await;
    t
}
