//! The patch grammar of UpdateUsagePlan: parse each operation, apply all of them to a copy of
//! the plan, validate the result; the caller stores it only if everything succeeded.

use serde::Deserialize;

use crate::body::{Body, Shape};
use crate::error::SimError;
use crate::state::{ApiStage, Period, Quota, State, Throttle, UsagePlan};
use crate::validate::validate_plan;

/// One operation of a `patchOperations` list, as it comes over the wire (`from` is ignored).
#[derive(Debug, Clone, Deserialize)]
pub struct PatchOperation {
    /// `add`, `remove`, `replace` (and the JSON Patch ops AWS refuses here).
    pub op: String,
    /// The path the operation applies to.
    pub path: String,
    /// The new value, always a string.
    #[serde(default)]
    pub value: Option<String>,
}

/// The body of an UpdateUsagePlan or UpdateUsage call.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PatchBody {
    /// The operations, applied in order, all or none.
    #[serde(default)]
    pub patch_operations: Vec<PatchOperation>,
}

impl Body for PatchBody {
    const MEMBERS: &'static [(&'static str, Shape)] = &[(
        "patchOperations",
        Shape::List(&Shape::Structure(&[
            ("op", Shape::String),
            ("path", Shape::String),
            ("value", Shape::String),
            ("from", Shape::String),
        ])),
    )];
}

const ADD_PATHS: &str = "[/productCode, /quota/limit, /quota/offset, /quota/period, /throttle/burstLimit, /throttle/rateLimit, /apiStages, /apiStages/<apidId:stageName>/throttle/<resourcePath>/<httpMethod>/rateLimit, /apiStages/<apidId:stageName>/throttle/<resourcePath>/<httpMethod>/burstLimit]";
const REPLACE_PATHS: &str = "[/name, /description, /productCode, /quota/limit, /quota/offset, /quota/period, /throttle/burstLimit, /throttle/rateLimit, /apiStages/<apidId:stageName>/throttle/<resourcePath>/<httpMethod>/rateLimit, /apiStages/<apidId:stageName>/throttle/<resourcePath>/<httpMethod>/burstLimit]";
const REMOVE_PATHS: &str = "[/apiStages, /quota, /throttle, /productCode, /apiStages/<apidId:stageName>/throttle/<resourcePath>/<httpMethod>, /apiStages/<apidId:stageName>/throttle]";

/// The operations a path allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Add,
    Replace,
    Remove,
}

/// A leaf of a throttle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Leaf {
    Rate,
    Burst,
}

/// What a patch path names.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Target {
    Name,
    Description,
    ProductCode,
    Quota,
    QuotaLimit,
    QuotaOffset,
    QuotaPeriod,
    Throttle,
    ThrottleLeaf(Leaf),
    ApiStages,
    StageThrottles {
        api_id: String,
        stage: String,
    },
    MethodThrottle {
        api_id: String,
        stage: String,
        key: String,
    },
    MethodThrottleLeaf {
        api_id: String,
        stage: String,
        key: String,
        leaf: Leaf,
    },
}

/// Applies `operations` to a copy of `plan` and returns the validated result.
pub fn apply_plan_patch(
    state: &State,
    plan: &UsagePlan,
    operations: &[PatchOperation],
) -> Result<UsagePlan, SimError> {
    let mut next = plan.clone();
    for operation in operations {
        apply_one(state, &mut next, operation)?;
    }
    next.sort_stages();
    validate_plan(state, &next)?;
    Ok(next)
}

