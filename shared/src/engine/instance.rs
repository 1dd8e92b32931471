//! Choosing the Identity Center instance from what `ListInstances` returns and what the mapping
//! says, before anything else is read: a wrong instance or identity store would make every
//! group look unassigned.

use crate::config::IdentityCenterSettings;
use crate::ports::{ErrorKind, IdentityCenterInstance, PortError};

const OP: &str = "ListInstances";

/// The instance to use: the one whose ARN (and identity store id, when both are given) the
/// mapping names, or the only one when it names none. Everything else is an error that says
/// what `ListInstances` returned and which mapping field to fix.
pub(super) fn choose(
    settings: &IdentityCenterSettings,
    instances: Vec<IdentityCenterInstance>,
) -> Result<IdentityCenterInstance, PortError> {
    let invalid = |message: String| PortError::new(ErrorKind::InvalidParameter, OP, message);
    let listed = || {
        let all: Vec<String> = instances
            .iter()
            .map(|i| {
                format!(
                    "{} (identity store {})",
                    i.instance_arn, i.identity_store_id
                )
            })
            .collect();
        if all.is_empty() {
            "none".to_owned()
        } else {
            all.join(", ")
        }
    };
    let by_arn = settings
        .instance_arn
        .as_ref()
        .map(|arn| instances.iter().find(|i| &i.instance_arn == arn));
    let by_store = settings
        .identity_store_id
        .as_ref()
        .map(|store| instances.iter().find(|i| &i.identity_store_id == store));
    let chosen = match (by_arn, by_store) {
        (Some(None), _) => {
            return Err(invalid(format!(
                "identity_center.instance_arn is not an instance ListInstances returns (it \
                 returns {}); fix identity_center.instance_arn, or remove it to discover the \
                 instance",
                listed()
            )));
        }
        (_, Some(None)) => {
            return Err(invalid(format!(
                "identity_center.identity_store_id is not the store of an instance ListInstances \
                 returns (it returns {}); fix identity_center.identity_store_id, or remove it",
                listed()
            )));
        }
        (Some(Some(a)), Some(Some(b))) if a != b => {
            return Err(invalid(format!(
                "identity_center.instance_arn and identity_center.identity_store_id belong to \
                 different instances ({} uses identity store {}); fix one of them",
                a.instance_arn, a.identity_store_id
            )));
        }
        (Some(Some(one)), _) | (None, Some(Some(one))) => one.clone(),
        (None, None) if instances.len() == 1 => instances[0].clone(),
        (None, None) => {
            return Err(invalid(format!(
                "expected exactly one Identity Center instance, ListInstances returns {}; set \
                 identity_center.instance_arn",
                listed()
            )));
        }
    };
    Ok(chosen)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Region;

    fn instance(n: u8) -> IdentityCenterInstance {
        IdentityCenterInstance {
            instance_arn: format!("arn:aws:sso:::instance/ssoins-000000000000000{n}")
                .parse()
                .unwrap(),
            identity_store_id: format!("d-000000000{n}").parse().unwrap(),
        }
    }

    fn settings(arn: Option<u8>, store: Option<u8>) -> IdentityCenterSettings {
        IdentityCenterSettings {
            region: Region::new("eu-west-1").unwrap(),
            instance_arn: arn.map(|n| instance(n).instance_arn),
            identity_store_id: store.map(|n| instance(n).identity_store_id),
        }
    }

    #[test]
    fn discovers_the_only_instance_and_refuses_to_guess_among_several() {
        assert_eq!(
            choose(&settings(None, None), vec![instance(1)]),
            Ok(instance(1))
        );
        let err = choose(&settings(None, None), vec![instance(1), instance(2)]).unwrap_err();
        assert!(
            err.message.contains("set identity_center.instance_arn"),
            "{err}"
        );
        let none = choose(&settings(None, None), vec![]).unwrap_err();
        assert!(none.message.contains("returns none"), "{none}");
    }

    #[test]
    fn a_pair_from_two_instances_is_refused_naming_both_fields() {
        let both = vec![instance(1), instance(2)];
        assert_eq!(
            choose(&settings(Some(2), Some(2)), both.clone()),
            Ok(instance(2))
        );
        let err = choose(&settings(Some(1), Some(2)), both).unwrap_err();
        assert!(
            err.message.contains("belong to different instances"),
            "{err}"
        );
        assert!(err.message.contains("d-0000000001"), "{err}");
    }

    #[test]
    fn names_the_field_that_matches_nothing() {
        let err = choose(&settings(Some(3), None), vec![instance(1)]).unwrap_err();
        assert!(
            err.message.starts_with("identity_center.instance_arn"),
            "{err}"
        );
        let err = choose(&settings(None, Some(3)), vec![instance(1)]).unwrap_err();
        assert!(
            err.message.starts_with("identity_center.identity_store_id"),
            "{err}"
        );
        assert_eq!(
            choose(&settings(None, Some(1)), vec![instance(1)]),
            Ok(instance(1))
        );
    }
}
