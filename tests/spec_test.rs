//! The YAML loader over fixture files: every error class reported as
//! `PATH:LINE:COLUMN: message`, and a valid folder that merges.

use std::path::PathBuf;
use tollgate::model::{DesiredKey, Grant, Period, Quota, StageRef, Throttle};
use tollgate::spec;

const FIXTURES: &str = "tests/fixtures/spec";

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(FIXTURES).join(name)
}

/// The error lines `load` reports for the fixtures `names`, one per error.
fn errors(names: &[&str]) -> Vec<String> {
    let paths: Vec<PathBuf> = names.iter().map(|name| fixture(name)).collect();
    match spec::load(&paths) {
        Ok(desired) => panic!("expected errors, loaded {} plans", desired.plans.len()),
        Err(errors) => errors.to_string().lines().map(str::to_owned).collect(),
    }
}

const METHOD_KEY_HELP: &str = "must be `{resourcePath}/{METHOD}` without `*`, METHOD one of \
    GET, POST, PUT, DELETE, PATCH, HEAD, OPTIONS, ANY; for example `/pets/GET`";

#[test]
fn every_error_in_a_file_is_reported_in_order() {
    let file = "tests/fixtures/spec/several_errors.yaml";
    assert_eq!(
        errors(&["several_errors.yaml"]),
        vec![
            format!("{file}:4:28: `rateLimit` must be a number >= 0, found -5"),
            format!("{file}:5:49: `offset` 9 is out of range for a WEEK quota; use 0 to 6"),
            format!("{file}:6:13: tag `tollgate:owner` is reserved: keys starting `tollgate:` or `aws:` belong to tollgate and AWS; remove it"),
            format!("{file}:8:5: unknown field `colour` in usage plan; expected one of `name`, `id`, `description`, `productCode`, `throttle`, `quota`, `apiStages`, `tags`, `keys`, `adopt`"),
            format!("{file}:13:9: method throttles need a plan-level throttle; add `throttle` to the plan"),
            format!("{file}:14:11: method throttle key `/pets/FETCH` {METHOD_KEY_HELP}"),
        ]
    );
}

#[test]
fn a_name_declared_twice_is_reported_at_the_second_naming_the_first() {
    assert_eq!(
        errors(&["duplicate_names"]),
        vec!["tests/fixtures/spec/duplicate_names/b.yaml:3:11: usage plan `Gold` is already declared at tests/fixtures/spec/duplicate_names/a.yaml:2:11; give each plan a unique name"]
    );
}

#[test]
fn a_name_declared_twice_is_allowed_when_each_pins_its_own_id() {
    let plans = spec::load(&[fixture("pinned_names")])
        .expect("each Gold is pinned")
        .plans;
    let pins: Vec<(&str, Option<&str>)> = plans
        .iter()
        .map(|plan| (plan.body.name.as_str(), plan.id.as_deref()))
        .collect();
    assert_eq!(
        pins,
        vec![("Gold", Some("ywbqww")), ("Gold", Some("o9a1c3"))]
    );
}

#[test]
fn a_name_declared_pinned_and_unpinned_is_still_declared_twice() {
    let file = "tests/fixtures/spec/half_pinned_names.yaml";
    assert_eq!(
        errors(&["half_pinned_names.yaml"]),
        vec![format!("{file}:4:11: usage plan `Gold` is already declared at {file}:2:11; give each plan a unique name")]
    );
}

#[test]
fn integers_aws_keeps_in_32_bits_are_bounded() {
    let file = "tests/fixtures/spec/beyond_32_bits.yaml";
    let most = "must be at most 2147483647, the largest AWS accepts, found";
    assert_eq!(
        errors(&["beyond_32_bits.yaml"]),
        vec![
            format!("{file}:3:52: `burstLimit` {most} 2147483648; lower it"),
            format!("{file}:4:21: `limit` {most} 3000000000; lower it"),
            format!("{file}:9:50: `burstLimit` {most} 4294967296; lower it"),
            format!("{file}:14:37: `remaining` {most} 2147483648; lower it"),
        ]
    );
}

