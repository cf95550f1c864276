//! The Rust SDK's API Gateway client, pointed at a local endpoint.

use aws_sdk_apigateway::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_apigateway::Client;

/// A client for `endpoint` (e.g. an emulator's or moto's) in `us-east-1` with dummy static
/// credentials. Nothing is read from the environment or from profiles, so the tests behave
/// the same on every machine.
pub fn sdk_client(endpoint: &str) -> Client {
    let config = aws_sdk_apigateway::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new(
            "testing", "testing", None, None, "testkit",
        ))
        .endpoint_url(endpoint)
        .build();
    Client::from_conf(config)
}
