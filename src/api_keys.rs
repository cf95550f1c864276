//! Declared API keys (`apiKeys:`) matched by name to the account's keys: what to create, what
//! to update, and the id each declared name stands for in the plans' `keys`. Pure: no I/O.

use std::collections::{BTreeMap, BTreeSet};

use crate::diff::{Op, PatchOp};
use crate::model::{
    is_orphan_of, placeholder, DesiredApiKey, DesiredPlan, LiveApiKey, CREATION_TAG, OWNER_TAG,
};
use crate::plan::{ApiKeyEntry, ApiKeyTarget, PlanRef};
use crate::reconcile::tag_change;
use crate::spec::SpecError;

/// The declared keys matched to the account's.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Matched {
    /// Each declared key's entry, with nothing to do when it is equal.
    pub entries: Vec<ApiKeyEntry>,
    /// The id each declared name stands for: the live key's, or a placeholder.
    pub ids: BTreeMap<String, String>,
}

/// The declared keys matched to `live` by exact name. A name that several live keys share
/// is an error at the declaration, and so is one whose live key another project or target
/// owns. With an `owner` (a project file), a key to create carries the owner tag.
pub fn match_keys(
    declared: &[DesiredApiKey],
    live: &[LiveApiKey],
    region: &str,
    owner: Option<&str>,
) -> Result<Matched, Vec<SpecError>> {
    let mut by_name: BTreeMap<&str, Vec<&LiveApiKey>> = BTreeMap::new();
    for key in live {
        by_name.entry(&key.name).or_default().push(key);
    }
    let mut entries = Vec::new();
    let mut ids = BTreeMap::new();
    let mut errors = Vec::new();
    for key in declared {
        match by_name.get(key.name.as_str()).map(Vec::as_slice) {
            None | Some([]) => {
                let id = placeholder(&key.name);
                ids.insert(key.name.clone(), id.clone());
                let mut key = key.clone();
                if let Some(owner) = owner {
                    key.tags
                        .get_or_insert_default()
                        .insert(OWNER_TAG.to_string(), owner.to_string());
                }
                entries.push(ApiKeyEntry {
                    key,
                    target: ApiKeyTarget::Create { placeholder: id },
                    tags: None,
                });
            }
            Some([found]) if owned_elsewhere(found, owner) => {
                errors.push(SpecError {
                    location: Some(key.location.clone()),
                    message: format!(
                        "API key `{}` ({}) belongs to {} (its tag `{OWNER_TAG}`), not to this \
                         target; rename the declaration, or, if the key should move here, \
                         remove the tag from it in AWS first",
                        key.name,
                        found.id,
                        found
                            .tags
                            .get(OWNER_TAG)
                            .map(String::as_str)
                            .unwrap_or_default()
                    ),
                });
            }
            Some([found]) => {
                ids.insert(key.name.clone(), found.id.clone());
                entries.push(ApiKeyEntry {
                    key: key.clone(),
                    target: ApiKeyTarget::Live {
                        id: found.id.clone(),
                        operations: operations(key, found),
                    },
                    tags: key
                        .tags
                        .as_ref()
                        .and_then(|tags| tag_change(tags, &found.tags)),
                });
            }
            Some(several) => {
                let listed: Vec<&str> = several.iter().map(|key| key.id.as_str()).collect();
                errors.push(SpecError {
                    location: Some(key.location.clone()),
                    message: format!(
                        "{} API keys are named `{}` in {region} ({}); rename all but one in AWS, \
                         or stop declaring it",
                        several.len(),
                        key.name,
                        listed.join(", ")
                    ),
                });
            }
        }
    }
    if errors.is_empty() {
        Ok(Matched { entries, ids })
    } else {
        Err(errors)
    }
}

/// Whether, in a project (with an `owner`), the live key carries another owner's tag.
/// Without a project nothing is owned.
fn owned_elsewhere(key: &LiveApiKey, owner: Option<&str>) -> bool {
    let theirs = key.tags.get(OWNER_TAG).map(String::as_str);
    owner.is_some() && theirs.is_some() && theirs != owner
}

/// The live keys this target created and no longer declares (orphans): those carrying its
/// `owner` tag, no CloudFormation stack's tag, and a creation marker whose name no declared key has and whose id no plan's
/// `keys` still names. A key tollgate merely referenced carries no owner tag.
pub fn orphan_keys(
    live: &[LiveApiKey],
    declared: &[DesiredApiKey],
    plans: &[DesiredPlan],
    owner: &str,
) -> Vec<PlanRef> {
    let names: BTreeSet<&str> = declared.iter().map(|key| key.name.as_str()).collect();
    let referenced: BTreeSet<&str> = plans
        .iter()
        .flat_map(|plan| plan.keys.iter().flatten())
        .map(|key| key.id.as_str())
        .collect();
    let mut orphans: Vec<PlanRef> = live
        .iter()
        .filter(|key| is_orphan_of(&key.tags, owner))
        .filter(|key| key.tags.contains_key(CREATION_TAG))
        .filter(|key| !names.contains(key.name.as_str()) && !referenced.contains(key.id.as_str()))
        .map(|key| PlanRef {
            name: key.name.clone(),
            id: key.id.clone(),
        })
        .collect();
    orphans.sort_by(|a, b| (&a.name, &a.id).cmp(&(&b.name, &b.id)));
    orphans
}

