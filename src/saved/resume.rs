//! `apply FILE`: reads the account again, refuses a saved plan made elsewhere or gone stale,
//! and makes its changes again from the saved declarations and the live plans, restricted to
//! the plans the file holds.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use super::context::{mismatches, Target};
use super::file::SavedPlan;
use super::reviewed;
use super::stale::{changed_since, Snapshot};
use super::SavedPlanError;
use crate::api_keys;
use crate::apply::CreationMarkers;
use crate::live::{AwsError, Connection, LiveClient, Pace};
use crate::model::{
    managed_tags, placeholder, swap_placeholder, DesiredApiKey, DesiredPlan, LiveApiKey, LiveKeys,
    LivePlan, Named, Tags, CREATION_TAG,
};
use crate::plan::{ApiKeyEntry, KeyAction, Plan};
use crate::reconcile::{self, Matching, PlanOptions};
use crate::references::Account;
use crate::resolve;
use crate::spec::Desired;

/// Connects, checks that the account, region and endpoint are those the plan was made for,
/// reads the live plans, refuses if any plan the file holds changed since or if `checkout`
/// (what the YAML the file was planned from declares, as this checkout has it) declares any
/// plan or key the file touches otherwise or matches it to another live plan, runs the
/// ownership checks of a plan from YAML (another project's plan, a CloudFormation stack's), and returns the plan of what is left to do, with the
/// warnings of the reference checks (refusing what AWS would refuse, as `plan` does). Nothing
/// is written to AWS.
pub async fn resume(
    connection: &Connection,
    pace: Pace,
    saved: &SavedPlan,
    checkout: Desired,
    path: &Path,
) -> Result<(LiveClient, Plan, CreationMarkers, Vec<String>), SavedPlanError> {
    let name = path.display().to_string();
    let client = LiveClient::connect(connection, pace).await?;
    let account = client.account_id().await?;
    let target = Target {
        account: &account,
        region: client.region(),
        endpoint: client.endpoint_url(),
    };
    let elsewhere = mismatches(&saved.saved.context, &saved.region, target);
    if !elsewhere.is_empty() {
        return Err(SavedPlanError::Elsewhere {
            path: name,
            mismatches: elsewhere,
        });
    }
    let stale = |changes| SavedPlanError::Stale {
        path: name.clone(),
        changes,
    };
    let needs_keys = !saved.saved.api_keys.is_empty()
        || !saved.saved.deleted_keys.is_empty()
        || !checkout.api_keys.is_empty()
        || checkout
            .plans
            .iter()
            .any(|plan| !plan.named_keys.is_empty());
    let listed = match needs_keys {
        true => client.list_api_keys().await?,
        false => Vec::new(),
    };
    let (api_keys, created) = if saved.saved.api_keys.is_empty() {
        (Vec::new(), BTreeMap::new())
    } else {
        find_api_keys(saved, &listed).map_err(stale)?
    };
    // Keys an earlier, partial apply of this file created stand in for their placeholders.
    let saved = &with_created_keys(saved, &created);
    let unreviewed = |differences| SavedPlanError::Unreviewed {
        path: name.clone(),
        differences,
    };
    let touched = reviewed::touched(saved, checkout.clone());
    let touched = resolve_names(&client, saved, touched, &listed)
        .await?
        .map_err(unreviewed)?;
    let differences = reviewed::differences(saved, &touched);
    if !differences.is_empty() {
        return Err(unreviewed(differences));
    }
    let live = client.list_plans().await?;
    let found = find_plans(saved, &live).map_err(stale)?;
    // After what changed in the account since the plan, which says it better: what is left
    // is a file that applies a declaration to another plan than the YAML does.
    let misdirected = reviewed::misdirected(saved, &checkout.plans, &live);
    if !misdirected.is_empty() {
        return Err(unreviewed(misdirected));
    }
    let foreign = found.held_elsewhere(&live, saved.owner().as_deref());
    if !foreign.is_empty() {
        return Err(SavedPlanError::Refused {
            path: name,
            errors: foreign,
        });
    }
    let live_keys = client.list_plan_keys(found.plans_needing_keys()).await?;
    let warnings = found
        .check_references(&client, &live, &live_keys, &name)
        .await?;
    let mut plan = found.plan(saved, &live_keys).map_err(stale)?;
    let keys_changed = deleted_keys_changed(&client, saved, &listed, &plan, &live).await?;
    if !keys_changed.is_empty() {
        return Err(stale(keys_changed));
    }
    plan.deleted_keys = saved.plan.deleted_keys.clone();
    plan.api_keys = api_keys;
    plan.names = saved.plan.names.clone();
    plan.target = saved.plan.target.clone();
    plan.account = account;
    plan.endpoints = client.foreign_endpoints();
    let tokens = |name: &String, token: &Option<String>| Some((name.clone(), token.clone()?));
    let markers = CreationMarkers {
        plans: saved
            .saved
            .plans
            .iter()
            .filter_map(|entry| tokens(&entry.desired.body.name, &entry.creation_token))
            .collect(),
        api_keys: saved
            .saved
            .api_keys
            .iter()
            .filter_map(|key| tokens(&key.declared.name, &key.creation_token))
            .collect(),
    };
    Ok((client, plan, markers, warnings))
}

