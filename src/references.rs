//! What AWS will refuse, found before anything is written: a REST API or stage that does not
//! exist, a method throttle on a method the API does not have, a key on two plans that share
//! a stage (judged on the account as it will be after the apply, so moves and swaps pass), and
//! a key on more than 10 plans (a warning).
//!
//! Pure: [`reads`] says which reads the checks need (the fewest), the edge carries them out,
//! and [`check`] turns the answers into located errors and warnings.

use std::collections::{BTreeMap, BTreeSet};

use crate::model::{
    is_placeholder, DesiredPlan, KeyLine, LineColumn, LiveKeys, LivePlan, SourceLocation,
    StageLine, StageRef,
};
use crate::reconcile::Matching;
use crate::spec::SpecError;

/// How many usage plans AWS lets one API key be on by default (it can be raised).
pub const MAX_PLANS_PER_KEY: usize = 10;

/// The account as the checks see it: the declared plans, the live ones, how they match, the
/// keys read of plans whose YAML manages keys, and the plans the apply deletes (`--prune`).
#[derive(Debug, Clone, Copy)]
pub struct Account<'a> {
    /// The declared plans, names resolved.
    pub desired: &'a [DesiredPlan],
    /// The live plans.
    pub live: &'a [LivePlan],
    /// Which live plan each declared plan manages.
    pub matching: &'a Matching,
    /// The keys of the live plans whose YAML manages keys.
    pub live_keys: &'a LiveKeys,
    /// The ids of the unmanaged plans the apply deletes.
    pub deleted: &'a BTreeSet<String>,
}

/// The reads the checks need, each the fewest that answer them.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Reads {
    /// GetStages, one per REST API the YAML uses.
    pub stages: BTreeSet<String>,
    /// GetResources (paged), one walk per REST API a method throttle names.
    pub resources: BTreeSet<String>,
    /// GetUsagePlanKeys for the plans gaining a stage, or sharing one gained, whose keys were
    /// not read.
    pub plan_keys: BTreeSet<String>,
    /// GetUsagePlans with `keyId`, one per key being added, when some live plan's keys were not
    /// read.
    pub key_plans: BTreeSet<String>,
}

/// What AWS answered to one read of a REST API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer<T> {
    /// What it has.
    Found(T),
    /// 404: the REST API does not exist.
    Missing,
    /// The read was not answered (403): the checks it serves are skipped.
    Denied,
}

/// The answers to [`Reads`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Answers {
    /// Each REST API's stage names.
    pub stages: BTreeMap<String, Answer<BTreeSet<String>>>,
    /// Each REST API's resources: path to HTTP methods.
    pub resources: BTreeMap<String, Answer<BTreeMap<String, BTreeSet<String>>>>,
    /// The keys of the plans read with GetUsagePlanKeys.
    pub plan_keys: LiveKeys,
    /// For each key read with GetUsagePlans `keyId`, the ids of the plans it is on now.
    pub key_plans: BTreeMap<String, BTreeSet<String>>,
}

/// What the checks found.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Findings {
    /// What AWS will refuse, each at its place in the YAML, in file order.
    pub errors: Vec<SpecError>,
    /// What AWS may refuse (a key on more than 10 plans), in file order.
    pub warnings: Vec<SpecError>,
    /// One line per read AWS denied (403): the permission it needs and the checks skipped.
    pub denied: Vec<String>,
    /// The keys of the plans read for the checks (GetUsagePlanKeys), so that no later reader
    /// reads them again.
    pub read_keys: LiveKeys,
}

impl Findings {
    /// The warnings and denied reads, one line each, as `PATH:LINE:COLUMN: warning: ...`
    /// and `warning: ...`.
    pub fn warning_lines(&self) -> Vec<String> {
        let located = self.warnings.iter().map(|warning| {
            let at = warning
                .location
                .as_ref()
                .map(|at| format!("{at}: "))
                .unwrap_or_default();
            format!("{at}warning: {}", crate::inert::printable(&warning.message))
        });
        let denied = self
            .denied
            .iter()
            .map(|line| format!("warning: {}", crate::inert::printable(line)));
        located.chain(denied).collect()
    }
}

