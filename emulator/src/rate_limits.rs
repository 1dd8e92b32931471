//! Throttling as AWS throttles: token buckets per operation (or per service) and calling
//! account, at the documented rates, beside the random mode of [`crate::faults`]. A call that
//! finds its bucket empty is answered with the service's throttling error, so a client that
//! paces itself to the rate is never throttled and one that bursts is.
//!
//! The buckets are `governor`'s GCRA limiters (equivalent to a token bucket refilled at
//! `per_second` and holding `burst` tokens), on the real monotonic clock: rates are what a
//! benchmark measures in wall time, not in emulator-clock seconds.

use std::collections::BTreeMap;
use std::num::NonZeroU32;
use std::time::Duration;

use governor::clock::{Clock, MonotonicClock, Reference};
use governor::middleware::NoOpMiddleware;
use governor::state::{InMemoryState, NotKeyed};
use governor::{Quota, RateLimiter};
use serde::{Deserialize, Serialize};

/// What one bucket of a [`RateLimit`] covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum LimitScope {
    /// One bucket per operation and account (Identity Store: ≈ 20 requests/s per API).
    #[default]
    Operation,
    /// One bucket for every operation of the service, per account (`sso-admin`: ≈ 20
    /// requests/s in total).
    Service,
}

/// One token-bucket rule: calls to `service` (its SigV4 signing name, as the request log
/// shows it: `sso`, `identitystore`, `eks`, `iam`, `sts`, `sqs`) are admitted at `per_second`,
/// with up to `burst` at once after a quiet spell.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateLimit {
    /// The service's signing name.
    pub service: String,
    /// Whether each operation has its own bucket or they share one.
    #[serde(default)]
    pub scope: LimitScope,
    /// Sustained rate, in requests per second (> 0).
    pub per_second: f64,
    /// Bucket size; the rate rounded up (one second's worth) when not given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub burst: Option<u32>,
}

impl RateLimit {
    /// The limits AWS documents or is commonly observed to apply (AWS-FACTS §5): Identity
    /// Center administration ≈ 20 requests/s in total, the Identity Store ≈ 20 requests/s per
    /// API. EKS, IAM and STS limits are undocumented and are not modelled.
    pub fn aws_defaults() -> Vec<RateLimit> {
        vec![
            RateLimit {
                service: "sso".to_owned(),
                scope: LimitScope::Service,
                per_second: 20.0,
                burst: None,
            },
            RateLimit {
                service: "identitystore".to_owned(),
                scope: LimitScope::Operation,
                per_second: 20.0,
                burst: None,
            },
        ]
    }

    /// Why this rule cannot be enforced, if it cannot.
    pub fn problem(&self) -> Option<String> {
        if !(self.per_second.is_finite() && self.per_second > 0.0) {
            return Some(format!(
                "rate limit for '{}': per_second must be a positive number, got {}",
                self.service, self.per_second
            ));
        }
        if self.burst == Some(0) {
            return Some(format!(
                "rate limit for '{}': burst must be at least 1",
                self.service
            ));
        }
        None
    }

    fn burst_size(&self) -> NonZeroU32 {
        let default = self.per_second.ceil().clamp(1.0, f64::from(u32::MAX)) as u32;
        NonZeroU32::new(self.burst.unwrap_or(default)).unwrap_or(NonZeroU32::MIN)
    }

    fn quota(&self) -> Quota {
        let period = Duration::from_secs_f64(1.0 / self.per_second.max(f64::MIN_POSITIVE));
        // A period of zero (an absurd rate) cannot be a quota: admit at the finest period.
        let quota = Quota::with_period(period)
            .or_else(|| Quota::with_period(Duration::from_nanos(1)))
            .unwrap_or(Quota::per_second(NonZeroU32::MAX));
        quota.allow_burst(self.burst_size())
    }
}

/// A bucket that admitted this many bursts' worth of calls was used long enough for its
/// sustained rate to say something about the callers.
const BUSY_BURSTS: u64 = 3;

