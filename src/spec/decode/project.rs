//! The project file (`tollgate.yaml`) read in one pass, with the plans' located errors.

use super::{Node, Reader};
use crate::endpoint::{Endpoint, EndpointSetting};
use crate::live::is_region_name;
use crate::project::{Project, Target};
use crate::spec::error::SpecError;
use crate::spec::events::Pos;
use std::collections::BTreeMap;
use std::path::PathBuf;

const FILE: &[&str] = &["project", "targets"];
const TARGET: &[&str] = &[
    "name",
    "region",
    "accountId",
    "profile",
    "endpoint",
    "paths",
];

/// The longest project or target name: the owner tag's value, `project/target`, must fit in
/// AWS's 256 characters with room to spare.
const MAX_NAME: usize = 64;

/// Reads a project file's text; `path` names it in errors. Target paths are as written.
pub fn decode_project(path: &str, text: &str) -> Result<Project, Vec<SpecError>> {
    let mut reader = Reader::new(path, text);
    let mut name = None;
    let mut targets = Vec::new();
    let mut targets_at = Pos { line: 1, column: 1 };
    match reader.next() {
        Some(root) if !root.is_null() => {
            reader.fields(
                root,
                "project file",
                FILE,
                &["project", "targets"],
                |reader, field, _, value| match field {
                    "project" => name = reader.name(value, "project"),
                    _ => {
                        targets_at = value.pos;
                        reader.list(value, |reader, item| targets.extend(reader.target(item)));
                    }
                },
            );
            reader.next();
        }
        _ => reader.error(
            targets_at,
            "the project file is empty; give `project` and `targets`".to_owned(),
        ),
    }
    if let Some(fault) = reader.fault.take() {
        return Err(vec![SpecError {
            location: Some(reader.at(fault.pos)),
            message: fault.message,
        }]);
    }
    if reader.errors.is_empty() && targets.is_empty() {
        reader.error(
            targets_at,
            "`targets` is empty; declare at least one target".to_owned(),
        );
    }
    reader.check_targets(&targets);
    match name {
        Some(name) if reader.errors.is_empty() => Ok(Project {
            name,
            file: PathBuf::from(path),
            targets: targets.into_iter().map(|(target, _)| target).collect(),
        }),
        _ => Err(reader.errors),
    }
}

/// Where a target's name and region are, for the checks across targets.
struct Places {
    name: Pos,
    region: Pos,
}

impl<'a> Reader<'a> {
    /// A project or target name: letters, digits, `.`, `_` and `-`, at most [`MAX_NAME`].
    fn name(&mut self, node: Node<'a>, field: &str) -> Option<String> {
        let pos = node.pos;
        let name = self.nonempty(node, field)?;
        let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-');
        if !name.chars().all(allowed) || name.len() > MAX_NAME {
            self.error(
                pos,
                format!(
                    "`{field}` {name:?} must be letters, digits, `.`, `_` and `-`, at most \
                     {MAX_NAME} characters (it is written on the plans tollgate manages)"
                ),
            );
            return None;
        }
        Some(name)
    }

    /// One target, when it has no error.
    fn target(&mut self, node: Node<'a>) -> Option<(Target, Places)> {
        let errors_before = self.errors.len();
        let mut target = Target::default();
        let mut places = Places {
            name: node.pos,
            region: node.pos,
        };
        let whole = self.fields(
            node,
            "target",
            TARGET,
            &["name", "region", "paths"],
            |reader, field, _, value| {
                let pos = value.pos;
                match field {
                    "name" => {
                        places.name = pos;
                        target.name = reader.name(value, "name").unwrap_or_default();
                    }
                    "region" => {
                        places.region = pos;
                        target.region = reader.region(value).unwrap_or_default();
                    }
                    "accountId" => target.account_id = reader.account_id(value),
                    "profile" => target.profile = reader.nonempty(value, "profile"),
                    "endpoint" => {
                        target.endpoint = reader.endpoint(value);
                    }
                    _ => {
                        let mut paths = Vec::new();
                        let errors_before = reader.errors.len();
                        reader.list(value, |reader, item| {
                            paths.extend(reader.nonempty(item, "paths").map(PathBuf::from));
                        });
                        if paths.is_empty() && reader.errors.len() == errors_before {
                            reader.error(
                                pos,
                                "`paths` is empty; list the target's YAML files or folders"
                                    .to_owned(),
                            );
                        }
                        target.paths = paths;
                    }
                }
            },
        );
        (whole && self.errors.len() == errors_before).then_some((target, places))
    }

    /// A region name such as `us-east-1`.
    fn region(&mut self, node: Node<'a>) -> Option<String> {
        let pos = node.pos;
        let region = self.text(node)?;
        if is_region_name(&region) {
            return Some(region);
        }
        self.error(
            pos,
            format!("`region` {region:?} is not a region name; give one such as us-east-1"),
        );
        None
    }

    /// An http or https URL with a host and no user name or password, and where it is
    /// written. Whether it may be used is decided when connecting, by the endpoint rule.
    fn endpoint(&mut self, node: Node<'a>) -> Option<EndpointSetting> {
        let pos = node.pos;
        let url = self.text(node)?;
        match Endpoint::parse(&url) {
            Ok(_) => Some(EndpointSetting {
                url,
                source: format!("`endpoint:` in {} line {}", self.path, pos.line),
            }),
            Err(why) => {
                self.error(
                    pos,
                    format!(
                        "`endpoint` {why}; give a URL such as \
                         https://apigateway.us-east-1.amazonaws.com or http://localhost:4566, \
                         or leave it out to use AWS's own endpoint"
                    ),
                );
                None
            }
        }
    }

