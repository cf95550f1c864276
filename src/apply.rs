//! Carries out a Plan through the live client, from a dependency graph of its steps.
//!
//! Every change of the plan becomes one or more steps that name the steps they depend on:
//! - within a plan, its create or update (the body) goes first: its tags, key changes and
//!   grants wait for it, so that nothing of a plan is written after AWS refused its body;
//! - a key's addition to a plan also waits for the key's removal from every other plan that
//!   shares a stage with it (AWS refuses a key on two plans sharing a stage with a 409);
//! - a key that moves between two plans sharing a stage is one step: its removal, then at
//!   once its addition, so a customer is without a plan only for the two calls; it waits for
//!   both plans' bodies;
//! - a grant also waits for its key's association.
//!
//! A change is what the closing line counts: a plan's create or update (or deletion), a key
//! association, removal or move, a grant, a plan's tag set, a declared API key; the steps of
//! one change run one after another.
//!
//! Every step whose dependencies are done starts at once, in the order plan bodies, key
//! removals, key moves, key additions, tags, grants; the client's pacer spaces the calls
//! inside AWS's quotas, so one plan's steps go on in the gaps between the paced updates of
//! others. A failed step skips only the steps that depend on it, directly or not; everything
//! else goes on. The report tells a refusal (AWS will refuse it again until the YAML or the
//! account changes) from a failure that running apply again can finish.
//!
//! After a stop request (Ctrl-C, SIGTERM) no step starts; a step in flight finishes what it
//! started (a move's addition after its removal, a grant's UpdateUsage and record after its
//! pending record), and the rest is reported as not started.

use std::collections::{BTreeMap, BTreeSet};

use futures_util::stream::{FuturesUnordered, StreamExt};

use crate::diff::{self, PatchOp};
use crate::live::{creation_token, AwsError, AwsErrorKind, LiveClient, Tagged};
use crate::model::{
    grant_tag, swap_placeholder, Names, PlanBody, Tags, GRANT_APPLIED, GRANT_PENDING,
    KEY_VARIABLE_PREFIX,
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
        /// What of the plan the update changes, as people name it (`quota`, `stages`).
        parts: Vec<&'static str>,
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
    /// How many AWS calls the step makes when none fails.
    pub fn calls(&self) -> usize {
        match self {
            Done::KeyMoved { .. } => 2,
            // GetUsage, the pending record, UpdateUsage, the applied record.
            Done::Granted { .. } => 4,
            _ => 1,
        }
    }
}

/// One step of the apply, as it starts or once it completed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    /// The step's number, unique within the apply: its events carry the same one.
    pub step: usize,
    /// What the step is about: the plan's declared name, or `API key NAME`.
    pub plan: String,
    /// The plan's or key's id; `None` for one whose create has not completed.
    pub id: Option<String>,
    /// What the step does.
    pub done: Done,
}

/// A step AWS (or the way to it) failed, and with it the change it is part of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// The step, as it started.
    pub step: Applied,
    /// What failed, naming the operation and the plan or key.
    pub error: AwsError,
}

impl Failure {
    /// Whether AWS refused the change, so that running apply again will not help until the
    /// YAML or the account changes (rather than a failure a new run can finish: throttling,
    /// a 5xx, an unknown outcome, the network).
    pub fn refused(&self) -> bool {
        self.error.kind.is_refusal()
    }
}

