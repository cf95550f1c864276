//! `apply FILE`: reads the account again, refuses a saved plan made elsewhere or gone stale,
//! and makes its changes again from the saved declarations and the live plans, restricted to
//! the plans the file holds.

use std::collections::BTreeSet;
use std::path::Path;

use super::context::{mismatches, Target};
use super::file::owner_of;
use super::file::SavedPlan;
use super::stale::{changed_since, Snapshot};
use super::SavedPlanError;
use crate::apply::CreationMarkers;
use crate::live::{Connection, LiveClient, Pace};
use crate::model::{DesiredPlan, LiveKeys, LivePlan, CREATION_TAG};
use crate::plan::Plan;
use crate::reconcile::{self, PlanOptions};

/// Connects, checks that the account, region and endpoint are those the plan was made for,
/// reads the live plans, refuses if any plan the file holds changed since, and returns the
/// plan of what is left to do. Nothing is written to AWS.
pub async fn resume(
    connection: &Connection,
    pace: Pace,
    saved: &SavedPlan,
    path: &Path,
) -> Result<(LiveClient, Plan, CreationMarkers), SavedPlanError> {
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
    let live = client.list_plans().await?;
    let stale = |changes| SavedPlanError::Stale {
        path: name.clone(),
        changes,
    };
    let found = find_plans(saved, &live).map_err(stale)?;
    let live_keys = client.list_plan_keys(found.plans_needing_keys()).await?;
    let plan = found.plan(saved, &live_keys).map_err(stale)?;
    let markers = saved
        .saved
        .plans
        .iter()
        .filter_map(|entry| {
            let token = entry.creation_token.clone()?;
            Some((entry.desired.body.name.clone(), token))
        })
        .collect();
    Ok((client, plan, markers))
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

/// The plans of a file, found among the live plans.
#[derive(Debug, Clone)]
struct FoundPlans(Vec<Found>);

/// The plans of `saved` among `live`: each existing plan by its id; each plan to create by
/// its name, absent (to create) or carrying tollgate's creation marker (created by a partial
/// apply, to finish). Every other finding is a reason to refuse, one sentence each.
fn find_plans(saved: &SavedPlan, live: &[LivePlan]) -> Result<FoundPlans, Vec<String>> {
    let existing: BTreeSet<&str> = saved
        .saved
        .plans
        .iter()
        .filter_map(|entry| entry.live.as_ref().map(|snapshot| snapshot.id.as_str()))
        .collect();
    let mut found = Vec::new();
    let mut problems = Vec::new();
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
        Ok(FoundPlans(found))
    } else {
        Err(problems)
    }
}

impl FoundPlans {
    /// The ids of the live plans whose declaration manages keys.
    fn plans_needing_keys(&self) -> Vec<String> {
        self.0
            .iter()
            .filter(|found| found.desired.keys.is_some())
            .filter_map(|found| found.live.as_ref().map(|plan| plan.id.clone()))
            .collect()
    }

    /// The plan of what is left to do, or the parts of plans changed since the plan.
    fn plan(self, saved: &SavedPlan, live_keys: &LiveKeys) -> Result<Plan, Vec<String>> {
        let mut problems = Vec::new();
        for found in &self.0 {
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
        if !problems.is_empty() {
            return Err(problems);
        }
        let desired: Vec<DesiredPlan> = self.0.iter().map(|found| found.desired.clone()).collect();
        let live: Vec<LivePlan> = self.0.into_iter().filter_map(|found| found.live).collect();
        let matching = reconcile::match_plans(&desired, &live)
            .map_err(|errors| errors.iter().map(ToString::to_string).collect::<Vec<_>>())?;
        let mut plan = reconcile::build_plan(
            &saved.region,
            &desired,
            &live,
            &matching,
            live_keys,
            // A saved plan never retries pending grants: a grant pending now may have been
            // sent by a partial apply of this very file.
            &PlanOptions {
                owner: owner_of(
                    saved.saved.context.project.as_deref(),
                    saved
                        .plan
                        .target
                        .as_ref()
                        .map(|target| target.name.as_str()),
                ),
                ..PlanOptions::default()
            },
        );
        plan.unchanged += saved.unchanged_elsewhere;
        plan.unmanaged = saved.plan.unmanaged.clone();
        plan.orphans = saved.plan.orphans.clone();
        Ok(plan)
    }
}
