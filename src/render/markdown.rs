//! The Markdown view, for a pull-request comment: the summary first, a table of the plans
//! with something to do or to show, a collapsed section per such plan with one line per
//! change, and the unmanaged plans in a collapsed list. Destructive and unbounded changes
//! are announced under the summary, counted per plan in the table, and marked
//! `# destructive:` or `# unbounded:` with their reasons on their lines.
//!
//! A comment longer than GitHub allows is shortened by whole pieces, never inside a fence:
//! first the per-plan sections from the end, then the table rows, then the unmanaged names,
//! each with a notice saying what was left out.

use super::human::{
    action_lines, api_key_header, api_key_lines, closing_line, count_of, deleted_key_header,
    deleted_key_lines, header, orphan_lines, printable, ActionLine, ORPHANS_TITLE,
};
use crate::diff::body_changes;
use crate::plan::{Plan, PlanEntry, PlanRef, RiskClass, Target};

/// GitHub's limit on the length of a comment, in characters.
pub const MAX_COMMENT_CHARS: usize = 65_536;

/// Room kept under [`MAX_COMMENT_CHARS`] for the notices about what was left out.
const NOTICE_MARGIN: usize = 1_024;

/// The smallest limit worth giving [`render_within`]: room for the notices and a head.
pub const MIN_LIMIT: usize = 2 * NOTICE_MARGIN;

/// Renders the plan as a pull-request comment of fewer than [`MAX_COMMENT_CHARS`] characters.
pub fn render(plan: &Plan) -> String {
    render_within(plan, MAX_COMMENT_CHARS)
}

/// Renders the plan in fewer than `limit` characters (more than [`NOTICE_MARGIN`]), leaving
/// out whole pieces as [`render`] does.
pub fn render_within(plan: &Plan, limit: usize) -> String {
    let head = head(plan);
    let row = |entry| row(plan, entry);
    let mut rows = Pieces::new(plan.entries.iter().map(row).collect());
    let section = |entry| section(plan, entry);
    let mut sections = Pieces::new(plan.entries.iter().map(section).collect());
    let mut unmanaged = Pieces::new(plan.unmanaged.iter().map(unmanaged_item).collect());
    let unmanaged_head = unmanaged_head(plan.unmanaged.len());

    // What is never left out, counted as if there were both a table and unmanaged plans.
    let fixed = chars(&head) + chars(TABLE_HEAD) + chars(&unmanaged_head) + chars(LIST_END);
    let total = fixed + rows.chars() + sections.chars() + unmanaged.chars();
    let excess = total.saturating_sub(limit.saturating_sub(NOTICE_MARGIN));
    let excess = sections.trim(excess);
    let excess = rows.trim(excess);
    unmanaged.trim(excess);

    let mut out = head;
    if sections.omitted() > 0 {
        out.push_str(&format!(
            "> [!NOTE]\n> {} details omitted to stay under GitHub's comment limit; run \
             `tollgate plan` for the full plan.\n\n",
            count_of(sections.omitted(), "plan's", "plans'")
        ));
    }
    if !plan.entries.is_empty() {
        out.push_str(TABLE_HEAD);
        out.push_str(&rows.kept().concat());
        if rows.omitted() > 0 {
            out.push_str(&format!(
                "\n_… and {} not listed._\n",
                count_of(rows.omitted(), "more plan", "more plans")
            ));
        }
        out.push('\n');
    }
    for entry in &plan.api_keys {
        out.push_str(&lines_section(
            &api_key_header(entry),
            &api_key_lines(entry),
        ));
    }
    out.push_str(&sections.kept().concat());
    for key in &plan.deleted_keys {
        out.push_str(&lines_section(
            &deleted_key_header(key),
            &deleted_key_lines(key),
        ));
    }
    if !plan.unmanaged.is_empty() {
        out.push_str(&unmanaged_head);
        out.push_str(&unmanaged.kept().concat());
        if unmanaged.omitted() > 0 {
            out.push_str(&format!("- … and {} more\n", unmanaged.omitted()));
        }
        out.push_str(LIST_END);
    }
    let orphans = orphan_lines(plan);
    if !orphans.is_empty() {
        out.push_str(&format!(
            "<details><summary>{}</summary>\n\n",
            escape_html(&format!("{} {ORPHANS_TITLE}", orphans.len()))
        ));
        for orphan in &orphans {
            out.push_str(&format!("- {}\n", escape(orphan)));
        }
        out.push_str(LIST_END);
    }
    out
}

