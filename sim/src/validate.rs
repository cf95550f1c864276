//! The rules a usage plan and its tags must keep, applied alike to seeds, creates, patches and
//! loaded state.

use std::collections::BTreeMap;

use crate::dates::parse_date;
use crate::error::{ErrorKind, SimError};
use crate::state::{ApiStage, KeyUsage, Period, Quota, RestApi, State, Throttle, UsagePlan};
use crate::usage::MAX_REQUESTS;

/// The largest integer AWS accepts in a quota or burst limit (a Java int).
pub const MAX_INT: i64 = i32::MAX as i64;
/// How many usage plans one API key may be on.
pub const MAX_PLANS_PER_KEY: usize = 10;
/// How many tags one resource may carry.
pub const MAX_TAGS: usize = 50;

/// Checks a whole plan against the state it lives in (the plan itself may or may not be in it).
pub fn validate_plan(state: &State, plan: &UsagePlan) -> Result<(), SimError> {
    if plan.name.trim().is_empty() {
        return Err(SimError::bad_request("Usage Plan name must be non-empty"));
    }
    if let Some(quota) = &plan.quota {
        validate_quota(quota)?;
    }
    if let Some(throttle) = &plan.throttle {
        validate_throttle(throttle)?;
    }
    for stage in &plan.api_stages {
        validate_stage(state, plan, stage)?;
    }
    validate_stored_tags(&plan.tags)?;
    for key_id in plan.keys.keys() {
        state.api_key(key_id)?;
        check_shared_stage(state, plan, key_id)?;
    }
    Ok(())
}

fn validate_quota(quota: &Quota) -> Result<(), SimError> {
    let period = quota.period.ok_or_else(|| {
        SimError::bad_request(
            "Invalid quota: a period is required. Must be one of: [DAY, WEEK, MONTH]",
        )
    })?;
    check_int("quota limit", quota.limit)?;
    let max_offset = match period {
        Period::Day => 0,
        Period::Week => 6,
        Period::Month => 27,
    };
    if !(0..=max_offset).contains(&quota.offset) {
        return Err(SimError::bad_request(format!(
            "Invalid quota offset specified: {}. Must be between 0 and {max_offset} for period {}",
            quota.offset,
            period.as_str()
        )));
    }
    Ok(())
}

fn validate_throttle(throttle: &Throttle) -> Result<(), SimError> {
    check_int("burst limit", throttle.burst_limit)?;
    if !throttle.rate_limit.is_finite() || throttle.rate_limit < 0.0 {
        return Err(SimError::bad_request(format!(
            "Invalid rate limit specified: {}. Must be a number >= 0",
            throttle.rate_limit
        )));
    }
    Ok(())
}

fn check_int(what: &str, value: i64) -> Result<(), SimError> {
    if (0..=MAX_INT).contains(&value) {
        Ok(())
    } else {
        Err(SimError::bad_request(format!(
            "Invalid {what} specified: {value}. Must be an integer between 0 and {MAX_INT}"
        )))
    }
}

fn validate_stage(state: &State, plan: &UsagePlan, stage: &ApiStage) -> Result<(), SimError> {
    let not_found = || {
        SimError::not_found(format!(
            "API Stage not found: {}:{}",
            stage.api_id, stage.stage
        ))
    };
    let api = state.rest_apis.get(&stage.api_id).ok_or_else(not_found)?;
    if !api.stages.contains(&stage.stage) {
        return Err(not_found());
    }
    if !stage.throttle.is_empty() && plan.throttle.is_none() {
        return Err(SimError::bad_request(format!(
            "Method level throttling on API Stage {}:{} requires a usage plan level throttle",
            stage.api_id, stage.stage
        )));
    }
    for (key, throttle) in &stage.throttle {
        let unknown = |why: String| {
            SimError::bad_request(format!(
                "Invalid method throttle '{key}' for API Stage {}:{}: {why}",
                stage.api_id, stage.stage
            ))
        };
        let (resource, method) = key
            .rsplit_once('/')
            .ok_or_else(|| unknown("expected {resourcePath}/{httpMethod}".to_string()))?;
        let methods = api
            .resources
            .get(resource)
            .ok_or_else(|| unknown(format!("resource '{resource}' not found in API {}", api.id)))?;
        if !methods.contains(method) {
            return Err(unknown(format!(
                "method {method} not found on resource '{resource}' in API {}",
                api.id
            )));
        }
        validate_throttle(throttle)?;
    }
    Ok(())
}

/// Checks tags a client writes: no `aws:` keys, and as [`validate_stored_tags`].
pub fn validate_tags(tags: &BTreeMap<String, String>) -> Result<(), SimError> {
    for key in tags.keys() {
        validate_tag_key(key)?;
    }
    validate_stored_tags(tags)
}

