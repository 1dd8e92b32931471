//! `validate --online`, the access-policy half: the live catalogue (`ListAccessPolicies`) against
//! what this version knows. A policy AWS added since is reported (rules cannot grant it until it
//! is classified as one for people); a policy the mapping grants that the catalogue does not
//! offer would fail every association, so it is a problem.

use std::collections::BTreeSet;

use anyhow::Context as _;
use aws_smithy_types::error::display::DisplayErrorContext;
use eks_sso_sync::config::Mapping;
use eks_sso_sync::domain::PolicyAudience;
use serde::Serialize;

use crate::connect::Session;

/// What the catalogue says about the mapping's policies.
#[derive(Debug, Serialize)]
pub struct CatalogueReport {
    /// Where the catalogue was read (`account/region`).
    pub read_in: String,
    /// How many policies it offers.
    pub offered: usize,
    /// Policies it offers that this version does not know: not grantable until classified.
    pub new: Vec<String>,
    /// Policies the mapping grants that it does not offer.
    pub missing: Vec<String>,
}

impl CatalogueReport {
    /// Whether the mapping grants a policy the catalogue lacks.
    pub fn has_problems(&self) -> bool {
        !self.missing.is_empty()
    }
}

/// Reads the catalogue in the mapping's first account and region (it is the same in every
/// account of a partition; a region may lag behind) and compares.
pub async fn check(session: &Session) -> anyhow::Result<CatalogueReport> {
    let mapping = &session.mapping;
    let (account, region) = mapping
        .accounts
        .iter()
        .find_map(|a| a.regions.first().map(|r| (&a.id, r)))
        .context("the mapping has no account with a region to read the catalogue in")?;
    let eks = session.ports.connector.sdk_eks(account, region).await;
    let mut pages = eks.client().list_access_policies().into_paginator().send();
    let mut offered = BTreeSet::new();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| {
            anyhow::anyhow!(
                "ListAccessPolicies in {account}/{region}: {}",
                DisplayErrorContext(&e)
            )
        })?;
        offered.extend(
            page.access_policies()
                .iter()
                .filter_map(|p| p.name().map(str::to_owned)),
        );
    }
    Ok(compare(mapping, &offered, format!("{account}/{region}")))
}

/// The pure comparison: `offered` names against this version's lists and the mapping's grants.
fn compare(mapping: &Mapping, offered: &BTreeSet<String>, read_in: String) -> CatalogueReport {
    let new = offered
        .iter()
        .filter(|name| PolicyAudience::of(name) == PolicyAudience::Unknown)
        .cloned()
        .collect();
    let granted: BTreeSet<String> = mapping
        .rules
        .iter()
        .flat_map(|r| r.access_policies.iter().map(|g| g.policy.name().to_owned()))
        .chain(mapping.principals.iter().flat_map(|p| {
            p.grant
                .policies
                .keys()
                .map(|policy| policy.name().to_owned())
        }))
        .collect();
    CatalogueReport {
        read_in,
        offered: offered.len(),
        new,
        missing: granted.difference(offered).cloned().collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAPPING: &str = r#"version: 1
identity_center: { region: eu-west-1 }
accounts: [{ id: "111111111111", regions: [eu-west-1] }]
rules:
  - name: readers
    permission_set: Reader
    access_policies: [{ policy: SecretReader, namespaces: [apps] }, { policy: View, scope: cluster }]
"#;

    #[test]
    fn new_policies_are_reported_and_missing_grants_are_problems() {
        let mapping = Mapping::from_str(MAPPING, "m.yaml").unwrap();
        let offered: BTreeSet<String> = [
            "AmazonEKSViewPolicy",
            "AmazonEKSAutoNodePolicy",
            "AmazonEKSFuturePolicy",
        ]
        .map(str::to_owned)
        .into();
        let report = compare(&mapping, &offered, "here".into());
        assert_eq!(report.offered, 3);
        assert_eq!(report.new, ["AmazonEKSFuturePolicy"], "AutoNode is known");
        assert_eq!(report.missing, ["AmazonEKSSecretReaderPolicy"]);
        assert!(report.has_problems());
    }
}
