//! The exit codes of `plan`, `apply` and `validate --online`, one table for scripts and CI
//! gates (README, "Operator CLI").

/// Everything is in sync and nothing needs a person.
pub const IN_SYNC: u8 = 0;
/// Something failed: a read, a listing, an operation, or the command itself.
pub const ERROR: u8 = 1;
/// `plan` only: changes are pending, and nothing needs attention.
pub const CHANGES_PENDING: u8 = 2;
/// Needs attention: problems were found (a name that does not resolve...), operations were
/// withheld (held by a problem, over the deletion limit, refused by the lockout guard), or a
/// cluster out of scope carries managed entries. For `apply`, the safe part was applied.
pub const NEEDS_ATTENTION: u8 = 3;
/// Interrupted by Ctrl-C (128 + SIGINT): the clusters done so far are reported.
pub const INTERRUPTED: u8 = 130;
/// stdout was closed before everything was printed (`| head`): 128 + SIGPIPE, the status a
/// shell reports for a tool the signal ended, without the signal (which would also end the
/// process on a closed socket of the embedded emulator).
pub const STDOUT_CLOSED: u8 = 141;
