//! The machine-readable plan (format 1), as README.md's "The machine-readable plan" gives it.
//!
//! Beyond that contract the document carries:
//! - `account`: the AWS account the plan was made in, as STS GetCallerIdentity told it, and,
//!   with a project file, `target`;
//! - `endpoint`, when API Gateway's endpoint is not AWS's own: `{"url", "trust"}`, `trust`
//!   being `loopback` (a server on this machine) or `allowed` (listed in
//!   `TOLLGATE_ALLOW_ENDPOINTS`);
//! - `request` on a `create`: the CreateUsagePlan body in AWS's JSON shape (`name`,
//!   `description`, `throttle`, `quota`, `apiStages` with their `throttle` maps, `tags`);
//!   fields that are absent or empty are left out, numbers are JSON numbers;
//! - `pendingGrants`: the grants found pending (an earlier apply stopped between recording
//!   a grant and calling UpdateUsage), as `{"name", "id", "keyId", "grantId"}`; they are not
//!   in `changes` because nothing is done about them unless the user asks;
//! - on a change that can refuse a live customer's requests (an `update` with a destructive
//!   operation, a `remove-key`): `"destructive": true`, `reasons` (one per destructive part,
//!   in the order they are applied) and `reason` (the same joined by `; `); other changes
//!   leave the three fields out;
//! - `summary.destructive`: the number of destructive parts, one per reason;
//! - with `plan --impact`, `impact`: what the destructive changes do to the keys using the
//!   plans, one item per key and change (`{"name", "id", "change", "kind", ...}`), and
//!   `summary.impact`, the number of changes that affect keys which used the plans.

use std::collections::BTreeMap;

use serde::Serialize;

use super::FailedTarget;
use crate::diff::{body_changes, PatchOp, Value};
use crate::endpoint::ForeignEndpoint;
use crate::inert::to_json_pretty;
use crate::model::{serialize_shortest, DesiredApiKey, Names, PlanBody, Quota, Tags, Throttle};
use crate::plan::{
    format_day, join_reasons, reasons_of, ApiKeyEntry, ApiKeyTarget, Effect, KeyAction, OrphanKind,
    Plan, PlanEntry, PlanRef, Risk, RiskClass, Site, Summary, Target,
};

/// The version of the JSON plan format.
pub const FORMAT_VERSION: u32 = 1;

/// The version of the JSON plan of a project's targets, which holds format 1 plans.
pub const TARGETS_FORMAT_VERSION: u32 = 2;

/// Why serialising the document cannot fail: serde_json only fails on a map with keys that
/// are not strings or on a type whose own `Serialize` fails, and the document has neither.
const INFALLIBLE: &str = "a document of strings, numbers and string-keyed maps serialises";

/// Renders the JSON plan, pretty-printed in the field order of README.md's "The
/// machine-readable plan", with a trailing newline.
pub fn render(plan: &Plan) -> String {
    let mut json = to_json_pretty(&Document::new(plan)).expect(INFALLIBLE);
    json.push('\n');
    json
}

/// Renders the JSON plan of a project's targets (format 2): the project, each target's plan
/// as format 1 gives it (without `formatVersion`, with `target` and `account`), the targets
/// whose plan could not be made, and the counts of every target together.
pub fn render_targets(project: &str, plans: &[Plan], failed: &[FailedTarget]) -> String {
    let document = Targets {
        format_version: TARGETS_FORMAT_VERSION,
        project,
        targets: plans
            .iter()
            .map(|plan| Document {
                format_version: None,
                ..Document::new(plan)
            })
            .collect(),
        failed,
        summary: plans
            .iter()
            .map(Plan::summary)
            .fold(Summary::default(), |total, summary| total + summary)
            .into(),
    };
    let mut json = to_json_pretty(&document).expect(INFALLIBLE);
    json.push('\n');
    json
}

/// The JSON plan of a project's targets.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Targets<'a> {
    format_version: u32,
    project: &'a str,
    targets: Vec<Document<'a>>,
    failed: &'a [FailedTarget],
    summary: SummaryJson,
}

/// Renders the JSON plan with one more top-level field, `saved`, after the others: the
/// document a saved plan file holds. Fails only when `saved`'s own `Serialize` fails.
pub fn render_saved<S: Serialize>(plan: &Plan, saved: &S) -> serde_json::Result<String> {
    let document = WithSaved {
        document: Document::new(plan),
        saved,
    };
    let mut json = serde_json::to_string_pretty(&document)?;
    json.push('\n');
    Ok(json)
}

