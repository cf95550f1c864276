//! Property tests of the minimal patch operations: a reference applier, written from
//! docs/aws.md's patch grammar of UpdateUsagePlan and independent of the diff code, replays the
//! operations on the current plan and must reach the desired one.

use std::collections::{BTreeMap, BTreeSet};

use proptest::prelude::*;
use proptest::sample::select;
use tollgate::diff::{body_operations, create_follow_up, Op, PatchOp};
use tollgate::model::{MethodThrottles, Period, PlanBody, Quota, StageRef, Stages, Throttle};

// ---------------------------------------------------------------------------------------
// The reference applier
// ---------------------------------------------------------------------------------------

/// A throttle whose leaves are set one operation at a time.
#[derive(Debug, Clone, Default)]
struct PartialThrottle {
    rate_limit: Option<f64>,
    burst_limit: Option<i64>,
}

/// A quota whose leaves are set one operation at a time.
#[derive(Debug, Clone, Default)]
struct PartialQuota {
    limit: Option<i64>,
    offset: Option<i64>,
    period: Option<Period>,
}

/// A usage plan as the applier holds it while operations arrive.
#[derive(Debug, Clone)]
struct State {
    name: String,
    description: String,
    product_code: Option<String>,
    throttle: Option<PartialThrottle>,
    quota: Option<PartialQuota>,
    stages: BTreeMap<StageRef, BTreeMap<String, PartialThrottle>>,
}

fn whole_throttle(throttle: &Throttle) -> PartialThrottle {
    PartialThrottle {
        rate_limit: Some(throttle.rate_limit),
        burst_limit: Some(throttle.burst_limit),
    }
}

fn finished_throttle(what: &str, throttle: PartialThrottle) -> Result<Throttle, String> {
    match (throttle.rate_limit, throttle.burst_limit) {
        (Some(rate_limit), Some(burst_limit)) => Ok(Throttle {
            rate_limit,
            burst_limit,
        }),
        _ => Err(format!("{what} left incomplete: {throttle:?}")),
    }
}

impl State {
    fn of(body: &PlanBody) -> State {
        State {
            name: body.name.clone(),
            description: body.description.clone(),
            product_code: body.product_code.clone(),
            throttle: body.throttle.as_ref().map(whole_throttle),
            quota: body.quota.map(|quota| PartialQuota {
                limit: Some(quota.limit),
                offset: Some(quota.offset),
                period: Some(quota.period),
            }),
            stages: body
                .stages
                .iter()
                .map(|(stage, throttles)| {
                    let throttles = throttles
                        .iter()
                        .map(|(key, throttle)| (key.clone(), whole_throttle(throttle)))
                        .collect();
                    (stage.clone(), throttles)
                })
                .collect(),
        }
    }

    fn finish(self) -> Result<PlanBody, String> {
        let quota = match self.quota {
            None => None,
            Some(PartialQuota {
                limit: Some(limit),
                offset: Some(offset),
                period: Some(period),
            }) => Some(Quota {
                limit,
                offset,
                period,
            }),
            Some(partial) => return Err(format!("quota left incomplete: {partial:?}")),
        };
        let throttle = self
            .throttle
            .map(|throttle| finished_throttle("throttle", throttle))
            .transpose()?;
        let mut stages = BTreeMap::new();
        for (stage, throttles) in self.stages {
            let mut finished = MethodThrottles::new();
            for (key, throttle) in throttles {
                let throttle = finished_throttle(&format!("{stage} {key}"), throttle)?;
                finished.insert(key, throttle);
            }
            stages.insert(stage, finished);
        }
        Ok(PlanBody {
            name: self.name,
            description: self.description,
            product_code: self.product_code,
            throttle,
            quota,
            stages: stages.into_iter().collect(),
        })
    }

