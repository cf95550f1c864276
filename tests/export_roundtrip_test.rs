//! End to end, a property: whatever usage plans an account holds, `export` writes YAML that
//! `validate` accepts and that `plan` finds equal to the account (no change, no plan left
//! unmanaged), both as one document on stdout and as one file per plan (`--out DIR`); and
//! the export never holds an API key's value.
//!
//! Accounts are generated: 1 to 8 plans with odd names (spaces, slashes, colons, quotes,
//! `#`, YAML look-alikes such as `null` or `1e3`, unicode, leading and trailing spaces, names
//! two plans share), each field present and absent in turn (description, productCode,
//! throttle, quota of each period with an offset valid for it, API stages with and without
//! method throttles, keys, tags up to the 49 tollgate declares). The emulator is seeded with
//! the account, and the real binary runs against it. The random seed and the 12 cases are
//! fixed, so CI runs the same cases every time; `PROPTEST_RNG_SEED` and `PROPTEST_CASES`
//! override them for a longer search.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use common::{stdout_json, Env};
use proptest::prelude::*;
use proptest::sample::{select, Index};
use proptest::test_runner::RngSeed;
use serde_json::{json, Map, Value};
use tollgate_sim::Config;

// ---------------------------------------------------------------------------------------
// The account's fixed part: REST APIs (with odd resource paths) and API keys
// ---------------------------------------------------------------------------------------

/// The stages a plan may have: (API id, stage, the method-throttle keys the API has).
const STAGES: [(&str, &str, &[&str]); 4] = [
    (
        "a1b2c3d4e5",
        "prod",
        &["//ANY", "/pets/GET", "/pets/{petId}/DELETE", "/a~b/c.d/PUT"],
    ),
    (
        "a1b2c3d4e5",
        "beta",
        &["//GET", "/pets/POST", "/pets/{petId}/GET"],
    ),
    ("a1b2c3d4e5", "v1_2-x", &["/pets/GET", "/a~b/c.d/PUT"]),
    ("k9l8m7n6o5", "prod", &["/orders/GET", "/orders/ANY"]),
];

const REST_APIS: &str = r#"[
  { "id": "a1b2c3d4e5", "name": "pets", "stages": ["prod", "beta", "v1_2-x"],
    "resources": { "/": ["ANY", "GET"], "/pets": ["GET", "POST"],
                   "/pets/{petId}": ["GET", "DELETE"], "/a~b/c.d": ["PUT"] } },
  { "id": "k9l8m7n6o5", "name": "orders", "stages": ["prod"],
    "resources": { "/orders": ["GET", "POST", "ANY"] } }
]"#;

/// API key ids as AWS makes them, some of which YAML would read as a number or a null.
const KEY_IDS: [&str; 6] = [
    "key0AbCdEf",
    "1234567890",
    "0e12345678",
    "NULLnull00",
    "3JX4ISs7Ik23cDsgiaJdu6SiLffQpIsU7AyTMALs6",
    "k5k5k5k5k5",
];

// ---------------------------------------------------------------------------------------
// The generated part: the usage plans
// ---------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy)]
struct Throttle {
    rate_limit: f64,
    burst_limit: i64,
}

#[derive(Debug, Clone, Copy)]
struct Quota {
    limit: i64,
    period: &'static str,
    offset: i64,
}

#[derive(Debug, Clone)]
struct Stage {
    api_id: &'static str,
    stage: &'static str,
    methods: BTreeMap<&'static str, Throttle>,
}

#[derive(Debug, Clone)]
struct Plan {
    /// Pinned ids are `up0000000{i}`; unpinned ones the emulator generates.
    pinned: bool,
    name: String,
    description: Option<String>,
    product_code: Option<String>,
    throttle: Option<Throttle>,
    quota: Option<Quota>,
    stages: Vec<Stage>,
    /// Indexes into [`KEY_IDS`].
    keys: BTreeSet<usize>,
    tags: BTreeMap<String, String>,
}