/// The JSON document followed by a saved plan's `saved` field.
#[derive(Serialize)]
struct WithSaved<'a, S> {
    #[serde(flatten)]
    document: Document<'a>,
    saved: &'a S,
}

/// The whole JSON document.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Document<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    format_version: Option<u32>,
    region: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    target: Option<&'a str>,
    account: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    endpoint: Option<&'a ForeignEndpoint>,
    #[serde(skip_serializing_if = "Option::is_none")]
    sts_endpoint: Option<&'a ForeignEndpoint>,
    changes: Vec<Change<'a>>,
    unmanaged: Vec<Named<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    orphans: Vec<OrphanJson<'a>>,
    pending_grants: Vec<Pending<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    settled_grants: Vec<SettledJson<'a>>,
    #[serde(skip_serializing_if = "Names::is_empty")]
    names: &'a Names,
    #[serde(skip_serializing_if = "Option::is_none")]
    impact: Option<Vec<ImpactJson<'a>>>,
    summary: SummaryJson,
}

impl<'a> Document<'a> {
    fn new(plan: &'a Plan) -> Self {
        Document {
            format_version: Some(FORMAT_VERSION),
            region: &plan.region,
            target: plan.target.as_ref().map(|target| target.name.as_str()),
            account: &plan.account,
            endpoint: plan.endpoints.api_gateway.as_ref(),
            sts_endpoint: plan.endpoints.sts.as_ref(),
            changes: plan
                .api_keys
                .iter()
                .flat_map(api_key_changes)
                .chain(plan.entries.iter().flat_map(|entry| changes(plan, entry)))
                .chain(plan.deleted_keys.iter().map(deleted_key_change))
                .collect(),
            orphans: plan
                .orphans
                .iter()
                .map(|orphan| OrphanJson {
                    kind: match orphan.kind {
                        OrphanKind::UsagePlan => "usage-plan",
                        OrphanKind::ApiKey => "api-key",
                    },
                    name: &orphan.item.name,
                    id: &orphan.item.id,
                })
                .collect(),
            unmanaged: plan
                .unmanaged
                .iter()
                .map(|unmanaged| Named {
                    name: &unmanaged.name,
                    id: Some(&unmanaged.id),
                })
                .collect(),
            pending_grants: plan
                .entries
                .iter()
                .flat_map(|entry| {
                    entry.pending_grants.iter().map(move |pending| Pending {
                        plan: Named::of(entry),
                        key_id: &pending.key_id,
                        grant_id: &pending.grant_id,
                        reason: pending.why.to_string(),
                    })
                })
                .collect(),
            settled_grants: plan
                .entries
                .iter()
                .flat_map(|entry| {
                    entry.settled.iter().map(move |settled| SettledJson {
                        plan: Named::of(entry),
                        key_id: &settled.key_id,
                        grant_id: &settled.grant_id,
                        outcome: match settled.carried_out {
                            true => "carried-out",
                            false => "not-carried-out",
                        },
                    })
                })
                .collect(),
            names: &plan.names,
            impact: plan.impact.as_ref().map(|_| impact(plan)),
            summary: plan.summary().into(),
        }
    }
}

/// One element of `impact`: what one destructive change does to one key (or, for a
/// throttle, to every request above it).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ImpactJson<'a> {
    #[serde(flatten)]
    plan: Named<'a>,
    /// The change, as `replace /quota/limit`, `remove /apiStages a1b2c3:prod`,
    /// `remove-key 9QZ1OLDKEY` or `delete`.
    change: String,
    #[serde(flatten)]
    effect: EffectJson<'a>,
}

/// What the change does.
#[derive(Serialize)]
#[serde(
    tag = "kind",
    rename_all = "kebab-case",
    rename_all_fields = "camelCase"
)]
enum EffectJson<'a> {
    /// The key's use in the new quota's current period is at, over or near the new limit.
    Quota {
        key_id: &'a str,
        #[serde(skip_serializing_if = "Option::is_none")]
        key_name: Option<&'a str>,
        used: i64,
        limit: i64,
        over: bool,
        since: String,
        resets: String,
    },
    /// The key sent requests lately and loses (or, for a stage removal, may lose) stages.
    Access {
        key_id: &'a str,
        #[serde(skip_serializing_if = "Option::is_none")]
        key_name: Option<&'a str>,
        requests: i64,
        stages: Vec<String>,
        certain: bool,
    },
    /// A throttle added or lowered; not measured.
    Throttle {},
}

