//! What both human views say about a plan: each entry's header and action lines, and the
//! closing line with the counts.

use super::body::quote;
use crate::diff::PatchOp;
use crate::plan::{BodyAction, KeyAction, Plan, PlanEntry, Summary};

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
}

impl ActionLine {
    fn new(tone: Tone, text: String) -> Self {
        ActionLine { tone, text }
    }
}

/// The header of an entry: `+ Trial (new plan)`, `~ Gold (ywbqww)`, or `! Bronze (brz001)`
/// for an entry shown only for attention.
pub(super) fn header(entry: &PlanEntry) -> String {
    match (&entry.id, entry.has_changes()) {
        (None, _) => format!("+ {} (new plan)", entry.name),
        (Some(id), true) => format!("~ {} ({id})", entry.name),
        (Some(id), false) => format!("! {} ({id})", entry.name),
    }
}

/// Everything that happens to an entry, in the order it is applied, then the pending grants.
pub(super) fn action_lines(entry: &PlanEntry) -> Vec<ActionLine> {
    let mut lines = Vec::new();
    match &entry.body {
        BodyAction::Unchanged => {}
        BodyAction::Create { tags, follow_up } => {
            lines.extend(tags.iter().map(|(key, value)| set_tag(key, value)));
            lines.extend(follow_up.iter().map(operation));
        }
        BodyAction::Update { operations } => lines.extend(operations.iter().map(operation)),
    }
    lines.extend(entry.keys.iter().map(|key| match key.action {
        KeyAction::Add => ActionLine::new(Tone::Added, format!("add key {}", key.key_id)),
        KeyAction::Remove => ActionLine::new(Tone::Removed, format!("remove key {}", key.key_id)),
    }));
    if let Some(tags) = &entry.tags {
        lines.extend(tags.set.iter().map(|(key, value)| set_tag(key, value)));
        lines.extend(
            tags.remove
                .iter()
                .map(|key| ActionLine::new(Tone::Removed, format!("remove tag {key}"))),
        );
    }
    lines.extend(entry.grants.iter().map(|grant| {
        ActionLine::new(
            Tone::Plain,
            format!(
                "grant {} to key {}: remaining = {}",
                grant.grant_id, grant.key_id, grant.remaining
            ),
        )
    }));
    lines.extend(entry.pending_grants.iter().map(|pending| {
        ActionLine::new(
            Tone::Warning,
            format!(
                "pending grant {} to key {}: an earlier apply stopped while applying it, so it \
                 is not applied again; check the key's usage, then rerun with \
                 --retry-pending-grants to apply it",
                pending.grant_id, pending.key_id
            ),
        )
    }));
    lines
}

/// A patch operation as `replace /quota/limit = "1300"`, or `remove /throttle` without a value.
fn operation(op: &PatchOp) -> ActionLine {
    let text = match &op.value {
        Some(value) => format!("{} {} = {}", op.op, op.path, quote(value)),
        None => format!("{} {}", op.op, op.path),
    };
    ActionLine::new(Tone::Plain, text)
}

/// A tag set on a plan: `set tag team = "payments"`.
fn set_tag(key: &str, value: &str) -> ActionLine {
    ActionLine::new(Tone::Plain, format!("set tag {key} = {}", quote(value)))
}

/// The closing line: `Plan: 1 to create, 3 to update, 2 keys, 1 grant, 1 tag change; 620
/// unchanged, 1 unmanaged.`, or `No changes. 620 unchanged, 1 unmanaged.`.
///
/// Creates and updates are always counted; keys, grants and tag changes only when there are
/// some. Unchanged and unmanaged plans are always counted.
pub(super) fn closing_line(plan: &Plan) -> String {
    let summary = plan.summary();
    let rest = format!(
        "{} unchanged, {} unmanaged.",
        summary.unchanged, summary.unmanaged
    );
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
        (summary.keys, "key", "keys"),
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
            "Plan: 1 to create, 1 to update, 4 keys, 2 grants, 1 tag change; 620 unchanged, \
             1 unmanaged."
        );
        let mut plan = fixtures::every_change();
        plan.entries.retain(|entry| entry.name == "Silver");
        plan.unchanged = 1;
        plan.unmanaged.clear();
        assert_eq!(
            closing_line(&plan),
            "Plan: 0 to create, 0 to update, 1 key; 1 unchanged, 0 unmanaged."
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
