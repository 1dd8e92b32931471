//! Workspace integration tests live in `tests/tests/`; this library is intentionally empty.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]