/// Checks the tags a resource holds: at most 50 besides AWS's own `aws:` tags (which a stack
/// puts there and which do not count), keys 1-128 and values 0-256 characters.
pub fn validate_stored_tags(tags: &BTreeMap<String, String>) -> Result<(), SimError> {
    let counted = tags.keys().filter(|key| !is_aws_tag(key)).count();
    if counted > MAX_TAGS {
        return Err(SimError::bad_request(format!(
            "Too many tags: a resource can have at most {MAX_TAGS} tags, got {counted}"
        )));
    }
    for (key, value) in tags {
        validate_tag_key_length(key)?;
        if value.chars().count() > 256 {
            return Err(SimError::bad_request(format!(
                "Invalid tag value for key '{key}': at most 256 characters"
            )));
        }
    }
    Ok(())
}

/// Whether a tag key is AWS's own (`aws:`, in any letter case).
fn is_aws_tag(key: &str) -> bool {
    key.get(..4)
        .is_some_and(|prefix| prefix.eq_ignore_ascii_case("aws:"))
}

/// Checks one tag key a client names: 1-128 characters, not starting with `aws:`.
pub fn validate_tag_key(key: &str) -> Result<(), SimError> {
    if is_aws_tag(key) {
        return Err(SimError::bad_request(format!(
            "Invalid tag key '{key}': keys starting with 'aws:' are reserved for AWS"
        )));
    }
    validate_tag_key_length(key)
}

/// Checks a tag key's length: 1-128 characters.
fn validate_tag_key_length(key: &str) -> Result<(), SimError> {
    if key.is_empty() || key.chars().count() > 128 {
        return Err(SimError::bad_request(format!(
            "Invalid tag key '{key}': must be 1 to 128 characters"
        )));
    }
    Ok(())
}

/// Checks that `key_id` may sit on `plan`: no other plan holding the key shares a stage with it,
/// and the key is on at most 10 plans.
pub fn check_shared_stage(state: &State, plan: &UsagePlan, key_id: &str) -> Result<(), SimError> {
    let others = state
        .usage_plans
        .values()
        .filter(|p| p.id != plan.id && p.keys.contains_key(key_id));
    let mut count = 1;
    for other in others {
        count += 1;
        if let Some(shared) = plan
            .api_stages
            .iter()
            .find(|s| other.has_stage(&s.api_id, &s.stage))
        {
            return Err(SimError::conflict(format!(
                "Usage Plan {} cannot be added because API Key {key_id} cannot reference multiple Usage Plans with the same API Stage: {}:{}",
                plan.id, shared.api_id, shared.stage
            )));
        }
    }
    if count > MAX_PLANS_PER_KEY {
        return Err(SimError::new(
            ErrorKind::LimitExceeded,
            format!("Limit exceeded: API Key {key_id} cannot be associated with more than {MAX_PLANS_PER_KEY} usage plans"),
        ));
    }
    Ok(())
}

/// HTTP methods a resource may have.
pub const METHODS: [&str; 8] = [
    "ANY", "DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT",
];

/// Checks a whole state, as a seed or `load_state` gives it; errors name the plan or API.
pub fn validate_state(state: &State) -> Result<(), SimError> {
    for (id, api) in &state.rest_apis {
        validate_api(id, api)?;
    }
    for (id, key) in &state.api_keys {
        if id != &key.id || id.is_empty() {
            return Err(SimError::bad_request(format!(
                "API key '{}' is stored under id '{id}'",
                key.id
            )));
        }
        validate_key_value(&key.value)?;
    }
    for (id, plan) in &state.usage_plans {
        let named = |e: SimError| {
            SimError::new(
                e.kind,
                format!("usage plan '{}' ({}): {}", plan.name, plan.id, e.message),
            )
        };
        if id != &plan.id || id.is_empty() {
            return Err(named(SimError::bad_request(format!(
                "stored under id '{id}'"
            ))));
        }
        let mut sorted = plan.clone();
        sorted.sort_stages();
        if sorted.api_stages != plan.api_stages {
            return Err(named(SimError::bad_request(
                "apiStages must be sorted by apiId and stage",
            )));
        }
        validate_plan(state, plan).map_err(named)?;
        for (key_id, usage) in &plan.keys {
            validate_usage(usage).map_err(|e| {
                named(SimError::bad_request(format!(
                    "usage of API key {key_id}: {}",
                    e.message
                )))
            })?;
        }
    }
    Ok(())
}

