//! The one normalised usage-plan model that both the YAML and the live side become.
//!
//! Everything the diff compares lives here, in a form where equal plans compare equal:
//! stages are keyed and sorted, an absent description is the empty string, numbers are
//! numbers. No SDK type and no YAML type reaches this module.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A quota period, as AWS spells it (and the YAML, and the JSON Schema).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "UPPERCASE")]
pub enum Period {
    /// A day: `DAY`.
    Day,
    /// A week: `WEEK`.
    Week,
    /// A month: `MONTH`.
    Month,
}

impl Period {
    /// Every period, in the order messages list them.
    pub const ALL: [Period; 3] = [Period::Day, Period::Week, Period::Month];

    /// The wire form: `DAY`, `WEEK` or `MONTH`.
    pub fn as_str(self) -> &'static str {
        match self {
            Period::Day => "DAY",
            Period::Week => "WEEK",
            Period::Month => "MONTH",
        }
    }

    /// Parses the wire form; `None` for anything else.
    pub fn parse(text: &str) -> Option<Period> {
        match text {
            "DAY" => Some(Period::Day),
            "WEEK" => Some(Period::Week),
            "MONTH" => Some(Period::Month),
            _ => None,
        }
    }

    /// The largest offset AWS accepts for this period (0 for DAY, 6 for WEEK, 27 for MONTH).
    pub fn max_offset(self) -> i64 {
        match self {
            Period::Day => 0,
            Period::Week => 6,
            Period::Month => 27,
        }
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A throttle: steady-state requests per second and burst size.
///
/// AWS may return a throttle with one field missing; the live side reads that as 0.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Throttle {
    /// Requests per second, a number >= 0.
    pub rate_limit: f64,
    /// Burst size, an integer >= 0.
    pub burst_limit: i64,
}

/// A quota: how many requests a key may make per period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Quota {
    /// Requests per period, an integer >= 0.
    pub limit: i64,
    /// Days into the period at which it starts, 0 by default.
    pub offset: i64,
    /// The period.
    pub period: Period,
}

/// The identity of an API stage: `apiId:stage` on the wire.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct StageRef {
    /// The REST API's id.
    pub api_id: String,
    /// The stage's name.
    pub stage: String,
}

impl fmt::Display for StageRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.api_id, self.stage)
    }
}

/// Method-level throttles of one stage, keyed `"{resourcePath}/{METHOD}"` (for example
/// `/pets/GET`), sorted.
pub type MethodThrottles = SmallMap<String, Throttle>;

/// A plan's stages with their method throttles, sorted.
pub type Stages = SmallMap<StageRef, MethodThrottles>;

/// A sorted map for the few entries a plan holds (stages, method throttles, tags): a
/// B-tree's smallest node has room for eleven entries, ten times what a plan needs.
pub type SmallMap<K, V> = litemap::LiteMap<K, V>;

/// The part of a usage plan that UpdateUsagePlan changes, normalised for comparison.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PlanBody {
    /// The plan's name, its identity within a region unless an id pins it.
    pub name: String,
    /// The description; the empty string when there is none.
    pub description: String,
    /// The AWS Marketplace product code, if any.
    pub product_code: Option<String>,
    /// The plan-level throttle, if any.
    pub throttle: Option<Throttle>,
    /// The quota, if any.
    pub quota: Option<Quota>,
    /// The attached stages with their method throttles, in AWS's (sorted) order; serialised
    /// as a list of `{apiId, stage, throttle}`.
    #[serde(with = "stage_list")]
    pub stages: Stages,
}

/// The serialised form of a plan's stages: a list of `{apiId, stage, throttle}`, since JSON
/// maps take only strings as keys.
mod stage_list {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    use super::{MethodThrottles, StageRef, Stages};

    /// One stage with its method throttles.
    #[derive(Serialize, Deserialize)]
    #[serde(rename_all = "camelCase", deny_unknown_fields)]
    struct Stage {
        api_id: String,
        stage: String,
        throttle: MethodThrottles,
    }

