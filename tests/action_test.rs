//! The GitHub Action's shell steps (action/run.sh, action/install.sh), run for real with a
//! temporary GITHUB_OUTPUT, GITHUB_STEP_SUMMARY and RUNNER_TEMP against the emulator; only
//! the GitHub API calls (actions/github-script) and the download from GitHub are not run.
//! And action.yml itself: every input and step output it refers to exists.

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
    let outputs = std::fs::read_to_string(&github_output)
        .expect("GITHUB_OUTPUT")
        .lines()
        .filter_map(|line| line.split_once('='))
        .map(|(key, value)| (key.to_string(), value.to_string()))
        .collect();
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
    assert!(run
        .stdout
        .contains("::error title=tollgate::the reviewed plan of commit"));
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
                "refused its deletions (the prune input differs from the plan job's, or they \
                 exceed prune-max)"
            ),
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

/// Builds a release archive of the tollgate binary as the release workflow does, under
/// `base/VERSION/`, with its checksum file (corrupted when `corrupt`).
fn fake_release(base: &Path, version: &str, triple: &str, corrupt: bool) {
    let name = format!("tollgate-{version}-{triple}");
    let stage = base.join("stage").join(&name);
    std::fs::create_dir_all(&stage).expect("stage");
    std::fs::copy(
        assert_cmd::cargo::cargo_bin("tollgate"),
        stage.join("tollgate"),
    )
    .expect("copy the binary");
    let out = base.join(version);
    std::fs::create_dir_all(&out).expect("release folder");
    let archive = out.join(format!("{name}.tar.gz"));
    let status = std::process::Command::new("tar")
        .arg("-czf")
        .arg(&archive)
        .arg("-C")
        .arg(base.join("stage"))
        .arg(&name)
        .status()
        .expect("tar runs");
    assert!(status.success());
    let digest = std::process::Command::new("sha256sum")
        .arg(&archive)
        .output()
        .expect("sha256sum runs");
    let mut line = String::from_utf8_lossy(&digest.stdout).into_owned();
    if corrupt {
        line.replace_range(0..1, if line.starts_with('0') { "1" } else { "0" });
    }
    std::fs::write(out.join(format!("{name}.tar.gz.sha256")), line).expect("checksum file");
}

/// `install.sh STEP` of v9.8.7 for a Linux x86_64 runner, downloading from `base`.
fn install(env: &Env, step: &str, base: &Path, cache: &Path) -> ActionRun {
    install_ref(env, step, "v9.8.7", base, cache)
}

/// `install.sh STEP` of `version` for a Linux x86_64 runner, downloading from `base`, with an
/// empty folder as the action's source (so that nothing is built).
fn install_ref(env: &Env, step: &str, version: &str, base: &Path, cache: &Path) -> ActionRun {
    let no_source = env.dir.path().join("no-source");
    std::fs::create_dir_all(&no_source).expect("a folder");
    let base_url = format!("file://{}", base.display());
    let github_path = env.dir.path().join("github-path");
    std::fs::write(&github_path, "").expect("GITHUB_PATH");
    run_script(
        env,
        "install.sh",
        step,
        &[
            ("TOLLGATE_VERSION", version),
            ("TOLLGATE_SOURCE", no_source.to_str().expect("UTF-8")),
            ("TOLLGATE_REPOSITORY", "example/tollgate"),
            ("TOLLGATE_DOWNLOAD_BASE", &base_url),
            ("RUNNER_OS", "Linux"),
            ("RUNNER_ARCH", "X64"),
            ("RUNNER_TOOL_CACHE", cache.to_str().expect("UTF-8")),
            ("GITHUB_PATH", github_path.to_str().expect("UTF-8")),
        ],
    )
}

