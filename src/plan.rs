//! The Plan value: what tollgate will do, decided once, shown by the renderers and carried
//! out by the applier.

use std::collections::BTreeSet;

use crate::diff::PatchOp;
use crate::endpoint::ForeignEndpoints;
use crate::model::{DesiredApiKey, Named, Names, PlanBody, Tags};

mod impact;
mod risk;
mod settle;

pub use impact::{
    format_day, parse_day, Effect, Impact, Impacts, PlanUsage, Usage, UsageRead, NEAR_PERCENT,
    RECENT_DAYS,
};
pub use risk::{grouped, join_reasons, reasons_of, Risk, RiskClass, Risks, Site};
pub use settle::{settle, Baseline, Figures, Unsettled, Verdict, LAG_SECONDS};

/// A live plan named by its declared name and id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanRef {
    /// The plan's name.
    pub name: String,
    /// The plan's id.
    pub id: String,
}

/// The usage plan an entry is about, and what happens to its body (everything
/// UpdateUsagePlan manages): a plan to create, or a live plan with the operations that make
/// it equal the YAML.
#[derive(Debug, Clone, PartialEq)]
pub enum Target {
    /// No live plan: one CreateUsagePlan carrying the whole `after` body but its product code,
    /// with `tags`, then `follow_up` (productCode only) in one UpdateUsagePlan.
    Create {
        /// The tags sent with CreateUsagePlan (the declared ones, or none).
        tags: Tags,
        /// The UpdateUsagePlan operations that follow the create (productCode only).
        follow_up: Vec<PatchOp>,
    },
    /// A live plan: one UpdateUsagePlan call with exactly `operations`, or none when they
    /// are empty (the body already equals the YAML).
    Live {
        /// The live plan's id.
        id: String,
        /// The live body, as read.
        before: PlanBody,
        /// The patch operations, in the order they are sent; empty when the body is unchanged.
        operations: Vec<PatchOp>,
    },
}

/// Whether a key association is made or removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyAction {
    /// CreateUsagePlanKey.
    Add,
    /// DeleteUsagePlanKey.
    Remove,
}

/// One key association to make or remove.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyChange {
    /// Add or remove.
    pub action: KeyAction,
    /// The API key's id.
    pub key_id: String,
}

/// Tags to set and tag keys to remove (TagResource / UntagResource).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TagChange {
    /// Tags to set, new or with a new value.
    pub set: Tags,
    /// Tag keys to remove.
    pub remove: Vec<String>,
}

/// A grant to apply: UpdateUsage `replace /remaining` for one key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GrantChange {
    /// The API key's id.
    pub key_id: String,
    /// The grant's id, unique per key.
    pub grant_id: String,
    /// The remaining quota to set.
    pub remaining: i64,
}

/// A grant recorded as pending: an earlier apply stopped between its record and the answer
/// to its call, and the key's usage has not settled it ([`Plan::settle_grants`]), so it is
/// shown for attention and not applied again unless the user asks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingGrant {
    /// The API key's id.
    pub key_id: String,
    /// The grant's id.
    pub grant_id: String,
    /// The remaining quota the grant sets.
    pub remaining: i64,
    /// The key's figures its record kept from just before the call, if it kept them.
    pub baseline: Option<Baseline>,
    /// Why it is not settled.
    pub why: Unsettled,
}

impl PendingGrant {
    /// The grant, to send again.
    pub fn change(&self) -> GrantChange {
        GrantChange {
            key_id: self.key_id.clone(),
            grant_id: self.grant_id.clone(),
            remaining: self.remaining,
        }
    }
}

/// A pending grant the key's usage settled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettledGrant {
    /// The API key's id.
    pub key_id: String,
    /// The grant's id.
    pub grant_id: String,
    /// Carried out (its record is rewritten `applied`, nothing sent), or not (it is among
    /// the entry's grants, sent again).
    pub carried_out: bool,
}

