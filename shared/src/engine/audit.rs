//! Audit records: one per change eks-sso-sync made (or tried to make), with before and after,
//! so that "who gave this role access to prod, and why" always has an answer.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::desired::{RuleSource, rule_names};
use crate::domain::{ClusterRef, PrincipalArn, RuleName};
use crate::plan::Operation;

/// One change to one access entry (or cluster setting).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditRecord {
    /// When the change was made, RFC 3339.
    pub time: String,
    /// The cluster changed.
    pub cluster: ClusterRef,
    /// The principal whose entry changed, if any.
    pub principal: Option<PrincipalArn>,
    /// The operation kind (`create_entry`, `associate_policy`, ...).
    pub operation: OperationKind,
    /// The state before, as far as the plan knew it.
    pub before: Value,
    /// The state after.
    pub after: Value,
    /// Why the change was made (the rules, or the reason for a removal).
    pub reason: String,
    /// The triggering EventBridge event id, if the run was event-driven.
    pub trigger_event_id: Option<String>,
    /// What started the run: the trigger kind of an event-driven job (`membership_added`, ...),
    /// `scheduled sweep`, or `operator` for the CLI.
    #[serde(default)]
    pub trigger: Option<String>,
    /// The names of the mapping rules behind the change, for filtering (`provenance` has the
    /// detail).
    #[serde(default)]
    pub rules: Vec<RuleName>,
    /// The plan's provenance of the principal: each rule with the permission set, captures and
    /// groups that made it apply, or that only the entry's rules tag recorded it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub provenance: Vec<RuleSource>,
    /// SHA-256 of the mapping text the run used: which version of the mapping made the change.
    #[serde(default)]
    pub mapping_sha256: Option<String>,
    /// What happened: `applied`, `already_done`, `failed`, `not_attempted`.
    pub outcome: AuditOutcome,
    /// The error of a failed operation, why one was not attempted, or what an already-done one
    /// found.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome_detail: Option<String>,
}

/// The kind of a planned operation, as plans, audit records and log lines name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OperationKind {
    /// `SetAuthenticationMode`.
    SetAuthenticationMode,
    /// `CreateEntry`.
    CreateEntry,
    /// `RecreateEntry`.
    RecreateEntry,
    /// `UpdateEntry`.
    UpdateEntry,
    /// `TagEntry`.
    TagEntry,
    /// `AssociatePolicy`.
    AssociatePolicy,
    /// `DisassociatePolicy`.
    DisassociatePolicy,
    /// `DeleteEntry`.
    DeleteEntry,
}

impl OperationKind {
    /// The snake_case name (`create_entry`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::SetAuthenticationMode => "set_authentication_mode",
            Self::CreateEntry => "create_entry",
            Self::RecreateEntry => "recreate_entry",
            Self::UpdateEntry => "update_entry",
            Self::TagEntry => "tag_entry",
            Self::AssociatePolicy => "associate_policy",
            Self::DisassociatePolicy => "disassociate_policy",
            Self::DeleteEntry => "delete_entry",
        }
    }
}

impl std::fmt::Display for OperationKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What happened to an audited operation (the detail is beside it, in
/// [`AuditRecord::outcome_detail`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuditOutcome {
    /// The call succeeded.
    Applied,
    /// Converged without a change (a 404 on delete, a 409 on create of our own entry).
    AlreadyDone,
    /// The call failed; the next run retries.
    Failed,
    /// Not attempted (a dependency failed, or it could lock people out).
    NotAttempted,
}

impl AuditOutcome {
    /// The snake_case name (`already_done`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Applied => "applied",
            Self::AlreadyDone => "already_done",
            Self::Failed => "failed",
            Self::NotAttempted => "not_attempted",
        }
    }

    /// The outcome of an operation's result, and its detail.
    pub fn of(outcome: &super::Outcome) -> (Self, Option<String>) {
        use super::Outcome;
        match outcome {
            Outcome::Applied => (Self::Applied, None),
            Outcome::AlreadyDone { detail } => (Self::AlreadyDone, Some(detail.clone())),
            Outcome::Failed { error } => (Self::Failed, Some(error.to_string())),
            Outcome::NotAttempted { reason } => (Self::NotAttempted, Some(reason.clone())),
        }
    }
}

/// Where a run came from; the plan defines it, since plans carry it too.
pub use crate::plan::RunOrigin;

