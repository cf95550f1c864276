//! The core scenarios a second time, against moto 5.2.5: a third party's implementation of
//! the calls it implements (create, list, name/description/throttle/stage updates, usage plan
//! keys) must agree with what tollgate plans and applies. Quota patches, method throttles,
//! tags and UpdateUsage are left out: moto does not implement them faithfully (each known
//! difference is pinned by a test of sim/tests/moto_diff_test.rs).

mod common;

use aws_sdk_apigateway::types::{ApiStage, QuotaPeriodType, QuotaSettings, ThrottleSettings};
use aws_sdk_apigateway::Client;
use common::{stdout_json, tollgate_against};
use serde_json::json;
use tollgate_testkit::{sdk_client, MotoServer};

/// Creates a REST API in moto through its own calls (CreateRestApi, CreateResource, PutMethod,
/// PutIntegration, CreateDeployment): `resources` of `(pathPart, methods)` under the root, a
/// stage for each of `stages`; returns its id.
async fn rest_api(
    sdk: &Client,
    name: &str,
    resources: &[(&str, &[&str])],
    stages: &[&str],
) -> String {
    let api = sdk
        .create_rest_api()
        .name(name)
        .send()
        .await
        .expect("CreateRestApi");
    let id = api.id().expect("api id").to_string();
    let listed = sdk
        .get_resources()
        .rest_api_id(&id)
        .send()
        .await
        .expect("GetResources");
    let root = listed
        .items()
        .iter()
        .find(|resource| resource.path() == Some("/"))
        .and_then(|resource| resource.id())
        .expect("the root resource")
        .to_string();
    for (part, methods) in resources {
        let resource = sdk
            .create_resource()
            .rest_api_id(&id)
            .parent_id(&root)
            .path_part(*part)
            .send()
            .await
            .expect("CreateResource");
        let resource = resource.id().expect("resource id");
        for method in *methods {
            sdk.put_method()
                .rest_api_id(&id)
                .resource_id(resource)
                .http_method(*method)
                .authorization_type("NONE")
                .send()
                .await
                .expect("PutMethod");
            sdk.put_integration()
                .rest_api_id(&id)
                .resource_id(resource)
                .http_method(*method)
                .r#type(aws_sdk_apigateway::types::IntegrationType::Mock)
                .send()
                .await
                .expect("PutIntegration");
        }
    }
    for stage in stages {
        sdk.create_deployment()
            .rest_api_id(&id)
            .stage_name(*stage)
            .send()
            .await
            .expect("CreateDeployment");
    }
    id
}

#[test]
fn plan_apply_plan_converges_against_moto() {
    let moto = MotoServer::start();
    let sdk = sdk_client(&moto.endpoint());
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let (gold, key_a, key_b, pets, orders) = runtime.block_on(async {
        let pets = rest_api(&sdk, "pets", &[("pets", &["GET"])], &["prod", "beta"]).await;
        let orders = rest_api(&sdk, "orders", &[("orders", &["GET"])], &["prod"]).await;
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
            .api_stages(ApiStage::builder().api_id(&pets).stage("prod").build())
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
        (gold, key_a, key_b, pets, orders)
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
      - {{ apiId: {orders}, stage: prod }}
    keys: [ {{ id: {key_b} }} ]
  - name: Trial
    description: 14-day trial
    throttle: {{ rateLimit: 5, burstLimit: 10 }}
    quota: {{ limit: 5000, period: WEEK }}
    apiStages:
      - {{ apiId: {pets}, stage: beta }}
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
        json!({ "op": "add", "path": "/apiStages", "value": format!("{orders}:prod") }),
        json!({ "op": "remove", "path": "/apiStages", "value": format!("{pets}:prod") }),
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
    let sdk = sdk_client(&moto.endpoint());
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let pets = runtime.block_on(rest_api(&sdk, "pets", &[("pets", &["GET"])], &["prod"]));
    let dir = tempfile::tempdir().expect("dir");
    let yaml = format!(
        r#"
usagePlans:
  - name: Basic
    description: Basic tier
    throttle: {{ rateLimit: 5, burstLimit: 10 }}
    apiStages:
      - {{ apiId: {pets}, stage: prod }}
"#
    );
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

/// moto serves REST APIs, stages and resources, but does not refuse a key on two plans that
/// share a stage, nor unknown stages or methods: tollgate's checks refuse them at plan, with
/// nothing written, and pass what exists.
#[test]
fn references_are_checked_against_moto() {
    let moto = MotoServer::start();
    let sdk = sdk_client(&moto.endpoint());
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let (pets, key) = runtime.block_on(async {
        let pets = rest_api(&sdk, "pets", &[("pets", &["GET", "POST"])], &["prod"]).await;
        let key = sdk
            .create_api_key()
            .name("acme")
            .enabled(true)
            .send()
            .await
            .expect("key");
        (pets, key.id().expect("key id").to_string())
    });
    let dir = tempfile::tempdir().expect("dir");
    let tollgate = || tollgate_against(&moto.endpoint(), dir.path());
    let write = |yaml: String| std::fs::write(dir.path().join("plans.yaml"), yaml).expect("write");

    write(format!(
        r#"usagePlans:
  - name: Gold
    throttle: {{ rateLimit: 10, burstLimit: 10 }}
    apiStages:
      - apiId: {pets}
        stage: prod
        throttle: {{ /pets/PATCH: {{ rateLimit: 1, burstLimit: 1 }}, /pets/GET: {{ rateLimit: 1, burstLimit: 1 }} }}
      - {{ apiId: {pets}, stage: staging }}
    keys: [ {{ id: {key} }} ]
  - name: Silver
    apiStages: [ {{ apiId: {pets}, stage: prod }} ]
"#
    ));
    let output = tollgate()
        .args(["apply", "--auto-approve", "plans.yaml"])
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("plans.yaml:7:21: usage plan Gold: method throttle `/pets/PATCH`"),
        "{stderr}"
    );
    assert!(!stderr.contains("`/pets/GET` on"), "{stderr}");
    assert!(
        stderr.contains("plans.yaml:8:9: usage plan Gold: stage `"),
        "{stderr}"
    );
    let plans = runtime
        .block_on(sdk.get_usage_plans().send())
        .expect("GetUsagePlans");
    assert!(plans.items().is_empty(), "nothing was created");

    // Silver, made by hand, has the key; Gold is declared with it: moto would accept it.
    runtime.block_on(async {
        let silver = sdk
            .create_usage_plan()
            .name("Silver")
            .api_stages(ApiStage::builder().api_id(&pets).stage("prod").build())
            .send()
            .await
            .expect("CreateUsagePlan");
        sdk.create_usage_plan_key()
            .usage_plan_id(silver.id().expect("id"))
            .key_id(&key)
            .key_type("API_KEY")
            .send()
            .await
            .expect("CreateUsagePlanKey");
    });
    write(format!(
        "usagePlans:\n  - name: Gold\n    apiStages: [ {{ apiId: {pets}, stage: prod }} ]\n    keys: [ {{ id: {key} }} ]\n"
    ));
    let output = tollgate()
        .args(["apply", "--auto-approve", "plans.yaml"])
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "plans.yaml:4:19: key `{key}` would be on Gold and on the undeclared plan \"Silver\""
        )),
        "{stderr}"
    );
    let plans = runtime
        .block_on(sdk.get_usage_plans().send())
        .expect("GetUsagePlans");
    assert_eq!(plans.items().len(), 1, "Gold was not created");
}
