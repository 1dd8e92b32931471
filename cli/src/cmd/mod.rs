//! One module per subcommand.

pub mod bench;
pub mod demo;
pub mod emulator;
pub mod explain;
pub mod handle_event;
pub mod import_aws_auth;
pub mod plan;
pub mod validate;
