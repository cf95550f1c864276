//! The real AWS CLI, run from the project's virtual environment against a local endpoint.

use std::path::PathBuf;
use std::process::{Command, ExitStatus};

use crate::sealed::seal;
use crate::venv::venv_tool;

/// The AWS CLI aimed at one endpoint, in a sealed environment: dummy credentials, empty
/// config and credentials files, no pager, and nothing inherited from the caller's `AWS_*`
/// variables or `~/.aws`.
pub struct AwsCli {
    program: PathBuf,
    endpoint: String,
    home: tempfile::TempDir,
}

/// What one AWS CLI run gave back.
#[derive(Debug)]
pub struct CliOutput {
    /// The exit status.
    pub status: ExitStatus,
    /// Standard output, decoded lossily.
    pub stdout: String,
    /// Standard error, decoded lossily.
    pub stderr: String,
}

impl AwsCli {
    /// An AWS CLI that talks to `endpoint` in `us-east-1`.
    ///
    /// # Panics
    ///
    /// When the AWS CLI is not installed (see [`crate::venv_tool`]).
    pub fn new(endpoint: &str) -> AwsCli {
        let program = venv_tool("aws");
        let home = tempfile::tempdir().expect("create a home folder for the AWS CLI");
        AwsCli {
            program,
            endpoint: endpoint.to_owned(),
            home,
        }
    }

    /// Runs `aws apigateway <args> --endpoint-url <endpoint> --region us-east-1 --output json`.
    pub fn apigateway(&self, args: &[&str]) -> CliOutput {
        let mut command = Command::new(&self.program);
        command
            .arg("apigateway")
            .args(args)
            .args(["--endpoint-url", &self.endpoint])
            .args(["--region", "us-east-1", "--output", "json"]);
        let output = seal(&mut command, self.home.path())
            .output()
            .unwrap_or_else(|err| panic!("run {}: {err}", self.program.display()));
        CliOutput {
            status: output.status,
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    /// Runs [`AwsCli::apigateway`] and parses its output as JSON.
    ///
    /// # Panics
    ///
    /// When the command fails or its output is not JSON; the message shows the command's
    /// output.
    pub fn apigateway_json(&self, args: &[&str]) -> serde_json::Value {
        let out = self.apigateway(args);
        assert!(
            out.status.success(),
            "aws apigateway {args:?} failed with {}:\n{}",
            out.status,
            out.stderr
        );
        if out.stdout.trim().is_empty() {
            return serde_json::Value::Null;
        }
        serde_json::from_str(&out.stdout).unwrap_or_else(|err| {
            panic!(
                "aws apigateway {args:?} printed no JSON ({err}):\n{}",
                out.stdout
            )
        })
    }
}
