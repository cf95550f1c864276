//! The minimal UpdateUsagePlan operations between two plan bodies, in an order AWS accepts.

use std::collections::BTreeSet;

use super::path::{leaf_path, method_throttle_path, API_STAGES};
use super::{Op, PatchOp};
use crate::model::{format_number, MethodThrottles, PlanBody, Quota, StageRef, Throttle};

/// Where an operation goes in the call; see [`body_operations`] for the order.
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

/// The leaves of a quota: limit, period, offset; or limit, offset, period when
/// `offset_first`.
fn quota_leaves(quota: &Quota, offset_first: bool) -> Vec<Leaf> {
    let limit = ("limit", quota.limit.to_string());
    let period = ("period", quota.period.as_str().to_owned());
    let offset = ("offset", quota.offset.to_string());
    if offset_first {
        vec![limit, offset, period]
    } else {
        vec![limit, period, offset]
    }
}

/// Whether a quota's offset is set before its period, so that the plan stays valid after
/// each operation: when the new offset fits the old period (MONTH/20 to WEEK/3 passes through
/// MONTH/3, not WEEK/20); otherwise the period goes first (WEEK/3 to MONTH/20 passes through
/// MONTH/3), and the old offset, smaller than the new one, fits the new period.
fn offset_first(before: Option<&Quota>, after: &Quota) -> bool {
    before.is_some_and(|before| after.offset <= before.period.max_offset())
}

fn throttle_leaves(throttle: &Throttle) -> Vec<Leaf> {
    vec![
        ("rateLimit", format_number(throttle.rate_limit)),
        ("burstLimit", throttle.burst_limit.to_string()),
    ]
}

