//! The emulator's state: REST APIs, API keys and usage plans, as the state dump shows them.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::error::SimError;
use crate::rng::SplitMix64;

/// The default region, used in ARNs.
pub const DEFAULT_REGION: &str = "us-east-1";

/// Everything the emulator stores; `GET /_sim/state` is this value as JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct State {
    /// The region named in ARNs.
    pub region: String,
    /// REST APIs by id.
    pub rest_apis: BTreeMap<String, RestApi>,
    /// API keys by id.
    pub api_keys: BTreeMap<String, ApiKey>,
    /// Usage plans by id.
    pub usage_plans: BTreeMap<String, UsagePlan>,
    /// The generator of new ids, so runs are reproducible.
    pub id_generator: SplitMix64,
}

impl State {
    /// An empty state in `region`.
    pub fn in_region(region: String) -> State {
        State {
            region,
            ..State::default()
        }
    }
}

impl Default for State {
    fn default() -> Self {
        Self {
            region: DEFAULT_REGION.to_string(),
            rest_apis: BTreeMap::new(),
            api_keys: BTreeMap::new(),
            usage_plans: BTreeMap::new(),
            id_generator: SplitMix64::new(0),
        }
    }
}

/// A REST API with its stages and its resources' methods.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RestApi {
    /// Its id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Its stage names.
    pub stages: BTreeSet<String>,
    /// Resource path to HTTP methods.
    pub resources: BTreeMap<String, BTreeSet<String>>,
    /// Creation time, Unix seconds.
    pub created_date: i64,
}

/// An API key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ApiKey {
    /// Its id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Its secret value; never logged.
    pub value: String,
    /// Its description, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Whether it is enabled.
    pub enabled: bool,
    /// The AWS Marketplace customer id, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_id: Option<String>,
    /// Its tags.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tags: BTreeMap<String, String>,
    /// Creation time, Unix seconds.
    pub created_date: i64,
    /// Last update time, Unix seconds.
    #[serde(default)]
    pub last_updated_date: i64,
}

/// A usage plan, with its keys and their usage.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UsagePlan {
    /// Its id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Its description; never empty.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Its AWS Marketplace product code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product_code: Option<String>,
    /// The plan-level throttle.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub throttle: Option<Throttle>,
    /// The quota.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quota: Option<Quota>,
    /// The API stages, kept sorted by API id and stage as AWS returns them.
    #[serde(default)]
    pub api_stages: Vec<ApiStage>,
    /// The tags.
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
    /// The API keys on the plan, with their usage.
    #[serde(default)]
    pub keys: BTreeMap<String, KeyUsage>,
}

impl UsagePlan {
    /// The stage `apiId:stage` of the plan, if it has it.
    pub fn stage_mut(&mut self, api_id: &str, stage: &str) -> Option<&mut ApiStage> {
        self.api_stages
            .iter_mut()
            .find(|s| s.api_id == api_id && s.stage == stage)
    }

    /// Whether the plan has the stage `apiId:stage`.
    pub fn has_stage(&self, api_id: &str, stage: &str) -> bool {
        self.api_stages
            .iter()
            .any(|s| s.api_id == api_id && s.stage == stage)
    }

    /// What the key `key_id` has used on the plan, or AWS's 404 if the key is not on it.
    pub fn key_usage(&self, key_id: &str) -> Result<&KeyUsage, SimError> {
        self.keys
            .get(key_id)
            .ok_or_else(|| key_not_on_plan(key_id, &self.id))
    }

    /// What the key `key_id` has used on the plan, mutably, or AWS's 404 if the key is not on
    /// it.
    pub fn key_usage_mut(&mut self, key_id: &str) -> Result<&mut KeyUsage, SimError> {
        self.keys
            .get_mut(key_id)
            .ok_or_else(|| key_not_on_plan(key_id, &self.id))
    }

    /// Puts the stages in AWS's order.
    pub fn sort_stages(&mut self) {
        self.api_stages
            .sort_by(|a, b| (&a.api_id, &a.stage).cmp(&(&b.api_id, &b.stage)));
    }
}

/// AWS's 404 for a key that is not on the plan.
fn key_not_on_plan(key_id: &str, plan_id: &str) -> SimError {
    SimError::not_found(format!(
        "Invalid API Key identifier specified: {key_id} is not associated with usage plan {plan_id}"
    ))
}

/// AWS's 404 for a REST API that does not exist.
fn api_not_found(id: &str) -> SimError {
    SimError::not_found(format!("Invalid API identifier specified {id}"))
}

/// A throttle: steady rate and burst. The default, both 0, is what a patch of one leaf starts
/// from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Throttle {
    /// The burst limit, an integer >= 0.
    #[serde(default)]
    pub burst_limit: i64,
    /// The rate limit in requests per second, >= 0.
    #[serde(default)]
    pub rate_limit: f64,
}

