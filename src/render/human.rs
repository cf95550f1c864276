//! What both human views say about a plan: each entry's header and action lines, one per
//! change in the YAML's names (a risky one marked with its class and reasons), and the
//! closing line with the counts.

pub use crate::inert::{printable, quote};

use crate::diff::{body_changes, Field, FieldChange, MethodRef, PatchOp, Value};
use crate::model::{format_number, Names, PlanBody, OWNER_TAG};
pub(super) use crate::plan::grouped;
use crate::plan::{
    format_day, join_reasons, reasons_of, ApiKeyEntry, ApiKeyTarget, Effect, Impact, KeyAction,
    OrphanKind, Plan, PlanEntry, PlanRef, Risk, RiskClass, Site, Summary, Target, NEAR_PERCENT,
    RECENT_DAYS,
};

/// What separates a line's words from its destructive marker.
pub(super) const MARKER_GAP: &str = "  ";

/// What starts each line that tells, under a change, what it does to the keys using the plan.
pub(super) const IMPACT_PREFIX: &str = "    ! ";

/// What starts each patch operation shown under a change with `-v`.
pub(super) const OPERATION_PREFIX: &str = "    = ";

/// How an action line is meant to be read, for the views that decorate it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Tone {
    /// An operation or a change that is neither an addition nor a removal.
    Plain,
    /// Something is added.
    Added,
    /// Something is removed.
    Removed,
    /// Something needs the user's attention and is not done.
    Warning,
}

/// One line saying what happens to a plan (or what needs attention).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct ActionLine {
    /// How the line is meant to be read.
    pub tone: Tone,
    /// The words.
    pub text: String,
    /// The line's risks: per class, its reasons joined, destructive first.
    pub risks: Vec<(RiskClass, String)>,
    /// What the line's change does to the keys using the plan (`plan --impact`), one
    /// sentence each.
    pub impact: Vec<String>,
    /// The patch operations that carry the change out, shown with `-v`.
    pub operations: Vec<String>,
}

impl ActionLine {
    fn new(tone: Tone, text: String) -> Self {
        ActionLine {
            tone,
            text,
            risks: Vec::new(),
            impact: Vec::new(),
            operations: Vec::new(),
        }
    }

    /// The line with the sentences of the `impacts` whose change `marks` says it carries out.
    fn with_impact(self, impacts: &[Impact], names: &Names, marks: impl Fn(&Site) -> bool) -> Self {
        let impact = impacts
            .iter()
            .filter(|impact| marks(&impact.site))
            .map(|impact| effect_sentence(&impact.effect, names))
            .collect();
        ActionLine { impact, ..self }
    }

    /// The line's impact sentences, each as a line of its own under it.
    pub fn impact_lines(&self) -> impl Iterator<Item = String> + '_ {
        self.impact
            .iter()
            .map(|sentence| format!("{IMPACT_PREFIX}{sentence}"))
    }

    /// The patch operations of the line's change (`-v`), each as a line of its own under it.
    pub fn operation_lines(&self) -> impl Iterator<Item = String> + '_ {
        self.operations
            .iter()
            .map(|operation| format!("{OPERATION_PREFIX}{operation}"))
    }

    /// The line, marked with the reasons of `risks`, class by class.
    fn marked(self, risks: &[&Risk]) -> Self {
        let risks = [RiskClass::Destructive, RiskClass::Unbounded]
            .into_iter()
            .filter_map(|class| Some((class, join_reasons(&reasons_of(risks, class))?)))
            .collect();
        ActionLine { risks, ..self }
    }

    /// The line, marked as `class` with `reasons` when there are any.
    fn marked_as(mut self, class: RiskClass, reasons: &[&str]) -> Self {
        self.risks
            .extend(join_reasons(reasons).map(|joined| (class, joined)));
        self
    }

    /// The marker that follows a risky line: `# destructive: quota limit lowered from 1,000 to
    /// 500`, `# unbounded: ...`, both when both; `None` for any other line.
    pub fn marker(&self) -> Option<String> {
        let markers: Vec<String> = self
            .risks
            .iter()
            .map(|(class, reasons)| format!("# {}: {reasons}", class.as_str()))
            .collect();
        (!markers.is_empty()).then(|| markers.join(MARKER_GAP))
    }

    /// The line undecorated: its words, then its marker when it is risky.
    pub fn plain(&self) -> String {
        match self.marker() {
            Some(marker) => format!("{}{MARKER_GAP}{marker}", self.text),
            None => self.text.clone(),
        }
    }

    /// The line undecorated, then its impact lines and its operations.
    pub fn plain_lines(&self) -> Vec<String> {
        std::iter::once(self.plain())
            .chain(self.impact_lines())
            .chain(self.operation_lines())
            .collect()
    }
}

