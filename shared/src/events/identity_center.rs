//! Identity Center group and membership events: CloudTrail records from the console
//! (`sso-directory`), the Identity Store API and SCIM, and Identity Center's native notifications.
//!
//! The three CloudTrail origins put the same ids in different places, and SCIM and
//! `DeleteGroupMembership` hide the group altogether, so every id here is optional: a handler
//! that does not know the group treats every group as possibly affected.

use serde_json::Value;

use super::cloudtrail::CloudTrailDetail;
use super::fields::{Fields, first_parsed};
use super::{EventError, Trigger};
use crate::domain::{GroupId, IdentityStoreId, UserId};

/// Which front door of Identity Center the call came through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Origin {
    /// `sso-directory.amazonaws.com`: the Identity Center console.
    Console,
    /// `identitystore.amazonaws.com`: the Identity Store API (CLI, SDK, Terraform).
    Api,
    /// `identitystore-scim.amazonaws.com`: an external IdP provisioning over SCIM.
    Scim,
}

/// The ids a group or membership record may carry.
struct GroupIds {
    identity_store_id: Option<IdentityStoreId>,
    group_id: Option<GroupId>,
}

/// Classifies a group or membership CloudTrail record.
pub(crate) fn classify_call(
    origin: Origin,
    name: &str,
    detail: &CloudTrailDetail,
    context: &str,
) -> Result<Trigger, EventError> {
    let request = detail.request(context);
    let response = detail.response(context);
    let ids = group_ids(request, response)?;
    let trigger = match (origin, name) {
        (_, "CreateGroup") => Trigger::GroupCreated {
            identity_store_id: ids.identity_store_id,
            group_id: ids.group_id,
        },
        (Origin::Console | Origin::Api, "UpdateGroup") => Trigger::GroupUpdated {
            identity_store_id: ids.identity_store_id,
            group_id: ids.group_id,
        },
        (_, "DeleteGroup") => Trigger::GroupDeleted {
            identity_store_id: ids.identity_store_id,
            group_id: ids.group_id,
        },
        (Origin::Scim, "PatchGroup") => Trigger::GroupMembersPatched {
            identity_store_id: ids.identity_store_id,
            group_id: ids.group_id,
        },
        (Origin::Console, "AddMemberToGroup") => Trigger::MembershipAdded {
            identity_store_id: ids.identity_store_id,
            group_id: ids.group_id,
            user_id: request.opt("member.memberId", UserId::new)?,
            membership_id: response.opt_string("membershipId")?,
        },
        (Origin::Console, "RemoveMemberFromGroup") => Trigger::MembershipRemoved {
            identity_store_id: ids.identity_store_id,
            group_id: ids.group_id,
            user_id: request.opt("member.memberId", UserId::new)?,
            membership_id: None,
        },
        (Origin::Api, "CreateGroupMembership") => Trigger::MembershipAdded {
            identity_store_id: ids.identity_store_id,
            group_id: ids.group_id,
            user_id: request.opt("memberId.userId", UserId::new)?,
            membership_id: response.opt_string("membershipId")?,
        },
        // Carries only the membership id: the group is unknown by design.
        (Origin::Api, "DeleteGroupMembership") => Trigger::MembershipRemoved {
            identity_store_id: ids.identity_store_id,
            group_id: None,
            user_id: None,
            membership_id: request.opt_string("membershipId")?,
        },
        (_, other) => Trigger::ignored(format!(
            "{other} does not change groups or memberships ({origin:?} origin)"
        )),
    };
    Ok(trigger)
}

/// The identity store and group ids, wherever this origin keeps them: `groupId` in requests,
/// SCIM's resource `id`, or the response of a create.
fn group_ids(request: Fields<'_>, response: Fields<'_>) -> Result<GroupIds, EventError> {
    Ok(GroupIds {
        identity_store_id: first_parsed(
            &[
                (request, "identityStoreId"),
                (response, "identityStoreId"),
                (response, "group.identityStoreId"),
            ],
            |id| IdentityStoreId::new(id),
        )?,
        group_id: first_parsed(
            &[
                (request, "groupId"),
                (request, "id"),
                (response, "groupId"),
                (response, "group.groupId"),
                (response, "id"),
            ],
            |id| GroupId::new(id),
        )?,
    })
}

/// Classifies a native Identity Center notification (`source: aws.identitystore`) by its
/// `detail-type`; the detail is read leniently as flat `identityStoreId`, `groupId`, `userId`
/// (or `memberId.userId`) and `membershipId` fields.
pub(crate) fn classify_native(detail_type: &str, detail: &Value) -> Result<Trigger, EventError> {
    if !detail.is_object() {
        return Err(EventError::invalid("detail", "expected a JSON object"));
    }
    let context = format!("aws.identitystore {detail_type}");
    let fields = Fields::new(Some(detail), "detail", &context);
    let identity_store_id = fields.opt("identityStoreId", IdentityStoreId::new)?;
    let group_id = fields.opt("groupId", GroupId::new)?;
    let user_id = first_parsed(&[(fields, "userId"), (fields, "memberId.userId")], |id| {
        UserId::new(id)
    })?;
    let membership_id = fields.opt_string("membershipId")?;
    let trigger = match detail_type {
        "Group Created" => Trigger::GroupCreated {
            identity_store_id,
            group_id,
        },
        "Group Updated" => Trigger::GroupUpdated {
            identity_store_id,
            group_id,
        },
        "Group Deleted" => Trigger::GroupDeleted {
            identity_store_id,
            group_id,
        },
        "Group Membership Created" => Trigger::MembershipAdded {
            identity_store_id,
            group_id,
            user_id,
            membership_id,
        },
        "Group Membership Deleted" => Trigger::MembershipRemoved {
            identity_store_id,
            group_id,
            user_id,
            membership_id,
        },
        other => Trigger::ignored(format!(
            "Identity Center notification {other:?} does not change groups or memberships"
        )),
    };
    Ok(trigger)
}