#[derive(Debug, Clone)]
struct Account {
    /// One value per key of [`KEY_IDS`]: printable ASCII, 20 to 64 characters.
    key_values: Vec<String>,
    plans: Vec<Plan>,
}

/// Text that YAML writers must quote or escape, or may fold.
const ODD_TEXTS: &[&str] = &[
    "Gold",
    "gold",
    "Free / trial",
    "Free: trial",
    "it's \"quoted\"",
    "# not a comment",
    "trailing #",
    " leading and trailing ",
    "ünïcödé 🚀 計画",
    "back\\slash",
    "- dash",
    "yes",
    "no",
    "null",
    "~",
    "true",
    "123",
    "0777",
    "0x1F",
    "1e3",
    ".inf",
    "1.0",
    "key: value",
    "[flow]",
    "{x}",
    "&anchor",
    "*alias",
    "!tag",
    "%pct",
    "@at",
    "`tick`",
    "| pipe",
    "> fold",
    "?question",
    "tab\tinside",
    "a  double  space",
    "\u{a0}nbsp\u{a0}",
    "💥",
    "---",
    "...",
    "new\nline",
    "cr\rx",
    "nel\u{85}x",
    "line\u{2028}sep",
    "bom\u{feff}x",
    "esc\u{1b}x",
];

fn odd_text() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => select(ODD_TEXTS).prop_map(String::from),
        1 => "[ -~]{1,16}",
        1 => "\\PC{1,8}",
    ]
    .prop_filter("AWS refuses a blank name", |text| !text.trim().is_empty())
}

/// The odd texts a name (or a tag value) may be: no control characters, which AWS's rules for
/// names refuse and `validate` refuses too.
fn odd_names() -> Vec<&'static str> {
    let one_line = |text: &&str| !text.chars().any(char::is_control);
    ODD_TEXTS.iter().copied().filter(one_line).collect()
}

fn odd_name() -> impl Strategy<Value = String> {
    odd_text().prop_filter("names are one line of printable characters", |text| {
        !text.chars().any(char::is_control)
    })
}

fn description() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => odd_text(),
        1 => select(vec![
            "multi\nline\ndescription",
            "trailing newline\n",
            "\nleading newline",
            "two trailing newlines\n\n",
            "crlf\r\nline",
            "   ",
            "Paying customers of the gold tier, who get the higher limits and the support line, \
             in a description long enough that a YAML writer might fold it",
            // Empty is no description, as the emulator and AWS store it.
            "",
        ])
        .prop_map(String::from),
    ]
}

fn product_code() -> impl Strategy<Value = String> {
    prop_oneof![
        2 => select(vec!["prod-gold", "PC:123/x#y", " spaced ", "ünï", "true", "0777", ""])
            .prop_map(String::from),
        1 => "[ -~]{1,12}",
    ]
}

fn rate_limit() -> impl Strategy<Value = f64> {
    prop_oneof![
        2 => select(vec![
            0.0,
            0.1,
            0.5,
            1.0,
            12.5,
            100.0,
            1e-7,
            2.0 / 3.0,
            123_456.789,
            999_999_999_999_999.9,
            1e15,
            1e16 + 2.0,
            1e300,
            f64::MAX,
            5e-324,
        ]),
        1 => 0.0..1e6f64,
    ]
}

fn burst_limit() -> impl Strategy<Value = i64> {
    prop_oneof![
        select(vec![0i64, 1, 20, 5000, i64::from(i32::MAX)]),
        0..=i64::from(i32::MAX),
    ]
}

fn throttle() -> impl Strategy<Value = Throttle> {
    (rate_limit(), burst_limit()).prop_map(|(rate_limit, burst_limit)| Throttle {
        rate_limit,
        burst_limit,
    })
}

/// A quota of each period, with an offset valid for it (its extremes often).
fn quota() -> impl Strategy<Value = Quota> {
    (
        burst_limit(),
        select(vec!["DAY", "WEEK", "MONTH"]),
        0i64..=27,
        any::<bool>(),
    )
        .prop_map(|(limit, period, raw, extreme)| {
            let max = match period {
                "DAY" => 0,
                "WEEK" => 6,
                _ => 27,
            };
            Quota {
                limit,
                period,
                offset: if extreme { max } else { raw % (max + 1) },
            }
        })
}

