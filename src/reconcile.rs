//! Matches declared plans to live ones and builds the Plan from the differences.
//!
//! This is the decision, pure and deterministic: the same desired and live state always give
//! the same [`Plan`]. Carrying it out is the applier's job.

use std::collections::{BTreeSet, HashMap};

use thiserror::Error;

use crate::diff::{body_operations, create_follow_up};
use crate::endpoint::ForeignEndpoints;
use crate::model::Names;
use crate::model::{
    grant_tag, is_orphan_of, is_reserved_tag, stack_of, DesiredPlan, LiveKeys, LivePlan, PlanBody,
    SourceLocation, Tags, GRANT_APPLIED, GRANT_TAG_PREFIX, OWNER_TAG,
};
use crate::plan::{
    Baseline, GrantChange, KeyAction, KeyChange, Orphan, OrphanKind, PendingGrant, Plan, PlanEntry,
    PlanRef, TagChange, Target, Unsettled,
};

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
    /// The live plan a declaration matches was made by a CloudFormation stack (its
    /// [`crate::model::STACK_TAG`]), and the declaration does not adopt that stack.
    #[error(
        "live usage plan \"{name}\" ({id}) belongs to the CloudFormation stack \"{}\" (its tag `aws:cloudformation:stack-name`; CloudFormation, CDK and SAM leave it), and two tools managing one plan undo each other's changes{}",
        stacks.tagged,
        stack_advice(&stacks.tagged, stacks.adopted.as_deref())
    )]
    ManagedByStack {
        /// The declared name.
        name: String,
        /// The live plan's id.
        id: String,
        /// The stack its tag names and the one the declaration adopts.
        stacks: Box<StackClaim>,
        /// Where the plan is declared.
        location: SourceLocation,
    },
    /// The live plan of the declared name carries another project's or target's owner tag.
    #[error(
        "live usage plan \"{name}\" ({id}) belongs to {owner} (its tag `tollgate:owner`), not to this target; rename the declaration, or, if the plan should move here, remove the tag from it in AWS first"
    )]
    OwnedElsewhere {
        /// The declared name.
        name: String,
        /// The live plan's id.
        id: String,
        /// The owner its tag names.
        owner: String,
        /// Where the plan is declared.
        location: SourceLocation,
    },
}

/// The stack a live plan's tag names, and the one its declaration's `adopt` names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StackClaim {
    /// The stack the plan's [`crate::model::STACK_TAG`] names.
    pub tagged: String,
    /// The stack the declaration's `adopt` names, if any.
    pub adopted: Option<String>,
}

impl ReconcileError {
    /// Where the declared plan the error is about stands in the YAML.
    pub fn location(&self) -> &SourceLocation {
        match self {
            ReconcileError::Ambiguous { location, .. }
            | ReconcileError::PinNotFound { location, .. }
            | ReconcileError::ClaimedTwice { location, .. }
            | ReconcileError::ManagedByStack { location, .. }
            | ReconcileError::OwnedElsewhere { location, .. } => location,
        }
    }
}

/// The declared plans matched to a live plan that another project or target owns (its
/// [`OWNER_TAG`] names another owner than `owner`): each an error, never an adoption.
pub fn owned_elsewhere(
    desired: &[DesiredPlan],
    live: &[LivePlan],
    matching: &Matching,
    owner: &str,
) -> Vec<ReconcileError> {
    matching
        .managed(desired, live)
        .filter_map(|(plan, current)| {
            let theirs = current.tags.get(OWNER_TAG)?;
            (theirs != owner).then(|| ReconcileError::OwnedElsewhere {
                name: plan.body.name.clone(),
                id: current.id.clone(),
                owner: theirs.clone(),
                location: plan.location.clone(),
            })
        })
        .collect()
}

/// What to do about a plan a stack made: the opt-in that names a stack other than `stack`
/// is wrong; without one, manage the plan in the stack, or adopt it once the stack is gone.
fn stack_advice(stack: &str, adopt: Option<&str>) -> String {
    match adopt {
        Some(adopt) => format!(
            "; `adopt` names the stack \"{adopt}\", not \"{stack}\": write \
             `adopt: {{ cloudFormationStack: {stack} }}` only if that stack is deleted"
        ),
        None => format!(
            "; rename the declaration, or manage the plan in its stack; if the stack is \
             deleted (its `aws:` tags stay behind), take the plan over with \
             `adopt: {{ cloudFormationStack: {stack} }}`"
        ),
    }
}

