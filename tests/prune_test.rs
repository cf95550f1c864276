//! Ownership and prune, with a project file: every plan a target manages and every key it
//! creates carries `tollgate:owner` = `project/target`; adding it to a plan is bookkeeping,
//! not a change; what carries this target's tag and is no longer declared is orphaned, and
//! `apply --prune` deletes it (a plan's stages first). Nothing else is ever pruned: not a
//! plan without the tag, not another owner's, not a key tollgate only referenced; and prune
//! is refused without a project, with a subset of paths and past `--prune-max`.

mod common;

use common::{stdout_json, Env};
use tollgate_sim::{Config, Faults};

/// A project of one target in the emulator's own account and region.
const PROJECT: &str =
    "project: payments\ntargets:\n  - name: prod\n    region: us-east-1\n    paths: [plans]\n";

/// The owner tag's value of that target.
const OWNER: &str = "payments/prod";

const GOLD: &str = "usagePlans:\n  - name: Gold\n    apiStages: [{ api: pets, stage: prod }]\n    keys: [{ name: one }]\n";
const SILVER: &str = "usagePlans:\n  - name: Silver\n    apiStages: [{ api: orders, stage: prod }]\n    keys: [{ name: two }]\n";

fn stdout(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Runs `tollgate ARGS` in the scratch folder (the project's root).
fn run(env: &Env, args: &[&str]) -> std::process::Output {
    env.tollgate().args(args).output().expect("tollgate runs")
}

/// Runs `tollgate ARGS`, which must exit with `code`; returns stdout.
fn run_expecting(env: &Env, args: &[&str], code: i32) -> String {
    let output = run(env, args);
    assert_eq!(
        output.status.code(),
        Some(code),
        "{args:?}\nstdout:\n{}\nstderr:\n{}",
        stdout(&output),
        stderr(&output)
    );
    stdout(&output)
}

/// The names of the live usage plans, sorted.
fn live_plan_names(env: &Env) -> Vec<String> {
    let plans = env
        .block_on(env.sdk().get_usage_plans().limit(500).send())
        .expect("GetUsagePlans");
    let mut names: Vec<String> = plans
        .items()
        .iter()
        .filter_map(|plan| plan.name().map(str::to_owned))
        .collect();
    names.sort();
    names
}

/// The tags of the live plan named `name`.
fn plan_tags(env: &Env, name: &str) -> std::collections::HashMap<String, String> {
    env.plan(&env.plan_id(name))
        .tags()
        .cloned()
        .unwrap_or_default()
}

/// The ids of the live API keys named `name`.
fn key_ids(env: &Env, name: &str) -> Vec<String> {
    let keys = env
        .block_on(env.sdk().get_api_keys().limit(500).send())
        .expect("GetApiKeys");
    keys.items()
        .iter()
        .filter(|key| key.name() == Some(name))
        .filter_map(|key| key.id().map(str::to_owned))
        .collect()
}

#[test]
fn an_orphan_is_shown_then_pruned_with_its_stages_removed_first() {
    let env = Env::new("");
    env.write("tollgate.yaml", PROJECT);
    env.write("plans/gold.yaml", GOLD);
    let silver = env.write("plans/silver.yaml", SILVER);
    run_expecting(&env, &["apply", "--auto-approve"], 0);
    for plan in ["Gold", "Silver"] {
        let tags = plan_tags(&env, plan);
        assert_eq!(tags.get("tollgate:owner").map(String::as_str), Some(OWNER));
    }
    run_expecting(&env, &["plan", "--detailed-exitcode"], 0);

    std::fs::remove_file(silver).expect("remove silver.yaml");
    let silver_id = env.plan_id("Silver");
    // Without --prune an orphan is shown: not a change, yet pending for the drift check.
    let shown = run_expecting(&env, &["plan", "--detailed-exitcode"], 2);
    assert!(
        shown.contains("Orphaned: owned by this target and no longer declared"),
        "{shown}"
    );
    assert!(
        shown.contains(&format!("usage plan Silver ({silver_id})")),
        "{shown}"
    );
    assert!(
        shown.contains("No changes. 1 unchanged, 0 unmanaged, 1 orphaned."),
        "{shown}"
    );
    let json = stdout_json(&run(&env, &["plan", "--format", "json"]));
    let orphans = &json["targets"][0]["orphans"];
    assert_eq!(orphans[0]["kind"], "usage-plan", "{json:#}");
    assert_eq!(orphans[0]["id"], silver_id.as_str(), "{json:#}");

    // With --prune it is deleted: destructive, its stage removed first.
    let shown = run_expecting(&env, &["plan", "--prune", "--detailed-exitcode"], 2);
    assert!(
        shown.contains(&format!("- Silver ({silver_id}) orphaned")),
        "{shown}"
    );
    assert!(
        shown.contains(
            "    - stage orders/prod  # destructive: stage orders/prod removed: the plan's keys \
             lose access to it\n    delete usage plan  # destructive: usage plan Silver deleted \
             (orphaned): its keys lose what it served\n"
        ),
        "{shown}"
    );
    assert!(
        shown.contains(
            "Plan: 1 change (0 to create, 0 to update, 1 to delete), 2 destructive; 1 \
             unchanged, 0 unmanaged."
        ),
        "{shown}"
    );
    // The operation that removes the stage, with -v.
    let verbose = run_expecting(&env, &["plan", "--prune", "-v", "--detailed-exitcode"], 2);
    assert!(
        verbose.contains(
            "    - stage orders/prod  # destructive: stage orders/prod removed: the plan's keys \
             lose access to it\n        = remove /apiStages = \"k9l8m7n6o5:prod\"\n"
        ),
        "{verbose}"
    );
    let json = stdout_json(&run(&env, &["plan", "--prune", "--format", "json"]));
    let changes = json["targets"][0]["changes"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let delete = changes
        .iter()
        .find(|change| change["action"] == "delete")
        .unwrap_or_else(|| panic!("a delete change: {json:#}"));
    assert_eq!(delete["id"], silver_id.as_str());
    assert_eq!(delete["destructive"], true);
    assert_eq!(json["summary"]["delete"], 1, "{json:#}");

    let writes = env.writes();
    run_expecting(&env, &["apply", "--prune", "--auto-approve"], 0);
    assert_eq!(live_plan_names(&env), ["Gold"]);
    // AWS refuses to delete a plan with stages: one update removed it, then one delete.
    assert_eq!(env.calls("DeleteUsagePlan"), 1);
    assert_eq!(
        env.writes() - writes,
        2,
        "UpdateUsagePlan, then DeleteUsagePlan"
    );
    run_expecting(&env, &["plan", "--prune", "--detailed-exitcode"], 0);
}

#[test]
fn prune_leaves_what_this_target_does_not_own() {
    // Legacy has no owner tag; Theirs belongs to another project; key `one` is only
    // referenced.
    let env = Env::new(
        "usagePlans:
  - { id: legacy0001, name: Legacy }
  - { id: theirs0001, name: Theirs, tags: { \"tollgate:owner\": billing/prod } }
",
    );
    env.write("tollgate.yaml", PROJECT);
    env.write("plans/gold.yaml", GOLD);
    run_expecting(&env, &["apply", "--prune", "--auto-approve"], 0);
    assert_eq!(live_plan_names(&env), ["Gold", "Legacy", "Theirs"]);
    // Gold stops referencing key one: a key tollgate did not create is never pruned.
    env.write(
        "plans/gold.yaml",
        "usagePlans:\n  - name: Gold\n    apiStages: [{ api: pets, stage: prod }]\n    keys: []\n",
    );
    let shown = run_expecting(&env, &["apply", "--prune", "--auto-approve"], 0);
    assert!(!shown.contains("orphaned"), "{shown}");
    assert_eq!(key_ids(&env, "one"), ["key1"]);
    assert_eq!(live_plan_names(&env), ["Gold", "Legacy", "Theirs"]);
    assert_eq!(env.calls("DeleteUsagePlan") + env.calls("DeleteApiKey"), 0);
}

#[test]
fn a_declared_name_another_owner_holds_is_an_error_not_an_adoption() {
    let env = Env::new(
        "usagePlans:\n  - { id: theirs0001, name: Theirs, tags: { \"tollgate:owner\": billing/prod } }\n",
    );
    env.write("tollgate.yaml", PROJECT);
    env.write(
        "plans/theirs.yaml",
        "usagePlans:\n  - name: Theirs\n    description: mine now\n",
    );
    let output = run(&env, &["apply", "--auto-approve"]);
    let errors = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{errors}");
    assert!(
        errors.contains(
            "theirs.yaml:2:11: live usage plan \"Theirs\" (theirs0001) belongs to billing/prod"
        ),
        "{errors}"
    );
    assert_eq!(env.writes(), 0);
}

#[test]
fn a_key_tollgate_created_is_pruned_once_nothing_declares_or_references_it() {
    let env = Env::new("");
    env.write("tollgate.yaml", PROJECT);
    env.write(
        "plans/gold.yaml",
        "apiKeys:\n  - name: acme\nusagePlans:\n  - name: Gold\n    apiStages: [{ api: pets, stage: prod }]\n    keys: [{ name: acme }]\n",
    );
    run_expecting(&env, &["apply", "--auto-approve"], 0);
    let acme = key_ids(&env, "acme");
    assert_eq!(acme.len(), 1);
    // No longer declared, still referenced: not an orphan.
    env.write(
        "plans/gold.yaml",
        "usagePlans:\n  - name: Gold\n    apiStages: [{ api: pets, stage: prod }]\n    keys: [{ name: acme }]\n",
    );
    let shown = run_expecting(&env, &["plan", "--prune", "--detailed-exitcode"], 0);
    assert!(!shown.contains("orphaned"), "{shown}");
    // Neither declared nor referenced: the key tollgate created is pruned.
    env.write(
        "plans/gold.yaml",
        "usagePlans:\n  - name: Gold\n    apiStages: [{ api: pets, stage: prod }]\n    keys: []\n",
    );
    let shown = run_expecting(&env, &["plan"], 0);
    assert!(
        shown.contains(&format!("API key acme ({})", acme[0])),
        "listed as orphaned: {shown}"
    );
    let shown = run_expecting(&env, &["apply", "--prune", "--auto-approve"], 0);
    assert!(
        shown.contains(&format!("- API key acme ({}) orphaned", acme[0])),
        "{shown}"
    );
    assert!(key_ids(&env, "acme").is_empty(), "acme was deleted");
    assert_eq!(env.calls("DeleteApiKey"), 1);
    run_expecting(&env, &["plan", "--prune", "--detailed-exitcode"], 0);
}

#[test]
fn prune_is_refused_without_a_project_with_a_subset_of_paths_and_past_prune_max() {
    let env = Env::new("");
    let gold = env.write("plans/gold.yaml", GOLD);
    let output = run(&env, &["plan", "--prune"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("--prune needs a project file"),
        "{}",
        stderr(&output)
    );

    env.write("tollgate.yaml", PROJECT);
    for name in ["Bronze", "Copper", "Tin"] {
        env.write(
            &format!("plans/{name}.yaml"),
            &format!("usagePlans:\n  - name: {name}\n"),
        );
    }
    run_expecting(&env, &["apply", "--auto-approve"], 0);
    let calls: u64 = env.sim.calls().values().sum();
    let output = env
        .tollgate()
        .args(["apply", "--prune", "--auto-approve"])
        .arg(&gold)
        .output()
        .expect("tollgate runs");
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("--prune runs over a target's complete paths"),
        "{}",
        stderr(&output)
    );
    assert_eq!(
        env.sim.calls().values().sum::<u64>(),
        calls,
        "nothing was read"
    );

    for name in ["Bronze", "Copper", "Tin"] {
        std::fs::remove_file(env.dir.path().join(format!("plans/{name}.yaml"))).expect("rm");
    }
    let writes = env.writes();
    let output = run(
        &env,
        &["apply", "--prune", "--prune-max", "2", "--auto-approve"],
    );
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("--prune would delete 3 plans and keys, more than --prune-max 2"),
        "{}",
        stderr(&output)
    );
    assert_eq!(env.writes(), writes, "nothing was sent");
    let output = run(&env, &["plan", "--prune", "--prune-max", "2"]);
    assert_eq!(output.status.code(), Some(0));
    assert!(stderr(&output).contains("apply would refuse"));
    run_expecting(
        &env,
        &["apply", "--prune", "--prune-max", "3", "--auto-approve"],
        0,
    );
    assert_eq!(live_plan_names(&env), ["Gold"]);
}

#[test]
fn prune_in_a_target_that_declares_no_plan_is_refused_unless_prune_max_is_given() {
    let env = Env::new("");
    env.write("tollgate.yaml", PROJECT);
    let gold = env.write("plans/gold.yaml", GOLD);
    let silver = env.write("plans/silver.yaml", SILVER);
    run_expecting(&env, &["apply", "--auto-approve"], 0);

    // The folder emptied: far likelier a mistake than a wish to delete every owned plan.
    std::fs::remove_file(gold).expect("remove gold.yaml");
    std::fs::remove_file(silver).expect("remove silver.yaml");
    let calls: u64 = env.sim.calls().values().sum();
    for args in [
        &["plan", "--prune"][..],
        &["apply", "--prune", "--auto-approve"],
    ] {
        let output = run(&env, args);
        assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
        assert!(
            stderr(&output).contains(
                "--prune in a target that declares no usage plan (prod) would delete every plan \
                 the target owns"
            ),
            "{}",
            stderr(&output)
        );
        assert!(stderr(&output).contains("give --prune-max explicitly"));
    }
    assert_eq!(
        env.sim.calls().values().sum::<u64>(),
        calls,
        "nothing was read"
    );
    assert_eq!(live_plan_names(&env), ["Gold", "Silver"]);

    // A saved plan of the wipe, made with --prune-max, asks for it again at apply, since
    // whoever made the file is not whoever applies it.
    run_expecting(
        &env,
        &["plan", "--prune", "--prune-max", "5", "--out", "wipe.plan"],
        0,
    );
    let output = run(&env, &["apply", "--prune", "--auto-approve", "wipe.plan"]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("declares no usage plan (prod)"),
        "{}",
        stderr(&output)
    );
    assert_eq!(live_plan_names(&env), ["Gold", "Silver"]);

    // --prune-max given, even at its default, says the wipe is meant.
    run_expecting(
        &env,
        &[
            "apply",
            "--prune",
            "--prune-max",
            "5",
            "--auto-approve",
            "wipe.plan",
        ],
        0,
    );
    assert!(live_plan_names(&env).is_empty());
}

#[test]
fn the_owner_tag_is_bookkeeping_and_prune_removes_records_of_grants_no_longer_declared() {
    let env = Env::new(
        "usagePlans:
  - id: gold000001
    name: Gold
    apiStages: [ { apiId: a1b2c3d4e5, stage: prod } ]
    tags: { \"tollgate:grant:key1:OLD-1\": applied }
",
    );
    env.write("tollgate.yaml", PROJECT);
    env.write(
        "plans/gold.yaml",
        "usagePlans:\n  - name: Gold\n    apiStages: [{ apiId: a1b2c3d4e5, stage: prod }]\n",
    );
    let shown = run_expecting(&env, &["plan", "--detailed-exitcode"], 0);
    assert!(
        shown.contains("= Gold (gold000001) bookkeeping only"),
        "{shown}"
    );
    assert!(
        shown.contains("bookkeeping: set tag tollgate:owner = \"payments/prod\""),
        "{shown}"
    );
    assert!(
        shown.contains("No changes. 1 unchanged, 0 unmanaged, 1 bookkeeping only."),
        "{shown}"
    );
    let shown = run_expecting(&env, &["plan", "--prune"], 0);
    assert!(
        shown.contains(
            "bookkeeping: remove the record tollgate:grant:key1:OLD-1 of a grant no longer declared"
        ),
        "{shown}"
    );
    run_expecting(&env, &["apply", "--auto-approve"], 0);
    let tags = plan_tags(&env, "Gold");
    assert_eq!(tags.get("tollgate:owner").map(String::as_str), Some(OWNER));
    assert!(
        tags.contains_key("tollgate:grant:key1:OLD-1"),
        "kept without --prune"
    );
    run_expecting(&env, &["apply", "--prune", "--auto-approve"], 0);
    let tags = plan_tags(&env, "Gold");
    assert!(!tags.contains_key("tollgate:grant:key1:OLD-1"), "{tags:?}");
    let shown = run_expecting(&env, &["plan", "--prune", "--detailed-exitcode"], 0);
    assert!(!shown.contains("bookkeeping"), "{shown}");
}

#[test]
fn validate_counts_the_owner_tag_toward_the_fifty() {
    let env = Env::new("");
    let tags: Vec<String> = (0..49).map(|n| format!("t{n}: v")).collect();
    env.write(
        "plans/gold.yaml",
        &format!(
            "usagePlans:\n  - name: Gold\n    id: gold000001\n    tags: {{ {} }}\n",
            tags.join(", ")
        ),
    );
    // Pinned with 49 tags: room for the owner tag.
    env.write("tollgate.yaml", PROJECT);
    run_expecting(&env, &["validate"], 0);
    let tags: Vec<String> = (0..50).map(|n| format!("t{n}: v")).collect();
    env.write(
        "plans/gold.yaml",
        &format!(
            "usagePlans:\n  - name: Gold\n    id: gold000001\n    tags: {{ {} }}\n",
            tags.join(", ")
        ),
    );
    let output = run(&env, &["validate"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains(
            "gold.yaml:2:11: usage plan Gold: 50 tags: AWS keeps at most 50 on a plan and \
             tollgate keeps one of them for the owner tag `tollgate:owner`"
        ),
        "{}",
        stderr(&output)
    );
    // The same file is valid without a project file.
    std::fs::remove_file(env.dir.path().join("tollgate.yaml")).expect("rm");
    run_expecting(&env, &["validate"], 0);
}

/// An emulator, seeded with no plan, whose answers meet `faults`.
fn with_faults(faults: Faults) -> Env {
    Env::with_config(
        "",
        Config {
            faults: Some(faults),
            ..Config::default()
        },
    )
}

/// An emulator that loses the first answer to `operation` after doing the work, and no
/// other: seed 85 draws 0.43, then 0.86.
fn losing_first_answer_to(operation: &str) -> Env {
    with_faults(Faults {
        seed: 85,
        lost_rate: 0.5,
        operations: vec![operation.to_string()],
        ..Faults::default()
    })
}

#[test]
fn a_lost_answer_to_a_delete_is_settled_without_an_error() {
    let env = losing_first_answer_to("DeleteUsagePlan");
    orphaned_silver(&env);
    // AWS deletes Silver and the answer is lost; the retry finds it gone (404): done.
    let output = run(&env, &["apply", "--prune", "--auto-approve"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(live_plan_names(&env), ["Gold"]);
    assert_eq!(env.sim.carried_out()["DeleteUsagePlan"], 1);
    assert_eq!(
        env.calls("DeleteUsagePlan"),
        2,
        "the lost one, then the 404"
    );
    run_expecting(&env, &["plan", "--prune", "--detailed-exitcode"], 0);
}

#[test]
fn an_orphaned_key_still_on_a_plan_this_apply_leaves_alone_is_not_deleted() {
    let env = Env::new(
        "usagePlans:\n  - { id: legacy0001, name: Legacy, apiStages: [ { apiId: k9l8m7n6o5, stage: prod } ] }\n",
    );
    env.write("tollgate.yaml", PROJECT);
    env.write(
        "plans/gold.yaml",
        "apiKeys:\n  - name: acme\nusagePlans:\n  - name: Gold\n    apiStages: [{ api: pets, stage: prod }]\n    keys: [{ name: acme }]\n",
    );
    run_expecting(&env, &["apply", "--auto-approve"], 0);
    let acme = key_ids(&env, "acme");
    // Someone puts acme on the unmanaged Legacy plan by hand.
    env.block_on(
        env.sdk()
            .create_usage_plan_key()
            .usage_plan_id("legacy0001")
            .key_id(&acme[0])
            .key_type("API_KEY")
            .send(),
    )
    .expect("CreateUsagePlanKey");
    env.write(
        "plans/gold.yaml",
        "usagePlans:\n  - name: Gold\n    apiStages: [{ api: pets, stage: prod }]\n    keys: []\n",
    );
    let shown = run_expecting(&env, &["apply", "--prune", "--auto-approve"], 0);
    assert!(
        shown.contains(&format!("API key acme ({})", acme[0])) && shown.contains("Orphaned"),
        "listed as orphaned, left alone: {shown}"
    );
    assert!(!shown.contains("delete key"), "{shown}");
    assert_eq!(key_ids(&env, "acme"), acme, "still serving Legacy");
    assert_eq!(env.plan_key_ids("legacy0001"), acme);
    assert_eq!(env.calls("DeleteApiKey"), 0);
}

#[test]
fn a_saved_plan_with_bookkeeping_applies_again_after_its_changes_were_made() {
    let env = Env::new(
        "usagePlans:\n  - { id: gold000001, name: Gold, throttle: { rateLimit: 10, burstLimit: 20 } }\n",
    );
    env.write("tollgate.yaml", PROJECT);
    env.write(
        "plans/gold.yaml",
        "usagePlans:\n  - name: Gold\n    throttle: { rateLimit: 20, burstLimit: 20 }\n",
    );
    run_expecting(&env, &["plan", "--out", "gold.plan"], 0);
    // Another apply (or an earlier, partial apply of this file) made its changes, the owner
    // tag included: what is left of the saved plan is nothing, not a stale plan.
    run_expecting(&env, &["apply", "--auto-approve"], 0);
    let output = run(&env, &["apply", "gold.plan", "--auto-approve"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let tags = plan_tags(&env, "Gold");
    assert_eq!(tags.get("tollgate:owner").map(String::as_str), Some(OWNER));
}

/// A project where acme, a key this target created, is orphaned: declared once, then no
/// longer declared nor referenced. Returns acme's id.
fn orphaned_acme(env: &Env) -> String {
    env.write("tollgate.yaml", PROJECT);
    env.write(
        "plans/gold.yaml",
        "apiKeys:\n  - name: acme\nusagePlans:\n  - name: Gold\n    apiStages: [{ api: pets, stage: prod }]\n    keys: [{ name: acme }]\n",
    );
    run_expecting(env, &["apply", "--auto-approve"], 0);
    env.write(
        "plans/gold.yaml",
        "usagePlans:\n  - name: Gold\n    apiStages: [{ api: pets, stage: prod }]\n    keys: []\n",
    );
    run_expecting(env, &["apply", "--auto-approve"], 0);
    let acme = key_ids(env, "acme");
    assert_eq!(acme.len(), 1);
    acme[0].clone()
}

#[test]
fn a_lost_answer_to_delete_api_key_is_settled_without_an_error() {
    let env = losing_first_answer_to("DeleteApiKey");
    orphaned_acme(&env);
    // AWS deletes acme and the answer is lost; the retry finds it gone (404): done.
    let output = run(&env, &["apply", "--prune", "--auto-approve"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(key_ids(&env, "acme").is_empty());
    assert_eq!(env.sim.carried_out()["DeleteApiKey"], 1);
    assert_eq!(env.calls("DeleteApiKey"), 2, "the lost one, then the 404");
    run_expecting(&env, &["plan", "--prune", "--detailed-exitcode"], 0);
}

#[test]
fn a_delete_api_key_throttled_ten_times_in_a_row_fails_cleanly_and_is_planned_again() {
    let env = with_faults(Faults {
        throttle_rate: 1.0,
        operations: vec!["DeleteApiKey".to_string()],
        ..Faults::default()
    });
    let acme = orphaned_acme(&env);
    let output = run(&env, &["apply", "--prune", "--auto-approve"]);
    let errors = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{errors}");
    assert!(
        errors.contains("DeleteApiKey on API key \"acme\"") && errors.contains("(HTTP 429)"),
        "{errors}"
    );
    assert_eq!(env.calls("DeleteApiKey"), 10, "{errors}");
    assert_eq!(env.sim.carried_out().get("DeleteApiKey"), None);
    assert_eq!(
        key_ids(&env, "acme"),
        std::slice::from_ref(&acme),
        "still there"
    );
    let shown = run_expecting(&env, &["plan", "--prune"], 0);
    assert!(shown.contains(&format!("API key acme ({acme})")), "{shown}");
}

/// Silver's owner tag removed by hand (as `aws apigateway untag-resource` does): released.
fn untag_owner(env: &Env, arn_path: &str) {
    env.block_on(
        env.sdk()
            .untag_resource()
            .resource_arn(format!("arn:aws:apigateway:us-east-1::{arn_path}"))
            .tag_keys("tollgate:owner")
            .send(),
    )
    .expect("UntagResource");
}

/// Gold and Silver applied in the project, then Silver no longer declared: Silver is
/// orphaned. Returns Silver's id.
fn orphaned_silver(env: &Env) -> String {
    env.write("tollgate.yaml", PROJECT);
    env.write("plans/gold.yaml", GOLD);
    let silver = env.write("plans/silver.yaml", SILVER);
    run_expecting(env, &["apply", "--auto-approve"], 0);
    std::fs::remove_file(silver).expect("remove silver.yaml");
    env.plan_id("Silver")
}

#[test]
fn an_orphan_keeps_the_drift_check_at_2_until_it_is_pruned_or_released() {
    let env = Env::new("");
    let silver = orphaned_silver(&env);
    let clears = "`apply --prune` deletes it; removing its `tollgate:owner` tag releases it";
    let shown = run_expecting(&env, &["plan", "--detailed-exitcode"], 2);
    // The drift check leads with a line per orphan that says how it clears; so does its line
    // in the plan.
    assert!(
        shown.starts_with(&format!(
            "target prod: Silver: orphaned ({silver}), owned by this target and no longer \
             declared: {clears}\n"
        )),
        "{shown}"
    );
    assert!(
        shown.contains(&format!("    usage plan Silver ({silver}): {clears}\n")),
        "{shown}"
    );
    // GitHub annotations name it too (a notice without a place: it is declared nowhere).
    let annotations = run_expecting(&env, &["plan", "--format", "github"], 0);
    assert!(
        annotations.contains(&format!(
            "::notice title=target prod%3A tollgate plan::will leave the orphaned usage plan \
             Silver ({silver}) alone: {clears}\n"
        )),
        "{annotations}"
    );
    run_expecting(&env, &["apply", "--dry-run", "--detailed-exitcode"], 2);
    // An apply without --prune has nothing to do: it makes no change and exits 0.
    run_expecting(&env, &["apply", "--auto-approve", "--detailed-exitcode"], 0);

    // Released: without this target's owner tag, Silver is unmanaged, named and left alone.
    untag_owner(&env, &format!("/usageplans/{silver}"));
    let shown = run_expecting(&env, &["plan", "--detailed-exitcode"], 0);
    assert!(
        shown.contains(&format!(
            "Unmanaged: live plans that no declared plan names; tollgate leaves them alone:\n    \
             Silver ({silver})\n"
        )),
        "{shown}"
    );
    assert!(!shown.contains("Orphaned"), "{shown}");
    run_expecting(&env, &["apply", "--prune", "--auto-approve"], 0);
    assert_eq!(live_plan_names(&env), ["Gold", "Silver"]);
}

#[test]
fn an_orphaned_key_keeps_the_drift_check_at_2() {
    let env = Env::new("");
    let acme = orphaned_acme(&env);
    let shown = run_expecting(&env, &["plan", "--detailed-exitcode"], 2);
    assert!(
        shown.starts_with(&format!(
            "target prod: API key acme: orphaned ({acme}), owned by this target and no longer \
             declared: `apply --prune` deletes it once no plan that the apply leaves alone has \
             it; removing its `tollgate:owner` tag releases it\n"
        )),
        "{shown}"
    );
    run_expecting(&env, &["apply", "--prune", "--auto-approve"], 0);
    run_expecting(&env, &["plan", "--detailed-exitcode"], 0);
}

/// A project where Silver and the key acme, which this target created, are orphaned: acme is
/// still on Gold, which no longer lists it, and Legacy (no owner tag) is unmanaged. Returns
/// Silver's and acme's ids.
fn silver_and_acme_orphaned(env: &Env) -> (String, String) {
    env.write("tollgate.yaml", PROJECT);
    env.write(
        "plans/gold.yaml",
        "apiKeys:\n  - name: acme\nusagePlans:\n  - name: Gold\n    apiStages: [{ api: pets, stage: prod }]\n    keys: [{ name: acme }]\n",
    );
    let silver = env.write("plans/silver.yaml", SILVER);
    run_expecting(env, &["apply", "--auto-approve"], 0);
    env.write(
        "plans/gold.yaml",
        "usagePlans:\n  - name: Gold\n    apiStages: [{ api: pets, stage: prod }]\n    keys: []\n",
    );
    std::fs::remove_file(silver).expect("remove silver.yaml");
    let acme = key_ids(env, "acme");
    assert_eq!(acme.len(), 1);
    (env.plan_id("Silver"), acme[0].clone())
}

const LEGACY: &str = "usagePlans:\n  - { id: legacy0001, name: Legacy, apiStages: [ { apiId: k9l8m7n6o5, stage: prod } ] }\n";

#[test]
fn a_saved_plan_made_with_prune_shows_its_deletions_and_apply_file_makes_exactly_them() {
    let env = Env::new(LEGACY);
    let (silver, acme) = silver_and_acme_orphaned(&env);
    let shown = run_expecting(&env, &["plan", "--prune", "--out", "p.plan"], 0);
    let file = env.dir.path().join("p.plan");
    // `show` renders the deletions as `plan` printed them, in every view.
    let text = run_expecting(&env, &["show", "p.plan"], 0);
    assert_eq!(text, shown);
    for line in [
        format!("- Silver ({silver}) orphaned\n"),
        "    - stage orders/prod  # destructive: stage orders/prod removed: the plan's keys lose \
         access to it\n"
            .to_string(),
        "    delete usage plan  # destructive: usage plan Silver deleted (orphaned): its keys \
         lose what it served\n"
            .to_string(),
        format!("- API key acme ({acme}) orphaned\n"),
        "Plan: 3 changes (0 to create, 0 to update, 2 to delete, 1 key), 4 destructive; 0 \
         unchanged, 1 unmanaged."
            .to_string(),
    ] {
        assert!(text.contains(&line), "{line}\n{text}");
    }
    let json = stdout_json(&run(&env, &["show", "p.plan", "--format", "json"]));
    let actions: Vec<(&str, &str)> = json["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .filter_map(|change| Some((change["action"].as_str()?, change["id"].as_str()?)))
        .filter(|(action, _)| action.starts_with("delete"))
        .collect();
    assert_eq!(
        actions,
        [
            ("delete", silver.as_str()),
            ("delete-api-key", acme.as_str())
        ]
    );
    assert_eq!(json["summary"]["delete"], 2, "{json:#}");
    let saved: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&file).expect("p.plan")).expect("JSON");
    assert_eq!(saved["saved"]["prune"], true, "{saved:#}");
    assert_eq!(
        saved["saved"]["deletions"][0]["live"]["id"],
        silver.as_str()
    );
    assert_eq!(saved["saved"]["deletedKeys"][0]["id"], acme.as_str());
    // An orphan's saved state edited by hand is refused, as any other plan's; so is a key to
    // delete that is not an orphan of this target.
    let mut edited = saved.clone();
    edited["saved"]["deletions"][0]["live"]["body"]["description"] = "edited".into();
    let mut foreign = saved.clone();
    foreign["saved"]["deletedKeys"][0]["tags"]["tollgate:owner"] = "billing/prod".into();
    for (file, expected) in [
        (
            edited,
            "the live state saved for orphaned usage plan \"Silver\" does not match its \
             fingerprint",
        ),
        (
            foreign,
            "it deletes an API key that is not an orphan of its target made with --prune",
        ),
    ] {
        env.write("edited.plan", &file.to_string());
        let output = run(&env, &["show", "edited.plan"]);
        assert_eq!(output.status.code(), Some(1));
        assert!(stderr(&output).contains(expected), "{}", stderr(&output));
    }
    let markdown = run_expecting(&env, &["show", "p.plan", "--format", "markdown"], 0);
    assert!(markdown.contains("delete (orphaned)"), "{markdown}");
    assert!(
        markdown.contains(&format!("- API key acme ({acme}) orphaned")),
        "{markdown}"
    );

    // Deleting needs --prune at apply too.
    let writes = env.writes();
    let output = env.run(&["apply", "--auto-approve"], &file);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains(
            "p.plan was made with --prune: it deletes 2 orphans and any records of grants no \
             longer declared; pass --prune to apply it"
        ),
        "{}",
        stderr(&output)
    );
    assert_eq!(env.writes(), writes, "nothing was sent");

    env.sim.reset_counters();
    let output = env.run(&["apply", "--prune", "--auto-approve"], &file);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    // Its reads: the keys listed once, the plans once, and the plans holding acme.
    assert_eq!(env.calls("GetApiKeys"), 1);
    assert_eq!(env.calls("GetUsagePlans"), 2);
    assert_eq!(live_plan_names(&env), ["Gold", "Legacy"]);
    assert!(key_ids(&env, "acme").is_empty());
    assert_eq!(env.calls("DeleteUsagePlan"), 1);
    assert_eq!(env.calls("DeleteApiKey"), 1);
    run_expecting(&env, &["plan", "--prune", "--detailed-exitcode"], 0);
}

/// What happens to the account between `plan --prune --out` and `apply FILE`.
type Meddling = fn(&Env, &str, &str);

#[test]
fn a_saved_prune_is_refused_as_stale_when_an_orphan_changed_or_vanished() {
    let cases: [(&str, Meddling, &str); 5] = [
        (
            "Silver's description edited",
            |env, silver, _| {
                let op = aws_sdk_apigateway::types::PatchOperation::builder()
                    .op(aws_sdk_apigateway::types::Op::Replace)
                    .path("/description")
                    .value("edited")
                    .build();
                env.block_on(
                    env.sdk()
                        .update_usage_plan()
                        .usage_plan_id(silver)
                        .patch_operations(op)
                        .send(),
                )
                .expect("UpdateUsagePlan");
            },
            "usage plan \"Silver\" ({silver}), which the plan deletes as an orphan: its body \
             changed since the plan: /description",
        ),
        (
            "Silver released",
            |env, silver, _| untag_owner(env, &format!("/usageplans/{silver}")),
            "usage plan \"Silver\" ({silver}), which the plan deletes as an orphan: its tags \
             changed since the plan: tag `tollgate:owner` was removed",
        ),
        (
            "Silver deleted",
            |env, silver, _| {
                let op = aws_sdk_apigateway::types::PatchOperation::builder()
                    .op(aws_sdk_apigateway::types::Op::Remove)
                    .path("/apiStages")
                    .value("k9l8m7n6o5:prod")
                    .build();
                let sdk = env.sdk();
                env.block_on(
                    sdk.update_usage_plan()
                        .usage_plan_id(silver)
                        .patch_operations(op)
                        .send(),
                )
                .expect("UpdateUsagePlan");
                env.block_on(sdk.delete_usage_plan().usage_plan_id(silver).send())
                    .expect("DeleteUsagePlan");
            },
            "usage plan \"Silver\" ({silver}), which the plan deletes as an orphan, was deleted \
             since the plan",
        ),
        (
            "acme released",
            |env, _, acme| untag_owner(env, &format!("/apikeys/{acme}")),
            "API key \"acme\" ({acme}), which the plan deletes as an orphan, changed since the \
             plan: tag `tollgate:owner` was removed",
        ),
        (
            "acme put on Legacy",
            |env, _, acme| {
                env.block_on(
                    env.sdk()
                        .create_usage_plan_key()
                        .usage_plan_id("legacy0001")
                        .key_id(acme)
                        .key_type("API_KEY")
                        .send(),
                )
                .expect("CreateUsagePlanKey");
            },
            "API key \"acme\" ({acme}), which the plan deletes as an orphan, is now on usage \
             plan \"Legacy\" (legacy0001), which the plan leaves alone",
        ),
    ];
    for (what, meddle, expected) in cases {
        let env = Env::new(LEGACY);
        let (silver, acme) = silver_and_acme_orphaned(&env);
        run_expecting(&env, &["plan", "--prune", "--out", "p.plan"], 0);
        meddle(&env, &silver, &acme);
        let writes = env.writes();
        let output = env.run(
            &["apply", "--prune", "--auto-approve"],
            &env.dir.path().join("p.plan"),
        );
        let errors = stderr(&output);
        assert_eq!(output.status.code(), Some(1), "{what}: {errors}");
        let expected = expected
            .replace("{silver}", &silver)
            .replace("{acme}", &acme);
        assert!(
            errors.contains("p.plan is stale, so it was not applied:")
                && errors.contains(&format!("  - {expected}\n")),
            "{what}: {errors}"
        );
        assert_eq!(env.writes(), writes, "{what}: nothing was sent");
    }
}

#[test]
fn a_saved_prune_finishes_an_orphan_whose_stages_are_already_gone() {
    let env = Env::new("");
    let silver = orphaned_silver(&env);
    run_expecting(&env, &["plan", "--prune", "--out", "p.plan"], 0);
    // A first apply of the file removed Silver's stage and stopped before the delete.
    let op = aws_sdk_apigateway::types::PatchOperation::builder()
        .op(aws_sdk_apigateway::types::Op::Remove)
        .path("/apiStages")
        .value("k9l8m7n6o5:prod")
        .build();
    env.block_on(
        env.sdk()
            .update_usage_plan()
            .usage_plan_id(&silver)
            .patch_operations(op)
            .send(),
    )
    .expect("UpdateUsagePlan");
    let updates = env.calls("UpdateUsagePlan");
    let output = env.run(
        &["apply", "--prune", "--auto-approve"],
        &env.dir.path().join("p.plan"),
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(env.calls("UpdateUsagePlan"), updates, "the stage is gone");
    assert_eq!(env.calls("DeleteUsagePlan"), 1);
    assert_eq!(live_plan_names(&env), ["Gold"]);
}

#[test]
fn a_saved_prune_is_applied_within_prune_max_and_only_with_prune() {
    let env = Env::new("");
    env.write("tollgate.yaml", PROJECT);
    env.write("plans/gold.yaml", GOLD);
    for name in ["Bronze", "Copper", "Tin"] {
        env.write(
            &format!("plans/{name}.yaml"),
            &format!("usagePlans:\n  - name: {name}\n"),
        );
    }
    run_expecting(&env, &["apply", "--auto-approve"], 0);
    for name in ["Bronze", "Copper", "Tin"] {
        std::fs::remove_file(env.dir.path().join(format!("plans/{name}.yaml"))).expect("rm");
    }
    // A plan saved without --prune deletes nothing, and is not applied with it.
    run_expecting(&env, &["plan", "--out", "kept.plan"], 0);
    let writes = env.writes();
    let output = env.run(
        &["apply", "--prune", "--auto-approve"],
        &env.dir.path().join("kept.plan"),
    );
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("kept.plan was made without --prune, so it deletes nothing"),
        "{}",
        stderr(&output)
    );

    let output = run(
        &env,
        &["plan", "--prune", "--prune-max", "2", "--out", "p.plan"],
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("--prune would delete 3 plans and keys, more than --prune-max 2; check the list above, then raise --prune-max to 3 if they are all to go; apply would refuse"),
        "{}",
        stderr(&output)
    );
    let file = env.dir.path().join("p.plan");
    let output = env.run(
        &["apply", "--prune", "--prune-max", "2", "--auto-approve"],
        &file,
    );
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("--prune would delete 3 plans and keys, more than --prune-max 2"),
        "{}",
        stderr(&output)
    );
    assert_eq!(env.writes(), writes, "nothing was sent");
    let output = env.run(
        &["apply", "--prune", "--prune-max", "3", "--auto-approve"],
        &file,
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(live_plan_names(&env), ["Gold"]);
    assert_eq!(env.calls("DeleteUsagePlan"), 3);
}
