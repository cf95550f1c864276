//! Errors in the YAML, each located where it is found.

use crate::model::SourceLocation;
use std::fmt;

use crate::inert::printable;

/// One error in the desired state, at a place in a file when it has one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecError {
    /// Where the error is; `None` for an error with no place in a file.
    pub location: Option<SourceLocation>,
    /// What is wrong and what to do about it.
    pub message: String,
}

impl fmt::Display for SpecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // A message may quote the YAML (an unknown field's name): shown inert.
        let message = printable(&self.message);
        match &self.location {
            Some(location) => write!(f, "{location}: {message}"),
            None => write!(f, "error: {message}"),
        }
    }
}

impl std::error::Error for SpecError {}

/// Every error found in the desired state, in the order found.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SpecErrors(pub Vec<SpecError>);

impl fmt::Display for SpecErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (index, error) in self.0.iter().enumerate() {
            if index > 0 {
                writeln!(f)?;
            }
            write!(f, "{error}")?;
        }
        Ok(())
    }
}

impl std::error::Error for SpecErrors {}
