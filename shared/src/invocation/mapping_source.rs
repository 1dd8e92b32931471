//! Where a function's mapping comes from, decided once at init and failing closed: a configured
//! source that cannot be read fails the init instead of falling back to something else. The
//! mapping compiled into the binary is a source of its own (`MAPPING_SOURCE=embedded`), used
//! only when chosen or when nothing at all is configured. The source and the mapping's SHA-256
//! are logged at init and recorded on every invocation's span.
//!
//! Why not `aws::setup::load_mapping`: it falls back to the compiled-in mapping when the file is
//! missing, and since `sam build` packages only `bootstrap`, every SAM deployment silently ran
//! on that fallback. The CLI keeps using `aws::setup`; the functions start here.

use std::path::PathBuf;
use std::sync::Arc;

use aws_config::SdkConfig;

use crate::aws::setup::{self, BUNDLED_MAPPING, SetupError};
use crate::aws::{SdkJobQueue, load_sdk_config, read_parameter};
use crate::config::Mapping;
use crate::engine::ReconcileContext;

/// Where the mapping comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MappingSource {
    /// The repository's `mapping.yaml`, compiled into the binary at build time.
    Embedded,
    /// A file in the deployment package (`MAPPING_PATH`); it must exist.
    File(PathBuf),
    /// An SSM parameter, optionally pinned to a version (`name:version`, SSM's own selector) so
    /// warm containers of one deploy cannot run different mapping versions.
    Ssm {
        /// The parameter name.
        name: String,
        /// The pinned version, if any.
        version: Option<u64>,
    },
}

impl MappingSource {
    /// How the source is named in logs: `embedded`, `file:<path>`, `ssm:<name>[:<version>]`.
    pub fn label(&self) -> String {
        match self {
            Self::Embedded => "embedded".to_owned(),
            Self::File(path) => format!("file:{}", path.display()),
            Self::Ssm {
                name,
                version: None,
            } => format!("ssm:{name}"),
            Self::Ssm {
                name,
                version: Some(v),
            } => format!("ssm:{name}:{v}"),
        }
    }
}

/// What a function reads from its environment, once, at init.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunctionEnvironment {
    /// `MAPPING_SOURCE` (`embedded`, `file`, `ssm`) with `MAPPING_PATH`, `MAPPING_SSM_PARAMETER`
    /// and `MAPPING_SSM_VERSION`.
    pub mapping: MappingSource,
    /// `RECONCILE_QUEUE_URL`.
    pub queue_url: String,
}

impl FunctionEnvironment {
    /// Reads the environment.
    pub fn from_env() -> Result<Self, SetupError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads the settings through `lookup` (the environment, or a map in tests). Empty values
    /// count as unset (CloudFormation cannot omit a variable conditionally without `!If`).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, SetupError> {
        let get = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
        let env = |m: String| SetupError::Environment(m);
        let path = get("MAPPING_PATH");
        let mapping = match (get("MAPPING_SOURCE").as_deref(), path) {
            (None, None) => MappingSource::Embedded,
            (None | Some("file"), Some(path)) => MappingSource::File(path.into()),
            (Some("file"), None) => {
                return Err(env("MAPPING_SOURCE=file needs MAPPING_PATH".into()));
            }
            (Some("embedded"), None) => MappingSource::Embedded,
            (Some("embedded" | "ssm"), Some(path)) => {
                return Err(env(format!(
                    "MAPPING_PATH={path} is set but MAPPING_SOURCE is not file: refusing to guess which mapping is meant"
                )));
            }
            (Some("ssm"), None) => ssm_source(&get)?,
            (Some(other), _) => {
                return Err(env(format!(
                    "MAPPING_SOURCE must be embedded, file or ssm, not {other:?}"
                )));
            }
        };
        let queue_url = get("RECONCILE_QUEUE_URL")
            .ok_or_else(|| env("RECONCILE_QUEUE_URL is not set".into()))?;
        Ok(Self { mapping, queue_url })
    }
}

fn ssm_source(get: &impl Fn(&str) -> Option<String>) -> Result<MappingSource, SetupError> {
    let name = get("MAPPING_SSM_PARAMETER").ok_or_else(|| {
        SetupError::Environment("MAPPING_SOURCE=ssm needs MAPPING_SSM_PARAMETER".into())
    })?;
    let version = match get("MAPPING_SSM_VERSION") {
        None => None,
        Some(v) => Some(v.trim().parse::<u64>().map_err(|_| {
            SetupError::Environment(format!(
                "MAPPING_SSM_VERSION must be a version number, not {v:?}"
            ))
        })?),
    };
    Ok(MappingSource::Ssm { name, version })
}

/// A validated mapping and where it came from.
#[derive(Debug, Clone)]
pub struct LoadedMapping {
    /// The mapping.
    pub mapping: Mapping,
    /// Its source, as [`MappingSource::label`] names it.
    pub source: String,
}

pub use crate::config::sha256_hex;

/// Reads and validates the mapping from `source`. Nothing falls back: a missing file or
/// parameter is an error naming it.
pub async fn load_mapping(
    source: &MappingSource,
    sdk: &SdkConfig,
) -> Result<LoadedMapping, SetupError> {
    let label = source.label();
    let text = match source {
        MappingSource::Embedded => BUNDLED_MAPPING.to_owned(),
        MappingSource::File(path) => std::fs::read_to_string(path).map_err(|e| {
            SetupError::MappingSource(format!(
                "MAPPING_PATH {} cannot be read: {e} (sam build packages only the binary; use MAPPING_SOURCE=embedded or ssm)",
                path.display()
            ))
        })?,
        MappingSource::Ssm { name, version } => {
            let selector = match version {
                Some(v) => format!("{name}:{v}"),
                None => name.clone(),
            };
            let client = aws_sdk_ssm::Client::new(sdk);
            read_parameter(&client, &selector)
                .await
                .map_err(|e| SetupError::MappingSource(format!("{label}: {e}")))?
        }
    };
    let mapping = Mapping::from_str(&text, &label).map_err(SetupError::InvalidMapping)?;
    Ok(LoadedMapping {
        mapping,
        source: label,
    })
}

