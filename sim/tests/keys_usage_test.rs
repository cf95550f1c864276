//! API keys, usage plan keys and their rules, and usage (GetUsage, UpdateUsage, traffic recorded
//! through the library, quota periods rolling over on the manual clock).

mod common;

use aws_sdk_apigateway::types::ApiStage;
use aws_sdk_apigateway::Client;
use common::{assert_bad_request, failure, patch_op, raw, start, Failure};
use serde_json::json;

async fn usage(client: &Client, key: Option<&str>, start: &str, end: &str) -> serde_json::Value {
    let out = client
        .get_usage()
        .usage_plan_id("ywbqww")
        .set_key_id(key.map(str::to_string))
        .start_date(start)
        .end_date(end)
        .send()
        .await
        .expect("GetUsage");
    assert_eq!(
        (out.start_date(), out.end_date(), out.usage_plan_id()),
        (Some(start), Some(end), Some("ywbqww"))
    );
    json!(out.items().cloned().unwrap_or_default())
}

#[tokio::test]
async fn api_keys_create_get_list_delete() {
    let (_sim, client) = start().await;
    let created = client
        .create_api_key()
        .name("dave")
        .value("dave-value-0123456789abcdef")
        .enabled(true)
        .send()
        .await
        .unwrap();
    let id = created.id().unwrap().to_string();
    assert_eq!(
        (created.name(), created.value(), created.enabled()),
        (Some("dave"), Some("dave-value-0123456789abcdef"), true)
    );
    let generated = client.create_api_key().name("erin").send().await.unwrap();
    assert_eq!(generated.value().map(str::len), Some(40));
    assert!(!generated.enabled(), "keys are disabled unless asked");

    let short = failure(
        client
            .create_api_key()
            .name("x")
            .value("too-short")
            .send()
            .await,
    );
    assert_bad_request(
        &short,
        "API Key value should be at least 20 characters (at most 128, printable ASCII)",
    );

    let hidden = client.get_api_key().api_key(&id).send().await.unwrap();
    assert_eq!(hidden.value(), None, "values only when asked");
    let shown = client
        .get_api_key()
        .api_key(&id)
        .include_value(true)
        .send()
        .await
        .unwrap();
    assert_eq!(shown.value(), Some("dave-value-0123456789abcdef"));

    let page = client.get_api_keys().limit(2).send().await.unwrap();
    assert_eq!(page.items().len(), 2);
    assert!(page.position().is_some());
    assert!(page.items().iter().all(|k| k.value().is_none()));
    let all: Vec<_> = client
        .get_api_keys()
        .limit(2)
        .include_values(true)
        .into_paginator()
        .items()
        .send()
        .collect::<Vec<_>>()
        .await;
    assert_eq!(all.len(), 5);
    assert!(all.iter().all(|k| k.as_ref().unwrap().value().is_some()));
    let named = client.get_api_keys().name_query("da").send().await.unwrap();
    assert_eq!(
        named
            .items()
            .iter()
            .map(|k| k.name().unwrap())
            .collect::<Vec<_>>(),
        ["dave"]
    );

    client
        .delete_api_key()
        .api_key("key1alice1")
        .send()
        .await
        .expect("DeleteApiKey");
    let gone = failure(client.get_api_key().api_key("key1alice1").send().await);
    assert_eq!(
        gone,
        Failure {
            status: 404,
            code: "NotFoundException".into(),
            message: "Invalid API Key identifier specified".into()
        }
    );
    let keys = client
        .get_usage_plan_keys()
        .usage_plan_id("ywbqww")
        .send()
        .await
        .unwrap();
    assert!(keys.items().is_empty(), "a deleted key leaves its plans");
}

