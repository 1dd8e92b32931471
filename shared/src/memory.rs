//! In-memory implementations of the ports, for pure engine tests.
