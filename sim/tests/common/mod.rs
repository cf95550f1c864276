//! What the emulator's SDK tests share: the seed, a started emulator with its SDK client,
//! error inspection and a raw HTTP helper for what the SDK cannot send (unsigned requests,
//! admin routes).

#![allow(dead_code)] // each test file uses its own part of this module

use aws_sdk_apigateway::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_apigateway::types::{Op, PatchOperation};
use aws_sdk_apigateway::Client;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tollgate_sim::{ClockMode, Config, Seed, Sim};
use tollgate_testkit::sdk_client_without_retries;

/// The REST API the emulator's tests seed: `a1b2c3d4e5`, "pets", with stages prod and beta and
/// `/pets` answering GET and POST. Kept in `pets_api.yaml` (`sim/src/seed.rs`'s unit tests read
/// it too); a seed may go on with more resources of this API or with other top-level fields.
pub const PETS_API: &str = include_str!("pets_api.yaml");

/// The seed most tests start from: [`PETS_API`] with a second resource, a second API, three
/// keys, one plan.
pub const SEED: &str = concat!(
    include_str!("pets_api.yaml"),
    r#"      /pets/{petId}: [GET, DELETE]
  - id: zz9zz9zz9z
    name: shop
    stages: [prod]
    resources:
      /orders: [GET]
region: us-east-1
apiKeys:
  - id: key1alice1
    name: alice
    value: alice-value-0123456789abcdef
  - id: key2bobbob
    name: bob
    value: bob-value-0123456789abcdef
  - id: key3carol3
    name: carol
    value: carol-value-0123456789abcdef
usagePlans:
  - id: ywbqww
    name: Gold
    description: Paying customers
    throttle: { rateLimit: 100, burstLimit: 200 }
    quota: { limit: 1000, offset: 0, period: MONTH }
    apiStages:
      - apiId: a1b2c3d4e5
        stage: prod
        throttle: { /pets/GET: { rateLimit: 10, burstLimit: 20 } }
    tags: { team: payments }
    keys: [key1alice1]
"#
);

/// 2024-06-05T12:00:00Z, a Wednesday: where manual clocks start.
pub const START: i64 = 1_717_588_800;

/// A config with the test seed and a manual clock at [`START`].
pub fn seeded() -> Config {
    Config {
        seed: Some(Seed::from_yaml_str(SEED).expect("the test seed is valid")),
        clock: ClockMode::Manual { start: START },
        ..Config::default()
    }
}

/// Starts an emulator with the test seed.
pub async fn start() -> (Sim, Client) {
    start_with(seeded()).await
}

/// Starts an emulator with `config` and returns it with an SDK client that does not retry
/// (so every 429, 500 or dropped connection is seen by the test).
pub async fn start_with(config: Config) -> (Sim, Client) {
    let sim = Sim::start(config).await.expect("the emulator starts");
    let client = sdk_client_without_retries(&sim.endpoint());
    (sim, client)
}

/// Reads the seed's plan Gold (`ywbqww`), which must answer.
pub async fn get_gold(
    client: &Client,
) -> aws_sdk_apigateway::operation::get_usage_plan::GetUsagePlanOutput {
    client
        .get_usage_plan()
        .usage_plan_id("ywbqww")
        .send()
        .await
        .unwrap()
}

/// A patch operation; `value` is left out when `None`.
pub fn patch_op(op: &str, path: &str, value: Option<&str>) -> PatchOperation {
    PatchOperation::builder()
        .op(Op::from(op))
        .path(path)
        .set_value(value.map(str::to_string))
        .build()
}

/// What a failed call answered: HTTP status, error name and message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub status: u16,
    pub code: String,
    pub message: String,
}

/// Unpacks a service error returned by the SDK.
pub fn failure<E: ProvideErrorMetadata, T>(
    result: Result<T, SdkError<E, aws_sdk_apigateway::config::http::HttpResponse>>,
) -> Failure {
    let Err(error) = result else {
        panic!("the call was expected to fail")
    };
    Failure {
        status: error.raw_response().map_or(0, |r| r.status().as_u16()),
        code: error.code().unwrap_or_default().to_string(),
        message: error.message().unwrap_or_default().to_string(),
    }
}

/// Asserts a 400 BadRequestException with exactly `message`.
pub fn assert_bad_request(failure: &Failure, message: &str) {
    assert_eq!(
        (
            failure.status,
            failure.code.as_str(),
            failure.message.as_str()
        ),
        (400, "BadRequestException", message)
    );
}

/// A raw HTTP answer.
#[derive(Debug)]
pub struct RawResponse {
    pub status: u16,
    pub head: String,
    pub body: String,
}

impl RawResponse {
    /// The status and the error's name (`x-amzn-ErrorType`, empty when absent).
    pub fn error_kind(&self) -> (u16, String) {
        let name = self.header("x-amzn-ErrorType").unwrap_or_default();
        (self.status, name)
    }

    /// The body as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).expect("a JSON body")
    }

    /// A header's value (case-insensitive name).
    pub fn header(&self, name: &str) -> Option<String> {
        self.head.lines().find_map(|line| {
            let (n, v) = line.split_once(':')?;
            n.eq_ignore_ascii_case(name).then(|| v.trim().to_string())
        })
    }
}

/// Sends one HTTP/1.1 request and reads the whole answer; `signed` adds an `Authorization`
/// header of the SigV4 form (the emulator accepts any).
pub async fn raw(
    endpoint: &str,
    method: &str,
    path: &str,
    body: Option<&str>,
    signed: bool,
) -> std::io::Result<RawResponse> {
    let host = endpoint.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(host).await?;
    let body = body.unwrap_or("");
    let auth = if signed {
        "Authorization: AWS4-HMAC-SHA256 Credential=AKIDTEST/20240605/us-east-1/apigateway/aws4_request\r\n"
    } else {
        ""
    };
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n{auth}Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await?;
    let (head, body) = answer.split_once("\r\n\r\n").unwrap_or((&answer, ""));
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    Ok(RawResponse {
        status,
        head: head.to_string(),
        body: body.to_string(),
    })
}