/// Which keys a plan will have after the apply.
#[derive(Debug, Clone)]
enum Keys<'a> {
    /// Exactly these: the YAML's `keys` (none for a plan it creates without them).
    Declared(BTreeSet<&'a str>),
    /// The ones it has now, which the apply leaves alone.
    LeftAlone,
}

/// A plan as it will be after the apply.
#[derive(Debug, Clone)]
struct After<'a> {
    /// The live id; `None` for a plan the apply creates.
    id: Option<&'a str>,
    /// The declared plan, for a plan the YAML manages.
    declared: Option<&'a DesiredPlan>,
    /// The live plan's name, for one the YAML does not manage.
    live_name: &'a str,
    /// Its stages after the apply.
    stages: BTreeSet<&'a StageRef>,
    /// Its stages now.
    live_stages: BTreeSet<&'a StageRef>,
    /// Its keys after the apply.
    keys: Keys<'a>,
}

impl<'a> After<'a> {
    /// The plan as a message names it.
    fn described(&self) -> String {
        let id = self.id.map(|id| format!(" ({id})")).unwrap_or_default();
        match (self.declared, &self.keys) {
            (Some(plan), Keys::Declared(_)) => format!("{}{id}", plan.body.name),
            (Some(plan), Keys::LeftAlone) => {
                format!("{}{id} (whose keys the YAML leaves alone)", plan.body.name)
            }
            (None, _) => format!("the undeclared plan \"{}\"{id}", self.live_name),
        }
    }
}

/// Every plan of the account as it will be after the apply: declared plans first (in
/// declaration order), then the unmanaged ones the apply does not delete.
fn after<'a>(account: &Account<'a>) -> Vec<After<'a>> {
    let mut plans = Vec::new();
    for (plan, matched) in account.desired.iter().zip(&account.matching.matched) {
        let current = matched.map(|i| &account.live[i]);
        let keys = match (&plan.keys, current) {
            (Some(keys), _) => Keys::Declared(keys.iter().map(|key| key.id.as_str()).collect()),
            (None, None) => Keys::Declared(BTreeSet::new()),
            (None, Some(_)) => Keys::LeftAlone,
        };
        plans.push(After {
            id: current.map(|live| live.id.as_str()),
            declared: Some(plan),
            live_name: current.map_or("", |live| live.body.name.as_str()),
            stages: plan.body.stages.keys().collect(),
            live_stages: current
                .map_or_else(BTreeSet::new, |live| live.body.stages.keys().collect()),
            keys,
        });
    }
    for &i in &account.matching.unmanaged {
        let live = &account.live[i];
        if account.deleted.contains(&live.id) {
            continue;
        }
        let stages: BTreeSet<&StageRef> = live.body.stages.keys().collect();
        plans.push(After {
            id: Some(&live.id),
            declared: None,
            live_name: &live.body.name,
            live_stages: stages.clone(),
            stages,
            keys: Keys::LeftAlone,
        });
    }
    plans
}

/// The keys a plan has now, when they were read.
fn live_keys_of<'b>(
    plan: &After<'_>,
    account: &'b Account<'_>,
    answers: Option<&'b Answers>,
) -> Option<&'b BTreeSet<String>> {
    let id = plan.id?;
    account
        .live_keys
        .get(id)
        .or_else(|| answers.and_then(|answers| answers.plan_keys.get(id)))
}

/// The keys added to a declared plan by the apply (all of them for a plan it creates).
fn added_keys<'a>(plan: &After<'a>, account: &Account<'_>) -> Vec<&'a str> {
    let Keys::Declared(keys) = &plan.keys else {
        return Vec::new();
    };
    let live = live_keys_of(plan, account, None);
    keys.iter()
        .copied()
        .filter(|key| live.is_none_or(|live| !live.contains(*key)))
        .collect()
}

