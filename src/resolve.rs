//! Names in the YAML resolved against the account: a stage whose REST API is given by name
//! (`api: pets`) and a key given by name (`name: acme`) get their ids, or a located error when
//! no API or key, or more than one, has that name.

use std::collections::BTreeMap;

use crate::model::{is_placeholder, DesiredKey, DesiredPlan, Named, SourceLocation, StageRef};
use crate::spec::limits::grant_record_too_long;
use crate::spec::SpecError;

/// Gives every named stage of `plans` its REST API's id from `apis` (the account's, in
/// `region`); every name that no API or several APIs have is an error at its place.
pub fn api_names(
    plans: &mut [DesiredPlan],
    apis: &[Named],
    region: &str,
) -> Result<(), Vec<SpecError>> {
    let index = Index::new(apis, "REST API", "`apiId`", region);
    let mut errors = Vec::new();
    for plan in plans.iter_mut() {
        for named in std::mem::take(&mut plan.named_stages) {
            let found = index.id_of(&named.api).and_then(|id| {
                let reference = StageRef {
                    api_id: id.to_owned(),
                    stage: named.stage.clone(),
                };
                if plan.body.stages.contains_key(&reference) {
                    return Err(format!(
                        "`api: {}` is the REST API {id}, whose stage `{}` the plan also lists \
                         by `apiId`; list it once",
                        named.api, named.stage
                    ));
                }
                Ok(reference)
            });
            match found {
                Ok(reference) => {
                    let written = plan.refs.stages.iter_mut().find(|line| {
                        line.api_id.is_none() && line.api == named.api && line.stage == named.stage
                    });
                    if let Some(line) = written {
                        line.api_id = Some(reference.api_id.clone());
                    }
                    plan.body.stages.insert(reference, named.throttle);
                }
                Err(message) => errors.push(located(named.location, message)),
            }
        }
    }
    sorted(errors)
}

/// Gives every named key of `plans` its id: a declared key's from `declared` (its live id, or
/// the placeholder of a key to create), any other's from `keys` (the account's, in `region`);
/// every name that no key or several keys have is an error at its place, and so is a grant
/// whose record tag would not fit with the key's id.
pub fn key_names(
    plans: &mut [DesiredPlan],
    keys: &[Named],
    declared: &BTreeMap<String, String>,
    region: &str,
) -> Result<(), Vec<SpecError>> {
    let index = Index::new(keys, "API key", "`id`", region);
    let mut errors = Vec::new();
    for plan in plans.iter_mut() {
        for named in std::mem::take(&mut plan.named_keys) {
            let listed = plan.keys.get_or_insert_with(Vec::new);
            let found = match declared.get(&named.name) {
                Some(id) => Ok(id.as_str()),
                None => index.id_of(&named.name),
            };
            let id = match found {
                Ok(id) if listed.iter().any(|key| key.id == id) => {
                    let message = format!(
                        "the key named `{}` is {id}, which the plan also lists by `id`; list \
                         it once",
                        named.name
                    );
                    errors.push(located(named.location, message));
                    continue;
                }
                Ok(id) => id,
                Err(message) => {
                    errors.push(located(named.location, message));
                    continue;
                }
            };
            let written = plan
                .refs
                .keys
                .iter_mut()
                .find(|line| line.id.is_none() && line.written == named.name);
            if let Some(line) = written {
                line.id = Some(id.to_owned());
            }
            // A key still to create has no id yet; AWS's are ten characters.
            let checked = if is_placeholder(id) { "0123456789" } else { id };
            for (grant, location) in &named.grants {
                if let Some(message) = grant_record_too_long(checked, &grant.id) {
                    errors.push(located(location.clone(), message));
                }
            }
            listed.push(DesiredKey {
                id: id.to_owned(),
                grants: named.grants.into_iter().map(|(grant, _)| grant).collect(),
            });
        }
    }
    sorted(errors)
}

/// The ids of an account's APIs or keys by name, and how to speak of them.
struct Index<'a> {
    by_name: BTreeMap<&'a str, Vec<&'a str>>,
    /// What they are: "REST API", "API key".
    what: &'static str,
    /// The field that gives one by id.
    by_id: &'static str,
    region: &'a str,
}

impl<'a> Index<'a> {
    fn new(listed: &'a [Named], what: &'static str, by_id: &'static str, region: &'a str) -> Self {
        let mut by_name: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for named in listed {
            by_name.entry(&named.name).or_default().push(&named.id);
        }
        Index {
            by_name,
            what,
            by_id,
            region,
        }
    }

