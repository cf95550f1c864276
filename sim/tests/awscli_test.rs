//! The real AWS CLI (awscli 1.x from the project's virtual environment) against the emulator:
//! the emulator must speak the wire protocol well enough for botocore, pagination included.

mod common;

use common::PETS_API;
use serde_json::{json, Value};
use tollgate_sim::{BlockingSim, ClockMode, Config, Seed};
use tollgate_testkit::{AwsCli, CliOutput};

/// An emulator started from `seed` on a manual clock at 2024-06-10T12:00:00Z.
fn sim_with(seed: &str) -> BlockingSim {
    BlockingSim::start(Config {
        seed: Some(Seed::from_yaml_str(seed).expect("valid seed")),
        clock: ClockMode::manual_at("2024-06-10T12:00:00Z").expect("valid time"),
        ..Config::default()
    })
    .expect("start the emulator")
}

/// The emulator with [`PETS_API`] and the AWS CLI aimed at it.
fn sim_and_cli() -> (BlockingSim, AwsCli) {
    let sim = sim_with(PETS_API);
    let cli = AwsCli::new(&sim.endpoint());
    (sim, cli)
}

/// The emulator with [`PETS_API`] and `n` plans `plan00`, `plan01`, ..., and the AWS CLI
/// aimed at it.
fn sim_with_plans_and_cli(n: usize) -> (BlockingSim, AwsCli) {
    let plans: String = (0..n)
        .map(|i| format!("  - {{ id: plan{i:02}, name: Plan {i:02} }}\n"))
        .collect();
    let sim = sim_with(&format!("{PETS_API}usagePlans:\n{plans}"));
    let cli = AwsCli::new(&sim.endpoint());
    (sim, cli)
}

/// The arguments of `update-usage-plan` for plan `id` with patch operations `ops`.
fn update_usage_plan<'a>(id: &'a str, ops: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec![
        "update-usage-plan",
        "--usage-plan-id",
        id,
        "--patch-operations",
    ];
    args.extend_from_slice(ops);
    args
}

/// The arguments of `create-usage-plan-key` putting API key `key_id` on plan `plan_id`.
fn create_usage_plan_key<'a>(plan_id: &'a str, key_id: &'a str) -> [&'a str; 7] {
    [
        "create-usage-plan-key",
        "--usage-plan-id",
        plan_id,
        "--key-id",
        key_id,
        "--key-type",
        "API_KEY",
    ]
}

/// The arguments of `update-usage` for API key `key_id` on plan `plan_id` with patch
/// operation `op`.
fn update_usage<'a>(plan_id: &'a str, key_id: &'a str, op: &'a str) -> [&'a str; 7] {
    [
        "update-usage",
        "--usage-plan-id",
        plan_id,
        "--key-id",
        key_id,
        "--patch-operations",
        op,
    ]
}

/// Asserts that the AWS CLI run failed and that its standard error contains `expected`.
fn assert_refused(out: &CliOutput, expected: &str) {
    assert!(!out.status.success());
    assert!(out.stderr.contains(expected), "{}", out.stderr);
}

/// Creates a plan with a plan throttle on stage `a1b2c3d4e5:prod`, returning its id.
fn create_gold(cli: &AwsCli) -> String {
    let plan = cli.apigateway_json(&[
        "create-usage-plan",
        "--name",
        "Gold",
        "--throttle",
        "burstLimit=200,rateLimit=100",
        "--quota",
        "limit=1000,offset=0,period=MONTH",
        "--api-stages",
        r#"[{"apiId":"a1b2c3d4e5","stage":"prod","throttle":{"/pets/GET":{"burstLimit":20,"rateLimit":10}}}]"#,
    ]);
    plan["id"].as_str().expect("the plan has an id").to_owned()
}

