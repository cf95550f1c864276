//! Nothing tollgate prints can command the GitHub Actions runner: live plans, keys and tags
//! whose names, descriptions and values hold workflow commands (`::stop-commands::`,
//! `::error::`, `##[error]`, a `\r` before `::warning::`) and characters that reorder or hide
//! text (U+202E, U+2028, zero-width ones) are planned, shown, saved, applied and checked for
//! drift as the Action does it, and the whole of stdout and stderr is read line by line as the
//! runner reads it (tests/common/workflow_commands.rs).

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Output;

use common::workflow_commands::{self, Command};
use common::Env;
use tollgate_sim::{Config, Faults, Refusal, SimError};

/// Text from AWS: every way into the runner, on lines of its own and hidden in others.
const HOSTILE: &str = "::stop-commands::x\n::error::pwned\n  ##[error]pwned\r::warning::x\r\n\
                       \u{202e}desrever \u{2028}::error::sep \u{200b}zw\u{feff} \u{1b}[31mred \
                       \u{85}::debug::nel \u{2066}iso\u{0}";

/// A name: one line of printable characters (what the YAML allows), still full of commands.
const HOSTILE_NAME: &str = "::error::pwned ##[error]pwned \u{202e}eman @octocat";

/// Another name that starts with a separator the runner trims, then stops commands.
const STOPPING_NAME: &str = "\u{2028}::stop-commands::x \u{200b}";

/// A REST API's name, which plans show beside its stages.
const API_NAME: &str = "##[error]api \u{202e}ipa @octocat";

/// `text` as a YAML double-quoted scalar: everything but printable ASCII escaped.
fn yaml(text: &str) -> String {
    let mut quoted = String::from("\"");
    for character in text.chars() {
        match character {
            '"' | '\\' => {
                quoted.push('\\');
                quoted.push(character);
            }
            ' '..='~' => quoted.push(character),
            other if u32::from(other) <= 0xffff => {
                quoted.push_str(&format!("\\u{:04x}", u32::from(other)))
            }
            other => quoted.push_str(&format!("\\U{:08x}", u32::from(other))),
        }
    }
    quoted.push('"');
    quoted
}

/// The live account: a REST API and a key with hostile names; Gold with a hostile
/// description, product code and tags; a plan with a hostile name; unmanaged plans with
/// hostile names.
fn seed() -> String {
    format!(
        r#"
region: us-east-1
restApis:
  - id: a1b2c3d4e5
    name: {api_name}
    stages: [prod, beta]
    resources:
      /pets: [GET, POST]
apiKeys:
  - {{ id: key1, name: {key_name}, value: value-one-0000000000000000000000000001 }}
  - {{ id: key2, name: two, value: value-two-0000000000000000000000000002 }}
usagePlans:
  - id: gold000001
    name: Gold
    description: {hostile}
    productCode: {hostile}
    quota: {{ limit: 1000, offset: 0, period: MONTH }}
    apiStages: [ {{ apiId: a1b2c3d4e5, stage: prod }} ]
    tags: {{ {tag_key}: {hostile}, team: payments }}
    keys: [key1]
  - id: named00001
    name: {name}
    throttle: {{ rateLimit: 10, burstLimit: 20 }}
  - id: unmanaged1
    name: {hostile}
  - id: unmanaged2
    name: "::stop-commands::x"
"#,
        hostile = yaml(HOSTILE),
        key_name = yaml(HOSTILE_NAME),
        tag_key = yaml("::error::tag ##[error]tag \u{202e}"),
        name = yaml(HOSTILE_NAME),
        api_name = yaml(API_NAME),
    )
}

/// The YAML: the key with the hostile name changed and a key whose name stops commands
/// created; Gold changed everywhere (its stage named by the hostile API name, its key
/// replaced by the new key, a stage added), the plan with the hostile name throttled harder, and a new plan
/// whose name stops commands.
fn desired() -> String {
    format!(
        r#"apiKeys:
  - name: {name}
    description: {description}
    customerId: {stopping}
  - name: {stopping}
    tags: {{ {tag_key}: {name} }}
usagePlans:
  - name: Gold
    description: {description}
    productCode: {name}
    quota: {{ limit: 500, period: MONTH }}
    apiStages: [ {{ api: {api_name}, stage: prod }}, {{ api: {api_name}, stage: beta }} ]
    tags: {{ {tag_key}: {name}, team: {stopping} }}
    keys: [ {{ id: key2 }}, {{ name: {stopping} }} ]
  - name: {name}
    throttle: {{ rateLimit: 5, burstLimit: 20 }}
  - name: {stopping}
    quota: {{ limit: 10, period: DAY }}
"#,
        description = yaml(&HOSTILE.replace('\0', "")),
        name = yaml(HOSTILE_NAME),
        tag_key = yaml("::error::tag ##[error]tag \u{202e}"),
        stopping = yaml(STOPPING_NAME),
        api_name = yaml(API_NAME),
    )
}

