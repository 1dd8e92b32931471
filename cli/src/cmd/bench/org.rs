//! The synthetic organization a benchmark runs on: an emulator seed (accounts, member roles,
//! tagged clusters with unmanaged entries, permission sets assigned to groups) and the mapping
//! that manages it, generated together so that they always agree.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use eks_sso_sync_emulator::Seed;
use eks_sso_sync_emulator::seed::{
    SeedAccount, SeedAssignment, SeedCluster, SeedEntry, SeedGroup, SeedPermissionSet, SeedPolicy,
    SeedRole,
};

/// The one region everything lives in (Identity Center home and every cluster).
pub const REGION: &str = "eu-west-1";
/// The hub: Identity Center owner and the account plain credentials act in (the queue's home).
pub const HUB_ACCOUNT: &str = "111111111111";
/// The role every member account offers to eks-sso-sync (as `member-account.yaml` creates it).
pub const MEMBER_ROLE: &str = "eks-sso-sync-target";
/// The tag that makes a cluster managed.
pub const MANAGED_TAG: (&str, &str) = ("eks-sso-sync", "enabled");
/// The role that created every cluster: its bootstrap admin entry is on every cluster.
pub const CREATOR_ROLE: &str = "admin";
/// The group the onboarding phase assigns the new permission set to (present, unassigned).
pub const ONBOARDING_GROUP: &str = "team-search";
/// The permission set the onboarding phase creates; the `teams` rule's pattern covers it.
pub const ONBOARDING_PERMISSION_SET: &str = "EKSTeam-Search";

/// Permission sets assigned in every account, with the group holding them. `Billing` matches
/// no rule: it is there because reading the instance's permission sets must look at it too.
pub const ASSIGNED: [(&str, &str); 4] = [
    ("EKSPlatformAdmin", "platform-admins"),
    ("EKSReadOnly", "readers"),
    ("EKSTeam-Payments", "team-payments"),
    ("Billing", "finance"),
];

/// The permission sets of [`ASSIGNED`] some rule wants: each gives every cluster one entry.
pub const WANTED_OF_ASSIGNED: usize = 3;

/// The group holding every unwanted extra permission set (as `Billing`).
const UNWANTED_GROUP: &str = "finance";

/// What a cluster's entries ask of a reconcile's reads.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EntryCounts {
    /// Entries (each is described).
    pub total: usize,
    /// Entries whose policies are read: managed ones and holders of an admin-class policy.
    pub decisive: usize,
    /// Unmanaged holders of an admin-class policy (the lockout guard checks their role: 1
    /// `GetRole` each).
    pub unmanaged_admins: usize,
}

/// The counts of `entries`, as the emulator holds them.
pub fn entry_counts(entries: &[eks_sso_sync_emulator::EntryView]) -> EntryCounts {
    let admin = |e: &eks_sso_sync_emulator::EntryView| {
        e.policies.keys().any(|p| {
            p.ends_with("/AmazonEKSClusterAdminPolicy") || p.ends_with("/AmazonEKSAdminPolicy")
        })
    };
    let managed =
        |e: &eks_sso_sync_emulator::EntryView| e.tags.contains_key("eks-sso-sync:managed");
    EntryCounts {
        total: entries.len(),
        decisive: entries.iter().filter(|e| managed(e) || admin(e)).count(),
        unmanaged_admins: entries.iter().filter(|e| !managed(e) && admin(e)).count(),
    }
}

/// The size of the organization.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OrgShape {
    /// Member accounts.
    pub accounts: usize,
    /// Managed clusters per member account.
    pub clusters_per_account: usize,
    /// Unmanaged entries (plain IAM roles) on each cluster, besides the creator's entry.
    pub entries_per_cluster: usize,
    /// Permission sets in the instance, at least [`ASSIGNED`]'s four. The extra ones alternate
    /// between a team set the `teams` rule wants (`EKSTeam-Team00`, group `team-team00`: one
    /// more managed entry per cluster) and a set no rule wants (`App01`, group `finance`: only
    /// read), all assigned in every account.
    pub permission_sets: usize,
}

impl OrgShape {
    /// The permission sets and the group holding each, in every account: [`ASSIGNED`] and the
    /// extra ones (see [`OrgShape::permission_sets`]).
    pub fn assigned(&self) -> Vec<(String, String)> {
        let fixed = ASSIGNED
            .iter()
            .map(|(ps, group)| ((*ps).to_owned(), (*group).to_owned()));
        let extra = (0..self.permission_sets.saturating_sub(ASSIGNED.len())).map(|k| {
            if k % 2 == 0 {
                (format!("EKSTeam-Team{k:02}"), format!("team-team{k:02}"))
            } else {
                (format!("App{k:02}"), UNWANTED_GROUP.to_owned())
            }
        });
        fixed.chain(extra).collect()
    }

