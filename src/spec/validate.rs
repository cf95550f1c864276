//! The rules across plans and files: a plan name declared twice (unless every declaration
//! pins its own id), an id pinned twice, an API key declared twice, and a key listed on two
//! plans whose stages, as written, overlap.

use super::decode::{locate, Decoded};
use super::error::SpecError;
use super::Desired;
use crate::model::{DesiredPlan, SourceLocation};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// Checks the plans and declared keys of every file against each other; the valid plans and
/// keys, and the errors of all files, in file order and by position within a file.
pub fn check(files: Vec<Decoded>) -> (Desired, Vec<SpecError>) {
    let clashes = clashes(&files);
    let mut key_names: HashMap<String, SourceLocation> = HashMap::new();
    let mut plans = Vec::with_capacity(files.iter().map(|file| file.plans.len()).sum());
    let mut api_keys = Vec::new();
    let mut errors = Vec::new();
    for (file, mut found) in files.into_iter().zip(clashes) {
        for key in file.api_keys {
            match key_names.get(&key.name) {
                Some(first) => found.push(SpecError {
                    location: Some(key.location.clone()),
                    message: format!(
                        "API key `{}` is already declared at {first}; declare each key once",
                        key.name
                    ),
                }),
                None => {
                    key_names.insert(key.name.clone(), key.location.clone());
                    api_keys.push(key);
                }
            }
        }
        found.extend(file.errors);
        found.sort_by_key(|error| {
            error
                .location
                .as_ref()
                .map(|location| (location.line, location.column))
        });
        errors.append(&mut found);
        let valid = file.plans.into_iter().filter(|declared| declared.valid);
        plans.extend(valid.map(|declared| declared.plan));
    }
    errors.extend(shared_stage_keys(&plans));
    (Desired { plans, api_keys }, errors)
}

/// A key listed, as written, on two plans that list a stage, as written, in common: AWS
/// allows a key on one usage plan per stage. One error per key and pair of plans, at the
/// key in the later plan.
fn shared_stage_keys(plans: &[DesiredPlan]) -> Vec<SpecError> {
    let mut by_stage: BTreeMap<(&str, &str), Vec<usize>> = BTreeMap::new();
    for (index, plan) in plans.iter().enumerate() {
        for line in &plan.refs.stages {
            by_stage
                .entry((line.api.as_str(), line.stage.as_str()))
                .or_default()
                .push(index);
        }
    }
    let mut reported = BTreeSet::new();
    let mut errors = Vec::new();
    for ((api, stage), holders) in by_stage.iter().filter(|(_, holders)| holders.len() > 1) {
        let mut first: BTreeMap<&str, usize> = BTreeMap::new();
        for &index in holders {
            let plan = &plans[index];
            for key in &plan.refs.keys {
                let Some(&earlier) = first.get(key.written.as_str()) else {
                    first.insert(&key.written, index);
                    continue;
                };
                if !reported.insert((earlier, index, key.written.as_str())) {
                    continue;
                }
                let other = &plans[earlier];
                errors.push(SpecError {
                    location: Some(SourceLocation {
                        path: plan.location.path.clone(),
                        line: key.at.line,
                        column: key.at.column,
                    }),
                    message: format!(
                        "key `{}` is also on usage plan {} ({}), which shares stage \
                         `{api}/{stage}` with {}: AWS allows a key on one usage plan per stage \
                         and refuses the second with 409 ConflictException; list the key on \
                         one of them",
                        key.written, other.body.name, other.location, plan.body.name
                    ),
                });
            }
        }
    }
    errors
}

