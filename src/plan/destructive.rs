//! Which changes of a plan can refuse a live customer's requests, and why.
//!
//! Decided here, once, from an entry's live and declared bodies and its key changes; the
//! views only show it. The list, and why each item is on it, is `docs/destructive.md`:
//!
//! - a stage removed (`remove /apiStages`): the plan's keys lose access to it;
//! - a key association removed (DeleteUsagePlanKey): the key loses the plan's stages;
//! - a quota added where there was none, its limit lowered, or its period changed;
//! - a plan throttle, or a method throttle of a stage that stays, added where there was none,
//!   or its rate or burst lowered.
//!
//! Removing a whole quota, plan throttle or method throttle loosens limits; a stage that
//! appears, and the method throttles it comes with, serve no live request through the plan
//! yet; a plan being created has no customer yet. None of them is destructive.

use super::{KeyAction, KeyChange, PlanEntry, Target};
use crate::diff::{leaf_path, method_throttle_path, Op, PatchOp, API_STAGES};
use crate::model::{format_number, PlanBody, Quota, StageRef, Throttle};

/// What joins several reasons into one line.
const REASON_SEPARATOR: &str = "; ";

/// One change that can refuse a live customer's requests, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Destructive {
    /// The change: the one operation or key removal that carries it out.
    pub site: Site,
    /// Why it can refuse requests, for example `quota limit lowered from 1000 to 500`.
    pub reason: String,
}

/// The change a [`Destructive`] item is, so that the views can mark its line.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Site {
    /// The UpdateUsagePlan `replace` of this leaf (`/quota/limit`,
    /// `/apiStages/a1b2c3:prod/throttle//pets/GET/rateLimit`).
    Leaf(String),
    /// The UpdateUsagePlan `remove /apiStages` of this stage.
    StageRemoval(StageRef),
    /// The DeleteUsagePlanKey of this API key's id.
    KeyRemoval(String),
    /// The DeleteUsagePlan of an orphan that `--prune` deletes.
    Deletion,
}

impl Destructive {
    fn new(site: Site, reason: String) -> Self {
        Destructive { site, reason }
    }

    /// Whether the patch operation `op` carries out this change.
    pub fn marks_operation(&self, op: &PatchOp) -> bool {
        self.site.marks_operation(op)
    }

    /// Whether the key change `key` carries out this change.
    pub fn marks_key(&self, key: &KeyChange) -> bool {
        self.site.marks_key(key)
    }
}

impl Site {
    /// Whether the patch operation `op` carries out this change.
    pub fn marks_operation(&self, op: &PatchOp) -> bool {
        match self {
            Site::Leaf(path) => op.op == Op::Replace && op.path == *path,
            Site::StageRemoval(stage) => {
                op.op == Op::Remove
                    && op.path == API_STAGES
                    && op.value.as_deref() == Some(stage.to_string().as_str())
            }
            Site::KeyRemoval(_) | Site::Deletion => false,
        }
    }

    /// Whether the key change `key` carries out this change.
    pub fn marks_key(&self, key: &KeyChange) -> bool {
        match self {
            Site::KeyRemoval(key_id) => key.action == KeyAction::Remove && key.key_id == *key_id,
            Site::Leaf(_) | Site::StageRemoval(_) | Site::Deletion => false,
        }
    }
}

/// The change as the JSON plan names it: `replace /quota/limit`, `remove /apiStages
/// a1b2c3:prod`, `remove-key 9QZ1OLDKEY`, `delete`.
impl std::fmt::Display for Site {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Site::Leaf(path) => write!(f, "replace {path}"),
            Site::StageRemoval(stage) => write!(f, "remove {API_STAGES} {stage}"),
            Site::KeyRemoval(key_id) => write!(f, "remove-key {key_id}"),
            Site::Deletion => write!(f, "delete"),
        }
    }
}

/// The destructive changes of one entry, in the order they are applied.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DestructiveChanges(Vec<Destructive>);

impl DestructiveChanges {
    /// Every destructive change of the entry.
    pub fn items(&self) -> &[Destructive] {
        &self.0
    }

    /// How many destructive changes there are.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there is none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The reasons of the changes that any of `ops` carries out, in order.
    pub fn reasons_for_operations(&self, ops: &[PatchOp]) -> Vec<&str> {
        self.reasons(|item| ops.iter().any(|op| item.marks_operation(op)))
    }

