//! End to end: the command line's contract -- exit statuses, validate, schema, export,
//! dry runs, the confirmation rule, and invalid input sending nothing to AWS.

mod common;

use common::{stdout_json, tollgate_against, Env};

const LIVE: &str = r#"
usagePlans:
  - id: gold000001
    name: Gold
    description: Paying customers
    productCode: prod-gold
    throttle: { rateLimit: 12.5, burstLimit: 200 }
    quota: { limit: 1000, offset: 3, period: MONTH }
    apiStages:
      - apiId: a1b2c3d4e5
        stage: prod
        throttle: { /pets/GET: { rateLimit: 10, burstLimit: 20 } }
    tags: { team: payments, "tollgate:grant:key1:SUP-1": applied }
    keys: [key1, key2]
  - id: free000001
    name: "Free / trial"
    apiStages: [ { apiId: k9l8m7n6o5, stage: prod } ]
  - id: free000002
    name: "Free / trial"
    apiStages: [ { apiId: k9l8m7n6o5, stage: prod } ]
"#;

const CHANGED: &str =
    "usagePlans:\n  - name: Gold\n    throttle: { rateLimit: 1, burstLimit: 2 }\n";

#[test]
fn usage_errors_exit_1_and_help_exits_0() {
    let env = Env::new("");
    env.tollgate()
        .args(["plan", "--no-such-flag"])
        .assert()
        .code(1);
    env.tollgate().arg("frobnicate").assert().code(1);
    env.tollgate().arg("--help").assert().code(0);
    env.tollgate().arg("--version").assert().code(0);
}

#[test]
fn validate_reads_no_aws_and_reports_every_error_with_its_place() {
    let env = Env::new("");
    let path = env.write(
        "plans/bad.yaml",
        "usagePlans:\n  - name: A\n    quota: { limit: -1, period: YEAR }\n  - name: A\n",
    );
    let output = env
        .tollgate()
        .args(["validate", "plans"])
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        stderr.lines().collect::<Vec<_>>(),
        [
            "plans/bad.yaml:3:21: `limit` must be an integer >= 0, found -1",
            "plans/bad.yaml:3:33: unknown value `YEAR`; expected one of `DAY`, `WEEK`, `MONTH`",
            "plans/bad.yaml:4:11: usage plan `A` is already declared at plans/bad.yaml:2:11; give each plan a unique name",
            "error: 3 errors in the YAML; nothing was sent to AWS",
        ],
        "every error, each with its place"
    );
    assert_eq!(
        env.sim.calls().values().sum::<u64>(),
        0,
        "validate calls no AWS API"
    );
    drop(path);
    env.write("plans/bad.yaml", CHANGED);
    let output = env
        .tollgate()
        .args(["validate", "plans"])
        .output()
        .expect("runs");
    assert!(output.status.success());
    assert!(String::from_utf8_lossy(&output.stdout).contains("1 usage plan valid."));
}

#[test]
fn invalid_yaml_sends_nothing_to_aws() {
    let env = Env::new(LIVE);
    let path = env.write(
        "bad.yaml",
        "usagePlans:\n  - name: Gold\n    throttle: { rateLimt: 1, burstLimit: 2 }\n",
    );
    for command in [&["plan"][..], &["apply", "--auto-approve"][..]] {
        let output = env
            .tollgate()
            .args(command)
            .arg(&path)
            .output()
            .expect("runs");
        assert_eq!(output.status.code(), Some(1));
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(":3:"), "located: {stderr}");
        assert!(stderr.contains("nothing was sent to AWS"), "{stderr}");
    }
    assert_eq!(env.sim.calls().values().sum::<u64>(), 0);
}

