//! Declared API keys (`apiKeys:`): a key that does not exist is created with its value from
//! the environment and associated in the same apply, its value found nowhere in what
//! tollgate prints; `plan` runs without the variable, `apply` refuses before sending
//! anything when it is missing or too short; a live key that differs is patched; a lost
//! answer to CreateApiKey never makes a second key, one to UpdateApiKey is sent again and
//! settles; key writes throttled ten times in a row fail cleanly and are planned again.

mod common;

use common::{stdout_json, Env};
use tollgate_sim::{ClockMode, Config, Faults};

/// The value the tests give TOLLGATE_KEY_ACME: it must never appear in anything tollgate writes.
const SECRET: &str = "s3cr3t-acme-value-0123456789abcdef";

/// `tollgate apply --auto-approve PATH` (YAML or a saved plan) with TOLLGATE_KEY_ACME set.
fn apply_with_acme_key(env: &Env, path: &std::path::Path) -> std::process::Output {
    env.tollgate()
        .args(["apply", "--auto-approve"])
        .arg(path)
        .env("TOLLGATE_KEY_ACME", SECRET)
        .output()
        .expect("tollgate runs")
}

/// Acme declared with its value from TOLLGATE_KEY_ACME, and Gold serving it on pets/prod by name.
const ACME_ON_GOLD: &str = r#"apiKeys:
  - name: acme
    description: Acme Corp
    customerId: cust-acme
    tags: { team: payments }
    valueFrom: { env: TOLLGATE_KEY_ACME }
usagePlans:
  - name: Gold
    throttle: { rateLimit: 100, burstLimit: 200 }
    apiStages: [ { api: pets, stage: prod } ]
    keys: [ { name: acme } ]
"#;

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The live keys named `name`, read with their values.
fn live_keys(env: &Env, name: &str) -> Vec<aws_sdk_apigateway::types::ApiKey> {
    let keys = env
        .block_on(
            env.sdk()
                .get_api_keys()
                .include_values(true)
                .limit(500)
                .send(),
        )
        .expect("GetApiKeys");
    keys.items()
        .iter()
        .filter(|key| key.name() == Some(name))
        .cloned()
        .collect()
}

/// A pull request that names one of the runner's own secrets as a key's value: the YAML is
/// invalid, and no command sends anything, so the secret never reaches a key.
#[test]
fn a_key_value_from_a_runner_secret_is_refused_with_nothing_sent() {
    let env = Env::new("");
    let path = env.write(
        "plans/gold.yaml",
        &ACME_ON_GOLD.replace("TOLLGATE_KEY_ACME", "AWS_SECRET_ACCESS_KEY"),
    );
    for command in [
        &["validate"][..],
        &["plan"],
        &["apply", "--auto-approve"],
        &["plan", "--out", "acme.plan"],
    ] {
        let run = env
            .tollgate()
            .args(command)
            .arg(&path)
            .env("AWS_SECRET_ACCESS_KEY", SECRET)
            .output()
            .expect("tollgate runs");
        let stderr = text(&run.stderr);
        assert_eq!(run.status.code(), Some(1), "{command:?}: {stderr}");
        assert!(
            stderr.contains("gold.yaml:6:23: ")
                && stderr.contains("\"AWS_SECRET_ACCESS_KEY\" does not begin with TOLLGATE_KEY_"),
            "{command:?}: {stderr}"
        );
        assert!(!stderr.contains(SECRET) && !text(&run.stdout).contains(SECRET));
    }
    assert_eq!(
        env.total_calls(),
        0,
        "nothing, not even a read, reached the account"
    );
    assert!(
        !env.dir.path().join("acme.plan").exists(),
        "no plan was saved"
    );
}

