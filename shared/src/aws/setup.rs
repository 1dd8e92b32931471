//! Wiring, done once per process: load the mapping (bundled file or SSM parameter), build the
//! SDK configuration and every port, and the engine context. The Lambda `main.rs` files and the
//! CLI all start here, so a function and `eks-sso-sync plan` see AWS the same way.

use std::path::PathBuf;
use std::sync::Arc;

use aws_config::SdkConfig;
use aws_credential_types::Credentials;

use super::member::{self, MemberAccess, RoleSessionName};
use super::{AwsPorts, SdkJobQueue, load_sdk_config, read_parameter, sdk_config_for_endpoint};
use crate::config::{Mapping, ValidationReport};
use crate::engine::ReconcileContext;
use crate::ports::PortError;

/// Where a function reads its mapping from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MappingSource {
    /// A file bundled with the function (default `mapping.yaml` beside the binary's working dir).
    File(PathBuf),
    /// An SSM parameter (String or SecureString) holding the YAML.
    Ssm(String),
}

/// The settings a function reads from its environment, once, at cold start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunctionSettings {
    /// The mapping source (`MAPPING_SOURCE=file|ssm`, `MAPPING_PATH`, `MAPPING_SSM_PARAMETER`).
    pub mapping: MappingSource,
    /// The reconcile queue URL (`RECONCILE_QUEUE_URL`).
    pub queue_url: String,
    /// The member role and session name (`MEMBER_ROLE_NAME`, `MEMBER_ROLE_SESSION_NAME`; both
    /// optional: the mapping's `member_role_name` and `eks-sso-sync`).
    pub member: MemberAccess,
}

/// Why a function could not start. An invalid mapping fails the init with the full validation
/// report, so a bad deploy changes nothing and says exactly what to fix.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    /// A required environment variable is missing or invalid.
    #[error("environment: {0}")]
    Environment(String),
    /// The mapping could not be read.
    #[error("cannot read the mapping: {0}")]
    MappingSource(String),
    /// The mapping is invalid.
    #[error("invalid mapping:\n{0}")]
    InvalidMapping(ValidationReport),
}

impl FunctionSettings {
    /// Reads the settings from environment variables, as the SAM template sets them.
    pub fn from_env() -> Result<Self, SetupError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads the settings through `lookup` (the environment, or a map in tests).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, SetupError> {
        let mapping = match lookup("MAPPING_SOURCE").as_deref().unwrap_or("file") {
            "file" => MappingSource::File(
                lookup("MAPPING_PATH")
                    .unwrap_or_else(|| "mapping.yaml".to_owned())
                    .into(),
            ),
            "ssm" => MappingSource::Ssm(lookup("MAPPING_SSM_PARAMETER").ok_or_else(|| {
                SetupError::Environment("MAPPING_SOURCE=ssm needs MAPPING_SSM_PARAMETER".to_owned())
            })?),
            other => {
                return Err(SetupError::Environment(format!(
                    "MAPPING_SOURCE must be file or ssm, not {other:?}"
                )));
            }
        };
        let queue_url = lookup("RECONCILE_QUEUE_URL")
            .filter(|u| !u.is_empty())
            .ok_or_else(|| SetupError::Environment("RECONCILE_QUEUE_URL is not set".to_owned()))?;
        Ok(Self {
            mapping,
            queue_url,
            member: member_access(&lookup)?,
        })
    }
}

/// `MEMBER_ROLE_NAME` and `MEMBER_ROLE_SESSION_NAME`; unset or empty means the default (the
/// template passes an empty `TriggerMemberRoleName` through as "no override").
fn member_access(lookup: &impl Fn(&str) -> Option<String>) -> Result<MemberAccess, SetupError> {
    let set = |name: &str| lookup(name).filter(|v| !v.is_empty());
    let role_name = set("MEMBER_ROLE_NAME")
        .map(|name| member::role_name("MEMBER_ROLE_NAME", &name))
        .transpose()
        .map_err(SetupError::Environment)?;
    let session_name = match set("MEMBER_ROLE_SESSION_NAME") {
        Some(name) => RoleSessionName::new(&name)
            .map_err(|e| SetupError::Environment(format!("MEMBER_ROLE_SESSION_NAME: {e}")))?,
        None => RoleSessionName::default(),
    };
    // Drift repair tells our own access-entry calls from everyone else's by this prefix, and the
    // hub policies admit no other session (`sts:RoleSessionName: eks-sso-sync*`): another name
    // would fail every AssumeRole, or make each repair trigger another reconcile.
    if !session_name
        .as_str()
        .starts_with(crate::events::OWN_SESSION_PREFIX)
    {
        return Err(SetupError::Environment(format!(
            "MEMBER_ROLE_SESSION_NAME={:?} must start with {:?} (e.g. {:?}): drift repair \
             recognises eks-sso-sync's own calls by it, and the hub policies admit only such \
             sessions",
            session_name.as_str(),
            crate::events::OWN_SESSION_PREFIX,
            "eks-sso-sync-reconciler"
        )));
    }
    Ok(MemberAccess {
        session_name,
        role_name,
    })
}

