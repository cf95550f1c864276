//! Desired state: the YAML types, loading files and folders, and located errors.
//!
//! A file is parsed into located nodes ([`node`]), each plan is decoded into the serde types
//! of the format ([`yaml`], through [`decode`]) on its own and as far as it goes (a wrong
//! value stands in as an empty one, so it hides no other error), the rules serde cannot
//! express are checked across all files ([`validate`]), and every error found is returned at
//! once.

mod decode;
mod error;
pub mod export;
mod limits;
mod load;
mod node;
mod schema;
mod validate;
mod yaml;

pub use error::{SpecError, SpecErrors};
pub use schema::json_schema;

use crate::model::DesiredPlan;
use std::path::PathBuf;

/// Loads every path (file or folder), merges, validates, converts to the model.
pub fn load(paths: &[PathBuf]) -> Result<Vec<DesiredPlan>, SpecErrors> {
    let sources = load::read(paths);
    let (plans, file_errors) = validate::check(&sources.files);
    let mut errors = sources.errors;
    errors.extend(file_errors);
    if errors.is_empty() {
        Ok(plans)
    } else {
        Err(SpecErrors(errors))
    }
}
