//! Matches declared plans to live ones and builds the Plan from the differences.
//!
//! This is the decision, pure and deterministic: the same desired and live state always give
//! the same [`Plan`]. Carrying it out is the applier's job.

use std::collections::BTreeSet;

use thiserror::Error;

use crate::diff::{body_operations, create_follow_up};
use crate::model::{is_reserved_tag, DesiredPlan, LiveKeys, LivePlan, SourceLocation, Tags};
use crate::plan::{
    BodyAction, GrantChange, KeyAction, KeyChange, PendingGrant, Plan, PlanEntry, PlanRef,
    TagChange,
};

/// The value of a grant's tag once its record is written, before the UpdateUsage call.
pub const GRANT_PENDING: &str = "pending";
/// The value of a grant's tag once the UpdateUsage call succeeded.
pub const GRANT_APPLIED: &str = "applied";

/// The tag that records a grant on its plan: `tollgate:grant:{keyId}:{grantId}`.
pub fn grant_tag(key_id: &str, grant_id: &str) -> String {
    format!("tollgate:grant:{key_id}:{grant_id}")
}

/// Why declared plans cannot be paired with live ones. Display gives the message; the CLI
/// puts [`ReconcileError::location`] in front of it.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ReconcileError {
    /// Several live plans carry the declared name and no `id` pins one.
    #[error(
        "{} live usage plans are named \"{name}\" ({}); add `id:` to pin the one this declaration manages",
        ids.len(),
        ids.join(", ")
    )]
    Ambiguous {
        /// The declared name.
        name: String,
        /// The ids of the live plans with that name, sorted.
        ids: Vec<String>,
        /// Where the plan is declared.
        location: SourceLocation,
    },
    /// The declared `id` names no live plan.
    #[error(
        "no live usage plan has id \"{id}\" (pinned by \"{name}\"); correct the `id:`, or remove it to create the plan"
    )]
    PinNotFound {
        /// The declared name.
        name: String,
        /// The pinned id.
        id: String,
        /// Where the plan is declared.
        location: SourceLocation,
    },
    /// A live plan is claimed by two declared plans.
    #[error(
        "live usage plan {id} is claimed by both \"{first}\" and \"{name}\"; each declared plan must manage its own plan"
    )]
    ClaimedTwice {
        /// The declared name of the second claim.
        name: String,
        /// The declared name of the first claim.
        first: String,
        /// The live plan's id.
        id: String,
        /// Where the second claim is declared.
        location: SourceLocation,
    },
}

impl ReconcileError {
    /// Where the declared plan the error is about stands in the YAML.
    pub fn location(&self) -> &SourceLocation {
        match self {
            ReconcileError::Ambiguous { location, .. }
            | ReconcileError::PinNotFound { location, .. }
            | ReconcileError::ClaimedTwice { location, .. } => location,
        }
    }
}

/// Which live plan each declared plan manages, and which live plans nobody manages.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Matching {
    /// For each declared plan (by index), the index of the live plan it manages; `None` for a
    /// plan to create.
    pub matched: Vec<Option<usize>>,
    /// Indices of the live plans no declared plan claims, in live order.
    pub unmanaged: Vec<usize>,
}