/// What happens to a declared API key.
#[derive(Debug, Clone, PartialEq)]
pub enum ApiKeyTarget {
    /// No key has the name: one CreateApiKey with the declared fields and tags. Until it is
    /// made, the plans' associations and grants name the key by `placeholder`.
    Create {
        /// The id the plan uses for the key until it exists.
        placeholder: String,
    },
    /// The live key of this id: one UpdateApiKey with `operations`, or none when they are
    /// empty.
    Live {
        /// The key's id.
        id: String,
        /// The `replace` operations, in the order they are sent.
        operations: Vec<PatchOp>,
    },
}

/// Everything to do for one declared API key.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiKeyEntry {
    /// The key as declared.
    pub key: DesiredApiKey,
    /// The key to create, or the live key and its update.
    pub target: ApiKeyTarget,
    /// The tags to change on a live key, if any (a key created gets its tags with it).
    pub tags: Option<TagChange>,
}

impl ApiKeyEntry {
    /// The live key's id; `None` for a key to create.
    pub fn id(&self) -> Option<&str> {
        match &self.target {
            ApiKeyTarget::Create { .. } => None,
            ApiKeyTarget::Live { id, .. } => Some(id),
        }
    }

    /// Why the entry can refuse a live customer's requests: an update that disables the key.
    pub fn destructive(&self) -> Option<String> {
        let ApiKeyTarget::Live { operations, .. } = &self.target else {
            return None;
        };
        let disables = operations
            .iter()
            .any(|op| op.path == "/enabled" && op.value.as_deref() == Some("false"));
        disables.then(|| {
            format!(
                "API key {} disabled: every request made with it is refused",
                self.key.name
            )
        })
    }

    /// Whether applying this entry changes anything in AWS.
    pub fn has_changes(&self) -> bool {
        match &self.target {
            ApiKeyTarget::Create { .. } => true,
            ApiKeyTarget::Live { operations, .. } => !operations.is_empty() || self.tags.is_some(),
        }
    }
}

/// Everything to do for one managed plan.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanEntry {
    /// The declared name.
    pub name: String,
    /// The plan to create, or the live plan and what happens to its body.
    pub target: Target,
    /// The body as the YAML declares it.
    pub after: PlanBody,
    /// Key associations to make or remove, in the order they are applied.
    pub keys: Vec<KeyChange>,
    /// Tags to change, if any.
    pub tags: Option<TagChange>,
    /// Grants to apply, in the order they are applied.
    pub grants: Vec<GrantChange>,
    /// Grants found pending and not settled, shown for attention and not applied.
    pub pending_grants: Vec<PendingGrant>,
    /// Pending grants the key's usage settled; those carried out only get their record
    /// rewritten `applied` (not by itself a change).
    pub settled: Vec<SettledGrant>,
    /// tollgate's own tags to write or remove on a live plan: the owner tag it lacks, and with
    /// `--prune` the records of grants no longer declared. Not by itself a change.
    pub bookkeeping: Option<TagChange>,
    /// The plan is an orphan that `--prune` deletes: its stages are removed (`target`'s
    /// operations), then DeleteUsagePlan.
    pub delete: bool,
    /// The declared plan has no `id:` and was matched to the live plan by its name.
    pub matched_by_name: bool,
}

impl PlanEntry {
    /// The live plan's id; `None` for a plan being created.
    pub fn id(&self) -> Option<&str> {
        match &self.target {
            Target::Create { .. } => None,
            Target::Live { id, .. } => Some(id),
        }
    }

    /// The live body; `None` for a plan being created.
    pub fn before(&self) -> Option<&PlanBody> {
        match &self.target {
            Target::Create { .. } => None,
            Target::Live { before, .. } => Some(before),
        }
    }

    /// The UpdateUsagePlan operations of a live plan's update; `None` for a plan being
    /// created or a body that is unchanged.
    pub fn update(&self) -> Option<&[PatchOp]> {
        match &self.target {
            Target::Live { operations, .. } if !operations.is_empty() => Some(operations),
            Target::Create { .. } | Target::Live { .. } => None,
        }
    }

