//! End to end: a grant left pending (its UpdateUsage answered by a lost connection or a 500,
//! and the apply ended there, before any record of the outcome, as a crash would leave it)
//! is settled by the next plan from the key's usage where only one outcome fits: carried
//! out (never sent again; the next apply records it as bookkeeping) or not (planned and
//! sent again). One the figures cannot decide stays pending, and the drift check exits 2.
//! And an apply killed (SIGKILL) between a carried-out UpdateUsage and its applied record.

mod common;

use common::{first_call_faulted, lost, Env, FAULT_CLOCK as NOW};
use serde_json::{json, Value};
use tollgate_sim::{ClockMode, Config, Faults};

/// The day of the emulator's fixed clock ([`common::FAULT_CLOCK`]).
const TODAY: &str = "2026-11-23";

/// Gold, with a quota of 1,000 a month, and key1 on it.
const LIVE: &str = r#"
usagePlans:
  - id: gold000001
    name: Gold
    quota: { limit: 1000, offset: 0, period: MONTH }
    keys: [key1]
"#;

/// Gold with a grant of `remaining` to key1.
fn desired(remaining: i64) -> String {
    format!(
        r#"
usagePlans:
  - name: Gold
    quota: {{ limit: 1000, period: MONTH }}
    keys:
      - id: key1
        grants: [ {{ id: SUP-1, remaining: {remaining} }} ]
"#
    )
}

/// A 500 before the work is done.
fn error_500(faults: &mut Faults, rate: f64) {
    faults.error_500_rate = rate;
}

/// The grant's record on Gold.
fn record(env: &Env) -> Option<String> {
    env.plan("gold000001")
        .tags()
        .and_then(|tags| tags.get("tollgate:grant:key1:SUP-1").cloned())
}

/// How many UpdateUsage calls the emulator carried out.
fn granted(env: &Env) -> u64 {
    env.sim
        .carried_out()
        .get("UpdateUsage")
        .copied()
        .unwrap_or(0)
}

/// Applies the YAML at `path`; the first UpdateUsage's outcome is unknown, so the apply
/// fails with the grant's record pending, holding key1's figures from before the call. No
/// later step records the outcome: this is the state a crash right after the call leaves.
fn apply_leaving_it_pending(env: &Env, path: &std::path::Path) {
    let output = env.run(&["apply", "--auto-approve"], path);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("the grant's outcome is unknown, so its record stays pending"),
        "{stderr}"
    );
    assert_eq!(env.calls("GetUsage"), 1, "one read of the key's usage");
    assert_eq!(
        record(env).as_deref(),
        Some("pending 2026-11-23T12:00:00Z used=0 remaining=1000")
    );
}

/// `plan --detailed-exitcode` on `path`: its exit code and stderr.
fn drift_check(env: &Env, path: &std::path::Path) -> (Option<i32>, String) {
    let output = env.run(&["plan", "--detailed-exitcode"], path);
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    (output.status.code(), stderr)
}

#[test]
fn a_grant_whose_answer_was_lost_is_settled_as_applied_and_never_sent_again() {
    let env = first_call_faulted(LIVE, "UpdateUsage", lost);
    let path = env.write("plans.yaml", &desired(5000));
    apply_leaving_it_pending(&env, &path);
    assert_eq!(granted(&env), 1, "AWS carried it out");
    // The key makes 30 requests meanwhile.
    env.sim
        .record_usage("gold000001", "key1", TODAY, 30)
        .expect("usage recorded");

    let plan = env.plan_json(&path);
    assert_eq!(plan["changes"], json!([]), "{plan:#}");
    assert_eq!(plan["pendingGrants"], json!([]), "{plan:#}");
    assert_eq!(
        plan["settledGrants"],
        json!([{ "name": "Gold", "id": "gold000001", "keyId": "key1", "grantId": "SUP-1",
                 "outcome": "carried-out" }])
    );
    assert_eq!(plan["summary"]["grants"], 0, "{plan:#}");
    assert_eq!(plan["summary"]["bookkeeping"], 1, "{plan:#}");
    let (code, stderr) = drift_check(&env, &path);
    assert_eq!(code, Some(0), "bookkeeping is no change: {stderr}");
    let text = env.run(&["plan"], &path);
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(
        text.contains("pending grant SUP-1 to key key1: its key's usage shows it was carried out"),
        "{text}"
    );

    // The next apply records it, sending nothing to UpdateUsage, even when asked to retry
    // the grants left pending: this one is settled.
    env.tollgate()
        .args(["apply", "--auto-approve", "--retry-pending-grants"])
        .arg(&path)
        .assert()
        .success();
    assert_eq!(env.calls("UpdateUsage"), 1, "never sent again");
    assert_eq!(record(&env).as_deref(), Some("applied"));
    env.assert_in_sync(&path);
}

