//! End to end: `plan --impact` reads the usage of the plans with destructive changes
//! (GetUsage, against the emulator with usage recorded through its admin route) and tells,
//! under each change, which keys it affects.

mod common;

use common::{stdout_json, Env};
use serde_json::json;
use tollgate_sim::{ClockMode, Config};

/// The keys of the scenario: acme and bravo stay on Gold, charlie is taken off it, delta
/// moves from Gold to Silver, echo is on Silver, foxtrot on Bronze.
const SEED: &str = r#"
region: us-east-1
restApis:
  - id: a1b2c3d4e5
    name: pets
    stages: [prod, beta]
    resources:
      /pets: [GET]
  - id: k9l8m7n6o5
    name: orders
    stages: [prod]
    resources:
      /orders: [GET]
apiKeys:
  - { id: kacme, name: acme, value: value-acme-000000000000000000000000000001 }
  - { id: kbravo, name: bravo, value: value-bravo-00000000000000000000000000002 }
  - { id: kcharlie, name: charlie, value: value-charlie-000000000000000000000000003 }
  - { id: kdelta, name: delta, value: value-delta-00000000000000000000000000004 }
  - { id: kecho, name: echo, value: value-echo-000000000000000000000000000005 }
  - { id: kfoxtrot, name: foxtrot, value: value-foxtrot-000000000000000000000000006 }
  - { id: kgolf, name: golf, value: value-golf-000000000000000000000000000007 }
usagePlans:
  - id: gold000001
    name: Gold
    throttle: { rateLimit: 100, burstLimit: 200 }
    quota: { limit: 1000000, offset: 0, period: MONTH }
    apiStages: [ { apiId: a1b2c3d4e5, stage: prod }, { apiId: a1b2c3d4e5, stage: beta } ]
    keys: [kacme, kbravo, kcharlie, kdelta, kgolf]
  - id: lead000001
    name: Lead
    apiStages: [ { apiId: k9l8m7n6o5, stage: prod } ]
    keys: [kgolf]
  - id: silver0001
    name: Silver
    apiStages: [ { apiId: k9l8m7n6o5, stage: prod } ]
    keys: [kecho]
  - id: bronze0001
    name: Bronze
    apiStages: [ { apiId: k9l8m7n6o5, stage: prod } ]
    keys: [kfoxtrot]
  - id: tin0000001
    name: Tin
    description: Old
"#;

/// Gold: quota cut to 500,000, stage beta removed, throttle lowered, charlie taken off and
/// delta moved to Silver, which gains pets' two stages. Lead, which also has golf, gains
/// beta. Bronze gets a quota of 100 a day. Tin changes only its description: nothing
/// destructive.
const DESIRED: &str = r#"
usagePlans:
  - name: Gold
    throttle: { rateLimit: 50, burstLimit: 200 }
    quota: { limit: 500000, period: MONTH }
    apiStages: [ { apiId: a1b2c3d4e5, stage: prod } ]
    keys: [ { id: kacme }, { id: kbravo }, { id: kgolf } ]
  - name: Lead
    apiStages: [ { apiId: k9l8m7n6o5, stage: prod }, { apiId: a1b2c3d4e5, stage: beta } ]
  - name: Silver
    apiStages:
      - { apiId: k9l8m7n6o5, stage: prod }
      - { apiId: a1b2c3d4e5, stage: prod }
      - { apiId: a1b2c3d4e5, stage: beta }
    keys: [ { id: kecho }, { id: kdelta } ]
  - name: Bronze
    quota: { limit: 100, period: DAY }
    apiStages: [ { apiId: k9l8m7n6o5, stage: prod } ]
    keys: [ { id: kfoxtrot } ]
  - name: Tin
    description: New
"#;

/// 2026-11-23T12:00:00Z, a Monday: Gold's month began on 2026-11-01, the last 7 days are
/// 2026-11-17 to 2026-11-23.
const NOW: i64 = 1_795_435_200;

