//! The machine-readable plan (format 1).

use crate::plan::Plan;

/// Renders the JSON plan, pretty-printed, with a trailing newline.
pub fn render(plan: &Plan) -> String {
    format!("{:#}\n", to_value(plan))
}

/// The JSON plan as a value.
pub fn to_value(plan: &Plan) -> serde_json::Value {
    serde_json::json!({ "formatVersion": 1, "region": plan.region })
}
