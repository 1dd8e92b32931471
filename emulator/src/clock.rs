//! The emulator clock: wall time plus an offset that tests move forward, so that slow AWS
//! transitions (a cluster `CREATING` for ten minutes) can be skipped without sleeping.

use time::{Duration, OffsetDateTime};

/// Emulator time = wall time (or a fixed instant, for pure tests) + an offset.
#[derive(Debug, Clone)]
pub struct Clock {
    offset: Duration,
    fixed: Option<OffsetDateTime>,
}

impl Default for Clock {
    fn default() -> Self {
        Self::wall()
    }
}

impl Clock {
    /// A clock that follows wall time.
    pub fn wall() -> Self {
        Self {
            offset: Duration::ZERO,
            fixed: None,
        }
    }

    /// A clock frozen at `at` (moved only by [`Clock::advance`]); makes unit tests deterministic.
    pub fn fixed(at: OffsetDateTime) -> Self {
        Self {
            offset: Duration::ZERO,
            fixed: Some(at),
        }
    }

    /// The current emulator time.
    pub fn now(&self) -> OffsetDateTime {
        self.fixed.unwrap_or_else(OffsetDateTime::now_utc) + self.offset
    }

    /// Moves emulator time forward by `seconds` (negative values are ignored: time never goes back).
    pub fn advance(&mut self, seconds: f64) {
        if seconds > 0.0 {
            self.offset += Duration::seconds_f64(seconds);
        }
    }

    /// How far emulator time is ahead of its base, in seconds.
    pub fn offset_seconds(&self) -> f64 {
        self.offset.as_seconds_f64()
    }
}

/// Epoch seconds with millisecond precision: the timestamp encoding of restJson1 and awsJson.
pub fn epoch_seconds(at: OffsetDateTime) -> f64 {
    (at.unix_timestamp_nanos() / 1_000_000) as f64 / 1000.0
}

/// ISO-8601 in UTC with whole seconds (`2024-05-01T12:00:00Z`): the awsQuery XML encoding.
pub fn iso8601(at: OffsetDateTime) -> String {
    let at = at.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute(),
        at.second()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn fixed_clock_moves_only_by_advance() {
        let mut clock = Clock::fixed(datetime!(2024-05-01 12:00:00 UTC));
        clock.advance(90.5);
        clock.advance(-1000.0);
        assert_eq!(clock.now(), datetime!(2024-05-01 12:01:30.5 UTC));
        assert_eq!(clock.offset_seconds(), 90.5);
    }

    #[test]
    fn encodings() {
        let at = datetime!(2024-05-01 12:00:00.1234 UTC);
        assert_eq!(epoch_seconds(at), 1_714_564_800.123);
        assert_eq!(iso8601(at), "2024-05-01T12:00:00Z");
    }
}
