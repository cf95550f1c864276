//! The seed file: REST APIs (with stages, resources and methods), API keys and usage plans
//! with fixed ids, validated with the same rules as the API.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::scope::{is_account_id, Scope};
use crate::state::{
    ApiKey, ApiStage, KeyUsage, Quota, RestApi, State, Throttle, UsagePlan, DEFAULT_REGION,
};
use crate::validate::validate_state;

/// Why a seed could not be used.
#[derive(Debug, thiserror::Error)]
pub enum SeedError {
    /// The file could not be read.
    #[error("cannot read seed file {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The YAML does not have the seed's shape.
    #[error("invalid seed YAML: {0}")]
    Parse(String),
    /// The seed breaks one of the API's rules (the message names the plan, key or API).
    #[error("invalid seed: {0}")]
    Invalid(String),
}

/// A validated seed, ready to start an emulator with.
#[derive(Debug, Clone, PartialEq)]
pub struct Seed {
    /// The state of the emulator's own account in the seed's region.
    pub(crate) state: State,
    /// The states of other accounts and regions, by account and region.
    pub(crate) elsewhere: BTreeMap<Scope, State>,
    /// The account of each access key id the seed names.
    pub(crate) access_keys: BTreeMap<String, String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct SeedFile {
    #[serde(default)]
    region: Option<String>,
    #[serde(default)]
    rest_apis: Vec<SeedApi>,
    #[serde(default)]
    api_keys: Vec<SeedKey>,
    #[serde(default)]
    usage_plans: Vec<SeedPlan>,
    #[serde(default)]
    accounts: Vec<SeedAccount>,
}

/// What another account holds in one region.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct SeedContents {
    #[serde(default)]
    rest_apis: Vec<SeedApi>,
    #[serde(default)]
    api_keys: Vec<SeedKey>,
    #[serde(default)]
    usage_plans: Vec<SeedPlan>,
}

/// Another account: the access key ids that sign as it, and what it holds per region.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct SeedAccount {
    account_id: String,
    #[serde(default)]
    access_keys: Vec<String>,
    #[serde(default)]
    regions: BTreeMap<String, SeedContents>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct SeedApi {
    id: String,
    name: String,
    #[serde(default)]
    stages: Vec<String>,
    #[serde(default)]
    resources: BTreeMap<String, Vec<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct SeedKey {
    #[serde(default)]
    id: Option<String>,
    name: String,
    #[serde(default)]
    value: Option<String>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default = "yes")]
    enabled: bool,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct SeedPlan {
    #[serde(default)]
    id: Option<String>,
    name: String,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    product_code: Option<String>,
    #[serde(default)]
    throttle: Option<Throttle>,
    #[serde(default)]
    quota: Option<Quota>,
    #[serde(default)]
    api_stages: Vec<ApiStage>,
    #[serde(default)]
    tags: BTreeMap<String, String>,
    #[serde(default)]
    keys: Vec<String>,
}

impl Seed {
    /// Parses and validates a seed from YAML text.
    pub fn from_yaml_str(text: &str) -> Result<Seed, SeedError> {
        // A seed is the test's own input: room for accounts of tens of thousands of plans.
        let options = serde_saphyr::options! {
            budget: serde_saphyr::budget! { max_nodes: 10_000_000, max_events: 20_000_000 },
        };
        let file: SeedFile = serde_saphyr::from_str_with_options(text, options)
            .map_err(|e| SeedError::Parse(e.to_string()))?;
        let region = file.region.unwrap_or_else(|| DEFAULT_REGION.to_string());
        let contents = SeedContents {
            rest_apis: file.rest_apis,
            api_keys: file.api_keys,
            usage_plans: file.usage_plans,
        };
        let state = build(region, contents)?;
        let mut elsewhere = BTreeMap::new();
        let mut access_keys = BTreeMap::new();
        for account in file.accounts {
            if !is_account_id(&account.account_id) {
                return Err(SeedError::Invalid(format!(
                    "account id '{}' is not 12 digits",
                    account.account_id
                )));
            }
            for key in account.access_keys {
                if access_keys
                    .insert(key.clone(), account.account_id.clone())
                    .is_some()
                {
                    return Err(SeedError::Invalid(format!(
                        "access key '{key}' is given to two accounts"
                    )));
                }
            }
            for (region, contents) in account.regions {
                let scope = Scope {
                    account: account.account_id.clone(),
                    region: region.clone(),
                };
                let seeded = build(region, contents)?;
                if elsewhere.insert(scope.clone(), seeded).is_some() {
                    return Err(SeedError::Invalid(format!(
                        "account {} is seeded twice in {}",
                        scope.account, scope.region
                    )));
                }
            }
        }
        Ok(Seed {
            state,
            elsewhere,
            access_keys,
        })
    }

