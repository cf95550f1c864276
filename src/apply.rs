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
//! Every step whose dependencies are done starts at once, in the order plan bodies, key
//! moves, other key removals, key additions, tags, grants; the client's pacer spaces the
//! calls inside AWS's quotas, so work that does not need UpdateUsagePlan's slot (one every
//! 20 seconds) goes on in the gaps between paced updates. A failed step skips only the steps
//! that depend on it, directly or not; everything else goes on, and running apply again
//! finishes the job.
//!
//! After a stop request (Ctrl-C, SIGTERM) no step starts; a step in flight finishes what it
//! started (a move's addition after its removal, a grant's UpdateUsage and record after its
//! pending record), and the rest is reported as not started.

use std::collections::{BTreeMap, BTreeSet};

use futures_util::stream::{FuturesUnordered, StreamExt};

use crate::diff::{self, Op, PatchOp};
use crate::live::{creation_token, AwsError, AwsErrorKind, LiveClient, Tagged};
use crate::model::{
    grant_tag, swap_placeholder, Names, PlanBody, StageRef, Tags, GRANT_APPLIED, GRANT_PENDING,
};
use crate::plan::{
    format_day, ApiKeyEntry, ApiKeyTarget, Baseline, GrantChange, KeyAction, Plan, PlanEntry,
    Target,
};

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
    /// CreateUsagePlanKey put the key on the plan; the key as people read it, its name beside
    /// its id where the run knows it (`acme (k3yacme)`), else its id.
    KeyAdded(String),
    /// DeleteUsagePlanKey took the key off the plan (the key as in [`Done::KeyAdded`]).
    KeyRemoved(String),
    /// The key left another plan sharing a stage and joined this one.
    KeyMoved {
        /// The API key, as in [`Done::KeyAdded`].
        key: String,
        /// The declared name of the plan it left.
        from_plan: String,
        /// The id of the plan it left, when known.
        from_id: Option<String>,
    },
    /// DeleteUsagePlan deleted an orphan (its stages removed before).
    Deleted,
    /// DeleteApiKey deleted an orphaned key tollgate created.
    ApiKeyDeleted,
    /// CreateApiKey made a declared key.
    ApiKeyCreated,
    /// UpdateApiKey sent this many operations to a declared key.
    ApiKeyUpdated {
        /// How many patch operations were sent.
        operations: usize,
    },
    /// TagResource set this many tags.
    TagsSet(usize),
    /// UntagResource removed this many tags.
    TagsRemoved(usize),
    /// UpdateUsage applied a grant, recorded as applied.
    Granted {
        /// The grant's id.
        grant_id: String,
        /// The API key, as in [`Done::KeyAdded`].
        key: String,
        /// The remaining quota set.
        remaining: i64,
    },
}

impl Done {
    /// How many AWS calls the change makes when none fails.
    pub fn calls(&self) -> usize {
        match self {
            Done::KeyMoved { .. } => 2,
            // GetUsage, the pending record, UpdateUsage, the applied record.
            Done::Granted { .. } => 4,
            _ => 1,
        }
    }
}

/// One change of the apply, as it starts or once it completed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    /// What the change is about: the plan's declared name, or `API key NAME`.
    pub plan: String,
    /// The plan's or key's id; `None` for one whose create has not completed.
    pub id: Option<String>,
    /// What the change does.
    pub done: Done,
}

/// What the applier tells its caller as it goes.
#[derive(Debug, Clone, Copy)]
pub enum Event<'a> {
    /// A change started.
    Started(&'a Applied),
    /// A change completed.
    Completed(&'a Applied),
    /// A change failed.
    Failed(&'a AwsError),
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
    /// Changes not started because the apply was interrupted.
    pub not_started: usize,
    /// Whether a stop request (Ctrl-C, SIGTERM) ended the apply early.
    pub interrupted: bool,
}

/// Creation markers fixed ahead of the apply (a saved plan's); a create not listed draws a
/// fresh one.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CreationMarkers {
    /// By declared plan name.
    pub plans: BTreeMap<String, String>,
    /// By declared API key name.
    pub api_keys: BTreeMap<String, String>,
}

/// What a plan's apply costs: the figures for progress estimates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Cost {
    /// Changes (steps) to make.
    pub changes: usize,
    /// UpdateUsagePlan calls among them.
    pub updates: usize,
    /// AWS calls in all, when none fails.
    pub calls: usize,
}

impl ApplyReport {
    /// Whether every change was made.
    pub fn succeeded(&self) -> bool {
        self.failed.is_empty() && !self.interrupted
    }
}

