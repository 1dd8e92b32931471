//! Fault injection: added latency, throttling, server errors and the eventual-consistency
//! window, drawn from a seeded generator so that a run can be reproduced exactly.

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

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

/// Draws one decision per service call from a generator seeded by [`Faults::seed`].
#[derive(Debug, Clone)]
pub struct FaultInjector {
    faults: Faults,
    rng: ChaCha8Rng,
}

impl FaultInjector {
    /// An injector for `faults`, its generator freshly seeded.
    pub fn new(faults: Faults) -> Self {
        let rng = ChaCha8Rng::seed_from_u64(faults.seed);
        Self { faults, rng }
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
