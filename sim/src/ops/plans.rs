//! CreateUsagePlan, GetUsagePlan(s), UpdateUsagePlan and DeleteUsagePlan.

use std::collections::BTreeMap;

use hyper::StatusCode;
use serde::Deserialize;
use serde_json::{json, Value};

use super::{list_body, ApiRequest, Reply};
use crate::body::{Body, Shape, TAGS, THROTTLE};
use crate::error::SimError;
use crate::pagination::page;
use crate::patch::{apply_plan_patch, PatchBody};
use crate::state::{ApiStage, Quota, State, Throttle, UsagePlan};
use crate::validate::{validate_plan, validate_tags};

/// A usage plan as the API shows it.
pub fn plan_json(plan: &UsagePlan) -> Value {
    let mut body = json!({ "id": plan.id, "name": plan.name, "apiStages": plan.api_stages });
    if let Some(description) = &plan.description {
        body["description"] = json!(description);
    }
    if let Some(code) = &plan.product_code {
        body["productCode"] = json!(code);
    }
    if let Some(throttle) = &plan.throttle {
        body["throttle"] = json!(throttle);
    }
    if let Some(quota) = &plan.quota {
        body["quota"] = json!(quota);
    }
    if !plan.tags.is_empty() {
        body["tags"] = json!(plan.tags);
    }
    body
}

pub(super) fn list(request: &ApiRequest<'_>, state: &State) -> Result<Reply, SimError> {
    let key_id = request.param("keyId");
    if let Some(key_id) = key_id {
        state.api_key(key_id)?;
    }
    let page = page(request.query, &state.usage_plans, |_, plan| {
        key_id
            .is_none_or(|k| plan.keys.contains_key(k))
            .then_some(plan)
    })?;
    let items = page.items.into_iter().map(plan_json).collect();
    Ok(Reply::ok(list_body(items, page.position)))
}

pub(super) fn get(id: &str, state: &State) -> Result<Reply, SimError> {
    Ok(Reply::ok(plan_json(state.plan(id)?)))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct CreateBody {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    api_stages: Vec<ApiStage>,
    #[serde(default)]
    throttle: Option<Throttle>,
    #[serde(default)]
    quota: Option<Quota>,
    #[serde(default)]
    tags: BTreeMap<String, String>,
}

/// A stage of CreateUsagePlan: `{"apiId", "stage", "throttle": {"/path/METHOD": throttle}}`.
const API_STAGE: Shape = Shape::Structure(&[
    ("apiId", Shape::String),
    ("stage", Shape::String),
    ("throttle", Shape::Map(&THROTTLE)),
]);

impl Body for CreateBody {
    const MEMBERS: &'static [(&'static str, Shape)] = &[
        ("name", Shape::String),
        ("description", Shape::String),
        ("apiStages", Shape::List(&API_STAGE)),
        ("throttle", THROTTLE),
        (
            "quota",
            Shape::Structure(&[
                ("limit", Shape::Integer),
                ("offset", Shape::Integer),
                ("period", Shape::Period),
            ]),
        ),
        ("tags", TAGS),
    ];
}

pub(super) fn create(request: &ApiRequest<'_>, state: &mut State) -> Result<Reply, SimError> {
    let body: CreateBody = request.json()?;
    for (i, stage) in body.api_stages.iter().enumerate() {
        if body.api_stages[..i]
            .iter()
            .any(|s| s.api_id == stage.api_id && s.stage == stage.stage)
        {
            return Err(SimError::bad_request(format!(
                "API Stage {}:{} is specified more than once",
                stage.api_id, stage.stage
            )));
        }
    }
    validate_tags(&body.tags)?;
    let mut plan = UsagePlan {
        id: String::new(),
        name: body.name.unwrap_or_default(),
        description: body.description.filter(|d| !d.is_empty()),
        product_code: None,
        throttle: body.throttle,
        quota: body.quota,
        api_stages: body.api_stages,
        tags: body.tags,
        keys: BTreeMap::new(),
    };
    plan.sort_stages();
    validate_plan(state, &plan)?;
    plan.id = state.new_id();
    let reply = Reply::created(plan_json(&plan));
    state.usage_plans.insert(plan.id.clone(), plan);
    Ok(reply)
}

pub(super) fn update(
    id: &str,
    request: &ApiRequest<'_>,
    state: &mut State,
) -> Result<Reply, SimError> {
    let body: PatchBody = request.json()?;
    let next = apply_plan_patch(state, state.plan(id)?, &body.patch_operations)?;
    let reply = Reply::ok(plan_json(&next));
    state.usage_plans.insert(id.to_string(), next);
    Ok(reply)
}

pub(super) fn delete(id: &str, state: &mut State) -> Result<Reply, SimError> {
    let plan = state.plan(id)?;
    if let Some(stage) = plan.api_stages.first() {
        return Err(SimError::bad_request(format!(
            "Cannot delete Usage Plan {id} while API stages are associated with it (for example {}:{}): remove them first",
            stage.api_id, stage.stage
        )));
    }
    state.usage_plans.remove(id);
    Ok(Reply::empty(StatusCode::ACCEPTED))
}
