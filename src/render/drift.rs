//! Drift told plainly, for the scheduled check: one line per drifted plan and field, saying
//! what AWS holds and what the YAML declares, and where (`Silver: quota limit is 250,000
//! live, 100,000 in plans/silver.yaml:6`), so that an issue opened from the output reads
//! without the diff.

use std::collections::BTreeSet;

use super::human::{effect_sentence, grouped, orphan_clears, printable, quote};
use crate::diff::{Field, MethodRef};
use crate::model::{
    format_number, DesiredPlan, LineColumn, PlanBody, Quota, SourceLocation, StageRef, Throttle,
};
use crate::plan::{
    join_reasons, reasons_of, KeyAction, OrphanKind, Plan, PlanEntry, RiskClass, Site, Target,
};

/// One drifted field: what differs and where the YAML declares it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldChange {
    /// What it is about: the plan's declared name, or `API key NAME`.
    pub subject: String,
    /// What differs: `quota limit is 250,000 live, 100,000`.
    pub what: String,
    /// What the plan will do about it: `will lower Silver's quota limit from 250,000 to
    /// 100,000`.
    pub planned: String,
    /// Where the YAML declares it (the field's key, or the plan's name for a field not
    /// written and for a stage or key removed); `None` for an orphan, declared nowhere.
    pub at: Option<SourceLocation>,
    /// Why the change can refuse live customers' requests, when it can.
    pub destructive: Option<String>,
    /// Why the change leaves use unlimited, when it does.
    pub unbounded: Option<String>,
    /// What the change does to the keys using the plan (`plan --impact`), one sentence each.
    pub impact: Vec<String>,
}

impl FieldChange {
    /// The drift line: `Silver: quota limit is 250,000 live, 100,000 in plans/silver.yaml:6`.
    pub fn line(&self) -> String {
        let mut line = format!("{}: {}", printable(&self.subject), self.what);
        if let Some(at) = &self.at {
            line.push_str(&format!(" in {}:{}", printable(&at.path), at.line));
        }
        line
    }
}

/// The drift lines of `plan`, whose declared plans are `desired`.
pub fn drift_lines(plan: &Plan, desired: &[DesiredPlan]) -> Vec<String> {
    field_changes(plan, desired)
        .iter()
        .map(FieldChange::line)
        .collect()
}

/// The changes of `plan`, whose declared plans are `desired`, one per field that differs:
/// the declared keys first, then per plan in field order.
pub fn field_changes(plan: &Plan, desired: &[DesiredPlan]) -> Vec<FieldChange> {
    let mut changes = Vec::new();
    for key in plan.api_keys.iter().filter(|key| key.has_changes()) {
        let name = printable(&key.key.name);
        changes.push(FieldChange {
            subject: format!("API key {}", key.key.name),
            what: match key.id() {
                None => "not live; declared".to_string(),
                Some(id) => format!("differs live ({}); declared", printable(id)),
            },
            planned: match key.id() {
                None => format!("will create API key {name}"),
                Some(id) => format!("will update API key {name} ({})", printable(id)),
            },
            at: Some(key.key.location.clone()),
            destructive: key.destructive(),
            unbounded: None,
            impact: Vec::new(),
        });
    }
    for entry in plan.entries.iter().filter(|entry| entry.has_changes()) {
        let declared = desired.iter().find(|plan| plan.body.name == entry.name);
        match declared.filter(|_| !entry.delete) {
            Some(declared) => plan_changes(plan, entry, declared, &mut changes),
            None => changes.push(FieldChange {
                subject: entry.name.clone(),
                what: format!(
                    "orphaned ({}), no longer declared; deleted by --prune",
                    printable(entry.id().unwrap_or_default())
                ),
                planned: format!(
                    "will delete the orphaned usage plan {} ({})",
                    printable(&entry.name),
                    printable(entry.id().unwrap_or_default())
                ),
                at: None,
                destructive: risk_reason(plan, entry, RiskClass::Destructive, &|_| true),
                unbounded: None,
                impact: impact_sentences(plan, entry, &|_| true),
            }),
        }
    }
    for key in &plan.deleted_keys {
        changes.push(FieldChange {
            subject: format!("API key {}", key.name),
            what: format!(
                "orphaned ({}), no longer declared; deleted by --prune",
                printable(&key.id)
            ),
            planned: format!(
                "will delete the orphaned API key {} ({})",
                printable(&key.name),
                printable(&key.id)
            ),
            at: None,
            destructive: Some(format!(
                "API key {} deleted (orphaned): every request made with it is refused",
                printable(&key.name)
            )),
            unbounded: None,
            impact: Vec::new(),
        });
    }
    changes.extend(orphans_left(plan));
    changes
}

