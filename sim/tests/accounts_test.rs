//! Several accounts and regions in one emulator: a request reaches the account its access key
//! belongs to (the seed's `accounts`; the emulator's own for any other key) in the region it is
//! signed for, STS names that account, and the quotas are counted per account.

mod common;

use aws_sdk_apigateway::Client;
use aws_sdk_sts::config::{BehaviorVersion, Credentials, Region};
use common::{failure, patch_op, seeded, start_with, SEED};
use tollgate_sim::{Config, Quotas, Seed};
use tollgate_testkit::sdk_client_as;

/// The test seed, and a second account (`AKIAOTHER`) with a plan in eu-west-1.
fn two_accounts() -> Config {
    let seed = format!(
        "{SEED}accounts:
  - accountId: \"210987654321\"
    accessKeys: [AKIAOTHER]
    regions:
      eu-west-1:
        restApis:
          - {{ id: eu1api0001, name: pets, stages: [prod] }}
        usagePlans:
          - {{ id: euplan, name: Gold EU, apiStages: [{{ apiId: eu1api0001, stage: prod }}] }}
"
    );
    Config {
        seed: Some(Seed::from_yaml_str(&seed).expect("the seed is valid")),
        ..seeded()
    }
}

async fn plan_names(client: &Client) -> Vec<String> {
    let plans = client
        .get_usage_plans()
        .send()
        .await
        .expect("GetUsagePlans");
    plans
        .items()
        .iter()
        .filter_map(|plan| plan.name().map(str::to_owned))
        .collect()
}

#[tokio::test]
async fn each_account_and_region_has_its_own_plans() {
    let (sim, own) = start_with(two_accounts()).await;
    let endpoint = sim.endpoint();
    let own_eu = sdk_client_as(&endpoint, "testing", "eu-west-1");
    let other_eu = sdk_client_as(&endpoint, "AKIAOTHER", "eu-west-1");
    let other_us = sdk_client_as(&endpoint, "AKIAOTHER", "us-east-1");

    assert_eq!(plan_names(&own).await, ["Gold"]);
    assert_eq!(plan_names(&own_eu).await, Vec::<String>::new());
    assert_eq!(plan_names(&other_eu).await, ["Gold EU"]);
    assert_eq!(plan_names(&other_us).await, Vec::<String>::new());

    let created = other_us
        .create_usage_plan()
        .name("Silver")
        .send()
        .await
        .expect("CreateUsagePlan");
    assert_eq!(plan_names(&other_us).await, ["Silver"]);
    assert_eq!(
        plan_names(&own).await,
        ["Gold"],
        "another account's plan stays there"
    );
    let arn = format!(
        "arn:aws:apigateway:us-east-1::/usageplans/{}",
        created.id().unwrap_or_default()
    );
    assert_eq!(
        sim.dump_state_of("210987654321", "us-east-1")["usagePlans"]
            .as_object()
            .map(|plans| plans.len()),
        Some(1)
    );
    assert_eq!(
        sim.dump_state()["usagePlans"].as_object().map(|p| p.len()),
        Some(1)
    );
    // A stage of another account's API is unknown here.
    let foreign = failure(
        own.create_usage_plan()
            .name("Borrowed")
            .api_stages(
                aws_sdk_apigateway::types::ApiStage::builder()
                    .api_id("eu1api0001")
                    .stage("prod")
                    .build(),
            )
            .send()
            .await,
    );
    assert_eq!(
        (foreign.status, foreign.message.as_str()),
        (404, "API Stage not found: eu1api0001:prod")
    );
    let tags = other_us
        .get_tags()
        .resource_arn(&arn)
        .send()
        .await
        .expect("GetTags in the plan's own account and region");
    assert!(tags.tags().is_none_or(|tags| tags.is_empty()));
}