fn apply_one(
    state: &State,
    plan: &mut UsagePlan,
    operation: &PatchOperation,
) -> Result<(), SimError> {
    let op = match operation.op.as_str() {
        "add" => Op::Add,
        "replace" => Op::Replace,
        "remove" => Op::Remove,
        "move" | "copy" | "test" => return Err(invalid_path(operation, "[]")),
        other => {
            return Err(SimError::bad_request(format!(
            "Invalid patch operation '{other}' specified. Must be one of: [add, remove, replace]"
        )))
        }
    };
    let allowed = match op {
        Op::Add => ADD_PATHS,
        Op::Replace => REPLACE_PATHS,
        Op::Remove => REMOVE_PATHS,
    };
    let target = parse_path(&operation.path).ok_or_else(|| invalid_path(operation, allowed))?;
    if !allows(op, &target) {
        return Err(invalid_path(operation, allowed));
    }
    let value = || {
        operation.value.as_deref().ok_or_else(|| {
            SimError::bad_request(format!(
                "Invalid patch operation: a value is required for op '{}' on path '{}'",
                operation.op, operation.path
            ))
        })
    };
    match target {
        Target::Name => {
            let name = value()?;
            if name.trim().is_empty() {
                return Err(SimError::bad_request("Usage Plan name must be non-empty"));
            }
            plan.name = name.to_string();
        }
        Target::Description => {
            plan.description = operation.value.clone().filter(|d| !d.is_empty());
        }
        Target::ProductCode if op == Op::Remove => plan.product_code = None,
        Target::ProductCode => {
            let code = value()?;
            if code.is_empty() {
                return Err(SimError::bad_request(
                    "Invalid product code: must be non-empty",
                ));
            }
            plan.product_code = Some(code.to_string());
        }
        Target::Quota => plan.quota = None,
        Target::QuotaLimit => quota(plan).limit = parse_int(&operation.path, value()?)?,
        Target::QuotaOffset => quota(plan).offset = parse_int(&operation.path, value()?)?,
        Target::QuotaPeriod => quota(plan).period = Some(Period::parse(value()?)?),
        Target::Throttle => plan.throttle = None,
        Target::ThrottleLeaf(leaf) => {
            let throttle = plan.throttle.get_or_insert_with(Throttle::default);
            set_leaf(throttle, leaf, &operation.path, value()?)?;
        }
        Target::ApiStages => {
            let (api_id, stage) = parse_stage_value(value()?)?;
            match op {
                Op::Add => add_stage(state, plan, api_id, stage)?,
                _ => {
                    let before = plan.api_stages.len();
                    plan.api_stages
                        .retain(|s| !(s.api_id == api_id && s.stage == stage));
                    if plan.api_stages.len() == before {
                        return Err(SimError::bad_request("Invalid API Stage specified"));
                    }
                }
            }
        }
        Target::StageThrottles { api_id, stage } => {
            stage_of(plan, &api_id, &stage)?.throttle.clear()
        }
        Target::MethodThrottle { api_id, stage, key } => {
            let on = stage_of(plan, &api_id, &stage)?;
            if on.throttle.remove(&key).is_none() {
                return Err(SimError::bad_request(format!(
                    "Invalid method throttle '{key}' specified: API Stage {api_id}:{stage} has no throttle for it"
                )));
            }
        }
        Target::MethodThrottleLeaf {
            api_id,
            stage,
            key,
            leaf,
        } => {
            let on = stage_of(plan, &api_id, &stage)?;
            let throttle = on.throttle.entry(key).or_default();
            set_leaf(throttle, leaf, &operation.path, value()?)?;
        }
    }
    Ok(())
}

fn allows(op: Op, target: &Target) -> bool {
    match target {
        Target::Name | Target::Description => op == Op::Replace,
        Target::ProductCode => true,
        Target::Quota
        | Target::Throttle
        | Target::StageThrottles { .. }
        | Target::MethodThrottle { .. } => op == Op::Remove,
        Target::QuotaLimit
        | Target::QuotaOffset
        | Target::QuotaPeriod
        | Target::ThrottleLeaf(_)
        | Target::MethodThrottleLeaf { .. } => op != Op::Remove,
        Target::ApiStages => op != Op::Replace,
    }
}

fn invalid_path(operation: &PatchOperation, allowed: &str) -> SimError {
    SimError::bad_request(format!(
        "Invalid patch path '{}' specified for op '{}'. Must be one of: {allowed}",
        operation.path, operation.op
    ))
}

fn parse_path(path: &str) -> Option<Target> {
    let simple = match path {
        "/name" => Some(Target::Name),
        "/description" => Some(Target::Description),
        "/productCode" => Some(Target::ProductCode),
        "/quota" => Some(Target::Quota),
        "/quota/limit" => Some(Target::QuotaLimit),
        "/quota/offset" => Some(Target::QuotaOffset),
        "/quota/period" => Some(Target::QuotaPeriod),
        "/throttle" => Some(Target::Throttle),
        "/throttle/rateLimit" => Some(Target::ThrottleLeaf(Leaf::Rate)),
        "/throttle/burstLimit" => Some(Target::ThrottleLeaf(Leaf::Burst)),
        "/apiStages" => Some(Target::ApiStages),
        _ => None,
    };
    if simple.is_some() {
        return simple;
    }
    let rest = path.strip_prefix("/apiStages/")?;
    let (stage_id, rest) = rest.split_once('/')?;
    let (api_id, stage) = stage_id.split_once(':')?;
    if api_id.is_empty() || stage.is_empty() {
        return None;
    }
    let (api_id, stage) = (api_id.to_string(), stage.to_string());
    if rest == "throttle" {
        return Some(Target::StageThrottles { api_id, stage });
    }
    let rest = rest.strip_prefix("throttle/")?;
    let (rest, leaf) = match rest.rsplit_once('/') {
        Some((head, "rateLimit")) => (head, Some(Leaf::Rate)),
        Some((head, "burstLimit")) => (head, Some(Leaf::Burst)),
        _ => (rest, None),
    };
    let (resource, method) = rest.rsplit_once('/')?;
    let resource = resource.replace("~1", "/").replace("~0", "~");
    if !resource.starts_with('/') || method.is_empty() {
        return None;
    }
    let key = format!("{resource}/{method}");
    Some(match leaf {
        Some(leaf) => Target::MethodThrottleLeaf {
            api_id,
            stage,
            key,
            leaf,
        },
        None => Target::MethodThrottle { api_id, stage, key },
    })
}