/// Everything a Lambda function needs, built once per cold start from its environment.
pub struct FunctionRuntime {
    /// The engine context.
    pub ctx: ReconcileContext,
    /// The reconcile queue.
    pub queue: Arc<SdkJobQueue>,
    /// The SQS client the queue uses (the reconciler also dead-letters poison messages with it).
    pub sqs: aws_sdk_sqs::Client,
}

/// Builds a function's runtime from its environment: settings, mapping (validated, source and
/// hash logged), clients. Any failure fails the init, so a bad deploy changes nothing.
pub async fn function_runtime() -> Result<FunctionRuntime, SetupError> {
    let environment = FunctionEnvironment::from_env()?;
    let base = load_sdk_config(None).await;
    let loaded = load_mapping(&environment.mapping, &base).await?;
    if matches!(
        environment.mapping,
        MappingSource::Ssm { version: None, .. }
    ) {
        tracing::warn!(
            source = %loaded.source,
            "mapping parameter not pinned (MAPPING_SSM_VERSION): warm containers keep the version they started with"
        );
    }
    tracing::info!(source = %loaded.source, mapping_sha256 = %loaded.mapping.sha256, "mapping loaded");
    let mapping = Arc::new(loaded.mapping);
    let sdk = setup::sdk_config(&mapping, None).await;
    let ports = setup::ports(&mapping, &sdk).await;
    let sqs = aws_sdk_sqs::Client::new(&base);
    let queue = Arc::new(SdkJobQueue::new(sqs.clone(), environment.queue_url));
    Ok(FunctionRuntime {
        ctx: setup::context(mapping, &ports),
        queue,
        sqs,
    })
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    fn environment(vars: &[(&str, &str)]) -> Result<FunctionEnvironment, SetupError> {
        let vars: BTreeMap<String, String> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        FunctionEnvironment::from_lookup(|name| vars.get(name).cloned())
    }

    const QUEUE: (&str, &str) = ("RECONCILE_QUEUE_URL", "https://sqs/q.fifo");

    #[test]
    fn nothing_configured_means_the_embedded_mapping() {
        let env = environment(&[QUEUE]).unwrap();
        assert_eq!(env.mapping, MappingSource::Embedded);
        let env = environment(&[QUEUE, ("MAPPING_SOURCE", "embedded")]).unwrap();
        assert_eq!(env.mapping, MappingSource::Embedded);
    }

    #[test]
    fn a_configured_path_means_a_file_and_contradictions_are_refused() {
        let env = environment(&[QUEUE, ("MAPPING_PATH", "m.yaml")]).unwrap();
        assert_eq!(env.mapping, MappingSource::File("m.yaml".into()));
        let err = environment(&[QUEUE, ("MAPPING_SOURCE", "file")]).unwrap_err();
        assert!(err.to_string().contains("MAPPING_PATH"), "{err}");
        let err = environment(&[
            QUEUE,
            ("MAPPING_SOURCE", "embedded"),
            ("MAPPING_PATH", "m.yaml"),
        ])
        .unwrap_err();
        assert!(err.to_string().contains("refusing to guess"), "{err}");
        let err = environment(&[QUEUE, ("MAPPING_SOURCE", "s3")]).unwrap_err();
        assert!(err.to_string().contains("embedded, file or ssm"), "{err}");
    }

    #[test]
    fn an_ssm_source_may_be_pinned_to_a_version() {
        let vars = [
            QUEUE,
            ("MAPPING_SOURCE", "ssm"),
            ("MAPPING_SSM_PARAMETER", "/eks-sso-sync/mapping"),
            ("MAPPING_SSM_VERSION", "7"),
        ];
        let env = environment(&vars).unwrap();
        assert_eq!(env.mapping.label(), "ssm:/eks-sso-sync/mapping:7");
        let err = environment(&[vars[0], vars[1], vars[2], ("MAPPING_SSM_VERSION", "latest")])
            .unwrap_err();
        assert!(err.to_string().contains("MAPPING_SSM_VERSION"), "{err}");
        assert!(environment(&[QUEUE, ("MAPPING_SOURCE", "ssm")]).is_err());
    }

    #[tokio::test]
    async fn a_configured_file_that_is_missing_fails_instead_of_falling_back() {
        let sdk = SdkConfig::builder().build();
        let missing = MappingSource::File("/nonexistent/eks-sso-sync/mapping.yaml".into());
        let err = load_mapping(&missing, &sdk).await.expect_err("an error");
        assert!(matches!(err, SetupError::MappingSource(_)), "{err}");
        assert!(
            err.to_string().contains("/nonexistent/eks-sso-sync"),
            "{err}"
        );
    }

    #[tokio::test]
    async fn the_embedded_mapping_is_named_and_hashed() {
        let sdk = SdkConfig::builder().build();
        let loaded = load_mapping(&MappingSource::Embedded, &sdk).await.unwrap();
        assert_eq!(loaded.source, "embedded");
        assert_eq!(loaded.mapping.sha256, sha256_hex(BUNDLED_MAPPING));
        assert_eq!(loaded.mapping.sha256.len(), 64);
        assert!(
            loaded
                .mapping
                .rules
                .iter()
                .any(|r| r.name == "platform-admins")
        );
    }

    #[test]
    fn the_hash_is_sha256() {
        // The well-known digest of "abc" (FIPS 180-2, appendix B.1).
        assert_eq!(
            sha256_hex("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