    pub fn serialize<S: Serializer>(stages: &Stages, serializer: S) -> Result<S::Ok, S::Error> {
        let list: Vec<Stage> = stages
            .iter()
            .map(|(stage, throttle)| Stage {
                api_id: stage.api_id.clone(),
                stage: stage.stage.clone(),
                throttle: throttle.clone(),
            })
            .collect();
        list.serialize(serializer)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Stages, D::Error> {
        let list = Vec::<Stage>::deserialize(deserializer)?;
        Ok(list
            .into_iter()
            .map(|stage| {
                let key = StageRef {
                    api_id: stage.api_id,
                    stage: stage.stage,
                };
                (key, stage.throttle)
            })
            .collect())
    }
}

/// Tags of a usage plan, sorted by key.
pub type Tags = SmallMap<String, String>;

/// A one-time quota extension for one key (UpdateUsage `replace /remaining`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Grant {
    /// Unique per key; what makes the grant happen once.
    pub id: String,
    /// The remaining quota to set for the current period.
    pub remaining: i64,
}

/// An API key the YAML puts on a plan, with its grants.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DesiredKey {
    /// The API key's id (never its value).
    pub id: String,
    /// One-time quota extensions for this key on this plan.
    pub grants: Vec<Grant>,
}

/// Where a declaration stands in the YAML, for errors that point at it.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceLocation {
    /// The path as the user gave it.
    pub path: String,
    /// The line, from 1.
    pub line: usize,
    /// The column, from 1.
    pub column: usize,
}

impl fmt::Display for SourceLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let path = crate::inert::printable(&self.path);
        write!(f, "{path}:{}:{}", self.line, self.column)
    }
}

/// A usage plan as the YAML declares it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DesiredPlan {
    /// What UpdateUsagePlan manages.
    pub body: PlanBody,
    /// An id that pins the plan's identity to an existing plan (allows renames).
    pub id: Option<String>,
    /// `None`: tags are left alone; `Some`: exactly these (outside `tollgate:` and `aws:`).
    pub tags: Option<Tags>,
    /// `None`: key associations are left alone; `Some`: exactly these keys.
    pub keys: Option<Vec<DesiredKey>>,
    /// Where the plan is declared.
    pub location: SourceLocation,
    /// Stages whose REST API the YAML names (`api: pets`) instead of giving its id; empty
    /// once the names are resolved into `body.stages`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub named_stages: Vec<NamedStage>,
    /// Keys the YAML gives by name (`name: acme`) instead of by id; empty once the names are
    /// resolved into `keys`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub named_keys: Vec<NamedKey>,
    /// Where each of its fields is written, in the file of `location`.
    #[serde(default, skip_serializing_if = "FieldLines::is_empty")]
    pub fields: FieldLines,
    /// Where and how each stage, method throttle and key is written, in the file of
    /// `location`: what the checks against the account point at.
    #[serde(default, skip_serializing_if = "RefLines::is_empty")]
    pub refs: RefLines,
    /// `adopt: { cloudFormationStack: NAME }`: the CloudFormation stack whose plan (tagged
    /// [`STACK_TAG`] `NAME`) this declaration may take over, once that stack is gone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub adopt_stack: Option<String>,
}

/// Where a declared plan's references to the account (stages, method throttles, keys) are
/// written, and how: what a located error about one of them names and points at.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RefLines {
    /// The stages, in file order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stages: Vec<StageLine>,
    /// The keys of `keys`, in file order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub keys: Vec<KeyLine>,
}

impl RefLines {
    /// Whether nothing is recorded.
    pub fn is_empty(&self) -> bool {
        self.stages.is_empty() && self.keys.is_empty()
    }
}

/// One stage entry as written: `api` (or `apiId`) and `stage`, with its method throttles.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct StageLine {
    /// The REST API as the YAML gives it: its id, or its name (`api: pets`).
    pub api: String,
    /// The REST API's id: as written, or once its name is resolved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_id: Option<String>,
    /// The stage's name.
    pub stage: String,
    /// Where the entry starts.
    pub at: LineColumn,
    /// Its method throttles' keys (`/pets/GET`) and where each is written.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub methods: Vec<MethodLine>,
}

