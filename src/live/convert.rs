//! Converts between the SDK's types and the model, at the edge and nowhere else.

use aws_sdk_apigateway::types::{
    ApiStage, Op as SdkOp, PatchOperation, QuotaPeriodType, QuotaSettings, ThrottleSettings,
    UsagePlan,
};

use crate::diff::{Op, PatchOp};
use crate::model::{
    LivePlan, MethodThrottles, Period, PlanBody, Quota, StageRef, Stages, Tags, Throttle,
};

/// Why a live plan or a value could not be converted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConvertError {
    /// AWS returned a plan without an id.
    #[error("AWS returned a usage plan without an id")]
    MissingId,
    /// AWS returned a quota period tollgate does not know.
    #[error("usage plan {id} has quota period {period:?}, which tollgate does not know")]
    UnknownPeriod {
        /// The plan's id.
        id: String,
        /// The period as AWS gave it.
        period: String,
    },
    /// A number does not fit the 32-bit integer AWS stores it in.
    #[error("{field} = {value} is larger than AWS accepts (at most 2147483647)")]
    TooLarge {
        /// The field, such as `quota.limit`.
        field: &'static str,
        /// The value.
        value: i64,
    },
}

/// Converts a usage plan as the SDK returns it into the model.
pub fn live_plan(plan: &UsagePlan) -> Result<LivePlan, ConvertError> {
    let id = plan.id().ok_or(ConvertError::MissingId)?.to_string();
    let quota = match plan.quota() {
        Some(quota) => Some(live_quota(&id, quota)?),
        None => None,
    };
    let stages = plan
        .api_stages()
        .iter()
        .map(|stage| {
            let key = StageRef {
                api_id: stage.api_id().unwrap_or_default().to_string(),
                stage: stage.stage().unwrap_or_default().to_string(),
            };
            let methods: MethodThrottles = stage
                .throttle()
                .map(|map| {
                    map.iter()
                        .map(|(method, throttle)| (method.clone(), live_throttle(throttle)))
                        .collect()
                })
                .unwrap_or_default();
            (key, methods)
        })
        .collect();
    let body = PlanBody {
        name: plan.name().unwrap_or_default().to_string(),
        description: plan.description().unwrap_or_default().to_string(),
        product_code: plan
            .product_code()
            .filter(|code| !code.is_empty())
            .map(str::to_string),
        throttle: plan.throttle().map(live_throttle),
        quota,
        stages,
    };
    let tags: Tags = plan
        .tags()
        .map(|tags| tags.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default();
    Ok(LivePlan { id, body, tags })
}

fn live_throttle(throttle: &ThrottleSettings) -> Throttle {
    Throttle {
        rate_limit: throttle.rate_limit(),
        burst_limit: i64::from(throttle.burst_limit()),
    }
}

fn live_quota(id: &str, quota: &QuotaSettings) -> Result<Quota, ConvertError> {
    let period_text = quota.period().map(QuotaPeriodType::as_str).unwrap_or("");
    let period = Period::parse(period_text).ok_or_else(|| ConvertError::UnknownPeriod {
        id: id.to_string(),
        period: period_text.to_string(),
    })?;
    Ok(Quota {
        limit: i64::from(quota.limit()),
        offset: i64::from(quota.offset()),
        period,
    })
}

fn to_i32(field: &'static str, value: i64) -> Result<i32, ConvertError> {
    i32::try_from(value).map_err(|_| ConvertError::TooLarge { field, value })
}

/// The SDK's throttle settings for a model throttle.
pub fn sdk_throttle(throttle: &Throttle) -> Result<ThrottleSettings, ConvertError> {
    Ok(ThrottleSettings::builder()
        .rate_limit(throttle.rate_limit)
        .burst_limit(to_i32("burstLimit", throttle.burst_limit)?)
        .build())
}

/// The SDK's quota settings for a model quota.
pub fn sdk_quota(quota: &Quota) -> Result<QuotaSettings, ConvertError> {
    Ok(QuotaSettings::builder()
        .limit(to_i32("quota.limit", quota.limit)?)
        .offset(to_i32("quota.offset", quota.offset)?)
        .period(QuotaPeriodType::from(quota.period.as_str()))
        .build())
}

/// The SDK's API stages, with their method throttles, for a model body.
pub fn sdk_stages(stages: &Stages) -> Result<Vec<ApiStage>, ConvertError> {
    stages
        .iter()
        .map(|(stage, methods)| {
            let mut builder = ApiStage::builder()
                .api_id(&stage.api_id)
                .stage(&stage.stage);
            for (method, throttle) in methods {
                builder = builder.throttle(method, sdk_throttle(throttle)?);
            }
            Ok(builder.build())
        })
        .collect()
}

/// The SDK's tag map for model tags.
pub fn sdk_tags(tags: &Tags) -> std::collections::HashMap<String, String> {
    tags.iter()
        .map(|(key, value)| (key.clone(), value.clone()))
        .collect()
}

/// The SDK's patch operation for a model one.
pub fn sdk_patch(operation: &PatchOp) -> PatchOperation {
    let op = match operation.op {
        Op::Add => SdkOp::Add,
        Op::Replace => SdkOp::Replace,
        Op::Remove => SdkOp::Remove,
    };
    PatchOperation::builder()
        .op(op)
        .path(&operation.path)
        .set_value(operation.value.clone())
        .build()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn converts_a_whole_live_plan() {
        let plan = UsagePlan::builder()
            .id("ywbqww")
            .name("Gold")
            .description("")
            .product_code("prod-gold")
            .throttle(
                ThrottleSettings::builder()
                    .rate_limit(12.5)
                    .burst_limit(20)
                    .build(),
            )
            .quota(
                QuotaSettings::builder()
                    .limit(1000)
                    .offset(2)
                    .period(QuotaPeriodType::Week)
                    .build(),
            )
            .api_stages(
                ApiStage::builder()
                    .api_id("a1")
                    .stage("prod")
                    .throttle(
                        "/pets/GET",
                        ThrottleSettings::builder()
                            .rate_limit(5.0)
                            .burst_limit(10)
                            .build(),
                    )
                    .build(),
            )
            .tags("team", "payments")
            .build();
        let live = live_plan(&plan).expect("converts");
        assert_eq!(live.id, "ywbqww");
        assert_eq!(live.body.description, "");
        assert_eq!(live.body.product_code.as_deref(), Some("prod-gold"));
        assert_eq!(
            live.body.quota,
            Some(Quota {
                limit: 1000,
                offset: 2,
                period: Period::Week
            })
        );
        let stage = StageRef {
            api_id: "a1".into(),
            stage: "prod".into(),
        };
        assert_eq!(
            live.body
                .stages
                .get(&stage)
                .and_then(|methods| methods.get("/pets/GET")),
            Some(&Throttle {
                rate_limit: 5.0,
                burst_limit: 10
            })
        );
        assert_eq!(live.tags.get("team").map(String::as_str), Some("payments"));
    }

    #[test]
    fn refuses_a_plan_without_id_and_an_unknown_period() {
        assert_eq!(
            live_plan(&UsagePlan::builder().name("x").build()),
            Err(ConvertError::MissingId)
        );
        let plan = UsagePlan::builder()
            .id("p1")
            .quota(
                QuotaSettings::builder()
                    .limit(1)
                    .period(QuotaPeriodType::from("YEAR"))
                    .build(),
            )
            .build();
        assert!(matches!(
            live_plan(&plan),
            Err(ConvertError::UnknownPeriod { .. })
        ));
    }

    #[test]
    fn refuses_numbers_beyond_32_bits() {
        let quota = Quota {
            limit: 3_000_000_000,
            offset: 0,
            period: Period::Day,
        };
        assert_eq!(
            sdk_quota(&quota).err(),
            Some(ConvertError::TooLarge {
                field: "quota.limit",
                value: 3_000_000_000
            })
        );
    }
}
