//! End to end: a saved plan does only what the reviewed YAML says. `apply FILE` reads the YAML
//! the file was planned from again in the checkout it runs in and refuses, sending nothing, a
//! file whose plans or keys are declared otherwise there: a file planned from other YAML, a
//! key's variable edited, a plan or key no longer declared, YAML that cannot be read. YAML of
//! plans the file does not touch may have moved on. An edited ownership snapshot is refused
//! by the ownership check `plan` runs. With `TOLLGATE_PLAN_KEY`, files are signed and only a
//! file with a valid signature is read.

mod common;

use std::path::{Path, PathBuf};

use common::{tollgate_against, Env};
use serde_json::Value;
use tollgate::saved::stale::Snapshot;

/// Gold as it is live.
const LIVE: &str = r#"
usagePlans:
  - id: gold000001
    name: Gold
    throttle: { rateLimit: 100, burstLimit: 200 }
    quota: { limit: 1000, period: MONTH }
    apiStages: [ { apiId: a1b2c3d4e5, stage: prod } ]
  - id: silver0001
    name: Silver
    throttle: { rateLimit: 10, burstLimit: 20 }
    apiStages: [ { apiId: k9l8m7n6o5, stage: prod } ]
"#;

/// The reviewed YAML: Gold's quota raised, Silver as it is.
const REVIEWED: &str = r#"usagePlans:
  - name: Gold
    throttle: { rateLimit: 100, burstLimit: 200 }
    quota: { limit: 2000, period: MONTH }
    apiStages: [ { api: pets, stage: prod } ]
  - name: Silver
    throttle: { rateLimit: 10, burstLimit: 20 }
    apiStages: [ { api: orders, stage: prod } ]
"#;

/// A key the reviewed YAML creates, its value from TOLLGATE_KEY_ACME, on Gold.
const ACME: &str = r#"apiKeys:
  - name: acme
    valueFrom: { env: TOLLGATE_KEY_ACME }
usagePlans:
  - name: Gold
    throttle: { rateLimit: 100, burstLimit: 200 }
    quota: { limit: 1000, period: MONTH }
    apiStages: [ { api: pets, stage: prod } ]
    keys: [ { name: acme } ]
"#;

/// A value for the key variables; it must appear nowhere tollgate writes.
const SECRET: &str = "s3cr3t-value-of-the-runner-0123456789";

/// A signing key of 64 hex digits, as `openssl rand -hex 32` makes one.
const PLAN_KEY: &str = "5f2b0c1d9e8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c";

fn stderr(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// `tollgate ARGS` in `env`'s scratch folder, with `vars` set; its output.
fn run(env: &Env, args: &[&str], vars: &[(&str, &str)]) -> std::process::Output {
    let mut command = env.tollgate();
    command.args(args);
    for (name, value) in vars {
        command.env(name, value);
    }
    command.output().expect("tollgate runs")
}

/// `plan --out gold.plan` in `env`'s folder with `vars` set; the file's path.
fn plan_out(env: &Env, vars: &[(&str, &str)]) -> PathBuf {
    let output = run(env, &["plan", "--out", "gold.plan"], vars);
    assert!(output.status.success(), "{}", stderr(&output));
    env.dir.path().join("gold.plan")
}

/// `apply --auto-approve gold.plan` with `vars` set, which must be refused with nothing
/// written to the account; its stderr.
fn refused(env: &Env, vars: &[(&str, &str)]) -> String {
    let output = run(env, &["apply", "--auto-approve", "gold.plan"], vars);
    let message = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{message}");
    assert_eq!(env.writes(), 0, "nothing is written: {message}");
    assert!(message.contains("Nothing was sent to AWS"), "{message}");
    message
}

fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).expect("read the saved plan");
    serde_json::from_str(&text).expect("a saved plan is JSON")
}

fn write_json(path: &Path, value: &Value) {
    let text = serde_json::to_string_pretty(value).expect("JSON");
    std::fs::write(path, text).expect("write the saved plan");
}

/// Gold's live quota limit.
fn gold_quota(env: &Env) -> Option<i32> {
    env.plan("gold000001").quota().map(|quota| quota.limit())
}

