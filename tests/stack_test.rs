//! End to end: a usage plan a CloudFormation stack made (CDK and SAM deploy through one) carries
//! `aws:cloudformation:stack-name`, which no client can remove. A declaration that matches
//! it is a located error naming the stack, not a take-over; `adopt: { cloudFormationStack }`
//! naming exactly that stack takes it over (a plan left behind by a deleted stack); and
//! `--prune` never deletes such a plan.

mod common;

use common::Env;

/// A project of one target in the emulator's own account and region.
const PROJECT: &str =
    "project: payments\ntargets:\n  - name: prod\n    region: us-east-1\n    paths: [plans]\n";

/// Gold, made by the stack `payments-api`.
const STACK_GOLD: &str = "usagePlans:
  - id: stack00001
    name: Gold
    description: from the stack
    tags: { \"aws:cloudformation:stack-name\": payments-api, \"aws:cloudformation:logical-id\": GoldPlan }
";

fn stderr(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Runs `tollgate ARGS` in the scratch folder.
fn run(env: &Env, args: &[&str]) -> std::process::Output {
    env.tollgate().args(args).output().expect("tollgate runs")
}

/// Gold as declared, with `adopt` as given (a line of YAML, or "").
fn gold(adopt: &str) -> String {
    format!("usagePlans:\n  - name: Gold\n    description: ours now\n{adopt}")
}

#[test]
fn a_namesake_a_stack_made_is_refused_then_taken_over_with_the_opt_in_naming_it() {
    let env = Env::new(STACK_GOLD);
    let path = env.write("plans/gold.yaml", &gold(""));
    let output = run(&env, &["apply", "--auto-approve"]);
    let errors = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{errors}");
    assert!(
        errors.contains(
            "plans/gold.yaml:2:11: live usage plan \"Gold\" (stack00001) belongs to the \
             CloudFormation stack \"payments-api\""
        ),
        "{errors}"
    );
    assert!(
        errors.contains("`adopt: { cloudFormationStack: payments-api }`"),
        "{errors}"
    );
    assert_eq!(env.writes(), 0, "nothing was sent");

    // An opt-in naming another stack is the same error, saying which stack it names.
    std::fs::write(
        &path,
        gold("    adopt: { cloudFormationStack: payments-apl }\n"),
    )
    .expect("write");
    let output = run(&env, &["plan"]);
    let errors = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{errors}");
    assert!(
        errors.contains("plans/gold.yaml:2:11: live usage plan \"Gold\" (stack00001) belongs to the CloudFormation stack \"payments-api\""),
        "{errors}"
    );
    assert!(
        errors.contains("`adopt` names the stack \"payments-apl\", not \"payments-api\""),
        "{errors}"
    );
    assert_eq!(env.writes(), 0, "nothing was sent");

    // Naming the stack exactly takes the plan over; its stack tags stay, as AWS keeps them.
    std::fs::write(
        &path,
        gold("    adopt: { cloudFormationStack: payments-api }\n"),
    )
    .expect("write");
    env.apply(&path);
    let live = env.plan("stack00001");
    assert_eq!(live.description(), Some("ours now"));
    let tags = live.tags().cloned().unwrap_or_default();
    assert_eq!(
        tags.get("aws:cloudformation:stack-name")
            .map(String::as_str),
        Some("payments-api")
    );
    env.assert_in_sync(&path);
}

#[test]
fn a_pin_to_a_plan_a_stack_made_is_refused_too() {
    let env = Env::new(STACK_GOLD);
    env.write(
        "plans/gold.yaml",
        "usagePlans:\n  - name: Platinum\n    id: stack00001\n",
    );
    let output = run(&env, &["plan"]);
    let errors = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{errors}");
    assert!(
        errors.contains(
            "plans/gold.yaml:2:11: live usage plan \"Platinum\" (stack00001) belongs to the \
             CloudFormation stack \"payments-api\""
        ),
        "{errors}"
    );
}

#[test]
fn a_stack_plan_this_target_took_over_is_never_pruned() {
    let env = Env::new(STACK_GOLD);
    env.write("tollgate.yaml", PROJECT);
    let path = env.write(
        "plans/gold.yaml",
        &gold("    adopt: { cloudFormationStack: payments-api }\n"),
    );
    env.write("plans/silver.yaml", "usagePlans:\n  - name: Silver\n");
    env.tollgate()
        .args(["apply", "--auto-approve"])
        .assert()
        .success();
    let tags = env.plan("stack00001").tags().cloned().unwrap_or_default();
    assert_eq!(
        tags.get("tollgate:owner").map(String::as_str),
        Some("payments/prod"),
        "taken over, it carries this target's owner tag"
    );

    // No longer declared: it carries this target's owner tag, yet a stack made it.
    std::fs::remove_file(path).expect("remove gold.yaml");
    let output = run(&env, &["apply", "--prune", "--auto-approve"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let shown = String::from_utf8_lossy(&output.stdout);
    assert!(!shown.contains("orphaned"), "{shown}");
    assert_eq!(env.calls("DeleteUsagePlan"), 0);
    assert_eq!(env.plan("stack00001").name(), Some("Gold"));
}
