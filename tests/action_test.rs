//! The GitHub Action's shell steps (action/run.sh; action/install.sh is tests/install_test.rs),
//! run for real with a temporary GITHUB_OUTPUT, GITHUB_STEP_SUMMARY and RUNNER_TEMP against the
//! emulator; only the GitHub API calls (actions/github-script) are not run. And action.yml
//! itself: every input and step output it refers to exists, and every third-party action is
//! pinned by commit.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use common::Env;

const LIVE: &str = r#"
usagePlans:
  - id: gold000001
    name: Gold
    quota: { limit: 1000, offset: 0, period: MONTH }
    apiStages: [ { apiId: a1b2c3d4e5, stage: prod } ]
"#;

/// Gold's quota cut in half: one destructive change.
const DESIRED: &str = r#"usagePlans:
  - name: Gold
    quota: { limit: 500, period: MONTH }
    apiStages: [ { apiId: a1b2c3d4e5, stage: prod } ]
"#;

/// What the apply step says to do when tollgate refuses (or cannot read) the reviewed plan.
const REPLAN: &str = "Re-plan on the default branch: open a pull request on top of it (its plan \
                      job plans against the account as it is now), review that plan, and merge \
                      it to apply it.";

/// The commit the tests pretend the pull request's head is.
const HEAD_SHA: &str = "0123456789abcdef0123456789abcdef01234567";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// What one run of an action script left behind.
struct ActionRun {
    /// The exit status.
    code: Option<i32>,
    /// Its stdout (the log, with the workflow commands).
    stdout: String,
    /// What it wrote to GITHUB_OUTPUT.
    outputs: BTreeMap<String, String>,
    /// What it appended to GITHUB_STEP_SUMMARY.
    summary: String,
}

/// Runs `action/SCRIPT ARG` in the scratch folder with fresh GITHUB_OUTPUT and
/// GITHUB_STEP_SUMMARY files, RUNNER_TEMP in the scratch folder, and `vars`.
fn run_script(env: &Env, script: &str, arg: &str, vars: &[(&str, &str)]) -> ActionRun {
    let dir = env.dir.path();
    let github_output = dir.join("github-output");
    let summary = dir.join("step-summary");
    for file in [&github_output, &summary] {
        std::fs::write(file, "").expect("an empty file");
    }
    let temp = dir.join("runner-temp");
    std::fs::create_dir_all(&temp).expect("RUNNER_TEMP");
    let output = env
        .script(&root().join("action").join(script))
        .arg(arg)
        .env("GITHUB_OUTPUT", &github_output)
        .env("GITHUB_STEP_SUMMARY", &summary)
        .env("RUNNER_TEMP", &temp)
        .env("TOLLGATE_HEAD_SHA", HEAD_SHA)
        .envs(vars.iter().copied())
        .output()
        .expect("the script runs");
    let outputs = common::step_outputs(&github_output);
    ActionRun {
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        outputs,
        summary: std::fs::read_to_string(&summary).expect("GITHUB_STEP_SUMMARY"),
    }
}

/// `run.sh COMMAND` on plans/ (and `vars`).
fn run_action(env: &Env, command: &str, vars: &[(&str, &str)]) -> ActionRun {
    let mut all = vec![("INPUT_PATHS", "plans/")];
    all.extend_from_slice(vars);
    run_script(env, "run.sh", command, &all)
}

fn env() -> Env {
    let env = Env::new(LIVE);
    env.write("plans/gold.yaml", DESIRED);
    env
}