/// What a change does to a key (or to every request, for a throttle), in one sentence.
pub(super) fn effect_sentence(effect: &Effect, names: &Names) -> String {
    match effect {
        Effect::Quota {
            key_id,
            used,
            limit,
            since,
            resets,
        } => {
            let key = printable(&names.key(key_id)).into_owned();
            let (used_text, limit_text) = (grouped(*used), grouped(*limit));
            let since = format_day(*since);
            let resets = format_day(*resets);
            if effect.over_limit() {
                format!(
                    "key {key} has used {used_text} requests since {since}, at or over the new \
                     limit of {limit_text}: refused until the quota resets on {resets}"
                )
            } else {
                format!(
                    "key {key} has used {used_text} requests since {since}, within \
                     {NEAR_PERCENT}% of the new limit of {limit_text} (the quota resets on \
                     {resets})"
                )
            }
        }
        Effect::Access {
            key_id,
            requests,
            stages,
            certain,
        } => {
            let key = printable(&names.key(key_id)).into_owned();
            let stages: Vec<String> = stages.iter().map(|stage| names.stage(stage)).collect();
            let stages = stages.join(", ");
            let requests = grouped(*requests);
            let traffic = format!(
                "it made {requests} requests through this plan in the last {RECENT_DAYS} days"
            );
            if *certain {
                format!("key {key} loses {stages}: {traffic}")
            } else {
                format!(
                    "key {key} may lose {stages}: {traffic}, on any of its stages (AWS does not \
                     count usage by stage)"
                )
            }
        }
        Effect::Throttle => "requests above the new limit are refused with 429 Too Many \
                             Requests; not measured, as AWS counts no usage per second"
            .to_string(),
    }
}

/// The header of an entry: `+ Trial (new plan)`, `~ Gold (ywbqww)`, `~ Legacy (abc123,
/// matched by name)` for a plan declared without `id:` that differs, or `! Bronze (brz001)`
/// for an entry shown only for attention.
pub(super) fn header(entry: &PlanEntry) -> String {
    let name = printable(&entry.name);
    match (entry.id().map(printable), entry.has_changes()) {
        (None, _) => format!("+ {name} (new plan)"),
        (Some(id), _) if entry.delete => format!("- {name} ({id}) orphaned"),
        (Some(id), true) if entry.matched_by_name => format!("~ {name} ({id}, matched by name)"),
        (Some(id), true) => format!("~ {name} ({id})"),
        (Some(id), false) if entry.pending_grants.is_empty() => {
            format!("= {name} ({id}) bookkeeping only")
        }
        (Some(id), false) => format!("! {name} ({id})"),
    }
}

/// The header of an orphaned key `--prune` deletes: `- API key old (k3y) orphaned`.
pub(super) fn deleted_key_header(key: &PlanRef) -> String {
    format!(
        "- API key {} ({}) orphaned",
        printable(&key.name),
        printable(&key.id)
    )
}

/// What happens to an orphaned key `--prune` deletes.
pub(super) fn deleted_key_lines(key: &PlanRef) -> Vec<ActionLine> {
    vec![
        ActionLine::new(Tone::Removed, "delete key".to_string()).marked_as(
            RiskClass::Destructive,
            &[&format!(
                "API key {} deleted (orphaned): every request made with it is refused",
                printable(&key.name)
            )],
        ),
    ]
}

