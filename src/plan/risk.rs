//! What each change of a plan risks, and why, in two classes.
//!
//! Decided here, once, from the typed changes of an entry's body, its key changes and the key
//! moves between entries; the views only show it. The list, and why each item is on it, is
//! `docs/destructive.md`.
//!
//! *Destructive* (it can refuse a live customer's requests):
//! - a stage removed: the plan's keys lose access to it;
//! - a key association removed: the key loses the plan's stages; a key moved to another plan
//!   only when it loses a stage it had there or gets a lower limit;
//! - a quota added where there was none, its limit lowered, or its period changed;
//! - a plan throttle, or a method throttle of a stage that stays, added where there was none,
//!   or its rate or burst lowered;
//! - a plan deleted by `--prune`.
//!
//! *Unbounded* (use is no longer capped, which the operator pays for): a quota, a plan throttle
//! or a method throttle removed.
//!
//! A stage that appears, and the method throttles it comes with, serve no live request through
//! the plan yet; a plan being created has no customer yet. Neither is at risk.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::{KeyAction, KeyChange, KeyMove, Plan, PlanEntry, Target};
use crate::diff::{
    body_changes, leaf_path, method_throttle_path, Field, FieldChange, MethodRef, API_STAGES,
};
use crate::inert::printable;
use crate::model::{format_number, Names, PlanBody, Quota, StageRef, Throttle};

/// What joins several reasons into one line.
const REASON_SEPARATOR: &str = "; ";

/// The two kinds of risk a change can carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RiskClass {
    /// It can refuse a live customer's requests.
    Destructive,
    /// It removes a limit: use becomes unlimited.
    Unbounded,
}

impl RiskClass {
    /// The class as the views mark it: `destructive`, `unbounded`.
    pub fn as_str(self) -> &'static str {
        match self {
            RiskClass::Destructive => "destructive",
            RiskClass::Unbounded => "unbounded",
        }
    }
}

/// One risky change, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Risk {
    /// Destructive or unbounded.
    pub class: RiskClass,
    /// The change that carries the risk.
    pub site: Site,
    /// Why, for example `quota limit lowered from 1,000 to 500`.
    pub reason: String,
}

/// The change a [`Risk`] is about, so that the views can mark its line.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Site {
    /// A change of the body's field.
    Field(Field),
    /// The removal of this API key's association (or its move to another plan).
    KeyRemoval(String),
    /// The DeleteUsagePlan of an orphan that `--prune` deletes.
    Deletion,
}

/// The change as the JSON plan's `impact` names it, by the operation that carries out a
/// destructive change of it (only those have impact): `replace /quota/limit`,
/// `remove /apiStages a1b2c3:prod`, `remove-key 9QZ1OLDKEY`, `delete`.
impl std::fmt::Display for Site {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let leaf = |f: &mut std::fmt::Formatter<'_>, block: &str, leaf: &str| {
            write!(f, "replace {}", leaf_path(block, leaf))
        };
        let method = |method: &MethodRef| method_throttle_path(&method.stage, &method.key);
        match self {
            Site::Field(Field::Stage(stage)) => write!(f, "remove {API_STAGES} {stage}"),
            Site::Field(Field::Name) => f.write_str("replace /name"),
            Site::Field(Field::Description) => f.write_str("replace /description"),
            Site::Field(Field::ProductCode) => f.write_str("replace /productCode"),
            Site::Field(Field::Quota | Field::QuotaLimit) => leaf(f, "/quota", "limit"),
            Site::Field(Field::QuotaPeriod) => leaf(f, "/quota", "period"),
            Site::Field(Field::QuotaOffset) => leaf(f, "/quota", "offset"),
            Site::Field(Field::Throttle | Field::ThrottleRate) => leaf(f, "/throttle", "rateLimit"),
            Site::Field(Field::ThrottleBurst) => leaf(f, "/throttle", "burstLimit"),
            Site::Field(Field::MethodThrottle(target) | Field::MethodRate(target)) => {
                leaf(f, &method(target), "rateLimit")
            }
            Site::Field(Field::MethodBurst(target)) => leaf(f, &method(target), "burstLimit"),
            Site::KeyRemoval(key_id) => write!(f, "remove-key {key_id}"),
            Site::Deletion => f.write_str("delete"),
        }
    }
}

