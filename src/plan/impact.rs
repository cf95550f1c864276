//! What a plan's destructive changes do to the keys that use them (`plan --impact`), worked
//! out from the usage AWS recorded (GetUsage, one call per affected plan).
//!
//! - A quota added, its limit lowered or its period changed: each key whose use in the new
//!   quota's current period is at or within 10% of the new limit.
//! - A stage removed, a key association removed, or an orphan deleted (`--prune`): each key
//!   that sent requests in the last 7 days and, once the plan is applied, is on no plan that
//!   serves the stage. GetUsage does not split usage by stage, so a stage removal says "may
//!   lose".
//! - A throttle added or lowered: noted; GetUsage has no per-second figures, so nothing is read.
//!
//! Decided here from the plan, the usage read and the key associations read; the views only
//! show it. Pure: "today" is the day AWS's answers were dated, given by the caller.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use time::{Date, Duration, Month};

use super::{KeyAction, Plan, PlanEntry, RiskClass, Risks, Site};
use crate::diff::Field;
use crate::model::{LiveKeys, Period, Quota, StageRef};

/// How many days, today included, count as "recent" traffic.
pub const RECENT_DAYS: i64 = 7;

/// How close to the new limit, in percent of it, a key's use is worth a warning.
pub const NEAR_PERCENT: i64 = 10;

/// The usage read for an assessment: what GetUsage answered for each affected plan.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Usage {
    /// The day AWS counted as today (UTC) when the usage was read, `YYYY-MM-DD`.
    pub today: String,
    /// Per usage plan id, what GetUsage answered.
    pub plans: BTreeMap<String, PlanUsage>,
    /// The keys on the plans that gain a stage and whose keys the plan did not read
    /// ([`Plan::plans_needing_keys_for_impact`]), by plan id: read for the assessment.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub plan_keys: LiveKeys,
}

/// What GetUsage answered for one usage plan, from `start` to the day of the read.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PlanUsage {
    /// The first day read, `YYYY-MM-DD`.
    pub start: String,
    /// Per key on the plan, the requests it made each day from `start` on.
    pub keys: BTreeMap<String, Vec<i64>>,
}

/// One GetUsage call an assessment needs: the plan, and the first day to read up to today.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageRead {
    /// The usage plan's id.
    pub plan_id: String,
    /// The first day to read.
    pub start: Date,
}

/// What one destructive change does to a key, or to every request it throttles.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// The key's use in the new quota's current period is at or near the new limit.
    Quota {
        /// The API key's id.
        key_id: String,
        /// Requests the key made in the period so far.
        used: i64,
        /// The new limit.
        limit: i64,
        /// The first day of the period.
        since: Date,
        /// The day the period resets.
        resets: Date,
    },
    /// The key sent requests lately and ends up with no plan serving these stages.
    Access {
        /// The API key's id.
        key_id: String,
        /// Requests the key made through the plan in the last [`RECENT_DAYS`] days.
        requests: i64,
        /// The stages it loses, or may lose.
        stages: Vec<StageRef>,
        /// Whether it surely loses them (a key removed, a plan deleted), or may (a stage
        /// removed: the plan's usage is not split by stage).
        certain: bool,
    },
    /// A throttle added or lowered: requests above it are refused. Not measured.
    Throttle,
}

impl Effect {
    /// Whether the effect names a key that has used the plan (a throttle's does not).
    pub fn affects_keys(&self) -> bool {
        !matches!(self, Effect::Throttle)
    }

    /// The API key the effect is about; `None` for a throttle's.
    pub fn key_id(&self) -> Option<&str> {
        match self {
            Effect::Quota { key_id, .. } | Effect::Access { key_id, .. } => Some(key_id),
            Effect::Throttle => None,
        }
    }

    /// Whether the key's use is already at or over the new limit.
    pub fn over_limit(&self) -> bool {
        matches!(self, Effect::Quota { used, limit, .. } if used >= limit)
    }
}

