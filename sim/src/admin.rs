//! The `/_sim/...` routes: counters, reset, usage, clock and the state dump. No auth, never
//! counted, throttled or faulted.

use hyper::{Method, StatusCode};
use serde::Deserialize;
use serde_json::json;

use crate::core::Core;
use crate::error::SimError;
use crate::server::{empty_response, error_response, json_response, HttpResponse};

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct UsageBody {
    usage_plan_id: String,
    key_id: String,
    date: String,
    requests: u64,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ClockBody {
    advance_seconds: u64,
}

/// Answers one admin request.
pub fn handle(core: &Core, method: &Method, path: &str, body: &[u8]) -> HttpResponse {
    match run(core, method, path, body) {
        Ok(response) => response,
        Err(error) => error_response(&error),
    }
}

fn run(core: &Core, method: &Method, path: &str, body: &[u8]) -> Result<HttpResponse, SimError> {
    match (method.as_str(), path) {
        ("GET", "/_sim/calls") => Ok(json_response(
            StatusCode::OK,
            &json!({
                "calls": core.calls(),
                "throttled": core.throttled(),
                "carriedOut": core.carried_out(),
            }),
        )),
        ("POST", "/_sim/reset") => {
            core.reset_counters();
            Ok(empty_response(StatusCode::NO_CONTENT))
        }
        ("POST", "/_sim/usage") => {
            let usage: UsageBody = parse(body)?;
            core.record_usage(
                &usage.usage_plan_id,
                &usage.key_id,
                &usage.date,
                usage.requests,
            )?;
            Ok(empty_response(StatusCode::NO_CONTENT))
        }
        ("POST", "/_sim/clock") => {
            let clock: ClockBody = parse(body)?;
            core.advance_clock(clock.advance_seconds);
            Ok(json_response(StatusCode::OK, &json!({ "now": core.now() })))
        }
        ("GET", "/_sim/state") => Ok(json_response(StatusCode::OK, &core.dump_state())),
        ("PUT", "/_sim/state") => {
            core.load_state(parse(body)?)?;
            Ok(empty_response(StatusCode::NO_CONTENT))
        }
        _ => Err(SimError::not_found(format!(
            "No such admin route: {method} {path}"
        ))),
    }
}

fn parse<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, SimError> {
    serde_json::from_slice(body)
        .map_err(|e| SimError::bad_request(format!("Could not parse request body into json: {e}")))
}
