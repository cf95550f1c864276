//! End to end: what AWS would refuse is a located error at plan (and apply, and apply FILE)
//! with nothing written, found with the fewest reads; a denied read warns and the plan goes
//! on; validate finds what the YAML alone shows.

mod common;

use common::{Env, SHARED_STAGE_PLANS};
use tollgate_sim::Config;

fn stderr(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn stdout(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Runs `tollgate ARGS PATH`, asserts exit 1 and that nothing was written, and returns stderr.
fn refused(env: &Env, args: &[&str], path: &std::path::Path) -> String {
    let output = env.run(args, path);
    let stderr = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert_eq!(env.writes(), 0, "nothing written: {:?}", env.sim.calls());
    assert!(
        !stdout(&output).contains("Plan:"),
        "no change is shown: {}",
        stdout(&output)
    );
    stderr
}

/// Gold on pets/prod with a plan throttle, alone.
const GOLD: &str = r#"
usagePlans:
  - id: gold000001
    name: Gold
    throttle: { rateLimit: 100, burstLimit: 200 }
    apiStages: [ { apiId: a1b2c3d4e5, stage: prod } ]
"#;

#[test]
fn a_missing_stage_api_and_method_are_located_errors_at_plan_and_apply_with_nothing_written() {
    let env = Env::new(GOLD);
    let path = env.write(
        "plans.yaml",
        r#"usagePlans:
  - name: Gold
    throttle: { rateLimit: 100, burstLimit: 200 }
    apiStages:
      - api: pets
        stage: prod
        throttle:
          /pets/GET: { rateLimit: 10, burstLimit: 20 }
          /pets/PATCH: { rateLimit: 10, burstLimit: 20 }
          /cats/GET: { rateLimit: 10, burstLimit: 20 }
      - { api: pets, stage: staging }
      - { apiId: zzzzzzzzzz, stage: prod }
"#,
    );
    let shown = path.display().to_string();
    for args in [&["plan"][..], &["apply", "--auto-approve"]] {
        let stderr = refused(&env, args, &path);
        let expected = [
            format!(
                "{shown}:9:11: usage plan Gold: method throttle `/pets/PATCH` on stage \
                 `pets/prod` names a method the API does not have: resource `/pets` of REST API \
                 pets (a1b2c3d4e5) has only `GET`, `POST` (GetResources), so AWS would refuse \
                 the update with 400; throttle a method the API has, or remove the throttle"
            ),
            format!(
                "{shown}:10:11: usage plan Gold: method throttle `/cats/GET` on stage \
                 `pets/prod` names a method the API does not have: REST API pets (a1b2c3d4e5) \
                 has no resource `/cats` (GetResources)"
            ),
            format!(
                "{shown}:11:9: usage plan Gold: stage `pets/staging` does not exist: REST API \
                 pets (a1b2c3d4e5) has only `beta`, `prod`, so AWS would refuse it with 404 \
                 \"API Stage not found\"; correct `stage`, or deploy the stage first"
            ),
            format!(
                "{shown}:12:9: usage plan Gold: stage `zzzzzzzzzz/prod`: no REST API has id \
                 `zzzzzzzzzz` in us-east-1 (GetStages answered 404)"
            ),
        ];
        for line in &expected {
            assert!(
                stderr.contains(line.as_str()),
                "missing {line}\nin:\n{stderr}"
            );
        }
        assert!(
            stderr.contains(
                "error: 4 errors checking the YAML against the account: AWS would refuse the \
                 apply; nothing was sent to AWS"
            ),
            "{stderr}"
        );
        assert!(
            !stderr.contains("/pets/GET` on"),
            "/pets/GET exists: {stderr}"
        );
    }
}

#[test]
fn existing_methods_pass_and_each_api_is_read_once_resources_only_where_throttled() {
    let env = Env::new(GOLD);
    let path = env.write(
        "plans.yaml",
        r#"usagePlans:
  - name: Gold
    throttle: { rateLimit: 100, burstLimit: 200 }
    apiStages:
      - apiId: a1b2c3d4e5
        stage: prod
        throttle:
          /pets/GET: { rateLimit: 10, burstLimit: 20 }
          /pets/{petId}/DELETE: { rateLimit: 1, burstLimit: 2 }
      - { apiId: a1b2c3d4e5, stage: beta }
  - name: Orders
    apiStages: [ { apiId: k9l8m7n6o5, stage: prod } ]
  - name: Beta
    apiStages: [ { api: pets, stage: beta } ]
"#,
    );
    let output = env.run(&["plan"], &path);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(env.calls("GetStages"), 2, "one GetStages per REST API used");
    assert_eq!(
        env.calls("GetResources"),
        1,
        "GetResources only for pets, whose methods are throttled"
    );
    assert_eq!(env.calls("GetUsagePlanKeys"), 0, "no key is added");
    assert_eq!(env.calls("GetUsagePlans"), 1, "the listing, no key read");

    env.apply(&path);
    env.assert_in_sync(&path);
}

#[test]
fn a_key_on_a_managed_plan_and_an_unmanaged_one_sharing_a_stage_is_refused() {
    // Silver (undeclared) has key3 on a1b2c3d4e5:prod, which Gold shares.
    let env = Env::new(SHARED_STAGE_PLANS);
    let path = env.write(
        "plans.yaml",
        r#"usagePlans:
  - name: Gold
    throttle: { rateLimit: 100, burstLimit: 200 }
    apiStages: [ { api: pets, stage: prod } ]
    tags: { team: payments }
    keys:
      - name: three
"#,
    );
    let stderr = refused(&env, &["apply", "--auto-approve"], &path);
    let shown = path.display();
    assert!(
        stderr.contains(&format!(
            "{shown}:7:15: key `three` would be on Gold (gold000001) and on the undeclared plan \
             \"Silver\" (silver0001), which share stage `pets/prod`: AWS allows a key on one \
             usage plan per stage and refuses the association with 409 ConflictException; \
             remove the key from one of them"
        )),
        "{stderr}"
    );
    assert_eq!(
        env.calls("GetUsagePlans"),
        2,
        "the listing and one read of the key being added"
    );
    assert_eq!(env.calls("GetUsagePlanKeys"), 1, "Gold's own keys only");
}

#[test]
fn a_key_moved_or_two_keys_swapped_between_plans_sharing_a_stage_pass() {
    let env = Env::new(
        r#"
usagePlans:
  - id: gold000001
    name: Gold
    apiStages: [ { apiId: a1b2c3d4e5, stage: prod } ]
    keys: [key1]
  - id: silver0001
    name: Silver
    apiStages: [ { apiId: a1b2c3d4e5, stage: prod } ]
    keys: [key2]
"#,
    );
    let path = env.write(
        "plans.yaml",
        r#"usagePlans:
  - name: Gold
    apiStages: [ { apiId: a1b2c3d4e5, stage: prod } ]
    keys: [ { id: key2 }, { id: key3 } ]
  - name: Silver
    apiStages: [ { apiId: a1b2c3d4e5, stage: prod } ]
    keys: [ { id: key1 } ]
"#,
    );
    env.apply(&path);
    assert_eq!(env.plan_key_ids("gold000001"), ["key2", "key3"]);
    assert_eq!(env.plan_key_ids("silver0001"), ["key1"]);
    assert_eq!(
        env.calls("GetUsagePlans"),
        1,
        "every live plan's keys were read: no key read"
    );
    env.assert_in_sync(&path);
}

#[test]
fn a_stage_added_to_a_plan_whose_key_is_on_another_plan_with_that_stage_is_refused() {
    let env = Env::new(
        r#"
usagePlans:
  - id: gold000001
    name: Gold
    apiStages: [ { apiId: a1b2c3d4e5, stage: prod } ]
    keys: [key1, key2]
  - id: beta000001
    name: Beta
    apiStages: [ { apiId: a1b2c3d4e5, stage: beta } ]
    keys: [key2]
  - id: order00001
    name: Orders
    apiStages: [ { apiId: k9l8m7n6o5, stage: prod } ]
"#,
    );
    let path = env.write(
        "plans.yaml",
        r#"usagePlans:
  - name: Gold
    apiStages:
      - { api: pets, stage: prod }
      - { api: pets, stage: beta }
"#,
    );
    let stderr = refused(&env, &["plan"], &path);
    assert!(
        stderr.contains(&format!(
            "{}:5:9: key `key2` would be on Gold (gold000001) (whose keys the YAML leaves \
             alone) and on the undeclared plan \"Beta\" (beta000001), which share stage \
             `pets/beta`",
            path.display()
        )),
        "{stderr}"
    );
    assert_eq!(
        env.calls("GetUsagePlanKeys"),
        2,
        "the keys of Gold and of Beta, which has the stage; not of Orders"
    );
    assert_eq!(env.calls("GetUsagePlans"), 1, "no key read by keyId");
}

#[test]
fn a_denied_read_says_which_permission_and_what_was_skipped_and_the_plan_goes_on() {
    let env = Env::with_config(
        GOLD,
        Config {
            denied: vec!["GetStages".into()],
            ..Config::default()
        },
    );
    let path = env.write(
        "plans.yaml",
        r#"usagePlans:
  - name: Gold
    throttle: { rateLimit: 150, burstLimit: 200 }
    apiStages: [ { api: pets, stage: prod } ]
"#,
    );
    let output = env.run(&["plan", "--detailed-exitcode"], &path);
    let stderr = stderr(&output);
    assert_eq!(output.status.code(), Some(2), "the plan goes on: {stderr}");
    assert!(
        stderr.contains(
            "warning: GetStages of REST API a1b2c3d4e5 was denied (403): the role needs \
             apigateway:GET on arn:aws:apigateway:us-east-1::/restapis/*/stages; skipped the \
             check of whether stage `pets/prod` exists (and the methods of its method \
             throttles); AWS may still refuse at apply"
        ),
        "{stderr}"
    );
    assert!(stdout(&output).contains("throttle"), "{}", stdout(&output));
}

#[test]
fn validate_finds_a_key_on_two_declared_plans_whose_stages_overlap_offline() {
    let env = Env::new("");
    let path = env.write(
        "plans.yaml",
        r#"usagePlans:
  - name: Gold
    apiStages: [ { api: pets, stage: prod } ]
    keys: [ { name: acme } ]
  - name: Silver
    apiStages: [ { api: pets, stage: prod } ]
    keys: [ { name: acme } ]
"#,
    );
    for command in ["validate", "plan"] {
        let output = env.run(&[command], &path);
        let stderr = stderr(&output);
        assert_eq!(output.status.code(), Some(1), "{stderr}");
        assert!(
            stderr.contains(&format!(
                "{0}:7:21: key `acme` is also on usage plan Gold ({0}:2:11), which shares stage \
                 `pets/prod` with Silver",
                path.display()
            )),
            "{stderr}"
        );
    }
    assert!(env.sim.calls().is_empty(), "{:?}", env.sim.calls());
}

#[test]
fn apply_file_refuses_what_aws_would_now_refuse_before_sending_anything() {
    let env = Env::new(
        r#"
usagePlans:
  - id: gold000001
    name: Gold
    apiStages: [ { apiId: a1b2c3d4e5, stage: prod } ]
  - id: silver0001
    name: Silver
    apiStages: [ { apiId: a1b2c3d4e5, stage: prod } ]
"#,
    );
    let path = env.write(
        "plans.yaml",
        "usagePlans:\n  - name: Gold\n    apiStages: [ { apiId: a1b2c3d4e5, stage: prod } ]\n    keys: [ { id: key3 } ]\n",
    );
    let planned = env
        .tollgate()
        .args(["plan", "--out", "gold.plan"])
        .arg(&path)
        .output()
        .expect("runs");
    assert_eq!(planned.status.code(), Some(0), "{}", stderr(&planned));
    // Behind tollgate's back, key3 goes on Silver, which shares the stage.
    env.block_on(
        env.sdk()
            .create_usage_plan_key()
            .usage_plan_id("silver0001")
            .key_id("key3")
            .key_type("API_KEY")
            .send(),
    )
    .expect("CreateUsagePlanKey");
    let before = env.writes();
    let output = env
        .tollgate()
        .args(["apply", "--auto-approve", "gold.plan"])
        .output()
        .expect("runs");
    let stderr = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("gold.plan was not applied: AWS would refuse it as the account is now:"),
        "{stderr}"
    );
    assert!(
        stderr.contains("key `key3` would be on Gold (gold000001) and on the undeclared plan \"Silver\" (silver0001)"),
        "{stderr}"
    );
    assert_eq!(env.writes(), before, "nothing written");
}

#[test]
fn a_key_on_more_than_ten_plans_is_a_located_warning_and_the_plan_goes_on() {
    // Ten undeclared plans hold key1, each on a stage of its own; Gold adds it as an eleventh.
    let stages: Vec<String> = (0..11).map(|i| format!("s{i}")).collect();
    let mut seed = format!(
        "restApis:\n  - id: many000001\n    name: many\n    stages: [{}]\napiKeys:\n  - {{ id: key1, name: one, value: value-one-0000000000000000000000000001 }}\nusagePlans:\n",
        stages.join(", ")
    );
    for i in 0..10 {
        seed.push_str(&format!(
            "  - {{ id: plan00000{i}, name: P{i}, apiStages: [ {{ apiId: many000001, stage: s{i} }} ], keys: [key1] }}\n"
        ));
    }
    let env = Env::from_seed(&seed, Config::default());
    let path = env.write(
        "plans.yaml",
        "usagePlans:\n  - name: Gold\n    apiStages: [ { api: many, stage: s10 } ]\n    keys: [ { name: one } ]\n",
    );
    let output = env.run(&["plan"], &path);
    let stderr = stderr(&output);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "{}:4:21: warning: key `one` would be on 11 usage plans, more than the 10 AWS allows \
             a key by default (LimitExceededException); the plan goes on",
            path.display()
        )),
        "{stderr}"
    );
    assert!(
        stdout(&output).contains(
            "Plan: 2 changes (1 to create, 0 to update, 1 key); 0 unchanged, 10 unmanaged.\n"
        ),
        "{}",
        stdout(&output)
    );
}