impl Site {
    /// Whether the site is a change of the quota.
    pub fn is_quota(&self) -> bool {
        matches!(self, Site::Field(field) if field.is_quota())
    }
}

/// The risks of one entry, in the order the changes are applied.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Risks(Vec<Risk>);

impl Risks {
    /// Every risk of the entry.
    pub fn items(&self) -> &[Risk] {
        &self.0
    }

    /// The risks of one class.
    pub fn of_class(&self, class: RiskClass) -> impl Iterator<Item = &Risk> {
        self.0.iter().filter(move |risk| risk.class == class)
    }

    /// How many risks of `class` there are.
    pub fn count(&self, class: RiskClass) -> usize {
        self.of_class(class).count()
    }

    /// The risks whose site `relevant` accepts.
    pub fn at(&self, relevant: impl Fn(&Site) -> bool) -> Vec<&Risk> {
        self.0.iter().filter(|risk| relevant(&risk.site)).collect()
    }

    /// The risks of the change of `field`.
    pub fn for_field(&self, field: &Field) -> Vec<&Risk> {
        self.at(|site| matches!(site, Site::Field(at) if at == field))
    }

    /// The risks of the removal (or move) of the key `key_id`.
    pub fn for_key(&self, key_id: &str) -> Vec<&Risk> {
        self.at(|site| matches!(site, Site::KeyRemoval(at) if at == key_id))
    }
}

/// Several reasons as one line, `; `-separated; `None` when there is none.
pub fn join_reasons(reasons: &[&str]) -> Option<String> {
    (!reasons.is_empty()).then(|| reasons.join(REASON_SEPARATOR))
}

/// The reasons of `risks` of `class`, in order.
pub fn reasons_of<'a>(risks: &[&'a Risk], class: RiskClass) -> Vec<&'a str> {
    risks
        .iter()
        .filter(|risk| risk.class == class)
        .map(|risk| risk.reason.as_str())
        .collect()
}

impl Names {
    /// A stage as a person reads it: `pets/prod` where its REST API's name is known, else
    /// `a1b2c3:prod`; made inert for a view.
    pub fn stage(&self, stage: &StageRef) -> String {
        match self.api(&stage.api_id) {
            Some(api) => printable(&format!("{api}/{}", stage.stage)).into_owned(),
            None => printable(&stage.to_string()).into_owned(),
        }
    }

    /// A method throttle as a person reads it: `GET /pets on pets/prod`.
    pub fn method(&self, method: &MethodRef) -> String {
        let (resource, verb) = method.resource_and_method();
        format!(
            "{} {} on {}",
            printable(verb),
            printable(resource),
            self.stage(&method.stage)
        )
    }
}

impl Plan {
    /// The risks of `entry`'s changes, in the order they are applied: the body's (stages
    /// removed, quota, plan throttle, method throttles), then the key removals and moves away,
    /// then its deletion. None for a plan being created.
    pub fn risks(&self, entry: &PlanEntry) -> Risks {
        let names = &self.names;
        let mut items = match &entry.target {
            Target::Live { before, .. } if entry.update().is_some() => {
                body_risks(before, &entry.after, names)
            }
            Target::Create { .. } | Target::Live { .. } => Vec::new(),
        };
        for key in &entry.keys {
            items.extend(self.key_risk(entry, key));
        }
        if entry.delete {
            items.push(Risk {
                class: RiskClass::Destructive,
                site: Site::Deletion,
                reason: format!(
                    "usage plan {} deleted (orphaned): its keys lose what it served",
                    printable(&entry.name)
                ),
            });
        }
        Risks(items)
    }

    /// The risk of a key change of `entry`: a removal is destructive; a move away (the key
    /// added to another plan of this plan) only when the key loses a stage or gets a lower
    /// limit.
    fn key_risk(&self, entry: &PlanEntry, key: &KeyChange) -> Option<Risk> {
        if key.action != KeyAction::Remove {
            return None;
        }
        let names = &self.names;
        let key_name = printable(&names.key(&key.key_id)).into_owned();
        let site = Site::KeyRemoval(key.key_id.clone());
        let reason = match self.move_of(entry, key) {
            None => format!("key {key_name} removed: it loses access to the plan's stages"),
            Some(moved) => {
                let losses = move_losses(moved.from, moved.to, names);
                if losses.is_empty() {
                    return None;
                }
                format!(
                    "key {key_name} moved from {} to {}: {}",
                    printable(&moved.from.name),
                    printable(&moved.to.name),
                    losses.join(", ")
                )
            }
        };
        Some(Risk {
            class: RiskClass::Destructive,
            site,
            reason,
        })
    }