#[test]
fn a_declared_key_is_created_and_associated_in_one_apply_and_its_value_is_nowhere() {
    let env = Env::new("");
    let path = env.write("plans/gold.yaml", ACME_ON_GOLD);

    // The plan needs no secret: it says where the value will come from.
    let plan = env.run(&["plan", "--detailed-exitcode"], &path);
    let shown = text(&plan.stdout);
    assert_eq!(plan.status.code(), Some(2), "{}", text(&plan.stderr));
    assert!(shown.contains("+ API key acme (new)"), "{shown}");
    assert!(
        shown.contains("create key: enabled, description \"Acme Corp\", customerId \"cust-acme\""),
        "{shown}"
    );
    assert!(
        shown.contains("value from the environment variable TOLLGATE_KEY_ACME"),
        "{shown}"
    );
    assert!(shown.contains("\n    + key acme (new)\n"), "{shown}");
    let json = stdout_json(&env.run(&["plan", "--format", "json"], &path));
    assert_eq!(json["summary"]["apiKeys"], 1, "{json:#}");

    // The apply that creates the key refuses without the variable, naming it.
    let missing = env.run(&["apply", "--auto-approve"], &path);
    let stderr = text(&missing.stderr);
    assert_eq!(missing.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("TOLLGATE_KEY_ACME, which is not set"),
        "{stderr}"
    );
    assert!(stderr.contains("nothing was sent to AWS"), "{stderr}");
    // ... and with a value AWS would refuse, without printing it.
    let short = env
        .tollgate()
        .args(["apply", "--auto-approve"])
        .arg(&path)
        .env("TOLLGATE_KEY_ACME", "too-short-value")
        .output()
        .expect("tollgate runs");
    let stderr = text(&short.stderr);
    assert_eq!(short.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("holds 15 characters"), "{stderr}");
    assert!(!stderr.contains("too-short-value"), "{stderr}");
    assert_eq!(
        env.writes(),
        0,
        "nothing is sent while the value is unusable"
    );

    // With the variable, one apply creates the key and puts it on Gold.
    let applied = env
        .tollgate()
        .args(["apply", "--auto-approve", "-v"])
        .arg(&path)
        .env("TOLLGATE_KEY_ACME", SECRET)
        .output()
        .expect("tollgate runs");
    let (stdout, stderr) = (text(&applied.stdout), text(&applied.stderr));
    assert_eq!(applied.status.code(), Some(0), "{stderr}");
    assert!(!stdout.contains(SECRET) && !stderr.contains(SECRET));
    assert!(stderr.contains("API key acme ("), "{stderr}");
    assert!(stderr.contains("): created"), "{stderr}");

    let acme = live_keys(&env, "acme");
    assert_eq!(acme.len(), 1, "one key named acme");
    let acme = &acme[0];
    assert_eq!(acme.value(), Some(SECRET));
    assert!(acme.enabled(), "declared keys are enabled by default");
    assert_eq!(acme.description(), Some("Acme Corp"));
    assert_eq!(acme.customer_id(), Some("cust-acme"));
    let tags = acme.tags().cloned().unwrap_or_default();
    assert_eq!(tags.get("team").map(String::as_str), Some("payments"));
    let acme_id = acme.id().unwrap_or_default().to_owned();
    assert!(
        stderr.contains(&format!("added key acme ({acme_id})")),
        "the progress names the key it just created: {stderr}"
    );
    assert_eq!(env.plan_key_ids(&env.plan_id("Gold")), [acme_id]);
    assert_eq!(env.calls("CreateApiKey"), 1);

    // Converged, and still no secret needed to check it.
    env.assert_in_sync(&path);
    let json = env.run(&["plan", "--format", "json"], &path);
    assert!(!text(&json.stdout).contains(SECRET));
}

#[test]
fn a_key_without_value_from_gets_a_value_from_aws_that_is_never_shown() {
    let env = Env::new("");
    let path = env.write(
        "plans/keys.yaml",
        "apiKeys:\n  - name: globex\n    enabled: false\n",
    );
    let plan = env.run(&["plan"], &path);
    let shown = text(&plan.stdout);
    assert!(shown.contains("create key: disabled"), "{shown}");
    assert!(shown.contains("value generated by AWS"), "{shown}");
    let applied = env.run(&["apply", "--auto-approve", "-v"], &path);
    assert_eq!(applied.status.code(), Some(0), "{}", text(&applied.stderr));
    let globex = live_keys(&env, "globex");
    assert_eq!(globex.len(), 1);
    assert!(!globex[0].enabled());
    let value = globex[0].value().unwrap_or_default().to_owned();
    assert!(value.len() >= 20, "AWS generated a value");
    assert!(!text(&applied.stdout).contains(&value) && !text(&applied.stderr).contains(&value));
    env.assert_in_sync(&path);
}

