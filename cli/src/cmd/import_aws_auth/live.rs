//! The AWS side of `import-aws-auth`: the connector every command uses (the member role assumed
//! in every account but the credentials' own), the live clusters' `aws-auth` ConfigMaps read
//! through their Kubernetes API with an EKS token, and their access entries for the
//! equivalence check.

use std::sync::Arc;

use anyhow::{Context, bail};
use eks_sso_sync::aws::{self, SdkConnector, setup};
use eks_sso_sync::config::{ClusterSelector, Mapping};
use eks_sso_sync::engine;

use super::kubernetes;
use eks_sso_sync::domain::{AccountId, ClusterName, PrincipalArn, Region};
use eks_sso_sync::migrate::ConfigMapSource;
use eks_sso_sync::migrate::ImportReport;
use eks_sso_sync::migrate::equivalence::{self, Equivalence};
use eks_sso_sync::ports::{EksApi, ErrorKind};

/// The connector and the account the credentials belong to.
pub struct Connection {
    /// Reaches IAM and EKS in any account.
    pub connector: Arc<SdkConnector>,
    /// The credentials' own account (no role assumed there).
    pub caller: AccountId,
}

/// A cluster found in an account and region.
#[derive(Debug, Clone)]
pub struct Found {
    account: AccountId,
    region: Region,
    name: ClusterName,
}

/// Connects with `sdk`: every account but the caller's is reached through `member_role_name`.
pub async fn connect(
    sdk: &aws_config::SdkConfig,
    identity_center_region: &Region,
    member_role_name: &str,
) -> anyhow::Result<Connection> {
    let caller = aws::caller_account(sdk)
        .await
        .context("cannot tell which account the credentials belong to (sts get-caller-identity)")?;
    let own = caller.clone();
    let role_name = member_role_name.to_owned();
    let partition = identity_center_region.partition().as_str();
    let ports = aws::AwsPorts::from_config(sdk, identity_center_region, move |account| {
        (account != &own)
            .then(|| PrincipalArn::role(partition, account, "/", &role_name).ok())
            .flatten()
    })
    .await;
    tracing::info!(%caller, member_role = member_role_name, "import-aws-auth connected");
    Ok(Connection {
        connector: ports.connector,
        caller,
    })
}

/// The connection and the clusters of an existing mapping: every cluster of its accounts and
/// regions that its `clusters:` selectors pick, reached with its member-role settings, exactly
/// as `plan` finds them. An account that cannot be listed fails the import: a cluster missed
/// would be a ConfigMap whose entries nobody replaces.
pub async fn mapping_clusters(
    mapping: Mapping,
    endpoint: Option<&str>,
) -> anyhow::Result<(Connection, Vec<Found>)> {
    let mapping = Arc::new(mapping);
    let endpoint = endpoint.map(|url| (url, crate::connect::endpoint_credentials()));
    let sdk = setup::sdk_config(&mapping, endpoint).await;
    let caller = aws::caller_account(&sdk)
        .await
        .context("cannot tell which account the credentials belong to (sts get-caller-identity)")?;
    let ports = setup::ports(&mapping, &sdk).await;
    let ctx = setup::context(mapping, &ports);
    let (managed, errors) = engine::list_managed_clusters(&ctx, None).await;
    if let Some((account, region, error)) = errors.first() {
        bail!(
            "cannot list the clusters of {account} in {region} ({error}): the import must read \
             every cluster the mapping selects, or it would miss their aws-auth entries"
        );
    }
    let found = managed
        .into_iter()
        .map(|c| Found {
            account: c.account,
            region: c.region,
            name: c.name,
        })
        .collect();
    let conn = Connection {
        connector: ports.connector,
        caller,
    };
    Ok((conn, found))
}

