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

/// A client that does not retry, signing with `access_key` for `region`: the emulator serves
/// the account its seed gives that key (its own for any other key) in that region.
pub fn sdk_client_as(endpoint: &str, access_key: &str, region: &str) -> Client {
    client_as(endpoint, Some(RetryConfig::disabled()), access_key, region)
}

/// The client for `endpoint`; `retries` overrides the SDK's default retry configuration.
fn client(endpoint: &str, retries: Option<RetryConfig>) -> Client {
    client_as(endpoint, retries, "testing", "us-east-1")
}

fn client_as(
    endpoint: &str,
    retries: Option<RetryConfig>,
    access_key: &str,
    region: &str,
) -> Client {
    let mut config = aws_sdk_apigateway::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(region.to_owned()))
        .credentials_provider(Credentials::new(
            access_key, "testing", None, None, "testkit",
        ))
        .endpoint_url(endpoint);
    config.set_retry_config(retries);
    Client::from_conf(config.build())
}
