//! The rules serde cannot express (ranges, periods, offsets, method-throttle keys, reserved
//! tags, AWS's tag limits, things listed twice) and the conversion of valid plans to the model.

use super::decode::decode_name;
use super::error::SpecError;
use super::limits::{DECLARABLE_TAGS, MAX_INTEGER, MAX_TAGS, MAX_TAG_KEY, MAX_TAG_VALUE};
use super::load::{locate, SourceFile};
use super::node::{Kind, Node};
use super::yaml;
use crate::model::{
    grant_tag, is_reserved_tag, DesiredKey, DesiredPlan, Grant, MethodThrottles, Period, PlanBody,
    Quota, SourceLocation, StageRef, Throttle, CREATION_TAG,
};
use std::collections::{BTreeMap, BTreeSet};

/// The HTTP methods a method-throttle key may end in.
const METHODS: &[&str] = &[
    "GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "ANY",
];

/// Checks every plan of every file and converts them; the errors of all files, in file order
/// and by position within a file, when there is any.
pub fn check(files: &[SourceFile]) -> (Vec<DesiredPlan>, Vec<SpecError>) {
    let mut plans = Vec::new();
    let mut errors = Vec::new();
    let mut names: BTreeMap<String, Declared> = BTreeMap::new();
    let mut ids: BTreeMap<String, SourceLocation> = BTreeMap::new();
    for file in files {
        let mut found = file.errors.clone();
        for source in &file.plans {
            let plan = &source.plan;
            let mut check = Check {
                path: &file.path,
                root: &source.node,
                errors: &mut found,
            };
            let desired = check.plan(plan);
            let location = desired.location.clone();
            match names.get_mut(&plan.name) {
                Some(declared) => {
                    if let Some(first) = declared.clash(plan.id.is_some()) {
                        check.error(
                            &[Step::Field("name")],
                            format!(
                                "usage plan `{}` is already declared at {first}; give each plan a \
                                 unique name",
                                plan.name
                            ),
                        );
                    }
                    if plan.id.is_none() {
                        declared.unpinned.get_or_insert(location);
                    }
                }
                None => {
                    let unpinned = plan.id.is_none().then(|| location.clone());
                    names.insert(
                        plan.name.clone(),
                        Declared {
                            first: location,
                            unpinned,
                        },
                    );
                }
            }
            if let Some(id) = &plan.id {
                let here = check.at(&[Step::Field("id")]);
                match ids.get(id) {
                    Some(first) => check.error(
                        &[Step::Field("id")],
                        format!(
                            "usage plan id `{id}` is already pinned at {first}; pin each plan once"
                        ),
                    ),
                    None => {
                        ids.insert(id.clone(), here);
                    }
                }
            }
            plans.push(desired);
        }
        found.sort_by_key(|error| {
            error
                .location
                .as_ref()
                .map(|location| (location.line, location.column))
        });
        errors.append(&mut found);
    }
    (plans, errors)
}

/// Where a plan name is declared so far, for telling a name declared twice.
///
/// Two live plans can share a name, so a name may be declared again when every declaration
/// of it pins an `id` (that the ids differ is the `id` check's business).
struct Declared {
    /// The first declaration.
    first: SourceLocation,
    /// The first declaration without an `id`, if any.
    unpinned: Option<SourceLocation>,
}

impl Declared {
    /// The earlier declaration a new one of the same name clashes with, if any: any for a
    /// declaration without an `id`, the first unpinned one for a pinned declaration.
    fn clash(&self, pinned: bool) -> Option<&SourceLocation> {
        if pinned {
            self.unpinned.as_ref()
        } else {
            Some(&self.first)
        }
    }
}

/// One step from a plan's node to the node an error is about.
#[derive(Clone, Copy)]
enum Step<'a> {
    /// The value of a mapping field.
    Field(&'a str),
    /// The key of a mapping entry itself.
    Key(&'a str),
    /// An item of a list.
    Item(usize),
}

/// Checks one plan, pushing an error per rule it breaks.
struct Check<'a> {
    path: &'a str,
    root: &'a Node,
    errors: &'a mut Vec<SpecError>,
}