/// The header of the table of plans.
const TABLE_HEAD: &str = "| Plan | Id | Changes |\n|---|---|---|\n";

/// What closes a collapsed section.
const DETAILS_END: &str = "</details>\n\n";

/// What closes the collapsed list of unmanaged plans: a blank line ends the list first.
const LIST_END: &str = "\n</details>\n\n";

/// The title, the closing line in bold, a caution when changes are destructive, and a
/// warning when grants are pending.
fn head(plan: &Plan) -> String {
    let mut head = format!("### tollgate plan for {}\n\n", escape(&plan.place()));
    let endpoints: Vec<String> = plan
        .endpoints
        .lines()
        .iter()
        .map(|line| escape(line))
        .collect();
    if !endpoints.is_empty() {
        head.push_str(&format!(
            "> [!WARNING]\n> {}\n\n",
            endpoints.join("<br>\n> ")
        ));
    }
    head.push_str(&format!("**{}**\n\n", closing_line(plan)));
    let destructive = plan.summary().destructive;
    if destructive > 0 {
        let (can, lines, reasons) = match destructive {
            1 => ("can", "line", "its reason"),
            _ => ("can each", "lines", "their reasons"),
        };
        head.push_str(&format!(
            "> [!CAUTION]\n> {} {can} refuse live customers' requests: see the {lines} marked \
             `# destructive:` below, with {reasons}.\n\n",
            count_of(destructive, "destructive change", "destructive changes")
        ));
    }
    let unbounded = plan.summary().unbounded;
    if unbounded > 0 {
        let (removes, lines, reasons) = match unbounded {
            1 => ("removes a limit", "line", "its reason"),
            _ => ("each remove a limit", "lines", "their reasons"),
        };
        head.push_str(&format!(
            "> [!WARNING]\n> {} {removes}, so use of the plan is no longer capped there: see \
             the {lines} marked `# unbounded:` below, with {reasons}.\n\n",
            count_of(unbounded, "unbounded change", "unbounded changes")
        ));
    }
    let affecting = plan.summary().impact;
    if affecting > 0 {
        let (affect, them) = match affecting {
            1 => ("affects", "it"),
            _ => ("affect", "them"),
        };
        head.push_str(&format!(
            "> [!WARNING]\n> {} {affect} keys that used the plans lately: see the lines starting \
             with `!` under {them}. AWS's usage figures can lag behind by a while.\n\n",
            count_of(affecting, "change", "changes")
        ));
    }
    let pending: usize = plan.entries.iter().map(|e| e.pending_grants.len()).sum();
    if pending > 0 {
        let (them, they_are, keys) = match pending {
            1 => ("it", "it is", "key's"),
            _ => ("them", "they are", "keys'"),
        };
        head.push_str(&format!(
            "> [!WARNING]\n> {} found pending: an earlier apply stopped while applying {them}, \
             so {they_are} not applied again. Check the {keys} usage, then rerun with \
             `--retry-pending-grants` to apply {them}.\n\n",
            count_of(pending, "grant", "grants")
        ));
    }
    head
}

/// One row of the table of plans.
fn row(plan: &Plan, entry: &PlanEntry) -> String {
    let id = entry.id().map_or("(new)".to_string(), escape);
    format!(
        "| {} | {id} | {} |\n",
        escape(&entry.name),
        changes(plan, entry)
    )
}