/// The emulator at [`NOW`] with the scenario's usage recorded.
fn env() -> Env {
    let env = Env::from_seed(
        SEED,
        Config {
            clock: ClockMode::Manual { start: NOW },
            ..Config::default()
        },
    );
    let usage = [
        // acme: 600,000 this month, 5,000 of them in the last 7 days.
        ("gold000001", "kacme", "2026-11-05", 595_000),
        ("gold000001", "kacme", "2026-11-22", 5_000),
        // bravo: 460,000 this month, none lately (within 10% of 500,000).
        ("gold000001", "kbravo", "2026-11-10", 460_000),
        // charlie: 1,234 lately; taken off Gold, so outside its quota.
        ("gold000001", "kcharlie", "2026-11-20", 1_234),
        // delta: busy lately, but Silver serves it both of Gold's stages after the move.
        ("gold000001", "kdelta", "2026-11-21", 9_000),
        // golf: busy lately, and keeps beta through Lead (whose YAML has no `keys:`).
        ("gold000001", "kgolf", "2026-11-23", 700),
        // foxtrot: 120 today, over Bronze's new 100 a day; 90 yesterday does not count.
        ("bronze0001", "kfoxtrot", "2026-11-22", 90),
        ("bronze0001", "kfoxtrot", "2026-11-23", 120),
        // echo: busy on Silver, which changes nothing destructive.
        ("silver0001", "kecho", "2026-11-23", 50_000),
    ];
    for (plan, key, date, requests) in usage {
        env.sim
            .record_usage(plan, key, date, requests)
            .expect("usage recorded");
    }
    env
}

