//! End to end: a whole account is read with GetUsagePlans 500 plans a page, never plan by plan.

mod common;

use std::fmt::Write as _;

use common::Env;
use tollgate_sim::Config;

/// `count` live plans named `plan-0000` ... with fixed ids `p000000000` ...
fn many_plans(count: usize) -> String {
    let mut yaml = String::from("usagePlans:\n");
    for i in 0..count {
        let _ = writeln!(
            yaml,
            "  - {{ id: p{i:09}, name: plan-{i:04}, throttle: {{ rateLimit: 10, burstLimit: 20 }} }}"
        );
    }
    yaml
}

#[test]
fn plans_across_three_pages_are_read_in_three_calls_and_the_last_page_is_managed() {
    let env = Env::new(&many_plans(1_200));
    let path = env.write(
        "plans.yaml",
        "usagePlans:\n  - { name: plan-0001, throttle: { rateLimit: 10, burstLimit: 20 } }\n  - { name: plan-1199, throttle: { rateLimit: 11, burstLimit: 20 } }\n",
    );
    let plan = env.plan_json(&path);
    assert_eq!(
        env.calls("GetUsagePlans"),
        3,
        "1,200 plans are 3 pages of 500"
    );
    assert_eq!(
        env.calls("GetUsagePlan"),
        0,
        "never one GetUsagePlan per plan"
    );
    assert_eq!(plan["summary"]["unmanaged"], 1_198);
    assert_eq!(plan["summary"]["unchanged"], 1);
    assert_eq!(plan["summary"]["update"], 1);
    assert_eq!(plan["changes"][0]["id"], "p000001199");

    env.apply(&path);
    env.assert_in_sync(&path);
    assert_eq!(env.calls("UpdateUsagePlan"), 1);
}

#[test]
fn key_associations_across_two_pages_are_all_read() {
    // 600 API keys, all on one plan: GetUsagePlanKeys serves them in two pages of 500.
    let mut seed = String::from("apiKeys:\n");
    for i in 0..600 {
        let _ = writeln!(
            seed,
            "  - {{ id: bulk{i:06}, name: bulk-{i}, value: bulk-value-{i:020} }}"
        );
    }
    seed.push_str("usagePlans:\n  - id: bulkplan01\n    name: Bulk\n    keys:\n");
    let mut desired = String::from("usagePlans:\n  - name: Bulk\n    keys:\n");
    for i in 0..600 {
        let _ = writeln!(seed, "      - bulk{i:06}");
        // The YAML drops the last key: only a full read of both pages sees it to remove.
        if i < 599 {
            let _ = writeln!(desired, "      - id: bulk{i:06}");
        }
    }
    let env = Env::from_seed(&seed, Config::default());
    let path = env.write("bulk.yaml", &desired);
    let plan = env.plan_json(&path);
    assert_eq!(
        env.calls("GetUsagePlanKeys"),
        2,
        "600 keys are 2 pages of 500"
    );
    assert_eq!(plan["summary"]["keys"], 1, "{plan:#}");
    assert_eq!(plan["changes"][0]["action"], "remove-key");
    assert_eq!(plan["changes"][0]["keyId"], "bulk000599");
}
