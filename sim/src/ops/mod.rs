//! The API Gateway operations: each takes the request and the state and gives a reply or an
//! error; nothing here knows about HTTP connections, quotas or faults.

mod apis;
mod keys;
mod plans;
mod tags;
mod usage;

use std::collections::BTreeMap;

use hyper::StatusCode;
use serde_json::Value;

use crate::body::{self, Body};
use crate::error::SimError;
use crate::router::Route;
use crate::state::State;

/// What an operation needs from the request.
#[derive(Debug)]
pub struct ApiRequest<'a> {
    /// The query parameters.
    pub query: &'a BTreeMap<String, Vec<String>>,
    /// The body (may be empty).
    pub body: &'a [u8],
    /// The emulator's time, Unix seconds.
    pub now: f64,
}

impl ApiRequest<'_> {
    /// The first value of a query parameter.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.query
            .get(name)
            .and_then(|v| v.first())
            .map(String::as_str)
    }

    /// Whether a boolean query parameter is `true`.
    pub fn flag(&self, name: &str) -> bool {
        self.param(name) == Some("true")
    }

    /// The JSON body as `T`, its members checked first (an empty body reads as `{}`).
    pub fn json<T: Body>(&self) -> Result<T, SimError> {
        body::read(self.body)
    }

    /// The emulator's time in whole Unix seconds.
    pub fn now_seconds(&self) -> i64 {
        self.now.floor() as i64
    }
}

/// A successful answer: a status and an optional JSON body.
#[derive(Debug)]
pub struct Reply {
    /// The HTTP status.
    pub status: StatusCode,
    /// The JSON body, if any.
    pub body: Option<Value>,
}

impl Reply {
    /// 200 with a body.
    pub fn ok(body: Value) -> Self {
        Self {
            status: StatusCode::OK,
            body: Some(body),
        }
    }

    /// 201 with a body.
    pub fn created(body: Value) -> Self {
        Self {
            status: StatusCode::CREATED,
            body: Some(body),
        }
    }

    /// An empty answer with this status (202 for deletes, 204 for tags).
    pub fn empty(status: StatusCode) -> Self {
        Self { status, body: None }
    }
}

/// Runs one operation against the state.
pub fn dispatch(
    route: Route,
    request: &ApiRequest<'_>,
    state: &mut State,
) -> Result<Reply, SimError> {
    match route {
        Route::GetUsagePlans => plans::list(request, state),
        Route::CreateUsagePlan => plans::create(request, state),
        Route::GetUsagePlan(id) => plans::get(&id, state),
        Route::UpdateUsagePlan(id) => plans::update(&id, request, state),
        Route::DeleteUsagePlan(id) => plans::delete(&id, state),
        Route::GetUsagePlanKeys(id) => keys::list_plan_keys(&id, request, state),
        Route::CreateUsagePlanKey(id) => keys::create_plan_key(&id, request, state),
        Route::GetUsagePlanKey(id, key) => keys::get_plan_key(&id, &key, state),
        Route::DeleteUsagePlanKey(id, key) => keys::delete_plan_key(&id, &key, state),
        Route::GetApiKeys => keys::list_keys(request, state),
        Route::CreateApiKey => keys::create_key(request, state),
        Route::GetApiKey(id) => keys::get_key(&id, request, state),
        Route::UpdateApiKey(id) => keys::update_key(&id, request, state),
        Route::DeleteApiKey(id) => keys::delete_key(&id, state),
        Route::GetUsage(id) => usage::get(&id, request, state),
        Route::UpdateUsage(id, key) => usage::update(&id, &key, request, state),
        Route::GetRestApis => apis::list(request, state),
        Route::CreateRestApi => apis::create(request, state),
        Route::GetRestApi(id) => apis::get(&id, state),
        Route::GetStages(id) => apis::stages(&id, state),
        Route::CreateStage(id) => apis::create_stage(&id, request, state),
        Route::GetResources(id) => apis::resources(&id, request, state),
        Route::GetTags(arn) => tags::get(&arn, state),
        Route::TagResource(arn) => tags::tag(&arn, request, state),
        Route::UntagResource(arn) => tags::untag(&arn, request, state),
    }
}

/// A page of items as AWS lists them: `{"item": [...], "position": ...}`.
fn list_body(items: Vec<Value>, position: Option<String>) -> Value {
    let mut body = serde_json::json!({ "item": items });
    if let Some(position) = position {
        body["position"] = Value::String(position);
    }
    body
}
