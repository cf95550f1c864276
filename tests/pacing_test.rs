//! End to end: tollgate paces every call inside AWS's account quotas (UpdateUsagePlan one
//! every 20 seconds, all calls 10 a second with a burst of 40) instead of failing on them,
//! as `--pace` / `TOLLGATE_PACE` says, and stops at once on a resource limit.

mod common;

use std::fmt::Write as _;

use common::Env;
use tollgate_sim::{Config, Quotas};

/// Three plans that each need an update.
const LIVE: &str = r#"
usagePlans:
  - { id: plan000001, name: A, throttle: { rateLimit: 1, burstLimit: 1 } }
  - { id: plan000002, name: B, throttle: { rateLimit: 1, burstLimit: 1 } }
  - { id: plan000003, name: C, throttle: { rateLimit: 1, burstLimit: 1 } }
"#;
const DESIRED: &str = r#"
usagePlans:
  - { name: A, throttle: { rateLimit: 2, burstLimit: 1 } }
  - { name: B, throttle: { rateLimit: 2, burstLimit: 1 } }
  - { name: C, throttle: { rateLimit: 2, burstLimit: 1 } }
"#;

/// AWS's quotas, 100 times faster: one UpdateUsagePlan every 0.2 s.
fn quota_env() -> Env {
    Env::with_config(
        LIVE,
        Config {
            quotas: Some(Quotas { speedup: 100.0 }),
            ..Config::default()
        },
    )
}

#[test]
fn paced_updates_stay_inside_the_quota_and_draw_no_429() {
    let env = quota_env();
    let path = env.write("plans.yaml", DESIRED);
    // Paced at a quarter of the emulator's speed: a 0.6 s margin between updates, so that a
    // loaded machine delaying one request more than the next does not bunch them into one
    // quota slot (paced at the very rate, the test flaked on a loaded machine).
    env.tollgate()
        .env("TOLLGATE_PACE", "aws:25")
        .args(["apply", "--auto-approve"])
        .arg(&path)
        .assert()
        .success();
    assert_eq!(env.calls("UpdateUsagePlan"), 3);
    assert_eq!(
        env.sim
            .throttled()
            .get("UpdateUsagePlan")
            .copied()
            .unwrap_or(0),
        0
    );
    env.assert_in_sync(&path);
}

#[test]
fn unpaced_updates_draw_429s_from_the_same_quota() {
    let env = quota_env();
    let path = env.write("plans.yaml", DESIRED);
    let _ = env.run(&["apply", "--auto-approve"], &path);
    assert!(
        env.sim
            .throttled()
            .get("UpdateUsagePlan")
            .copied()
            .unwrap_or(0)
            > 0,
        "without pacing the quota answers 429: the paced test above is meaningful"
    );
}

#[test]
fn a_resource_limit_is_not_retried() {
    // key1 is on ten plans already (none sharing a stage): AWS's limit of 10 plans per key.
    let mut live = String::from("usagePlans:\n");
    for i in 0..10 {
        let _ = writeln!(
            live,
            "  - {{ id: full{i:06}, name: full-{i}, keys: [key1] }}"
        );
    }
    live.push_str("  - { id: eleventh01, name: Eleventh }\n");
    let env = Env::new(&live);
    let path = env.write(
        "plans.yaml",
        "usagePlans:\n  - name: Eleventh\n    keys: [ { id: key1 } ]\n",
    );
    let output = env.run(&["apply", "--auto-approve"], &path);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("CreateUsagePlanKey on usage plan \"Eleventh\" (eleventh01) failed: LimitExceededException"), "{stderr}");
    assert!(
        stderr.contains("10 usage plans per API key"),
        "says what to do: {stderr}"
    );
    assert_eq!(
        env.calls("CreateUsagePlanKey"),
        1,
        "a resource limit is final: no retry"
    );
}

