//! Saved plans: `plan --out FILE` writes one, `show FILE` renders it without calling AWS, and
//! `apply FILE` applies exactly its changes, or refuses when the account, region or endpoint
//! differ or a plan or key it changes or deletes has changed since.
//!
//! [`file`] is the file's format, [`context`] where it was made, [`stale`] the fingerprints
//! and the staleness check, [`reviewed`] the check against the YAML in the checkout,
//! [`signature`] the optional HMAC, and [`resume`] the steps of `apply FILE`.

pub mod context;
pub mod file;
pub mod resume;
pub mod reviewed;
pub mod signature;
pub mod stale;

use std::path::{Path, PathBuf};

use thiserror::Error;

use crate::live::AwsError;
use crate::spec::is_yaml_name;

pub use context::Context;
pub use file::{Inputs, SavedPlan};
pub use resume::resume;

/// Why a saved plan cannot be written, read or applied.
#[derive(Debug, Error)]
pub enum SavedPlanError {
    /// The file cannot be read.
    #[error("cannot read the saved plan {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// The file cannot be written.
    #[error("cannot write the saved plan {path}: {source}")]
    Write {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not a saved plan tollgate can use.
    #[error(
        "{path} is not a usable saved plan: {detail}. Nothing was sent to AWS; make a new one with `tollgate plan --out {path}`"
    )]
    Damaged {
        /// The file.
        path: String,
        /// What is wrong with it.
        detail: String,
    },
    /// The file's signature is missing where one is required, or does not match.
    #[error(
        "{path} was not applied: {detail}. Nothing was sent to AWS; make a new plan on the default branch with `tollgate plan --out`, and apply that"
    )]
    Signature {
        /// The file.
        path: String,
        /// What is wrong with the signature.
        detail: String,
    },
    /// The file creates, changes or deletes a plan or key otherwise than the YAML in this
    /// checkout declares it, or the YAML cannot be read.
    #[error(
        "{path} does not match the YAML it was planned from, as this checkout has it, so it was not applied:\n{}\nNothing was sent to AWS; make a new plan from this checkout (on the default branch) with `tollgate plan --out {path}`, review it, and apply that",
        differences.iter().map(|difference| format!("  - {difference}")).collect::<Vec<_>>().join("\n")
    )]
    Unreviewed {
        /// The file.
        path: String,
        /// What differs, one sentence each.
        differences: Vec<String>,
    },
    /// The file has a format version this tollgate does not know.
    #[error(
        "{path} is a saved plan of formatVersion {found}, and this tollgate reads formatVersion 1 only. Nothing was sent to AWS; use the tollgate that wrote it, or make a new plan with `tollgate plan --out {path}`"
    )]
    UnknownVersion {
        /// The file.
        path: String,
        /// The version found, as written.
        found: String,
    },
    /// The plan was made for another account, region or endpoint.
    #[error(
        "{path} was not applied: {}. Nothing was sent to AWS; apply it with the credentials, region and endpoint it was made with, or make a new plan with `tollgate plan --out`",
        mismatches.join("; ")
    )]
    Elsewhere {
        /// The file.
        path: String,
        /// What differs, one sentence each.
        mismatches: Vec<String>,
    },
    /// A plan the file changes has changed since the plan was made.
    #[error(
        "{path} is stale, so it was not applied:\n{}\nNothing was sent to AWS; make a new plan with `tollgate plan --out {path}`, review it, and apply that",
        changes.iter().map(|change| format!("  - {change}")).collect::<Vec<_>>().join("\n")
    )]
    Stale {
        /// The file.
        path: String,
        /// What changed, one plan and part each.
        changes: Vec<String>,
    },
    /// AWS would refuse the file's changes, as the account is now (a stage, a method or an API
    /// gone, a key now on a plan sharing a stage).
    #[error(
        "{path} was not applied: AWS would refuse it as the account is now:\n{}\nNothing was sent to AWS; correct the YAML or the account, then make a new plan with `tollgate plan --out {path}`",
        errors.join("\n")
    )]
    Refused {
        /// The file.
        path: String,
        /// Each refusal, located in the YAML the plan was made from.
        errors: Vec<String>,
    },
    /// An AWS call failed.
    #[error(transparent)]
    Aws(#[from] AwsError),
}

/// The saved plan among the paths `apply` was given: a single path that is a regular file
/// whose name does not end in `.yaml` or `.yml`, in any letter case (YAML files and folders
/// are read as YAML).
pub fn saved_plan_path(paths: &[PathBuf]) -> Option<&Path> {
    match paths {
        [path] if path.is_file() && !is_yaml_name(path) => Some(path),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_single_file_not_named_yaml_is_a_saved_plan() {
        let dir = tempfile::tempdir().expect("a scratch folder");
        let write = |name: &str| {
            let path = dir.path().join(name);
            std::fs::write(&path, "{}").expect("write");
            path
        };
        let saved = write("plan.tollgate");
        let yaml = write("plans.yaml");
        let yml = write("plans.yml");
        let upper = write("PLANS.YAML");
        assert_eq!(
            saved_plan_path(std::slice::from_ref(&saved)),
            Some(saved.as_path())
        );
        assert_eq!(saved_plan_path(std::slice::from_ref(&yaml)), None);
        assert_eq!(saved_plan_path(&[yml]), None);
        assert_eq!(saved_plan_path(&[upper]), None);
        assert_eq!(saved_plan_path(&[saved.clone(), yaml]), None);
        assert_eq!(saved_plan_path(&[dir.path().to_path_buf()]), None);
        assert_eq!(saved_plan_path(&[dir.path().join("missing")]), None);
    }
}