/// One of [`STAGES`] or none; with up to three method throttles.
fn stage(index: usize) -> impl Strategy<Value = Option<Stage>> {
    let (api_id, stage, methods) = STAGES[index];
    proptest::option::of(
        proptest::collection::btree_map(select(methods), throttle(), 0..=methods.len().min(3))
            .prop_map(move |methods| Stage {
                api_id,
                stage,
                methods,
            }),
    )
}

fn tag_key() -> impl Strategy<Value = String> {
    prop_oneof![
        2 => select(vec![
            "team",
            "cost-center",
            "Name",
            "a:b",
            "with space",
            " lead",
            "trail ",
            "ünïcödé",
            "計画",
            "x/y=z+@-_.",
            "Tollgate:Upper",
            "123",
            "null",
            // tollgate's own records: never exported, never compared.
            "tollgate:grant:key0AbCdEf:SUP-1",
            "tollgate:creation",
        ])
        .prop_map(String::from),
        1 => Just("k".repeat(128)),
        // The characters AWS allows in tags.
        1 => "[a-zA-Z0-9 _.:/=+@-]{1,20}",
    ]
    .prop_filter("aws: keys are AWS's", |key| {
        !key.to_ascii_lowercase().starts_with("aws:")
    })
}

fn tag_value() -> impl Strategy<Value = String> {
    prop_oneof![
        2 => select(vec![
            "",
            "payments",
            " padded ",
            "ünï 計画",
            "a:b/c=d+e@f-g_h.i",
            "123",
            "true",
            "null",
            "~",
            "1e3",
        ])
        .prop_map(String::from),
        1 => Just("v".repeat(256)),
        1 => "[a-zA-Z0-9 _.:/=+@-]{0,20}",
    ]
}

/// No tags, a few, or as many as tollgate lets a plan declare (49) with up to one of
/// tollgate's own records besides (50, AWS's limit).
fn tags() -> impl Strategy<Value = BTreeMap<String, String>> {
    prop_oneof![
        2 => Just(BTreeMap::new()),
        3 => proptest::collection::btree_map(tag_key(), tag_value(), 1..6),
        1 => (tag_value(), any::<bool>()).prop_map(|(value, record)| {
            let mut tags: BTreeMap<String, String> =
                (0..49).map(|i| (format!("tag {i:02}"), value.clone())).collect();
            if record {
                tags.insert("tollgate:creation".into(), "token".into());
            }
            tags
        }),
    ]
}

fn plan() -> impl Strategy<Value = Plan> {
    (
        any::<bool>(),
        odd_name(),
        proptest::option::of(description()),
        proptest::option::of(product_code()),
        proptest::option::of(throttle()),
        proptest::option::of(quota()),
        (stage(0), stage(1), stage(2), stage(3)),
        proptest::collection::btree_set(0..KEY_IDS.len(), 0..=3),
        tags(),
    )
        .prop_map(
            |(pinned, name, description, product_code, throttle, quota, stages, keys, tags)| {
                let mut stages: Vec<Stage> = [stages.0, stages.1, stages.2, stages.3]
                    .into_iter()
                    .flatten()
                    .collect();
                if throttle.is_none() {
                    // AWS refuses method throttles without a plan-level throttle.
                    stages.iter_mut().for_each(|stage| stage.methods.clear());
                }
                Plan {
                    pinned,
                    name,
                    description,
                    product_code,
                    throttle,
                    quota,
                    stages,
                    keys,
                    tags,
                }
            },
        )
}

