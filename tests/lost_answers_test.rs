//! End to end: a write whose answer is lost after AWS did the work is never done twice.
//! The emulator carries out the request, then closes the connection without an answer.

mod common;

use common::Env;
use tollgate_sim::{ClockMode, Config, Faults};

/// 2026-11-23T12:00:00Z: the emulator's fixed clock.
const NOW: i64 = 1_795_435_200;

/// An emulator whose answers to `operation` are all lost after the work is done.
fn losing(live: &str, operation: &str) -> Env {
    Env::with_config(
        live,
        Config {
            faults: Some(Faults {
                lost_rate: 1.0,
                operations: vec![operation.to_string()],
                ..Faults::default()
            }),
            clock: ClockMode::Manual { start: NOW },
            ..Config::default()
        },
    )
}

#[test]
fn a_create_whose_answer_is_lost_is_adopted_by_its_marker_not_sent_again() {
    let env = losing("", "CreateUsagePlan");
    let path = env.write(
        "plans.yaml",
        r#"
usagePlans:
  - name: Trial
    productCode: trial-1
    throttle: { rateLimit: 5, burstLimit: 10 }
    tags: { team: growth }
    keys: [ { id: key1 } ]
"#,
    );
    let output = env.run(&["apply", "--auto-approve"], &path);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert_eq!(env.calls("CreateUsagePlan"), 1, "never sent twice");
    let id = env.plan_id("Trial");
    let plan = env.plan(&id);
    assert_eq!(plan.product_code(), Some("trial-1"), "the follow-up ran");
    let tags = plan.tags().cloned().unwrap_or_default();
    assert_eq!(tags.get("team").map(String::as_str), Some("growth"));
    assert!(tags.contains_key("tollgate:creation"), "{tags:?}");
    env.assert_in_sync(&path);
}

#[test]
fn a_grant_whose_answer_is_lost_stays_pending_and_is_not_granted_again() {
    let env = losing(
        r#"
usagePlans:
  - id: gold000001
    name: Gold
    quota: { limit: 1000, offset: 0, period: MONTH }
    keys: [key1]
"#,
        "UpdateUsage",
    );
    let path = env.write(
        "plans.yaml",
        r#"
usagePlans:
  - name: Gold
    quota: { limit: 1000, period: MONTH }
    keys:
      - id: key1
        grants: [ { id: SUP-1, remaining: 5000 } ]
"#,
    );
    let output = env.run(&["apply", "--auto-approve"], &path);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("the grant's outcome is unknown, so its record stays pending"),
        "{stderr}"
    );
    assert_eq!(
        env.calls("UpdateUsage"),
        1,
        "the lost call is not sent again"
    );
    let tags = env.plan("gold000001").tags().cloned().unwrap_or_default();
    assert_eq!(
        tags.get("tollgate:grant:key1:SUP-1").map(String::as_str),
        Some("pending")
    );
    // The next plan shows the grant for attention, not as a change, and apply sends nothing.
    let plan = env.plan_json(&path);
    assert_eq!(plan["changes"], serde_json::json!([]), "{plan:#}");
    assert_eq!(plan["pendingGrants"][0]["grantId"], "SUP-1");
    env.apply(&path);
    assert_eq!(env.calls("UpdateUsage"), 1, "never granted twice");
}