/// What one destructive change of a plan does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Impact {
    /// The change.
    pub site: Site,
    /// What it does.
    pub effect: Effect,
}

/// The assessment of a plan: the impacts of each live plan's changes, by plan id.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Impacts {
    /// The usage the assessment was made from.
    pub usage: Usage,
    /// Per usage plan id, the impacts of its changes, in the order of its changes.
    pub by_plan: BTreeMap<String, Vec<Impact>>,
}

impl Impacts {
    /// The impacts of `entry`'s changes; none for a plan being created.
    pub fn of(&self, entry: &PlanEntry) -> &[Impact] {
        entry
            .id()
            .and_then(|id| self.by_plan.get(id))
            .map_or(&[], Vec::as_slice)
    }

    /// How many changes affect keys that have used the plans.
    pub fn changes_affecting_keys(&self) -> usize {
        self.by_plan
            .values()
            .map(|impacts| {
                let sites: BTreeSet<&Site> = impacts
                    .iter()
                    .filter(|impact| impact.effect.affects_keys())
                    .map(|impact| &impact.site)
                    .collect();
                sites.len()
            })
            .sum()
    }
}

/// `2026-12-03`.
pub fn format_day(day: Date) -> String {
    format!(
        "{:04}-{:02}-{:02}",
        day.year(),
        u8::from(day.month()),
        day.day()
    )
}

/// The day `YYYY-MM-DD`; `None` when the text is not one.
pub fn parse_day(text: &str) -> Option<Date> {
    let mut parts = text.splitn(3, '-');
    let year = parts.next()?.parse().ok()?;
    let month = Month::try_from(parts.next()?.parse::<u8>().ok()?).ok()?;
    let day = parts.next()?.parse().ok()?;
    Date::from_calendar_date(year, month, day).ok()
}

/// The first day of the period of `quota` that holds `today`, as AWS counts periods: a week
/// starts on the weekday `offset` (0 is Sunday), a month on its day `offset + 1` (UTC).
pub fn period_start(quota: &Quota, today: Date) -> Date {
    match quota.period {
        Period::Day => today,
        Period::Week => {
            let weekday = i64::from(today.weekday().number_days_from_sunday());
            today - Duration::days((weekday - quota.offset).rem_euclid(7))
        }
        Period::Month => {
            let first = u8::try_from(quota.offset + 1).unwrap_or(1);
            let this_month = Date::from_calendar_date(today.year(), today.month(), first);
            match this_month {
                Ok(start) if start <= today => start,
                _ => {
                    let month = today.month().previous();
                    let year = today.year() - i32::from(month == Month::December);
                    Date::from_calendar_date(year, month, first).unwrap_or(today)
                }
            }
        }
    }
}

/// The day after the period that starts on `start` ends.
pub fn period_end(quota: &Quota, start: Date) -> Date {
    match quota.period {
        Period::Day => start + Duration::days(1),
        Period::Week => start + Duration::days(7),
        Period::Month => {
            let month = start.month().next();
            let year = start.year() + i32::from(month == Month::January);
            Date::from_calendar_date(year, month, start.day()).unwrap_or(start)
        }
    }
}

/// Whether a destructive change takes stages away from keys.
fn takes_access(site: &Site) -> bool {
    matches!(
        site,
        Site::Field(Field::Stage(_)) | Site::KeyRemoval(_) | Site::Deletion
    )
}

impl Plan {
    /// The impacts of `entry`'s changes; none when not assessed or for a plan being created.
    pub fn impacts_of(&self, entry: &PlanEntry) -> &[Impact] {
        self.impact
            .as_ref()
            .map_or(&[], |impacts| impacts.of(entry))
    }