/// One API-level step of the apply.
#[derive(Debug)]
enum Step<'a> {
    /// CreateUsagePlan with these tags.
    Create(&'a Tags),
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
    /// TagResource rewriting the records of grants settled as carried out to `applied`.
    RecordSettled(Tags),
    /// The grant's record and UpdateUsage.
    Grant(&'a GrantChange),
    /// DeleteUsagePlan of an orphan.
    Delete,
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
    // Orphans' stage removals first: steps of other plans may wait for them.
    let orphans_first = (0..entries.len())
        .filter(|&index| entries[index].delete)
        .chain((0..entries.len()).filter(|&index| !entries[index].delete));
    for index in orphans_first {
        let entry = entries[index];
        if let Target::Create { tags, follow_up } = &entry.target {
            body[index] = Some(nodes.len());
            nodes.push(Node {
                entry: index,
                step: Step::Create(tags),
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
        if let Some(operations) = entry.update() {
            body[index] = Some(nodes.len());
            nodes.push(Node {
                entry: index,
                step: Step::Update(operations),
                depends_on: Vec::new(),
            });
        }
    }
    // What waits for a plan's body: everything, when the plan is created; when it is
    // updated, a key addition only if the update adds a stage, a grant only if it changes
    // the quota.
    let on_body_if = |index: usize, needed: fn(&[PatchOp]) -> bool| -> Vec<usize> {
        let needs = match &entries[index].target {
            Target::Create { .. } => true,
            Target::Live { operations, .. } => needed(operations),
        };
        body[index].filter(|_| needs).into_iter().collect()
    };
    let on_create = |index: usize| on_body_if(index, |_| false);
    let on_stage_addition = |index: usize| on_body_if(index, adds_a_stage);
    let on_quota_change = |index: usize| on_body_if(index, changes_the_quota);
    let removals: Vec<(usize, &str)> = key_changes(entries, KeyAction::Remove);
    let additions: Vec<(usize, &str)> = key_changes(entries, KeyAction::Add);
    // The removals (by position) of the same key from another plan that shares a stage with
    // the addition's plan: AWS refuses the addition until they are done.
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
    // Each addition that conflicts with a removal makes one move with the first such
    // removal not yet in a move; a removal joins at most one move.
    let mut move_of_removal: Vec<Option<usize>> = vec![None; removals.len()];
    let mut move_of_addition: Vec<Option<usize>> = vec![None; additions.len()];
    for (addition, &(to, key_id)) in additions.iter().enumerate() {
        let free = conflicting(to, key_id)
            .into_iter()
            .find(|&removal| move_of_removal[removal].is_none());
        if let Some(removal) = free {
            move_of_removal[removal] = Some(addition);
            move_of_addition[addition] = Some(removal);
        }
    }
    // The node of each removal and of each addition (a move's node serves both), made in
    // the order removals, moves, additions, so that every dependency comes first.
    let mut removal_node = vec![0; removals.len()];
    let mut addition_node = vec![0; additions.len()];
    for (removal, &(from, key_id)) in removals.iter().enumerate() {
        if move_of_removal[removal].is_none() {
            removal_node[removal] = nodes.len();
            nodes.push(Node {
                entry: from,
                step: Step::RemoveKey(key_id),
                depends_on: Vec::new(),
            });
        }
    }
    for (addition, removal) in move_of_addition.iter().enumerate() {
        let Some(removal) = *removal else { continue };
        let (to, key_id) = additions[addition];
        removal_node[removal] = nodes.len();
        addition_node[addition] = nodes.len();
        nodes.push(Node {
            entry: to,
            step: Step::MoveKey {
                key_id,
                from: removals[removal].0,
            },
            depends_on: on_stage_addition(to),
        });
    }
    for (addition, &(to, key_id)) in additions.iter().enumerate() {
        if move_of_addition[addition].is_none() {
            addition_node[addition] = nodes.len();
            nodes.push(Node {
                entry: to,
                step: Step::AddKey(key_id),
                depends_on: on_stage_addition(to),
            });
        }
    }
    // Every other removal of the key from a plan sharing a stage comes before the addition.
    for (addition, &(to, key_id)) in additions.iter().enumerate() {
        let node = addition_node[addition];
        for removal in conflicting(to, key_id) {
            if removal_node[removal] != node {
                nodes[node].depends_on.push(removal_node[removal]);
            }
        }
    }
    for (index, entry) in entries.iter().enumerate() {
        for tags in entry.tags.iter().chain(&entry.bookkeeping) {
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
                    depends_on: on_create(index),
                });
            }
        }
    }
    for (index, entry) in entries.iter().enumerate() {
        let records = entry.settled_records();
        if !records.is_empty() {
            nodes.push(Node {
                entry: index,
                step: Step::RecordSettled(records),
                depends_on: Vec::new(),
            });
        }
    }
    for (index, entry) in entries.iter().enumerate() {
        for grant in &entry.grants {
            let mut depends_on = on_quota_change(index);
            depends_on.extend(
                additions
                    .iter()
                    .zip(&addition_node)
                    .filter(|((to, key_id), _)| *to == index && *key_id == grant.key_id)
                    .map(|(_, &node)| node),
            );
            nodes.push(Node {
                entry: index,
                step: Step::Grant(grant),
                depends_on,
            });
        }
    }
    for (deleted, entry) in entries.iter().enumerate() {
        if !entry.delete {
            continue;
        }
        // An orphan's stages go before a plan sharing one gets a stage or a key (AWS
        // refuses a key on two plans sharing a stage), and before the orphan is deleted.
        let removal: Vec<usize> = body[deleted].into_iter().collect();
        for node in nodes.iter_mut() {
            let other = entries[node.entry];
            let sharing = !other.delete && share_a_stage(other, entry);
            let waits = matches!(
                node.step,
                Step::Create(_) | Step::Update(_) | Step::AddKey(_) | Step::MoveKey { .. }
            );
            if sharing && waits {
                node.depends_on.extend(&removal);
            }
        }
        let all_of_it = (0..nodes.len()).filter(|&node| nodes[node].entry == deleted);
        let depends_on = all_of_it.collect();
        nodes.push(Node {
            entry: deleted,
            step: Step::Delete,
            depends_on,
        });
    }
    nodes
}

/// Whether an update adds a stage (`add /apiStages`).
fn adds_a_stage(operations: &[PatchOp]) -> bool {
    operations
        .iter()
        .any(|operation| operation.op == Op::Add && operation.path == "/apiStages")
}

/// Whether an update changes the quota (a path under `/quota`).
fn changes_the_quota(operations: &[PatchOp]) -> bool {
    operations
        .iter()
        .any(|operation| operation.path.starts_with("/quota"))
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
            .chain(
                entry
                    .before()
                    .into_iter()
                    .flat_map(|before| before.stages.keys()),
            )
            .cloned()
            .collect()
    };
    !stages(a).is_disjoint(&stages(b))
}