    /// Reads, parses and validates a seed file.
    pub fn from_file(path: &Path) -> Result<Seed, SeedError> {
        let text = std::fs::read_to_string(path).map_err(|source| SeedError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Self::from_yaml_str(&text)
    }
}

/// One account's state in `region`, checked with the API's rules.
fn build(region: String, file: SeedContents) -> Result<State, SeedError> {
    let mut state = State::in_region(region);
    for api in file.rest_apis {
        let rest_api = RestApi {
            id: api.id.clone(),
            name: api.name,
            stages: api.stages.into_iter().collect(),
            resources: api
                .resources
                .into_iter()
                .map(|(path, methods)| (path, methods.into_iter().collect()))
                .collect(),
            created_date: 0,
        };
        if state.rest_apis.insert(api.id.clone(), rest_api).is_some() {
            return Err(SeedError::Invalid(format!(
                "REST API id '{}' is declared twice",
                api.id
            )));
        }
    }
    for key in file.api_keys {
        let id = key.id.unwrap_or_else(|| state.new_id());
        let value = match key.value {
            Some(v) => v,
            None => state.new_key_value(),
        };
        let api_key = ApiKey {
            id: id.clone(),
            name: key.name,
            value,
            description: key.description.filter(|d| !d.is_empty()),
            enabled: key.enabled,
            customer_id: None,
            tags: BTreeMap::new(),
            created_date: 0,
            last_updated_date: 0,
        };
        if state.api_keys.insert(id.clone(), api_key).is_some() {
            return Err(SeedError::Invalid(format!(
                "API key id '{id}' is declared twice"
            )));
        }
    }
    for plan in file.usage_plans {
        let id = plan.id.unwrap_or_else(|| state.new_id());
        let mut usage_plan = UsagePlan {
            id: id.clone(),
            name: plan.name,
            description: plan.description.filter(|d| !d.is_empty()),
            product_code: plan.product_code,
            throttle: plan.throttle,
            quota: plan.quota,
            api_stages: plan.api_stages,
            tags: plan.tags,
            keys: BTreeMap::new(),
        };
        for key in plan.keys {
            if usage_plan
                .keys
                .insert(key.clone(), KeyUsage::default())
                .is_some()
            {
                return Err(SeedError::Invalid(format!(
                    "usage plan '{}' ({id}): key '{key}' is listed twice",
                    usage_plan.name
                )));
            }
        }
        usage_plan.sort_stages();
        if state.usage_plans.insert(id.clone(), usage_plan).is_some() {
            return Err(SeedError::Invalid(format!(
                "usage plan id '{id}' is declared twice"
            )));
        }
    }
    validate_state(&state).map_err(|e| SeedError::Invalid(e.message))?;
    Ok(state)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The tests' REST API (the one `tests/common/mod.rs` keeps), a key and a plan.
    const SEED: &str = concat!(
        include_str!("../tests/common/pets_api.yaml"),
        r#"apiKeys:
  - id: key1
    name: alice
    value: abcdefghijklmnopqrstuvwxyz
usagePlans:
  - id: ywbqww
    name: Gold
    throttle: { rateLimit: 100, burstLimit: 200 }
    quota: { limit: 1000, offset: 0, period: MONTH }
    apiStages:
      - { apiId: a1b2c3d4e5, stage: prod, throttle: { /pets/GET: { rateLimit: 10, burstLimit: 20 } } }
      - { apiId: a1b2c3d4e5, stage: beta }
    tags: { team: payments }
    keys: [key1]
"#
    );

    #[test]
    fn parses_a_full_seed_and_sorts_stages() {
        let seed = Seed::from_yaml_str(SEED).unwrap();
        let plan = &seed.state.usage_plans["ywbqww"];
        assert_eq!(plan.api_stages[0].stage, "beta");
        assert_eq!(plan.api_stages[1].throttle["/pets/GET"].burst_limit, 20);
        assert!(plan.keys.contains_key("key1"));
        assert_eq!(seed.state.region, "us-east-1");
    }

    #[test]
    fn an_unknown_stage_is_an_error_naming_the_plan() {
        let bad = SEED.replace("stage: beta", "stage: dev");
        let err = Seed::from_yaml_str(&bad).unwrap_err().to_string();
        assert_eq!(
            err,
            "invalid seed: usage plan 'Gold' (ywbqww): API Stage not found: a1b2c3d4e5:dev"
        );
    }

    #[test]
    fn an_unknown_method_throttle_or_field_is_an_error() {
        let bad = SEED.replace("/pets/GET:", "/pets/DELETE:");
        assert!(Seed::from_yaml_str(&bad)
            .unwrap_err()
            .to_string()
            .contains("method DELETE not found"));
        let bad = SEED.replace("name: pets", "name: pets\n    colour: red");
        assert!(matches!(
            Seed::from_yaml_str(&bad),
            Err(SeedError::Parse(_))
        ));
        let bad = SEED.replace("keys: [key1]", "keys: [nokey]");
        assert!(Seed::from_yaml_str(&bad)
            .unwrap_err()
            .to_string()
            .contains("Invalid API Key identifier"));
    }

    #[test]
    fn a_missing_file_is_a_read_error() {
        assert!(matches!(
            Seed::from_file(Path::new("/nonexistent/seed.yaml")),
            Err(SeedError::Read { .. })
        ));
    }
}