/// The reads [`check`] needs: GetStages for every REST API the YAML uses, GetResources for
/// those a method throttle names, and key reads only where a key's plans after the apply are
/// not known from what was read already.
pub fn reads(account: &Account<'_>) -> Reads {
    let mut reads = Reads::default();
    for plan in account.desired {
        for (stage, methods) in plan.body.stages.iter() {
            reads.stages.insert(stage.api_id.clone());
            if !methods.is_empty() {
                reads.resources.insert(stage.api_id.clone());
            }
        }
    }
    let plans = after(account);
    let unknown = |plan: &After<'_>| {
        matches!(plan.keys, Keys::LeftAlone) && live_keys_of(plan, account, None).is_none()
    };
    if plans.iter().any(unknown) {
        for plan in &plans {
            let added = added_keys(plan, account).into_iter();
            reads
                .key_plans
                .extend(added.filter(|key| !is_placeholder(key)).map(str::to_owned));
        }
    }
    for (p, plan) in plans.iter().enumerate() {
        for stage in plan.stages.difference(&plan.live_stages) {
            // The plans with the stage that may hold a key.
            let sharing: Vec<&After<'_>> = plans
                .iter()
                .enumerate()
                .filter(|(q, other)| *q != p && other.stages.contains(stage))
                .map(|(_, other)| other)
                .filter(|other| !matches!(&other.keys, Keys::Declared(keys) if keys.is_empty()))
                .collect();
            let none = matches!(&plan.keys, Keys::Declared(keys) if keys.is_empty());
            if sharing.is_empty() || none {
                continue;
            }
            for one in std::iter::once(plan).chain(sharing) {
                if let (true, Some(id)) = (unknown(one), one.id) {
                    reads.plan_keys.insert(id.to_owned());
                }
            }
        }
    }
    reads
}

/// Checks the declared references against the answers: each problem a located error naming
/// the stage or method as the YAML writes it and the plans involved, with what to do.
pub fn check(account: &Account<'_>, answers: &Answers, region: &str) -> Findings {
    let mut findings = Findings::default();
    for plan in account.desired {
        check_stages(plan, answers, region, &mut findings.errors);
    }
    check_keys(account, answers, &mut findings);
    findings.errors = crate::resolve::in_file_order(findings.errors);
    findings.warnings = crate::resolve::in_file_order(findings.warnings);
    findings
}

/// The stages of one declared plan and their method throttles.
fn check_stages(plan: &DesiredPlan, answers: &Answers, region: &str, errors: &mut Vec<SpecError>) {
    for (stage, methods) in plan.body.stages.iter() {
        let line = stage_line(plan, stage);
        let written = line.map_or_else(
            || format!("{}/{}", stage.api_id, stage.stage),
            StageLine::written,
        );
        let at = located(plan, line.map(|line| line.at).or(plan.fields.api_stages));
        let api = line.map_or(stage.api_id.as_str(), |line| line.api.as_str());
        let named = match api == stage.api_id {
            true => format!("REST API {api}"),
            false => format!("REST API {api} ({})", stage.api_id),
        };
        match answers.stages.get(&stage.api_id) {
            Some(Answer::Missing) => {
                errors.push(error(
                    at,
                    format!(
                        "usage plan {}: stage `{written}`: no REST API has id `{}` in {region} \
                         (GetStages answered 404), so AWS would refuse the stage with 404 \"API \
                         Stage not found\"; correct the `apiId`, or create the API first",
                        plan.body.name, stage.api_id
                    ),
                ));
                continue;
            }
            Some(Answer::Found(stages)) if !stages.contains(&stage.stage) => {
                let has = match stages.is_empty() {
                    true => "no stage".to_owned(),
                    false => format!("only {}", listed(stages.iter())),
                };
                errors.push(error(
                    at,
                    format!(
                        "usage plan {}: stage `{written}` does not exist: {named} has {has}, so \
                         AWS would refuse it with 404 \"API Stage not found\"; correct `stage`, \
                         or deploy the stage first",
                        plan.body.name
                    ),
                ));
                continue;
            }
            Some(Answer::Found(_)) => {}
            Some(Answer::Denied) | None => continue,
        }
        let Some(Answer::Found(resources)) = answers.resources.get(&stage.api_id) else {
            continue;
        };
        for key in methods.keys() {
            let Some((path, method)) = key.rsplit_once('/') else {
                continue;
            };
            let at = line
                .and_then(|line| line.methods.iter().find(|written| &written.key == key))
                .map(|written| written.at)
                .or(line.map(|line| line.at));
            let problem = match resources.get(path) {
                None => format!("{named} has no resource `{path}`"),
                Some(methods) if !methods.contains(method) => {
                    let has = match methods.is_empty() {
                        true => "no method".to_owned(),
                        false => format!("only {}", listed(methods.iter())),
                    };
                    format!("resource `{path}` of {named} has {has}")
                }
                Some(_) => continue,
            };
            errors.push(error(
                located(plan, at),
                format!(
                    "usage plan {}: method throttle `{key}` on stage `{written}` names a method \
                     the API does not have: {problem} (GetResources), so AWS would refuse the \
                     update with 400; throttle a method the API has, or remove the throttle",
                    plan.body.name
                ),
            ));
        }
    }
}

