//! The typed changes between two plan bodies: each knows its field and its value before and
//! after. The views, the risk marks and the drift lines read these; the UpdateUsagePlan
//! operations are their projection ([`super::body_operations`]).

use std::collections::BTreeSet;
use std::fmt;

use serde::{Serialize, Serializer};

use crate::model::{
    format_number, serialize_shortest, MethodThrottles, Period, PlanBody, Quota, StageRef, Throttle,
};

/// One method throttle of a stage: the stage and the throttle key (`/pets/GET`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MethodRef {
    /// The stage.
    pub stage: StageRef,
    /// The throttle key as the YAML writes it: `{resourcePath}/{METHOD}`.
    pub key: String,
}

impl MethodRef {
    /// The resource path and the method of the key: `("/pets", "GET")` for `/pets/GET`.
    pub fn resource_and_method(&self) -> (&str, &str) {
        match self.key.rsplit_once('/') {
            Some(("", method)) => ("/", method),
            Some((resource, method)) => (resource, method),
            None => ("", self.key.as_str()),
        }
    }
}

/// What a change is about: a whole block (quota, throttle, stage, method throttle) that
/// appears or goes away, or one leaf of a block that stays.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Field {
    /// The plan's name.
    Name,
    /// The description.
    Description,
    /// The AWS Marketplace product code.
    ProductCode,
    /// The whole quota, appearing or going away.
    Quota,
    /// The quota's limit.
    QuotaLimit,
    /// The quota's period.
    QuotaPeriod,
    /// The quota's offset.
    QuotaOffset,
    /// The whole plan throttle, appearing or going away.
    Throttle,
    /// The plan throttle's rate.
    ThrottleRate,
    /// The plan throttle's burst.
    ThrottleBurst,
    /// A stage, appearing or going away (its method throttles go with it).
    Stage(StageRef),
    /// A whole method throttle, appearing or going away.
    MethodThrottle(MethodRef),
    /// A method throttle's rate.
    MethodRate(MethodRef),
    /// A method throttle's burst.
    MethodBurst(MethodRef),
}

impl Field {
    /// Whether the field is the quota or one of its leaves.
    pub fn is_quota(&self) -> bool {
        matches!(
            self,
            Field::Quota | Field::QuotaLimit | Field::QuotaPeriod | Field::QuotaOffset
        )
    }

    /// The method throttle the field is, or is a leaf of.
    pub fn method(&self) -> Option<&MethodRef> {
        match self {
            Field::MethodThrottle(method)
            | Field::MethodRate(method)
            | Field::MethodBurst(method) => Some(method),
            _ => None,
        }
    }
}

/// The field as the JSON plan names it: `quota.limit`, `apiStages[a1b2c3:prod]`,
/// `apiStages[a1b2c3:prod].throttle[/pets/GET].rateLimit`.
impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let method = |f: &mut fmt::Formatter<'_>, method: &MethodRef| {
            write!(f, "apiStages[{}].throttle[{}]", method.stage, method.key)
        };
        match self {
            Field::Name => f.write_str("name"),
            Field::Description => f.write_str("description"),
            Field::ProductCode => f.write_str("productCode"),
            Field::Quota => f.write_str("quota"),
            Field::QuotaLimit => f.write_str("quota.limit"),
            Field::QuotaPeriod => f.write_str("quota.period"),
            Field::QuotaOffset => f.write_str("quota.offset"),
            Field::Throttle => f.write_str("throttle"),
            Field::ThrottleRate => f.write_str("throttle.rateLimit"),
            Field::ThrottleBurst => f.write_str("throttle.burstLimit"),
            Field::Stage(stage) => write!(f, "apiStages[{stage}]"),
            Field::MethodThrottle(target) => method(f, target),
            Field::MethodRate(target) => {
                method(f, target)?;
                f.write_str(".rateLimit")
            }
            Field::MethodBurst(target) => {
                method(f, target)?;
                f.write_str(".burstLimit")
            }
        }
    }
}

