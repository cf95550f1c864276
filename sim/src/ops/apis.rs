//! REST APIs, their stages and resources: GetRestApi(s), CreateRestApi, GetStages,
//! CreateStage, GetResources.

use std::collections::{BTreeMap, BTreeSet};

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

/// GetStages: every stage of the API in one answer (AWS does not page it).
pub(super) fn stages(id: &str, state: &State) -> Result<Reply, SimError> {
    let api = state.rest_api(id)?;
    let items: Vec<Value> = api
        .stages
        .iter()
        .map(|s| json!({ "stageName": s, "createdDate": api.created_date }))
        .collect();
    Ok(Reply::ok(json!({ "item": items })))
}

/// GetResources: the API's resources by path, paged (`limit`, `position`), each with `id`,
/// `parentId` (not on the root), `path`, `pathPart` (not on the root) and, when it has methods,
/// `resourceMethods`: each method's full record with `embed=methods`, `{}` without.
pub(super) fn resources(
    id: &str,
    request: &ApiRequest<'_>,
    state: &State,
) -> Result<Reply, SimError> {
    let api = state.rest_api(id)?;
    let embed = request
        .query
        .get("embed")
        .is_some_and(|values| values.iter().any(|v| v == "methods"));
    let tree = resource_tree(&api.resources);
    let page = page(request.query, &tree, |path, methods| Some((path, methods)))?;
    let items = page
        .items
        .into_iter()
        .map(|(path, methods)| resource_json(&api.id, path, methods, embed))
        .collect();
    Ok(Reply::ok(list_body(items, page.position)))
}

/// Every resource of an API: its seeded paths, the root and every path between them (AWS
/// makes a resource per path segment), each with its methods.
fn resource_tree(
    resources: &BTreeMap<String, BTreeSet<String>>,
) -> BTreeMap<String, BTreeSet<String>> {
    let mut tree = resources.clone();
    tree.entry("/".to_string()).or_default();
    for path in resources.keys() {
        let mut parent = path.as_str();
        while let Some((up, _)) = parent.rsplit_once('/') {
            parent = if up.is_empty() { "/" } else { up };
            tree.entry(parent.to_string()).or_default();
            if parent == "/" {
                break;
            }
        }
    }
    tree
}

fn resource_json(api_id: &str, path: &str, methods: &BTreeSet<String>, embed: bool) -> Value {
    let mut resource = json!({ "id": resource_id(api_id, path), "path": path });
    if let Some((parent, part)) = path.rsplit_once('/').filter(|_| path != "/") {
        let parent = if parent.is_empty() { "/" } else { parent };
        resource["parentId"] = json!(resource_id(api_id, parent));
        resource["pathPart"] = json!(part);
    }
    if !methods.is_empty() {
        let methods: serde_json::Map<String, Value> = methods
            .iter()
            .map(|method| {
                let record = match embed {
                    true => json!({
                        "httpMethod": method,
                        "authorizationType": "NONE",
                        "apiKeyRequired": true,
                    }),
                    false => json!({}),
                };
                (method.clone(), record)
            })
            .collect();
        resource["resourceMethods"] = Value::Object(methods);
    }
    resource
}

/// A resource's id: ten lowercase alphanumerics, fixed by its API and path (FNV-1a).
fn resource_id(api_id: &str, path: &str) -> String {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in api_id.bytes().chain([b' ']).chain(path.bytes()) {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    (0..10)
        .map(|_| {
            let c = ALPHABET[(hash % 36) as usize] as char;
            hash /= 36;
            c
        })
        .collect()
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