/// A key on two plans that share a stage after the apply, and a key on more than 10 plans.
fn check_keys(account: &Account<'_>, answers: &Answers, findings: &mut Findings) {
    let plans = after(account);
    // Whether `plan` holds `key` after the apply; `None` when nothing read says.
    let holds = |plan: &After<'_>, key: &str| -> Option<bool> {
        match &plan.keys {
            Keys::Declared(keys) => Some(keys.contains(key)),
            Keys::LeftAlone => live_keys_of(plan, account, Some(answers))
                .map(|keys| keys.contains(key))
                .or_else(|| {
                    let id = plan.id?;
                    answers.key_plans.get(key).map(|plans| plans.contains(id))
                }),
        }
    };
    let mut reported: BTreeSet<(usize, usize, String)> = BTreeSet::new();
    let mut counted: BTreeSet<String> = BTreeSet::new();
    for (p, plan) in plans.iter().enumerate() {
        let Some(declared) = plan.declared else {
            continue;
        };
        // Keys added: each against every other plan that holds it.
        for key in added_keys(plan, account) {
            let line = key_line(declared, key);
            let at = located(declared, line.map(|line| line.at).or(declared.fields.keys));
            let written = line.map_or(key, |line| line.written.as_str());
            let mut holders = 1;
            for (q, other) in plans.iter().enumerate() {
                if q == p || holds(other, key) != Some(true) {
                    continue;
                }
                holders += 1;
                let shared: Vec<&&StageRef> = plan.stages.intersection(&other.stages).collect();
                let Some(stage) = shared.first() else {
                    continue;
                };
                if reported.insert((p.min(q), p.max(q), key.to_owned())) {
                    let stage = written_stage(declared, stage);
                    findings.errors.push(error(
                        at.clone(),
                        conflict(
                            written,
                            &stage,
                            plan,
                            other,
                            "remove the key from one of them",
                        ),
                    ));
                }
            }
            if holders > MAX_PLANS_PER_KEY && counted.insert(key.to_owned()) {
                findings.warnings.push(error(
                    at,
                    format!(
                        "key `{written}` would be on {holders} usage plans, more than the {} AWS \
                         allows a key by default (LimitExceededException); the plan goes on, \
                         since the limit can be raised: check your account's, or take the key \
                         off a plan",
                        MAX_PLANS_PER_KEY
                    ),
                ));
            }
        }
        // Stages added: each against the plans that have it and share a key.
        for stage in plan.stages.difference(&plan.live_stages) {
            let keys: Vec<&str> = match &plan.keys {
                Keys::Declared(keys) => keys.iter().copied().collect(),
                Keys::LeftAlone => live_keys_of(plan, account, Some(answers))
                    .map(|keys| keys.iter().map(String::as_str).collect())
                    .unwrap_or_default(),
            };
            for (q, other) in plans.iter().enumerate() {
                if q == p || !other.stages.contains(stage) {
                    continue;
                }
                for key in &keys {
                    if holds(other, key) != Some(true)
                        || !reported.insert((p.min(q), p.max(q), (*key).to_owned()))
                    {
                        continue;
                    }
                    let line = stage_line(declared, stage);
                    let at = located(
                        declared,
                        line.map(|line| line.at).or(declared.fields.api_stages),
                    );
                    let written =
                        key_line(declared, key).map_or(*key, |line| line.written.as_str());
                    findings.errors.push(error(
                        at,
                        conflict(
                            written,
                            &written_stage(declared, stage),
                            plan,
                            other,
                            "remove the stage here, or the key from one of them",
                        ),
                    ));
                }
            }
        }
    }
}