#[test]
fn a_grant_refused_with_a_500_is_planned_again_once_the_figures_can_be_trusted() {
    let env = first_call_faulted(LIVE, "UpdateUsage", error_500);
    let path = env.write("plans.yaml", &desired(5000));
    apply_leaving_it_pending(&env, &path);
    assert_eq!(granted(&env), 0, "AWS did not carry it out");
    env.sim
        .record_usage("gold000001", "key1", TODAY, 30)
        .expect("usage recorded");

    // At once, the figures may lag behind a grant made: it stays pending, for attention.
    let (code, stderr) = drift_check(&env, &path);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains("Gold (gold000001): grant SUP-1 to key key1 is pending and not settled")
            && stderr.contains("settles from 2026-11-23 13:00 UTC on"),
        "{stderr}"
    );
    env.apply(&path);
    assert_eq!(env.calls("UpdateUsage"), 1, "not sent while pending");

    // An hour later the figures settle it: not carried out, so it is planned again.
    env.sim.advance_clock(3600);
    let plan = env.plan_json(&path);
    let changes = plan["changes"].as_array().expect("changes");
    assert_eq!(changes.len(), 1, "{plan:#}");
    assert_eq!(changes[0]["action"], "grant");
    assert_eq!(changes[0]["grantId"], "SUP-1");
    assert_eq!(plan["pendingGrants"], json!([]), "{plan:#}");
    assert_eq!(plan["settledGrants"][0]["outcome"], "not-carried-out");
    let (code, _) = drift_check(&env, &path);
    assert_eq!(code, Some(2));

    env.apply(&path);
    assert_eq!(granted(&env), 1, "sent again, carried out once");
    assert_eq!(record(&env).as_deref(), Some("applied"));
    env.assert_in_sync(&path);
}

#[test]
fn a_grant_the_figures_cannot_decide_stays_pending_until_the_user_retries_it() {
    // The grant sets key1's remaining quota to what remains anyway: both outcomes fit.
    let env = first_call_faulted(LIVE, "UpdateUsage", lost);
    let path = env.write("plans.yaml", &desired(1000));
    apply_leaving_it_pending(&env, &path);
    env.sim.advance_clock(3600);

    let plan = env.plan_json(&path);
    assert_eq!(plan["changes"], json!([]), "{plan:#}");
    let pending: &Value = &plan["pendingGrants"][0];
    assert_eq!(
        (&pending["id"], &pending["keyId"], &pending["grantId"]),
        (&json!("gold000001"), &json!("key1"), &json!("SUP-1")),
        "{plan:#}"
    );
    assert!(
        pending["reason"]
            .as_str()
            .is_some_and(|reason| reason.contains("fits both outcomes")),
        "{plan:#}"
    );
    let (code, stderr) = drift_check(&env, &path);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains("run `tollgate apply --retry-pending-grants`")
            && stderr.contains(
                "aws apigateway tag-resource --resource-arn \
                 arn:aws:apigateway:us-east-1::/usageplans/gold000001 \
                 --tags tollgate:grant:key1:SUP-1=applied"
            ),
        "{stderr}"
    );
    let dry_run = env.run(&["apply", "--dry-run", "--detailed-exitcode"], &path);
    assert_eq!(dry_run.status.code(), Some(2), "as plan does");

    env.apply(&path);
    assert_eq!(env.calls("UpdateUsage"), 1, "not sent on its own");
    env.tollgate()
        .args(["apply", "--auto-approve", "--retry-pending-grants"])
        .arg(&path)
        .assert()
        .success();
    assert_eq!(env.calls("UpdateUsage"), 2, "sent when the user asks");
    assert_eq!(record(&env).as_deref(), Some("applied"));
    env.assert_in_sync(&path);
}

