//! Throughput of the emulator through the real Rust SDK: 10,000 plans listed with
//! GetUsagePlans (limit 500), and 1,000 UpdateUsagePlan calls, quotas off.
//!
//! Run with `cargo bench -p tollgate-sim --bench throughput`. It prints each run, requests per
//! second and the median of the runs; it asserts nothing about time.

use std::time::{Duration, Instant};

use aws_sdk_apigateway::types::{Op, PatchOperation};
use aws_sdk_apigateway::Client;
use tollgate_sim::{Config, Seed, Sim};
use tollgate_testkit::sdk_client;

/// Plans in the emulator.
const PLANS: usize = 10_000;
/// GetUsagePlans page size (AWS's maximum).
const PAGE: i32 = 500;
/// Full listings timed.
const LIST_RUNS: usize = 5;
/// UpdateUsagePlan calls per run.
const UPDATES: usize = 1_000;
/// Update runs timed.
const UPDATE_RUNS: usize = 3;

/// A seed with [`PLANS`] plans, each with a throttle and a quota.
fn seed() -> Seed {
    let mut yaml = String::from("usagePlans:\n");
    for i in 0..PLANS {
        yaml.push_str(&format!(
            "  - {{ id: plan{i:05}, name: Plan {i:05}, throttle: {{ rateLimit: 100, burstLimit: 200 }}, \
             quota: {{ limit: 100000, offset: 0, period: MONTH }} }}\n"
        ));
    }
    Seed::from_yaml_str(&yaml).expect("the generated seed is valid")
}

/// Lists every plan, page by page; returns how many plans and how many requests.
async fn list_all(client: &Client) -> (usize, usize) {
    let mut pages = client.get_usage_plans().limit(PAGE).into_paginator().send();
    let (mut plans, mut requests) = (0, 0);
    while let Some(page) = pages.next().await {
        plans += page.expect("GetUsagePlans").items().len();
        requests += 1;
    }
    (plans, requests)
}

/// Sends [`UPDATES`] UpdateUsagePlan calls, one after the other, to successive plans.
async fn update_many(client: &Client, run: usize) {
    for i in 0..UPDATES {
        let op = PatchOperation::builder()
            .op(Op::Replace)
            .path("/description")
            .value(format!("run {run}"))
            .build();
        client
            .update_usage_plan()
            .usage_plan_id(format!("plan{:05}", i % PLANS))
            .patch_operations(op)
            .send()
            .await
            .expect("UpdateUsagePlan");
    }
}

/// Prints one run: its time and requests per second.
fn report_run(what: &str, run: usize, requests: usize, took: Duration) {
    println!(
        "{what} run {run}: {requests} requests in {:.3} s = {:.0} requests/s",
        took.as_secs_f64(),
        requests as f64 / took.as_secs_f64()
    );
}

/// Prints the median of the runs.
fn report_median(what: &str, requests: usize, mut runs: Vec<Duration>) {
    runs.sort_unstable();
    let median = runs[runs.len() / 2];
    println!(
        "{what}: median {:.3} s for {requests} requests = {:.0} requests/s",
        median.as_secs_f64(),
        requests as f64 / median.as_secs_f64()
    );
}

#[tokio::main]
async fn main() {
    let started = Instant::now();
    let sim = Sim::start(Config {
        seed: Some(seed()),
        ..Config::default()
    })
    .await
    .expect("start the emulator");
    println!(
        "emulator with {PLANS} plans ready in {:.3} s",
        started.elapsed().as_secs_f64()
    );
    let client = sdk_client(&sim.endpoint());

    let mut list_runs = Vec::new();
    let mut list_requests = 0;
    for run in 1..=LIST_RUNS {
        let start = Instant::now();
        let (plans, requests) = list_all(&client).await;
        let took = start.elapsed();
        assert_eq!(plans, PLANS, "every plan is listed");
        report_run("GetUsagePlans (limit 500), all plans", run, requests, took);
        list_runs.push(took);
        list_requests = requests;
    }
    report_median("GetUsagePlans", list_requests, list_runs);

    let mut update_runs = Vec::new();
    for run in 1..=UPDATE_RUNS {
        let start = Instant::now();
        update_many(&client, run).await;
        let took = start.elapsed();
        report_run("UpdateUsagePlan", run, UPDATES, took);
        update_runs.push(took);
    }
    report_median("UpdateUsagePlan", UPDATES, update_runs);

    sim.stop().await;
}
