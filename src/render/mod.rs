//! Text, Markdown and JSON views of a Plan, and the views of an apply as it runs; no
//! decisions are made here.

mod body;
mod human;
pub mod json;
pub mod markdown;
pub mod report;
pub mod text;

pub use human::count_of;

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
        let colour = Style { color: true };
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