impl StageLine {
    /// The stage as the YAML writes it: `pets/prod`.
    pub fn written(&self) -> String {
        format!("{}/{}", self.api, self.stage)
    }
}

/// A method throttle's key as written, and where.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MethodLine {
    /// The key: `/pets/GET`.
    pub key: String,
    /// Where it is written.
    pub at: LineColumn,
}

/// A key of a plan's `keys` as written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct KeyLine {
    /// The key as the YAML gives it: its id, or its name.
    pub written: String,
    /// The key's id: as written, or once its name is resolved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Where its id or name is written.
    pub at: LineColumn,
}

/// A line and column in a file, from 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct LineColumn {
    /// The line.
    pub line: usize,
    /// The column.
    pub column: usize,
}

/// Where each field of a declared plan is written (its key), when it is: what a message about
/// one field points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FieldLines {
    /// Where `description` is written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<LineColumn>,
    /// Where `productCode` is written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product_code: Option<LineColumn>,
    /// Where `throttle` is written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub throttle: Option<LineColumn>,
    /// Where `quota` is written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quota: Option<LineColumn>,
    /// Where `apiStages` is written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_stages: Option<LineColumn>,
    /// Where `tags` is written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<LineColumn>,
    /// Where `keys` is written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keys: Option<LineColumn>,
}

impl FieldLines {
    /// Whether no field's place is known.
    pub fn is_empty(&self) -> bool {
        *self == FieldLines::default()
    }
}

/// An API key the YAML gives by name, to be resolved against the account.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NamedKey {
    /// The key's name.
    pub name: String,
    /// Its grants, each with where its id is written.
    pub grants: Vec<(Grant, SourceLocation)>,
    /// Where the name is written.
    pub location: SourceLocation,
}

/// A REST API or an API key as AWS lists it (GetRestApis, GetApiKeys): its id and name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Named {
    /// Its id.
    pub id: String,
    /// Its name (AWS lets several share one).
    pub name: String,
}

/// What the id of a key still to create starts with, in a plan: AWS's key ids are letters
/// and digits, so no live key has one like it.
pub const NEW_KEY_PREFIX: &str = "new:";

/// The id a plan uses for the declared key `name` until CreateApiKey gives its own.
pub fn placeholder(name: &str) -> String {
    format!("{NEW_KEY_PREFIX}{name}")
}

/// Puts the created key's id in place of a placeholder; false for a placeholder of a key
/// that was not created.
pub fn swap_placeholder(key_id: &mut String, created: &BTreeMap<String, String>) -> bool {
    if !is_placeholder(key_id) {
        return true;
    }
    match created.get(key_id.as_str()) {
        Some(id) => {
            *key_id = id.clone();
            true
        }
        None => false,
    }
}

/// Whether `id` is the placeholder of a key still to create.
pub fn is_placeholder(id: &str) -> bool {
    id.starts_with(NEW_KEY_PREFIX)
}

/// The names of REST APIs and API keys, by id, as the views show them beside the ids and export writes them.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Names {
    /// REST API names by id.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub rest_apis: BTreeMap<String, String>,
    /// API key names by id.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub api_keys: BTreeMap<String, String>,
}

impl Names {
    /// The names that only one of the account's REST APIs, or one of its keys, has.
    pub fn unique(apis: &[Named], keys: &[Named]) -> Names {
        Names {
            rest_apis: unique(apis),
            api_keys: unique(keys),
        }
    }

    /// Whether no name is known.
    pub fn is_empty(&self) -> bool {
        self.rest_apis.is_empty() && self.api_keys.is_empty()
    }

    /// A key as a person reads it: `acme (k3yacme)`, `acme (new)` for a key still to create,
    /// or its id when its name is unknown.
    pub fn key(&self, id: &str) -> String {
        match (self.key_name(id), is_placeholder(id)) {
            (Some(name), true) => format!("{name} (new)"),
            (Some(name), false) => format!("{name} ({id})"),
            (None, _) => id.to_string(),
        }
    }

