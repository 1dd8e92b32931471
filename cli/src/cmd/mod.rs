//! One module per subcommand.

pub mod bench;
pub mod plan;
pub mod validate;