/// The `impact` list of an assessed plan, in the order of the plan's entries.
fn impact(plan: &Plan) -> Vec<ImpactJson<'_>> {
    let names = &plan.names;
    plan.entries
        .iter()
        .flat_map(|entry| {
            plan.impacts_of(entry).iter().map(move |impact| ImpactJson {
                plan: Named::of(entry),
                change: impact.site.to_string(),
                effect: match &impact.effect {
                    Effect::Quota {
                        key_id,
                        used,
                        limit,
                        since,
                        resets,
                    } => EffectJson::Quota {
                        key_id,
                        key_name: names.key_name(key_id),
                        used: *used,
                        limit: *limit,
                        over: impact.effect.over_limit(),
                        since: format_day(*since),
                        resets: format_day(*resets),
                    },
                    Effect::Access {
                        key_id,
                        requests,
                        stages,
                        certain,
                    } => EffectJson::Access {
                        key_id,
                        key_name: names.key_name(key_id),
                        requests: *requests,
                        stages: stages.iter().map(ToString::to_string).collect(),
                        certain: *certain,
                    },
                    Effect::Throttle => EffectJson::Throttle {},
                },
            })
        })
        .collect()
}

/// A plan's declared name and its id (`null` for a plan being created).
#[derive(Serialize)]
struct Named<'a> {
    name: &'a str,
    id: Option<&'a str>,
}

impl<'a> Named<'a> {
    fn of(entry: &'a PlanEntry) -> Self {
        Named {
            name: &entry.name,
            id: entry.id(),
        }
    }
}

/// An orphan left alone: a plan or key this target owns and no longer declares.
#[derive(Serialize)]
struct OrphanJson<'a> {
    kind: &'static str,
    name: &'a str,
    id: &'a str,
}

/// The `delete-api-key` change of an orphaned key `--prune` deletes.
fn deleted_key_change(key: &PlanRef) -> Change<'_> {
    let reason = format!(
        "API key {} deleted (orphaned): every request made with it is refused",
        key.name
    );
    Change {
        action: "delete-api-key",
        plan: Named {
            name: &key.name,
            id: Some(&key.id),
        },
        detail: Detail::Delete {},
        destructive: DestructiveJson::of(&[&reason]),
        risk: vec![RiskJson {
            class: RiskClass::Destructive,
            reason,
        }],
        matched_by_name: false,
    }
}

/// One element of `changes`.
#[derive(Serialize)]
struct Change<'a> {
    action: &'static str,
    #[serde(flatten)]
    plan: Named<'a>,
    #[serde(flatten)]
    detail: Detail<'a>,
    #[serde(flatten)]
    destructive: Option<DestructiveJson>,
    /// Every risk of the change, destructive and unbounded; left out when there is none.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    risk: Vec<RiskJson>,
    /// The declared plan has no `id:` and was matched to the live plan by name; left out
    /// otherwise.
    #[serde(rename = "matchedByName", skip_serializing_if = "std::ops::Not::not")]
    matched_by_name: bool,
}

/// One risk of a change: its class and why.
#[derive(Serialize)]
struct RiskJson {
    class: RiskClass,
    reason: String,
}

impl Change<'_> {
    /// The change with `risks`: all of them in `risk`, the destructive ones also in the
    /// `destructive`, `reason` and `reasons` fields.
    fn with_risks(self, risks: &[&Risk]) -> Self {
        Change {
            destructive: DestructiveJson::of(&reasons_of(risks, RiskClass::Destructive)),
            risk: risks
                .iter()
                .map(|risk| RiskJson {
                    class: risk.class,
                    reason: risk.reason.clone(),
                })
                .collect(),
            ..self
        }
    }
}

/// One changed field of an update: the field, its value before and after (`null` where it
/// is absent), and the patch operations that carry it out.
#[derive(Serialize)]
struct FieldJson {
    field: String,
    before: Option<Value>,
    after: Option<Value>,
    operations: Vec<Operation>,
}

/// Why a change can refuse a live customer's requests: on destructive changes only.
#[derive(Serialize)]
struct DestructiveJson {
    /// Always `true`; the field is left out of other changes.
    destructive: bool,
    /// The reasons in one line, `; `-separated.
    reason: String,
    /// One reason per destructive part of the change.
    reasons: Vec<String>,
}

impl DestructiveJson {
    /// The fields for a change with these `reasons`; `None` when it has none.
    fn of(reasons: &[&str]) -> Option<Self> {
        Some(DestructiveJson {
            destructive: true,
            reason: join_reasons(reasons)?,
            reasons: reasons.iter().map(|reason| reason.to_string()).collect(),
        })
    }
}

