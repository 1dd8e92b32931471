//! Bounded retries for the eventual-consistency windows AWS documents (AWS-FACTS §2): a
//! just-created role is "invalid principal" for a while, and a just-created entry can 404 on
//! `AssociateAccessPolicy`. The SDK already retries throttling and 5xx; this covers what the SDK
//! cannot know is transient.

use std::future::Future;
use std::time::Duration;

use crate::ports::{ErrorKind, PortError};

/// How long and how often to retry an operation that met a known-transient condition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Give up once this much time was spent waiting. AWS's windows are usually seconds, and
    /// rarely about two minutes for a brand-new role.
    pub max_wait: Duration,
    /// The first backoff; doubled after each attempt up to `max_backoff`.
    pub initial_backoff: Duration,
    /// The longest single backoff.
    pub max_backoff: Duration,
    /// How many extra attempts throttling / 5xx get on top of the SDK's own retries.
    pub transient_attempts: u32,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_wait: Duration::from_secs(120),
            initial_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(15),
            transient_attempts: 3,
        }
    }
}

impl RetryPolicy {
    /// A policy with tiny waits, for tests and the emulator.
    pub fn fast() -> Self {
        Self {
            max_wait: Duration::from_millis(400),
            initial_backoff: Duration::from_millis(5),
            max_backoff: Duration::from_millis(40),
            transient_attempts: 3,
        }
    }

    /// Runs `call` until it succeeds, fails with an error `retry_on` does not accept, or the
    /// budget is spent. Throttling and 5xx are retried `transient_attempts` times whatever
    /// `retry_on` says. Returns the last result and how many attempts were made.
    pub async fn run<T, F, Fut>(
        &self,
        retry_on: &[ErrorKind],
        mut call: F,
    ) -> (Result<T, PortError>, u32)
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, PortError>>,
    {
        let mut attempts = 0;
        let mut transient_left = self.transient_attempts;
        let mut waited = Duration::ZERO;
        let mut backoff = self.initial_backoff;
        loop {
            attempts += 1;
            let err = match call().await {
                Ok(value) => return (Ok(value), attempts),
                Err(err) => err,
            };
            let retryable = if err.is_transient() {
                let ok = transient_left > 0;
                transient_left = transient_left.saturating_sub(1);
                ok
            } else {
                retry_on.contains(&err.kind) && waited + backoff <= self.max_wait
            };
            if !retryable {
                return (Err(err), attempts);
            }
            tracing::debug!(operation = %err.operation, kind = ?err.kind, attempt = attempts, backoff_ms = backoff.as_millis() as u64, "retrying");
            tokio::time::sleep(backoff).await;
            waited += backoff;
            backoff = (backoff * 2).min(self.max_backoff);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU32, Ordering};

    use super::*;

    fn err(kind: ErrorKind) -> PortError {
        PortError::new(kind, "Op", "x")
    }

    #[tokio::test]
    async fn retries_listed_kinds_until_success() {
        let calls = AtomicU32::new(0);
        let (result, attempts) = RetryPolicy::fast()
            .run(&[ErrorKind::InvalidPrincipal], || async {
                if calls.fetch_add(1, Ordering::SeqCst) < 2 {
                    Err(err(ErrorKind::InvalidPrincipal))
                } else {
                    Ok(7)
                }
            })
            .await;
        assert_eq!(result, Ok(7));
        assert_eq!(attempts, 3);
    }

    #[tokio::test]
    async fn does_not_retry_other_kinds() {
        let (result, attempts) = RetryPolicy::fast()
            .run(&[ErrorKind::NotFound], || async {
                Err::<(), _>(err(ErrorKind::InvalidParameter))
            })
            .await;
        assert_eq!(result.unwrap_err().kind, ErrorKind::InvalidParameter);
        assert_eq!(attempts, 1);
    }

    #[tokio::test]
    async fn gives_up_when_the_window_is_spent() {
        let (result, attempts) = RetryPolicy::fast()
            .run(&[ErrorKind::NotFound], || async {
                Err::<(), _>(err(ErrorKind::NotFound))
            })
            .await;
        assert!(result.is_err());
        // 5 + 10 + 20 + 40 + 40 + 40 + 40 + 40 + 40 + 40 = 315 ms <= 400 ms; one more would exceed.
        assert!(attempts > 3 && attempts < 20, "{attempts}");
    }

    #[tokio::test]
    async fn transient_errors_get_a_bounded_number_of_retries() {
        let calls = AtomicU32::new(0);
        let (result, attempts) = RetryPolicy::fast()
            .run(&[], || async {
                calls.fetch_add(1, Ordering::SeqCst);
                Err::<(), _>(err(ErrorKind::Throttled))
            })
            .await;
        assert!(result.is_err());
        assert_eq!(attempts, 4);
    }
}
