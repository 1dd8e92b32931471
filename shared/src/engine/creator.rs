//! Removing the cluster creator's bootstrap entry (`options.remove_creator_admin`) is an opt-in
//! the member account must allow too (`AllowCreatorEntryRemoval` and `CreatorRoleNames` in
//! `member-account.yaml`). When IAM refuses it, that is a setting to fix, reported as a problem:
//! the rest of the plan stands, and the run is not retried for it.

use super::apply::{ApplyReport, OperationResult, Outcome};
use crate::desired::Problem;
use crate::domain::{ClusterRef, RuleName};
use crate::plan::{DeleteReason, Operation};
use crate::ports::ErrorKind;

/// Whether `result` is the creator entry's removal, refused by IAM.
pub(super) fn is_refused_creator_removal(result: &OperationResult) -> bool {
    let creator = matches!(
        result.operation,
        Operation::DeleteEntry {
            reason: DeleteReason::CreatorAdminRemoved,
            ..
        }
    );
    let denied = matches!(&result.outcome, Outcome::Failed { error } if error.kind == ErrorKind::AccessDenied);
    creator && denied
}

/// One problem per creator-entry removal IAM refused, naming the principal, the error and the
/// two ways to settle it.
pub(super) fn refused_removal_problems(
    cluster: &ClusterRef,
    applied: &ApplyReport,
) -> Vec<Problem> {
    applied
        .results
        .iter()
        .filter(|r| is_refused_creator_removal(r))
        .map(|r| {
            let who = r
                .operation
                .principal()
                .map_or_else(|| "?".to_owned(), ToString::to_string);
            let error = match &r.outcome {
                Outcome::Failed { error } => error.to_string(),
                _ => String::new(),
            };
            tracing::warn!(cluster = %cluster, creator = %who, %error, "creator entry removal refused by IAM");
            Problem {
                rule: RuleName::option("remove_creator_admin"),
                account: Some(cluster.account.clone()),
                permission_set: None,
                message: format!(
                    "the creator's bootstrap entry {who} on cluster {cluster} was kept: IAM refused \
                     its removal ({error}); allow it in member-account.yaml \
                     (AllowCreatorEntryRemoval=true, the role's name in CreatorRoleNames) or turn \
                     remove_creator_admin off"
                ),
            }
        })
        .collect()
}
