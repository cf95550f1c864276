//! Fingerprints of the live plans a saved plan changes, and the check that each is still as it
//! was at plan time or, after a partial apply, already as the plan makes it.
//!
//! A plan has three parts: its body (what UpdateUsagePlan manages), its key ids (when the YAML
//! manages keys, the only time they are read) and its tags (all of them, as read). Each part
//! has a SHA-256 fingerprint of its canonical JSON. At apply time a part whose fingerprint is
//! unchanged is fine; any other part is compared element by element (each key id, each tag):
//! every element must be as it was at plan time or as the plan makes it, so a half-done apply
//! is finished and anything else is named.

use std::collections::BTreeSet;
use std::fmt;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::diff::body_operations;
use crate::model::{grant_tag, LiveKeys, LivePlan, PlanBody, Tags, GRANT_APPLIED, GRANT_PENDING};
use crate::plan::{Baseline, KeyAction, PlanEntry};

/// Why hashing cannot fail: serde_json only fails on a map with keys that are not strings or
/// on a type whose own `Serialize` fails, and the parts have neither.
const INFALLIBLE: &str = "a plan's body, key ids and tags serialise to JSON";

/// A live plan as read at plan time: the parts a saved plan's changes depend on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Snapshot {
    /// The plan's id.
    pub id: String,
    /// Its body.
    pub body: PlanBody,
    /// Its key ids; absent when the YAML does not manage keys (they were not read).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keys: Option<BTreeSet<String>>,
    /// Every tag, `tollgate:` and `aws:` ones included.
    pub tags: Tags,
}

impl Snapshot {
    /// The live plan as read, with its key ids when `with_keys` (when the YAML manages keys;
    /// otherwise they were not read).
    pub fn of(plan: &LivePlan, live_keys: &LiveKeys, with_keys: bool) -> Snapshot {
        Snapshot {
            id: plan.id.clone(),
            body: plan.body.clone(),
            keys: with_keys.then(|| live_keys.get(&plan.id).cloned().unwrap_or_default()),
            tags: plan.tags.clone(),
        }
    }

    /// The live plan as it was read.
    pub fn plan(&self) -> LivePlan {
        LivePlan {
            id: self.id.clone(),
            body: self.body.clone(),
            tags: self.tags.clone(),
        }
    }
}

/// The SHA-256 (`sha256:` and 64 hex digits) of the canonical JSON of each part of a plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Fingerprint {
    /// Of the body.
    pub body: String,
    /// Of the sorted key ids; absent when they were not read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keys: Option<String>,
    /// Of the tags, sorted by key.
    pub tags: String,
}

impl Snapshot {
    /// The fingerprint of each part.
    pub fn fingerprint(&self) -> Fingerprint {
        Fingerprint {
            body: digest(&self.body),
            keys: self.keys.as_ref().map(digest),
            tags: digest(&self.tags),
        }
    }
}

/// `sha256:` and the hex SHA-256 of `value`'s JSON (struct fields in declaration order, maps
/// and sets sorted: canonical for these types).
fn digest<T: Serialize>(value: &T) -> String {
    let json = serde_json::to_vec(value).expect(INFALLIBLE);
    let hash = Sha256::digest(&json);
    let hex: String = hash.iter().map(|byte| format!("{byte:02x}")).collect();
    format!("sha256:{hex}")
}

/// A part of a plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    /// What UpdateUsagePlan manages.
    Body,
    /// The API keys on the plan.
    Keys,
    /// The tags.
    Tags,
}

impl fmt::Display for Part {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Part::Body => "body",
            Part::Keys => "keys",
            Part::Tags => "tags",
        })
    }
}

/// A part of a live plan that changed since the plan: neither as it was nor as the plan makes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Changed {
    /// Which part.
    pub part: Part,
    /// What changed in it.
    pub detail: String,
}

impl fmt::Display for Changed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "its {} changed since the plan: {}",
            self.part, self.detail
        )
    }
}

