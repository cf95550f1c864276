//! Usage plans through the real SDK: create, read, list with pagination, update with every patch
//! path, delete, and every validation error with its message.

mod common;

use aws_sdk_apigateway::types::{
    ApiStage, PatchOperation, QuotaPeriodType, QuotaSettings, ThrottleSettings,
};
use aws_sdk_apigateway::Client;
use common::{assert_bad_request, failure, patch_op, raw, start, Failure};
use serde_json::json;

async fn patch(
    client: &Client,
    ops: Vec<PatchOperation>,
) -> Result<aws_sdk_apigateway::operation::update_usage_plan::UpdateUsagePlanOutput, Failure> {
    let result = client
        .update_usage_plan()
        .usage_plan_id("ywbqww")
        .set_patch_operations(Some(ops))
        .send()
        .await;
    match result {
        Ok(out) => Ok(out),
        Err(e) => Err(failure::<_, ()>(Err(e))),
    }
}

async fn gold(client: &Client) -> serde_json::Value {
    let plan = client
        .get_usage_plan()
        .usage_plan_id("ywbqww")
        .send()
        .await
        .expect("GetUsagePlan");
    json!({
        "name": plan.name(), "description": plan.description(), "productCode": plan.product_code(),
        "quota": plan.quota().map(|q| json!([q.limit(), q.offset(), q.period().map(|p| p.as_str().to_string())])),
        "throttle": plan.throttle().map(|t| json!([t.rate_limit(), t.burst_limit()])),
        "stages": plan.api_stages().iter().map(|s| json!({
            "id": format!("{}:{}", s.api_id().unwrap_or_default(), s.stage().unwrap_or_default()),
            "throttle": s.throttle().map(|m| m.iter().map(|(k, v)| (k.clone(), json!([v.rate_limit(), v.burst_limit()]))).collect::<serde_json::Map<_, _>>()),
        })).collect::<Vec<_>>(),
        "tags": plan.tags().cloned(),
    })
}

/// Applies `ops` to Gold, which must accept them, and reads Gold back (see [`gold`]).
async fn patched_gold(client: &Client, ops: Vec<PatchOperation>) -> serde_json::Value {
    if let Err(refused) = patch(client, ops.clone()).await {
        panic!("{ops:?} must be accepted: {refused:?}");
    }
    gold(client).await
}

#[tokio::test]
async fn create_get_and_delete_a_plan() {
    let (sim, client) = start().await;
    let created = client
        .create_usage_plan()
        .name("Silver")
        .description("Some customers")
        .throttle(
            ThrottleSettings::builder()
                .rate_limit(12.5)
                .burst_limit(30)
                .build(),
        )
        .quota(
            QuotaSettings::builder()
                .limit(5000)
                .offset(2)
                .period(QuotaPeriodType::Week)
                .build(),
        )
        .api_stages(
            ApiStage::builder()
                .api_id("zz9zz9zz9z")
                .stage("prod")
                .build(),
        )
        .api_stages(
            ApiStage::builder()
                .api_id("a1b2c3d4e5")
                .stage("prod")
                .build(),
        )
        .api_stages(
            ApiStage::builder()
                .api_id("a1b2c3d4e5")
                .stage("beta")
                .build(),
        )
        .tags("team", "growth")
        .send()
        .await
        .expect("CreateUsagePlan");
    let id = created.id().expect("an id").to_string();
    assert_eq!(id.len(), 10);
    assert!(id
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()));
    let stages: Vec<String> = created
        .api_stages()
        .iter()
        .map(|s| format!("{}:{}", s.api_id().unwrap(), s.stage().unwrap()))
        .collect();
    assert_eq!(
        stages,
        ["a1b2c3d4e5:beta", "a1b2c3d4e5:prod", "zz9zz9zz9z:prod"],
        "stages come back sorted"
    );

    let got = client
        .get_usage_plan()
        .usage_plan_id(&id)
        .send()
        .await
        .unwrap();
    assert_eq!(got.name(), Some("Silver"));
    assert_eq!(got.description(), Some("Some customers"));
    assert_eq!(got.throttle().unwrap().rate_limit(), 12.5);
    assert_eq!(got.quota().unwrap().limit(), 5000);
    assert_eq!(got.quota().unwrap().offset(), 2);
    assert_eq!(got.tags().unwrap()["team"], "growth");

    let refused = failure(client.delete_usage_plan().usage_plan_id(&id).send().await);
    assert_eq!(
        (refused.status, refused.code.as_str()),
        (400, "BadRequestException")
    );
    assert!(
        refused.message.contains("while API stages are associated"),
        "{}",
        refused.message
    );

    let mut remove_all = client.update_usage_plan().usage_plan_id(&id);
    for stage in &stages {
        remove_all = remove_all.patch_operations(patch_op("remove", "/apiStages", Some(stage)));
    }
    remove_all.send().await.expect("stages removed");
    client
        .delete_usage_plan()
        .usage_plan_id(&id)
        .send()
        .await
        .expect("DeleteUsagePlan");
    let gone = failure(client.get_usage_plan().usage_plan_id(&id).send().await);
    assert_eq!(
        gone,
        Failure {
            status: 404,
            code: "NotFoundException".into(),
            message: "Invalid Usage Plan ID specified".into()
        }
    );
    sim.stop().await;
}