/// One line per orphan left alone, saying how it clears: `usage plan Old (k2k2k2): `apply
/// --prune` deletes it; removing its `tollgate:owner` tag releases it`.
pub(super) fn orphan_lines(plan: &Plan) -> Vec<String> {
    plan.orphans
        .iter()
        .map(|orphan| {
            let kind = match orphan.kind {
                OrphanKind::UsagePlan => "usage plan",
                OrphanKind::ApiKey => "API key",
            };
            let (name, id) = (printable(&orphan.item.name), printable(&orphan.item.id));
            format!("{kind} {name} ({id}): {}", orphan_clears(orphan.kind))
        })
        .collect()
}

/// How an orphan left alone stops being one: pruned, or released by removing its owner tag.
pub(super) fn orphan_clears(kind: OrphanKind) -> String {
    let prune = match kind {
        OrphanKind::UsagePlan => "`apply --prune` deletes it",
        OrphanKind::ApiKey => {
            "`apply --prune` deletes it once no plan that the apply leaves alone has it"
        }
    };
    format!("{prune}; removing its `{OWNER_TAG}` tag releases it")
}

/// What introduces the orphans left alone.
pub(super) const ORPHANS_TITLE: &str = "Orphaned: owned by this target and no longer declared";

/// Everything that happens to an entry, one line per change in the names the YAML uses
/// (`quota.limit  100,000 → 150,000 per MONTH`, `+ stage pets/beta`, `move key acme from
/// Silver`), in the order it is applied, then the pending grants. A risky line is marked with
/// its reasons; with `verbose`, each body change is followed by the patch operations that
/// carry it out.
pub(super) fn action_lines(plan: &Plan, entry: &PlanEntry, verbose: bool) -> Vec<ActionLine> {
    let names = &plan.names;
    let impacts = plan.impacts_of(entry);
    let risks = plan.risks(entry);
    let mut lines = Vec::new();
    let field_lines = |changes: Vec<FieldChange>, with_operations: bool| {
        changes
            .into_iter()
            .map(|change| {
                let field_risks = risks.for_field(&change.field);
                let site = Site::Field(change.field.clone());
                let mut line = field_line(&change, entry, names)
                    .marked(&field_risks)
                    .with_impact(impacts, names, |at| *at == site);
                if with_operations {
                    line.operations = change.operations().iter().map(operation).collect();
                }
                line
            })
            .collect::<Vec<_>>()
    };
    match &entry.target {
        Target::Create { tags, .. } => {
            let empty = PlanBody {
                name: entry.after.name.clone(),
                ..PlanBody::default()
            };
            lines.extend(field_lines(body_changes(&empty, &entry.after), false));
            lines.extend(tags.iter().map(|(key, value)| set_tag(key, value)));
        }
        Target::Live { before, .. } if entry.update().is_some() => {
            lines.extend(field_lines(body_changes(before, &entry.after), verbose));
        }
        Target::Live { .. } => {}
    }
    for key in &entry.keys {
        let key_name = printable(&names.key(&key.key_id)).into_owned();
        let moved = plan.move_of(entry, key);
        let line = match (key.action, moved) {
            (KeyAction::Add, None) => ActionLine::new(Tone::Added, format!("+ key {key_name}")),
            (KeyAction::Add, Some(moved)) => ActionLine::new(
                Tone::Plain,
                format!("move key {key_name} from {}", printable(&moved.from.name)),
            )
            .marked(&plan.risks(moved.from).for_key(&key.key_id)),
            (KeyAction::Remove, None) => {
                ActionLine::new(Tone::Removed, format!("- key {key_name}"))
                    .marked(&risks.for_key(&key.key_id))
            }
            (KeyAction::Remove, Some(moved)) => ActionLine::new(
                Tone::Plain,
                format!(
                    "key {key_name} moves to {} (shown there)",
                    printable(&moved.to.name)
                ),
            ),
        };
        // A move's risk and impact are the removal's, on the plan the key leaves, and are
        // shown on the move's line, under the plan it joins.
        let impacts = match (key.action, moved) {
            (KeyAction::Add, Some(moved)) => plan.impacts_of(moved.from),
            (KeyAction::Remove, Some(_)) => &[],
            (_, None) => impacts,
        };
        let site = Site::KeyRemoval(key.key_id.clone());
        lines.push(line.with_impact(impacts, names, |at| *at == site));
    }
    if let Some(tags) = &entry.tags {
        lines.extend(tags.set.iter().map(|(key, value)| set_tag(key, value)));
        lines.extend(
            tags.remove.iter().map(|key| {
                ActionLine::new(Tone::Removed, format!("remove tag {}", printable(key)))
            }),
        );
    }
    lines.extend(entry.grants.iter().map(|grant| {
        let period = entry
            .after
            .quota
            .map(|quota| format!(" this {}", quota.period))
            .unwrap_or_default();
        let key = names
            .key_name(&grant.key_id)
            .map_or_else(|| grant.key_id.clone(), str::to_string);
        ActionLine::new(
            Tone::Plain,
            format!(
                "grant {}: {}'s remaining quota{period} set to {}",
                printable(&grant.grant_id),
                printable(&key),
                grouped(grant.remaining)
            ),
        )
    }));
    if let Some(bookkeeping) = &entry.bookkeeping {
        lines.extend(bookkeeping.set.iter().map(|(key, value)| {
            ActionLine::new(
                Tone::Plain,
                format!("bookkeeping: set tag {key} = {}", quote(value)),
            )
        }));
        lines.extend(bookkeeping.remove.iter().map(|key| {
            ActionLine::new(
                Tone::Plain,
                format!("bookkeeping: remove the record {key} of a grant no longer declared"),
            )
        }));
    }
    if entry.delete {
        lines.push(
            ActionLine::new(Tone::Removed, "delete usage plan".to_string())
                .marked(&risks.at(|site| *site == Site::Deletion))
                .with_impact(impacts, names, |site| *site == Site::Deletion),
        );
    }
    lines.extend(entry.settled.iter().map(|settled| {
        let text = match settled.carried_out {
            true => "its key's usage shows it was carried out: bookkeeping, record it as applied",
            false => "its key's usage shows it was not carried out: it is sent again",
        };
        ActionLine::new(
            Tone::Plain,
            format!(
                "pending grant {} to key {}: {text}",
                printable(&settled.grant_id),
                printable(&names.key(&settled.key_id))
            ),
        )
    }));
    lines.extend(entry.pending_grants.iter().map(|pending| {
        ActionLine::new(
            Tone::Warning,
            format!(
                "pending grant {} to key {}: an earlier apply stopped while applying it, and \
                 {}, so it is not applied again; check the key's usage, then rerun with \
                 --retry-pending-grants to apply it",
                pending.grant_id,
                printable(&names.key(&pending.key_id)),
                printable(&pending.why.to_string())
            ),
        )
    }));
    lines
}