    fn apply(&mut self, op: &PatchOp) -> Result<(), String> {
        let value = match (op.op, &op.value) {
            (Op::Remove, None) => None,
            (Op::Remove, Some(value)) if op.path == "/apiStages" => Some(value.as_str()),
            (Op::Add | Op::Replace, Some(value)) => Some(value.as_str()),
            _ => return Err(format!("wrong value for {} {}", op.op, op.path)),
        };
        let segments: Vec<&str> = op.path.split('/').collect();
        match (op.op, segments.as_slice(), value) {
            (Op::Replace, ["", "name"], Some(value)) => self.name = value.to_owned(),
            (Op::Replace, ["", "description"], Some(value)) => self.description = value.to_owned(),
            (Op::Add, ["", "productCode"], Some(value)) if self.product_code.is_none() => {
                self.product_code = Some(value.to_owned())
            }
            (Op::Replace, ["", "productCode"], Some(value)) if self.product_code.is_some() => {
                self.product_code = Some(value.to_owned())
            }
            (Op::Remove, ["", "productCode"], None) if self.product_code.is_some() => {
                self.product_code = None
            }
            (Op::Remove, ["", "quota"], None) if self.quota.is_some() => self.quota = None,
            (Op::Add | Op::Replace, ["", "quota", leaf], Some(value)) => {
                let quota = self.quota.get_or_insert_with(PartialQuota::default);
                match *leaf {
                    "limit" => quota.limit = Some(integer(value)?),
                    "offset" => quota.offset = Some(integer(value)?),
                    "period" => quota.period = Some(period(value)?),
                    _ => return Err(format!("no quota leaf {leaf}")),
                }
            }
            (Op::Remove, ["", "throttle"], None) if self.throttle.is_some() => {
                if self.stages.values().any(|throttles| !throttles.is_empty()) {
                    return Err("remove /throttle while method throttles remain".into());
                }
                self.throttle = None;
            }
            (Op::Add | Op::Replace, ["", "throttle", leaf], Some(value)) => {
                let throttle = self.throttle.get_or_insert_with(PartialThrottle::default);
                set_throttle_leaf(throttle, leaf, value)?;
            }
            (Op::Add, ["", "apiStages"], Some(value)) => {
                let stage = stage_ref(value)?;
                if self.stages.insert(stage, BTreeMap::new()).is_some() {
                    return Err(format!("stage {value} added twice"));
                }
            }
            (Op::Remove, ["", "apiStages"], Some(value)) => {
                if self.stages.remove(&stage_ref(value)?).is_none() {
                    return Err(format!("Invalid API Stage specified: {value}"));
                }
            }
            (_, ["", "apiStages", stage, "throttle", ..], _) => {
                let rest = &op.path[format!("/apiStages/{stage}/throttle").len()..];
                self.apply_method_throttle(op.op, &stage_ref(stage)?, rest, value)?;
            }
            _ => {
                return Err(format!(
                    "Invalid patch path '{}' for op '{}'",
                    op.path, op.op
                ))
            }
        }
        Ok(())
    }

    /// `rest` is what follows `/apiStages/{apiId}:{stage}/throttle` in the path.
    fn apply_method_throttle(
        &mut self,
        op: Op,
        stage: &StageRef,
        rest: &str,
        value: Option<&str>,
    ) -> Result<(), String> {
        let has_plan_throttle = self.throttle.is_some();
        let throttles = self
            .stages
            .get_mut(stage)
            .ok_or_else(|| format!("API Stage not found: {stage}"))?;
        match (op, value) {
            (Op::Remove, None) if rest.is_empty() => throttles.clear(),
            (Op::Remove, None) => {
                let key = decode_key(rest.strip_prefix('/').unwrap_or_default());
                if throttles.remove(&key).is_none() {
                    return Err(format!("no method throttle {key} on {stage}"));
                }
            }
            (Op::Add | Op::Replace, Some(value)) => {
                if !has_plan_throttle {
                    return Err("a method throttle needs a plan throttle".into());
                }
                let (key, leaf) = rest
                    .strip_prefix('/')
                    .and_then(|rest| rest.rsplit_once('/'))
                    .ok_or_else(|| format!("no method throttle leaf in {rest}"))?;
                let throttle = throttles.entry(decode_key(key)).or_default();
                set_throttle_leaf(throttle, leaf, value)?;
            }
            _ => return Err(format!("wrong method throttle op {op} {rest}")),
        }
        Ok(())
    }
}

/// The throttle key of a path's rest: the form Terraform sends (`/pets/GET`) as it is,
/// the `~1`-escaped one decoded.
fn decode_key(key: &str) -> String {
    key.replace("~1", "/").replace("~0", "~")
}

fn set_throttle_leaf(
    throttle: &mut PartialThrottle,
    leaf: &str,
    value: &str,
) -> Result<(), String> {
    match leaf {
        "rateLimit" => throttle.rate_limit = Some(decimal(value)?),
        "burstLimit" => throttle.burst_limit = Some(integer(value)?),
        _ => return Err(format!("no throttle leaf {leaf}")),
    }
    Ok(())
}

fn stage_ref(value: &str) -> Result<StageRef, String> {
    let (api_id, stage) = value
        .split_once(':')
        .ok_or_else(|| format!("not apiId:stage: {value}"))?;
    Ok(StageRef {
        api_id: api_id.to_owned(),
        stage: stage.to_owned(),
    })
}

/// A non-negative integer in its shortest form.
fn integer(value: &str) -> Result<i64, String> {
    match value.parse::<i64>() {
        Ok(number) if number >= 0 && number.to_string() == value => Ok(number),
        _ => Err(format!("not a plain non-negative integer: {value:?}")),
    }
}

/// A non-negative number in its shortest form (`100`, not `100.0`).
fn decimal(value: &str) -> Result<f64, String> {
    match value.parse::<f64>() {
        Ok(number) if number >= 0.0 && number.to_string() == value => Ok(number),
        _ => Err(format!("not a plain non-negative number: {value:?}")),
    }
}

