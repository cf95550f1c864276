//! End to end: what apply tells as it goes and at its end. Within a plan the body goes
//! first; a change AWS refuses is told as a refusal (no "run again" for it) while the
//! independent changes go on; the closing line counts changes, not calls; the progress bar's
//! time left counts down through a quota wait and `now:` names the step in flight.

mod common;

use common::Env;
use tollgate_sim::{Config, Faults, Quotas, Refusal, SimError};

/// Gold and Silver on stages of their own, each with a throttle and no tags or keys.
const LIVE: &str = r#"
usagePlans:
  - id: gold000001
    name: Gold
    throttle: { rateLimit: 100, burstLimit: 200 }
    apiStages: [ { apiId: a1b2c3d4e5, stage: prod } ]
  - id: silver0001
    name: Silver
    throttle: { rateLimit: 10, burstLimit: 20 }
    apiStages: [ { apiId: k9l8m7n6o5, stage: prod } ]
"#;

/// Each plan: a new throttle, tags and a key.
const DESIRED: &str = r#"
usagePlans:
  - name: Gold
    throttle: { rateLimit: 150, burstLimit: 200 }
    apiStages: [ { apiId: a1b2c3d4e5, stage: prod } ]
    tags: { team: payments }
    keys: [ { id: key1 } ]
  - name: Silver
    throttle: { rateLimit: 20, burstLimit: 20 }
    apiStages: [ { apiId: k9l8m7n6o5, stage: prod } ]
    tags: { team: growth }
    keys: [ { id: key2 } ]
"#;

/// AWS's message when it refuses Gold's update in these tests.
const REFUSAL: &str = "Usage plan rate limit exceeds the account's throttle for stage prod";

/// The emulator refusing every UpdateUsagePlan of Gold with a 400: nothing plan can see.
fn refusing_gold() -> Env {
    Env::with_config(
        LIVE,
        Config {
            faults: Some(Faults {
                refusals: vec![Refusal {
                    operation: "UpdateUsagePlan".into(),
                    path_contains: "gold000001".into(),
                    error: SimError::bad_request(REFUSAL),
                }],
                ..Faults::default()
            }),
            ..Config::default()
        },
    )
}

#[test]
fn a_refused_update_skips_its_plan_s_tags_and_keys_and_is_told_as_a_refusal() {
    let env = refusing_gold();
    let path = env.write("plans.yaml", DESIRED);
    let output = env.run(&["apply", "--auto-approve"], &path);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");

    // Gold's body went first and was refused: its tags and key were never sent.
    let gold = env.plan("gold000001");
    assert_eq!(gold.tags().map_or(0, |tags| tags.len()), 0, "{stderr}");
    assert!(env.plan_key_ids("gold000001").is_empty(), "{stderr}");
    // Silver's changes, which do not depend on Gold's, were all carried out.
    let silver = env.plan("silver0001");
    assert_eq!(
        silver
            .tags()
            .and_then(|tags| tags.get("team"))
            .map(String::as_str),
        Some("growth")
    );
    assert_eq!(env.plan_key_ids("silver0001"), ["key2"]);
    let carried_out = env.sim.carried_out();
    assert_eq!(carried_out.get("TagResource"), Some(&1), "Silver's alone");
    assert_eq!(
        carried_out.get("CreateUsagePlanKey"),
        Some(&1),
        "Silver's alone"
    );
    assert_eq!(
        env.calls("UpdateUsagePlan"),
        2,
        "a refusal is not sent again"
    );

    let closing = "Apply incomplete: 3 changes made, 1 failed, 2 skipped (they depend on a \
                   failed change) in";
    assert!(stderr.contains(closing), "{stderr}");
    assert!(
        stderr.contains(
            "AWS refused 1 change; running `tollgate apply` again will not help until the YAML \
             or the account changes:\n  Gold (gold000001): updating its throttle: \
             BadRequestException (HTTP 400): Usage plan rate limit exceeds"
        ),
        "{stderr}"
    );
    assert!(!stderr.contains("again to finish"), "{stderr}");
    assert!(!stderr.contains("A new run can finish"), "{stderr}");
}

#[test]
fn a_refusal_and_a_failure_a_new_run_can_finish_are_told_apart() {
    // Besides Gold's refused update, every TagResource meets a 503: Silver's tags fail in a
    // way a new run can finish (Gold's are skipped: they wait for its refused update).
    let env = Env::with_config(
        LIVE,
        Config {
            faults: Some(Faults {
                error_503_rate: 1.0,
                operations: vec!["TagResource".into()],
                refusals: vec![Refusal {
                    operation: "UpdateUsagePlan".into(),
                    path_contains: "gold000001".into(),
                    error: SimError::bad_request(REFUSAL),
                }],
                ..Faults::default()
            }),
            ..Config::default()
        },
    );
    let path = env.write("plans.yaml", DESIRED);
    let output = env
        .tollgate()
        .env("AWS_MAX_ATTEMPTS", "2")
        .args(["apply", "--auto-approve"])
        .arg(&path)
        .output()
        .expect("tollgate runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(
            "Apply incomplete: 2 changes made, 2 failed, 2 skipped (they depend on a failed \
             change) in"
        ),
        "{stderr}"
    );
    let refused = stderr
        .find("AWS refused 1 change; running `tollgate apply` again will not help")
        .expect("the refusal is told");
    let finishable = stderr
        .find(
            "A new run can finish these:\n  Silver (silver0001): setting 1 tag: \
             ServiceUnavailableException (HTTP 503)",
        )
        .expect("the 503 is told apart");
    assert!(refused < finishable, "{stderr}");
    assert_eq!(
        env.plan_key_ids("silver0001"),
        ["key2"],
        "independent: made"
    );
    assert!(
        env.plan_key_ids("gold000001").is_empty(),
        "dependent: skipped"
    );
}