#[tokio::test]
async fn create_refuses_what_aws_refuses() {
    let (_sim, client) = start().await;
    let unknown_stage = failure(
        client
            .create_usage_plan()
            .name("X")
            .api_stages(
                ApiStage::builder()
                    .api_id("a1b2c3d4e5")
                    .stage("dev")
                    .build(),
            )
            .send()
            .await,
    );
    assert_eq!(
        (unknown_stage.status, unknown_stage.message.as_str()),
        (404, "API Stage not found: a1b2c3d4e5:dev")
    );
    let bad_period = failure(
        client
            .create_usage_plan()
            .name("X")
            .quota(
                QuotaSettings::builder()
                    .limit(1)
                    .period(QuotaPeriodType::from("YEAR"))
                    .build(),
            )
            .send()
            .await,
    );
    // The same rule and message as `replace /quota/period` with YEAR.
    assert_bad_request(
        &bad_period,
        "Invalid quota period specified: 'YEAR'. Must be one of: [DAY, WEEK, MONTH]",
    );
    let no_name = failure(client.create_usage_plan().send().await);
    assert_bad_request(&no_name, "Usage Plan name must be non-empty");
    let aws_tag = failure(
        client
            .create_usage_plan()
            .name("X")
            .tags("aws:owner", "me")
            .send()
            .await,
    );
    assert_bad_request(
        &aws_tag,
        "Invalid tag key 'aws:owner': keys starting with 'aws:' are reserved for AWS",
    );
    let method_without_plan_throttle = failure(
        client
            .create_usage_plan()
            .name("X")
            .api_stages(
                ApiStage::builder()
                    .api_id("a1b2c3d4e5")
                    .stage("beta")
                    .throttle(
                        "/pets/GET",
                        ThrottleSettings::builder()
                            .rate_limit(1.0)
                            .burst_limit(1)
                            .build(),
                    )
                    .build(),
            )
            .send()
            .await,
    );
    assert_bad_request(
        &method_without_plan_throttle,
        "Method level throttling on API Stage a1b2c3d4e5:beta requires a usage plan level throttle",
    );
}

