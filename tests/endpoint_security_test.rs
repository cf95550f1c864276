//! End to end: the endpoint rule. An endpoint from any source (the project file,
//! `--endpoint-url`, the `AWS_ENDPOINT_URL*` variables, a profile's `endpoint_url` and
//! `services`) that is neither AWS's own nor this machine is refused before any request, STS
//! included, until `TOLLGATE_ALLOW_ENDPOINTS` lists it; then each client goes where that
//! source says. Every view of a plan shows the account and the region, and an endpoint that
//! is not AWS's own, marked.
//!
//! A "remote" server is a loopback listener named `0.0.0.0:PORT`, which tollgate does not
//! count as this machine; the kernel still delivers the connection to the listener, so a
//! request that got out would be counted.

mod common;

use std::io::ErrorKind;
use std::net::TcpListener;
use std::path::Path;

use assert_cmd::Command;
use common::{stdout_json, Env};
use serde_json::json;

/// One plan to create: enough for a plan to read and show something.
const PLANS: &str =
    "usagePlans:\n  - name: Gold\n    throttle: { rateLimit: 10, burstLimit: 20 }\n";

/// The account the emulator answers for.
const ACCOUNT: &str = "123456789012";

/// A loopback listener standing for a remote server that records what reaches it.
struct Recorder {
    listener: TcpListener,
}

impl Recorder {
    fn new() -> Recorder {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a loopback listener");
        listener.set_nonblocking(true).expect("non-blocking");
        Recorder { listener }
    }

    fn port(&self) -> u16 {
        self.listener.local_addr().expect("an address").port()
    }

    /// The URL tollgate is given: the listener under a name that is not loopback to it.
    fn url(&self) -> String {
        format!("http://0.0.0.0:{}", self.port())
    }

    /// The connections made to it so far (the kernel queues each one, accepted or not).
    fn connections(&self) -> usize {
        let mut count = 0;
        loop {
            match self.listener.accept() {
                Ok(_) => count += 1,
                Err(error) if error.kind() == ErrorKind::WouldBlock => return count,
                Err(error) => panic!("accept failed: {error}"),
            }
        }
    }
}

/// The emulator of `env` under a name that is not loopback to tollgate.
fn remote_name(env: &Env) -> String {
    env.sim.endpoint().replace("127.0.0.1", "0.0.0.0")
}

/// `host:port` of a URL, as TOLLGATE_ALLOW_ENDPOINTS lists it.
fn host_port(url: &str) -> &str {
    url.trim_start_matches("http://")
}

/// The calls an emulator served: STS's and API Gateway's.
fn served(env: &Env) -> (u64, u64) {
    let calls = env.sim.calls();
    let sts = calls.get("GetCallerIdentity").copied().unwrap_or(0);
    let total: u64 = calls.values().sum();
    (sts, total - sts)
}

/// One source of an endpoint: how a run gets it, and how tollgate names it.
struct Source {
    /// How tollgate's message names it.
    named: &'static str,
    /// Sets it to a URL on the command (and files in the folder); the primary emulator's URL
    /// stays on for whatever the source does not redirect.
    set: fn(&mut Command, &Path, &str, &str),
    /// Whether it redirects API Gateway, and STS.
    redirects: (bool, bool),
}

fn write(dir: &Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).expect("write a file");
}

/// A project whose target `ci` has `endpoint: URL` on line 5.
fn project_with_endpoint(url: &str) -> String {
    format!(
        "project: shop\ntargets:\n  - name: ci\n    region: us-east-1\n    endpoint: {url}\n    paths: [plans]\n"
    )
}

