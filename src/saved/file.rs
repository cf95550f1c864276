//! The saved plan file: the JSON plan of `plan --format json` with one more field, `saved`,
//! holding what `apply FILE` needs to refuse a stale plan and to redo exactly its changes.
//!
//! `saved` holds where and by what the plan was made ([`Context`]), whether pending grants
//! were to be retried, and for each plan with something to do or to show: its declaration
//! (pinned to the live plan's id when there is one) and the live plan as read, with the
//! fingerprint of each part. A plan made with `--prune` also holds each orphan it deletes, as
//! read. Reading a file rebuilds the plan from these with the same code that made it, and
//! checks that it equals the JSON plan beside them, so `show` renders exactly what `plan`
//! printed and a damaged file is refused. Anyone can recompute the fingerprints of a file
//! they edit: what stops a deliberate edit is `apply FILE`'s check against the checkout's
//! YAML ([`super::reviewed`]) and the optional signature ([`super::signature`]).

use std::io::Read;
use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::context::Context;
#[cfg(doc)]
use super::reviewed;
use super::signature::{self, PlanKey, Signature};
use super::stale::{Fingerprint, Snapshot};
use super::SavedPlanError;
use crate::api_keys;
use crate::endpoint::{ForeignEndpoint, ForeignEndpoints};
use crate::live::creation_token;
use crate::model::{owner, DesiredApiKey, DesiredPlan, LiveApiKey, LiveKeys, LivePlan, Names};
use crate::plan::{ApiKeyEntry, Orphan, OrphanKind, Plan, PlanRef, PlanTarget, Usage};
use crate::reconcile::{self, Matching, PlanOptions};
use crate::render::json::{self, FORMAT_VERSION};

/// The largest saved plan `apply` and `show` read: 64 MiB, room for thousands of plans and
/// keys. A larger file is refused before it is read, so a swapped artifact cannot exhaust
/// the runner's memory.
pub const MAX_SAVED_PLAN_BYTES: u64 = 64 * 1024 * 1024;

/// The file's text, or `None` when it is larger than [`MAX_SAVED_PLAN_BYTES`]: its length is
/// checked first and no more than the cap and one byte is ever read (a file still growing, a
/// device or a pipe included).
fn read_within_cap(path: &Path) -> std::io::Result<Option<String>> {
    let file = std::fs::File::open(path)?;
    if file.metadata()?.len() > MAX_SAVED_PLAN_BYTES {
        return Ok(None);
    }
    let mut text = String::new();
    file.take(MAX_SAVED_PLAN_BYTES + 1)
        .read_to_string(&mut text)?;
    let within = u64::try_from(text.len()).is_ok_and(|length| length <= MAX_SAVED_PLAN_BYTES);
    Ok(within.then_some(text))
}

/// The `saved` field of a saved plan file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Saved {
    /// Where and by what the plan was made.
    #[serde(flatten)]
    pub context: Context,
    /// The YAML files and folders the plan was made from, relative to the project file's
    /// folder (or the working folder without a project file): what `apply FILE` reads again
    /// from its checkout.
    pub yaml: Vec<String>,
    /// The plans the saved plan changes or shows, in the plan's order.
    pub plans: Vec<SavedEntry>,
    /// The declared API keys the saved plan creates or changes, in the plan's order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub api_keys: Vec<SavedApiKey>,
    /// Whether the plan was made with `--prune`: `apply FILE` then needs `--prune` too, and
    /// the plan is made again with it (orphans deleted, records of grants no longer declared
    /// removed); absent without.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub prune: bool,
    /// The orphaned plans the saved plan deletes, as read at plan time.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub deletions: Vec<SavedDeletion>,
    /// The orphaned API keys the saved plan deletes, as listed at plan time.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub deleted_keys: Vec<LiveApiKey>,
    /// The usage read for `plan --impact`, from which the plan's impact is worked out again;
    /// absent without `--impact`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage: Option<Usage>,
}

