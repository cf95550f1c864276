//! End to end: the real binary plans and applies against the emulator until the live plans
//! equal the YAML, with exactly the minimal patch operations README.md's "What the plan
//! sends" lists (their grammar: docs/aws.md).

mod common;

use common::{stdout_json, Env};
use serde_json::{json, Value};

/// The live plan every patch-path scenario starts from.
const LIVE_FULL: &str = r#"
usagePlans:
  - id: plan000001
    name: Gold
    description: Paying customers
    productCode: prod-gold
    throttle: { rateLimit: 100, burstLimit: 200 }
    quota: { limit: 1000, offset: 0, period: MONTH }
    apiStages:
      - apiId: a1b2c3d4e5
        stage: prod
        throttle:
          /pets/GET: { rateLimit: 10, burstLimit: 20 }
          /pets/{petId}/DELETE: { rateLimit: 1, burstLimit: 2 }
      - apiId: k9l8m7n6o5
        stage: prod
"#;

/// The desired state equal to [`LIVE_FULL`], stages listed in the other order.
const DESIRED_FULL: &str = r#"
usagePlans:
  - name: Gold
    description: Paying customers
    productCode: prod-gold
    throttle: { rateLimit: 100, burstLimit: 200 }
    quota: { limit: 1000, period: MONTH }
    apiStages:
      - apiId: k9l8m7n6o5
        stage: prod
      - apiId: a1b2c3d4e5
        stage: prod
        throttle:
          /pets/{petId}/DELETE: { rateLimit: 1, burstLimit: 2 }
          /pets/GET: { rateLimit: 10, burstLimit: 20 }
"#;

/// Plans `desired` against [`LIVE_FULL`], checks the update's operations are `expected`,
/// applies, and checks that a second plan finds nothing to do.
fn converges_with(desired: &str, expected: Value) {
    converges_from(LIVE_FULL, desired, expected);
}