#[test]
fn a_file_planned_from_other_yaml_is_refused_and_one_from_the_checkout_applies() {
    let env = Env::new(LIVE);
    env.write("plans/plans.yaml", REVIEWED);
    // Someone who can upload an artifact plans from their own YAML (Gold's quota cut to
    // 10), with the same account, region and endpoint: the file is consistent in itself.
    let elsewhere = tempfile::tempdir().expect("a scratch folder");
    let evil = REVIEWED.replace("limit: 2000", "limit: 10");
    std::fs::create_dir_all(elsewhere.path().join("plans")).expect("folder");
    std::fs::write(elsewhere.path().join("plans/plans.yaml"), evil).expect("write");
    tollgate_against(&env.sim.endpoint(), elsewhere.path())
        .args(["plan", "--out"])
        .arg(env.dir.path().join("gold.plan"))
        .assert()
        .success();
    env.sim.reset_counters();

    let message = refused(&env, &[]);
    assert!(
        message.contains(
            "usage plan \"Gold\", which the file changes, is declared otherwise at \
             plans/plans.yaml:2:11: its quota"
        ),
        "{message}"
    );
    assert!(
        message.contains("make a new plan from this checkout"),
        "{message}"
    );
    assert_eq!(gold_quota(&env), Some(1000));

    // The plan made from the checkout's own YAML applies.
    plan_out(&env, &[]);
    let applied = run(&env, &["apply", "--auto-approve", "gold.plan"], &[]);
    assert!(applied.status.success(), "{}", stderr(&applied));
    assert_eq!(gold_quota(&env), Some(2000));
}

#[test]
fn yaml_changed_after_the_plan_is_compared_only_where_the_file_touches_it() {
    let env = Env::new(LIVE);
    let yaml = env.write("plans/plans.yaml", REVIEWED);
    plan_out(&env, &[]);
    env.sim.reset_counters();

    // Gold, which the file changes, is declared otherwise now.
    std::fs::write(&yaml, REVIEWED.replace("limit: 2000", "limit: 3000")).expect("write");
    let message = refused(&env, &[]);
    assert!(message.contains("usage plan \"Gold\""), "{message}");
    assert!(message.contains("its quota"), "{message}");

    // Gold is no longer declared at all.
    let without_gold = REVIEWED
        .split("  - name: Silver")
        .nth(1)
        .map(|silver| format!("usagePlans:\n  - name: Silver{silver}"))
        .unwrap_or_default();
    std::fs::write(&yaml, without_gold).expect("write");
    let message = refused(&env, &[]);
    assert!(
        message
            .contains("usage plan \"Gold\", which the file changes, is not declared in the YAML"),
        "{message}"
    );

    // The YAML cannot be read.
    std::fs::write(&yaml, "usagePlans: [").expect("write");
    let message = refused(&env, &[]);
    assert!(message.contains("its YAML cannot be read"), "{message}");
    assert!(message.contains("plans/plans.yaml:"), "{message}");
    std::fs::remove_dir_all(env.dir.path().join("plans")).expect("remove");
    let message = refused(&env, &[]);
    assert!(message.contains("plans does not exist"), "{message}");
    std::fs::create_dir(env.dir.path().join("plans")).expect("folder");

    // Silver, which the file does not touch, may have moved on: the file applies.
    std::fs::write(
        &yaml,
        REVIEWED.replace(
            "rateLimit: 10, burstLimit: 20",
            "rateLimit: 50, burstLimit: 90",
        ),
    )
    .expect("write");
    let applied = run(&env, &["apply", "--auto-approve", "gold.plan"], &[]);
    assert!(applied.status.success(), "{}", stderr(&applied));
    assert_eq!(gold_quota(&env), Some(2000));
    let silver = env.plan("silver0001");
    assert_eq!(
        silver.throttle().map(|throttle| throttle.burst_limit()),
        Some(20),
        "Silver is left as it was: the file does not touch it"
    );
}

#[test]
fn a_key_variable_edited_in_the_file_is_refused_and_never_read() {
    let env = Env::new(LIVE);
    env.write("plans/plans.yaml", ACME);
    let file = plan_out(&env, &[]);
    env.sim.reset_counters();
    let text = std::fs::read_to_string(&file).expect("read");
    assert!(text.contains("TOLLGATE_KEY_ACME"), "{text}");
    let vars = [
        ("TOLLGATE_KEY_ACME", SECRET),
        ("TOLLGATE_KEY_OTHER", SECRET),
    ];

    // Another TOLLGATE_KEY_ variable: the reviewed YAML names TOLLGATE_KEY_ACME.
    std::fs::write(
        &file,
        text.replace("TOLLGATE_KEY_ACME", "TOLLGATE_KEY_OTHER"),
    )
    .expect("write");
    let message = refused(&env, &vars);
    assert!(
        message.contains(
            "API key \"acme\", which the file creates, is declared otherwise at \
             plans/plans.yaml:2:11: valueFrom"
        ),
        "{message}"
    );
    assert!(!message.contains(SECRET), "{message}");

    // One of the runner's secrets: refused before its value is read.
    std::fs::write(
        &file,
        text.replace("TOLLGATE_KEY_ACME", "AWS_SECRET_ACCESS_KEY"),
    )
    .expect("write");
    let message = refused(&env, &[("AWS_SECRET_ACCESS_KEY", SECRET)]);
    assert!(message.contains("valueFrom"), "{message}");
    assert!(!message.contains(SECRET), "{message}");
    assert_eq!(env.calls("CreateApiKey"), 0);
}

