//! The text view, for a terminal or a CI log: per declared API key to create or update its
//! header and what happens to it; per plan a header and one line per change, in the names the
//! YAML uses (with `-v`, the patch operations under each body change); then a closing line
//! with the counts.
//!
//! Orphans left alone are listed, each with how it clears, then the unmanaged plans (the first
//! 20 by name, then how many more). A risky line is followed by `# destructive:` or
//! `# unbounded:` and its reasons, in bold red when colour is on.

use anstyle::{AnsiColor, Style as Paint};

use super::human::{
    action_lines, api_key_header, api_key_lines, closing_line, deleted_key_header,
    deleted_key_lines, header, orphan_lines, printable, ActionLine, Tone, MARKER_GAP,
    ORPHANS_TITLE,
};
use super::Style;
use crate::plan::Plan;

/// The indentation of everything under an entry's header.
const INDENT: &str = "    ";

/// Renders the plan for a terminal or a CI log; colours additions, removals and warnings
/// only when `style.color` is set.
pub fn render(plan: &Plan, style: Style) -> String {
    let mut out = match &plan.target {
        Some(_) => format!("Target: {}\n", plan.place()),
        None => format!("Region: {}\n", plan.place()),
    };
    for line in plan.endpoints.lines() {
        out.push_str(&paint(&printable(&line), Paint::new().bold(), style));
        out.push('\n');
    }
    out.push('\n');
    for entry in &plan.api_keys {
        let lines = api_key_lines(entry);
        out.push_str(&block(&api_key_header(entry), &lines, style));
        out.push('\n');
    }
    for entry in &plan.entries {
        let lines = action_lines(plan, entry, style.verbose);
        out.push_str(&block(&header(entry), &lines, style));
        out.push('\n');
    }
    for key in &plan.deleted_keys {
        let lines = deleted_key_lines(key);
        out.push_str(&block(&deleted_key_header(key), &lines, style));
        out.push('\n');
    }
    let orphans = orphan_lines(plan);
    if !orphans.is_empty() {
        out.push_str(&paint(
            &format!("{ORPHANS_TITLE}:"),
            Paint::new().bold(),
            style,
        ));
        out.push('\n');
        for orphan in orphans {
            out.push_str(&indented(coloured(&orphan, Some(AnsiColor::Yellow), style)));
        }
        out.push('\n');
    }
    out.push_str(&unmanaged_section(plan, style));
    out.push_str(&closing_line(plan));
    out.push('\n');
    out
}

/// How many unmanaged plans the text view names; the rest are counted.
const UNMANAGED_NAMED: usize = 20;

/// The unmanaged plans under a title that says they are left alone: the first
/// [`UNMANAGED_NAMED`] by name and id, then how many more there are; empty when there are none.
fn unmanaged_section(plan: &Plan, style: Style) -> String {
    if plan.unmanaged.is_empty() {
        return String::new();
    }
    let title = "Unmanaged: live plans that no declared plan names; tollgate leaves them alone:";
    let mut out = paint(title, Paint::new().bold(), style);
    out.push('\n');
    for item in plan.unmanaged.iter().take(UNMANAGED_NAMED) {
        let (name, id) = (printable(&item.name), printable(&item.id));
        out.push_str(&indented(format!("{name} ({id})")));
    }
    let more = plan.unmanaged.len().saturating_sub(UNMANAGED_NAMED);
    if more > 0 {
        out.push_str(&indented(format!(
            "and {more} more (`--format json` lists them all)"
        )));
    }
    out.push('\n');
    out
}

/// One entry: its header, then its action lines.
fn block(header: &str, actions: &[ActionLine], style: Style) -> String {
    let mut out = paint(header, Paint::new().bold(), style);
    out.push('\n');
    for line in actions {
        let colour = match line.tone {
            Tone::Plain => None,
            Tone::Added => Some(AnsiColor::Green),
            Tone::Removed => Some(AnsiColor::Red),
            Tone::Warning => Some(AnsiColor::Yellow),
        };
        let mut text = coloured(&line.text, colour, style);
        if let Some(marker) = line.marker() {
            text.push_str(MARKER_GAP);
            text.push_str(&paint(&marker, risk_paint(), style));
        }
        out.push_str(&indented(text));
        for impact in line.impact_lines() {
            out.push_str(&indented(paint(&impact, risk_paint(), style)));
        }
        for operation in line.operation_lines() {
            out.push_str(&indented(paint(&operation, Paint::new().dimmed(), style)));
        }
    }
    out
}

/// How a risk marker and an impact line are painted: bold red.
fn risk_paint() -> Paint {
    Paint::new().bold().fg_color(Some(AnsiColor::Red.into()))
}