#[tokio::test]
async fn pagination_over_1200_plans() {
    let (sim, client) = start().await;
    let mut state = sim.dump_state();
    let plans = state["usagePlans"].as_object_mut().unwrap();
    for i in 0..1199 {
        let id = format!("p{i:09}");
        plans.insert(id.clone(), json!({ "id": id, "name": format!("Plan {i}") }));
    }
    sim.load_state(state).expect("1,200 plans load");

    sim.reset_counters();
    let all: Vec<_> = client
        .get_usage_plans()
        .limit(500)
        .into_paginator()
        .items()
        .send()
        .collect::<Vec<_>>()
        .await;
    let ids: Vec<String> = all
        .into_iter()
        .map(|p| p.expect("a page").id().unwrap().to_string())
        .collect();
    assert_eq!(ids.len(), 1200);
    let mut unique = ids.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), 1200, "no plan twice");
    assert_eq!(sim.calls()["GetUsagePlans"], 3, "500 + 500 + 200");

    let first = client.get_usage_plans().send().await.unwrap();
    assert_eq!(first.items().len(), 25, "default page size");
    assert!(first.position().is_some());
    let last = client
        .get_usage_plans()
        .limit(500)
        .position(ids_position(&client, 1000).await)
        .send()
        .await
        .unwrap();
    assert_eq!(last.items().len(), 200);
    assert_eq!(last.position(), None, "no position on the last page");

    let too_big = failure(client.get_usage_plans().limit(501).send().await);
    assert_bad_request(
        &too_big,
        "1 validation error detected: Value '501' at 'limit' failed to satisfy constraint: Member must have value less than or equal to 500",
    );
    let bad_position = failure(
        client
            .get_usage_plans()
            .position("not-a-position")
            .send()
            .await,
    );
    assert_eq!(bad_position.status, 400);
}

/// The position after the first `n` plans (n a multiple of 500).
async fn ids_position(client: &Client, n: usize) -> String {
    let mut position = None;
    for _ in 0..n / 500 {
        let page = client
            .get_usage_plans()
            .limit(500)
            .set_position(position)
            .send()
            .await
            .unwrap();
        position = page.position().map(str::to_string);
    }
    position.expect("more pages")
}

#[tokio::test]
async fn key_filter_lists_only_the_key_s_plans() {
    let (_sim, client) = start().await;
    client
        .create_usage_plan()
        .name("Other")
        .send()
        .await
        .unwrap();
    let with_alice = client
        .get_usage_plans()
        .key_id("key1alice1")
        .send()
        .await
        .unwrap();
    let names: Vec<_> = with_alice
        .items()
        .iter()
        .map(|p| p.name().unwrap())
        .collect();
    assert_eq!(names, ["Gold"]);
    let unknown = failure(client.get_usage_plans().key_id("nokey").send().await);
    assert_eq!(
        (unknown.status, unknown.message.as_str()),
        (404, "Invalid API Key identifier specified")
    );
}

#[tokio::test]
async fn scalar_paths_add_replace_and_remove() {
    let (_sim, client) = start().await;
    let plan = patched_gold(
        &client,
        vec![
            patch_op("replace", "/name", Some("Platinum")),
            patch_op("replace", "/description", Some("Best")),
            patch_op("add", "/productCode", Some("prod-1")),
            patch_op("replace", "/quota/limit", Some("1300")),
            patch_op("replace", "/quota/offset", Some("5")),
            patch_op("replace", "/quota/period", Some("MONTH")),
            patch_op("replace", "/throttle/rateLimit", Some("12.5")),
            patch_op("add", "/throttle/burstLimit", Some("30")),
        ],
    )
    .await;
    assert_eq!(plan["name"], "Platinum");
    assert_eq!(plan["description"], "Best");
    assert_eq!(plan["productCode"], "prod-1");
    assert_eq!(plan["quota"], json!([1300, 5, "MONTH"]));
    assert_eq!(plan["throttle"], json!([12.5, 30]));

    let plan = patched_gold(
        &client,
        vec![
            patch_op("replace", "/productCode", Some("prod-2")),
            patch_op("replace", "/description", Some("")),
        ],
    )
    .await;
    assert_eq!(
        (plan["productCode"].as_str(), plan["description"].as_str()),
        (Some("prod-2"), None)
    );

    let plan = patched_gold(
        &client,
        vec![
            patch_op("remove", "/productCode", None),
            patch_op("remove", "/quota", None),
            patch_op("remove", "/apiStages/a1b2c3d4e5:prod/throttle", None),
            patch_op("remove", "/throttle", None),
        ],
    )
    .await;
    assert_eq!(
        (&plan["productCode"], &plan["quota"], &plan["throttle"]),
        (&json!(null), &json!(null), &json!(null))
    );

    // A block that appears leaf by leaf; the other leaves start at 0.
    let plan = patched_gold(
        &client,
        vec![
            patch_op("add", "/quota/limit", Some("10")),
            patch_op("add", "/quota/period", Some("DAY")),
            patch_op("add", "/throttle/rateLimit", Some("3")),
        ],
    )
    .await;
    assert_eq!(
        (&plan["quota"], &plan["throttle"]),
        (&json!([10, 0, "DAY"]), &json!([3.0, 0]))
    );
}