#[test]
fn create_usage_plan_answers_the_plan_and_get_usage_plan_reads_it_back() {
    let (_sim, cli) = sim_and_cli();
    let created = cli.apigateway_json(&[
        "create-usage-plan",
        "--name",
        "Gold",
        "--description",
        "Paying customers",
        "--throttle",
        "burstLimit=200,rateLimit=12.5",
        "--quota",
        "limit=1000,offset=2,period=WEEK",
        "--api-stages",
        r#"[{"apiId":"a1b2c3d4e5","stage":"prod","throttle":{"/pets/GET":{"burstLimit":20,"rateLimit":10}}}]"#,
        "--tags",
        "team=payments",
    ]);
    let id = created["id"].as_str().expect("id");
    let expected = json!({
        "id": id,
        "name": "Gold",
        "description": "Paying customers",
        "throttle": { "burstLimit": 200, "rateLimit": 12.5 },
        "quota": { "limit": 1000, "offset": 2, "period": "WEEK" },
        "apiStages": [{
            "apiId": "a1b2c3d4e5",
            "stage": "prod",
            "throttle": { "/pets/GET": { "burstLimit": 20, "rateLimit": 10.0 } }
        }],
        "tags": { "team": "payments" }
    });
    assert_eq!(created, expected);
    let read = cli.apigateway_json(&["get-usage-plan", "--usage-plan-id", id]);
    assert_eq!(read, expected);
}

#[test]
fn get_usage_plans_follows_position_over_every_page() {
    let (sim, cli) = sim_with_plans_and_cli(60);

    let listed = cli.apigateway_json(&["get-usage-plans", "--page-size", "25"]);

    let mut ids: Vec<&str> = listed["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|plan| plan["id"].as_str().expect("id"))
        .collect();
    ids.sort_unstable();
    let expected: Vec<String> = (0..60).map(|i| format!("plan{i:02}")).collect();
    assert_eq!(ids, expected);
    assert_eq!(sim.calls().get("GetUsagePlans"), Some(&3), "25 + 25 + 10");
}

#[test]
fn get_usage_plans_with_max_items_hands_out_a_token_that_resumes() {
    let (_sim, cli) = sim_with_plans_and_cli(30);

    let first = cli.apigateway_json(&["get-usage-plans", "--page-size", "7", "--max-items", "10"]);
    let token = first["NextToken"]
        .as_str()
        .expect("a NextToken after 10 of 30");
    let rest = cli.apigateway_json(&[
        "get-usage-plans",
        "--page-size",
        "7",
        "--starting-token",
        token,
    ]);

    assert_eq!(first["items"].as_array().map(Vec::len), Some(10));
    assert_eq!(rest["items"].as_array().map(Vec::len), Some(20));
    assert!(rest.get("NextToken").is_none());
}

#[test]
fn update_usage_plan_applies_every_patch_operation_in_one_call() {
    let (_sim, cli) = sim_and_cli();
    let id = create_gold(&cli);

    let updated = cli.apigateway_json(&update_usage_plan(
        &id,
        &[
            "op=replace,path=/name,value=Platinum",
            "op=replace,path=/throttle/rateLimit,value=150",
            "op=replace,path=/quota/limit,value=5000",
            "op=add,path=/apiStages,value=a1b2c3d4e5:beta",
            "op=replace,path=/apiStages/a1b2c3d4e5:prod/throttle//pets/GET/rateLimit,value=15",
            "op=replace,path=/apiStages/a1b2c3d4e5:beta/throttle/~1pets/POST/burstLimit,value=5",
            "op=add,path=/productCode,value=prod-platinum",
        ],
    ));

    let read = cli.apigateway_json(&["get-usage-plan", "--usage-plan-id", &id]);
    assert_eq!(updated, read);
    assert_eq!(read["name"], "Platinum");
    assert_eq!(read["productCode"], "prod-platinum");
    assert_eq!(
        read["throttle"],
        json!({ "burstLimit": 200, "rateLimit": 150.0 })
    );
    assert_eq!(read["quota"]["limit"], 5000);
    assert_eq!(
        read["apiStages"],
        json!([
            { "apiId": "a1b2c3d4e5", "stage": "beta",
              "throttle": { "/pets/POST": { "burstLimit": 5, "rateLimit": 0.0 } } },
            { "apiId": "a1b2c3d4e5", "stage": "prod",
              "throttle": { "/pets/GET": { "burstLimit": 20, "rateLimit": 15.0 } } }
        ])
    );
}

#[test]
fn update_usage_plan_with_a_path_the_op_does_not_allow_fails_with_the_aws_message() {
    let (_sim, cli) = sim_and_cli();
    let id = create_gold(&cli);

    let out = cli.apigateway(&update_usage_plan(
        &id,
        &["op=remove,path=/apiStages/a1b2c3d4e5:prod"],
    ));

    assert_refused(
        &out,
        "An error occurred (BadRequestException) when calling the UpdateUsagePlan operation: \
         Invalid patch path '/apiStages/a1b2c3d4e5:prod' specified for op 'remove'. \
         Must be one of: [/apiStages, /quota, /throttle, /productCode, \
         /apiStages/<apidId:stageName>/throttle/<resourcePath>/<httpMethod>, \
         /apiStages/<apidId:stageName>/throttle]",
    );
    let read = cli.apigateway_json(&["get-usage-plan", "--usage-plan-id", &id]);
    assert_eq!(read["apiStages"][0]["stage"], "prod", "nothing was changed");
}

#[test]
fn get_usage_plan_for_an_unknown_id_is_not_found() {
    let (_sim, cli) = sim_and_cli();
    let out = cli.apigateway(&["get-usage-plan", "--usage-plan-id", "nosuch"]);
    assert_refused(
        &out,
        "(NotFoundException) when calling the GetUsagePlan operation: Invalid Usage Plan ID specified",
    );
}

/// Creates an API key and puts it on plan `plan_id`, returning the key's id.
fn key_on_plan(cli: &AwsCli, plan_id: &str) -> String {
    let key = cli.apigateway_json(&["create-api-key", "--name", "alice", "--enabled"]);
    let key_id = key["id"].as_str().expect("the key has an id").to_owned();
    assert_eq!(key["name"], "alice");
    assert_eq!(key["enabled"], true);
    let plan_key = cli.apigateway_json(&create_usage_plan_key(plan_id, &key_id));
    assert_eq!(plan_key["id"], key_id.as_str());
    assert_eq!(plan_key["type"], "API_KEY");
    assert_eq!(plan_key["name"], "alice");
    key_id
}

#[test]
fn create_api_key_and_create_usage_plan_key_associate_the_key_once() {
    let (_sim, cli) = sim_and_cli();
    let plan_id = create_gold(&cli);
    let key_id = key_on_plan(&cli, &plan_id);

    let keys = cli.apigateway_json(&["get-usage-plan-keys", "--usage-plan-id", &plan_id]);
    let listed: Vec<&Value> = keys["items"].as_array().expect("items").iter().collect();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["id"], key_id.as_str());

    let again = cli.apigateway(&create_usage_plan_key(&plan_id, &key_id));
    assert_refused(&again, "(ConflictException)");
}