fn quota(plan: &mut UsagePlan) -> &mut Quota {
    plan.quota.get_or_insert(Quota {
        limit: 0,
        offset: 0,
        period: None,
    })
}

fn parse_int(path: &str, value: &str) -> Result<i64, SimError> {
    value.parse::<i64>().map_err(|_| {
        SimError::bad_request(format!(
            "Invalid value '{value}' specified for path '{path}': must be an integer"
        ))
    })
}

fn set_leaf(throttle: &mut Throttle, leaf: Leaf, path: &str, value: &str) -> Result<(), SimError> {
    match leaf {
        Leaf::Burst => throttle.burst_limit = parse_int(path, value)?,
        Leaf::Rate => {
            throttle.rate_limit = value
                .parse::<f64>()
                .ok()
                .filter(|v| v.is_finite())
                .ok_or_else(|| {
                    SimError::bad_request(format!(
                        "Invalid value '{value}' specified for path '{path}': must be a number"
                    ))
                })?;
        }
    }
    Ok(())
}

/// Splits a stage value `apiId:stage`.
pub fn parse_stage_value(value: &str) -> Result<(&str, &str), SimError> {
    value
        .split_once(':')
        .filter(|(a, s)| !a.is_empty() && !s.is_empty() && !s.contains(':'))
        .ok_or_else(|| {
            SimError::bad_request(format!(
                "Invalid API Stage specified: '{value}'. Must be {{apiId}}:{{stageName}}"
            ))
        })
}

fn add_stage(
    state: &State,
    plan: &mut UsagePlan,
    api_id: &str,
    stage: &str,
) -> Result<(), SimError> {
    let exists = state
        .rest_apis
        .get(api_id)
        .is_some_and(|api| api.stages.contains(stage));
    if !exists {
        return Err(SimError::not_found(format!(
            "API Stage not found: {api_id}:{stage}"
        )));
    }
    if plan.has_stage(api_id, stage) {
        return Err(SimError::conflict(format!(
            "API Stage {api_id}:{stage} is already associated with the usage plan"
        )));
    }
    plan.api_stages.push(ApiStage {
        api_id: api_id.to_string(),
        stage: stage.to_string(),
        throttle: Default::default(),
    });
    Ok(())
}

fn stage_of<'a>(
    plan: &'a mut UsagePlan,
    api_id: &str,
    stage: &str,
) -> Result<&'a mut ApiStage, SimError> {
    plan.stage_mut(api_id, stage).ok_or_else(|| {
        SimError::bad_request(format!(
            "Invalid API Stage specified: {api_id}:{stage} is not associated with the usage plan"
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_method_throttle_path_forms_parse_alike() {
        let plain = parse_path("/apiStages/a1:prod/throttle//pets/{petId}/GET/rateLimit");
        let escaped = parse_path("/apiStages/a1:prod/throttle/~1pets~1{petId}/GET/rateLimit");
        let expected = Target::MethodThrottleLeaf {
            api_id: "a1".into(),
            stage: "prod".into(),
            key: "/pets/{petId}/GET".into(),
            leaf: Leaf::Rate,
        };
        assert_eq!(plain, Some(expected.clone()));
        assert_eq!(escaped, Some(expected));
        assert_eq!(
            parse_path("/apiStages/a1:prod/throttle/~1pets/DELETE"),
            Some(Target::MethodThrottle {
                api_id: "a1".into(),
                stage: "prod".into(),
                key: "/pets/DELETE".into()
            })
        );
        assert_eq!(
            parse_path("/apiStages/a1:prod/throttle"),
            Some(Target::StageThrottles {
                api_id: "a1".into(),
                stage: "prod".into()
            })
        );
    }

    #[test]
    fn bad_paths_do_not_parse() {
        for path in [
            "/apiStages/a1:prod",
            "/nope",
            "/apiStages/a1/throttle",
            "/apiStages/a1:prod/throttle/pets/GET",
            "/quota/limits",
        ] {
            assert_eq!(parse_path(path), None, "{path}");
        }
    }
}
