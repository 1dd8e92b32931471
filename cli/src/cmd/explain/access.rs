//! Who reaches what: a group's, a user's or a permission set's access, read through the same
//! inventory and desired-state code the reconciler converges with (so `explain` shows what the
//! clusters have, or are about to have once reconciled).

use std::collections::{BTreeMap, BTreeSet};

use anyhow::{Context, bail};
use eks_sso_sync::desired::{self, DesiredEntry};
use eks_sso_sync::domain::{
    AccountId, ClusterRef, GroupId, GroupName, PermissionSetArn, PermissionSetName, PrincipalArn,
};
use eks_sso_sync::engine::{self, GroupAccess, ReconcileContext};
use eks_sso_sync::ports::{AssignedPrincipal, PermissionSetInfo};

use super::{
    AccessLine, AccountHolders, GroupView, PermissionSetView, UserView, policy_lines, sorted,
};

/// Reads Identity Center once per question: permission sets, group names, who holds what where.
pub struct Lookup<'a> {
    ctx: &'a ReconcileContext,
    permission_sets: Option<Vec<PermissionSetInfo>>,
    managed: Option<Vec<ClusterRef>>,
    group_names: BTreeMap<GroupId, Option<String>>,
    holders: BTreeMap<(AccountId, PermissionSetArn), AccountHolders>,
}

impl<'a> Lookup<'a> {
    /// A lookup with empty caches over `ctx`.
    pub fn new(ctx: &'a ReconcileContext) -> Self {
        Self {
            ctx,
            permission_sets: None,
            managed: None,
            group_names: BTreeMap::new(),
            holders: BTreeMap::new(),
        }
    }

    /// `--group NAME`.
    pub async fn group_by_name(&mut self, name: &str) -> anyhow::Result<GroupView> {
        let group = GroupName::new(name).with_context(|| format!("--group {name}"))?;
        let store = self
            .ctx
            .reader()
            .instance()
            .await?
            .identity_store_id
            .clone();
        let Some(group_id) = self.ctx.identity_store.group_id(&store, &group).await? else {
            bail!("Identity Center has no group named {name:?}");
        };
        self.group_by_id(name.to_owned(), group_id).await
    }

    async fn group_by_id(&mut self, group: String, group_id: GroupId) -> anyhow::Result<GroupView> {
        let clusters = self.managed_clusters().await?;
        let via = engine::access_via_group(self.ctx, &group_id, &clusters).await?;
        let mut access = Vec::with_capacity(via.len());
        for a in via {
            access.push(self.group_access_line(a).await?);
        }
        Ok(GroupView {
            group,
            group_id,
            access,
        })
    }

    /// `--user NAME`: the user, and a view of each group they belong to.
    pub async fn user(&mut self, name: &str) -> anyhow::Result<(UserView, Vec<GroupView>)> {
        let instance = self.ctx.reader().instance().await?.clone();
        let store = &instance.identity_store_id;
        let Some(user_id) = self.ctx.identity_store.user_id(store, name).await? else {
            bail!("Identity Center has no user named {name:?}");
        };
        let mut groups = Vec::new();
        for group_id in self
            .ctx
            .identity_store
            .groups_of_user(store, &user_id)
            .await?
        {
            let group = self
                .group_name(&group_id)
                .await?
                .unwrap_or_else(|| group_id.to_string());
            groups.push(self.group_by_id(group, group_id).await?);
        }
        groups.sort_by(|a, b| a.group.cmp(&b.group));
        let direct = self
            .ctx
            .sso_admin
            .assignments_for_principal(
                &instance.instance_arn,
                &AssignedPrincipal::User(user_id.clone()),
            )
            .await?;
        let mut held = BTreeSet::new();
        for a in direct {
            if let Some(ps) = self.permission_set_by_arn(&a.permission_set_arn).await? {
                held.insert((a.account, ps.name));
            }
        }
        let user = UserView {
            user_name: name.to_owned(),
            user_id,
            groups: groups.iter().map(|g| g.group.clone()).collect(),
            direct_access: self.access_for(&held).await?,
        };
        Ok((user, groups))
    }

    /// `--permission-set NAME`.
    pub async fn permission_set(&mut self, name: &str) -> anyhow::Result<PermissionSetView> {
        let wanted =
            PermissionSetName::new(name).with_context(|| format!("--permission-set {name}"))?;
        let Some(ps) = self
            .permission_sets()
            .await?
            .iter()
            .find(|ps| ps.name == wanted)
            .cloned()
        else {
            bail!("Identity Center has no permission set named {name:?}");
        };
        let instance_arn = self.ctx.reader().instance().await?.instance_arn.clone();
        let accounts = self
            .ctx
            .sso_admin
            .accounts_for_permission_set(&instance_arn, &ps.arn)
            .await?;
        let mut holders = Vec::new();
        for account in &accounts {
            holders.push(self.holders(account, &ps.arn).await?);
        }
        let held = accounts.into_iter().map(|a| (a, ps.name.clone())).collect();
        Ok(PermissionSetView {
            permission_set: ps.name.to_string(),
            wanted: self.ctx.mapping.wants_permission_set(&ps.name),
            arn: ps.arn,
            accounts: holders,
            access: self.access_for(&held).await?,
        })
    }

    /// Display names of the groups holding `permission_set` in `account` (empty when none, or
    /// when the permission set does not exist).
    pub async fn groups_holding(
        &mut self,
        account: &AccountId,
        permission_set: &PermissionSetName,
    ) -> anyhow::Result<Vec<String>> {
        let Some(arn) = self
            .permission_sets()
            .await?
            .iter()
            .find(|ps| &ps.name == permission_set)
            .map(|ps| ps.arn.clone())
        else {
            return Ok(Vec::new());
        };
        Ok(self.holders(account, &arn).await?.groups)
    }

