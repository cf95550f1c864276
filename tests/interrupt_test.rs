//! End to end: Ctrl-C (SIGINT) during a long paced apply stops it cleanly: no new change
//! starts, the changes in flight finish (two key moves under way reach their new plans, no
//! grant record is left pending without its call), it says what was and was not done and
//! exits 1; apply again finishes the job with nothing done twice.

mod common;

use std::fmt::Write as _;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Stdio};

use common::Env;
use tollgate_sim::{Config, Faults, Quotas};

/// Six plans on their own stages with one key each; Gold and Silver share pets/prod.
fn live() -> String {
    let mut live = String::from(
        "usagePlans:\n  - { id: gold000001, name: Gold, quota: { limit: 100, offset: 0, period: MONTH }, \
         apiStages: [ { apiId: a1b2c3d4e5, stage: prod } ], keys: [key1] }\n  \
         - { id: silver0001, name: Silver, apiStages: [ { apiId: a1b2c3d4e5, stage: prod } ], keys: [key2] }\n",
    );
    for plan in 0..6 {
        let _ = writeln!(
            live,
            "  - {{ id: slow{plan:06}, name: slow{plan}, throttle: {{ rateLimit: 1, burstLimit: 1 }} }}"
        );
    }
    live
}

/// Gold gains a stage (the first paced update); every slow plan's throttle changes (one paced
/// update each); key1 and key2 swap between Gold and Silver (key2's move waits for Gold's
/// update); key2 gets a grant on Gold.
fn desired() -> String {
    let mut yaml = String::from(
        "usagePlans:\n  - name: Gold\n    quota: { limit: 100, period: MONTH }\n    \
         apiStages: [ { apiId: a1b2c3d4e5, stage: prod }, { apiId: k9l8m7n6o5, stage: prod } ]\n    \
         keys: [ { id: key2, grants: [ { id: SUP-9, remaining: 500 } ] } ]\n  \
         - name: Silver\n    apiStages: [ { apiId: a1b2c3d4e5, stage: prod } ]\n    keys: [ { id: key1 } ]\n",
    );
    for plan in 0..6 {
        let _ = writeln!(
            yaml,
            "  - name: slow{plan}\n    throttle: {{ rateLimit: 2, burstLimit: 1 }}"
        );
    }
    yaml
}

/// The plans each key is on.
fn plans_of(env: &Env, key: &str) -> Vec<String> {
    ["gold000001", "silver0001"]
        .into_iter()
        .filter(|plan| {
            env.block_on(
                env.sdk()
                    .get_usage_plan_key()
                    .usage_plan_id(*plan)
                    .key_id(key)
                    .send(),
            )
            .is_ok()
        })
        .map(str::to_string)
        .collect()
}

/// The emulator with AWS's quotas 20 times faster (one UpdateUsagePlan a second) and every
/// answer `latency_ms` late, the YAML written, and `tollgate apply` started on it.
fn paced_apply(latency_ms: u64) -> (Env, PathBuf, Child) {
    let env = Env::with_config(
        &live(),
        Config {
            quotas: Some(Quotas { speedup: 20.0 }),
            faults: Some(Faults {
                latency_ms,
                ..Faults::default()
            }),
            ..Config::default()
        },
    );
    let path = env.write("plans.yaml", &desired());
    let child = env
        .tollgate_process()
        .env("TOLLGATE_PACE", "aws:20")
        .args(["apply", "--auto-approve"])
        .arg(&path)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("tollgate starts");
    (env, path, child)
}

/// Reads the child's stderr to its end, calling `on_line` on each line, and waits for it;
/// returns what it printed and its exit code.
fn watch(mut child: Child, mut on_line: impl FnMut(&str, &str)) -> (String, Option<i32>) {
    let pid = child.id().to_string();
    let stderr = child.stderr.take().expect("stderr is piped");
    let mut seen = String::new();
    for line in BufReader::new(stderr).lines() {
        let line = line.expect("a line of stderr");
        on_line(&line, &pid);
        seen.push_str(&line);
        seen.push('\n');
    }
    let status = child.wait().expect("tollgate exits");
    (seen, status.code())
}

/// Sends the signal `name` (`-INT`, `-TERM`) to the process `pid`.
fn signal(name: &str, pid: &str) {
    let sent = std::process::Command::new("kill")
        .args([name, pid])
        .status()
        .expect("kill runs");
    assert!(sent.success());
}

#[test]
fn sigint_during_a_paced_apply_stops_cleanly_and_apply_again_finishes() {
    // Every answer takes 400 ms, so each key move (two calls) is under way for 800 ms.
    let (env, path, child) = paced_apply(400);
    // Interrupt once Gold's update is done: key1's move (started at once) and key2's (started
    // now) are under way, and the slow plans' updates wait for their slots.
    let (seen, code) = watch(child, |line, pid| {
        if line.starts_with("Gold (gold000001): updated") {
            signal("-INT", pid);
        }
    });
    assert_eq!(code, Some(1), "{seen}");
    assert!(seen.contains("Interrupted: no new change starts"), "{seen}");
    assert!(seen.contains("Apply interrupted:"), "{seen}");
    assert!(seen.contains("not started"), "{seen}");
    assert_eq!(
        env.calls("UpdateUsagePlan"),
        1,
        "the updates after the interrupt were not started: {seen}"
    );
    // The moves under way finished: each key is on its new plan, none between plans.
    assert_eq!(plans_of(&env, "key1"), ["silver0001"], "{seen}");
    assert_eq!(plans_of(&env, "key2"), ["gold000001"], "{seen}");
    assert!(seen.contains("moved key key2 here from"), "{seen}");
    // The grant waits for key2's move: not started, no record pending.
    let tags = env.plan("gold000001").tags().cloned().unwrap_or_default();
    assert_eq!(tags.get("tollgate:grant:key2:SUP-9"), None, "{seen}");
    assert_eq!(env.sim.carried_out().get("UpdateUsage"), None, "{seen}");

    // Apply again finishes; the grant reached UpdateUsage once in all.
    env.tollgate()
        .env("TOLLGATE_PACE", "aws:20")
        .args(["apply", "--auto-approve"])
        .arg(&path)
        .assert()
        .success();
    env.assert_in_sync(&path);
    assert_eq!(plans_of(&env, "key1"), ["silver0001"]);
    assert_eq!(plans_of(&env, "key2"), ["gold000001"]);
    assert_eq!(env.sim.carried_out().get("UpdateUsage").copied(), Some(1));
    // (The second run's first update may draw a 429 from the quota the first run used:
    // count what was carried out.)
    assert_eq!(
        env.sim.carried_out().get("UpdateUsagePlan").copied(),
        Some(7),
        "each update made once"
    );
}

#[test]
fn sigterm_stops_like_ctrl_c_and_a_second_signal_exits_at_once_with_130() {
    // Every answer takes a second: when Gold's update is done, key2's move (two calls) has
    // just started and keeps the apply busy after the first signal.
    let (_env, _path, child) = paced_apply(1000);
    let (seen, code) = watch(child, |line, pid| {
        if line.starts_with("Gold (gold000001): updated") {
            signal("-TERM", pid);
        }
        if line.starts_with("Interrupted: no new change starts") {
            signal("-INT", pid);
        }
    });
    assert_eq!(code, Some(130), "{seen}");
    assert!(seen.contains("Interrupted again: exiting now"), "{seen}");
}