#[test]
fn an_ownership_snapshot_edited_to_match_another_owner_is_refused() {
    let env = Env::new(LIVE);
    env.write(
        "tollgate.yaml",
        "project: payments\ntargets:\n  - name: prod\n    region: us-east-1\n    paths: [plans]\n",
    );
    env.write("plans/plans.yaml", REVIEWED);
    let file = plan_out(&env, &[]);

    // Another project takes Gold over after the plan was made...
    env.block_on(
        env.sdk()
            .tag_resource()
            .resource_arn("arn:aws:apigateway:us-east-1::/usageplans/gold000001")
            .tags("tollgate:owner", "billing/prod")
            .send(),
    )
    .expect("TagResource");
    env.sim.reset_counters();
    // ... which apply tells, as `plan` would,
    let message = refused(&env, &[]);
    assert!(message.contains("belongs to billing/prod"), "{message}");

    // even when the file is edited so that its snapshot shows that owner, fingerprint
    // recomputed, and the staleness check finds nothing changed.
    let mut document = read_json(&file);
    let entry = &mut document["saved"]["plans"][0];
    assert_eq!(entry["desired"]["body"]["name"], "Gold", "{entry:#}");
    assert_eq!(
        entry["live"]["tags"],
        serde_json::json!([]),
        "Gold had no tags"
    );
    entry["live"]["tags"] = serde_json::json!({ "tollgate:owner": "billing/prod" });
    let snapshot: Snapshot = serde_json::from_value(entry["live"].clone()).expect("a snapshot");
    entry["fingerprint"] = serde_json::to_value(snapshot.fingerprint()).expect("JSON");
    write_json(&file, &document);
    let message = refused(&env, &[]);
    assert!(!message.contains("is stale"), "{message}");
    assert!(message.contains("belongs to billing/prod"), "{message}");
    assert!(message.contains("plans/plans.yaml:2:11"), "{message}");
    let tags = env.plan("gold000001").tags().cloned().unwrap_or_default();
    assert_eq!(
        tags.get("tollgate:owner").map(String::as_str),
        Some("billing/prod")
    );
}

#[test]
fn a_signed_plan_is_verified_and_an_edited_or_unsigned_one_refused() {
    let env = Env::new(LIVE);
    env.write("plans/plans.yaml", REVIEWED);
    let signing = [("TOLLGATE_PLAN_KEY", PLAN_KEY)];

    // A key too short to be one: nothing is read or written.
    let short = run(
        &env,
        &["plan", "--out", "gold.plan"],
        &[("TOLLGATE_PLAN_KEY", "hunter2")],
    );
    assert_eq!(short.status.code(), Some(1));
    assert!(stderr(&short).contains("at least 32"), "{}", stderr(&short));
    assert!(!stderr(&short).contains("hunter2"));
    assert!(!env.dir.path().join("gold.plan").exists());
    assert_eq!(env.total_calls(), 0);

    // An unsigned file, when apply has the key.
    plan_out(&env, &[]);
    env.sim.reset_counters();
    let message = refused(&env, &signing);
    assert!(message.contains("it is not signed"), "{message}");

    // A signed file, edited after signing (here, the version it claims to be made by).
    let file = plan_out(&env, &signing);
    env.sim.reset_counters();
    let signed = read_json(&file);
    let written = signed["signature"].as_str().unwrap_or_default();
    assert!(written.starts_with("hmac-sha256:"), "{signed:#}");
    assert!(!written.contains(PLAN_KEY));
    let mut edited = signed.clone();
    edited["saved"]["tollgateVersion"] = Value::from("9.9.9");
    write_json(&file, &edited);
    let message = refused(&env, &signing);
    assert!(message.contains("does not match its content"), "{message}");
    let show = run(&env, &["show", "gold.plan"], &signing);
    assert_eq!(show.status.code(), Some(1), "show checks it too");

    // The same file with another key.
    write_json(&file, &signed);
    let other_key = PLAN_KEY.replace('5', "6");
    let message = refused(&env, &[("TOLLGATE_PLAN_KEY", other_key.as_str())]);
    assert!(message.contains("does not match its content"), "{message}");

    // As signed, with the key: verified, and applied.
    let applied = run(&env, &["apply", "--auto-approve", "gold.plan"], &signing);
    let message = stderr(&applied);
    assert!(applied.status.success(), "{message}");
    assert!(message.contains("signature verified"), "{message}");
    assert!(!message.contains(PLAN_KEY));
    assert_eq!(gold_quota(&env), Some(2000));
}