/// One line per orphan left alone (not deleted by this plan), saying how it clears.
fn orphans_left(plan: &Plan) -> impl Iterator<Item = FieldChange> + '_ {
    plan.orphans.iter().map(|orphan| FieldChange {
        subject: match orphan.kind {
            OrphanKind::UsagePlan => orphan.item.name.clone(),
            OrphanKind::ApiKey => format!("API key {}", orphan.item.name),
        },
        what: format!(
            "orphaned ({}), owned by this target and no longer declared: {}",
            printable(&orphan.item.id),
            orphan_clears(orphan.kind)
        ),
        planned: format!(
            "will leave the orphaned {} {} ({}) alone: {}",
            match orphan.kind {
                OrphanKind::UsagePlan => "usage plan",
                OrphanKind::ApiKey => "API key",
            },
            printable(&orphan.item.name),
            printable(&orphan.item.id),
            orphan_clears(orphan.kind)
        ),
        at: None,
        destructive: None,
        unbounded: None,
        impact: Vec::new(),
    })
}

/// The reasons, joined, of `entry`'s risks of `class` whose site `relevant` accepts.
fn risk_reason(
    plan: &Plan,
    entry: &PlanEntry,
    class: RiskClass,
    relevant: &dyn Fn(&Site) -> bool,
) -> Option<String> {
    let risks = plan.risks(entry);
    join_reasons(&reasons_of(&risks.at(relevant), class))
}

/// What the plan will do about a field of the plan `subject` that is `live` in AWS and
/// `yaml` in the YAML, in the reviewer's words: `will lower Gold's quota limit from 1,000,000
/// to 100,000`, `will remove key initech from Gold`.
fn planned(subject: &str, what: &str, live: &str, yaml: &str) -> String {
    let subject = printable(subject);
    match (live, yaml) {
        ("absent", "present") => format!("will add {what} to {subject}"),
        ("present", "absent") => format!("will remove {what} from {subject}"),
        ("not applied", _) => format!("will apply {what} on {subject}"),
        ("different or absent", value) => format!("will set {what} on {subject} to {value}"),
        ("not live", _) => format!("will create the usage plan {subject}"),
        (live, "none") => format!("will remove {subject}'s {what} ({live})"),
        ("none", yaml) => format!("will set {subject}'s {what} to {yaml}"),
        _ => {
            let (old, new) = (amounts(live), amounts(yaml));
            let comparable = !old.is_empty() && old.len() == new.len();
            let pairs = || old.iter().zip(&new);
            let verb = if comparable && pairs().all(|(o, n)| n <= o) && pairs().any(|(o, n)| n < o)
            {
                "lower"
            } else if comparable && pairs().all(|(o, n)| n >= o) && pairs().any(|(o, n)| n > o) {
                "raise"
            } else {
                "change"
            };
            format!("will {verb} {subject}'s {what} from {live} to {yaml}")
        }
    }
}

/// The numbers a value shows: `[250000]` for `250,000`, `[10, 20]` for `10/s, burst 20`;
/// none for text.
fn amounts(shown: &str) -> Vec<f64> {
    if shown.starts_with('"') {
        return Vec::new();
    }
    shown
        .split(", burst")
        .map(|part| part.trim().trim_end_matches("/s").replace(',', ""))
        .map_while(|part| part.parse().ok())
        .collect()
}