/// The checkout's declarations with their names of REST APIs and keys resolved as `plan`
/// resolves them (GetRestApis only when a name is used; `listed` are the account's keys), or
/// the names that do not resolve, located.
async fn resolve_names(
    client: &LiveClient,
    saved: &SavedPlan,
    checkout: Desired,
    listed: &[LiveApiKey],
) -> Result<Result<Desired, Vec<String>>, AwsError> {
    let Desired {
        mut plans,
        api_keys: declared,
    } = checkout;
    let region = client.region();
    let mut errors = Vec::new();
    if plans.iter().any(|plan| !plan.named_stages.is_empty()) {
        let apis = client.list_rest_apis().await?;
        errors.extend(resolve::api_names(&mut plans, &apis, region).err());
    }
    let owner = saved.owner();
    match api_keys::match_keys(&declared, listed, region, owner.as_deref()) {
        Ok(matched) => {
            let keys: Vec<Named> = listed.iter().map(LiveApiKey::named).collect();
            errors.extend(resolve::key_names(&mut plans, &keys, &matched.ids, region).err());
        }
        Err(found) => errors.push(found),
    }
    let errors: Vec<String> = resolve::in_file_order(errors.into_iter().flatten().collect())
        .iter()
        .map(ToString::to_string)
        .collect();
    Ok(match errors.is_empty() {
        true => Ok(Desired {
            plans,
            api_keys: declared,
        }),
        false => Err(errors),
    })
}

/// The ids of the keys an earlier apply of a saved plan created, by placeholder.
type CreatedKeys = BTreeMap<String, String>;

/// `saved` with the keys an earlier apply of it created in place of their placeholders, in
/// its declarations and in the plan it shows.
fn with_created_keys(saved: &SavedPlan, created: &CreatedKeys) -> SavedPlan {
    let mut saved = saved.clone();
    for entry in &mut saved.saved.plans {
        for key in entry.desired.keys.iter_mut().flatten() {
            swap_placeholder(&mut key.id, created);
        }
    }
    for entry in &mut saved.plan.entries {
        for key in &mut entry.keys {
            swap_placeholder(&mut key.key_id, created);
        }
        for grant in &mut entry.grants {
            swap_placeholder(&mut grant.key_id, created);
        }
    }
    saved
}

