//! Shared set-up of the end-to-end tests: the emulator started in-process on an ephemeral
//! port, a scratch folder for YAML, the real `tollgate` binary pointed at the emulator, and
//! the real SDK client for looking behind tollgate's back.

#![allow(dead_code)] // each test file uses its own part of this module

pub mod workflow_commands;

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use aws_sdk_apigateway::Client;
use tempfile::TempDir;
use tollgate_sim::{BlockingSim, ClockMode, Config, Faults, Seed};
use tollgate_testkit::sdk_client;

/// Two REST APIs and three API keys: what the tests' plans refer to.
pub const BASE_SEED: &str = r#"
region: us-east-1
restApis:
  - id: a1b2c3d4e5
    name: pets
    stages: [prod, beta]
    resources:
      /pets: [GET, POST]
      /pets/{petId}: [GET, DELETE]
  - id: k9l8m7n6o5
    name: orders
    stages: [prod]
    resources:
      /orders: [GET, POST]
apiKeys:
  - { id: key1, name: one, value: value-one-0000000000000000000000000001 }
  - { id: key2, name: two, value: value-two-0000000000000000000000000002 }
  - { id: key3, name: three, value: value-three-00000000000000000000000003 }
"#;

/// Gold and Silver, which share the stage a1b2c3d4e5:prod; key3 is on Silver, so AWS
/// refuses to put it on Gold too (409).
pub const SHARED_STAGE_PLANS: &str = r#"
usagePlans:
  - id: gold000001
    name: Gold
    throttle: { rateLimit: 100, burstLimit: 200 }
    apiStages: [ { apiId: a1b2c3d4e5, stage: prod } ]
  - id: silver0001
    name: Silver
    throttle: { rateLimit: 10, burstLimit: 20 }
    apiStages: [ { apiId: a1b2c3d4e5, stage: prod } ]
    keys: [key3]
"#;

/// A running emulator, a scratch folder, and a runtime for SDK calls.
pub struct Env {
    /// The emulator.
    pub sim: BlockingSim,
    /// Scratch space for YAML and outputs.
    pub dir: TempDir,
    runtime: tokio::runtime::Runtime,
}

impl Env {
    /// The emulator seeded with [`BASE_SEED`] plus `plans_yaml` (a `usagePlans:` block, or "").
    pub fn new(plans_yaml: &str) -> Env {
        Env::with_config(plans_yaml, Config::default())
    }

    /// Like [`Env::new`], with the emulator's quotas, faults or clock configured.
    pub fn with_config(plans_yaml: &str, config: Config) -> Env {
        Env::from_seed(&format!("{BASE_SEED}\n{plans_yaml}"), config)
    }

    /// The emulator seeded with `seed` alone (no [`BASE_SEED`]).
    pub fn from_seed(seed: &str, mut config: Config) -> Env {
        config.seed = Some(Seed::from_yaml_str(seed).expect("the test seed is valid"));
        let sim = BlockingSim::start(config).expect("the emulator starts");
        Env {
            sim,
            dir: tempfile::tempdir().expect("a scratch folder"),
            runtime: tokio::runtime::Runtime::new().expect("a runtime"),
        }
    }