impl Check<'_> {
    /// Where the node at `steps` is, or the nearest node above it that exists.
    fn at(&self, steps: &[Step]) -> SourceLocation {
        locate(self.path, self.node(steps).pos)
    }

    /// Whether the node at `steps` was left out for an error already reported.
    fn left_out(&self, steps: &[Step]) -> bool {
        self.node(steps).kind == Kind::Void
    }

    /// The node at `steps`, or the nearest node above it that exists.
    fn node(&self, steps: &[Step]) -> &Node {
        let mut node = self.root;
        for step in steps {
            let next = match step {
                Step::Field(name) => node.get(name),
                Step::Key(name) => node.key(name),
                Step::Item(index) => node.item(*index),
            };
            match next {
                Some(next) => node = next,
                None => break,
            }
        }
        node
    }

    /// Reports an error at `steps`, unless the value there was left out: what was checked
    /// there is its stand-in, not what the file says.
    fn error(&mut self, steps: &[Step], message: String) {
        if !self.left_out(steps) {
            let location = Some(self.at(steps));
            self.errors.push(SpecError { location, message });
        }
    }

    fn plan(&mut self, plan: &yaml::UsagePlan) -> DesiredPlan {
        if plan.name.trim().is_empty() {
            self.error(
                &[Step::Field("name")],
                "`name` must not be empty".to_owned(),
            );
        }
        for (field, value) in [("id", &plan.id), ("productCode", &plan.product_code)] {
            if value.as_deref().is_some_and(str::is_empty) {
                self.error(
                    &[Step::Field(field)],
                    format!("`{field}` must not be empty; leave it out instead"),
                );
            }
        }
        let throttle = plan
            .throttle
            .map(|throttle| self.throttle(&[Step::Field("throttle")], throttle));
        let quota = plan.quota.as_ref().and_then(|quota| self.quota(quota));
        // A plan-level throttle left out for its errors is still there.
        let throttled = throttle.is_some() || self.left_out(&[Step::Field("throttle")]);
        let stages = self.stages(&plan.api_stages, throttled);
        self.tags(plan.tags.as_ref(), plan.keys.as_deref(), plan.id.is_some());
        let keys = plan.keys.as_ref().map(|keys| self.keys(keys));
        DesiredPlan {
            body: PlanBody {
                name: plan.name.clone(),
                description: plan.description.clone().unwrap_or_default(),
                product_code: plan.product_code.clone(),
                throttle,
                quota,
                stages,
            },
            id: plan.id.clone(),
            tags: plan.tags.clone(),
            keys,
            location: self.at(&[Step::Field("name")]),
        }
    }

    fn throttle(&mut self, at: &[Step], throttle: yaml::Throttle) -> Throttle {
        if !(throttle.rate_limit.is_finite() && throttle.rate_limit >= 0.0) {
            let steps = [at, &[Step::Field("rateLimit")]].concat();
            self.error(
                &steps,
                format!(
                    "`rateLimit` must be a number >= 0, found {}",
                    throttle.rate_limit
                ),
            );
        }
        let steps = [at, &[Step::Field("burstLimit")]].concat();
        self.integer(&steps, "burstLimit", throttle.burst_limit);
        Throttle {
            rate_limit: throttle.rate_limit,
            burst_limit: throttle.burst_limit,
        }
    }

    /// Checks an integer AWS keeps as a 32-bit signed one: from 0 to [`MAX_INTEGER`].
    fn integer(&mut self, at: &[Step], field: &str, value: i64) {
        if value < 0 {
            self.error(
                at,
                format!("`{field}` must be an integer >= 0, found {value}"),
            );
        } else if value > MAX_INTEGER {
            self.error(
                at,
                format!(
                    "`{field}` must be at most {MAX_INTEGER}, the largest AWS accepts, found \
                     {value}; lower it"
                ),
            );
        }
    }

    /// Checks a quota; the model's quota when its period is one.
    fn quota(&mut self, quota: &yaml::Quota) -> Option<Quota> {
        let at = |field| [Step::Field("quota"), Step::Field(field)];
        self.integer(&at("limit"), "limit", quota.limit);
        let period = match decode_name::<Period>(&quota.period) {
            Ok(period) => period,
            Err(error) => {
                self.error(&at("period"), error.message().to_owned());
                // Without a period the offset can only be held to what AWS stores.
                self.integer(&at("offset"), "offset", quota.offset);
                return None;
            }
        };
        let max = period.max_offset();
        if !(0..=max).contains(&quota.offset) {
            let allowed = if max == 0 {
                "0".to_owned()
            } else {
                format!("0 to {max}")
            };
            self.error(
                &at("offset"),
                format!(
                    "`offset` {} is out of range for a {period} quota; use {allowed}",
                    quota.offset
                ),
            );
        }
        Some(Quota {
            limit: quota.limit,
            offset: quota.offset,
            period,
        })
    }

    fn stages(
        &mut self,
        stages: &[yaml::ApiStage],
        plan_throttled: bool,
    ) -> BTreeMap<StageRef, MethodThrottles> {
        let mut result = BTreeMap::new();
        let mut first_seen: BTreeMap<StageRef, SourceLocation> = BTreeMap::new();
        for (index, stage) in stages.iter().enumerate() {
            let item = Step::Item(index);
            for (field, value) in [("apiId", &stage.api_id), ("stage", &stage.stage)] {
                if value.is_empty() || value.contains(':') {
                    self.error(
                        &[Step::Field("apiStages"), item, Step::Field(field)],
                        format!("`{field}` must be a non-empty name without `:`"),
                    );
                }
            }
            let reference = StageRef {
                api_id: stage.api_id.clone(),
                stage: stage.stage.clone(),
            };
            if let Some(first) = first_seen.get(&reference) {
                self.error(
                    &[Step::Field("apiStages"), item],
                    format!("stage `{reference}` is already listed at {first}; list it once"),
                );
                continue;
            }
            first_seen.insert(
                reference.clone(),
                self.at(&[Step::Field("apiStages"), item]),
            );
            let throttles = self.method_throttles(index, &stage.throttle, plan_throttled);
            result.insert(reference, throttles);
        }
        result
    }

    fn method_throttles(
        &mut self,
        index: usize,
        throttles: &BTreeMap<String, yaml::Throttle>,
        plan_throttled: bool,
    ) -> MethodThrottles {
        let stage = [
            Step::Field("apiStages"),
            Step::Item(index),
            Step::Field("throttle"),
        ];
        if !throttles.is_empty() && !plan_throttled {
            self.error(
                &[
                    Step::Field("apiStages"),
                    Step::Item(index),
                    Step::Key("throttle"),
                ],
                "method throttles need a plan-level throttle; add `throttle` to the plan"
                    .to_owned(),
            );
        }
        let mut result = MethodThrottles::new();
        for (key, throttle) in throttles {
            if !is_method_key(key) {
                self.error(
                    &[&stage[..], &[Step::Key(key)]].concat(),
                    format!(
                        "method throttle key `{key}` must be `{{resourcePath}}/{{METHOD}}` without `*`, \
                         METHOD one of {}; for example `/pets/GET`",
                        METHODS.join(", ")
                    ),
                );
            }
            let at = [&stage[..], &[Step::Field(key)]].concat();
            result.insert(key.clone(), self.throttle(&at, *throttle));
        }
        result
    }

    /// Checks the declared tags, and that they fit on the plan with the tag each declared
    /// grant leaves there.
    /// Checks tags and the grant records that join them; `pinned`: the plan exists already (an
    /// `id` pin), so tollgate never creates it and keeps no creation marker on it.
    fn tags(
        &mut self,
        tags: Option<&BTreeMap<String, String>>,
        keys: Option<&[yaml::ApiKey]>,
        pinned: bool,
    ) {
        for (key, value) in tags.into_iter().flatten() {
            let at = [Step::Field("tags"), Step::Key(key)];
            if is_reserved_tag(key) {
                self.error(
                    &at,
                    format!(
                        "tag `{key}` is reserved: keys starting `tollgate:` or `aws:` belong to \
                         tollgate and AWS; remove it"
                    ),
                );
            }
            let length = key.chars().count();
            if length > MAX_TAG_KEY {
                self.error(
                    &at,
                    format!(
                        "tag key `{key}` is {length} characters: AWS accepts at most \
                         {MAX_TAG_KEY}; shorten it"
                    ),
                );
            }
            let length = value.chars().count();
            if length > MAX_TAG_VALUE {
                self.error(
                    &[Step::Field("tags"), Step::Field(key)],
                    format!(
                        "the value of tag `{key}` is {length} characters: AWS accepts at most \
                         {MAX_TAG_VALUE}; shorten it"
                    ),
                );
            }
        }
        let declared = tags.map_or(0, BTreeMap::len);
        let records: BTreeSet<String> = keys
            .into_iter()
            .flatten()
            .flat_map(|key| key.grants.iter().map(|grant| grant_tag(&key.id, &grant.id)))
            .collect();
        let total = declared + records.len();
        let (most, limit) = if pinned {
            (MAX_TAGS, format!("AWS keeps at most {MAX_TAGS} on a plan"))
        } else {
            let limit = format!(
                "AWS keeps at most {MAX_TAGS} on a plan and tollgate keeps one of them for the \
                 creation marker `{CREATION_TAG}` of a plan it creates (pin the plan's `id` if \
                 it exists already)"
            );
            (DECLARABLE_TAGS, limit)
        };
        if total > most {
            let at = if tags.is_some() { "tags" } else { "keys" };
            let message = if records.is_empty() {
                format!("{total} tags: {limit}; declare at most {most}")
            } else {
                let record = grant_tag("{keyId}", "{grantId}");
                format!(
                    "{declared} tags and {} grants make {total} tags: each grant keeps a tag \
                     `{record}` on the plan for good, and {limit}; declare at most {most} tags \
                     and grants together",
                    records.len()
                )
            };
            self.error(&[Step::Field(at)], message);
        }
    }

    fn keys(&mut self, keys: &[yaml::ApiKey]) -> Vec<DesiredKey> {
        let mut seen: BTreeMap<&str, SourceLocation> = BTreeMap::new();
        let mut result = Vec::new();
        for (index, key) in keys.iter().enumerate() {
            let at = [Step::Field("keys"), Step::Item(index), Step::Field("id")];
            if key.id.is_empty() {
                self.error(&at, "a key's `id` must not be empty".to_owned());
            }
            match seen.get(key.id.as_str()) {
                Some(first) => {
                    let message = format!(
                        "key `{}` is already listed at {first}; list it once",
                        key.id
                    );
                    self.error(&at, message);
                }
                None => {
                    seen.insert(&key.id, self.at(&at));
                }
            }
            let grants = self.grants(index, key);
            result.push(DesiredKey {
                id: key.id.clone(),
                grants,
            });
        }
        result
    }

    /// Checks the grants of `key`, the key at `key_index` of `keys`.
    fn grants(&mut self, key_index: usize, key: &yaml::ApiKey) -> Vec<Grant> {
        let mut seen: BTreeMap<&str, SourceLocation> = BTreeMap::new();
        for (index, grant) in key.grants.iter().enumerate() {
            let at = |field| {
                [
                    Step::Field("keys"),
                    Step::Item(key_index),
                    Step::Field("grants"),
                    Step::Item(index),
                    Step::Field(field),
                ]
            };
            if grant.id.is_empty() {
                self.error(&at("id"), "a grant's `id` must not be empty".to_owned());
            }
            match seen.get(grant.id.as_str()) {
                Some(first) => {
                    let message = format!(
                        "grant `{}` is already listed for this key at {first}; give each grant its own id",
                        grant.id
                    );
                    self.error(&at("id"), message);
                }
                None => {
                    seen.insert(&grant.id, self.at(&at("id")));
                }
            }
            self.integer(&at("remaining"), "remaining", grant.remaining);
            let record = grant_tag(&key.id, &grant.id);
            let length = record.chars().count();
            if length > MAX_TAG_KEY {
                let room = MAX_TAG_KEY.saturating_sub(grant_tag(&key.id, "").chars().count());
                self.error(
                    &at("id"),
                    format!(
                        "grant id `{}` is too long for key `{}`: its record tag `{record}` would \
                         be {length} characters and AWS accepts at most {MAX_TAG_KEY} in a tag \
                         key; shorten the grant id to at most {room} characters",
                        grant.id, key.id
                    ),
                );
            }
        }
        key.grants
            .iter()
            .map(|grant| Grant {
                id: grant.id.clone(),
                remaining: grant.remaining,
            })
            .collect()
    }
}