    /// The GetUsage calls `plan --impact` needs: one per live plan with a quota change or a
    /// change that takes stages away from keys, from the first day that matters (the new
    /// quota's period start, or [`RECENT_DAYS`] ago) to `today`. Throttle changes need none.
    pub fn usage_reads(&self, today: Date) -> Vec<UsageRead> {
        let recent_start = today - Duration::days(RECENT_DAYS - 1);
        self.entries
            .iter()
            .filter_map(|entry| {
                let id = entry.id()?;
                let risks = self.risks(entry);
                let sites = || {
                    risks
                        .of_class(RiskClass::Destructive)
                        .map(|risk| &risk.site)
                };
                let quota_start = sites()
                    .any(Site::is_quota)
                    .then_some(entry.after.quota.as_ref())
                    .flatten()
                    .map(|quota| period_start(quota, today));
                let access_start = sites().any(takes_access).then_some(recent_start);
                let start = [quota_start, access_start].into_iter().flatten().min()?;
                Some(UsageRead {
                    plan_id: id.to_string(),
                    start,
                })
            })
            .collect()
    }

    /// The live plans, among those the plan changes, whose keys an assessment needs and
    /// `live_keys` lacks: the plans that gain a stage (one could serve it to a key that loses
    /// it elsewhere), when a change takes stages away from keys.
    pub fn plans_needing_keys_for_impact(&self, live_keys: &LiveKeys) -> Vec<String> {
        let takes_any = self.entries.iter().any(|entry| {
            self.risks(entry)
                .of_class(RiskClass::Destructive)
                .any(|risk| takes_access(&risk.site))
        });
        if !takes_any {
            return Vec::new();
        }
        self.entries
            .iter()
            .filter(|entry| !entry.delete)
            .filter_map(|entry| {
                let (id, before) = (entry.id()?, entry.before()?);
                let gains = entry
                    .after
                    .stages
                    .keys()
                    .any(|stage| !before.stages.contains_key(stage));
                (gains && !live_keys.contains_key(id)).then(|| id.to_string())
            })
            .collect()
    }

    /// The impacts of the plan's destructive changes, from `usage` (read as
    /// [`Plan::usage_reads`] and [`Plan::plans_needing_keys_for_impact`] say) and the key
    /// associations read (`live_keys`), which tell which keys are on a plan and which other
    /// plan still serves a key a stage once the plan is applied.
    pub fn assess(&self, usage: Usage, live_keys: &LiveKeys) -> Impacts {
        let mut by_plan = BTreeMap::new();
        let Some(today) = parse_day(&usage.today) else {
            return Impacts { usage, by_plan };
        };
        let mut known_keys = live_keys.clone();
        known_keys.extend(usage.plan_keys.clone());
        let after = AfterApply::new(self, &known_keys);
        for entry in &self.entries {
            let Some(id) = entry.id() else { continue };
            let read = usage.plans.get(id).and_then(|read| {
                parse_day(&read.start).map(|start| KeyDays {
                    start,
                    keys: &read.keys,
                })
            });
            let on_plan = known_keys.get(id);
            let risks = self.risks(entry);
            let impacts = entry_impacts(entry, &risks, read.as_ref(), on_plan, today, &after);
            if !impacts.is_empty() {
                by_plan.insert(id.to_string(), impacts);
            }
        }
        Impacts { usage, by_plan }
    }
}

/// One plan's usage as read: requests per key per day from `start`.
struct KeyDays<'a> {
    start: Date,
    keys: &'a BTreeMap<String, Vec<i64>>,
}

impl KeyDays<'_> {
    /// Requests `days` made from `from` to the end of the read, saturating.
    fn since(&self, days: &[i64], from: Date) -> i64 {
        let skip = usize::try_from((from - self.start).whole_days()).unwrap_or(0);
        days.iter()
            .skip(skip)
            .fold(0_i64, |total, n| total.saturating_add(*n))
    }
}

