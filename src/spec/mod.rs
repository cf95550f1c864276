//! Desired state: the YAML types, loading files and folders, and located errors.
//!
//! A file's YAML is read as a stream of located events ([`events`]) and decoded in one pass
//! ([`decode`]): every value is checked where it is read, a wrong one is left out so that it
//! hides no other error, and a plan without error is built straight into the model. The
//! rules across plans and files are checked last ([`validate`]), and every error found is
//! returned at once. The serde types of the format ([`yaml`]) are what `export` writes and
//! what the JSON Schema describes.

mod decode;
mod error;
mod events;
pub mod export;
pub mod limits;
mod load;
mod schema;
mod validate;
mod yaml;

pub use decode::decode_project;
pub use error::{SpecError, SpecErrors};
pub use schema::json_schema;

use crate::model::{DesiredApiKey, DesiredPlan};
use std::path::PathBuf;

/// What the YAML declares: usage plans and API keys.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Desired {
    /// The usage plans, in file order.
    pub plans: Vec<DesiredPlan>,
    /// The API keys declared under `apiKeys`, in file order.
    pub api_keys: Vec<DesiredApiKey>,
}

/// Loads every path (file or folder), merges, validates, converts to the model.
pub fn load(paths: &[PathBuf]) -> Result<Desired, SpecErrors> {
    let sources = load::read(paths);
    let (desired, file_errors) = validate::check(sources.files);
    let mut errors = sources.errors;
    errors.extend(file_errors);
    if errors.is_empty() {
        Ok(desired)
    } else {
        Err(SpecErrors(errors))
    }
}