/// 150 keys to put on three plans (each plan on its own stage), and two plans to update.
fn many_keys() -> (String, String) {
    let mut seed = String::from(
        "region: us-east-1\nrestApis:\n  - { id: a1b2c3d4e5, name: pets, stages: [prod, beta, dev], \
         resources: { /pets: [GET] } }\napiKeys:\n",
    );
    for key in 0..150 {
        let _ = writeln!(
            seed,
            "  - {{ id: key{key:03}, name: k{key}, value: value-{key:03}-000000000000000000000000000000 }}"
        );
    }
    seed.push_str("usagePlans:\n");
    let mut desired = String::from("usagePlans:\n");
    for (plan, stage) in ["prod", "beta", "dev"].into_iter().enumerate() {
        let _ = writeln!(
            seed,
            "  - {{ id: plan{plan:06}, name: p{plan}, throttle: {{ rateLimit: 1, burstLimit: 1 }}, \
             apiStages: [ {{ apiId: a1b2c3d4e5, stage: {stage} }} ] }}"
        );
        // Two of the three plans change their throttle too.
        let rate = if plan < 2 { 2 } else { 1 };
        let _ = writeln!(
            desired,
            "  - name: p{plan}\n    throttle: {{ rateLimit: {rate}, burstLimit: 1 }}\n    \
             apiStages: [ {{ apiId: a1b2c3d4e5, stage: {stage} }} ]\n    keys:"
        );
        for key in (0..150).filter(|key| key % 3 == plan) {
            let _ = writeln!(desired, "      - {{ id: key{key:03} }}");
        }
    }
    (seed, desired)
}

/// AWS's quotas, 5 times faster: 50 calls a second with a burst of 40, an update every 4 s.
fn many_keys_env() -> (Env, std::path::PathBuf) {
    let (seed, desired) = many_keys();
    let env = Env::from_seed(
        &seed,
        Config {
            quotas: Some(Quotas { speedup: 5.0 }),
            ..Config::default()
        },
    );
    let path = env.write("plans.yaml", &desired);
    (env, path)
}

#[test]
fn many_key_associations_paced_with_the_quotas_sped_up_draw_no_429() {
    let (env, path) = many_keys_env();
    env.tollgate()
        .env("TOLLGATE_PACE", "aws:5")
        .args(["apply", "--auto-approve"])
        .arg(&path)
        .assert()
        .success();
    assert_eq!(env.calls("CreateUsagePlanKey"), 150);
    assert_eq!(env.calls("UpdateUsagePlan"), 2);
    assert_eq!(env.sim.throttled(), Default::default(), "no 429 drawn");
    env.assert_in_sync(&path);
}

#[test]
fn the_same_associations_unpaced_draw_429s() {
    let (env, path) = many_keys_env();
    env.tollgate()
        .env("TOLLGATE_PACE", "none")
        .args(["apply", "--auto-approve"])
        .arg(&path)
        .assert()
        .success();
    let throttled: u64 = env.sim.throttled().values().sum();
    assert!(
        throttled > 0,
        "unpaced, the quota answers 429s (retried): the paced test above is meaningful"
    );
    env.assert_in_sync(&path);
}

#[test]
fn a_bad_pace_and_the_retired_update_interval_are_clear_errors_and_send_nothing() {
    let env = Env::new(LIVE);
    let path = env.write("plans.yaml", DESIRED);
    let bad = env.run(&["plan", "--pace", "fast"], &path);
    let stderr = String::from_utf8_lossy(&bad.stderr);
    assert_eq!(bad.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("`fast` is not a pace"), "{stderr}");
    assert!(stderr.contains("aws:F"), "{stderr}");

    let retired = env
        .tollgate()
        .env("TOLLGATE_UPDATE_INTERVAL", "0")
        .args(["apply", "--auto-approve"])
        .arg(&path)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&retired.stderr);
    assert_eq!(retired.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("TOLLGATE_UPDATE_INTERVAL"), "{stderr}");
    assert!(stderr.contains("--pace"), "{stderr}");
    assert!(env.sim.calls().is_empty(), "nothing sent");
}