/// What an element of `changes` carries besides its action, name and id.
#[derive(Serialize)]
#[serde(untagged, rename_all_fields = "camelCase")]
enum Detail<'a> {
    Create {
        operations: Vec<Operation>,
        request: CreateRequest<'a>,
    },
    Update {
        operations: Vec<Operation>,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        fields: Vec<FieldJson>,
    },
    Key {
        key_id: &'a str,
        #[serde(skip_serializing_if = "Option::is_none")]
        key_name: Option<&'a str>,
        #[serde(skip_serializing_if = "Option::is_none")]
        moved_from: Option<&'a str>,
        #[serde(skip_serializing_if = "Option::is_none")]
        moved_to: Option<&'a str>,
    },
    Tag {
        set: &'a Tags,
        remove: &'a [String],
    },
    CreateApiKey {
        request: ApiKeyRequest<'a>,
    },
    Delete {},
    Grant {
        key_id: &'a str,
        #[serde(skip_serializing_if = "Option::is_none")]
        key_name: Option<&'a str>,
        grant_id: &'a str,
        operations: Vec<Operation>,
    },
}

/// The changes of one entry, in the order they are applied: create or update, keys, tags,
/// grants.
fn changes<'a>(plan: &'a Plan, entry: &'a PlanEntry) -> Vec<Change<'a>> {
    let names = &plan.names;
    let key_name = |id| names.key_name(id);
    let change = |action, detail| Change {
        action,
        plan: Named::of(entry),
        detail,
        destructive: None,
        risk: Vec::new(),
        matched_by_name: entry.matched_by_name,
    };
    let risks = plan.risks(entry);
    let mut changes = Vec::new();
    if let Target::Create { tags, follow_up } = &entry.target {
        changes.push(change(
            "create",
            Detail::Create {
                operations: operations(follow_up),
                request: CreateRequest::new(&entry.after, tags),
            },
        ));
    }
    if let (Some(ops), Some(before)) = (entry.update(), entry.before()) {
        let fields = body_changes(before, &entry.after)
            .into_iter()
            .map(|field| FieldJson {
                field: field.field.to_string(),
                operations: operations(&field.operations()),
                before: field.before,
                after: field.after,
            })
            .collect();
        let update = change(
            "update",
            Detail::Update {
                operations: operations(ops),
                fields,
            },
        );
        changes.push(update.with_risks(&risks.at(|site| matches!(site, Site::Field(_)))));
    }
    changes.extend(entry.keys.iter().map(|key| {
        let action = match key.action {
            KeyAction::Add => "add-key",
            KeyAction::Remove => "remove-key",
        };
        let moved = plan.move_of(entry, key);
        change(
            action,
            Detail::Key {
                key_id: &key.key_id,
                key_name: key_name(&key.key_id),
                moved_from: moved
                    .filter(|_| key.action == KeyAction::Add)
                    .map(|moved| moved.from.name.as_str()),
                moved_to: moved
                    .filter(|_| key.action == KeyAction::Remove)
                    .map(|moved| moved.to.name.as_str()),
            },
        )
        .with_risks(&risks.for_key(&key.key_id))
    }));
    if let Some(tags) = &entry.tags {
        changes.push(change(
            "tag",
            Detail::Tag {
                set: &tags.set,
                remove: &tags.remove,
            },
        ));
    }
    changes.extend(entry.grants.iter().map(|grant| {
        change(
            "grant",
            Detail::Grant {
                key_id: &grant.key_id,
                key_name: key_name(&grant.key_id),
                grant_id: &grant.grant_id,
                operations: operations(&grant.operations()),
            },
        )
    }));
    if let Some(tags) = &entry.bookkeeping {
        changes.push(change(
            "bookkeeping",
            Detail::Tag {
                set: &tags.set,
                remove: &tags.remove,
            },
        ));
    }
    if entry.delete {
        changes.push(
            change("delete", Detail::Delete {})
                .with_risks(&risks.at(|site| *site == Site::Deletion)),
        );
    }
    changes
}

