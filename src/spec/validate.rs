//! The rules serde cannot express (ranges, periods, offsets, method-throttle keys, reserved
//! tags, things listed twice) and the conversion of valid plans to the model.

use super::decode::decode_name;
use super::error::SpecError;
use super::load::{locate, SourceFile};
use super::node::{Kind, Node};
use super::yaml;
use crate::model::{
    is_reserved_tag, DesiredKey, DesiredPlan, Grant, MethodThrottles, Period, PlanBody, Quota,
    SourceLocation, StageRef, Throttle,
};
use std::collections::BTreeMap;

/// The HTTP methods a method-throttle key may end in.
const METHODS: &[&str] = &[
    "GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "ANY",
];

/// The most tags AWS keeps on one resource.
const MAX_TAGS: usize = 50;

/// Checks every plan of every file and converts them; the errors of all files, in file order
/// and by position within a file, when there is any.
pub fn check(files: &[SourceFile]) -> (Vec<DesiredPlan>, Vec<SpecError>) {
    let mut plans = Vec::new();
    let mut errors = Vec::new();
    let mut names: BTreeMap<String, SourceLocation> = BTreeMap::new();
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
            if let Some(first) = names.get(&plan.name) {
                check.error(
                    &[Step::Field("name")],
                    format!(
                    "usage plan `{}` is already declared at {first}; give each plan a unique name",
                    plan.name
                ),
                );
            } else {
                names.insert(plan.name.clone(), desired.location.clone());
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
        if let Some(tags) = &plan.tags {
            self.tags(tags);
        }
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
        self.non_negative(&steps, "burstLimit", throttle.burst_limit);
        Throttle {
            rate_limit: throttle.rate_limit,
            burst_limit: throttle.burst_limit,
        }
    }

    fn non_negative(&mut self, at: &[Step], field: &str, value: i64) {
        if value < 0 {
            self.error(
                at,
                format!("`{field}` must be an integer >= 0, found {value}"),
            );
        }
    }

    /// Checks a quota; the model's quota when its period is one.
    fn quota(&mut self, quota: &yaml::Quota) -> Option<Quota> {
        let at = |field| [Step::Field("quota"), Step::Field(field)];
        self.non_negative(&at("limit"), "limit", quota.limit);
        let period = match decode_name::<yaml::Period>(&quota.period) {
            Ok(period) => Period::from(period),
            Err(error) => {
                self.error(&at("period"), error.message().to_owned());
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

    fn tags(&mut self, tags: &BTreeMap<String, String>) {
        for key in tags.keys().filter(|key| is_reserved_tag(key)) {
            self.error(
                &[Step::Field("tags"), Step::Key(key)],
                format!(
                    "tag `{key}` is reserved: keys starting `tollgate:` or `aws:` belong to \
                     tollgate and AWS; remove it"
                ),
            );
        }
        if tags.len() > MAX_TAGS {
            self.error(
                &[Step::Field("tags")],
                format!(
                    "{} tags: AWS keeps at most {MAX_TAGS} on a plan",
                    tags.len()
                ),
            );
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
            let grants = self.grants(index, &key.grants);
            result.push(DesiredKey {
                id: key.id.clone(),
                grants,
            });
        }
        result
    }

    fn grants(&mut self, key: usize, grants: &[yaml::Grant]) -> Vec<Grant> {
        let mut seen: BTreeMap<&str, SourceLocation> = BTreeMap::new();
        for (index, grant) in grants.iter().enumerate() {
            let at = |field| {
                [
                    Step::Field("keys"),
                    Step::Item(key),
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
            self.non_negative(&at("remaining"), "remaining", grant.remaining);
        }
        grants
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
}
