//! Desired x live -> typed changes, and their projection onto patch operations: the minimal
//! UpdateUsagePlan operations, method-throttle paths and the order AWS accepts them in.

use std::fmt;

mod body;
mod change;
mod path;

pub use body::{body_changes, body_operations, create_follow_up};
pub use change::{Field, FieldChange, MethodRef, Value};
pub(crate) use path::{leaf_path, method_throttle_path, API_STAGES};

/// A patch operation's verb.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Op {
    /// `add`
    Add,
    /// `replace`
    Replace,
    /// `remove`
    Remove,
}

impl Op {
    /// The wire form: `add`, `replace` or `remove`.
    pub fn as_str(self) -> &'static str {
        match self {
            Op::Add => "add",
            Op::Replace => "replace",
            Op::Remove => "remove",
        }
    }
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One patch operation, exactly as it is sent to AWS.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PatchOp {
    /// The verb.
    pub op: Op,
    /// The path, for example `/quota/limit`.
    pub path: String,
    /// The value, always a string on the wire; `None` for a `remove` that takes none.
    pub value: Option<String>,
}