/// Runs `plan --impact` with `args` and returns its stdout, checking its exit status.
fn plan_impact(env: &Env, args: &[&str]) -> String {
    let path = env.write("plans/plans.yaml", DESIRED);
    let output = env
        .tollgate()
        .args(["plan", "--impact"])
        .args(args)
        .arg(&path)
        .output()
        .expect("tollgate runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    env.masked(&String::from_utf8(output.stdout).expect("UTF-8"))
}

#[test]
fn the_text_plan_tells_under_each_change_which_keys_it_affects() {
    let env = env();
    let text = plan_impact(&env, &[]);
    insta::assert_snapshot!(text);
    // One GetUsage per plan with a quota or access change (Gold, Bronze); none for Silver,
    // Lead and Tin, whose changes are not destructive. Lead's keys are read (its YAML has no
    // `keys:`): it gains a stage that Gold takes from golf.
    assert_eq!(env.calls("GetUsage"), 2);
    assert_eq!(
        env.calls("GetUsagePlanKeys"),
        4,
        "Bronze, Gold and Silver (their YAML has `keys:`), then Lead"
    );
    assert!(
        !text.contains("key golf"),
        "golf keeps beta through Lead: {text}"
    );
    assert!(
        text.contains(
            "Plan: 7 changes (0 to create, 5 to update, 1 key, 1 key move), 5 destructive, 4 \
             changes affect live keys;"
        ),
        "{text}"
    );
}

#[test]
fn the_markdown_plan_shows_the_impact_in_each_plan_section() {
    let env = env();
    insta::assert_snapshot!(plan_impact(&env, &["--format", "markdown"]));
}

#[test]
fn the_json_plan_lists_the_impact_and_counts_the_changes_affecting_keys() {
    let env = env();
    let plan: serde_json::Value =
        serde_json::from_str(&plan_impact(&env, &["--format", "json"])).expect("JSON");
    assert_eq!(plan["summary"]["impact"], 4);
    assert_eq!(
        plan["impact"],
        json!([
            { "name": "Bronze", "id": "bronze0001", "change": "replace /quota/limit",
              "kind": "quota", "keyId": "kfoxtrot", "keyName": "foxtrot", "used": 120,
              "limit": 100, "over": true, "since": "2026-11-23", "resets": "2026-11-24" },
            { "name": "Gold", "id": "gold000001", "change": "remove /apiStages a1b2c3d4e5:beta",
              "kind": "access", "keyId": "kacme", "keyName": "acme", "requests": 5000,
              "stages": ["a1b2c3d4e5:beta"], "certain": false },
            { "name": "Gold", "id": "gold000001", "change": "replace /quota/limit",
              "kind": "quota", "keyId": "kacme", "keyName": "acme", "used": 600000,
              "limit": 500000, "over": true, "since": "2026-11-01", "resets": "2026-12-01" },
            { "name": "Gold", "id": "gold000001", "change": "replace /quota/limit",
              "kind": "quota", "keyId": "kbravo", "keyName": "bravo", "used": 460000,
              "limit": 500000, "over": false, "since": "2026-11-01", "resets": "2026-12-01" },
            { "name": "Gold", "id": "gold000001", "change": "replace /throttle/rateLimit",
              "kind": "throttle" },
            { "name": "Gold", "id": "gold000001", "change": "remove-key kcharlie",
              "kind": "access", "keyId": "kcharlie", "keyName": "charlie", "requests": 1234,
              "stages": ["a1b2c3d4e5:beta", "a1b2c3d4e5:prod"], "certain": true },
        ])
    );
}

#[test]
fn without_impact_no_usage_is_read_and_nothing_is_told() {
    let env = env();
    let path = env.write("plans/plans.yaml", DESIRED);
    let plan = stdout_json(&env.run(&["plan", "--format", "json"], &path));
    assert_eq!(env.calls("GetUsage"), 0);
    assert!(plan.get("impact").is_none(), "{plan}");
    assert!(plan["summary"].get("impact").is_none(), "{plan}");
    let text = env.run(&["plan"], &path);
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(
        !text.contains("affect live keys") && !text.contains("    ! "),
        "{text}"
    );
    assert_eq!(env.calls("GetUsage"), 0);
}

#[test]
fn a_saved_plan_keeps_its_impact_for_show() {
    let env = env();
    let shown = plan_impact(&env, &["--out", "impact.plan"]);
    let calls = env.calls("GetUsage");
    let show = env
        .tollgate()
        .args(["show", "impact.plan"])
        .output()
        .expect("tollgate runs");
    assert!(
        show.status.success(),
        "{}",
        String::from_utf8_lossy(&show.stderr)
    );
    assert_eq!(env.masked(&String::from_utf8_lossy(&show.stdout)), shown);
    assert_eq!(env.calls("GetUsage"), calls, "show reads nothing");
}

#[test]
fn usage_is_read_by_the_page() {
    // 500 more keys on Gold: GetUsage serves 500 keys a page, so Gold's 505 take two.
    let mut bulk_keys = String::new();
    let mut keys = Vec::new();
    for n in 0..500 {
        bulk_keys.push_str(&format!(
            "  - {{ id: kbulk{n:03}, name: bulk{n:03}, value: value-bulk-{n:03}-000000000000000000000000 }}\n"
        ));
        keys.push(format!("kbulk{n:03}"));
    }
    let seed = SEED.replace("apiKeys:\n", &format!("apiKeys:\n{bulk_keys}"));
    let seed = seed.replace(
        "keys: [kacme, kbravo, kcharlie, kdelta, kgolf]",
        &format!(
            "keys: [kacme, kbravo, kcharlie, kdelta, kgolf, {}]",
            keys.join(", ")
        ),
    );
    let env = Env::from_seed(
        &seed,
        Config {
            clock: ClockMode::Manual { start: NOW },
            ..Config::default()
        },
    );
    let yaml = DESIRED.replace(
        "keys: [ { id: kacme }, { id: kbravo }, { id: kgolf } ]",
        &format!(
            "keys: [ {{ id: kacme }}, {{ id: kbravo }}, {{ id: kgolf }}, {} ]",
            keys.iter()
                .map(|key| format!("{{ id: {key} }}"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    );
    env.sim
        .record_usage("gold000001", "kbulk499", "2026-11-23", 499_000)
        .expect("usage recorded");
    let path = env.write("plans/plans.yaml", &yaml);
    let output = env
        .tollgate()
        .args(["plan", "--impact", "--format", "json"])
        .arg(&path)
        .output()
        .expect("tollgate runs");
    let plan = stdout_json(&output);
    // Gold's 505 keys take two pages, Bronze's one.
    assert_eq!(env.calls("GetUsage"), 3);
    let bulk: Vec<&serde_json::Value> = plan["impact"]
        .as_array()
        .expect("a list")
        .iter()
        .filter(|item| item["keyId"] == "kbulk499" && item["kind"] == "quota")
        .collect();
    assert_eq!(bulk.len(), 1, "{plan}");
    assert_eq!(bulk[0]["used"], 499_000);
}

#[test]
fn annotations_warn_at_the_declared_field_with_its_impact() {
    let env = env();
    let annotations = plan_impact(&env, &["--format", "github"]);
    let quota = annotations
        .lines()
        .find(|line| line.contains("Gold's quota limit"))
        .unwrap_or_else(|| panic!("the quota limit's annotation in {annotations}"));
    // The quota block of Gold is declared on line 5, column 5 of the file.
    assert!(quota.starts_with("::warning file="), "{quota}");
    assert!(
        quota.contains("plans/plans.yaml,line=5,col=5,title=tollgate plan::"),
        "{quota}"
    );
    assert!(
        quota.contains(
            "::will lower Gold's quota limit from 1,000,000 to 500,000 (destructive: quota limit \
             lowered from 1,000,000 to 500,000)%0AImpact: key acme (kacme) has used 600,000 \
             requests since 2026-11-01, at or over the new limit of 500,000: refused until the \
             quota resets on 2026-12-01%0AImpact: key bravo (kbravo)"
        ),
        "{quota}"
    );
    let tin = annotations
        .lines()
        .find(|line| line.contains("Tin's description"))
        .unwrap_or_else(|| panic!("Tin's annotation in {annotations}"));
    assert!(tin.starts_with("::notice "), "{tin}");
    assert!(
        tin.ends_with("::will change Tin's description from \"Old\" to \"New\""),
        "{tin}"
    );
}
