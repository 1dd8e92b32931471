//! `validate --online`: the names the mapping gives exactly, looked up in Identity Center. A
//! name that does not exist would hold its rule's entries at every run (never delete them): it
//! is better found before the mapping is deployed.

use std::process::ExitCode;

use eks_sso_sync::config::PermissionSetMatcher;
use eks_sso_sync::desired::{closest_names, did_you_mean};
use eks_sso_sync::domain::{PermissionSetName, RuleName};
use serde::Serialize;

use crate::args::{GlobalArgs, OutputFormat};
use crate::{connect, exit, output};

/// A mapping name that Identity Center does not know.
#[derive(Debug, Serialize)]
struct UnknownName {
    /// The rule naming it.
    rule: RuleName,
    /// `permission_set` or `groups`.
    field: &'static str,
    /// The name as written.
    name: String,
    /// The closest existing names, best first.
    did_you_mean: Vec<String>,
}

/// Looks the names up and reports (a table is printed; the JSON findings are returned for the
/// caller's one document); exit 3 when any is unknown.
pub async fn run(global: &GlobalArgs) -> anyhow::Result<(ExitCode, Option<serde_json::Value>)> {
    let session = connect::connect(global).await?;
    let reader = session.ctx.reader();
    let known = reader.permission_set_names().await?;
    let mut unknown = Vec::new();
    for rule in &session.mapping.rules {
        if let PermissionSetMatcher::Exact(name) = &rule.permission_set {
            if !known.contains(name) {
                let names = known.iter().map(PermissionSetName::as_str);
                unknown.push(UnknownName {
                    rule: rule.name.clone(),
                    field: "permission_set",
                    name: name.to_string(),
                    did_you_mean: closest_names(name.as_str(), names),
                });
            }
        }
    }
    let groups = reader.unknown_groups().await?;
    for (rule, names) in session.mapping.literal_filter_groups() {
        for name in names {
            if let Some(hints) = groups.get(&name) {
                unknown.push(UnknownName {
                    rule: rule.clone(),
                    field: "groups",
                    name: name.to_string(),
                    did_you_mean: hints.clone(),
                });
            }
        }
    }
    let catalogue = super::catalogue::check(&session).await?;
    let code = ExitCode::from(if unknown.is_empty() && !catalogue.has_problems() {
        exit::IN_SYNC
    } else {
        exit::NEEDS_ATTENTION
    });
    match output::format(global) {
        OutputFormat::Json => {
            let document = serde_json::json!({
                "permission_sets_known": known.len(),
                "unknown": unknown,
                "access_policies": catalogue,
            });
            return Ok((code, Some(document)));
        }
        OutputFormat::Table => {
            for u in &unknown {
                outln!(
                    "{}: rule {}: {} {} does not exist in Identity Center{}",
                    global.config.display(),
                    u.rule,
                    u.field,
                    u.name,
                    did_you_mean(&u.did_you_mean)
                );
            }
            outln!(
                "online check: {} unknown name(s) among the mapping's exact names ({} permission sets in the instance)",
                unknown.len(),
                known.len()
            );
            print_catalogue(global, &catalogue);
        }
    }
    Ok((code, None))
}

/// The access-policy catalogue findings, one line each.
fn print_catalogue(global: &GlobalArgs, catalogue: &super::catalogue::CatalogueReport) {
    for name in &catalogue.missing {
        outln!(
            "{}: the mapping grants {name}, which the access-policy catalogue in {} does not offer",
            global.config.display(),
            catalogue.read_in
        );
    }
    for name in &catalogue.new {
        outln!(
            "note: the access-policy catalogue offers {name}, which this version of eks-sso-sync \
             does not know: rules cannot grant it until a release classifies it"
        );
    }
    outln!(
        "access policies: {} offered in {}, {} new, {} granted but not offered",
        catalogue.offered,
        catalogue.read_in,
        catalogue.new.len(),
        catalogue.missing.len()
    );
}