/// One declared API key a saved plan creates or changes. Its value is never here: only the
/// name of the environment variable the apply reads it from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SavedApiKey {
    /// The declaration.
    pub declared: DesiredApiKey,
    /// The live key as read; absent for a key to create.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub live: Option<LiveApiKey>,
    /// For a key to create, the token of its creation marker, drawn when the plan was made.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub creation_token: Option<String>,
}

/// One plan a saved plan changes or shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SavedEntry {
    /// The declaration, its `id` pinned to the live plan's when the plan exists.
    pub desired: DesiredPlan,
    /// The live plan as read; absent for a plan to create.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub live: Option<Snapshot>,
    /// The fingerprint of each part of `live`; absent with it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fingerprint: Option<Fingerprint>,
    /// For a plan to create, the token of the creation marker its create carries, drawn when
    /// the plan was made: how `apply FILE` tells its own earlier, partial create from a plan
    /// another apply created meanwhile.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub creation_token: Option<String>,
    /// The declaration had no `id:` and was matched to the live plan by its name (which
    /// `desired`, pinned, no longer shows).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub matched_by_name: bool,
}

/// An orphaned plan a saved plan deletes (`plan --prune --out`): the live plan as read, and
/// the fingerprint of each part, so that `apply FILE` refuses to delete one that changed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SavedDeletion {
    /// The live plan as read (its keys are not read).
    pub live: Snapshot,
    /// The fingerprint of each part of `live`.
    pub fingerprint: Fingerprint,
}

/// A saved plan: what the file holds, and the plan rebuilt from it.
#[derive(Debug, Clone, PartialEq)]
pub struct SavedPlan {
    /// The region the plan was made for.
    pub region: String,
    /// The `saved` field.
    pub saved: Saved,
    /// The plan as `plan` showed it.
    pub plan: Plan,
    /// How many managed plans needed nothing and are not in the file (all of the plan's
    /// unchanged count but the plans shown only for their pending grants).
    pub unchanged_elsewhere: usize,
    /// What was found of the file's signature; [`Signature::Unsigned`] for a plan just made.
    pub signature: Signature,
}

/// What the plan was made from, for [`SavedPlan::new`].
#[derive(Debug, Clone, Copy)]
pub struct Inputs<'a> {
    /// The declared plans.
    pub desired: &'a [DesiredPlan],
    /// The live plans.
    pub live: &'a [LivePlan],
    /// How they were matched.
    pub matching: &'a Matching,
    /// The keys read.
    pub live_keys: &'a LiveKeys,
    /// The account's API keys, as listed for the declared ones (and, in a project, for
    /// orphans).
    pub live_api_keys: &'a [LiveApiKey],
    /// Whether the plan was made with `--prune`.
    pub prune: bool,
    /// The YAML paths as [`reviewed::record`] writes them.
    pub yaml: &'a [String],
}

impl SavedPlan {
    /// The saved form of `plan`, made from `inputs` in `context`.
    pub fn new(plan: &Plan, inputs: Inputs<'_>, context: Context) -> SavedPlan {
        let plans: Vec<SavedEntry> = plan
            .entries
            .iter()
            .filter_map(|entry| {
                inputs
                    .desired
                    .iter()
                    .zip(&inputs.matching.matched)
                    .find(|(declared, target)| {
                        declared.body.name == entry.name
                            && target.map(|i| inputs.live[i].id.as_str()) == entry.id()
                    })
                    .map(|(declared, target)| {
                        saved_entry(declared, target.map(|i| &inputs.live[i]), &inputs)
                    })
            })
            .collect();
        let in_file = plan
            .entries
            .iter()
            .filter(|entry| !entry.has_changes())
            .count();
        let api_keys = plan
            .api_keys
            .iter()
            .map(|entry| SavedApiKey {
                declared: entry.key.clone(),
                live: entry.id().and_then(|id| {
                    let live = inputs.live_api_keys.iter().find(|key| key.id == id);
                    live.cloned()
                }),
                creation_token: entry.id().is_none().then(creation_token),
            })
            .collect();
        let deletions = plan
            .entries
            .iter()
            .filter(|entry| entry.delete)
            .filter_map(|entry| {
                inputs
                    .live
                    .iter()
                    .find(|live| Some(live.id.as_str()) == entry.id())
            })
            .map(|live| {
                let snapshot = Snapshot::of(live, inputs.live_keys, false);
                SavedDeletion {
                    fingerprint: snapshot.fingerprint(),
                    live: snapshot,
                }
            })
            .collect();
        let deleted_keys = plan
            .deleted_keys
            .iter()
            .filter_map(|key| inputs.live_api_keys.iter().find(|live| live.id == key.id))
            .cloned()
            .collect();
        SavedPlan {
            region: plan.region.clone(),
            saved: Saved {
                context,
                yaml: inputs.yaml.to_vec(),
                plans,
                api_keys,
                prune: inputs.prune,
                deletions,
                deleted_keys,
                usage: plan.impact.as_ref().map(|impact| impact.usage.clone()),
            },
            plan: plan.clone(),
            unchanged_elsewhere: plan.unchanged.saturating_sub(in_file),
            signature: Signature::Unsigned,
        }
    }