    /// The reason of the plan's deletion, when `--prune` deletes it.
    pub fn reasons_for_deletion(&self) -> Vec<&str> {
        self.reasons(|item| item.site == Site::Deletion)
    }

    /// The reason of the change that `key` carries out, if it is destructive.
    pub fn reasons_for_key(&self, key: &KeyChange) -> Vec<&str> {
        self.reasons(|item| item.marks_key(key))
    }

    fn reasons(&self, marks: impl Fn(&Destructive) -> bool) -> Vec<&str> {
        self.0
            .iter()
            .filter(|item| marks(item))
            .map(|item| item.reason.as_str())
            .collect()
    }
}

/// Several reasons as one line, `; `-separated; `None` when there is none.
pub fn join_reasons(reasons: &[&str]) -> Option<String> {
    (!reasons.is_empty()).then(|| reasons.join(REASON_SEPARATOR))
}

impl PlanEntry {
    /// The changes of this entry that can refuse a live customer's requests, each with its
    /// reason, in the order they are applied: the body's (stages removed, quota, plan
    /// throttle, method throttles), then the key removals. None for a plan being created.
    pub fn destructive(&self) -> DestructiveChanges {
        let mut items = match &self.target {
            Target::Live {
                before, operations, ..
            } if !operations.is_empty() => body_changes(before, &self.after),
            Target::Create { .. } | Target::Live { .. } => Vec::new(),
        };
        items.extend(
            self.keys
                .iter()
                .filter(|key| key.action == KeyAction::Remove)
                .map(|key| {
                    Destructive::new(
                        Site::KeyRemoval(key.key_id.clone()),
                        format!(
                            "key {} removed: it loses access to the plan's stages",
                            key.key_id
                        ),
                    )
                }),
        );
        if self.delete {
            items.push(Destructive::new(
                Site::Deletion,
                format!(
                    "usage plan {} deleted (orphaned): its keys lose what it served",
                    self.name
                ),
            ));
        }
        DestructiveChanges(items)
    }
}

/// The destructive changes between a live body and a declared one.
fn body_changes(before: &PlanBody, after: &PlanBody) -> Vec<Destructive> {
    let mut items: Vec<Destructive> = before
        .stages
        .keys()
        .filter(|stage| !after.stages.contains_key(*stage))
        .map(|stage| {
            Destructive::new(
                Site::StageRemoval(stage.clone()),
                format!("stage {stage} removed: the plan's keys lose access to it"),
            )
        })
        .collect();
    items.extend(quota_changes(before.quota.as_ref(), after.quota.as_ref()));
    items.extend(throttle_changes(
        "/throttle",
        "plan throttle",
        before.throttle,
        after.throttle,
    ));
    for (stage, declared) in &after.stages {
        // A stage that appears serves no live request through this plan yet.
        let Some(live) = before.stages.get(stage) else {
            continue;
        };
        for (method, throttle) in declared {
            items.extend(throttle_changes(
                &method_throttle_path(stage, method),
                &format!("method throttle {method} on stage {stage}"),
                live.get(method).copied(),
                Some(*throttle),
            ));
        }
    }
    items
}

/// A quota that appears, or whose limit is lowered or period changed.
fn quota_changes(before: Option<&Quota>, after: Option<&Quota>) -> Vec<Destructive> {
    let leaf = |name| Site::Leaf(leaf_path("/quota", name));
    match (before, after) {
        (None, Some(after)) => vec![Destructive::new(
            leaf("limit"),
            format!(
                "quota added where there was none: {} requests per {}",
                after.limit,
                after.period.as_str().to_lowercase()
            ),
        )],
        (Some(before), Some(after)) => {
            let mut items = Vec::new();
            if after.limit < before.limit {
                items.push(Destructive::new(
                    leaf("limit"),
                    format!(
                        "quota limit lowered from {} to {}",
                        before.limit, after.limit
                    ),
                ));
            }
            if after.period != before.period {
                items.push(Destructive::new(
                    leaf("period"),
                    format!(
                        "quota period changed from {} to {}",
                        before.period, after.period
                    ),
                ));
            }
            items
        }
        (_, None) => Vec::new(),
    }
}