#[test]
fn install_builds_the_actions_own_source_for_any_ref_but_a_release() {
    let env = Env::new("");
    let base = env.dir.path().join("releases");
    let cache = env.dir.path().join("tool-cache");
    let commit = "0123456789abcdef0123456789abcdef01234567";
    for (version, cacheable, key) in [
        ("main", "false", "tollgate-source-Linux-X64"),
        ("v1", "false", "tollgate-source-Linux-X64"),
        ("v1.2.3-fix/x", "false", "tollgate-source-Linux-X64"),
        ("", "false", "tollgate-source-Linux-X64"),
        (
            commit,
            "true",
            &format!("tollgate-source-{commit}-Linux-X64"),
        ),
        (
            "v1.2.3-rc.1",
            "true",
            "tollgate-v1.2.3-rc.1-x86_64-unknown-linux-gnu",
        ),
    ] {
        let located = install_ref(&env, "locate", version, &base, &cache);
        assert_eq!(located.outputs["cacheable"], cacheable, "{version}");
        assert_eq!(located.outputs["cache-key"], key, "{version}");
    }
    // A branch builds from source: here there is none, and the step says what to do.
    let built = install_ref(&env, "install", "main", &base, &cache);
    assert_eq!(built.code, Some(1));
    assert!(
        built.stdout.contains(
            "::error title=tollgate install::no release binary to install and no tollgate source"
        ),
        "{}",
        built.stdout
    );
    // A release tag without an archive falls back to the source too.
    let missing = install(&env, "install", &base, &cache);
    assert_eq!(missing.code, Some(1));
    assert!(
        missing.stdout.contains(
            "no release archive tollgate-v9.8.7-x86_64-unknown-linux-gnu.tar.gz to download"
        ),
        "{}",
        missing.stdout
    );
    assert!(
        missing.stdout.contains("no tollgate source"),
        "{}",
        missing.stdout
    );
}

#[test]
fn install_checks_the_checksum_before_installing_the_release_binary() {
    let env = Env::new("");
    let base = env.dir.path().join("releases");
    let cache = env.dir.path().join("tool-cache");
    let triple = "x86_64-unknown-linux-gnu";
    let located = install(&env, "locate", &base, &cache);
    assert_eq!(located.code, Some(0));
    let dir = cache
        .join("tollgate")
        .join(format!("tollgate-v9.8.7-{triple}"));
    assert_eq!(located.outputs["dir"], dir.display().to_string());
    assert_eq!(located.outputs["cacheable"], "true");
    assert_eq!(
        located.outputs["cache-key"],
        format!("tollgate-v9.8.7-{triple}")
    );

    fake_release(&base, "v9.8.7", triple, true);
    let refused = install(&env, "install", &base, &cache);
    assert_eq!(refused.code, Some(1));
    assert!(
        refused
            .stdout
            .contains("::error title=tollgate install::tollgate-v9.8.7-x86_64-unknown-linux-gnu.tar.gz does not match its published SHA-256 checksum"),
        "{}",
        refused.stdout
    );
    assert!(!dir.join("bin/tollgate").exists(), "nothing installed");

    fake_release(&base, "v9.8.7", triple, false);
    let installed = install(&env, "install", &base, &cache);
    assert_eq!(installed.code, Some(0), "{}", installed.stdout);
    let binary = dir.join("bin/tollgate");
    let version = std::process::Command::new(&binary)
        .arg("--version")
        .output()
        .expect("the installed binary runs");
    assert!(String::from_utf8_lossy(&version.stdout).starts_with("tollgate "));
    let path = std::fs::read_to_string(env.dir.path().join("github-path")).expect("GITHUB_PATH");
    assert_eq!(path, format!("{}\n", dir.join("bin").display()));

    // A second run finds it in place (as after a cache hit) and downloads nothing.
    std::fs::remove_dir_all(&base).expect("the release is gone");
    let again = install(&env, "install", &base, &cache);
    assert_eq!(again.code, Some(0), "{}", again.stdout);
    assert!(again.stdout.contains("restored from the cache"));
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
    let base = env.dir.path().join("none");
    written.extend(install(&env, "locate", &base, &base).outputs.into_keys());
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