#[tokio::test]
async fn api_keys_carry_tags_and_a_customer_id_refuse_a_used_value_and_take_updates() {
    let (_sim, client) = start().await;
    let created = client
        .create_api_key()
        .name("acme")
        .value("acme-value-0123456789abcdef")
        .customer_id("cust-1")
        .tags("tollgate:owner", "payments/prod-us")
        .enabled(true)
        .send()
        .await
        .expect("CreateApiKey");
    let id = created.id().expect("an id").to_string();
    assert_eq!(created.customer_id(), Some("cust-1"));
    assert_eq!(
        created.tags().and_then(|tags| tags.get("tollgate:owner")),
        Some(&"payments/prod-us".to_string())
    );

    let reused = failure(
        client
            .create_api_key()
            .name("copy")
            .value("acme-value-0123456789abcdef")
            .send()
            .await,
    );
    assert_eq!(
        (reused.status, reused.code.as_str(), reused.message.as_str()),
        (409, "ConflictException", "API Key value already exists")
    );

    let updated = client
        .update_api_key()
        .api_key(&id)
        .patch_operations(patch_op("replace", "/name", Some("acme-corp")))
        .patch_operations(patch_op("replace", "/description", Some("Acme Corp")))
        .patch_operations(patch_op("replace", "/enabled", Some("false")))
        .patch_operations(patch_op("replace", "/customerId", Some("cust-2")))
        .send()
        .await
        .expect("UpdateApiKey");
    assert_eq!(
        (
            updated.name(),
            updated.description(),
            updated.enabled(),
            updated.customer_id(),
            updated.value()
        ),
        (
            Some("acme-corp"),
            Some("Acme Corp"),
            false,
            Some("cust-2"),
            None
        )
    );
    let listed = client
        .get_api_keys()
        .name_query("acme")
        .send()
        .await
        .expect("GetApiKeys");
    let names: Vec<_> = listed.items().iter().filter_map(|key| key.name()).collect();
    assert_eq!(names, ["acme-corp"]);

    // All or none: a bad operation leaves the key as it was.
    let refused = failure(
        client
            .update_api_key()
            .api_key(&id)
            .patch_operations(patch_op("replace", "/name", Some("renamed")))
            .patch_operations(patch_op("replace", "/value", Some("x")))
            .send()
            .await,
    );
    assert_eq!(refused.status, 400);
    assert!(refused.message.contains("'/value'"), "{}", refused.message);
    let kept = client
        .get_api_key()
        .api_key(&id)
        .send()
        .await
        .expect("GetApiKey");
    assert_eq!(kept.name(), Some("acme-corp"));
    let missing = failure(
        client
            .update_api_key()
            .api_key("nokey")
            .patch_operations(patch_op("replace", "/name", Some("x")))
            .send()
            .await,
    );
    assert_eq!(missing.status, 404);
}