    /// Writes `yaml` to `name` in the scratch folder and returns its path.
    pub fn write(&self, name: &str, yaml: &str) -> PathBuf {
        let path = self.dir.path().join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("create folder");
        }
        std::fs::write(&path, yaml).expect("write YAML");
        path
    }

    /// The `tollgate` binary, run in the scratch folder against the emulator with dummy
    /// credentials, nothing from the user's own AWS configuration, and no pacing.
    pub fn tollgate(&self) -> Command {
        tollgate_against(&self.sim.endpoint(), self.dir.path())
    }

    /// Like [`Env::tollgate`], as a plain process to spawn and signal.
    pub fn tollgate_process(&self) -> std::process::Command {
        tollgate_process_against(&self.sim.endpoint(), self.dir.path())
    }

    /// `program` run like [`Env::tollgate`] (in the scratch folder, against the emulator,
    /// isolated), with `TOLLGATE` naming the binary: for the scripts that run tollgate.
    pub fn script(&self, program: &Path) -> Command {
        let mut command = std::process::Command::new(program);
        isolate(&mut command, &self.sim.endpoint(), self.dir.path());
        command.env("TOLLGATE", assert_cmd::cargo::cargo_bin("tollgate"));
        Command::from_std(command)
    }

    /// Runs `tollgate ARGS PATH` to completion.
    pub fn run(&self, args: &[&str], path: &Path) -> std::process::Output {
        self.tollgate()
            .args(args)
            .arg(path)
            .output()
            .expect("tollgate runs")
    }

    /// The JSON plan for the YAML at `path`.
    pub fn plan_json(&self, path: &Path) -> serde_json::Value {
        stdout_json(&self.run(&["plan", "--format", "json"], path))
    }

    /// Applies the YAML at `path`, which must succeed.
    pub fn apply(&self, path: &Path) {
        self.tollgate()
            .args(["apply", "--auto-approve"])
            .arg(path)
            .assert()
            .success();
    }

    /// Asserts that the live plans equal the YAML at `path`: the drift check exits 0.
    pub fn assert_in_sync(&self, path: &Path) {
        self.tollgate()
            .args(["plan", "--detailed-exitcode"])
            .arg(path)
            .assert()
            .code(0);
    }

    /// `text` with the emulator's URL written `http://127.0.0.1:PORT`: plans name the
    /// endpoint, and the port changes from run to run, so snapshots hold this.
    pub fn masked(&self, text: &str) -> String {
        text.replace(&self.sim.endpoint(), "http://127.0.0.1:PORT")
    }

    /// The real SDK client, talking to the emulator.
    pub fn sdk(&self) -> Client {
        sdk_client(&self.sim.endpoint())
    }

    /// Runs a future (an SDK call) to completion.
    pub fn block_on<F: std::future::Future>(&self, future: F) -> F::Output {
        self.runtime.block_on(future)
    }

    /// The number of calls the emulator has served for `operation`.
    pub fn calls(&self, operation: &str) -> u64 {
        self.sim.calls().get(operation).copied().unwrap_or(0)
    }

    /// The total number of calls, reads and writes, the emulator has served.
    pub fn total_calls(&self) -> u64 {
        self.sim.calls().values().sum()
    }

    /// The total number of write calls (anything but Get*) the emulator has served.
    pub fn writes(&self) -> u64 {
        self.sim
            .calls()
            .iter()
            .filter(|(operation, _)| !operation.starts_with("Get"))
            .map(|(_, n)| n)
            .sum()
    }

    /// One live plan as the SDK reads it.
    pub fn plan(
        &self,
        id: &str,
    ) -> aws_sdk_apigateway::operation::get_usage_plan::GetUsagePlanOutput {
        self.block_on(self.sdk().get_usage_plan().usage_plan_id(id).send())
            .expect("GetUsagePlan")
    }

    /// The ids of the API keys on the live plan `plan_id`, sorted.
    pub fn plan_key_ids(&self, plan_id: &str) -> Vec<String> {
        let keys = self
            .block_on(
                self.sdk()
                    .get_usage_plan_keys()
                    .usage_plan_id(plan_id)
                    .send(),
            )
            .expect("GetUsagePlanKeys");
        let mut ids: Vec<String> = keys
            .items()
            .iter()
            .filter_map(|key| key.id().map(str::to_string))
            .collect();
        ids.sort();
        ids
    }

    /// The id of the live plan named `name`.
    pub fn plan_id(&self, name: &str) -> String {
        let plans = self
            .block_on(self.sdk().get_usage_plans().limit(500).send())
            .expect("GetUsagePlans");
        plans
            .items()
            .iter()
            .find(|plan| plan.name() == Some(name))
            .and_then(|plan| plan.id())
            .unwrap_or_else(|| panic!("no live plan named {name}"))
            .to_string()
    }
}

/// The `tollgate` binary against `endpoint`, in `dir`, isolated from the user's AWS setup.
pub fn tollgate_against(endpoint: &str, dir: &Path) -> Command {
    Command::from_std(tollgate_process_against(endpoint, dir))
}