/// The declared keys of `saved` among `listed`: what is left to do for each, and the keys an
/// earlier apply of the file created (by placeholder). A key changed since the plan in a way
/// the plan did not make, deleted, or created by someone else is a reason to refuse.
fn find_api_keys(
    saved: &SavedPlan,
    listed: &[LiveApiKey],
) -> Result<(Vec<ApiKeyEntry>, CreatedKeys), Vec<String>> {
    let owner = saved.owner();
    let mut declared = Vec::new();
    let mut now = Vec::new();
    let mut created = BTreeMap::new();
    let mut problems = Vec::new();
    for key in &saved.saved.api_keys {
        let name = &key.declared.name;
        match &key.live {
            Some(before) => match listed.iter().find(|live| live.id == before.id) {
                // Keys are matched by exact name: a file holding another one was edited.
                Some(live) if live.name != *name => problems.push(format!(
                    "API key \"{name}\": the file pins it to {}, which is named \"{}\"",
                    live.id, live.name
                )),
                Some(live) => {
                    problems.extend(changed_key(before, &key.declared, live));
                    now.push(live.clone());
                }
                None => problems.push(format!(
                    "API key \"{name}\" ({}) was deleted since the plan",
                    before.id
                )),
            },
            None => {
                let namesakes: Vec<&LiveApiKey> =
                    listed.iter().filter(|live| live.name == *name).collect();
                match namesakes.as_slice() {
                    [] => {}
                    [live] if live.tags.get(CREATION_TAG) == key.creation_token.as_ref() => {
                        created.insert(placeholder(name), live.id.clone());
                        now.push((*live).clone());
                    }
                    found => {
                        problems.push(format!(
                        "API key \"{name}\", which the plan creates, now exists ({}) and was not \
                         created by an apply of this file",
                        found.iter().map(|live| live.id.as_str()).collect::<Vec<_>>().join(", ")
                    ))
                    }
                }
            }
        }
        declared.push(key.declared.clone());
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let matched = api_keys::match_keys(&declared, &now, &saved.region, owner.as_deref())
        .map_err(|errors| errors.iter().map(ToString::to_string).collect::<Vec<_>>())?;
    let left = matched.entries.into_iter().filter(ApiKeyEntry::has_changes);
    Ok((left.collect(), created))
}

/// What changed on a live key since the plan that the plan would not have made: each field
/// and each of its own tags must hold its value at plan time or the declared one.
fn changed_key(before: &LiveApiKey, declared: &DesiredApiKey, now: &LiveApiKey) -> Vec<String> {
    let enabled = |value: bool| value.to_string();
    let fields = [
        (
            "description",
            &before.description,
            &declared.description,
            &now.description,
        ),
        (
            "customerId",
            &before.customer_id,
            &declared.customer_id,
            &now.customer_id,
        ),
    ]
    .map(|(what, before, declared, now)| (what, before.clone(), declared.clone(), now.clone()));
    let enabled = (
        "enabled",
        enabled(before.enabled),
        enabled(declared.enabled),
        enabled(now.enabled),
    );
    let (before_tags, now_tags) = (managed_tags(&before.tags), managed_tags(&now.tags));
    let tag_names: BTreeSet<&String> = before_tags.keys().chain(now_tags.keys()).collect();
    let tags = tag_names.into_iter().map(|tag| {
        let value = |tags: &Tags| tags.get(tag).cloned().unwrap_or_default();
        // Without `tags`, the declaration leaves them alone: only their value at plan time.
        let wanted = match &declared.tags {
            Some(tags) => value(tags),
            None => value(&before_tags),
        };
        (tag.as_str(), value(&before_tags), wanted, value(&now_tags))
    });
    let tags: Vec<(String, String, String, String)> = tags
        .map(|(tag, before, wanted, now)| (format!("tag {tag}"), before, wanted, now))
        .collect();
    fields
        .into_iter()
        .chain([enabled])
        .map(|(what, before, wanted, now)| (what.to_string(), before, wanted, now))
        .chain(tags)
        .filter(|(_, then, wanted, now)| now != then && now != wanted)
        .map(|(what, then, wanted, now)| {
            format!(
                "API key \"{}\" ({}): {what} is {now:?} now, neither {then:?} (at plan time) \
                 nor {wanted:?} (declared)",
                declared.name, before.id
            )
        })
        .collect()
}

/// What stops `apply FILE` from deleting the orphaned keys the file deletes, one sentence
/// each: a key deleted or changed since the plan (its owner tag removed releases it), or now
/// on a plan that `plan` (what is left of the file) neither takes it off nor deletes
/// (GetUsagePlans with `keyId`, one call and its pages per key).
async fn deleted_keys_changed(
    client: &LiveClient,
    saved: &SavedPlan,
    listed: &[LiveApiKey],
    plan: &Plan,
    live: &[LivePlan],
) -> Result<Vec<String>, AwsError> {
    let mut problems = Vec::new();
    for before in &saved.saved.deleted_keys {
        let subject = format!(
            "API key \"{}\" ({}), which the plan deletes as an orphan,",
            before.name, before.id
        );
        let Some(now) = listed.iter().find(|key| key.id == before.id) else {
            problems.push(format!("{subject} was deleted since the plan"));
            continue;
        };
        let changes = key_changes(before, now);
        if !changes.is_empty() {
            problems.push(format!(
                "{subject} changed since the plan: {}",
                changes.join(", ")
            ));
            continue;
        }
        let frees = |plan_id: &str| {
            plan.entries.iter().any(|entry| {
                entry.id() == Some(plan_id)
                    && (entry.delete
                        || entry.keys.iter().any(|change| {
                            change.action == KeyAction::Remove && change.key_id == before.id
                        }))
            })
        };
        for plan_id in client.plans_with_key(&before.id).await? {
            if !frees(&plan_id) {
                let holder = live.iter().find(|holder| holder.id == plan_id);
                let name = holder.map_or("", |holder| holder.body.name.as_str());
                problems.push(format!(
                    "{subject} is now on usage plan \"{name}\" ({plan_id}), which the plan leaves alone"
                ));
            }
        }
    }
    Ok(problems)
}

/// What differs between an API key as listed at plan time and now, one phrase per field and
/// tag.
fn key_changes(before: &LiveApiKey, now: &LiveApiKey) -> Vec<String> {
    let fields = [
        ("name", &before.name, &now.name),
        ("description", &before.description, &now.description),
        ("customerId", &before.customer_id, &now.customer_id),
    ];
    let mut changes: Vec<String> = fields
        .into_iter()
        .filter(|(_, then, now)| then != now)
        .map(|(what, then, now)| format!("{what} is {now:?}, was {then:?}"))
        .collect();
    if before.enabled != now.enabled {
        changes.push(format!(
            "enabled is {}, was {}",
            now.enabled, before.enabled
        ));
    }
    let tags: BTreeSet<&String> = before.tags.keys().chain(now.tags.keys()).collect();
    changes.extend(tags.into_iter().filter_map(|tag| {
        match (before.tags.get(tag), now.tags.get(tag)) {
            (then, now) if then == now => None,
            (Some(_), None) => Some(format!("tag `{tag}` was removed")),
            (None, Some(value)) => Some(format!("tag `{tag}` was added ({value:?})")),
            (then, now) => Some(format!(
                "tag `{tag}` is {:?}, was {:?}",
                now.map_or("", String::as_str),
                then.map_or("", String::as_str)
            )),
        }
    }));
    changes
}

/// One plan of the file, found among the live plans.
#[derive(Debug, Clone)]
struct Found {
    /// The declaration, pinned to the live plan when there is one.
    desired: DesiredPlan,
    /// The live plan, absent for a plan still to create.
    live: Option<LivePlan>,
    /// The live plan as read at plan time; absent for a plan the file creates.
    before: Option<Snapshot>,
}

/// An orphaned plan the file deletes, found among the live plans.
#[derive(Debug, Clone)]
struct FoundDeletion {
    /// The plan as read at plan time.
    before: Snapshot,
    /// The plan now.
    now: LivePlan,
}

/// The plans of a file, found among the live plans.
#[derive(Debug, Clone)]
struct FoundPlans {
    /// The plans it creates or changes.
    plans: Vec<Found>,
    /// The orphaned plans it deletes.
    deletions: Vec<FoundDeletion>,
}

impl FoundPlans {
    /// The file's declarations, and how they match `live` as found.
    fn matching(&self, live: &[LivePlan]) -> (Vec<DesiredPlan>, Matching) {
        let desired: Vec<DesiredPlan> = self
            .plans
            .iter()
            .map(|found| found.desired.clone())
            .collect();
        let matched: Vec<Option<usize>> = self
            .plans
            .iter()
            .map(|found| {
                let id = &found.live.as_ref()?.id;
                live.iter().position(|plan| &plan.id == id)
            })
            .collect();
        let unmanaged = (0..live.len())
            .filter(|i| !matched.contains(&Some(*i)))
            .collect();
        (desired, Matching { matched, unmanaged })
    }

    /// The plans the file changes that another tool or owner holds now, as `plan` refuses
    /// them: a CloudFormation stack's plan not adopted, and, in a project (`owner`), a plan
    /// another project or target owns; one located error each.
    fn held_elsewhere(&self, live: &[LivePlan], owner: Option<&str>) -> Vec<String> {
        let (desired, matching) = self.matching(live);
        let mut found = reconcile::managed_by_stack(&desired, live, &matching);
        if let Some(owner) = owner {
            found.extend(reconcile::owned_elsewhere(&desired, live, &matching, owner));
        }
        found
            .iter()
            .map(|error| format!("{}: {error}", error.location()))
            .collect()
    }

    /// Checks the references of the file's plans against the account as it is now, every
    /// other live plan left alone: what AWS would refuse is an error, the warnings are
    /// returned.
    async fn check_references(
        &self,
        client: &LiveClient,
        live: &[LivePlan],
        live_keys: &LiveKeys,
        path: &str,
    ) -> Result<Vec<String>, SavedPlanError> {
        let (desired, matching) = self.matching(live);
        let account = Account {
            desired: &desired,
            live,
            matching: &matching,
            live_keys,
            deleted: &self
                .deletions
                .iter()
                .map(|deletion| deletion.now.id.clone())
                .collect(),
        };
        let findings = client.check_references(&account).await?;
        if !findings.errors.is_empty() {
            return Err(SavedPlanError::Refused {
                path: path.to_owned(),
                errors: findings.errors.iter().map(ToString::to_string).collect(),
            });
        }
        Ok(findings.warning_lines())
    }
}

/// The plans of `saved` among `live`: each existing plan by its id; each plan to create by
/// its name, absent (to create) or carrying tollgate's creation marker (created by a partial
/// apply, to finish); each orphaned plan it deletes by its id, which must still be there.
/// Every other finding is a reason to refuse, one sentence each.
fn find_plans(saved: &SavedPlan, live: &[LivePlan]) -> Result<FoundPlans, Vec<String>> {
    let existing: BTreeSet<&str> = saved
        .saved
        .plans
        .iter()
        .filter_map(|entry| entry.live.as_ref().map(|snapshot| snapshot.id.as_str()))
        .chain(
            saved
                .saved
                .deletions
                .iter()
                .map(|deletion| deletion.live.id.as_str()),
        )
        .collect();
    let mut found = Vec::new();
    let mut problems = Vec::new();
    let mut deletions = Vec::new();
    for deletion in &saved.saved.deletions {
        let before = &deletion.live;
        match live.iter().find(|plan| plan.id == before.id) {
            Some(now) => deletions.push(FoundDeletion {
                before: before.clone(),
                now: now.clone(),
            }),
            None => problems.push(format!(
                "usage plan \"{}\" ({}), which the plan deletes as an orphan, was deleted since \
                 the plan",
                before.body.name, before.id
            )),
        }
    }
    for entry in &saved.saved.plans {
        let name = &entry.desired.body.name;
        match &entry.live {
            Some(before) => match live.iter().find(|plan| plan.id == before.id) {
                Some(plan) => found.push(Found {
                    desired: entry.desired.clone(),
                    live: Some(plan.clone()),
                    before: Some(before.clone()),
                }),
                None => problems.push(format!(
                    "usage plan \"{name}\" ({}) was deleted since the plan",
                    before.id
                )),
            },
            None => {
                let candidates: Vec<&LivePlan> = live
                    .iter()
                    .filter(|plan| plan.body.name == *name && !existing.contains(plan.id.as_str()))
                    .collect();
                match candidates.as_slice() {
                    [] => found.push(Found {
                        desired: entry.desired.clone(),
                        live: None,
                        before: None,
                    }),
                    [plan] if entry.creation_token.is_some()
                        && plan.tags.get(CREATION_TAG) == entry.creation_token.as_ref() =>
                    {
                        found.push(Found {
                        desired: DesiredPlan {
                            id: Some(plan.id.clone()),
                            ..entry.desired.clone()
                        },
                        live: Some((*plan).clone()),
                        before: None,
                    })
                    }
                    [plan] => problems.push(format!(
                        "usage plan \"{name}\", which the plan creates, now exists ({}) and was not created by an apply of this file (its creation marker differs)",
                        plan.id
                    )),
                    several => problems.push(format!(
                        "usage plan \"{name}\", which the plan creates, now exists {} times ({})",
                        several.len(),
                        several.iter().map(|plan| plan.id.as_str()).collect::<Vec<_>>().join(", ")
                    )),
                }
            }
        }
    }
    if problems.is_empty() {
        Ok(FoundPlans {
            plans: found,
            deletions,
        })
    } else {
        Err(problems)
    }
}

impl FoundPlans {
    /// The ids of the live plans whose declaration manages keys.
    fn plans_needing_keys(&self) -> Vec<String> {
        self.plans
            .iter()
            .filter(|found| found.desired.keys.is_some())
            .filter_map(|found| found.live.as_ref().map(|plan| plan.id.clone()))
            .collect()
    }

    /// The plan of what is left to do, or the parts of plans changed since the plan.
    fn plan(self, saved: &SavedPlan, live_keys: &LiveKeys) -> Result<Plan, Vec<String>> {
        let mut problems = Vec::new();
        for found in &self.plans {
            let (Some(before), Some(plan)) = (&found.before, &found.live) else {
                continue;
            };
            let planned = saved
                .plan
                .entries
                .iter()
                .find(|entry| entry.id() == Some(before.id.as_str()));
            let Some(planned) = planned else {
                continue;
            };
            let now = Snapshot::of(plan, live_keys, before.keys.is_some());
            problems.extend(
                changed_since(before, planned, &now)
                    .into_iter()
                    .map(|changed| {
                        format!("usage plan \"{}\" ({}): {changed}", planned.name, plan.id)
                    }),
            );
        }
        for found in &self.deletions {
            let planned = saved
                .plan
                .entries
                .iter()
                .find(|entry| entry.delete && entry.id() == Some(found.before.id.as_str()));
            let Some(planned) = planned else {
                continue;
            };
            let now = Snapshot::of(&found.now, live_keys, false);
            problems.extend(changed_since(&found.before, planned, &now).into_iter().map(
                |changed| {
                    format!(
                        "usage plan \"{}\" ({}), which the plan deletes as an orphan: \
                             {changed}",
                        planned.name, found.now.id
                    )
                },
            ));
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        let desired: Vec<DesiredPlan> = self
            .plans
            .iter()
            .map(|found| found.desired.clone())
            .collect();
        let live: Vec<LivePlan> = self
            .plans
            .into_iter()
            .filter_map(|found| found.live)
            .chain(self.deletions.into_iter().map(|found| found.now))
            .collect();
        let matching = reconcile::match_plans(&desired, &live)
            .map_err(|errors| errors.iter().map(ToString::to_string).collect::<Vec<_>>())?;
        let mut plan = reconcile::build_plan(
            &saved.region,
            &desired,
            &live,
            &matching,
            live_keys,
            // A saved plan prunes as it was made.
            &PlanOptions {
                owner: saved.owner(),
                prune: saved.saved.prune,
            },
        );
        plan.unchanged += saved.unchanged_elsewhere;
        plan.unmanaged = saved.plan.unmanaged.clone();
        plan.orphans = saved.plan.orphans.clone();
        Ok(plan)
    }
}

#[cfg(test)]
mod deleted_key_tests {
    use super::*;

    #[test]
    fn every_field_and_tag_of_a_key_that_changed_is_named() {
        let before = LiveApiKey {
            id: "k1".into(),
            name: "acme".into(),
            enabled: true,
            tags: [("tollgate:owner", "p/t"), ("team", "a")]
                .into_iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            ..LiveApiKey::default()
        };
        assert_eq!(key_changes(&before, &before), Vec::<String>::new());
        let mut now = LiveApiKey {
            name: "acme2".into(),
            enabled: false,
            customer_id: "c".into(),
            ..before.clone()
        };
        now.tags.remove("tollgate:owner");
        now.tags.insert("team".into(), "b".into());
        now.tags.insert("new".into(), "x".into());
        assert_eq!(
            key_changes(&before, &now),
            [
                "name is \"acme2\", was \"acme\"",
                "customerId is \"c\", was \"\"",
                "enabled is false, was true",
                "tag `new` was added (\"x\")",
                "tag `team` is \"b\", was \"a\"",
                "tag `tollgate:owner` was removed",
            ]
        );
    }
}

#[cfg(test)]
mod key_tests {
    use super::*;
    use crate::model::SourceLocation;

    fn tags(pairs: &[(&str, &str)]) -> Tags {
        pairs
            .iter()
            .map(|(key, value)| (key.to_string(), value.to_string()))
            .collect()
    }

    #[test]
    fn a_key_may_hold_its_planned_from_or_declared_values_and_nothing_else() {
        let before = LiveApiKey {
            id: "k1".into(),
            name: "acme".into(),
            enabled: true,
            tags: tags(&[("team", "sales"), ("tollgate:creation", "t")]),
            ..LiveApiKey::default()
        };
        let declared = DesiredApiKey {
            name: "acme".into(),
            description: "Acme".into(),
            enabled: false,
            customer_id: String::new(),
            tags: Some(tags(&[("team", "payments")])),
            value_from: None,
            location: SourceLocation {
                path: "k.yaml".into(),
                line: 2,
                column: 11,
            },
        };
        // Half applied: the update made, the tags not yet.
        let half = LiveApiKey {
            description: "Acme".into(),
            enabled: false,
            ..before.clone()
        };
        assert_eq!(changed_key(&before, &declared, &half), Vec::<String>::new());
        let edited = LiveApiKey {
            description: "by hand".into(),
            tags: tags(&[("team", "sales"), ("extra", "x")]),
            ..before.clone()
        };
        assert_eq!(
            changed_key(&before, &declared, &edited),
            [
                "API key \"acme\" (k1): description is \"by hand\" now, neither \"\" (at plan \
                 time) nor \"Acme\" (declared)",
                "API key \"acme\" (k1): tag extra is \"x\" now, neither \"\" (at plan time) nor \
                 \"\" (declared)"
            ]
        );
    }
}