/// The bucket one call draws from.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct BucketKey {
    rule: usize,
    /// Empty for a service-wide bucket.
    operation: String,
    account: String,
}

/// One bucket: its limiter and what it admitted.
#[derive(Debug)]
struct Bucket<C: Clock> {
    limiter: RateLimiter<NotKeyed, InMemoryState, C, NoOpMiddleware<C::Instant>>,
    accepted: u64,
    throttled: u64,
    first_accepted: Option<C::Instant>,
    last_accepted: Option<C::Instant>,
}

/// What one bucket admitted: the benchmark's evidence of the sustained rate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BucketReport {
    /// The service's signing name.
    pub service: String,
    /// The operation, for a per-operation bucket.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operation: Option<String>,
    /// The calling account.
    pub account: String,
    /// The bucket's rate.
    pub per_second: f64,
    /// The bucket's size.
    pub burst: u32,
    /// Calls admitted.
    pub accepted: u64,
    /// Calls answered with the throttling error.
    pub throttled: u64,
    /// Milliseconds from the first to the last admitted call.
    pub span_ms: u64,
    /// Admitted calls per second beyond the initial burst, over that span: at most
    /// `per_second`, and close to it when callers kept the bucket busy. `None` when the bucket
    /// admitted fewer than three bursts' worth: too few calls for a rate to mean anything.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sustained_per_second: Option<f64>,
}

/// The buckets of a set of [`RateLimit`]s, created as calls arrive.
#[derive(Debug)]
pub struct Buckets<C: Clock = MonotonicClock> {
    limits: Vec<RateLimit>,
    clock: C,
    buckets: BTreeMap<BucketKey, Bucket<C>>,
}

impl Buckets<MonotonicClock> {
    /// Buckets for `limits` on the real clock.
    pub fn new(limits: Vec<RateLimit>) -> Self {
        Self::with_clock(limits, MonotonicClock)
    }
}

impl<C: Clock + Clone> Buckets<C> {
    /// Buckets for `limits` on `clock` (tests use a clock they advance).
    pub fn with_clock(limits: Vec<RateLimit>, clock: C) -> Self {
        Self {
            limits,
            clock,
            buckets: BTreeMap::new(),
        }
    }

    /// Takes a token for a call of `operation` on `service` by `account`: `true` to answer
    /// it, `false` to throttle it. Calls no rule covers are always admitted.
    pub fn admit(&mut self, service: &str, operation: &str, account: &str) -> bool {
        let Some((rule, limit)) = self
            .limits
            .iter()
            .enumerate()
            .find(|(_, l)| l.service == service)
        else {
            return true;
        };
        let key = BucketKey {
            rule,
            operation: match limit.scope {
                LimitScope::Operation => operation.to_owned(),
                LimitScope::Service => String::new(),
            },
            account: account.to_owned(),
        };
        let clock = &self.clock;
        let bucket = self.buckets.entry(key).or_insert_with(|| Bucket {
            limiter: RateLimiter::direct_with_clock(limit.quota(), clock.clone()),
            accepted: 0,
            throttled: 0,
            first_accepted: None,
            last_accepted: None,
        });
        if bucket.limiter.check().is_err() {
            bucket.throttled += 1;
            return false;
        }
        let now = self.clock.now();
        bucket.accepted += 1;
        bucket.first_accepted.get_or_insert(now);
        bucket.last_accepted = Some(now);
        true
    }

