//! API keys (CreateApiKey, GetApiKey(s), UpdateApiKey, DeleteApiKey) and usage plan keys
//! (CreateUsagePlanKey, GetUsagePlanKey(s), DeleteUsagePlanKey).

use std::collections::BTreeMap;

use hyper::StatusCode;
use serde::Deserialize;
use serde_json::{json, Value};

use super::{list_body, ApiRequest, Reply};
use crate::body::{Body, Shape, TAGS};
use crate::error::SimError;
use crate::pagination::page;
use crate::patch::PatchBody;
use crate::state::{ApiKey, KeyUsage, State};
use crate::validate::{check_shared_stage, validate_key_value, validate_tags};

fn key_json(key: &ApiKey, with_value: bool) -> Value {
    let mut body = json!({
        "id": key.id,
        "name": key.name,
        "enabled": key.enabled,
        "createdDate": key.created_date,
        "lastUpdatedDate": key.last_updated_date,
        "stageKeys": [],
        "tags": key.tags,
    });
    if let Some(description) = &key.description {
        body["description"] = json!(description);
    }
    if let Some(customer_id) = &key.customer_id {
        body["customerId"] = json!(customer_id);
    }
    if with_value {
        body["value"] = json!(key.value);
    }
    body
}

fn plan_key_json(key: &ApiKey) -> Value {
    json!({ "id": key.id, "type": "API_KEY", "name": key.name, "value": key.value })
}

pub(super) fn list_keys(request: &ApiRequest<'_>, state: &State) -> Result<Reply, SimError> {
    let name_query = request.param("name").unwrap_or("");
    let with_values = request.flag("includeValues");
    let page = page(request.query, &state.api_keys, |_, key| {
        key.name.starts_with(name_query).then_some(key)
    })?;
    let items = page
        .items
        .into_iter()
        .map(|key| key_json(key, with_values))
        .collect();
    Ok(Reply::ok(list_body(items, page.position)))
}

pub(super) fn get_key(
    id: &str,
    request: &ApiRequest<'_>,
    state: &State,
) -> Result<Reply, SimError> {
    Ok(Reply::ok(key_json(
        state.api_key(id)?,
        request.flag("includeValue"),
    )))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct CreateKeyBody {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    enabled: bool,
    #[serde(default)]
    value: Option<String>,
    #[serde(default)]
    customer_id: Option<String>,
    #[serde(default)]
    tags: BTreeMap<String, String>,
}

impl Body for CreateKeyBody {
    const MEMBERS: &'static [(&'static str, Shape)] = &[
        ("name", Shape::String),
        ("description", Shape::String),
        ("enabled", Shape::Boolean),
        ("value", Shape::String),
        ("generateDistinctId", Shape::Unsupported),
        ("stageKeys", Shape::Unsupported),
        ("customerId", Shape::String),
        ("tags", TAGS),
    ];
}

pub(super) fn create_key(request: &ApiRequest<'_>, state: &mut State) -> Result<Reply, SimError> {
    let body: CreateKeyBody = request.json()?;
    if let Some(value) = &body.value {
        validate_key_value(value)?;
        if state.api_keys.values().any(|key| key.value == *value) {
            return Err(SimError::conflict("API Key value already exists"));
        }
    }
    validate_tags(&body.tags)?;
    let id = state.new_id();
    let value = match body.value {
        Some(v) => v,
        None => state.new_key_value(),
    };
    let key = ApiKey {
        name: body
            .name
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| id.clone()),
        id: id.clone(),
        value,
        description: body.description.filter(|d| !d.is_empty()),
        enabled: body.enabled,
        customer_id: body.customer_id.filter(|c| !c.is_empty()),
        tags: body.tags,
        created_date: request.now_seconds(),
        last_updated_date: request.now_seconds(),
    };
    let reply = Reply::created(key_json(&key, true));
    state.api_keys.insert(id, key);
    Ok(reply)
}