/// `text` as one line under an entry's header.
fn indented(text: String) -> String {
    format!("{INDENT}{text}\n")
}

/// `text` in `colour` when there is one and colour is on.
fn coloured(text: &str, colour: Option<AnsiColor>, style: Style) -> String {
    match colour {
        Some(colour) => paint(text, Paint::new().fg_color(Some(colour.into())), style),
        None => text.to_string(),
    }
}

/// `text` wrapped in the ANSI codes of `paint` when colour is on, else as it is.
fn paint(text: &str, paint: Paint, style: Style) -> String {
    if style.color {
        format!("{paint}{text}{paint:#}")
    } else {
        text.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::PlanRef;
    use crate::render::fixtures;

    const PLAIN: Style = Style {
        color: false,
        verbose: false,
    };
    const COLOUR: Style = Style {
        color: true,
        verbose: false,
    };

    #[test]
    fn every_kind_of_change_is_pinned() {
        insta::assert_snapshot!(render(&fixtures::every_change(), PLAIN));
    }

    #[test]
    fn names_beside_ids_are_pinned() {
        insta::assert_snapshot!(render(&fixtures::every_change_with_names(), PLAIN));
    }

    #[test]
    fn declared_api_keys_are_pinned() {
        insta::assert_snapshot!(render(&fixtures::api_keys(), PLAIN));
    }

    #[test]
    fn hostile_names_are_pinned() {
        insta::assert_snapshot!(render(&fixtures::hostile_names(), PLAIN));
    }

    #[test]
    fn names_from_aws_are_inert_in_the_text_view() {
        let text = render(&fixtures::hostile_names(), COLOUR);
        assert!(
            !text.contains("\u{1b}[31mevil"),
            "no escape sequence from data"
        );
        assert!(text.contains("\\u{1b}[31mevil"));
        assert!(
            !text.lines().any(|line| line.starts_with("+ Fake")),
            "{text}"
        );
    }

    #[test]
    fn more_than_twenty_unmanaged_plans_are_named_then_counted() {
        let mut plan = fixtures::no_change();
        plan.unmanaged = (1..=23)
            .map(|n| PlanRef {
                name: format!("Legacy {n:02}"),
                id: format!("lg{n:04}"),
            })
            .collect();
        insta::assert_snapshot!(render(&plan, PLAIN));
    }

    #[test]
    fn no_change_is_pinned() {
        insta::assert_snapshot!(render(&fixtures::no_change(), PLAIN));
    }

    #[test]
    fn an_endpoint_not_awss_own_is_on_a_line_under_the_target() {
        insta::assert_snapshot!(render(&fixtures::against_an_allowed_endpoint(), PLAIN));
    }

    #[test]
    fn colour_marks_additions_removals_and_warnings_only_when_asked() {
        let plan = fixtures::every_change();
        let plain = render(&plan, PLAIN);
        assert!(!plain.contains('\u{1b}'));
        let coloured = render(&plan, COLOUR);
        assert!(coloured.contains("\u{1b}[32m+ stage a1b2c3:staging\u{1b}[0m"));
        assert!(coloured.contains("\u{1b}[31m- productCode  \"prod-gold\"\u{1b}[0m"));
        assert!(coloured.contains("\u{1b}[33mpending grant SUP-1000"));
        assert!(coloured.contains("\u{1b}[1m~ Gold (ywbqww)\u{1b}[0m"));
        assert!(coloured.contains(&format!(
            "{INDENT}quota.limit  100,000 → 130,000 per MONTH\n"
        )));
        assert!(coloured.contains(
            "\u{1b}[31m- key 9QZ1OLDKEY\u{1b}[0m  \u{1b}[1m\u{1b}[31m# destructive: key \
             9QZ1OLDKEY removed: it loses access to the plan's stages\u{1b}[0m\n"
        ));
        assert!(coloured.contains(
            "throttle.rateLimit  100/s → 12.5/s  \u{1b}[1m\u{1b}[31m# destructive: plan \
             throttle rate lowered from 100 to 12.5 requests per second\u{1b}[0m\n"
        ));
        let verbose = render(
            &plan,
            Style {
                color: false,
                verbose: true,
            },
        );
        assert!(verbose.contains(
            "    quota.limit  100,000 → 130,000 per MONTH\n        = replace /quota/limit = \
             \"130000\"\n"
        ));
        assert!(!plain.contains("= replace"), "operations only with -v");
        let stripped = coloured
            .replace("\u{1b}[0m", "")
            .replace("\u{1b}[1m", "")
            .replace("\u{1b}[31m", "")
            .replace("\u{1b}[32m", "")
            .replace("\u{1b}[33m", "")
            .replace("\u{1b}[36m", "");
        assert_eq!(stripped, plain);
    }
}
