//! Carries out a Plan through the live client, from a dependency graph of its steps.
//!
//! Every change of the plan becomes a step that names the steps it depends on:
//! - a created plan's follow-up, keys and grants wait for its CreateUsagePlan;
//! - a key's addition to a plan waits for the plan's create or update (which may add the
//!   stage the key needs) and for the key's removal from every other plan that shares a stage
//!   with it (AWS refuses a key on two plans sharing a stage with a 409);
//! - a key that moves between two plans sharing a stage is one step: its removal, then at
//!   once its addition, so a customer is without a plan only for the two calls;
//! - a grant waits for its key's association and for its plan's create or update (which may
//!   change the quota it extends).
//!
//! Steps run in an order that respects these edges: plan bodies, key moves, other key
//! removals, key additions, tags, grants. A failed step skips only the steps that depend on
//! it, directly or not; everything else goes on, and running apply again finishes the job.
//!
//! UpdateUsagePlan calls are paced: AWS allows one every 20 seconds per account, so the
//! applier waits out the interval between two of them instead of drawing a 429.

use std::collections::BTreeSet;
use std::time::Duration;

use tokio::time::Instant;

use crate::diff::PatchOp;
use crate::live::{AwsError, AwsErrorKind, LiveClient};
use crate::model::{grant_tag, StageRef, Tags, GRANT_APPLIED, GRANT_PENDING};
use crate::plan::{BodyAction, GrantChange, KeyAction, Plan, PlanEntry};

/// What a completed step did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Done {
    /// CreateUsagePlan made the plan.
    Created,
    /// UpdateUsagePlan sent this many operations.
    Updated {
        /// How many patch operations were sent.
        operations: usize,
    },
    /// CreateUsagePlanKey put the key on the plan.
    KeyAdded(String),
    /// DeleteUsagePlanKey took the key off the plan.
    KeyRemoved(String),
    /// The key left another plan sharing a stage and joined this one.
    KeyMoved {
        /// The API key's id.
        key_id: String,
        /// The plan it left, as `"Silver" (id)`.
        from: String,
    },
    /// TagResource set this many tags.
    TagsSet(usize),
    /// UntagResource removed this many tags.
    TagsRemoved(usize),
    /// UpdateUsage applied a grant, recorded as applied.
    Granted {
        /// The grant's id.
        grant_id: String,
        /// The API key's id.
        key_id: String,
        /// The remaining quota set.
        remaining: i64,
    },
}

/// One change that completed, for the progress report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    /// The plan's declared name.
    pub plan: String,
    /// The plan's id (the new one for a created plan).
    pub id: String,
    /// What was done.
    pub done: Done,
}