/// The changes of a declared API key: `create-api-key` with the CreateApiKey request (its
/// value only named by where it comes from), or `update-api-key` with the UpdateApiKey
/// operations and `tag-api-key` with its tag changes.
fn api_key_changes(entry: &ApiKeyEntry) -> Vec<Change<'_>> {
    let change = |action, detail| Change {
        action,
        plan: Named {
            name: &entry.key.name,
            id: entry.id(),
        },
        detail,
        destructive: None,
        risk: Vec::new(),
        matched_by_name: false,
    };
    let mut changes = Vec::new();
    match &entry.target {
        ApiKeyTarget::Create { .. } => changes.push(change(
            "create-api-key",
            Detail::CreateApiKey {
                request: ApiKeyRequest::new(&entry.key),
            },
        )),
        ApiKeyTarget::Live {
            operations: ops, ..
        } if !ops.is_empty() => {
            let reasons: Vec<String> = entry.destructive().into_iter().collect();
            let reasons: Vec<&str> = reasons.iter().map(String::as_str).collect();
            changes.push(Change {
                destructive: DestructiveJson::of(&reasons),
                risk: reasons
                    .iter()
                    .map(|reason| RiskJson {
                        class: RiskClass::Destructive,
                        reason: reason.to_string(),
                    })
                    .collect(),
                ..change(
                    "update-api-key",
                    Detail::Update {
                        operations: operations(ops),
                        fields: Vec::new(),
                    },
                )
            });
        }
        ApiKeyTarget::Live { .. } => {}
    }
    if let Some(tags) = &entry.tags {
        changes.push(change(
            "tag-api-key",
            Detail::Tag {
                set: &tags.set,
                remove: &tags.remove,
            },
        ));
    }
    changes
}

/// The CreateApiKey request of a declared key, in AWS's JSON shape, the value replaced by
/// where it comes from.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ApiKeyRequest<'a> {
    name: &'a str,
    #[serde(skip_serializing_if = "str::is_empty")]
    description: &'a str,
    enabled: bool,
    #[serde(skip_serializing_if = "str::is_empty")]
    customer_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    tags: Option<&'a Tags>,
    #[serde(skip_serializing_if = "Option::is_none")]
    value_from: Option<ValueFrom<'a>>,
}

/// Where a key's value comes from.
#[derive(Serialize)]
struct ValueFrom<'a> {
    env: &'a str,
}

impl<'a> ApiKeyRequest<'a> {
    fn new(key: &'a DesiredApiKey) -> Self {
        ApiKeyRequest {
            name: &key.name,
            description: &key.description,
            enabled: key.enabled,
            customer_id: &key.customer_id,
            tags: key.tags.as_ref().filter(|tags| !tags.is_empty()),
            value_from: key.value_from.as_deref().map(|env| ValueFrom { env }),
        }
    }
}

/// A patch operation as AWS takes it; `value` is left out when there is none.
#[derive(Serialize)]
struct Operation {
    op: &'static str,
    path: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    value: Option<String>,
}

impl From<&PatchOp> for Operation {
    fn from(op: &PatchOp) -> Self {
        Operation {
            op: op.op.as_str(),
            path: op.path.clone(),
            value: op.value.clone(),
        }
    }
}

/// The JSON form of a list of patch operations.
fn operations(ops: &[PatchOp]) -> Vec<Operation> {
    ops.iter().map(Operation::from).collect()
}

/// The CreateUsagePlan body in AWS's JSON shape; the product code is not part of it.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CreateRequest<'a> {
    name: &'a str,
    #[serde(skip_serializing_if = "str::is_empty")]
    description: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    throttle: Option<ThrottleJson>,
    #[serde(skip_serializing_if = "Option::is_none")]
    quota: Option<QuotaJson>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    api_stages: Vec<ApiStage<'a>>,
    #[serde(skip_serializing_if = "Tags::is_empty")]
    tags: &'a Tags,
}

impl<'a> CreateRequest<'a> {
    fn new(body: &'a PlanBody, tags: &'a Tags) -> Self {
        CreateRequest {
            name: &body.name,
            description: &body.description,
            throttle: body.throttle.map(ThrottleJson::from),
            quota: body.quota.map(QuotaJson::from),
            api_stages: body
                .stages
                .iter()
                .map(|(stage, throttles)| ApiStage {
                    api_id: &stage.api_id,
                    stage: &stage.stage,
                    throttle: throttles
                        .iter()
                        .map(|(method, throttle)| (method.as_str(), ThrottleJson::from(*throttle)))
                        .collect(),
                })
                .collect(),
            tags,
        }
    }
}

/// An API stage of a CreateUsagePlan body, with its method throttles.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ApiStage<'a> {
    api_id: &'a str,
    stage: &'a str,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    throttle: BTreeMap<&'a str, ThrottleJson>,
}

