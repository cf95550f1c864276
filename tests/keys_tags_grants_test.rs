//! End to end: key associations, tags and grants, planned and applied against the emulator.

mod common;

use common::{Env, SHARED_STAGE_PLANS};
use serde_json::json;
use tollgate_sim::{ClockMode, Config};

/// 2026-11-23T12:00:00Z: the emulator's fixed clock in the grant tests.
const NOW: i64 = 1_795_435_200;
const TODAY: &str = "2026-11-23";

const LIVE: &str = r#"
usagePlans:
  - id: gold000001
    name: Gold
    throttle: { rateLimit: 100, burstLimit: 200 }
    quota: { limit: 1000, offset: 0, period: MONTH }
    apiStages: [ { apiId: a1b2c3d4e5, stage: prod } ]
    tags: { team: payments, old: remove-me }
    keys: [key1, key3]
"#;

const DESIRED: &str = r#"
usagePlans:
  - name: Gold
    throttle: { rateLimit: 100, burstLimit: 200 }
    quota: { limit: 1000, period: MONTH }
    apiStages: [ { apiId: a1b2c3d4e5, stage: prod } ]
    tags: { team: platform, tier: gold }
    keys:
      - id: key1
        grants:
          - { id: SUP-1234, remaining: 5000 }
      - id: key2
"#;

fn env() -> Env {
    Env::with_config(
        LIVE,
        Config {
            clock: ClockMode::Manual { start: NOW },
            ..Config::default()
        },
    )
}

fn tags(env: &Env) -> std::collections::BTreeMap<String, String> {
    tags_of(env, "gold000001")
}