/// A field's value on one side of a change.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Value {
    /// A name, description, product code, or a stage (`apiId:stage`).
    Text(String),
    /// An integer: a quota limit or offset, a burst.
    Count(i64),
    /// Requests per second.
    Rate(#[serde(serialize_with = "serialize_shortest")] f64),
    /// A quota period.
    Period(Period),
    /// A whole quota.
    Quota(Quota),
    /// A whole throttle.
    Throttle(#[serde(serialize_with = "serialize_throttle")] Throttle),
}

/// A throttle as the JSON plan writes it: `{"rateLimit": 10, "burstLimit": 20}`, the rate in
/// its shortest form.
fn serialize_throttle<S: Serializer>(
    throttle: &Throttle,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct Shortest {
        #[serde(serialize_with = "serialize_shortest")]
        rate_limit: f64,
        burst_limit: i64,
    }
    Shortest {
        rate_limit: throttle.rate_limit,
        burst_limit: throttle.burst_limit,
    }
    .serialize(serializer)
}

impl fmt::Display for Value {
    /// The value as the wire writes it: `100000`, `12.5`, `MONTH`, text as it is.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Text(text) => f.write_str(text),
            Value::Count(count) => write!(f, "{count}"),
            Value::Rate(rate) => f.write_str(&format_number(*rate)),
            Value::Period(period) => f.write_str(period.as_str()),
            Value::Quota(quota) => write!(
                f,
                "{} per {} (offset {})",
                quota.limit, quota.period, quota.offset
            ),
            Value::Throttle(throttle) => write!(
                f,
                "{}/s burst {}",
                format_number(throttle.rate_limit),
                throttle.burst_limit
            ),
        }
    }
}

/// One change of a plan body: a field, its value before (`None`: it appears) and after
/// (`None`: it goes away).
#[derive(Debug, Clone, PartialEq)]
pub struct FieldChange {
    /// What changes.
    pub field: Field,
    /// The live value; `None` when the field appears.
    pub before: Option<Value>,
    /// The declared value; `None` when the field goes away.
    pub after: Option<Value>,
}

impl FieldChange {
    fn new(field: Field, before: Option<Value>, after: Option<Value>) -> Self {
        FieldChange {
            field,
            before,
            after,
        }
    }
}

/// The changes that turn `before` into `after`, one per field that differs, in field order
/// (before [`super::body_changes`] sorts them into the order AWS accepts): name, description,
/// product code, quota, plan throttle, then per stage (sorted) the stage and its method
/// throttles (sorted). A block that appears or goes away is one change; a block that stays
/// changes leaf by leaf. A stage that goes away takes its method throttles with it.
pub(super) fn field_changes(before: &PlanBody, after: &PlanBody) -> Vec<FieldChange> {
    let mut changes = Vec::new();
    let text = |value: &str| Some(Value::Text(value.to_owned()));
    if before.name != after.name {
        changes.push(FieldChange::new(
            Field::Name,
            text(&before.name),
            text(&after.name),
        ));
    }
    if before.description != after.description {
        // An empty description is no description.
        let described = |body: &PlanBody| {
            (!body.description.is_empty()).then(|| Value::Text(body.description.clone()))
        };
        changes.push(FieldChange::new(
            Field::Description,
            described(before),
            described(after),
        ));
    }
    if before.product_code != after.product_code {
        changes.push(FieldChange::new(
            Field::ProductCode,
            before.product_code.as_deref().and_then(text),
            after.product_code.as_deref().and_then(text),
        ));
    }
    quota_changes(&mut changes, before.quota.as_ref(), after.quota.as_ref());
    throttle_changes(
        &mut changes,
        (Field::Throttle, Field::ThrottleRate, Field::ThrottleBurst),
        before.throttle,
        after.throttle,
    );
    let stages: BTreeSet<&StageRef> = before.stages.keys().chain(after.stages.keys()).collect();
    let none = MethodThrottles::new();
    for stage in stages {
        let stage_text = || text(&stage.to_string());
        let (live, declared) = match (before.stages.get(stage), after.stages.get(stage)) {
            (Some(_), None) => {
                changes.push(FieldChange::new(
                    Field::Stage(stage.clone()),
                    stage_text(),
                    None,
                ));
                continue;
            }
            (None, Some(declared)) => {
                changes.push(FieldChange::new(
                    Field::Stage(stage.clone()),
                    None,
                    stage_text(),
                ));
                (&none, declared)
            }
            (Some(live), Some(declared)) => (live, declared),
            (None, None) => continue,
        };
        let keys: BTreeSet<&String> = live.keys().chain(declared.keys()).collect();
        for key in keys {
            let method = MethodRef {
                stage: stage.clone(),
                key: key.clone(),
            };
            throttle_changes(
                &mut changes,
                (
                    Field::MethodThrottle(method.clone()),
                    Field::MethodRate(method.clone()),
                    Field::MethodBurst(method),
                ),
                live.get(key).copied(),
                declared.get(key).copied(),
            );
        }
    }
    changes
}

