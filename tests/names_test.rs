//! REST APIs by name: a stage may name its API (`api: pets`) instead of giving its id; the
//! name is resolved with GetRestApis, read only when a name is used, and a name that no API
//! or several APIs have is an error at its place, with nothing written.

mod common;

use common::{Env, BASE_SEED};
use tollgate_sim::Config;

const BY_NAME: &str = r#"usagePlans:
  - name: Gold
    throttle: { rateLimit: 100, burstLimit: 200 }
    apiStages:
      - api: pets
        stage: prod
        throttle:
          /pets/GET: { rateLimit: 10, burstLimit: 20 }
      - api: orders
        stage: prod
"#;

fn stderr(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn stages_by_api_name_resolve_apply_and_then_plan_no_change() {
    let env = Env::new("");
    let path = env.write("plans/gold.yaml", BY_NAME);
    env.apply(&path);
    let gold = env.plan(&env.plan_id("Gold"));
    let stages: Vec<(String, String)> = gold
        .api_stages()
        .iter()
        .map(|stage| {
            (
                stage.api_id().unwrap_or_default().to_owned(),
                stage.stage().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        stages,
        [
            ("a1b2c3d4e5".to_owned(), "prod".to_owned()),
            ("k9l8m7n6o5".to_owned(), "prod".to_owned())
        ]
    );
    let throttle = gold.api_stages()[0]
        .throttle()
        .and_then(|throttles| throttles.get("/pets/GET"))
        .map(|throttle| (throttle.rate_limit(), throttle.burst_limit()));
    assert_eq!(throttle, Some((10.0, 20)));
    env.assert_in_sync(&path);
    assert!(
        env.calls("GetRestApis") >= 2,
        "one lookup per run that uses names"
    );
}

#[test]
fn no_name_no_lookup() {
    let env = Env::new("");
    let path = env.write(
        "plans/gold.yaml",
        "usagePlans:\n  - name: Gold\n    apiStages: [{ apiId: a1b2c3d4e5, stage: prod }]\n",
    );
    env.apply(&path);
    env.assert_in_sync(&path);
    assert_eq!(env.calls("GetRestApis"), 0);
}

/// Runs `apply` of `yaml` against an emulator seeded with `seed`, which must refuse it with
/// nothing written: its error lines, the file's path shown as `FILE`.
fn refused(seed: &str, yaml: &str) -> (Env, Vec<String>) {
    let env = Env::from_seed(seed, Config::default());
    let path = env.write("plans/gold.yaml", yaml);
    let output = env.run(&["apply", "--auto-approve"], &path);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(env.writes(), 0);
    assert_eq!(
        env.calls("GetUsagePlans"),
        0,
        "refused before reading the plans"
    );
    let file = path.display().to_string();
    let lines = stderr(&output)
        .lines()
        .map(|line| line.replace(&file, "FILE"))
        .collect();
    (env, lines)
}

#[test]
fn an_unknown_or_shared_api_name_is_a_located_error_and_nothing_is_written() {
    let seed = BASE_SEED.replace(
        "apiKeys:",
        "  - id: p2p2p2p2p2\n    name: pets\n    stages: [prod]\napiKeys:",
    );
    let (_, lines) = refused(
        &seed,
        "usagePlans:\n  - name: Gold\n    apiStages:\n      - { api: petz, stage: prod }\n      - { api: pets, stage: prod }\n      - { api: orders, stage: prod }\n",
    );
    assert_eq!(
        lines,
        [
            "FILE:4:16: no REST API is named `petz` in us-east-1; check the name (names are \
             compared exactly), or give the REST API's `apiId`",
            "FILE:5:16: 2 REST APIs are named `pets` in us-east-1 (a1b2c3d4e5, p2p2p2p2p2); \
             give the one you mean by `apiId`",
            "error: 2 errors resolving the YAML's names; nothing was written to AWS",
        ]
    );
}

#[test]
fn a_stage_listed_by_id_and_by_name_is_listed_twice() {
    let env = Env::new("");
    let path = env.write(
        "plans/gold.yaml",
        "usagePlans:\n  - name: Gold\n    apiStages:\n      - { apiId: a1b2c3d4e5, stage: prod }\n      - { api: pets, stage: prod }\n",
    );
    let output = env.run(&["plan"], &path);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains(
            "5:16: `api: pets` is the REST API a1b2c3d4e5, whose stage `prod` the plan also \
             lists by `apiId`; list it once"
        ),
        "{}",
        stderr(&output)
    );
}

#[test]
fn keys_by_name_resolve_and_take_their_grants() {
    let env = Env::new("");
    let path = env.write(
        "plans/gold.yaml",
        "usagePlans:\n  - name: Gold\n    quota: { limit: 1000, period: MONTH }\n    apiStages: [{ api: pets, stage: prod }]\n    keys:\n      - name: one\n        grants: [{ id: SUP-1, remaining: 500 }]\n      - id: key2\n",
    );
    env.apply(&path);
    let id = env.plan_id("Gold");
    let keys = env
        .block_on(env.sdk().get_usage_plan_keys().usage_plan_id(&id).send())
        .expect("GetUsagePlanKeys");
    let mut ids: Vec<&str> = keys.items().iter().filter_map(|key| key.id()).collect();
    ids.sort_unstable();
    assert_eq!(ids, ["key1", "key2"]);
    let tags = env.plan(&id).tags().cloned().unwrap_or_default();
    assert!(
        tags.contains_key("tollgate:grant:key1:SUP-1"),
        "the grant went to the named key: {tags:?}"
    );
    env.assert_in_sync(&path);
    let verbose = env.run(&["plan", "-v", "--format", "json"], &path);
    let printed = format!(
        "{}{}",
        String::from_utf8_lossy(&verbose.stdout),
        stderr(&verbose)
    );
    assert!(
        !printed.contains("value-one-") && !printed.contains("value-two-"),
        "no key value is read or printed: {printed}"
    );
    assert!(
        env.calls("GetApiKeys") >= 3,
        "one lookup per run that uses key names"
    );
    assert_eq!(env.calls("GetApiKey"), 0);
}

#[test]
fn an_unknown_or_shared_key_name_is_a_located_error_and_nothing_is_written() {
    let seed = BASE_SEED.replace(
        "  - { id: key3,",
        "  - { id: key4, name: one, value: value-four-000000000000000000000000004 }\n  - { id: key3,",
    );
    let (env, lines) = refused(
        &seed,
        "usagePlans:\n  - name: Gold\n    keys:\n      - { name: won }\n      - { name: one }\n      - { name: two }\n",
    );
    assert_eq!(
        lines,
        [
            "FILE:4:17: no API key is named `won` in us-east-1; check the name (names are \
             compared exactly), or give the API key's `id`, or declare it under `apiKeys` to \
             create it",
            "FILE:5:17: 2 API keys are named `one` in us-east-1 (key1, key4); give the one you \
             mean by `id`",
            "error: 2 errors resolving the YAML's names; nothing was written to AWS",
        ]
    );
    assert_eq!(env.calls("GetRestApis"), 0, "no API name, no API lookup");
}

/// One YAML that names its APIs and keys applies in two accounts and regions, where every id
/// differs: each run resolves the names in the account of its credentials and the region it
/// is given.
#[test]
fn one_yaml_by_name_applies_in_two_accounts_and_regions() {
    let seed = format!(
        "{BASE_SEED}accounts:
  - accountId: \"210987654321\"
    accessKeys: [AKIAOTHERACCOUNT]
    regions:
      eu-west-1:
        restApis:
          - {{ id: eupets0001, name: pets, stages: [prod] }}
        apiKeys:
          - {{ id: euone00001, name: one, value: eu-value-one-000000000000000001 }}
"
    );
    let env = Env::from_seed(&seed, Config::default());
    let path = env.write(
        "plans/gold.yaml",
        "usagePlans:\n  - name: Gold\n    apiStages: [{ api: pets, stage: prod }]\n    keys: [{ name: one }]\n",
    );
    env.apply(&path);
    env.tollgate()
        .env("AWS_ACCESS_KEY_ID", "AKIAOTHERACCOUNT")
        .args(["apply", "--auto-approve", "--region", "eu-west-1"])
        .arg(&path)
        .assert()
        .success();
    let own = env.sim.dump_state();
    let other = env.sim.dump_state_of("210987654321", "eu-west-1");
    let plan_of = |state: &serde_json::Value| {
        let plans = state["usagePlans"].as_object().cloned().unwrap_or_default();
        assert_eq!(plans.len(), 1, "{state:#}");
        plans.values().next().cloned().unwrap_or_default()
    };
    let (own, other) = (plan_of(&own), plan_of(&other));
    assert_eq!(own["apiStages"][0]["apiId"], "a1b2c3d4e5");
    assert_eq!(other["apiStages"][0]["apiId"], "eupets0001");
    assert!(own["keys"].get("key1").is_some(), "{own:#}");
    assert!(other["keys"].get("euone00001").is_some(), "{other:#}");
    env.tollgate()
        .env("AWS_ACCESS_KEY_ID", "AKIAOTHERACCOUNT")
        .args(["plan", "--detailed-exitcode", "--region", "eu-west-1"])
        .arg(&path)
        .assert()
        .code(0);
    env.assert_in_sync(&path);
}

/// The views name the keys and stages that the YAML names: beside the ids in the text plan,
/// as `keyName` and `names` in the JSON, and the same again from a saved plan.
#[test]
fn plans_show_names_beside_ids_and_saved_plans_keep_them() {
    let env = Env::new("");
    let path = env.write("plans/gold.yaml", BY_NAME);
    env.apply(&path);
    env.write(
        "plans/gold.yaml",
        &(BY_NAME
            .replace("/pets/GET: { rateLimit: 10", "/pets/GET: { rateLimit: 12")
            .replace("      - api: orders\n        stage: prod\n", "")
            + "    keys: [{ name: two }]\n"),
    );
    let plan = env.run(&["plan", "--out", "gold.plan"], &path);
    assert!(plan.status.success(), "{}", stderr(&plan));
    let text = String::from_utf8_lossy(&plan.stdout).into_owned();
    for line in [
        "    - stage orders/prod  # destructive: stage orders/prod removed: the plan's keys lose \
         access to it\n",
        "    throttle on pets/prod GET /pets  10/s → 12/s\n",
        "    + key two (key2)\n",
    ] {
        assert!(text.contains(line), "{line:?} in {text}");
    }
    let shown = env
        .tollgate()
        .args(["show", "gold.plan"])
        .output()
        .expect("tollgate runs");
    assert_eq!(String::from_utf8_lossy(&shown.stdout), text);
    let json = common::stdout_json(&env.run(&["plan", "--format", "json"], &path));
    assert_eq!(json["names"]["restApis"]["k9l8m7n6o5"], "orders");
    assert_eq!(json["names"]["apiKeys"]["key2"], "two");
    let add_key = json["changes"]
        .as_array()
        .and_then(|changes| changes.iter().find(|change| change["action"] == "add-key"))
        .cloned()
        .unwrap_or_default();
    assert_eq!(add_key["keyName"], "two");
}