fn tags_of(env: &Env, plan_id: &str) -> std::collections::BTreeMap<String, String> {
    env.plan(plan_id)
        .tags()
        .map(|tags| tags.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default()
}

fn remaining_today(env: &Env, key: &str) -> i64 {
    let usage = env
        .block_on(
            env.sdk()
                .get_usage()
                .usage_plan_id("gold000001")
                .key_id(key)
                .start_date(TODAY)
                .end_date(TODAY)
                .send(),
        )
        .expect("GetUsage");
    usage
        .items()
        .and_then(|items| items.get(key))
        .and_then(|days| days.last())
        .and_then(|day| day.get(1))
        .copied()
        .expect("a day of usage")
}

#[test]
fn keys_tags_and_grants_are_planned_in_order_and_applied() {
    let env = env();
    let path = env.write("gold.yaml", DESIRED);
    let plan = env.plan_json(&path);
    let actions: Vec<&str> = plan["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .filter_map(|c| c["action"].as_str())
        .collect();
    assert_eq!(
        actions,
        ["remove-key", "add-key", "tag", "grant"],
        "{plan:#}"
    );
    assert_eq!(plan["changes"][0]["keyId"], "key3");
    assert_eq!(plan["changes"][1]["keyId"], "key2");
    assert_eq!(
        plan["changes"][2]["set"],
        json!({ "team": "platform", "tier": "gold" })
    );
    assert_eq!(plan["changes"][2]["remove"], json!(["old"]));
    assert_eq!(
        plan["changes"][3]["operations"],
        json!([{ "op": "replace", "path": "/remaining", "value": "5000" }])
    );
    assert_eq!(
        plan["summary"],
        json!({ "changes": 4, "create": 0, "update": 0, "keys": 2, "grants": 1, "tags": 1, "destructive": 1, "unbounded": 0, "unchanged": 0, "unmanaged": 0 })
    );

    env.apply(&path);
    assert_eq!(env.plan_key_ids("gold000001"), ["key1", "key2"]);
    let tags = tags(&env);
    assert_eq!(tags.get("team").map(String::as_str), Some("platform"));
    assert_eq!(tags.get("tier").map(String::as_str), Some("gold"));
    assert!(!tags.contains_key("old"));
    assert_eq!(
        tags.get("tollgate:grant:key1:SUP-1234").map(String::as_str),
        Some("applied")
    );
    assert_eq!(remaining_today(&env, "key1"), 5000);
    assert_eq!(env.calls("UpdateUsage"), 1);
    env.assert_in_sync(&path);
}

#[test]
fn a_grant_is_never_applied_twice_however_much_quota_is_used() {
    let env = env();
    let path = env.write("gold.yaml", DESIRED);
    env.apply(&path);
    env.sim
        .record_usage("gold000001", "key1", TODAY, 4_990)
        .expect("traffic");
    assert_eq!(remaining_today(&env, "key1"), 10);
    env.assert_in_sync(&path);
    env.apply(&path);
    assert_eq!(
        env.calls("UpdateUsage"),
        1,
        "the grant was applied once only"
    );
    assert_eq!(remaining_today(&env, "key1"), 10);
}

#[test]
fn a_grant_left_pending_by_an_interrupted_apply_is_shown_not_applied() {
    let env = env();
    let path = env.write("gold.yaml", DESIRED);
    // An apply that stopped after recording the grant and before UpdateUsage left this.
    env.block_on(
        env.sdk()
            .tag_resource()
            .resource_arn("arn:aws:apigateway:us-east-1::/usageplans/gold000001")
            .tags("tollgate:grant:key1:SUP-1234", "pending")
            .send(),
    )
    .expect("TagResource");
    let plan = env.plan_json(&path);
    assert!(
        plan["changes"]
            .as_array()
            .expect("changes")
            .iter()
            .all(|c| c["action"] != "grant"),
        "{plan:#}"
    );
    assert_eq!(
        plan["pendingGrants"],
        json!([{ "name": "Gold", "id": "gold000001", "keyId": "key1", "grantId": "SUP-1234",
                 "reason": "its record holds no usage from before the call (an earlier tollgate wrote it)" }])
    );
    let text = env
        .tollgate()
        .arg("plan")
        .arg(&path)
        .output()
        .expect("runs");
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(
        text.contains("SUP-1234") && text.contains("--retry-pending-grants"),
        "{text}"
    );

    env.apply(&path);
    assert_eq!(
        env.calls("UpdateUsage"),
        0,
        "a pending grant is not applied again"
    );

    env.tollgate()
        .args(["apply", "--auto-approve", "--retry-pending-grants"])
        .arg(&path)
        .assert()
        .success();
    assert_eq!(env.calls("UpdateUsage"), 1);
    assert_eq!(
        tags(&env)
            .get("tollgate:grant:key1:SUP-1234")
            .map(String::as_str),
        Some("applied")
    );
}

#[test]
fn keys_and_tags_absent_from_the_yaml_are_left_alone_and_not_read() {
    let env = env();
    let path = env.write(
        "gold.yaml",
        "usagePlans:\n  - name: Gold\n    throttle: { rateLimit: 100, burstLimit: 200 }\n    quota: { limit: 1000, period: MONTH }\n    apiStages: [ { apiId: a1b2c3d4e5, stage: prod } ]\n",
    );
    env.assert_in_sync(&path);
    assert_eq!(
        env.calls("GetUsagePlanKeys"),
        0,
        "keys are read only for plans that manage them"
    );
    assert_eq!(env.calls("GetUsagePlans"), 1);
}

#[test]
fn a_failed_change_fails_the_apply_after_the_others_and_apply_again_finishes() {
    // key3 is already on Silver, which shares a1b2c3d4e5:prod with Gold: AWS refuses (409).
    // Plan's check of it is skipped (its key read denied), so that AWS refuses at apply.
    let env = Env::with_config(
        SHARED_STAGE_PLANS,
        Config {
            denied: vec!["GetUsagePlans?keyId".into()],
            ..Config::default()
        },
    );
    let path = env.write(
        "plans.yaml",
        r#"
usagePlans:
  - name: Gold
    throttle: { rateLimit: 100, burstLimit: 200 }
    quota: { limit: 100, period: DAY }
    apiStages: [ { apiId: a1b2c3d4e5, stage: prod } ]
    keys: [ { id: key3, grants: [ { id: G-1, remaining: 50 } ] } ]
    tags: { team: payments }
  - name: Silver
    throttle: { rateLimit: 15, burstLimit: 20 }
    apiStages: [ { apiId: a1b2c3d4e5, stage: prod } ]
"#,
    );
    let output = env.run(&["apply", "--auto-approve"], &path);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(
            "CreateUsagePlanKey on usage plan \"Gold\" (gold000001) failed: ConflictException"
        ),
        "{stderr}"
    );
    assert!(
        stderr.contains(
            "warning: GetUsagePlans of key key3 was denied (403): the role needs apigateway:GET \
             on arn:aws:apigateway:us-east-1::/usageplans; skipped the check of whether key \
             `key3` would be on two plans sharing a stage, or on more than 10"
        ),
        "the denied read is named, with what it skipped: {stderr}"
    );
    assert!(
        stderr.contains("1 skipped"),
        "the grant, which needs the failed key, is skipped: {stderr}"
    );
    assert_eq!(
        tags_of(&env, "gold000001").get("team").map(String::as_str),
        Some("payments"),
        "the tag change, which does not need the key, went on"
    );
    assert_eq!(
        env.plan("silver0001").throttle().map(|t| t.rate_limit()),
        Some(15.0),
        "Silver was still updated"
    );

    // The operator moves key3 off Silver by hand; apply again finishes the job.
    env.block_on(
        env.sdk()
            .delete_usage_plan_key()
            .usage_plan_id("silver0001")
            .key_id("key3")
            .send(),
    )
    .expect("DeleteUsagePlanKey");
    env.apply(&path);
    env.assert_in_sync(&path);
    assert_eq!(env.plan_key_ids("gold000001"), ["key3"]);
}

#[test]
fn a_grant_whose_update_usage_fails_is_planned_again_not_left_pending() {
    // A plan without a quota has no remaining quota to set: UpdateUsage fails.
    let env = Env::new(
        "usagePlans:\n  - { id: noquota001, name: NoQuota, throttle: { rateLimit: 1, burstLimit: 1 }, keys: [key1] }\n",
    );
    let path = env.write(
        "plans.yaml",
        "usagePlans:\n  - name: NoQuota\n    throttle: { rateLimit: 1, burstLimit: 1 }\n    keys:\n      - id: key1\n        grants: [ { id: G-1, remaining: 10 } ]\n",
    );
    let output = env.run(&["apply", "--auto-approve"], &path);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("UpdateUsage on usage plan \"NoQuota\" (noquota001) failed"),
        "{stderr}"
    );
    let tags = env.plan("noquota001").tags().cloned().unwrap_or_default();
    assert!(
        !tags.contains_key("tollgate:grant:key1:G-1"),
        "the record is taken back: {tags:?}"
    );
    let plan = env.plan_json(&path);
    assert_eq!(plan["changes"][0]["action"], "grant", "{plan:#}");
    assert_eq!(plan["pendingGrants"], json!([]));
}