#[test]
fn plan_detailed_exitcode_and_out_file_in_every_format() {
    let env = Env::new(LIVE);
    let path = env.write("gold.yaml", CHANGED);
    env.tollgate().arg("plan").arg(&path).assert().code(0);
    env.tollgate()
        .args(["plan", "--detailed-exitcode"])
        .arg(&path)
        .assert()
        .code(2);
    for (format, marker) in [
        ("text", "Plan: "),
        ("markdown", "<details>"),
        ("json", "\"formatVersion\": 1"),
    ] {
        let out = env.dir.path().join(format!("plan.{format}"));
        let output = env
            .tollgate()
            .args(["plan", "--detailed-exitcode", "--format", format, "--out"])
            .arg(&out)
            .arg(&path)
            .output()
            .expect("runs");
        assert_eq!(output.status.code(), Some(2));
        let printed = String::from_utf8_lossy(&output.stdout);
        assert!(
            printed.contains(marker),
            "--out saves the plan and the view still goes to stdout: {printed}"
        );
        let written = std::fs::read_to_string(&out).expect("the saved plan");
        assert!(
            written.contains("\"formatVersion\": 1") && written.contains("\"saved\": {"),
            "{format}: the file is a saved plan whatever the view: {written}"
        );
    }
    assert_eq!(env.writes(), 0, "plan changes nothing");
}

#[test]
fn apply_without_a_terminal_refuses_unless_auto_approved_and_sends_nothing() {
    let env = Env::new(LIVE);
    let path = env.write("gold.yaml", CHANGED);
    let output = env
        .tollgate()
        .arg("apply")
        .arg(&path)
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("--auto-approve"));
    assert_eq!(env.sim.calls().values().sum::<u64>(), 0);
}

#[test]
fn apply_on_a_terminal_asks_and_applies_only_after_yes() {
    let env = Env::new(LIVE);
    env.write("gold.yaml", CHANGED);
    let declined = env.run_on_terminal(&["apply", "gold.yaml"], "no\n");
    assert_eq!(declined.status.code(), Some(1));
    let shown = String::from_utf8_lossy(&declined.stdout);
    assert!(shown.contains("Only 'yes' will be accepted"), "{shown}");
    assert!(
        shown.contains("Apply cancelled; nothing was changed."),
        "{shown}"
    );
    assert_eq!(env.writes(), 0);

    let accepted = env.run_on_terminal(&["apply", "gold.yaml"], "yes\n");
    assert_eq!(
        accepted.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&accepted.stdout)
    );
    assert_eq!(env.calls("UpdateUsagePlan"), 1);
}

#[test]
fn apply_dry_run_shows_the_plan_and_changes_nothing() {
    let env = Env::new(LIVE);
    let path = env.write("gold.yaml", CHANGED);
    let output = env.run(&["apply", "--dry-run", "--detailed-exitcode"], &path);
    assert_eq!(output.status.code(), Some(2));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("    throttle.rateLimit  12.5/s → 1/s  # destructive:"),
        "{stdout}"
    );
    assert_eq!(env.writes(), 0);
}

#[test]
fn apply_detailed_exitcode_is_2_when_changes_were_made_and_0_when_none() {
    let env = Env::new(LIVE);
    let path = env.write("gold.yaml", CHANGED);
    let output = env.run(&["apply", "--auto-approve", "--detailed-exitcode"], &path);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("Gold (gold000001): updated"),
        "progress per change: {stderr}"
    );
    assert!(stderr.contains("Apply complete"), "{stderr}");
    env.tollgate()
        .args(["apply", "--auto-approve", "--detailed-exitcode"])
        .arg(&path)
        .assert()
        .code(0);
}

