//! One repository for several accounts and regions: a project file (`tollgate.yaml`) names
//! the targets, tollgate checks every target's account with STS before anything else, runs
//! the targets concurrently (the targets of one account sharing its pacing), groups its views
//! by target, and keeps going when one target fails.

mod common;

use common::{stdout_json, Env, BASE_SEED};
use tollgate_sim::{Config, Quotas};

/// The emulator's own account (the test credentials') and another one.
const OWN: &str = "123456789012";
const OTHER: &str = "210987654321";

/// BASE_SEED (the own account in us-east-1) plus the own account in eu-west-1 and another
/// account in us-east-1, each with a REST API `pets` and a key `one` of its own ids.
fn seed() -> String {
    format!(
        "{BASE_SEED}accounts:
  - accountId: \"{OWN}\"
    accessKeys: []
    regions:
      eu-west-1:
        restApis:
          - {{ id: eupets0001, name: pets, stages: [prod] }}
        apiKeys:
          - {{ id: euone00001, name: one, value: eu-value-one-000000000000000001 }}
  - accountId: \"{OTHER}\"
    accessKeys: [AKIAOTHERACCOUNT]
    regions:
      us-east-1:
        restApis:
          - {{ id: otpets0001, name: pets, stages: [prod] }}
        apiKeys:
          - {{ id: otone00001, name: one, value: ot-value-one-000000000000000001 }}
"
    )
}

/// Gold, naming its API and key.
const GOLD: &str = "usagePlans:\n  - name: Gold\n    throttle: { rateLimit: 100, burstLimit: 200 }\n    apiStages: [{ api: pets, stage: prod }]\n    keys: [{ name: one }]\n";

/// Three targets: two regions of the own account, and the other account by its profile.
const PROJECT: &str = "project: payments
targets:
  - name: prod-us
    region: us-east-1
    accountId: \"123456789012\"
    paths: [plans]
  - name: prod-eu
    region: eu-west-1
    accountId: \"123456789012\"
    paths: [plans]
  - name: other-us
    region: us-east-1
    accountId: \"210987654321\"
    profile: other
    paths: [plans]
";

/// An emulator with the three places, `project` as tollgate.yaml, Gold in plans/, and the
/// other account's credentials under the profile `other`.
fn project_env(project: &str, config: Config) -> Env {
    let env = Env::from_seed(&seed(), config);
    env.write("tollgate.yaml", project);
    env.write("plans/gold.yaml", GOLD);
    env.write(
        "no-aws-credentials",
        "[other]\naws_access_key_id = AKIAOTHERACCOUNT\naws_secret_access_key = other-secret\n",
    );
    env
}