/// Pairs declared plans with live ones: by `id` pin, else by name; live plans no declared plan
/// claims are unmanaged.
///
/// A live plan pinned by some declaration is never matched by name, so one declaration can
/// take a plan over by id (a rename) while another with the plan's old name creates a new
/// one. Every error found is returned, in declaration order.
pub fn match_plans(
    desired: &[DesiredPlan],
    live: &[LivePlan],
) -> Result<Matching, Vec<ReconcileError>> {
    let pinned: BTreeSet<&str> = desired
        .iter()
        .filter_map(|plan| plan.id.as_deref())
        .collect();
    let mut errors = Vec::new();
    let mut matched = vec![None; desired.len()];
    // The declared plan (by index) that claims each live plan.
    let mut claims: Vec<Option<usize>> = vec![None; live.len()];
    for (index, plan) in desired.iter().enumerate() {
        let target = match find_live(plan, live, &pinned) {
            Ok(Some(target)) => target,
            Ok(None) => continue,
            Err(error) => {
                errors.push(error);
                continue;
            }
        };
        match claims[target] {
            Some(first) => errors.push(ReconcileError::ClaimedTwice {
                name: plan.body.name.clone(),
                first: desired[first].body.name.clone(),
                id: live[target].id.clone(),
                location: plan.location.clone(),
            }),
            None => {
                claims[target] = Some(index);
                matched[index] = Some(target);
            }
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let unmanaged = (0..live.len()).filter(|&i| claims[i].is_none()).collect();
    Ok(Matching { matched, unmanaged })
}

/// The live plan a declared plan names: by its pin, else the one plan of its name that no
/// declaration pins; `None` when there is none to update.
fn find_live(
    plan: &DesiredPlan,
    live: &[LivePlan],
    pinned: &BTreeSet<&str>,
) -> Result<Option<usize>, ReconcileError> {
    if let Some(id) = &plan.id {
        return match live.iter().position(|candidate| candidate.id == *id) {
            Some(target) => Ok(Some(target)),
            None => Err(ReconcileError::PinNotFound {
                name: plan.body.name.clone(),
                id: id.clone(),
                location: plan.location.clone(),
            }),
        };
    }
    let candidates: Vec<usize> = (0..live.len())
        .filter(|&i| live[i].body.name == plan.body.name && !pinned.contains(live[i].id.as_str()))
        .collect();
    match candidates.as_slice() {
        [] => Ok(None),
        [only] => Ok(Some(*only)),
        _ => {
            let mut ids: Vec<String> = candidates.iter().map(|&i| live[i].id.clone()).collect();
            ids.sort();
            Err(ReconcileError::Ambiguous {
                name: plan.body.name.clone(),
                ids,
                location: plan.location.clone(),
            })
        }
    }
}

impl Matching {
    /// Ids of matched live plans whose declared plan manages keys (`keys: Some`) -- the only
    /// plans whose GetUsagePlanKeys the live side reads.
    pub fn plans_needing_keys(&self, desired: &[DesiredPlan], live: &[LivePlan]) -> Vec<String> {
        desired
            .iter()
            .zip(&self.matched)
            .filter(|(plan, _)| plan.keys.is_some())
            .filter_map(|(_, target)| target.map(|i| live[i].id.clone()))
            .collect()
    }
}

/// Choices the user makes about the plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PlanOptions {
    /// Apply again the grants found pending (an earlier apply stopped between the record and
    /// the UpdateUsage call), instead of only showing them.
    pub retry_pending_grants: bool,
}

/// Builds the Plan: pure, deterministic, entries ordered by declared name.
///
/// `matching` must come from [`match_plans`] over the same `desired` and `live`. `live_keys`
/// holds the key associations of [`Matching::plans_needing_keys`]; a plan missing from it
/// is taken to have no keys. Within an entry, keys are removed before they are added (each
/// sorted by id), so a key near AWS's limit of 10 plans per key can move between plans.
pub fn build_plan(
    region: &str,
    desired: &[DesiredPlan],
    live: &[LivePlan],
    matching: &Matching,
    live_keys: &LiveKeys,
    options: &PlanOptions,
) -> Plan {
    let mut entries = Vec::new();
    let mut unchanged = 0;
    for (plan, target) in desired.iter().zip(&matching.matched) {
        let entry = match target {
            None => create_entry(plan),
            Some(i) => update_entry(plan, &live[*i], live_keys, options),
        };
        if !entry.has_changes() {
            unchanged += 1;
        }
        if entry.has_changes() || !entry.pending_grants.is_empty() {
            entries.push(entry);
        }
    }
    entries.sort_by(|a, b| a.name.cmp(&b.name));
    let mut unmanaged: Vec<PlanRef> = matching
        .unmanaged
        .iter()
        .map(|&i| PlanRef {
            name: live[i].body.name.clone(),
            id: live[i].id.clone(),
        })
        .collect();
    unmanaged.sort_by(|a, b| (&a.name, &a.id).cmp(&(&b.name, &b.id)));
    Plan {
        region: region.to_owned(),
        entries,
        unchanged,
        unmanaged,
    }
}

/// The entry of a declared plan no live plan matches: create it with its tags, then its keys
/// and all its grants (no grant can have been recorded yet).
fn create_entry(plan: &DesiredPlan) -> PlanEntry {
    let (grants, pending_grants) = grant_changes(plan, &Tags::new(), &PlanOptions::default());
    PlanEntry {
        name: plan.body.name.clone(),
        id: None,
        before: None,
        after: plan.body.clone(),
        body: BodyAction::Create {
            tags: plan.tags.clone().unwrap_or_default(),
            follow_up: create_follow_up(&plan.body),
        },
        keys: key_changes(plan, &BTreeSet::new()),
        tags: None,
        grants,
        pending_grants,
    }
}

/// The entry of a declared plan matched to `current`.
fn update_entry(
    plan: &DesiredPlan,
    current: &LivePlan,
    live_keys: &LiveKeys,
    options: &PlanOptions,
) -> PlanEntry {
    let operations = body_operations(&current.body, &plan.body);
    let body = if operations.is_empty() {
        BodyAction::Unchanged
    } else {
        BodyAction::Update { operations }
    };
    let no_keys = BTreeSet::new();
    let (grants, pending_grants) = grant_changes(plan, &current.tags, options);
    PlanEntry {
        name: plan.body.name.clone(),
        id: Some(current.id.clone()),
        before: Some(current.body.clone()),
        after: plan.body.clone(),
        body,
        keys: key_changes(plan, live_keys.get(&current.id).unwrap_or(&no_keys)),
        tags: plan
            .tags
            .as_ref()
            .and_then(|declared| tag_change(declared, &current.tags)),
        grants,
        pending_grants,
    }
}

/// When the plan manages keys: removals of live keys not declared, then additions of
/// declared keys not live, each sorted by id.
fn key_changes(plan: &DesiredPlan, live: &BTreeSet<String>) -> Vec<KeyChange> {
    let Some(keys) = &plan.keys else {
        return Vec::new();
    };
    let declared: BTreeSet<&String> = keys.iter().map(|key| &key.id).collect();
    let change = |action, key_id: &String| KeyChange {
        action,
        key_id: key_id.clone(),
    };
    let removals = live.iter().filter(|id| !declared.contains(id));
    let additions = declared.iter().filter(|id| !live.contains(**id));
    removals
        .map(|id| change(KeyAction::Remove, id))
        .chain(additions.map(|id| change(KeyAction::Add, id)))
        .collect()
}

/// Tags to set (declared, missing or different live) and to remove (live, not declared);
/// reserved tags are outside the comparison on both sides. `None` when nothing changes.
fn tag_change(declared: &Tags, live: &Tags) -> Option<TagChange> {
    let set: Tags = declared
        .iter()
        .filter(|(key, value)| !is_reserved_tag(key) && live.get(*key) != Some(value))
        .map(|(key, value)| (key.clone(), value.clone()))
        .collect();
    let remove: Vec<String> = live
        .keys()
        .filter(|key| !is_reserved_tag(key) && !declared.contains_key(*key))
        .cloned()
        .collect();
    (!set.is_empty() || !remove.is_empty()).then_some(TagChange { set, remove })
}

/// The declared grants, in YAML order, by the tag that records each on `live_tags`: none, to
/// apply; applied, nothing; pending (or any other value, which only tollgate writes), shown
/// for attention, or applied again when the user asks.
fn grant_changes(
    plan: &DesiredPlan,
    live_tags: &Tags,
    options: &PlanOptions,
) -> (Vec<GrantChange>, Vec<PendingGrant>) {
    let mut changes = Vec::new();
    let mut pending = Vec::new();
    for key in plan.keys.iter().flatten() {
        for grant in &key.grants {
            let recorded = live_tags.get(&grant_tag(&key.id, &grant.id));
            match recorded.map(String::as_str) {
                Some(GRANT_APPLIED) => {}
                Some(_) if !options.retry_pending_grants => pending.push(PendingGrant {
                    key_id: key.id.clone(),
                    grant_id: grant.id.clone(),
                }),
                _ => changes.push(GrantChange {
                    key_id: key.id.clone(),
                    grant_id: grant.id.clone(),
                    remaining: grant.remaining,
                }),
            }
        }
    }
    (changes, pending)
}
