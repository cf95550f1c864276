//! End to end: each AWS error (400, 403, 404, 409, 429) becomes one clear message that names
//! the plan, the operation and AWS's error, and says what to do.

mod common;

use std::io::{Read, Write};
use std::net::TcpListener;

use common::{Env, SHARED_STAGE_PLANS};
use tollgate_sim::{ClockMode, Config, Quotas};

/// [`SHARED_STAGE_PLANS`] under AWS's quotas with a frozen clock: one UpdateUsagePlan passes, and no
/// later one does.
fn frozen_quota_env() -> Env {
    Env::with_config(
        SHARED_STAGE_PLANS,
        Config {
            quotas: Some(Quotas { speedup: 1.0 }),
            clock: ClockMode::Manual {
                start: 1_795_435_200,
            },
            ..Config::default()
        },
    )
}

/// Applies `desired` with one attempt per call (a frozen quota never refills, so retries
/// would only wait) and returns stderr, asserting exit 1.
fn failed_apply(env: &Env, desired: &str) -> String {
    let path = env.write("plans.yaml", desired);
    let output = env
        .tollgate()
        .env("AWS_MAX_ATTEMPTS", "1")
        .args(["apply", "--auto-approve"])
        .arg(&path)
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        !stderr.contains("service error"),
        "no bare 'service error': {stderr}"
    );
    stderr
}

/// Applies `desired` to [`SHARED_STAGE_PLANS`] and asserts one message that names the
/// operation, the plan and AWS's error (`failure`), and says what to do (`advice`). The read
/// `denied` (403) leaves plan's check of the refusal skipped, so that AWS refuses at apply.
fn fails_with(desired: &str, denied: &str, failure: &str, advice: &str) {
    let env = Env::with_config(
        SHARED_STAGE_PLANS,
        Config {
            denied: vec![denied.into()],
            ..Config::default()
        },
    );
    let stderr = failed_apply(&env, desired);
    assert!(stderr.contains(failure), "{stderr}");
    assert!(stderr.contains(advice), "{stderr}");
}

#[test]
fn a_400_names_the_plan_operation_message_and_fix() {
    fails_with(
        r#"
usagePlans:
  - name: Gold
    throttle: { rateLimit: 100, burstLimit: 200 }
    apiStages:
      - apiId: a1b2c3d4e5
        stage: prod
        throttle: { /pets/PUT: { rateLimit: 1, burstLimit: 1 } }
"#,
        "GetResources",
        "UpdateUsagePlan on usage plan \"Gold\" (gold000001) failed: BadRequestException (HTTP 400)",
        "fix the value it names in the YAML",
    );
}

#[test]
fn a_404_names_the_plan_operation_message_and_fix() {
    fails_with(
        r#"
usagePlans:
  - name: Gold
    throttle: { rateLimit: 100, burstLimit: 200 }
    apiStages:
      - { apiId: a1b2c3d4e5, stage: prod }
      - { apiId: zzzzzzzzzz, stage: prod }
"#,
        "GetStages",
        "UpdateUsagePlan on usage plan \"Gold\" (gold000001) failed: NotFoundException (HTTP 404)",
        "check the YAML",
    );
}

#[test]
fn a_409_names_the_plan_operation_message_and_fix() {
    fails_with(
        r#"
usagePlans:
  - name: Gold
    throttle: { rateLimit: 100, burstLimit: 200 }
    apiStages: [ { apiId: a1b2c3d4e5, stage: prod } ]
    keys: [ { id: key3 } ]
"#,
        "GetUsagePlans?keyId",
        "CreateUsagePlanKey on usage plan \"Gold\" (gold000001) failed: ConflictException (HTTP 409)",
        "conflicts with the current state",
    );
}

#[test]
fn a_429_that_outlasts_the_attempts_names_the_plan_and_says_to_run_again() {
    // The clock is frozen, so the quota never refills; one attempt, as AWS_MAX_ATTEMPTS says.
    let env = frozen_quota_env();
    let stderr = failed_apply(
        &env,
        r#"
usagePlans:
  - name: Gold
    throttle: { rateLimit: 101, burstLimit: 200 }
    apiStages: [ { apiId: a1b2c3d4e5, stage: prod } ]
  - name: Silver
    throttle: { rateLimit: 11, burstLimit: 20 }
    apiStages: [ { apiId: a1b2c3d4e5, stage: prod } ]
"#,
    );
    assert!(
        stderr.contains("UpdateUsagePlan on usage plan \"Silver\" (silver0001) failed: TooManyRequestsException (HTTP 429)"),
        "{stderr}"
    );
    assert!(stderr.contains("run apply again"), "{stderr}");
    assert_eq!(
        env.sim.throttled().get("UpdateUsagePlan").copied(),
        Some(1),
        "AWS_MAX_ATTEMPTS=1: no retry"
    );
}

/// A server that answers every request with AWS's 403 AccessDeniedException: nothing real
/// here can deny a signed request, so this one case uses a stand-in.
fn access_denied_server() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let address = listener.local_addr().expect("addr");
    std::thread::spawn(move || {
        for stream in listener.incoming().take(10) {
            let Ok(mut stream) = stream else { continue };
            let mut buffer = [0u8; 8192];
            let _ = stream.read(&mut buffer);
            let body = r#"{"message":"User: arn:aws:iam::123456789012:user/ci is not authorized to perform: apigateway:GET on resource: arn:aws:apigateway:us-east-1::/usageplans"}"#;
            let response = format!(
                "HTTP/1.1 403 Forbidden\r\nx-amzn-ErrorType: AccessDeniedException\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = stream.write_all(response.as_bytes());
        }
    });
    format!("http://{address}")
}

#[test]
fn a_403_names_the_operation_and_points_at_the_iam_permissions() {
    // STS (asked first, for the account) is the emulator's; API Gateway denies.
    let env = Env::new("");
    let path = env.write("p.yaml", "usagePlans:\n  - name: Gold\n");
    let output = env
        .tollgate()
        .env("AWS_ENDPOINT_URL_API_GATEWAY", access_denied_server())
        .arg("plan")
        .arg(&path)
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("GetUsagePlans failed: AccessDeniedException (HTTP 403)"),
        "{stderr}"
    );
    assert!(
        stderr.contains("IAM permissions in tollgate's README"),
        "{stderr}"
    );
    for secret in ["tollgate-test-secret", "AKIDTOLLGATETEST"] {
        assert!(!stderr.contains(secret), "never print credentials");
    }
}

#[test]
fn a_failed_follow_up_after_a_create_names_the_new_plan_and_apply_again_finishes() {
    // Gold's update takes the one UpdateUsagePlan allowed, so the new plan's product-code
    // follow-up is refused after its create succeeded.
    let env = frozen_quota_env();
    let desired = r#"
usagePlans:
  - name: Gold
    throttle: { rateLimit: 101, burstLimit: 200 }
    apiStages: [ { apiId: a1b2c3d4e5, stage: prod } ]
  - name: New
    productCode: new-code
"#;
    let stderr = failed_apply(&env, desired);
    let id = env.plan_id("New");
    assert!(stderr.contains(&format!("New ({id}): created")), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "UpdateUsagePlan on usage plan \"New\" ({id}) failed: TooManyRequestsException"
        )),
        "{stderr}"
    );
    env.sim.advance_clock(60);
    let path = env.write("plans.yaml", desired);
    env.apply(&path);
    assert_eq!(env.plan(&id).product_code(), Some("new-code"));
    assert_eq!(
        env.calls("CreateUsagePlan"),
        1,
        "the plan is not created twice"
    );
}
