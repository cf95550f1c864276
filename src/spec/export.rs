//! The live plans written back as YAML in tollgate's own format.

use crate::model::LivePlan;
use std::collections::BTreeSet;

/// One live plan to export, with its key associations (always read for export).
pub struct ExportPlan<'a> {
    /// The live plan.
    pub plan: &'a LivePlan,
    /// The ids of the API keys associated with it.
    pub keys: &'a BTreeSet<String>,
}

/// All plans as one YAML document (`usagePlans: [...]`), sorted by name.
pub fn document(plans: &[ExportPlan]) -> String {
    let _ = plans;
    String::new()
}

/// One document per plan with a file-safe, unique file name (`gold.yaml`, collisions get the id).
pub fn files(plans: &[ExportPlan]) -> Vec<(String, String)> {
    let _ = plans;
    Vec::new()
}