    /// The name of the API key `id` (a key still to create by its placeholder), when known.
    pub fn key_name<'a>(&'a self, id: &'a str) -> Option<&'a str> {
        id.strip_prefix(NEW_KEY_PREFIX)
            .or_else(|| self.api_keys.get(id).map(String::as_str))
    }

    /// The name of the REST API `id`, when known.
    pub fn api(&self, id: &str) -> Option<&str> {
        self.rest_apis.get(id).map(String::as_str)
    }
}

/// The names of `listed` that only one of them has, by id.
fn unique(listed: &[Named]) -> BTreeMap<String, String> {
    let mut count: BTreeMap<&str, usize> = BTreeMap::new();
    for named in listed {
        *count.entry(&named.name).or_default() += 1;
    }
    listed
        .iter()
        .filter(|named| !named.name.is_empty() && count[named.name.as_str()] == 1)
        .map(|named| (named.id.clone(), named.name.clone()))
        .collect()
}

/// An API key as the YAML declares it under `apiKeys`: created when no key has its name,
/// updated when one differs. Its value is never read back or compared.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DesiredApiKey {
    /// The key's name, its identity in the account and region.
    pub name: String,
    /// The description; the empty string when there is none.
    pub description: String,
    /// Whether the key is enabled (the YAML's default is `true`).
    pub enabled: bool,
    /// The AWS Marketplace customer id; the empty string when there is none.
    pub customer_id: String,
    /// The tags: `None` leaves them alone, `Some` means exactly these.
    pub tags: Option<Tags>,
    /// The environment variable holding the value to create the key with; `None` lets AWS
    /// generate one.
    pub value_from: Option<String>,
    /// Where the key's name is declared.
    pub location: SourceLocation,
}

/// The prefix every `valueFrom.env` variable must have: the variables apply may read a key's
/// value from are the ones the operator named for that purpose, never the runner's other
/// secrets (`AWS_SECRET_ACCESS_KEY`, `GITHUB_TOKEN`).
pub const KEY_VARIABLE_PREFIX: &str = "TOLLGATE_KEY_";

/// An API key as AWS holds it, without its value.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LiveApiKey {
    /// Its id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Its description; the empty string when there is none.
    pub description: String,
    /// Whether it is enabled.
    pub enabled: bool,
    /// Its customer id; the empty string when there is none.
    pub customer_id: String,
    /// Its tags, tollgate's and AWS's own included.
    pub tags: Tags,
}

impl LiveApiKey {
    /// Its id and name.
    pub fn named(&self) -> Named {
        Named {
            id: self.id.clone(),
            name: self.name.clone(),
        }
    }
}

/// A stage of a REST API the YAML gives by name, to be resolved against the account.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NamedStage {
    /// The REST API's name.
    pub api: String,
    /// The stage's name.
    pub stage: String,
    /// Its method throttles.
    pub throttle: MethodThrottles,
    /// Where the name is written.
    pub location: SourceLocation,
}

/// A usage plan as AWS has it.
#[derive(Debug, Clone, PartialEq)]
pub struct LivePlan {
    /// The plan's id.
    pub id: String,
    /// What UpdateUsagePlan manages.
    pub body: PlanBody,
    /// Every tag on the plan, `tollgate:` and `aws:` ones included.
    pub tags: Tags,
}

/// The key associations of the live plans whose YAML manages keys, by plan id.
pub type LiveKeys = BTreeMap<String, BTreeSet<String>>;

/// The tag CloudFormation puts on every resource of a stack, naming the stack; CDK, SAM,
/// Amplify and Copilot deploy through CloudFormation and leave it too. Stack-level tags with
/// the `aws:` prefix cannot be changed or removed ("CloudFormation resource tagging", AWS
/// CloudFormation Template Reference). Terraform and Pulumi tag nothing by default.
pub const STACK_TAG: &str = "aws:cloudformation:stack-name";

/// The CloudFormation stack a live plan or key belongs to, by its [`STACK_TAG`].
pub fn stack_of(tags: &Tags) -> Option<&str> {
    tags.get(STACK_TAG).map(String::as_str)
}

