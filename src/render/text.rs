//! The text view, for a terminal or a CI log: per plan a header, the before/after diff of
//! its body, the exact operations and other actions, then a closing line with the counts.
//!
//! Unmanaged plans appear only as a count in the closing line.

use anstyle::{AnsiColor, Style as Paint};

use super::body::{body_diff, DiffKind};
use super::human::{action_lines, closing_line, header, Tone};
use super::Style;
use crate::plan::{Plan, PlanEntry};

/// The indentation of everything under an entry's header.
const INDENT: &str = "    ";

/// Renders the plan for a terminal or a CI log; colours additions, removals and warnings
/// only when `style.color` is set.
pub fn render(plan: &Plan, style: Style) -> String {
    let mut out = format!("Region: {}\n\n", plan.region);
    for entry in &plan.entries {
        out.push_str(&entry_block(entry, style));
        out.push('\n');
    }
    out.push_str(&closing_line(plan));
    out.push('\n');
    out
}

/// One entry: its header, the diff of its body, a blank line, then its action lines.
fn entry_block(entry: &PlanEntry, style: Style) -> String {
    let mut out = paint(&header(entry), Paint::new().bold(), style);
    out.push('\n');
    let diff = body_diff(entry.before.as_ref(), &entry.after);
    for line in &diff {
        let colour = match line.kind {
            DiffKind::Hunk => Some(AnsiColor::Cyan),
            DiffKind::Context => None,
            DiffKind::Removed => Some(AnsiColor::Red),
            DiffKind::Added => Some(AnsiColor::Green),
        };
        push_line(&mut out, &line.to_string(), colour, style);
    }
    let actions = action_lines(entry);
    if !diff.is_empty() && !actions.is_empty() {
        out.push('\n');
    }
    for line in &actions {
        let colour = match line.tone {
            Tone::Plain => None,
            Tone::Added => Some(AnsiColor::Green),
            Tone::Removed => Some(AnsiColor::Red),
            Tone::Warning => Some(AnsiColor::Yellow),
        };
        push_line(&mut out, &line.text, colour, style);
    }
    out
}

/// Appends one indented line, in `colour` when there is one and colour is on.
fn push_line(out: &mut String, text: &str, colour: Option<AnsiColor>, style: Style) {
    out.push_str(INDENT);
    match colour {
        Some(colour) => out.push_str(&paint(
            text,
            Paint::new().fg_color(Some(colour.into())),
            style,
        )),
        None => out.push_str(text),
    }
    out.push('\n');
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
    use crate::render::fixtures;

    const PLAIN: Style = Style { color: false };
    const COLOUR: Style = Style { color: true };

    #[test]
    fn every_kind_of_change_is_pinned() {
        insta::assert_snapshot!(render(&fixtures::every_change(), PLAIN));
    }

    #[test]
    fn no_change_is_pinned() {
        insta::assert_snapshot!(render(&fixtures::no_change(), PLAIN));
    }

    #[test]
    fn colour_marks_additions_removals_and_warnings_only_when_asked() {
        let plan = fixtures::every_change();
        let plain = render(&plan, PLAIN);
        assert!(!plain.contains('\u{1b}'));
        let coloured = render(&plan, COLOUR);
        assert!(coloured.contains("\u{1b}[32m+  limit: 130000\u{1b}[0m"));
        assert!(coloured.contains("\u{1b}[31m-  limit: 100000\u{1b}[0m"));
        assert!(coloured.contains("\u{1b}[31mremove key 9QZ1OLDKEY\u{1b}[0m"));
        assert!(coloured.contains("\u{1b}[33mpending grant SUP-1000"));
        assert!(coloured.contains("\u{1b}[1m~ Gold (ywbqww)\u{1b}[0m"));
        assert!(coloured.contains(&format!("{INDENT}replace /quota/limit = \"130000\"\n")));
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
