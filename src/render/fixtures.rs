//! Hand-built plans shared by the tests of the three views.

use crate::diff::{Op, PatchOp};
use crate::endpoint::{ForeignEndpoint, ForeignEndpoints, Trust};
use crate::model::{
    placeholder, DesiredApiKey, Period, PlanBody, Quota, SourceLocation, StageRef, Tags, Throttle,
};
use crate::plan::{
    ApiKeyEntry, ApiKeyTarget, Effect, GrantChange, Impact, Impacts, KeyAction, KeyChange, Orphan,
    OrphanKind, PendingGrant, Plan, PlanEntry, PlanRef, PlanTarget, Site, TagChange, Target,
    Unsettled, Usage,
};

/// A patch operation from its parts.
fn op(op: Op, path: &str, value: Option<&str>) -> PatchOp {
    PatchOp {
        op,
        path: path.to_string(),
        value: value.map(str::to_string),
    }
}

/// Tags from pairs.
fn tags(pairs: &[(&str, &str)]) -> Tags {
    pairs
        .iter()
        .map(|(key, value)| (key.to_string(), value.to_string()))
        .collect()
}

/// A stage reference.
fn stage(api_id: &str, stage: &str) -> StageRef {
    StageRef {
        api_id: api_id.to_string(),
        stage: stage.to_string(),
    }
}

/// A throttle.
fn throttle(rate_limit: f64, burst_limit: i64) -> Throttle {
    Throttle {
        rate_limit,
        burst_limit,
    }
}

/// The live body of Gold.
fn gold_before() -> PlanBody {
    PlanBody {
        name: "Gold".to_string(),
        description: "Paying customers".to_string(),
        product_code: Some("prod-gold".to_string()),
        throttle: Some(throttle(100.0, 200)),
        quota: Some(Quota {
            limit: 100_000,
            offset: 0,
            period: Period::Month,
        }),
        stages: [(
            stage("a1b2c3", "prod"),
            [
                ("/pets/GET".to_string(), throttle(10.0, 20)),
                ("/pets/POST".to_string(), throttle(5.0, 10)),
            ]
            .into_iter()
            .collect(),
        )]
        .into_iter()
        .collect(),
    }
}

/// The declared body of Gold.
fn gold_after() -> PlanBody {
    let mut body = gold_before();
    body.description = "Paying customers: gold tier".to_string();
    body.product_code = None;
    body.throttle = Some(throttle(12.5, 200));
    if let Some(quota) = body.quota.as_mut() {
        quota.limit = 130_000;
    }
    body.stages = [
        (
            stage("a1b2c3", "prod"),
            [("/pets/GET".to_string(), throttle(15.0, 20))]
                .into_iter()
                .collect(),
        ),
        (stage("a1b2c3", "staging"), [].into_iter().collect()),
    ]
    .into_iter()
    .collect();
    body
}

/// An entry that changes nothing, shown only for its pending grant.
fn bronze() -> PlanEntry {
    let body = PlanBody {
        name: "Bronze".to_string(),
        ..PlanBody::default()
    };
    PlanEntry {
        name: "Bronze".to_string(),
        target: Target::Live {
            id: "brz001".to_string(),
            before: body.clone(),
            operations: vec![],
        },
        after: body,
        keys: vec![],
        tags: None,
        grants: vec![],
        pending_grants: vec![PendingGrant {
            key_id: "7HB2KEY".to_string(),
            grant_id: "SUP-0099".to_string(),
            remaining: 1000,
            baseline: None,
            why: Unsettled::NoBaseline,
        }],
        settled: vec![],
        bookkeeping: None,
        delete: false,
        matched_by_name: false,
    }
}

/// An entry with an update of many operations, keys, tags, a grant and a pending grant.
fn gold() -> PlanEntry {
    updated("Gold", "ywbqww")
}

/// An entry named `name` of the live plan `id`, with the same changes as Gold.
fn updated(name: &str, id: &str) -> PlanEntry {
    PlanEntry {
        name: name.to_string(),
        target: Target::Live {
            id: id.to_string(),
            before: gold_before(),
            operations: vec![
                op(
                    Op::Replace,
                    "/description",
                    Some("Paying customers: gold tier"),
                ),
                op(Op::Remove, "/productCode", None),
                op(Op::Replace, "/throttle/rateLimit", Some("12.5")),
                op(Op::Replace, "/quota/limit", Some("130000")),
                op(Op::Add, "/apiStages", Some("a1b2c3:staging")),
                op(
                    Op::Replace,
                    "/apiStages/a1b2c3:prod/throttle//pets/GET/rateLimit",
                    Some("15"),
                ),
                op(
                    Op::Remove,
                    "/apiStages/a1b2c3:prod/throttle//pets/POST",
                    None,
                ),
            ],
        },
        after: gold_after(),
        keys: vec![
            KeyChange {
                action: KeyAction::Add,
                key_id: "3JX4ISs7Ik".to_string(),
            },
            KeyChange {
                action: KeyAction::Remove,
                key_id: "9QZ1OLDKEY".to_string(),
            },
        ],
        tags: Some(TagChange {
            set: tags(&[("team", "payments")]),
            remove: vec!["owner".to_string()],
        }),
        grants: vec![GrantChange {
            key_id: "3JX4ISs7Ik".to_string(),
            grant_id: "SUP-1234".to_string(),
            remaining: 5000,
        }],
        pending_grants: vec![PendingGrant {
            key_id: "3JX4ISs7Ik".to_string(),
            grant_id: "SUP-1000".to_string(),
            remaining: 1000,
            baseline: None,
            why: Unsettled::NoBaseline,
        }],
        settled: vec![],
        bookkeeping: None,
        delete: false,
        matched_by_name: false,
    }
}

