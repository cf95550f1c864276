//! The Rust SDK's API Gateway client, pointed at a local endpoint.

use aws_sdk_apigateway::config::retry::RetryConfig;
use aws_sdk_apigateway::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_apigateway::Client;

/// A client for `endpoint` (e.g. an emulator's or moto's) in `us-east-1` with dummy static
/// credentials and the SDK's default retries. Nothing is read from the environment or from
/// profiles, so the tests behave the same on every machine.
pub fn sdk_client(endpoint: &str) -> Client {
    client(endpoint, None)
}

/// [`sdk_client`] with retries off, so that every 429, 500 or dropped connection is seen by
/// the test.
pub fn sdk_client_without_retries(endpoint: &str) -> Client {
    client(endpoint, Some(RetryConfig::disabled()))
}

/// The client for `endpoint`; `retries` overrides the SDK's default retry configuration.
fn client(endpoint: &str, retries: Option<RetryConfig>) -> Client {
    let mut config = aws_sdk_apigateway::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new(
            "testing", "testing", None, None, "testkit",
        ))
        .endpoint_url(endpoint);
    config.set_retry_config(retries);
    Client::from_conf(config.build())
}
