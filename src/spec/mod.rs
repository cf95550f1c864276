//! Desired state: the YAML types, loading files and folders, and located errors.

mod error;
pub mod export;

pub use error::{SpecError, SpecErrors};

use crate::model::DesiredPlan;
use std::path::PathBuf;

/// Loads every path (file or folder), merges, validates, converts to the model.
pub fn load(paths: &[PathBuf]) -> Result<Vec<DesiredPlan>, SpecErrors> {
    let _ = paths;
    Ok(Vec::new())
}

/// The JSON Schema of the YAML format, pretty-printed.
pub fn json_schema() -> String {
    String::from("{}")
}