#[test]
fn plan_annotates_summarises_saves_and_writes_the_comment() {
    let env = env();
    let run = run_action(&env, "plan", &[("INPUT_IMPACT", "true")]);
    assert_eq!(run.code, Some(0), "{}", run.stdout);
    assert_eq!(run.outputs["exitcode"], "2");
    assert_eq!(run.outputs["has-changes"], "true");
    // The annotation at the quota block of plans/gold.yaml, line 3, column 5.
    assert!(
        run.stdout.contains(
            "::warning file=plans/gold.yaml,line=3,col=5,title=tollgate plan::will lower Gold's \
             quota limit from 1,000 to 500 (destructive: quota limit lowered from 1,000 to 500)"
        ),
        "{}",
        run.stdout
    );
    assert!(
        run.summary.starts_with("### tollgate plan for us-east-1"),
        "{}",
        run.summary
    );
    // The saved plan, for the apply on merge.
    let plan_file = PathBuf::from(&run.outputs["plan-file"]);
    assert!(plan_file.starts_with(env.dir.path().join("runner-temp")));
    let saved: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&plan_file).expect("the saved plan"))
            .expect("JSON");
    assert_eq!(saved["summary"]["destructive"], 1);
    assert_eq!(
        saved["impact"],
        serde_json::json!([]),
        "assessed with --impact"
    );
    // The comment: the hidden marker first, then the Markdown plan, then the commit.
    let comment = std::fs::read_to_string(&run.outputs["comment-file"]).expect("the comment");
    let names = run_action(&env, "names", &[]);
    let marker = &names.outputs["comment-marker"];
    assert_eq!(marker, "<!-- tollgate-plan target=default -->");
    assert_eq!(
        names.outputs["artifact"],
        format!("tollgate-plan-default-{HEAD_SHA}")
    );
    assert_eq!(
        names.outputs["head-sha"], HEAD_SHA,
        "for the action's later steps"
    );
    assert!(
        comment.starts_with(&format!(
            "{marker}\n### tollgate plan for us-east-1 (account 123456789012)\n\n> [!WARNING]\n> \
             Endpoint: {} (not AWS's own: a server on this machine)\n",
            env.sim.endpoint()
        )),
        "{comment}"
    );
    assert!(
        comment.contains("| Gold | gold000001 | update: 1 field, **1 destructive** |"),
        "{comment}"
    );
    assert!(comment.trim_end().ends_with(&format!(
        "<sub>Planned for commit {HEAD_SHA}; merging applies exactly this plan.</sub>"
    )));
}

#[test]
fn plan_stops_at_invalid_yaml_with_its_errors_annotated_and_nothing_read() {
    let env = env();
    env.write(
        "plans/gold.yaml",
        "usagePlans:\n  - name: Gold\n    quota: { limit: -1 }\n",
    );
    let run = run_action(&env, "plan", &[]);
    assert_eq!(run.code, Some(1));
    assert!(
        run.stdout.contains("::error file=plans/gold.yaml,line=3"),
        "{}",
        run.stdout
    );
    assert!(run
        .stdout
        .contains("tollgate: the YAML is not valid (see the errors above); nothing was read"));
    assert_eq!(run.outputs["exitcode"], "1");
    assert_eq!(env.calls("GetUsagePlans"), 0);
}

#[test]
fn apply_applies_the_reviewed_plan_and_then_nothing_is_left() {
    let env = env();
    let plan = run_action(&env, "plan", &[]);
    let plan_file = plan.outputs["plan-file"].clone();
    let apply = run_action(&env, "apply", &[("TOLLGATE_PLAN_FILE", &plan_file)]);
    assert_eq!(apply.code, Some(0), "{}", apply.stdout);
    assert_eq!(apply.outputs["exitcode"], "2", "changes were made");
    assert_eq!(env.calls("UpdateUsagePlan"), 1);
    env.assert_in_sync(Path::new("plans/"));
}

#[test]
fn apply_without_a_saved_plan_fails_saying_why_and_sends_nothing() {
    let env = env();
    let missing = env.dir.path().join("runner-temp/none/tollgate.plan");
    let run = run_action(
        &env,
        "apply",
        &[("TOLLGATE_PLAN_FILE", missing.to_str().expect("UTF-8"))],
    );
    assert_eq!(run.code, Some(1));
    assert!(
        run.stdout.contains(&format!(
            "::error title=tollgate::no saved plan for commit {HEAD_SHA}: the plan job did \
             not run or failed on the pull request's final commit; nothing was applied"
        )),
        "{}",
        run.stdout
    );
    assert_eq!(env.writes(), 0);
}