fn account() -> impl Strategy<Value = Account> {
    (
        proptest::collection::vec("[!-~]{20,64}", KEY_IDS.len()),
        proptest::collection::vec(plan(), 1..=8),
        // Some plans take the name of an earlier one.
        proptest::collection::vec(proptest::option::weighted(0.3, any::<Index>()), 8),
    )
        .prop_map(|(key_values, mut plans, shared_names)| {
            for i in 1..plans.len() {
                if let Some(earlier) = &shared_names[i] {
                    plans[i].name = plans[earlier.index(i)].name.clone();
                }
            }
            // AWS refuses a key on two plans that share a stage: the later plan loses it.
            for i in 0..plans.len() {
                let (earlier, rest) = plans.split_at_mut(i);
                let plan = &mut rest[0];
                plan.keys.retain(|key| {
                    !earlier.iter().any(|other| {
                        other.keys.contains(key)
                            && other.stages.iter().any(|a| {
                                plan.stages
                                    .iter()
                                    .any(|b| (a.api_id, a.stage) == (b.api_id, b.stage))
                            })
                    })
                });
            }
            Account { key_values, plans }
        })
}

// ---------------------------------------------------------------------------------------
// The seed, and the round trip
// ---------------------------------------------------------------------------------------

fn throttle_json(throttle: Throttle) -> Value {
    json!({ "rateLimit": throttle.rate_limit, "burstLimit": throttle.burst_limit })
}