    /// The owner tag's value of the target the plan was made for; `None` outside a project.
    pub fn owner(&self) -> Option<String> {
        let target = self.plan.target.as_ref().map(|target| target.name.as_str());
        owner_of(self.saved.context.project.as_deref(), target)
    }

    /// Writes the file, signed when `key` is given.
    pub fn write(&self, path: &Path, key: Option<&PlanKey>) -> Result<(), SavedPlanError> {
        let failed = |source: std::io::Error| SavedPlanError::Write {
            path: path.display().to_string(),
            source,
        };
        let mut document = json::render_saved(&self.plan, &self.saved)
            .and_then(|text| serde_json::from_str::<Value>(&text))
            .map_err(|error| failed(std::io::Error::other(error)))?;
        if let Some(key) = key {
            key.sign(&mut document);
        }
        let mut text =
            serde_json::to_string_pretty(&document).map_err(|error| failed(error.into()))?;
        text.push('\n');
        std::fs::write(path, text).map_err(failed)
    }

    /// Reads and checks a saved plan file: its signature (required when `key` is given), its
    /// format version, its fields, the fingerprints of the live plans it holds, and that the
    /// plan rebuilt from it is the plan it shows.
    pub fn read(path: &Path, key: Option<&PlanKey>) -> Result<SavedPlan, SavedPlanError> {
        let name = path.display().to_string();
        let damaged = |detail: String| SavedPlanError::Damaged {
            path: name.clone(),
            detail,
        };
        let text = read_within_cap(path)
            .map_err(|source| SavedPlanError::Read {
                path: name.clone(),
                source,
            })?
            .ok_or_else(|| {
                damaged(format!(
                    "it is larger than {} MiB, the most a saved plan may be; it was not read",
                    MAX_SAVED_PLAN_BYTES / (1024 * 1024)
                ))
            })?;
        let mut value: Value = serde_json::from_str(&text)
            .map_err(|error| damaged(format!("it is not JSON ({error})")))?;
        let signature =
            signature::verify(&mut value, key).map_err(|detail| SavedPlanError::Signature {
                path: name.clone(),
                detail,
            })?;
        match value.get("formatVersion") {
            None => return Err(damaged("it has no `formatVersion`".into())),
            Some(Value::Number(n)) if n.as_u64() == Some(u64::from(FORMAT_VERSION)) => {}
            Some(other) => {
                return Err(SavedPlanError::UnknownVersion {
                    path: name,
                    found: other.to_string(),
                })
            }
        }
        if value.get("saved").is_none() {
            return Err(damaged(
                "it has no `saved` field: it is a JSON plan as `plan --format json` prints it, not a saved plan".into(),
            ));
        }
        let file: FileFields = serde_json::from_value(value.clone())
            .map_err(|error| damaged(format!("a field is missing or wrong ({error})")))?;
        let mut saved = SavedPlan::rebuild(file).map_err(damaged)?;
        let written = json::render_saved(&saved.plan, &saved.saved)
            .ok()
            .and_then(|text| serde_json::from_str::<Value>(&text).ok());
        if written.as_ref() != Some(&value) {
            return Err(damaged(
                "the plan it shows does not follow from the state saved with it (was it edited?)"
                    .into(),
            ));
        }
        saved.signature = signature;
        Ok(saved)
    }

