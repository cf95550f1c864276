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

use crate::diff::PatchOp;
use crate::live::{AwsError, AwsErrorKind, LiveClient};
use crate::model::Tags;
use crate::model::{grant_tag, GRANT_APPLIED, GRANT_PENDING};
use crate::plan::{BodyAction, GrantChange, KeyAction, Plan, PlanEntry};
use crate::render::count_of;

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

    /// The closing line: what was made, what failed or was skipped, and what to do.
    pub fn summary(&self) -> String {
        let made = count_of(self.applied.len(), "change", "changes");
        if self.succeeded() {
            return format!("Apply complete: {made} made");
        }
        let mut summary = format!(
            "Apply incomplete: {made} made, {} failed",
            self.failed.len()
        );
        if self.skipped > 0 {
            summary.push_str(&format!(", {} skipped", self.skipped));
        }
        summary.push_str("; run `tollgate apply` again to finish");
        summary
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
        let id = match (&entry.body, &entry.id) {
            (BodyAction::Create { tags, .. }, _) => {
                match client.create_plan(&entry.after, tags).await {
                    Ok(id) => {
                        report.record(entry, &id, "created".into(), progress);
                        id
                    }
                    Err(error) => {
                        report.fail(entry, None, error, steps.len());
                        continue;
                    }
                }
            }
            (_, Some(id)) => id.clone(),
            (_, None) => {
                let error = AwsError {
                    operation: "apply",
                    plan: None,
                    kind: AwsErrorKind::Other,
                    detail: "internal error: the plan has no id and is not being created".into(),
                };
                report.fail(entry, None, error, steps.len());
                continue;
            }
        };
        for (index, step) in steps.iter().enumerate() {
            match run_step(client, &mut pacer, &id, step).await {
                Ok(what) => report.record(entry, &id, what, progress),
                Err(error) => {
                    report.fail(entry, Some(&id), error, steps.len() - index - 1);
                    break;
                }
            }
        }
    }
    report
}

impl ApplyReport {
    /// Records a change that completed and reports it.
    fn record(
        &mut self,
        entry: &PlanEntry,
        id: &str,
        what: String,
        progress: &mut dyn FnMut(&Applied),
    ) {
        let applied = Applied {
            plan: entry.name.clone(),
            id: id.to_string(),
            what,
        };
        progress(&applied);
        self.applied.push(applied);
    }

    /// Records a failed change and the `skipped` changes of the plan after it.
    fn fail(&mut self, entry: &PlanEntry, id: Option<&str>, error: AwsError, skipped: usize) {
        self.failed.push(error.on_plan(&entry.name, id));
        self.skipped += skipped;
    }
}

/// One API-level step on an existing plan, after its create if it is new.
#[derive(Debug)]
enum Step<'a> {
    /// UpdateUsagePlan with these operations (an update, or a create's follow-up).
    Update(&'a [PatchOp]),
    /// CreateUsagePlanKey or DeleteUsagePlanKey.
    Key(KeyAction, &'a str),
    /// TagResource.
    SetTags(&'a Tags),
    /// UntagResource.
    RemoveTags(&'a [String]),
    /// The grant's record and UpdateUsage.
    Grant(&'a GrantChange),
}

/// The steps of one entry after its create, in the order they are applied.
fn steps(entry: &PlanEntry) -> Vec<Step<'_>> {
    let mut steps = Vec::new();
    match &entry.body {
        BodyAction::Unchanged => {}
        BodyAction::Create { follow_up, .. } => {
            if !follow_up.is_empty() {
                steps.push(Step::Update(follow_up));
            }
        }
        BodyAction::Update { operations } => steps.push(Step::Update(operations)),
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

/// Runs one step on the existing plan `id`; returns what was done.
async fn run_step(
    client: &LiveClient,
    pacer: &mut Pacer,
    id: &str,
    step: &Step<'_>,
) -> Result<String, AwsError> {
    Ok(match step {
        Step::Update(operations) => {
            pacer.before_update().await;
            client.update_plan(id, operations).await?;
            format!(
                "updated ({})",
                count_of(operations.len(), "operation", "operations")
            )
        }
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
            format!("set {}", count_of(tags.len(), "tag", "tags"))
        }
        Step::RemoveTags(keys) => {
            client.untag_plan(id, keys).await?;
            format!("removed {}", count_of(keys.len(), "tag", "tags"))
        }
        Step::Grant(grant) => {
            apply_grant(client, id, grant).await?;
            format!(
                "granted {} to key {}: remaining = {}",
                grant.grant_id, grant.key_id, grant.remaining
            )
        }
    })
}

/// Applies a grant once: records it as pending, calls UpdateUsage, records it as applied.
/// When UpdateUsage fails, the record is taken back, so the grant is planned again rather
/// than shown as interrupted; only an apply stopped between the calls leaves it pending.
async fn apply_grant(client: &LiveClient, id: &str, grant: &GrantChange) -> Result<(), AwsError> {
    let tag = grant_tag(&grant.key_id, &grant.grant_id);
    let record = |state: &str| Tags::from([(tag.clone(), state.to_string())]);
    client.tag_plan(id, &record(GRANT_PENDING)).await?;
    if let Err(error) = client
        .update_usage(id, &grant.key_id, &grant.operations())
        .await
    {
        // Best effort: if this fails too, the grant stays pending and is shown for attention.
        let _ = client.untag_plan(id, std::slice::from_ref(&tag)).await;
        return Err(error);
    }
    client.tag_plan(id, &record(GRANT_APPLIED)).await
}