/// The emulator's seed for `account`, as JSON (which is YAML).
fn seed(account: &Account) -> String {
    let api_keys: Vec<Value> = KEY_IDS
        .iter()
        .zip(&account.key_values)
        .enumerate()
        .map(|(i, (id, value))| json!({ "id": id, "name": format!("key {i}"), "value": value }))
        .collect();
    let usage_plans: Vec<Value> = account
        .plans
        .iter()
        .enumerate()
        .map(|(i, plan)| {
            let mut seeded = Map::new();
            if plan.pinned {
                seeded.insert("id".into(), json!(format!("up{i:08}")));
            }
            seeded.insert("name".into(), json!(plan.name));
            if let Some(description) = &plan.description {
                seeded.insert("description".into(), json!(description));
            }
            if let Some(code) = &plan.product_code {
                seeded.insert("productCode".into(), json!(code));
            }
            if let Some(throttle) = plan.throttle {
                seeded.insert("throttle".into(), throttle_json(throttle));
            }
            if let Some(quota) = plan.quota {
                seeded.insert(
                    "quota".into(),
                    json!({ "limit": quota.limit, "period": quota.period, "offset": quota.offset }),
                );
            }
            let stages: Vec<Value> = plan
                .stages
                .iter()
                .map(|stage| {
                    let mut seeded = json!({ "apiId": stage.api_id, "stage": stage.stage });
                    if !stage.methods.is_empty() {
                        let methods: Map<String, Value> = stage
                            .methods
                            .iter()
                            .map(|(key, throttle)| ((*key).to_owned(), throttle_json(*throttle)))
                            .collect();
                        seeded["throttle"] = Value::Object(methods);
                    }
                    seeded
                })
                .collect();
            seeded.insert("apiStages".into(), json!(stages));
            seeded.insert("tags".into(), json!(plan.tags));
            let keys: Vec<&str> = plan.keys.iter().map(|&k| KEY_IDS[k]).collect();
            seeded.insert("keys".into(), json!(keys));
            Value::Object(seeded)
        })
        .collect();
    let rest_apis: Value = serde_json::from_str(REST_APIS).expect("the REST APIs are JSON");
    serde_json::to_string_pretty(&json!({
        "region": "us-east-1",
        "restApis": rest_apis,
        "apiKeys": api_keys,
        "usagePlans": usage_plans,
    }))
    .expect("the seed is JSON")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// No API key's value in `written`.
fn no_secret(account: &Account, what: &str, written: &str) -> Result<(), TestCaseError> {
    for value in &account.key_values {
        prop_assert!(
            !written.contains(value.as_str()),
            "{} holds an API key's value {:?}:\n{}",
            what,
            value,
            written
        );
    }
    Ok(())
}

/// `validate PATH` exits 0, and `plan --detailed-exitcode PATH` exits 0 with every live
/// plan managed and unchanged.
fn check_round_trip(
    env: &Env,
    plans: usize,
    path: &Path,
    shown: &str,
) -> Result<(), TestCaseError> {
    let validate = env.run(&["validate"], path);
    prop_assert_eq!(
        validate.status.code(),
        Some(0),
        "validate refuses the export:\n{}\n{}\nthe export:\n{}",
        text(&validate.stdout),
        text(&validate.stderr),
        shown
    );
    let plan = env.run(&["plan", "--detailed-exitcode", "--format", "json"], path);
    prop_assert_eq!(
        plan.status.code(),
        Some(0),
        "plan on the export is not empty:\n{}\n{}\nthe export:\n{}",
        text(&plan.stdout),
        text(&plan.stderr),
        shown
    );
    let json = stdout_json(&plan);
    prop_assert_eq!(
        (&json["summary"]["unchanged"], &json["summary"]["unmanaged"]),
        (&json!(plans), &json!(0)),
        "every live plan is in the export, unchanged:\n{:#}\nthe export:\n{}",
        json,
        shown
    );
    Ok(())
}

fn export_round_trips(account: &Account) -> Result<(), TestCaseError> {
    let seed = seed(account);
    let env = Env::from_seed(&seed, Config::default());
    let plans = account.plans.len();

    // One document on stdout.
    let export = env
        .tollgate()
        .arg("export")
        .output()
        .expect("tollgate runs");
    prop_assert!(
        export.status.success(),
        "export fails:\n{}",
        text(&export.stderr)
    );
    let document = String::from_utf8(export.stdout).expect("the export is UTF-8");
    no_secret(account, "export's stdout", &document)?;
    no_secret(account, "export's stderr", &text(&export.stderr))?;
    let file = env.write("document/all.yaml", &document);
    check_round_trip(&env, plans, &file, &document)?;

    // One file per plan.
    let dir = env.dir.path().join("files");
    let export = env.run(&["export", "--out"], &dir);
    prop_assert!(
        export.status.success(),
        "export --out fails:\n{}",
        text(&export.stderr)
    );
    no_secret(account, "export --out's output", &text(&export.stdout))?;
    no_secret(account, "export --out's stderr", &text(&export.stderr))?;
    let mut files: Vec<(String, String)> = std::fs::read_dir(&dir)
        .expect("the export folder")
        .map(|entry| {
            let path = entry.expect("a folder entry").path();
            let name = path
                .file_name()
                .expect("a file name")
                .to_string_lossy()
                .into_owned();
            (
                name,
                std::fs::read_to_string(&path).expect("an exported file"),
            )
        })
        .collect();
    files.sort();
    let shown: String = files
        .iter()
        .map(|(name, text)| format!("--- {name}\n{text}"))
        .collect();
    prop_assert_eq!(files.len(), plans, "one file per plan:\n{}", shown);
    for (name, text) in &files {
        prop_assert!(
            name.ends_with(".yaml")
                && name
                    .trim_end_matches(".yaml")
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_'),
            "a file-safe name: {:?}",
            name
        );
        no_secret(account, name, text)?;
    }
    check_round_trip(&env, plans, &dir, &shown)
}

fn config() -> ProptestConfig {
    let mut config = ProptestConfig::default();
    if std::env::var_os("PROPTEST_CASES").is_none() {
        config.cases = 12;
    }
    if std::env::var_os("PROPTEST_RNG_SEED").is_none() {
        config.rng_seed = RngSeed::Fixed(0x7011_6a7e);
    }
    // Every case starts an emulator and runs the binary six times: keep shrinking short.
    config.max_shrink_iters = 200;
    // The seed is fixed, so the cases come back without a regressions file.
    config.failure_persistence = None;
    config
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn export_validates_and_plans_no_change(account in account()) {
        export_round_trips(&account)?;
    }
}

// ---------------------------------------------------------------------------------------
// Cases outside the property's domain, where the round trip does not hold
// ---------------------------------------------------------------------------------------

/// An account of pinned plans with these names and tags, and nothing else.
fn bare_account(plans: &[(&str, BTreeMap<String, String>)]) -> Account {
    Account {
        key_values: (0..KEY_IDS.len())
            .map(|i| format!("key-value-{i}-0123456789abcdef"))
            .collect(),
        plans: plans
            .iter()
            .map(|(name, tags)| Plan {
                pinned: true,
                name: (*name).to_owned(),
                description: None,
                product_code: None,
                throttle: None,
                quota: None,
                stages: Vec::new(),
                keys: BTreeSet::new(),
                tags: tags.clone(),
            })
            .collect(),
    }
}

/// Two plans named `Gold` (up00000000, up00000001) share the file stem `gold`, so they get
/// `gold-up00000000.yaml` and `gold-up00000001.yaml`; a third plan named `Gold up00000001`
/// has the plain stem `gold-up00000001`, the second's suffixed one: it must get a file of its
/// own (it once overwrote the second's, and `plan` on the folder still exited 0). Found by
/// the property above; this is the minimal input proptest printed.
#[test]
fn export_out_gives_every_plan_its_own_file_when_a_name_looks_like_a_suffixed_one() {
    let none = BTreeMap::new();
    let account = bare_account(&[
        ("Gold", none.clone()),
        ("Gold", none.clone()),
        ("Gold up00000001", none),
    ]);
    if let Err(error) = export_round_trips(&account) {
        panic!("{error}");
    }
}

/// AWS keeps 50 tags on a plan; a plan tagged outside tollgate with 50 tags of its own is
/// exported with all 50 and its `id` pin, and `validate` takes it: only a plan tollgate may
/// create (no pin) keeps one tag free for the creation marker. Found by the property above;
/// proptest's minimal input was one plan `Gold` with 50 tags of empty value.
#[test]
fn export_of_a_plan_with_fifty_tags_validates() {
    let tags = (0..50).map(|i| (format!("t{i}"), String::new())).collect();
    let account = bare_account(&[("Gold", tags)]);
    if let Err(error) = export_round_trips(&account) {
        panic!("{error}");
    }
}

/// An account of 10,000 plans with every field, names and texts of every awkward kind: its
/// export, as one document and as 10,000 files, validates and plans with no change (a
/// document this size once broke validate's YAML node budget).
#[test]
fn an_account_of_ten_thousand_plans_round_trips() {
    let method = |index: usize| {
        let (api_id, stage, methods) = STAGES[index];
        Stage {
            api_id,
            stage,
            methods: [(
                methods[0],
                Throttle {
                    rate_limit: 5.0,
                    burst_limit: 10,
                },
            )]
            .into(),
        }
    };
    let names = odd_names();
    let plans = (0..10_000)
        .map(|i: usize| Plan {
            pinned: i % 2 == 0,
            name: format!("{} #{i}", names[i % names.len()].trim()),
            description: Some(format!(
                "tier {i}: {}",
                ODD_TEXTS[(i + 1) % ODD_TEXTS.len()]
            )),
            product_code: Some(format!("code-{i}")),
            throttle: Some(Throttle {
                rate_limit: 12.5,
                burst_limit: 20,
            }),
            quota: Some(Quota {
                limit: 1_000 + i64::try_from(i).unwrap_or(0),
                period: ["DAY", "WEEK", "MONTH"][i % 3],
                offset: [0, 6, 27][i % 3],
            }),
            stages: vec![method(i % 2), method(3)],
            // A key may be on one plan of a stage only.
            keys: if i < KEY_IDS.len() {
                BTreeSet::from([i])
            } else {
                BTreeSet::new()
            },
            tags: BTreeMap::from([
                ("team".to_owned(), format!("t{i}")),
                ("tier".to_owned(), names[i % names.len()].to_owned()),
            ]),
        })
        .collect();
    let account = Account {
        key_values: (0..KEY_IDS.len())
            .map(|i| format!("key-value-{i}-0123456789abcdef"))
            .collect(),
        plans,
    };
    if let Err(error) = export_round_trips(&account) {
        panic!("{error}");
    }
}