    /// Whether applying this entry changes anything in AWS.
    pub fn has_changes(&self) -> bool {
        matches!(self.target, Target::Create { .. })
            || self.delete
            || self.update().is_some()
            || !self.keys.is_empty()
            || self.tags.is_some()
            || !self.grants.is_empty()
    }

    /// Whether apply has anything to do for this entry: a change, or bookkeeping alone.
    pub fn has_work(&self) -> bool {
        self.has_changes() || self.bookkeeping.is_some() || !self.settled_records().is_empty()
    }

    /// The records of the grants settled as carried out, each to be rewritten `applied`.
    pub fn settled_records(&self) -> Tags {
        self.settled
            .iter()
            .filter(|settled| settled.carried_out)
            .map(|settled| {
                let tag = crate::model::grant_tag(&settled.key_id, &settled.grant_id);
                (tag, crate::model::GRANT_APPLIED.to_string())
            })
            .collect()
    }
}

/// What an orphan is: a plan or key that carries this target's owner tag and that the
/// target's YAML no longer declares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum OrphanKind {
    /// A usage plan.
    UsagePlan,
    /// An API key tollgate created.
    ApiKey,
}

/// A plan or key owned by this target and no longer declared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Orphan {
    /// A plan or a key.
    pub kind: OrphanKind,
    /// Its name and id.
    pub item: PlanRef,
}

/// A key removed from one managed plan and added to another in the same plan: one change,
/// judged by what the key ends up with.
#[derive(Debug, Clone, Copy)]
pub struct KeyMove<'a> {
    /// The API key's id.
    pub key_id: &'a str,
    /// The plan it leaves.
    pub from: &'a PlanEntry,
    /// The plan it joins.
    pub to: &'a PlanEntry,
}

/// The counts of a plan's closing line and of the JSON `summary`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Summary {
    /// Plans to create.
    pub create: usize,
    /// UpdateUsagePlan calls.
    pub update: usize,
    /// Plans updated, not counting the stage removals of plans `--prune` deletes.
    pub plan_updates: usize,
    /// Key associations to make or remove (a move is two).
    pub keys: usize,
    /// Keys moved from one plan to another (each also counted twice in `keys`).
    pub moves: usize,
    /// Grants to apply.
    pub grants: usize,
    /// Plans whose tags change.
    pub tags: usize,
    /// Declared API keys to create or update.
    pub api_keys: usize,
    /// Changes that can refuse a live customer's requests, one per reason
    /// ([`Plan::risks`]).
    pub destructive: usize,
    /// Changes that remove a limit, so use becomes unlimited, one per reason.
    pub unbounded: usize,
    /// Managed plans that need nothing at all.
    pub unchanged: usize,
    /// Live plans that no declared plan names.
    pub unmanaged: usize,
    /// Orphaned plans and keys left alone (without `--prune`).
    pub orphaned: usize,
    /// Orphaned plans and keys deleted (with `--prune`).
    pub delete: usize,
    /// Managed plans whose only work is tollgate's own tags.
    pub bookkeeping: usize,
    /// Changes that affect keys that have used the plans (`plan --impact`).
    pub impact: usize,
}

/// The target of a project file a plan was made for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanTarget {
    /// The target's name.
    pub name: String,
}

/// The whole plan for one region.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// The region the plan was made for.
    pub region: String,
    /// The account the plan was made in, as STS told it; set by whoever read the account.
    pub account: String,
    /// API Gateway's and STS's endpoints when they are not AWS's own (an emulator, an
    /// allowed host); every view shows them.
    pub endpoints: ForeignEndpoints,
    /// The project target the plan was made for; `None` without a project file.
    pub target: Option<PlanTarget>,
    /// The managed plans with something to do or to show, ordered by name.
    pub entries: Vec<PlanEntry>,
    /// How many managed plans need nothing at all (one shown only for its pending grants
    /// counts here too).
    pub unchanged: usize,
    /// Live plans that no declared plan names, ordered by name.
    pub unmanaged: Vec<PlanRef>,
    /// The names of the REST APIs and keys the plan mentions, where the run looked them up.
    pub names: Names,
    /// The declared API keys to create or update, ordered by name; applied before the plans.
    pub api_keys: Vec<ApiKeyEntry>,
    /// Orphaned plans and keys left alone: without `--prune`, every orphan.
    pub orphans: Vec<Orphan>,
    /// Orphaned keys `--prune` deletes (DeleteApiKey), after everything else.
    pub deleted_keys: Vec<PlanRef>,
    /// What the destructive changes do to the keys using the plans (`plan --impact`);
    /// `None` when it was not assessed.
    pub impact: Option<Impacts>,
}

