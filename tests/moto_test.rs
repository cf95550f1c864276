//! The core scenarios a second time, against moto 5.2.5: a third party's implementation of
//! the calls it implements (create, list, name/description/throttle/stage updates, usage plan
//! keys) must agree with what tollgate plans and applies. Quota patches, method throttles,
//! tags and UpdateUsage are left out: moto does not implement them faithfully (each known
//! difference is pinned by a test of sim/tests/moto_diff_test.rs).

mod common;

use aws_sdk_apigateway::types::{ApiStage, QuotaPeriodType, QuotaSettings, ThrottleSettings};
use common::{stdout_json, tollgate_against};
use serde_json::json;
use tollgate_testkit::{sdk_client, MotoServer};

#[test]
fn plan_apply_plan_converges_against_moto() {
    let moto = MotoServer::start();
    let sdk = sdk_client(&moto.endpoint());
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let (gold, key_a, key_b) = runtime.block_on(async {
        let key = |name: &'static str| {
            let sdk = sdk.clone();
            async move {
                let created = sdk
                    .create_api_key()
                    .name(name)
                    .enabled(true)
                    .send()
                    .await
                    .expect("CreateApiKey");
                created.id().expect("key id").to_string()
            }
        };
        let key_a = key("a").await;
        let key_b = key("b").await;
        let gold = sdk
            .create_usage_plan()
            .name("Gold")
            .description("old description")
            .throttle(
                ThrottleSettings::builder()
                    .rate_limit(100.0)
                    .burst_limit(200)
                    .build(),
            )
            .quota(
                QuotaSettings::builder()
                    .limit(1000)
                    .offset(0)
                    .period(QuotaPeriodType::Month)
                    .build(),
            )
            .api_stages(
                ApiStage::builder()
                    .api_id("a1b2c3d4e5")
                    .stage("prod")
                    .build(),
            )
            .send()
            .await
            .expect("CreateUsagePlan")
            .id()
            .expect("plan id")
            .to_string();
        sdk.create_usage_plan_key()
            .usage_plan_id(&gold)
            .key_id(&key_a)
            .key_type("API_KEY")
            .send()
            .await
            .expect("CreateUsagePlanKey");
        sdk.create_usage_plan()
            .name("Legacy")
            .send()
            .await
            .expect("CreateUsagePlan");
        (gold, key_a, key_b)
    });

    let dir = tempfile::tempdir().expect("dir");
    let yaml = format!(
        r#"
usagePlans:
  - name: Gold
    description: Paying customers
    throttle: {{ rateLimit: 150, burstLimit: 300 }}
    quota: {{ limit: 1000, period: MONTH }}
    apiStages:
      - {{ apiId: k9l8m7n6o5, stage: prod }}
    keys: [ {{ id: {key_b} }} ]
  - name: Trial
    description: 14-day trial
    throttle: {{ rateLimit: 5, burstLimit: 10 }}
    quota: {{ limit: 5000, period: WEEK }}
    apiStages:
      - {{ apiId: a1b2c3d4e5, stage: beta }}
"#
    );
    std::fs::write(dir.path().join("plans.yaml"), yaml).expect("write");
    let tollgate = || tollgate_against(&moto.endpoint(), dir.path());

    let output = tollgate()
        .args(["plan", "--format", "json", "plans.yaml"])
        .output()
        .expect("runs");
    let plan = stdout_json(&output);
    assert_eq!(plan["summary"]["create"], 1, "{plan:#}");
    assert_eq!(plan["summary"]["update"], 1);
    assert_eq!(plan["summary"]["keys"], 2);
    assert_eq!(plan["unmanaged"][0]["name"], "Legacy");
    let update = plan["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .find(|c| c["action"] == "update")
        .expect("an update");
    assert_eq!(update["id"], gold.as_str());
    let mut ops = update["operations"].as_array().cloned().unwrap_or_default();
    ops.sort_by_key(|op| op.to_string());
    let mut expected = vec![
        json!({ "op": "add", "path": "/apiStages", "value": "k9l8m7n6o5:prod" }),
        json!({ "op": "remove", "path": "/apiStages", "value": "a1b2c3d4e5:prod" }),
        json!({ "op": "replace", "path": "/description", "value": "Paying customers" }),
        json!({ "op": "replace", "path": "/throttle/burstLimit", "value": "300" }),
        json!({ "op": "replace", "path": "/throttle/rateLimit", "value": "150" }),
    ];
    expected.sort_by_key(|op| op.to_string());
    assert_eq!(ops, expected);

    tollgate()
        .args(["apply", "--auto-approve", "plans.yaml"])
        .assert()
        .success();
    tollgate()
        .args(["plan", "--detailed-exitcode", "plans.yaml"])
        .assert()
        .code(0);

    let keys = runtime
        .block_on(sdk.get_usage_plan_keys().usage_plan_id(&gold).send())
        .expect("GetUsagePlanKeys");
    let ids: Vec<&str> = keys.items().iter().filter_map(|k| k.id()).collect();
    assert_eq!(
        ids,
        [key_b.as_str()],
        "key {key_a} was taken off, {key_b} put on"
    );
}

/// moto's server answers STS GetCallerIdentity (account 123456789012) on the same port, so
/// a saved plan is made, shown and applied against moto as against the emulator.
#[test]
fn a_saved_plan_is_made_and_applied_against_moto() {
    let moto = MotoServer::start();
    let dir = tempfile::tempdir().expect("dir");
    let yaml = r#"
usagePlans:
  - name: Basic
    description: Basic tier
    throttle: { rateLimit: 5, burstLimit: 10 }
    apiStages:
      - { apiId: a1b2c3d4e5, stage: prod }
"#;
    std::fs::write(dir.path().join("plans.yaml"), yaml).expect("write");
    let tollgate = || tollgate_against(&moto.endpoint(), dir.path());
    let planned = tollgate()
        .args([
            "plan",
            "--format",
            "json",
            "--out",
            "basic.tgplan",
            "plans.yaml",
        ])
        .output()
        .expect("runs");
    assert!(
        planned.status.success(),
        "{}",
        String::from_utf8_lossy(&planned.stderr)
    );
    let saved: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("basic.tgplan")).expect("the saved plan"),
    )
    .expect("JSON");
    assert_eq!(saved["saved"]["account"], "123456789012");
    assert_eq!(saved["summary"]["create"], 1);
    let shown = tollgate()
        .args(["show", "--format", "json", "basic.tgplan"])
        .output()
        .expect("runs");
    assert_eq!(shown.stdout, planned.stdout);
    tollgate()
        .args(["apply", "--auto-approve", "basic.tgplan"])
        .assert()
        .success();
    tollgate()
        .args(["plan", "--detailed-exitcode", "plans.yaml"])
        .assert()
        .code(0);
}