/// The message of a key on two plans sharing a stage.
fn conflict(key: &str, stage: &str, plan: &After<'_>, other: &After<'_>, fix: &str) -> String {
    format!(
        "key `{key}` would be on {} and on {}, which share stage `{stage}`: AWS allows a key \
         on one usage plan per stage and refuses the association with 409 ConflictException; \
         {fix}",
        plan.described(),
        other.described()
    )
}

/// The entry where a plan writes a stage.
fn stage_line<'a>(plan: &'a DesiredPlan, stage: &StageRef) -> Option<&'a StageLine> {
    plan.refs.stages.iter().find(|line| {
        line.api_id.as_deref() == Some(stage.api_id.as_str()) && line.stage == stage.stage
    })
}

/// The entry where a plan writes a key.
fn key_line<'a>(plan: &'a DesiredPlan, key: &str) -> Option<&'a KeyLine> {
    plan.refs
        .keys
        .iter()
        .find(|line| line.id.as_deref() == Some(key))
}

/// A stage as the plan writes it (`pets/prod`), else by id.
fn written_stage(plan: &DesiredPlan, stage: &StageRef) -> String {
    stage_line(plan, stage).map_or_else(
        || format!("{}/{}", stage.api_id, stage.stage),
        StageLine::written,
    )
}

/// The place `at` in the plan's file, else the plan's own.
fn located(plan: &DesiredPlan, at: Option<LineColumn>) -> SourceLocation {
    match at {
        Some(at) => SourceLocation {
            path: plan.location.path.clone(),
            line: at.line,
            column: at.column,
        },
        None => plan.location.clone(),
    }
}

fn error(location: SourceLocation, message: String) -> SpecError {
    SpecError {
        location: Some(location),
        message,
    }
}

/// Names in backquotes, comma-separated.
fn listed<'a>(names: impl Iterator<Item = &'a String>) -> String {
    let quoted: Vec<String> = names.map(|name| format!("`{name}`")).collect();
    quoted.join(", ")
}

/// A read of [`Reads`] that AWS denied (403).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeniedRead {
    /// GetStages of this REST API.
    Stages(String),
    /// GetResources of this REST API.
    Resources(String),
    /// GetUsagePlanKeys of this plan.
    PlanKeys(String),
    /// GetUsagePlans with this `keyId`.
    KeyPlans(String),
}