    /// The plan made again from the file's declarations and live plans, as `plan` made it.
    fn rebuild(file: FileFields) -> Result<SavedPlan, String> {
        let mut desired = Vec::new();
        let mut live = Vec::new();
        let mut live_keys = LiveKeys::new();
        for entry in &file.saved.plans {
            desired.push(entry.desired.clone());
            match (&entry.live, &entry.fingerprint) {
                (None, None) => {}
                (Some(snapshot), Some(fingerprint)) if snapshot.fingerprint() == *fingerprint => {
                    live.push(snapshot.plan());
                    if let Some(keys) = &snapshot.keys {
                        live_keys.insert(snapshot.id.clone(), keys.clone());
                    }
                }
                _ => {
                    return Err(format!(
                        "the live state saved for usage plan \"{}\" does not match its fingerprint",
                        entry.desired.body.name
                    ))
                }
            }
        }
        for deletion in &file.saved.deletions {
            let snapshot = &deletion.live;
            if snapshot.fingerprint() != deletion.fingerprint {
                return Err(format!(
                    "the live state saved for orphaned usage plan \"{}\" does not match its \
                     fingerprint",
                    snapshot.body.name
                ));
            }
            live.push(snapshot.plan());
        }
        let matching = reconcile::match_plans(&desired, &live).map_err(|errors| {
            let messages: Vec<String> = errors.iter().map(ToString::to_string).collect();
            format!("its plans do not match: {}", messages.join("; "))
        })?;
        // A saved plan never retries pending grants (`plan --out` refuses that option); it
        // prunes when it was made with --prune, which only a project's target can.
        let options = PlanOptions {
            owner: owner_of(
                file.saved.context.project.as_deref(),
                file.target.as_deref(),
            ),
            prune: file.saved.prune,
        };
        let mut plan = reconcile::build_plan(
            &file.region,
            &desired,
            &live,
            &matching,
            &live_keys,
            &options,
        );
        for entry in &mut plan.entries {
            entry.matched_by_name = file
                .saved
                .plans
                .iter()
                .any(|saved| saved.matched_by_name && saved.desired.body.name == entry.name);
        }
        let unchanged_elsewhere = file
            .summary
            .unchanged
            .checked_sub(plan.unchanged)
            .ok_or("its summary counts fewer unchanged plans than it holds")?;
        plan.api_keys = saved_api_keys(&file.saved.api_keys, &file.region, &options)?;
        plan.impact = file
            .saved
            .usage
            .clone()
            .map(|usage| plan.assess(usage, &live_keys));
        plan.unchanged = file.summary.unchanged;
        plan.names = file.names;
        plan.target = file.target.map(|name| PlanTarget { name });
        plan.account = file.saved.context.account.clone();
        let context = &file.saved.context;
        plan.endpoints = ForeignEndpoints::of(
            context.endpoint.as_deref(),
            context.sts_endpoint.as_deref(),
            ForeignEndpoint::as_made,
        );
        plan.unmanaged = file
            .unmanaged
            .into_iter()
            .map(|named| PlanRef {
                name: named.name,
                id: named.id,
            })
            .collect();
        plan.deleted_keys = deleted_keys(&file.saved, &desired, options.owner.as_deref())?;
        plan.orphans = file
            .orphans
            .into_iter()
            .map(|orphan| {
                let kind = match orphan.kind.as_str() {
                    "api-key" => OrphanKind::ApiKey,
                    _ => OrphanKind::UsagePlan,
                };
                let item = PlanRef {
                    name: orphan.name,
                    id: orphan.id,
                };
                Orphan { kind, item }
            })
            .collect();
        Ok(SavedPlan {
            region: file.region,
            saved: file.saved,
            plan,
            unchanged_elsewhere,
            signature: Signature::Unsigned,
        })
    }
}