fn hostile_env() -> Env {
    let env = Env::from_seed(&seed(), Config::default());
    env.write("plans/plans.yaml", &desired());
    env
}

/// Whether `command` is one of tollgate's own: an annotation titled by tollgate, or a group.
fn is_tollgates_own(command: &Command) -> bool {
    match command.name.as_str() {
        "group" | "endgroup" => true,
        "notice" | "warning" | "error" => command.properties.get("title").is_some_and(|title| {
            ["tollgate", "tollgate plan", "tollgate validate"].contains(&title.as_str())
        }),
        _ => false,
    }
}

/// Asserts that `log` (one stream of `view`) commands nothing but tollgate's own annotations
/// and groups, outside any stop-commands block, and that no line holds `##[` or a character
/// that could break, reorder or hide text.
fn assert_inert(view: &str, log: &str) {
    for (index, line) in workflow_commands::lines(log).into_iter().enumerate() {
        let forbidden = workflow_commands::forbidden_characters(line);
        assert!(
            forbidden.is_empty(),
            "{view}, line {}: raw {forbidden:?} in {line:?}\n{log}",
            index + 1
        );
        assert!(
            !line.contains("##["),
            "{view}, line {}: `##[` in {line:?}\n{log}",
            index + 1
        );
    }
    let reading = workflow_commands::read(log);
    for command in &reading.commands {
        assert!(
            is_tollgates_own(command) && !command.while_stopped,
            "{view}, line {}: the runner reads {command:?}\n{log}",
            command.line
        );
    }
    assert_eq!(reading.open_stop_token, None, "{view}\n{log}");
}

/// Asserts [`assert_inert`] of both streams of `output`.
fn assert_output_inert(view: &str, output: &Output) {
    assert_inert(
        &format!("{view} (stdout)"),
        &String::from_utf8_lossy(&output.stdout),
    );
    assert_inert(
        &format!("{view} (stderr)"),
        &String::from_utf8_lossy(&output.stderr),
    );
}