#[test]
fn two_keys_swapped_between_plans_sharing_a_stage_move_in_one_apply() {
    // Gold and Silver share a1b2c3d4e5:prod; key1 moves to Silver and key2 to Gold, with a
    // tag and a grant on Gold. Each addition needs the key's removal from the other plan.
    let env = Env::with_config(
        r#"
usagePlans:
  - id: gold000001
    name: Gold
    throttle: { rateLimit: 100, burstLimit: 200 }
    quota: { limit: 1000, offset: 0, period: MONTH }
    apiStages: [ { apiId: a1b2c3d4e5, stage: prod } ]
    keys: [key1]
  - id: silver0001
    name: Silver
    throttle: { rateLimit: 10, burstLimit: 20 }
    quota: { limit: 100, offset: 0, period: MONTH }
    apiStages: [ { apiId: a1b2c3d4e5, stage: prod } ]
    keys: [key2]
"#,
        Config {
            clock: ClockMode::Manual { start: NOW },
            ..Config::default()
        },
    );
    let path = env.write(
        "plans.yaml",
        r#"
usagePlans:
  - name: Gold
    throttle: { rateLimit: 100, burstLimit: 200 }
    quota: { limit: 2000, period: MONTH }
    apiStages: [ { apiId: a1b2c3d4e5, stage: prod } ]
    tags: { tier: gold }
    keys:
      - id: key2
        grants: [ { id: UPGRADE-1, remaining: 1500 } ]
  - name: Silver
    throttle: { rateLimit: 10, burstLimit: 20 }
    quota: { limit: 100, period: MONTH }
    apiStages: [ { apiId: a1b2c3d4e5, stage: prod } ]
    keys: [ { id: key1 } ]
"#,
    );
    let output = env.run(&["apply", "--auto-approve"], &path);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("moved key key2 here from \"Silver\" (silver0001)")
            && stderr.contains("moved key key1 here from \"Gold\" (gold000001)"),
        "each key moves as one step: {stderr}"
    );
    assert_eq!(env.plan_key_ids("gold000001"), ["key2"]);
    assert_eq!(env.plan_key_ids("silver0001"), ["key1"]);
    assert_eq!(env.calls("CreateUsagePlanKey"), 2, "no addition refused");
    assert_eq!(
        tags_of(&env, "gold000001").get("tollgate:grant:key2:UPGRADE-1"),
        Some(&"applied".to_string())
    );
    assert_eq!(remaining_today(&env, "key2"), 1500);
    env.assert_in_sync(&path);
}