    /// Access entries the mapping gives each cluster: one per wanted permission set.
    pub fn managed_entries_per_cluster(&self) -> usize {
        WANTED_OF_ASSIGNED
            + self
                .permission_sets
                .saturating_sub(ASSIGNED.len())
                .div_ceil(2)
    }

    /// Permission sets in the instance before any phase.
    pub fn permission_set_count(&self) -> usize {
        self.permission_sets.max(ASSIGNED.len())
    }
}

/// A generated organization: the seed to load and the mapping (YAML) that manages it.
#[derive(Debug, Clone)]
pub struct SyntheticOrg {
    /// Its size.
    pub shape: OrgShape,
    /// The member account ids, in order.
    pub accounts: Vec<String>,
    /// The emulator seed.
    pub seed: Seed,
    /// The mapping file text.
    pub mapping_yaml: String,
}

/// The id of member account `index` (0-based): `200000000001`, `200000000002`, ...
pub fn account_id(index: usize) -> String {
    format!("{:012}", 200_000_000_001_u64 + index as u64)
}

/// The name of cluster `index` of an account.
pub fn cluster_name(index: usize) -> String {
    format!("bench-{index:04}")
}

/// The name of the plain IAM role behind unmanaged entry `index`.
fn app_role(index: usize) -> String {
    format!("app-{index:04}")
}

/// Generates the organization of `shape`.
pub fn generate(shape: OrgShape) -> SyntheticOrg {
    let accounts: Vec<String> = (0..shape.accounts).map(account_id).collect();
    let assigned = shape.assigned();
    let seed = Seed {
        default_account: Some(HUB_ACCOUNT.to_owned()),
        accounts: std::iter::once((HUB_ACCOUNT.to_owned(), "hub".to_owned()))
            .chain(accounts.iter().map(|a| (a.clone(), format!("member-{a}"))))
            .map(|(id, name)| SeedAccount {
                id,
                name: Some(name),
            })
            .collect(),
        groups: groups(&assigned),
        permission_sets: assigned
            .iter()
            .map(|(name, _)| SeedPermissionSet {
                name: name.clone(),
                description: None,
            })
            .collect(),
        assignments: accounts
            .iter()
            .flat_map(|account| {
                assigned.iter().map(|(ps, group)| SeedAssignment {
                    permission_set: ps.clone(),
                    account: account.clone(),
                    group: Some(group.clone()),
                    user: None,
                })
            })
            .collect(),
        roles: roles(&accounts, shape.entries_per_cluster),
        clusters: clusters(&accounts, shape),
        ..Seed::default()
    };
    SyntheticOrg {
        shape,
        mapping_yaml: mapping_yaml(&accounts),
        accounts,
        seed,
    }
}

fn groups(assigned: &[(String, String)]) -> Vec<SeedGroup> {
    let names: std::collections::BTreeSet<&str> = assigned
        .iter()
        .map(|(_, group)| group.as_str())
        .chain([ONBOARDING_GROUP])
        .collect();
    names
        .into_iter()
        .map(|name| SeedGroup {
            display_name: name.to_owned(),
            description: None,
            members: Vec::new(),
        })
        .collect()
}

fn roles(accounts: &[String], entries_per_cluster: usize) -> Vec<SeedRole> {
    accounts
        .iter()
        .flat_map(|account| {
            std::iter::once(MEMBER_ROLE.to_owned())
                .chain((0..entries_per_cluster).map(app_role))
                .map(|name| SeedRole {
                    account: account.clone(),
                    path: None,
                    name,
                    // No policies: the bench measures calls, not IAM enforcement.
                    policies: Default::default(),
                })
        })
        .collect()
}

fn clusters(accounts: &[String], shape: OrgShape) -> Vec<SeedCluster> {
    let entries: Vec<SeedEntry> = (0..shape.entries_per_cluster)
        .map(|i| SeedEntry {
            role: Some(app_role(i)),
            kubernetes_groups: vec![app_role(i)],
            policies: vec![SeedPolicy {
                policy: "AmazonEKSViewPolicy".to_owned(),
                namespaces: vec![app_role(i)],
            }],
            ..SeedEntry::default()
        })
        .collect();
    accounts
        .iter()
        .flat_map(|account| {
            let entries = &entries;
            (0..shape.clusters_per_account).map(move |i| SeedCluster {
                account: Some(account.clone()),
                region: Some(REGION.to_owned()),
                name: cluster_name(i),
                authentication_mode: Some("API_AND_CONFIG_MAP".to_owned()),
                tags: BTreeMap::from([(MANAGED_TAG.0.to_owned(), MANAGED_TAG.1.to_owned())]),
                created_by: Some(CREATOR_ROLE.to_owned()),
                entries: entries.clone(),
                ..SeedCluster::default()
            })
        })
        .collect()
}