/// The clusters to read: `names` in whichever account and region has them, or every cluster
/// `selector` (the `--tag` globs) picks.
pub async fn find_clusters(
    conn: &Connection,
    accounts: &[AccountId],
    regions: &[Region],
    names: &[ClusterName],
    selector: &ClusterSelector,
) -> anyhow::Result<Vec<Found>> {
    let mut found = Vec::new();
    for account in accounts {
        for region in regions {
            let eks = conn.connector.sdk_eks(account, region).await;
            let listed = eks
                .list_clusters()
                .await
                .with_context(|| format!("cannot list the clusters of {account} in {region}"))?;
            for name in listed {
                let wanted = names.is_empty() || names.contains(&name);
                if wanted && selected(eks.as_ref(), &name, selector).await? {
                    found.push(Found {
                        account: account.clone(),
                        region: region.clone(),
                        name,
                    });
                }
            }
        }
    }
    for name in names {
        if !found.iter().any(|f| &f.name == name) {
            bail!(
                "cluster {name} not found in accounts {} and regions {} (add --account / --region)",
                join(accounts),
                join(regions)
            );
        }
    }
    Ok(found)
}

/// Whether `selector` picks `cluster` (no call when it selects on nothing).
async fn selected(
    eks: &dyn EksApi,
    cluster: &ClusterName,
    selector: &ClusterSelector,
) -> anyhow::Result<bool> {
    if selector == &ClusterSelector::default() {
        return Ok(true);
    }
    let info = eks
        .describe_cluster(cluster)
        .await
        .with_context(|| format!("cannot describe cluster {cluster}"))?;
    Ok(selector.matches(&info))
}

/// The distinct names of `clusters`, in order.
pub fn names_of(clusters: &[Found]) -> Vec<ClusterName> {
    let mut names: Vec<ClusterName> = clusters.iter().map(|c| c.name.clone()).collect();
    names.sort();
    names.dedup();
    names
}

/// The distinct regions of `clusters`, in order.
pub fn regions_of(clusters: &[Found]) -> Vec<Region> {
    let mut regions: Vec<Region> = clusters.iter().map(|c| c.region.clone()).collect();
    regions.sort();
    regions.dedup();
    regions
}

/// The distinct accounts of `clusters`, in order.
pub fn accounts_of(clusters: &[Found]) -> Vec<AccountId> {
    let mut accounts: Vec<AccountId> = clusters.iter().map(|c| c.account.clone()).collect();
    accounts.sort();
    accounts.dedup();
    accounts
}

/// Each cluster's `kube-system/aws-auth`, read from its Kubernetes API with an EKS token signed
/// by the credentials of its account (the member role's, where one is assumed).
pub async fn read_configmaps(
    conn: &Connection,
    clusters: &[Found],
) -> anyhow::Result<Vec<ConfigMapSource>> {
    let mut sources = Vec::new();
    for c in clusters {
        let origin = format!("{}/{}/{}", c.account, c.region, c.name);
        let eks = conn.connector.sdk_eks(&c.account, &c.region).await;
        let api = kubernetes::cluster_api(&eks, &c.name)
            .await
            .with_context(|| format!("{origin}: cannot find its Kubernetes API"))?;
        let config = conn.connector.account_config(&c.account).await;
        let token = kubernetes::eks_token(&config, &c.name, &c.region)
            .await
            .with_context(|| format!("{origin}: cannot make an EKS token"))?;
        match kubernetes::get_aws_auth(&api, token)
            .await
            .with_context(|| format!("{origin}: cannot read kube-system/aws-auth"))?
        {
            Some(text) => sources.push(ConfigMapSource { origin, text }),
            None => tracing::info!(cluster = %origin, "no aws-auth ConfigMap"),
        }
    }
    Ok(sources)
}

/// The equivalence check on each cluster against its live access entries.
pub async fn verify(
    conn: &Connection,
    clusters: &[Found],
    report: &ImportReport,
) -> anyhow::Result<Vec<Equivalence>> {
    let mut out = Vec::new();
    for c in clusters {
        let eks = conn.connector.sdk_eks(&c.account, &c.region).await;
        let entries = match equivalence::read_entries(eks.as_ref(), &c.name).await {
            Ok(entries) => entries,
            Err(e) if e.kind == ErrorKind::InvalidRequest => bail!(
                "{}: cannot read access entries ({e}); switch it to API_AND_CONFIG_MAP first \
                 (aws eks update-cluster-config --name {} --access-config \
                 authenticationMode=API_AND_CONFIG_MAP)",
                c.name,
                c.name
            ),
            Err(e) => return Err(e).context(format!("{}: cannot read access entries", c.name)),
        };
        out.push(equivalence::check(report, &c.name, &entries));
    }
    Ok(out)
}

fn join<T: std::fmt::Display>(items: &[T]) -> String {
    items
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}