const SOURCES: &[Source] = &[
    Source {
        named: "`endpoint:` in tollgate.yaml line 5",
        set: |_, dir, url, _| write(dir, "tollgate.yaml", &project_with_endpoint(url)),
        redirects: (true, true),
    },
    Source {
        named: "--endpoint-url",
        set: |command, _, url, _| {
            command.args(["--endpoint-url", url]);
        },
        redirects: (true, true),
    },
    Source {
        named: "AWS_ENDPOINT_URL",
        set: |command, _, url, _| {
            command.env("AWS_ENDPOINT_URL", url);
        },
        redirects: (true, true),
    },
    Source {
        named: "AWS_ENDPOINT_URL_API_GATEWAY",
        set: |command, _, url, _| {
            command.env("AWS_ENDPOINT_URL_API_GATEWAY", url);
        },
        redirects: (true, false),
    },
    Source {
        named: "AWS_ENDPOINT_URL_STS",
        set: |command, _, url, _| {
            command.env("AWS_ENDPOINT_URL_STS", url);
        },
        redirects: (false, true),
    },
    Source {
        named: "profile ci's endpoint_url",
        set: |command, dir, url, _| {
            let config = format!("[profile ci]\nregion = us-east-1\nendpoint_url = {url}\n");
            write(dir, "no-aws-config", &config);
            command
                .env("AWS_PROFILE", "ci")
                .env_remove("AWS_ENDPOINT_URL");
        },
        redirects: (true, true),
    },
    Source {
        named: "the `api-gateway` endpoint_url in [services local] (profile ci's services)",
        set: |command, dir, url, primary| {
            let config = format!(
                "[profile ci]\nregion = us-east-1\nservices = local\n\n[services local]\napi-gateway =\n  endpoint_url = {url}\n"
            );
            write(dir, "no-aws-config", &config);
            command
                .env("AWS_PROFILE", "ci")
                .env_remove("AWS_ENDPOINT_URL")
                .env("AWS_ENDPOINT_URL_STS", primary);
        },
        redirects: (true, false),
    },
    Source {
        named: "the `sts` endpoint_url in [services local] (profile ci's services)",
        set: |command, dir, url, primary| {
            let config = format!(
                "[profile ci]\nregion = us-east-1\nservices = local\n\n[services local]\nsts =\n  endpoint_url = {url}\n"
            );
            write(dir, "no-aws-config", &config);
            command
                .env("AWS_PROFILE", "ci")
                .env_remove("AWS_ENDPOINT_URL")
                .env("AWS_ENDPOINT_URL_API_GATEWAY", primary);
        },
        redirects: (false, true),
    },
];

/// `tollgate plan` in a fresh folder of `env` holding the plans, with `source` set to `url`.
fn plan_with(env: &Env, source: &Source, url: &str) -> (Command, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("a scratch folder");
    std::fs::create_dir(dir.path().join("plans")).expect("plans folder");
    write(dir.path(), "plans/gold.yaml", PLANS);
    let mut command = env.tollgate();
    command.current_dir(dir.path());
    command
        .env("HOME", dir.path())
        .env("AWS_CONFIG_FILE", dir.path().join("no-aws-config"))
        .arg("plan");
    (source.set)(&mut command, dir.path(), url, &env.sim.endpoint());
    (command, dir)
}

#[test]
fn an_endpoint_from_each_source_is_refused_with_nothing_sent_until_the_runner_allows_it() {
    let primary = Env::new("");
    let other = Env::new("");
    let other_url = remote_name(&other);
    for source in SOURCES {
        let recorder = Recorder::new();
        let served_before = served(&primary);
        let (mut command, _dir) = plan_with(&primary, source, &recorder.url());
        let output = command.output().expect("tollgate runs");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{}: {stderr}", source.named);
        assert!(
            stderr.contains(&format!(
                "{} sends requests to {}, which is neither AWS's own",
                source.named,
                recorder.url()
            )),
            "{}: {stderr}",
            source.named
        );
        assert!(
            stderr.contains(&format!(
                "lists `0.0.0.0:{}` in TOLLGATE_ALLOW_ENDPOINTS",
                recorder.port()
            )),
            "{stderr}"
        );
        assert_eq!(recorder.connections(), 0, "{}", source.named);
        assert_eq!(
            served(&primary),
            served_before,
            "{}: nothing sent",
            source.named
        );

        let before = (served(&primary), served(&other));
        let (mut command, _dir) = plan_with(&primary, source, &other_url);
        let output = command
            .env(
                "TOLLGATE_ALLOW_ENDPOINTS",
                format!("example.com, {}", host_port(&other_url)),
            )
            .output()
            .expect("tollgate runs");
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success(),
            "{}: {}",
            source.named,
            String::from_utf8_lossy(&output.stderr)
        );
        let (primary_now, other_now) = (served(&primary), served(&other));
        let moved = |now: (u64, u64), then: (u64, u64)| (now.0 > then.0, now.1 > then.1);
        let (api, sts) = source.redirects;
        assert_eq!(moved(other_now, before.1), (sts, api), "{}", source.named);
        assert_eq!(
            moved(primary_now, before.0),
            (!sts, !api),
            "{}",
            source.named
        );
        let shown = match api {
            true => format!(
                "Endpoint: {other_url} (not AWS's own: allowed by TOLLGATE_ALLOW_ENDPOINTS)"
            ),
            false => format!(
                "Endpoint: {} (not AWS's own: a server on this machine)",
                primary.sim.endpoint()
            ),
        };
        assert!(stdout.contains(&shown), "{}: {stdout}", source.named);
    }
}