#[test]
fn apply_of_a_stale_plan_fails_saying_why_and_changes_nothing() {
    let env = env();
    let plan = run_action(&env, "plan", &[]);
    // Another pipeline changes Gold's quota after the review.
    env.block_on(
        env.sdk()
            .update_usage_plan()
            .usage_plan_id("gold000001")
            .patch_operations(
                aws_sdk_apigateway::types::PatchOperation::builder()
                    .op(aws_sdk_apigateway::types::Op::Replace)
                    .path("/quota/limit")
                    .value("700")
                    .build(),
            )
            .send(),
    )
    .expect("UpdateUsagePlan");
    let writes = env.writes();
    let run = run_action(
        &env,
        "apply",
        &[("TOLLGATE_PLAN_FILE", &plan.outputs["plan-file"])],
    );
    assert_eq!(run.code, Some(1), "{}", run.stdout);
    assert!(
        run.stdout.contains(&format!(
            "::error title=tollgate::the reviewed plan of commit {HEAD_SHA} was not applied in \
             full; the log says why: tollgate refused the saved plan (a plan or key it changes \
             or deletes changed since it was reviewed, it no longer matches the YAML of this \
             commit, its signature is missing or wrong"
        )),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains(REPLAN),
        "says to re-plan on the default branch: {}",
        run.stdout
    );
    assert_eq!(env.writes(), writes, "nothing sent");
    assert_eq!(env.plan("gold000001").quota().map(|q| q.limit()), Some(700));
}

#[test]
fn drift_writes_the_issue_when_the_account_drifted_and_says_so_when_not() {
    let env = env();
    let run = run_action(
        &env,
        "drift",
        &[("TOLLGATE_RUN_URL", "https://example.test/run/1")],
    );
    assert_eq!(run.code, Some(0), "{}", run.stdout);
    assert_eq!(run.outputs["exitcode"], "2");
    assert_eq!(run.outputs["drift"], "true");
    let issue = std::fs::read_to_string(&run.outputs["issue-file"]).expect("the issue");
    let marker = &run_action(&env, "names", &[]).outputs["issue-marker"];
    assert_eq!(marker, "<!-- tollgate-drift target=default -->");
    assert!(issue.starts_with(&format!("{marker}\nThe live usage plans differ")));
    assert!(issue.contains("Found by https://example.test/run/1."));
    // The drift line leads the report, inside a fence.
    assert!(
        issue.contains("```text\nGold: quota limit is 1,000 live, 500 in plans/gold.yaml:3\n"),
        "{issue}"
    );

    env.apply(Path::new("plans/"));
    let run = run_action(&env, "drift", &[]);
    assert_eq!(run.code, Some(0), "{}", run.stdout);
    assert_eq!(run.outputs["exitcode"], "0");
    assert_eq!(run.outputs["drift"], "false");
}

#[test]
fn a_drift_report_cannot_close_its_fence_early() {
    let env = Env::new(
        "usagePlans:\n  - id: gold000001\n    name: Gold\n    description: \"```\\n# forged\"\n",
    );
    env.write("plans/gold.yaml", "usagePlans:\n  - name: Gold\n");
    let run = run_action(&env, "drift", &[]);
    let issue = std::fs::read_to_string(&run.outputs["issue-file"]).expect("the issue");
    assert!(
        issue.contains("\n````text\n"),
        "a fence longer than the data's: {issue}"
    );
    assert!(issue.trim_end().ends_with("\n````"), "{issue}");
}