/// What happens to an entry, in a few words: `update: 7 fields, 2 keys, tags, 1 grant,
/// **2 destructive**`.
fn changes(plan: &Plan, entry: &PlanEntry) -> String {
    let mut parts = Vec::new();
    if let Target::Create { .. } = entry.target {
        parts.push("create".to_string());
    }
    if entry.delete {
        parts.push("delete (orphaned)".to_string());
    }
    if let (Some(before), Some(_)) = (entry.before(), entry.update()) {
        let fields = body_changes(before, &entry.after).len();
        parts.push(format!("update: {}", count_of(fields, "field", "fields")));
    }
    if !entry.keys.is_empty() {
        parts.push(count_of(entry.keys.len(), "key", "keys"));
    }
    if entry.tags.is_some() {
        parts.push("tags".to_string());
    }
    if !entry.grants.is_empty() {
        parts.push(count_of(entry.grants.len(), "grant", "grants"));
    }
    if entry.bookkeeping.is_some() || !entry.settled_records().is_empty() {
        parts.push("bookkeeping".to_string());
    }
    if !entry.pending_grants.is_empty() {
        let count = entry.pending_grants.len();
        parts.push(count_of(count, "pending grant", "pending grants"));
    }
    let risks = plan.risks(entry);
    for class in [RiskClass::Destructive, RiskClass::Unbounded] {
        let count = risks.count(class);
        if count > 0 {
            parts.push(format!("**{count} {}**", class.as_str()));
        }
    }
    let impacts = plan.impacts_of(entry);
    if impacts.iter().any(|impact| impact.effect.affects_keys()) {
        parts.push("**affects live keys**".to_string());
    }
    parts.join(", ")
}

/// The collapsed section of one entry: its action lines.
fn section(plan: &Plan, entry: &PlanEntry) -> String {
    let mut out = format!(
        "<details><summary>{}</summary>\n\n",
        escape_html(&header(entry))
    );
    let actions: Vec<String> = action_lines(plan, entry, false)
        .iter()
        .flat_map(ActionLine::plain_lines)
        .collect();
    if !actions.is_empty() {
        out.push_str(&fenced("text", &actions));
    }
    out.push_str(DETAILS_END);
    out
}

/// The collapsed section of an API key (declared, or orphaned and deleted): its header and
/// what happens to it.
fn lines_section(header: &str, lines: &[ActionLine]) -> String {
    let lines: Vec<String> = lines.iter().map(ActionLine::plain).collect();
    format!(
        "<details><summary>{}</summary>\n\n{}{DETAILS_END}",
        escape_html(header),
        fenced("text", &lines)
    )
}

/// The opening of the collapsed list of unmanaged plans.
fn unmanaged_head(count: usize) -> String {
    format!(
        "<details><summary>{} (left alone)</summary>\n\n",
        count_of(count, "unmanaged plan", "unmanaged plans")
    )
}

/// One unmanaged plan as a list item.
fn unmanaged_item(unmanaged: &PlanRef) -> String {
    format!(
        "- {} ({})\n",
        escape(&unmanaged.name),
        escape(&unmanaged.id)
    )
}

/// `lines` in a fenced code block whose fence is longer than any run of backticks in them.
fn fenced(info: &str, lines: &[String]) -> String {
    let longest_run = lines
        .iter()
        .flat_map(|line| line.split(|c| c != '`'))
        .map(str::len)
        .max()
        .unwrap_or(0);
    let fence = "`".repeat(longest_run.max(2) + 1);
    format!("{fence}{info}\n{}\n{fence}\n\n", lines.join("\n"))
}

/// What an `@` is written as, so that no name mentions anyone: `@` and a zero-width space,
/// written as its HTML entity so that the text itself holds no invisible character.
const UNMENTIONED_AT: &str = "@&#8203;";

/// Text made safe for Markdown inline content and table cells: Markdown's and HTML's
/// characters escaped, outside text made inert ([`printable`]: a line break would end a table
/// row), and `@` written as [`UNMENTIONED_AT`].
pub(super) fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for character in printable(text).chars() {
        if character == '@' {
            escaped.push_str(UNMENTIONED_AT);
            continue;
        }
        if "\\`*_[]<>|~&#!".contains(character) {
            escaped.push('\\');
        }
        escaped.push(character);
    }
    escaped
}

/// Text made safe inside an HTML block, where Markdown is not read, with `@` written as
/// [`UNMENTIONED_AT`].
fn escape_html(text: &str) -> String {
    printable(text)
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('@', UNMENTIONED_AT)
}