/// What to say of a denied read: the permission it needs, and the checks skipped for want of
/// it (the plan goes on without them).
pub fn denied(account: &Account<'_>, read: &DeniedRead, region: &str) -> String {
    let stages_of = |api_id: &str, with_methods: bool| {
        let mut written = BTreeSet::new();
        for plan in account.desired {
            for (stage, methods) in plan.body.stages.iter() {
                if stage.api_id != api_id || (with_methods && methods.is_empty()) {
                    continue;
                }
                let stage = written_stage(plan, stage);
                match with_methods {
                    true => {
                        written.extend(methods.keys().map(|key| format!("`{key}` on `{stage}`")))
                    }
                    false => {
                        written.insert(format!("`{stage}`"));
                    }
                }
            }
        }
        written.into_iter().collect::<Vec<_>>().join(", ")
    };
    let (operation, resource, skipped) = match read {
        DeniedRead::Stages(api) => (
            format!("GetStages of REST API {api}"),
            "/restapis/*/stages",
            format!(
                "whether stage {} exists (and the methods of its method throttles)",
                stages_of(api, false)
            ),
        ),
        DeniedRead::Resources(api) => (
            format!("GetResources of REST API {api}"),
            "/restapis/*/resources",
            format!(
                "whether the API has the methods of {}",
                stages_of(api, true)
            ),
        ),
        DeniedRead::PlanKeys(plan) => (
            format!("GetUsagePlanKeys of usage plan {plan}"),
            "/usageplans/*/keys",
            format!("whether a key of usage plan {plan} would be on two plans sharing a stage"),
        ),
        DeniedRead::KeyPlans(key) => {
            let written = account
                .desired
                .iter()
                .find_map(|plan| key_line(plan, key))
                .map_or(key.as_str(), |line| line.written.as_str());
            (
                format!("GetUsagePlans of key {written}"),
                "/usageplans",
                format!(
                    "whether key `{written}` would be on two plans sharing a stage, or on more \
                     than {MAX_PLANS_PER_KEY}"
                ),
            )
        }
    };
    format!(
        "{operation} was denied (403): the role needs apigateway:GET on \
         arn:aws:apigateway:{region}::{resource}; skipped the check of {skipped}; AWS may \
         still refuse at apply"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{PlanBody, Throttle};
    use crate::reconcile::match_plans;

    /// The plans of `yaml`, loaded as `plan` loads them (ids only, no names to resolve).
    fn declared(yaml: &str) -> Vec<DesiredPlan> {
        let dir = tempfile::tempdir().expect("a scratch folder");
        let path = dir.path().join("p.yaml");
        std::fs::write(&path, yaml).expect("write");
        let mut plans = crate::spec::load(&[path]).expect("valid YAML").plans;
        for plan in &mut plans {
            plan.location.path = "p.yaml".into();
        }
        plans
    }

    fn live(id: &str, name: &str, stages: &[&str]) -> LivePlan {
        let stages = stages.iter().map(|stage| {
            let (api_id, stage) = stage.split_once(':').expect("api:stage");
            let stage = StageRef {
                api_id: api_id.into(),
                stage: stage.into(),
            };
            (stage, Default::default())
        });
        LivePlan {
            id: id.into(),
            body: PlanBody {
                name: name.into(),
                throttle: Some(Throttle {
                    rate_limit: 1.0,
                    burst_limit: 1,
                }),
                stages: stages.collect(),
                ..PlanBody::default()
            },
            tags: Default::default(),
        }
    }

    fn keys(pairs: &[(&str, &[&str])]) -> LiveKeys {
        pairs
            .iter()
            .map(|(plan, keys)| {
                (
                    plan.to_string(),
                    keys.iter().map(|k| k.to_string()).collect(),
                )
            })
            .collect()
    }

    /// Runs `f` on the account of `yaml` and `live`, with `live_keys` read.
    fn with_account<T>(
        yaml: &str,
        live: &[LivePlan],
        live_keys: &LiveKeys,
        f: impl FnOnce(&Account<'_>) -> T,
    ) -> T {
        let desired = declared(yaml);
        let matching = match_plans(&desired, live).expect("matched");
        let deleted = BTreeSet::new();
        f(&Account {
            desired: &desired,
            live,
            matching: &matching,
            live_keys,
            deleted: &deleted,
        })
    }

    fn pets() -> Answers {
        let stages: BTreeSet<String> = ["prod".to_string(), "beta".to_string()].into();
        let resources = BTreeMap::from([
            ("/".to_string(), BTreeSet::new()),
            (
                "/pets".to_string(),
                ["GET".to_string(), "POST".to_string()].into(),
            ),
        ]);
        Answers {
            stages: BTreeMap::from([("a1".to_string(), Answer::Found(stages))]),
            resources: BTreeMap::from([("a1".to_string(), Answer::Found(resources))]),
            ..Answers::default()
        }
    }

    fn messages(errors: &[SpecError]) -> Vec<String> {
        errors.iter().map(ToString::to_string).collect()
    }

    const THROTTLED: &str = "usagePlans:
  - name: Gold
    throttle: { rateLimit: 10, burstLimit: 10 }
    apiStages:
      - apiId: a1
        stage: prod
        throttle: { /pets/GET: { rateLimit: 1, burstLimit: 1 }, /pets/PATCH: { rateLimit: 1, burstLimit: 1 } }
      - { apiId: a1, stage: staging }
      - { apiId: zz, stage: prod }
  - name: Silver
    apiStages: [ { apiId: b2, stage: prod } ]
";

    #[test]
    fn stages_are_read_once_per_api_and_resources_only_where_a_method_is_throttled() {
        let reads = with_account(THROTTLED, &[], &LiveKeys::new(), reads);
        let apis = |names: &[&str]| names.iter().map(|n| n.to_string()).collect::<BTreeSet<_>>();
        assert_eq!(reads.stages, apis(&["a1", "b2", "zz"]));
        assert_eq!(reads.resources, apis(&["a1"]));
        assert!(reads.plan_keys.is_empty() && reads.key_plans.is_empty());
    }

    #[test]
    fn a_missing_api_stage_or_method_is_an_error_where_the_yaml_writes_it() {
        let mut answers = pets();
        answers.stages.insert("zz".into(), Answer::Missing);
        answers.stages.insert("b2".into(), Answer::Denied);
        let findings = with_account(THROTTLED, &[], &LiveKeys::new(), |a| {
            check(a, &answers, "us-east-1")
        });
        assert_eq!(
            messages(&findings.errors),
            [
                "p.yaml:7:65: usage plan Gold: method throttle `/pets/PATCH` on stage `a1/prod` \
                 names a method the API does not have: resource `/pets` of REST API a1 has only \
                 `GET`, `POST` (GetResources), so AWS would refuse the update with 400; throttle \
                 a method the API has, or remove the throttle",
                "p.yaml:8:9: usage plan Gold: stage `a1/staging` does not exist: REST API a1 has \
                 only `beta`, `prod`, so AWS would refuse it with 404 \"API Stage not found\"; \
                 correct `stage`, or deploy the stage first",
                "p.yaml:9:9: usage plan Gold: stage `zz/prod`: no REST API has id `zz` in \
                 us-east-1 (GetStages answered 404), so AWS would refuse the stage with 404 \
                 \"API Stage not found\"; correct the `apiId`, or create the API first",
            ]
        );
    }

    const SHARED: &str = "usagePlans:
  - name: Gold
    apiStages: [ { apiId: a1, stage: prod } ]
    keys: [ { id: k2 } ]
  - name: Silver
    apiStages: [ { apiId: a1, stage: prod } ]
    keys: [ { id: k1 } ]
";

    #[test]
    fn a_swap_between_declared_plans_passes_without_key_reads() {
        let live = [
            live("g1", "Gold", &["a1:prod"]),
            live("s1", "Silver", &["a1:prod"]),
        ];
        let read = keys(&[("g1", &["k1"]), ("s1", &["k2"])]);
        let (reads, findings) =
            with_account(SHARED, &live, &read, |a| (reads(a), check(a, &pets(), "r")));
        assert_eq!(reads.key_plans.len() + reads.plan_keys.len(), 0);
        assert_eq!(findings, Findings::default());
    }

    #[test]
    fn a_key_added_while_an_undeclared_plan_sharing_the_stage_keeps_it_is_an_error() {
        let yaml = "usagePlans:
  - name: Gold
    apiStages: [ { apiId: a1, stage: prod } ]
    keys: [ { id: k3 } ]
";
        let live = [
            live("g1", "Gold", &["a1:prod"]),
            live("s1", "Silver", &["a1:prod"]),
        ];
        let read = keys(&[("g1", &[])]);
        let reads = with_account(yaml, &live, &read, reads);
        assert_eq!(reads.key_plans, BTreeSet::from(["k3".to_string()]));
        let mut answers = pets();
        answers
            .key_plans
            .insert("k3".into(), BTreeSet::from(["s1".to_string()]));
        let findings = with_account(yaml, &live, &read, |a| check(a, &answers, "r"));
        assert_eq!(
            messages(&findings.errors),
            ["p.yaml:4:19: key `k3` would be on Gold (g1) and on the undeclared plan \"Silver\" \
              (s1), which share stage `a1/prod`: AWS allows a key on one usage plan per stage and \
              refuses the association with 409 ConflictException; remove the key from one of \
              them"]
        );
    }

    #[test]
    fn a_stage_added_to_a_plan_whose_key_is_on_another_plan_with_it_is_an_error() {
        let yaml = "usagePlans:
  - name: Gold
    apiStages: [ { apiId: a1, stage: prod }, { apiId: a1, stage: beta } ]
";
        let live = [
            live("g1", "Gold", &["a1:prod"]),
            live("s1", "Silver", &["a1:beta"]),
        ];
        let reads = with_account(yaml, &live, &LiveKeys::new(), reads);
        assert_eq!(
            reads.plan_keys,
            BTreeSet::from(["g1".to_string(), "s1".to_string()])
        );
        assert!(reads.key_plans.is_empty());
        let mut answers = pets();
        answers.plan_keys = keys(&[("g1", &["k1", "k2"]), ("s1", &["k2"])]);
        let findings = with_account(yaml, &live, &LiveKeys::new(), |a| check(a, &answers, "r"));
        assert_eq!(
            messages(&findings.errors),
            ["p.yaml:3:46: key `k2` would be on Gold (g1) (whose keys the YAML leaves alone) and \
              on the undeclared plan \"Silver\" (s1), which share stage `a1/beta`: AWS allows a \
              key on one usage plan per stage and refuses the association with 409 \
              ConflictException; remove the stage here, or the key from one of them"]
        );
    }

    #[test]
    fn a_plan_the_apply_deletes_holds_no_key_after_it() {
        let yaml = "usagePlans:
  - name: Gold
    apiStages: [ { apiId: a1, stage: prod } ]
    keys: [ { id: k3 } ]
";
        let live = [
            live("g1", "Gold", &["a1:prod"]),
            live("o1", "Orphan", &["a1:prod"]),
        ];
        let read = keys(&[("g1", &[])]);
        let desired = declared(yaml);
        let matching = match_plans(&desired, &live).expect("matched");
        let deleted = BTreeSet::from(["o1".to_string()]);
        let account = Account {
            desired: &desired,
            live: &live,
            matching: &matching,
            live_keys: &read,
            deleted: &deleted,
        };
        assert_eq!(
            reads(&account).key_plans.len(),
            0,
            "every plan left has its keys read"
        );
        let mut answers = pets();
        answers
            .key_plans
            .insert("k3".into(), BTreeSet::from(["o1".to_string()]));
        assert_eq!(check(&account, &answers, "r"), Findings::default());
    }

    #[test]
    fn a_key_on_more_than_ten_plans_is_a_warning() {
        let mut yaml = "usagePlans:\n".to_string();
        let mut plans = Vec::new();
        let mut read = Vec::new();
        for i in 0..11 {
            yaml.push_str(&format!(
                "  - name: P{i}\n    apiStages: [ {{ apiId: a1, stage: s{i} }} ]\n    keys: [ {{ id: k1 }} ]\n"
            ));
            plans.push(live(&format!("p{i}"), &format!("P{i}"), &[]));
            read.push((format!("p{i}"), vec![]));
        }
        let read: LiveKeys = read
            .into_iter()
            .map(|(plan, keys): (String, Vec<String>)| (plan, keys.into_iter().collect()))
            .collect();
        let findings = with_account(&yaml, &plans, &read, |a| check(a, &Answers::default(), "r"));
        assert!(findings.errors.is_empty(), "{findings:?}");
        assert_eq!(findings.warnings.len(), 1, "one warning per key");
        assert!(
            findings.warnings[0]
                .to_string()
                .starts_with("p.yaml:4:19: key `k1` would be on 11 usage plans"),
            "{findings:?}"
        );
    }
}