/// The declared plans matched to a live plan a CloudFormation stack made (its
/// [`crate::model::STACK_TAG`]) whose declaration does not adopt exactly that stack: each an
/// error, never a take-over. Checked with or without a project file, whether the plan is
/// matched by name or pinned by `id`.
pub fn managed_by_stack(
    desired: &[DesiredPlan],
    live: &[LivePlan],
    matching: &Matching,
) -> Vec<ReconcileError> {
    matching
        .managed(desired, live)
        .filter_map(|(plan, current)| {
            let stack = stack_of(&current.tags)?;
            (plan.adopt_stack.as_deref() != Some(stack)).then(|| ReconcileError::ManagedByStack {
                name: plan.body.name.clone(),
                id: current.id.clone(),
                stacks: Box::new(StackClaim {
                    tagged: stack.to_string(),
                    adopted: plan.adopt_stack.clone(),
                }),
                location: plan.location.clone(),
            })
        })
        .collect()
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
    let index = LiveIndex::new(live, &pinned);
    let mut errors = Vec::new();
    let mut matched = vec![None; desired.len()];
    // The declared plan (by index) that claims each live plan.
    let mut claims: Vec<Option<usize>> = vec![None; live.len()];
    for (position, plan) in desired.iter().enumerate() {
        let target = match index.find(plan, live) {
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
                claims[target] = Some(position);
                matched[position] = Some(target);
            }
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let unmanaged = (0..live.len()).filter(|&i| claims[i].is_none()).collect();
    Ok(Matching { matched, unmanaged })
}

/// The live plans by id, and the ones no declaration pins by name, so that matching
/// grows with the number of plans, not its square.
struct LiveIndex<'a> {
    by_id: HashMap<&'a str, usize>,
    unpinned_by_name: HashMap<&'a str, Vec<usize>>,
}

impl<'a> LiveIndex<'a> {
    fn new(live: &'a [LivePlan], pinned: &BTreeSet<&str>) -> LiveIndex<'a> {
        let mut index = LiveIndex {
            by_id: HashMap::with_capacity(live.len()),
            unpinned_by_name: HashMap::new(),
        };
        for (position, plan) in live.iter().enumerate() {
            index.by_id.insert(&plan.id, position);
            if !pinned.contains(plan.id.as_str()) {
                let named = index.unpinned_by_name.entry(&plan.body.name);
                named.or_default().push(position);
            }
        }
        index
    }

    /// The live plan a declared plan names: by its pin, else the one plan of its name that
    /// no declaration pins; `None` when there is none to update.
    fn find(&self, plan: &DesiredPlan, live: &[LivePlan]) -> Result<Option<usize>, ReconcileError> {
        if let Some(id) = &plan.id {
            return match self.by_id.get(id.as_str()) {
                Some(&target) => Ok(Some(target)),
                None => Err(ReconcileError::PinNotFound {
                    name: plan.body.name.clone(),
                    id: id.clone(),
                    location: plan.location.clone(),
                }),
            };
        }
        let candidates = self
            .unpinned_by_name
            .get(plan.body.name.as_str())
            .map_or(&[][..], Vec::as_slice);
        match candidates {
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
}

impl Matching {
    /// Each declared plan that manages a live plan, with that live plan.
    pub fn managed<'a>(
        &'a self,
        desired: &'a [DesiredPlan],
        live: &'a [LivePlan],
    ) -> impl Iterator<Item = (&'a DesiredPlan, &'a LivePlan)> + 'a {
        desired
            .iter()
            .zip(&self.matched)
            .filter_map(|(plan, target)| Some((plan, &live[(*target)?])))
    }

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
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PlanOptions {
    /// With a project file, the value of the owner tag (`project/target`): written on every
    /// managed plan, and what makes an undeclared plan an orphan. `None` without one.
    pub owner: Option<String>,
    /// Delete orphans (their stages removed first) and the records of grants no longer
    /// declared (`--prune`); only with an owner.
    pub prune: bool,
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
            None => create_entry(plan, options),
            Some(i) => update_entry(plan, &live[*i], live_keys, options),
        };
        if !entry.has_changes() {
            unchanged += 1;
        }
        if entry.has_work() || !entry.pending_grants.is_empty() {
            entries.push(entry);
        }
    }
    // An unmanaged plan that carries this target's owner tag (and no stack's) is an orphan:
    // deleted with --prune, else shown as such.
    let mut unmanaged = Vec::new();
    let mut orphans = Vec::new();
    for &i in &matching.unmanaged {
        let current = &live[i];
        let item = PlanRef {
            name: current.body.name.clone(),
            id: current.id.clone(),
        };
        let owned = options
            .owner
            .as_deref()
            .is_some_and(|owner| is_orphan_of(&current.tags, owner));
        match (owned, options.prune) {
            (false, _) => unmanaged.push(item),
            (true, true) => entries.push(deletion_entry(current)),
            (true, false) => orphans.push(Orphan {
                kind: OrphanKind::UsagePlan,
                item,
            }),
        }
    }
    entries.sort_by(|a, b| (&a.name, a.id()).cmp(&(&b.name, b.id())));
    unmanaged.sort_by(|a, b| (&a.name, &a.id).cmp(&(&b.name, &b.id)));
    orphans.sort_by(|a, b| (&a.item.name, &a.item.id).cmp(&(&b.item.name, &b.item.id)));
    Plan {
        region: region.to_owned(),
        account: String::new(),
        endpoints: ForeignEndpoints::default(),
        target: None,
        entries,
        names: Names::default(),
        api_keys: Vec::new(),
        unchanged,
        unmanaged,
        orphans,
        deleted_keys: Vec::new(),
        impact: None,
    }
}