#[test]
fn with_a_project_the_target_is_passed_on_and_names_the_markers() {
    let env = env();
    env.write(
        "tollgate.yaml",
        "project: payments\ntargets:\n  - name: prod-us\n    region: us-east-1\n    \
         accountId: \"123456789012\"\n    paths: [plans]\n  - name: prod-eu\n    region: \
         eu-west-1\n    accountId: \"123456789012\"\n    paths: [plans]\n",
    );
    let vars = [("INPUT_PATHS", ""), ("INPUT_TARGET", "prod-us")];
    let run = run_script(&env, "run.sh", "plan", &vars);
    assert_eq!(run.code, Some(0), "{}", run.stdout);
    let names = run_script(&env, "run.sh", "names", &vars);
    assert_eq!(
        names.outputs["comment-marker"],
        "<!-- tollgate-plan target=prod-us -->"
    );
    assert_eq!(
        names.outputs["issue-marker"],
        "<!-- tollgate-drift target=prod-us -->"
    );
    assert_eq!(
        names.outputs["artifact"],
        format!("tollgate-plan-prod-us-{HEAD_SHA}")
    );
    let comment = std::fs::read_to_string(&run.outputs["comment-file"]).expect("the comment");
    assert!(
        comment.contains("### tollgate plan for prod-us (account 123456789012, us-east-1)"),
        "{comment}"
    );
    assert!(
        !comment.contains("prod-eu"),
        "only the target asked for: {comment}"
    );
    let drift = run_script(&env, "run.sh", "drift", &vars);
    assert_eq!(drift.outputs["drift"], "true");
    let issue = std::fs::read_to_string(&drift.outputs["issue-file"]).expect("the issue");
    assert!(
        issue.contains("The live usage plans of target prod-us differ"),
        "{issue}"
    );
}

#[test]
fn the_prune_inputs_save_deletions_at_plan_and_make_them_at_apply_within_prune_max() {
    let env = env();
    env.write(
        "tollgate.yaml",
        "project: payments\ntargets:\n  - name: prod\n    region: us-east-1\n    paths: [plans]\n",
    );
    let silver = env.write(
        "plans/silver.yaml",
        "usagePlans:\n  - name: Silver\n    apiStages: [ { apiId: k9l8m7n6o5, stage: prod } ]\n",
    );
    env.apply(Path::new("plans/"));
    let silver_id = env.plan_id("Silver");
    std::fs::remove_file(silver).expect("Silver is no longer declared");

    let prune = [("INPUT_PATHS", ""), ("INPUT_PRUNE", "true")];
    let plan = run_script(&env, "run.sh", "plan", &prune);
    assert_eq!(plan.code, Some(0), "{}", plan.stdout);
    assert_eq!(plan.outputs["exitcode"], "2");
    let comment = std::fs::read_to_string(&plan.outputs["comment-file"]).expect("the comment");
    assert!(
        comment.contains(&format!(
            "| Silver | {silver_id} | delete (orphaned), update: 1 field, **2 destructive** |"
        )),
        "{comment}"
    );
    let plan_file = plan.outputs["plan-file"].clone();
    let saved: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&plan_file).expect("the saved plan"))
            .expect("JSON");
    assert_eq!(saved["summary"]["delete"], 1, "{saved:#}");

    // An apply job without the prune input refuses the deletions; so does one past prune-max.
    let file = plan_file.as_str();
    let apply_with = |extra: &[(&'static str, &'static str)]| {
        let mut vars = vec![("INPUT_PATHS", ""), ("TOLLGATE_PLAN_FILE", file)];
        vars.extend_from_slice(extra);
        run_script(&env, "run.sh", "apply", &vars)
    };
    for extra in [
        &[][..],
        &[("INPUT_PRUNE", "true"), ("INPUT_PRUNE_MAX", "0")],
    ] {
        let writes = env.writes();
        let apply = apply_with(extra);
        assert_eq!(apply.code, Some(1), "{extra:?}: {}", apply.stdout);
        assert!(
            apply.stdout.contains(
                "or its deletions differ from the prune input or exceed prune-max), or a \
                 change failed."
            ) && apply.stdout.contains(REPLAN),
            "{}",
            apply.stdout
        );
        assert_eq!(env.writes(), writes, "{extra:?}: nothing sent");
    }
    let apply = apply_with(&[("INPUT_PRUNE", "true"), ("INPUT_PRUNE_MAX", "1")]);
    assert_eq!(apply.code, Some(0), "{}", apply.stdout);
    assert_eq!(apply.outputs["exitcode"], "2");
    assert_eq!(env.calls("DeleteUsagePlan"), 1);
    let left = env
        .block_on(env.sdk().get_usage_plans().send())
        .expect("GetUsagePlans");
    let names: Vec<&str> = left.items().iter().filter_map(|plan| plan.name()).collect();
    assert_eq!(names, ["Gold"]);
}

