//! Why an aws-auth `rolearn`/`userarn` cannot be an access-entry principal, said in aws-auth's
//! terms: the mistakes found in real ConfigMaps (wildcards, unreplaced `<placeholders>`, a Fargate
//! profile ARN, the account root, an STS session ARN) each get the reason and the fix, instead of
//! a generic "not an IAM ARN".

use super::entries::{AuthEntry, Section, slot};
use crate::domain::{Arn, PrincipalArn};

/// The entry's principal, or why it cannot be one. `all` is every entry of the ConfigMap, so an
/// STS session ARN can name the `mapRoles` entry of its role.
pub(super) fn principal_of(entry: &AuthEntry, all: &[AuthEntry]) -> Result<PrincipalArn, String> {
    let raw = entry.arn.as_str();
    if is_service_arn(raw, "eks") && raw.contains(":fargateprofile/") {
        return Err(format!(
            "not an IAM role ARN: `{raw}` is a Fargate profile ARN; map the profile's pod \
             execution role (podExecutionRoleArn of `aws eks describe-fargate-profile`), which EKS \
             gives a FARGATE_LINUX access entry itself"
        ));
    }
    if raw.contains('<') || raw.contains('>') {
        return Err(format!(
            "`{raw}` is an unreplaced template placeholder, not an ARN: put the real ARN there"
        ));
    }
    if raw.contains('*') {
        return Err(format!(
            "`{raw}`: wildcards are not supported by aws-auth or access entries (aws-auth never \
             matched it, so it granted nothing); list the roles, one entry each"
        ));
    }
    if is_service_arn(raw, "iam") && raw.ends_with(":root") {
        return Err(
            "the account root user cannot be an access-entry principal; map a role instead (an \
             SSO permission set, or a break-glass role)"
                .to_owned(),
        );
    }
    if let Some(role) = assumed_role_name(raw) {
        return Err(sts_reason(role, all));
    }
    PrincipalArn::new(raw).map_err(|e| format!("not a principal EKS accepts: {}", e.reason))
}

/// Whether `arn` is `arn:<partition>:<service>:…`.
fn is_service_arn(arn: &str, service: &str) -> bool {
    Arn::of_service(arn, service).is_some()
}

/// The role name of `arn:aws:sts::<account>:assumed-role/<role>/<session>`.
fn assumed_role_name(arn: &str) -> Option<&str> {
    Arn::of_service(arn, "sts")?
        .resource_after("assumed-role/")?
        .split('/')
        .next()
}

fn sts_reason(role: &str, all: &[AuthEntry]) -> String {
    let mapped = all.iter().find(|e| {
        e.section == Section::MapRoles
            && e.arn
                .rsplit('/')
                .next()
                .is_some_and(|n| n.eq_ignore_ascii_case(role))
    });
    match mapped {
        Some(e) => format!(
            "an STS session ARN, not a user (one session of role {role}); its role is {}, which \
             is imported on its own",
            slot(e.section, e.index)
        ),
        None => format!(
            "an STS session ARN, not a user (one session of role {role}): map the role \
             (rolearn: arn:aws:iam::<account>:role/{role}) in mapRoles instead"
        ),
    }
}

/// The angle-bracketed values of an entry (`<system:nodes>`): template brackets left in, which
/// matched no real group, so aws-auth granted nothing through them.
pub(super) fn bracketed(entry: &AuthEntry) -> Vec<&str> {
    entry
        .username
        .iter()
        .chain(&entry.groups)
        .map(String::as_str)
        .filter(|v| v.starts_with('<') && v.ends_with('>'))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(section: Section, index: usize, arn: &str) -> AuthEntry {
        AuthEntry {
            section,
            index,
            arn: arn.to_owned(),
            username: None,
            groups: vec![],
            unknown_keys: vec![],
            origin: None,
        }
    }

    fn reason(arn: &str, all: &[AuthEntry]) -> String {
        principal_of(&entry(Section::MapUsers, 0, arn), all).unwrap_err()
    }

    #[test]
    fn each_real_world_mistake_gets_its_own_reason() {
        assert!(reason("<windows_mng_role_arn>", &[]).contains("unreplaced template placeholder"));
        assert!(reason("arn:aws:iam::111122223333:role/teams/*", &[]).contains("wildcards"));
        let fargate = reason(
            "arn:aws:eks:<region>:<AWS account id>:fargateprofile/<cluster name>/x",
            &[],
        );
        assert!(fargate.contains("Fargate profile ARN"), "{fargate}");
        assert!(fargate.contains("`arn:aws:eks:<region>:"), "{fargate}");
        let fargate = reason(
            "arn:aws:eks:eu-west-1:111122223333:fargateprofile/c/p/1",
            &[],
        );
        assert!(fargate.contains("Fargate profile ARN"), "{fargate}");
        assert!(reason("arn:aws:iam::111222333444:root", &[]).contains("root user"));
        let role = entry(
            Section::MapRoles,
            1,
            "arn:aws:iam::111122223333:role/AWSReservedSSO_X_641e07934445cd33",
        );
        let sts = reason(
            "arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_X_641e07934445cd33/me",
            &[role],
        );
        assert!(sts.contains("its role is mapRoles[1]"), "{sts}");
        assert!(principal_of(&entry(Section::MapUsers, 0, "arn:aws:iam::1:user/a"), &[]).is_err());
        let ok = "arn:aws:iam::111122223333:user/a";
        assert!(principal_of(&entry(Section::MapUsers, 0, ok), &[]).is_ok());
    }
}