/// A throttle in AWS's JSON shape.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ThrottleJson {
    #[serde(serialize_with = "serialize_shortest")]
    rate_limit: f64,
    burst_limit: i64,
}

impl From<Throttle> for ThrottleJson {
    fn from(throttle: Throttle) -> Self {
        ThrottleJson {
            rate_limit: throttle.rate_limit,
            burst_limit: throttle.burst_limit,
        }
    }
}

/// A quota in AWS's JSON shape.
#[derive(Serialize)]
struct QuotaJson {
    limit: i64,
    offset: i64,
    period: &'static str,
}

impl From<Quota> for QuotaJson {
    fn from(quota: Quota) -> Self {
        QuotaJson {
            limit: quota.limit,
            offset: quota.offset,
            period: quota.period.as_str(),
        }
    }
}

/// A pending grant with the plan it belongs to.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Pending<'a> {
    #[serde(flatten)]
    plan: Named<'a>,
    key_id: &'a str,
    grant_id: &'a str,
    /// Why its key's usage did not settle it.
    reason: String,
}

/// A pending grant its key's usage settled, with the plan it belongs to.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SettledJson<'a> {
    #[serde(flatten)]
    plan: Named<'a>,
    key_id: &'a str,
    grant_id: &'a str,
    /// `carried-out` (its record is rewritten `applied`) or `not-carried-out` (sent again,
    /// among `changes`).
    outcome: &'static str,
}

fn is_zero(count: &usize) -> bool {
    *count == 0
}

/// The counts of `Plan::summary()`.
#[derive(Serialize)]
struct SummaryJson {
    create: usize,
    update: usize,
    /// Declared API keys to create or update; left out when there are none.
    #[serde(rename = "apiKeys", skip_serializing_if = "is_zero")]
    api_keys: usize,
    keys: usize,
    /// Key moves (each also two of `keys`); left out when there are none.
    #[serde(skip_serializing_if = "is_zero")]
    moves: usize,
    grants: usize,
    tags: usize,
    destructive: usize,
    /// Changes that remove a limit, so use becomes unlimited.
    unbounded: usize,
    /// Every change, in the unit both closing lines count (a key move is one).
    changes: usize,
    /// Orphans `--prune` deletes; left out when there are none.
    #[serde(skip_serializing_if = "is_zero")]
    delete: usize,
    unchanged: usize,
    unmanaged: usize,
    /// Orphans left alone; left out when there are none.
    #[serde(skip_serializing_if = "is_zero")]
    orphaned: usize,
    /// Managed plans whose only work is tollgate's own tags; left out when there are none.
    #[serde(skip_serializing_if = "is_zero")]
    bookkeeping: usize,
    /// Changes that affect keys which used the plans (`plan --impact`); left out when there
    /// are none.
    #[serde(skip_serializing_if = "is_zero")]
    impact: usize,
}