fn stdout(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// The one usage plan of `account` in `region`, as the emulator holds it.
fn only_plan(env: &Env, account: &str, region: &str) -> serde_json::Value {
    let state = env.sim.dump_state_of(account, region);
    let plans = state["usagePlans"].as_object().cloned().unwrap_or_default();
    assert_eq!(plans.len(), 1, "{account} {region}: {state:#}");
    plans.into_values().next().unwrap_or_default()
}

/// Calls other than STS's: what reached API Gateway.
fn api_gateway_calls(env: &Env) -> u64 {
    env.sim
        .calls()
        .iter()
        .filter(|(operation, _)| operation.as_str() != "GetCallerIdentity")
        .map(|(_, count)| count)
        .sum()
}

#[test]
fn three_targets_by_name_apply_from_one_repository_and_then_plan_no_change() {
    let env = project_env(PROJECT, Config::default());
    let output = env
        .tollgate()
        .args(["apply", "--auto-approve"])
        .output()
        .expect("tollgate runs");
    assert!(output.status.success(), "{}", stderr(&output));
    let shown = stdout(&output);
    for header in [
        "Target: prod-us (account 123456789012, us-east-1)",
        "Target: prod-eu (account 123456789012, eu-west-1)",
        "Target: other-us (account 210987654321, us-east-1)",
    ] {
        assert!(shown.contains(header), "{shown}");
    }
    assert_eq!(
        shown
            .matches("Plan: 2 changes (1 to create, 0 to update, 1 key); 0 unchanged, 0 unmanaged.")
            .count(),
        3,
        "counted per target: {shown}"
    );
    let errors = stderr(&output);
    for target in ["prod-us", "prod-eu", "other-us"] {
        assert!(
            errors.contains(&format!("target {target}: Apply complete: 2 changes made")),
            "{errors}"
        );
    }
    for (account, region, api, key) in [
        (OWN, "us-east-1", "a1b2c3d4e5", "key1"),
        (OWN, "eu-west-1", "eupets0001", "euone00001"),
        (OTHER, "us-east-1", "otpets0001", "otone00001"),
    ] {
        let gold = only_plan(&env, account, region);
        assert_eq!(gold["apiStages"][0]["apiId"], api, "{account} {region}");
        assert!(
            gold["keys"].get(key).is_some(),
            "{account} {region}: {gold:#}"
        );
    }
    assert_eq!(
        env.sim.calls()["GetCallerIdentity"],
        3,
        "one STS call a target"
    );

    let again = env
        .tollgate()
        .args(["plan", "--detailed-exitcode", "--format", "json"])
        .output()
        .expect("tollgate runs");
    assert_eq!(again.status.code(), Some(0), "{}", stderr(&again));
    let json = stdout_json(&again);
    assert_eq!(json["formatVersion"], 2);
    assert_eq!(json["project"], "payments");
    let targets: Vec<(&str, &str, &str)> = json["targets"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .map(|target| {
            (
                target["target"].as_str().unwrap_or_default(),
                target["account"].as_str().unwrap_or_default(),
                target["region"].as_str().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        targets,
        [
            ("prod-us", OWN, "us-east-1"),
            ("prod-eu", OWN, "eu-west-1"),
            ("other-us", OTHER, "us-east-1"),
        ]
    );
    assert_eq!(json["summary"]["unchanged"], 3);
    assert_eq!(json["failed"], serde_json::json!([]));
}

#[test]
fn a_target_whose_credentials_are_another_account_is_refused_with_nothing_sent() {
    let project = PROJECT.replace("accountId: \"210987654321\"", "accountId: \"999999999999\"");
    let env = project_env(&project, Config::default());
    let output = env
        .tollgate()
        .args(["apply", "--auto-approve"])
        .output()
        .expect("tollgate runs");
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        stderr(&output),
        "error: target other-us: the credentials belong to account 210987654321, and the target \
         is account 999999999999; use the target's profile or credentials\n\
         error: 1 error checking the targets' accounts; nothing was sent to API Gateway\n"
    );
    assert_eq!(api_gateway_calls(&env), 0, "{:?}", env.sim.calls());
}

#[test]
fn two_targets_that_reach_one_account_and_region_are_refused() {
    let project = "project: payments
targets:
  - { name: a, region: us-east-1, paths: [plans] }
  - { name: b, region: us-east-1, profile: other, paths: [plans] }
  - { name: c, region: us-east-1, paths: [plans] }
";
    let env = project_env(project, Config::default());
    let output = env.tollgate().arg("plan").output().expect("tollgate runs");
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains(
            "error: targets a and c both reach account 123456789012 in us-east-1; one target \
             per account and region, so merge their paths"
        ),
        "{}",
        stderr(&output)
    );
    assert_eq!(api_gateway_calls(&env), 0);
}

#[test]
fn one_failing_target_does_not_stop_the_others_and_the_exit_says_so() {
    // The eu-west-1 region has no REST API `orders`: that target fails, located; the others apply.
    let env = project_env(PROJECT, Config::default());
    env.write(
        "plans/gold.yaml",
        &GOLD.replace(
            "apiStages: [{ api: pets, stage: prod }]",
            "apiStages: [{ api: pets, stage: prod }, { api: orders, stage: prod }]",
        ),
    );
    let output = env
        .tollgate()
        .args([
            "apply",
            "--auto-approve",
            "--target",
            "prod-us",
            "--target",
            "prod-eu",
        ])
        .output()
        .expect("tollgate runs");
    assert_eq!(output.status.code(), Some(1));
    let errors = stderr(&output);
    assert!(
        errors.contains("plans/gold.yaml:4:52: no REST API is named `orders` in eu-west-1"),
        "{errors}"
    );
    assert!(
        errors.contains("error: target prod-eu: 1 error resolving the YAML's names"),
        "{errors}"
    );
    assert!(
        stdout(&output).contains("Target prod-eu (eu-west-1): no plan: errors above"),
        "{}",
        stdout(&output)
    );
    assert!(
        errors.contains("target prod-us: Apply complete"),
        "{errors}"
    );
    let gold = only_plan(&env, OWN, "us-east-1");
    assert_eq!(gold["apiStages"].as_array().map(Vec::len), Some(2));
    let eu = env.sim.dump_state_of(OWN, "eu-west-1");
    assert_eq!(
        eu["usagePlans"],
        serde_json::json!({}),
        "nothing written in the failed target"
    );
    let other = env.sim.dump_state_of(OTHER, "us-east-1");
    assert_eq!(
        other["usagePlans"],
        serde_json::json!({}),
        "other-us was not selected"
    );
}

#[test]
fn validate_checks_every_target_offline_and_target_selects() {
    let env = project_env(PROJECT, Config::default());
    env.write("plans/dev/trial.yaml", "usagePlans:\n  - name: Trial\n");
    let project = "project: payments
targets:
  - { name: prod, region: us-east-1, paths: [plans/gold.yaml] }
  - { name: dev, region: eu-west-1, paths: [plans] }
";
    env.write("tollgate.yaml", project);
    let output = env
        .tollgate()
        .arg("validate")
        .output()
        .expect("tollgate runs");
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(
        stdout(&output),
        "Target prod: 1 usage plan valid.\nTarget dev: 2 usage plans valid.\n"
    );
    let selected = env
        .tollgate()
        .args(["validate", "--target", "dev"])
        .output()
        .expect("tollgate runs");
    assert_eq!(stdout(&selected), "Target dev: 2 usage plans valid.\n");
    // A given path narrows each target to what it shares with it.
    let narrowed = env
        .tollgate()
        .args(["validate", "plans/dev"])
        .output()
        .expect("tollgate runs");
    assert_eq!(stdout(&narrowed), "Target dev: 1 usage plan valid.\n");
    assert!(
        stderr(&narrowed)
            .contains("Target prod: none of the given paths is among its paths; skipped."),
        "{}",
        stderr(&narrowed)
    );
    assert_eq!(
        env.sim.calls().values().sum::<u64>(),
        0,
        "validate calls nothing"
    );

    // A broken file two targets share is reported once.
    env.write(
        "plans/gold.yaml",
        "usagePlans:\n  - name: Gold\n    quota: 5\n",
    );
    let broken = env
        .tollgate()
        .arg("validate")
        .output()
        .expect("tollgate runs");
    assert_eq!(broken.status.code(), Some(1));
    assert_eq!(
        stderr(&broken),
        "plans/gold.yaml:3:12: expected a mapping, found the integer 5\n\
         error: 1 error in the YAML; nothing was sent to AWS\n"
    );
}

#[test]
fn project_file_mistakes_are_clear_errors() {
    let env = project_env(PROJECT, Config::default());
    let unknown = env
        .tollgate()
        .args(["plan", "--target", "prod-asia"])
        .output()
        .expect("tollgate runs");
    assert_eq!(unknown.status.code(), Some(1));
    assert_eq!(
        stderr(&unknown),
        "error: --target prod-asia: no such target in tollgate.yaml; its targets are prod-us, \
         prod-eu, other-us\n"
    );
    let region = env
        .tollgate()
        .args(["plan", "--region", "eu-west-1"])
        .output()
        .expect("tollgate runs");
    assert_eq!(region.status.code(), Some(1));
    assert!(stderr(&region).contains("--region cannot be used with a project file"));
    env.write(
        "tollgate.yaml",
        "project: payments\ntargets:\n  - { name: a, region: Mars, paths: [plans] }\n",
    );
    let broken = env.tollgate().arg("plan").output().expect("tollgate runs");
    assert_eq!(broken.status.code(), Some(1));
    assert_eq!(
        stderr(&broken),
        "tollgate.yaml:3:24: `region` \"Mars\" is not a region name; give one such as us-east-1\n\
         error: 1 error in the project file; nothing was sent to AWS\n"
    );
    assert_eq!(env.sim.calls().values().sum::<u64>(), 0);
    // Found from a folder below the project's root, its paths relative to the file.
    env.write(
        "tollgate.yaml",
        "project: payments\ntargets:\n  - { name: a, region: us-east-1, paths: [plans] }\n",
    );
    let below = env
        .tollgate()
        .current_dir(env.dir.path().join("plans"))
        .arg("validate")
        .output()
        .expect("tollgate runs");
    assert_eq!(
        stdout(&below),
        "Target a: 1 usage plan valid.\n",
        "{}",
        stderr(&below)
    );
    let outside = tempfile::tempdir().expect("a folder");
    let config = env
        .tollgate()
        .current_dir(outside.path())
        .args(["validate", "--target", "a"])
        .output()
        .expect("tollgate runs");
    assert!(
        stderr(&config).contains("--target needs a project file"),
        "{}",
        stderr(&config)
    );
}

#[test]
fn a_saved_plan_is_for_one_target_and_applies_only_there() {
    let env = project_env(PROJECT, Config::default());
    let many = env
        .tollgate()
        .args(["plan", "--out", "all.plan"])
        .output()
        .expect("tollgate runs");
    assert_eq!(many.status.code(), Some(1));
    assert!(
        stderr(&many).contains(
            "a saved plan holds one target, and 3 are selected (prod-us, prod-eu, other-us)"
        ),
        "{}",
        stderr(&many)
    );
    let saved = env
        .tollgate()
        .args(["plan", "--target", "prod-eu", "--out", "eu.plan"])
        .output()
        .expect("tollgate runs");
    assert!(saved.status.success(), "{}", stderr(&saved));
    let show = env
        .tollgate()
        .args(["show", "eu.plan"])
        .output()
        .expect("tollgate runs");
    assert!(
        stdout(&show).starts_with("Target: prod-eu (account 123456789012, eu-west-1)\n"),
        "{}",
        stdout(&show)
    );
    // Applied in the project, the file picks its own target; other targets are not touched.
    env.tollgate()
        .args(["apply", "--auto-approve", "eu.plan"])
        .assert()
        .success();
    let gold = only_plan(&env, OWN, "eu-west-1");
    assert_eq!(gold["apiStages"][0]["apiId"], "eupets0001");
    assert_eq!(env.sim.dump_state()["usagePlans"], serde_json::json!({}));
    // Without the project file, it is refused.
    std::fs::remove_file(env.dir.path().join("tollgate.yaml")).expect("remove");
    let elsewhere = env
        .tollgate()
        .args(["apply", "--auto-approve", "eu.plan"])
        .output()
        .expect("tollgate runs");
    assert_eq!(elsewhere.status.code(), Some(1));
    assert!(
        stderr(&elsewhere).contains("was made for target prod-eu of project payments, and this run is without a project file"),
        "{}",
        stderr(&elsewhere)
    );
}

/// Two targets in one account share its pacing: with the emulator's quotas on (100 times
/// faster) and pacing at the same speed, their concurrent applies draw no 429.
#[test]
fn two_targets_of_one_account_share_its_pacing() {
    let config = Config {
        quotas: Some(Quotas { speedup: 100.0 }),
        ..Config::default()
    };
    let env = project_env(PROJECT, config);
    let plans: String = (0..6)
        .map(|index| {
            format!("  - name: P{index}\n    throttle: {{ rateLimit: 10, burstLimit: 20 }}\n")
        })
        .collect();
    env.write("plans/gold.yaml", &format!("usagePlans:\n{plans}"));
    env.tollgate()
        .args([
            "apply",
            "--auto-approve",
            "--target",
            "prod-us",
            "--target",
            "prod-eu",
        ])
        .env("TOLLGATE_PACE", "aws:50")
        .assert()
        .success();
    for target in ["P0", "P5"] {
        assert!(env
            .sim
            .dump_state_of(OWN, "eu-west-1")
            .to_string()
            .contains(target));
    }
    env.write(
        "plans/gold.yaml",
        &format!(
            "usagePlans:\n{}",
            plans.replace("rateLimit: 10", "rateLimit: 11")
        ),
    );
    env.tollgate()
        .args([
            "apply",
            "--auto-approve",
            "--target",
            "prod-us",
            "--target",
            "prod-eu",
        ])
        .env("TOLLGATE_PACE", "aws:50")
        .assert()
        .success();
    assert_eq!(env.sim.carried_out()["UpdateUsagePlan"], 12);
    // Paced at half the emulator's speed. Two pacers (one per target) would still send their
    // updates in pairs, and draw a 429 on about every other one. One shared pacer leaves
    // 0.2 s between updates, which a loaded machine's scheduling is most unlikely to eat;
    // one 429 (waited out and sent again) is tolerated all the same.
    let throttled: u64 = env.sim.throttled().values().sum();
    assert!(throttled <= 1, "{:?}", env.sim.throttled());
}