#[test]
fn tags_fit_aws_limits_with_a_record_per_grant() {
    let file = "tests/fixtures/spec/too_many_tags.yaml";
    let key = "3JX4ISs7Ik23cDsgiaJdu6SiLffQpIsU7AyTMALs6";
    let long_key = "a".repeat(129);
    let long_grant = "G".repeat(80);
    assert_eq!(
        errors(&["too_many_tags.yaml"]),
        vec![
            format!("{file}:4:7: 50 tags and 3 grants make 53 tags: each grant keeps a tag `tollgate:grant:{{keyId}}:{{grantId}}` on the plan for good, and AWS keeps at most 50 on a plan and tollgate keeps one of them for the creation marker `tollgate:creation` of a plan it creates (pin the plan's `id` if it exists already); declare at most 49 tags and grants together"),
            format!("{file}:52:7: tag key `{long_key}` is 129 characters: AWS accepts at most 128; shorten it"),
            format!("{file}:53:19: the value of tag `long-value` is 257 characters: AWS accepts at most 256; shorten it"),
            format!("{file}:59:19: grant id `{long_grant}` is too long for key `{key}`: its record tag `tollgate:grant:{key}:{long_grant}` would be 137 characters and AWS accepts at most 128 in a tag key; shorten the grant id to at most 71 characters"),
        ]
    );
}

#[test]
fn a_duplicate_mapping_key_is_an_error() {
    assert_eq!(
        errors(&["duplicate_key.yaml"]),
        vec!["tests/fixtures/spec/duplicate_key.yaml:6:7: duplicate key `limit` (first set at line 4, column 7); keep one of them"]
    );
}

#[test]
fn an_unknown_field_names_the_fields_expected() {
    assert_eq!(
        errors(&["unknown_field.yaml"]),
        vec!["tests/fixtures/spec/unknown_field.yaml:4:7: unknown field `rateLimt` in throttle; expected one of `rateLimit`, `burstLimit`"]
    );
}

#[test]
fn a_wrong_type_is_an_error() {
    assert_eq!(
        errors(&["wrong_type.yaml"]),
        vec!["tests/fixtures/spec/wrong_type.yaml:4:14: expected an integer, found the string \"lots\""]
    );
}

#[test]
fn values_out_of_range_are_errors() {
    assert_eq!(
        errors(&["out_of_range.yaml"]),
        vec![
            "tests/fixtures/spec/out_of_range.yaml:3:44: `burstLimit` must be an integer >= 0, found -1",
            "tests/fixtures/spec/out_of_range.yaml:7:37: `remaining` must be an integer >= 0, found -100",
        ]
    );
}

#[test]
fn a_bad_period_lists_the_periods() {
    assert_eq!(
        errors(&["bad_period.yaml"]),
        vec!["tests/fixtures/spec/bad_period.yaml:3:34: unknown value `YEAR`; expected one of `DAY`, `WEEK`, `MONTH`"]
    );
}

#[test]
fn the_offset_must_fit_the_period() {
    assert_eq!(
        errors(&["bad_offset.yaml"]),
        vec![
            "tests/fixtures/spec/bad_offset.yaml:3:47: `offset` 3 is out of range for a DAY quota; use 0",
            "tests/fixtures/spec/bad_offset.yaml:5:49: `offset` 28 is out of range for a MONTH quota; use 0 to 27",
        ]
    );
}

#[test]
fn method_throttles_need_a_plan_throttle() {
    assert_eq!(
        errors(&["method_throttle_without_plan_throttle.yaml"]),
        vec!["tests/fixtures/spec/method_throttle_without_plan_throttle.yaml:6:9: method throttles need a plan-level throttle; add `throttle` to the plan"]
    );
}

#[test]
fn method_throttle_keys_are_path_and_method() {
    let file = "tests/fixtures/spec/bad_method_key.yaml";
    assert_eq!(
        errors(&["bad_method_key.yaml"]),
        vec![
            format!("{file}:8:11: method throttle key `*/*` {METHOD_KEY_HELP}"),
            format!("{file}:9:11: method throttle key `pets/GET` {METHOD_KEY_HELP}"),
        ]
    );
}

#[test]
fn errors_of_several_paths_come_together_and_a_missing_path_has_no_place() {
    assert_eq!(
        errors(&["no-such-file.yaml", "bad_period.yaml", "wrong_type.yaml"]),
        vec![
            "error: tests/fixtures/spec/no-such-file.yaml does not exist; give a YAML file or a folder of them",
            "tests/fixtures/spec/bad_period.yaml:3:34: unknown value `YEAR`; expected one of `DAY`, `WEEK`, `MONTH`",
            "tests/fixtures/spec/wrong_type.yaml:2:11: usage plan `Gold` is already declared at tests/fixtures/spec/bad_period.yaml:2:11; give each plan a unique name",
            "tests/fixtures/spec/wrong_type.yaml:4:14: expected an integer, found the string \"lots\"",
        ]
    );
}