impl From<Summary> for SummaryJson {
    fn from(summary: Summary) -> Self {
        SummaryJson {
            create: summary.create,
            update: summary.update,
            api_keys: summary.api_keys,
            keys: summary.keys,
            moves: summary.moves,
            grants: summary.grants,
            tags: summary.tags,
            destructive: summary.destructive,
            unbounded: summary.unbounded,
            changes: summary.changes(),
            delete: summary.delete,
            unchanged: summary.unchanged,
            unmanaged: summary.unmanaged,
            orphaned: summary.orphaned,
            bookkeeping: summary.bookkeeping,
            impact: summary.impact,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The JSON plan as a value.
    fn to_value(plan: &Plan) -> serde_json::Value {
        serde_json::to_value(Document::new(plan)).expect(INFALLIBLE)
    }
    use crate::render::fixtures;
    use serde_json::json;

    #[test]
    fn every_kind_of_change_is_pinned() {
        insta::assert_snapshot!(render(&fixtures::every_change()));
    }

    #[test]
    fn names_beside_ids_are_pinned() {
        insta::assert_json_snapshot!(to_value(&fixtures::every_change_with_names()));
    }

    #[test]
    fn declared_api_keys_are_pinned() {
        insta::assert_json_snapshot!(to_value(&fixtures::api_keys()));
    }

    #[test]
    fn no_change_is_pinned() {
        insta::assert_snapshot!(render(&fixtures::no_change()));
    }

    #[test]
    fn the_target_account_and_an_endpoint_not_awss_own_are_pinned() {
        let value = to_value(&fixtures::against_an_allowed_endpoint());
        assert_eq!(value["target"], json!("ci"));
        assert_eq!(value["account"], json!("123456789012"));
        assert_eq!(
            value["endpoint"],
            json!({ "url": "http://localstack:4566", "trust": "allowed" })
        );
        assert_eq!(
            value["stsEndpoint"],
            json!({ "url": "http://127.0.0.1:4599", "trust": "loopback" })
        );
        assert_eq!(to_value(&fixtures::no_change()).get("endpoint"), None);
        assert_eq!(to_value(&fixtures::no_change()).get("stsEndpoint"), None);
    }

    #[test]
    fn render_is_the_value_pretty_printed_in_design_order() {
        let plan = fixtures::every_change();
        let rendered = render(&plan);
        assert!(rendered.ends_with("}\n"));
        let parsed: serde_json::Value = serde_json::from_str(&rendered).unwrap();
        assert_eq!(parsed, to_value(&plan));
        let order: Vec<usize> = ["formatVersion", "region", "changes", "unmanaged", "summary"]
            .iter()
            .map(|field| rendered.find(&format!("\"{field}\"")).unwrap())
            .collect();
        assert!(order.windows(2).all(|pair| pair[0] < pair[1]), "{order:?}");
    }

    /// The field and action names of README.md's "The machine-readable plan", exactly.
    #[test]
    fn fields_and_actions_match_the_design() {
        let value = to_value(&fixtures::every_change());
        let top: Vec<&str> = value
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(
            top,
            [
                "account",
                "changes",
                "formatVersion",
                "pendingGrants",
                "region",
                "summary",
                "unmanaged"
            ]
        );
        assert_eq!(value["formatVersion"], json!(1));
        assert_eq!(value["region"], json!("us-east-1"));
        assert_eq!(
            value["unmanaged"],
            json!([{ "name": "Legacy", "id": "k2k2k2" }])
        );
        assert_eq!(
            value["summary"],
            json!({ "create": 1, "update": 1, "keys": 4, "grants": 2, "tags": 1,
                    "destructive": 3, "unbounded": 1, "changes": 9, "unchanged": 620,
                    "unmanaged": 1 })
        );
        assert_eq!(
            value["pendingGrants"],
            json!([
                { "name": "Bronze", "id": "brz001", "keyId": "7HB2KEY", "grantId": "SUP-0099",
                  "reason": "its record holds no usage from before the call (an earlier tollgate wrote it)" },
                { "name": "Gold", "id": "ywbqww", "keyId": "3JX4ISs7Ik", "grantId": "SUP-1000",
                  "reason": "its record holds no usage from before the call (an earlier tollgate wrote it)" },
            ])
        );

        let changes = value["changes"].as_array().unwrap();
        let actions: Vec<(&str, &str)> = changes
            .iter()
            .map(|change| {
                (
                    change["name"].as_str().unwrap(),
                    change["action"].as_str().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            actions,
            [
                ("Gold", "update"),
                ("Gold", "add-key"),
                ("Gold", "remove-key"),
                ("Gold", "tag"),
                ("Gold", "grant"),
                ("Silver", "remove-key"),
                ("Trial", "create"),
                ("Trial", "add-key"),
                ("Trial", "grant"),
            ]
        );
        let field_names = |change: &serde_json::Value| -> Vec<String> {
            change.as_object().unwrap().keys().cloned().collect()
        };
        let fields = |names: &[&str]| -> Vec<String> {
            let mut names: Vec<String> = names.iter().map(|name| name.to_string()).collect();
            names.sort();
            names
        };
        let common = ["action", "name", "id"];
        let destructive = ["destructive", "reason", "reasons", "risk"];
        assert_eq!(
            field_names(&changes[0]),
            fields(&[&common[..], &["operations", "fields"], &destructive].concat())
        );
        assert_eq!(
            field_names(&changes[1]),
            fields(&[&common[..], &["keyId"]].concat())
        );
        assert_eq!(
            field_names(&changes[2]),
            fields(&[&common[..], &["keyId"], &destructive].concat())
        );
        assert_eq!(
            field_names(&changes[3]),
            fields(&[&common[..], &["set", "remove"]].concat())
        );
        assert_eq!(
            field_names(&changes[4]),
            fields(&[&common[..], &["keyId", "grantId", "operations"]].concat())
        );
        assert_eq!(
            field_names(&changes[6]),
            fields(&[&common[..], &["operations", "request"]].concat())
        );

        assert_eq!(
            changes[0]["operations"][0],
            json!({ "op": "replace", "path": "/description", "value": "Paying customers: gold tier" })
        );
        assert_eq!(
            changes[0]["operations"][1],
            json!({ "op": "remove", "path": "/productCode" })
        );
        assert_eq!(changes[3]["set"], json!({ "team": "payments" }));
        assert_eq!(changes[3]["remove"], json!(["owner"]));
        assert_eq!(
            changes[4]["operations"],
            json!([{ "op": "replace", "path": "/remaining", "value": "5000" }])
        );
        for change in &changes[6..] {
            assert_eq!(change["id"], json!(null));
        }
    }

    #[test]
    fn destructive_changes_carry_their_reasons_and_others_leave_the_fields_out() {
        let value = to_value(&fixtures::every_change());
        let changes = value["changes"].as_array().unwrap();
        let destructive: Vec<(&str, &str, &serde_json::Value)> = changes
            .iter()
            .filter(|change| change.get("destructive").is_some())
            .map(|change| {
                (
                    change["name"].as_str().unwrap(),
                    change["action"].as_str().unwrap(),
                    &change["reasons"],
                )
            })
            .collect();
        assert_eq!(
            destructive,
            [
                (
                    "Gold",
                    "update",
                    &json!(["plan throttle rate lowered from 100 to 12.5 requests per second"])
                ),
                (
                    "Gold",
                    "remove-key",
                    &json!(["key 9QZ1OLDKEY removed: it loses access to the plan's stages"])
                ),
                (
                    "Silver",
                    "remove-key",
                    &json!(["key 5RT6GONE removed: it loses access to the plan's stages"])
                ),
            ]
        );
        for change in changes {
            if change.get("destructive").is_some() {
                assert_eq!(change["destructive"], json!(true));
                assert_eq!(change["reason"], change["reasons"][0]);
            }
        }
        assert_eq!(value["summary"]["destructive"], json!(3));
    }

    #[test]
    fn an_update_with_several_destructive_parts_lists_and_joins_every_reason() {
        let mut plan = fixtures::every_change();
        let gold = &mut plan.entries[1];
        gold.after.stages.clear();
        let Target::Live {
            before, operations, ..
        } = &mut gold.target
        else {
            unreachable!("Gold is a live plan");
        };
        *operations = crate::diff::body_operations(before, &gold.after);
        let value = to_value(&plan);
        let update = &value["changes"][0];
        assert_eq!(update["action"], json!("update"));
        assert_eq!(update["destructive"], json!(true));
        assert_eq!(
            update["reasons"],
            json!([
                "stage a1b2c3:prod removed: the plan's keys lose access to it",
                "plan throttle rate lowered from 100 to 12.5 requests per second"
            ])
        );
        assert_eq!(
            update["reason"],
            json!(
                "stage a1b2c3:prod removed: the plan's keys lose access to it; plan throttle \
                 rate lowered from 100 to 12.5 requests per second"
            )
        );
        assert_eq!(value["summary"]["destructive"], json!(4));
    }

    #[test]
    fn a_create_carries_its_follow_up_and_the_aws_request() {
        let value = to_value(&fixtures::every_change());
        let create = &value["changes"][6];
        assert_eq!(
            create["operations"],
            json!([{ "op": "add", "path": "/productCode", "value": "prod-trial" }])
        );
        assert_eq!(
            create["request"],
            json!({
                "name": "Trial",
                "description": "Free trial",
                "throttle": { "rateLimit": 5, "burstLimit": 10 },
                "quota": { "limit": 1000, "offset": 0, "period": "DAY" },
                "apiStages": [{
                    "apiId": "a1b2c3", "stage": "prod",
                    "throttle": { "/pets/{id}/GET": { "rateLimit": 2.5, "burstLimit": 5 } }
                }],
                "tags": { "env": "test", "team": "growth" }
            })
        );
        assert!(create["request"]["throttle"]["rateLimit"].is_i64());
    }

    #[test]
    fn a_create_request_leaves_out_what_is_absent() {
        let mut plan = fixtures::every_change();
        let trial = plan.entries.last_mut().unwrap();
        trial.after = PlanBody {
            name: "Trial".to_string(),
            ..PlanBody::default()
        };
        trial.target = Target::Create {
            tags: Tags::new(),
            follow_up: vec![],
        };
        let value = to_value(&plan);
        assert_eq!(value["changes"][6]["request"], json!({ "name": "Trial" }));
        assert_eq!(value["changes"][6]["operations"], json!([]));
    }
}
