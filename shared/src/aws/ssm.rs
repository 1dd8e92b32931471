//! Reading one SSM parameter (the mapping file may live there instead of in the deployment).

use aws_sdk_ssm::Client;

use crate::aws::errors::{port_error, unexpected_response};
use crate::ports::PortError;

/// `GetParameter(WithDecryption)`: the value of parameter `name` (a `SecureString` is decrypted).
pub async fn read_parameter(client: &Client, name: &str) -> Result<String, PortError> {
    const OP: &str = "GetParameter";
    let out = client
        .get_parameter()
        .name(name)
        .with_decryption(true)
        .send()
        .await
        .map_err(|e| port_error(OP, e))?;
    out.parameter()
        .and_then(|p| p.value())
        .map(str::to_owned)
        .ok_or_else(|| unexpected_response(OP, format!("parameter {name} has no value")))
}