/// The impacts of one live plan's destructive changes, in their order. `on_plan` holds the
/// keys read on the plan, when they were: GetUsage's keys not among them are left out.
fn entry_impacts(
    entry: &PlanEntry,
    risks: &Risks,
    read: Option<&KeyDays<'_>>,
    on_plan: Option<&BTreeSet<String>>,
    today: Date,
    after: &AfterApply<'_>,
) -> Vec<Impact> {
    let Some(plan_id) = entry.id() else {
        return Vec::new();
    };
    let is_on_plan = |key_id: &str| on_plan.is_none_or(|keys| keys.contains(key_id));
    let removed: BTreeSet<&str> = entry
        .keys
        .iter()
        .filter(|key| key.action == KeyAction::Remove)
        .map(|key| key.key_id.as_str())
        .collect();
    let recent_start = today - Duration::days(RECENT_DAYS - 1);
    let recent = |days: &[i64]| read.map_or(0, |read| read.since(days, recent_start));
    let live_stages: Vec<&StageRef> = entry.before().map_or(Vec::new(), |before| {
        before.stages.iter().map(|(stage, _)| stage).collect()
    });
    // The stages a key of this plan ends up without, among `stages`.
    let lost = |key_id: &str, stages: &[&StageRef]| -> Vec<StageRef> {
        stages
            .iter()
            .filter(|stage| !after.serves(key_id, stage, plan_id))
            .map(|stage| (*stage).clone())
            .collect()
    };
    let keys = read.map(|read| read.keys);
    let mut impacts = Vec::new();
    let mut quota_done = false;
    for item in risks.of_class(RiskClass::Destructive) {
        let effects: Vec<Effect> = match &item.site {
            site if site.is_quota() => {
                let (Some(read), Some(quota), false) = (read, &entry.after.quota, quota_done)
                else {
                    continue;
                };
                quota_done = true;
                let since = period_start(quota, today);
                let resets = period_end(quota, since);
                read.keys
                    .iter()
                    .filter(|(key_id, _)| is_on_plan(key_id) && !removed.contains(key_id.as_str()))
                    .map(|(key_id, days)| (key_id, read.since(days, since)))
                    .filter(|(_, used)| near_or_over(*used, quota.limit))
                    .map(|(key_id, used)| Effect::Quota {
                        key_id: key_id.clone(),
                        used,
                        limit: quota.limit,
                        since,
                        resets,
                    })
                    .collect()
            }
            // A deleted plan's stage removals are told once, on its deletion.
            Site::Field(Field::Stage(_)) if entry.delete => Vec::new(),
            Site::Field(Field::Stage(stage)) => keys
                .into_iter()
                .flatten()
                .filter(|(key_id, _)| is_on_plan(key_id) && !removed.contains(key_id.as_str()))
                .filter_map(|(key_id, days)| {
                    let stages = lost(key_id, &[stage]);
                    access(key_id, recent(days), stages, false)
                })
                .collect(),
            Site::KeyRemoval(key_id) => keys
                .and_then(|keys| keys.get(key_id))
                .and_then(|days| access(key_id, recent(days), lost(key_id, &live_stages), true))
                .into_iter()
                .collect(),
            Site::Field(_) => vec![Effect::Throttle],
            Site::Deletion => keys
                .into_iter()
                .flatten()
                .filter(|(key_id, _)| is_on_plan(key_id))
                .filter_map(|(key_id, days)| {
                    access(key_id, recent(days), lost(key_id, &live_stages), true)
                })
                .collect(),
        };
        impacts.extend(effects.into_iter().map(|effect| Impact {
            site: item.site.clone(),
            effect,
        }));
    }
    impacts
}

/// Whether `used` is at, over, or within [`NEAR_PERCENT`] of `limit`.
fn near_or_over(used: i64, limit: i64) -> bool {
    i128::from(used) * 100 >= i128::from(limit) * i128::from(100 - NEAR_PERCENT)
}