/// An entry whose body is unchanged and whose only change is a key removal.
fn silver() -> PlanEntry {
    let body = PlanBody {
        name: "Silver".to_string(),
        description: "Partners".to_string(),
        ..PlanBody::default()
    };
    PlanEntry {
        name: "Silver".to_string(),
        target: Target::Live {
            id: "slv777".to_string(),
            before: body.clone(),
            operations: vec![],
        },
        after: body,
        keys: vec![KeyChange {
            action: KeyAction::Remove,
            key_id: "5RT6GONE".to_string(),
        }],
        tags: None,
        grants: vec![],
        pending_grants: vec![],
        settled: vec![],
        bookkeeping: None,
        delete: false,
        matched_by_name: false,
    }
}

/// A plan to create, with a product-code follow-up, tags, a key and a grant.
fn trial() -> PlanEntry {
    PlanEntry {
        name: "Trial".to_string(),
        target: Target::Create {
            tags: tags(&[("env", "test"), ("team", "growth")]),
            follow_up: vec![op(Op::Add, "/productCode", Some("prod-trial"))],
        },
        after: PlanBody {
            name: "Trial".to_string(),
            description: "Free trial".to_string(),
            product_code: Some("prod-trial".to_string()),
            throttle: Some(throttle(5.0, 10)),
            quota: Some(Quota {
                limit: 1000,
                offset: 0,
                period: Period::Day,
            }),
            stages: [(
                stage("a1b2c3", "prod"),
                [("/pets/{id}/GET".to_string(), throttle(2.5, 5))]
                    .into_iter()
                    .collect(),
            )]
            .into_iter()
            .collect(),
        },
        keys: vec![KeyChange {
            action: KeyAction::Add,
            key_id: "8TRIALKEY".to_string(),
        }],
        tags: None,
        grants: vec![GrantChange {
            key_id: "8TRIALKEY".to_string(),
            grant_id: "WELCOME".to_string(),
            remaining: 200,
        }],
        pending_grants: vec![],
        settled: vec![],
        bookkeeping: None,
        delete: false,
        matched_by_name: false,
    }
}

/// The unmanaged plans of the fixtures.
fn unmanaged() -> Vec<PlanRef> {
    vec![PlanRef {
        name: "Legacy".to_string(),
        id: "k2k2k2".to_string(),
    }]
}

/// A plan with every kind of change: create, update, keys, tags, grants, a pending grant and
/// an unmanaged plan.
pub fn every_change() -> Plan {
    Plan {
        region: "us-east-1".to_string(),
        account: "123456789012".to_string(),
        endpoints: ForeignEndpoints::default(),
        target: None,
        entries: vec![bronze(), gold(), silver(), trial()],
        unchanged: 620,
        unmanaged: unmanaged(),
        names: Default::default(),
        api_keys: Vec::new(),
        orphans: Vec::new(),
        deleted_keys: Vec::new(),
        impact: None,
    }
}

/// [`every_change`] with the names of the REST API `a1b2c3` and of two of its keys known.
pub fn every_change_with_names() -> Plan {
    let mut plan = every_change();
    plan.names.rest_apis.insert("a1b2c3".into(), "pets".into());
    plan.names
        .api_keys
        .insert("3JX4ISs7Ik".into(), "acme".into());
    plan.names
        .api_keys
        .insert("9QZ1OLDKEY".into(), "globex".into());
    plan
}

/// A declared key as the YAML gives it, at line `line` of keys.yaml.
fn declared_key(name: &str, line: usize) -> DesiredApiKey {
    DesiredApiKey {
        name: name.to_string(),
        description: String::new(),
        enabled: true,
        customer_id: String::new(),
        tags: None,
        value_from: None,
        location: SourceLocation {
            path: "plans/keys.yaml".to_string(),
            line,
            column: 11,
        },
    }
}