impl std::ops::Add for Summary {
    type Output = Summary;

    fn add(self, other: Summary) -> Summary {
        Summary {
            create: self.create + other.create,
            update: self.update + other.update,
            plan_updates: self.plan_updates + other.plan_updates,
            keys: self.keys + other.keys,
            moves: self.moves + other.moves,
            grants: self.grants + other.grants,
            tags: self.tags + other.tags,
            api_keys: self.api_keys + other.api_keys,
            destructive: self.destructive + other.destructive,
            unbounded: self.unbounded + other.unbounded,
            unchanged: self.unchanged + other.unchanged,
            unmanaged: self.unmanaged + other.unmanaged,
            orphaned: self.orphaned + other.orphaned,
            delete: self.delete + other.delete,
            bookkeeping: self.bookkeeping + other.bookkeeping,
            impact: self.impact + other.impact,
        }
    }
}

impl Plan {
    /// Whether applying the plan changes anything in AWS.
    pub fn has_changes(&self) -> bool {
        self.entries.iter().any(PlanEntry::has_changes)
            || self.api_keys.iter().any(ApiKeyEntry::has_changes)
            || !self.deleted_keys.is_empty()
    }

    /// Whether apply has anything to do: a change, or bookkeeping alone.
    pub fn has_work(&self) -> bool {
        self.has_changes() || self.entries.iter().any(PlanEntry::has_work)
    }

    /// The pending grants no reading settled, with their entries.
    pub fn unsettled_grants(&self) -> impl Iterator<Item = (&PlanEntry, &PendingGrant)> {
        self.entries
            .iter()
            .flat_map(|entry| entry.pending_grants.iter().map(move |grant| (entry, grant)))
    }

    /// Settles each pending grant of a live plan by `verdict` (given the plan's id and the
    /// grant): one carried out is recorded `applied` by the next apply, one not carried out
    /// is planned again, any other stays pending with its reason, or with `retry`
    /// (`--retry-pending-grants`) is planned again too.
    pub fn settle_grants(
        &mut self,
        retry: bool,
        mut verdict: impl FnMut(&str, &PendingGrant) -> Verdict,
    ) {
        for entry in &mut self.entries {
            let Some(id) = entry.id().map(str::to_string) else {
                continue;
            };
            let had_changes = entry.has_changes();
            for mut pending in std::mem::take(&mut entry.pending_grants) {
                let carried_out = match verdict(&id, &pending) {
                    Verdict::Applied => true,
                    Verdict::NotCarriedOut => {
                        entry.grants.push(pending.change());
                        false
                    }
                    Verdict::Pending(_) if retry => {
                        entry.grants.push(pending.change());
                        continue;
                    }
                    Verdict::Pending(why) => {
                        pending.why = why;
                        entry.pending_grants.push(pending);
                        continue;
                    }
                };
                entry.settled.push(SettledGrant {
                    key_id: pending.key_id,
                    grant_id: pending.grant_id,
                    carried_out,
                });
            }
            if !had_changes && entry.has_changes() {
                self.unchanged = self.unchanged.saturating_sub(1);
            }
        }
    }

    /// Whether plans or keys this target owns are left orphaned (no longer declared, not
    /// deleted by this plan): not a change, yet `plan --detailed-exitcode` exits 2 until
    /// `apply --prune` deletes them or their owner tag is removed.
    pub fn has_orphans(&self) -> bool {
        !self.orphans.is_empty()
    }

    /// How many plans and keys `--prune` deletes.
    pub fn deletions(&self) -> usize {
        self.entries.iter().filter(|entry| entry.delete).count() + self.deleted_keys.len()
    }

