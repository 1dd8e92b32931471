//! The IAM boundary, shown: every call of the demo was made by member roles (the write role for
//! the reconciler, the reader role for the trigger functions) running under the policy
//! `member-account.yaml` renders (the emulator enforces it), none was refused, and the
//! escalation the policy exists to stop (tag someone else's entry as managed, then take it
//! over) is refused with AWS's `AccessDenied`.

use anyhow::Context;
use aws_sdk_eks::error::ProvideErrorMetadata;
use eks_sso_sync::domain::AccountId;

use super::narrator::Narrator;
use super::world::{DemoWorld, MEMBER_ROLE, READER_ROLE};

/// The account, region and cluster of the escalation attempt, and the entry it targets: the
/// node role's, which eks-sso-sync must never touch.
const ACCOUNT: &str = "111111111111";
const REGION: &str = "eu-west-1";
const CLUSTER: &str = "platform-eu";
const NODE_ROLE: &str = "arn:aws:iam::111111111111:role/eks/node-role";

/// Step: counts the refusals so far (there must be none) and tries the tag-and-take escalation
/// as the member role (it must be refused).
pub async fn iam_boundary(world: &DemoWorld, n: &mut Narrator) -> anyhow::Result<()> {
    let refused: Vec<String> = world
        .emulator
        .requests()
        .into_iter()
        .filter(|r| r.error_code.as_deref().is_some_and(is_access_denied))
        .map(|r| format!("{}:{} in {}", r.service, r.operation, r.account))
        .collect();
    anyhow::ensure!(
        refused.is_empty(),
        "the member policy refused calls the engine made: {refused:?}"
    );
    n.note(format!(
        "the reconciler assumed {MEMBER_ROLE}, group-sync and cluster-bootstrap the read-only \
         {READER_ROLE}, each under the policy member-account.yaml renders \
         (emulator/policies/member-roles.json, checked against the templates by scripts/iam-simulate.sh)"
    ));
    n.note("AccessDenied answers to eks-sso-sync's own calls: 0");
    let denied = tag_and_take(world).await?;
    n.note(format!(
        "escalation attempt as {MEMBER_ROLE}: tag the node role's entry on {CLUSTER} as managed → {denied}"
    ));
    Ok(())
}

fn is_access_denied(code: &str) -> bool {
    code.starts_with("AccessDenied")
}

/// Tags the node role's entry `eks-sso-sync:managed=true` with the member role's credentials;
/// the error code AWS answers with, or an error if the policy let it through.
async fn tag_and_take(world: &DemoWorld) -> anyhow::Result<String> {
    let connector = &world.session.ports.connector;
    let account = AccountId::new(ACCOUNT)?;
    let config = connector.account_config(&account).await;
    let eks = aws_sdk_eks::Client::from_conf(
        aws_sdk_eks::config::Builder::from(&config)
            .region(aws_config::Region::from_static(REGION))
            .build(),
    );
    let entry = eks
        .describe_access_entry()
        .cluster_name(CLUSTER)
        .principal_arn(NODE_ROLE)
        .send()
        .await
        .context("the member role reads the node role's entry")?;
    let arn = entry
        .access_entry
        .and_then(|e| e.access_entry_arn)
        .context("DescribeAccessEntry returned no entry ARN")?;
    let attempt = eks
        .tag_resource()
        .resource_arn(&arn)
        .tags("eks-sso-sync:managed", "true")
        .send()
        .await;
    match attempt {
        Ok(_) => anyhow::bail!("the member policy let {MEMBER_ROLE} tag {arn} as managed"),
        Err(error) => {
            let code = error.code().unwrap_or("unknown").to_owned();
            anyhow::ensure!(
                is_access_denied(&code),
                "tagging {arn} failed with {code}, not AccessDenied"
            );
            Ok(code)
        }
    }
}
