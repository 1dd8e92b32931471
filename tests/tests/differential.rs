//! Differential tests: one adapter-level scenario, through our SDK adapters, against our emulator
//! and against a third-party one — moto for IAM, STS, Identity Store and SSO Admin; ministack for
//! EKS clusters and access entries. Each run yields a transcript (step → normalized observable
//! result, generated ids stripped); the transcripts must agree on every step except the ones
//! where the third party is known to be less faithful to AWS, and on those each side must give
//! exactly the answer `docs/emulator-fidelity.md` records — so the test fails if either changes.
//!
//! Needs `moto_server` and `ministack` on PATH (`pip install 'moto[server]' ministack`).
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic: that is how they fail

mod differential_support;
mod third_party;

use std::collections::BTreeSet;

use differential_support::{ACCOUNT, SSO_PATH, Transcript, eks, identity, ours, sdk};
use third_party::{start_ministack, start_moto};

/// Asserts the transcripts agree on every step not in `differences`, and that each documented
/// difference still reads exactly `(ours, theirs)`.
fn assert_agree(
    theirs_name: &str,
    ours: &Transcript,
    theirs: &Transcript,
    differences: &[(&str, &str, &str)],
) {
    let differing: BTreeSet<&str> = differences.iter().map(|(step, _, _)| *step).collect();
    let common = |t: &Transcript| -> Transcript {
        t.iter()
            .filter(|(step, _)| !differing.contains(*step))
            .map(|(step, value)| (*step, value.clone()))
            .collect()
    };
    assert_eq!(
        common(ours),
        common(theirs),
        "our emulator (left) and {theirs_name} (right) disagree"
    );
    for (step, expected_ours, expected_theirs) in differences {
        assert_eq!(
            ours[step], *expected_ours,
            "ours changed on the documented difference {step:?}"
        );
        assert_eq!(
            theirs[step], *expected_theirs,
            "{theirs_name} changed on the documented difference {step:?}"
        );
    }
}

#[tokio::test]
async fn iam_sts_and_identity_center_agree_with_moto() {
    let moto = start_moto().await;
    let emulator = ours().await;
    let mut theirs = Transcript::new();
    let mut mine = Transcript::new();
    for (endpoint, t) in [
        (&moto.endpoint, &mut theirs),
        (&emulator.endpoint, &mut mine),
    ] {
        let config = sdk(endpoint);
        identity::iam_and_sts(&config, t).await;
        identity::identity_center(&config, t).await;
    }
    let role = |name: &str| format!("\"arn:aws:iam::{ACCOUNT}:role{SSO_PATH}{name}\"");
    let manual = format!(
        "{}, {}",
        role("AWSReservedSSO_Manual_0123456789abcdef"),
        role("AWSReservedSSO_Manual_Read_fedcba9876543210")
    );
    let with_admin = format!("ok {{{}, {manual}}}", role("AWSReservedSSO_Admin_<16 hex>"));
    let without_admin = format!("ok {{{manual}}}");
    let differences = [
        // AWS creates the permission set's role on its first assignment in an account.
        (
            "iam: SSO roles after the assignment",
            with_admin.as_str(),
            without_admin.as_str(),
        ),
        // STS refuses to assume a role that does not exist.
        (
            "sts: assume a role that does not exist",
            "refused: true",
            "refused: false",
        ),
        // SessionDuration is an ISO-8601 duration string ("PT1H"); moto answers a number.
        (
            "sso-admin: create permission set",
            "ok",
            "a 200 answer the SDK cannot parse",
        ),
        (
            "sso-admin: permission sets",
            "ok [\"Admin\"]",
            // The ARNs ListPermissionSets answers are refused before any is described.
            "error Other in ListPermissionSets",
        ),
        // Permission set ARNs are arn:aws:sso:::permissionSet/ssoins-…/ps-….
        (
            "sso-admin: permission set ARN shape",
            "arn:aws:sso:::permissionSet/ssoins/ps",
            "arn:aws:sso:::instance/ssoins/ps",
        ),
        // ...which the typed port refuses: a read that takes moto's ARN is refused before the
        // call, and an assignment naming one is skipped as unrecognised.
        (
            "sso-admin: account assignments",
            "ok [\"111111111111 Admin Group payments-devs\"]",
            "refused: expected arn:aws:sso:::permissionSet/ssoins-…/ps-…",
        ),
        (
            "sso-admin: assignments of group",
            "ok [\"111111111111 Admin Group payments-devs\"]",
            "ok []",
        ),
        // CreateAccountAssignment provisions the permission set to the account.
        // (moto does not provision either, but its ARN is refused before that can show.)
        (
            "sso-admin: accounts of permission set",
            "ok [AccountId(\"111111111111\")]",
            "refused: expected arn:aws:sso:::permissionSet/ssoins-…/ps-…",
        ),
        (
            "sso-admin: provisioned to account",
            "ok [\"Admin\"]",
            "ok []",
        ),
    ];
    assert_agree("moto", &mine, &theirs, &differences);
    emulator.shutdown().await;
    drop(moto);
}

#[tokio::test]
async fn eks_access_entries_agree_with_ministack() {
    let ministack = start_ministack().await;
    let emulator = ours().await;
    let theirs = eks::transcript(&ministack.endpoint, &|| {}).await;
    let mine = eks::transcript(&emulator.endpoint, &|| {
        emulator.settle_clusters();
    })
    .await;
    let differences = [
        // Plain keys: ours act as the account's `admin` role, ministack's as the root user; each
        // bootstraps its caller, as EKS does.
        (
            "eks: entries of a new cluster",
            "[\"arn:aws:iam::111111111111:role/admin\"]",
            "[\"arn:aws:iam::111111111111:root\"]",
        ),
        // EKS fills a default username; ministack leaves it empty.
        (
            "eks: default username",
            "ok Some(\"arn:aws:sts::111111111111:assumed-role/app-0/{{SessionName}}\")",
            "ok Some(\"\")",
        ),
        // ministack truncates to maxResults and never answers a nextToken.
        (
            "eks: first page of one entry (4 exist)",
            "1 entries, next token: true",
            "1 entries, next token: false",
        ),
        // ...so pages of one show only the first entry (ministack's is `:root`, which the
        // adapter leaves out: 0).
        (
            "eks: role entries the adapter lists with pages of one",
            "ok 4",
            "ok 0",
        ),
        // EKS needs the full role ARN with its path, of a role that exists.
        (
            "eks: entry for a path-less SSO role ARN",
            "error InvalidPrincipal in CreateAccessEntry",
            "ok ()",
        ),
        // EKS defaults to CONFIG_MAP and says so; ministack reports no mode (the adapter reads
        // absence as CONFIG_MAP, so both agree on what the engine sees).
        (
            "eks: authentication mode when CreateCluster gives none",
            "Some(\"CONFIG_MAP\")",
            "None",
        ),
        // EKS refuses every access-entry call on a CONFIG_MAP cluster.
        (
            "eks: list entries of a CONFIG_MAP cluster",
            "error InvalidRequest in ListAccessEntries",
            "ok ()",
        ),
        // ministack has no UpdateClusterConfig route.
        (
            "eks: switch CONFIG_MAP to API_AND_CONFIG_MAP",
            "ok ()",
            "error InvalidRequest in UpdateClusterConfig",
        ),
    ];
    assert_agree("ministack", &mine, &theirs, &differences);
    emulator.shutdown().await;
    drop(ministack);
}
