//! End to end on a bad day on AWS: an apply of 280 writes (creates, stage changes, key
//! additions, tags and grants) against the emulator with 20% of requests throttled, 4%
//! answered 500, 1% dropped before the work and 2% lost after it. Applies converge; no plan
//! is created twice; no grant reaches UpdateUsage twice; a grant whose outcome is unknown is
//! reported pending, never applied again on its own.

mod common;

use std::collections::BTreeMap;
use std::fmt::Write as _;

use common::Env;
use tollgate_sim::{Config, Faults};

/// Existing plans (all on pets/prod, so each key is on at most one of them).
const EXISTING: usize = 30;
/// Plans to create (on pets/beta).
const CREATED: usize = 10;
/// Grants, one on a newly added key of each of the first 20 existing plans.
const GRANTS: usize = 20;

/// Two REST APIs, 180 API keys, and the existing plans with two keys each.
fn seed() -> String {
    let mut seed = String::from(
        "region: us-east-1\nrestApis:\n  - { id: a1b2c3d4e5, name: pets, stages: [prod, beta], \
         resources: { /pets: [GET] } }\n  - { id: k9l8m7n6o5, name: orders, stages: [prod], \
         resources: { /orders: [GET] } }\napiKeys:\n",
    );
    for key in 0..EXISTING * 6 {
        let _ = writeln!(seed, "  - {{ id: key{key:03}, name: k{key}, value: value-{key:03}-000000000000000000000000000000 }}");
    }
    seed.push_str("usagePlans:\n");
    for plan in 0..EXISTING {
        let _ = writeln!(
            seed,
            "  - {{ id: plan{plan:06}, name: p{plan:02}, throttle: {{ rateLimit: 10, burstLimit: 20 }}, \
             quota: {{ limit: 1000, offset: 0, period: MONTH }}, \
             apiStages: [ {{ apiId: a1b2c3d4e5, stage: prod }} ], keys: [key{:03}, key{:03}] }}",
            2 * plan,
            2 * plan + 1
        );
    }
    seed
}

/// The YAML: every existing plan updated (throttle, and a stage added to every other one),
/// given four more keys and a tag, the first 20 a grant; ten plans created with a product
/// code (a create and its follow-up), keys and tags.
fn desired() -> String {
    let mut yaml = String::from("usagePlans:\n");
    for plan in 0..EXISTING {
        let stages = if plan % 2 == 0 {
            "[ { apiId: a1b2c3d4e5, stage: prod }, { apiId: k9l8m7n6o5, stage: prod } ]"
        } else {
            "[ { apiId: a1b2c3d4e5, stage: prod } ]"
        };
        let _ = writeln!(
            yaml,
            "  - name: p{plan:02}\n    throttle: {{ rateLimit: 20, burstLimit: 40 }}\n    \
             quota: {{ limit: 1000, period: MONTH }}\n    apiStages: {stages}\n    \
             tags: {{ team: t{plan} }}\n    keys:"
        );
        let new = 2 * EXISTING + 4 * plan;
        for key in [2 * plan, 2 * plan + 1, new, new + 1, new + 2, new + 3] {
            if key == new && plan < GRANTS {
                let _ = writeln!(
                    yaml,
                    "      - {{ id: key{key:03}, grants: [ {{ id: SUP-{plan}, remaining: 5000 }} ] }}"
                );
            } else {
                let _ = writeln!(yaml, "      - {{ id: key{key:03} }}");
            }
        }
    }
    for plan in 0..CREATED {
        let _ = writeln!(
            yaml,
            "  - name: new{plan}\n    productCode: code-{plan}\n    \
             throttle: {{ rateLimit: 5, burstLimit: 10 }}\n    \
             apiStages: [ {{ apiId: a1b2c3d4e5, stage: beta }} ]\n    \
             tags: {{ team: new }}\n    keys: [ {{ id: key{:03} }}, {{ id: key{:03} }} ]",
            2 * plan,
            2 * plan + 1
        );
    }
    yaml
}

