//! The minimal UpdateUsagePlan operations between two plan bodies, in an order AWS accepts:
//! the projection of the typed changes ([`super::change`]) onto the wire.

use super::change::{field_changes, Field, FieldChange, MethodRef, Value};
use super::path::{leaf_path, method_throttle_path, API_STAGES};
use super::{Op, PatchOp};
use crate::model::{format_number, PlanBody, Quota, Throttle};

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

/// One operation with the phase that places it in the call.
type Placed = (Phase, PatchOp);

fn placed(phase: Phase, op: Op, path: String, value: Option<String>) -> Placed {
    (phase, PatchOp { op, path, value })
}

/// The `replace` of each leaf of a quota that appears: limit, period, offset.
fn quota_leaves(quota: &Quota) -> Vec<Placed> {
    [
        ("limit", quota.limit.to_string()),
        ("period", quota.period.as_str().to_owned()),
        ("offset", quota.offset.to_string()),
    ]
    .into_iter()
    .map(|(leaf, value)| {
        placed(
            Phase::FieldSet,
            Op::Replace,
            leaf_path("/quota", leaf),
            Some(value),
        )
    })
    .collect()
}

/// The `replace` of each leaf of a throttle that appears at `path`: rateLimit, burstLimit.
fn throttle_leaves(phase: Phase, path: &str, throttle: &Throttle) -> Vec<Placed> {
    [
        ("rateLimit", format_number(throttle.rate_limit)),
        ("burstLimit", throttle.burst_limit.to_string()),
    ]
    .into_iter()
    .map(|(leaf, value)| placed(phase, Op::Replace, leaf_path(path, leaf), Some(value)))
    .collect()
}

fn method_path(method: &MethodRef) -> String {
    method_throttle_path(&method.stage, &method.key)
}

impl FieldChange {
    /// The UpdateUsagePlan operations that carry out this change, each with its phase.
    fn placed_operations(&self) -> Vec<Placed> {
        use Phase::*;
        let value = self.after.as_ref().map(Value::to_string);
        let set = |phase, path: String| vec![placed(phase, Op::Replace, path, value.clone())];
        let remove = |phase, path: &str| vec![placed(phase, Op::Remove, path.to_owned(), None)];
        match (&self.field, &self.after) {
            (Field::Name, _) => set(FieldSet, "/name".into()),
            // A description that goes away is replaced by the empty string.
            (Field::Description, _) => vec![placed(
                FieldSet,
                Op::Replace,
                "/description".into(),
                Some(value.clone().unwrap_or_default()),
            )],
            (Field::ProductCode, None) => remove(FieldRemoval, "/productCode"),
            (Field::ProductCode, Some(_)) if self.before.is_none() => {
                vec![placed(FieldSet, Op::Add, "/productCode".into(), value)]
            }
            (Field::ProductCode, Some(_)) => set(FieldSet, "/productCode".into()),
            (Field::Quota, Some(Value::Quota(quota))) => quota_leaves(quota),
            (Field::Quota, _) => remove(FieldRemoval, "/quota"),
            (Field::QuotaLimit, _) => set(FieldSet, leaf_path("/quota", "limit")),
            (Field::QuotaPeriod, _) => set(FieldSet, leaf_path("/quota", "period")),
            (Field::QuotaOffset, _) => set(FieldSet, leaf_path("/quota", "offset")),
            (Field::Throttle, Some(Value::Throttle(throttle))) => {
                throttle_leaves(FieldSet, "/throttle", throttle)
            }
            (Field::Throttle, _) => remove(FieldRemoval, "/throttle"),
            (Field::ThrottleRate, _) => set(FieldSet, leaf_path("/throttle", "rateLimit")),
            (Field::ThrottleBurst, _) => set(FieldSet, leaf_path("/throttle", "burstLimit")),
            (Field::Stage(stage), after) => {
                let (phase, op) = match after {
                    Some(_) => (StageAddition, Op::Add),
                    None => (StageRemoval, Op::Remove),
                };
                vec![placed(
                    phase,
                    op,
                    API_STAGES.into(),
                    Some(stage.to_string()),
                )]
            }
            (Field::MethodThrottle(method), Some(Value::Throttle(throttle))) => {
                throttle_leaves(MethodThrottleSet, &method_path(method), throttle)
            }
            (Field::MethodThrottle(method), _) => {
                remove(MethodThrottleRemoval, &method_path(method))
            }
            (Field::MethodRate(method), _) => set(
                MethodThrottleSet,
                leaf_path(&method_path(method), "rateLimit"),
            ),
            (Field::MethodBurst(method), _) => set(
                MethodThrottleSet,
                leaf_path(&method_path(method), "burstLimit"),
            ),
        }
    }

    /// The UpdateUsagePlan operations that carry out this change, as they are sent.
    pub fn operations(&self) -> Vec<PatchOp> {
        self.placed_operations()
            .into_iter()
            .map(|(_, op)| op)
            .collect()
    }
}

impl FieldChange {
    /// Where the change's operations go in the call: each change's operations share one
    /// phase.
    fn phase(&self) -> Option<Phase> {
        self.placed_operations().first().map(|(phase, _)| *phase)
    }
}

/// The typed changes that turn `before` into `after`, in the order they are applied: sorted
/// by the phase of their operations (see [`body_operations`]), field order within a phase.
pub fn body_changes(before: &PlanBody, after: &PlanBody) -> Vec<FieldChange> {
    let mut changes = field_changes(before, after);
    changes.sort_by_key(FieldChange::phase);
    changes
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
/// Within a phase, operations keep field order: stages are sorted by
/// `apiId:stage` and method throttles by key. The whole order is therefore total and
/// deterministic.
pub fn body_operations(before: &PlanBody, after: &PlanBody) -> Vec<PatchOp> {
    body_changes(before, after)
        .iter()
        .flat_map(FieldChange::operations)
        .collect()
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
    use crate::model::{MethodThrottles, Period, StageRef};

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
