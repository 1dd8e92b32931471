//! The minimum number of API calls a phase needs, against which the calls actually made are
//! measured.
//!
//! **Definition.** minimum = mutations + the reads required to detect drift, where
//! - *mutations* are the mutating calls that succeeded (`CreateAccessEntry`,
//!   `AssociateAccessPolicy`, `UpdateAccessEntry`, `DeleteAccessEntry`, `DisassociateAccessPolicy`,
//!   `UpdateClusterConfig`, `TagResource`, `UntagResource`, SQS sends): a failed or retried
//!   mutation is a call but not part of the minimum;
//! - the *required reads* are what the AWS APIs force on anyone who wants to know whether a
//!   cluster's entries match the mapping, read once per phase:
//!   - Identity Center, once per phase: 1 `ListInstances` (unless the mapping names the instance),
//!     the `ListPermissionSets` pages (100 per page), and 1 `DescribePermissionSet` per permission
//!     set in the instance (the list gives ARNs only; rules match names);
//!   - per account read: 1 `AssumeRole` when its credentials are not cached yet, 1
//!     `ListPermissionSetsProvisionedToAccount` page, 1 `ListAccountAssignments` page per wanted
//!     permission set provisioned there (≤ 100 groups per permission set per account fit one page),
//!     1 IAM `ListRoles` page (SSO roles, ≤ 1000 per page);
//!   - per distinct group holding such an assignment: 1 `DescribeGroup` (names are not in the
//!     assignment, and CloudTrail masks them);
//!   - per (account, region) listed: the `ListClusters` pages (100 per page); per cluster looked
//!     at: 1 `DescribeCluster` (tags, status and mode select and gate it);
//!   - per cluster reconciled: the `ListAccessEntries` pages (100 per page), and per entry present
//!     before the phase 1 `DescribeAccessEntry` (tags say who manages it; groups and username are
//!     only there); 2 `ListAccessEntries(associatedPolicyArn)` (who holds ClusterAdmin, Admin);
//!     1 `ListAssociatedAccessPolicies` per entry whose policies can change a decision (managed,
//!     or holding an admin policy: the lockout guard counts those); 1 IAM `GetRole` per
//!     unmanaged admin-policy holder (only an existing role gives working access). Until
//!     `ListAccessEntries(associatedPolicyArn)` was used, the minimum counted
//!     `ListAssociatedAccessPolicies` on every entry.
//!
//! Not in the minimum, so visible as overhead: a second `DescribeCluster` of a cluster already
//! described while listing, repeated Identity Center reads, retries, failed calls.

use serde::Serialize;

/// How the minimum is defined, printed with the figures (this module's documentation says the same).
pub const DEFINITION: &str = "minimum = successful mutating calls + reads required to detect drift: \
per phase ListInstances + ListPermissionSets pages + 1 DescribePermissionSet per permission set; \
per account 1 AssumeRole (first phase only: credentials are cached after), 1 ListPermissionSetsProvisionedToAccount, \
1 ListAccountAssignments per wanted permission set, 1 IAM ListRoles; 1 DescribeGroup per distinct group; \
per (account, region) the ListClusters pages and 1 DescribeCluster per cluster; per reconciled cluster the \
ListAccessEntries pages + 2 ListAccessEntries(associatedPolicyArn) (ClusterAdmin, Admin), per entry present before the phase \
1 DescribeAccessEntry, 1 ListAssociatedAccessPolicies per managed or admin-policy entry, 1 GetRole per unmanaged admin \
(pages of 100). ratio = calls / minimum; failed and retried calls count as calls, not in the minimum.";

/// List pages the services return at most (EKS, Identity Center: 100).
const PAGE: usize = 100;

/// `ListAccessEntries(associatedPolicyArn)` calls per cluster: ClusterAdmin and Admin.
pub const ADMIN_POLICY_LISTS: u64 = 2;

/// The emulator's `<service>:<Operation>` names of mutating calls.
pub const MUTATING_OPERATIONS: [&str; 10] = [
    "eks:CreateAccessEntry",
    "eks:AssociateAccessPolicy",
    "eks:UpdateAccessEntry",
    "eks:DeleteAccessEntry",
    "eks:DisassociateAccessPolicy",
    "eks:UpdateClusterConfig",
    "eks:TagResource",
    "eks:UntagResource",
    "sqs:SendMessage",
    "sqs:SendMessageBatch",
];

/// Whether `<service>:<Operation>` changes something.
pub fn is_mutating(operation: &str) -> bool {
    MUTATING_OPERATIONS.contains(&operation)
}

/// What one phase had to look at: the inputs of the minimum.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Workload {
    /// The Identity Center instance had to be discovered (`ListInstances`).
    pub discover_instance: bool,
    /// Permission sets in the instance.
    pub permission_sets: usize,
    /// Accounts whose role had to be assumed (0 when credentials are cached from an earlier phase).
    pub assumed_accounts: usize,
    /// Accounts whose assignments and SSO roles were read.
    pub accounts: usize,
    /// (account, wanted permission set) pairs with the set provisioned in the account.
    pub assigned_permission_sets: usize,
    /// Distinct groups holding those assignments.
    pub groups: usize,
    /// Clusters found in each (account, region) listed.
    pub listings: Vec<usize>,
    /// Entries on each reconciled cluster before the phase (one item per cluster).
    pub entries_before: Vec<usize>,
    /// Of those, the entries whose policies are read (managed, or holding an admin policy).
    pub decisive_before: Vec<usize>,
    /// Of those, the unmanaged admin-policy holders (1 IAM `GetRole` each).
    pub unmanaged_admins_before: Vec<usize>,
}