/// What an apply did.
#[derive(Debug, Default)]
pub struct ApplyReport {
    /// The changes that completed.
    pub applied: Vec<Applied>,
    /// The changes that failed, each naming its plan and operation.
    pub failed: Vec<AwsError>,
    /// Changes not tried because a change they depend on failed.
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

/// One API-level step of the apply.
#[derive(Debug)]
enum Step<'a> {
    /// CreateUsagePlan.
    Create,
    /// UpdateUsagePlan with these operations (an update, or a create's follow-up).
    Update(&'a [PatchOp]),
    /// CreateUsagePlanKey.
    AddKey(&'a str),
    /// DeleteUsagePlanKey.
    RemoveKey(&'a str),
    /// DeleteUsagePlanKey on plan `from` (an entry index), then CreateUsagePlanKey on this one.
    MoveKey { key_id: &'a str, from: usize },
    /// TagResource.
    SetTags(&'a Tags),
    /// UntagResource.
    RemoveTags(&'a [String]),
    /// The grant's record and UpdateUsage.
    Grant(&'a GrantChange),
}

/// A step of one entry and the steps (by index in the graph) it waits for.
#[derive(Debug)]
struct Node<'a> {
    /// The entry (by index in the plan's changed entries) the step belongs to.
    entry: usize,
    step: Step<'a>,
    depends_on: Vec<usize>,
}

/// The steps of `entries` with their dependencies, in an order that respects them.
fn graph<'a>(entries: &[&'a PlanEntry]) -> Vec<Node<'a>> {
    let mut nodes: Vec<Node<'a>> = Vec::new();
    // The node that creates or updates each entry's body, if any.
    let mut body: Vec<Option<usize>> = vec![None; entries.len()];
    for (index, entry) in entries.iter().enumerate() {
        match &entry.body {
            BodyAction::Unchanged => {}
            BodyAction::Create { follow_up, .. } => {
                body[index] = Some(nodes.len());
                nodes.push(Node {
                    entry: index,
                    step: Step::Create,
                    depends_on: Vec::new(),
                });
                if !follow_up.is_empty() {
                    let create = nodes.len() - 1;
                    nodes.push(Node {
                        entry: index,
                        step: Step::Update(follow_up),
                        depends_on: vec![create],
                    });
                }
            }
            BodyAction::Update { operations } => {
                body[index] = Some(nodes.len());
                nodes.push(Node {
                    entry: index,
                    step: Step::Update(operations),
                    depends_on: Vec::new(),
                });
            }
        }
    }
    let on_body = |index: usize| body[index].into_iter().collect::<Vec<_>>();
    let removals: Vec<(usize, &str)> = key_changes(entries, KeyAction::Remove);
    let additions: Vec<(usize, &str)> = key_changes(entries, KeyAction::Add);
    // A removal that shares a stage with an addition of the same key must come first; the
    // first such removal and the addition make one move.
    let conflicting = |to: usize, key_id: &str| -> Vec<usize> {
        removals
            .iter()
            .enumerate()
            .filter(|(_, (from, removed))| {
                *removed == key_id && *from != to && share_a_stage(entries[*from], entries[to])
            })
            .map(|(position, _)| position)
            .collect()
    };
    let mut moved: BTreeSet<usize> = BTreeSet::new();
    let mut moves = Vec::new();
    for &(to, key_id) in &additions {
        if let Some(&first) = conflicting(to, key_id).first() {
            moved.insert(first);
            moves.push((to, key_id, removals[first].0));
        }
    }
    // The node of each removal, and of each addition (a move's node serves both).
    let mut removal_node = vec![0; removals.len()];
    let mut addition_node = Vec::with_capacity(additions.len());
    for &(to, key_id, from) in &moves {
        let position = removals
            .iter()
            .position(|&(f, k)| f == from && k == key_id)
            .unwrap_or_default();
        removal_node[position] = nodes.len();
        nodes.push(Node {
            entry: to,
            step: Step::MoveKey { key_id, from },
            depends_on: on_body(to),
        });
    }
    for (position, &(from, key_id)) in removals.iter().enumerate() {
        if !moved.contains(&position) {
            removal_node[position] = nodes.len();
            nodes.push(Node {
                entry: from,
                step: Step::RemoveKey(key_id),
                depends_on: Vec::new(),
            });
        }
    }
    for &(to, key_id) in &additions {
        let waits_for: Vec<usize> = conflicting(to, key_id)
            .into_iter()
            .map(|position| removal_node[position])
            .collect();
        let node = match moves.iter().position(|&(t, k, _)| t == to && k == key_id) {
            Some(_) => waits_for[0],
            None => {
                nodes.push(Node {
                    entry: to,
                    step: Step::AddKey(key_id),
                    depends_on: on_body(to),
                });
                nodes.len() - 1
            }
        };
        // Further removals of the key from plans sharing a stage come before the addition.
        for other in waits_for.into_iter().filter(|&other| other != node) {
            nodes[node].depends_on.push(other);
        }
        addition_node.push(((to, key_id), node));
    }
    for (index, entry) in entries.iter().enumerate() {
        if let Some(tags) = &entry.tags {
            for step in [
                (!tags.set.is_empty()).then_some(Step::SetTags(&tags.set)),
                (!tags.remove.is_empty()).then_some(Step::RemoveTags(&tags.remove)),
            ]
            .into_iter()
            .flatten()
            {
                nodes.push(Node {
                    entry: index,
                    step,
                    depends_on: on_body(index),
                });
            }
        }
    }
    for (index, entry) in entries.iter().enumerate() {
        for grant in &entry.grants {
            let mut depends_on = on_body(index);
            depends_on.extend(
                addition_node
                    .iter()
                    .filter(|((to, key_id), _)| *to == index && *key_id == grant.key_id)
                    .map(|(_, node)| *node),
            );
            nodes.push(Node {
                entry: index,
                step: Step::Grant(grant),
                depends_on,
            });
        }
    }
    nodes
}

/// The key changes of `action` over all entries, as (entry index, key id).
fn key_changes<'a>(entries: &[&'a PlanEntry], action: KeyAction) -> Vec<(usize, &'a str)> {
    entries
        .iter()
        .enumerate()
        .flat_map(|(index, entry)| {
            entry
                .keys
                .iter()
                .filter(move |key| key.action == action)
                .map(move |key| (index, key.key_id.as_str()))
        })
        .collect()
}

/// Whether two plans share a stage, counting the stages each has before and after the apply.
fn share_a_stage(a: &PlanEntry, b: &PlanEntry) -> bool {
    let stages = |entry: &PlanEntry| -> BTreeSet<StageRef> {
        entry
            .after
            .stages
            .keys()
            .chain(entry.before.iter().flat_map(|before| before.stages.keys()))
            .cloned()
            .collect()
    };
    !stages(a).is_disjoint(&stages(b))
}

/// How a step ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Succeeded,
    Failed,
    Skipped,
}