#[test]
fn a_file_edited_to_drop_its_adopt_of_a_stacks_plan_is_refused() {
    // Gold was made by the CloudFormation stack payments-api, since deleted; the reviewed
    // YAML takes it over by naming the stack.
    let env = Env::new(
        "usagePlans:\n  - id: stack00001\n    name: Gold\n    tags: { \"aws:cloudformation:stack-name\": payments-api }\n",
    );
    let adopting = "usagePlans:\n  - name: Gold\n    description: ours now\n    adopt: { cloudFormationStack: payments-api }\n";
    let yaml = env.write("plans/plans.yaml", adopting);
    let file = plan_out(&env, &[]);
    env.sim.reset_counters();

    // The file and the YAML both edited to drop the opt-in: the apply refuses as `plan` does.
    let mut document = read_json(&file);
    let desired = &mut document["saved"]["plans"][0]["desired"];
    assert_eq!(desired["adopt_stack"], "payments-api", "{desired:#}");
    desired
        .as_object_mut()
        .map(|fields| fields.remove("adopt_stack"));
    write_json(&file, &document);
    std::fs::write(
        &yaml,
        adopting.replace("    adopt: { cloudFormationStack: payments-api }\n", ""),
    )
    .expect("write");
    let message = refused(&env, &[]);
    assert!(
        message.contains("plans/plans.yaml:2:11: live usage plan \"Gold\" (stack00001) belongs to the CloudFormation stack \"payments-api\""),
        "{message}"
    );

    // The file edited alone: the reviewed YAML still adopts, so the file is not what it says.
    std::fs::write(&yaml, adopting).expect("write");
    let message = refused(&env, &[]);
    assert!(message.contains("its `adopt`"), "{message}");
}

#[test]
fn in_a_project_a_file_cannot_borrow_yaml_outside_its_targets_paths() {
    let env = Env::new(LIVE);
    env.write(
        "tollgate.yaml",
        "project: payments\ntargets:\n  - name: prod\n    region: us-east-1\n    paths: [plans]\n",
    );
    env.write("plans/plans.yaml", REVIEWED);
    // Declarations for somewhere else, in the same checkout: Gold with a tiny quota.
    env.write(
        "staging/plans.yaml",
        &REVIEWED.replace("limit: 2000", "limit: 10"),
    );
    let file = plan_out(&env, &[]);
    let mut document = read_json(&file);
    assert_eq!(document["saved"]["yaml"], serde_json::json!(["plans"]));

    // The file edited to say it was planned from staging/: refused, whatever it declares.
    document["saved"]["yaml"] = serde_json::json!(["staging"]);
    write_json(&file, &document);
    env.sim.reset_counters();
    let message = refused(&env, &[]);
    assert!(
        message.contains("its YAML path \"staging\" is not among its target's paths"),
        "{message}"
    );
    assert_eq!(gold_quota(&env), Some(1000));
}

#[test]
fn a_reviewed_declaration_pinned_in_the_file_to_another_plan_is_refused() {
    let env = Env::new(LIVE);
    env.write("plans/plans.yaml", REVIEWED);
    // Planned elsewhere from Gold's reviewed declaration pinned to Silver's id, then edited
    // to say the declaration was matched by name, as the reviewed YAML's Gold is.
    let elsewhere = tempfile::tempdir().expect("a scratch folder");
    let gold = REVIEWED
        .split("  - name: Silver")
        .next()
        .unwrap_or_default()
        .replace("  - name: Gold\n", "  - id: silver0001\n    name: Gold\n");
    std::fs::create_dir_all(elsewhere.path().join("plans")).expect("folder");
    std::fs::write(elsewhere.path().join("plans/plans.yaml"), gold).expect("write");
    let file = env.dir.path().join("gold.plan");
    tollgate_against(&env.sim.endpoint(), elsewhere.path())
        .args(["plan", "--out"])
        .arg(&file)
        .assert()
        .success();
    let mut document = read_json(&file);
    document["saved"]["plans"][0]["matchedByName"] = Value::from(true);
    let changes = document["changes"].as_array_mut().expect("changes");
    for change in changes
        .iter_mut()
        .filter(|change| change["id"] == "silver0001")
    {
        change["matchedByName"] = Value::from(true);
    }
    write_json(&file, &document);
    env.sim.reset_counters();

    let message = refused(&env, &[]);
    assert!(
        message.contains(
            "usage plan \"Gold\" at plans/plans.yaml:2:11: the file applies it to silver0001, \
             and the YAML matches it to gold000001"
        ),
        "{message}"
    );
    assert_eq!(env.plan("silver0001").name(), Some("Silver"));
}
