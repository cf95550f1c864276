//! Test helpers shared by tollgate's crates.
//!
//! The tests drive real tools: the AWS CLI and moto's server, installed by `./scripts/test`
//! into the project's Python virtual environment, and the Rust SDK pointed at a local
//! endpoint. A missing tool makes the test fail with a message saying how to install it;
//! nothing is skipped silently.

mod awscli;
mod moto;
mod sdk;
mod sealed;
mod venv;

pub use awscli::{AwsCli, CliOutput};
pub use moto::MotoServer;
pub use sdk::{sdk_client, sdk_client_as, sdk_client_without_retries};
pub use venv::{venv_dir, venv_tool, workspace_root};
