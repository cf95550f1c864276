//! Account quotas (429s when exceeded and not otherwise, on the manual clock) and seeded fault
//! injection, through the real SDK.

mod common;

use std::time::{Duration, Instant};

use aws_sdk_apigateway::types::{Op, PatchOperation};
use aws_sdk_apigateway::Client;
use common::{failure, get_gold, patch_op, raw, seeded, start, start_with, Failure};
use tollgate_sim::{BlockingSim, ClockMode, Config, Faults, Quotas, Sim};

fn with_quotas(speedup: f64) -> Config {
    Config {
        quotas: Some(Quotas { speedup }),
        ..seeded()
    }
}

fn too_many() -> Failure {
    Failure {
        status: 429,
        code: "TooManyRequestsException".into(),
        message: "Too Many Requests".into(),
    }
}

async fn rename(client: &Client, name: &str) -> Result<(), Failure> {
    let op = PatchOperation::builder()
        .op(Op::Replace)
        .path("/name")
        .value(name)
        .build();
    match client
        .update_usage_plan()
        .usage_plan_id("ywbqww")
        .patch_operations(op)
        .send()
        .await
    {
        Ok(_) => Ok(()),
        Err(e) => Err(failure::<_, ()>(Err(e))),
    }
}

#[tokio::test]
async fn without_quotas_nothing_is_throttled() {
    let (sim, client) = start().await;
    for i in 0..60 {
        client.get_usage_plans().send().await.expect("no quota");
        rename(&client, &format!("n{i}")).await.expect("no quota");
    }
    assert!(sim.throttled().is_empty());
    assert_eq!(sim.calls()["UpdateUsagePlan"], 60);
}

#[tokio::test]
async fn the_total_quota_allows_a_burst_of_40_then_10_a_second() {
    let (sim, client) = start_with(with_quotas(1.0)).await;
    for _ in 0..40 {
        client
            .get_usage_plans()
            .send()
            .await
            .expect("within the burst");
    }
    assert_eq!(failure(client.get_usage_plans().send().await), too_many());
    let answer = raw(&sim.endpoint(), "GET", "/usageplans", None, true)
        .await
        .unwrap();
    assert_eq!(
        answer.error_kind(),
        (429, "TooManyRequestsException".to_string())
    );
    assert_eq!(answer.header("Retry-After").as_deref(), Some("1"));
    sim.advance_clock(1);
    for _ in 0..10 {
        client.get_usage_plans().send().await.expect("refilled");
    }
    assert_eq!(failure(client.get_usage_plans().send().await), too_many());
    assert_eq!(sim.throttled()["GetUsagePlans"], 3);
    assert_eq!(sim.calls()["GetUsagePlans"], 53);

    sim.reset_counters();
    assert!(sim.throttled().is_empty() && sim.calls().is_empty());
    client
        .get_usage_plans()
        .send()
        .await
        .expect("reset fills the buckets");
}

#[tokio::test]
async fn update_usage_plan_is_one_call_per_20_seconds() {
    let (sim, client) = start_with(with_quotas(1.0)).await;
    rename(&client, "a").await.expect("the first call");
    assert_eq!(rename(&client, "b").await, Err(too_many()));
    sim.advance_clock(19);
    assert_eq!(rename(&client, "b").await, Err(too_many()));
    sim.advance_clock(1);
    rename(&client, "b").await.expect("20 seconds later");
    let plan = get_gold(&client).await;
    assert_eq!(plan.name(), Some("b"), "a throttled call changes nothing");
    assert_eq!(sim.throttled()["UpdateUsagePlan"], 2);
    assert!(!sim.throttled().contains_key("GetUsagePlan"));
}

#[tokio::test]
async fn speedup_runs_the_quotas_faster() {
    let (sim, client) = start_with(with_quotas(100.0)).await;
    rename(&client, "a").await.unwrap();
    assert_eq!(rename(&client, "b").await, Err(too_many()));
    sim.advance_clock(1); // 100 seconds of AWS time
    rename(&client, "b")
        .await
        .expect("refilled 100 times faster");
}

#[tokio::test]
async fn create_api_key_is_five_a_second() {
    let (sim, client) = start_with(with_quotas(1.0)).await;
    for i in 0..5 {
        client
            .create_api_key()
            .name(format!("k{i}"))
            .send()
            .await
            .expect("within the quota");
    }
    assert_eq!(
        failure(client.create_api_key().name("k5").send().await),
        too_many()
    );
    client
        .get_api_keys()
        .send()
        .await
        .expect("other operations are not limited by it");
    sim.advance_clock(1);
    client
        .create_api_key()
        .name("k5")
        .send()
        .await
        .expect("a second later");
}

/// What each of `n` GetUsagePlans calls got: its status, 0 for a dropped connection.
async fn outcomes(seed: u64, n: usize) -> Vec<u16> {
    let faults = Faults {
        seed,
        error_500_rate: 0.25,
        error_503_rate: 0.25,
        drop_rate: 0.25,
        ..Faults::default()
    };
    let (_sim, client) = start_with(Config {
        faults: Some(faults),
        ..seeded()
    })
    .await;
    let mut seen = Vec::new();
    for _ in 0..n {
        match client.get_usage_plans().send().await {
            Ok(_) => seen.push(200),
            Err(e) => {
                let f = failure::<_, ()>(Err(e));
                match f.status {
                    500 => assert_eq!(f.code, "InternalFailure"),
                    503 => assert_eq!(f.code, "ServiceUnavailableException"),
                    0 => {}
                    other => panic!("unexpected status {other}"),
                }
                seen.push(f.status);
            }
        }
    }
    seen
}