fn period(value: &str) -> Result<Period, String> {
    match value {
        "DAY" => Ok(Period::Day),
        "WEEK" => Ok(Period::Week),
        "MONTH" => Ok(Period::Month),
        _ => Err(format!("not a period: {value:?}")),
    }
}

/// Applies `ops` to `before` as AWS would, in order; an error for anything AWS refuses.
fn apply(before: &PlanBody, ops: &[PatchOp]) -> Result<PlanBody, String> {
    let mut state = State::of(before);
    for op in ops {
        state.apply(op)?;
    }
    state.finish()
}

// ---------------------------------------------------------------------------------------
// Strategies: small domains, so that random pairs share much and differ a little
// ---------------------------------------------------------------------------------------

fn rate_limit() -> impl Strategy<Value = f64> {
    prop_oneof![
        select(vec![0.0, 0.1, 0.5, 1.0, 12.5, 100.0, 1234.25]),
        0.0..1e6f64,
    ]
}

fn throttle() -> impl Strategy<Value = Throttle> {
    (rate_limit(), select(vec![0i64, 1, 20, 5000])).prop_map(|(rate_limit, burst_limit)| Throttle {
        rate_limit,
        burst_limit,
    })
}

fn quota() -> impl Strategy<Value = Quota> {
    let period = select(vec![Period::Day, Period::Week, Period::Month]);
    (select(vec![0i64, 100, 100_000]), period, 0i64..3).prop_map(|(limit, period, offset)| Quota {
        limit,
        offset: offset.min(period.max_offset()),
        period,
    })
}

fn method_throttles() -> impl Strategy<Value = MethodThrottles> {
    let keys = select(vec![
        "/GET",
        "/pets/GET",
        "/pets/{petId}/DELETE",
        "/a/b/c/POST",
    ]);
    proptest::collection::btree_map(keys.prop_map(String::from), throttle(), 0..3)
        .prop_map(|throttles| throttles.into_iter().collect())
}

fn stages() -> impl Strategy<Value = Stages> {
    let stage = (
        select(vec!["a1b2c3", "k9l8m7"]),
        select(vec!["prod", "dev"]),
    )
        .prop_map(|(api_id, stage)| StageRef {
            api_id: api_id.into(),
            stage: stage.into(),
        });
    proptest::collection::btree_map(stage, method_throttles(), 0..4)
        .prop_map(|stages| stages.into_iter().collect())
}

/// A valid plan body: method throttles only under a plan-level throttle.
fn body() -> impl Strategy<Value = PlanBody> {
    (
        select(vec!["Gold", "Silver"]),
        select(vec!["", "Paying customers", "Trial"]),
        proptest::option::of(select(vec!["prod-a", "prod-b"])),
        proptest::option::of(throttle()),
        proptest::option::of(quota()),
        stages(),
    )
        .prop_map(
            |(name, description, product_code, throttle, quota, mut stages)| {
                if throttle.is_none() {
                    stages.iter_mut().for_each(|(_, methods)| methods.clear());
                }
                PlanBody {
                    name: name.into(),
                    description: description.into(),
                    product_code: product_code.map(String::from),
                    throttle,
                    quota,
                    stages,
                }
            },
        )
}

// ---------------------------------------------------------------------------------------
// The properties
// ---------------------------------------------------------------------------------------

/// What an operation touches: its path, and for a whole stage the stage too.
fn target(op: &PatchOp) -> String {
    match (&op.path[..], &op.value) {
        ("/apiStages", Some(stage)) => format!("/apiStages {stage}"),
        _ => op.path.clone(),
    }
}