#[test]
fn a_live_key_that_differs_is_patched_and_disabling_it_is_destructive() {
    let env = Env::new("");
    // Key "two" exists (enabled, no description, no tags).
    let path = env.write(
        "plans/keys.yaml",
        "apiKeys:\n  - name: two\n    description: Globex\n    enabled: false\n    tags: { tier: gold }\n",
    );
    let plan = env.run(&["plan"], &path);
    let shown = text(&plan.stdout);
    assert!(shown.contains("~ API key two (key2)"), "{shown}");
    assert!(
        shown.contains("replace /description = \"Globex\""),
        "{shown}"
    );
    assert!(shown.contains("replace /enabled = \"false\""), "{shown}");
    assert!(
        shown.contains("destructive"),
        "disabling a key is destructive: {shown}"
    );
    let json = stdout_json(&env.run(&["plan", "--format", "json"], &path));
    let changes = json["changes"].as_array().cloned().unwrap_or_default();
    let update = changes
        .iter()
        .find(|change| change["action"] == "update-api-key")
        .unwrap_or_else(|| panic!("an update-api-key change: {json:#}"));
    assert_eq!(update["id"], "key2", "{update:#}");

    env.apply(&path);
    let two = live_keys(&env, "two");
    assert_eq!(two.len(), 1);
    assert_eq!(two[0].description(), Some("Globex"));
    assert!(!two[0].enabled());
    let tags = two[0].tags().cloned().unwrap_or_default();
    assert_eq!(tags.get("tier").map(String::as_str), Some("gold"));
    assert_eq!(env.calls("UpdateApiKey"), 1);
    assert_eq!(
        env.calls("CreateApiKey"),
        0,
        "an existing key is never created"
    );
    env.assert_in_sync(&path);
}

#[test]
fn a_name_two_live_keys_share_is_refused_with_their_ids() {
    let seed = format!(
        "{}  - {{ id: key4, name: one, value: value-one-again-0000000000000000004 }}\n",
        common::BASE_SEED
    );
    let env = Env::from_seed(&seed, Config::default());
    let path = env.write("plans/keys.yaml", "apiKeys:\n  - name: one\n");
    let output = env.run(&["apply", "--auto-approve"], &path);
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("key1") && stderr.contains("key4"),
        "{stderr}"
    );
    assert!(stderr.contains("keys.yaml:2:"), "located: {stderr}");
    assert_eq!(env.writes(), 0);
}

#[test]
fn a_lost_answer_to_create_api_key_is_adopted_not_repeated() {
    let env = Env::with_config(
        "",
        Config {
            faults: Some(Faults {
                lost_rate: 1.0,
                operations: vec!["CreateApiKey".to_string()],
                ..Faults::default()
            }),
            clock: ClockMode::manual_at("2026-11-23T12:00:00Z").expect("a date"),
            ..Config::default()
        },
    );
    let path = env.write("plans/gold.yaml", ACME_ON_GOLD);
    let output = apply_with_acme_key(&env, &path);
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(!stderr.contains(SECRET));
    let acme = live_keys(&env, "acme");
    assert_eq!(
        acme.len(),
        1,
        "the key AWS made is adopted, never made twice"
    );
    let acme_id = acme[0].id().unwrap_or_default().to_owned();
    assert_eq!(env.plan_key_ids(&env.plan_id("Gold")), [acme_id]);
    env.assert_in_sync(&path);
}

/// `plan --out acme.plan` of the YAML at `path`, run with TOLLGATE_KEY_ACME set; the saved plan's path.
fn saved_plan(env: &Env, path: &std::path::Path) -> std::path::PathBuf {
    let saved = env.dir.path().join("acme.plan");
    let planned = env
        .tollgate()
        .args(["plan", "--out"])
        .arg(&saved)
        .arg(path)
        .env("TOLLGATE_KEY_ACME", SECRET)
        .output()
        .expect("tollgate runs");
    assert_eq!(planned.status.code(), Some(0), "{}", text(&planned.stderr));
    saved
}

#[test]
fn a_saved_plan_creates_the_key_with_the_value_of_the_applying_environment() {
    let env = Env::new("");
    let path = env.write("plans/gold.yaml", ACME_ON_GOLD);
    // Even with the variable set, planning reads no value.
    let saved = saved_plan(&env, &path);
    let file = std::fs::read_to_string(&saved).expect("the saved plan");
    assert!(!file.contains(SECRET), "no value in the saved plan");
    assert!(file.contains("\"env\": \"TOLLGATE_KEY_ACME\""), "{file}");
    let shown = env.run(&["show"], &saved);
    assert!(text(&shown.stdout).contains("+ API key acme (new)"));

    let missing = env.run(&["apply", "--auto-approve"], &saved);
    assert_eq!(missing.status.code(), Some(1));
    assert!(text(&missing.stderr).contains("TOLLGATE_KEY_ACME, which is not set"));
    assert_eq!(env.writes(), 0);

    let apply = |env: &Env| apply_with_acme_key(env, &saved);
    let applied = apply(&env);
    let (stdout, stderr) = (text(&applied.stdout), text(&applied.stderr));
    assert_eq!(applied.status.code(), Some(0), "{stderr}");
    assert!(!stdout.contains(SECRET) && !stderr.contains(SECRET));
    let acme = live_keys(&env, "acme");
    assert_eq!(acme.len(), 1);
    assert_eq!(acme[0].value(), Some(SECRET));
    let acme_id = acme[0].id().unwrap_or_default().to_owned();
    assert_eq!(env.plan_key_ids(&env.plan_id("Gold")), [acme_id]);
    // Applied again, the file finds its own key and plan by their markers: nothing twice.
    let again = apply(&env);
    assert_eq!(again.status.code(), Some(0), "{}", text(&again.stderr));
    assert_eq!(env.calls("CreateApiKey"), 1);
    assert_eq!(env.calls("CreateUsagePlan"), 1);
    env.assert_in_sync(&path);
}

