//! End to end: a write whose answer is lost after AWS did the work is never done twice.
//! The emulator carries out the request, then closes the connection without an answer.

mod common;

use common::{first_call_faulted, lost, Env, FAULT_CLOCK as NOW};
use tollgate_sim::{ClockMode, Config, Faults};

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

/// The connection is closed before the work is done.
fn dropped(faults: &mut Faults, rate: f64) {
    faults.drop_rate = rate;
}

/// Applies the YAML at `path`, asserting success; returns stderr.
fn applied(env: &Env, path: &std::path::Path) -> String {
    let output = env.run(&["apply", "--auto-approve"], path);
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    stderr
}

/// Gold on pets/prod; the YAML adds a stage (an `add` that fails when repeated) and
/// changes the throttle.
const GOLD: &str = r#"
usagePlans:
  - id: gold000001
    name: Gold
    throttle: { rateLimit: 10, burstLimit: 20 }
    apiStages: [ { apiId: a1b2c3d4e5, stage: prod } ]
"#;
const GOLD_WITH_A_NEW_STAGE: &str = r#"
usagePlans:
  - name: Gold
    throttle: { rateLimit: 20, burstLimit: 20 }
    apiStages: [ { apiId: a1b2c3d4e5, stage: prod }, { apiId: k9l8m7n6o5, stage: prod } ]
"#;

#[test]
fn an_update_whose_answer_is_lost_is_read_back_not_sent_again() {
    let env = first_call_faulted(GOLD, "UpdateUsagePlan", lost);
    let path = env.write("plans.yaml", GOLD_WITH_A_NEW_STAGE);
    let stderr = applied(&env, &path);
    assert_eq!(env.calls("UpdateUsagePlan"), 1, "not sent again: {stderr}");
    assert_eq!(env.calls("GetUsagePlan"), 1, "read back once");
    env.assert_in_sync(&path);
}

#[test]
fn an_update_dropped_before_the_work_is_read_back_and_sent_again() {
    let env = first_call_faulted(GOLD, "UpdateUsagePlan", dropped);
    let path = env.write("plans.yaml", GOLD_WITH_A_NEW_STAGE);
    let stderr = applied(&env, &path);
    assert_eq!(env.calls("UpdateUsagePlan"), 2, "{stderr}");
    assert_eq!(
        env.sim.carried_out().get("UpdateUsagePlan").copied(),
        Some(1),
        "made once"
    );
    env.assert_in_sync(&path);
}

#[test]
fn a_key_association_whose_answer_is_lost_is_confirmed_not_reported_as_a_409() {
    let env = first_call_faulted(GOLD, "CreateUsagePlanKey", lost);
    let path = env.write(
        "plans.yaml",
        &format!("{GOLD}    keys: [ {{ id: key1 }} ]\n").replace("    id: gold000001\n", ""),
    );
    let stderr = applied(&env, &path);
    assert_eq!(
        env.calls("CreateUsagePlanKey"),
        2,
        "sent again, answered 409"
    );
    assert_eq!(env.calls("GetUsagePlanKey"), 1, "the 409 is checked");
    assert!(!stderr.contains("409"), "{stderr}");
    env.assert_in_sync(&path);
}

#[test]
fn a_key_removal_whose_answer_is_lost_is_confirmed_not_reported_as_a_404() {
    let live = format!("{GOLD}    keys: [key1]\n");
    let env = first_call_faulted(&live, "DeleteUsagePlanKey", lost);
    let path = env.write(
        "plans.yaml",
        &format!("{GOLD}    keys: []\n").replace("    id: gold000001\n", ""),
    );
    applied(&env, &path);
    assert_eq!(
        env.calls("DeleteUsagePlanKey"),
        2,
        "sent again, answered 404"
    );
    assert_eq!(env.calls("GetUsagePlanKey"), 1, "the 404 is checked");
    env.assert_in_sync(&path);
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
    applied(&env, &path);
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
        Some("pending 2026-11-23T12:00:00Z used=0 remaining=1000")
    );
    // The next plan settles it from the key's usage as carried out, not as a change, and
    // apply sends nothing (tests/grant_settle_test.rs has the rest).
    let plan = env.plan_json(&path);
    assert_eq!(plan["changes"], serde_json::json!([]), "{plan:#}");
    assert_eq!(plan["settledGrants"][0]["grantId"], "SUP-1");
    env.apply(&path);
    assert_eq!(env.calls("UpdateUsage"), 1, "never granted twice");
}

#[test]
fn writes_throttled_ten_times_in_a_row_fail_cleanly_and_are_planned_again() {
    // Every CreateUsagePlan and UpdateUsage is answered 429 (Retry-After 1): each is tried
    // the 10 times a call gets, none is carried out, and nothing is left half done.
    let env = Env::with_config(
        r#"
usagePlans:
  - id: gold000001
    name: Gold
    quota: { limit: 1000, offset: 0, period: MONTH }
    keys: [key1]
"#,
        Config {
            faults: Some(Faults {
                throttle_rate: 1.0,
                operations: vec!["CreateUsagePlan".to_string(), "UpdateUsage".to_string()],
                ..Faults::default()
            }),
            clock: ClockMode::Manual { start: NOW },
            ..Config::default()
        },
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
  - name: Trial
    throttle: { rateLimit: 5, burstLimit: 10 }
"#,
    );
    let output = env.run(&["apply", "--auto-approve"], &path);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(
            "CreateUsagePlan on usage plan \"Trial\" failed: TooManyRequestsException (HTTP 429)"
        ),
        "{stderr}"
    );
    assert!(stderr.contains("UpdateUsage on usage plan \"Gold\" (gold000001) failed: TooManyRequestsException (HTTP 429)"), "{stderr}");
    assert_eq!(env.calls("CreateUsagePlan"), 10, "{stderr}");
    assert_eq!(env.calls("UpdateUsage"), 10, "{stderr}");
    assert_eq!(env.sim.carried_out().get("CreateUsagePlan"), None);
    assert_eq!(env.sim.carried_out().get("UpdateUsage"), None);
    // A 429 is a refusal: the grant's record is taken back, so both are planned again.
    let tags = env.plan("gold000001").tags().cloned().unwrap_or_default();
    assert_eq!(tags.get("tollgate:grant:key1:SUP-1"), None, "{tags:?}");
    let plan = env.plan_json(&path);
    assert_eq!(plan["summary"]["create"], 1, "{plan:#}");
    assert_eq!(plan["summary"]["grants"], 1, "{plan:#}");
    assert_eq!(plan["pendingGrants"], serde_json::json!([]), "{plan:#}");
}