proptest! {
    #[test]
    fn applying_the_operations_gives_the_desired_plan(before in body(), after in body()) {
        let ops = body_operations(&before, &after);
        prop_assert_eq!(apply(&before, &ops), Ok(after));
    }

    #[test]
    fn equal_plans_give_no_operation(plan in body()) {
        prop_assert_eq!(body_operations(&plan, &plan.clone()), Vec::<PatchOp>::new());
    }

    #[test]
    fn every_operation_is_needed(before in body(), after in body()) {
        let ops = body_operations(&before, &after);
        for skipped in 0..ops.len() {
            let mut fewer = ops.clone();
            fewer.remove(skipped);
            prop_assert_ne!(apply(&before, &fewer), Ok(after.clone()), "{:?} is not needed", ops[skipped]);
        }
    }

    #[test]
    fn no_path_is_touched_twice(before in body(), after in body()) {
        let ops = body_operations(&before, &after);
        let targets: Vec<String> = ops.iter().map(target).collect();
        let distinct: BTreeSet<&String> = targets.iter().collect();
        prop_assert_eq!(distinct.len(), targets.len(), "{:?}", targets);
        // Nor a block and one of its leaves (`/quota` and `/quota/limit`).
        for outer in ops.iter().filter(|op| op.path != "/apiStages") {
            let prefix = format!("{}/", outer.path);
            prop_assert!(!ops.iter().any(|op| op.path.starts_with(&prefix)), "{:?}", ops);
        }
    }

    #[test]
    fn a_stage_that_stays_is_never_removed_or_added(before in body(), after in body()) {
        let ops = body_operations(&before, &after);
        for stage in before.stages.keys().filter(|stage| after.stages.contains_key(*stage)) {
            let value = Some(stage.to_string());
            prop_assert!(
                !ops.iter().any(|op| op.path == "/apiStages" && op.value == value),
                "{} touched in {:?}", stage, ops
            );
        }
    }

    #[test]
    fn the_create_follow_up_completes_a_created_plan(after in body()) {
        // CreateUsagePlan carries everything but the product code.
        let created = PlanBody { product_code: None, ..after.clone() };
        prop_assert_eq!(apply(&created, &create_follow_up(&after)), Ok(after));
    }
}

// ---------------------------------------------------------------------------------------
// The applier itself: it must refuse what AWS refuses, or the properties prove little
// ---------------------------------------------------------------------------------------

fn op(op: Op, path: &str, value: Option<&str>) -> PatchOp {
    PatchOp {
        op,
        path: path.to_owned(),
        value: value.map(str::to_owned),
    }
}

fn staged_plan() -> PlanBody {
    let stage = StageRef {
        api_id: "a1".into(),
        stage: "prod".into(),
    };
    let one = Throttle {
        rate_limit: 1.0,
        burst_limit: 1,
    };
    PlanBody {
        name: "Gold".into(),
        throttle: Some(one),
        stages: [(stage, [("/pets/GET".to_owned(), one)].into_iter().collect())]
            .into_iter()
            .collect(),
        ..PlanBody::default()
    }
}

#[test]
fn the_applier_refuses_what_aws_refuses() {
    let plan = staged_plan();
    let refused = [
        op(Op::Remove, "/apiStages/a1:prod", None),
        op(Op::Remove, "/apiStages", Some("b2:dev")),
        op(Op::Add, "/apiStages", Some("a1:prod")),
        op(Op::Remove, "/throttle", None),
        op(Op::Remove, "/quota", None),
        op(Op::Remove, "/productCode", None),
        op(Op::Replace, "/productCode", Some("p")),
        op(Op::Add, "/name", Some("Silver")),
        op(Op::Replace, "/throttle/rateLimit", Some("1.0")),
        op(Op::Replace, "/throttle/burstLimit", Some("1.5")),
        op(Op::Replace, "/quota/period", Some("YEAR")),
        op(
            Op::Replace,
            "/apiStages/b2:dev/throttle//GET/rateLimit",
            Some("1"),
        ),
        op(Op::Remove, "/apiStages/a1:prod/throttle//GET", None),
        op(
            Op::Remove,
            "/apiStages/a1:prod/throttle//pets/GET/rateLimit",
            None,
        ),
    ];
    for refused in refused {
        assert!(
            apply(&plan, std::slice::from_ref(&refused)).is_err(),
            "{refused:?} accepted"
        );
    }
    let mut bare = plan.clone();
    bare.throttle = None;
    bare.stages
        .iter_mut()
        .for_each(|(_, methods)| methods.clear());
    let needs_plan_throttle = op(
        Op::Replace,
        "/apiStages/a1:prod/throttle//GET/rateLimit",
        Some("1"),
    );
    assert!(apply(&bare, &[needs_plan_throttle]).is_err());
    let half_quota = op(Op::Replace, "/quota/limit", Some("10"));
    assert!(apply(&plan, &[half_quota]).is_err());
}

#[test]
fn the_applier_takes_both_forms_of_a_method_throttle_path() {
    let plan = staged_plan();
    let mut expected = plan.clone();
    expected.stages.iter_mut().for_each(|(_, throttles)| {
        throttles
            .iter_mut()
            .for_each(|(_, throttle)| throttle.rate_limit = 2.5);
    });
    for path in [
        "/apiStages/a1:prod/throttle//pets/GET/rateLimit",
        "/apiStages/a1:prod/throttle/~1pets/GET/rateLimit",
    ] {
        let ops = [op(Op::Replace, path, Some("2.5"))];
        assert_eq!(apply(&plan, &ops), Ok(expected.clone()));
    }
    let cleared = [op(Op::Remove, "/apiStages/a1:prod/throttle", None)];
    let mut expected = plan.clone();
    expected
        .stages
        .iter_mut()
        .for_each(|(_, methods)| methods.clear());
    assert_eq!(apply(&plan, &cleared), Ok(expected));
}