    /// An AWS account id: twelve digits, best quoted.
    fn account_id(&mut self, node: Node<'a>) -> Option<String> {
        let pos = node.pos;
        let id = self.text(node)?;
        if id.len() == 12 && id.bytes().all(|b| b.is_ascii_digit()) {
            Some(id)
        } else {
            self.error(
                pos,
                format!("`accountId` must be the twelve digits of an AWS account, quoted (\"123456789012\"), found {id:?}"),
            );
            None
        }
    }

    /// Targets must have names apart, and two must not name the same account and region.
    fn check_targets(&mut self, targets: &[(Target, Places)]) {
        let mut names: BTreeMap<&str, Pos> = BTreeMap::new();
        let mut places: BTreeMap<(&str, &str), (&str, Pos)> = BTreeMap::new();
        for (target, at) in targets {
            if let Some(first) = names.insert(&target.name, at.name) {
                self.error(
                    at.name,
                    format!(
                        "target `{}` is declared twice (first at line {}, column {}); give each target its own name",
                        target.name, first.line, first.column
                    ),
                );
            }
            let Some(account) = target.account_id.as_deref() else {
                continue;
            };
            let place = (account, target.region.as_str());
            if let Some((first, _)) = places.get(&place) {
                self.error(
                    at.region,
                    format!(
                        "targets `{first}` and `{}` are both account {account} in {}; one target per account and region, so merge their paths",
                        target.name, target.region
                    ),
                );
            } else {
                places.insert(place, (&target.name, at.region));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = "project: payments-plans
targets:
  - name: prod-us
    region: us-east-1
    accountId: \"123456789012\"
    profile: prod
    paths: [plans/common, plans/prod]
  - name: dev
    region: eu-west-1
    endpoint: http://127.0.0.1:4566
    paths:
      - plans
";

    fn errors_of(text: &str) -> Vec<String> {
        match decode_project("tollgate.yaml", text) {
            Ok(project) => panic!("expected errors, read {project:?}"),
            Err(errors) => errors.iter().map(ToString::to_string).collect(),
        }
    }

    #[test]
    fn a_valid_project_reads_every_field() {
        let project = decode_project("tollgate.yaml", GOOD).unwrap();
        assert_eq!(project.name, "payments-plans");
        assert_eq!(
            project.targets,
            vec![
                Target {
                    name: "prod-us".into(),
                    region: "us-east-1".into(),
                    account_id: Some("123456789012".into()),
                    profile: Some("prod".into()),
                    endpoint: None,
                    paths: vec!["plans/common".into(), "plans/prod".into()],
                },
                Target {
                    name: "dev".into(),
                    region: "eu-west-1".into(),
                    account_id: None,
                    profile: None,
                    endpoint: Some(EndpointSetting {
                        url: "http://127.0.0.1:4566".into(),
                        source: "`endpoint:` in tollgate.yaml line 10".into(),
                    }),
                    paths: vec!["plans".into()],
                },
            ]
        );
    }

    #[test]
    fn each_wrong_value_is_located_and_says_what_to_write() {
        let text = "project: pay/ments
targets:
  - name: a
    region: US-EAST-1
    accountId: 1234
    endpoint: localhost:4566
    paths: []
    prune: true
  - region: us-east-1
    paths: [plans]
";
        assert_eq!(
            errors_of(text),
            [
                "tollgate.yaml:1:10: `project` \"pay/ments\" must be letters, digits, `.`, `_` and `-`, at most 64 characters (it is written on the plans tollgate manages)",
                "tollgate.yaml:4:13: `region` \"US-EAST-1\" is not a region name; give one such as us-east-1",
                "tollgate.yaml:5:16: `accountId` must be the twelve digits of an AWS account, quoted (\"123456789012\"), found \"1234\"",
                "tollgate.yaml:6:15: `endpoint` is not an http or https URL (its scheme is `localhost`); give a URL such as https://apigateway.us-east-1.amazonaws.com or http://localhost:4566, or leave it out to use AWS's own endpoint",
                "tollgate.yaml:7:12: `paths` is empty; list the target's YAML files or folders",
                "tollgate.yaml:8:5: unknown field `prune` in target; expected one of `name`, `region`, `accountId`, `profile`, `endpoint`, `paths`",
                "tollgate.yaml:9:5: missing field `name` in target; add it",
            ]
        );
    }

    #[test]
    fn targets_need_their_own_names_and_places() {
        let text = "project: p
targets:
  - {name: a, region: us-east-1, accountId: \"111111111111\", paths: [x]}
  - {name: a, region: us-east-2, paths: [x]}
  - {name: b, region: us-east-1, accountId: \"111111111111\", paths: [y]}
";
        assert_eq!(
            errors_of(text),
            [
                "tollgate.yaml:4:12: target `a` is declared twice (first at line 3, column 12); give each target its own name",
                "tollgate.yaml:5:23: targets `a` and `b` are both account 111111111111 in us-east-1; one target per account and region, so merge their paths",
            ]
        );
    }

    #[test]
    fn an_empty_file_or_target_list_is_an_error_and_broken_yaml_is_one() {
        assert_eq!(
            errors_of(""),
            ["tollgate.yaml:1:1: the project file is empty; give `project` and `targets`"]
        );
        assert_eq!(
            errors_of("project: p\ntargets: []\n"),
            ["tollgate.yaml:2:10: `targets` is empty; declare at least one target"]
        );
        assert_eq!(errors_of("project: [\n").len(), 1);
        assert_eq!(
            errors_of("targets: [{name: a, region: us-east-1, paths: [p]}]\n"),
            ["tollgate.yaml:1:1: missing field `project` in project file; add it"]
        );
    }
}