/// Like [`tollgate_against`], as a plain process to spawn, signal or measure.
pub fn tollgate_process_against(endpoint: &str, dir: &Path) -> std::process::Command {
    let mut command = std::process::Command::new(assert_cmd::cargo::cargo_bin("tollgate"));
    isolate(&mut command, endpoint, dir);
    command
}

/// Runs `command` in `dir` against `endpoint` with dummy credentials, nothing from the
/// user's own AWS configuration, and no pacing.
fn isolate(command: &mut std::process::Command, endpoint: &str, dir: &Path) {
    command
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", dir)
        .env("AWS_ACCESS_KEY_ID", "AKIDTOLLGATETEST")
        .env("AWS_SECRET_ACCESS_KEY", "tollgate-test-secret")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ENDPOINT_URL", endpoint)
        .env("AWS_CONFIG_FILE", dir.join("no-aws-config"))
        .env(
            "AWS_SHARED_CREDENTIALS_FILE",
            dir.join("no-aws-credentials"),
        )
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("NO_COLOR", "1")
        // The emulator's quotas are off unless a test turns them on: no need to pace.
        .env("TOLLGATE_PACE", "none");
}

impl Env {
    /// Runs `tollgate ARGS` with a terminal as its standard input (through util-linux
    /// `script`), typing `answer` at it; returns what the terminal showed.
    pub fn run_on_terminal(&self, args: &[&str], answer: &str) -> std::process::Output {
        self.run_on_terminal_with(&[], args, answer)
    }

    /// Like [`Env::run_on_terminal`], with the variables `env` set (`TERM`, say).
    pub fn run_on_terminal_with(
        &self,
        env: &[(&str, &str)],
        args: &[&str],
        answer: &str,
    ) -> std::process::Output {
        let binary = assert_cmd::cargo::cargo_bin("tollgate");
        let line: Vec<String> = std::iter::once(binary.display().to_string())
            .chain(args.iter().map(|arg| arg.to_string()))
            .map(|word| format!("'{word}'"))
            .collect();
        let mut command = std::process::Command::new("script");
        command.args(["-qec", &line.join(" "), "/dev/null"]);
        isolate(&mut command, &self.sim.endpoint(), self.dir.path());
        command.envs(env.iter().copied());
        let mut child = command
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("util-linux `script` runs");
        if let Some(mut stdin) = child.stdin.take() {
            use std::io::Write as _;
            stdin.write_all(answer.as_bytes()).expect("type the answer");
        }
        child.wait_with_output().expect("the terminal session ends")
    }
}

/// The outputs a GitHub Actions step wrote to its `GITHUB_OUTPUT` file (`name=value` lines).
pub fn step_outputs(github_output: &Path) -> std::collections::BTreeMap<String, String> {
    std::fs::read_to_string(github_output)
        .expect("GITHUB_OUTPUT")
        .lines()
        .filter_map(|line| line.split_once('='))
        .map(|(key, value)| (key.to_string(), value.to_string()))
        .collect()
}

/// Parses a command's stdout as JSON.
pub fn stdout_json(output: &std::process::Output) -> serde_json::Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|error| {
        panic!(
            "stdout is not JSON ({error}):\n{}\nstderr:\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    })
}

/// The emulator's clock in the fault tests: a fixed instant (2026-11-23T12:00:00Z).
pub const FAULT_CLOCK: i64 = 1_795_435_200;

/// An emulator seeded with `live` where the first request of `operation` meets `fault` (set
/// on the given `Faults` at a rate of one half) and the next four do not: seed 85 draws
/// 0.43, then 0.86, 0.74, 0.72 and 0.56. Its clock stands at [`FAULT_CLOCK`].
pub fn first_call_faulted(live: &str, operation: &str, fault: fn(&mut Faults, f64)) -> Env {
    let mut faults = Faults {
        seed: 85,
        operations: vec![operation.to_string()],
        ..Faults::default()
    };
    fault(&mut faults, 0.5);
    Env::with_config(
        live,
        Config {
            faults: Some(faults),
            clock: ClockMode::Manual { start: FAULT_CLOCK },
            ..Config::default()
        },
    )
}

/// The answer is lost after the work is done.
pub fn lost(faults: &mut Faults, rate: f64) {
    faults.lost_rate = rate;
}