#[test]
fn every_bad_leaf_of_one_block_is_reported() {
    let file = "tests/fixtures/spec/bad_leaves_in_one_block.yaml";
    assert_eq!(
        errors(&["bad_leaves_in_one_block.yaml"]),
        vec![
            format!("{file}:5:14: expected an integer, found the string \"lots\""),
            format!("{file}:6:15: unknown value `YEAR`; expected one of `DAY`, `WEEK`, `MONTH`"),
            format!("{file}:7:15: expected an integer, found the string \"soon\""),
            format!("{file}:8:7: unknown field `colour` in quota; expected one of `limit`, `period`, `offset`"),
            format!("{file}:9:28: expected a number, found the string \"fast\""),
            format!("{file}:9:46: `burstLimit` must be an integer >= 0, found -1"),
            format!("{file}:9:50: unknown field `burst` in throttle; expected one of `rateLimit`, `burstLimit`"),
        ]
    );
}

#[test]
fn bad_fields_in_every_block_of_one_plan_are_reported() {
    let file = "tests/fixtures/spec/bad_fields_in_several_blocks.yaml";
    assert_eq!(
        errors(&["bad_fields_in_several_blocks.yaml"]),
        vec![
            format!("{file}:4:18: expected a string, found a list"),
            format!("{file}:5:28: `rateLimit` must be a number >= 0, found -1"),
            format!("{file}:5:44: expected an integer, found the string \"many\""),
            format!("{file}:6:21: `limit` must be an integer >= 0, found -1"),
            format!("{file}:6:33: unknown value `YEAR`; expected one of `DAY`, `WEEK`, `MONTH`"),
            format!("{file}:11:50: expected an integer, found the string \"many\""),
            format!("{file}:12:11: method throttle key `/pets/FETCH` {METHOD_KEY_HELP}"),
            format!("{file}:13:9: missing field `stage` in api stage; add it"),
            format!("{file}:14:19: expected a string, found a list"),
            format!("{file}:14:31: tag `aws:x` is reserved: keys starting `tollgate:` or `aws:` belong to tollgate and AWS; remove it"),
            format!("{file}:18:37: expected an integer, found the string \"all\""),
            format!("{file}:19:37: `remaining` must be an integer >= 0, found -5"),
            format!("{file}:20:9: missing field `id` in api key; add it, or `name` with the key's name"),
        ]
    );
}

#[test]
fn a_plan_with_errors_still_declares_its_name() {
    let file = "tests/fixtures/spec/broken_plan_names.yaml";
    assert_eq!(
        errors(&["broken_plan_names.yaml"]),
        vec![
            format!("{file}:4:21: `limit` must be an integer >= 0, found -1"),
            format!("{file}:4:33: unknown value `YEAR`; expected one of `DAY`, `WEEK`, `MONTH`"),
            format!("{file}:5:11: usage plan `A` is already declared at {file}:3:11; give each plan a unique name"),
            format!("{file}:7:46: unknown field `burst` in throttle; expected one of `rateLimit`, `burstLimit`"),
            format!("{file}:8:5: unknown field `colour` in usage plan; expected one of `name`, `id`, `description`, `productCode`, `throttle`, `quota`, `apiStages`, `tags`, `keys`, `adopt`"),
            format!("{file}:9:11: usage plan `B` is already declared at {file}:6:11; give each plan a unique name"),
        ]
    );
}

