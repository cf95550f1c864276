//! The text view: what each plan looks like before and after, the operations, a closing line.

use super::Style;
use crate::plan::Plan;

/// Renders the plan for a terminal or a CI log.
pub fn render(plan: &Plan, style: Style) -> String {
    let _ = (plan, style);
    String::new()
}
