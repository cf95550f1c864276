//! GetUsage and UpdateUsage.

use serde_json::{json, Map, Value};

use super::{ApiRequest, Reply};
use crate::dates::{format_date, parse_date, DAY_SECONDS};
use crate::error::SimError;
use crate::pagination::page;
use crate::patch::PatchBody;
use crate::state::{State, UsagePlan};
use crate::usage::{remaining, set_remaining};

/// The Usage body for `keys` of `plan` over the days `start..=end`.
fn usage_json<'a>(
    plan: &UsagePlan,
    keys: impl Iterator<Item = &'a String>,
    start: i64,
    end: i64,
) -> Map<String, Value> {
    let mut values = Map::new();
    for key_id in keys {
        let usage = &plan.keys[key_id];
        let days: Vec<Value> = (start..=end)
            .map(|day| {
                let used = usage.used.get(&format_date(day)).copied().unwrap_or(0);
                json!([used, remaining(plan.quota.as_ref(), usage, day)])
            })
            .collect();
        values.insert(key_id.clone(), Value::Array(days));
    }
    let mut body = Map::new();
    body.insert("usagePlanId".into(), json!(plan.id));
    body.insert("startDate".into(), json!(format_date(start)));
    body.insert("endDate".into(), json!(format_date(end)));
    body.insert("values".into(), Value::Object(values));
    body
}

/// The most days one GetUsage may cover, `startDate` and `endDate` included.
const MAX_USAGE_DAYS: i64 = 366;

pub(super) fn get(
    plan_id: &str,
    request: &ApiRequest<'_>,
    state: &State,
) -> Result<Reply, SimError> {
    let plan = state.plan(plan_id)?;
    let date = |name: &str| {
        let text = request.param(name).ok_or_else(|| {
            SimError::bad_request(format!("Invalid {name}: a date YYYY-MM-DD is required"))
        })?;
        parse_date(text)
    };
    let (start, end) = (date("startDate")?, date("endDate")?);
    if end < start {
        return Err(SimError::bad_request(
            "The endDate must not be before the startDate",
        ));
    }
    let days = end - start + 1;
    if days > MAX_USAGE_DAYS {
        return Err(SimError::bad_request(format!(
            "Invalid date range: from startDate {} to endDate {} is {days} days. It must be at most {MAX_USAGE_DAYS} days",
            format_date(start),
            format_date(end)
        )));
    }
    let key_filter = request.param("keyId");
    if let Some(key_id) = key_filter {
        plan.key_usage(key_id)?;
    }
    let page = page(request.query, &plan.keys, |id, _| {
        key_filter.is_none_or(|f| f == id).then_some(id)
    })?;
    let mut body = usage_json(plan, page.items.into_iter(), start, end);
    if let Some(position) = page.position {
        body.insert("position".into(), json!(position));
    }
    Ok(Reply::ok(Value::Object(body)))
}

pub(super) fn update(
    plan_id: &str,
    key_id: &str,
    request: &ApiRequest<'_>,
    state: &mut State,
) -> Result<Reply, SimError> {
    let body: PatchBody = request.json()?;
    let plan = state.plan(plan_id)?;
    plan.key_usage(key_id)?;
    let mut target = None;
    for op in &body.patch_operations {
        let allowed = if op.op == "replace" {
            "[/remaining]"
        } else {
            "[]"
        };
        if op.op != "replace" || op.path != "/remaining" {
            return Err(SimError::bad_request(format!(
                "Invalid patch path '{}' specified for op '{}'. Must be one of: {allowed}",
                op.path, op.op
            )));
        }
        let value = op.value.as_deref().unwrap_or("");
        let n = value
            .parse::<i64>()
            .ok()
            .filter(|n| *n >= 0)
            .ok_or_else(|| {
                SimError::bad_request(format!(
                "Invalid value '{value}' specified for path '/remaining': must be an integer >= 0"
            ))
            })?;
        target = Some(n);
    }
    let quota = plan.quota;
    let today = request.now_seconds().div_euclid(DAY_SECONDS);
    if let Some(n) = target {
        let quota = quota.ok_or_else(|| {
            SimError::bad_request(format!(
                "Usage Plan {plan_id} has no quota: there is no remaining quota to set"
            ))
        })?;
        let usage = state.plan_mut(plan_id)?.key_usage_mut(key_id)?;
        set_remaining(&quota, usage, today, n);
    }
    let plan = state.plan(plan_id)?;
    let key = key_id.to_string();
    Ok(Reply::ok(Value::Object(usage_json(
        plan,
        std::iter::once(&key),
        today,
        today,
    ))))
}