/// Declared API keys: acme created with its value from the environment and put on a new plan
/// in the same apply, globex created with a value AWS generates, initech disabled and retagged.
pub fn api_keys() -> Plan {
    let acme = DesiredApiKey {
        description: "Acme Corp".to_string(),
        customer_id: "cust-acme".to_string(),
        tags: Some(tags(&[("team", "payments")])),
        value_from: Some("TOLLGATE_KEY_ACME".to_string()),
        ..declared_key("acme", 2)
    };
    let initech = DesiredApiKey {
        enabled: false,
        tags: Some(tags(&[("tier", "gold")])),
        ..declared_key("initech", 9)
    };
    let body = PlanBody {
        name: "Partners".to_string(),
        stages: [(stage("a1b2c3", "prod"), Default::default())]
            .into_iter()
            .collect(),
        ..PlanBody::default()
    };
    let partners = PlanEntry {
        name: "Partners".to_string(),
        target: Target::Create {
            tags: Tags::new(),
            follow_up: vec![],
        },
        after: body,
        keys: vec![KeyChange {
            action: KeyAction::Add,
            key_id: placeholder("acme"),
        }],
        tags: None,
        grants: vec![],
        pending_grants: vec![],
        settled: vec![],
        bookkeeping: None,
        delete: false,
        matched_by_name: false,
    };
    let mut plan = no_change();
    plan.unchanged = 3;
    plan.entries = vec![partners];
    plan.names.rest_apis.insert("a1b2c3".into(), "pets".into());
    plan.api_keys = vec![
        ApiKeyEntry {
            target: ApiKeyTarget::Create {
                placeholder: placeholder("acme"),
            },
            key: acme,
            tags: None,
        },
        ApiKeyEntry {
            target: ApiKeyTarget::Create {
                placeholder: placeholder("globex"),
            },
            key: declared_key("globex", 7),
            tags: None,
        },
        ApiKeyEntry {
            target: ApiKeyTarget::Live {
                id: "9QZ1OLDKEY".to_string(),
                operations: vec![op(Op::Replace, "/enabled", Some("false"))],
            },
            key: initech,
            tags: Some(TagChange {
                set: tags(&[("tier", "gold")]),
                remove: vec!["legacy".to_string()],
            }),
        },
    ];
    plan
}

/// A plan whose names from AWS are hostile: a plan name that closes the Markdown section and
/// mentions a user, a key name with a terminal escape sequence, an API name with a table
/// separator and backticks, an orphan whose name holds a line break, and an impact line naming
/// a key whose name mentions a user, closes the section and breaks the line.
pub fn hostile_names() -> Plan {
    let mut plan = every_change_with_names();
    plan.names.api_keys.insert(
        "9QZ1OLDKEY".into(),
        "@octocat `x` | </details>\n+ Fake".into(),
    );
    plan.impact = Some(Impacts {
        usage: Usage::default(),
        by_plan: [(
            "ywbqww".to_string(),
            vec![Impact {
                site: Site::KeyRemoval("9QZ1OLDKEY".into()),
                effect: Effect::Access {
                    key_id: "9QZ1OLDKEY".into(),
                    requests: 1234,
                    stages: vec![StageRef {
                        api_id: "a1b2c3".into(),
                        stage: "prod".into(),
                    }],
                    certain: true,
                },
            }],
        )]
        .into(),
    });
    plan.unmanaged = vec![PlanRef {
        name: "Gold</summary></details>\n\n**Plan: 0 to change.** @octocat".to_string(),
        id: "k2k2k2".to_string(),
    }];
    plan.names
        .api_keys
        .insert("3JX4ISs7Ik".into(), "\u{1b}[31mevil\u{1b}[0m".into());
    plan.names
        .rest_apis
        .insert("a1b2c3".into(), "pets | `x` <b>".into());
    plan.orphans = vec![Orphan {
        kind: OrphanKind::UsagePlan,
        item: PlanRef {
            name: "Old\n+ Fake (new plan)".to_string(),
            id: "old001".to_string(),
        },
    }];
    plan
}

/// A plan with nothing to do.
pub fn no_change() -> Plan {
    Plan {
        region: "us-east-1".to_string(),
        account: "123456789012".to_string(),
        endpoints: ForeignEndpoints::default(),
        target: None,
        entries: vec![],
        unchanged: 620,
        unmanaged: unmanaged(),
        names: Default::default(),
        api_keys: Vec::new(),
        orphans: Vec::new(),
        deleted_keys: Vec::new(),
        impact: None,
    }
}

/// A plan that updates `count` plans, each with the same changes as Gold.
pub fn many_updates(count: usize) -> Plan {
    let entries = (0..count)
        .map(|index| updated(&format!("Plan {index:04}"), &format!("id{index:04}")))
        .collect();
    Plan {
        region: "us-east-1".to_string(),
        account: "123456789012".to_string(),
        endpoints: ForeignEndpoints::default(),
        target: None,
        entries,
        unchanged: 0,
        unmanaged: unmanaged(),
        names: Default::default(),
        api_keys: Vec::new(),
        orphans: Vec::new(),
        deleted_keys: Vec::new(),
        impact: None,
    }
}

/// [`no_change`] for target `ci`, made against an allowed endpoint that is not AWS's own,
/// with STS on this machine.
pub fn against_an_allowed_endpoint() -> Plan {
    Plan {
        target: Some(PlanTarget { name: "ci".into() }),
        endpoints: ForeignEndpoints {
            api_gateway: Some(ForeignEndpoint {
                url: "http://localstack:4566".into(),
                trust: Trust::Allowed,
            }),
            sts: Some(ForeignEndpoint {
                url: "http://127.0.0.1:4599".into(),
                trust: Trust::Loopback,
            }),
        },
        ..no_change()
    }
}