/// The entry of a declared plan no live plan matches: create it with its tags (and the owner
/// tag), then its keys and all its grants (no grant can have been recorded yet).
fn create_entry(plan: &DesiredPlan, options: &PlanOptions) -> PlanEntry {
    let (grants, pending_grants) = grant_changes(plan, &Tags::new());
    let mut tags = plan.tags.clone().unwrap_or_default();
    if let Some(owner) = &options.owner {
        tags.insert(OWNER_TAG.to_string(), owner.clone());
    }
    PlanEntry {
        name: plan.body.name.clone(),
        target: Target::Create {
            tags,
            follow_up: create_follow_up(&plan.body),
        },
        after: plan.body.clone(),
        keys: key_changes(plan, &BTreeSet::new()),
        tags: None,
        grants,
        pending_grants,
        settled: Vec::new(),
        bookkeeping: None,
        delete: false,
        matched_by_name: false,
    }
}

/// The entry of an orphan `--prune` deletes: its stages removed (AWS refuses to delete a plan
/// that has any), then DeleteUsagePlan.
fn deletion_entry(current: &LivePlan) -> PlanEntry {
    let after = PlanBody {
        stages: Default::default(),
        ..current.body.clone()
    };
    PlanEntry {
        name: current.body.name.clone(),
        target: Target::Live {
            id: current.id.clone(),
            before: current.body.clone(),
            operations: body_operations(&current.body, &after),
        },
        after,
        keys: Vec::new(),
        tags: None,
        grants: Vec::new(),
        pending_grants: Vec::new(),
        settled: Vec::new(),
        bookkeeping: None,
        delete: true,
        matched_by_name: false,
    }
}

/// tollgate's own tags to change on a managed live plan: the owner tag when it is missing,
/// and with `--prune` the records of grants the YAML no longer declares.
fn bookkeeping(plan: &DesiredPlan, current: &LivePlan, options: &PlanOptions) -> Option<TagChange> {
    let owner = options.owner.as_ref()?;
    let set: Tags = (current.tags.get(OWNER_TAG) != Some(owner))
        .then(|| (OWNER_TAG.to_string(), owner.clone()))
        .into_iter()
        .collect();
    let declared: BTreeSet<String> = plan
        .keys
        .iter()
        .flatten()
        .flat_map(|key| key.grants.iter().map(|grant| grant_tag(&key.id, &grant.id)))
        .collect();
    let remove: Vec<String> = current
        .tags
        .keys()
        .filter(|tag| options.prune && tag.starts_with(GRANT_TAG_PREFIX))
        .filter(|tag| !declared.contains(*tag))
        .cloned()
        .collect();
    (!set.is_empty() || !remove.is_empty()).then_some(TagChange { set, remove })
}

