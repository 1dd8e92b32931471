//! The in-memory AWS world every service reads and changes: accounts with their IAM roles,
//! Identity Center, EKS clusters, SQS queues and the sessions issued by STS.

use std::collections::BTreeMap;

use time::OffsetDateTime;

use crate::clock::Clock;
use crate::ids::IdGenerator;
use crate::services::{eks, identitystore, sqs, ssoadmin};

/// The account used when no seed names one.
pub const DEFAULT_ACCOUNT: &str = "111111111111";

/// Settings that shape the world but are not state.
#[derive(Debug, Clone, PartialEq)]
pub struct WorldSettings {
    /// The Identity Center home region.
    pub home_region: String,
    /// Name of the role (path `/`) every account has, used as the caller of plain account keys.
    pub default_admin_role: String,
    /// How long a new cluster stays `CREATING`, in emulator seconds.
    pub creating_seconds: u64,
    /// How long an updated cluster stays `UPDATING`, in emulator seconds.
    pub updating_seconds: u64,
    /// Seed of the identifier generator (role ids, suffixes, UUIDs).
    pub id_seed: u64,
}

impl Default for WorldSettings {
    fn default() -> Self {
        Self {
            home_region: "eu-west-1".to_owned(),
            default_admin_role: "admin".to_owned(),
            creating_seconds: 600,
            updating_seconds: 60,
            id_seed: 0,
        }
    }
}

/// An IAM role.
#[derive(Debug, Clone, PartialEq)]
pub struct Role {
    /// Role name (no path).
    pub name: String,
    /// Path, starting and ending with `/`.
    pub path: String,
    /// The unique id (`AROA...`); a recreated role gets a new one.
    pub role_id: String,
    /// Full ARN including the path.
    pub arn: String,
    /// When the role was created (emulator time).
    pub created_at: OffsetDateTime,
    /// The trust policy document as given.
    pub assume_role_policy_document: String,
    /// Optional description.
    pub description: Option<String>,
}

/// An AWS account and its IAM roles (keyed by role name, unique per account as in IAM).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Account {
    /// 12-digit account id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// IAM roles by name.
    pub roles: BTreeMap<String, Role>,
}

/// Temporary credentials issued by `AssumeRole`.
#[derive(Debug, Clone, PartialEq)]
pub struct Session {
    /// Account of the assumed role.
    pub account: String,
    /// Name of the assumed role.
    pub role_name: String,
    /// The `RoleSessionName` given.
    pub session_name: String,
}

/// The secret key and session token STS issued with a session's access key.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionSecret {
    /// `SecretAccessKey`.
    pub secret_access_key: String,
    /// `SessionToken`.
    pub session_token: String,
}

/// Who is calling: derived from the access key and the SigV4 scope of a request.
#[derive(Debug, Clone, PartialEq)]
pub struct Caller {
    /// The account the call lands in.
    pub account: String,
    /// The region of the SigV4 scope.
    pub region: String,
    /// The assumed role, for keys issued by `AssumeRole`.
    pub session: Option<Session>,
}

impl Caller {
    /// A plain (long-term key) caller of `account` in `region`.
    pub fn account(account: &str, region: &str) -> Self {
        Self {
            account: account.to_owned(),
            region: region.to_owned(),
            session: None,
        }
    }

    /// The same caller acting through an assumed-role session.
    pub fn with_session(self, session: Session) -> Self {
        Self {
            account: session.account.clone(),
            session: Some(session),
            ..self
        }
    }
}