/// Whether `key` has the form `{resourcePath}/{METHOD}` AWS accepts for usage plans.
fn is_method_key(key: &str) -> bool {
    match key.rsplit_once('/') {
        Some((resource, method)) => {
            resource.starts_with('/') && !key.contains('*') && METHODS.contains(&method)
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::load::decode_file;

    fn check_texts(files: &[(&str, &str)]) -> (Vec<DesiredPlan>, Vec<String>) {
        let files: Vec<SourceFile> = files
            .iter()
            .map(|(path, text)| decode_file((*path).to_owned(), text))
            .collect();
        let (plans, errors) = check(&files);
        (plans, errors.iter().map(ToString::to_string).collect())
    }

    fn errors_of(text: &str) -> Vec<String> {
        check_texts(&[("p.yaml", text)]).1
    }

    #[test]
    fn method_keys_need_a_path_and_a_known_method() {
        for good in ["/pets/GET", "//ANY", "/pets/{id}/DELETE", "/a/b/OPTIONS"] {
            assert!(is_method_key(good), "{good}");
        }
        for bad in [
            "pets/GET",
            "/GET",
            "/pets/FETCH",
            "/pets/get",
            "*/*",
            "/pets/*/GET",
            "/pets",
        ] {
            assert!(!is_method_key(bad), "{bad}");
        }
    }

    #[test]
    fn a_valid_plan_becomes_the_model() {
        let (plans, errors) = check_texts(&[(
            "p.yaml",
            "usagePlans:\n  - name: Gold\n    description: ''\n    throttle: {rateLimit: 12.5, burstLimit: 20}\n    quota: {limit: 100, period: WEEK, offset: 6}\n    apiStages:\n      - {apiId: a1, stage: prod, throttle: {/pets/GET: {rateLimit: 1, burstLimit: 2}}}\n    tags: {team: payments}\n    keys:\n      - id: k1\n        grants: [{id: SUP-1, remaining: 5}]\n",
        )]);
        assert_eq!(errors, Vec::<String>::new());
        let plan = &plans[0];
        assert_eq!(plan.body.description, "");
        assert_eq!(
            plan.body.throttle,
            Some(Throttle {
                rate_limit: 12.5,
                burst_limit: 20
            })
        );
        assert_eq!(
            plan.body.quota,
            Some(Quota {
                limit: 100,
                offset: 6,
                period: Period::Week
            })
        );
        let stage = StageRef {
            api_id: "a1".into(),
            stage: "prod".into(),
        };
        assert_eq!(
            plan.body
                .stages
                .get(&stage)
                .and_then(|t| t.get("/pets/GET")),
            Some(&Throttle {
                rate_limit: 1.0,
                burst_limit: 2
            })
        );
        assert_eq!(
            plan.tags
                .as_ref()
                .and_then(|t| t.get("team"))
                .map(String::as_str),
            Some("payments")
        );
        assert_eq!(
            plan.keys,
            Some(vec![DesiredKey {
                id: "k1".into(),
                grants: vec![Grant {
                    id: "SUP-1".into(),
                    remaining: 5
                }]
            }])
        );
        assert_eq!(
            plan.location,
            SourceLocation {
                path: "p.yaml".into(),
                line: 2,
                column: 11
            }
        );
    }

    #[test]
    fn ranges_and_offsets_are_checked() {
        assert_eq!(
            errors_of("usagePlans:\n  - name: A\n    throttle: {rateLimit: -1, burstLimit: -2}\n    quota: {limit: -3, period: DAY, offset: 1}\n"),
            vec![
                "p.yaml:3:27: `rateLimit` must be a number >= 0, found -1",
                "p.yaml:3:43: `burstLimit` must be an integer >= 0, found -2",
                "p.yaml:4:20: `limit` must be an integer >= 0, found -3",
                "p.yaml:4:45: `offset` 1 is out of range for a DAY quota; use 0",
            ]
        );
        assert_eq!(
            errors_of(
                "usagePlans:\n  - name: A\n    quota: {limit: 1, period: MONTH, offset: 28}\n"
            ),
            vec!["p.yaml:3:46: `offset` 28 is out of range for a MONTH quota; use 0 to 27"]
        );
    }

    #[test]
    fn integers_must_fit_in_32_bits() {
        let text = "usagePlans:\n  - name: A\n    throttle: {rateLimit: 3000000000, burstLimit: 2147483648}\n    quota: {limit: 3000000000, period: WEEK}\n    keys: [{id: k, grants: [{id: g, remaining: 9999999999}]}]\n  - name: B\n    quota: {limit: 2147483647, period: YEAR, offset: 2147483648}\n    keys: [{id: k, grants: [{id: g, remaining: 2147483647}]}]\n";
        let most = "must be at most 2147483647, the largest AWS accepts, found";
        assert_eq!(
            errors_of(text),
            vec![
                format!("p.yaml:3:51: `burstLimit` {most} 2147483648; lower it"),
                format!("p.yaml:4:20: `limit` {most} 3000000000; lower it"),
                format!("p.yaml:5:48: `remaining` {most} 9999999999; lower it"),
                "p.yaml:7:40: unknown value `YEAR`; expected one of `DAY`, `WEEK`, `MONTH`"
                    .to_owned(),
                format!("p.yaml:7:54: `offset` {most} 2147483648; lower it"),
            ]
        );
    }

    #[test]
    fn tags_fit_aws_limits_counting_grant_records() {
        let long_key = "k".repeat(129);
        let long_value = "v".repeat(257);
        let text = format!(
            "usagePlans:\n  - name: A\n    tags: {{{long_key}: x, ok: {long_value}, {}: y}}\n",
            "k".repeat(128)
        );
        assert_eq!(
            errors_of(&text),
            vec![
                format!("p.yaml:3:12: tag key `{long_key}` is 129 characters: AWS accepts at most 128; shorten it"),
                "p.yaml:3:150: the value of tag `ok` is 257 characters: AWS accepts at most 256; shorten it".to_owned(),
            ]
        );

        let tags: Vec<String> = (0..48).map(|n| format!("t{n}: x")).collect();
        let fits = format!(
            "usagePlans:\n  - name: A\n    tags: {{{}}}\n    keys: [{{id: k, grants: [{{id: g, remaining: 1}}]}}]\n",
            tags.join(", ")
        );
        assert_eq!(errors_of(&fits), Vec::<String>::new());
        let tags: Vec<String> = (0..50).map(|n| format!("t{n}: x")).collect();
        let tagged = format!(
            "usagePlans:\n  - name: A\n    tags: {{{}}}\n",
            tags.join(", ")
        );
        assert_eq!(
            errors_of(&tagged),
            vec![
                "p.yaml:3:11: 50 tags: AWS keeps at most 50 on a plan and tollgate keeps one of \
                  them for the creation marker `tollgate:creation` of a plan it creates (pin the \
                  plan's `id` if it exists already); declare at most 49"
            ]
        );
        // A pinned plan exists already: tollgate never creates it, so it may hold AWS's 50.
        let pinned = tagged.replace("- name: A\n", "- name: A\n    id: a1b2c3\n");
        assert_eq!(errors_of(&pinned), Vec::<String>::new());
        let over = fits.replace(
            "{id: g, remaining: 1}",
            "{id: g, remaining: 1}, {id: h, remaining: 1}",
        );
        assert_eq!(
            errors_of(&over),
            vec!["p.yaml:3:11: 48 tags and 2 grants make 50 tags: each grant keeps a tag \
                  `tollgate:grant:{keyId}:{grantId}` on the plan for good, and AWS keeps at most 50 \
                  on a plan and tollgate keeps one of them for the creation marker \
                  `tollgate:creation` of a plan it creates (pin the plan's `id` if it exists \
                  already); declare at most 49 tags and grants together"]
        );
        let grants: Vec<String> = (0..50)
            .map(|n| format!("{{id: g{n}, remaining: 1}}"))
            .collect();
        let untagged = format!(
            "usagePlans:\n  - name: A\n    keys: [{{id: k, grants: [{}]}}]\n",
            grants.join(", ")
        );
        assert_eq!(
            errors_of(&untagged),
            vec!["p.yaml:3:11: 0 tags and 50 grants make 50 tags: each grant keeps a tag \
                  `tollgate:grant:{keyId}:{grantId}` on the plan for good, and AWS keeps at most 50 \
                  on a plan and tollgate keeps one of them for the creation marker \
                  `tollgate:creation` of a plan it creates (pin the plan's `id` if it exists \
                  already); declare at most 49 tags and grants together"]
        );
    }

    #[test]
    fn a_grant_record_key_must_fit_in_a_tag_key() {
        let key = "k".repeat(40);
        // `tollgate:grant:` and `:` take 16 characters with the key's 40: 72 are left.
        let fits = "g".repeat(72);
        let long = "g".repeat(73);
        let text = format!(
            "usagePlans:\n  - name: A\n    keys: [{{id: {key}, grants: [{{id: {fits}, remaining: 1}}, {{id: {long}, remaining: 1}}]}}]\n"
        );
        assert_eq!(
            errors_of(&text),
            vec![format!(
                "p.yaml:3:167: grant id `{long}` is too long for key `{key}`: its record tag \
                 `tollgate:grant:{key}:{long}` would be 129 characters and AWS accepts at most 128 \
                 in a tag key; shorten the grant id to at most 72 characters"
            )]
        );
    }

    #[test]
    fn stages_keys_grants_and_tags_are_checked() {
        let text = "usagePlans:\n  - name: A\n    apiStages:\n      - {apiId: a, stage: s, throttle: {/x/GET: {rateLimit: 1, burstLimit: 1}}}\n      - {apiId: a, stage: s}\n    tags: {aws:x: y}\n    keys:\n      - id: k\n        grants: [{id: g, remaining: 1}, {id: g, remaining: -1}]\n      - id: k\n";
        assert_eq!(
            errors_of(text),
            vec![
                "p.yaml:4:30: method throttles need a plan-level throttle; add `throttle` to the plan",
                "p.yaml:5:9: stage `a:s` is already listed at p.yaml:4:9; list it once",
                "p.yaml:6:12: tag `aws:x` is reserved: keys starting `tollgate:` or `aws:` belong to tollgate and AWS; remove it",
                "p.yaml:9:46: grant `g` is already listed for this key at p.yaml:9:23; give each grant its own id",
                "p.yaml:9:60: `remaining` must be an integer >= 0, found -1",
                "p.yaml:10:13: key `k` is already listed at p.yaml:8:13; list it once",
            ]
        );
    }

    #[test]
    fn what_stands_in_for_a_wrong_value_is_not_checked() {
        let text = "usagePlans:\n  - name: [A]\n    throttle: fast\n    apiStages:\n      - {apiId: a, stage: {}, throttle: {/x/GET: {rateLimit: 1, burstLimit: 1}}}\n    keys: [{id: [k]}, {id: [k]}]\n  - name: [B]\n";
        assert_eq!(
            errors_of(text),
            vec![
                "p.yaml:2:11: expected a string, found a list",
                "p.yaml:3:15: expected a mapping, found the string \"fast\"",
                "p.yaml:5:27: expected a string, found a mapping",
                "p.yaml:6:17: expected a string, found a list",
                "p.yaml:6:28: expected a string, found a list",
                "p.yaml:7:11: expected a string, found a list",
            ]
        );
    }

    #[test]
    fn names_and_ids_are_unique_across_files() {
        let (_, errors) = check_texts(&[
            ("a.yaml", "usagePlans:\n  - {name: Gold, id: x1}\n"),
            (
                "b.yaml",
                "usagePlans:\n  - name: Gold\n  - {name: Silver, id: x1}\n",
            ),
        ]);
        assert_eq!(
            errors,
            vec![
                "b.yaml:2:11: usage plan `Gold` is already declared at a.yaml:2:12; give each plan a unique name",
                "b.yaml:3:24: usage plan id `x1` is already pinned at a.yaml:2:22; pin each plan once",
            ]
        );
    }

    #[test]
    fn a_name_may_be_declared_again_when_each_declaration_pins_its_own_id() {
        let (plans, errors) = check_texts(&[(
            "p.yaml",
            "usagePlans:\n  - {name: Gold, id: x1}\n  - {name: Gold, id: x2}\n",
        )]);
        assert_eq!((plans.len(), errors), (2, Vec::<String>::new()));

        let unique = "already declared at p.yaml:2:12; give each plan a unique name";
        assert_eq!(
            errors_of("usagePlans:\n  - {name: Gold, id: x1}\n  - {name: Gold}\n  - {name: Gold, id: x2}\n"),
            vec![
                format!("p.yaml:3:12: usage plan `Gold` is {unique}"),
                "p.yaml:4:12: usage plan `Gold` is already declared at p.yaml:3:12; give each plan a unique name".to_owned(),
            ]
        );
        assert_eq!(
            errors_of("usagePlans:\n  - {name: Gold}\n  - {name: Gold, id: x1}\n"),
            vec![format!("p.yaml:3:12: usage plan `Gold` is {unique}")]
        );
        assert_eq!(
            errors_of("usagePlans:\n  - {name: Gold, id: x1}\n  - {name: Gold, id: x1}\n"),
            vec!["p.yaml:3:22: usage plan id `x1` is already pinned at p.yaml:2:22; pin each plan once"]
        );
    }
}