#[test]
fn one_refused_target_stops_the_run_before_any_target_is_asked() {
    let env = Env::new("");
    let recorder = Recorder::new();
    env.write("plans/gold.yaml", PLANS);
    env.write(
        "tollgate.yaml",
        &format!(
            "project: shop\ntargets:\n  - name: local\n    region: us-east-1\n    endpoint: {}\n    paths: [plans]\n  - name: remote\n    region: eu-west-1\n    endpoint: {}\n    paths: [plans]\n",
            env.sim.endpoint(),
            recorder.url()
        ),
    );
    let output = env.tollgate().arg("plan").output().expect("tollgate runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("target remote: `endpoint:` in tollgate.yaml line 9 sends requests to"),
        "{stderr}"
    );
    assert_eq!(recorder.connections(), 0);
    assert_eq!(
        served(&env),
        (0, 0),
        "not even the allowed target's STS call"
    );
}

#[test]
fn an_apis_own_execute_api_host_is_refused_though_it_is_https_on_amazonaws_com() {
    let env = Env::new("");
    let path = env.write("plans/gold.yaml", PLANS);
    let url = "https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com";
    let output = env
        .tollgate()
        .args(["--endpoint-url", url, "plan"])
        .arg(&path)
        .output()
        .expect("tollgate runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "--endpoint-url sends requests to {url}, which is an API's own host (`execute-api`), which anyone can own"
        )),
        "{stderr}"
    );
    assert!(stderr.contains("TOLLGATE_ALLOW_ENDPOINTS"), "{stderr}");
    assert_eq!(served(&env), (0, 0));
}

#[test]
fn a_badly_written_allow_list_is_an_error_naming_the_entry() {
    let env = Env::new("");
    let path = env.write("plans/gold.yaml", PLANS);
    let output = env
        .tollgate()
        .env("TOLLGATE_ALLOW_ENDPOINTS", "https://proxy.example.com")
        .arg("plan")
        .arg(&path)
        .output()
        .expect("tollgate runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("TOLLGATE_ALLOW_ENDPOINTS: `https://proxy.example.com` is not host[:port]"),
        "{stderr}"
    );
    assert_eq!(served(&env), (0, 0));
}

#[test]
fn an_endpoint_with_a_user_name_or_password_is_refused_without_repeating_them() {
    let env = Env::new("");
    let path = env.write("plans/gold.yaml", PLANS);
    // A loopback server, which would be allowed without the credentials.
    let recorder = Recorder::new();
    let url = format!("http://admin:hunter2@127.0.0.1:{}", recorder.port());
    let output = env
        .tollgate()
        .env("AWS_ENDPOINT_URL", &url)
        .arg("plan")
        .arg(&path)
        .output()
        .expect("tollgate runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("AWS_ENDPOINT_URL holds a user name or password before its host"),
        "{stderr}"
    );
    assert!(
        !stderr.contains("hunter2") && !stderr.contains("admin"),
        "{stderr}"
    );
    assert_eq!(recorder.connections(), 0);

    env.write("tollgate.yaml", &project_with_endpoint(&url));
    let output = env
        .tollgate()
        .arg("validate")
        .output()
        .expect("tollgate runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("tollgate.yaml:5:15: `endpoint` holds a user name or password"),
        "{stderr}"
    );
    assert!(!stderr.contains("hunter2"), "{stderr}");
    assert_eq!(served(&env), (0, 0));
}

#[test]
fn a_host_is_compared_and_used_in_lower_case_without_its_trailing_dot() {
    let env = Env::new("");
    let path = env.write("plans/gold.yaml", PLANS);
    let port = env.sim.endpoint().rsplit(':').next().unwrap().to_string();
    let output = env
        .tollgate()
        .env_remove("AWS_ENDPOINT_URL")
        .args([
            "--endpoint-url",
            &format!("HTTP://LocalHost.:{port}"),
            "plan",
        ])
        .arg(&path)
        .output()
        .expect("tollgate runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        stdout.contains(&format!(
            "Endpoint: http://localhost:{port} (not AWS's own: a server on this machine)"
        )),
        "{stdout}"
    );
    assert_eq!(served(&env).0, 1, "STS asked once, on the same emulator");
}

