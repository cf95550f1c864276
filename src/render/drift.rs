//! Drift told plainly, for the scheduled check: one line per drifted plan and field, saying
//! what AWS holds and what the YAML declares, and where (`Silver: quota limit is 250,000
//! live, 100,000 in plans/silver.yaml:6`), so that an issue opened from the output reads
//! without the diff.

use super::human::printable;
use crate::model::{
    format_number, DesiredPlan, LineColumn, Names, PlanBody, Quota, SourceLocation, Throttle,
};
use crate::plan::{KeyAction, Plan, Target};

/// The drift lines of `plan`, whose declared plans are `desired`: per plan with changes, one
/// line per field that differs, in field order.
pub fn drift_lines(plan: &Plan, desired: &[DesiredPlan]) -> Vec<String> {
    let mut lines = Vec::new();
    for key in plan.api_keys.iter().filter(|key| key.has_changes()) {
        let at = place(&key.key.location, None);
        let what = match key.id() {
            None => "not live".to_string(),
            Some(id) => format!("differs live ({id})"),
        };
        lines.push(format!(
            "API key {}: {what}; declared in {at}",
            printable(&key.key.name)
        ));
    }
    for entry in plan.entries.iter().filter(|entry| entry.has_changes()) {
        let name = printable(&entry.name);
        let declared = desired.iter().find(|plan| plan.body.name == entry.name);
        let Some(declared) = declared else {
            lines.push(format!(
                "{name}: orphaned ({}), no longer declared; deleted by --prune",
                entry.id().unwrap_or_default()
            ));
            continue;
        };
        let fields = &declared.fields;
        let at = |field: Option<LineColumn>| place(&declared.location, field);
        let before = match &entry.target {
            Target::Create { .. } => {
                lines.push(format!("{name}: not live; declared in {}", at(None)));
                continue;
            }
            Target::Live { before, .. } => before,
        };
        let after = &entry.after;
        let mut field = |what: String, live: String, yaml: String, written| {
            if live != yaml {
                lines.push(format!(
                    "{name}: {what} is {live} live, {yaml} in {}",
                    at(written)
                ));
            }
        };
        field(
            "description".into(),
            quoted(&before.description),
            quoted(&after.description),
            fields.description,
        );
        let code = |body: &PlanBody| body.product_code.as_deref().map_or("none".into(), quoted);
        field(
            "product code".into(),
            code(before),
            code(after),
            fields.product_code,
        );
        for (what, part) in THROTTLE_PARTS {
            let value = |body: &PlanBody| body.throttle.as_ref().map_or("none".into(), part);
            field(what.into(), value(before), value(after), fields.throttle);
        }
        for (what, part) in QUOTA_PARTS {
            let value = |body: &PlanBody| body.quota.as_ref().map_or("none".into(), part);
            field(what.into(), value(before), value(after), fields.quota);
        }
        stage_lines(before, after, &plan.names, fields.api_stages, &mut field);
        for key in &entry.keys {
            let key_name = printable(&plan.names.key(&key.key_id)).into_owned();
            let (live, yaml) = match key.action {
                KeyAction::Add => ("absent", "present"),
                KeyAction::Remove => ("present", "absent"),
            };
            field(
                format!("key {key_name}"),
                live.into(),
                yaml.into(),
                fields.keys,
            );
        }
        if let Some(tags) = &entry.tags {
            for (tag, value) in &tags.set {
                field(
                    format!("tag {}", printable(tag)),
                    "different or absent".into(),
                    quoted(value),
                    fields.tags,
                );
            }
            for tag in &tags.remove {
                field(
                    format!("tag {}", printable(tag)),
                    "present".into(),
                    "absent".into(),
                    fields.tags,
                );
            }
        }
        for grant in &entry.grants {
            field(
                format!("grant {}", printable(&grant.grant_id)),
                "not applied".into(),
                "declared".into(),
                fields.keys,
            );
        }
    }
    lines
}

/// The lines of the stages added or removed, and of the stages whose method throttles differ.
fn stage_lines(
    before: &PlanBody,
    after: &PlanBody,
    names: &Names,
    written: Option<LineColumn>,
    field: &mut impl FnMut(String, String, String, Option<LineColumn>),
) {
    let stage_name = |stage: &crate::model::StageRef| match names.api(&stage.api_id) {
        Some(api) => format!("{}/{} ({})", printable(api), stage.stage, stage.api_id),
        None => stage.to_string(),
    };
    for (stage, throttles) in before.stages.iter() {
        match after.stages.get(stage) {
            None => field(
                format!("stage {}", stage_name(stage)),
                "present".into(),
                "absent".into(),
                written,
            ),
            Some(declared) if declared != throttles => field(
                format!("method throttles of stage {}", stage_name(stage)),
                "different".into(),
                "as declared".into(),
                written,
            ),
            Some(_) => {}
        }
    }
    for stage in after.stages.keys() {
        if before.stages.get(stage).is_none() {
            field(
                format!("stage {}", stage_name(stage)),
                "absent".into(),
                "present".into(),
                written,
            );
        }
    }
}

/// A part of a block a line is about: its words, and its value as the line shows it.
type Part<T> = (&'static str, fn(&T) -> String);

/// The parts of a throttle a line is about.
const THROTTLE_PARTS: [Part<Throttle>; 2] = [
    ("throttle rate", |throttle| {
        format!("{}/s", format_number(throttle.rate_limit))
    }),
    ("throttle burst", |throttle| grouped(throttle.burst_limit)),
];

/// The parts of a quota a line is about.
const QUOTA_PARTS: [Part<Quota>; 3] = [
    ("quota limit", |quota| grouped(quota.limit)),
    ("quota period", |quota| quota.period.as_str().to_string()),
    ("quota offset", |quota| quota.offset.to_string()),
];

/// `FILE:LINE` of a field, or of the plan when the field is not written.
fn place(plan: &SourceLocation, field: Option<LineColumn>) -> String {
    let line = field.map_or(plan.line, |field| field.line);
    format!("{}:{line}", printable(&plan.path))
}

/// A string as the line shows it: quoted and inert.
fn quoted(text: &str) -> String {
    format!("\"{}\"", printable(text))
}

/// An integer with its thousands grouped: `250,000`.
fn grouped(value: i64) -> String {
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
        let live = [crate::model::LivePlan {
            id: "silver0001".into(),
            body: live_body,
            tags: Default::default(),
        }];
        let matching = match_plans(&desired, &live).expect("matches");
        let plan = build_plan(
            "us-east-1",
            &desired,
            &live,
            &matching,
            &Default::default(),
            &PlanOptions::default(),
        );
        let file = dir.path().join("plans/silver.yaml").display().to_string();
        assert_eq!(
            drift_lines(&plan, &desired),
            [
                format!(
                    "Silver: description is \"set by hand\" live, \"Small businesses\" in {file}:4"
                ),
                format!("Silver: quota limit is 250,000 live, 100,000 in {file}:6"),
                format!("Silver: stage a1:beta is present live, absent in {file}:7"),
            ]
        );
    }
}