/// The parts of `now` (the same plan read again) that are neither as in `before` nor as
/// `entry` (the plan's changes to it) makes them. Grant records of the entry's grants may
/// also be `pending`: an apply stopped between the record and UpdateUsage, which the plan
/// then shows for attention as it always does.
pub fn changed_since(before: &Snapshot, entry: &PlanEntry, now: &Snapshot) -> Vec<Changed> {
    let was = before.fingerprint();
    let is = now.fingerprint();
    let mut changed = Vec::new();
    if was.body != is.body && now.body != entry.after {
        let paths: Vec<String> = body_operations(&before.body, &now.body)
            .into_iter()
            .map(|op| op.path)
            .collect();
        changed.push(Changed {
            part: Part::Body,
            detail: paths.join(", "),
        });
    }
    if let (Some(old), Some(new)) = (&before.keys, &now.keys) {
        if was.keys != is.keys {
            let planned = keys_after(old, entry);
            let detail = element_changes(&as_map(old), &as_map(&planned), &as_map(new), |_| false)
                .into_iter()
                .map(|(key, _, now)| match now {
                    Some(_) => format!("key {key} was put on the plan"),
                    None => format!("key {key} was taken off the plan"),
                })
                .collect::<Vec<_>>();
            if !detail.is_empty() {
                changed.push(Changed {
                    part: Part::Keys,
                    detail: detail.join(", "),
                });
            }
        }
    }
    if was.tags != is.tags {
        let planned = tags_after(&before.tags, entry);
        let grant_records: BTreeSet<String> = entry
            .grants
            .iter()
            .map(|grant| grant_tag(&grant.key_id, &grant.grant_id))
            .collect();
        let may_be_pending = |(key, value): (&str, Option<&str>)| {
            grant_records.contains(key)
                && value
                    .is_some_and(|value| value == GRANT_PENDING || Baseline::parse(value).is_some())
        };
        let detail = element_changes(&before.tags, &planned, &now.tags, may_be_pending)
            .into_iter()
            .map(|(key, was, now)| match (was, now) {
                (None, Some(value)) => format!("tag `{key}` was added (\"{value}\")"),
                (Some(_), None) => format!("tag `{key}` was removed"),
                (was, now) => format!(
                    "tag `{key}` is \"{}\", was \"{}\"",
                    now.unwrap_or_default(),
                    was.unwrap_or_default()
                ),
            })
            .collect::<Vec<_>>();
        if !detail.is_empty() {
            changed.push(Changed {
                part: Part::Tags,
                detail: detail.join(", "),
            });
        }
    }
    changed
}

/// The key ids the entry leaves on the plan.
fn keys_after(before: &BTreeSet<String>, entry: &PlanEntry) -> BTreeSet<String> {
    let mut keys = before.clone();
    for change in &entry.keys {
        match change.action {
            KeyAction::Add => keys.insert(change.key_id.clone()),
            KeyAction::Remove => keys.remove(&change.key_id),
        };
    }
    keys
}

/// The tags the entry leaves on the plan: its tag change, its bookkeeping, and a record
/// `applied` per grant.
fn tags_after(before: &Tags, entry: &PlanEntry) -> Tags {
    let mut tags = before.clone();
    for change in entry.tags.iter().chain(&entry.bookkeeping) {
        for key in &change.remove {
            tags.remove(key);
        }
        tags.extend(change.set.clone());
    }
    for grant in &entry.grants {
        tags.insert(
            grant_tag(&grant.key_id, &grant.grant_id),
            GRANT_APPLIED.to_string(),
        );
    }
    tags
}

/// A set as a map to the empty string, for [`element_changes`].
fn as_map(set: &BTreeSet<String>) -> Tags {
    set.iter().map(|key| (key.clone(), String::new())).collect()
}

