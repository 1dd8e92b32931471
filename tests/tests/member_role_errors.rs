//! A member-account role that cannot be assumed (missing, or not trusting the hub) is reported
//! as one `AccessDenied` line naming the role ARN and the fix — through the real SDK credential
//! chain against the emulator's STS, not an SDK Debug dump.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic: that is how they fail

mod adapters_support;

use adapters_support::*;
use eks_sso_sync::aws::SdkConnector;
use eks_sso_sync::domain::PrincipalArn;
use eks_sso_sync::ports::{AccountConnector, ErrorKind};

#[tokio::test]
async fn an_unassumable_member_role_names_the_role_and_the_fix() {
    let emulator = start().await;
    let missing = "arn:aws:iam::222222222222:role/does-not-exist";
    let connector = SdkConnector::new(
        hub_config(&emulator),
        eks_sso_sync::aws::RoleSessionName::default(),
        move |a| (a.as_str() == MEMBER).then(|| PrincipalArn::new(missing).expect("role")),
    );
    let eks = connector
        .eks(&account(MEMBER), &region(HOME))
        .await
        .expect("clients are built lazily");
    let err = eks
        .list_clusters()
        .await
        .expect_err("the role does not exist");
    assert_eq!(err.kind, ErrorKind::AccessDenied, "{err}");
    assert!(err.message.contains(missing), "{err}");
    assert!(err.message.contains("member-account.yaml"), "{err}");
    assert!(err.message.contains("accounts[].role"), "{err}");
    assert!(
        !err.message.contains("ErrorMetadata"),
        "no SDK Debug dump: {err}"
    );
    assert!(!err.message.contains('\n'), "one line: {err}");
}