    /// Every key move of the plan: a key removed from one plan and added to another that
    /// shares a stage with it (AWS refuses the addition until the removal is done, so apply
    /// carries the two out as one step), each addition paired with the first such plan (in
    /// the plan's order) that removes the key and that no earlier addition took.
    pub fn moves(&self) -> Vec<KeyMove<'_>> {
        let mut removals: BTreeMap<&str, Vec<&PlanEntry>> = BTreeMap::new();
        for from in &self.entries {
            for key in from
                .keys
                .iter()
                .filter(|key| key.action == KeyAction::Remove)
            {
                removals.entry(&key.key_id).or_default().push(from);
            }
        }
        let mut moves = Vec::new();
        for to in &self.entries {
            for key in to.keys.iter().filter(|key| key.action == KeyAction::Add) {
                let Some(sources) = removals.get_mut(key.key_id.as_str()) else {
                    continue;
                };
                let source = sources
                    .iter()
                    .position(|from| !std::ptr::eq(*from, to) && from.shares_a_stage_with(to));
                if let Some(at) = source {
                    let from = sources.remove(at);
                    moves.push(KeyMove {
                        key_id: &key.key_id,
                        from,
                        to,
                    });
                }
            }
        }
        moves
    }

    /// The move a key change of `entry` is part of, on either side.
    pub fn move_of(&self, entry: &PlanEntry, key: &KeyChange) -> Option<KeyMove<'_>> {
        self.moves().into_iter().find(|moved| {
            moved.key_id == key.key_id
                && match key.action {
                    KeyAction::Remove => std::ptr::eq(moved.from, entry),
                    KeyAction::Add => std::ptr::eq(moved.to, entry),
                }
        })
    }
}

impl PlanEntry {
    /// Whether this plan and `other` have a stage in common, before or after the apply.
    pub fn shares_a_stage_with(&self, other: &PlanEntry) -> bool {
        let stages = |entry: &PlanEntry| -> BTreeSet<StageRef> {
            let before = entry
                .before()
                .into_iter()
                .flat_map(|body| body.stages.keys());
            entry.after.stages.keys().chain(before).cloned().collect()
        };
        !stages(self).is_disjoint(&stages(other))
    }
}

/// What a key moved from `from` to `to` loses: the stages it had that `to` does not serve,
/// and each limit `to` sets lower (or sets where `from` had none): quota, plan throttle, and
/// the method throttles of the stages it keeps.
fn move_losses(from: &PlanEntry, to: &PlanEntry, names: &Names) -> Vec<String> {
    let had = from.before().unwrap_or(&from.after);
    let gets = &to.after;
    let mut losses: Vec<String> = had
        .stages
        .keys()
        .filter(|stage| !gets.stages.contains_key(*stage))
        .map(|stage| format!("it loses {}", names.stage(stage)))
        .collect();
    match (had.quota.as_ref(), gets.quota.as_ref()) {
        (None, Some(quota)) => losses.push(format!("a quota of {} applies", quota_text(quota))),
        (Some(old), Some(new)) if new.limit < old.limit || new.period != old.period => {
            losses.push(format!(
                "its quota goes from {} to {}",
                quota_text(old),
                quota_text(new)
            ));
        }
        _ => {}
    }
    let throttle = |throttle: &Throttle| {
        format!(
            "{}/s burst {}",
            format_number(throttle.rate_limit),
            throttle.burst_limit
        )
    };
    match (had.throttle.as_ref(), gets.throttle.as_ref()) {
        (None, Some(new)) => losses.push(format!("a throttle of {} applies", throttle(new))),
        (Some(old), Some(new))
            if new.rate_limit < old.rate_limit || new.burst_limit < old.burst_limit =>
        {
            losses.push(format!(
                "its throttle goes from {} to {}",
                throttle(old),
                throttle(new)
            ));
        }
        _ => {}
    }
    for (stage, declared) in &gets.stages {
        let Some(kept) = had.stages.get(stage) else {
            continue;
        };
        for (key, new) in declared {
            let method = names.method(&MethodRef {
                stage: stage.clone(),
                key: key.clone(),
            });
            // Where the key had no throttle on the method, the plan throttle held it.
            match kept.get(key).or(had.throttle.as_ref()) {
                None => losses.push(format!(
                    "a throttle of {} on {method} applies",
                    throttle(new)
                )),
                Some(old)
                    if new.rate_limit < old.rate_limit || new.burst_limit < old.burst_limit =>
                {
                    losses.push(format!(
                        "its throttle on {method} goes from {} to {}",
                        throttle(old),
                        throttle(new)
                    ));
                }
                Some(_) => {}
            }
        }
    }
    losses
}