#[test]
fn export_round_trips_through_plan_and_refuses_to_overwrite() {
    let env = Env::new(LIVE);
    let out = env.dir.path().join("exported");
    env.tollgate()
        .args(["export", "--out"])
        .arg(&out)
        .assert()
        .success();
    let mut files: Vec<String> = std::fs::read_dir(&out)
        .expect("the export folder")
        .filter_map(|entry| {
            entry
                .ok()
                .map(|e| e.file_name().to_string_lossy().into_owned())
        })
        .collect();
    files.sort();
    // File-safe names; two live plans of one name apart by their ids.
    assert_eq!(
        files,
        [
            "free-trial-free000001.yaml",
            "free-trial-free000002.yaml",
            "gold.yaml"
        ]
    );
    let gold = std::fs::read_to_string(
        out.join(
            files
                .iter()
                .find(|f| f.contains("gold"))
                .expect("gold's file"),
        ),
    )
    .expect("read");
    assert!(
        gold.contains("- name: one\n") && gold.contains("team: payments"),
        "keys (by their names, which no other key has) and tags are exported: {gold}"
    );
    assert!(
        gold.contains("- api: pets\n") && !gold.contains("a1b2c3d4e5"),
        "stages by their API's name: {gold}"
    );
    assert!(
        !gold.contains("tollgate:"),
        "tollgate's own tags are not exported: {gold}"
    );

    env.assert_in_sync(&out);

    let before = std::fs::read_to_string(out.join(&files[0])).expect("read");
    std::fs::write(out.join(&files[0]), "# edited by hand\n").expect("write");
    let output = env.run(&["export", "--out"], &out);
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("--force"));
    assert_eq!(
        std::fs::read_to_string(out.join(&files[0])).expect("read"),
        "# edited by hand\n",
        "nothing was overwritten"
    );
    env.tollgate()
        .args(["export", "--force", "--out"])
        .arg(&out)
        .assert()
        .success();
    assert_eq!(
        std::fs::read_to_string(out.join(&files[0])).expect("read"),
        before
    );

    let output = env.tollgate().arg("export").output().expect("runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.starts_with("usagePlans:") || stdout.contains("\nusagePlans:"),
        "{stdout}"
    );
    assert!(stdout.contains("Free / trial"));
}

#[test]
fn schema_is_a_json_schema_of_the_format() {
    let env = Env::new("");
    let output = env.tollgate().arg("schema").output().expect("runs");
    assert!(output.status.success());
    let schema = stdout_json(&output);
    assert!(
        schema["$schema"]
            .as_str()
            .is_some_and(|s| s.contains("json-schema.org")),
        "{schema:#}"
    );
    let text = schema.to_string();
    for field in [
        "usagePlans",
        "apiStages",
        "burstLimit",
        "productCode",
        "grants",
        "MONTH",
    ] {
        assert!(text.contains(field), "the schema describes {field}");
    }
}