/// The length of `text` as GitHub counts it, in characters.
fn chars(text: &str) -> usize {
    text.chars().count()
}

/// Pieces of the comment of which a tail may be left out to fit the limit.
struct Pieces {
    pieces: Vec<String>,
    kept: usize,
}

impl Pieces {
    fn new(pieces: Vec<String>) -> Self {
        let kept = pieces.len();
        Pieces { pieces, kept }
    }

    /// The length of the pieces kept, in characters.
    fn chars(&self) -> usize {
        self.kept().iter().map(|piece| chars(piece)).sum()
    }

    /// Leaves pieces out from the end until `excess` characters are saved or none is left;
    /// returns what is still in excess.
    fn trim(&mut self, mut excess: usize) -> usize {
        while excess > 0 && self.kept > 0 {
            self.kept -= 1;
            excess = excess.saturating_sub(chars(&self.pieces[self.kept]));
        }
        excess
    }

    fn kept(&self) -> &[String] {
        &self.pieces[..self.kept]
    }

    fn omitted(&self) -> usize {
        self.pieces.len() - self.kept
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::fixtures;

    #[test]
    fn every_kind_of_change_is_pinned() {
        insta::assert_snapshot!(render(&fixtures::every_change()));
    }

    #[test]
    fn names_beside_ids_are_pinned() {
        insta::assert_snapshot!(render(&fixtures::every_change_with_names()));
    }

    #[test]
    fn declared_api_keys_are_pinned() {
        insta::assert_snapshot!(render(&fixtures::api_keys()));
    }

    #[test]
    fn an_endpoint_not_awss_own_is_a_warning_under_the_title() {
        insta::assert_snapshot!(render(&fixtures::against_an_allowed_endpoint()));
    }

    #[test]
    fn hostile_names_are_pinned() {
        insta::assert_snapshot!(render(&fixtures::hostile_names()));
    }

    /// The lines of `comment` outside its fenced code blocks, where Markdown and HTML render.
    fn outside_fences(comment: &str) -> String {
        let mut fence: Option<&str> = None;
        let mut out = String::new();
        for line in comment.lines() {
            let backticks = &line[..line.len() - line.trim_start_matches('`').len()];
            match fence {
                Some(open) if line == open => fence = None,
                Some(_) => {}
                None if backticks.len() >= 3 => fence = Some(backticks),
                None => {
                    out.push_str(line);
                    out.push('\n');
                }
            }
        }
        out
    }

    #[test]
    fn names_from_aws_are_inert_in_the_markdown_view() {
        let comment = render(&fixtures::hostile_names());
        let rendered = outside_fences(&comment);
        assert!(!rendered.contains("@octocat"), "no live mention");
        assert_eq!(
            rendered.matches("</details>").count(),
            rendered.matches("<details>").count(),
            "no raw HTML from data: every section closes where it opened: {rendered}"
        );
        assert!(!rendered.contains("</summary></details>"), "{rendered}");
        // Inside a fence, a name is shown as it is, on its one line.
        assert!(comment.contains("\n- key @octocat `x` | </details>\\n+ Fake (9QZ1OLDKEY)"));
        assert!(
            !comment.contains("\n**Plan: 0 to change.**"),
            "no line of its own"
        );
        assert!(!comment.contains("\u{1b}"), "no escape sequence");
        assert!(
            !comment.lines().any(|line| line.starts_with("+ Fake")),
            "{comment}"
        );
    }

    #[test]
    fn no_change_is_pinned() {
        insta::assert_snapshot!(render(&fixtures::no_change()));
    }

    #[test]
    fn a_small_plan_is_not_shortened() {
        let comment = render(&fixtures::every_change());
        assert!(!comment.contains("omitted"));
        assert!(!comment.contains("not listed"));
        assert_eq!(comment.matches("<details>").count(), 5);
    }

    #[test]
    fn a_huge_plan_is_shortened_under_the_limit_by_whole_sections() {
        let plan = fixtures::many_updates(2_000);
        let comment = render(&plan);
        assert!(chars(&comment) < MAX_COMMENT_CHARS, "{}", chars(&comment));
        assert!(chars(&comment) > MAX_COMMENT_CHARS - 2 * NOTICE_MARGIN - 2_000);
        assert!(comment.contains(&format!("**{}**", closing_line(&plan))));
        assert!(comment.contains(
            "plans' details omitted to stay under GitHub's comment limit; run `tollgate plan` \
             for the full plan."
        ));
        assert!(comment.contains("more plans not listed."));
        assert!(comment.contains("| Plan 0000 | id0000 | update: 7 fields"));
        assert!(comment.contains("<summary>1 unmanaged plan (left alone)</summary>"));
        assert!(comment.contains("- Legacy (k2k2k2)"));
        assert_eq!(
            comment.matches("<details>").count(),
            comment.matches("</details>").count()
        );
        assert_eq!(comment.matches("```").count() % 2, 0);
    }

    #[test]
    fn a_huge_list_of_unmanaged_plans_is_shortened_last() {
        let mut plan = fixtures::no_change();
        plan.unmanaged = (0..3_000)
            .map(|index| PlanRef {
                name: format!("A legacy plan from before tollgate, number {index:04}"),
                id: format!("id{index:04}"),
            })
            .collect();
        let comment = render(&plan);
        assert!(chars(&comment) < MAX_COMMENT_CHARS, "{}", chars(&comment));
        assert!(comment.contains("**No changes. 620 unchanged, 3000 unmanaged.**"));
        let listed = comment.matches("- A legacy plan").count();
        assert!(listed > 500, "{listed}");
        assert!(comment.contains(&format!("- … and {} more\n\n</details>", 3_000 - listed)));
    }

    #[test]
    fn the_notice_counts_the_sections_left_out() {
        let plan = fixtures::many_updates(2_000);
        let comment = render(&plan);
        let shown = comment.matches("<details><summary>~").count();
        let notice = format!("> {} plans' details omitted", 2_000 - shown);
        assert!(comment.contains(&notice), "{notice}");
    }

    #[test]
    fn one_pending_grant_is_spoken_of_in_the_singular() {
        let mut plan = fixtures::every_change();
        plan.entries.retain(|entry| entry.name == "Bronze");
        assert!(render(&plan).contains(
            "> 1 grant found pending: an earlier apply stopped while applying it, so it is not \
             applied again. Check the key's usage, then rerun with `--retry-pending-grants` to \
             apply it."
        ));
    }

    #[test]
    fn destructive_changes_are_announced_counted_and_marked() {
        let comment = render(&fixtures::every_change());
        assert!(comment.contains(
            "> [!CAUTION]\n> 3 destructive changes can each refuse live customers' requests: \
             see the lines marked `# destructive:` below, with their reasons.\n"
        ));
        assert!(comment.contains("| Silver | slv777 | 1 key, **1 destructive** |"));
        assert!(comment.contains(
            "\n- key 5RT6GONE  # destructive: key 5RT6GONE removed: it loses access to the \
             plan's stages\n"
        ));

        let mut plan = fixtures::every_change();
        plan.entries.retain(|entry| entry.name == "Silver");
        assert!(render(&plan).contains(
            "> 1 destructive change can refuse live customers' requests: see the line marked \
             `# destructive:` below, with its reason.\n"
        ));
        plan.entries.clear();
        assert!(!render(&plan).contains("[!CAUTION]"));
    }

    #[test]
    fn names_are_escaped_for_markdown_and_html() {
        let mut plan = fixtures::every_change();
        plan.entries[1].name = "A|B <x> *y*".to_string();
        let comment = render(&plan);
        assert!(comment.contains("| A\\|B \\<x\\> \\*y\\* | ywbqww |"));
        assert!(comment.contains("<summary>~ A|B &lt;x&gt; *y* (ywbqww)</summary>"));
    }

    #[test]
    fn fences_outgrow_the_backticks_they_hold() {
        let lines = vec!["a ``` b".to_string(), "````".to_string()];
        assert_eq!(
            fenced("text", &lines),
            "`````text\na ``` b\n````\n`````\n\n"
        );
        assert_eq!(fenced("diff", &["x".to_string()]), "```diff\nx\n```\n\n");
    }
}