/// The access effect on a key with `requests` lately that loses `stages`; none when it made
/// no request or loses nothing.
fn access(key_id: &str, requests: i64, stages: Vec<StageRef>, certain: bool) -> Option<Effect> {
    (requests > 0 && !stages.is_empty()).then(|| Effect::Access {
        key_id: key_id.to_string(),
        requests,
        stages,
        certain,
    })
}

/// Which keys the plans with changes serve which stages once the plan is applied.
struct AfterApply<'a> {
    /// Per plan with changes (not deleted), its stages and its keys after the apply.
    plans: Vec<(&'a str, BTreeSet<&'a StageRef>, BTreeSet<&'a str>)>,
}

impl<'a> AfterApply<'a> {
    fn new(plan: &'a Plan, live_keys: &'a LiveKeys) -> AfterApply<'a> {
        let plans = plan
            .entries
            .iter()
            .filter(|entry| !entry.delete)
            .map(|entry| {
                let id = entry.id().unwrap_or("");
                let stages = entry.after.stages.iter().map(|(stage, _)| stage).collect();
                let mut keys: BTreeSet<&str> = live_keys
                    .get(id)
                    .map(|keys| keys.iter().map(String::as_str).collect())
                    .unwrap_or_default();
                for change in &entry.keys {
                    match change.action {
                        KeyAction::Add => keys.insert(change.key_id.as_str()),
                        KeyAction::Remove => keys.remove(change.key_id.as_str()),
                    };
                }
                (id, stages, keys)
            })
            .collect();
        AfterApply { plans }
    }

    /// Whether a plan other than `losing` serves `stage` to `key_id` once the plan is applied.
    /// Only plans with changes can: AWS puts a key on one plan per stage, so a plan that does
    /// not change cannot serve a stage the key had through `losing`.
    fn serves(&self, key_id: &str, stage: &StageRef, losing: &str) -> bool {
        self.plans.iter().any(|(id, stages, keys)| {
            *id != losing && stages.contains(stage) && keys.contains(key_id)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> Date {
        parse_day(text).expect("a day")
    }

    fn quota(period: Period, offset: i64) -> Quota {
        Quota {
            limit: 100,
            offset,
            period,
        }
    }

    #[test]
    fn days_read_and_print_as_yyyy_mm_dd() {
        assert_eq!(format_day(day("2026-02-03")), "2026-02-03");
        for bad in ["2026-02-30", "2026-13-01", "2026-02", "26-02-03x", ""] {
            assert_eq!(parse_day(bad), None, "{bad}");
        }
    }

    #[test]
    fn periods_start_and_reset_as_aws_counts_them() {
        // 2026-12-03 is a Thursday.
        let today = day("2026-12-03");
        let cases = [
            (quota(Period::Day, 0), "2026-12-03", "2026-12-04"),
            (quota(Period::Week, 0), "2026-11-29", "2026-12-06"),
            (quota(Period::Week, 4), "2026-12-03", "2026-12-10"),
            (quota(Period::Week, 5), "2026-11-27", "2026-12-04"),
            (quota(Period::Month, 0), "2026-12-01", "2027-01-01"),
            (quota(Period::Month, 2), "2026-12-03", "2027-01-03"),
            (quota(Period::Month, 9), "2026-11-10", "2026-12-10"),
        ];
        for (quota, start, resets) in cases {
            let got = period_start(&quota, today);
            assert_eq!(format_day(got), start, "{quota:?}");
            assert_eq!(format_day(period_end(&quota, got)), resets, "{quota:?}");
        }
        // January's period with a late offset began in December of the year before.
        let january = period_start(&quota(Period::Month, 27), day("2027-01-05"));
        assert_eq!(format_day(january), "2026-12-28");
    }

    #[test]
    fn near_means_within_ten_percent_of_the_limit() {
        assert!(!near_or_over(899, 1000));
        assert!(near_or_over(900, 1000));
        assert!(near_or_over(1000, 1000));
        assert!(near_or_over(5, 0), "any use is over a limit of 0");
        assert!(near_or_over(i64::MAX, i64::MAX));
    }
}