/// One typed change as a reviewer reads it: `+ stage pets/beta`, `quota.limit  100,000 →
/// 150,000 per MONTH`, `throttle on pets/prod GET /pets  40/s → 50/s`.
fn field_line(change: &FieldChange, entry: &PlanEntry, names: &Names) -> ActionLine {
    let quota_period = entry
        .after
        .quota
        .map(|quota| format!(" per {}", quota.period))
        .unwrap_or_default();
    let subject = match &change.field {
        Field::Name => "name".to_string(),
        Field::Description => "description".to_string(),
        Field::ProductCode => "productCode".to_string(),
        Field::Quota => "quota".to_string(),
        Field::QuotaLimit => "quota.limit".to_string(),
        Field::QuotaPeriod => "quota.period".to_string(),
        Field::QuotaOffset => "quota.offset".to_string(),
        Field::Throttle => "throttle".to_string(),
        Field::ThrottleRate => "throttle.rateLimit".to_string(),
        Field::ThrottleBurst => "throttle.burstLimit".to_string(),
        Field::Stage(stage) => format!("stage {}", names.stage(stage)),
        Field::MethodThrottle(method) | Field::MethodRate(method) => {
            format!("throttle on {}", method_name(method, names))
        }
        Field::MethodBurst(method) => format!("throttle burst on {}", method_name(method, names)),
    };
    let shown = |value: &Value| match (&change.field, value) {
        (Field::QuotaLimit, Value::Count(limit)) => format!("{}{quota_period}", grouped(*limit)),
        (_, value) => value_text(value),
    };
    let is_stage = matches!(change.field, Field::Stage(_));
    let with = |sign: &str, value: &Value| match is_stage {
        true => format!("{sign} {subject}"),
        false => format!("{sign} {subject}  {}", shown(value)),
    };
    match (&change.before, &change.after) {
        (None, Some(after)) => ActionLine::new(Tone::Added, with("+", after)),
        (Some(before), None) => ActionLine::new(Tone::Removed, with("-", before)),
        (Some(before), Some(after)) => {
            let before = match (&change.field, before) {
                (Field::QuotaLimit, Value::Count(limit)) => grouped(*limit),
                (_, value) => value_text(value),
            };
            ActionLine::new(
                Tone::Plain,
                format!("{subject}  {before} → {}", shown(after)),
            )
        }
        (None, None) => ActionLine::new(Tone::Plain, subject),
    }
}

