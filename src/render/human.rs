//! What both human views say about a plan: each entry's header and action lines (a
//! destructive one marked with its reason), and the closing line with the counts.

pub use crate::inert::printable;

use crate::diff::PatchOp;
use crate::model::Names;
use crate::model::StageRef;
use crate::plan::{
    format_day, join_reasons, ApiKeyEntry, ApiKeyTarget, DestructiveChanges, Effect, Impact,
    KeyAction, OrphanKind, Plan, PlanEntry, PlanRef, Site, Summary, Target, NEAR_PERCENT,
    RECENT_DAYS,
};

/// What follows a line that can refuse a live customer's requests, before its reason.
pub(super) const DESTRUCTIVE_MARKER: &str = "# destructive:";

/// What separates a line's words from its destructive marker.
pub(super) const MARKER_GAP: &str = "  ";

/// What starts each line that tells, under a change, what it does to the keys using the plan.
pub(super) const IMPACT_PREFIX: &str = "    ! ";

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
    /// Why the line can refuse a live customer's requests, when it can.
    pub destructive: Option<String>,
    /// What the line's change does to the keys using the plan (`plan --impact`), one
    /// sentence each.
    pub impact: Vec<String>,
}

impl ActionLine {
    fn new(tone: Tone, text: String) -> Self {
        ActionLine {
            tone,
            text,
            destructive: None,
            impact: Vec::new(),
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

    /// The line, marked destructive with `reasons` when there are any.
    fn marked(self, reasons: &[&str]) -> Self {
        ActionLine {
            destructive: join_reasons(reasons),
            ..self
        }
    }

    /// The marker that follows a destructive line: `# destructive: quota limit lowered from
    /// 1000 to 500`; `None` for any other line.
    pub fn marker(&self) -> Option<String> {
        let reason = self.destructive.as_ref()?;
        Some(format!("{DESTRUCTIVE_MARKER} {reason}"))
    }

    /// The line undecorated: its words, then its marker when it is destructive.
    pub fn plain(&self) -> String {
        match self.marker() {
            Some(marker) => format!("{}{MARKER_GAP}{marker}", self.text),
            None => self.text.clone(),
        }
    }

    /// The line undecorated, then its impact lines.
    pub fn plain_lines(&self) -> Vec<String> {
        std::iter::once(self.plain())
            .chain(self.impact_lines())
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
            let stages: Vec<String> = stages
                .iter()
                .map(|stage| stage_name(stage, names))
                .collect();
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

/// A stage as a person reads it: `pets/prod` where its REST API's name is known, else
/// `a1b2c3:prod`.
pub(super) fn stage_name(stage: &StageRef, names: &Names) -> String {
    match names.api(&stage.api_id) {
        Some(api) => printable(&format!("{api}/{}", stage.stage)).into_owned(),
        None => printable(&stage.to_string()).into_owned(),
    }
}

/// An integer with its thousands grouped: `250,000`.
pub(super) fn grouped(value: i64) -> String {
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

/// The header of an entry: `+ Trial (new plan)`, `~ Gold (ywbqww)`, or `! Bronze (brz001)`
/// for an entry shown only for attention.
pub(super) fn header(entry: &PlanEntry) -> String {
    let name = printable(&entry.name);
    match (entry.id(), entry.has_changes()) {
        (None, _) => format!("+ {name} (new plan)"),
        (Some(id), _) if entry.delete => format!("- {name} ({id}) orphaned"),
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
        ActionLine::new(Tone::Removed, "delete key".to_string()).marked(&[&format!(
            "API key {} deleted (orphaned): every request made with it is refused",
            key.name
        )]),
    ]
}

/// One line per orphan left alone: `usage plan Old (k2k2k2)`, `API key old (k3y)`.
pub(super) fn orphan_lines(plan: &Plan) -> Vec<String> {
    plan.orphans
        .iter()
        .map(|orphan| {
            let kind = match orphan.kind {
                OrphanKind::UsagePlan => "usage plan",
                OrphanKind::ApiKey => "API key",
            };
            let (name, id) = (printable(&orphan.item.name), printable(&orphan.item.id));
            format!("{kind} {name} ({id})")
        })
        .collect()
}

/// What introduces the orphans left alone.
pub(super) const ORPHANS_TITLE: &str =
    "Orphaned: owned by this target and no longer declared; `apply --prune` deletes them";

/// Everything that happens to an entry, in the order it is applied, then the pending grants;
/// the lines that can refuse a live customer's requests are marked with their reasons. Keys
/// and stages are named where `names` knows them.
pub(super) fn action_lines(
    entry: &PlanEntry,
    names: &Names,
    impacts: &[Impact],
) -> Vec<ActionLine> {
    let destructive = entry.destructive();
    let operation = |op: &PatchOp| {
        operation(op, &destructive, names)
            .with_impact(impacts, names, |site| site.marks_operation(op))
    };
    let mut lines = Vec::new();
    match &entry.target {
        Target::Create { tags, follow_up } => {
            lines.extend(tags.iter().map(|(key, value)| set_tag(key, value)));
            lines.extend(follow_up.iter().map(operation));
        }
        Target::Live { operations, .. } => lines.extend(operations.iter().map(operation)),
    }
    lines.extend(entry.keys.iter().map(|key| {
        let line = match key.action {
            KeyAction::Add => ActionLine::new(
                Tone::Added,
                format!("add key {}", printable(&names.key(&key.key_id))),
            ),
            KeyAction::Remove => ActionLine::new(
                Tone::Removed,
                format!("remove key {}", printable(&names.key(&key.key_id))),
            ),
        };
        line.marked(&destructive.reasons_for_key(key))
            .with_impact(impacts, names, |site| site.marks_key(key))
    }));
    if let Some(tags) = &entry.tags {
        lines.extend(tags.set.iter().map(|(key, value)| set_tag(key, value)));
        lines.extend(
            tags.remove.iter().map(|key| {
                ActionLine::new(Tone::Removed, format!("remove tag {}", printable(key)))
            }),
        );
    }
    lines.extend(entry.grants.iter().map(|grant| {
        ActionLine::new(
            Tone::Plain,
            format!(
                "grant {} to key {}: remaining = {}",
                grant.grant_id,
                printable(&names.key(&grant.key_id)),
                grant.remaining
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
                .marked(&destructive.reasons_for_deletion())
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

/// A patch operation as `replace /quota/limit = "1300"`, or `remove /throttle` without a value,
/// followed by the stage's name when it is about a stage whose API `names` knows
/// (`add /apiStages = "a1b2c3:prod" (pets/prod)`), marked when it carries out one of the
/// entry's `destructive` changes.
fn operation(op: &PatchOp, destructive: &DestructiveChanges, names: &Names) -> ActionLine {
    let path = printable(&op.path);
    let mut text = match &op.value {
        Some(value) => format!("{} {path} = {}", op.op, quote(value)),
        None => format!("{} {path}", op.op),
    };
    if let Some(stage) = stage_named(op, names) {
        text.push_str(&format!(" ({stage})"));
    }
    ActionLine::new(Tone::Plain, text)
        .marked(&destructive.reasons_for_operations(std::slice::from_ref(op)))
}

/// `pets/prod` for an operation on a stage of the REST API named `pets`: `add` and `remove
/// /apiStages` name the stage in their value, method throttles in their path.
fn stage_named(op: &PatchOp, names: &Names) -> Option<String> {
    let stage = match op.path.strip_prefix("/apiStages") {
        Some("") => op.value.as_deref()?,
        Some(rest) => rest.strip_prefix('/')?.split('/').next()?,
        None => return None,
    };
    let (api_id, stage) = stage.split_once(':')?;
    names.api(api_id)?;
    let stage = StageRef {
        api_id: api_id.to_string(),
        stage: stage.to_string(),
    };
    Some(stage_name(&stage, names))
}

/// The header of a declared key's entry: `+ API key acme (new)` or `~ API key acme (k3yacme)`.
pub(super) fn api_key_header(entry: &ApiKeyEntry) -> String {
    match entry.id() {
        None => format!("+ API key {} (new)", entry.key.name),
        Some(id) => format!("~ API key {} ({id})", entry.key.name),
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
                Some(variable) => format!("value from the environment variable {variable}"),
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
                ActionLine::new(Tone::Plain, text).marked(&reasons)
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

/// The closing line: `Plan: 1 to create, 3 to update, 2 keys, 1 grant, 1 tag change, 2
/// destructive; 620 unchanged, 1 unmanaged.`, or `No changes. 620 unchanged, 1 unmanaged.`.
///
/// Creates and updates are always counted; keys, grants, tag changes and destructive changes
/// only when there are some. Unchanged and unmanaged plans are always counted.
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
    format!("Plan: {}; {rest}", changes(&summary).join(", "))
}

/// The counted changes of the closing line, before the `;`.
fn changes(summary: &Summary) -> Vec<String> {
    let mut parts = vec![
        format!("{} to create", summary.create),
        format!("{} to update", summary.update),
    ];
    let optional = [
        (summary.delete, "to delete", "to delete"),
        (summary.api_keys, "API key change", "API key changes"),
        (summary.keys, "key", "keys"),
        (summary.grants, "grant", "grants"),
        (summary.tags, "tag change", "tag changes"),
        (summary.destructive, "destructive", "destructive"),
        (
            summary.impact,
            "change affects live keys",
            "changes affect live keys",
        ),
    ];
    parts.extend(
        optional
            .into_iter()
            .filter(|(count, _, _)| *count > 0)
            .map(|(count, one, many)| count_of(count, one, many)),
    );
    parts
}

/// `1 key`, `2 keys`.
pub fn count_of(count: usize, one: &str, many: &str) -> String {
    format!("{count} {}", if count == 1 { one } else { many })
}

/// `text` as a double-quoted string, escaped so that both YAML and JSON read it back.
pub(super) fn quote(text: &str) -> String {
    let mut quoted = String::with_capacity(text.len() + 2);
    quoted.push('"');
    for character in text.chars() {
        match character {
            '"' => quoted.push_str("\\\""),
            '\\' => quoted.push_str("\\\\"),
            '\n' => quoted.push_str("\\n"),
            '\r' => quoted.push_str("\\r"),
            '\t' => quoted.push_str("\\t"),
            control if control.is_control() => {
                quoted.push_str(&format!("\\u{:04x}", u32::from(control)));
            }
            other => quoted.push(other),
        }
    }
    quoted.push('"');
    quoted
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::fixtures;

    #[test]
    fn the_closing_line_counts_in_the_singular_and_the_plural() {
        assert_eq!(
            closing_line(&fixtures::every_change()),
            "Plan: 1 to create, 1 to update, 4 keys, 2 grants, 1 tag change, 3 destructive; 620 \
             unchanged, 1 unmanaged."
        );
        let mut plan = fixtures::every_change();
        plan.entries.retain(|entry| entry.name == "Silver");
        plan.unchanged = 1;
        plan.unmanaged.clear();
        assert_eq!(
            closing_line(&plan),
            "Plan: 0 to create, 0 to update, 1 key, 1 destructive; 1 unchanged, 0 unmanaged."
        );
    }

    #[test]
    fn destructive_lines_and_only_they_carry_a_marker_with_their_reason() {
        let plan = fixtures::every_change();
        let marked: Vec<(String, String)> = plan
            .entries
            .iter()
            .flat_map(|entry| action_lines(entry, &plan.names, &[]))
            .filter_map(|line| Some((line.text.clone(), line.marker()?)))
            .collect();
        assert_eq!(
            marked,
            [
                (
                    "replace /throttle/rateLimit = \"12.5\"".to_string(),
                    "# destructive: plan throttle rate lowered from 100 to 12.5 requests per \
                     second"
                        .to_string()
                ),
                (
                    "remove key 9QZ1OLDKEY".to_string(),
                    "# destructive: key 9QZ1OLDKEY removed: it loses access to the plan's stages"
                        .to_string()
                ),
                (
                    "remove key 5RT6GONE".to_string(),
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
        let line = line.marked(&["a", "b"]);
        assert_eq!(line.plain(), "remove key k1  # destructive: a; b");
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