/// The repository's `mapping.yaml`, compiled into every function binary. `sam build`
/// (`rust-cargolambda`) packages only the binary, so this is how "the file bundled with the
/// function" reaches Lambda when no file was added to the package (`MAPPING_PATH` missing).
pub const BUNDLED_MAPPING: &str = include_str!("../../../mapping.yaml");

/// Loads and validates the mapping from `source`. A `File` source whose file does not exist falls
/// back to [`BUNDLED_MAPPING`] (logged), so a package built by `sam build` still has its mapping.
pub async fn load_mapping(source: &MappingSource, sdk: &SdkConfig) -> Result<Mapping, SetupError> {
    match source {
        MappingSource::File(path) if !path.exists() => {
            tracing::info!(path = %path.display(), "mapping file not in the package; using the mapping compiled into the binary");
            Mapping::from_str(BUNDLED_MAPPING, "bundled mapping.yaml")
                .map_err(SetupError::InvalidMapping)
        }
        MappingSource::File(path) => Mapping::from_path(path).map_err(SetupError::InvalidMapping),
        MappingSource::Ssm(name) => {
            let client = aws_sdk_ssm::Client::new(sdk);
            let text = read_parameter(&client, name)
                .await
                .map_err(|e: PortError| SetupError::MappingSource(e.to_string()))?;
            Mapping::from_str(&text, &format!("ssm:{name}")).map_err(SetupError::InvalidMapping)
        }
    }
}

/// The SDK configuration: the standard chain (honouring `AWS_ENDPOINT_URL`), or everything sent
/// to `endpoint` with `credentials` (the emulator, `--endpoint-url`).
pub async fn sdk_config(mapping: &Mapping, endpoint: Option<(&str, Credentials)>) -> SdkConfig {
    let region = &mapping.identity_center.region;
    match endpoint {
        Some((url, credentials)) => sdk_config_for_endpoint(url, region, credentials),
        None => load_sdk_config(Some(region)).await,
    }
}

/// Every port for `mapping`: member accounts are reached through the role the mapping names
/// for them (or the caller's own credentials for `role: none` and unlisted accounts), as the
/// CLI reaches them (session `eks-sso-sync`).
pub async fn ports(mapping: &Arc<Mapping>, sdk: &SdkConfig) -> AwsPorts {
    ports_for(mapping, sdk, &MemberAccess::default())
}

/// [`ports`] for one function's member access: its role (instead of `member_role_name`) and
/// its session name.
pub fn ports_for(mapping: &Arc<Mapping>, sdk: &SdkConfig, access: &MemberAccess) -> AwsPorts {
    let roles = mapping.clone();
    let chooser = access.clone();
    AwsPorts::with_session(
        sdk,
        &mapping.identity_center.region,
        access.session_name.clone(),
        move |account| chooser.role_for(&roles, account),
    )
}

/// The engine context over `ports`.
pub fn context(mapping: Arc<Mapping>, ports: &AwsPorts) -> ReconcileContext {
    ReconcileContext::new(
        mapping,
        ports.connector.clone(),
        ports.sso_admin.clone(),
        ports.identity_store.clone(),
    )
}

/// Everything a Lambda function needs, built once per cold start from its environment.
pub struct FunctionRuntime {
    /// The engine context.
    pub ctx: ReconcileContext,
    /// The reconcile queue.
    pub queue: Arc<SdkJobQueue>,
}