/// UpdateApiKey: `replace` of `/name`, `/description`, `/enabled` (`true` or `false`) and
/// `/customerId`, all or none.
pub(super) fn update_key(
    id: &str,
    request: &ApiRequest<'_>,
    state: &mut State,
) -> Result<Reply, SimError> {
    let body: PatchBody = request.json()?;
    let mut key = state.api_key(id)?.clone();
    for operation in &body.patch_operations {
        let value = operation.value.clone().unwrap_or_default();
        match (operation.op.as_str(), operation.path.as_str()) {
            ("replace", "/name") if !value.is_empty() => key.name = value,
            ("replace", "/description") => key.description = Some(value).filter(|d| !d.is_empty()),
            ("replace", "/customerId") => key.customer_id = Some(value).filter(|c| !c.is_empty()),
            ("replace", "/enabled") => {
                key.enabled = value.parse().map_err(|_| {
                    SimError::bad_request(format!(
                        "Invalid value for /enabled: '{value}'; use true or false"
                    ))
                })?;
            }
            (op, path) => {
                return Err(SimError::bad_request(format!(
                    "Invalid patch operation specified. Must be 'replace' on one of \
                     [/name, /description, /enabled, /customerId] (a non-empty name); got '{op}' on '{path}'"
                )))
            }
        }
    }
    key.last_updated_date = request.now_seconds();
    let reply = Reply::ok(key_json(&key, false));
    state.api_keys.insert(id.to_string(), key);
    Ok(reply)
}

pub(super) fn delete_key(id: &str, state: &mut State) -> Result<Reply, SimError> {
    state.api_key(id)?;
    state.api_keys.remove(id);
    for plan in state.usage_plans.values_mut() {
        plan.keys.remove(id);
    }
    Ok(Reply::empty(StatusCode::ACCEPTED))
}

pub(super) fn list_plan_keys(
    plan_id: &str,
    request: &ApiRequest<'_>,
    state: &State,
) -> Result<Reply, SimError> {
    let plan = state.plan(plan_id)?;
    let name_query = request.param("name").unwrap_or("");
    let page = page(request.query, &plan.keys, |id, _| {
        state
            .api_keys
            .get(id)
            .filter(|key| key.name.starts_with(name_query))
    })?;
    let items = page.items.into_iter().map(plan_key_json).collect();
    Ok(Reply::ok(list_body(items, page.position)))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct CreatePlanKeyBody {
    #[serde(default)]
    key_id: Option<String>,
    #[serde(default)]
    key_type: Option<String>,
}

impl Body for CreatePlanKeyBody {
    const MEMBERS: &'static [(&'static str, Shape)] =
        &[("keyId", Shape::String), ("keyType", Shape::String)];
}

pub(super) fn create_plan_key(
    plan_id: &str,
    request: &ApiRequest<'_>,
    state: &mut State,
) -> Result<Reply, SimError> {
    let body: CreatePlanKeyBody = request.json()?;
    let plan = state.plan(plan_id)?;
    if body.key_type.as_deref() != Some("API_KEY") {
        return Err(SimError::bad_request(format!(
            "Invalid key type specified: '{}'. Must be API_KEY",
            body.key_type.unwrap_or_default()
        )));
    }
    let key_id = body.key_id.unwrap_or_default();
    let key = state.api_key(&key_id)?;
    if plan.keys.contains_key(&key_id) {
        return Err(SimError::conflict(format!(
            "Usage Plan {plan_id} already contains API Key {key_id}"
        )));
    }
    check_shared_stage(state, plan, &key_id)?;
    let reply = Reply::created(plan_key_json(key));
    state
        .plan_mut(plan_id)?
        .keys
        .insert(key_id, KeyUsage::default());
    Ok(reply)
}

fn plan_key<'a>(plan_id: &str, key_id: &str, state: &'a State) -> Result<&'a ApiKey, SimError> {
    let plan = state.plan(plan_id)?;
    match state.api_keys.get(key_id) {
        Some(key) if plan.keys.contains_key(key_id) => Ok(key),
        _ => Err(SimError::not_found(
            "Invalid Usage Plan Key identifier specified",
        )),
    }
}

pub(super) fn get_plan_key(plan_id: &str, key_id: &str, state: &State) -> Result<Reply, SimError> {
    Ok(Reply::ok(plan_key_json(plan_key(plan_id, key_id, state)?)))
}

pub(super) fn delete_plan_key(
    plan_id: &str,
    key_id: &str,
    state: &mut State,
) -> Result<Reply, SimError> {
    plan_key(plan_id, key_id, state)?;
    state.plan_mut(plan_id)?.keys.remove(key_id);
    Ok(Reply::empty(StatusCode::ACCEPTED))
}