/// All emulated state.
#[derive(Debug, Clone)]
pub struct World {
    /// Emulator time.
    pub clock: Clock,
    /// Shape settings.
    pub settings: WorldSettings,
    /// Account of unknown access keys.
    pub default_account: String,
    /// Accounts by id.
    pub accounts: BTreeMap<String, Account>,
    /// Identity Center: the identity store.
    pub directory: identitystore::Directory,
    /// Identity Center: the instance, permission sets and assignments.
    pub sso: ssoadmin::SsoState,
    /// EKS clusters.
    pub eks: eks::EksState,
    /// SQS queues.
    pub sqs: sqs::SqsState,
    /// Sessions by access key id.
    pub sessions: BTreeMap<String, Session>,
    /// The secret half of each issued session's credentials, by access key id: only the
    /// Kubernetes endpoint uses it, to check an EKS token's signature as STS would.
    pub session_secrets: BTreeMap<String, SessionSecret>,
    /// Eventual-consistency window in emulator seconds (see the README).
    pub consistency_window_seconds: u64,
    /// Identifier generator.
    pub ids: IdGenerator,
    /// Identity policies of roles (enforced for the sessions of roles that have any).
    pub iam_policies: crate::services::iam_policies::IamPolicies,
    /// IAM users by account and name.
    pub iam_users: crate::services::iam_users::IamUsers,
    /// The clusters' Kubernetes side (their aws-auth ConfigMaps).
    pub kubernetes: crate::services::kubernetes::KubernetesState,
}

impl World {
    /// An empty world: the default account (with its admin role) and one Identity Center instance.
    pub fn new(settings: WorldSettings, clock: Clock) -> Self {
        Self::with_default_account(settings, clock, DEFAULT_ACCOUNT)
    }

    /// An empty world whose default (and Identity Center owner) account is `default_account`.
    pub fn with_default_account(
        settings: WorldSettings,
        clock: Clock,
        default_account: &str,
    ) -> Self {
        let mut ids = IdGenerator::new(settings.id_seed);
        let directory = identitystore::Directory::new(&mut ids);
        let sso = ssoadmin::SsoState::new(&mut ids, &settings.home_region, default_account);
        let mut world = Self {
            clock,
            settings,
            default_account: default_account.to_owned(),
            accounts: BTreeMap::new(),
            directory,
            sso,
            eks: eks::EksState::default(),
            sqs: sqs::SqsState::default(),
            sessions: BTreeMap::new(),
            session_secrets: BTreeMap::new(),
            consistency_window_seconds: 0,
            ids,
            iam_policies: Default::default(),
            iam_users: Default::default(),
            kubernetes: Default::default(),
        };
        world.ensure_account(default_account, "default");
        world
    }

    /// Current emulator time.
    pub fn now(&self) -> OffsetDateTime {
        self.clock.now()
    }

    /// Adds the account (with its default admin role) unless it exists.
    pub fn ensure_account(&mut self, id: &str, name: &str) {
        if self.accounts.contains_key(id) {
            return;
        }
        self.accounts.insert(
            id.to_owned(),
            Account {
                id: id.to_owned(),
                name: name.to_owned(),
                roles: BTreeMap::new(),
            },
        );
        let admin = self.settings.default_admin_role.clone();
        // An old role: the consistency window must not make the account's own admin invalid.
        let created = self.now() - time::Duration::days(1);
        let _ = crate::services::iam::insert_role(self, id, &admin, "/", "{}", created);
    }

    /// The caller behind an access key: an `AssumeRole` key maps to its account and role, a key
    /// that is an existing 12-digit account id to that account, anything else to the default one.
    pub fn resolve_caller(&self, access_key: &str, region: &str) -> Caller {
        if let Some(session) = self.sessions.get(access_key) {
            return Caller {
                account: session.account.clone(),
                region: region.to_owned(),
                session: Some(session.clone()),
            };
        }
        let account = if self.accounts.contains_key(access_key) {
            access_key
        } else {
            &self.default_account
        };
        Caller::account(account, region)
    }

    /// The IAM role a caller acts as: the assumed role, or the account's default admin role.
    pub fn caller_role(&self, caller: &Caller) -> Option<&Role> {
        let name = caller
            .session
            .as_ref()
            .map_or(self.settings.default_admin_role.as_str(), |s| {
                s.role_name.as_str()
            });
        self.accounts.get(&caller.account)?.roles.get(name)
    }

    /// Applies every time-driven transition that is due (clusters reaching `ACTIVE`).
    pub fn tick(&mut self) {
        let now = self.now();
        eks::clusters::settle_due(&mut self.eks, now);
    }
}