/// The lines every view of a plan made against the emulator shows, in text and Markdown.
fn assert_views(env: &Env, args: &[&str], text_head: &str, markdown_head: &str) {
    let endpoint = env.sim.endpoint();
    let marked = format!("Endpoint: {endpoint} (not AWS's own: a server on this machine)");
    let run = |extra: &[&str]| {
        let output = env
            .tollgate()
            .args(extra)
            .args(args)
            .output()
            .expect("tollgate runs");
        assert!(
            output.status.success(),
            "{extra:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        output
    };
    let text = String::from_utf8(run(&["plan"]).stdout).unwrap();
    assert!(
        text.starts_with(&format!("{text_head}\n{marked}\n\n")),
        "{text}"
    );
    let markdown_lines = format!("{markdown_head}\n\n> [!WARNING]\n> {marked}\n\n**Plan: ");
    let markdown = String::from_utf8(run(&["plan", "--format", "markdown"]).stdout).unwrap();
    assert!(markdown.contains(&markdown_lines), "{markdown}");
    let json = stdout_json(&run(&["plan", "--format", "json"]));
    let json = json.get("targets").map_or(&json, |targets| &targets[0]);
    assert_eq!(json["account"], json!(ACCOUNT));
    assert_eq!(json["region"], json!("us-east-1"));
    assert_eq!(
        json["endpoint"],
        json!({ "url": endpoint, "trust": "loopback" })
    );

    let saved = env.dir.path().join("reviewed.plan");
    run(&["plan", "--out", saved.to_str().unwrap()]);
    let file: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&saved).unwrap()).unwrap();
    assert_eq!(file["account"], json!(ACCOUNT));
    assert_eq!(
        file["endpoint"],
        json!({ "url": endpoint, "trust": "loopback" })
    );
    let show = |format: &str| {
        let output = env
            .tollgate()
            .args(["show", "--format", format])
            .arg(&saved)
            .output()
            .expect("tollgate runs");
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).unwrap()
    };
    assert!(
        show("text").starts_with(&format!("{text_head}\n{marked}\n\n")),
        "{}",
        show("text")
    );
    assert!(
        show("markdown").contains(&markdown_lines),
        "{}",
        show("markdown")
    );
    let shown: serde_json::Value = serde_json::from_str(&show("json")).unwrap();
    assert_eq!(shown["account"], json!(ACCOUNT));
    assert_eq!(
        shown["endpoint"],
        json!({ "url": endpoint, "trust": "loopback" })
    );
    // The plan `apply FILE` shows before it applies.
    let applied = run(&["apply", "--auto-approve", saved.to_str().unwrap()]);
    let applied = String::from_utf8(applied.stdout).unwrap();
    assert!(
        applied.starts_with(&format!("{text_head}\n{marked}\n\n")),
        "{applied}"
    );
}

#[test]
fn every_view_shows_the_account_region_and_marked_endpoint_without_a_project() {
    let env = Env::new("");
    env.write("plans/gold.yaml", PLANS);
    assert_views(
        &env,
        &[],
        &format!("Region: us-east-1 (account {ACCOUNT})"),
        &format!("### tollgate plan for us-east-1 (account {ACCOUNT})"),
    );
}

#[test]
fn every_view_shows_the_account_region_and_marked_endpoint_in_a_project() {
    let env = Env::new("");
    env.write("plans/gold.yaml", PLANS);
    env.write("tollgate.yaml", &project_with_endpoint(&env.sim.endpoint()));
    assert_views(
        &env,
        &[],
        &format!("Target: ci (account {ACCOUNT}, us-east-1)"),
        &format!("### tollgate plan for ci (account {ACCOUNT}, us-east-1)"),
    );
}

#[test]
fn an_endpoint_with_a_query_is_refused_without_repeating_it() {
    let env = Env::new("");
    let path = env.write("plans/gold.yaml", PLANS);
    let url = "https://apigateway.us-east-1.amazonaws.com/?X-Amz-Security-Token=SECRETTOKEN123";
    let output = env
        .tollgate()
        .args(["--endpoint-url", url, "plan"])
        .arg(&path)
        .output()
        .expect("tollgate runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(
            "--endpoint-url (https://apigateway.us-east-1.amazonaws.com) has a query or a fragment"
        ),
        "{stderr}"
    );
    assert!(!stderr.contains("SECRETTOKEN123"), "{stderr}");
    assert_eq!(served(&env), (0, 0));
}

