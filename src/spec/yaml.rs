//! The YAML format (format 1) as serde types: what is read, exported and described by the
//! JSON Schema. Field names are the API's own.

use super::limits::{MAX_INTEGER, MAX_TAGS, MAX_TAG_KEY, MAX_TAG_VALUE};
use crate::model::{self, serialize_shortest, Period, PlanBody};
use schemars::JsonSchema;
use serde::Serialize;
use std::collections::BTreeMap;

/// A tollgate file: usage plans and API keys for one region. Several files are merged.
#[derive(Debug, Clone, PartialEq, Default, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schemars(title = "tollgate usage plans (format 1)")]
pub struct Document {
    /// The usage plans this file declares.
    #[serde(default)]
    pub usage_plans: Vec<UsagePlan>,
    /// The API keys this file declares: created when no key has the name, updated when one
    /// differs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub api_keys: Vec<DeclaredApiKey>,
}

/// An API key tollgate creates and keeps equal to this declaration; its name is its identity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct DeclaredApiKey {
    /// The key's name, unique among the account's keys in the region.
    #[schemars(length(min = 1))]
    pub name: String,
    /// The description; absent or empty means none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Whether the key is enabled; default `true`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    /// The AWS Marketplace customer id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub customer_id: Option<String>,
    /// Absent: tags are left alone; present: exactly these (tollgate's own and AWS's apart).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend(
        "propertyNames" = { "not": { "pattern": "^(tollgate|aws):" }, "maxLength": MAX_TAG_KEY },
        "additionalProperties" = { "type": "string", "maxLength": MAX_TAG_VALUE },
        "maxProperties" = MAX_TAGS - 1
    ))]
    pub tags: Option<BTreeMap<String, String>>,
    /// Where the value to create the key with comes from; absent, AWS generates it. Read only
    /// by the apply that creates the key, and never shown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value_from: Option<ValueFrom>,
}

/// Where a declared key's value comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ValueFrom {
    /// The environment variable holding the value (at least 20 characters).
    #[schemars(regex(pattern = r"^[A-Za-z_][A-Za-z0-9_]*$"))]
    pub env: String,
}

/// An API Gateway usage plan.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct UsagePlan {
    /// The plan's name: its identity in the region unless `id` pins it.
    #[schemars(length(min = 1))]
    pub name: String,
    /// Pins the identity to an existing plan (allows renames).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The description; absent or empty means none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The AWS Marketplace product code; absent means none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product_code: Option<String>,
    /// The plan-level throttle; absent means none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub throttle: Option<Throttle>,
    /// The quota; absent means none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quota: Option<Quota>,
    /// The API stages the plan applies to; absent or empty means none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub api_stages: Vec<ApiStage>,
    /// Absent: tags are left alone; present: exactly these (keys starting `tollgate:` or
    /// `aws:` are reserved; keys of at most 128 characters, values of at most 256; at most 49
    /// tags, counting one per grant: AWS keeps 50, one of them tollgate's creation marker).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend(
        "propertyNames" = { "not": { "pattern": "^(tollgate|aws):" }, "maxLength": MAX_TAG_KEY },
        "additionalProperties" = { "type": "string", "maxLength": MAX_TAG_VALUE },
        "maxProperties" = MAX_TAGS
    ))]
    pub tags: Option<BTreeMap<String, String>>,
    /// Absent: key associations are left alone; present: exactly these API keys.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keys: Option<Vec<ApiKey>>,
    /// Takes over a live plan that a CloudFormation stack made (it carries the tag
    /// `aws:cloudformation:stack-name`): only once that stack is deleted, naming it exactly
    /// as tagged. Without it, such a plan is an error, never taken over.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub adopt: Option<Adopt>,
}

/// The opt-in that takes over a plan a deleted CloudFormation stack left behind.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Adopt {
    /// The stack's name, as the plan's tag `aws:cloudformation:stack-name` gives it.
    #[schemars(regex(pattern = r"^[A-Za-z][A-Za-z0-9-]{0,127}$"))]
    pub cloud_formation_stack: String,
}

impl UsagePlan {
    /// A plan's body as the YAML declares it: no id pin, tags or keys.
    pub fn of_body(body: &PlanBody) -> UsagePlan {
        UsagePlan {
            name: body.name.clone(),
            id: None,
            description: Some(body.description.clone()).filter(|text| !text.is_empty()),
            product_code: body.product_code.clone(),
            throttle: body.throttle.map(Throttle::from),
            quota: body.quota.map(|quota| Quota {
                limit: quota.limit,
                period: quota.period,
                offset: quota.offset,
            }),
            api_stages: body
                .stages
                .iter()
                .map(|(stage, methods)| ApiStage {
                    api_id: Some(stage.api_id.clone()),
                    api: None,
                    stage: stage.stage.clone(),
                    throttle: methods
                        .iter()
                        .map(|(key, value)| (key.clone(), Throttle::from(*value)))
                        .collect(),
                })
                .collect(),
            tags: None,
            keys: None,
            adopt: None,
        }
    }
}