/// Applies every change of `plan`, calling `progress` as each one completes, with
/// UpdateUsagePlan calls at least `update_interval` apart.
pub async fn apply(
    client: &LiveClient,
    plan: &Plan,
    update_interval: Duration,
    progress: &mut dyn FnMut(&Applied),
) -> ApplyReport {
    let entries: Vec<&PlanEntry> = plan.entries.iter().filter(|e| e.has_changes()).collect();
    let mut ids: Vec<Option<String>> = entries.iter().map(|entry| entry.id.clone()).collect();
    let mut report = ApplyReport::default();
    let mut pacer = Pacer {
        interval: update_interval,
        last: None,
    };
    let nodes = graph(&entries);
    let mut outcomes: Vec<Outcome> = Vec::with_capacity(nodes.len());
    for node in &nodes {
        let blocked = node
            .depends_on
            .iter()
            .any(|&dependency| outcomes[dependency] != Outcome::Succeeded);
        let entry = entries[node.entry];
        let outcome = if blocked {
            report.skipped += 1;
            Outcome::Skipped
        } else {
            match run_step(client, &mut pacer, &entries, &mut ids, node).await {
                Ok(done) => {
                    let applied = Applied {
                        plan: entry.name.clone(),
                        id: ids[node.entry].clone().unwrap_or_default(),
                        done,
                    };
                    progress(&applied);
                    report.applied.push(applied);
                    Outcome::Succeeded
                }
                Err(error) => {
                    let id = ids[node.entry].as_deref();
                    report.failed.push(error.on_plan(&entry.name, id));
                    Outcome::Failed
                }
            }
        };
        outcomes.push(outcome);
    }
    report
}

/// Runs one step; returns what was done.
async fn run_step(
    client: &LiveClient,
    pacer: &mut Pacer,
    entries: &[&PlanEntry],
    ids: &mut [Option<String>],
    node: &Node<'_>,
) -> Result<Done, AwsError> {
    let entry = entries[node.entry];
    if let Step::Create = node.step {
        let tags = match &entry.body {
            BodyAction::Create { tags, .. } => tags.clone(),
            _ => Tags::new(),
        };
        let id = client.create_plan(&entry.after, &tags).await?;
        ids[node.entry] = Some(id);
        return Ok(Done::Created);
    }
    let id = ids[node.entry].clone().ok_or_else(|| AwsError {
        operation: "apply",
        plan: None,
        kind: AwsErrorKind::Other,
        detail: "internal error: the plan has no id and is not being created".into(),
    })?;
    Ok(match node.step {
        Step::Create => Done::Created,
        Step::Update(operations) => {
            pacer.before_update().await;
            client.update_plan(&id, operations).await?;
            Done::Updated {
                operations: operations.len(),
            }
        }
        Step::AddKey(key_id) => {
            client.add_key(&id, key_id).await?;
            Done::KeyAdded(key_id.to_string())
        }
        Step::RemoveKey(key_id) => {
            client.remove_key(&id, key_id).await?;
            Done::KeyRemoved(key_id.to_string())
        }
        Step::MoveKey { key_id, from } => {
            let source = entries[from];
            let from_id = ids[from].clone().unwrap_or_default();
            client
                .remove_key(&from_id, key_id)
                .await
                .map_err(|error| error.on_plan(&source.name, Some(&from_id)))?;
            client.add_key(&id, key_id).await?;
            Done::KeyMoved {
                key_id: key_id.to_string(),
                from: format!("\"{}\" ({from_id})", source.name),
            }
        }
        Step::SetTags(tags) => {
            client.tag_plan(&id, tags).await?;
            Done::TagsSet(tags.len())
        }
        Step::RemoveTags(keys) => {
            client.untag_plan(&id, keys).await?;
            Done::TagsRemoved(keys.len())
        }
        Step::Grant(grant) => {
            apply_grant(client, &id, grant).await?;
            Done::Granted {
                grant_id: grant.grant_id.clone(),
                key_id: grant.key_id.clone(),
                remaining: grant.remaining,
            }
        }
    })
}

/// Applies a grant once: records it as pending, calls UpdateUsage, records it as applied.
///
/// Only a refusal of UpdateUsage (AWS answered that it did not do it: a 4xx; a 429 is waited
/// out and sent again) takes the record back, so the grant is planned again. Any other failure (a timeout, a closed
/// connection, a 5xx: the quota may have been granted) leaves the record pending, shown for
/// attention and applied again only with `--retry-pending-grants`.
async fn apply_grant(client: &LiveClient, id: &str, grant: &GrantChange) -> Result<(), AwsError> {
    let tag = grant_tag(&grant.key_id, &grant.grant_id);
    let record = |state: &str| Tags::from([(tag.clone(), state.to_string())]);
    client.tag_plan(id, &record(GRANT_PENDING)).await?;
    if let Err(error) = client
        .update_usage(id, &grant.key_id, &grant.operations())
        .await
    {
        if !error.kind.may_have_happened() {
            // Best effort: if this fails too, the grant stays pending and is shown for attention.
            let _ = client.untag_plan(id, std::slice::from_ref(&tag)).await;
            return Err(error);
        }
        return Err(AwsError {
            kind: AwsErrorKind::OutcomeUnknown,
            detail: format!(
                "{}; the grant's outcome is unknown, so its record stays pending: check key {}'s \
                 usage (aws apigateway get-usage), then run with --retry-pending-grants only if it \
                 was not applied",
                error.detail, grant.key_id
            ),
            ..error
        });
    }
    client.tag_plan(id, &record(GRANT_APPLIED)).await
}