#[test]
fn get_usage_reports_each_day_and_update_usage_sets_todays_remaining() {
    let (sim, cli) = sim_and_cli();
    let plan_id = create_gold(&cli);
    let key_id = key_on_plan(&cli, &plan_id);
    sim.record_usage(&plan_id, &key_id, "2024-06-09", 30)
        .expect("record usage");
    sim.record_usage(&plan_id, &key_id, "2024-06-10", 20)
        .expect("record usage");
    let usage = |cli: &AwsCli| {
        cli.apigateway_json(&[
            "get-usage",
            "--usage-plan-id",
            &plan_id,
            "--key-id",
            &key_id,
            "--start-date",
            "2024-06-08",
            "--end-date",
            "2024-06-10",
        ])
    };

    let before = usage(&cli);
    assert_eq!(before["usagePlanId"], plan_id.as_str());
    assert_eq!(before["startDate"], "2024-06-08");
    assert_eq!(before["endDate"], "2024-06-10");
    assert_eq!(
        before["items"][&key_id],
        json!([[0, 1000], [30, 970], [20, 950]])
    );

    let updated = cli.apigateway_json(&update_usage(
        &plan_id,
        &key_id,
        "op=replace,path=/remaining,value=5000",
    ));
    assert_eq!(updated["items"][&key_id], json!([[20, 5000]]));
    assert_eq!(usage(&cli)["items"][&key_id][2], json!([20, 5000]));
}

#[test]
fn update_usage_with_anything_but_replace_remaining_is_refused() {
    let (_sim, cli) = sim_and_cli();
    let plan_id = create_gold(&cli);
    let key_id = key_on_plan(&cli, &plan_id);

    let out = cli.apigateway(&update_usage(
        &plan_id,
        &key_id,
        "op=add,path=/extension,value=100",
    ));

    assert_refused(
        &out,
        "(BadRequestException) when calling the UpdateUsage operation: \
         Invalid patch path '/extension' specified for op 'add'. Must be one of: []",
    );
}