/// A quota: so many requests per period.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Quota {
    /// Requests allowed per period.
    #[serde(default)]
    pub limit: i64,
    /// Days from the start of the period's calendar unit.
    #[serde(default)]
    pub offset: i64,
    /// The period; required (absent only while a patch is being applied).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub period: Option<Period>,
}

/// A quota period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Period {
    /// A UTC day.
    Day,
    /// A week; offset 0 starts it on Sunday.
    Week,
    /// A month; offset 0 starts it on the 1st.
    Month,
}

impl Period {
    /// Parses `DAY`, `WEEK` or `MONTH`.
    pub fn parse(text: &str) -> Result<Self, SimError> {
        match text {
            "DAY" => Ok(Self::Day),
            "WEEK" => Ok(Self::Week),
            "MONTH" => Ok(Self::Month),
            _ => Err(SimError::bad_request(format!(
                "Invalid quota period specified: '{text}'. Must be one of: [DAY, WEEK, MONTH]"
            ))),
        }
    }

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Day => "DAY",
            Self::Week => "WEEK",
            Self::Month => "MONTH",
        }
    }
}

/// A stage of a plan, with its method throttles keyed `{resourcePath}/{METHOD}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ApiStage {
    /// The REST API's id.
    pub api_id: String,
    /// The stage name.
    pub stage: String,
    /// Method throttles (omitted from JSON when there are none).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub throttle: BTreeMap<String, Throttle>,
}

/// What one key has used on one plan.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct KeyUsage {
    /// Requests per day (`YYYY-MM-DD`).
    #[serde(default)]
    pub used: BTreeMap<String, u64>,
    /// Adjustments to the remaining quota set by UpdateUsage, by first day of the period.
    #[serde(default)]
    pub extensions: BTreeMap<String, i64>,
}

impl State {
    /// A new id of 10 lowercase alphanumerics, unused by any API, key or plan.
    pub fn new_id(&mut self) -> String {
        loop {
            let id = self
                .id_generator
                .string(b"abcdefghijklmnopqrstuvwxyz0123456789", 10);
            if !self.rest_apis.contains_key(&id)
                && !self.api_keys.contains_key(&id)
                && !self.usage_plans.contains_key(&id)
            {
                return id;
            }
        }
    }

    /// A new API key value: 40 mixed-case alphanumerics.
    pub fn new_key_value(&mut self) -> String {
        self.id_generator.string(
            b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
            40,
        )
    }

    /// The ARN of a usage plan.
    pub fn plan_arn(&self, plan_id: &str) -> String {
        format!("arn:aws:apigateway:{}::/usageplans/{plan_id}", self.region)
    }

    /// The plan with this id, or AWS's 404.
    pub fn plan(&self, id: &str) -> Result<&UsagePlan, SimError> {
        self.usage_plans
            .get(id)
            .ok_or_else(|| SimError::not_found("Invalid Usage Plan ID specified"))
    }

    /// The plan with this id, mutably, or AWS's 404.
    pub fn plan_mut(&mut self, id: &str) -> Result<&mut UsagePlan, SimError> {
        self.usage_plans
            .get_mut(id)
            .ok_or_else(|| SimError::not_found("Invalid Usage Plan ID specified"))
    }

    /// The API key with this id, or AWS's 404.
    pub fn api_key(&self, id: &str) -> Result<&ApiKey, SimError> {
        self.api_keys
            .get(id)
            .ok_or_else(|| SimError::not_found("Invalid API Key identifier specified"))
    }

    /// The API key with this id to change, or AWS's 404.
    pub fn api_key_mut(&mut self, id: &str) -> Result<&mut ApiKey, SimError> {
        self.api_keys
            .get_mut(id)
            .ok_or_else(|| SimError::not_found("Invalid API Key identifier specified"))
    }

    /// The REST API with this id, or AWS's 404.
    pub fn rest_api(&self, id: &str) -> Result<&RestApi, SimError> {
        self.rest_apis.get(id).ok_or_else(|| api_not_found(id))
    }

    /// The REST API with this id, mutably, or AWS's 404.
    pub fn rest_api_mut(&mut self, id: &str) -> Result<&mut RestApi, SimError> {
        self.rest_apis.get_mut(id).ok_or_else(|| api_not_found(id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_deterministic_and_well_formed() {
        let mut a = State::default();
        let mut b = State::default();
        let id = a.new_id();
        assert_eq!(id, b.new_id());
        assert_eq!(id.len(), 10);
        assert!(id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()));
        assert_ne!(id, a.new_id());
    }

    #[test]
    fn periods_parse_strictly() {
        assert_eq!(Period::parse("WEEK").unwrap(), Period::Week);
        let err = Period::parse("YEAR").unwrap_err();
        assert_eq!(
            err.message,
            "Invalid quota period specified: 'YEAR'. Must be one of: [DAY, WEEK, MONTH]"
        );
        assert!(Period::parse("day").is_err());
    }
}