impl AuditRecord {
    /// The audit record for `operation` on `cluster`, made by the rules `provenance` in a run
    /// from `origin`, with the given outcome.
    pub fn new(
        cluster: &ClusterRef,
        operation: &Operation,
        origin: &RunOrigin,
        provenance: Vec<RuleSource>,
        outcome: &super::Outcome,
    ) -> Self {
        let (outcome, outcome_detail) = AuditOutcome::of(outcome);
        let (before, after, reason) = describe(operation);
        let reason = if provenance.is_empty() {
            reason
        } else {
            // The sources say more than the rules tag a create's reason quotes.
            let base = match operation {
                Operation::CreateEntry { .. } => "granted by the mapping".to_owned(),
                _ => reason,
            };
            let why: Vec<String> = provenance.iter().map(RuleSource::describe).collect();
            format!("{base}; rules {}", why.join("; "))
        };
        let rules: Vec<RuleName> = rule_names(&provenance).into_iter().cloned().collect();
        Self {
            time: now_rfc3339(),
            cluster: cluster.clone(),
            principal: operation.principal().cloned(),
            operation: operation_kind(operation),
            before,
            after,
            reason,
            trigger_event_id: origin.event_id.clone(),
            trigger: origin.trigger.clone(),
            rules,
            provenance,
            mapping_sha256: origin.mapping_sha256.clone(),
            outcome,
            outcome_detail,
        }
    }

    /// Writes the record as one structured log line (target `audit`), so it lands in CloudWatch
    /// Logs next to the run that made it.
    pub fn log(&self) {
        tracing::info!(
            target: "audit",
            cluster = %self.cluster.arn(),
            principal = self.principal.as_ref().map(PrincipalArn::as_str),
            operation = %self.operation,
            before = %self.before,
            after = %self.after,
            reason = %self.reason,
            rules = %self.rule_list(),
            provenance = %serde_json::to_string(&self.provenance).unwrap_or_default(),
            trigger_event_id = self.trigger_event_id.as_deref(),
            trigger = self.trigger.as_deref(),
            mapping_sha256 = self.mapping_sha256.as_deref(),
            outcome = self.outcome.as_str(),
            outcome_detail = self.outcome_detail.as_deref(),
            "access change"
        );
    }
}

impl AuditRecord {
    /// `a,b`: the rule names as one log field.
    fn rule_list(&self) -> String {
        let names: Vec<&str> = self.rules.iter().map(RuleName::as_str).collect();
        names.join(",")
    }
}

/// The kind of an operation, as serialized in plans.
pub fn operation_kind(operation: &Operation) -> OperationKind {
    match operation {
        Operation::SetAuthenticationMode { .. } => OperationKind::SetAuthenticationMode,
        Operation::CreateEntry { .. } => OperationKind::CreateEntry,
        Operation::RecreateEntry { .. } => OperationKind::RecreateEntry,
        Operation::UpdateEntry { .. } => OperationKind::UpdateEntry,
        Operation::TagEntry { .. } => OperationKind::TagEntry,
        Operation::AssociatePolicy { .. } => OperationKind::AssociatePolicy,
        Operation::DisassociatePolicy { .. } => OperationKind::DisassociatePolicy,
        Operation::DeleteEntry { .. } => OperationKind::DeleteEntry,
    }
}

fn describe(operation: &Operation) -> (Value, Value, String) {
    match operation {
        Operation::SetAuthenticationMode { from, to } => (
            json!({ "authentication_mode": from }),
            json!({ "authentication_mode": to }),
            "switch_auth_mode is set".to_owned(),
        ),
        Operation::CreateEntry { entry } => (
            Value::Null,
            json!({ "kubernetes_groups": entry.kubernetes_groups, "username": entry.username, "tags": entry.tags }),
            rules_reason(&entry.tags),
        ),
        Operation::RecreateEntry {
            entry,
            old_role_id,
            new_role_id,
        } => (
            json!({ "role_id": old_role_id }),
            json!({ "role_id": new_role_id, "kubernetes_groups": entry.kubernetes_groups }),
            "role was recreated: the old entry was bound to the old role id and no longer works"
                .to_owned(),
        ),
        Operation::UpdateEntry {
            kubernetes_groups,
            username,
            before_groups,
            before_username,
            ..
        } => (
            json!({ "kubernetes_groups": before_groups, "username": before_username }),
            json!({ "kubernetes_groups": kubernetes_groups, "username": username }),
            "kubernetes groups or username differ from the mapping".to_owned(),
        ),
        Operation::TagEntry { tags, .. } => (
            Value::Null,
            json!({ "tags": tags }),
            "mark the entry as managed / record the current role id and rules".to_owned(),
        ),
        Operation::AssociatePolicy {
            policy,
            scope,
            before,
            ..
        } => (
            json!({ "policy": policy, "scope": before }),
            json!({ "policy": policy, "scope": scope }),
            "policy or scope differs from the mapping".to_owned(),
        ),
        Operation::DisassociatePolicy { policy, before, .. } => (
            json!({ "policy": policy, "scope": before }),
            Value::Null,
            "no rule grants this policy any more".to_owned(),
        ),
        Operation::DeleteEntry { reason, .. } => (
            json!({ "entry": "present" }),
            Value::Null,
            serde_json::to_value(reason)
                .ok()
                .and_then(|v| v.get("kind").and_then(Value::as_str).map(str::to_owned))
                .unwrap_or_default(),
        ),
    }
}

fn rules_reason(tags: &std::collections::BTreeMap<String, String>) -> String {
    match tags.get(crate::domain::ManagedTags::RULES) {
        Some(rules) => format!("granted by rules {rules}"),
        None => "granted by the mapping".to_owned(),
    }
}

fn now_rfc3339() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}