/// A throttle: steady-state requests per second and burst size.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Throttle {
    /// Requests per second, a number >= 0.
    #[serde(serialize_with = "serialize_shortest")]
    #[schemars(range(min = 0))]
    pub rate_limit: f64,
    /// Burst size, an integer from 0 to 2147483647.
    #[schemars(range(min = 0, max = MAX_INTEGER))]
    pub burst_limit: i64,
}

impl From<model::Throttle> for Throttle {
    fn from(throttle: model::Throttle) -> Throttle {
        Throttle {
            rate_limit: throttle.rate_limit,
            burst_limit: throttle.burst_limit,
        }
    }
}

/// A quota: how many requests a key may make per period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Quota {
    /// Requests per period, an integer from 0 to 2147483647.
    #[schemars(range(min = 0, max = MAX_INTEGER))]
    pub limit: i64,
    /// The period.
    pub period: Period,
    /// Days into the period at which it starts: 0 for DAY, 0-6 for WEEK, 0-27 for MONTH.
    #[serde(default, skip_serializing_if = "is_zero")]
    #[schemars(range(min = 0, max = 27))]
    pub offset: i64,
}

/// A stage of a REST API that the plan applies to; the API is given by id or by name.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schemars(extend("oneOf" = [{ "required": ["apiId"] }, { "required": ["api"] }]))]
pub struct ApiStage {
    /// The REST API's id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub api_id: Option<String>,
    /// The REST API's name, instead of its id: resolved in the account and region with
    /// GetRestApis, and an error when no API or more than one has it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub api: Option<String>,
    /// The stage's name.
    #[schemars(length(min = 1))]
    pub stage: String,
    /// Method-level throttles keyed `{resourcePath}/{METHOD}`, for example `/pets/GET`; they
    /// need a plan-level throttle.
    #[serde(
        default,
        skip_serializing_if = "BTreeMap::is_empty",
        serialize_with = "serialize_flow_throttles"
    )]
    #[schemars(extend("propertyNames" = {
        "pattern": "^/[^*]*/(GET|POST|PUT|DELETE|PATCH|HEAD|OPTIONS|ANY)$"
    }))]
    pub throttle: BTreeMap<String, Throttle>,
}

/// An API key on the plan, given by id or by name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schemars(extend("oneOf" = [{ "required": ["id"] }, { "required": ["name"] }]))]
pub struct ApiKey {
    /// The API key's id (never its value).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub id: Option<String>,
    /// The API key's name, instead of its id: resolved in the account and region with
    /// GetApiKeys, and an error when no key or more than one has it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub name: Option<String>,
    /// One-time quota extensions for this key on this plan.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub grants: Vec<Grant>,
}

/// A one-time quota extension: sets the key's remaining quota for the current period once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Grant {
    /// Unique per key; what makes the grant happen once.
    #[schemars(length(min = 1))]
    pub id: String,
    /// The remaining quota to set, an integer from 0 to 2147483647.
    #[schemars(range(min = 0, max = MAX_INTEGER))]
    pub remaining: i64,
}

/// Method throttles, each on one line: `/pets/GET: {rateLimit: 10, burstLimit: 20}`.
fn serialize_flow_throttles<S: serde::Serializer>(
    throttles: &BTreeMap<String, Throttle>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.collect_map(
        throttles
            .iter()
            .map(|(key, throttle)| (key, serde_saphyr::FlowMap(throttle))),
    )
}

fn is_zero(value: &i64) -> bool {
    *value == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_written_in_their_shortest_form() {
        let whole = Throttle {
            rate_limit: 100.0,
            burst_limit: 5,
        };
        let decimal = Throttle {
            rate_limit: 12.5,
            burst_limit: 5,
        };
        assert_eq!(
            serde_json::to_string(&whole).ok().as_deref(),
            Some(r#"{"rateLimit":100,"burstLimit":5}"#)
        );
        assert_eq!(
            serde_json::to_string(&decimal).ok().as_deref(),
            Some(r#"{"rateLimit":12.5,"burstLimit":5}"#)
        );
        // In YAML too, and as numbers, not quoted text.
        assert_eq!(
            serde_saphyr::to_string(&whole).ok().as_deref(),
            Some("rateLimit: 100\nburstLimit: 5\n")
        );
    }

    #[test]
    fn periods_are_read_by_their_model_names() {
        for period in Period::ALL {
            assert_eq!(Period::parse(period.as_str()), Some(period));
            assert_eq!(
                serde_json::to_value(period).ok(),
                Some(period.as_str().into())
            );
        }
    }
}