/// `pets/prod GET /pets`.
fn method_name(method: &MethodRef, names: &Names) -> String {
    let (resource, verb) = method.resource_and_method();
    format!(
        "{} {} {}",
        names.stage(&method.stage),
        printable(verb),
        printable(resource)
    )
}

/// A field's value as a reviewer reads it: `100,000 per MONTH`, `40/s, burst 80`, `"text"`.
fn value_text(value: &Value) -> String {
    match value {
        Value::Text(text) => quote(text),
        Value::Count(count) => grouped(*count),
        Value::Rate(rate) => format!("{}/s", format_number(*rate)),
        Value::Period(period) => period.to_string(),
        Value::Quota(quota) if quota.offset == 0 => {
            format!("{} per {}", grouped(quota.limit), quota.period)
        }
        Value::Quota(quota) => format!(
            "{} per {}, offset {}",
            grouped(quota.limit),
            quota.period,
            quota.offset
        ),
        Value::Throttle(throttle) => format!(
            "{}/s, burst {}",
            format_number(throttle.rate_limit),
            grouped(throttle.burst_limit)
        ),
    }
}

/// A patch operation as it is sent: `replace /quota/limit = "1300"`, or `remove /throttle`
/// without a value.
fn operation(op: &PatchOp) -> String {
    let path = printable(&op.path);
    match &op.value {
        Some(value) => format!("{} {path} = {}", op.op, quote(value)),
        None => format!("{} {path}", op.op),
    }
}

/// The header of a declared key's entry: `+ API key acme (new)` or `~ API key acme (k3yacme)`.
pub(super) fn api_key_header(entry: &ApiKeyEntry) -> String {
    let name = printable(&entry.key.name);
    match entry.id().map(printable) {
        None => format!("+ API key {name} (new)"),
        Some(id) => format!("~ API key {name} ({id})"),
    }
}