/// The minimum, by kind of call.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Minimum {
    /// STS `AssumeRole`.
    pub sts: u64,
    /// SSO Admin and Identity Store reads.
    pub identity_center: u64,
    /// IAM reads.
    pub iam: u64,
    /// EKS reads.
    pub eks_reads: u64,
    /// Successful mutating calls.
    pub mutations: u64,
    /// The sum: the minimum number of calls.
    pub total: u64,
}

/// List calls needed to read `items` at `PAGE` per page (an empty list is still one call).
fn pages(items: usize) -> u64 {
    items.div_ceil(PAGE).max(1) as u64
}

impl Workload {
    /// The minimum for this workload, given the mutations the phase made.
    pub fn minimum(&self, mutations: u64) -> Minimum {
        let per_phase = u64::from(self.discover_instance)
            + pages(self.permission_sets)
            + self.permission_sets as u64;
        // Per account: ListPermissionSetsProvisionedToAccount, then the assignments of each
        // wanted set; groups once each across accounts.
        let identity_center = per_phase
            + self.accounts as u64
            + self.assigned_permission_sets as u64
            + self.groups as u64;
        // ListRoles under the SSO path; GetRole per unmanaged admin entry.
        let iam = self.accounts as u64 + self.unmanaged_admins_before.iter().sum::<usize>() as u64;
        let listing: u64 = self
            .listings
            .iter()
            .map(|&clusters| pages(clusters) + clusters as u64)
            .sum();
        let decisive: u64 = self.decisive_before.iter().sum::<usize>() as u64;
        let entries: u64 = self
            .entries_before
            .iter()
            .map(|&n| pages(n) + ADMIN_POLICY_LISTS + n as u64)
            .sum::<u64>()
            + decisive;
        // A cluster reconciled without being listed still needs its one DescribeCluster.
        let listed: usize = self.listings.iter().sum();
        let unlisted = self.entries_before.len().saturating_sub(listed) as u64;
        let sts = self.assumed_accounts as u64;
        let eks_reads = listing + entries + unlisted;
        Minimum {
            sts,
            identity_center,
            iam,
            eks_reads,
            mutations,
            total: sts + identity_center + iam + eks_reads + mutations,
        }
    }
}

/// Calls made per call needed (1.0 is optimal); 0 when nothing was needed.
pub fn ratio(calls: u64, minimum: u64) -> f64 {
    if minimum == 0 {
        return 0.0;
    }
    calls as f64 / minimum as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sweep_of_one_account_counts_every_required_read() {
        let workload = Workload {
            discover_instance: true,
            permission_sets: 4,
            assumed_accounts: 1,
            accounts: 1,
            assigned_permission_sets: 3,
            groups: 3,
            listings: vec![2],
            entries_before: vec![3, 3],
            decisive_before: vec![1, 1],
            unmanaged_admins_before: vec![1, 1],
        };
        let min = workload.minimum(12);
        // ListInstances + ListPermissionSets + 4 DescribePermissionSet
        // + ListPermissionSetsProvisionedToAccount + 3 ListAccountAssignments + 3 DescribeGroup.
        assert_eq!(min.identity_center, 1 + 1 + 4 + 1 + 3 + 3);
        assert_eq!(min.iam, 1 + 2, "ListRoles, and GetRole per unmanaged admin");
        assert_eq!(min.sts, 1);
        // ListClusters + 2 DescribeCluster; per cluster ListAccessEntries + 2 admin-policy lists + 3 describes + 1 policy list.
        assert_eq!(min.eks_reads, (1 + 2) + 2 * (1 + 2 + 3 + 1));
        assert_eq!(min.total, 13 + 1 + 3 + 17 + 12);
    }

    #[test]
    fn lists_are_paged_by_one_hundred_and_empty_lists_still_cost_a_call() {
        let workload = Workload {
            listings: vec![0, 250],
            entries_before: vec![0; 250],
            ..Workload::default()
        };
        let min = workload.minimum(0);
        // ListClusters: 1 for the empty region, 3 pages for 250; 250 DescribeCluster;
        // 250 × (empty ListAccessEntries + 2 admin-policy lists).
        assert_eq!(min.eks_reads, 1 + 3 + 250 + 250 * 3);
        assert_eq!(min.identity_center, 1 /* ListPermissionSets */);
        assert_eq!(min.sts, 0);
    }

    #[test]
    fn a_cluster_reconciled_without_listing_is_still_described_once() {
        let workload = Workload {
            entries_before: vec![1],
            ..Workload::default()
        };
        // DescribeCluster, ListAccessEntries, 2 admin-policy lists, 1 DescribeAccessEntry.
        assert_eq!(workload.minimum(0).eks_reads, 1 + 1 + 2 + 1);
    }

    #[test]
    fn ratio_is_calls_over_minimum() {
        assert_eq!(ratio(150, 100), 1.5);
        assert_eq!(ratio(0, 0), 0.0);
        assert!(is_mutating("eks:CreateAccessEntry"));
        assert!(!is_mutating("eks:DescribeAccessEntry"));
    }
}