#[tokio::test]
async fn numbers_stay_numbers_on_the_wire() {
    let (sim, client) = start().await;
    patch(
        &client,
        vec![
            patch_op("replace", "/quota/limit", Some("5000")),
            patch_op("replace", "/throttle/rateLimit", Some("7.25")),
        ],
    )
    .await
    .unwrap();
    let body = raw(&sim.endpoint(), "GET", "/usageplans/ywbqww", None, true)
        .await
        .unwrap()
        .json();
    assert_eq!(body["quota"]["limit"], json!(5000));
    assert_eq!(body["quota"]["offset"], json!(0));
    assert_eq!(body["throttle"]["rateLimit"], json!(7.25));
    assert_eq!(body["throttle"]["burstLimit"], json!(200));
    assert_eq!(
        body["apiStages"][0]["throttle"]["/pets/GET"]["burstLimit"],
        json!(20)
    );
    let listed = raw(&sim.endpoint(), "GET", "/usageplans", None, true)
        .await
        .unwrap()
        .json();
    assert!(
        listed["item"].is_array(),
        "GetUsagePlans answers with `item`"
    );
    assert!(listed.get("position").is_none());
}

#[tokio::test]
async fn stage_paths_and_both_method_throttle_forms() {
    let (_sim, client) = start().await;
    let plan = patched_gold(
        &client,
        vec![
            patch_op("add", "/apiStages", Some("a1b2c3d4e5:beta")),
            patch_op(
                "replace",
                "/apiStages/a1b2c3d4e5:beta/throttle//pets/GET/rateLimit",
                Some("5"),
            ),
            patch_op(
                "add",
                "/apiStages/a1b2c3d4e5:beta/throttle/~1pets~1{petId}/DELETE/burstLimit",
                Some("9"),
            ),
            patch_op(
                "replace",
                "/apiStages/a1b2c3d4e5:prod/throttle/~1pets/GET/burstLimit",
                Some("25"),
            ),
            patch_op(
                "add",
                "/apiStages/a1b2c3d4e5:prod/throttle//pets/POST/rateLimit",
                Some("1.5"),
            ),
        ],
    )
    .await;
    assert_eq!(
        plan["stages"],
        json!([
            { "id": "a1b2c3d4e5:beta", "throttle": { "/pets/GET": [5.0, 0], "/pets/{petId}/DELETE": [0.0, 9] } },
            { "id": "a1b2c3d4e5:prod", "throttle": { "/pets/GET": [10.0, 25], "/pets/POST": [1.5, 0] } },
        ])
    );

    let plan = patched_gold(
        &client,
        vec![
            patch_op(
                "remove",
                "/apiStages/a1b2c3d4e5:prod/throttle//pets/GET",
                None,
            ),
            patch_op(
                "remove",
                "/apiStages/a1b2c3d4e5:beta/throttle/~1pets~1{petId}/DELETE",
                None,
            ),
            patch_op("remove", "/apiStages/a1b2c3d4e5:beta/throttle", None),
        ],
    )
    .await;
    assert_eq!(
        plan["stages"],
        json!([
            { "id": "a1b2c3d4e5:beta", "throttle": null },
            { "id": "a1b2c3d4e5:prod", "throttle": { "/pets/POST": [1.5, 0] } },
        ])
    );

    let plan = patched_gold(
        &client,
        vec![patch_op("remove", "/apiStages", Some("a1b2c3d4e5:beta"))],
    )
    .await;
    assert_eq!(plan["stages"].as_array().unwrap().len(), 1);
}

const REMOVE_PATHS: &str = "[/apiStages, /quota, /throttle, /productCode, /apiStages/<apidId:stageName>/throttle/<resourcePath>/<httpMethod>, /apiStages/<apidId:stageName>/throttle]";