/// The UpdateApiKey operations that make `live` equal `declared`: one `replace` per field
/// that differs.
fn operations(declared: &DesiredApiKey, live: &LiveApiKey) -> Vec<PatchOp> {
    let replace = |path: &str, value: String| PatchOp {
        op: Op::Replace,
        path: path.to_string(),
        value: Some(value),
    };
    let mut operations = Vec::new();
    if declared.description != live.description {
        operations.push(replace("/description", declared.description.clone()));
    }
    if declared.enabled != live.enabled {
        operations.push(replace("/enabled", declared.enabled.to_string()));
    }
    if declared.customer_id != live.customer_id {
        operations.push(replace("/customerId", declared.customer_id.clone()));
    }
    operations
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::SourceLocation;
    use crate::plan::TagChange;

    fn declared(name: &str) -> DesiredApiKey {
        DesiredApiKey {
            name: name.into(),
            description: "Acme Corp".into(),
            enabled: true,
            customer_id: String::new(),
            tags: Some(
                [("team".to_string(), "sales".to_string())]
                    .into_iter()
                    .collect(),
            ),
            value_from: None,
            location: SourceLocation {
                path: "keys.yaml".into(),
                line: 2,
                column: 11,
            },
        }
    }

    fn live(id: &str, name: &str) -> LiveApiKey {
        LiveApiKey {
            id: id.into(),
            name: name.into(),
            description: "Acme Corp".into(),
            enabled: true,
            customer_id: String::new(),
            tags: [
                ("team".to_string(), "sales".to_string()),
                ("tollgate:creation".to_string(), "t".to_string()),
            ]
            .into_iter()
            .collect(),
        }
    }

    #[test]
    fn a_key_no_live_key_names_is_created_under_a_placeholder() {
        let Matched { entries, ids } =
            match_keys(&[declared("acme")], &[live("k1", "globex")], "r", None).unwrap();
        assert_eq!(ids["acme"], "new:acme");
        assert_eq!(
            entries[0].target,
            ApiKeyTarget::Create {
                placeholder: "new:acme".into()
            }
        );
    }

    #[test]
    fn an_equal_key_needs_nothing_and_a_different_one_one_replace_per_field() {
        let Matched { entries, ids } =
            match_keys(&[declared("acme")], &[live("k1", "acme")], "r", None).unwrap();
        assert_eq!(ids["acme"], "k1");
        assert!(!entries[0].has_changes(), "{entries:?}");
        let mut changed = live("k1", "acme");
        changed.description = "old".into();
        changed.enabled = false;
        changed.customer_id = "c-1".into();
        changed.tags.insert("stale".into(), "x".into());
        changed.tags.insert("team".into(), "ops".into());
        let entries = match_keys(&[declared("acme")], &[changed], "r", None)
            .unwrap()
            .entries;
        let ApiKeyTarget::Live { operations, .. } = &entries[0].target else {
            panic!("a live key: {entries:?}");
        };
        let ops: Vec<(Op, &str, Option<&str>)> = operations
            .iter()
            .map(|op| (op.op, op.path.as_str(), op.value.as_deref()))
            .collect();
        assert_eq!(
            ops,
            [
                (Op::Replace, "/description", Some("Acme Corp")),
                (Op::Replace, "/enabled", Some("true")),
                (Op::Replace, "/customerId", Some("")),
            ]
        );
        assert_eq!(
            entries[0].tags,
            Some(TagChange {
                set: [("team".to_string(), "sales".to_string())]
                    .into_iter()
                    .collect(),
                remove: vec!["stale".into()],
            })
        );
    }

    #[test]
    fn a_name_several_live_keys_share_is_an_error_at_the_declaration() {
        let errors = match_keys(
            &[declared("acme")],
            &[live("k1", "acme"), live("k2", "acme")],
            "us-east-1",
            None,
        )
        .unwrap_err();
        assert_eq!(
            errors[0].to_string(),
            "keys.yaml:2:11: 2 API keys are named `acme` in us-east-1 (k1, k2); rename all but \
             one in AWS, or stop declaring it"
        );
    }
}