/// The `${{ ... }}` expressions of a text.
fn expressions(text: &str) -> Vec<&str> {
    text.split("${{")
        .skip(1)
        .filter_map(|rest| rest.split_once("}}").map(|(inside, _)| inside.trim()))
        .collect()
}

/// The names that follow `prefix` in `expression` (`inputs.` gives the inputs it reads).
fn names_after<'a>(expression: &'a str, prefix: &str) -> Vec<&'a str> {
    expression
        .match_indices(prefix)
        .map(|(at, _)| {
            let rest = &expression[at + prefix.len()..];
            let end = rest
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'))
                .unwrap_or(rest.len());
            &rest[..end]
        })
        .collect()
}

#[test]
fn action_yml_refers_only_to_inputs_and_outputs_that_exist() {
    let text = std::fs::read_to_string(root().join("action.yml")).expect("action.yml");
    let action: serde_json::Value = serde_saphyr::from_str(&text).expect("action.yml is YAML");
    let inputs: BTreeSet<&str> = action["inputs"]
        .as_object()
        .expect("inputs")
        .keys()
        .map(String::as_str)
        .collect();
    let steps = action["runs"]["steps"].as_array().expect("steps");
    assert_eq!(action["runs"]["using"], "composite");
    let ids: BTreeSet<&str> = steps
        .iter()
        .filter_map(|step| step["id"].as_str())
        .collect();
    // The outputs the shell steps write, as the other tests saw them.
    let env = env();
    let mut written: BTreeSet<String> = BTreeSet::new();
    for command in ["names", "plan", "drift"] {
        written.extend(run_action(&env, command, &[]).outputs.into_keys());
    }
    let cache = env.dir.path().join("tool-cache");
    let locate = [
        ("TOLLGATE_ACTION_REF", "main"),
        ("RUNNER_OS", "Linux"),
        ("RUNNER_ARCH", "X64"),
        ("RUNNER_TOOL_CACHE", cache.to_str().expect("UTF-8")),
    ];
    written.extend(
        run_script(&env, "install.sh", "locate", &locate)
            .outputs
            .into_keys(),
    );
    for expression in expressions(&text) {
        for input in names_after(expression, "inputs.") {
            assert!(
                inputs.contains(input),
                "undeclared input {input} in {expression}"
            );
        }
        for step in names_after(expression, "steps.") {
            assert!(ids.contains(step), "no step {step} for {expression}");
        }
        for output in names_after(expression, ".outputs.") {
            let of_script = ["where", "names", "run"]
                .iter()
                .any(|id| expression.contains(&format!("steps.{id}.outputs.{output}")));
            if of_script {
                assert!(
                    written.contains(output),
                    "no script writes {output} ({expression})"
                );
            }
        }
    }
    // Every shell step runs one of the action's scripts, which exist and are executable.
    for step in steps.iter().filter(|step| step.get("run").is_some()) {
        let run = step["run"].as_str().expect("run");
        // Inputs reach the scripts through the environment, never spliced into the command.
        assert!(!run.contains("${{"), "an expression in a run line: {run}");
        let script = run
            .split('"')
            .find_map(|part| part.strip_prefix("$GITHUB_ACTION_PATH/"))
            .expect("runs a script of the action");
        let metadata = std::fs::metadata(root().join(script)).expect("the script exists");
        use std::os::unix::fs::PermissionsExt as _;
        assert!(
            metadata.permissions().mode() & 0o111 != 0,
            "{script} is executable"
        );
        assert_eq!(step["shell"], "bash");
    }
}

