//! Carries out a Plan through the live client: order, results and progress.
//!
//! Plans are applied one after another, each plan's changes in the order the Plan lists them
//! (create or update, keys, tags, grants). A failed change stops the rest of that plan's
//! changes, since they may depend on it, and the other plans go on; running apply again
//! finishes the job.
//!
//! UpdateUsagePlan calls are paced: AWS allows one every 20 seconds per account, so the
//! applier waits out the interval between two of them instead of drawing a 429.

use std::time::Duration;

use tokio::time::Instant;

use crate::live::{AwsError, LiveClient};
use crate::model::Tags;
use crate::plan::{BodyAction, KeyAction, Plan, PlanEntry};
use crate::reconcile::{grant_tag, GRANT_APPLIED, GRANT_PENDING};

/// One change that completed, for the progress report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    /// The plan's declared name.
    pub plan: String,
    /// The plan's id (the new one for a created plan).
    pub id: String,
    /// What was done, such as `updated (3 operations)`.
    pub what: String,
}

/// What an apply did.
#[derive(Debug, Default)]
pub struct ApplyReport {
    /// The changes that completed.
    pub applied: Vec<Applied>,
    /// The changes that failed, each naming its plan and operation.
    pub failed: Vec<AwsError>,
    /// Changes not tried because an earlier change of the same plan failed.
    pub skipped: usize,
}

impl ApplyReport {
    /// Whether every change succeeded.
    pub fn succeeded(&self) -> bool {
        self.failed.is_empty()
    }
}

/// AWS's account quota for UpdateUsagePlan: one call every 20 seconds.
pub const AWS_UPDATE_INTERVAL: Duration = Duration::from_secs(20);

/// Spaces UpdateUsagePlan calls at least `interval` apart.
#[derive(Debug)]
struct Pacer {
    interval: Duration,
    last: Option<Instant>,
}

impl Pacer {
    /// Waits until the next UpdateUsagePlan call is allowed, and counts it as made.
    async fn before_update(&mut self) {
        if let Some(last) = self.last {
            tokio::time::sleep_until(last + self.interval).await;
        }
        self.last = Some(Instant::now());
    }
}

/// Applies every change of `plan`, calling `progress` as each one completes, with
/// UpdateUsagePlan calls at least `update_interval` apart.
pub async fn apply(
    client: &LiveClient,
    plan: &Plan,
    update_interval: Duration,
    progress: &mut dyn FnMut(&Applied),
) -> ApplyReport {
    let mut report = ApplyReport::default();
    let mut pacer = Pacer {
        interval: update_interval,
        last: None,
    };
    for entry in plan.entries.iter().filter(|entry| entry.has_changes()) {
        let steps = steps(entry);
        let mut id = entry.id.clone();
        for (index, step) in steps.iter().enumerate() {
            match run_step(client, &mut pacer, entry, id.as_deref(), step).await {
                Ok((new_id, what)) => {
                    let applied = Applied {
                        plan: entry.name.clone(),
                        id: new_id.clone(),
                        what,
                    };
                    progress(&applied);
                    report.applied.push(applied);
                    id = Some(new_id);
                }
                Err(error) => {
                    report
                        .failed
                        .push(error.on_plan(&entry.name, id.as_deref()));
                    report.skipped += steps.len() - index - 1;
                    break;
                }
            }
        }
    }
    report
}

/// One API-level step of a plan entry.
#[derive(Debug)]
enum Step<'a> {
    Body(&'a BodyAction),
    Key(KeyAction, &'a str),
    SetTags(&'a Tags),
    RemoveTags(&'a [String]),
    Grant(&'a crate::plan::GrantChange),
}

/// The steps of one entry, in the order they are applied.
fn steps(entry: &PlanEntry) -> Vec<Step<'_>> {
    let mut steps = Vec::new();
    if entry.body != BodyAction::Unchanged {
        steps.push(Step::Body(&entry.body));
    }
    steps.extend(
        entry
            .keys
            .iter()
            .map(|key| Step::Key(key.action, &key.key_id)),
    );
    if let Some(tags) = &entry.tags {
        if !tags.set.is_empty() {
            steps.push(Step::SetTags(&tags.set));
        }
        if !tags.remove.is_empty() {
            steps.push(Step::RemoveTags(&tags.remove));
        }
    }
    steps.extend(entry.grants.iter().map(Step::Grant));
    steps
}

/// Runs one step; returns the plan's id (new after a create) and what was done.
async fn run_step(
    client: &LiveClient,
    pacer: &mut Pacer,
    entry: &PlanEntry,
    id: Option<&str>,
    step: &Step<'_>,
) -> Result<(String, String), AwsError> {
    if let Step::Body(BodyAction::Create { tags, follow_up }) = step {
        let new_id = client.create_plan(&entry.after, tags).await?;
        if !follow_up.is_empty() {
            pacer.before_update().await;
            client
                .update_plan(&new_id, follow_up)
                .await
                .map_err(|error| error.on_plan(&entry.name, Some(&new_id)))?;
        }
        return Ok((new_id, "created".to_string()));
    }
    let Some(id) = id else {
        // Every other step comes after the create that gives the plan its id.
        return Err(AwsError {
            operation: "apply",
            plan: None,
            kind: crate::live::AwsErrorKind::Other,
            detail: "the plan has no id yet".into(),
        });
    };
    let what = match step {
        Step::Body(BodyAction::Update { operations }) => {
            pacer.before_update().await;
            client.update_plan(id, operations).await?;
            format!("updated ({})", count(operations.len(), "operation"))
        }
        Step::Body(_) => String::from("unchanged"),
        Step::Key(KeyAction::Add, key_id) => {
            client.add_key(id, key_id).await?;
            format!("added key {key_id}")
        }
        Step::Key(KeyAction::Remove, key_id) => {
            client.remove_key(id, key_id).await?;
            format!("removed key {key_id}")
        }
        Step::SetTags(tags) => {
            client.tag_plan(id, tags).await?;
            format!("set {}", count(tags.len(), "tag"))
        }
        Step::RemoveTags(keys) => {
            client.untag_plan(id, keys).await?;
            format!("removed {}", count(keys.len(), "tag"))
        }
        Step::Grant(grant) => {
            let tag = grant_tag(&grant.key_id, &grant.grant_id);
            let record = |state: &str| Tags::from([(tag.clone(), state.to_string())]);
            client.tag_plan(id, &record(GRANT_PENDING)).await?;
            client
                .update_usage(id, &grant.key_id, &grant.operations())
                .await?;
            client.tag_plan(id, &record(GRANT_APPLIED)).await?;
            format!(
                "granted {} to key {}: remaining = {}",
                grant.grant_id, grant.key_id, grant.remaining
            )
        }
    };
    Ok((id.to_string(), what))
}

/// `1 operation`, `3 operations`.
pub fn count(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}
