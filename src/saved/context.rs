//! Where and by what a saved plan was made, and the check that `apply FILE` runs in the same
//! place: the same account, region and endpoint.

use std::process::{Command, Stdio};

use serde::{Deserialize, Serialize};

use crate::endpoint::Endpoint;

/// Where and by what a saved plan was made (its region is the JSON plan's own `region`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Context {
    /// The project file's project, when the plan was made for one of its targets.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project: Option<String>,
    /// The AWS account, from STS GetCallerIdentity.
    pub account: String,
    /// The endpoint configured (`--endpoint-url`, `AWS_ENDPOINT_URL`); absent for AWS's own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<String>,
    /// STS's endpoint configured (`AWS_ENDPOINT_URL_STS`, an emulator's); absent for AWS's
    /// own. STS told the account.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sts_endpoint: Option<String>,
    /// The version of tollgate that made the plan.
    pub tollgate_version: String,
    /// `git rev-parse HEAD` where the plan was made; absent outside a Git repository.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub git_commit: Option<String>,
}

impl Context {
    /// The context of a plan made now, here, in `account`, against API Gateway's `endpoint`
    /// and STS's `sts_endpoint`.
    pub fn here(
        project: Option<&str>,
        account: String,
        endpoint: Option<&str>,
        sts_endpoint: Option<&str>,
    ) -> Context {
        Context {
            project: project.map(str::to_string),
            account,
            endpoint: endpoint.map(str::to_string),
            sts_endpoint: sts_endpoint.map(str::to_string),
            tollgate_version: env!("CARGO_PKG_VERSION").to_string(),
            git_commit: git_commit(),
        }
    }
}

/// The commit checked out in the current folder (`git rev-parse HEAD`, quietly); `None`
/// outside a repository, without Git, or before the first commit.
fn git_commit() -> Option<String> {
    let output = Command::new("git")
        .args(["rev-parse", "HEAD"])
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()?;
    let commit = String::from_utf8(output.stdout).ok()?.trim().to_string();
    let is_hash = !commit.is_empty() && commit.bytes().all(|b| b.is_ascii_hexdigit());
    (output.status.success() && is_hash).then_some(commit)
}

/// Where a saved plan is about to be applied.
#[derive(Debug, Clone, Copy)]
pub struct Target<'a> {
    /// The account the credentials belong to now.
    pub account: &'a str,
    /// The region the client talks to now.
    pub region: &'a str,
    /// The endpoint configured now, if any.
    pub endpoint: Option<&'a str>,
}

/// What differs between where a plan was made (`context`, `region`) and `target`, one
/// sentence each; empty when it is the same place.
pub fn mismatches(context: &Context, region: &str, target: Target<'_>) -> Vec<String> {
    let mut found = Vec::new();
    if context.account != target.account {
        found.push(format!(
            "it was made for account {}, and the credentials now belong to account {}",
            context.account, target.account
        ));
    }
    if region != target.region {
        found.push(format!(
            "it was made for region {region}, and the region now is {}",
            target.region
        ));
    }
    let normalised =
        |endpoint: Option<&str>| endpoint.map(|url| url.trim_end_matches('/').to_string());
    if normalised(context.endpoint.as_deref()) != normalised(target.endpoint) {
        let shown = |endpoint: Option<&str>| match endpoint {
            Some(url) => format!("endpoint {}", Endpoint::shown_in_errors(url)),
            None => "AWS's own endpoint".to_string(),
        };
        found.push(format!(
            "it was made against {}, and tollgate now talks to {}",
            shown(context.endpoint.as_deref()),
            shown(target.endpoint)
        ));
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn context() -> Context {
        Context {
            project: None,
            account: "123456789012".into(),
            endpoint: Some("http://127.0.0.1:4000".into()),
            sts_endpoint: None,
            tollgate_version: "0.1.0".into(),
            git_commit: None,
        }
    }

    #[test]
    fn the_same_place_has_no_mismatch() {
        let target = Target {
            account: "123456789012",
            region: "us-east-1",
            endpoint: Some("http://127.0.0.1:4000/"),
        };
        assert_eq!(
            mismatches(&context(), "us-east-1", target),
            Vec::<String>::new()
        );
    }

    #[test]
    fn each_difference_is_named() {
        let target = Target {
            account: "210987654321",
            region: "eu-west-1",
            endpoint: None,
        };
        let found = mismatches(&context(), "us-east-1", target);
        assert_eq!(found.len(), 3, "{found:?}");
        assert!(found[0].contains("account 123456789012") && found[0].contains("210987654321"));
        assert!(found[1].contains("region us-east-1") && found[1].contains("eu-west-1"));
        assert!(found[2].contains("AWS's own endpoint"));
    }
}
