//! Text, Markdown and JSON views of a Plan, and the views of an apply as it runs; no
//! decisions are made here.

pub mod drift;
pub mod github;
mod human;
pub mod json;
pub mod markdown;
pub mod pending;
pub mod report;
pub mod text;

pub use human::count_of;

use serde::Serialize;

use crate::plan::Plan;

/// The view of a plan to print.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    /// For a terminal or a CI log.
    #[default]
    Text,
    /// For a pull-request comment.
    Markdown,
    /// For a machine: the JSON plan of format 1.
    Json,
}

/// How human output is decorated; the command line decides it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Style {
    /// Whether to colour additions and removals with ANSI codes (a terminal only).
    pub color: bool,
    /// Whether to show, under each change, the patch operations that carry it out (`-v`).
    pub verbose: bool,
}

/// A target of a project whose plan could not be made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FailedTarget {
    /// The target's name.
    #[serde(rename = "target")]
    pub name: String,
    /// Its region.
    pub region: String,
    /// Why its plan could not be made.
    pub error: String,
}

/// Renders the plans of a project's targets in `format`: text and Markdown give each
/// target's view in turn (a Markdown one in its share of GitHub's comment limit), then a line
/// for each target that failed; JSON gives one document of format 2.
pub fn render_targets(
    project: &str,
    plans: &[Plan],
    failed: &[FailedTarget],
    format: Format,
    style: Style,
) -> String {
    let views = plans.len() + usize::from(!failed.is_empty());
    let share = markdown::MAX_COMMENT_CHARS / views.max(1);
    let mut out = match format {
        Format::Json => return json::render_targets(project, plans, failed),
        Format::Markdown => format!("## tollgate plan for project {project}\n\n"),
        Format::Text => String::new(),
    };
    for (index, plan) in plans.iter().enumerate() {
        if index > 0 && format == Format::Text {
            out.push('\n');
        }
        out.push_str(&match format {
            Format::Markdown => markdown::render_within(plan, share),
            _ => text::render(plan, style),
        });
    }
    for target in failed {
        let line = format!(
            "Target {} ({}): no plan: {}",
            target.name,
            target.region,
            human::printable(&target.error)
        );
        out.push_str(&match format {
            Format::Markdown => format!("> [!CAUTION]\n> {}\n\n", markdown::escape(&line)),
            _ => format!("\n{line}\n"),
        });
    }
    out
}

/// Renders `plan` in `format`; `style` matters for the text view only.
pub fn render(plan: &Plan, format: Format, style: Style) -> String {
    match format {
        Format::Text => text::render(plan, style),
        Format::Markdown => markdown::render(plan),
        Format::Json => json::render(plan),
    }
}

#[cfg(test)]
mod fixtures;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn render_picks_the_view_of_the_format() {
        let plan = fixtures::every_change();
        let colour = Style {
            color: true,
            verbose: false,
        };
        assert_eq!(
            render(&plan, Format::Text, colour),
            text::render(&plan, colour)
        );
        assert_eq!(
            render(&plan, Format::Markdown, colour),
            markdown::render(&plan)
        );
        assert_eq!(render(&plan, Format::Json, colour), json::render(&plan));
    }
}
