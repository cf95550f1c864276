//! End to end: saved plans. `plan --out FILE` saves the plan, `show FILE` renders it as `plan`
//! printed it, and `apply FILE` applies exactly its changes: it finishes a partial apply, and
//! refuses a stale plan, one made for another account, region or endpoint, and a damaged file,
//! sending nothing.

mod common;

use std::path::{Path, PathBuf};

use aws_sdk_apigateway::types::{Op, PatchOperation};
use common::{stdout_json, Env};
use serde_json::{json, Value};
use tollgate_sim::{ClockMode, Config};

/// 2026-11-23T12:00:00Z: the emulator's fixed clock (grants need a current quota period).
const NOW: i64 = 1_795_435_200;

/// Gold as it is live: key1 on it, tags team=payments and old=remove-me.
const LIVE: &str = r#"
usagePlans:
  - id: gold000001
    name: Gold
    description: Paying customers
    throttle: { rateLimit: 100, burstLimit: 200 }
    quota: { limit: 1000, offset: 0, period: MONTH }
    apiStages: [ { apiId: a1b2c3d4e5, stage: prod } ]
    tags: { team: payments, old: remove-me }
    keys: [key1]
"#;

/// Gold with a new quota, key2 added, new tags and a grant; Trial created with a product code.
const DESIRED: &str = r#"
usagePlans:
  - name: Gold
    description: Paying customers
    throttle: { rateLimit: 100, burstLimit: 200 }
    quota: { limit: 2000, period: MONTH }
    apiStages: [ { apiId: a1b2c3d4e5, stage: prod } ]
    tags: { team: platform }
    keys:
      - id: key1
        grants: [ { id: SUP-1, remaining: 5000 } ]
      - id: key2
  - name: Trial
    productCode: prod-trial
    throttle: { rateLimit: 5, burstLimit: 10 }
    apiStages: [ { apiId: k9l8m7n6o5, stage: prod } ]
"#;

/// The emulator with [`LIVE`] on the fixed clock, in account `account` (None: the default).
fn env_in(account: Option<&str>) -> Env {
    Env::with_config(
        LIVE,
        Config {
            clock: ClockMode::Manual { start: NOW },
            account_id: account.map(str::to_string),
            ..Config::default()
        },
    )
}

/// The emulator, [`DESIRED`] written to `plans/`, and a saved plan of it in `saved.tgplan`.
fn saved_plan() -> (Env, PathBuf, PathBuf) {
    let env = env_in(None);
    let yaml = env.write("plans/plans.yaml", DESIRED);
    let file = env.dir.path().join("saved.tgplan");
    env.tollgate()
        .args(["plan", "--out"])
        .arg(&file)
        .arg(&yaml)
        .assert()
        .success();
    env.sim.reset_counters();
    (env, yaml, file)
}

/// Runs `tollgate apply --auto-approve FILE`.
fn apply_file(env: &Env, file: &Path) -> std::process::Output {
    env.run(&["apply", "--auto-approve"], file)
}