    /// The line for a desired entry on `cluster`.
    pub async fn desired_line(
        &mut self,
        cluster: &ClusterRef,
        entry: &DesiredEntry,
    ) -> anyhow::Result<AccessLine> {
        let permission_set = entry.principal.sso_permission_set_name();
        let groups = match &permission_set {
            Some(ps) => self.groups_holding(&cluster.account, ps).await?,
            None => Vec::new(),
        };
        Ok(AccessLine {
            cluster: cluster.arn(),
            permission_set: permission_set.map(|p| p.to_string()),
            principal: entry.principal.to_string(),
            groups,
            kubernetes_groups: sorted(&entry.kubernetes_groups),
            policies: policy_lines(&entry.policies),
            rules: sorted(entry.rules()),
            held: None,
        })
    }

    /// The desired entries, on every managed cluster of the accounts in `held`, of the roles of
    /// the permission sets held there.
    async fn access_for(
        &mut self,
        held: &BTreeSet<(AccountId, PermissionSetName)>,
    ) -> anyhow::Result<Vec<AccessLine>> {
        let clusters = self.managed_clusters().await?;
        let mut lines = Vec::new();
        for cluster in clusters
            .iter()
            .filter(|c| held.iter().any(|(a, _)| *a == c.account))
        {
            let inventory = self.ctx.reader().for_cluster(cluster).await?;
            let state = desired::compute(&self.ctx.mapping, &inventory);
            let Some(desired) = state.clusters.get(cluster) else {
                continue;
            };
            let reached = |principal: &PrincipalArn| {
                principal
                    .sso_permission_set_name()
                    .filter(|ps| held.contains(&(cluster.account.clone(), ps.clone())))
            };
            for entry in desired.entries.values() {
                if reached(&entry.principal).is_some() {
                    lines.push(self.desired_line(cluster, entry).await?);
                }
            }
            for access in engine::held_on_path(cluster, desired, reached) {
                lines.push(self.group_access_line(access).await?);
            }
        }
        lines.sort();
        Ok(lines)
    }

    async fn group_access_line(&mut self, access: GroupAccess) -> anyhow::Result<AccessLine> {
        let groups = self
            .groups_holding(&access.cluster.account, &access.permission_set)
            .await?;
        Ok(AccessLine {
            cluster: access.cluster.arn(),
            permission_set: Some(access.permission_set.to_string()),
            principal: access.principal.to_string(),
            groups,
            kubernetes_groups: sorted(&access.kubernetes_groups),
            policies: policy_lines(&access.policies),
            rules: sorted(&access.rules),
            held: access.held,
        })
    }

    /// Every managed cluster; accounts that cannot be listed are warned about, not fatal.
    pub async fn managed_clusters(&mut self) -> anyhow::Result<Vec<ClusterRef>> {
        if let Some(managed) = &self.managed {
            return Ok(managed.clone());
        }
        let (managed, errors) = engine::list_managed_clusters(self.ctx, None).await;
        for (account, region, error) in &errors {
            tracing::warn!(account = %account, region = %region, error = %error, "cannot list clusters; explain leaves them out");
        }
        self.managed = Some(managed.clone());
        Ok(managed)
    }

    async fn permission_sets(&mut self) -> anyhow::Result<&[PermissionSetInfo]> {
        if self.permission_sets.is_none() {
            let instance_arn = self.ctx.reader().instance().await?.instance_arn.clone();
            let all = self
                .ctx
                .sso_admin
                .list_permission_sets(&instance_arn)
                .await?;
            self.permission_sets = Some(all);
        }
        Ok(self.permission_sets.as_deref().unwrap_or_default())
    }

    async fn permission_set_by_arn(
        &mut self,
        arn: &PermissionSetArn,
    ) -> anyhow::Result<Option<PermissionSetInfo>> {
        Ok(self
            .permission_sets()
            .await?
            .iter()
            .find(|ps| &ps.arn == arn)
            .cloned())
    }

    async fn holders(
        &mut self,
        account: &AccountId,
        permission_set_arn: &PermissionSetArn,
    ) -> anyhow::Result<AccountHolders> {
        let key = (account.clone(), permission_set_arn.clone());
        if let Some(known) = self.holders.get(&key) {
            return Ok(known.clone());
        }
        let instance_arn = self.ctx.reader().instance().await?.instance_arn.clone();
        let assignments = self
            .ctx
            .sso_admin
            .account_assignments(&instance_arn, account, permission_set_arn)
            .await?;
        let mut groups = BTreeSet::new();
        let mut users = BTreeSet::new();
        for a in assignments {
            match a.principal {
                AssignedPrincipal::Group(id) => {
                    let name = self.group_name(&id).await?;
                    groups.insert(name.unwrap_or_else(|| id.to_string()));
                }
                AssignedPrincipal::User(id) => {
                    users.insert(id.to_string());
                }
            }
        }
        let found = AccountHolders {
            account: account.to_string(),
            groups: groups.into_iter().collect(),
            users: users.into_iter().collect(),
        };
        self.holders.insert(key, found.clone());
        Ok(found)
    }

    async fn group_name(&mut self, group_id: &GroupId) -> anyhow::Result<Option<String>> {
        if let Some(name) = self.group_names.get(group_id) {
            return Ok(name.clone());
        }
        let store = self
            .ctx
            .reader()
            .instance()
            .await?
            .identity_store_id
            .clone();
        let name = self
            .ctx
            .identity_store
            .group_name(&store, group_id)
            .await?
            .map(|n| n.to_string());
        self.group_names.insert(group_id.clone(), name.clone());
        Ok(name)
    }
}