/// The impact sentences of `entry`'s changes whose site `relevant` accepts.
fn impact_sentences(
    plan: &Plan,
    entry: &PlanEntry,
    relevant: &dyn Fn(&Site) -> bool,
) -> Vec<String> {
    plan.impacts_of(entry)
        .iter()
        .filter(|impact| relevant(&impact.site))
        .map(|impact| effect_sentence(&impact.effect, &plan.names))
        .collect()
}

/// The changes of one declared plan's entry.
fn plan_changes(
    plan: &Plan,
    entry: &PlanEntry,
    declared: &DesiredPlan,
    changes: &mut Vec<FieldChange>,
) {
    let names = &plan.names;
    let fields = &declared.fields;
    let at = |field: Option<LineColumn>| {
        let mut at = declared.location.clone();
        if let Some(field) = field {
            (at.line, at.column) = (field.line, field.column);
        }
        at
    };
    let before = match &entry.target {
        Target::Create { .. } => {
            changes.push(FieldChange {
                subject: entry.name.clone(),
                what: "not live; declared".to_string(),
                planned: planned(&entry.name, "", "not live", ""),
                at: Some(at(None)),
                destructive: None,
                unbounded: None,
                impact: Vec::new(),
            });
            return;
        }
        Target::Live { before, .. } => before,
    };
    let after = &entry.after;
    let of_field =
        |is: fn(&Field) -> bool| move |site: &Site| matches!(site, Site::Field(field) if is(field));
    let none = |_: &Site| false;
    // A field that differs, with the reasons and impact of the changes `sites` accepts.
    let field =
        |what: String, live: String, yaml: String, written, sites: &dyn Fn(&Site) -> bool| {
            (live != yaml).then(|| FieldChange {
                subject: entry.name.clone(),
                planned: planned(&entry.name, &what, &live, &yaml),
                what: format!("{what} is {live} live, {yaml}"),
                at: Some(at(written)),
                destructive: risk_reason(plan, entry, RiskClass::Destructive, sites),
                unbounded: risk_reason(plan, entry, RiskClass::Unbounded, sites),
                impact: impact_sentences(plan, entry, sites),
            })
        };
    changes.extend(field(
        "name".into(),
        quote(&before.name),
        quote(&after.name),
        None,
        &none,
    ));
    changes.extend(field(
        "description".into(),
        quote(&before.description),
        quote(&after.description),
        fields.description,
        &none,
    ));
    let code = |body: &PlanBody| body.product_code.as_deref().map_or("none".into(), quote);
    changes.extend(field(
        "product code".into(),
        code(before),
        code(after),
        fields.product_code,
        &none,
    ));
    // A block that stays is told part by part; one that appears or goes away, as one line.
    if before.throttle.is_some() && after.throttle.is_some() {
        for (what, part, is) in THROTTLE_PARTS {
            let value = |body: &PlanBody| body.throttle.as_ref().map_or("none".into(), part);
            changes.extend(field(
                what.into(),
                value(before),
                value(after),
                fields.throttle,
                &of_field(is),
            ));
        }
    } else {
        let value = |body: &PlanBody| body.throttle.as_ref().map_or("none".into(), throttle_text);
        changes.extend(field(
            "throttle".into(),
            value(before),
            value(after),
            fields.throttle,
            &of_field(|field| {
                matches!(
                    field,
                    Field::Throttle | Field::ThrottleRate | Field::ThrottleBurst
                )
            }),
        ));
    }
    if before.quota.is_some() && after.quota.is_some() {
        for (what, part, is) in QUOTA_PARTS {
            let value = |body: &PlanBody| body.quota.as_ref().map_or("none".into(), part);
            changes.extend(field(
                what.into(),
                value(before),
                value(after),
                fields.quota,
                &of_field(is),
            ));
        }
    } else {
        let value = |body: &PlanBody| body.quota.as_ref().map_or("none".into(), quota_text);
        changes.extend(field(
            "quota".into(),
            value(before),
            value(after),
            fields.quota,
            &of_field(Field::is_quota),
        ));
    }
    // `pets/prod (a1b2c3)` where the API's name is known, `a1b2c3:prod` otherwise.
    let stage_name = |stage: &StageRef| match names.api(&stage.api_id) {
        Some(_) => format!("{} ({})", names.stage(stage), printable(&stage.api_id)),
        None => names.stage(stage),
    };
    for (stage, throttles) in before.stages.iter() {
        let removed =
            |site: &Site| matches!(site, Site::Field(Field::Stage(gone)) if gone == stage);
        let Some(declared) = after.stages.get(stage) else {
            // A removed stage points at the plan: its line is gone from the YAML.
            changes.extend(field(
                format!("stage {}", stage_name(stage)),
                "present".into(),
                "absent".into(),
                None,
                &removed,
            ));
            continue;
        };
        let methods: BTreeSet<&String> = throttles.keys().chain(declared.keys()).collect();
        for method in methods {
            let this = MethodRef {
                stage: stage.clone(),
                key: method.clone(),
            };
            let lowered =
                |site: &Site| matches!(site, Site::Field(field) if field.method() == Some(&this));
            changes.extend(field(
                format!(
                    "method throttle {} on stage {}",
                    printable(method),
                    stage_name(stage)
                ),
                method_throttle(throttles.get(method)),
                method_throttle(declared.get(method)),
                fields.api_stages,
                &lowered,
            ));
        }
    }
    for stage in after.stages.keys() {
        if before.stages.get(stage).is_none() {
            changes.extend(field(
                format!("stage {}", stage_name(stage)),
                "absent".into(),
                "present".into(),
                fields.api_stages,
                &none,
            ));
        }
    }
    for key in &entry.keys {
        let key_name = printable(&names.key(&key.key_id)).into_owned();
        let removed = |site: &Site| matches!(site, Site::KeyRemoval(gone) if *gone == key.key_id);
        let (live, yaml, written) = match key.action {
            KeyAction::Add => ("absent", "present", fields.keys),
            KeyAction::Remove => ("present", "absent", None),
        };
        let mut line = field(
            format!("key {key_name}"),
            live.into(),
            yaml.into(),
            written,
            &removed,
        );
        if let (Some(line), Some(moved)) = (&mut line, plan.move_of(entry, key)) {
            line.planned = format!(
                "will move key {key_name} from {} to {}",
                printable(&moved.from.name),
                printable(&moved.to.name)
            );
            // A move's risk and impact are the removal's, on the plan the key leaves.
            line.destructive = risk_reason(plan, moved.from, RiskClass::Destructive, &removed);
            line.impact = impact_sentences(plan, moved.from, &removed);
        }
        changes.extend(line);
    }
    if let Some(tags) = &entry.tags {
        for (tag, value) in &tags.set {
            changes.extend(field(
                format!("tag {}", printable(tag)),
                "different or absent".into(),
                quote(value),
                fields.tags,
                &none,
            ));
        }
        for tag in &tags.remove {
            changes.extend(field(
                format!("tag {}", printable(tag)),
                "present".into(),
                "absent".into(),
                fields.tags,
                &none,
            ));
        }
    }
    for grant in &entry.grants {
        changes.extend(field(
            format!("grant {}", printable(&grant.grant_id)),
            "not applied".into(),
            "declared".into(),
            fields.keys,
            &none,
        ));
    }
}