/// `tollgate show --format FORMAT FILE` in `env`, with `allowed` as TOLLGATE_ALLOW_ENDPOINTS.
fn show_saved(env: &Env, file: &Path, format: &str, allowed: Option<&str>) -> String {
    let mut command = env.tollgate();
    command.env_remove("TOLLGATE_ALLOW_ENDPOINTS");
    if let Some(allowed) = allowed {
        command.env("TOLLGATE_ALLOW_ENDPOINTS", allowed);
    }
    let output = command
        .args(["show", "--format", format])
        .arg(file)
        .output()
        .expect("tollgate runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

#[test]
fn show_calls_an_endpoint_allowed_only_where_this_run_allows_it() {
    let env = Env::new("");
    let path = env.write("plans/gold.yaml", PLANS);
    let remote = remote_name(&env);
    let saved = env.dir.path().join("reviewed.plan");
    let output = env
        .tollgate()
        .env("AWS_ENDPOINT_URL", &remote)
        .env("TOLLGATE_ALLOW_ENDPOINTS", host_port(&remote))
        .args(["plan", "--out"])
        .arg(&saved)
        .arg(&path)
        .output()
        .expect("tollgate runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let allowed =
        format!("Endpoint: {remote} (not AWS's own: allowed by TOLLGATE_ALLOW_ENDPOINTS)");
    assert!(String::from_utf8_lossy(&output.stdout).contains(&allowed));
    let text = show_saved(&env, &saved, "text", Some(host_port(&remote)));
    assert!(text.contains(&allowed), "{text}");

    // Where nothing allows it (as for a crafted file), show says so, in every view.
    let refused = format!(
        "Endpoint: {remote} (not AWS's own: not allowed here: TOLLGATE_ALLOW_ENDPOINTS does not \
         list it)"
    );
    let text = show_saved(&env, &saved, "text", None);
    assert!(text.contains(&refused), "{text}");
    assert!(!text.contains("allowed by"), "{text}");
    let markdown = show_saved(&env, &saved, "markdown", None);
    let escaped = refused.replace('_', "\\_");
    assert!(
        markdown.contains(&format!("> [!WARNING]\n> {escaped}\n")),
        "{markdown}"
    );
    let json: serde_json::Value =
        serde_json::from_str(&show_saved(&env, &saved, "json", None)).unwrap();
    assert_eq!(
        json["endpoint"],
        json!({ "url": remote, "trust": "refused" })
    );
}

#[test]
fn an_sts_endpoint_apart_from_api_gateways_is_marked_in_every_view_and_the_saved_plan() {
    let env = Env::new("");
    let path = env.write("plans/gold.yaml", PLANS);
    let endpoint = env.sim.endpoint();
    // The same emulator under another name: STS's endpoint is not API Gateway's.
    let sts = endpoint.replace("127.0.0.1", "localhost");
    let saved = env.dir.path().join("reviewed.plan");
    let run = |extra: &[&str]| {
        let output = env
            .tollgate()
            .env("AWS_ENDPOINT_URL_STS", &sts)
            .arg("plan")
            .args(extra)
            .arg(&path)
            .output()
            .expect("tollgate runs");
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).unwrap()
    };
    let head = format!(
        "Region: us-east-1 (account {ACCOUNT})\n\
         Endpoint: {endpoint} (not AWS's own: a server on this machine)\n\
         STS endpoint: {sts} (not AWS's own: a server on this machine)\n\n"
    );
    let text = run(&["--out", saved.to_str().unwrap()]);
    assert!(text.starts_with(&head), "{text}");
    assert_eq!(served(&env).0, 1, "STS asked once");
    let json = stdout_json_of(&run(&["--format", "json"]));
    let marked = json!({ "url": sts, "trust": "loopback" });
    assert_eq!(json["stsEndpoint"], marked);
    let markdown = run(&["--format", "markdown"]);
    assert!(
        markdown.contains(&format!(
            "> [!WARNING]\n> Endpoint: {endpoint} (not AWS's own: a server on this machine)<br>\n\
             > STS endpoint: {sts} (not AWS's own: a server on this machine)\n\n"
        )),
        "{markdown}"
    );

    let file = stdout_json_of(&std::fs::read_to_string(&saved).unwrap());
    assert_eq!(file["stsEndpoint"], marked);
    assert_eq!(file["saved"]["stsEndpoint"], json!(sts));
    let shown = show_saved(&env, &saved, "text", None);
    assert!(shown.starts_with(&head), "{shown}");
    let shown = stdout_json_of(&show_saved(&env, &saved, "json", None));
    assert_eq!(shown["stsEndpoint"], marked);
}

/// `text` parsed as JSON.
fn stdout_json_of(text: &str) -> serde_json::Value {
    serde_json::from_str(text).expect("JSON")
}