/// `100,000 per MONTH`.
fn quota_text(quota: &Quota) -> String {
    format!("{} per {}", grouped(quota.limit), quota.period)
}

/// An integer with its thousands grouped: `250,000`.
pub fn grouped(value: i64) -> String {
    let digits = value.unsigned_abs().to_string();
    let mut out = String::new();
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index) % 3 == 0 {
            out.push(',');
        }
        out.push(digit);
    }
    if value < 0 {
        out.insert(0, '-');
    }
    out
}

/// The risks of the typed changes between a live body and a declared one.
fn body_risks(before: &PlanBody, after: &PlanBody, names: &Names) -> Vec<Risk> {
    body_changes(before, after)
        .iter()
        .flat_map(|change| field_risks(change, before, after, names))
        .collect()
}

/// The risks of one typed change.
fn field_risks(
    change: &FieldChange,
    before: &PlanBody,
    after: &PlanBody,
    names: &Names,
) -> Vec<Risk> {
    use RiskClass::{Destructive, Unbounded};
    let risk = |class, reason: String| Risk {
        class,
        site: Site::Field(change.field.clone()),
        reason,
    };
    let appears = change.before.is_none();
    let goes = change.after.is_none();
    match &change.field {
        Field::Stage(stage) if goes => vec![risk(
            Destructive,
            format!(
                "stage {} removed: the plan's keys lose access to it",
                names.stage(stage)
            ),
        )],
        Field::Quota => match (before.quota.as_ref(), after.quota.as_ref()) {
            (None, Some(quota)) => vec![risk(
                Destructive,
                format!("quota added where there was none: {}", quota_text(quota)),
            )],
            (Some(quota), None) => vec![risk(
                Unbounded,
                format!(
                    "quota of {} removed: keys' requests are no longer counted or capped",
                    quota_text(quota)
                ),
            )],
            _ => Vec::new(),
        },
        Field::QuotaLimit => match (before.quota, after.quota) {
            (Some(old), Some(new)) if new.limit < old.limit => vec![risk(
                Destructive,
                format!(
                    "quota limit lowered from {} to {}",
                    grouped(old.limit),
                    grouped(new.limit)
                ),
            )],
            _ => Vec::new(),
        },
        Field::QuotaPeriod => match (before.quota, after.quota) {
            (Some(old), Some(new)) => vec![risk(
                Destructive,
                format!("quota period changed from {} to {}", old.period, new.period),
            )],
            _ => Vec::new(),
        },
        Field::Throttle => throttle_block_risk(
            "plan throttle",
            before.throttle,
            after.throttle,
            &risk,
            "requests per second are no longer capped by the plan",
        ),
        Field::ThrottleRate | Field::ThrottleBurst => throttle_leaf_risk(
            "plan throttle",
            &change.field,
            before.throttle,
            after.throttle,
            &risk,
        ),
        Field::MethodThrottle(method) => {
            // A stage that appears serves no live request through this plan yet.
            if appears && !before.stages.contains_key(&method.stage) {
                return Vec::new();
            }
            throttle_block_risk(
                &format!("method throttle {}", names.method(method)),
                method_throttle(before, method),
                method_throttle(after, method),
                &risk,
                "only the plan throttle caps its requests",
            )
        }
        Field::MethodRate(method) | Field::MethodBurst(method) => throttle_leaf_risk(
            &format!("method throttle {}", names.method(method)),
            &change.field,
            method_throttle(before, method),
            method_throttle(after, method),
            &risk,
        ),
        Field::Name | Field::Description | Field::ProductCode | Field::QuotaOffset => Vec::new(),
        Field::Stage(_) => Vec::new(),
    }
}

fn method_throttle(body: &PlanBody, method: &MethodRef) -> Option<Throttle> {
    body.stages.get(&method.stage)?.get(&method.key).copied()
}