/// A whole throttle as a line shows it: `10/s, burst 20`.
fn throttle_text(throttle: &Throttle) -> String {
    format!(
        "{}/s, burst {}",
        format_number(throttle.rate_limit),
        grouped(throttle.burst_limit)
    )
}

/// A whole quota as a line shows it: `100,000 per MONTH`, `5,000 per WEEK, offset 1`.
fn quota_text(quota: &Quota) -> String {
    match quota.offset {
        0 => format!("{} per {}", grouped(quota.limit), quota.period),
        offset => format!(
            "{} per {}, offset {offset}",
            grouped(quota.limit),
            quota.period
        ),
    }
}

/// A method throttle as a line shows it: `10/s, burst 20`, or `none`.
fn method_throttle(throttle: Option<&Throttle>) -> String {
    throttle.map_or("none".into(), throttle_text)
}

/// A part of a block a line is about: its words, its value as the line shows it, and the
/// fields whose risks its line carries.
type Part<T> = (&'static str, fn(&T) -> String, fn(&Field) -> bool);

/// The parts of a throttle a line is about.
const THROTTLE_PARTS: [Part<Throttle>; 2] = [
    (
        "throttle rate",
        |throttle| format!("{}/s", format_number(throttle.rate_limit)),
        |field| matches!(field, Field::Throttle | Field::ThrottleRate),
    ),
    (
        "throttle burst",
        |throttle| grouped(throttle.burst_limit),
        |field| *field == Field::ThrottleBurst,
    ),
];

/// The parts of a quota a line is about.
const QUOTA_PARTS: [Part<Quota>; 3] = [
    (
        "quota limit",
        |quota| grouped(quota.limit),
        |field| matches!(field, Field::Quota | Field::QuotaLimit),
    ),
    (
        "quota period",
        |quota| quota.period.as_str().to_string(),
        |field| *field == Field::QuotaPeriod,
    ),
    (
        "quota offset",
        |quota| quota.offset.to_string(),
        |field| *field == Field::QuotaOffset,
    ),
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Period;
    use crate::reconcile::{build_plan, match_plans, PlanOptions};

    /// The plans of `yaml`, loaded from a file `plans/silver.yaml` in a scratch folder.
    fn decode_plans(yaml: &str) -> (tempfile::TempDir, Vec<DesiredPlan>) {
        let dir = tempfile::tempdir().expect("a scratch folder");
        let plans = dir.path().join("plans");
        std::fs::create_dir(&plans).expect("plans/");
        std::fs::write(plans.join("silver.yaml"), yaml).expect("the YAML");
        let loaded = crate::spec::load(&[plans.join("silver.yaml")]).expect("valid");
        (dir, loaded.plans)
    }

    /// The drift lines of `desired` against one live plan `silver0001` with `live_body`.
    fn lines_against(desired: &[DesiredPlan], live_body: PlanBody) -> Vec<String> {
        let live = [crate::model::LivePlan {
            id: "silver0001".into(),
            body: live_body,
            tags: Default::default(),
        }];
        let matching = match_plans(desired, &live).expect("matches");
        let plan = build_plan(
            "us-east-1",
            desired,
            &live,
            &matching,
            &Default::default(),
            &PlanOptions::default(),
        );
        drift_lines(&plan, desired)
    }

    #[test]
    fn a_rename_by_id_is_a_line_of_its_own() {
        let (dir, desired) =
            decode_plans("usagePlans:\n  - name: Silver Plus\n    id: silver0001\n");
        let live_body = PlanBody {
            name: "Silver".into(),
            ..PlanBody::default()
        };
        let file = dir.path().join("plans/silver.yaml").display().to_string();
        assert_eq!(
            lines_against(&desired, live_body),
            [format!(
                "Silver Plus: name is \"Silver\" live, \"Silver Plus\" in {file}:2"
            )]
        );
    }

    #[test]
    fn the_verb_follows_every_number_a_value_shows() {
        let words = |live, yaml| planned("Gold", "method throttle GET /pets", live, yaml);
        assert_eq!(
            words("40/s, burst 80", "50/s, burst 80"),
            "will raise Gold's method throttle GET /pets from 40/s, burst 80 to 50/s, burst 80"
        );
        assert_eq!(
            words("40/s, burst 80", "50/s, burst 20"),
            "will change Gold's method throttle GET /pets from 40/s, burst 80 to 50/s, burst 20"
        );
        assert_eq!(
            planned("Gold", "quota limit", "1,000,000", "100,000"),
            "will lower Gold's quota limit from 1,000,000 to 100,000"
        );
        assert_eq!(
            planned("Gold", "description", "\"1\"", "\"2\""),
            "will change Gold's description from \"1\" to \"2\""
        );
    }

    #[test]
    fn a_block_that_appears_or_goes_away_is_one_line() {
        let (dir, desired) = decode_plans(
            "usagePlans:\n  - name: Silver\n    quota: { limit: 100000, period: MONTH }\n",
        );
        let file = dir.path().join("plans/silver.yaml").display().to_string();
        let live_body = PlanBody {
            name: "Silver".into(),
            throttle: Some(Throttle {
                rate_limit: 12.5,
                burst_limit: 20,
            }),
            ..PlanBody::default()
        };
        assert_eq!(
            lines_against(&desired, live_body),
            [
                format!("Silver: throttle is 12.5/s, burst 20 live, none in {file}:2"),
                format!("Silver: quota is none live, 100,000 per MONTH in {file}:3"),
            ]
        );
    }

    #[test]
    fn thousands_are_grouped() {
        assert_eq!(grouped(250_000), "250,000");
        assert_eq!(grouped(1_000_000), "1,000,000");
        assert_eq!(grouped(999), "999");
        assert_eq!(grouped(0), "0");
    }

    #[test]
    fn each_drifted_field_is_one_line_at_its_place_in_the_yaml() {
        let (dir, desired) = decode_plans(
            "# Small businesses.\nusagePlans:\n  - name: Silver\n    description: Small businesses\n    throttle: { rateLimit: 20, burstLimit: 40 }\n    quota: { limit: 100000, period: MONTH }\n    apiStages:\n      - { apiId: a1, stage: prod }\n",
        );
        let mut live_body = desired[0].body.clone();
        live_body.quota = Some(Quota {
            limit: 250_000,
            offset: 0,
            period: Period::Month,
        });
        live_body.description = "set by hand".into();
        live_body.stages.insert(
            crate::model::StageRef {
                api_id: "a1".into(),
                stage: "beta".into(),
            },
            Default::default(),
        );
        let file = dir.path().join("plans/silver.yaml").display().to_string();
        assert_eq!(
            lines_against(&desired, live_body),
            [
                format!(
                    "Silver: description is \"set by hand\" live, \"Small businesses\" in {file}:4"
                ),
                format!("Silver: quota limit is 250,000 live, 100,000 in {file}:6"),
                format!("Silver: stage a1:beta is present live, absent in {file}:3"),
            ]
        );
    }

    #[test]
    fn each_drifted_method_throttle_is_a_line_with_both_values() {
        let (dir, desired) = decode_plans(
            "usagePlans:\n  - name: Silver\n    throttle: { rateLimit: 50, burstLimit: 100 }\n    apiStages:\n      - apiId: a1\n        stage: prod\n        throttle:\n          /pets/GET: { rateLimit: 10, burstLimit: 20 }\n          /pets/POST: { rateLimit: 1, burstLimit: 2 }\n",
        );
        let mut live_body = desired[0].body.clone();
        let throttles = live_body
            .stages
            .iter_mut()
            .next()
            .map(|(_, throttles)| throttles)
            .expect("a stage");
        throttles.insert(
            "/pets/GET".into(),
            Throttle {
                rate_limit: 12.5,
                burst_limit: 20,
            },
        );
        throttles.remove("/pets/POST");
        throttles.insert(
            "/pets/DELETE".into(),
            Throttle {
                rate_limit: 2.0,
                burst_limit: 4,
            },
        );
        let file = dir.path().join("plans/silver.yaml").display().to_string();
        assert_eq!(
            lines_against(&desired, live_body),
            [
                format!(
                    "Silver: method throttle /pets/DELETE on stage a1:prod is 2/s, burst 4 live, none in {file}:4"
                ),
                format!(
                    "Silver: method throttle /pets/GET on stage a1:prod is 12.5/s, burst 20 live, 10/s, burst 20 in {file}:4"
                ),
                format!(
                    "Silver: method throttle /pets/POST on stage a1:prod is none live, 1/s, burst 2 in {file}:4"
                ),
            ]
        );
    }
}