/// Plans `desired` against the live plans `live`, checks the one update's operations are
/// `expected`, applies, and checks that a second plan finds nothing to do.
fn converges_from(live: &str, desired: &str, expected: Value) {
    let env = Env::new(live);
    let path = env.write("plans/gold.yaml", desired);
    let output = env.run(&["plan", "--format", "json", "--detailed-exitcode"], &path);
    assert_eq!(
        output.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let plan = stdout_json(&output);
    assert_eq!(
        plan["changes"].as_array().map(Vec::len),
        Some(1),
        "{plan:#}"
    );
    assert_eq!(plan["changes"][0]["action"], "update");
    assert_eq!(plan["changes"][0]["operations"], expected, "{plan:#}");

    env.apply(&path);
    assert_eq!(
        env.calls("UpdateUsagePlan"),
        1,
        "one UpdateUsagePlan call per changed plan"
    );
    env.assert_in_sync(&path);
}

fn replace(path: &str, value: &str) -> Value {
    json!({ "op": "replace", "path": path, "value": value })
}

#[test]
fn equal_plans_in_another_stage_order_need_nothing() {
    let env = Env::new(LIVE_FULL);
    let path = env.write("gold.yaml", DESIRED_FULL);
    let output = env.run(&["plan", "--detailed-exitcode"], &path);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
    assert!(String::from_utf8_lossy(&output.stdout).contains("No changes."));
    assert_eq!(env.writes(), 0);
}

#[test]
fn scalars_change_with_one_replace_each() {
    let desired = DESIRED_FULL
        .replace("name: Gold", "name: Gold\n    id: plan000001")
        .replace("Paying customers", "Paying customers, 2027")
        .replace(
            "limit: 1000, period: MONTH",
            "limit: 1300, period: WEEK, offset: 2",
        )
        .replace(
            "rateLimit: 100, burstLimit: 200",
            "rateLimit: 12.5, burstLimit: 250",
        )
        .replace("productCode: prod-gold", "productCode: prod-gold-2");
    let mut expected = vec![
        replace("/description", "Paying customers, 2027"),
        replace("/productCode", "prod-gold-2"),
        replace("/quota/limit", "1300"),
        replace("/quota/offset", "2"),
        replace("/quota/period", "WEEK"),
        replace("/throttle/burstLimit", "250"),
        replace("/throttle/rateLimit", "12.5"),
    ];
    // The diff's own documented order decides; the set of operations is what is pinned here.
    let plan_ops = plan_operations(&desired);
    expected.sort_by_key(|op| op.to_string());
    let mut got = plan_ops.as_array().cloned().unwrap_or_default();
    got.sort_by_key(|op| op.to_string());
    assert_eq!(got, expected);
    converges_with(&desired, plan_ops);
}

#[test]
fn a_rename_pinned_by_id_is_one_replace() {
    let desired = DESIRED_FULL.replace("name: Gold", "name: Platinum\n    id: plan000001");
    converges_with(&desired, json!([replace("/name", "Platinum")]));
}

#[test]
fn blocks_and_product_code_that_go_away_are_removed_whole() {
    let desired = DESIRED_FULL
        .replace("    description: Paying customers\n", "")
        .replace("    productCode: prod-gold\n", "")
        .replace("    quota: { limit: 1000, period: MONTH }\n", "");
    converges_with(
        &desired,
        json!([
            { "op": "remove", "path": "/productCode" },
            { "op": "remove", "path": "/quota" },
            replace("/description", ""),
        ]),
    );
}

#[test]
fn a_throttle_that_goes_away_takes_its_method_throttles_first() {
    let desired = r#"
usagePlans:
  - name: Gold
    description: Paying customers
    productCode: prod-gold
    quota: { limit: 1000, period: MONTH }
    apiStages:
      - { apiId: a1b2c3d4e5, stage: prod }
      - { apiId: k9l8m7n6o5, stage: prod }
"#;
    let stage = "/apiStages/a1b2c3d4e5:prod/throttle/";
    converges_with(
        desired,
        json!([
            { "op": "remove", "path": format!("{stage}/pets/GET") },
            { "op": "remove", "path": format!("{stage}/pets/{{petId}}/DELETE") },
            { "op": "remove", "path": "/throttle" },
        ]),
    );
}

#[test]
fn blocks_that_appear_set_every_leaf() {
    let bare = "usagePlans:\n  - { id: plan000001, name: Gold }\n";
    let desired = r#"
usagePlans:
  - name: Gold
    throttle: { rateLimit: 12.5, burstLimit: 25 }
    quota: { limit: 500, period: WEEK, offset: 2 }
"#;
    converges_from(
        bare,
        desired,
        json!([
            replace("/quota/limit", "500"),
            replace("/quota/period", "WEEK"),
            replace("/quota/offset", "2"),
            replace("/throttle/rateLimit", "12.5"),
            replace("/throttle/burstLimit", "25"),
        ]),
    );
}

#[test]
fn stages_are_added_and_removed_one_by_one_with_their_throttles() {
    let desired = DESIRED_FULL
        .replace(
            "      - apiId: k9l8m7n6o5\n        stage: prod\n",
            "      - apiId: a1b2c3d4e5\n        stage: beta\n        throttle:\n          /pets/POST: { rateLimit: 3, burstLimit: 4 }\n",
        );
    let ops = plan_operations(&desired);
    let ops = ops.as_array().cloned().unwrap_or_default();
    assert!(
        ops.contains(&json!({ "op": "remove", "path": "/apiStages", "value": "k9l8m7n6o5:prod" }))
    );
    let add = ops
        .iter()
        .position(|op| {
            op == &json!({ "op": "add", "path": "/apiStages", "value": "a1b2c3d4e5:beta" })
        })
        .expect("the new stage is added");
    let rate = ops
        .iter()
        .position(|op| {
            op == &replace(
                "/apiStages/a1b2c3d4e5:beta/throttle//pets/POST/rateLimit",
                "3",
            )
        })
        .expect("its method throttle is set");
    assert!(
        add < rate,
        "a stage's add comes before its method throttles: {ops:?}"
    );
    assert_eq!(ops.len(), 4, "{ops:?}");
    converges_with(&desired, Value::Array(ops));
}

#[test]
fn method_throttles_change_appear_and_go_without_touching_the_stage() {
    let desired = DESIRED_FULL
        .replace(
            "          /pets/{petId}/DELETE: { rateLimit: 1, burstLimit: 2 }\n",
            "          /pets/POST: { rateLimit: 7, burstLimit: 8 }\n",
        )
        .replace(
            "/pets/GET: { rateLimit: 10, burstLimit: 20 }",
            "/pets/GET: { rateLimit: 10, burstLimit: 30 }",
        );
    let ops = plan_operations(&desired);
    let mut sorted = ops.as_array().cloned().unwrap_or_default();
    sorted.sort_by_key(|op| op.to_string());
    let stage = "/apiStages/a1b2c3d4e5:prod/throttle/";
    let mut expected = vec![
        json!({ "op": "remove", "path": format!("{stage}/pets/{{petId}}/DELETE") }),
        replace(&format!("{stage}/pets/GET/burstLimit"), "30"),
        replace(&format!("{stage}/pets/POST/burstLimit"), "8"),
        replace(&format!("{stage}/pets/POST/rateLimit"), "7"),
    ];
    expected.sort_by_key(|op| op.to_string());
    assert_eq!(sorted, expected);
    converges_with(&desired, ops);
}

#[test]
fn a_plan_that_does_not_exist_is_created_with_one_call_and_its_product_code_follows() {
    let env = Env::new("");
    let path = env.write(
        "trial.yaml",
        r#"
usagePlans:
  - name: Trial
    description: 14-day trial
    productCode: trial-code
    throttle: { rateLimit: 5, burstLimit: 10 }
    quota: { limit: 5000, period: WEEK, offset: 1 }
    apiStages:
      - apiId: a1b2c3d4e5
        stage: beta
        throttle:
          /pets/GET: { rateLimit: 1.5, burstLimit: 3 }
    tags: { team: partners }
"#,
    );
    let plan = env.plan_json(&path);
    let change = &plan["changes"][0];
    assert_eq!(change["action"], "create");
    assert_eq!(change["id"], Value::Null);
    assert_eq!(
        change["operations"],
        json!([{ "op": "add", "path": "/productCode", "value": "trial-code" }])
    );
    assert_eq!(change["request"]["name"], "Trial");
    assert_eq!(change["request"]["tags"], json!({ "team": "partners" }));
    assert_eq!(plan["summary"]["create"], 1);

    env.apply(&path);
    assert_eq!(env.calls("CreateUsagePlan"), 1);
    assert_eq!(
        env.calls("UpdateUsagePlan"),
        1,
        "the product code follows in one update"
    );
    let live = env.plan(&env.plan_id("Trial"));
    assert_eq!(live.product_code(), Some("trial-code"));
    assert_eq!(live.quota().map(|quota| quota.offset()), Some(1));
    let stage = &live.api_stages()[0];
    assert_eq!(
        stage
            .throttle()
            .and_then(|t| t.get("/pets/GET"))
            .map(|t| t.rate_limit()),
        Some(1.5)
    );
    assert_eq!(
        live.tags()
            .and_then(|tags| tags.get("team"))
            .map(String::as_str),
        Some("partners")
    );
    env.assert_in_sync(&path);
}

#[test]
fn unmanaged_plans_are_counted_and_never_touched() {
    let env = Env::new(LIVE_FULL);
    let path = env.write("other.yaml", "usagePlans:\n  - name: Other\n");
    let plan = env.plan_json(&path);
    assert_eq!(
        plan["unmanaged"],
        json!([{ "name": "Gold", "id": "plan000001" }])
    );
    assert_eq!(plan["summary"]["unmanaged"], 1);
    let text = env
        .tollgate()
        .arg("plan")
        .arg(&path)
        .output()
        .expect("runs");
    assert!(String::from_utf8_lossy(&text.stdout).contains("1 unmanaged"));
    env.apply(&path);
    assert_eq!(
        env.calls("UpdateUsagePlan"),
        0,
        "the unmanaged plan is not touched"
    );
    assert_eq!(
        env.plan("plan000001").quota().map(|quota| quota.limit()),
        Some(1000)
    );
}

#[test]
fn drift_made_behind_tollgates_back_is_exit_2() {
    let env = Env::new(LIVE_FULL);
    let path = env.write("gold.yaml", DESIRED_FULL);
    env.assert_in_sync(&path);
    env.block_on(
        env.sdk()
            .update_usage_plan()
            .usage_plan_id("plan000001")
            .patch_operations(
                aws_sdk_apigateway::types::PatchOperation::builder()
                    .op(aws_sdk_apigateway::types::Op::Replace)
                    .path("/quota/limit")
                    .value("999")
                    .build(),
            )
            .send(),
    )
    .expect("someone changes the quota by hand");
    let output = env.run(&["plan", "--detailed-exitcode"], &path);
    assert_eq!(output.status.code(), Some(2));
    let stdout = String::from_utf8_lossy(&output.stdout);
    // The drift check's line first, then the change in the plan's words.
    assert!(
        stdout.starts_with(&format!(
            "Gold: quota limit is 999 live, 1,000 in {}:7\n",
            path.display()
        )),
        "{stdout}"
    );
    assert!(
        stdout.contains("    quota.limit  999 → 1,000 per MONTH\n"),
        "{stdout}"
    );
    // The operation that puts it back, with -v.
    let verbose = env.run(&["plan", "-v"], &path);
    let verbose = String::from_utf8_lossy(&verbose.stdout);
    assert!(
        verbose.contains(
            "    quota.limit  999 → 1,000 per MONTH\n        = replace /quota/limit = \"1000\"\n"
        ),
        "{verbose}"
    );
}

/// The update operations `plan --format json` shows for `desired` against [`LIVE_FULL`].
fn plan_operations(desired: &str) -> Value {
    let env = Env::new(LIVE_FULL);
    let path = env.write("gold.yaml", desired);
    env.plan_json(&path)["changes"][0]["operations"].clone()
}