#[test]
fn a_valid_folder_merges_its_yaml_files_in_sorted_order() {
    let plans = spec::load(&[fixture("valid")])
        .expect("the folder is valid")
        .plans;
    let names: Vec<&str> = plans.iter().map(|plan| plan.body.name.as_str()).collect();
    assert_eq!(names, vec!["Gold", "Silver", "Bronze"]);
    assert_eq!(
        plans[1].location.path,
        "tests/fixtures/spec/valid/more/silver.yml"
    );
    assert_eq!((plans[1].location.line, plans[1].location.column), (2, 11));

    let gold = &plans[0];
    assert_eq!(gold.id.as_deref(), Some("ywbqww"));
    assert_eq!(gold.body.description, "Paying customers");
    assert_eq!(gold.body.product_code.as_deref(), Some("prod-gold"));
    assert_eq!(
        gold.body.throttle,
        Some(Throttle {
            rate_limit: 12.5,
            burst_limit: 200
        })
    );
    assert_eq!(
        gold.body.quota,
        Some(Quota {
            limit: 100_000,
            offset: 3,
            period: Period::Month
        })
    );
    let stage = StageRef {
        api_id: "a1b2c3d4e5".into(),
        stage: "prod".into(),
    };
    let methods = &gold.body.stages[&stage];
    assert_eq!(
        methods.keys().collect::<Vec<_>>(),
        vec!["//ANY", "/pets/GET"]
    );
    let tags = gold.tags.as_ref().expect("tags");
    assert_eq!(tags.get("cost-center").map(String::as_str), Some("0042"));
    assert_eq!(
        gold.keys,
        Some(vec![DesiredKey {
            id: "3JX4ISs7Ik23cDsgiaJdu6SiLffQpIsU7AyTMALs6".into(),
            grants: vec![Grant {
                id: "SUP-1234".into(),
                remaining: 5000
            }],
        }])
    );

    let silver = &plans[1];
    assert_eq!(silver.body.description, "");
    assert_eq!((silver.tags.as_ref(), silver.keys.as_ref()), (None, None));
}

#[test]
fn a_file_reached_twice_is_read_once() {
    let plans = spec::load(&[fixture("valid"), fixture("valid/gold.yaml")])
        .expect("valid")
        .plans;
    assert_eq!(plans.len(), 3);
}

#[cfg(unix)]
#[test]
fn a_symbolic_link_that_loops_is_an_error_and_is_not_followed() {
    let dir = tempfile::tempdir().expect("a scratch folder");
    let plans = dir.path().join("plans");
    std::fs::create_dir_all(plans.join("team")).expect("folders");
    std::fs::write(plans.join("gold.yaml"), "usagePlans:\n  - name: Gold\n").expect("YAML");
    std::fs::write(
        plans.join("team/silver.yml"),
        "usagePlans:\n  - name: Silver\n",
    )
    .expect("YAML");
    // team/up -> .. (plans): walking it would never end.
    std::os::unix::fs::symlink("..", plans.join("team/up")).expect("symlink");
    let errors = match spec::load(std::slice::from_ref(&plans)) {
        Ok(loaded) => panic!(
            "expected the loop reported, loaded {} plans",
            loaded.plans.len()
        ),
        Err(errors) => errors.to_string(),
    };
    let link = plans.join("team/up");
    assert_eq!(
        errors,
        format!(
            "error: {} is a symbolic link back to {}, which holds it: a loop, not followed; \
             remove the link",
            link.display(),
            plans.display()
        )
    );
    // A link that does not loop is followed.
    std::fs::remove_file(&link).expect("unlink");
    let elsewhere = dir.path().join("shared");
    std::fs::create_dir_all(&elsewhere).expect("folder");
    std::fs::write(
        elsewhere.join("bronze.yaml"),
        "usagePlans:\n  - name: Bronze\n",
    )
    .expect("YAML");
    std::os::unix::fs::symlink(&elsewhere, plans.join("team/shared")).expect("symlink");
    let loaded = spec::load(&[plans]).expect("valid").plans;
    let names: Vec<&str> = loaded.iter().map(|plan| plan.body.name.as_str()).collect();
    assert_eq!(names, ["Gold", "Bronze", "Silver"], "in sorted path order");
}

/// The errors `load` reports for one file holding `text`.
fn errors_of_text(text: &str) -> Vec<String> {
    let dir = tempfile::tempdir().expect("a scratch folder");
    let path = dir.path().join("p.yaml");
    std::fs::write(&path, text).expect("YAML");
    match spec::load(&[path]) {
        Ok(desired) => panic!("expected errors, loaded {} plans", desired.plans.len()),
        Err(errors) => errors
            .to_string()
            .lines()
            .map(|line| line.replace(&dir.path().display().to_string(), "DIR"))
            .collect(),
    }
}