/// Builds a function's runtime from its environment: settings, mapping (validated), clients.
pub async fn function_runtime() -> Result<FunctionRuntime, SetupError> {
    let settings = FunctionSettings::from_env()?;
    let base = load_sdk_config(None).await;
    let mapping = Arc::new(load_mapping(&settings.mapping, &base).await?);
    let sdk = sdk_config(&mapping, None).await;
    tracing::info!(
        session = %settings.member.session_name,
        role = settings.member.role_name.as_deref().unwrap_or(&mapping.member_role_name),
        "member-account access"
    );
    let ports = ports_for(&mapping, &sdk, &settings.member);
    let queue = Arc::new(SdkJobQueue::new(
        aws_sdk_sqs::Client::new(&base),
        settings.queue_url,
    ));
    Ok(FunctionRuntime {
        ctx: context(mapping, &ports),
        queue,
    })
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    fn settings(vars: &[(&str, &str)]) -> Result<FunctionSettings, SetupError> {
        let vars: BTreeMap<String, String> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        FunctionSettings::from_lookup(|name| vars.get(name).cloned())
    }

    #[test]
    fn defaults_to_the_bundled_mapping_file() {
        let s = settings(&[("RECONCILE_QUEUE_URL", "https://sqs/q.fifo")]).unwrap();
        assert_eq!(s.mapping, MappingSource::File("mapping.yaml".into()));
    }

    #[test]
    fn member_role_and_session_name_come_from_the_environment_once() {
        let q = ("RECONCILE_QUEUE_URL", "q");
        let defaults = settings(&[q, ("MEMBER_ROLE_NAME", "")]).unwrap().member;
        assert_eq!(defaults, MemberAccess::default());
        let reader = settings(&[
            q,
            ("MEMBER_ROLE_NAME", "eks-sso-sync-reader"),
            ("MEMBER_ROLE_SESSION_NAME", "eks-sso-sync-group-sync"),
        ])
        .unwrap()
        .member;
        assert_eq!(reader.role_name.as_deref(), Some("eks-sso-sync-reader"));
        assert_eq!(reader.session_name.as_str(), "eks-sso-sync-group-sync");
        let err = settings(&[q, ("MEMBER_ROLE_SESSION_NAME", "a b")]).unwrap_err();
        assert!(
            err.to_string().contains("MEMBER_ROLE_SESSION_NAME"),
            "{err}"
        );
        let err = settings(&[q, ("MEMBER_ROLE_SESSION_NAME", "reconciler")]).unwrap_err();
        assert!(
            err.to_string().contains("must start with \"eks-sso-sync\""),
            "{err}"
        );
        let err = settings(&[q, ("MEMBER_ROLE_NAME", "role/x")]).unwrap_err();
        assert!(err.to_string().contains("MEMBER_ROLE_NAME"), "{err}");
    }

    #[test]
    fn ssm_source_needs_a_parameter_name() {
        let err = settings(&[("RECONCILE_QUEUE_URL", "q"), ("MAPPING_SOURCE", "ssm")]).unwrap_err();
        assert!(err.to_string().contains("MAPPING_SSM_PARAMETER"), "{err}");
        let ok = settings(&[
            ("RECONCILE_QUEUE_URL", "q"),
            ("MAPPING_SOURCE", "ssm"),
            ("MAPPING_SSM_PARAMETER", "/eks-sso-sync/mapping"),
        ])
        .unwrap();
        assert_eq!(
            ok.mapping,
            MappingSource::Ssm("/eks-sso-sync/mapping".into())
        );
    }

    #[test]
    fn queue_url_is_required_and_unknown_sources_are_rejected() {
        assert!(
            settings(&[])
                .unwrap_err()
                .to_string()
                .contains("RECONCILE_QUEUE_URL")
        );
        let err = settings(&[("RECONCILE_QUEUE_URL", "q"), ("MAPPING_SOURCE", "s3")]).unwrap_err();
        assert!(err.to_string().contains("file or ssm"), "{err}");
    }

    #[tokio::test]
    async fn a_missing_file_falls_back_to_the_bundled_mapping() {
        let sdk = SdkConfig::builder().build();
        let missing = MappingSource::File("/nonexistent/eks-sso-sync/mapping.yaml".into());
        let mapping = load_mapping(&missing, &sdk).await.unwrap();
        assert!(mapping.rules.iter().any(|r| r.name == "platform-admins"));
    }

    #[tokio::test]
    async fn an_invalid_mapping_file_fails_with_the_report() {
        let dir = std::env::temp_dir().join(format!("eks-sso-sync-setup-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("mapping.yaml");
        std::fs::write(&path, "version: 2\nbogus: true\n").unwrap();
        let sdk = SdkConfig::builder().build();
        let err = load_mapping(&MappingSource::File(path), &sdk)
            .await
            .err()
            .unwrap();
        let text = err.to_string();
        assert!(text.contains("bogus") && text.contains("version"), "{text}");
    }
}