#[tokio::test]
async fn faults_are_reproducible_from_their_seed() {
    let first = outcomes(42, 40).await;
    assert_eq!(
        first,
        outcomes(42, 40).await,
        "the same seed gives the same faults"
    );
    assert_ne!(first, outcomes(43, 40).await, "another seed gives others");
    for status in [0, 200, 500, 503] {
        assert!(first.contains(&status), "{status} missing from {first:?}");
    }
}

#[tokio::test]
async fn faults_are_off_by_default_and_latency_is_added() {
    let (_sim, client) = start().await;
    for _ in 0..50 {
        client
            .get_usage_plans()
            .send()
            .await
            .expect("no faults unless switched on");
    }
    let slow = Faults {
        latency_ms: 150,
        ..Faults::default()
    };
    let (_slow_sim, slow_client) = start_with(Config {
        faults: Some(slow),
        ..seeded()
    })
    .await;
    let began = Instant::now();
    slow_client
        .get_usage_plans()
        .send()
        .await
        .expect("latency only");
    assert!(began.elapsed() >= Duration::from_millis(150));
}

#[tokio::test]
async fn invalid_rates_and_speeds_are_refused_at_start() {
    let faults = |error_500_rate, error_503_rate, drop_rate| Config {
        faults: Some(Faults {
            error_500_rate,
            error_503_rate,
            drop_rate,
            ..Faults::default()
        }),
        ..Config::default()
    };
    let cases = [
        (
            faults(-0.1, 0.0, 0.0),
            "invalid config: faults.error_500_rate must be a number from 0 to 1, got -0.1",
        ),
        (
            faults(0.0, f64::NAN, 0.0),
            "invalid config: faults.error_503_rate must be a number from 0 to 1, got NaN",
        ),
        (
            faults(0.5, 0.25, 0.5),
            "invalid config: the fault rates (error_500_rate + error_503_rate + drop_rate + lost_rate + throttle_rate) must add up to at most 1, got 1.25",
        ),
        (
            Config {
                clock: ClockMode::Real { speed: 0.0 },
                ..Config::default()
            },
            "invalid config: the real clock's speed must be a finite number > 0, got 0",
        ),
        (
            Config {
                clock: ClockMode::Real {
                    speed: f64::INFINITY,
                },
                ..Config::default()
            },
            "invalid config: the real clock's speed must be a finite number > 0, got inf",
        ),
        (
            Config {
                quotas: Some(Quotas { speedup: -1.0 }),
                ..Config::default()
            },
            "invalid config: quotas.speedup must be a finite number > 0, got -1",
        ),
    ];
    for (config, message) in cases {
        let err = BlockingSim::start(config.clone()).unwrap_err();
        assert_eq!(
            (err.kind(), err.to_string()),
            (std::io::ErrorKind::InvalidInput, message.to_string())
        );
        let err = Sim::start(config).await.unwrap_err();
        assert_eq!(
            (err.kind(), err.to_string()),
            (std::io::ErrorKind::InvalidInput, message.to_string())
        );
    }
    // Rates that add up to exactly 1 are fine.
    Sim::start(faults(0.5, 0.25, 0.25)).await.unwrap();
}

/// An emulator where every AWS request meets `fault`'s rate of 1.
async fn always(fault: fn(&mut Faults)) -> (Sim, Client) {
    let mut faults = Faults::default();
    fault(&mut faults);
    start_with(Config {
        faults: Some(faults),
        ..seeded()
    })
    .await
}

/// Gold's quota limit as the emulator holds it, read behind the faults.
fn gold_limit(sim: &Sim) -> serde_json::Value {
    sim.dump_state()["usagePlans"]["ywbqww"]["quota"]["limit"].clone()
}

#[tokio::test]
async fn a_lost_answer_does_the_work_then_closes_the_connection() {
    let (sim, client) = always(|faults| faults.lost_rate = 1.0).await;
    let before = gold_limit(&sim);
    let result = client
        .update_usage_plan()
        .usage_plan_id("ywbqww")
        .patch_operations(patch_op("replace", "/quota/limit", Some("4321")))
        .send()
        .await;
    let failed = failure(result);
    assert_eq!(failed.status, 0, "no answer at all: {failed:?}");
    assert_eq!(before, serde_json::json!(1000));
    assert_eq!(
        gold_limit(&sim),
        serde_json::json!(4321),
        "the patch was applied"
    );
    let created = client.create_usage_plan().name("Lost").send().await;
    assert_eq!(failure(created).status, 0);
    let named_lost = sim.dump_state()["usagePlans"]
        .as_object()
        .map_or(0, |plans| {
            plans.values().filter(|p| p["name"] == "Lost").count()
        });
    assert_eq!(named_lost, 1, "the plan was created once");
    assert_eq!(
        sim.carried_out().get("UpdateUsagePlan").copied(),
        Some(1),
        "a lost answer counts as carried out"
    );
}

#[tokio::test]
async fn a_throttle_fault_answers_429_and_does_nothing() {
    let (sim, client) = always(|faults| faults.throttle_rate = 1.0).await;
    let before = gold_limit(&sim);
    let result = client
        .update_usage_plan()
        .usage_plan_id("ywbqww")
        .patch_operations(patch_op("replace", "/quota/limit", Some("4321")))
        .send()
        .await;
    let failed = failure(result);
    assert_eq!(failed.status, 429);
    assert_eq!(failed.code, "TooManyRequestsException");
    assert_eq!(gold_limit(&sim), before, "nothing changed");
    assert_eq!(sim.carried_out().get("UpdateUsagePlan"), None);
}