#[test]
fn an_export_sized_document_of_ten_thousand_plans_reads_back() {
    let mut yaml = String::from("usagePlans:\n");
    for plan in 0..10_000 {
        yaml.push_str(&format!(
            "  - name: \"plan #{plan}: gold/ünïcode\"\n    id: id{plan:08}\n    \
             description: the plan number {plan}\n    throttle: {{ rateLimit: 12.5, burstLimit: 20 }}\n    \
             quota: {{ limit: 1000, period: MONTH, offset: 3 }}\n    \
             apiStages:\n      - apiId: a1b2c3d4e5\n        stage: prod\n        throttle:\n          \
             /pets/GET: {{ rateLimit: 5, burstLimit: 10 }}\n    \
             keys: [ {{ id: key{plan}a }}, {{ id: key{plan}b }} ]\n    tags: {{ team: t{plan}, tier: gold }}\n"
        ));
    }
    let dir = tempfile::tempdir().expect("a scratch folder");
    let path = dir.path().join("export.yaml");
    std::fs::write(&path, &yaml).expect("YAML");
    let plans = spec::load(&[path])
        .expect("an export of 10,000 plans is valid")
        .plans;
    assert_eq!(plans.len(), 10_000);
}

#[test]
fn hostile_files_are_refused_with_a_located_error() {
    // A 100 MB file (sparse: no time spent writing it) is refused before it is read.
    let dir = tempfile::tempdir().expect("a scratch folder");
    let big = dir.path().join("big.yaml");
    std::fs::File::create(&big)
        .and_then(|file| file.set_len(100 * 1024 * 1024))
        .expect("a sparse file");
    let errors = match spec::load(std::slice::from_ref(&big)) {
        Ok(_) => panic!("a 100 MB file is refused"),
        Err(errors) => errors.to_string(),
    };
    assert_eq!(
        errors,
        format!(
            "{}:1:1: the file is 100 MiB and tollgate reads at most 32 MiB a file; split the \
             plans into several files in a folder",
            big.display()
        )
    );

    // An alias-expansion bomb ("billion laughs").
    let mut bomb = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
    for (level, name) in ["b", "c", "d", "e", "f", "g", "h", "i"].iter().enumerate() {
        let previous = if level == 0 {
            "a".to_string()
        } else {
            ["b", "c", "d", "e", "f", "g", "h"][level - 1].to_string()
        };
        bomb.push_str(&format!(
            "{name}: &{name} [*{previous}, *{previous}, *{previous}, *{previous}, *{previous}, *{previous}, *{previous}, *{previous}, *{previous}, *{previous}]\n"
        ));
    }
    let errors = errors_of_text(&bomb);
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].starts_with("DIR/p.yaml:"), "located: {errors:?}");

    // Nesting deeper than 64.
    let deep = format!("usagePlans: {}{}\n", "[".repeat(200), "]".repeat(200));
    let errors = errors_of_text(&deep);
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0].starts_with("DIR/p.yaml:1:"),
        "located: {errors:?}"
    );
}

#[test]
fn files_with_an_upper_case_extension_are_read_like_the_others() {
    let dir = tempfile::tempdir().expect("a scratch folder");
    for (file, name) in [("GOLD.YAML", "Gold"), ("silver.Yml", "Silver")] {
        std::fs::write(
            dir.path().join(file),
            format!("usagePlans:\n  - name: {name}\n"),
        )
        .expect("write");
    }
    let plans = spec::load(&[dir.path().to_path_buf()])
        .expect("valid")
        .plans;
    let names: Vec<&str> = plans.iter().map(|plan| plan.body.name.as_str()).collect();
    assert_eq!(names, ["Gold", "Silver"]);
}

#[test]
fn adopt_names_a_cloudformation_stack() {
    let plan = |adopt: &str| format!("usagePlans:\n  - name: Gold\n    adopt: {adopt}\n");
    let dir = tempfile::tempdir().expect("a scratch folder");
    let path = dir.path().join("p.yaml");
    std::fs::write(&path, plan("{ cloudFormationStack: payments-api }")).expect("YAML");
    let plans = spec::load(&[path]).expect("valid").plans;
    assert_eq!(plans[0].adopt_stack.as_deref(), Some("payments-api"));
    assert_eq!(
        errors_of_text(&plan("{ cloudFormationStack: payments_api }")),
        vec!["DIR/p.yaml:3:35: `cloudFormationStack` \"payments_api\" is not a CloudFormation stack name: a letter, then letters, digits and `-`, at most 128; copy the plan's tag `aws:cloudformation:stack-name`"]
    );
    assert_eq!(
        errors_of_text(&plan("{ stack: payments-api }")),
        vec!["DIR/p.yaml:3:14: unknown field `stack` in adopt; expected one of `cloudFormationStack`"]
    );
}