#[test]
fn a_grant_carried_out_by_an_apply_killed_before_its_record_is_settled_as_applied() {
    // Every answer takes 2 s, so the applied record waits 2 s after UpdateUsage is done:
    // the apply is killed (SIGKILL, a crash) in that gap.
    let env = Env::with_config(
        LIVE,
        Config {
            faults: Some(Faults {
                latency_ms: 2000,
                ..Faults::default()
            }),
            clock: ClockMode::Manual { start: NOW },
            ..Config::default()
        },
    );
    let path = env.write("plans.yaml", &desired(5000));
    let mut child = env
        .tollgate_process()
        .args(["apply", "--auto-approve"])
        .arg(&path)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("tollgate starts");
    while granted(&env) == 0 {
        if let Some(status) = child.try_wait().expect("the apply's status") {
            panic!("the apply ended before UpdateUsage was carried out: {status}");
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    child.kill().expect("the apply is killed");
    child.wait().expect("the apply is gone");
    assert_eq!(
        record(&env).as_deref(),
        Some("pending 2026-11-23T12:00:00Z used=0 remaining=1000"),
        "killed before the applied record"
    );

    let plan = env.plan_json(&path);
    assert_eq!(plan["changes"], json!([]), "{plan:#}");
    assert_eq!(
        plan["settledGrants"][0]["outcome"], "carried-out",
        "{plan:#}"
    );
    env.apply(&path);
    assert_eq!(granted(&env), 1, "carried out once");
    assert_eq!(env.calls("UpdateUsage"), 1, "never sent again");
    assert_eq!(record(&env).as_deref(), Some("applied"));
}

#[test]
fn grants_of_one_id_to_two_keys_are_settled_each_by_its_own_key() {
    // Both answers are lost: key1's grant shows, key2's sets what remained anyway.
    let env = Env::with_config(
        &LIVE.replace("keys: [key1]", "keys: [key1, key2]"),
        Config {
            faults: Some(Faults {
                lost_rate: 1.0,
                operations: vec!["UpdateUsage".to_string()],
                ..Faults::default()
            }),
            clock: ClockMode::Manual { start: NOW },
            ..Config::default()
        },
    );
    let path = env.write(
        "plans.yaml",
        &format!(
            "{}      - id: key2\n        grants: [ {{ id: SUP-1, remaining: 1000 }} ]\n",
            desired(5000)
        ),
    );
    let output = env.run(&["apply", "--auto-approve"], &path);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(granted(&env), 2);

    let plan = env.plan_json(&path);
    assert_eq!(plan["changes"], json!([]), "{plan:#}");
    assert_eq!(plan["settledGrants"][0]["keyId"], "key1", "{plan:#}");
    assert_eq!(plan["settledGrants"].as_array().map(Vec::len), Some(1));
    assert_eq!(plan["pendingGrants"][0]["keyId"], "key2", "{plan:#}");
    assert_eq!(plan["pendingGrants"].as_array().map(Vec::len), Some(1));
}

#[test]
fn a_grant_whose_usage_cannot_be_read_first_is_not_sent_and_is_planned_again() {
    // Every GetUsage fails: the grant's record would hold no figures, so nothing is written
    // and UpdateUsage is not sent.
    let env = Env::with_config(
        LIVE,
        Config {
            faults: Some(Faults {
                error_500_rate: 1.0,
                operations: vec!["GetUsage".to_string()],
                ..Faults::default()
            }),
            clock: ClockMode::Manual { start: NOW },
            ..Config::default()
        },
    );
    let path = env.write("plans.yaml", &desired(5000));
    let output = env.run(&["apply", "--auto-approve"], &path);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("GetUsage"), "{stderr}");
    assert_eq!(env.calls("UpdateUsage"), 0, "{stderr}");
    assert_eq!(record(&env), None, "no record written");
    let plan = env.plan_json(&path);
    assert_eq!(plan["summary"]["grants"], 1, "planned again: {plan:#}");
}