    /// The id of the one API or key named `name`, or what is wrong.
    fn id_of(&self, name: &str) -> Result<&'a str, String> {
        let (what, by_id, region) = (self.what, self.by_id, self.region);
        match self.by_name.get(name).map_or(&[][..], Vec::as_slice) {
            [id] => Ok(id),
            [] => Err(format!(
                "no {what} is named `{name}` in {region}; check the name (names are compared \
                 exactly), or give the {what}'s {by_id}{}",
                if what == "API key" {
                    ", or declare it under `apiKeys` to create it"
                } else {
                    ""
                }
            )),
            ids => Err(format!(
                "{} {what}s are named `{name}` in {region} ({}); give the one you mean by \
                 {by_id}",
                ids.len(),
                ids.join(", ")
            )),
        }
    }
}

fn located(location: SourceLocation, message: String) -> SpecError {
    SpecError {
        location: Some(location),
        message,
    }
}

/// `errors` in file, line and column order, or nothing wrong.
fn sorted(errors: Vec<SpecError>) -> Result<(), Vec<SpecError>> {
    if errors.is_empty() {
        return Ok(());
    }
    Err(in_file_order(errors))
}

/// `errors` in file, line and column order.
pub fn in_file_order(mut errors: Vec<SpecError>) -> Vec<SpecError> {
    errors.sort_by(|a, b| place(a).cmp(&place(b)));
    errors
}

/// Where an error is, for ordering: file, line, column.
fn place(error: &SpecError) -> Option<(&str, usize, usize)> {
    let location = error.location.as_ref()?;
    Some((&location.path, location.line, location.column))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Grant, NamedKey, NamedStage, PlanBody};

    fn at(line: usize) -> SourceLocation {
        SourceLocation {
            path: "p.yaml".into(),
            line,
            column: 9,
        }
    }

    fn named(id: &str, name: &str) -> Named {
        Named {
            id: id.into(),
            name: name.into(),
        }
    }

    fn plan() -> DesiredPlan {
        DesiredPlan {
            body: PlanBody {
                name: "Gold".into(),
                ..PlanBody::default()
            },
            id: None,
            tags: None,
            keys: None,
            location: at(1),
            named_stages: Vec::new(),
            named_keys: Vec::new(),
            fields: Default::default(),
            refs: Default::default(),
            adopt_stack: None,
        }
    }

    #[test]
    fn a_name_one_api_has_becomes_its_id_and_others_are_errors_in_file_order() {
        let mut plans = vec![plan()];
        for (line, api) in [(5, "shop"), (3, "pets"), (4, "nope")] {
            plans[0].named_stages.push(NamedStage {
                api: api.into(),
                stage: "prod".into(),
                throttle: Default::default(),
                location: at(line),
            });
        }
        let apis = [
            named("a1", "pets"),
            named("s1", "shop"),
            named("s2", "shop"),
        ];
        let errors = api_names(&mut plans, &apis, "eu-west-1").expect_err("two names fail");
        let lines: Vec<String> = errors.iter().map(ToString::to_string).collect();
        assert_eq!(
            lines,
            [
                "p.yaml:4:9: no REST API is named `nope` in eu-west-1; check the name (names are \
                 compared exactly), or give the REST API's `apiId`",
                "p.yaml:5:9: 2 REST APIs are named `shop` in eu-west-1 (s1, s2); give the one \
                 you mean by `apiId`",
            ]
        );
        let stages: Vec<String> = plans[0]
            .body
            .stages
            .keys()
            .map(ToString::to_string)
            .collect();
        assert_eq!(stages, ["a1:prod"]);
        assert!(plans[0].named_stages.is_empty());
    }

    #[test]
    fn a_named_key_takes_its_grants_and_their_records_must_fit() {
        let mut plans = vec![plan()];
        let grant = |id: &str| {
            (
                Grant {
                    id: id.into(),
                    remaining: 1,
                },
                at(7),
            )
        };
        plans[0].named_keys.push(NamedKey {
            name: "acme".into(),
            grants: vec![grant("SUP-1")],
            location: at(6),
        });
        let keys = [named("k1", "acme")];
        assert_eq!(
            key_names(&mut plans, &keys, &BTreeMap::new(), "us-east-1"),
            Ok(())
        );
        let resolved = plans[0].keys.clone().unwrap_or_default();
        assert_eq!(resolved.len(), 1);
        assert_eq!(
            (resolved[0].id.as_str(), resolved[0].grants.len()),
            ("k1", 1)
        );

        let mut long = vec![plan()];
        long[0].named_keys.push(NamedKey {
            name: "acme".into(),
            grants: vec![grant(&"g".repeat(120))],
            location: at(6),
        });
        let errors =
            key_names(&mut long, &keys, &BTreeMap::new(), "us-east-1").expect_err("too long");
        assert!(errors[0].message.starts_with("grant id `ggg"), "{errors:?}");
        assert_eq!(errors[0].location, Some(at(7)));
    }
}