#[test]
fn the_closing_line_counts_a_move_a_tag_set_a_grant_and_a_create_once_each() {
    let env = Env::new(
        r#"
usagePlans:
  - id: gold000001
    name: Gold
    apiStages: [ { apiId: a1b2c3d4e5, stage: prod } ]
    tags: { old: "1" }
    keys: [key3]
  - id: silver0001
    name: Silver
    quota: { limit: 1000, period: MONTH }
    apiStages: [ { apiId: a1b2c3d4e5, stage: prod } ]
"#,
    );
    // Four changes of nine calls: key3 moves from Gold to Silver (two calls), Gold's tags
    // change (a set and a removal), a grant (its record twice and UpdateUsage), and Trial is
    // created with a product code (CreateUsagePlan, then UpdateUsagePlan).
    let path = env.write(
        "plans.yaml",
        r#"
usagePlans:
  - name: Gold
    apiStages: [ { apiId: a1b2c3d4e5, stage: prod } ]
    tags: { team: payments }
    keys: []
  - name: Silver
    quota: { limit: 1000, period: MONTH }
    apiStages: [ { apiId: a1b2c3d4e5, stage: prod } ]
    keys:
      - id: key3
        grants: [ { id: SUP-1, remaining: 50 } ]
  - name: Trial
    productCode: trial-code
"#,
    );
    let output = env.run(&["apply", "--auto-approve"], &path);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("Apply complete: 4 changes made in"),
        "{stderr}"
    );
    assert_eq!(env.writes(), 9, "{:?}", env.sim.calls());
    env.assert_in_sync(&path);
}

/// Two plans that each need an update, on the emulator with AWS's quotas ten times faster:
/// the second update waits about 2 s for its slot.
#[test]
fn on_a_terminal_the_time_left_falls_through_a_quota_wait_and_now_names_the_waiting_update() {
    let env = Env::with_config(
        r#"
usagePlans:
  - { id: plan000001, name: A, throttle: { rateLimit: 1, burstLimit: 1 } }
  - { id: plan000002, name: B, throttle: { rateLimit: 1, burstLimit: 1 } }
"#,
        Config {
            quotas: Some(Quotas { speedup: 10.0 }),
            ..Config::default()
        },
    );
    env.write(
        "plans.yaml",
        r#"
usagePlans:
  - { name: A, throttle: { rateLimit: 2, burstLimit: 1 } }
  - { name: B, throttle: { rateLimit: 2, burstLimit: 1 } }
"#,
    );
    let output = env.run_on_terminal_with(
        &[("TERM", "xterm")],
        &["apply", "--auto-approve", "--pace", "aws:10", "plans.yaml"],
        "",
    );
    let shown = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{shown}");
    assert_eq!(env.sim.throttled(), Default::default(), "no 429 drawn");
    // The bar as it was drawn, frame by frame.
    let frames: Vec<&str> = shown
        .split(['\r', '\n'])
        .filter(|frame| frame.contains("changes ["))
        .collect();
    let waiting = "; now: B (plan000002): updating its throttle";
    let left: Vec<f64> = frames
        .iter()
        .filter(|frame| frame.contains(waiting))
        .filter_map(|frame| seconds_left(frame))
        .collect();
    assert!(left.len() >= 3, "the wait was drawn: {frames:#?}");
    assert!(
        left.windows(2).all(|pair| pair[1] <= pair[0]),
        "never rises: {left:?}"
    );
    assert!(
        left.last() < left.first(),
        "falls during the wait: {left:?}"
    );
    // Once A's update is done, no frame names it as in flight.
    let a_done = shown
        .find("A (plan000001): updated")
        .expect("A's update is reported");
    assert!(!shown[a_done..].contains("now: A "), "{shown}");
}

/// The seconds of `at least 1.8s left` (or `800ms`) in a frame of the bar.
fn seconds_left(frame: &str) -> Option<f64> {
    let rest = &frame[frame.find("at least ")? + "at least ".len()..];
    let text = rest.split(' ').next()?;
    match text.strip_suffix("ms") {
        Some(millis) => millis.parse::<f64>().ok().map(|ms| ms / 1000.0),
        None => text.strip_suffix('s')?.parse().ok(),
    }
}

#[test]
fn a_terminal_that_cannot_draw_a_bar_gets_a_line_per_step() {
    // TERM unset (a bare container's shell): the bar would swallow the lines printed above it.
    let env = Env::new(LIVE);
    env.write("plans.yaml", DESIRED);
    let output = env.run_on_terminal(&["apply", "--auto-approve", "plans.yaml"], "");
    let shown = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{shown}");
    assert!(
        shown.contains("Gold (gold000001): updated (1 operation)"),
        "{shown}"
    );
    assert!(
        shown.contains("Apply complete: 6 changes made in"),
        "{shown}"
    );
}