/// Both streams of `output`, for the failure messages.
fn both(output: &Output) -> String {
    format!(
        "stdout:\n{}\nstderr:\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

fn tollgate(env: &Env, args: &[&str]) -> Output {
    env.tollgate()
        .args(args)
        .env("GITHUB_WORKSPACE", env.dir.path())
        .output()
        .expect("tollgate runs")
}

#[test]
fn the_runner_is_read_as_actions_runner_reads_it() {
    use workflow_commands::{forbidden_characters, lines, read};
    let found = |log: &str| -> Vec<(String, String, bool)> {
        read(log)
            .commands
            .into_iter()
            .map(|command| (command.name, command.data, command.while_stopped))
            .collect()
    };
    let command =
        |name: &str, data: &str, stopped: bool| (name.to_string(), data.to_string(), stopped);
    assert_eq!(lines("a\nb\rc\r\nd\n\ne"), ["a", "b", "c", "d", "", "e"]);
    assert_eq!(lines("a\u{2028}b\u{85}c"), ["a\u{2028}b\u{85}c"]);
    assert_eq!(
        found("  ::error file=a%2Cb,line=3::x%0Ay\nno ::error::here\nsee ##[warning]w\n"),
        [
            command("error", "x\ny", false),
            command("warning", "w", false)
        ]
    );
    let annotation = &read("::notice file=a%2Cb,title=t%3A u::m\n").commands[0];
    assert_eq!(annotation.properties["file"], "a,b");
    assert_eq!(annotation.properties["title"], "t: u");
    // U+2028 and U+0085 are whitespace to the runner, not line ends.
    assert_eq!(
        found("\u{2028}::ERROR::p\n\u{85}\t::debug::d\n"),
        [command("ERROR", "p", false), command("debug", "d", false)]
    );
    assert_eq!(found("::unknown::x\n::error\n##[error\n:: error::x\n"), []);
    // stop-commands holds every command until its token comes back.
    assert_eq!(
        found("::stop-commands::tok\n::error::held\n::tok::\n::error::live\n"),
        [
            command("stop-commands", "tok", false),
            command("error", "held", true),
            command("tok", "", true),
            command("error", "live", false),
        ]
    );
    let reading = read("::stop-commands::x\n::error::pwned\n");
    assert_eq!(reading.open_stop_token.as_deref(), Some("x"));
    assert_eq!(reading.carried_out().count(), 1);
    assert_eq!(
        read("::stop-commands::error\n").open_stop_token,
        None,
        "a command's name stops nothing"
    );
    assert_eq!(forbidden_characters("plain ünï 計画 \u{1F600}"), []);
    assert_eq!(
        forbidden_characters("a\u{1b}b\u{202e}c\u{2028}d\u{200b}e\u{feff}f\u{85}\0"),
        ['\u{1b}', '\u{202e}', '\u{2028}', '\u{200b}', '\u{feff}', '\u{85}', '\0']
    );
    // What this file feeds tollgate is what the checks catch.
    for hostile in [HOSTILE, HOSTILE_NAME, STOPPING_NAME] {
        assert!(read(hostile).carried_out().count() > 0, "{hostile:?}");
    }
}

#[test]
fn every_view_of_a_plan_commands_nothing() {
    let env = hostile_env();
    for args in [
        &["plan", "--format", "github", "plans/"][..],
        &["plan", "plans/"],
        &["plan", "-v", "plans/"],
        &["plan", "--impact", "--format", "github", "plans/"],
        &["plan", "--detailed-exitcode", "plans/"],
        &["plan", "--format", "markdown", "plans/"],
        &["plan", "--format", "json", "plans/"],
        &["validate", "--format", "github", "plans/"],
    ] {
        let output = tollgate(&env, args);
        assert!(
            output.status.code().is_some_and(|code| code != 1),
            "{args:?}: {}",
            both(&output)
        );
        assert_output_inert(&args.join(" "), &output);
        if args[0] == "plan" {
            assert!(
                String::from_utf8_lossy(&output.stdout).contains("pwned"),
                "{args:?}: the hostile values are shown: {}",
                both(&output)
            );
        }
    }
}

#[test]
fn export_prints_no_hostile_text_and_writes_it_to_files() {
    let env = hostile_env();
    let printed = tollgate(&env, &["export"]);
    assert_eq!(printed.status.code(), Some(1), "{}", both(&printed));
    assert_output_inert("export", &printed);
    assert!(printed.stdout.is_empty(), "nothing of the YAML is printed");
    assert!(
        String::from_utf8_lossy(&printed.stderr).contains("tollgate export --out DIR"),
        "{}",
        both(&printed)
    );
    let written = tollgate(&env, &["export", "--out", "exported"]);
    assert!(written.status.success(), "{}", both(&written));
    assert_output_inert("export --out", &written);
    let files = std::fs::read_dir(env.dir.path().join("exported")).expect("exported files");
    assert!(files.count() > 0, "the plans are written to files");
}

#[test]
fn the_text_view_shows_each_hostile_value_escaped_where_it_is() {
    let env = hostile_env();
    let output = tollgate(&env, &["plan", "plans/"]);
    let text = String::from_utf8_lossy(&output.stdout);
    for line in [
        r"~ \u{3a}:error::pwned ##\u{5b}error]pwned \u{202e}eman @octocat (named00001, matched by name)",
        r"    + stage ##\u{5b}error]api \u{202e}ipa @octocat/beta",
        r"+ \u{2028}::stop-commands::x \u{200b} (new plan)",
        r"    \u{3a}:stop-commands::x (unmanaged2)",
    ] {
        assert!(text.lines().any(|shown| shown == line), "{line}\n{text}");
    }
}

#[test]
fn the_json_view_escapes_what_it_must_and_reads_back_the_same() {
    let env = hostile_env();
    let output = tollgate(&env, &["plan", "--format", "json", "plans/"]);
    let json = String::from_utf8_lossy(&output.stdout);
    assert!(
        json.contains(r"\u202e") && json.contains(r"##\u005b"),
        "{json}"
    );
    let unmanaged = common::stdout_json(&output)["unmanaged"].clone();
    let names: Vec<&str> = unmanaged
        .as_array()
        .expect("a list")
        .iter()
        .filter_map(|plan| plan["name"].as_str())
        .collect();
    assert!(
        names.contains(&HOSTILE),
        "the names as they are live: {names:?}"
    );
}

#[test]
fn show_of_a_saved_plan_commands_nothing() {
    let env = hostile_env();
    // The file's path holds commands too: tollgate names it when it saves and applies it.
    let saved = env.dir.path().join("##[error]pwned \u{202e}.plan");
    let file = saved.to_str().expect("UTF-8");
    let output = tollgate(&env, &["plan", "--out", file, "plans/"]);
    assert_eq!(output.status.code(), Some(0), "{}", both(&output));
    assert_output_inert("plan --out", &output);
    for args in [
        &["show", file][..],
        &["show", "-v", file],
        &["show", "--format", "markdown", file],
        &["show", "--format", "json", file],
    ] {
        let output = tollgate(&env, args);
        assert_eq!(output.status.code(), Some(0), "{args:?}: {}", both(&output));
        assert_output_inert(&args.join(" "), &output);
        assert!(
            String::from_utf8_lossy(&output.stdout).contains("pwned"),
            "{}",
            both(&output)
        );
    }
    let output = tollgate(&env, &["apply", "--auto-approve", file]);
    assert_eq!(output.status.code(), Some(0), "{}", both(&output));
    assert_output_inert("apply FILE", &output);
}

#[test]
fn apply_commands_nothing_as_it_runs_and_reports() {
    let env = hostile_env();
    let output = tollgate(&env, &["apply", "--auto-approve", "plans/"]);
    assert_output_inert("apply", &output);
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("pwned")
            || String::from_utf8_lossy(&output.stdout).contains("pwned"),
        "{}",
        both(&output)
    );
}

/// What one run of action/run.sh left: its streams and what it wrote to GITHUB_OUTPUT.
fn run_action(
    env: &Env,
    command: &str,
    vars: &[(&str, &str)],
) -> (Output, BTreeMap<String, String>) {
    let dir = env.dir.path();
    let github_output = dir.join("github-output");
    let summary = dir.join("step-summary");
    for file in [&github_output, &summary] {
        std::fs::write(file, "").expect("an empty file");
    }
    let temp = dir.join("runner-temp");
    std::fs::create_dir_all(&temp).expect("RUNNER_TEMP");
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("action/run.sh");
    let output = env
        .script(&script)
        .arg(command)
        .env("INPUT_PATHS", "plans/")
        .env("GITHUB_OUTPUT", &github_output)
        .env("GITHUB_STEP_SUMMARY", &summary)
        .env("GITHUB_WORKSPACE", dir)
        .env("RUNNER_TEMP", &temp)
        .env(
            "TOLLGATE_HEAD_SHA",
            "0123456789abcdef0123456789abcdef01234567",
        )
        .envs(vars.iter().copied())
        .output()
        .expect("the script runs");
    let outputs = common::step_outputs(&github_output);
    (output, outputs)
}

/// Asserts that no line of the file at `path` holds a character that breaks, reorders or hides
/// text.
fn assert_file_printable(what: &str, path: &Path) {
    let text = std::fs::read_to_string(path).expect(what);
    for line in workflow_commands::lines(&text) {
        assert_eq!(
            workflow_commands::forbidden_characters(line),
            [],
            "{what}: {line:?}"
        );
    }
}

#[test]
fn the_actions_plan_drift_and_apply_reports_command_nothing() {
    let env = hostile_env();
    let (drift, outputs) = run_action(&env, "drift", &[]);
    assert_eq!(outputs["drift"], "true", "{}", both(&drift));
    assert_output_inert("run.sh drift", &drift);
    assert!(
        String::from_utf8_lossy(&drift.stdout).contains("pwned"),
        "{}",
        both(&drift)
    );
    assert_file_printable("the drift issue", Path::new(&outputs["issue-file"]));

    let (plan, outputs) = run_action(&env, "plan", &[]);
    assert_eq!(outputs["exitcode"], "2", "{}", both(&plan));
    assert_output_inert("run.sh plan", &plan);
    assert_file_printable("the comment", Path::new(&outputs["comment-file"]));
    assert_file_printable("the job summary", &env.dir.path().join("step-summary"));

    let (apply, _) = run_action(
        &env,
        "apply",
        &[("TOLLGATE_PLAN_FILE", &outputs["plan-file"])],
    );
    assert_output_inert("run.sh apply", &apply);
}

#[test]
fn errors_that_name_hostile_text_command_nothing() {
    let env = hostile_env();
    // A file whose path and unknown field hold commands; the runner reads the error lines.
    let hostile_path = "plans/##[error]pwned \u{202e}.yaml";
    env.write(
        hostile_path,
        &format!(
            "usagePlans:\n  - name: Bronze\n    {}: 1\n",
            yaml("::error::pwned ##[error]field \u{202e}")
        ),
    );
    for args in [
        &["validate", "plans/"][..],
        &["validate", "--format", "github", "plans/"],
        &["plan", "--format", "github", "plans/"],
    ] {
        let output = tollgate(&env, args);
        assert_eq!(output.status.code(), Some(1), "{args:?}: {}", both(&output));
        assert_output_inert(&args.join(" "), &output);
        assert!(
            both(&output).contains("field"),
            "{args:?}: the error is shown: {}",
            both(&output)
        );
    }
    let (plan, _) = run_action(&env, "plan", &[]);
    assert_output_inert("run.sh plan", &plan);

    // Values the checks against the account refuse: an id pin no plan has, a stage the API
    // does not have.
    let env = hostile_env();
    env.write(
        "plans/plans.yaml",
        &format!(
            "usagePlans:\n  - name: Gold\n    id: {}\n  - name: Silver\n    apiStages: [ {{ apiId: a1b2c3d4e5, stage: {} }} ]\n",
            yaml("##[error]pin"),
            yaml("##[error]stage \u{202e}"),
        ),
    );
    for args in [
        &["plan", "plans/"][..],
        &["plan", "--format", "github", "plans/"],
    ] {
        let output = tollgate(&env, args);
        assert_eq!(output.status.code(), Some(1), "{args:?}: {}", both(&output));
        assert_output_inert(&args.join(" "), &output);
        assert!(
            both(&output).contains("pin"),
            "{args:?}: the error is shown: {}",
            both(&output)
        );
    }
}

/// The account seeded with the hostile plans, refusing every `operation` on a path holding
/// `path_contains` with a message full of commands, as a hostile endpoint could.
fn refusing(operation: &str, path_contains: &str) -> Env {
    let refusal = Refusal {
        operation: operation.into(),
        path_contains: path_contains.into(),
        error: SimError::bad_request(HOSTILE),
    };
    let faults = Faults {
        refusals: vec![refusal],
        ..Faults::default()
    };
    let env = Env::from_seed(
        &seed(),
        Config {
            faults: Some(faults),
            ..Config::default()
        },
    );
    env.write("plans/plans.yaml", &desired());
    env
}

#[test]
fn aws_error_messages_command_nothing() {
    // A read refused: the plan and the drift check fail with AWS's message.
    let env = refusing("GetUsagePlans", "");
    for args in [
        &["plan", "plans/"][..],
        &["plan", "--format", "github", "plans/"],
    ] {
        let output = tollgate(&env, args);
        assert_eq!(output.status.code(), Some(1), "{args:?}: {}", both(&output));
        assert_output_inert(&args.join(" "), &output);
        assert!(
            both(&output).contains("pwned"),
            "{args:?}: AWS's message is shown: {}",
            both(&output)
        );
    }
    let (drift, outputs) = run_action(&env, "drift", &[]);
    assert_eq!(outputs["exitcode"], "1", "{}", both(&drift));
    assert_output_inert("run.sh drift", &drift);

    // A write refused: apply reports AWS's message.
    let env = refusing("UpdateUsagePlan", "gold000001");
    let output = tollgate(&env, &["apply", "--auto-approve", "plans/"]);
    assert_eq!(output.status.code(), Some(1), "{}", both(&output));
    assert_output_inert("apply", &output);
    assert!(
        both(&output).contains("pwned"),
        "AWS's message is shown: {}",
        both(&output)
    );
}

#[test]
fn colours_tollgate_writes_itself_still_work_around_escaped_values() {
    let env = hostile_env();
    let output = env
        .tollgate()
        .args(["--color", "always", "plan", "plans/"])
        .env_remove("NO_COLOR")
        .output()
        .expect("tollgate runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let (plain, painted) = without_sgr(&stdout);
    assert!(painted > 0, "tollgate's own colours: {stdout}");
    assert_inert("plan --color always (colours removed)", &plain);
    assert!(
        plain.contains(r"\u{1b}[31mred"),
        "the description's escape is shown, not obeyed: {plain}"
    );
}

/// `text` without its ANSI colour sequences (SGR: ESC `[` digits and `;` then `m`), and how
/// many there were.
fn without_sgr(text: &str) -> (String, usize) {
    let mut plain = String::with_capacity(text.len());
    let mut count = 0;
    let mut rest = text;
    while let Some(start) = rest.find("\u{1b}[") {
        plain.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let params = after
            .find(|c: char| !(c.is_ascii_digit() || c == ';'))
            .unwrap_or(after.len());
        if after[params..].starts_with('m') {
            count += 1;
            rest = &after[params + 1..];
        } else {
            plain.push_str("\u{1b}[");
            rest = after;
        }
    }
    plain.push_str(rest);
    (plain, count)
}
