//! The parts around the operations: signatures, the error shape, the `/_sim` admin routes, the
//! state dump, `BlockingSim`, and the binary's startup.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{get_gold, raw, seeded, start, SEED};
use serde_json::json;
use tollgate_sim::{BlockingSim, ClockMode, Config, Seed};
use tollgate_testkit::sdk_client_without_retries;

#[tokio::test]
async fn an_unsigned_request_is_refused_like_aws() {
    let (sim, _client) = start().await;
    let answer = raw(&sim.endpoint(), "GET", "/usageplans", None, false)
        .await
        .unwrap();
    assert_eq!(
        answer.error_kind(),
        (403, "MissingAuthenticationTokenException".to_string())
    );
    assert_eq!(
        answer.json(),
        json!({ "message": "Missing Authentication Token" })
    );
    assert!(answer.header("x-amzn-RequestId").is_some());
    let unknown = raw(&sim.endpoint(), "GET", "/nothing/here", None, true)
        .await
        .unwrap();
    assert_eq!(unknown.error_kind(), (404, "NotFoundException".to_string()));
    assert!(
        sim.calls().is_empty(),
        "refused and unknown requests are not counted"
    );
}

#[tokio::test]
async fn errors_carry_their_name_and_a_message() {
    let (sim, _client) = start().await;
    let answer = raw(&sim.endpoint(), "GET", "/usageplans/nope", None, true)
        .await
        .unwrap();
    assert_eq!(answer.error_kind(), (404, "NotFoundException".to_string()));
    assert_eq!(
        answer.header("Content-Type").as_deref(),
        Some("application/json")
    );
    assert_eq!(
        answer.json(),
        json!({ "message": "Invalid Usage Plan ID specified" })
    );
    let not_json = raw(
        &sim.endpoint(),
        "POST",
        "/usageplans",
        Some("{not json"),
        true,
    )
    .await
    .unwrap();
    assert_eq!(not_json.status, 400);
    assert!(not_json.json()["message"]
        .as_str()
        .unwrap()
        .starts_with("Could not parse request body into json"));
    // Wrong types and unknown members are named, in AWS's words, in every create body.
    for (path, body, message) in [
        (
            "/usageplans",
            r#"{"name":"X","quota":{"limit":"100","period":"DAY"}}"#,
            r#"1 validation error detected: Value '"100"' at 'quota.limit' failed to satisfy constraint: Member must be an integer, not a string"#,
        ),
        (
            "/usageplans",
            r#"{"name":"X","apiStages":[{"apiId":"a1b2c3d4e5","stage":"prod","throttle":{"/pets/GET":{"rateLimit":"fast"}}}]}"#,
            r#"1 validation error detected: Value '"fast"' at 'apiStages[0].throttle./pets/GET.rateLimit' failed to satisfy constraint: Member must be a number, not a string"#,
        ),
        (
            "/usageplans",
            r#"{"name":"X","throttle":{"burstLimit":1.5}}"#,
            "1 validation error detected: Value '1.5' at 'throttle.burstLimit' failed to satisfy constraint: Member must be an integer, not a decimal number",
        ),
        (
            "/usageplans",
            r#"{"name":"X","quota":{"limit":18446744073709551615,"period":"DAY"}}"#,
            "1 validation error detected: Value '18446744073709551615' at 'quota.limit' failed to satisfy constraint: Member must be an integer of at most 9223372036854775807",
        ),
        (
            "/usageplans",
            r#"{"name":"X","quota":{"limit":1,"period":"YEAR"}}"#,
            "Invalid quota period specified: 'YEAR'. Must be one of: [DAY, WEEK, MONTH]",
        ),
        (
            "/usageplans",
            r#"["X"]"#,
            r#"1 validation error detected: Value '["X"]' at 'body' failed to satisfy constraint: Member must be an object, not a list"#,
        ),
        (
            "/usageplans",
            r#"{"name":"X","productCode":"abc"}"#,
            "Invalid request body: unknown member 'productCode'. Must be one of: [name, description, apiStages, throttle, quota, tags]",
        ),
        (
            "/usageplans",
            r#"{"name":"X","quota":{"limit":1,"period":"DAY","unit":"x"}}"#,
            "Invalid request body: unknown member 'quota.unit'. Must be one of: [limit, offset, period]",
        ),
        (
            "/apikeys",
            r#"{"name":"k","enabled":"yes"}"#,
            r#"1 validation error detected: Value '"yes"' at 'enabled' failed to satisfy constraint: Member must be a boolean, not a string"#,
        ),
        (
            "/apikeys",
            r#"{"name":"k","stageKeys":[]}"#,
            "Invalid request body: member 'stageKeys' is not supported by tollgate-sim",
        ),
        (
            "/apikeys",
            r#"{"name":"k","colour":"red"}"#,
            "Invalid request body: unknown member 'colour'. Must be one of: [name, description, enabled, value, customerId, tags]",
        ),
        (
            "/usageplans/ywbqww/keys",
            r#"{"keyId":"key2bobbob","keyType":"API_KEY","extra":1}"#,
            "Invalid request body: unknown member 'extra'. Must be one of: [keyId, keyType]",
        ),
        (
            "/restapis",
            r#"{"name":"api","stages":["prod"]}"#,
            "Invalid request body: unknown member 'stages'. Must be one of: [name]",
        ),
        (
            "/restapis/a1b2c3d4e5/stages",
            r#"{"stageName":"live","deploymentId":"d1","variables":{}}"#,
            "Invalid request body: member 'variables' is not supported by tollgate-sim",
        ),
    ] {
        let answer = raw(&sim.endpoint(), "POST", path, Some(body), true)
            .await
            .unwrap();
        assert_eq!(
            (
                answer.status,
                answer.header("x-amzn-ErrorType").as_deref(),
                answer.json()["message"].as_str()
            ),
            (400, Some("BadRequestException"), Some(message)),
            "{body}"
        );
    }
    let tag = raw(
        &sim.endpoint(),
        "PUT",
        "/tags/arn%3Aaws%3Aapigateway%3Aus-east-1%3A%3A%2Fusageplans%2Fywbqww",
        Some(r#"{"tags":{"team":7}}"#),
        true,
    )
    .await
    .unwrap();
    assert_eq!(
        (tag.status, tag.json()["message"].as_str()),
        (
            400,
            Some("1 validation error detected: Value '7' at 'tags.team' failed to satisfy constraint: Member must be a string, not an integer")
        )
    );
    let patch = raw(
        &sim.endpoint(),
        "PATCH",
        "/usageplans/ywbqww",
        Some(r#"{"patchOperations":[{"op":"replace","path":"/quota/limit","value":5}]}"#),
        true,
    )
    .await
    .unwrap();
    assert_eq!(
        (patch.status, patch.json()["message"].as_str()),
        (
            400,
            Some("1 validation error detected: Value '5' at 'patchOperations[0].value' failed to satisfy constraint: Member must be a string, not an integer")
        )
    );
    // null is the same as an absent member, and nothing above changed the state.
    let with_null = raw(
        &sim.endpoint(),
        "POST",
        "/usageplans",
        Some(r#"{"name":"N","description":null}"#),
        true,
    )
    .await
    .unwrap();
    assert_eq!(with_null.status, 201, "{}", with_null.body);
    assert_eq!(sim.dump_state()["usagePlans"].as_object().unwrap().len(), 2);
}

#[tokio::test]
async fn admin_routes() {
    let (sim, client) = start().await;
    let ep = sim.endpoint();
    client.get_usage_plans().send().await.unwrap();
    get_gold(&client).await;
    let calls = raw(&ep, "GET", "/_sim/calls", None, false).await.unwrap();
    assert_eq!(
        calls.json(),
        json!({
            "calls": { "GetUsagePlan": 1, "GetUsagePlans": 1 },
            "throttled": {},
            "carriedOut": { "GetUsagePlan": 1, "GetUsagePlans": 1 }
        })
    );
    assert_eq!(
        raw(&ep, "POST", "/_sim/reset", None, false)
            .await
            .unwrap()
            .status,
        204
    );
    assert!(sim.calls().is_empty());

    let usage =
        r#"{"usagePlanId":"ywbqww","keyId":"key1alice1","date":"2024-06-05","requests":25}"#;
    assert_eq!(
        raw(&ep, "POST", "/_sim/usage", Some(usage), false)
            .await
            .unwrap()
            .status,
        204
    );
    let bad = raw(
        &ep,
        "POST",
        "/_sim/usage",
        Some(r#"{"usagePlanId":"nope","keyId":"k","date":"2024-06-05","requests":1}"#),
        false,
    )
    .await
    .unwrap();
    assert_eq!(bad.error_kind(), (404, "NotFoundException".to_string()));

    let clock = raw(
        &ep,
        "POST",
        "/_sim/clock",
        Some(r#"{"advanceSeconds":86400}"#),
        false,
    )
    .await
    .unwrap();
    assert_eq!(
        clock.json(),
        json!({ "now": (common::START + 86_400) as f64 })
    );
    let out = client
        .update_usage()
        .usage_plan_id("ywbqww")
        .key_id("key1alice1")
        .patch_operations(
            aws_sdk_apigateway::types::PatchOperation::builder()
                .op(aws_sdk_apigateway::types::Op::Replace)
                .path("/remaining")
                .value("500")
                .build(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(
        out.start_date(),
        Some("2024-06-06"),
        "the clock moved a day"
    );

    let state = raw(&ep, "GET", "/_sim/state", None, false)
        .await
        .unwrap()
        .json();
    assert_eq!(
        state["usagePlans"]["ywbqww"]["keys"]["key1alice1"]["used"],
        json!({ "2024-06-05": 25 })
    );
    assert!(
        sim.calls().keys().all(|op| !op.starts_with("_sim")),
        "admin calls are not counted"
    );
    assert_eq!(
        raw(&ep, "GET", "/_sim/nothing", None, false)
            .await
            .unwrap()
            .status,
        404
    );
}

#[tokio::test]
async fn dump_and_load_round_trip() {
    let (sim, client) = start().await;
    sim.record_usage("ywbqww", "key1alice1", "2024-06-05", 3)
        .unwrap();
    let before = sim.dump_state();
    client
        .create_usage_plan()
        .name("Temporary")
        .send()
        .await
        .unwrap();
    client
        .delete_usage_plan_key()
        .usage_plan_id("ywbqww")
        .key_id("key1alice1")
        .send()
        .await
        .unwrap();
    assert_ne!(sim.dump_state(), before);

    sim.load_state(before.clone()).expect("a dump loads back");
    assert_eq!(sim.dump_state(), before);
    let plans = client.get_usage_plans().send().await.unwrap();
    assert_eq!(plans.items().len(), 1);

    // The same dump moves a state to another emulator, through the HTTP route.
    let (other, other_client) = common::start_with(Config {
        clock: ClockMode::Manual {
            start: common::START,
        },
        ..Config::default()
    })
    .await;
    let put = raw(
        &other.endpoint(),
        "PUT",
        "/_sim/state",
        Some(&before.to_string()),
        false,
    )
    .await
    .unwrap();
    assert_eq!(put.status, 204);
    assert_eq!(other.dump_state(), before);
    let next = other_client
        .create_usage_plan()
        .name("After load")
        .send()
        .await
        .unwrap();
    let again = client
        .create_usage_plan()
        .name("After load")
        .send()
        .await
        .unwrap();
    assert_eq!(
        next.id(),
        again.id(),
        "the id generator travels with the state"
    );

    // A dump that breaks the API's rules is refused and changes nothing.
    let mut broken = before.clone();
    broken["usagePlans"]["ywbqww"]["apiStages"][0]["stage"] = json!("dev");
    let err = sim.load_state(broken).unwrap_err();
    assert_eq!(
        err.message,
        "usage plan 'Gold' (ywbqww): API Stage not found: a1b2c3d4e5:dev"
    );
    assert!(sim.load_state(json!({ "nonsense": true })).is_err());
    assert_eq!(
        raw(&sim.endpoint(), "PUT", "/_sim/state", Some("[]"), false)
            .await
            .unwrap()
            .status,
        400
    );
    assert_eq!(sim.dump_state()["usagePlans"].as_object().unwrap().len(), 2);
}

#[test]
fn blocking_sim_serves_until_dropped() {
    let sim = BlockingSim::start(seeded()).expect("starts");
    let endpoint = sim.endpoint();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let client = sdk_client_without_retries(&endpoint);
        let plans = client.get_usage_plans().send().await.unwrap();
        assert_eq!(plans.items()[0].id(), Some("ywbqww"));
    });
    assert_eq!(sim.calls()["GetUsagePlans"], 1);
    sim.record_usage("ywbqww", "key1alice1", "2024-06-05", 1)
        .unwrap();
    sim.advance_clock(1);
    sim.reset_counters();
    assert!(sim.throttled().is_empty());
    sim.load_state(sim.dump_state()).unwrap();
    drop(sim);
    let refused = runtime.block_on(async {
        tokio::net::TcpStream::connect(endpoint.trim_start_matches("http://")).await
    });
    assert!(refused.is_err(), "the port is closed after drop");
}

#[test]
fn seeds_are_validated() {
    assert!(Seed::from_yaml_str(SEED).is_ok());
    let err = Seed::from_yaml_str(&SEED.replace(
        "stage: prod\n        throttle",
        "stage: live\n        throttle",
    ))
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid seed: usage plan 'Gold' (ywbqww): API Stage not found: a1b2c3d4e5:live"
    );
    let demo = concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/sim/seed.yaml");
    Seed::from_file(std::path::Path::new(demo)).expect("the demo seed is valid");
}

#[test]
fn the_binary_prints_its_address_once_ready() {
    let seed = concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/sim/seed.yaml");
    let began = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_tollgate-sim"))
        .args([
            "--port",
            "0",
            "--seed",
            seed,
            "--quotas",
            "--fault-seed",
            "3",
        ])
        .stdout(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let elapsed = began.elapsed();
    let endpoint = line
        .trim()
        .strip_prefix("listening on ")
        .expect("the startup line")
        .to_string();
    assert!(
        endpoint.starts_with("http://127.0.0.1:") && !endpoint.ends_with(":0"),
        "{line}"
    );
    assert!(elapsed < Duration::from_secs(2), "started in {elapsed:?}");

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let ids = runtime.block_on(async {
        let client = sdk_client_without_retries(&endpoint);
        let plans = client.get_usage_plans().send().await.unwrap();
        plans
            .items()
            .iter()
            .map(|p| p.id().unwrap().to_string())
            .collect::<Vec<_>>()
    });
    assert!(ids.contains(&"gold000001".to_string()), "{ids:?}");
    child.kill().unwrap();
    child.wait().unwrap();
}

#[test]
fn the_binary_refuses_a_bad_seed_or_flag() {
    let out = Command::new(env!("CARGO_BIN_EXE_tollgate-sim"))
        .args(["--seed", "/nonexistent/seed.yaml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr)
        .contains("cannot read seed file /nonexistent/seed.yaml"));
    for (args, message) in [
        (
            &["--fault-500", "1.5"][..],
            "error: invalid config: faults.error_500_rate must be a number from 0 to 1, got 1.5",
        ),
        (
            &["--fault-lost", "1.5"][..],
            "error: invalid config: faults.lost_rate must be a number from 0 to 1, got 1.5",
        ),
        (
            &["--fault-429", "0.5", "--fault-lost", "0.6"][..],
            "error: invalid config: the fault rates (error_500_rate + error_503_rate + drop_rate + lost_rate + throttle_rate) must add up to at most 1, got 1.1",
        ),
        (
            &["--fault-500", "0.6", "--fault-drop", "0.6"][..],
            "error: invalid config: the fault rates (error_500_rate + error_503_rate + drop_rate + lost_rate + throttle_rate) must add up to at most 1, got 1.2",
        ),
        (
            &["--quota-speedup", "0"][..],
            "error: invalid config: quotas.speedup must be a finite number > 0, got 0",
        ),
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_tollgate-sim"))
            .args(args)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        assert_eq!(String::from_utf8_lossy(&out.stderr).trim(), message);
    }
    let out = Command::new(env!("CARGO_BIN_EXE_tollgate-sim"))
        .args(["--no-such-flag"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "a usage error exits 1");
    assert!(String::from_utf8_lossy(&out.stderr).contains("unexpected argument '--no-such-flag'"));
    let help = Command::new(env!("CARGO_BIN_EXE_tollgate-sim"))
        .arg("--help")
        .output()
        .unwrap();
    assert_eq!(help.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&help.stdout).contains("--fault-seed"));
}

/// Starts the binary with `args` (and the demo seed), reads its endpoint, runs `check` against
/// it with an SDK client without retries, and stops it.
fn with_binary(args: &[&str], check: impl AsyncFnOnce(aws_sdk_apigateway::Client)) {
    let seed = concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/sim/seed.yaml");
    let mut child = Command::new(env!("CARGO_BIN_EXE_tollgate-sim"))
        .args(["--seed", seed])
        .args(args)
        .stdout(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let endpoint = line
        .trim()
        .strip_prefix("listening on ")
        .map(str::to_string);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    if let Some(endpoint) = &endpoint {
        runtime.block_on(check(sdk_client_without_retries(endpoint)));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(endpoint.is_some(), "the startup line: {line}");
}

#[test]
fn the_binary_enforces_quotas_when_asked() {
    with_binary(&["--quotas", "--quota-speedup", "1"], async |client| {
        let update = || {
            client
                .update_usage_plan()
                .usage_plan_id("gold000001")
                .patch_operations(
                    aws_sdk_apigateway::types::PatchOperation::builder()
                        .op(aws_sdk_apigateway::types::Op::Replace)
                        .path("/description")
                        .value("changed")
                        .build(),
                )
                .send()
        };
        update().await.expect("the first update has a token");
        let second = common::failure(update().await);
        assert_eq!(
            (second.status, second.code.as_str()),
            (429, "TooManyRequestsException")
        );
    });
}

#[test]
fn the_binary_injects_faults_when_asked() {
    with_binary(&["--fault-500", "1", "--fault-seed", "7"], async |client| {
        let answer = common::failure(client.get_usage_plans().send().await);
        assert_eq!(
            (answer.status, answer.code.as_str()),
            (500, "InternalFailure")
        );
    });
}
