//! GetTags, TagResource and UntagResource, on usage plan and API key ARNs.

use std::collections::BTreeMap;

use hyper::StatusCode;
use serde::Deserialize;
use serde_json::json;

use super::{ApiRequest, Reply};
use crate::body::{Body, Shape, TAGS};
use crate::error::SimError;
use crate::state::State;
use crate::validate::{validate_stored_tags, validate_tag_key, validate_tags};

/// The tags of the usage plan or API key an ARN of this region names.
fn tags_mut<'s>(
    arn: &str,
    state: &'s mut State,
) -> Result<&'s mut BTreeMap<String, String>, SimError> {
    match resource(arn, state)? {
        Resource::Plan(id) => Ok(&mut state.plan_mut(&id)?.tags),
        Resource::ApiKey(id) => Ok(&mut state.api_key_mut(&id)?.tags),
    }
}

/// What an ARN names.
enum Resource {
    Plan(String),
    ApiKey(String),
}

/// The usage plan or API key an ARN of this region names.
fn resource(arn: &str, state: &State) -> Result<Resource, SimError> {
    let plans = state.plan_arn("");
    let keys = plans.replace("/usageplans/", "/apikeys/");
    let id = |prefix: &str| {
        arn.strip_prefix(prefix)
            .filter(|id| !id.is_empty() && !id.contains('/'))
            .map(str::to_string)
    };
    if let Some(plan) = id(&plans) {
        return Ok(Resource::Plan(plan));
    }
    if let Some(key) = id(&keys) {
        return Ok(Resource::ApiKey(key));
    }
    Err(SimError::bad_request(format!(
        "Invalid resource ARN specified: '{arn}'. tollgate-sim tags usage plans and API keys only: {plans}{{usagePlanId}}, {keys}{{apiKeyId}}"
    )))
}

pub(super) fn get(arn: &str, state: &State) -> Result<Reply, SimError> {
    let tags = match resource(arn, state)? {
        Resource::Plan(id) => &state.plan(&id)?.tags,
        Resource::ApiKey(id) => &state.api_key(&id)?.tags,
    };
    Ok(Reply::ok(json!({ "tags": tags })))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TagBody {
    #[serde(default)]
    tags: BTreeMap<String, String>,
}

impl Body for TagBody {
    const MEMBERS: &'static [(&'static str, Shape)] = &[("tags", TAGS)];
}

pub(super) fn tag(
    arn: &str,
    request: &ApiRequest<'_>,
    state: &mut State,
) -> Result<Reply, SimError> {
    let body: TagBody = request.json()?;
    validate_tags(&body.tags)?;
    let current = tags_mut(arn, state)?;
    let mut tags = current.clone();
    tags.extend(body.tags);
    validate_stored_tags(&tags)?;
    *current = tags;
    Ok(Reply::empty(StatusCode::NO_CONTENT))
}

pub(super) fn untag(
    arn: &str,
    request: &ApiRequest<'_>,
    state: &mut State,
) -> Result<Reply, SimError> {
    let keys = request.query.get("tagKeys").cloned().unwrap_or_default();
    for key in &keys {
        validate_tag_key(key)?;
    }
    let tags = tags_mut(arn, state)?;
    for key in &keys {
        tags.remove(key);
    }
    Ok(Reply::empty(StatusCode::NO_CONTENT))
}
