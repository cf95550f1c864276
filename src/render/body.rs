//! A PlanBody printed as lines of the project's YAML, for the before/after diff.

use crate::model::PlanBody;

/// Prints a PlanBody as lines of the project's YAML (field names as in the YAML format).
pub fn body_lines(body: &PlanBody) -> Vec<String> {
    vec![format!("name: {}", body.name)]
}