#[test]
fn a_long_drift_report_is_cut_to_fit_in_an_issue() {
    let (old, new) = ("o".repeat(150), "n".repeat(150));
    let mut live = String::from("usagePlans:\n");
    let mut yaml = String::from("usagePlans:\n");
    for n in 0..100 {
        live.push_str(&format!(
            "  - {{ id: plan{n:06}, name: P{n:03}, description: {old} }}\n"
        ));
        yaml.push_str(&format!("  - {{ name: P{n:03}, description: {new} }}\n"));
    }
    let env = Env::new(&live);
    env.write("plans/all.yaml", &yaml);
    let run = run_action(&env, "drift", &[]);
    assert_eq!(run.outputs["drift"], "true", "{}", run.stdout);
    assert!(run.stdout.len() > 65_536, "the whole report is in the log");
    let issue = std::fs::read_to_string(&run.outputs["issue-file"]).expect("the issue");
    assert!(issue.chars().count() < 65_536, "{} characters", issue.len());
    assert!(issue.starts_with("<!-- tollgate-drift target=default -->\n"));
    assert!(issue.contains(&format!("```text\nP000: description is \"{old}\" live")));
    assert!(issue
        .contains("\n[cut here to fit in an issue: the whole report is in the run's log]\n```\n"));
}