#[test]
fn the_shipped_plans_and_examples_are_valid() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    for folder in [
        "plans",
        "examples/partner-tiers",
        "examples/per-method-throttles",
    ] {
        let env = Env::new("");
        let output = env
            .tollgate()
            .arg("validate")
            .arg(root.join(folder))
            .output()
            .expect("runs");
        assert!(
            output.status.success(),
            "{folder}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

#[test]
fn an_unreachable_endpoint_is_one_clear_error() {
    let dir = tempfile::tempdir().expect("dir");
    // Bind then drop a listener: the port is free and nothing answers on it.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port();
    std::fs::write(dir.path().join("p.yaml"), CHANGED).expect("write");
    let output = tollgate_against(&format!("http://127.0.0.1:{port}"), dir.path())
        .args(["plan", "p.yaml"])
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    // The account is asked first: every view of a plan names it.
    assert!(stderr.contains("GetCallerIdentity failed"), "{stderr}");
    assert!(
        stderr.contains("--endpoint-url"),
        "says what to do: {stderr}"
    );
    assert_eq!(
        stderr.trim().lines().count(),
        1,
        "one message, not a stack: {stderr}"
    );
}

#[test]
fn bad_connection_settings_are_one_clear_error_each_and_send_nothing() {
    let env = Env::new("");
    let path = env.write("plans.yaml", "usagePlans: []\n");
    // (environment variables, flags, the message)
    type Case<'a> = (&'a [(&'a str, &'a str)], &'a [&'a str], &'a str);
    let cases: [Case; 7] = [
        (
            &[("AWS_ENDPOINT_URL", "")],
            &[],
            "AWS_ENDPOINT_URL is set but empty",
        ),
        (
            &[],
            &["--endpoint-url", "not a url"],
            "--endpoint-url is not an http or https URL with a host",
        ),
        (
            &[("AWS_ENDPOINT_URL_API_GATEWAY", "ftp://x")],
            &[],
            "AWS_ENDPOINT_URL_API_GATEWAY is not an http or https URL (its scheme is `ftp`)",
        ),
        (&[("AWS_REGION", "")], &[], "AWS_REGION is set but empty"),
        (&[], &["--region", ""], "--region is set but empty"),
        (
            &[],
            &["--profile", "nope"],
            "--profile names the profile `nope`, which is in neither",
        ),
        (
            &[("AWS_PROFILE", "nope")],
            &[],
            "AWS_PROFILE names the profile `nope`",
        ),
    ];
    for (variables, flags, message) in cases {
        for command in ["plan", "export"] {
            let mut tollgate = env.tollgate();
            for (name, value) in variables {
                tollgate.env(name, value);
            }
            tollgate.args(flags).arg(command);
            if command == "plan" {
                tollgate.arg(&path);
            }
            let output = tollgate.output().expect("runs");
            let stderr = String::from_utf8_lossy(&output.stderr);
            assert_eq!(
                output.status.code(),
                Some(1),
                "{command} {flags:?}: {stderr}"
            );
            assert_eq!(
                stderr.lines().count(),
                1,
                "one line: {command} {flags:?}: {stderr}"
            );
            assert!(stderr.contains(message), "{command} {flags:?}: {stderr}");
            assert!(stderr.contains("nothing was sent to AWS"), "{stderr}");
        }
    }
    assert!(env.sim.calls().is_empty(), "{:?}", env.sim.calls());
}

#[test]
fn missing_credentials_are_one_clear_error_naming_the_fix() {
    let env = Env::new(LIVE);
    let path = env.write("gold.yaml", CHANGED);
    let output = env
        .tollgate()
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .arg("plan")
        .arg(&path)
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    // The account is asked first: every view of a plan names it.
    assert!(stderr.contains("GetCallerIdentity failed"), "{stderr}");
    assert!(stderr.contains("AWS_PROFILE"), "says what to do: {stderr}");
    assert_eq!(
        stderr.trim().lines().count(),
        1,
        "one message, not a stack: {stderr}"
    );
    assert_eq!(
        env.sim.calls().values().sum::<u64>(),
        0,
        "nothing reached AWS"
    );
}

#[test]
fn colour_only_when_asked_and_never_with_no_color() {
    let env = Env::new(LIVE);
    let path = env.write("gold.yaml", CHANGED);
    let ansi =
        |output: &std::process::Output| String::from_utf8_lossy(&output.stdout).contains('\u{1b}');
    let coloured = env
        .tollgate()
        .env_remove("NO_COLOR")
        .args(["--color", "always", "plan"])
        .arg(&path)
        .output()
        .expect("runs");
    assert!(ansi(&coloured), "--color always colours");
    let auto = env
        .tollgate()
        .env_remove("NO_COLOR")
        .arg("plan")
        .arg(&path)
        .output()
        .expect("runs");
    assert!(
        !ansi(&auto),
        "auto: no colour when stdout is not a terminal"
    );
    let no_color = env
        .tollgate()
        .args(["--color", "always", "plan"])
        .arg(&path)
        .output()
        .expect("runs");
    assert!(!ansi(&no_color), "NO_COLOR wins over --color always");
}

#[test]
fn an_ambiguous_name_and_a_pin_that_matches_nothing_are_located_errors() {
    let env = Env::new(
        "usagePlans:\n  - { id: gold000001, name: Gold }\n  - { id: gold000002, name: Gold }\n",
    );
    let path = env.write(
        "plans.yaml",
        "usagePlans:\n  - name: Gold\n  - name: Silver\n    id: nosuchplan\n",
    );
    let output = env.run(&["apply", "--auto-approve"], &path);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    let located = |line: &str| stderr.lines().any(|l| l.starts_with(line));
    assert!(
        located(&format!("{}:2:", path.display())) && stderr.contains("gold000001, gold000002"),
        "{stderr}"
    );
    assert!(
        located(&format!("{}:3:", path.display())) && stderr.contains("nosuchplan"),
        "{stderr}"
    );
    assert_eq!(env.writes(), 0, "nothing is changed");
}

/// Gold with a quota and two keys, for the destructive-change test.
const QUOTA_AND_KEYS: &str = r#"
usagePlans:
  - id: gold000001
    name: Gold
    quota: { limit: 1000, period: MONTH }
    apiStages: [ { apiId: a1b2c3d4e5, stage: prod } ]
    keys: [key1, key2]
"#;

#[test]
fn a_lowered_quota_and_a_removed_key_are_shown_destructive_in_every_format() {
    let env = Env::new(QUOTA_AND_KEYS);
    let path = env.write(
        "gold.yaml",
        "usagePlans:\n  - name: Gold\n    quota: { limit: 500, period: MONTH }\n    \
         apiStages: [ { apiId: a1b2c3d4e5, stage: prod } ]\n    keys: [ { id: key1 } ]\n",
    );

    let plan = env.plan_json(&path);
    let changes = plan["changes"].as_array().expect("changes");
    let shown: Vec<(&str, &serde_json::Value, &serde_json::Value)> = changes
        .iter()
        .map(|change| {
            (
                change["action"].as_str().unwrap_or_default(),
                &change["destructive"],
                &change["reason"],
            )
        })
        .collect();
    assert_eq!(
        shown,
        [
            (
                "update",
                &serde_json::json!(true),
                &serde_json::json!("quota limit lowered from 1,000 to 500")
            ),
            (
                "remove-key",
                &serde_json::json!(true),
                &serde_json::json!("key key2 removed: it loses access to the plan's stages")
            ),
        ],
        "{plan:#}"
    );
    assert_eq!(plan["summary"]["destructive"], 2, "{plan:#}");

    let text = env.run(&["plan"], &path);
    assert!(text.status.success());
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(
        text.contains(
            "Plan: 2 changes (0 to create, 1 to update, 1 key), 2 destructive; 0 unchanged"
        ),
        "{text}"
    );
    assert!(
        text.contains(
            "    quota.limit  1,000 → 500 per MONTH  # destructive: quota limit lowered from 1,000 \
             to 500\n"
        ),
        "{text}"
    );
    assert!(
        text.contains("    - key key2  # destructive: key key2 removed"),
        "{text}"
    );

    let markdown = env.run(&["plan", "--format", "markdown"], &path);
    let markdown = String::from_utf8_lossy(&markdown.stdout);
    assert!(markdown.contains(", 2 destructive; "), "{markdown}");
    assert!(markdown.contains("> [!CAUTION]"), "{markdown}");
    assert_eq!(env.writes(), 0, "plan changes nothing");
}

/// The scheduled drift check leads with one line per drifted field, at its line in the YAML.
#[test]
fn the_drift_check_leads_with_one_line_per_drifted_field() {
    let env = Env::new("");
    env.write(
        "plans/silver.yaml",
        "# Small businesses.\nusagePlans:\n  - name: Silver\n    description: Small businesses\n    throttle: { rateLimit: 20, burstLimit: 40 }\n    quota: { limit: 100000, period: MONTH }\n    apiStages: [ { apiId: a1b2c3d4e5, stage: prod } ]\n",
    );
    let check = || {
        env.tollgate()
            .args(["plan", "--detailed-exitcode", "plans/silver.yaml"])
            .output()
            .expect("tollgate runs")
    };
    assert_eq!(
        check().status.code(),
        Some(2),
        "Silver is to create: a change"
    );
    env.tollgate()
        .args(["apply", "--auto-approve", "plans/silver.yaml"])
        .assert()
        .success();
    let id = env.plan_id("Silver");
    env.block_on(
        env.sdk()
            .update_usage_plan()
            .usage_plan_id(&id)
            .patch_operations(
                aws_sdk_apigateway::types::PatchOperation::builder()
                    .op(aws_sdk_apigateway::types::Op::Replace)
                    .path("/quota/limit")
                    .value("250000")
                    .build(),
            )
            .send(),
    )
    .expect("UpdateUsagePlan");
    let output = check();
    assert_eq!(output.status.code(), Some(2));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(
        stdout.lines().next(),
        Some("Silver: quota limit is 250,000 live, 100,000 in plans/silver.yaml:6"),
        "{stdout}"
    );
    // Without --detailed-exitcode, the plan alone.
    let plain = env
        .tollgate()
        .args(["plan", "plans/silver.yaml"])
        .output()
        .expect("tollgate runs");
    assert!(String::from_utf8_lossy(&plain.stdout).starts_with("Region: us-east-1"));
}

/// `plan --format github`: one annotation per changed field at its line and column in the
/// YAML (a warning for a destructive one), the text plan for the log, and the Markdown plan
/// in the job summary.
#[test]
fn plan_for_github_annotates_each_changed_field_at_its_place() {
    let env = Env::new(
        "usagePlans:
  - id: silver0001
    name: Silver
    description: Small businesses
    quota: { limit: 250000, offset: 0, period: MONTH }
",
    );
    env.write(
        "plans/silver.yaml",
        "usagePlans:\n  - name: Silver\n    description: \"50% off, for: now\"\n    quota: { limit: 100000, period: MONTH }\n",
    );
    env.write("plans/trial.yaml", "usagePlans:\n  - name: Trial\n");
    let summary = env.dir.path().join("summary.md");
    let output = env
        .tollgate()
        .args(["plan", "--format", "github", "plans"])
        .env("GITHUB_STEP_SUMMARY", &summary)
        .output()
        .expect("tollgate runs");
    assert_eq!(output.status.code(), Some(0));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let commands: Vec<&str> = stdout
        .lines()
        .filter(|line| line.starts_with("::"))
        .collect();
    assert_eq!(
        commands,
        [
            "::warning file=plans/silver.yaml,line=4,col=5,title=tollgate plan::will lower \
             Silver's quota limit from 250,000 to 100,000 (destructive: quota limit lowered \
             from 250,000 to 100,000)",
            "::notice file=plans/silver.yaml,line=3,col=5,title=tollgate plan::will change \
             Silver's description from \"Small businesses\" to \"50%25 off, for: now\"",
            "::notice file=plans/trial.yaml,line=2,col=11,title=tollgate plan::will create the \
             usage plan Trial",
        ],
        "{stdout}"
    );
    assert!(
        stdout.contains("Region: us-east-1"),
        "the text plan follows for the log"
    );
    // Run from another folder, the files are named from the repository's root.
    let elsewhere = env
        .tollgate()
        .current_dir(env.dir.path().join("plans"))
        .args(["plan", "--format", "github", "."])
        .env("GITHUB_WORKSPACE", env.dir.path())
        .output()
        .expect("tollgate runs");
    let from_root = String::from_utf8_lossy(&elsewhere.stdout);
    assert!(
        from_root.starts_with("::warning file=plans/silver.yaml,line=4,col=5,"),
        "{from_root}"
    );
    let written = std::fs::read_to_string(&summary).expect("the job summary");
    assert!(
        written.starts_with("### tollgate plan for us-east-1"),
        "{written}"
    );

    // A summary with no room left gets a notice instead of a broken plan.
    std::fs::write(&summary, "x".repeat(1024 * 1024 - 300)).expect("fill the summary");
    env.tollgate()
        .args(["plan", "--format", "github", "plans"])
        .env("GITHUB_STEP_SUMMARY", &summary)
        .assert()
        .success();
    let written = std::fs::read_to_string(&summary).expect("the job summary");
    assert!(
        written.ends_with("see the step's log.\n") && written.len() <= 1024 * 1024,
        "{}",
        &written[written.len() - 200..]
    );
}

/// `validate --format github`: each error also as an `::error` command at its place.
#[test]
fn validate_for_github_annotates_each_error() {
    let env = Env::new("");
    env.write(
        "plans/gold.yaml",
        "usagePlans:\n  - name: Gold\n    quotas: { limit: 1 }\n",
    );
    let output = env
        .tollgate()
        .args(["validate", "--format", "github", "plans"])
        .output()
        .expect("tollgate runs");
    assert_eq!(output.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.starts_with(
            "::error file=plans/gold.yaml,line=3,col=5,title=tollgate validate::unknown field \
             `quotas`"
        ),
        "{stdout}"
    );
    assert!(String::from_utf8_lossy(&output.stderr).contains("plans/gold.yaml:3:5: "));
}