/// How a step ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Waiting,
    Running,
    Succeeded,
    Failed,
    Skipped,
    NotStarted,
}

/// The figures of `plan`'s apply for progress estimates.
pub fn cost(plan: &Plan) -> Cost {
    let entries: Vec<&PlanEntry> = plan.entries.iter().filter(|e| e.has_work()).collect();
    let nodes = graph(&entries);
    let key_steps: usize = plan
        .api_keys
        .iter()
        .map(|entry| key_steps(entry).len())
        .sum();
    let key_steps = key_steps + plan.deleted_keys.len();
    let mut cost = Cost {
        changes: nodes.len() + key_steps,
        calls: key_steps,
        ..Cost::default()
    };
    let ids: Vec<Option<String>> = entries
        .iter()
        .map(|entry| entry.id().map(str::to_string))
        .collect();
    for node in &nodes {
        let done = planned(node, &entries, &ids, &plan.names);
        cost.calls += done.calls();
        cost.updates += usize::from(matches!(done, Done::Updated { .. }));
    }
    cost
}

/// The environment variables the plan's keys to create take their values from that are not
/// set, or hold a value AWS refuses (fewer than 20 characters), one sentence each. Checked
/// before anything is sent; the values themselves are never shown.
pub fn unusable_values(plan: &Plan) -> Vec<String> {
    let mut problems = Vec::new();
    for entry in &plan.api_keys {
        let (ApiKeyTarget::Create { .. }, Some(variable)) = (&entry.target, &entry.key.value_from)
        else {
            continue;
        };
        let name = &entry.key.name;
        match std::env::var(variable) {
            Ok(value) if value.chars().count() >= MIN_KEY_VALUE => {}
            Ok(value) => problems.push(format!(
                "API key {name} takes its value from {variable}, which holds {} characters; \
                 API Gateway needs at least {MIN_KEY_VALUE}",
                value.chars().count()
            )),
            Err(_) => problems.push(format!(
                "API key {name} takes its value from {variable}, which is not set; set it for \
                 this apply, or leave `valueFrom` out to let AWS generate the value"
            )),
        }
    }
    problems
}

/// The fewest characters API Gateway accepts in a key's value.
const MIN_KEY_VALUE: usize = 20;