    /// Every bucket's counts, in rule, operation and account order.
    pub fn report(&self) -> Vec<BucketReport> {
        self.buckets
            .iter()
            .filter_map(|(key, bucket)| {
                let limit = self.limits.get(key.rule)?;
                let span = match (bucket.first_accepted, bucket.last_accepted) {
                    (Some(first), Some(last)) => Duration::from(last.duration_since(first)),
                    _ => Duration::ZERO,
                };
                let burst = limit.burst_size().get();
                let beyond_burst = bucket.accepted.saturating_sub(u64::from(burst));
                let busy = bucket.accepted >= BUSY_BURSTS * u64::from(burst);
                let sustained =
                    (busy && !span.is_zero()).then(|| beyond_burst as f64 / span.as_secs_f64());
                Some(BucketReport {
                    service: limit.service.clone(),
                    operation: (!key.operation.is_empty()).then(|| key.operation.clone()),
                    account: key.account.clone(),
                    per_second: limit.per_second,
                    burst,
                    accepted: bucket.accepted,
                    throttled: bucket.throttled,
                    span_ms: u64::try_from(span.as_millis()).unwrap_or(u64::MAX),
                    sustained_per_second: sustained,
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use governor::clock::FakeRelativeClock;

    use super::*;

    fn buckets(limits: Vec<RateLimit>) -> (Buckets<FakeRelativeClock>, FakeRelativeClock) {
        let clock = FakeRelativeClock::default();
        (Buckets::with_clock(limits, clock.clone()), clock)
    }

    #[test]
    fn a_full_bucket_admits_its_burst_then_refills_at_the_rate() {
        let (mut b, clock) = buckets(RateLimit::aws_defaults());
        let admitted = (0..30)
            .filter(|_| b.admit("sso", "ListPermissionSets", "1"))
            .count();
        assert_eq!(admitted, 20, "a bucket of 20 admits 20 at once");
        clock.advance(Duration::from_millis(500));
        let admitted = (0..30)
            .filter(|_| b.admit("sso", "ListInstances", "1"))
            .count();
        assert_eq!(
            admitted, 10,
            "half a second refills 10 tokens, shared by every sso operation"
        );
    }

    #[test]
    fn identity_store_buckets_are_per_operation_and_account() {
        let (mut b, _clock) = buckets(RateLimit::aws_defaults());
        assert_eq!(
            (0..25)
                .filter(|_| b.admit("identitystore", "ListGroups", "1"))
                .count(),
            20
        );
        assert!(
            b.admit("identitystore", "DescribeGroup", "1"),
            "another API has its own bucket"
        );
        assert!(
            b.admit("identitystore", "ListGroups", "2"),
            "another account has its own bucket"
        );
        assert!(!b.admit("identitystore", "ListGroups", "1"));
    }

    #[test]
    fn calls_no_rule_covers_are_never_throttled() {
        let (mut b, _clock) = buckets(RateLimit::aws_defaults());
        assert!((0..1000).all(|_| b.admit("eks", "ListAccessEntries", "1")));
        assert!(b.report().is_empty(), "no bucket is created for them");
    }

    #[test]
    fn the_report_gives_the_sustained_rate_beyond_the_burst() {
        let limit = RateLimit {
            service: "sso".to_owned(),
            scope: LimitScope::Service,
            per_second: 10.0,
            burst: Some(5),
        };
        let (mut b, clock) = buckets(vec![limit]);
        // A caller that tries every 10 ms for 10 s: 5 at once, then one per 100 ms.
        for _ in 0..1000 {
            b.admit("sso", "ListAccountAssignments", "111111111111");
            clock.advance(Duration::from_millis(10));
        }
        let report = b.report();
        assert_eq!(report.len(), 1);
        let r = &report[0];
        assert_eq!(r.operation, None);
        assert_eq!(r.accepted + r.throttled, 1000);
        assert!((103..=106).contains(&r.accepted), "{r:?}");
        let sustained = r.sustained_per_second.unwrap_or_default();
        assert!((9.8..=10.2).contains(&sustained), "{r:?}");
    }

    #[test]
    fn rules_that_cannot_be_enforced_say_why() {
        let mut limit = RateLimit::aws_defaults().remove(0);
        assert_eq!(limit.problem(), None);
        limit.per_second = 0.0;
        assert!(limit.problem().is_some_and(|p| p.contains("per_second")));
        limit.per_second = 5.0;
        limit.burst = Some(0);
        assert!(limit.problem().is_some_and(|p| p.contains("burst")));
    }
}
