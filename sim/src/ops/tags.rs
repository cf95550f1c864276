//! GetTags, TagResource and UntagResource, on usage plan ARNs.

use std::collections::BTreeMap;

use hyper::StatusCode;
use serde::Deserialize;
use serde_json::json;

use super::{ApiRequest, Reply};
use crate::body::{Body, Shape, TAGS};
use crate::error::SimError;
use crate::state::State;
use crate::validate::{validate_tag_key, validate_tags};

/// The usage plan id in a usage plan ARN of this region.
fn plan_id<'a>(arn: &'a str, state: &State) -> Result<&'a str, SimError> {
    let prefix = state.plan_arn("");
    arn.strip_prefix(prefix.as_str())
        .filter(|id| !id.is_empty() && !id.contains('/'))
        .ok_or_else(|| {
            SimError::bad_request(format!(
                "Invalid resource ARN specified: '{arn}'. tollgate-sim tags usage plans only: {prefix}{{usagePlanId}}"
            ))
        })
}

pub(super) fn get(arn: &str, state: &State) -> Result<Reply, SimError> {
    let plan = state.plan(plan_id(arn, state)?)?;
    Ok(Reply::ok(json!({ "tags": plan.tags })))
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
    let id = plan_id(arn, state)?.to_string();
    let plan = state.plan_mut(&id)?;
    let mut tags = plan.tags.clone();
    tags.extend(body.tags);
    validate_tags(&tags)?;
    plan.tags = tags;
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
    let id = plan_id(arn, state)?.to_string();
    let plan = state.plan_mut(&id)?;
    for key in &keys {
        plan.tags.remove(key);
    }
    Ok(Reply::empty(StatusCode::NO_CONTENT))
}