/// What happens to a declared key: for a key to create, what it is created with (never a
/// value: only where it comes from); for a live key, its operations (disabling it marked
/// destructive) and tag changes.
pub(super) fn api_key_lines(entry: &ApiKeyEntry) -> Vec<ActionLine> {
    let key = &entry.key;
    let mut lines = Vec::new();
    match &entry.target {
        ApiKeyTarget::Create { .. } => {
            let mut what = vec![if key.enabled { "enabled" } else { "disabled" }.to_string()];
            if !key.description.is_empty() {
                what.push(format!("description {}", quote(&key.description)));
            }
            if !key.customer_id.is_empty() {
                what.push(format!("customerId {}", quote(&key.customer_id)));
            }
            lines.push(ActionLine::new(
                Tone::Added,
                format!("create key: {}", what.join(", ")),
            ));
            let value = match &key.value_from {
                Some(variable) => format!(
                    "value from the environment variable {}",
                    printable(variable)
                ),
                None => "value generated by AWS".to_string(),
            };
            lines.push(ActionLine::new(Tone::Plain, value));
            let tags = key.tags.iter().flatten();
            lines.extend(tags.map(|(name, value)| set_tag(name, value)));
        }
        ApiKeyTarget::Live { operations, .. } => {
            let disabling = entry.destructive();
            lines.extend(operations.iter().map(|op| {
                let text = format!(
                    "{} {} = {}",
                    op.op,
                    op.path,
                    quote(op.value.as_deref().unwrap_or_default())
                );
                let reasons: Vec<&str> = disabling
                    .iter()
                    .filter(|_| op.path == "/enabled")
                    .map(String::as_str)
                    .collect();
                ActionLine::new(Tone::Plain, text).marked_as(RiskClass::Destructive, &reasons)
            }));
        }
    }
    if let Some(tags) = &entry.tags {
        lines.extend(tags.set.iter().map(|(name, value)| set_tag(name, value)));
        lines.extend(
            tags.remove.iter().map(|name| {
                ActionLine::new(Tone::Removed, format!("remove tag {}", printable(name)))
            }),
        );
    }
    lines
}

/// A tag set on a plan: `set tag team = "payments"`.
fn set_tag(key: &str, value: &str) -> ActionLine {
    let key = printable(key);
    ActionLine::new(Tone::Plain, format!("set tag {key} = {}", quote(value)))
}

/// The closing line: `Plan: 7 changes (1 to create, 1 to update, 2 keys, 1 key move, 2
/// grants, 1 tag change), 3 destructive, 1 unbounded; 620 unchanged, 1 unmanaged.`, or `No
/// changes. 620 unchanged, 1 unmanaged.`.
///
/// Changes are counted in one unit ([`Summary::changes`]), the one apply's closing line
/// counts; creates and updates are always listed, the other kinds only when there are some.
/// Risky changes and changes affecting live keys follow when there are some. Unchanged and
/// unmanaged plans are always counted.
pub(super) fn closing_line(plan: &Plan) -> String {
    let summary = plan.summary();
    let mut rest = format!(
        "{} unchanged, {} unmanaged",
        summary.unchanged, summary.unmanaged
    );
    for (count, what) in [
        (summary.orphaned, "orphaned"),
        (summary.bookkeeping, "bookkeeping only"),
    ] {
        if count > 0 {
            rest.push_str(&format!(", {count} {what}"));
        }
    }
    rest.push('.');
    if !plan.has_changes() {
        return format!("No changes. {rest}");
    }
    let mut counted = vec![format!(
        "{} ({})",
        count_of(summary.changes(), "change", "changes"),
        kinds(&summary).join(", ")
    )];
    counted.extend(risks(&summary));
    format!("Plan: {}; {rest}", counted.join(", "))
}

/// The kinds of changes of the closing line, inside its parentheses.
fn kinds(summary: &Summary) -> Vec<String> {
    let mut parts = vec![
        format!("{} to create", summary.create),
        format!("{} to update", summary.plan_updates),
    ];
    let optional = [
        (summary.delete, "to delete", "to delete"),
        (summary.api_keys, "API key change", "API key changes"),
        (summary.keys - 2 * summary.moves, "key", "keys"),
        (summary.moves, "key move", "key moves"),
        (summary.grants, "grant", "grants"),
        (summary.tags, "tag change", "tag changes"),
    ];
    parts.extend(
        optional
            .into_iter()
            .filter(|(count, _, _)| *count > 0)
            .map(|(count, one, many)| count_of(count, one, many)),
    );
    parts
}