/// A throttle named `subject` that appears (destructive) or goes away (unbounded, `freed`
/// saying what is left).
fn throttle_block_risk(
    subject: &str,
    before: Option<Throttle>,
    after: Option<Throttle>,
    risk: &dyn Fn(RiskClass, String) -> Risk,
    freed: &str,
) -> Vec<Risk> {
    match (before, after) {
        (None, Some(after)) => vec![risk(
            RiskClass::Destructive,
            format!(
                "{subject} added where there was none: {} requests per second, burst {}",
                format_number(after.rate_limit),
                after.burst_limit
            ),
        )],
        (Some(before), None) => vec![risk(
            RiskClass::Unbounded,
            format!(
                "{subject} of {} requests per second, burst {}, removed: {freed}",
                format_number(before.rate_limit),
                before.burst_limit
            ),
        )],
        _ => Vec::new(),
    }
}

/// A throttle leaf (rate or burst, as `field` says) lowered: destructive.
fn throttle_leaf_risk(
    subject: &str,
    field: &Field,
    before: Option<Throttle>,
    after: Option<Throttle>,
    risk: &dyn Fn(RiskClass, String) -> Risk,
) -> Vec<Risk> {
    let (Some(before), Some(after)) = (before, after) else {
        return Vec::new();
    };
    let rate = matches!(field, Field::ThrottleRate | Field::MethodRate(_));
    let reason = if rate && after.rate_limit < before.rate_limit {
        format!(
            "{subject} rate lowered from {} to {} requests per second",
            format_number(before.rate_limit),
            format_number(after.rate_limit)
        )
    } else if !rate && after.burst_limit < before.burst_limit {
        format!(
            "{subject} burst lowered from {} to {}",
            before.burst_limit, after.burst_limit
        )
    } else {
        return Vec::new();
    };
    vec![risk(RiskClass::Destructive, reason)]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diff::{body_operations, create_follow_up};
    use crate::endpoint::ForeignEndpoints;
    use crate::model::{MethodThrottles, Period, Tags};

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

    /// An entry that updates `before` to `after` with the operations the diff gives.
    fn update(before: PlanBody, after: PlanBody) -> PlanEntry {
        PlanEntry {
            name: after.name.clone(),
            target: Target::Live {
                id: format!("{}-id", after.name),
                operations: body_operations(&before, &after),
                before,
            },
            after,
            keys: vec![],
            tags: None,
            grants: vec![],
            pending_grants: vec![],
            settled: vec![],
            bookkeeping: None,
            delete: false,
            matched_by_name: false,
        }
    }

    fn plan(entries: Vec<PlanEntry>) -> Plan {
        Plan {
            region: "us-east-1".to_string(),
            account: "123456789012".to_string(),
            endpoints: ForeignEndpoints::default(),
            target: None,
            entries,
            unchanged: 0,
            unmanaged: vec![],
            names: Names {
                rest_apis: [("a1b2c3d4e5".to_string(), "pets".to_string())].into(),
                api_keys: [("3JX4KEY".to_string(), "acme".to_string())].into(),
            },
            api_keys: Vec::new(),
            orphans: Vec::new(),
            deleted_keys: Vec::new(),
            impact: None,
        }
    }

    /// The risks of the update from `live()` to `change(live())`, as (class, reason).
    fn risks_of(change: impl FnOnce(&mut PlanBody)) -> Vec<(RiskClass, String)> {
        let mut after = live();
        change(&mut after);
        risks_of_update(live(), after)
    }

    fn risks_of_update(before: PlanBody, after: PlanBody) -> Vec<(RiskClass, String)> {
        let plan = plan(vec![update(before, after)]);
        plan.risks(&plan.entries[0])
            .items()
            .iter()
            .map(|risk| (risk.class, risk.reason.clone()))
            .collect()
    }

    fn destructive(reason: &str) -> (RiskClass, String) {
        (RiskClass::Destructive, reason.to_string())
    }

    fn unbounded(reason: &str) -> (RiskClass, String) {
        (RiskClass::Unbounded, reason.to_string())
    }

    fn method_throttles<'a>(body: &'a mut PlanBody, stage_name: &str) -> &'a mut MethodThrottles {
        body.stages.entry(stage(stage_name)).or_default()
    }

    fn key(action: KeyAction, key_id: &str) -> KeyChange {
        KeyChange {
            action,
            key_id: key_id.to_string(),
        }
    }

    #[test]
    fn a_removed_stage_is_destructive_and_named_as_the_yaml_names_it() {
        assert_eq!(
            risks_of(|body| body.stages.clear()),
            [destructive(
                "stage pets/prod removed: the plan's keys lose access to it"
            )]
        );
    }

    #[test]
    fn an_added_stage_is_not_risky_even_with_method_throttles() {
        let risks = risks_of(|body| {
            method_throttles(body, "beta").insert("/pets/GET".to_string(), throttle(1.0, 1));
        });
        assert!(risks.is_empty(), "{risks:?}");
    }

    #[test]
    fn a_removed_key_is_destructive_and_an_added_one_is_not() {
        let mut entry = update(live(), live());
        entry.keys = vec![
            key(KeyAction::Remove, "9QZ1OLDKEY"),
            key(KeyAction::Add, "3JX4KEY"),
        ];
        let plan = plan(vec![entry]);
        let risks = plan.risks(&plan.entries[0]);
        assert_eq!(
            risks.items(),
            [Risk {
                class: RiskClass::Destructive,
                site: Site::KeyRemoval("9QZ1OLDKEY".to_string()),
                reason: "key 9QZ1OLDKEY removed: it loses access to the plan's stages".to_string()
            }]
        );
        assert!(risks.for_key("3JX4KEY").is_empty());
    }

    #[test]
    fn a_quota_added_lowered_or_given_another_period_is_destructive() {
        let mut before = live();
        before.quota = None;
        let mut after = live();
        after.quota = Some(quota(500, Period::Day));
        assert_eq!(
            risks_of_update(before, after),
            [destructive("quota added where there was none: 500 per DAY")]
        );
        assert_eq!(
            risks_of(|body| body.quota = Some(quota(900, Period::Week))),
            [
                destructive("quota limit lowered from 1,000 to 900"),
                destructive("quota period changed from MONTH to WEEK")
            ]
        );
    }

    #[test]
    fn a_raised_quota_or_a_new_offset_is_not_risky_and_a_removed_one_is_unbounded() {
        assert!(risks_of(|body| body.quota = Some(quota(2000, Period::Month))).is_empty());
        assert!(risks_of(|body| {
            body.quota = Some(Quota {
                offset: 5,
                ..quota(1000, Period::Month)
            });
        })
        .is_empty());
        assert_eq!(
            risks_of(|body| body.quota = None),
            [unbounded(
                "quota of 1,000 per MONTH removed: keys' requests are no longer counted or capped"
            )]
        );
    }

    #[test]
    fn a_plan_throttle_added_or_lowered_is_destructive_and_a_removed_one_unbounded() {
        let mut before = live();
        before.throttle = None;
        before.stages = [(stage("prod"), MethodThrottles::new())]
            .into_iter()
            .collect();
        let mut after = before.clone();
        after.throttle = Some(throttle(50.0, 100));
        assert_eq!(
            risks_of_update(before.clone(), after.clone()),
            [destructive(
                "plan throttle added where there was none: 50 requests per second, burst 100"
            )]
        );
        assert_eq!(
            risks_of_update(after, before),
            [unbounded(
                "plan throttle of 50 requests per second, burst 100, removed: requests per \
                 second are no longer capped by the plan"
            )]
        );
        assert_eq!(
            risks_of(|body| body.throttle = Some(throttle(12.5, 150))),
            [
                destructive("plan throttle rate lowered from 100 to 12.5 requests per second"),
                destructive("plan throttle burst lowered from 200 to 150")
            ]
        );
        assert!(risks_of(|body| body.throttle = Some(throttle(150.0, 300))).is_empty());
    }

    #[test]
    fn a_method_throttle_added_or_lowered_is_destructive_and_a_removed_one_unbounded() {
        assert_eq!(
            risks_of(|body| {
                method_throttles(body, "prod").insert("/pets/POST".to_string(), throttle(5.0, 10));
            }),
            [destructive(
                "method throttle POST /pets on pets/prod added where there was none: 5 requests \
                 per second, burst 10"
            )]
        );
        assert_eq!(
            risks_of(|body| {
                method_throttles(body, "prod").insert("/pets/GET".to_string(), throttle(2.5, 20));
            }),
            [destructive(
                "method throttle GET /pets on pets/prod rate lowered from 10 to 2.5 requests per \
                 second"
            )]
        );
        assert_eq!(
            risks_of(|body| method_throttles(body, "prod").clear()),
            [unbounded(
                "method throttle GET /pets on pets/prod of 10 requests per second, burst 20, \
                 removed: only the plan throttle caps its requests"
            )]
        );
    }

    #[test]
    fn other_fields_are_not_risky() {
        assert!(risks_of(|body| {
            body.name = "Platinum".to_string();
            body.description = String::new();
            body.product_code = Some("prod-gold".to_string());
        })
        .is_empty());
    }

    #[test]
    fn a_created_plan_is_not_risky() {
        let mut entry = update(PlanBody::default(), live());
        entry.target = Target::Create {
            tags: Tags::new(),
            follow_up: create_follow_up(&entry.after),
        };
        entry.keys = vec![key(KeyAction::Add, "3JX4KEY")];
        let plan = plan(vec![entry]);
        assert!(plan.risks(&plan.entries[0]).items().is_empty());
    }

    /// Silver (before `silver`) loses key 3JX4KEY to Gold (after `gold`).
    fn moved(silver: PlanBody, gold: PlanBody) -> Plan {
        let mut from = update(silver.clone(), silver);
        from.name = "Silver".into();
        from.keys = vec![key(KeyAction::Remove, "3JX4KEY")];
        let mut to = update(gold.clone(), gold);
        to.keys = vec![key(KeyAction::Add, "3JX4KEY")];
        plan(vec![to, from])
    }

    fn move_risks(plan: &Plan) -> Vec<String> {
        let risks = plan.risks(&plan.entries[1]);
        let reasons = risks.for_key("3JX4KEY");
        reasons.iter().map(|risk| risk.reason.clone()).collect()
    }

    #[test]
    fn a_key_moved_to_the_same_stages_with_higher_limits_is_one_move_and_not_risky() {
        let mut silver = live();
        silver.quota = Some(quota(100, Period::Month));
        silver.throttle = Some(throttle(10.0, 20));
        let plan = moved(silver, live());
        assert_eq!(plan.moves().len(), 1);
        assert_eq!(plan.summary().moves, 1);
        assert_eq!(plan.summary().keys, 2);
        assert_eq!(plan.summary().changes(), 1, "a move is one change");
        assert!(move_risks(&plan).is_empty());
        assert_eq!(plan.summary().destructive, 0);
    }

    #[test]
    fn a_key_moved_to_a_lower_quota_or_fewer_stages_is_destructive() {
        let mut silver = live();
        silver.quota = Some(quota(5000, Period::Month));
        silver.stages.insert(stage("beta"), MethodThrottles::new());
        let plan = moved(silver, live());
        assert_eq!(
            move_risks(&plan),
            [
                "key acme (3JX4KEY) moved from Silver to Gold: it loses pets/beta, its quota goes \
              from 5,000 per MONTH to 1,000 per MONTH"
            ]
        );
        assert_eq!(plan.summary().destructive, 1);
    }

    #[test]
    fn a_key_moved_to_a_plan_with_a_lower_method_throttle_on_a_kept_stage_is_destructive() {
        let mut gold = live();
        method_throttles(&mut gold, "prod").insert("/pets/GET".to_string(), throttle(5.0, 20));
        method_throttles(&mut gold, "prod").insert("/pets/POST".to_string(), throttle(1.0, 2));
        let plan = moved(live(), gold);
        assert_eq!(
            move_risks(&plan),
            [
                "key acme (3JX4KEY) moved from Silver to Gold: its throttle on GET /pets on \
              pets/prod goes from 10/s burst 20 to 5/s burst 20, its throttle on POST /pets on \
              pets/prod goes from 100/s burst 200 to 1/s burst 2"
            ]
        );
    }

    #[test]
    fn reasons_join_into_one_line() {
        assert_eq!(join_reasons(&[]), None);
        assert_eq!(join_reasons(&["a"]), Some("a".to_string()));
        assert_eq!(join_reasons(&["a", "b"]), Some("a; b".to_string()));
    }

    #[test]
    fn the_summary_counts_every_risk_by_class() {
        let mut after = live();
        after.quota = Some(quota(500, Period::Day));
        after.throttle = None;
        after.stages.clear();
        let mut entry = update(live(), after);
        entry.keys = vec![key(KeyAction::Remove, "9QZ1OLDKEY")];
        let summary = plan(vec![entry]).summary();
        assert_eq!((summary.destructive, summary.unbounded), (4, 1));
    }
}