/// A throttle at `path`, named `subject` in the reasons, that appears, or whose rate or burst
/// is lowered.
fn throttle_changes(
    path: &str,
    subject: &str,
    before: Option<Throttle>,
    after: Option<Throttle>,
) -> Vec<Destructive> {
    let leaf = |name| Site::Leaf(leaf_path(path, name));
    match (before, after) {
        (None, Some(after)) => vec![Destructive::new(
            leaf("rateLimit"),
            format!(
                "{subject} added where there was none: {} requests per second, burst {}",
                format_number(after.rate_limit),
                after.burst_limit
            ),
        )],
        (Some(before), Some(after)) => {
            let mut items = Vec::new();
            if after.rate_limit < before.rate_limit {
                items.push(Destructive::new(
                    leaf("rateLimit"),
                    format!(
                        "{subject} rate lowered from {} to {} requests per second",
                        format_number(before.rate_limit),
                        format_number(after.rate_limit)
                    ),
                ));
            }
            if after.burst_limit < before.burst_limit {
                items.push(Destructive::new(
                    leaf("burstLimit"),
                    format!(
                        "{subject} burst lowered from {} to {}",
                        before.burst_limit, after.burst_limit
                    ),
                ));
            }
            items
        }
        (_, None) => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diff::{body_operations, create_follow_up};
    use crate::model::{MethodThrottles, Period, Tags};
    use crate::plan::Plan;

    fn stage(stage: &str) -> StageRef {
        StageRef {
            api_id: "a1b2c3d4e5".to_string(),
            stage: stage.to_string(),
        }
    }

    fn throttle(rate_limit: f64, burst_limit: i64) -> Throttle {
        Throttle {
            rate_limit,
            burst_limit,
        }
    }

    fn quota(limit: i64, period: Period) -> Quota {
        Quota {
            limit,
            offset: 0,
            period,
        }
    }

    /// A live body with a plan throttle, a quota, and one stage with a method throttle.
    fn live() -> PlanBody {
        PlanBody {
            name: "Gold".to_string(),
            description: "Paying customers".to_string(),
            product_code: None,
            throttle: Some(throttle(100.0, 200)),
            quota: Some(quota(1000, Period::Month)),
            stages: [(
                stage("prod"),
                [("/pets/GET".to_string(), throttle(10.0, 20))]
                    .into_iter()
                    .collect(),
            )]
            .into_iter()
            .collect(),
        }
    }

    /// An entry of a live plan from `before` to `after` by `operations`, without other
    /// changes.
    fn entry(before: PlanBody, after: PlanBody, operations: Vec<PatchOp>) -> PlanEntry {
        PlanEntry {
            name: after.name.clone(),
            target: Target::Live {
                id: "ywbqww".to_string(),
                before,
                operations,
            },
            after,
            keys: vec![],
            tags: None,
            grants: vec![],
            pending_grants: vec![],
            settled: vec![],
            bookkeeping: None,
            delete: false,
        }
    }

    /// An entry that updates `before` to `after` with the operations the diff gives.
    fn update(before: PlanBody, after: PlanBody) -> PlanEntry {
        let operations = body_operations(&before, &after);
        assert!(!operations.is_empty(), "the test changes something");
        entry(before, after, operations)
    }

    /// The reasons of the update from `live()` to `change(live())`.
    fn reasons_of(change: impl FnOnce(&mut PlanBody)) -> Vec<String> {
        let mut after = live();
        change(&mut after);
        reasons_of_update(live(), after)
    }

    /// The reasons of the update from `before` to `after`, after checking that each
    /// destructive change marks exactly one of the operations sent.
    fn reasons_of_update(before: PlanBody, after: PlanBody) -> Vec<String> {
        let entry = update(before, after);
        let Some(operations) = entry.update() else {
            unreachable!("update() builds an update");
        };
        let destructive = entry.destructive();
        for item in destructive.items() {
            let marked = operations
                .iter()
                .filter(|op| item.marks_operation(op))
                .count();
            assert_eq!(marked, 1, "{item:?} marks one of {operations:?}");
        }
        destructive
            .items()
            .iter()
            .map(|item| item.reason.clone())
            .collect()
    }

    fn method_throttles<'a>(body: &'a mut PlanBody, stage_name: &str) -> &'a mut MethodThrottles {
        body.stages.entry(stage(stage_name)).or_default()
    }

    #[test]
    fn a_removed_stage_is_destructive() {
        assert_eq!(
            reasons_of(|body| body.stages.clear()),
            ["stage a1b2c3d4e5:prod removed: the plan's keys lose access to it"]
        );
    }

    #[test]
    fn an_added_stage_is_not_destructive_even_with_method_throttles() {
        let reasons = reasons_of(|body| {
            method_throttles(body, "beta").insert("/pets/GET".to_string(), throttle(1.0, 1));
        });
        assert!(reasons.is_empty(), "{reasons:?}");
    }

    #[test]
    fn a_removed_key_is_destructive_and_an_added_one_is_not() {
        let mut entry = entry(live(), live(), vec![]);
        entry.keys = vec![
            KeyChange {
                action: KeyAction::Remove,
                key_id: "9QZ1OLDKEY".to_string(),
            },
            KeyChange {
                action: KeyAction::Add,
                key_id: "3JX4NEWKEY".to_string(),
            },
        ];
        let destructive = entry.destructive();
        assert_eq!(
            destructive.items(),
            [Destructive::new(
                Site::KeyRemoval("9QZ1OLDKEY".to_string()),
                "key 9QZ1OLDKEY removed: it loses access to the plan's stages".to_string()
            )]
        );
        assert_eq!(
            destructive.reasons_for_key(&entry.keys[0]),
            ["key 9QZ1OLDKEY removed: it loses access to the plan's stages"]
        );
        assert!(destructive.reasons_for_key(&entry.keys[1]).is_empty());
    }

    #[test]
    fn a_quota_added_where_there_was_none_is_destructive() {
        let mut before = live();
        before.quota = None;
        let mut after = live();
        after.quota = Some(quota(500, Period::Day));
        assert_eq!(
            reasons_of_update(before, after),
            ["quota added where there was none: 500 requests per day"]
        );
    }

    #[test]
    fn a_lowered_quota_limit_is_destructive() {
        assert_eq!(
            reasons_of(|body| body.quota = Some(quota(500, Period::Month))),
            ["quota limit lowered from 1000 to 500"]
        );
    }

    #[test]
    fn a_changed_quota_period_is_destructive_either_way() {
        assert_eq!(
            reasons_of(|body| body.quota = Some(quota(1000, Period::Week))),
            ["quota period changed from MONTH to WEEK"]
        );
        assert_eq!(
            reasons_of(|body| body.quota = Some(quota(900, Period::Week))),
            [
                "quota limit lowered from 1000 to 900",
                "quota period changed from MONTH to WEEK"
            ]
        );
    }

    #[test]
    fn a_raised_or_removed_quota_or_a_new_offset_is_not_destructive() {
        assert!(reasons_of(|body| body.quota = Some(quota(2000, Period::Month))).is_empty());
        assert!(reasons_of(|body| body.quota = None).is_empty());
        assert!(reasons_of(|body| {
            body.quota = Some(Quota {
                offset: 5,
                ..quota(1000, Period::Month)
            });
        })
        .is_empty());
    }

    #[test]
    fn a_plan_throttle_added_where_there_was_none_is_destructive() {
        let mut before = live();
        before.throttle = None;
        before.stages = [(stage("prod"), MethodThrottles::new())]
            .into_iter()
            .collect();
        let mut after = before.clone();
        after.throttle = Some(throttle(50.0, 100));
        assert_eq!(
            update(before.clone(), after.clone()).destructive().items(),
            [Destructive::new(
                Site::Leaf("/throttle/rateLimit".to_string()),
                "plan throttle added where there was none: 50 requests per second, burst 100"
                    .to_string()
            )]
        );
        assert_eq!(reasons_of_update(before, after).len(), 1);
    }

    #[test]
    fn a_lowered_plan_throttle_rate_or_burst_is_destructive() {
        assert_eq!(
            reasons_of(|body| body.throttle = Some(throttle(12.5, 200))),
            ["plan throttle rate lowered from 100 to 12.5 requests per second"]
        );
        assert_eq!(
            reasons_of(|body| body.throttle = Some(throttle(100.0, 150))),
            ["plan throttle burst lowered from 200 to 150"]
        );
        assert_eq!(
            reasons_of(|body| body.throttle = Some(throttle(200.0, 150))),
            ["plan throttle burst lowered from 200 to 150"]
        );
    }

    #[test]
    fn a_raised_or_removed_plan_throttle_is_not_destructive() {
        assert!(reasons_of(|body| body.throttle = Some(throttle(150.0, 300))).is_empty());
        assert!(reasons_of(|body| {
            body.throttle = None;
            method_throttles(body, "prod").clear();
        })
        .is_empty());
    }

    #[test]
    fn a_method_throttle_added_or_lowered_on_a_kept_stage_is_destructive() {
        assert_eq!(
            reasons_of(|body| {
                method_throttles(body, "prod").insert("/pets/POST".to_string(), throttle(5.0, 10));
            }),
            [
                "method throttle /pets/POST on stage a1b2c3d4e5:prod added where there was \
                 none: 5 requests per second, burst 10"
            ]
        );
        assert_eq!(
            reasons_of(|body| {
                method_throttles(body, "prod").insert("/pets/GET".to_string(), throttle(2.5, 5));
            }),
            [
                "method throttle /pets/GET on stage a1b2c3d4e5:prod rate lowered from 10 to 2.5 \
                 requests per second",
                "method throttle /pets/GET on stage a1b2c3d4e5:prod burst lowered from 20 to 5"
            ]
        );
    }

    #[test]
    fn a_raised_or_removed_method_throttle_is_not_destructive() {
        assert!(reasons_of(|body| {
            method_throttles(body, "prod").insert("/pets/GET".to_string(), throttle(20.0, 40));
        })
        .is_empty());
        assert!(reasons_of(|body| method_throttles(body, "prod").clear()).is_empty());
    }

    #[test]
    fn other_fields_are_not_destructive() {
        assert!(reasons_of(|body| {
            body.name = "Platinum".to_string();
            body.description = String::new();
            body.product_code = Some("prod-gold".to_string());
        })
        .is_empty());
    }

    #[test]
    fn a_created_plan_is_not_destructive() {
        let after = live();
        let entry = PlanEntry {
            name: after.name.clone(),
            target: Target::Create {
                tags: Tags::new(),
                follow_up: create_follow_up(&after),
            },
            after,
            keys: vec![KeyChange {
                action: KeyAction::Add,
                key_id: "3JX4NEWKEY".to_string(),
            }],
            tags: None,
            grants: vec![],
            pending_grants: vec![],
            settled: vec![],
            bookkeeping: None,
            delete: false,
        };
        assert!(entry.destructive().is_empty());
    }

    #[test]
    fn reasons_are_found_by_the_operations_that_carry_them_out() {
        let mut after = live();
        after.quota = Some(quota(500, Period::Month));
        after.description = "Gold tier".to_string();
        let entry = update(live(), after);
        let Some(operations) = entry.update() else {
            unreachable!("update() builds an update");
        };
        let destructive = entry.destructive();
        let per_operation: Vec<Vec<&str>> = operations
            .iter()
            .map(|op| destructive.reasons_for_operations(std::slice::from_ref(op)))
            .collect();
        assert_eq!(
            per_operation,
            [vec![], vec!["quota limit lowered from 1000 to 500"]],
            "{operations:?}"
        );
        assert_eq!(
            destructive.reasons_for_operations(operations),
            ["quota limit lowered from 1000 to 500"]
        );
    }

    #[test]
    fn reasons_join_into_one_line() {
        assert_eq!(join_reasons(&[]), None);
        assert_eq!(join_reasons(&["a"]), Some("a".to_string()));
        assert_eq!(join_reasons(&["a", "b"]), Some("a; b".to_string()));
    }

    #[test]
    fn the_summary_counts_every_destructive_change() {
        let mut after = live();
        after.quota = Some(quota(500, Period::Day));
        let mut entry = update(live(), after);
        entry.keys = vec![KeyChange {
            action: KeyAction::Remove,
            key_id: "9QZ1OLDKEY".to_string(),
        }];
        let plan = Plan {
            region: "us-east-1".to_string(),
            target: None,
            entries: vec![entry],
            unchanged: 0,
            unmanaged: vec![],
            names: Default::default(),
            api_keys: Vec::new(),
            orphans: Vec::new(),
            deleted_keys: Vec::new(),
            impact: None,
        };
        assert_eq!(plan.summary().destructive, 3);
    }
}