fn stderr(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn stdout(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// One UpdateUsagePlan patch operation.
fn patch(op: Op, path: &str, value: &str) -> PatchOperation {
    PatchOperation::builder()
        .op(op)
        .path(path)
        .value(value)
        .build()
}

/// Sets tags on Gold behind tollgate's back.
fn tag_gold(env: &Env, pairs: &[(&str, &str)]) {
    let mut request = env
        .sdk()
        .tag_resource()
        .resource_arn("arn:aws:apigateway:us-east-1::/usageplans/gold000001");
    for (key, value) in pairs {
        request = request.tags(*key, *value);
    }
    env.block_on(request.send()).expect("TagResource");
}

#[test]
fn plan_out_prints_the_view_and_saves_the_plan_with_its_context() {
    let env = env_in(None);
    let yaml = env.write("plans/plans.yaml", DESIRED);
    let file = env.dir.path().join("saved.tgplan");
    let printed = env
        .tollgate()
        .args(["plan", "--format", "json", "--out"])
        .arg(&file)
        .arg(&yaml)
        .output()
        .expect("tollgate runs");
    assert!(printed.status.success(), "{}", stderr(&printed));
    let view = stdout_json(&printed);
    assert_eq!(view, env.plan_json(&yaml), "stdout is the JSON plan");
    assert!(stderr(&printed).contains("Saved the plan to"));
    let mut saved: Value =
        serde_json::from_str(&std::fs::read_to_string(&file).expect("the file")).expect("JSON");
    let context = saved
        .as_object_mut()
        .and_then(|document| document.remove("saved"))
        .expect("a `saved` field");
    assert_eq!(saved, view, "the file is the JSON plan plus `saved`");
    assert_eq!(context["account"], json!("123456789012"));
    assert_eq!(context["endpoint"], json!(env.sim.endpoint()));
    assert_eq!(context["tollgateVersion"], json!(env!("CARGO_PKG_VERSION")));
    assert!(
        context.get("gitCommit").is_none(),
        "the scratch folder is no repository"
    );
    let plans = context["plans"].as_array().expect("plans");
    assert_eq!(plans.len(), 2);
    assert_eq!(plans[0]["desired"]["id"], json!("gold000001"));
    for part in ["body", "keys", "tags"] {
        let print = plans[0]["fingerprint"][part]
            .as_str()
            .expect("a fingerprint");
        assert!(print.starts_with("sha256:") && print.len() == 71, "{print}");
    }
    assert!(plans[1].get("live").is_none(), "Trial is to be created");
    assert_eq!(env.writes(), 0, "plan --out writes nothing to AWS");
    assert_eq!(
        env.calls("GetCallerIdentity"),
        2,
        "each of the two plans asked for the account once"
    );
}

#[test]
fn show_renders_each_view_as_plan_printed_it_without_calling_aws() {
    let env = env_in(None);
    let yaml = env.write("plans/plans.yaml", DESIRED);
    let file = env.dir.path().join("saved.tgplan");
    for format in ["text", "markdown", "json"] {
        let planned = env
            .tollgate()
            .args(["plan", "--format", format, "--out"])
            .arg(&file)
            .arg(&yaml)
            .output()
            .expect("tollgate runs");
        assert!(planned.status.success(), "{}", stderr(&planned));
        env.sim.reset_counters();
        let shown = env
            .tollgate()
            .args(["show", "--format", format])
            .arg(&file)
            .env("AWS_ENDPOINT_URL", "http://127.0.0.1:1")
            .output()
            .expect("tollgate runs");
        assert!(shown.status.success(), "{}", stderr(&shown));
        assert_eq!(stdout(&shown), stdout(&planned), "{format}");
        assert!(env.sim.calls().is_empty(), "show calls no AWS");
    }
}

#[test]
fn a_fresh_saved_plan_applies_and_the_next_plan_is_empty() {
    let (env, yaml, file) = saved_plan();
    let applied = apply_file(&env, &file);
    assert!(applied.status.success(), "{}", stderr(&applied));
    assert!(stdout(&applied).contains("Trial"), "apply shows the plan");
    assert!(stderr(&applied).contains("Saved plan"));
    env.assert_in_sync(&yaml);
    let gold = env.plan("gold000001");
    assert_eq!(gold.quota().map(|quota| quota.limit()), Some(2000));
    assert_eq!(
        gold.tags()
            .and_then(|tags| tags.get("tollgate:grant:key1:SUP-1")),
        Some(&"applied".to_string())
    );
    let trial = env.plan(&env.plan_id("Trial"));
    assert_eq!(trial.product_code(), Some("prod-trial"));
    assert_eq!(
        trial.tags().and_then(|tags| tags.get("tollgate:creation")),
        Some(&creation_token_of(&file, "Trial")),
        "the create carries the marker the file fixed"
    );
}

#[test]
fn a_stale_saved_plan_is_refused_naming_each_plan_and_part_and_nothing_is_sent() {
    let (env, _, file) = saved_plan();
    env.block_on(
        env.sdk()
            .update_usage_plan()
            .usage_plan_id("gold000001")
            .patch_operations(patch(Op::Replace, "/description", "Changed by hand"))
            .send(),
    )
    .expect("UpdateUsagePlan");
    tag_gold(&env, &[("team", "search")]);
    env.sim.reset_counters();
    let refused = apply_file(&env, &file);
    assert_eq!(refused.status.code(), Some(1));
    let message = stderr(&refused);
    assert!(message.contains("is stale"), "{message}");
    assert!(
        message.contains(
            "usage plan \"Gold\" (gold000001): its body changed since the plan: /description"
        ),
        "{message}"
    );
    assert!(
        message.contains(
            "usage plan \"Gold\" (gold000001): its tags changed since the plan: tag `team` is \"search\", was \"payments\""
        ),
        "{message}"
    );
    assert!(message.contains("Nothing was sent to AWS"), "{message}");
    assert_eq!(env.writes(), 0, "{:?}", env.sim.calls());
}

/// The creation marker's token the saved plan `file` fixed for the plan `name` it creates.
fn creation_token_of(file: &Path, name: &str) -> String {
    let saved: Value =
        serde_json::from_str(&std::fs::read_to_string(file).expect("the file")).expect("JSON");
    saved["saved"]["plans"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|entry| entry["desired"]["body"]["name"] == name)
        .and_then(|entry| entry["creationToken"].as_str())
        .expect("a creation token for the plan")
        .to_string()
}

#[test]
fn a_plan_to_create_that_someone_else_created_is_refused() {
    // Created without a marker (by hand), or with another apply's marker.
    for marker in [None, Some("another-apply")] {
        let (env, _, file) = saved_plan();
        let mut create = env.sdk().create_usage_plan().name("Trial");
        if let Some(token) = marker {
            create = create.tags("tollgate:creation", token);
        }
        env.block_on(create.send()).expect("CreateUsagePlan");
        env.sim.reset_counters();
        let refused = apply_file(&env, &file);
        assert_eq!(refused.status.code(), Some(1));
        assert!(
            stderr(&refused).contains("usage plan \"Trial\", which the plan creates, now exists (")
                && stderr(&refused).contains("was not created by an apply of this file"),
            "{}",
            stderr(&refused)
        );
        assert_eq!(env.writes(), 0);
    }
}

#[test]
fn the_same_file_finishes_a_partial_apply() {
    let (env, yaml, file) = saved_plan();
    // What a first apply did before it stopped: Gold's body and key2, the grant (recorded
    // applied), and Trial created (with tollgate's creation marker) but not its product code.
    let sdk = env.sdk();
    env.block_on(
        sdk.update_usage_plan()
            .usage_plan_id("gold000001")
            .patch_operations(patch(Op::Replace, "/quota/limit", "2000"))
            .send(),
    )
    .expect("UpdateUsagePlan");
    env.block_on(
        sdk.create_usage_plan_key()
            .usage_plan_id("gold000001")
            .key_id("key2")
            .key_type("API_KEY")
            .send(),
    )
    .expect("CreateUsagePlanKey");
    tag_gold(&env, &[("tollgate:grant:key1:SUP-1", "applied")]);
    env.block_on(
        sdk.create_usage_plan()
            .name("Trial")
            .throttle(
                aws_sdk_apigateway::types::ThrottleSettings::builder()
                    .rate_limit(5.0)
                    .burst_limit(10)
                    .build(),
            )
            .api_stages(
                aws_sdk_apigateway::types::ApiStage::builder()
                    .api_id("k9l8m7n6o5")
                    .stage("prod")
                    .build(),
            )
            .tags("tollgate:creation", creation_token_of(&file, "Trial"))
            .send(),
    )
    .expect("CreateUsagePlan");
    env.sim.reset_counters();
    let applied = apply_file(&env, &file);
    assert!(applied.status.success(), "{}", stderr(&applied));
    env.assert_in_sync(&yaml);
    let calls = env.sim.calls();
    assert_eq!(
        calls.get("CreateUsagePlan"),
        None,
        "Trial is not created twice"
    );
    assert_eq!(
        calls.get("UpdateUsage"),
        None,
        "the grant is not applied twice"
    );
    assert_eq!(
        calls.get("CreateUsagePlanKey"),
        None,
        "key2 is on Gold already"
    );
    assert_eq!(
        calls.get("UpdateUsagePlan"),
        Some(&1),
        "Trial's product code only"
    );
    assert_eq!(
        env.plan(&env.plan_id("Trial")).product_code(),
        Some("prod-trial")
    );
}

#[test]
fn a_file_made_for_another_account_or_region_is_refused() {
    let (env, _, file) = saved_plan();
    let other = env_in(Some("210987654321"));
    other.write("plans/plans.yaml", DESIRED);
    let refused = other.run(&["apply", "--auto-approve"], &file);
    assert_eq!(refused.status.code(), Some(1));
    let message = stderr(&refused);
    assert!(
        message.contains(
            "it was made for account 123456789012, and the credentials now belong to account 210987654321"
        ),
        "{message}"
    );
    assert!(message.contains("Nothing was sent to AWS"), "{message}");
    assert_eq!(other.writes(), 0);
    assert_eq!(other.calls("GetUsagePlans"), 0, "refused before reading");

    let region = env.run(&["apply", "--auto-approve", "--region", "eu-west-1"], &file);
    assert_eq!(region.status.code(), Some(1));
    let message = stderr(&region);
    assert!(
        message.contains("it was made for region us-east-1, and the region now is eu-west-1"),
        "{message}"
    );
    assert!(
        !message.contains("made for account"),
        "same account: {message}"
    );
    assert_eq!(env.writes(), 0);
}

#[test]
fn damaged_files_and_unknown_versions_are_refused_naming_the_file() {
    let (env, _, file) = saved_plan();
    let text = std::fs::read_to_string(&file).expect("the file");
    let good: Value = serde_json::from_str(&text).expect("JSON");
    let edited = |edit: &dyn Fn(&mut Value)| {
        let mut value = good.clone();
        edit(&mut value);
        serde_json::to_string_pretty(&value).expect("JSON")
    };
    let cases: Vec<(&str, String, &str)> = vec![
        (
            "not-json.tgplan",
            "{ not json".into(),
            "is not a usable saved plan: it is not JSON",
        ),
        (
            "cut.tgplan",
            text[..text.len() / 2].into(),
            "it is not JSON",
        ),
        (
            "version.tgplan",
            edited(&|value| value["formatVersion"] = json!(2)),
            "is a saved plan of formatVersion 2, and this tollgate reads formatVersion 1 only",
        ),
        (
            "no-version.tgplan",
            edited(&|value| {
                value.as_object_mut().map(|o| o.remove("formatVersion"));
            }),
            "it has no `formatVersion`",
        ),
        (
            "view-only.tgplan",
            edited(&|value| {
                value.as_object_mut().map(|o| o.remove("saved"));
            }),
            "it has no `saved` field",
        ),
        (
            "missing.tgplan",
            edited(&|value| {
                value["saved"]["plans"][0]["desired"]
                    .as_object_mut()
                    .map(|o| o.remove("body"));
            }),
            "a field is missing or wrong",
        ),
        (
            "fingerprint.tgplan",
            edited(&|value| value["saved"]["plans"][0]["live"]["tags"]["team"] = json!("x")),
            "does not match its fingerprint",
        ),
        (
            "changes.tgplan",
            edited(&|value| value["changes"][0]["operations"][0]["value"] = json!("9")),
            "the plan it shows does not follow from the state saved with it",
        ),
    ];
    for (name, content, expected) in cases {
        let path = env.write(name, &content);
        for command in [&["apply", "--auto-approve"][..], &["show"][..]] {
            let refused = env.run(command, &path);
            assert_eq!(refused.status.code(), Some(1), "{name}");
            let message = stderr(&refused);
            assert!(
                message.contains(&*path.display().to_string()),
                "{name}: {message}"
            );
            assert!(message.contains(expected), "{name}: {message}");
        }
    }
    assert!(env.sim.calls().is_empty(), "{:?}", env.sim.calls());
}

#[test]
fn retrying_pending_grants_is_never_saved_nor_applied_from_a_file() {
    // A grant pending now may have been sent by a partial apply of the very same file.
    let (env, yaml, file) = saved_plan();
    let refused = env.run(
        &["apply", "--auto-approve", "--retry-pending-grants"],
        &file,
    );
    assert_eq!(refused.status.code(), Some(1));
    assert!(
        stderr(&refused).contains("--retry-pending-grants cannot be used with a saved plan"),
        "{}",
        stderr(&refused)
    );
    let out = env.dir.path().join("retry.tgplan");
    let refused = env
        .tollgate()
        .args(["plan", "--retry-pending-grants", "--out"])
        .arg(&out)
        .arg(&yaml)
        .output()
        .expect("runs");
    assert_eq!(refused.status.code(), Some(1));
    assert!(
        stderr(&refused).contains("--retry-pending-grants cannot be saved with --out"),
        "{}",
        stderr(&refused)
    );
    assert!(!out.exists(), "nothing written");
    assert!(env.sim.calls().is_empty());
}

#[test]
fn a_plan_shown_only_for_a_pending_grant_is_saved_shown_and_left_alone() {
    let env = env_in(None);
    tag_gold(&env, &[("tollgate:grant:key1:SUP-1", "pending")]);
    let yaml = env.write(
        "plans/plans.yaml",
        r#"
usagePlans:
  - name: Gold
    description: Paying customers
    throttle: { rateLimit: 100, burstLimit: 200 }
    quota: { limit: 1000, period: MONTH }
    apiStages: [ { apiId: a1b2c3d4e5, stage: prod } ]
    keys:
      - id: key1
        grants: [ { id: SUP-1, remaining: 5000 } ]
"#,
    );
    let file = env.dir.path().join("pending.tgplan");
    let planned = env
        .tollgate()
        .args(["plan", "--out"])
        .arg(&file)
        .arg(&yaml)
        .output()
        .expect("tollgate runs");
    assert!(planned.status.success(), "{}", stderr(&planned));
    assert!(stdout(&planned).contains("SUP-1"), "{}", stdout(&planned));
    let shown = env.run(&["show"], &file);
    assert_eq!(stdout(&shown), stdout(&planned));
    env.sim.reset_counters();
    let applied = env.run(&["apply", "--auto-approve", "--detailed-exitcode"], &file);
    assert_eq!(applied.status.code(), Some(0), "{}", stderr(&applied));
    assert_eq!(env.writes(), 0, "a pending grant is not applied again");
}

#[test]
fn a_saved_plan_named_like_yaml_is_refused_before_reading() {
    let env = env_in(None);
    let yaml = env.write("plans/plans.yaml", DESIRED);
    let refused = env
        .tollgate()
        .args(["plan", "--out", "saved.yaml"])
        .arg(&yaml)
        .output()
        .expect("tollgate runs");
    assert_eq!(refused.status.code(), Some(1));
    assert!(stderr(&refused).contains("must not end in .yaml or .yml"));
    assert!(!env.dir.path().join("saved.yaml").exists());
    assert!(env.sim.calls().is_empty());
}