/// The live plans, read from the emulator's state (not through the API, whose requests draw
/// the faults too).
fn live_plans(env: &Env) -> Vec<serde_json::Value> {
    env.sim.dump_state()["usagePlans"]
        .as_object()
        .map(|plans| plans.values().cloned().collect())
        .unwrap_or_default()
}

/// The grant records on the live plans, by state (`applied`, `pending`).
fn grant_records(env: &Env) -> BTreeMap<String, usize> {
    let mut records = BTreeMap::new();
    for plan in live_plans(env) {
        for (key, value) in plan["tags"].as_object().into_iter().flatten() {
            if key.starts_with("tollgate:grant:") {
                // A pending record goes on with the key's figures from before the call.
                let record = value.as_str().unwrap_or_default();
                let state = record.split(' ').next().unwrap_or_default().to_string();
                *records.entry(state).or_default() += 1;
            }
        }
    }
    records
}

#[test]
fn an_apply_under_throttling_errors_and_lost_answers_converges_with_nothing_done_twice() {
    let env = Env::from_seed(
        &seed(),
        Config {
            faults: Some(Faults {
                seed: 6,
                throttle_rate: 0.20,
                error_500_rate: 0.04,
                drop_rate: 0.01,
                lost_rate: 0.02,
                ..Faults::default()
            }),
            ..Config::default()
        },
    );
    let path = env.write("plans.yaml", &desired());
    let mut converged = false;
    for _ in 0..4 {
        let output = env.run(&["apply", "--auto-approve"], &path);
        let stderr = String::from_utf8_lossy(&output.stderr);
        if output.status.success() {
            converged = true;
            break;
        }
        // Only what cannot be settled in one run may fail: a write whose outcome is unknown.
        for line in stderr.lines().filter(|line| line.starts_with("error:")) {
            assert!(
                line.contains("outcome is unknown") || line.contains("may have been created"),
                "a change failed for another reason than an unknown outcome: {line}\n{stderr}"
            );
        }
        assert!(
            !stderr.contains("(HTTP 429)"),
            "throttling is ridden out: {stderr}"
        );
    }
    assert!(converged, "the applies converge");
    let writes = env.writes();
    assert!(writes >= 280, "a big apply: {writes} writes");

    // No plan created twice.
    let plans = live_plans(&env);
    let mut names: Vec<&str> = plans
        .iter()
        .filter_map(|plan| plan["name"].as_str())
        .collect();
    names.sort_unstable();
    let count = names.len();
    names.dedup();
    assert_eq!(count, names.len(), "a plan name appears twice");
    assert_eq!(count, EXISTING + CREATED);
    assert_eq!(
        env.sim.carried_out().get("CreateUsagePlan").copied(),
        Some(CREATED as u64),
        "each plan created once"
    );

    // Each grant reached UpdateUsage at most once: those recorded applied did, those left
    // pending may have.
    let records = grant_records(&env);
    let applied = records.get("applied").copied().unwrap_or(0);
    let pending = records.get("pending").copied().unwrap_or(0);
    assert_eq!(applied + pending, GRANTS, "{records:?}");
    let granted = env
        .sim
        .carried_out()
        .get("UpdateUsage")
        .copied()
        .unwrap_or(0) as usize;
    assert!(
        (applied..=applied + pending).contains(&granted),
        "UpdateUsage carried out {granted} times for {applied} applied and {pending} pending grants"
    );

    // The account is in line; pending grants are shown, not planned, or settled as carried
    // out by their keys' usage (the figures are too recent to settle any as not carried out).
    let plan = env.plan_json(&path);
    assert_eq!(plan["changes"], serde_json::json!([]), "{plan:#}");
    let count = |field: &str| plan[field].as_array().map_or(0, Vec::len);
    assert_eq!(
        count("pendingGrants") + count("settledGrants"),
        pending,
        "{plan:#}"
    );
}