#[test]
fn prune_max_is_passed_only_when_its_input_is_set() {
    let env = env();
    env.write(
        "tollgate.yaml",
        "project: payments\ntargets:\n  - name: prod\n    region: us-east-1\n    paths: [plans]\n",
    );
    // The real binary behind a wrapper that records each command line run.sh gives it.
    let log = env.dir.path().join("tollgate-command-lines");
    let wrapper = env.dir.path().join("tollgate-recorded");
    std::fs::write(
        &wrapper,
        format!(
            "#!/bin/sh\nprintf '%s\\n' \"$*\" >> '{}'\nexec '{}' \"$@\"\n",
            log.display(),
            assert_cmd::cargo::cargo_bin("tollgate").display()
        ),
    )
    .expect("the wrapper");
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(&wrapper, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let wrapper = wrapper.to_str().expect("UTF-8");

    for (prune_max, expected) in [("", "--prune"), ("3", "--prune --prune-max 3")] {
        let _ = std::fs::remove_file(&log);
        let vars = [
            ("INPUT_PATHS", ""),
            ("INPUT_PRUNE", "true"),
            ("INPUT_PRUNE_MAX", prune_max),
            ("TOLLGATE", wrapper),
        ];
        let plan = run_script(&env, "run.sh", "plan", &vars);
        assert_eq!(plan.code, Some(0), "{}", plan.stdout);
        let mut apply_vars = vars.to_vec();
        apply_vars.push(("TOLLGATE_PLAN_FILE", &plan.outputs["plan-file"]));
        let apply = run_script(&env, "run.sh", "apply", &apply_vars);
        assert_eq!(apply.code, Some(0), "{}", apply.stdout);

        let lines = std::fs::read_to_string(&log).expect("the command lines");
        let pruning: Vec<&str> = lines
            .lines()
            .filter(|line| line.starts_with("plan ") || line.starts_with("apply "))
            .collect();
        assert_eq!(pruning.len(), 2, "{lines}");
        for line in pruning {
            let flags: Vec<&str> = line
                .split(' ')
                .skip_while(|word| *word != "--prune")
                .take_while(|word| word.starts_with("--prune") || word.parse::<u32>().is_ok())
                .collect();
            assert_eq!(flags.join(" "), expected, "prune-max {prune_max:?}: {line}");
        }
    }
}

/// What an actions/github-script step of action.yml did, run under Node.js.
#[derive(Debug, serde::Deserialize)]
struct ScriptRun {
    /// What it passed to core.setOutput.
    outputs: BTreeMap<String, String>,
    /// What it passed to core.setFailed, if it failed the step.
    failed: Option<String>,
    /// The parameters of each GitHub API list it read (github.paginate).
    calls: Vec<serde_json::Value>,
}

/// Runs the script of action.yml's github-script step `id` under Node.js, with `context` as
/// the run's context and `answer` as every list the GitHub API returns. The GitHub API cannot
/// be reached from the tests, so `github` and `core` are stand-ins that record what the
/// script asks and sets.
fn run_github_script(id: &str, context: serde_json::Value, answer: serde_json::Value) -> ScriptRun {
    let text = std::fs::read_to_string(root().join("action.yml")).expect("action.yml");
    let action: serde_json::Value = serde_saphyr::from_str(&text).expect("action.yml is YAML");
    let step = action["runs"]["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .find(|step| step["id"] == id)
        .expect("the step");
    assert!(step["uses"]
        .as_str()
        .is_some_and(|uses| uses.starts_with("actions/github-script@")));
    let script = step["with"]["script"].as_str().expect("its script");
    let harness = format!(
        "const context = {context};\n\
         const result = {{ outputs: {{}}, failed: null, calls: [] }};\n\
         const core = {{\n\
           setOutput: (name, value) => {{ result.outputs[name] = value; }},\n\
           setFailed: (message) => {{ result.failed = message; }},\n\
           info: () => {{}}, warning: () => {{}},\n\
         }};\n\
         const github = {{\n\
           rest: {{ repos: {{ listPullRequestsAssociatedWithCommit: 'commits/{{sha}}/pulls' }} }},\n\
           paginate: async (endpoint, params) => {{\n\
             result.calls.push({{ endpoint, ...params }});\n\
             return {answer};\n\
           }},\n\
         }};\n\
         (async () => {{\n{script}\n}})().then(() => console.log(JSON.stringify(result)));\n"
    );
    let output = std::process::Command::new("node")
        .arg("-e")
        .arg(harness)
        .output()
        .expect("Node.js runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("the script's record")
}

#[test]
fn apply_finds_the_pull_request_a_push_merged_and_nothing_else() {
    let merge = "fedcba9876543210fedcba9876543210fedcba98";
    let push = serde_json::json!({
        "eventName": "push", "ref": "refs/heads/main", "sha": merge,
        "repo": { "owner": "acme", "repo": "plans" },
    });
    let pull = |number: u32, merged: bool, merge_commit: &str, base: &str, head: &str| {
        serde_json::json!({
            "number": number,
            "merged_at": merged.then_some("2026-12-01T10:00:00Z"),
            "merge_commit_sha": merge_commit,
            "base": { "ref": base },
            "head": { "sha": head },
        })
    };
    // The commit also belongs to an open pull request, to one merged into another branch, and
    // to one merged into main by another commit.
    let pulls = serde_json::json!([
        pull(
            5,
            true,
            "2222222222222222222222222222222222222222",
            "main",
            "cccc"
        ),
        pull(
            8,
            false,
            "1111111111111111111111111111111111111111",
            "main",
            "aaaa"
        ),
        pull(6, true, merge, "release", "bbbb"),
        pull(7, true, merge, "main", HEAD_SHA),
    ]);
    let found = run_github_script("merged", push.clone(), pulls);
    assert_eq!(found.failed, None);
    assert_eq!(
        found.outputs.get("head-sha").map(String::as_str),
        Some(HEAD_SHA)
    );
    assert_eq!(
        found.calls,
        [serde_json::json!({
            "endpoint": "commits/{sha}/pulls", "owner": "acme", "repo": "plans",
            "commit_sha": merge, "per_page": 100,
        })]
    );

    // A push that merged no pull request (a direct push) has no reviewed plan.
    let direct = run_github_script(
        "merged",
        push,
        serde_json::json!([pull(
            8,
            false,
            "1111111111111111111111111111111111111111",
            "main",
            "aaaa"
        )]),
    );
    assert!(direct.outputs.is_empty());
    assert_eq!(
        direct.failed.as_deref(),
        Some(
            "commit fedcba9876543210fedcba9876543210fedcba98 on main is not the merge of a pull \
             request, so no reviewed plan belongs to it; nothing was applied. Change the YAML \
             through a pull request (branch protection on main makes that the only way)"
        )
    );

    // A pull request's own run (here, its closing) is refused before anything is read.
    let closed = run_github_script(
        "merged",
        serde_json::json!({
            "eventName": "pull_request", "ref": "refs/pull/7/merge", "sha": merge,
            "repo": { "owner": "acme", "repo": "plans" },
        }),
        serde_json::json!([pull(7, true, merge, "main", HEAD_SHA)]),
    );
    assert!(closed.outputs.is_empty());
    assert!(closed.calls.is_empty());
    assert!(
        closed
            .failed
            .as_deref()
            .is_some_and(|message| message.starts_with(
                "tollgate apply runs on a push to the default branch, not on pull_request \
             (refs/pull/7/merge); nothing was applied."
            )),
        "{closed:?}"
    );
}

/// The workflow files that use actions: the action, the release workflow and the examples.
fn workflow_files() -> Vec<PathBuf> {
    let mut files = vec![root().join("action.yml")];
    for folder in [".github/workflows", "examples/github-actions"] {
        let mut found: Vec<PathBuf> = std::fs::read_dir(root().join(folder))
            .expect("the folder")
            .map(|entry| entry.expect("an entry").path())
            .filter(|path| path.extension().is_some_and(|ext| ext == "yml"))
            .collect();
        found.sort();
        files.extend(found);
    }
    files
}

#[test]
fn third_party_actions_are_pinned_by_commit_with_their_release_beside() {
    // action -> (commit, release), the same everywhere.
    let mut pins: BTreeMap<String, (String, String)> = BTreeMap::new();
    for file in workflow_files() {
        let text = std::fs::read_to_string(&file).expect("the workflow");
        for (number, line) in text.lines().enumerate() {
            let Some(uses) = line
                .trim_start()
                .trim_start_matches("- ")
                .strip_prefix("uses: ")
            else {
                continue;
            };
            let place = format!("{}:{}", file.display(), number + 1);
            let (action, rest) = uses.split_once('@').expect("action@ref");
            // The examples' own step names tollgate as its users would, by release tag.
            if action == "OWNER/tollgate" {
                continue;
            }
            let (commit, comment) = rest.split_once(" # ").unwrap_or((rest, ""));
            assert!(
                commit.len() == 40 && commit.bytes().all(|b| b.is_ascii_hexdigit()),
                "{place}: {action} is pinned by {commit}, not by a full commit SHA"
            );
            let release = comment.trim();
            assert!(
                release.starts_with('v')
                    && release[1..].split('.').count() == 3
                    && release[1..]
                        .split('.')
                        .all(|part| part.parse::<u32>().is_ok()),
                "{place}: {action}@{commit} has no `# vX.Y.Z` comment naming its release"
            );
            let pin = (commit.to_string(), release.to_string());
            let first = pins
                .entry(action.to_string())
                .or_insert_with(|| pin.clone());
            assert_eq!(*first, pin, "{place}: {action} pinned two ways");
        }
    }
    let actions: Vec<&str> = pins.keys().map(String::as_str).collect();
    assert_eq!(
        actions,
        [
            "actions/cache",
            "actions/checkout",
            "actions/download-artifact",
            "actions/github-script",
            "actions/upload-artifact",
            "aws-actions/configure-aws-credentials",
        ]
    );
}

#[test]
fn the_example_apply_workflow_runs_on_push_to_the_default_branch_in_its_environment() {
    let path = root().join("examples/github-actions/apply-on-merge.yml");
    let text = std::fs::read_to_string(&path).expect("the example");
    let workflow: serde_json::Value = serde_saphyr::from_str(&text).expect("YAML");
    let on = workflow["on"].as_object().expect("on:");
    let events: Vec<&str> = on.keys().map(String::as_str).collect();
    assert_eq!(events, ["push"], "never a pull request's event");
    assert_eq!(on["push"]["branches"], serde_json::json!(["main"]));
    assert_eq!(workflow["permissions"]["pull-requests"], "read");
    let jobs = workflow["jobs"].as_object().expect("jobs");
    assert_eq!(jobs.len(), 1);
    let apply = &jobs["apply"];
    // The environment the apply role's OIDC trust policy names (docs/security.md).
    assert_eq!(apply["environment"], "tollgate-apply");
    let docs = std::fs::read_to_string(root().join("docs/security.md")).expect("docs");
    assert!(docs.contains(
        "\"token.actions.githubusercontent.com:sub\": \"repo:OWNER/REPO:environment:tollgate-apply\""
    ));
    let steps = apply["steps"].as_array().expect("steps");
    assert!(steps.iter().any(|step| step["with"]["command"] == "apply"));
}