#[test]
fn a_saved_plan_refuses_a_key_someone_else_created_meanwhile() {
    let env = Env::new("");
    let path = env.write("plans/gold.yaml", ACME_ON_GOLD);
    let saved = saved_plan(&env, &path);
    env.block_on(env.sdk().create_api_key().name("acme").enabled(true).send())
        .expect("CreateApiKey");
    let writes = env.writes();
    let output = apply_with_acme_key(&env, &saved);
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("API key \"acme\", which the plan creates, now exists"),
        "{stderr}"
    );
    assert_eq!(env.writes(), writes, "nothing sent");
    assert_eq!(live_keys(&env, "acme").len(), 1);
}

/// An emulator whose `operations` meet `faults` (with the fixed clock of these tests).
fn faulty(faults: Faults) -> Env {
    Env::with_config(
        "",
        Config {
            faults: Some(faults),
            clock: ClockMode::manual_at("2026-11-23T12:00:00Z").expect("a date"),
            ..Config::default()
        },
    )
}

/// Key "two" given a description and disabled.
const TWO_PATCHED: &str = "apiKeys:\n  - name: two\n    description: Globex\n    enabled: false\n";

#[test]
fn a_lost_answer_to_update_api_key_is_sent_again_and_settles() {
    // Seed 85 draws 0.43, then 0.86: the first answer is lost after the work, the next is not.
    let env = faulty(Faults {
        seed: 85,
        lost_rate: 0.5,
        operations: vec!["UpdateApiKey".to_string()],
        ..Faults::default()
    });
    let path = env.write("plans/keys.yaml", TWO_PATCHED);
    let output = env.run(&["apply", "--auto-approve"], &path);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    // Its operations are all `replace`: sent again, it leaves the same key.
    assert_eq!(env.calls("UpdateApiKey"), 2);
    assert_eq!(env.sim.carried_out()["UpdateApiKey"], 2);
    let two = live_keys(&env, "two");
    assert_eq!(two[0].description(), Some("Globex"));
    assert!(!two[0].enabled());
    env.assert_in_sync(&path);
}

#[test]
fn api_key_writes_throttled_ten_times_in_a_row_fail_cleanly_and_are_planned_again() {
    // Every CreateApiKey and UpdateApiKey is answered 429: each is tried the 10 times a call
    // gets, none is carried out, nothing is associated, and the next plan shows them again.
    let env = faulty(Faults {
        throttle_rate: 1.0,
        operations: vec!["CreateApiKey".to_string(), "UpdateApiKey".to_string()],
        ..Faults::default()
    });
    let path = env.write("plans/gold.yaml", ACME_ON_GOLD);
    env.write(
        "plans/two.yaml",
        "apiKeys:\n  - name: two\n    description: Globex\n",
    );
    let path = path.parent().expect("plans/").to_path_buf();
    let output = apply_with_acme_key(&env, &path);
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(
            "CreateApiKey on API key \"acme\" failed: TooManyRequestsException (HTTP 429)"
        ),
        "{stderr}"
    );
    assert!(
        stderr.contains(
            "UpdateApiKey on API key \"two\" (key2) failed: TooManyRequestsException (HTTP 429)"
        ),
        "{stderr}"
    );
    assert!(!stderr.contains(SECRET));
    assert_eq!(env.calls("CreateApiKey"), 10, "{stderr}");
    assert_eq!(env.calls("UpdateApiKey"), 10, "{stderr}");
    assert_eq!(env.sim.carried_out().get("CreateApiKey"), None);
    assert_eq!(env.sim.carried_out().get("UpdateApiKey"), None);
    assert!(live_keys(&env, "acme").is_empty());
    assert_eq!(
        env.calls("CreateUsagePlanKey"),
        0,
        "nothing waits on a key never made"
    );
    let plan = env.plan_json(&path);
    let actions: Vec<&str> = plan["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .filter_map(|change| change["action"].as_str())
        .collect();
    assert!(actions.contains(&"create-api-key"), "{plan:#}");
    assert!(actions.contains(&"update-api-key"), "{plan:#}");
}
