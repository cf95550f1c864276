//! The plan as a reviewer reads it, end to end against the emulator: one line per change in
//! the YAML's names, key moves judged by what the key ends up with, unbounded changes marked,
//! a plan matched by name said so, the closing line in one unit, annotations in plan words,
//! and the JSON's field values and risks.

mod common;

use common::{stdout_json, Env};

/// Gold and Silver share pets/prod; Legacy is on orders/prod. Silver holds key2 and key3.
const LIVE: &str = r#"
usagePlans:
  - id: gold000001
    name: Gold
    throttle: { rateLimit: 100, burstLimit: 200 }
    quota: { limit: 1000000, period: MONTH }
    apiStages:
      - apiId: a1b2c3d4e5
        stage: prod
        throttle: { /pets/GET: { rateLimit: 40, burstLimit: 80 } }
    keys: [key1]
  - id: silver0001
    name: Silver
    throttle: { rateLimit: 10, burstLimit: 20 }
    quota: { limit: 100000, period: MONTH }
    apiStages: [ { apiId: a1b2c3d4e5, stage: prod } ]
    keys: [key2, key3]
  - id: legacy0001
    name: Legacy
    throttle: { rateLimit: 5, burstLimit: 5 }
    quota: { limit: 500, period: DAY }
    apiStages: [ { apiId: k9l8m7n6o5, stage: prod } ]
"#;

/// Gold: quota raised, GET /pets throttle raised, pets/beta added, key2 moved in from
/// Silver (same stage, higher limits: an upgrade). Silver: quota lowered. Legacy, declared
/// without an id: its quota removed.
const DECLARED: &str = r#"
usagePlans:
  - id: gold000001
    name: Gold
    throttle: { rateLimit: 100, burstLimit: 200 }
    quota: { limit: 1500000, period: MONTH }
    apiStages:
      - api: pets
        stage: prod
        throttle: { /pets/GET: { rateLimit: 50, burstLimit: 80 } }
      - api: pets
        stage: beta
    keys: [{ id: key1 }, { id: key2 }]
  - id: silver0001
    name: Silver
    throttle: { rateLimit: 10, burstLimit: 20 }
    quota: { limit: 50000, period: MONTH }
    apiStages: [ { api: pets, stage: prod } ]
    keys: [{ id: key3 }]
  - name: Legacy
    throttle: { rateLimit: 5, burstLimit: 5 }
    apiStages: [ { api: orders, stage: prod } ]
"#;

