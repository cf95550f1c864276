//! STS GetCallerIdentity: the real STS SDK client, pointed at the emulator, reads the
//! configured account (or the default one).

mod common;

use aws_sdk_sts::config::{BehaviorVersion, Credentials, Region};
use common::{raw, seeded, start_with};
use tollgate_sim::{Config, Sim, DEFAULT_ACCOUNT_ID};

/// The STS SDK client for `endpoint` with dummy credentials.
fn sts_client(endpoint: &str) -> aws_sdk_sts::Client {
    let config = aws_sdk_sts::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("testing", "testing", None, None, "test"))
        .endpoint_url(endpoint)
        .build();
    aws_sdk_sts::Client::from_conf(config)
}

#[tokio::test]
async fn get_caller_identity_answers_the_configured_account() {
    let (sim, _) = start_with(Config {
        account_id: Some("210987654321".into()),
        ..seeded()
    })
    .await;
    let identity = sts_client(&sim.endpoint())
        .get_caller_identity()
        .send()
        .await
        .expect("GetCallerIdentity");
    assert_eq!(identity.account(), Some("210987654321"));
    assert_eq!(
        identity.arn(),
        Some("arn:aws:iam::210987654321:user/tollgate-sim")
    );
    assert_eq!(identity.user_id(), Some("AIDASIM"));
    assert_eq!(sim.calls().get("GetCallerIdentity"), Some(&1));
}

#[tokio::test]
async fn the_default_account_is_123456789012() {
    let (sim, _) = start_with(seeded()).await;
    let identity = sts_client(&sim.endpoint())
        .get_caller_identity()
        .send()
        .await
        .expect("GetCallerIdentity");
    assert_eq!(identity.account(), Some(DEFAULT_ACCOUNT_ID));
    assert_eq!(DEFAULT_ACCOUNT_ID, "123456789012");
}

#[tokio::test]
async fn the_answer_is_sts_xml_and_needs_a_signature() {
    let (sim, _) = start_with(seeded()).await;
    let form = "Action=GetCallerIdentity&Version=2011-06-15";
    let answer = raw(&sim.endpoint(), "POST", "/", Some(form), true)
        .await
        .expect("an answer");
    assert_eq!(answer.status, 200);
    assert_eq!(answer.header("Content-Type").as_deref(), Some("text/xml"));
    assert!(answer.body.starts_with(
        "<GetCallerIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">"
    ));
    assert!(answer.body.contains("<Account>123456789012</Account>"));
    let unsigned = raw(&sim.endpoint(), "POST", "/", Some(form), false)
        .await
        .expect("an answer");
    assert_eq!(unsigned.status, 403);
}

#[tokio::test]
async fn an_account_id_that_is_not_12_digits_is_refused() {
    for bad in ["12345", "12345678901a", "1234567890123"] {
        let error = Sim::start(Config {
            account_id: Some(bad.into()),
            ..Config::default()
        })
        .await
        .expect_err("a bad account id is refused");
        assert_eq!(error.kind(), std::io::ErrorKind::InvalidInput);
        assert!(error.to_string().contains("account_id must be 12 digits"));
    }
}