/// One call of a declared key's apply.
enum KeyStep<'a> {
    Create,
    Update(&'a [PatchOp]),
    SetTags(&'a Tags),
    RemoveTags(&'a [String]),
}

/// The calls of a declared key's apply, in order.
fn key_steps(entry: &ApiKeyEntry) -> Vec<KeyStep<'_>> {
    let mut steps = Vec::new();
    match &entry.target {
        ApiKeyTarget::Create { .. } => steps.push(KeyStep::Create),
        ApiKeyTarget::Live { operations, .. } if !operations.is_empty() => {
            steps.push(KeyStep::Update(operations));
        }
        ApiKeyTarget::Live { .. } => {}
    }
    if let Some(tags) = &entry.tags {
        if !tags.set.is_empty() {
            steps.push(KeyStep::SetTags(&tags.set));
        }
        if !tags.remove.is_empty() {
            steps.push(KeyStep::RemoveTags(&tags.remove));
        }
    }
    steps
}

/// Creates and updates the declared keys, one call after another, before any plan is
/// touched; the ids of the keys created, by placeholder. After a stop request no call
/// starts.
async fn apply_api_keys(
    client: &LiveClient,
    plan: &Plan,
    markers: &CreationMarkers,
    progress: &mut dyn FnMut(Event<'_>),
    report: &mut ApplyReport,
) -> BTreeMap<String, String> {
    let mut created = BTreeMap::new();
    for entry in &plan.api_keys {
        let mut id = entry.id().map(str::to_string);
        let steps = key_steps(entry);
        let mut left = steps.len();
        for step in steps {
            left -= 1;
            if client.stop().requested() {
                report.not_started += 1;
                continue;
            }
            let done = match step {
                KeyStep::Create => Done::ApiKeyCreated,
                KeyStep::Update(operations) => Done::ApiKeyUpdated {
                    operations: operations.len(),
                },
                KeyStep::SetTags(tags) => Done::TagsSet(tags.len()),
                KeyStep::RemoveTags(keys) => Done::TagsRemoved(keys.len()),
            };
            let mut applied = Applied {
                plan: format!("API key {}", entry.key.name),
                id: id.clone(),
                done,
            };
            progress(Event::Started(&applied));
            let sent = match (step, id.as_deref()) {
                (KeyStep::Create, _) => create_api_key(client, entry, markers).await.map(|new| {
                    if let ApiKeyTarget::Create { placeholder } = &entry.target {
                        created.insert(placeholder.clone(), new.clone());
                    }
                    id = Some(new);
                }),
                (KeyStep::Update(operations), Some(key)) => {
                    client.update_api_key(key, operations).await
                }
                (KeyStep::SetTags(tags), Some(key)) => client.tag(Tagged::ApiKey(key), tags).await,
                (KeyStep::RemoveTags(keys), Some(key)) => {
                    client.untag(Tagged::ApiKey(key), keys).await
                }
                (_, None) => Err(internal("a key to change has no id")),
            };
            match sent {
                Ok(()) => {
                    applied.id = id.clone();
                    progress(Event::Completed(&applied));
                    report.applied.push(applied);
                }
                Err(error) if error.kind == AwsErrorKind::Interrupted => report.not_started += 1,
                Err(error) => {
                    let error = error.on_api_key(&entry.key.name, id.as_deref());
                    progress(Event::Failed(&error));
                    report.failed.push(error);
                    // The key's other calls need it as this one would have left it.
                    report.skipped += left;
                    break;
                }
            }
        }
    }
    created
}

/// Deletes the orphaned keys `--prune` deletes, after everything else; after a stop request
/// no call starts.
async fn delete_orphan_keys(
    client: &LiveClient,
    plan: &Plan,
    progress: &mut dyn FnMut(Event<'_>),
    report: &mut ApplyReport,
) {
    for key in &plan.deleted_keys {
        if client.stop().requested() {
            report.not_started += 1;
            continue;
        }
        // A failed step may have left the key on a plan that was to let go of it.
        if !report.failed.is_empty() {
            report.skipped += 1;
            continue;
        }
        let applied = Applied {
            plan: format!("API key {}", key.name),
            id: Some(key.id.clone()),
            done: Done::ApiKeyDeleted,
        };
        progress(Event::Started(&applied));
        match client.delete_api_key(&key.id).await {
            Ok(()) => {
                progress(Event::Completed(&applied));
                report.applied.push(applied);
            }
            Err(error) if error.kind == AwsErrorKind::Interrupted => report.not_started += 1,
            Err(error) => {
                let error = error.on_api_key(&key.name, Some(&key.id));
                progress(Event::Failed(&error));
                report.failed.push(error);
            }
        }
    }
}

/// CreateApiKey for a declared key, with its value from the environment when it names a
/// variable, its tags, and its creation marker (a saved plan's, else a fresh one).
async fn create_api_key(
    client: &LiveClient,
    entry: &ApiKeyEntry,
    markers: &CreationMarkers,
) -> Result<String, AwsError> {
    let value = match &entry.key.value_from {
        Some(variable) => Some(std::env::var(variable).map_err(|_| AwsError {
            operation: "CreateApiKey",
            plan: None,
            kind: AwsErrorKind::Configuration,
            detail: format!("the environment variable {variable} is not set"),
        })?),
        None => None,
    };
    let tags = entry.key.tags.clone().unwrap_or_default();
    let marker = match markers.api_keys.get(&entry.key.name) {
        Some(marker) => marker.clone(),
        None => creation_token(),
    };
    client
        .create_api_key(&entry.key, value.as_deref(), &tags, &marker)
        .await
}

/// The plan with each key created in place of its placeholder; the key changes and grants
/// of a key that was not created are left out and counted as skipped.
fn with_created_keys(
    plan: &Plan,
    created: &BTreeMap<String, String>,
    report: &mut ApplyReport,
) -> Plan {
    let mut plan = plan.clone();
    for (placeholder, id) in created {
        if let Some(name) = plan.names.key_name(placeholder).map(str::to_string) {
            plan.names.api_keys.insert(id.clone(), name);
        }
    }
    for entry in &mut plan.entries {
        let before = entry.keys.len() + entry.grants.len();
        entry
            .keys
            .retain_mut(|key| swap_placeholder(&mut key.key_id, created));
        entry
            .grants
            .retain_mut(|grant| swap_placeholder(&mut grant.key_id, created));
        report.skipped += before - entry.keys.len() - entry.grants.len();
    }
    plan
}

/// Applies every change of `plan`, telling `progress` as each starts, completes or fails:
/// first the declared API keys, then the plans. Steps whose dependencies are done run
/// concurrently; the client paces their calls.
pub async fn apply(
    client: &LiveClient,
    plan: &Plan,
    markers: &CreationMarkers,
    progress: &mut dyn FnMut(Event<'_>),
) -> ApplyReport {
    let mut report = ApplyReport::default();
    let created = apply_api_keys(client, plan, markers, progress, &mut report).await;
    let plan = &with_created_keys(plan, &created, &mut report);
    let entries: Vec<&PlanEntry> = plan.entries.iter().filter(|e| e.has_work()).collect();
    let mut ids: Vec<Option<String>> = entries
        .iter()
        .map(|entry| entry.id().map(str::to_string))
        .collect();
    let nodes = graph(&entries);
    let mut outcomes = vec![Outcome::Waiting; nodes.len()];
    let mut running = FuturesUnordered::new();
    loop {
        let stopped = client.stop().requested();
        for (index, node) in nodes.iter().enumerate() {
            if outcomes[index] != Outcome::Waiting {
                continue;
            }
            let blocked = node.depends_on.iter().any(|&dependency| {
                matches!(
                    outcomes[dependency],
                    Outcome::Failed | Outcome::Skipped | Outcome::NotStarted
                )
            });
            let ready = node
                .depends_on
                .iter()
                .all(|&dependency| outcomes[dependency] == Outcome::Succeeded);
            if blocked {
                // A step after a change that was not made is not started either.
                let interrupted = node
                    .depends_on
                    .iter()
                    .any(|&dependency| outcomes[dependency] == Outcome::NotStarted);
                outcomes[index] = if interrupted {
                    Outcome::NotStarted
                } else {
                    Outcome::Skipped
                };
            } else if ready && stopped {
                outcomes[index] = Outcome::NotStarted;
            } else if ready {
                outcomes[index] = Outcome::Running;
                let entry = entries[node.entry];
                let started = Applied {
                    plan: entry.name.clone(),
                    id: ids[node.entry].clone(),
                    done: planned(node, &entries, &ids, &plan.names),
                };
                progress(Event::Started(&started));
                let from_id = match node.step {
                    Step::MoveKey { from, .. } => ids[from].clone(),
                    _ => None,
                };
                let context = StepContext {
                    client,
                    markers,
                    entries: &entries,
                    id: ids[node.entry].clone(),
                    from_id,
                };
                running.push(async move { (index, run_step(&context, node).await) });
            }
        }
        let Some((index, result)) = running.next().await else {
            break;
        };
        let node = &nodes[index];
        let entry = entries[node.entry];
        match result {
            Ok(ran) => {
                if ran.created_id.is_some() {
                    ids[node.entry] = ran.created_id;
                }
                let mut done = planned(node, &entries, &ids, &plan.names);
                if let (Done::Updated { operations }, Some(sent)) = (&mut done, ran.operations_sent)
                {
                    *operations = sent;
                }
                let applied = Applied {
                    plan: entry.name.clone(),
                    id: ids[node.entry].clone(),
                    done,
                };
                progress(Event::Completed(&applied));
                report.applied.push(applied);
                outcomes[index] = Outcome::Succeeded;
            }
            Err(error) if error.kind == AwsErrorKind::Interrupted => {
                outcomes[index] = Outcome::NotStarted;
            }
            Err(error) => {
                // A move's removal names the plan the key left; others name their own plan.
                let error = match error.plan {
                    Some(_) => error,
                    None => error.on_plan(&entry.name, ids[node.entry].as_deref()),
                };
                progress(Event::Failed(&error));
                report.failed.push(error);
                outcomes[index] = Outcome::Failed;
            }
        }
    }
    delete_orphan_keys(client, plan, progress, &mut report).await;
    for outcome in outcomes {
        match outcome {
            Outcome::Skipped => report.skipped += 1,
            // Still waiting when nothing runs: its dependencies were not started.
            Outcome::NotStarted | Outcome::Waiting => report.not_started += 1,
            _ => {}
        }
    }
    report.interrupted = client.stop().requested() && report.not_started > 0;
    report
}

/// What a step will do, before it runs.
fn planned(node: &Node<'_>, entries: &[&PlanEntry], ids: &[Option<String>], names: &Names) -> Done {
    match node.step {
        Step::Create(_) => Done::Created,
        Step::Update(operations) => Done::Updated {
            operations: operations.len(),
        },
        Step::AddKey(key_id) => Done::KeyAdded(names.key(key_id)),
        Step::RemoveKey(key_id) => Done::KeyRemoved(names.key(key_id)),
        Step::MoveKey { key_id, from } => Done::KeyMoved {
            key: names.key(key_id),
            from_plan: entries[from].name.clone(),
            from_id: ids[from].clone(),
        },
        Step::SetTags(tags) => Done::TagsSet(tags.len()),
        Step::RemoveTags(keys) => Done::TagsRemoved(keys.len()),
        Step::RecordSettled(ref records) => Done::TagsSet(records.len()),
        Step::Grant(grant) => Done::Granted {
            grant_id: grant.grant_id.clone(),
            key: names.key(&grant.key_id),
            remaining: grant.remaining,
        },
        Step::Delete => Done::Deleted,
    }
}

/// What one step needs besides its node.
struct StepContext<'c, 'e> {
    client: &'c LiveClient,
    markers: &'c CreationMarkers,
    entries: &'c [&'e PlanEntry],
    /// The plan's id; `None` before its create.
    id: Option<String>,
    /// For a move, the id of the plan the key leaves.
    from_id: Option<String>,
}

/// What running a step told beyond its success.
#[derive(Debug, Default)]
struct Ran {
    /// A create's new plan id.
    created_id: Option<String>,
    /// How many operations an update sent in all (more after a read-back).
    operations_sent: Option<usize>,
}

/// An error for a step that cannot run: a fault in the plan, never in the input.
fn internal(detail: &str) -> AwsError {
    AwsError {
        operation: "apply",
        plan: None,
        kind: AwsErrorKind::Other,
        detail: format!("internal error: {detail}"),
    }
}

/// Runs one step.
///
/// A key move and a grant run to their end once started, even after a stop request, so
/// that no key is left between plans and no grant record pending without its call.
async fn run_step(context: &StepContext<'_, '_>, node: &Node<'_>) -> Result<Ran, AwsError> {
    let client = context.client;
    let entry = context.entries[node.entry];
    let id = || {
        context
            .id
            .as_deref()
            .ok_or_else(|| internal("the plan has no id and is not being created"))
    };
    match node.step {
        Step::Create(tags) => {
            let marker = context.markers.plans.get(&entry.name).map(String::as_str);
            let id = client.create_plan(&entry.after, tags, marker).await?;
            return Ok(Ran {
                created_id: Some(id),
                ..Ran::default()
            });
        }
        Step::Update(operations) => {
            let sent = update_body(client, id()?, operations, &entry.after).await?;
            return Ok(Ran {
                operations_sent: Some(sent),
                ..Ran::default()
            });
        }
        Step::AddKey(key_id) => client.add_key(id()?, key_id).await?,
        Step::RemoveKey(key_id) => client.remove_key(id()?, key_id).await?,
        Step::MoveKey { key_id, from } => {
            let source = context.entries[from];
            let from_id = context
                .from_id
                .as_deref()
                .ok_or_else(|| internal("the plan a key leaves has no id"))?;
            let client = client.finishing();
            client
                .remove_key(from_id, key_id)
                .await
                .map_err(|error| error.on_plan(&source.name, Some(from_id)))?;
            client.add_key(id()?, key_id).await?;
        }
        Step::SetTags(tags) => client.tag(Tagged::Plan(id()?), tags).await?,
        Step::RemoveTags(keys) => client.untag(Tagged::Plan(id()?), keys).await?,
        Step::RecordSettled(ref records) => client.tag(Tagged::Plan(id()?), records).await?,
        Step::Grant(grant) => apply_grant(&client.finishing(), id()?, grant).await?,
        Step::Delete => client.delete_plan(id()?).await?,
    }
    Ok(Ran::default())
}

/// How many times an UpdateUsagePlan whose outcome stays unknown is settled by reading the
/// plan back and sending what is still missing.
const READ_BACKS: usize = 2;

/// Sends an UpdateUsagePlan; after an unknown outcome, reads the plan back (GetUsagePlan) and
/// sends only what is still missing to reach `after`, since a repeated `add` or `remove`
/// of a stage would fail. Returns how many operations were sent in all.
async fn update_body(
    client: &LiveClient,
    id: &str,
    operations: &[PatchOp],
    after: &PlanBody,
) -> Result<usize, AwsError> {
    let mut last = match client.update_plan(id, operations).await {
        Ok(()) => return Ok(operations.len()),
        Err(error) if error.kind.may_have_happened() => error,
        Err(error) => return Err(error),
    };
    let mut sent = operations.len();
    // Started: the outcome must be settled even after a stop.
    let client = client.finishing();
    for _ in 0..READ_BACKS {
        let live = client.get_plan(id).await.map_err(|read| AwsError {
            kind: AwsErrorKind::OutcomeUnknown,
            detail: format!(
                "{}; reading the plan back to see what was done failed too ({read})",
                last.detail
            ),
            ..last.clone()
        })?;
        let missing = diff::body_operations(&live.body, after);
        if missing.is_empty() {
            return Ok(sent);
        }
        sent += missing.len();
        last = match client.update_plan(id, &missing).await {
            Ok(()) => return Ok(sent),
            Err(error) if error.kind.may_have_happened() => error,
            Err(error) => return Err(error),
        };
    }
    Err(AwsError {
        kind: AwsErrorKind::OutcomeUnknown,
        detail: format!(
            "{}; the update's outcome is still unknown after reading the plan back",
            last.detail
        ),
        ..last
    })
}

/// Applies a grant once: reads the key's usage of the day (one GetUsage), records the grant
/// as pending with those figures, calls UpdateUsage, records it as applied.
///
/// Only a definite refusal of UpdateUsage (a 400, 403, 404 or 409: AWS did not do it; a 429
/// is waited out and sent again) takes the record back, so the grant is planned again. Any
/// other failure (a timeout, a lost connection, a 5xx: the quota may have been granted)
/// leaves the record pending, for a later plan to settle from the key's usage
/// ([`crate::plan::settle`]). The caller gives a finishing client, so that the record and the
/// call stay consistent after a stop request.
async fn apply_grant(client: &LiveClient, id: &str, grant: &GrantChange) -> Result<(), AwsError> {
    let tag = grant_tag(&grant.key_id, &grant.grant_id);
    let record = |state: &str| Tags::from_iter([(tag.clone(), state.to_string())]);
    let day = client.today();
    let figures = client
        .key_usage(id, &grant.key_id, &format_day(day))
        .await?;
    let baseline = figures
        .map(|figures| Baseline {
            at: client.now(),
            figures,
        })
        // Past midnight since the read, the figures are another day's: kept without them.
        .filter(|baseline| baseline.day() == day);
    let pending = baseline.map_or_else(|| GRANT_PENDING.to_string(), |b| b.record());
    client.tag(Tagged::Plan(id), &record(&pending)).await?;
    if let Err(error) = client
        .update_usage(id, &grant.key_id, &grant.operations())
        .await
    {
        if !error.kind.may_have_happened() {
            // Best effort: if this fails too, the grant stays pending and is shown for attention.
            let _ = client
                .untag(Tagged::Plan(id), std::slice::from_ref(&tag))
                .await;
            return Err(error);
        }
        return Err(AwsError {
            kind: AwsErrorKind::OutcomeUnknown,
            detail: format!(
                "{}; the grant's outcome is unknown, so its record stays pending: the next plan \
                 settles it from key {}'s usage where the figures tell (see the README's grants), \
                 and otherwise shows it for attention",
                error.detail, grant.key_id
            ),
            ..error
        });
    }
    client.tag(Tagged::Plan(id), &record(GRANT_APPLIED)).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::{GrantChange, KeyChange};

    /// A live plan on the stages `api:stage`, updated with `operations`, with key changes.
    fn live(
        name: &str,
        stages: &[&str],
        operations: Vec<PatchOp>,
        keys: &[(KeyAction, &str)],
    ) -> PlanEntry {
        let body = PlanBody {
            name: name.to_string(),
            stages: stages
                .iter()
                .map(|stage| {
                    let (api_id, stage) = stage.split_once(':').unwrap_or((stage, "prod"));
                    let stage = StageRef {
                        api_id: api_id.to_string(),
                        stage: stage.to_string(),
                    };
                    (stage, Default::default())
                })
                .collect(),
            ..PlanBody::default()
        };
        PlanEntry {
            name: name.to_string(),
            target: Target::Live {
                id: format!("{name}-id"),
                before: body.clone(),
                operations,
            },
            after: body,
            keys: keys
                .iter()
                .map(|&(action, key_id)| KeyChange {
                    action,
                    key_id: key_id.to_string(),
                })
                .collect(),
            tags: None,
            grants: Vec::new(),
            pending_grants: Vec::new(),
            settled: Vec::new(),
            bookkeeping: None,
            delete: false,
            matched_by_name: false,
        }
    }

    fn op(op: Op, path: &str) -> PatchOp {
        PatchOp {
            op,
            path: path.to_string(),
            value: Some("x".to_string()),
        }
    }

    /// Each node as `plan: step <- [dependencies as plan: step]`.
    fn described(entries: &[&PlanEntry]) -> Vec<String> {
        let nodes = graph(entries);
        let name = |node: &Node<'_>| -> String {
            let step = match node.step {
                Step::Create(_) => "create".to_string(),
                Step::Update(_) => "update".to_string(),
                Step::AddKey(key) => format!("add {key}"),
                Step::RemoveKey(key) => format!("remove {key}"),
                Step::MoveKey { key_id, from } => {
                    format!("move {key_id} from {}", entries[from].name)
                }
                Step::SetTags(_) => "tag".to_string(),
                Step::RemoveTags(_) => "untag".to_string(),
                Step::RecordSettled(_) => "record settled grants".to_string(),
                Step::Grant(grant) => format!("grant {}", grant.grant_id),
                Step::Delete => "delete".to_string(),
            };
            format!("{}: {step}", entries[node.entry].name)
        };
        nodes
            .iter()
            .enumerate()
            .map(|(index, node)| {
                assert!(
                    node.depends_on.iter().all(|&d| d < index),
                    "dependencies come first"
                );
                let on: Vec<String> = node.depends_on.iter().map(|&d| name(&nodes[d])).collect();
                format!("{} <- [{}]", name(node), on.join(", "))
            })
            .collect()
    }

    #[test]
    fn a_key_leaving_one_plan_for_two_moves_once_and_the_other_addition_waits() {
        use KeyAction::{Add, Remove};
        let silver = live("Silver", &["a:prod", "b:prod"], vec![], &[(Remove, "k1")]);
        let gold = live("Gold", &["a:prod"], vec![], &[(Add, "k1")]);
        let platinum = live("Platinum", &["b:prod"], vec![], &[(Add, "k1")]);
        assert_eq!(
            described(&[&silver, &gold, &platinum]),
            [
                "Gold: move k1 from Silver <- []",
                "Platinum: add k1 <- [Gold: move k1 from Silver]",
            ]
        );
    }

    #[test]
    fn two_keys_swapped_between_plans_sharing_a_stage_are_two_moves() {
        use KeyAction::{Add, Remove};
        let gold = live("Gold", &["a:prod"], vec![], &[(Remove, "k1"), (Add, "k2")]);
        let silver = live(
            "Silver",
            &["a:prod"],
            vec![],
            &[(Remove, "k2"), (Add, "k1")],
        );
        assert_eq!(
            described(&[&gold, &silver]),
            [
                "Gold: move k2 from Silver <- []",
                "Silver: move k1 from Gold <- []"
            ]
        );
    }

    #[test]
    fn an_addition_waits_for_an_update_only_when_it_adds_a_stage() {
        use KeyAction::Add;
        let throttle = vec![op(Op::Replace, "/throttle/rateLimit")];
        let stage = vec![op(Op::Add, "/apiStages")];
        let a = live("A", &["a:prod"], throttle, &[(Add, "k1")]);
        let b = live("B", &["b:prod"], stage, &[(Add, "k2")]);
        assert_eq!(
            described(&[&a, &b]),
            [
                "A: update <- []",
                "B: update <- []",
                "A: add k1 <- []",
                "B: add k2 <- [B: update]",
            ]
        );
    }

    #[test]
    fn a_grant_waits_for_its_key_and_for_an_update_only_when_it_changes_the_quota() {
        use KeyAction::Add;
        let grant = |id: &str| GrantChange {
            key_id: "k1".to_string(),
            grant_id: id.to_string(),
            remaining: 5,
        };
        let mut a = live("A", &["a:prod"], vec![op(Op::Replace, "/quota/limit")], &[]);
        a.grants.push(grant("G1"));
        let mut b = live(
            "B",
            &["b:prod"],
            vec![op(Op::Replace, "/name")],
            &[(Add, "k1")],
        );
        b.grants.push(grant("G2"));
        assert_eq!(
            described(&[&a, &b]),
            [
                "A: update <- []",
                "B: update <- []",
                "B: add k1 <- []",
                "A: grant G1 <- [A: update]",
                "B: grant G2 <- [B: add k1]",
            ]
        );
    }
}