/// Whether a live plan or key that nothing declares is `owner`'s orphan, for `--prune` to
/// delete: it carries `owner`'s [`OWNER_TAG`] and no [`STACK_TAG`] (tollgate never deletes
/// what a CloudFormation stack made, even a plan it took over).
pub fn is_orphan_of(tags: &Tags, owner: &str) -> bool {
    tags.get(OWNER_TAG).map(String::as_str) == Some(owner) && stack_of(tags).is_none()
}

/// Whether a tag key belongs to tollgate or AWS and so is outside every comparison.
pub fn is_reserved_tag(key: &str) -> bool {
    key.starts_with("tollgate:") || key.starts_with("aws:")
}

/// The number as an integer when it is whole (and small enough to be exact), so that it
/// is written `100`, not `100.0`.
pub fn whole_number(value: f64) -> Option<i64> {
    (value.fract() == 0.0 && value.abs() < 1e15).then_some(value as i64)
}

/// The value of a grant's tag once its record is written, before the UpdateUsage call.
pub const GRANT_PENDING: &str = "pending";
/// The value of a grant's tag once the UpdateUsage call succeeded.
pub const GRANT_APPLIED: &str = "applied";

/// The tag CreateUsagePlan carries with a token unique to that create, so that a create whose
/// answer was lost is found (and adopted) instead of being sent again.
pub const CREATION_TAG: &str = "tollgate:creation";

/// The tag that, with a project file, names the project target that manages a plan or
/// created a key: `tollgate:owner` = `{project}/{target}`.
pub const OWNER_TAG: &str = "tollgate:owner";

/// The value of [`OWNER_TAG`] for a target of a project.
pub fn owner(project: &str, target: &str) -> String {
    format!("{project}/{target}")
}

/// What every grant's record tag starts with.
pub const GRANT_TAG_PREFIX: &str = "tollgate:grant:";

/// The tag that records a grant on its plan: `tollgate:grant:{keyId}:{grantId}`.
pub fn grant_tag(key_id: &str, grant_id: &str) -> String {
    format!("{GRANT_TAG_PREFIX}{key_id}:{grant_id}")
}

/// The tags outside tollgate's and AWS's own: the ones the YAML manages.
pub fn managed_tags(tags: &Tags) -> Tags {
    tags.iter()
        .filter(|(key, _)| !is_reserved_tag(key))
        .map(|(key, value)| (key.clone(), value.clone()))
        .collect()
}

/// Serialises a number in its shortest form, as a number: `100`, not `100.0` (for
/// `#[serde(serialize_with)]` in the YAML and JSON views).
pub fn serialize_shortest<S: serde::Serializer>(
    value: &f64,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match whole_number(*value) {
        Some(whole) => serializer.serialize_i64(whole),
        None => serializer.serialize_f64(*value),
    }
}

/// Formats a number in its shortest form, as patch values carry it (`100`, `12.5`).
pub fn format_number(value: f64) -> String {
    match whole_number(value) {
        Some(whole) => whole.to_string(),
        None => value.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_take_their_shortest_form() {
        assert_eq!(format_number(100.0), "100");
        assert_eq!(format_number(12.5), "12.5");
        assert_eq!(format_number(0.0), "0");
        assert_eq!(format_number(0.1), "0.1");
    }

    #[test]
    fn periods_round_trip_and_bound_offsets() {
        for period in [Period::Day, Period::Week, Period::Month] {
            assert_eq!(Period::parse(period.as_str()), Some(period));
        }
        assert_eq!(Period::parse("YEAR"), None);
        assert_eq!(Period::Week.max_offset(), 6);
        assert_eq!(Period::Month.max_offset(), 27);
    }

    #[test]
    fn reserved_tags_are_tollgate_and_aws() {
        assert!(is_reserved_tag("tollgate:grant:k:g"));
        assert!(is_reserved_tag("aws:cloudformation:stack-name"));
        assert!(!is_reserved_tag("team"));
    }
}
