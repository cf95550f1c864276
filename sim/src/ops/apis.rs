//! REST APIs and their stages: GetRestApi(s), CreateRestApi, GetStages, CreateStage.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::{json, Value};

use super::{list_body, ApiRequest, Reply};
use crate::body::{Body, Shape};
use crate::error::SimError;
use crate::pagination::page;
use crate::state::{RestApi, State};
use crate::validate::validate_stage_name;

fn api_json(api: &RestApi) -> Value {
    json!({ "id": api.id, "name": api.name, "createdDate": api.created_date })
}

pub(super) fn list(request: &ApiRequest<'_>, state: &State) -> Result<Reply, SimError> {
    let page = page(request.query, &state.rest_apis, |_, api| Some(api))?;
    let items = page.items.into_iter().map(api_json).collect();
    Ok(Reply::ok(list_body(items, page.position)))
}

pub(super) fn get(id: &str, state: &State) -> Result<Reply, SimError> {
    Ok(Reply::ok(api_json(state.rest_api(id)?)))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct CreateApiBody {
    #[serde(default)]
    name: Option<String>,
}

impl Body for CreateApiBody {
    const MEMBERS: &'static [(&'static str, Shape)] = &[
        ("name", Shape::String),
        ("description", Shape::Unsupported),
        ("version", Shape::Unsupported),
        ("cloneFrom", Shape::Unsupported),
        ("binaryMediaTypes", Shape::Unsupported),
        ("minimumCompressionSize", Shape::Unsupported),
        ("apiKeySource", Shape::Unsupported),
        ("endpointConfiguration", Shape::Unsupported),
        ("policy", Shape::Unsupported),
        ("tags", Shape::Unsupported),
        ("disableExecuteApiEndpoint", Shape::Unsupported),
    ];
}

pub(super) fn create(request: &ApiRequest<'_>, state: &mut State) -> Result<Reply, SimError> {
    let body: CreateApiBody = request.json()?;
    let name = body.name.filter(|n| !n.trim().is_empty()).ok_or_else(|| {
        SimError::bad_request("Invalid REST API name specified: a name is required")
    })?;
    let id = state.new_id();
    let api = RestApi {
        id: id.clone(),
        name,
        stages: Default::default(),
        resources: BTreeMap::from([("/".to_string(), Default::default())]),
        created_date: request.now_seconds(),
    };
    let reply = Reply::created(api_json(&api));
    state.rest_apis.insert(id, api);
    Ok(reply)
}

pub(super) fn stages(id: &str, state: &State) -> Result<Reply, SimError> {
    let api = state.rest_api(id)?;
    let items: Vec<Value> = api
        .stages
        .iter()
        .map(|s| json!({ "stageName": s }))
        .collect();
    Ok(Reply::ok(json!({ "item": items })))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct CreateStageBody {
    #[serde(default)]
    stage_name: Option<String>,
    #[serde(default)]
    deployment_id: Option<String>,
}

impl Body for CreateStageBody {
    const MEMBERS: &'static [(&'static str, Shape)] = &[
        ("stageName", Shape::String),
        ("deploymentId", Shape::String),
        ("description", Shape::Unsupported),
        ("cacheClusterEnabled", Shape::Unsupported),
        ("cacheClusterSize", Shape::Unsupported),
        ("variables", Shape::Unsupported),
        ("documentationVersion", Shape::Unsupported),
        ("canarySettings", Shape::Unsupported),
        ("tracingEnabled", Shape::Unsupported),
        ("tags", Shape::Unsupported),
    ];
}

pub(super) fn create_stage(
    id: &str,
    request: &ApiRequest<'_>,
    state: &mut State,
) -> Result<Reply, SimError> {
    let body: CreateStageBody = request.json()?;
    let api = state.rest_api_mut(id)?;
    let name = body.stage_name.unwrap_or_default();
    validate_stage_name(&name)?;
    if !api.stages.insert(name.clone()) {
        return Err(SimError::conflict("Stage already exists"));
    }
    let mut stage = json!({ "stageName": name });
    if let Some(deployment) = body.deployment_id {
        stage["deploymentId"] = json!(deployment);
    }
    Ok(Reply::created(stage))
}