/// The orphaned keys a saved plan deletes, as `plan --prune` found them: each must carry the
/// target's owner tag and a creation marker, and be neither declared nor referenced by the
/// plans the file holds; a file holding any other key was edited.
fn deleted_keys(
    saved: &Saved,
    desired: &[DesiredPlan],
    owner: Option<&str>,
) -> Result<Vec<PlanRef>, String> {
    if saved.deleted_keys.is_empty() {
        return Ok(Vec::new());
    }
    let declared: Vec<DesiredApiKey> = saved
        .api_keys
        .iter()
        .map(|key| key.declared.clone())
        .collect();
    let orphans = match (owner, saved.prune) {
        (Some(owner), true) => {
            api_keys::orphan_keys(&saved.deleted_keys, &declared, desired, owner)
        }
        _ => Vec::new(),
    };
    if orphans.len() != saved.deleted_keys.len() {
        return Err(
            "it deletes an API key that is not an orphan of its target made with --prune".into(),
        );
    }
    Ok(orphans)
}

/// The entries of the declared keys a saved plan holds, matched to the live keys saved with
/// them, as `plan` made them.
fn saved_api_keys(
    keys: &[SavedApiKey],
    region: &str,
    options: &PlanOptions,
) -> Result<Vec<ApiKeyEntry>, String> {
    let declared: Vec<DesiredApiKey> = keys.iter().map(|key| key.declared.clone()).collect();
    let live: Vec<LiveApiKey> = keys.iter().filter_map(|key| key.live.clone()).collect();
    let matched = api_keys::match_keys(&declared, &live, region, options.owner.as_deref())
        .map_err(|errors| {
            let messages: Vec<String> = errors.iter().map(ToString::to_string).collect();
            format!("its API keys do not match: {}", messages.join("; "))
        })?;
    Ok(matched
        .entries
        .into_iter()
        .filter(ApiKeyEntry::has_changes)
        .collect())
}

/// The saved entry of a declared plan and the live plan it matched.
fn saved_entry(declared: &DesiredPlan, live: Option<&LivePlan>, inputs: &Inputs<'_>) -> SavedEntry {
    let Some(live) = live else {
        return SavedEntry {
            desired: declared.clone(),
            live: None,
            fingerprint: None,
            creation_token: Some(creation_token()),
            matched_by_name: false,
        };
    };
    let snapshot = Snapshot::of(live, inputs.live_keys, declared.keys.is_some());
    SavedEntry {
        desired: DesiredPlan {
            id: Some(live.id.clone()),
            ..declared.clone()
        },
        fingerprint: Some(snapshot.fingerprint()),
        live: Some(snapshot),
        creation_token: None,
        matched_by_name: declared.id.is_none(),
    }
}

/// The fields of the file that reading it needs; the rest of the JSON plan is checked by
/// rendering the rebuilt plan again.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct FileFields {
    region: String,
    #[serde(default)]
    target: Option<String>,
    #[serde(default)]
    names: Names,
    unmanaged: Vec<Named>,
    #[serde(default)]
    orphans: Vec<SavedOrphan>,
    summary: Unchanged,
    saved: Saved,
}

/// An unmanaged plan in the JSON plan.
#[derive(Deserialize)]
struct Named {
    name: String,
    id: String,
}

/// An orphan left alone in the JSON plan.
#[derive(Deserialize)]
struct SavedOrphan {
    kind: String,
    name: String,
    id: String,
}

/// The owner tag's value of a plan made for `target` of `project`; `None` outside a project.
fn owner_of(project: Option<&str>, target: Option<&str>) -> Option<String> {
    project
        .zip(target)
        .map(|(project, target)| owner(project, target))
}

/// The part of the JSON plan's summary that reading needs.
#[derive(Deserialize)]
struct Unchanged {
    unchanged: usize,
}