/// What the applier tells its caller as it goes.
#[derive(Debug, Clone, Copy)]
pub enum Event<'a> {
    /// A step started.
    Started(&'a Applied),
    /// A step completed; `change_made` when it was the last step of its change.
    Completed {
        /// The step.
        step: &'a Applied,
        /// Whether its change is now made in full.
        change_made: bool,
    },
    /// A step failed, and with it its change.
    Failed(&'a Failure),
}

/// What an apply did, counted in changes ([`Cost::changes`]).
#[derive(Debug, Default)]
pub struct ApplyReport {
    /// Changes made in full.
    pub made: usize,
    /// The failed changes, each by its failed step.
    pub failed: Vec<Failure>,
    /// Changes not tried because a change they depend on failed.
    pub skipped: usize,
    /// Changes not (or not fully) made because the apply was interrupted.
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
    /// Changes to make: a plan's create or update (or deletion), a key association, removal
    /// or move, a grant, a plan's tag set and a declared API key are one change each,
    /// whatever the calls.
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

/// A step of one entry, the change it is part of, and the steps (by index in the graph) it
/// waits for.
#[derive(Debug)]
struct Node<'a> {
    /// The entry (by index in the plan's changed entries) the step belongs to.
    entry: usize,
    /// The change (a number within the graph) the step is part of: a plan's create or
    /// update (a deletion's stage removal and its delete), one key association, removal or
    /// move, one grant, or a plan's tag set (every TagResource and UntagResource of it).
    change: usize,
    /// Whether the change counts in the closing line: not tollgate's own bookkeeping (an
    /// owner tag or grant records written alone), which the plan does not count either.
    counted: bool,
    step: Step<'a>,
    depends_on: Vec<usize>,
}

/// The steps of `entries` grouped into changes, with their dependencies, in an order that
/// respects them.
fn graph<'a>(entries: &[&'a PlanEntry]) -> Vec<Node<'a>> {
    let mut nodes: Vec<Node<'a>> = Vec::new();
    let mut changes = 0;
    let mut new_change = || {
        changes += 1;
        changes - 1
    };
    // The last node of each entry's create or update, if any: every other step of the plan
    // waits for it.
    let mut body: Vec<Option<usize>> = vec![None; entries.len()];
    // Orphans' stage removals first: steps of other plans may wait for them.
    let orphans_first = (0..entries.len())
        .filter(|&index| entries[index].delete)
        .chain((0..entries.len()).filter(|&index| !entries[index].delete));
    for index in orphans_first {
        let entry = entries[index];
        let steps: Vec<Step<'a>> = match &entry.target {
            Target::Create { tags, follow_up } => std::iter::once(Step::Create(tags))
                .chain((!follow_up.is_empty()).then_some(Step::Update(follow_up)))
                .collect(),
            Target::Live { .. } => entry.update().map(Step::Update).into_iter().collect(),
        };
        if !steps.is_empty() {
            body[index] = Some(chain(&mut nodes, index, new_change(), Vec::new(), steps));
        }
    }
    let on_body = |index: usize| -> Vec<usize> { body[index].into_iter().collect() };
    let removals: Vec<(usize, &str)> = key_changes(entries, KeyAction::Remove);
    let additions: Vec<(usize, &str)> = key_changes(entries, KeyAction::Add);
    // The removals (by position) of the same key from another plan that shares a stage with
    // the addition's plan: AWS refuses the addition until they are done.
    let conflicting = |to: usize, key_id: &str| -> Vec<usize> {
        removals
            .iter()
            .enumerate()
            .filter(|(_, (from, removed))| {
                *removed == key_id && *from != to && entries[*from].shares_a_stage_with(entries[to])
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
            let step = Step::RemoveKey(key_id);
            chain(&mut nodes, from, new_change(), on_body(from), vec![step]);
        }
    }
    for (addition, removal) in move_of_addition.iter().enumerate() {
        let Some(removal) = *removal else { continue };
        let (to, key_id) = additions[addition];
        let from = removals[removal].0;
        removal_node[removal] = nodes.len();
        addition_node[addition] = nodes.len();
        let step = Step::MoveKey { key_id, from };
        let depends_on = [on_body(to), on_body(from)].concat();
        chain(&mut nodes, to, new_change(), depends_on, vec![step]);
    }
    for (addition, &(to, key_id)) in additions.iter().enumerate() {
        if move_of_addition[addition].is_none() {
            addition_node[addition] = nodes.len();
            let step = Step::AddKey(key_id);
            chain(&mut nodes, to, new_change(), on_body(to), vec![step]);
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
        let steps: Vec<Step<'a>> = entry
            .tags
            .iter()
            .chain(&entry.bookkeeping)
            .flat_map(|tags| {
                [
                    (!tags.set.is_empty()).then_some(Step::SetTags(&tags.set)),
                    (!tags.remove.is_empty()).then_some(Step::RemoveTags(&tags.remove)),
                ]
            })
            .flatten()
            .collect();
        if !steps.is_empty() {
            let last = chain(&mut nodes, index, new_change(), on_body(index), steps);
            // Bookkeeping alone is not a change; with declared tags it is part of theirs.
            if entry.tags.is_none() {
                let change = nodes[last].change;
                for node in nodes.iter_mut().filter(|node| node.change == change) {
                    node.counted = false;
                }
            }
        }
    }
    for (index, entry) in entries.iter().enumerate() {
        let records = entry.settled_records();
        if !records.is_empty() {
            nodes.push(Node {
                entry: index,
                change: new_change(),
                counted: false,
                step: Step::RecordSettled(records),
                depends_on: Vec::new(),
            });
        }
    }
    for (index, entry) in entries.iter().enumerate() {
        for grant in &entry.grants {
            let mut depends_on = on_body(index);
            depends_on.extend(
                additions
                    .iter()
                    .zip(&addition_node)
                    .filter(|((to, key_id), _)| *to == index && *key_id == grant.key_id)
                    .map(|(_, &node)| node),
            );
            chain(
                &mut nodes,
                index,
                new_change(),
                depends_on,
                vec![Step::Grant(grant)],
            );
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
            let sharing = !other.delete && other.shares_a_stage_with(entry);
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
        // The stage removal and the delete are one change: the plan's deletion.
        let change = body[deleted].map_or_else(&mut new_change, |node| nodes[node].change);
        chain(&mut nodes, deleted, change, depends_on, vec![Step::Delete]);
    }
    nodes
}

/// Adds `steps` of `entry` as one change, each waiting for the one before, the first for
/// `depends_on`; returns the last one's index.
fn chain<'a>(
    nodes: &mut Vec<Node<'a>>,
    entry: usize,
    change: usize,
    mut depends_on: Vec<usize>,
    steps: Vec<Step<'a>>,
) -> usize {
    for step in steps {
        nodes.push(Node {
            entry,
            change,
            counted: true,
            step,
            depends_on,
        });
        depends_on = vec![nodes.len() - 1];
    }
    nodes.len() - 1
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
    let key_steps: Vec<usize> = plan
        .api_keys
        .iter()
        .map(|entry| key_steps(entry).len())
        .chain(plan.deleted_keys.iter().map(|_| 1))
        .filter(|&steps| steps > 0)
        .collect();
    let mut cost = Cost {
        changes: counted_changes(&nodes) + key_steps.len(),
        calls: key_steps.iter().sum(),
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

/// How many change numbers the steps of a graph use, bookkeeping included.
fn change_count(nodes: &[Node<'_>]) -> usize {
    nodes.iter().map(|node| node.change + 1).max().unwrap_or(0)
}

/// How many changes the steps of a graph make, in the closing line's unit.
fn counted_changes(nodes: &[Node<'_>]) -> usize {
    let counted: BTreeSet<usize> = nodes
        .iter()
        .filter(|node| node.counted)
        .map(|node| node.change)
        .collect();
    counted.len()
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
        if !variable.starts_with(KEY_VARIABLE_PREFIX) {
            problems.push(format!(
                "API key {name} takes its value from {variable}, and tollgate reads a key's value \
                 only from variables named {KEY_VARIABLE_PREFIX}*; declare one in the YAML"
            ));
            continue;
        }
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
/// touched; the ids of the keys created, by placeholder. Each key's calls are one change,
/// numbered from `next_step`. After a stop request no call starts.
async fn apply_api_keys(
    client: &LiveClient,
    plan: &Plan,
    markers: &CreationMarkers,
    next_step: &mut usize,
    progress: &mut dyn FnMut(Event<'_>),
    report: &mut ApplyReport,
) -> BTreeMap<String, String> {
    let mut created = BTreeMap::new();
    for entry in &plan.api_keys {
        let mut id = entry.id().map(str::to_string);
        let steps = key_steps(entry);
        let last = steps.len().saturating_sub(1);
        for (position, step) in steps.into_iter().enumerate() {
            if client.stop().requested() {
                report.not_started += 1;
                break;
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
                step: *next_step,
                plan: format!("API key {}", entry.key.name),
                id: id.clone(),
                done,
            };
            *next_step += 1;
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
                    let change_made = position == last;
                    report.made += usize::from(change_made);
                    progress(Event::Completed {
                        step: &applied,
                        change_made,
                    });
                }
                Err(error) if error.kind == AwsErrorKind::Interrupted => {
                    report.not_started += 1;
                    break;
                }
                Err(error) => {
                    // The key's other calls need it as this one would have left it.
                    let error = error.on_api_key(&entry.key.name, id.as_deref());
                    fail(progress, report, applied, error);
                    break;
                }
            }
        }
    }
    created
}

/// Reports a failed step.
fn fail(
    progress: &mut dyn FnMut(Event<'_>),
    report: &mut ApplyReport,
    step: Applied,
    error: AwsError,
) {
    let failure = Failure { step, error };
    progress(Event::Failed(&failure));
    report.failed.push(failure);
}

/// Deletes the orphaned keys `--prune` deletes, after everything else, numbering their
/// steps from `next_step`; after a stop request no call starts.
async fn delete_orphan_keys(
    client: &LiveClient,
    plan: &Plan,
    next_step: usize,
    progress: &mut dyn FnMut(Event<'_>),
    report: &mut ApplyReport,
) {
    for (number, key) in (next_step..).zip(&plan.deleted_keys) {
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
            step: number,
            plan: format!("API key {}", key.name),
            id: Some(key.id.clone()),
            done: Done::ApiKeyDeleted,
        };
        progress(Event::Started(&applied));
        match client.delete_api_key(&key.id).await {
            Ok(()) => {
                report.made += 1;
                progress(Event::Completed {
                    step: &applied,
                    change_made: true,
                });
            }
            Err(error) if error.kind == AwsErrorKind::Interrupted => report.not_started += 1,
            Err(error) => {
                let error = error.on_api_key(&key.name, Some(&key.id));
                fail(progress, report, applied, error);
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

/// Applies every change of `plan`, telling `progress` as each step starts, completes or
/// fails: first the declared API keys, then the plans. Steps whose dependencies are done run
/// concurrently; the client paces their calls.
pub async fn apply(
    client: &LiveClient,
    plan: &Plan,
    markers: &CreationMarkers,
    progress: &mut dyn FnMut(Event<'_>),
) -> ApplyReport {
    let mut report = ApplyReport::default();
    let mut next_step = 0;
    let created =
        apply_api_keys(client, plan, markers, &mut next_step, progress, &mut report).await;
    let plan = &with_created_keys(plan, &created, &mut report);
    let entries: Vec<&PlanEntry> = plan.entries.iter().filter(|e| e.has_work()).collect();
    let mut ids: Vec<Option<String>> = entries
        .iter()
        .map(|entry| entry.id().map(str::to_string))
        .collect();
    let nodes = graph(&entries);
    let first_step = next_step;
    // The steps of each change still to complete.
    let mut left_in_change = vec![0; change_count(&nodes)];
    for node in &nodes {
        left_in_change[node.change] += 1;
    }
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
                    step: first_step + index,
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
                running.push(async move { (index, started, run_step(&context, node).await) });
            }
        }
        let Some((index, started, result)) = running.next().await else {
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
                if let (Done::Updated { operations, .. }, Some(sent)) =
                    (&mut done, ran.operations_sent)
                {
                    *operations = sent;
                }
                let applied = Applied {
                    id: ids[node.entry].clone(),
                    done,
                    ..started
                };
                left_in_change[node.change] -= 1;
                let change_made = left_in_change[node.change] == 0 && node.counted;
                report.made += usize::from(change_made);
                progress(Event::Completed {
                    step: &applied,
                    change_made,
                });
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
                fail(progress, &mut report, started, error);
                outcomes[index] = Outcome::Failed;
            }
        }
    }
    delete_orphan_keys(
        client,
        plan,
        first_step + nodes.len(),
        progress,
        &mut report,
    )
    .await;
    // Each change ends as its worst step: failed (reported above), skipped, or not started.
    let mut changes = vec![Outcome::Succeeded; left_in_change.len()];
    let counted = nodes.iter().zip(&outcomes).filter(|(node, _)| node.counted);
    for (node, &outcome) in counted {
        let change = &mut changes[node.change];
        *change = match (*change, outcome) {
            (Outcome::Failed, _) | (_, Outcome::Failed) => Outcome::Failed,
            (Outcome::Skipped, _) | (_, Outcome::Skipped) => Outcome::Skipped,
            (_, Outcome::Succeeded) => *change,
            // Still waiting when nothing runs: its dependencies were not started.
            _ => Outcome::NotStarted,
        };
    }
    for change in changes {
        match change {
            Outcome::Skipped => report.skipped += 1,
            Outcome::NotStarted => report.not_started += 1,
            _ => {}
        }
    }
    report.interrupted = client.stop().requested() && report.not_started > 0;
    report
}

/// What a step will do, before it runs.
fn planned(node: &Node<'_>, entries: &[&PlanEntry], ids: &[Option<String>], names: &Names) -> Done {
    let entry = entries[node.entry];
    match node.step {
        Step::Create(_) => Done::Created,
        Step::Update(operations) => Done::Updated {
            operations: operations.len(),
            parts: match entry.before() {
                Some(before) => changed_parts(before, &entry.after),
                // A create's follow-up sets only what CreateUsagePlan cannot.
                None => vec!["product code"],
            },
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

/// What of a plan's body differs between `before` and `after`, as people name it.
fn changed_parts(before: &PlanBody, after: &PlanBody) -> Vec<&'static str> {
    let stage_set = |body: &PlanBody| body.stages.keys().cloned().collect::<BTreeSet<_>>();
    let method_throttles_differ = before.stages.iter().any(|(stage, throttles)| {
        after
            .stages
            .get(stage)
            .is_some_and(|after| after != throttles)
    });
    [
        (before.name != after.name, "name"),
        (before.description != after.description, "description"),
        (before.product_code != after.product_code, "product code"),
        (before.throttle != after.throttle, "throttle"),
        (before.quota != after.quota, "quota"),
        (stage_set(before) != stage_set(after), "stages"),
        (method_throttles_differ, "method throttles"),
    ]
    .into_iter()
    .filter_map(|(differs, part)| differs.then_some(part))
    .collect()
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
    use crate::diff::Op;
    use crate::model::StageRef;
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
    fn a_plan_s_keys_tags_and_grants_wait_for_its_update() {
        use KeyAction::{Add, Remove};
        let throttle = vec![op(Op::Replace, "/throttle/rateLimit")];
        let mut gold = live("Gold", &["a:prod"], throttle.clone(), &[(Add, "k1")]);
        gold.tags = Some(crate::plan::TagChange {
            set: Tags::from_iter([("team".to_string(), "x".to_string())]),
            remove: vec!["old".to_string()],
        });
        gold.grants.push(GrantChange {
            key_id: "k1".to_string(),
            grant_id: "G1".to_string(),
            remaining: 5,
        });
        let silver = live("Silver", &["b:prod"], throttle, &[(Remove, "k2")]);
        assert_eq!(
            described(&[&gold, &silver]),
            [
                "Gold: update <- []",
                "Silver: update <- []",
                "Silver: remove k2 <- [Silver: update]",
                "Gold: add k1 <- [Gold: update]",
                "Gold: tag <- [Gold: update]",
                "Gold: untag <- [Gold: tag]",
                "Gold: grant G1 <- [Gold: update, Gold: add k1]",
            ]
        );
    }

    #[test]
    fn a_move_waits_for_both_plans_updates() {
        use KeyAction::{Add, Remove};
        let throttle = vec![op(Op::Replace, "/throttle/rateLimit")];
        let silver = live("Silver", &["a:prod"], throttle.clone(), &[(Remove, "k1")]);
        let gold = live("Gold", &["a:prod"], throttle, &[(Add, "k1")]);
        assert_eq!(
            described(&[&silver, &gold]),
            [
                "Silver: update <- []",
                "Gold: update <- []",
                "Gold: move k1 from Silver <- [Gold: update, Silver: update]",
            ]
        );
    }

    #[test]
    fn changes_are_counted_whatever_their_calls() {
        use KeyAction::{Add, Remove};
        let throttle = vec![op(Op::Replace, "/throttle/rateLimit")];
        // One update, one move (two calls), one addition, one tag set (two calls).
        let silver = live("Silver", &["a:prod"], Vec::new(), &[(Remove, "k1")]);
        let mut gold = live("Gold", &["a:prod"], throttle, &[(Add, "k1"), (Add, "k2")]);
        gold.tags = Some(crate::plan::TagChange {
            set: Tags::from_iter([("team".to_string(), "x".to_string())]),
            remove: vec!["old".to_string()],
        });
        let nodes = graph(&[&silver, &gold]);
        assert_eq!(nodes.len(), 5);
        assert_eq!(counted_changes(&nodes), 4);
    }

    #[test]
    fn bookkeeping_alone_is_not_counted_and_with_declared_tags_is_part_of_them() {
        let owner = crate::plan::TagChange {
            set: Tags::from_iter([("tollgate:owner".to_string(), "p/t".to_string())]),
            remove: Vec::new(),
        };
        let throttle = vec![op(Op::Replace, "/throttle/rateLimit")];
        let mut gold = live("Gold", &["a:prod"], throttle, &[]);
        gold.bookkeeping = Some(owner.clone());
        let nodes = graph(&[&gold]);
        assert_eq!(nodes.len(), 2, "the update and the owner tag are both sent");
        assert_eq!(counted_changes(&nodes), 1, "as the plan counts: the update");
        gold.tags = Some(crate::plan::TagChange {
            set: Tags::from_iter([("team".to_string(), "x".to_string())]),
            remove: Vec::new(),
        });
        assert_eq!(
            counted_changes(&graph(&[&gold])),
            2,
            "the update and the tag set"
        );
    }
}