/// The elements of `now` equal neither to `before` nor to `after` (nor accepted by `also`),
/// as `(key, value before, value now)`, sorted by key.
fn element_changes<'a>(
    before: &'a Tags,
    after: &'a Tags,
    now: &'a Tags,
    also: impl Fn((&str, Option<&str>)) -> bool,
) -> Vec<(&'a str, Option<&'a str>, Option<&'a str>)> {
    let keys: BTreeSet<&str> = before
        .keys()
        .chain(after.keys())
        .chain(now.keys())
        .map(String::as_str)
        .collect();
    let get = |map: &'a Tags, key: &str| map.get(key).map(String::as_str);
    keys.into_iter()
        .filter(|&key| {
            let value = get(now, key);
            value != get(before, key) && value != get(after, key) && !also((key, value))
        })
        .map(|key| (key, get(before, key), get(now, key)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Period, Quota};
    use crate::plan::{GrantChange, KeyChange, TagChange, Target};

    fn tags(pairs: &[(&str, &str)]) -> Tags {
        pairs
            .iter()
            .map(|&(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn keys(ids: &[&str]) -> Option<BTreeSet<String>> {
        Some(ids.iter().map(|id| id.to_string()).collect())
    }

    fn body(limit: i64) -> PlanBody {
        PlanBody {
            name: "Gold".into(),
            quota: Some(Quota {
                limit,
                offset: 0,
                period: Period::Month,
            }),
            ..PlanBody::default()
        }
    }

    /// Gold at plan time: quota 100, keys k1 and k2, tags team=a and owner=me.
    fn before() -> Snapshot {
        Snapshot {
            id: "g1".into(),
            body: body(100),
            keys: keys(&["k1", "k2"]),
            tags: tags(&[("team", "a"), ("owner", "me")]),
        }
    }

    /// The plan: quota 200, k1 off and k3 on, team=b and owner removed, grant G on k3.
    fn entry() -> PlanEntry {
        PlanEntry {
            name: "Gold".into(),
            target: Target::Live {
                id: "g1".into(),
                before: body(100),
                operations: body_operations(&body(100), &body(200)),
            },
            after: body(200),
            keys: vec![
                KeyChange {
                    action: KeyAction::Remove,
                    key_id: "k1".into(),
                },
                KeyChange {
                    action: KeyAction::Add,
                    key_id: "k3".into(),
                },
            ],
            tags: Some(TagChange {
                set: tags(&[("team", "b")]),
                remove: vec!["owner".into()],
            }),
            grants: vec![GrantChange {
                key_id: "k3".into(),
                grant_id: "G".into(),
                remaining: 5,
            }],
            pending_grants: vec![],
            settled: vec![],
            bookkeeping: None,
            delete: false,
            matched_by_name: false,
        }
    }

    #[test]
    fn fingerprints_are_sha256_of_each_part_and_change_with_it() {
        let print = before().fingerprint();
        assert!(print.body.starts_with("sha256:") && print.body.len() == 7 + 64);
        assert_eq!(print, before().fingerprint());
        let mut other = before();
        other.tags.insert("x".into(), "y".into());
        let changed = other.fingerprint();
        assert_eq!(changed.body, print.body);
        assert_eq!(changed.keys, print.keys);
        assert_ne!(changed.tags, print.tags);
    }

    #[test]
    fn a_plan_as_it_was_or_as_the_plan_makes_it_has_no_change() {
        assert_eq!(changed_since(&before(), &entry(), &before()), []);
        let done = Snapshot {
            id: "g1".into(),
            body: body(200),
            keys: keys(&["k2", "k3"]),
            tags: tags(&[("team", "b"), ("tollgate:grant:k3:G", "applied")]),
        };
        assert_eq!(changed_since(&before(), &entry(), &done), []);
    }

    #[test]
    fn a_partial_apply_counts_as_done_element_by_element() {
        let half = Snapshot {
            id: "g1".into(),
            body: body(200),
            keys: keys(&["k1", "k2", "k3"]),
            tags: tags(&[
                ("team", "b"),
                ("owner", "me"),
                ("tollgate:grant:k3:G", "pending"),
            ]),
        };
        assert_eq!(changed_since(&before(), &entry(), &half), []);
        // A pending record that kept the key's figures is pending too.
        let mut with_figures = half.clone();
        with_figures.tags.insert(
            "tollgate:grant:k3:G".into(),
            "pending 2026-11-23T12:00:00Z used=5 remaining=995".into(),
        );
        assert_eq!(changed_since(&before(), &entry(), &with_figures), []);
    }

    #[test]
    fn anything_else_is_named_by_part() {
        let drifted = Snapshot {
            id: "g1".into(),
            body: body(300),
            keys: keys(&["k2", "k9"]),
            tags: tags(&[("team", "c"), ("owner", "me"), ("new", "1")]),
        };
        let changed = changed_since(&before(), &entry(), &drifted);
        assert_eq!(
            changed,
            [
                Changed {
                    part: Part::Body,
                    detail: "/quota/limit".into()
                },
                Changed {
                    part: Part::Keys,
                    detail: "key k9 was put on the plan".into()
                },
                Changed {
                    part: Part::Tags,
                    detail: "tag `new` was added (\"1\"), tag `team` is \"c\", was \"a\"".into()
                },
            ]
        );
        assert_eq!(
            changed[0].to_string(),
            "its body changed since the plan: /quota/limit"
        );
    }
}
