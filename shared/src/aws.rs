//! The AWS SDK adapters implementing the ports.