/// The mapping: every member account through its member role; three rules, one of them the
/// `EKSTeam-{team}` convention that onboards new team permission sets without a mapping change.
fn mapping_yaml(accounts: &[String]) -> String {
    let mut yaml = format!(
        "version: 1\nidentity_center: {{ region: {REGION} }}\nmember_role_name: {MEMBER_ROLE}\naccounts:\n"
    );
    for account in accounts {
        // Writing to a String cannot fail.
        let _ = writeln!(yaml, "  - {{ id: \"{account}\", regions: [{REGION}] }}");
    }
    let (tag, value) = MANAGED_TAG;
    let _ = write!(
        yaml,
        r#"clusters:
  include: [{{ tags: {{ {tag}: {value} }} }}]
rules:
  - name: platform-admins
    permission_set: EKSPlatformAdmin
    access_policies: [{{ policy: ClusterAdmin, scope: cluster }}]
  - name: readonly
    permission_set: EKSReadOnly
    access_policies: [{{ policy: View, scope: cluster }}]
  - name: teams
    permission_set: "EKSTeam-{{team}}"
    kubernetes_groups: ["team-{{team}}"]
    access_policies: [{{ policy: Edit, namespaces: ["{{team}}", "{{team}}-*"] }}]
options:
  prune: true
"#
    );
    yaml
}

#[cfg(test)]
mod tests {
    use eks_sso_sync::config::Mapping;
    use eks_sso_sync::domain::PermissionSetName;

    use super::*;

    const SHAPE: OrgShape = OrgShape {
        accounts: 3,
        clusters_per_account: 4,
        entries_per_cluster: 5,
        permission_sets: 4,
    };

    #[test]
    fn the_generated_mapping_loads_and_covers_every_account() {
        let org = generate(SHAPE);
        let mapping = Mapping::from_str(&org.mapping_yaml, "bench").unwrap();
        assert_eq!(mapping.accounts.len(), 3);
        assert_eq!(
            mapping
                .accounts
                .iter()
                .map(|a| a.id.as_str().to_owned())
                .collect::<Vec<_>>(),
            org.accounts
        );
        let wants =
            |name: &str| mapping.wants_permission_set(&PermissionSetName::new(name).unwrap());
        let wanted = ASSIGNED.iter().filter(|(ps, _)| wants(ps)).count();
        assert_eq!(wanted, SHAPE.managed_entries_per_cluster());
        assert!(
            wants(ONBOARDING_PERMISSION_SET),
            "the onboarding set must be covered"
        );
        assert!(!wants("Billing"));
    }

    #[test]
    fn extra_permission_sets_alternate_between_wanted_and_unwanted() {
        let shape = OrgShape {
            permission_sets: 9,
            ..SHAPE
        };
        let org = generate(shape);
        let mapping = Mapping::from_str(&org.mapping_yaml, "bench").unwrap();
        let assigned = shape.assigned();
        assert_eq!(assigned.len(), 9);
        let wanted = assigned
            .iter()
            .filter(|(ps, _)| mapping.wants_permission_set(&PermissionSetName::new(ps).unwrap()))
            .count();
        assert_eq!(wanted, shape.managed_entries_per_cluster());
        assert_eq!(wanted, 3 + 3, "Team00, Team02 and Team04 are wanted");
        assert_eq!(org.seed.assignments.len(), 3 * 9);
        eks_sso_sync_emulator::state::EmulatorState::new(eks_sso_sync_emulator::EmulatorConfig {
            seed: Some(org.seed.clone()),
            ..Default::default()
        })
        .unwrap();
    }

    #[test]
    fn the_seed_has_the_requested_counts_and_loads_in_the_emulator() {
        let org = generate(SHAPE);
        let seed = &org.seed;
        assert_eq!(seed.clusters.len(), 12);
        assert!(seed.clusters.iter().all(|c| c.entries.len() == 5
            && c.tags.get("eks-sso-sync").map(String::as_str) == Some("enabled")
            && c.authentication_mode.as_deref() == Some("API_AND_CONFIG_MAP")));
        assert_eq!(seed.assignments.len(), 3 * ASSIGNED.len());
        // The member role and one role per unmanaged entry, in each account.
        assert_eq!(seed.roles.len(), 3 * (1 + 5));
        let distinct: std::collections::BTreeSet<_> = seed
            .clusters
            .iter()
            .map(|c| (c.account.clone(), c.name.clone()))
            .collect();
        assert_eq!(distinct.len(), 12);
        // The emulator accepts it (roles exist for every entry, groups for every assignment).
        eks_sso_sync_emulator::state::EmulatorState::new(eks_sso_sync_emulator::EmulatorConfig {
            seed: Some(seed.clone()),
            ..Default::default()
        })
        .unwrap();
    }
}