/// The risky changes and those affecting live keys, when there are some.
fn risks(summary: &Summary) -> Vec<String> {
    [
        (summary.destructive, "destructive", "destructive"),
        (summary.unbounded, "unbounded", "unbounded"),
        (
            summary.impact,
            "change affects live keys",
            "changes affect live keys",
        ),
    ]
    .into_iter()
    .filter(|(count, _, _)| *count > 0)
    .map(|(count, one, many)| count_of(count, one, many))
    .collect()
}

/// `1 key`, `2 keys`.
pub fn count_of(count: usize, one: &str, many: &str) -> String {
    format!("{count} {}", if count == 1 { one } else { many })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::fixtures;

    #[test]
    fn the_closing_line_counts_in_the_singular_and_the_plural() {
        assert_eq!(
            closing_line(&fixtures::every_change()),
            "Plan: 9 changes (1 to create, 1 to update, 4 keys, 2 grants, 1 tag change), 3 \
             destructive, 1 unbounded; 620 unchanged, 1 unmanaged."
        );
        let mut plan = fixtures::every_change();
        plan.entries.retain(|entry| entry.name == "Silver");
        plan.unchanged = 1;
        plan.unmanaged.clear();
        assert_eq!(
            closing_line(&plan),
            "Plan: 1 change (0 to create, 0 to update, 1 key), 1 destructive; 1 unchanged, 0 \
             unmanaged."
        );
    }

    #[test]
    fn risky_lines_and_only_they_carry_a_marker_with_their_class_and_reason() {
        let plan = fixtures::every_change();
        let marked: Vec<(String, String)> = plan
            .entries
            .iter()
            .flat_map(|entry| action_lines(&plan, entry, false))
            .filter_map(|line| Some((line.text.clone(), line.marker()?)))
            .collect();
        assert_eq!(
            marked,
            [
                (
                    "- throttle on a1b2c3:prod POST /pets  5/s, burst 10".to_string(),
                    "# unbounded: method throttle POST /pets on a1b2c3:prod of 5 requests per \
                     second, burst 10, removed: only the plan throttle caps its requests"
                        .to_string()
                ),
                (
                    "throttle.rateLimit  100/s → 12.5/s".to_string(),
                    "# destructive: plan throttle rate lowered from 100 to 12.5 requests per \
                     second"
                        .to_string()
                ),
                (
                    "- key 9QZ1OLDKEY".to_string(),
                    "# destructive: key 9QZ1OLDKEY removed: it loses access to the plan's stages"
                        .to_string()
                ),
                (
                    "- key 5RT6GONE".to_string(),
                    "# destructive: key 5RT6GONE removed: it loses access to the plan's stages"
                        .to_string()
                ),
            ]
        );
    }

    #[test]
    fn a_plain_line_ends_with_its_marker() {
        let line = ActionLine::new(Tone::Removed, "remove key k1".to_string());
        assert_eq!(line.plain(), "remove key k1");
        let line = line.marked_as(RiskClass::Destructive, &["a", "b"]);
        assert_eq!(line.plain(), "remove key k1  # destructive: a; b");
        let line = line.marked_as(RiskClass::Unbounded, &["c"]);
        assert_eq!(
            line.plain(),
            "remove key k1  # destructive: a; b  # unbounded: c"
        );
    }

    #[test]
    fn nothing_to_do_says_no_changes_even_with_a_pending_grant() {
        assert_eq!(
            closing_line(&fixtures::no_change()),
            "No changes. 620 unchanged, 1 unmanaged."
        );
        let mut plan = fixtures::every_change();
        plan.entries.retain(|entry| !entry.has_changes());
        assert_eq!(plan.entries.len(), 1);
        assert!(closing_line(&plan).starts_with("No changes. "));
    }

    #[test]
    fn headers_mark_creates_changes_and_attention() {
        let plan = fixtures::every_change();
        let headers: Vec<String> = plan.entries.iter().map(header).collect();
        assert_eq!(
            headers,
            [
                "! Bronze (brz001)",
                "~ Gold (ywbqww)",
                "~ Silver (slv777)",
                "+ Trial (new plan)"
            ]
        );
    }
}