/// A quota that appears or goes away (one change), or the leaves of one that stays: limit,
/// then offset and period in the order [`offset_first`] gives.
fn quota_changes(changes: &mut Vec<FieldChange>, before: Option<&Quota>, after: Option<&Quota>) {
    let (before, after) = match (before, after) {
        (Some(before), Some(after)) => (before, after),
        (None, None) => return,
        (before, after) => {
            changes.push(FieldChange::new(
                Field::Quota,
                before.copied().map(Value::Quota),
                after.copied().map(Value::Quota),
            ));
            return;
        }
    };
    if before.limit != after.limit {
        changes.push(FieldChange::new(
            Field::QuotaLimit,
            Some(Value::Count(before.limit)),
            Some(Value::Count(after.limit)),
        ));
    }
    let period = (before.period != after.period).then(|| {
        FieldChange::new(
            Field::QuotaPeriod,
            Some(Value::Period(before.period)),
            Some(Value::Period(after.period)),
        )
    });
    let offset = (before.offset != after.offset).then(|| {
        FieldChange::new(
            Field::QuotaOffset,
            Some(Value::Count(before.offset)),
            Some(Value::Count(after.offset)),
        )
    });
    if offset_first(before, after) {
        changes.extend(offset.into_iter().chain(period));
    } else {
        changes.extend(period.into_iter().chain(offset));
    }
}

/// Whether a quota's offset is set before its period, so that the plan stays valid after
/// each operation: when the new offset fits the old period (MONTH/20 to WEEK/3 passes through
/// MONTH/3, not WEEK/20); otherwise the period goes first (WEEK/3 to MONTH/20 passes through
/// MONTH/3), and the old offset, smaller than the new one, fits the new period.
fn offset_first(before: &Quota, after: &Quota) -> bool {
    after.offset <= before.period.max_offset()
}

/// A throttle (the plan's or a method's, named by its `block`, `rate` and `burst` fields)
/// that appears or goes away (one change), or the leaves of one that stays.
fn throttle_changes(
    changes: &mut Vec<FieldChange>,
    (block, rate, burst): (Field, Field, Field),
    before: Option<Throttle>,
    after: Option<Throttle>,
) {
    match (before, after) {
        (Some(before), Some(after)) => {
            if before.rate_limit != after.rate_limit {
                changes.push(FieldChange::new(
                    rate,
                    Some(Value::Rate(before.rate_limit)),
                    Some(Value::Rate(after.rate_limit)),
                ));
            }
            if before.burst_limit != after.burst_limit {
                changes.push(FieldChange::new(
                    burst,
                    Some(Value::Count(before.burst_limit)),
                    Some(Value::Count(after.burst_limit)),
                ));
            }
        }
        (None, None) => {}
        (before, after) => changes.push(FieldChange::new(
            block,
            before.map(Value::Throttle),
            after.map(Value::Throttle),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn method(key: &str) -> MethodRef {
        MethodRef {
            stage: StageRef {
                api_id: "a1".into(),
                stage: "prod".into(),
            },
            key: key.into(),
        }
    }

    #[test]
    fn a_throttle_key_splits_into_resource_and_method() {
        assert_eq!(method("/pets/GET").resource_and_method(), ("/pets", "GET"));
        assert_eq!(method("/GET").resource_and_method(), ("/", "GET"));
        assert_eq!(
            method("/pets/{id}/DELETE").resource_and_method(),
            ("/pets/{id}", "DELETE")
        );
    }

    #[test]
    fn fields_are_named_as_the_json_plan_names_them() {
        assert_eq!(Field::QuotaLimit.to_string(), "quota.limit");
        assert_eq!(
            Field::MethodRate(method("/pets/GET")).to_string(),
            "apiStages[a1:prod].throttle[/pets/GET].rateLimit"
        );
        assert_eq!(
            Field::Stage(method("/x/GET").stage).to_string(),
            "apiStages[a1:prod]"
        );
    }

    #[test]
    fn a_block_that_appears_is_one_change_and_one_that_stays_changes_by_leaf() {
        let quota = |limit| Quota {
            limit,
            offset: 0,
            period: Period::Month,
        };
        let before = PlanBody::default();
        let after = PlanBody {
            quota: Some(quota(10)),
            ..PlanBody::default()
        };
        assert_eq!(
            field_changes(&before, &after),
            [FieldChange::new(
                Field::Quota,
                None,
                Some(Value::Quota(quota(10)))
            )]
        );
        let raised = PlanBody {
            quota: Some(quota(20)),
            ..PlanBody::default()
        };
        assert_eq!(
            field_changes(&after, &raised),
            [FieldChange::new(
                Field::QuotaLimit,
                Some(Value::Count(10)),
                Some(Value::Count(20))
            )]
        );
    }
}