    /// The names among `apis` and `keys` of the REST APIs and keys the plan mentions: the stages
    /// of its bodies before and after, its key changes, grants and pending grants, and the keys
    /// its impact names.
    pub fn mentioned_names(&self, apis: &[Named], keys: &[Named]) -> Names {
        let mut api_ids = BTreeSet::new();
        let mut key_ids = BTreeSet::new();
        for entry in &self.entries {
            for body in entry.before().into_iter().chain([&entry.after]) {
                api_ids.extend(body.stages.keys().map(|stage| stage.api_id.as_str()));
            }
            key_ids.extend(entry.keys.iter().map(|key| key.key_id.as_str()));
            key_ids.extend(entry.grants.iter().map(|grant| grant.key_id.as_str()));
            key_ids.extend(
                entry
                    .pending_grants
                    .iter()
                    .map(|grant| grant.key_id.as_str()),
            );
            key_ids.extend(
                self.impacts_of(entry)
                    .iter()
                    .filter_map(|impact| impact.effect.key_id()),
            );
        }
        let pick = |ids: &BTreeSet<&str>, named: &[Named]| {
            named
                .iter()
                .filter(|item| ids.contains(item.id.as_str()))
                .map(|item| (item.id.clone(), item.name.clone()))
                .collect()
        };
        Names {
            rest_apis: pick(&api_ids, apis),
            api_keys: pick(&key_ids, keys),
        }
    }

    /// How the plan names where it applies: `prod-us (account 123456789012, us-east-1)` for
    /// a target, `us-east-1 (account 123456789012)` otherwise.
    pub fn place(&self) -> String {
        match &self.target {
            Some(target) => format!(
                "{} (account {}, {})",
                target.name, self.account, self.region
            ),
            None => format!("{} (account {})", self.region, self.account),
        }
    }

    /// The counts of the closing line.
    pub fn summary(&self) -> Summary {
        let mut summary = Summary {
            unchanged: self.unchanged,
            unmanaged: self.unmanaged.len(),
            api_keys: self.api_keys.iter().filter(|key| key.has_changes()).count(),
            orphaned: self.orphans.len(),
            delete: self.deletions(),
            impact: self
                .impact
                .as_ref()
                .map_or(0, Impacts::changes_affecting_keys),
            ..Summary::default()
        };
        for entry in &self.entries {
            summary.create += usize::from(matches!(entry.target, Target::Create { .. }));
            summary.update += usize::from(entry.update().is_some());
            summary.plan_updates += usize::from(entry.update().is_some() && !entry.delete);
            summary.bookkeeping += usize::from(!entry.has_changes() && entry.has_work());
            summary.keys += entry.keys.len();
            summary.grants += entry.grants.len();
            summary.tags += usize::from(entry.tags.is_some());
            let risks = self.risks(entry);
            summary.destructive += risks.count(RiskClass::Destructive);
            summary.unbounded += risks.count(RiskClass::Unbounded);
        }
        summary.moves = self.moves().len();
        summary.destructive += self
            .api_keys
            .iter()
            .filter_map(ApiKeyEntry::destructive)
            .count()
            + self.deleted_keys.len();
        summary
    }
}

impl Summary {
    /// How many changes the plan makes, in the unit both closing lines count: a plan created,
    /// a plan update, a declared API key created or updated, a key association made or
    /// removed, a key moved (one, though it is two associations), a grant, a tag change and
    /// a deletion (its stage removal included) are one change each, whatever the calls.
    pub fn changes(&self) -> usize {
        self.create + self.plan_updates + self.api_keys + self.keys - self.moves
            + self.grants
            + self.tags
            + self.delete
    }
}

impl GrantChange {
    /// The UpdateUsage operations that carry out the grant: `replace /remaining`.
    pub fn operations(&self) -> Vec<PatchOp> {
        vec![PatchOp {
            op: crate::diff::Op::Replace,
            path: "/remaining".to_string(),
            value: Some(self.remaining.to_string()),
        }]
    }
}
