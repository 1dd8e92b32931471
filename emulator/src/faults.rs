//! Fault injection: added latency, throttling, server errors and the eventual-consistency
//! window, drawn from a seeded generator so that a run can be reproduced exactly; and
//! throttling as AWS throttles, by token buckets ([`crate::rate_limits`]).

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::rate_limits::{BucketReport, Buckets, RateLimit};

/// The faults to inject into service calls (never into the admin API).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct Faults {
    /// Latency added to every service call, in milliseconds.
    pub latency_ms: u64,
    /// Share of calls (0–1) answered with the service's throttling error.
    pub throttle_rate: f64,
    /// Share of calls (0–1) answered with a server error.
    pub error_rate: f64,
    /// Seed of the fault generator: the same seed gives the same sequence of faults.
    pub seed: u64,
    /// Eventual-consistency window in emulator-clock seconds: a role younger than this is an
    /// "invalid principal" to CreateAccessEntry, and AssociateAccessPolicy on a younger entry 404s.
    pub consistency_window_seconds: u64,
    /// Token buckets per operation (or service) and account: a call finding its bucket empty
    /// gets the throttling error, whatever the random draw. Empty: no buckets.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub rate_limits: Vec<RateLimit>,
}

impl Faults {
    /// Why these faults cannot be injected, if they cannot: rates outside 0..1 or a rate limit
    /// that is not a positive rate.
    pub fn problem(&self) -> Option<String> {
        let share = |x: f64| (0.0..=1.0).contains(&x);
        if !share(self.throttle_rate)
            || !share(self.error_rate)
            || !share(self.throttle_rate + self.error_rate)
        {
            return Some(
                "throttle_rate and error_rate must be within 0..1 and add up to at most 1"
                    .to_owned(),
            );
        }
        self.rate_limits.iter().find_map(RateLimit::problem)
    }
}

/// What to do to one service call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Injected {
    /// Answer normally.
    Nothing,
    /// Answer with the throttling error.
    Throttle,
    /// Answer with a server error.
    ServerError,
}

/// Draws one decision per service call from a generator seeded by [`Faults::seed`], and keeps
/// the token buckets of [`Faults::rate_limits`].
#[derive(Debug)]
pub struct FaultInjector {
    faults: Faults,
    rng: ChaCha8Rng,
    buckets: Buckets,
}

impl FaultInjector {
    /// An injector for `faults`, its generator freshly seeded and its buckets full.
    pub fn new(faults: Faults) -> Self {
        let rng = ChaCha8Rng::seed_from_u64(faults.seed);
        let buckets = Buckets::new(faults.rate_limits.clone());
        Self {
            faults,
            rng,
            buckets,
        }
    }

    /// The decision for the next call of `operation` on `service` by `account`: throttled when
    /// its token bucket is empty, else the random draw. The draw is made either way, so the
    /// random sequence still depends only on the seed and the number of calls.
    pub fn decide(&mut self, service: &str, operation: &str, account: &str) -> Injected {
        let drawn = self.draw();
        if self.buckets.admit(service, operation, account) {
            drawn
        } else {
            Injected::Throttle
        }
    }

    /// What each token bucket admitted and throttled so far.
    pub fn bucket_report(&self) -> Vec<BucketReport> {
        self.buckets.report()
    }

    /// The configured faults.
    pub fn faults(&self) -> &Faults {
        &self.faults
    }

    /// The decision for the next call. Exactly one number is drawn per call whatever the
    /// rates, so the decision sequence depends only on the seed and the number of calls.
    pub fn draw(&mut self) -> Injected {
        let roll: f64 = self.rng.random();
        if roll < self.faults.throttle_rate {
            Injected::Throttle
        } else if roll < self.faults.throttle_rate + self.faults.error_rate {
            Injected::ServerError
        } else {
            Injected::Nothing
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_sequence_and_rates_are_respected() {
        let faults = Faults {
            throttle_rate: 0.3,
            error_rate: 0.2,
            seed: 42,
            ..Faults::default()
        };
        let run = |f: &Faults| {
            let mut injector = FaultInjector::new(f.clone());
            (0..1000).map(|_| injector.draw()).collect::<Vec<_>>()
        };
        let first = run(&faults);
        assert_eq!(first, run(&faults));
        assert_ne!(
            first,
            run(&Faults {
                seed: 43,
                ..faults.clone()
            })
        );
        let throttled = first.iter().filter(|d| **d == Injected::Throttle).count();
        let failed = first
            .iter()
            .filter(|d| **d == Injected::ServerError)
            .count();
        assert!((250..350).contains(&throttled), "{throttled}");
        assert!((150..250).contains(&failed), "{failed}");
        assert!(
            run(&Faults::default())
                .iter()
                .all(|d| *d == Injected::Nothing)
        );
    }
}
