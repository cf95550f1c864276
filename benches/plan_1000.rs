//! Benchmark: `tollgate plan` over an account of 1,000 usage plans, against the emulator.
//!
//! Prints the reads one plan makes (GetUsagePlans, and the GetStages and GetResources of its
//! checks of what AWS would refuse), the median wall time of `tollgate plan`
//! over several runs, and, for comparison, the time of reading the same 1,000 plans the way
//! Terraform refreshes them (one GetUsagePlan per plan), all measured in this one run: once
//! on loopback and once with a latency like a round trip to AWS added to every answer.
//! Run with `cargo bench --bench plan_1000` (a release build).

use std::fmt::Write as _;
use std::process::Command;
use std::time::{Duration, Instant};

use tollgate_sim::{Config, Faults, Seed, Sim};

const PLANS: usize = 1_000;

fn seed() -> String {
    let mut yaml = String::from(
        "restApis:\n  - id: a1b2c3d4e5\n    name: pets\n    stages: [prod, beta]\n    resources:\n      /pets: [GET, POST]\nusagePlans:\n",
    );
    for i in 0..PLANS {
        let _ = writeln!(
            yaml,
            "  - {{ id: p{i:09}, name: plan-{i:04}, description: tier {i}, throttle: {{ rateLimit: 10, burstLimit: 20 }}, quota: {{ limit: 1000, offset: 0, period: MONTH }}, apiStages: [ {{ apiId: a1b2c3d4e5, stage: prod, throttle: {{ /pets/GET: {{ rateLimit: 5, burstLimit: 10 }} }} }} ] }}"
        );
    }
    yaml
}

/// The desired state: all 1,000 plans declared, every tenth with a changed quota.
fn desired() -> String {
    let mut yaml = String::from("usagePlans:\n");
    for i in 0..PLANS {
        let limit = if i % 10 == 0 { 2000 } else { 1000 };
        let _ = writeln!(
            yaml,
            "  - {{ name: plan-{i:04}, description: tier {i}, throttle: {{ rateLimit: 10, burstLimit: 20 }}, quota: {{ limit: {limit}, period: MONTH }}, apiStages: [ {{ apiId: a1b2c3d4e5, stage: prod, throttle: {{ /pets/GET: {{ rateLimit: 5, burstLimit: 10 }} }} }} ] }}"
        );
    }
    yaml
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

/// One measurement: the emulator answering after `latency_ms` (a stand-in for the network
/// and AWS's own time), `runs` runs of each way of reading.
fn measure(runtime: &tokio::runtime::Runtime, latency_ms: u64, runs: usize) {
    let seed = Seed::from_yaml_str(&seed()).expect("the seed is valid");
    let faults = (latency_ms > 0).then_some(Faults {
        latency_ms,
        ..Faults::default()
    });
    let sim = runtime
        .block_on(Sim::start(Config {
            seed: Some(seed),
            faults,
            ..Config::default()
        }))
        .expect("the emulator starts");
    let dir = tempfile::tempdir().expect("a scratch folder");
    let plans = dir.path().join("plans.yaml");
    std::fs::write(&plans, desired()).expect("write the desired state");

    let mut tollgate_times = Vec::new();
    let mut reads_per_run = String::new();
    for _ in 0..runs {
        sim.reset_counters();
        let started = Instant::now();
        let output = Command::new(env!("CARGO_BIN_EXE_tollgate"))
            .args(["plan", "--format", "json"])
            .arg(&plans)
            .env("AWS_ACCESS_KEY_ID", "AKIDBENCH")
            .env("AWS_SECRET_ACCESS_KEY", "bench")
            .env("AWS_REGION", "us-east-1")
            .env("AWS_ENDPOINT_URL", sim.endpoint())
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .output()
            .expect("tollgate runs");
        tollgate_times.push(started.elapsed());
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let calls = sim.calls();
        let count = |operation: &str| calls.get(operation).copied().unwrap_or(0);
        reads_per_run = format!(
            "GetUsagePlans {}, GetStages {}, GetResources {}",
            count("GetUsagePlans"),
            count("GetStages"),
            count("GetResources")
        );
    }

    // The anchors' way: one GetUsagePlan per plan, one after another, with the same SDK.
    let client = tollgate_testkit::sdk_client(&sim.endpoint());
    let mut per_plan_times = Vec::new();
    for _ in 0..runs {
        let started = Instant::now();
        runtime.block_on(async {
            for i in 0..PLANS {
                client
                    .get_usage_plan()
                    .usage_plan_id(format!("p{i:09}"))
                    .send()
                    .await
                    .expect("GetUsagePlan");
            }
        });
        per_plan_times.push(started.elapsed());
    }

    let tollgate = median(tollgate_times);
    let per_plan = median(per_plan_times);
    println!("\n{PLANS} plans, {latency_ms} ms added to every answer, median of {runs} runs:");
    println!("  reads per `tollgate plan`:                      {reads_per_run}");
    println!("  `tollgate plan` (the whole command):            {tollgate:.2?}");
    println!("  reading plan by plan ({PLANS} GetUsagePlan calls): {per_plan:.2?}");
    println!(
        "  ratio plan-by-plan read / whole `tollgate plan`: {:.1}x",
        per_plan.as_secs_f64() / tollgate.as_secs_f64()
    );
    runtime.block_on(sim.stop());
}

fn main() {
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    // On loopback: what tollgate itself costs.
    measure(&runtime, 0, 7);
    // With 20 ms per answer, about a regional round trip to AWS: what the reading
    // strategy costs. (AWS's 10 requests per second would add 100 s to the per-plan read.)
    measure(&runtime, 20, 3);
}
