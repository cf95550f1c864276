//! The minimal UpdateUsagePlan operations between two plan bodies, in an order AWS accepts.
//!
//! # The order of operations in one call
//!
//! Operations are sorted by [`Phase`], in this order:
//!
//! 1. `remove` of each method throttle that goes away from a stage that stays;
//! 2. `remove /apiStages` of each stage that goes away (its method throttles go with it);
//! 3. `remove` of `/productCode`, `/quota`, `/throttle` (after 1 and 2: method throttles
//!    need a plan-level throttle);
//! 4. `replace` of `/name`, `/description`, `add`/`replace` of `/productCode`, `replace` of
//!    each changed or appearing leaf of `/quota` (limit, period, offset) and `/throttle`
//!    (rateLimit, burstLimit);
//! 5. `add /apiStages` of each stage that appears;
//! 6. `replace` of each changed or appearing method-throttle leaf (rateLimit, burstLimit),
//!    after the `add` of its stage and after a plan-level throttle that appears.
//!
//! Within a phase, operations keep the order of the list above; stages are sorted by
//! `apiId:stage` and method throttles by key. The whole order is therefore total and
//! deterministic.

use std::collections::BTreeSet;

use super::path::{leaf_path, method_throttle_path, API_STAGES};
use super::{Op, PatchOp};
use crate::model::{format_number, MethodThrottles, PlanBody, Quota, StageRef, Throttle};

/// Where an operation goes in the call; see the module documentation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Phase {
    MethodThrottleRemoval,
    StageRemoval,
    FieldRemoval,
    FieldSet,
    StageAddition,
    MethodThrottleSet,
}

/// One leaf of a block (quota, throttle, method throttle): its name and its wire value.
type Leaf = (&'static str, String);

/// The operations collected so far, each with its phase.
#[derive(Default)]
struct Ops(Vec<(Phase, PatchOp)>);

impl Ops {
    fn push(&mut self, phase: Phase, op: Op, path: &str, value: Option<String>) {
        let path = path.to_owned();
        self.0.push((phase, PatchOp { op, path, value }));
    }

    /// A block that goes away is one `remove` of the block; a block that appears or changes
    /// is one `replace` per leaf that differs.
    fn block(
        &mut self,
        path: &str,
        (removal, set): (Phase, Phase),
        before: Option<Vec<Leaf>>,
        after: Option<Vec<Leaf>>,
    ) {
        match (before, after) {
            (Some(_), None) => self.push(removal, Op::Remove, path, None),
            (before, Some(after)) => {
                for (leaf, value) in after {
                    let unchanged = before
                        .iter()
                        .flatten()
                        .any(|old| *old == (leaf, value.clone()));
                    if !unchanged {
                        self.push(set, Op::Replace, &leaf_path(path, leaf), Some(value));
                    }
                }
            }
            (None, None) => {}
        }
    }

    /// The method throttles of one stage, `before` being empty for a stage that appears.
    fn method_throttles(
        &mut self,
        stage: &StageRef,
        before: &MethodThrottles,
        after: &MethodThrottles,
    ) {
        let keys: BTreeSet<&String> = before.keys().chain(after.keys()).collect();
        for key in keys {
            self.block(
                &method_throttle_path(stage, key),
                (Phase::MethodThrottleRemoval, Phase::MethodThrottleSet),
                before.get(key).map(throttle_leaves),
                after.get(key).map(throttle_leaves),
            );
        }
    }

    /// The operations in the order they are sent (a stable sort keeps the order within a phase).
    fn into_sorted(mut self) -> Vec<PatchOp> {
        self.0.sort_by_key(|(phase, _)| *phase);
        self.0.into_iter().map(|(_, op)| op).collect()
    }
}

fn quota_leaves(quota: &Quota) -> Vec<Leaf> {
    vec![
        ("limit", quota.limit.to_string()),
        ("period", quota.period.as_str().to_owned()),
        ("offset", quota.offset.to_string()),
    ]
}

fn throttle_leaves(throttle: &Throttle) -> Vec<Leaf> {
    vec![
        ("rateLimit", format_number(throttle.rate_limit)),
        ("burstLimit", throttle.burst_limit.to_string()),
    ]
}

/// The fewest UpdateUsagePlan operations that turn `before` into `after`, in the order
/// described in the module documentation; empty when the bodies are equal.
pub fn body_operations(before: &PlanBody, after: &PlanBody) -> Vec<PatchOp> {
    const FIELD: (Phase, Phase) = (Phase::FieldRemoval, Phase::FieldSet);
    let mut ops = Ops::default();
    if before.name != after.name {
        ops.push(
            Phase::FieldSet,
            Op::Replace,
            "/name",
            Some(after.name.clone()),
        );
    }
    if before.description != after.description {
        let description = Some(after.description.clone());
        ops.push(Phase::FieldSet, Op::Replace, "/description", description);
    }
    match (&before.product_code, &after.product_code) {
        (None, Some(code)) => {
            ops.push(Phase::FieldSet, Op::Add, "/productCode", Some(code.clone()))
        }
        (Some(_), None) => ops.push(Phase::FieldRemoval, Op::Remove, "/productCode", None),
        (Some(old), Some(new)) if old != new => {
            ops.push(
                Phase::FieldSet,
                Op::Replace,
                "/productCode",
                Some(new.clone()),
            );
        }
        _ => {}
    }
    let quotas = (before.quota.as_ref(), after.quota.as_ref());
    ops.block(
        "/quota",
        FIELD,
        quotas.0.map(quota_leaves),
        quotas.1.map(quota_leaves),
    );
    let throttles = (before.throttle.as_ref(), after.throttle.as_ref());
    ops.block(
        "/throttle",
        FIELD,
        throttles.0.map(throttle_leaves),
        throttles.1.map(throttle_leaves),
    );

    let stages: BTreeSet<&StageRef> = before.stages.keys().chain(after.stages.keys()).collect();
    for stage in stages {
        let value = Some(stage.to_string());
        match (before.stages.get(stage), after.stages.get(stage)) {
            (Some(_), None) => ops.push(Phase::StageRemoval, Op::Remove, API_STAGES, value),
            (None, Some(added)) => {
                ops.push(Phase::StageAddition, Op::Add, API_STAGES, value);
                ops.method_throttles(stage, &MethodThrottles::new(), added);
            }
            (Some(kept_before), Some(kept_after)) => {
                ops.method_throttles(stage, kept_before, kept_after);
            }
            (None, None) => {}
        }
    }
    ops.into_sorted()
}

/// The UpdateUsagePlan that follows CreateUsagePlan, which cannot carry a product code:
/// `[add /productCode]` when `after` has one, else nothing.
pub fn create_follow_up(after: &PlanBody) -> Vec<PatchOp> {
    after
        .product_code
        .iter()
        .map(|code| PatchOp {
            op: Op::Add,
            path: "/productCode".to_owned(),
            value: Some(code.clone()),
        })
        .collect()
}