fn text_plan(env: &Env, args: &[&str], path: &std::path::Path) -> String {
    let output = env
        .tollgate()
        .args(["--color", "never", "plan"])
        .args(args)
        .arg(path)
        .output()
        .expect("tollgate runs");
    assert!(
        output.status.code() == Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    env.masked(&String::from_utf8(output.stdout).expect("UTF-8"))
}

#[test]
fn each_change_is_one_line_in_the_yamls_words_and_risk_is_marked_by_class() {
    let env = Env::new(LIVE);
    let path = env.write("plans/plans.yaml", DECLARED);
    let text = text_plan(&env, &[], &path);
    insta::assert_snapshot!(text);
    assert!(!text.contains("/apiStages"), "no patch path by default");
    assert!(!text.contains("a1b2c3d4e5"), "stages by name: {text}");
    assert_eq!(env.writes(), 0, "a plan writes nothing");
}

#[test]
fn verbose_adds_the_patch_operations_under_each_change() {
    let env = Env::new(LIVE);
    let path = env.write("plans/plans.yaml", DECLARED);
    let text = text_plan(&env, &["-v"], &path);
    assert!(
        text.contains(
            "    quota.limit  1,000,000 → 1,500,000 per MONTH\n        = replace /quota/limit = \"1500000\"\n"
        ),
        "{text}"
    );
    assert!(
        text.contains("= replace /apiStages/a1b2c3d4e5:prod/throttle//pets/GET/rateLimit = \"50\""),
        "{text}"
    );
}

#[test]
fn the_markdown_and_the_annotations_speak_the_plans_words() {
    let env = Env::new(LIVE);
    let path = env.write("plans/plans.yaml", DECLARED);
    let markdown = text_plan(&env, &["--format", "markdown"], &path);
    insta::assert_snapshot!("markdown", markdown);
    let github = text_plan(&env, &["--format", "github"], &path);
    let annotations: Vec<&str> = github
        .lines()
        .filter(|line| line.starts_with("::"))
        .map(|line| line.split_once("::").map_or(line, |(_, rest)| rest))
        .map(|line| line.split_once("::").map_or(line, |(_, message)| message))
        .collect();
    insta::assert_debug_snapshot!("annotations", annotations);
}

#[test]
fn the_json_plan_gives_each_field_its_before_and_after_and_each_change_its_risks() {
    let env = Env::new(LIVE);
    let path = env.write("plans/plans.yaml", DECLARED);
    let plan = env.plan_json(&path);
    let changes = plan["changes"].as_array().expect("changes");
    let update = |name: &str| {
        changes
            .iter()
            .find(|change| change["action"] == "update" && change["name"] == name)
            .unwrap_or_else(|| panic!("an update of {name}"))
    };
    let gold = update("Gold");
    assert_eq!(
        gold["fields"][0],
        serde_json::json!({
            "field": "quota.limit", "before": 1000000, "after": 1500000,
            "operations": [ { "op": "replace", "path": "/quota/limit", "value": "1500000" } ]
        })
    );
    assert!(gold.get("risk").is_none(), "raising limits is not risky");
    let legacy = update("Legacy");
    assert_eq!(legacy["matchedByName"], true);
    assert_eq!(
        legacy["risk"],
        serde_json::json!([{
            "class": "unbounded",
            "reason": "quota of 500 per DAY removed: keys' requests are no longer counted or capped"
        }])
    );
    assert!(
        legacy.get("destructive").is_none(),
        "unbounded is not destructive"
    );
    let silver = update("Silver");
    assert_eq!(silver["destructive"], true);
    assert_eq!(silver["risk"][0]["class"], "destructive");
    let moved = changes
        .iter()
        .find(|change| change["action"] == "add-key" && change["keyId"] == "key2")
        .expect("key2 added to Gold");
    assert_eq!(moved["movedFrom"], "Silver");
    assert!(moved.get("risk").is_none(), "an upgrade is not risky");
    assert_eq!(
        (
            &plan["summary"]["unbounded"],
            &plan["summary"]["destructive"],
            &plan["summary"]["moves"],
            &plan["summary"]["keys"],
            &plan["summary"]["changes"],
        ),
        (
            &serde_json::json!(1),
            &serde_json::json!(1),
            &serde_json::json!(1),
            &serde_json::json!(2),
            &serde_json::json!(4)
        ),
        "three updates and one move"
    );
}

#[test]
fn a_move_to_a_plan_that_serves_the_key_less_is_destructive() {
    let env = Env::new(LIVE);
    // Key1 leaves Gold for Silver, whose limits are lower.
    let declared = LIVE.replace("keys: [key1]", "keys: []").replace(
        "keys: [key2, key3]",
        "keys: [{ id: key1 }, { id: key2 }, { id: key3 }]",
    );
    let path = env.write("plans/plans.yaml", &declared);
    let text = text_plan(&env, &[], &path);
    assert!(
        text.contains(
            "    move key key1 from Gold  # destructive: key key1 moved from Gold to \
             Silver: its quota goes from 1,000,000 per MONTH to 100,000 per MONTH, its throttle \
             goes from 100/s burst 200 to 10/s burst 20\n"
        ),
        "{text}"
    );
    assert!(
        text.contains("    key key1 moves to Silver (shown there)\n"),
        "{text}"
    );
    assert!(
        text.contains("Plan: 1 change (0 to create, 0 to update, 1 key move), 1 destructive;"),
        "{text}"
    );
}

#[test]
fn a_plan_matched_by_name_without_changes_is_no_change() {
    let env = Env::new(LIVE);
    let path = env.write(
        "plans/legacy.yaml",
        r#"
usagePlans:
  - name: Legacy
    throttle: { rateLimit: 5, burstLimit: 5 }
    quota: { limit: 500, period: DAY }
    apiStages: [ { api: orders, stage: prod } ]
"#,
    );
    env.tollgate()
        .args(["plan", "--detailed-exitcode"])
        .arg(&path)
        .assert()
        .code(0);
    let plan = stdout_json(&env.run(&["plan", "--format", "json"], &path));
    assert_eq!(plan["changes"], serde_json::json!([]));
}