#[tokio::test]
async fn sts_names_the_account_of_the_access_key() {
    let (sim, _) = start_with(two_accounts()).await;
    for (access_key, account) in [("AKIAOTHER", "210987654321"), ("testing", "123456789012")] {
        let config = aws_sdk_sts::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("eu-west-1"))
            .credentials_provider(Credentials::new(access_key, "x", None, None, "test"))
            .endpoint_url(sim.endpoint())
            .build();
        let identity = aws_sdk_sts::Client::from_conf(config)
            .get_caller_identity()
            .send()
            .await
            .expect("GetCallerIdentity");
        assert_eq!(identity.account(), Some(account), "{access_key}");
    }
}

#[tokio::test]
async fn quotas_are_counted_per_account_across_its_regions() {
    let (sim, own) = start_with(Config {
        quotas: Some(Quotas { speedup: 1.0 }),
        ..two_accounts()
    })
    .await;
    let endpoint = sim.endpoint();
    let own_eu = sdk_client_as(&endpoint, "testing", "eu-west-1");
    let other_eu = sdk_client_as(&endpoint, "AKIAOTHER", "eu-west-1");
    let rename = |client: &Client, id: &str, name: &str| {
        client
            .update_usage_plan()
            .usage_plan_id(id)
            .patch_operations(patch_op("replace", "/name", Some(name)))
            .send()
    };
    rename(&own, "ywbqww", "Gold 2")
        .await
        .expect("the account's one update in 20 s");
    let eu_plan = own_eu
        .create_usage_plan()
        .name("Bronze")
        .send()
        .await
        .expect("CreateUsagePlan");
    let shared = failure(rename(&own_eu, eu_plan.id().unwrap_or_default(), "Bronze 2").await);
    assert_eq!(
        shared.status, 429,
        "the same account in another region shares the quota"
    );
    rename(&other_eu, "euplan", "Gold EU 2")
        .await
        .expect("another account has a quota of its own");
    assert_eq!(sim.throttled().get("UpdateUsagePlan"), Some(&1));
}

#[tokio::test]
async fn the_seed_may_not_give_one_key_to_two_accounts_or_seed_the_own_scope_twice() {
    let twice = "accounts:
  - { accountId: \"210987654321\", accessKeys: [AKIAX] }
  - { accountId: \"310987654321\", accessKeys: [AKIAX] }
";
    let error = Seed::from_yaml_str(twice).expect_err("a key given twice");
    assert!(
        error
            .to_string()
            .contains("access key 'AKIAX' is given to two accounts"),
        "{error}"
    );
    let own = "accounts:
  - accountId: \"123456789012\"
    regions: { us-east-1: { usagePlans: [] } }
";
    let config = Config {
        seed: Some(Seed::from_yaml_str(own).expect("a valid seed")),
        ..Config::default()
    };
    let error = config.check().expect_err("the own scope seeded twice");
    assert!(
        error.to_string().contains("own account 123456789012"),
        "{error}"
    );
}

#[tokio::test]
async fn every_account_and_region_makes_ids_of_its_own() {
    let (sim, own) = start_with(two_accounts()).await;
    let endpoint = sim.endpoint();
    let mut ids = Vec::new();
    for client in [
        own.clone(),
        sdk_client_as(&endpoint, "AKIAOTHER", "eu-west-1"),
        sdk_client_as(&endpoint, "AKIAOTHER", "us-east-1"),
    ] {
        let plan = client
            .create_usage_plan()
            .name("New")
            .send()
            .await
            .expect("CreateUsagePlan");
        ids.push(plan.id().unwrap_or_default().to_owned());
    }
    assert!(
        ids[0] != ids[1] && ids[1] != ids[2] && ids[0] != ids[2],
        "seeded or not, no two scopes make the same ids: {ids:?}"
    );
}

#[tokio::test]
async fn a_state_of_another_region_is_not_loaded_as_the_emulators_own() {
    let (sim, _) = start_with(two_accounts()).await;
    let mut dump = sim.dump_state();
    dump["region"] = "eu-west-1".into();
    let error = sim.load_state(dump).expect_err("another region");
    assert!(
        error.message.contains("its region is eu-west-1"),
        "{error:?}"
    );
    assert_eq!(
        sim.dump_state_of("999999999999", "ap-south-1")["usagePlans"],
        serde_json::json!({}),
        "an account nothing reached is empty"
    );
}