#[tokio::test]
async fn usage_plan_keys_and_their_errors() {
    let (_sim, client) = start().await;
    let added = client
        .create_usage_plan_key()
        .usage_plan_id("ywbqww")
        .key_id("key2bobbob")
        .key_type("API_KEY")
        .send()
        .await
        .unwrap();
    assert_eq!(
        (added.id(), added.r#type(), added.name(), added.value()),
        (
            Some("key2bobbob"),
            Some("API_KEY"),
            Some("bob"),
            Some("bob-value-0123456789abcdef")
        )
    );

    let again = failure(
        client
            .create_usage_plan_key()
            .usage_plan_id("ywbqww")
            .key_id("key2bobbob")
            .key_type("API_KEY")
            .send()
            .await,
    );
    assert_eq!(
        (again.status, again.code.as_str(), again.message.as_str()),
        (
            409,
            "ConflictException",
            "Usage Plan ywbqww already contains API Key key2bobbob"
        )
    );
    let unknown_key = failure(
        client
            .create_usage_plan_key()
            .usage_plan_id("ywbqww")
            .key_id("nokey")
            .key_type("API_KEY")
            .send()
            .await,
    );
    assert_eq!(
        (unknown_key.status, unknown_key.message.as_str()),
        (404, "Invalid API Key identifier specified")
    );
    let unknown_plan = failure(
        client
            .create_usage_plan_key()
            .usage_plan_id("noplan")
            .key_id("key2bobbob")
            .key_type("API_KEY")
            .send()
            .await,
    );
    assert_eq!(
        (unknown_plan.status, unknown_plan.message.as_str()),
        (404, "Invalid Usage Plan ID specified")
    );
    let bad_type = failure(
        client
            .create_usage_plan_key()
            .usage_plan_id("ywbqww")
            .key_id("key3carol3")
            .key_type("SECRET")
            .send()
            .await,
    );
    assert_bad_request(
        &bad_type,
        "Invalid key type specified: 'SECRET'. Must be API_KEY",
    );

    let one = client
        .get_usage_plan_key()
        .usage_plan_id("ywbqww")
        .key_id("key2bobbob")
        .send()
        .await
        .unwrap();
    assert_eq!(one.name(), Some("bob"));
    client
        .create_usage_plan_key()
        .usage_plan_id("ywbqww")
        .key_id("key3carol3")
        .key_type("API_KEY")
        .send()
        .await
        .unwrap();
    let first = client
        .get_usage_plan_keys()
        .usage_plan_id("ywbqww")
        .limit(2)
        .send()
        .await
        .unwrap();
    assert_eq!(
        first
            .items()
            .iter()
            .map(|k| k.id().unwrap())
            .collect::<Vec<_>>(),
        ["key1alice1", "key2bobbob"]
    );
    let second = client
        .get_usage_plan_keys()
        .usage_plan_id("ywbqww")
        .limit(2)
        .set_position(first.position().map(str::to_string))
        .send()
        .await
        .unwrap();
    assert_eq!(
        second
            .items()
            .iter()
            .map(|k| k.id().unwrap())
            .collect::<Vec<_>>(),
        ["key3carol3"]
    );
    assert_eq!(second.position(), None);
    let by_name = client
        .get_usage_plan_keys()
        .usage_plan_id("ywbqww")
        .name_query("car")
        .send()
        .await
        .unwrap();
    assert_eq!(by_name.items().len(), 1);

    client
        .delete_usage_plan_key()
        .usage_plan_id("ywbqww")
        .key_id("key2bobbob")
        .send()
        .await
        .expect("DeleteUsagePlanKey");
    let not_on_plan = failure(
        client
            .delete_usage_plan_key()
            .usage_plan_id("ywbqww")
            .key_id("key2bobbob")
            .send()
            .await,
    );
    assert_eq!(
        (not_on_plan.status, not_on_plan.message.as_str()),
        (404, "Invalid Usage Plan Key identifier specified")
    );
    let missing = failure(
        client
            .get_usage_plan_key()
            .usage_plan_id("ywbqww")
            .key_id("key2bobbob")
            .send()
            .await,
    );
    assert_eq!(missing.status, 404);
}

#[tokio::test]
async fn a_key_is_on_at_most_ten_plans() {
    let (_sim, client) = start().await;
    for i in 0..10 {
        let plan = client
            .create_usage_plan()
            .name(format!("P{i}"))
            .send()
            .await
            .unwrap();
        client
            .create_usage_plan_key()
            .usage_plan_id(plan.id().unwrap())
            .key_id("key2bobbob")
            .key_type("API_KEY")
            .send()
            .await
            .expect("within the limit");
    }
    let eleventh = client.create_usage_plan().name("P10").send().await.unwrap();
    let refused = failure(
        client
            .create_usage_plan_key()
            .usage_plan_id(eleventh.id().unwrap())
            .key_id("key2bobbob")
            .key_type("API_KEY")
            .send()
            .await,
    );
    assert_eq!(
        refused,
        Failure {
            status: 429,
            code: "LimitExceededException".into(),
            message: "Limit exceeded: API Key key2bobbob cannot be associated with more than 10 usage plans".into()
        }
    );
}

#[tokio::test]
async fn a_key_cannot_be_in_two_plans_sharing_a_stage() {
    let (_sim, client) = start().await;
    let other = client
        .create_usage_plan()
        .name("Other")
        .api_stages(
            ApiStage::builder()
                .api_id("a1b2c3d4e5")
                .stage("prod")
                .build(),
        )
        .send()
        .await
        .unwrap();
    let other_id = other.id().unwrap();
    let refused = failure(
        client
            .create_usage_plan_key()
            .usage_plan_id(other_id)
            .key_id("key1alice1")
            .key_type("API_KEY")
            .send()
            .await,
    );
    assert_eq!(refused.status, 409);
    assert_eq!(refused.code, "ConflictException");
    assert_eq!(
        refused.message,
        format!("Usage Plan {other_id} cannot be added because API Key key1alice1 cannot reference multiple Usage Plans with the same API Stage: a1b2c3d4e5:prod")
    );

    // The same rule holds when the shared stage arrives later, through UpdateUsagePlan.
    let later = client
        .create_usage_plan()
        .name("Later")
        .send()
        .await
        .unwrap();
    let later_id = later.id().unwrap();
    client
        .create_usage_plan_key()
        .usage_plan_id(later_id)
        .key_id("key1alice1")
        .key_type("API_KEY")
        .send()
        .await
        .expect("no shared stage yet");
    let patch = failure(
        client
            .update_usage_plan()
            .usage_plan_id(later_id)
            .patch_operations(patch_op("add", "/apiStages", Some("a1b2c3d4e5:prod")))
            .send()
            .await,
    );
    assert_eq!(patch.status, 409);
    client
        .update_usage_plan()
        .usage_plan_id(later_id)
        .patch_operations(patch_op("add", "/apiStages", Some("a1b2c3d4e5:beta")))
        .send()
        .await
        .expect("another stage is fine");
}

#[tokio::test]
async fn usage_falls_with_traffic_and_rolls_over_by_period() {
    let (sim, client) = start().await; // the clock stands at 2024-06-05T12:00:00Z; Gold: 1000 a MONTH
    sim.record_usage("ywbqww", "key1alice1", "2024-06-04", 10)
        .unwrap();
    sim.record_usage("ywbqww", "key1alice1", "2024-06-05", 30)
        .unwrap();
    assert_eq!(
        usage(&client, None, "2024-06-03", "2024-06-05").await,
        json!({ "key1alice1": [[0, 1000], [10, 990], [30, 960]] })
    );

    let updated = client
        .update_usage()
        .usage_plan_id("ywbqww")
        .key_id("key1alice1")
        .patch_operations(patch_op("replace", "/remaining", Some("5000")))
        .send()
        .await
        .unwrap();
    assert_eq!(
        (updated.start_date(), updated.end_date()),
        (Some("2024-06-05"), Some("2024-06-05"))
    );
    assert_eq!(
        json!(updated.items()),
        json!({ "key1alice1": [[30, 5000]] })
    );
    sim.record_usage("ywbqww", "key1alice1", "2024-06-06", 100)
        .unwrap();
    assert_eq!(
        usage(&client, Some("key1alice1"), "2024-06-05", "2024-06-06").await,
        json!({ "key1alice1": [[30, 5000], [100, 4900]] })
    );

    // The next month starts afresh: the extension belonged to June.
    assert_eq!(
        usage(&client, None, "2024-07-01", "2024-07-01").await,
        json!({ "key1alice1": [[0, 1000]] })
    );
    sim.advance_clock(26 * 86_400); // 2024-07-01T12:00:00Z
    let july = client
        .update_usage()
        .usage_plan_id("ywbqww")
        .key_id("key1alice1")
        .patch_operations(patch_op("replace", "/remaining", Some("7")))
        .send()
        .await
        .unwrap();
    assert_eq!(
        (july.start_date(), json!(july.items())),
        (Some("2024-07-01"), json!({ "key1alice1": [[0, 7]] }))
    );
    assert_eq!(
        usage(&client, None, "2024-06-30", "2024-06-30").await,
        json!({ "key1alice1": [[0, 4900]] }),
        "June is unchanged"
    );
}

#[tokio::test]
async fn a_weekly_quota_rolls_over_on_its_offset_day() {
    let (sim, client) = start().await;
    client
        .update_usage_plan()
        .usage_plan_id("ywbqww")
        .patch_operations(patch_op("replace", "/quota/period", Some("WEEK")))
        .patch_operations(patch_op("replace", "/quota/offset", Some("1"))) // weeks start on Monday
        .send()
        .await
        .unwrap();
    for day in ["2024-06-09", "2024-06-10"] {
        sim.record_usage("ywbqww", "key1alice1", day, 100).unwrap();
    }
    // 2024-06-09 is a Sunday, the last day of the week that started on Monday 06-03.
    assert_eq!(
        usage(&client, None, "2024-06-08", "2024-06-10").await,
        json!({ "key1alice1": [[0, 1000], [100, 900], [100, 900]] })
    );
}

#[tokio::test]
async fn usage_errors() {
    let (sim, client) = start().await;
    let bad_op = failure(
        client
            .update_usage()
            .usage_plan_id("ywbqww")
            .key_id("key1alice1")
            .patch_operations(patch_op("add", "/extension", Some("10")))
            .send()
            .await,
    );
    assert_bad_request(
        &bad_op,
        "Invalid patch path '/extension' specified for op 'add'. Must be one of: []",
    );
    let bad_path = failure(
        client
            .update_usage()
            .usage_plan_id("ywbqww")
            .key_id("key1alice1")
            .patch_operations(patch_op("replace", "/used", Some("10")))
            .send()
            .await,
    );
    assert_bad_request(
        &bad_path,
        "Invalid patch path '/used' specified for op 'replace'. Must be one of: [/remaining]",
    );
    let bad_value = failure(
        client
            .update_usage()
            .usage_plan_id("ywbqww")
            .key_id("key1alice1")
            .patch_operations(patch_op("replace", "/remaining", Some("lots")))
            .send()
            .await,
    );
    assert_bad_request(
        &bad_value,
        "Invalid value 'lots' specified for path '/remaining': must be an integer >= 0",
    );
    let not_on_plan = failure(
        client
            .update_usage()
            .usage_plan_id("ywbqww")
            .key_id("key2bobbob")
            .patch_operations(patch_op("replace", "/remaining", Some("1")))
            .send()
            .await,
    );
    assert_eq!(
        (not_on_plan.status, not_on_plan.code.as_str()),
        (404, "NotFoundException")
    );
    let not_on_plan = failure(
        client
            .get_usage()
            .usage_plan_id("ywbqww")
            .key_id("key2bobbob")
            .start_date("2024-06-01")
            .end_date("2024-06-02")
            .send()
            .await,
    );
    assert_eq!(not_on_plan.status, 404);
    let bad_date = failure(
        client
            .get_usage()
            .usage_plan_id("ywbqww")
            .start_date("2024-02-30")
            .end_date("2024-03-01")
            .send()
            .await,
    );
    assert_bad_request(&bad_date, "Invalid date '2024-02-30': expected YYYY-MM-DD");
    let backwards = failure(
        client
            .get_usage()
            .usage_plan_id("ywbqww")
            .start_date("2024-03-02")
            .end_date("2024-03-01")
            .send()
            .await,
    );
    assert_bad_request(&backwards, "The endDate must not be before the startDate");

    let no_quota = client
        .create_usage_plan()
        .name("Free")
        .send()
        .await
        .unwrap();
    let free = no_quota.id().unwrap();
    client
        .create_usage_plan_key()
        .usage_plan_id(free)
        .key_id("key2bobbob")
        .key_type("API_KEY")
        .send()
        .await
        .unwrap();
    let refused = failure(
        client
            .update_usage()
            .usage_plan_id(free)
            .key_id("key2bobbob")
            .patch_operations(patch_op("replace", "/remaining", Some("1")))
            .send()
            .await,
    );
    assert_bad_request(
        &refused,
        &format!("Usage Plan {free} has no quota: there is no remaining quota to set"),
    );

    let unknown = sim
        .record_usage("noplan", "key1alice1", "2024-06-05", 1)
        .unwrap_err();
    assert_eq!(unknown.message, "Invalid Usage Plan ID specified");
    assert!(
        sim.record_usage("ywbqww", "key2bobbob", "2024-06-05", 1)
            .is_err(),
        "the key must be on the plan"
    );
    assert!(sim
        .record_usage("ywbqww", "key1alice1", "June 5th", 1)
        .is_err());
}

#[tokio::test]
async fn huge_usage_counts_saturate_instead_of_panicking() {
    let (sim, _client) = start().await;
    let ep = sim.endpoint();
    let record = |date: &str, requests: &str| {
        format!(
            r#"{{"usagePlanId":"ywbqww","keyId":"key1alice1","date":"{date}","requests":{requests}}}"#
        )
    };
    let max = i64::MAX.to_string();
    for (date, requests) in [
        ("2024-06-01", max.as_str()),
        ("2024-06-02", max.as_str()),
        ("2024-06-02", "5"),
        ("2024-06-03", max.as_str()),
    ] {
        let answer = raw(
            &ep,
            "POST",
            "/_sim/usage",
            Some(&record(date, requests)),
            false,
        )
        .await
        .unwrap();
        assert_eq!(answer.status, 204, "{}", answer.body);
    }
    // More than a Long at once is refused rather than stored.
    let too_many = raw(
        &ep,
        "POST",
        "/_sim/usage",
        Some(&record("2024-06-04", &u64::MAX.to_string())),
        false,
    )
    .await
    .unwrap();
    assert_eq!(too_many.status, 400, "{}", too_many.body);
    assert_eq!(
        too_many.json()["message"],
        format!(
            "Invalid requests specified: {}. Must be an integer between 0 and {max}",
            u64::MAX
        )
    );

    // The period's sum passes u64::MAX; the answer still comes, with nothing remaining.
    let usage = raw(
        &ep,
        "GET",
        "/usageplans/ywbqww/usage?startDate=2024-06-01&endDate=2024-06-04",
        None,
        true,
    )
    .await
    .unwrap();
    assert_eq!(usage.status, 200, "{}", usage.body);
    assert_eq!(
        usage.json()["values"]["key1alice1"],
        json!([[i64::MAX, 0], [i64::MAX, 0], [i64::MAX, 0], [0, 0]])
    );

    // A dump holding such counts loads back; one holding more than a Long does not.
    let mut dump = sim.dump_state();
    sim.load_state(dump.clone()).expect("saturated counts load");
    dump["usagePlans"]["ywbqww"]["keys"]["key1alice1"]["used"]["2024-06-04"] = json!(u64::MAX);
    let err = sim.load_state(dump).unwrap_err();
    assert_eq!(
        err.message,
        format!(
            "usage plan 'Gold' (ywbqww): usage of API key key1alice1: Invalid requests specified: {}. Must be an integer between 0 and {max}",
            u64::MAX
        )
    );
}

#[tokio::test]
async fn get_usage_needs_both_dates_and_at_most_366_days() {
    let (sim, client) = start().await;
    let whole_calendar = failure(
        client
            .get_usage()
            .usage_plan_id("ywbqww")
            .start_date("0001-01-01")
            .end_date("9999-12-31")
            .send()
            .await,
    );
    assert_bad_request(
        &whole_calendar,
        "Invalid date range: from startDate 0001-01-01 to endDate 9999-12-31 is 3652059 days. It must be at most 366 days",
    );
    let leap_year = client
        .get_usage()
        .usage_plan_id("ywbqww")
        .start_date("2024-01-01")
        .end_date("2024-12-31")
        .send()
        .await
        .expect("366 days are served");
    assert_eq!(leap_year.items().unwrap()["key1alice1"].len(), 366);
    let one_too_many = failure(
        client
            .get_usage()
            .usage_plan_id("ywbqww")
            .start_date("2023-12-31")
            .end_date("2024-12-31")
            .send()
            .await,
    );
    assert_eq!(one_too_many.status, 400);

    // The SDK insists on both dates; over HTTP they may be left out.
    for (query, missing) in [
        ("endDate=2024-06-05", "startDate"),
        ("startDate=2024-06-05", "endDate"),
    ] {
        let answer = raw(
            &sim.endpoint(),
            "GET",
            &format!("/usageplans/ywbqww/usage?{query}"),
            None,
            true,
        )
        .await
        .unwrap();
        assert_eq!(
            answer.error_kind(),
            (400, "BadRequestException".to_string())
        );
        assert_eq!(
            answer.json()["message"],
            format!("Invalid {missing}: a date YYYY-MM-DD is required")
        );
    }
}

#[tokio::test]
async fn loaded_usage_days_are_checked_like_recorded_ones() {
    let (sim, _client) = start().await;
    let plan_key =
        |dump: &mut serde_json::Value| dump["usagePlans"]["ywbqww"]["keys"]["key1alice1"].take();
    for (member, day) in [
        ("used", "2024-06-01x"),
        ("used", "2024-02-30"),
        ("extensions", "June"),
    ] {
        let mut dump = sim.dump_state();
        let mut usage = plan_key(&mut dump);
        usage[member] = json!({ day: 1 });
        dump["usagePlans"]["ywbqww"]["keys"]["key1alice1"] = usage;
        let err = sim.load_state(dump).unwrap_err();
        assert_eq!(
            err.message,
            format!("usage plan 'Gold' (ywbqww): usage of API key key1alice1: Invalid date '{day}': expected YYYY-MM-DD"),
        );
        assert_eq!(
            sim.record_usage("ywbqww", "key1alice1", day, 1)
                .unwrap_err()
                .message,
            format!("Invalid date '{day}': expected YYYY-MM-DD")
        );
    }
}