/// The entry of a declared plan matched to `current`.
fn update_entry(
    plan: &DesiredPlan,
    current: &LivePlan,
    live_keys: &LiveKeys,
    options: &PlanOptions,
) -> PlanEntry {
    let no_keys = BTreeSet::new();
    let (grants, pending_grants) = grant_changes(plan, &current.tags);
    PlanEntry {
        name: plan.body.name.clone(),
        target: Target::Live {
            id: current.id.clone(),
            before: current.body.clone(),
            operations: body_operations(&current.body, &plan.body),
        },
        after: plan.body.clone(),
        keys: key_changes(plan, live_keys.get(&current.id).unwrap_or(&no_keys)),
        tags: plan
            .tags
            .as_ref()
            .and_then(|declared| tag_change(declared, &current.tags)),
        grants,
        pending_grants,
        settled: Vec::new(),
        bookkeeping: bookkeeping(plan, current, options),
        delete: false,
        matched_by_name: plan.id.is_none(),
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
pub(crate) fn tag_change(declared: &Tags, live: &Tags) -> Option<TagChange> {
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
/// for attention until its key's usage settles it or the user asks to apply it again
/// ([`Plan::settle_grants`]).
fn grant_changes(plan: &DesiredPlan, live_tags: &Tags) -> (Vec<GrantChange>, Vec<PendingGrant>) {
    let mut changes = Vec::new();
    let mut pending = Vec::new();
    for key in plan.keys.iter().flatten() {
        for grant in &key.grants {
            let recorded = live_tags.get(&grant_tag(&key.id, &grant.id));
            match recorded.map(String::as_str) {
                Some(GRANT_APPLIED) => {}
                Some(record) => {
                    let baseline = Baseline::parse(record);
                    pending.push(PendingGrant {
                        key_id: key.id.clone(),
                        grant_id: grant.id.clone(),
                        remaining: grant.remaining,
                        baseline,
                        why: match baseline {
                            Some(_) => Unsettled::NotRead,
                            None => Unsettled::NoBaseline,
                        },
                    });
                }
                None => changes.push(GrantChange {
                    key_id: key.id.clone(),
                    grant_id: grant.id.clone(),
                    remaining: grant.remaining,
                }),
            }
        }
    }
    (changes, pending)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diff::{Op, PatchOp};
    use crate::model::GRANT_PENDING;
    use crate::model::{DesiredKey, Grant, PlanBody};
    use crate::plan::Verdict;

    fn body(name: &str) -> PlanBody {
        PlanBody {
            name: name.into(),
            ..PlanBody::default()
        }
    }

    fn desired(name: &str, line: usize) -> DesiredPlan {
        DesiredPlan {
            body: body(name),
            id: None,
            tags: None,
            keys: None,
            location: SourceLocation {
                path: "plans/main.yaml".into(),
                line,
                column: 5,
            },
            named_stages: Vec::new(),
            named_keys: Vec::new(),
            fields: Default::default(),
            refs: Default::default(),
            adopt_stack: None,
        }
    }

    fn pinned(name: &str, id: &str, line: usize) -> DesiredPlan {
        DesiredPlan {
            id: Some(id.into()),
            ..desired(name, line)
        }
    }

    fn live(id: &str, name: &str) -> LivePlan {
        LivePlan {
            id: id.into(),
            body: body(name),
            tags: Tags::new(),
        }
    }

    fn key(id: &str, grants: &[(&str, i64)]) -> DesiredKey {
        DesiredKey {
            id: id.into(),
            grants: grants
                .iter()
                .map(|&(id, remaining)| Grant {
                    id: id.into(),
                    remaining,
                })
                .collect(),
        }
    }

    fn tags(pairs: &[(&str, &str)]) -> Tags {
        pairs
            .iter()
            .map(|&(k, v)| (k.to_owned(), v.to_owned()))
            .collect()
    }

    fn key_change(action: KeyAction, key_id: &str) -> KeyChange {
        KeyChange {
            action,
            key_id: key_id.into(),
        }
    }

    fn grant_change(key_id: &str, grant_id: &str, remaining: i64) -> GrantChange {
        GrantChange {
            key_id: key_id.into(),
            grant_id: grant_id.into(),
            remaining,
        }
    }

    /// Matches and builds in one go, as the CLI does.
    fn plan_with(
        desired: &[DesiredPlan],
        live: &[LivePlan],
        live_keys: &LiveKeys,
        options: PlanOptions,
    ) -> Plan {
        let matching = match_plans(desired, live).expect("the plans match");
        build_plan("eu-west-1", desired, live, &matching, live_keys, &options)
    }

    fn plan(desired: &[DesiredPlan], live: &[LivePlan]) -> Plan {
        plan_with(desired, live, &LiveKeys::new(), PlanOptions::default())
    }

    /// The only entry of a plan.
    fn only_entry(plan: Plan) -> PlanEntry {
        let [entry] = <[PlanEntry; 1]>::try_from(plan.entries).expect("one entry");
        entry
    }

    #[test]
    fn a_plan_a_stack_made_is_an_error_unless_the_declaration_adopts_that_stack() {
        let stacked = |id: &str, name: &str| LivePlan {
            tags: tags(&[(crate::model::STACK_TAG, "payments-api")]),
            ..live(id, name)
        };
        let adopting = |name: &str, stack: &str| DesiredPlan {
            adopt_stack: Some(stack.into()),
            ..desired(name, 3)
        };
        let live = [stacked("g01d", "Gold"), stacked("p1at", "Platinum")];
        let check = |desired: &[DesiredPlan]| {
            let matching = match_plans(desired, &live).expect("the plans match");
            managed_by_stack(desired, &live, &matching)
        };
        let errors = check(&[desired("Gold", 1), pinned("Renamed", "p1at", 2)]);
        assert_eq!(errors.len(), 2, "{errors:?}");
        assert!(errors[0].to_string().starts_with(
            "live usage plan \"Gold\" (g01d) belongs to the CloudFormation stack \"payments-api\""
        ));
        assert_eq!(errors[1].location().line, 2);
        let wrong = check(&[adopting("Gold", "payments")]);
        assert!(
            wrong[0]
                .to_string()
                .contains("`adopt` names the stack \"payments\", not \"payments-api\""),
            "{wrong:?}"
        );
        assert!(check(&[adopting("Gold", "payments-api")]).is_empty());
    }

    #[test]
    fn an_undeclared_plan_a_stack_made_is_never_an_orphan_to_prune() {
        let owner = "payments/prod";
        let owned = LivePlan {
            tags: tags(&[
                (OWNER_TAG, owner),
                (crate::model::STACK_TAG, "payments-api"),
            ]),
            ..live("g01d", "Gold")
        };
        let options = PlanOptions {
            owner: Some(owner.into()),
            prune: true,
        };
        let plan = plan_with(&[], &[owned], &LiveKeys::new(), options);
        assert!(
            plan.entries.is_empty(),
            "nothing deleted: {:?}",
            plan.entries
        );
        assert!(plan.orphans.is_empty());
        assert_eq!(plan.unmanaged.len(), 1);
    }

    #[test]
    fn grant_tags_name_key_and_grant() {
        assert_eq!(
            grant_tag("3JX4", "SUP-1234"),
            "tollgate:grant:3JX4:SUP-1234"
        );
    }

    #[test]
    fn plans_match_by_name_and_unclaimed_live_plans_are_unmanaged() {
        let desired = [desired("Gold", 1), desired("Trial", 9)];
        let live = [live("k2k2k2", "Legacy"), live("ywbqww", "Gold")];
        let matching = match_plans(&desired, &live).expect("the plans match");
        assert_eq!(matching.matched, [Some(1), None]);
        assert_eq!(matching.unmanaged, [0]);
    }

    #[test]
    fn a_pin_matches_a_plan_of_another_name() {
        let desired = [pinned("Platinum", "ywbqww", 1)];
        let live = [live("ywbqww", "Gold")];
        let matching = match_plans(&desired, &live).expect("the plans match");
        assert_eq!(matching.matched, [Some(0)]);
        assert_eq!(matching.unmanaged, Vec::<usize>::new());
    }

    #[test]
    fn a_pinned_plan_is_not_matched_by_name_again() {
        // Gold is renamed Platinum by its pin while a new Gold is declared.
        let desired = [desired("Gold", 1), pinned("Platinum", "ywbqww", 9)];
        let live = [live("ywbqww", "Gold")];
        let matching = match_plans(&desired, &live).expect("the plans match");
        assert_eq!(matching.matched, [None, Some(0)]);
    }

    #[test]
    fn a_pin_with_no_live_plan_is_an_error_not_a_create() {
        let desired = [pinned("Gold", "nothere", 4)];
        let errors = match_plans(&desired, &[live("ywbqww", "Gold")]).expect_err("no such id");
        assert_eq!(
            errors,
            [ReconcileError::PinNotFound {
                name: "Gold".into(),
                id: "nothere".into(),
                location: desired[0].location.clone(),
            }]
        );
        assert_eq!(errors[0].location().line, 4);
        assert!(errors[0]
            .to_string()
            .contains("remove it to create the plan"));
    }

    #[test]
    fn two_live_plans_of_a_declared_name_are_ambiguous_without_a_pin() {
        let desired = [desired("Gold", 7)];
        let live = [live("zz9", "Gold"), live("aa1", "Gold")];
        let errors = match_plans(&desired, &live).expect_err("ambiguous");
        assert_eq!(
            errors,
            [ReconcileError::Ambiguous {
                name: "Gold".into(),
                ids: vec!["aa1".into(), "zz9".into()],
                location: desired[0].location.clone(),
            }]
        );
        let message = errors[0].to_string();
        assert!(
            message.contains("aa1, zz9") && message.contains("`id:`"),
            "{message}"
        );
        let pinned = [pinned("Gold", "zz9", 7)];
        let matching = match_plans(&pinned, &live).expect("the pin settles it");
        assert_eq!(matching.matched, [Some(0)]);
        assert_eq!(matching.unmanaged, [1]);
    }

    #[test]
    fn a_live_plan_claimed_twice_is_an_error_at_the_second_claim() {
        let desired = [pinned("Gold", "ywbqww", 1), pinned("Silver", "ywbqww", 8)];
        let errors = match_plans(&desired, &[live("ywbqww", "Gold")]).expect_err("claimed twice");
        assert_eq!(
            errors,
            [ReconcileError::ClaimedTwice {
                name: "Silver".into(),
                first: "Gold".into(),
                id: "ywbqww".into(),
                location: desired[1].location.clone(),
            }]
        );
        assert!(errors[0].to_string().contains("\"Gold\" and \"Silver\""));
    }

    #[test]
    fn every_matching_error_is_reported_in_declaration_order() {
        let desired = [
            desired("Gold", 1),
            pinned("Silver", "nothere", 5),
            desired("Gold", 9),
        ];
        let live = [live("a", "Gold"), live("b", "Gold")];
        let errors = match_plans(&desired, &live).expect_err("three errors");
        let lines: Vec<usize> = errors.iter().map(|error| error.location().line).collect();
        assert_eq!(lines, [1, 5, 9]);
    }

    #[test]
    fn only_matched_plans_that_manage_keys_need_their_keys_read() {
        let mut with_keys = desired("Gold", 1);
        with_keys.keys = Some(vec![]);
        let mut new_with_keys = desired("Trial", 5);
        new_with_keys.keys = Some(vec![key("k1", &[])]);
        let desired = [with_keys, desired("Silver", 3), new_with_keys];
        let live = [live("s1", "Silver"), live("g1", "Gold")];
        let matching = match_plans(&desired, &live).expect("the plans match");
        assert_eq!(matching.plans_needing_keys(&desired, &live), ["g1"]);
    }

    #[test]
    fn an_unmatched_plan_is_created_with_its_tags_keys_and_grants() {
        let mut trial = desired("Trial", 1);
        trial.body.product_code = Some("prod-trial".into());
        trial.tags = Some(tags(&[("team", "payments")]));
        trial.keys = Some(vec![key("k2", &[("G-2", 5), ("G-1", 7)]), key("k1", &[])]);
        let entry = only_entry(plan(&[trial.clone()], &[]));
        assert_eq!(
            entry,
            PlanEntry {
                name: "Trial".into(),
                target: Target::Create {
                    tags: tags(&[("team", "payments")]),
                    follow_up: vec![PatchOp {
                        op: Op::Add,
                        path: "/productCode".into(),
                        value: Some("prod-trial".into()),
                    }],
                },
                after: trial.body,
                keys: vec![
                    key_change(KeyAction::Add, "k1"),
                    key_change(KeyAction::Add, "k2")
                ],
                tags: None,
                grants: vec![grant_change("k2", "G-2", 5), grant_change("k2", "G-1", 7)],
                pending_grants: vec![],
                settled: vec![],
                bookkeeping: None,
                delete: false,
                matched_by_name: false,
            }
        );
    }

    #[test]
    fn a_plan_created_without_declared_tags_carries_none() {
        let entry = only_entry(plan(&[desired("Trial", 1)], &[]));
        let expected = Target::Create {
            tags: Tags::new(),
            follow_up: vec![],
        };
        assert_eq!(entry.target, expected);
        assert_eq!(entry.keys, []);
    }

    #[test]
    fn a_matched_plan_that_differs_is_one_update() {
        let mut gold = desired("Gold", 1);
        gold.body.description = "Paying".into();
        let entry = only_entry(plan(&[gold.clone()], &[live("g1", "Gold")]));
        assert_eq!(entry.after, gold.body);
        let operations = vec![PatchOp {
            op: Op::Replace,
            path: "/description".into(),
            value: Some("Paying".into()),
        }];
        let expected = Target::Live {
            id: "g1".into(),
            before: body("Gold"),
            operations,
        };
        assert_eq!(entry.target, expected);
    }

    #[test]
    fn a_matched_plan_equal_to_its_declaration_is_only_counted() {
        let plan = plan(&[desired("Gold", 1)], &[live("g1", "Gold")]);
        assert_eq!(plan.entries, []);
        assert_eq!(plan.unchanged, 1);
        assert_eq!(plan.region, "eu-west-1");
    }

    #[test]
    fn declared_keys_are_added_and_others_removed_removals_first() {
        let mut gold = desired("Gold", 1);
        gold.keys = Some(vec![key("k3", &[]), key("k1", &[]), key("k2", &[])]);
        let live_keys: LiveKeys =
            [("g1".into(), ["k2", "k9", "k0"].map(String::from).into())].into();
        let plan = plan_with(
            &[gold],
            &[live("g1", "Gold")],
            &live_keys,
            PlanOptions::default(),
        );
        let entry = only_entry(plan);
        assert_eq!(entry.update(), None);
        assert_eq!(
            entry.keys,
            [
                key_change(KeyAction::Remove, "k0"),
                key_change(KeyAction::Remove, "k9"),
                key_change(KeyAction::Add, "k1"),
                key_change(KeyAction::Add, "k3"),
            ]
        );
    }

    #[test]
    fn keys_are_left_alone_when_not_declared_and_taken_as_none_when_not_read() {
        let live_keys: LiveKeys = [("g1".into(), ["k1".to_owned()].into())].into();
        let options = PlanOptions::default();
        let untouched = plan_with(
            &[desired("Gold", 1)],
            &[live("g1", "Gold")],
            &live_keys,
            options,
        );
        assert_eq!(untouched.entries, []);
        let mut gold = desired("Gold", 1);
        gold.keys = Some(vec![key("k1", &[])]);
        let entry = only_entry(plan(&[gold], &[live("g1", "Gold")]));
        assert_eq!(entry.keys, [key_change(KeyAction::Add, "k1")]);
    }

    #[test]
    fn declared_tags_are_set_and_undeclared_removed_reserved_ones_aside() {
        let mut gold = desired("Gold", 1);
        gold.tags = Some(tags(&[
            ("team", "payments"),
            ("tier", "1"),
            ("env", "prod"),
        ]));
        let mut current = live("g1", "Gold");
        current.tags = tags(&[
            ("team", "search"),
            ("env", "prod"),
            ("owner", "me"),
            ("aws:cloudformation:stack-name", "s"),
            ("tollgate:grant:k:g", "applied"),
        ]);
        let entry = only_entry(plan(&[gold], &[current]));
        assert_eq!(
            entry.tags,
            Some(TagChange {
                set: tags(&[("team", "payments"), ("tier", "1")]),
                remove: vec!["owner".into()],
            })
        );
    }

    #[test]
    fn tags_are_left_alone_when_not_declared_or_equal() {
        let mut current = live("g1", "Gold");
        current.tags = tags(&[("team", "search"), ("tollgate:grant:k:g", "applied")]);
        let plan_of = |declared: Option<Tags>| {
            let mut gold = desired("Gold", 1);
            gold.tags = declared;
            plan(&[gold], std::slice::from_ref(&current))
        };
        assert_eq!(plan_of(None).entries, []);
        assert_eq!(plan_of(Some(tags(&[("team", "search")]))).entries, []);
    }

    /// The record of a grant pending since 2026-11-23T12:00:00Z, when key k1 had used 5
    /// requests that day and 995 remained.
    const RECORD: &str = "pending 2026-11-23T12:00:00Z used=5 remaining=995";

    /// Gold with key k1 and grants d (no record), a (no record), b (pending, with its
    /// figures), c (applied), e (an unknown record, taken as pending).
    fn gold_with_grants(options: PlanOptions) -> Plan {
        let mut gold = desired("Gold", 1);
        gold.keys = Some(vec![key(
            "k1",
            &[("d", 4), ("a", 1), ("b", 2), ("c", 3), ("e", 5)],
        )]);
        let mut current = live("g1", "Gold");
        current.tags = tags(&[
            ("tollgate:grant:k1:b", RECORD),
            ("tollgate:grant:k1:c", GRANT_APPLIED),
            ("tollgate:grant:k1:e", "interrupted"),
        ]);
        let live_keys: LiveKeys = [("g1".into(), ["k1".to_owned()].into())].into();
        plan_with(&[gold], &[current], &live_keys, options)
    }

    #[test]
    fn grants_apply_once_and_pending_ones_are_shown_in_yaml_order() {
        let entry = only_entry(gold_with_grants(PlanOptions::default()));
        assert_eq!(
            entry.grants,
            [grant_change("k1", "d", 4), grant_change("k1", "a", 1)]
        );
        let b = PendingGrant {
            key_id: "k1".into(),
            grant_id: "b".into(),
            remaining: 2,
            baseline: Baseline::parse(RECORD),
            why: Unsettled::NotRead,
        };
        let e = PendingGrant {
            grant_id: "e".into(),
            remaining: 5,
            baseline: None,
            why: Unsettled::NoBaseline,
            ..b.clone()
        };
        assert!(b.baseline.is_some());
        assert_eq!(entry.pending_grants, [b, e]);
    }

    #[test]
    fn settled_grants_are_recorded_or_planned_again_and_the_rest_stay_pending() {
        let mut gold = desired("Gold", 1);
        gold.keys = Some(vec![key("k1", &[("a", 1), ("b", 2), ("c", 3)])]);
        let mut current = live("g1", "Gold");
        current.tags = ["a", "b", "c"]
            .into_iter()
            .map(|grant| (grant_tag("k1", grant), RECORD.to_string()))
            .collect();
        let live_keys: LiveKeys = [("g1".into(), ["k1".to_owned()].into())].into();
        let mut plan = plan_with(&[gold], &[current], &live_keys, PlanOptions::default());
        assert_eq!((plan.unchanged, plan.has_changes()), (1, false));
        let mut asked = Vec::new();
        plan.settle_grants(false, |plan_id, pending| {
            asked.push(format!("{plan_id}/{}", pending.grant_id));
            match pending.grant_id.as_str() {
                "a" => Verdict::Applied,
                "b" => Verdict::NotCarriedOut,
                _ => Verdict::Pending(Unsettled::Both),
            }
        });
        assert_eq!(asked, ["g1/a", "g1/b", "g1/c"]);
        assert_eq!(plan.unchanged, 0, "the grant planned again is a change");
        let entry = only_entry(plan);
        assert_eq!(entry.grants, [grant_change("k1", "b", 2)]);
        let settled: Vec<(&str, bool)> = entry
            .settled
            .iter()
            .map(|settled| (settled.grant_id.as_str(), settled.carried_out))
            .collect();
        assert_eq!(settled, [("a", true), ("b", false)]);
        assert_eq!(
            entry.settled_records(),
            tags(&[("tollgate:grant:k1:a", GRANT_APPLIED)])
        );
        let [c] = entry.pending_grants.as_slice() else {
            panic!("one pending grant: {:?}", entry.pending_grants);
        };
        assert_eq!((c.grant_id.as_str(), &c.why), ("c", &Unsettled::Both));
    }

    #[test]
    fn a_grant_settled_as_carried_out_is_bookkeeping_not_a_change() {
        let mut gold = desired("Gold", 1);
        gold.keys = Some(vec![key("k1", &[("a", 1)])]);
        let mut current = live("g1", "Gold");
        current.tags = tags(&[("tollgate:grant:k1:a", RECORD)]);
        let live_keys: LiveKeys = [("g1".into(), ["k1".to_owned()].into())].into();
        let mut plan = plan_with(&[gold], &[current], &live_keys, PlanOptions::default());
        plan.settle_grants(false, |_, _| Verdict::Applied);
        assert!(!plan.has_changes());
        assert!(plan.has_work());
        assert_eq!(plan.unchanged, 1);
        assert_eq!(plan.summary().bookkeeping, 1);
        assert_eq!(plan.unsettled_grants().count(), 0);
    }

    #[test]
    fn pending_grants_left_unsettled_are_applied_again_when_asked() {
        let mut plan = gold_with_grants(PlanOptions::default());
        plan.settle_grants(true, |_, pending| Verdict::Pending(pending.why.clone()));
        let entry = only_entry(plan);
        assert_eq!(
            entry.grants,
            [
                grant_change("k1", "d", 4),
                grant_change("k1", "a", 1),
                grant_change("k1", "b", 2),
                grant_change("k1", "e", 5),
            ]
        );
        assert_eq!(entry.pending_grants, []);
    }

    #[test]
    fn a_plan_with_only_pending_grants_is_shown_and_counted_unchanged() {
        let mut gold = desired("Gold", 1);
        gold.keys = Some(vec![key("k1", &[("b", 2), ("c", 3)])]);
        let mut current = live("g1", "Gold");
        current.tags = tags(&[
            ("tollgate:grant:k1:b", GRANT_PENDING),
            ("tollgate:grant:k1:c", GRANT_APPLIED),
        ]);
        let live_keys: LiveKeys = [("g1".into(), ["k1".to_owned()].into())].into();
        let plan = plan_with(&[gold], &[current], &live_keys, PlanOptions::default());
        assert_eq!(plan.unchanged, 1);
        assert!(!plan.has_changes());
        let entry = only_entry(plan);
        assert_eq!(entry.pending_grants.len(), 1);
    }

    #[test]
    fn entries_go_by_declared_name_and_unmanaged_plans_by_name_then_id() {
        let desired = [desired("Zinc", 1), desired("Bronze", 2), desired("Gold", 3)];
        let live = [
            live("g1", "Gold"),
            live("x2", "Legacy"),
            live("x1", "Legacy"),
            live("a1", "Alpha"),
        ];
        let plan = plan(&desired, &live);
        let names: Vec<&str> = plan
            .entries
            .iter()
            .map(|entry| entry.name.as_str())
            .collect();
        assert_eq!(names, ["Bronze", "Zinc"]);
        assert_eq!(plan.unchanged, 1);
        let unmanaged: Vec<(&str, &str)> = plan
            .unmanaged
            .iter()
            .map(|plan| (plan.name.as_str(), plan.id.as_str()))
            .collect();
        assert_eq!(
            unmanaged,
            [("Alpha", "a1"), ("Legacy", "x1"), ("Legacy", "x2")]
        );
    }
}