/// The fewest UpdateUsagePlan operations that turn `before` into `after`, in an order AWS
/// accepts in one call; empty when the bodies are equal.
///
/// # The order of operations in one call
///
/// Operations are sorted by phase, in this order:
///
/// 1. `remove` of each method throttle that goes away from a stage that stays;
/// 2. `remove /apiStages` of each stage that goes away (its method throttles go with it);
/// 3. `remove` of `/productCode`, `/quota`, `/throttle` (after 1 and 2: method throttles
///    need a plan-level throttle);
/// 4. `replace` of `/name`, `/description`, `add`/`replace` of `/productCode`, `replace` of
///    each changed or appearing leaf of `/quota` (limit, period, offset; offset before period
///    when the new offset fits the old period, so that no step leaves an offset its period
///    refuses) and `/throttle` (rateLimit, burstLimit);
/// 5. `add /apiStages` of each stage that appears;
/// 6. `replace` of each changed or appearing method-throttle leaf (rateLimit, burstLimit),
///    after the `add` of its stage and after a plan-level throttle that appears.
///
/// Within a phase, operations keep the order of the list above; stages are sorted by
/// `apiId:stage` and method throttles by key. The whole order is therefore total and
/// deterministic.
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
        quotas.0.map(|quota| quota_leaves(quota, false)),
        quotas
            .1
            .map(|quota| quota_leaves(quota, offset_first(quotas.0, quota))),
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
/// the difference between the created plan (all but the product code) and `after`, that is
/// `[add /productCode]` when `after` has one, else nothing.
pub fn create_follow_up(after: &PlanBody) -> Vec<PatchOp> {
    let created = PlanBody {
        product_code: None,
        ..after.clone()
    };
    body_operations(&created, after)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Period;

    fn op(op: Op, path: &str, value: Option<&str>) -> PatchOp {
        PatchOp {
            op,
            path: path.to_owned(),
            value: value.map(str::to_owned),
        }
    }

    fn stage(api_id: &str, stage: &str) -> StageRef {
        StageRef {
            api_id: api_id.into(),
            stage: stage.into(),
        }
    }

    fn throttle(rate_limit: f64, burst_limit: i64) -> Throttle {
        Throttle {
            rate_limit,
            burst_limit,
        }
    }

    fn quota() -> Quota {
        Quota {
            limit: 1000,
            offset: 0,
            period: Period::Month,
        }
    }

    /// A plan with every field set and one stage with one method throttle.
    fn gold() -> PlanBody {
        PlanBody {
            name: "Gold".into(),
            description: "Paying customers".into(),
            product_code: Some("prod-gold".into()),
            throttle: Some(throttle(100.0, 200)),
            quota: Some(quota()),
            stages: [(
                stage("a1", "prod"),
                [("/pets/GET".to_owned(), throttle(10.0, 20))]
                    .into_iter()
                    .collect(),
            )]
            .into_iter()
            .collect(),
        }
    }

    /// The operations from `gold()` to `gold()` changed by `change`.
    fn ops_after(change: impl FnOnce(&mut PlanBody)) -> Vec<PatchOp> {
        let mut after = gold();
        change(&mut after);
        body_operations(&gold(), &after)
    }

    #[test]
    fn equal_bodies_need_no_operation() {
        assert_eq!(body_operations(&gold(), &gold()), []);
        assert_eq!(
            body_operations(&PlanBody::default(), &PlanBody::default()),
            []
        );
    }

    #[test]
    fn each_changed_scalar_is_one_replace() {
        type Change = fn(&mut PlanBody);
        let cases: [(Change, PatchOp); 9] = [
            (
                |b| b.name = "Platinum".into(),
                op(Op::Replace, "/name", Some("Platinum")),
            ),
            (
                |b| b.description = "VIP".into(),
                op(Op::Replace, "/description", Some("VIP")),
            ),
            (
                |b| b.product_code = Some("p2".into()),
                op(Op::Replace, "/productCode", Some("p2")),
            ),
            (
                |b| {
                    b.quota = Some(Quota {
                        limit: 1300,
                        ..quota()
                    })
                },
                op(Op::Replace, "/quota/limit", Some("1300")),
            ),
            (
                |b| {
                    b.quota = Some(Quota {
                        period: Period::Week,
                        ..quota()
                    })
                },
                op(Op::Replace, "/quota/period", Some("WEEK")),
            ),
            (
                |b| {
                    b.quota = Some(Quota {
                        offset: 3,
                        ..quota()
                    })
                },
                op(Op::Replace, "/quota/offset", Some("3")),
            ),
            (
                |b| b.throttle = Some(throttle(12.5, 200)),
                op(Op::Replace, "/throttle/rateLimit", Some("12.5")),
            ),
            (
                |b| b.throttle = Some(throttle(100.0, 250)),
                op(Op::Replace, "/throttle/burstLimit", Some("250")),
            ),
            (
                |b| b.throttle = Some(throttle(0.1, 200)),
                op(Op::Replace, "/throttle/rateLimit", Some("0.1")),
            ),
        ];
        for (change, expected) in cases {
            assert_eq!(ops_after(change), [expected]);
        }
    }

    #[test]
    fn description_that_goes_away_is_replaced_by_empty() {
        let ops = ops_after(|b| b.description = String::new());
        assert_eq!(ops, [op(Op::Replace, "/description", Some(""))]);
    }

    #[test]
    fn product_code_appears_with_add_and_goes_with_remove() {
        let mut without = gold();
        without.product_code = None;
        assert_eq!(
            body_operations(&without, &gold()),
            [op(Op::Add, "/productCode", Some("prod-gold"))]
        );
        assert_eq!(
            body_operations(&gold(), &without),
            [op(Op::Remove, "/productCode", None)]
        );
    }

    #[test]
    fn a_quota_never_passes_through_an_offset_its_period_refuses() {
        let with = |period, offset| PlanBody {
            quota: Some(Quota {
                limit: 1000,
                offset,
                period,
            }),
            ..PlanBody::default()
        };
        assert_eq!(
            body_operations(&with(Period::Month, 20), &with(Period::Week, 3)),
            [
                op(Op::Replace, "/quota/offset", Some("3")),
                op(Op::Replace, "/quota/period", Some("WEEK")),
            ]
        );
        assert_eq!(
            body_operations(&with(Period::Week, 3), &with(Period::Month, 20)),
            [
                op(Op::Replace, "/quota/period", Some("MONTH")),
                op(Op::Replace, "/quota/offset", Some("20")),
            ]
        );
        assert_eq!(
            body_operations(&with(Period::Month, 5), &with(Period::Day, 0)),
            [
                op(Op::Replace, "/quota/offset", Some("0")),
                op(Op::Replace, "/quota/period", Some("DAY")),
            ]
        );
    }

    #[test]
    fn quota_that_appears_sets_every_leaf_and_one_that_goes_is_removed() {
        let mut without = gold();
        without.quota = None;
        assert_eq!(
            body_operations(&without, &gold()),
            [
                op(Op::Replace, "/quota/limit", Some("1000")),
                op(Op::Replace, "/quota/period", Some("MONTH")),
                op(Op::Replace, "/quota/offset", Some("0")),
            ]
        );
        assert_eq!(
            body_operations(&gold(), &without),
            [op(Op::Remove, "/quota", None)]
        );
    }

    #[test]
    fn throttle_that_appears_sets_both_leaves_and_one_that_goes_is_removed() {
        let mut before = gold();
        before.throttle = None;
        before.stages.clear();
        let mut after = before.clone();
        after.throttle = Some(throttle(2.5, 5));
        assert_eq!(
            body_operations(&before, &after),
            [
                op(Op::Replace, "/throttle/rateLimit", Some("2.5")),
                op(Op::Replace, "/throttle/burstLimit", Some("5")),
            ]
        );
        assert_eq!(
            body_operations(&after, &before),
            [op(Op::Remove, "/throttle", None)]
        );
    }

    #[test]
    fn stage_that_appears_is_added_before_its_method_throttles() {
        let ops = ops_after(|b| {
            let throttles = [("/orders/{id}/POST".to_owned(), throttle(1.5, 3))]
                .into_iter()
                .collect();
            b.stages.insert(stage("b2", "dev"), throttles);
        });
        assert_eq!(
            ops,
            [
                op(Op::Add, "/apiStages", Some("b2:dev")),
                op(
                    Op::Replace,
                    "/apiStages/b2:dev/throttle//orders/{id}/POST/rateLimit",
                    Some("1.5")
                ),
                op(
                    Op::Replace,
                    "/apiStages/b2:dev/throttle//orders/{id}/POST/burstLimit",
                    Some("3")
                ),
            ]
        );
    }

    #[test]
    fn stage_that_goes_away_is_one_remove_whatever_its_throttles() {
        let ops = ops_after(|b| b.stages.clear());
        assert_eq!(ops, [op(Op::Remove, "/apiStages", Some("a1:prod"))]);
    }

    #[test]
    fn method_throttle_leaf_that_changes_is_one_replace() {
        let ops = ops_after(|b| {
            let throttles = b.stages.get_mut(&stage("a1", "prod")).into_iter().flatten();
            throttles.for_each(|(_, t)| t.burst_limit = 40);
        });
        assert_eq!(
            ops,
            [op(
                Op::Replace,
                "/apiStages/a1:prod/throttle//pets/GET/burstLimit",
                Some("40")
            )]
        );
    }

    #[test]
    fn method_throttle_that_appears_sets_both_leaves_on_the_kept_stage() {
        let ops = ops_after(|b| {
            let throttles = b.stages.entry(stage("a1", "prod")).or_default();
            throttles.insert("/pets/POST".into(), throttle(0.5, 1));
        });
        assert_eq!(
            ops,
            [
                op(
                    Op::Replace,
                    "/apiStages/a1:prod/throttle//pets/POST/rateLimit",
                    Some("0.5")
                ),
                op(
                    Op::Replace,
                    "/apiStages/a1:prod/throttle//pets/POST/burstLimit",
                    Some("1")
                ),
            ]
        );
    }

    #[test]
    fn method_throttle_that_goes_away_is_one_remove_and_the_stage_stays() {
        let ops = ops_after(|b| {
            b.stages.iter_mut().for_each(|(_, methods)| methods.clear());
        });
        assert_eq!(
            ops,
            [op(
                Op::Remove,
                "/apiStages/a1:prod/throttle//pets/GET",
                None
            )]
        );
    }

    #[test]
    fn operations_follow_the_documented_order() {
        // Everything changes at once: the stage with its method throttle goes, another
        // comes, the throttles move the other way, the plain fields change.
        let before = gold();
        let mut kept = MethodThrottles::new();
        kept.insert("/GET".into(), throttle(1.0, 1));
        let after = PlanBody {
            name: "Platinum".into(),
            description: String::new(),
            product_code: None,
            throttle: Some(throttle(50.0, 200)),
            quota: None,
            stages: [(stage("z9", "prod"), kept)].into_iter().collect(),
        };
        let mut with_kept_stage = before.clone();
        with_kept_stage
            .stages
            .insert(stage("z9", "prod"), MethodThrottles::new());
        assert_eq!(
            body_operations(&before, &after),
            [
                op(Op::Remove, "/apiStages", Some("a1:prod")),
                op(Op::Remove, "/productCode", None),
                op(Op::Remove, "/quota", None),
                op(Op::Replace, "/name", Some("Platinum")),
                op(Op::Replace, "/description", Some("")),
                op(Op::Replace, "/throttle/rateLimit", Some("50")),
                op(Op::Add, "/apiStages", Some("z9:prod")),
                op(
                    Op::Replace,
                    "/apiStages/z9:prod/throttle//GET/rateLimit",
                    Some("1")
                ),
                op(
                    Op::Replace,
                    "/apiStages/z9:prod/throttle//GET/burstLimit",
                    Some("1")
                ),
            ]
        );
        // Method throttles go before the plan throttle; a plan throttle comes before them.
        let mut bare = with_kept_stage.clone();
        bare.throttle = None;
        bare.stages
            .iter_mut()
            .for_each(|(_, methods)| methods.clear());
        assert_eq!(
            body_operations(&with_kept_stage, &bare),
            [
                op(Op::Remove, "/apiStages/a1:prod/throttle//pets/GET", None),
                op(Op::Remove, "/throttle", None),
            ]
        );
        assert_eq!(
            body_operations(&bare, &with_kept_stage),
            [
                op(Op::Replace, "/throttle/rateLimit", Some("100")),
                op(Op::Replace, "/throttle/burstLimit", Some("200")),
                op(
                    Op::Replace,
                    "/apiStages/a1:prod/throttle//pets/GET/rateLimit",
                    Some("10")
                ),
                op(
                    Op::Replace,
                    "/apiStages/a1:prod/throttle//pets/GET/burstLimit",
                    Some("20")
                ),
            ]
        );
    }

    #[test]
    fn stages_and_method_throttles_are_sorted_within_a_phase() {
        let mut after = PlanBody::default();
        for name in ["c", "a", "b"] {
            let throttles = [
                ("/y/GET".to_owned(), throttle(1.0, 1)),
                ("/x/GET".to_owned(), throttle(2.0, 2)),
            ];
            after
                .stages
                .insert(stage(name, "s"), throttles.into_iter().collect());
        }
        let paths: Vec<String> = body_operations(&PlanBody::default(), &after)
            .into_iter()
            .map(|op| format!("{} {}", op.path, op.value.unwrap_or_default()))
            .collect();
        let mut expected = vec!["/apiStages a:s", "/apiStages b:s", "/apiStages c:s"];
        let leaves = [
            "/x/GET/rateLimit 2",
            "/x/GET/burstLimit 2",
            "/y/GET/rateLimit 1",
            "/y/GET/burstLimit 1",
        ];
        let method_paths: Vec<String> = ["a", "b", "c"]
            .iter()
            .flat_map(|api| {
                leaves
                    .iter()
                    .map(move |leaf| format!("/apiStages/{api}:s/throttle/{leaf}"))
            })
            .collect();
        expected.extend(method_paths.iter().map(String::as_str));
        assert_eq!(paths, expected);
    }

    #[test]
    fn create_follow_up_carries_only_the_product_code() {
        assert_eq!(
            create_follow_up(&gold()),
            [op(Op::Add, "/productCode", Some("prod-gold"))]
        );
        let mut without = gold();
        without.product_code = None;
        assert_eq!(create_follow_up(&without), []);
    }
}