/// Checks a key's recorded usage: days as `record_usage` takes them (`YYYY-MM-DD`), at most
/// [`MAX_REQUESTS`] a day, and extensions keyed by days too.
fn validate_usage(usage: &KeyUsage) -> Result<(), SimError> {
    for (day, requests) in &usage.used {
        parse_date(day)?;
        check_requests(*requests)?;
    }
    for day in usage.extensions.keys() {
        parse_date(day)?;
    }
    Ok(())
}

/// Checks a number of requests recorded for one day: at most [`MAX_REQUESTS`], the largest
/// count AWS's Usage shows (a Long).
pub fn check_requests(requests: u64) -> Result<(), SimError> {
    if requests <= MAX_REQUESTS {
        Ok(())
    } else {
        Err(SimError::bad_request(format!(
            "Invalid requests specified: {requests}. Must be an integer between 0 and {MAX_REQUESTS}"
        )))
    }
}

fn validate_api(id: &str, api: &RestApi) -> Result<(), SimError> {
    let bad = |why: String| SimError::bad_request(format!("REST API '{id}': {why}"));
    if id != api.id || id.is_empty() {
        return Err(bad(format!(
            "stored under id '{id}' but has id '{}'",
            api.id
        )));
    }
    for stage in &api.stages {
        validate_stage_name(stage).map_err(|e| bad(e.message))?;
    }
    for (path, methods) in &api.resources {
        if !path.starts_with('/') {
            return Err(bad(format!("resource path '{path}' must start with '/'")));
        }
        if let Some(m) = methods.iter().find(|m| !METHODS.contains(&m.as_str())) {
            return Err(bad(format!(
                "unknown HTTP method '{m}' on resource '{path}'; use one of {METHODS:?}"
            )));
        }
    }
    Ok(())
}

/// Checks a stage name: letters, digits, `-` and `_`, at most 128 characters.
pub fn validate_stage_name(name: &str) -> Result<(), SimError> {
    let ok = !name.is_empty()
        && name.len() <= 128
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if ok {
        Ok(())
    } else {
        Err(SimError::bad_request(format!(
            "Stage name only allows a-zA-Z0-9_- and at most 128 characters: '{name}'"
        )))
    }
}

/// Checks an API key value: 20 to 128 printable ASCII characters, as AWS requires.
pub fn validate_key_value(value: &str) -> Result<(), SimError> {
    let ok = (20..=128).contains(&value.len()) && value.chars().all(|c| c.is_ascii_graphic());
    if ok {
        Ok(())
    } else {
        Err(SimError::bad_request(
            "API Key value should be at least 20 characters (at most 128, printable ASCII)",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_resource_holds_aws_tags_a_client_cannot_write_and_they_do_not_count() {
        let mut tags: BTreeMap<String, String> = (0..50)
            .map(|i| (format!("k{i}"), "v".to_string()))
            .collect();
        tags.insert("aws:cloudformation:stack-name".into(), "payments".into());
        assert!(validate_stored_tags(&tags).is_ok());
        assert!(validate_tags(&tags)
            .unwrap_err()
            .message
            .contains("reserved for AWS"));
    }

    #[test]
    fn tag_rules() {
        let mut tags: BTreeMap<String, String> = (0..50)
            .map(|i| (format!("k{i}"), "v".to_string()))
            .collect();
        assert!(validate_tags(&tags).is_ok());
        tags.insert("k50".into(), "v".into());
        assert!(validate_tags(&tags)
            .unwrap_err()
            .message
            .starts_with("Too many tags"));
        assert!(validate_tag_key("aws:cloudformation:stack").is_err());
        assert!(validate_tag_key("AWS:x").is_err());
        assert!(validate_tag_key("").is_err());
        assert!(validate_tag_key("team").is_ok());
    }

    #[test]
    fn quota_offsets_depend_on_period() {
        let quota = |offset, period| Quota {
            limit: 1,
            offset,
            period: Some(period),
        };
        assert!(validate_quota(&quota(0, Period::Day)).is_ok());
        assert!(validate_quota(&quota(1, Period::Day)).is_err());
        assert!(validate_quota(&quota(6, Period::Week)).is_ok());
        assert!(validate_quota(&quota(7, Period::Week)).is_err());
        assert!(validate_quota(&quota(27, Period::Month)).is_ok());
        assert!(validate_quota(&quota(28, Period::Month)).is_err());
        assert!(validate_quota(&Quota {
            limit: 1,
            offset: 0,
            period: None
        })
        .is_err());
        assert!(validate_quota(&Quota {
            limit: -1,
            offset: 0,
            period: Some(Period::Day)
        })
        .is_err());
    }
}