/// The names declared twice and the ids pinned twice, file by file.
fn clashes(files: &[Decoded]) -> Vec<Vec<SpecError>> {
    let mut names: HashMap<&str, Declared> = HashMap::new();
    let mut ids: HashMap<&str, SourceLocation> = HashMap::new();
    let mut clashes = Vec::with_capacity(files.len());
    for file in files {
        let mut found = Vec::new();
        for declared in &file.plans {
            let plan = &declared.plan;
            let location = &plan.location;
            let pinned = plan.id.is_some();
            match names.get_mut(plan.body.name.as_str()) {
                Some(earlier) => {
                    if let Some(first) = earlier.clash(pinned) {
                        found.push(SpecError {
                            location: Some(location.clone()),
                            message: format!(
                                "usage plan `{}` is already declared at {first}; give each plan a \
                                 unique name",
                                plan.body.name
                            ),
                        });
                    }
                    if !pinned {
                        earlier.unpinned.get_or_insert(location);
                    }
                }
                None => {
                    let earlier = Declared {
                        first: location,
                        unpinned: (!pinned).then_some(location),
                    };
                    names.insert(&plan.body.name, earlier);
                }
            }
            if let (Some(id), Some(pos)) = (&plan.id, declared.id_at) {
                let here = locate(&location.path, pos);
                match ids.get(id.as_str()) {
                    Some(first) => found.push(SpecError {
                        location: Some(here),
                        message: format!(
                            "usage plan id `{id}` is already pinned at {first}; pin each plan once"
                        ),
                    }),
                    None => {
                        ids.insert(id, here);
                    }
                }
            }
        }
        clashes.push(found);
    }
    clashes
}

/// Where a plan name is declared so far, for telling a name declared twice.
///
/// Two live plans can share a name, so a name may be declared again when every declaration
/// of it pins an `id` (that the ids differ is the `id` check's business).
struct Declared<'a> {
    /// The first declaration.
    first: &'a SourceLocation,
    /// The first declaration without an `id`, if any.
    unpinned: Option<&'a SourceLocation>,
}

impl<'a> Declared<'a> {
    /// The earlier declaration a new one of the same name clashes with, if any: any for a
    /// declaration without an `id`, the first unpinned one for a pinned declaration.
    fn clash(&self, pinned: bool) -> Option<&'a SourceLocation> {
        if pinned {
            self.unpinned
        } else {
            Some(self.first)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::decode::decode;

    fn check_texts(files: &[(&str, &str)]) -> (Vec<crate::model::DesiredPlan>, Vec<String>) {
        let files = files
            .iter()
            .map(|(path, text)| decode(path, text))
            .collect();
        let (desired, errors) = check(files);
        (
            desired.plans,
            errors.iter().map(ToString::to_string).collect(),
        )
    }

    #[test]
    fn an_api_key_is_declared_once_across_files() {
        let files = [
            ("a.yaml", "apiKeys:\n  - name: acme\n"),
            ("b.yaml", "apiKeys:\n  - name: globex\n  - name: acme\n"),
        ];
        let files = files
            .iter()
            .map(|(path, text)| decode(path, text))
            .collect();
        let (desired, errors) = check(files);
        let names: Vec<&str> = desired
            .api_keys
            .iter()
            .map(|key| key.name.as_str())
            .collect();
        assert_eq!(names, ["acme", "globex"]);
        let errors: Vec<String> = errors.iter().map(ToString::to_string).collect();
        assert_eq!(
            errors,
            ["b.yaml:3:11: API key `acme` is already declared at a.yaml:2:11; declare each key once"]
        );
    }

    fn errors_of(text: &str) -> Vec<String> {
        check_texts(&[("p.yaml", text)]).1
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

    #[test]
    fn an_empty_id_is_one_error_not_also_a_name_declared_twice() {
        assert_eq!(
            errors_of("usagePlans:\n  - {name: Gold, id: x1}\n  - {name: Gold, id: ''}\n"),
            vec!["p.yaml:3:22: `id` must not be empty; leave it out instead"]
        );
    }

    #[test]
    fn a_key_on_two_plans_whose_stages_overlap_as_written_is_an_error_at_the_second() {
        let text = "usagePlans:
  - name: Gold
    apiStages: [ { api: pets, stage: prod }, { api: pets, stage: beta } ]
    keys: [ { name: acme }, { id: k2 } ]
  - name: Silver
    apiStages: [ { api: pets, stage: prod } ]
    keys: [ { id: k2 }, { name: acme } ]
  - name: Trial
    apiStages: [ { api: pets, stage: dev } ]
    keys: [ { name: acme } ]
";
        let (_, errors) = check_texts(&[("p.yaml", text)]);
        let shared = |key: &str, column: usize| {
            format!(
                "p.yaml:7:{column}: key `{key}` is also on usage plan Gold (p.yaml:2:11), which \
                 shares stage `pets/prod` with Silver: AWS allows a key on one usage plan per \
                 stage and refuses the second with 409 ConflictException; list the key on one \
                 of them"
            )
        };
        assert_eq!(errors, [shared("k2", 19), shared("acme", 33)]);
    }
}
