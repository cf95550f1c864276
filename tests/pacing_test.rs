//! End to end: tollgate paces its UpdateUsagePlan calls inside AWS's account quota (one every
//! 20 seconds) instead of failing on it, and stops at once on a resource limit.

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
    env.tollgate()
        .env("TOLLGATE_PACE", "aws:100")
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