#[tokio::test]
async fn every_bad_patch_is_refused_and_changes_nothing() {
    let (_sim, client) = start().await;
    let before = gold(&client).await;
    let cases: Vec<(Vec<PatchOperation>, u16, &str, String)> = vec![
        (vec![patch_op("remove", "/apiStages/a1b2c3d4e5:prod", None)], 400, "BadRequestException",
            format!("Invalid patch path '/apiStages/a1b2c3d4e5:prod' specified for op 'remove'. Must be one of: {REMOVE_PATHS}")),
        (vec![patch_op("add", "/name", Some("X"))], 400, "BadRequestException",
            "Invalid patch path '/name' specified for op 'add'. Must be one of: [/productCode, /quota/limit, /quota/offset, /quota/period, /throttle/burstLimit, /throttle/rateLimit, /apiStages, /apiStages/<apidId:stageName>/throttle/<resourcePath>/<httpMethod>/rateLimit, /apiStages/<apidId:stageName>/throttle/<resourcePath>/<httpMethod>/burstLimit]".into()),
        (vec![patch_op("replace", "/apiStages", Some("a1b2c3d4e5:beta"))], 400, "BadRequestException",
            "Invalid patch path '/apiStages' specified for op 'replace'. Must be one of: [/name, /description, /productCode, /quota/limit, /quota/offset, /quota/period, /throttle/burstLimit, /throttle/rateLimit, /apiStages/<apidId:stageName>/throttle/<resourcePath>/<httpMethod>/rateLimit, /apiStages/<apidId:stageName>/throttle/<resourcePath>/<httpMethod>/burstLimit]".into()),
        (vec![patch_op("replace", "/colour", Some("red"))], 400, "BadRequestException",
            "Invalid patch path '/colour' specified for op 'replace'. Must be one of: [/name, /description, /productCode, /quota/limit, /quota/offset, /quota/period, /throttle/burstLimit, /throttle/rateLimit, /apiStages/<apidId:stageName>/throttle/<resourcePath>/<httpMethod>/rateLimit, /apiStages/<apidId:stageName>/throttle/<resourcePath>/<httpMethod>/burstLimit]".into()),
        (vec![patch_op("move", "/name", Some("X"))], 400, "BadRequestException", "Invalid patch path '/name' specified for op 'move'. Must be one of: []".into()),
        (vec![patch_op("frob", "/name", Some("X"))], 400, "BadRequestException", "Invalid patch operation 'frob' specified. Must be one of: [add, remove, replace]".into()),
        (vec![patch_op("replace", "/quota/limit", Some("abc"))], 400, "BadRequestException", "Invalid value 'abc' specified for path '/quota/limit': must be an integer".into()),
        (vec![patch_op("replace", "/quota/limit", Some("12.5"))], 400, "BadRequestException", "Invalid value '12.5' specified for path '/quota/limit': must be an integer".into()),
        (vec![patch_op("replace", "/quota/limit", Some("-1"))], 400, "BadRequestException", "Invalid quota limit specified: -1. Must be an integer between 0 and 2147483647".into()),
        (vec![patch_op("replace", "/throttle/rateLimit", Some("fast"))], 400, "BadRequestException", "Invalid value 'fast' specified for path '/throttle/rateLimit': must be a number".into()),
        (vec![patch_op("replace", "/throttle/burstLimit", Some("3000000000"))], 400, "BadRequestException", "Invalid burst limit specified: 3000000000. Must be an integer between 0 and 2147483647".into()),
        (vec![patch_op("replace", "/quota/period", Some("YEAR"))], 400, "BadRequestException", "Invalid quota period specified: 'YEAR'. Must be one of: [DAY, WEEK, MONTH]".into()),
        (vec![patch_op("replace", "/quota/offset", Some("28"))], 400, "BadRequestException", "Invalid quota offset specified: 28. Must be between 0 and 27 for period MONTH".into()),
        (vec![patch_op("replace", "/name", Some(""))], 400, "BadRequestException", "Usage Plan name must be non-empty".into()),
        (vec![patch_op("replace", "/name", None)], 400, "BadRequestException", "Invalid patch operation: a value is required for op 'replace' on path '/name'".into()),
        (vec![patch_op("add", "/apiStages", Some("a1b2c3d4e5:dev"))], 404, "NotFoundException", "API Stage not found: a1b2c3d4e5:dev".into()),
        (vec![patch_op("add", "/apiStages", Some("nopenopeno:prod"))], 404, "NotFoundException", "API Stage not found: nopenopeno:prod".into()),
        (vec![patch_op("add", "/apiStages", Some("a1b2c3d4e5:prod"))], 409, "ConflictException", "API Stage a1b2c3d4e5:prod is already associated with the usage plan".into()),
        (vec![patch_op("add", "/apiStages", Some("prod"))], 400, "BadRequestException", "Invalid API Stage specified: 'prod'. Must be {apiId}:{stageName}".into()),
        (vec![patch_op("remove", "/apiStages", Some("zz9zz9zz9z:prod"))], 400, "BadRequestException", "Invalid API Stage specified".into()),
        (vec![patch_op("replace", "/apiStages/a1b2c3d4e5:prod/throttle//nope/GET/rateLimit", Some("1"))], 400, "BadRequestException",
            "Invalid method throttle '/nope/GET' for API Stage a1b2c3d4e5:prod: resource '/nope' not found in API a1b2c3d4e5".into()),
        (vec![patch_op("replace", "/apiStages/a1b2c3d4e5:prod/throttle/~1pets/PUT/rateLimit", Some("1"))], 400, "BadRequestException",
            "Invalid method throttle '/pets/PUT' for API Stage a1b2c3d4e5:prod: method PUT not found on resource '/pets' in API a1b2c3d4e5".into()),
        (vec![patch_op("replace", "/apiStages/a1b2c3d4e5:prod/throttle/*/*/rateLimit", Some("1"))], 400, "BadRequestException",
            "Invalid patch path '/apiStages/a1b2c3d4e5:prod/throttle/*/*/rateLimit' specified for op 'replace'. Must be one of: [/name, /description, /productCode, /quota/limit, /quota/offset, /quota/period, /throttle/burstLimit, /throttle/rateLimit, /apiStages/<apidId:stageName>/throttle/<resourcePath>/<httpMethod>/rateLimit, /apiStages/<apidId:stageName>/throttle/<resourcePath>/<httpMethod>/burstLimit]".into()),
        (vec![patch_op("replace", "/apiStages/a1b2c3d4e5:beta/throttle//pets/GET/rateLimit", Some("1"))], 400, "BadRequestException",
            "Invalid API Stage specified: a1b2c3d4e5:beta is not associated with the usage plan".into()),
        (vec![patch_op("remove", "/apiStages/a1b2c3d4e5:prod/throttle//pets/POST", None)], 400, "BadRequestException",
            "Invalid method throttle '/pets/POST' specified: API Stage a1b2c3d4e5:prod has no throttle for it".into()),
        (vec![patch_op("remove", "/throttle", None)], 400, "BadRequestException",
            "Method level throttling on API Stage a1b2c3d4e5:prod requires a usage plan level throttle".into()),
        // All or nothing: a good operation followed by a bad one applies neither.
        (vec![patch_op("replace", "/name", Some("Renamed")), patch_op("replace", "/quota/limit", Some("abc"))], 400, "BadRequestException",
            "Invalid value 'abc' specified for path '/quota/limit': must be an integer".into()),
        (vec![patch_op("add", "/apiStages", Some("a1b2c3d4e5:beta")), patch_op("add", "/apiStages", Some("a1b2c3d4e5:dev"))], 404, "NotFoundException",
            "API Stage not found: a1b2c3d4e5:dev".into()),
    ];
    for (ops, status, code, message) in cases {
        let got = patch(&client, ops.clone())
            .await
            .expect_err(&format!("{ops:?} must fail"));
        assert_eq!(
            got,
            Failure {
                status,
                code: code.into(),
                message
            },
            "{ops:?}"
        );
        assert_eq!(gold(&client).await, before, "{ops:?} changed the plan");
    }
    let unknown = failure(
        client
            .update_usage_plan()
            .usage_plan_id("nope")
            .patch_operations(patch_op("replace", "/name", Some("x")))
            .send()
            .await,
    );
    assert_eq!(
        (unknown.status, unknown.message.as_str()),
        (404, "Invalid Usage Plan ID specified")
    );
}
