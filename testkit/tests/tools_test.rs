//! The helpers against the real tools they start and run.

use std::net::TcpStream;
use std::time::{Duration, Instant};

use tollgate_testkit::{sdk_client, AwsCli, MotoServer};

#[tokio::test]
async fn moto_answers_the_sdk_with_its_own_empty_state() {
    let first = MotoServer::start();
    let second = MotoServer::start();
    assert_ne!(first.endpoint(), second.endpoint());

    sdk_client(&first.endpoint())
        .create_usage_plan()
        .name("only-in-first")
        .send()
        .await
        .expect("create a plan in the first moto");

    let count = |endpoint: String| async move {
        let plans = sdk_client(&endpoint)
            .get_usage_plans()
            .send()
            .await
            .expect("list plans");
        plans.items().len()
    };
    assert_eq!(count(first.endpoint()).await, 1);
    assert_eq!(count(second.endpoint()).await, 0);
}

#[test]
fn dropping_moto_stops_it() {
    let moto = MotoServer::start();
    let addr = moto
        .endpoint()
        .trim_start_matches("http://")
        .parse()
        .expect("endpoint is http://ip:port");
    drop(moto);
    let deadline = Instant::now() + Duration::from_secs(5);
    while TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
        assert!(Instant::now() < deadline, "moto still answers after drop");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn the_cli_ignores_the_callers_aws_settings_and_reaches_the_endpoint() {
    // A profile that does not exist would make the CLI fail if it leaked through.
    std::env::set_var("AWS_PROFILE", "tollgate-testkit-no-such-profile");
    let moto = MotoServer::start();
    let cli = AwsCli::new(&moto.endpoint());

    let created = cli.apigateway_json(&["create-usage-plan", "--name", "from-cli"]);
    let listed = cli.apigateway_json(&["get-usage-plans"]);

    assert_eq!(listed["items"][0]["id"], created["id"]);
    assert_eq!(listed["items"][0]["name"], "from-cli");
}

#[test]
fn a_failing_cli_call_reports_its_status_and_message() {
    let moto = MotoServer::start();
    let out =
        AwsCli::new(&moto.endpoint()).apigateway(&["get-usage-plan", "--usage-plan-id", "nope"]);
    assert!(!out.status.success());
    assert!(out.stderr.contains("NotFoundException"), "{}", out.stderr);
}
