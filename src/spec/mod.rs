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
pub use load::is_yaml_name;
pub use schema::json_schema;

use crate::model::{DesiredApiKey, DesiredPlan, CREATION_TAG, OWNER_TAG};
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

impl Desired {
    /// In a project, where the owner tag (`tollgate:owner`) that tollgate keeps on every plan
    /// it manages and every key it creates leaves too little room for the declared tags and
    /// grant records in AWS's 50: one error per plan or key, at its name.
    pub fn owner_tag_room(&self) -> Vec<SpecError> {
        let plans = self.plans.iter().filter_map(|plan| {
            let declared = plan.tags.as_ref().map_or(0, |tags| tags.len());
            let records = limits::grant_records(plan.keys.as_deref(), &plan.named_keys);
            let message = limits::plan_tags_too_many(declared, records, plan.id.is_some(), true)?;
            Some(SpecError {
                location: Some(plan.location.clone()),
                message: format!("usage plan {}: {message}", plan.body.name),
            })
        });
        let most = limits::DECLARABLE_TAGS - 1;
        let keys = self.api_keys.iter().filter_map(|key| {
            let declared = key.tags.as_ref().map_or(0, |tags| tags.len());
            (declared > most).then(|| SpecError {
                location: Some(key.location.clone()),
                message: format!(
                    "API key {}: {declared} tags: AWS keeps at most {} on a key and tollgate \
                     keeps one for the creation marker `{CREATION_TAG}` and one for the owner \
                     tag `{OWNER_TAG}` of a key it creates; declare at most {most}",
                    key.name,
                    limits::MAX_TAGS
                ),
            })
        });
        plans.chain(keys).collect()
    }
}
