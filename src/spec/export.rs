//! The live plans written back as YAML in tollgate's own format, so that `plan` on the
//! result reports no change.

use super::yaml::{self, Document, UsagePlan};
use crate::model::{managed_tags, LivePlan, Names, PlanBody};
use serde_saphyr::SerializeError;
use std::collections::{BTreeMap, BTreeSet};

/// One live plan to export, with its key associations (always read for export).
pub struct ExportPlan<'a> {
    /// The live plan.
    pub plan: &'a LivePlan,
    /// The ids of the API keys associated with it.
    pub keys: &'a BTreeSet<String>,
}

/// All plans as one YAML document (`usagePlans: [...]`), sorted by name.
pub fn document(plans: &[ExportPlan], names: &Names) -> Result<String, SerializeError> {
    let mut sorted: Vec<&ExportPlan> = plans.iter().collect();
    sorted.sort_by(|a, b| (&a.plan.body.name, &a.plan.id).cmp(&(&b.plan.body.name, &b.plan.id)));
    write(
        sorted
            .into_iter()
            .map(|plan| usage_plan(plan, names))
            .collect(),
    )
}

/// One document per plan with a file-safe, unique file name (`gold.yaml`, collisions get the
/// id), sorted by file name.
pub fn files(plans: &[ExportPlan], names: &Names) -> Result<Vec<(String, String)>, SerializeError> {
    let bases: Vec<String> = plans
        .iter()
        .map(|plan| file_safe(&plan.plan.body.name))
        .collect();
    // A name shared by several plans gets `-{id}`; so does a plan whose plain stem equals a
    // suffixed one (`Gold up00000001` beside a second `Gold` of id up00000001), until every
    // stem is unique (ids are).
    let mut stems = bases.clone();
    let mut suffixed = vec![false; plans.len()];
    loop {
        let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
        for stem in &stems {
            *counts.entry(stem).or_default() += 1;
        }
        let clashing: Vec<usize> = (0..stems.len())
            .filter(|&index| counts[stems[index].as_str()] > 1 && !suffixed[index])
            .collect();
        if clashing.is_empty() {
            break;
        }
        for index in clashing {
            stems[index] = format!("{}-{}", bases[index], file_safe(&plans[index].plan.id));
            suffixed[index] = true;
        }
    }
    let mut files = plans
        .iter()
        .zip(&stems)
        .map(|(plan, stem)| {
            let text = write(vec![usage_plan(plan, names)])?;
            Ok((format!("{stem}.yaml"), text))
        })
        .collect::<Result<Vec<_>, SerializeError>>()?;
    files.sort();
    Ok(files)
}

fn write(usage_plans: Vec<UsagePlan>) -> Result<String, SerializeError> {
    yaml_text(&Document {
        usage_plans,
        api_keys: Vec::new(),
    })
}

/// A plan's body as the YAML declares it (no id pin, tags or keys): what the plan diffs show.
pub fn body(body: &PlanBody) -> Result<String, SerializeError> {
    yaml_text(&UsagePlan::of_body(body))
}

/// The one way tollgate writes YAML.
fn yaml_text(value: &impl serde::Serialize) -> Result<String, SerializeError> {
    let options = serde_saphyr::ser_options! { compact_list_indent: false };
    serde_saphyr::to_string_with_options(value, options)
}

/// A name as a file stem: lowercase ASCII letters, digits, `-` and `_`; anything else
/// becomes one `-`.
fn file_safe(name: &str) -> String {
    let mut stem = String::new();
    for c in name.chars() {
        if c.is_ascii_alphanumeric() || c == '_' {
            stem.push(c.to_ascii_lowercase());
        } else if !stem.is_empty() && !stem.ends_with('-') {
            stem.push('-');
        }
    }
    let stem = stem.trim_end_matches('-');
    if stem.is_empty() {
        "plan".to_owned()
    } else {
        stem.to_owned()
    }
}

/// A live plan as the YAML declares it, its APIs and keys by name where `names` has one.
fn usage_plan(export: &ExportPlan, names: &Names) -> UsagePlan {
    let tags = managed_tags(&export.plan.tags);
    let keys: Vec<yaml::ApiKey> = export
        .keys
        .iter()
        .map(|id| match names.api_keys.get(id) {
            Some(name) => yaml::ApiKey {
                id: None,
                name: Some(name.clone()),
                grants: Vec::new(),
            },
            None => yaml::ApiKey {
                id: Some(id.clone()),
                name: None,
                grants: Vec::new(),
            },
        })
        .collect();
    let mut plan = UsagePlan {
        id: Some(export.plan.id.clone()),
        tags: Some(tags.into_iter().collect()).filter(|tags: &BTreeMap<_, _>| !tags.is_empty()),
        keys: Some(keys).filter(|keys| !keys.is_empty()),
        ..UsagePlan::of_body(&export.plan.body)
    };
    for stage in &mut plan.api_stages {
        if let Some(name) = stage.api_id.as_ref().and_then(|id| names.rest_apis.get(id)) {
            stage.api = Some(name.clone());
            stage.api_id = None;
        }
    }
    plan
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{DesiredPlan, Named, Period, PlanBody, Quota, StageRef, Tags, Throttle};
    use crate::spec::load;
    use std::path::PathBuf;

    /// The document of `plans`, every API and key by id.
    fn document_of(plans: &[ExportPlan]) -> Result<String, SerializeError> {
        document(plans, &Names::default())
    }

    fn gold() -> LivePlan {
        let stage = StageRef {
            api_id: "a1b2c3d4e5".into(),
            stage: "prod".into(),
        };
        let methods = [
            (
                "/pets/GET".to_owned(),
                Throttle {
                    rate_limit: 12.5,
                    burst_limit: 20,
                },
            ),
            (
                "//ANY".to_owned(),
                Throttle {
                    rate_limit: 0.25,
                    burst_limit: 0,
                },
            ),
        ];
        LivePlan {
            id: "ywbqww".into(),
            body: PlanBody {
                name: "Gold: paying customers".into(),
                description: "true".into(),
                product_code: Some("prod-gold".into()),
                throttle: Some(Throttle {
                    rate_limit: 100.0,
                    burst_limit: 200,
                }),
                quota: Some(Quota {
                    limit: 100_000,
                    offset: 3,
                    period: Period::Month,
                }),
                stages: [(stage, methods.into_iter().collect())]
                    .into_iter()
                    .collect(),
            },
            tags: [
                ("team", "payments"),
                ("cost-center", "0042"),
                ("note", "a long tag value that goes on and on, well past the eighty characters at which YAML writers fold"),
                ("tollgate:grant:k:g", "applied"),
                ("aws:cloudformation:stack-name", "s"),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect(),
        }
    }

    fn bare(id: &str, name: &str) -> LivePlan {
        LivePlan {
            id: id.into(),
            body: PlanBody {
                name: name.into(),
                ..PlanBody::default()
            },
            tags: Tags::new(),
        }
    }

    fn load_text(dir: &tempfile::TempDir, name: &str, text: &str) -> Vec<DesiredPlan> {
        let path = dir.path().join(name);
        std::fs::write(&path, text).expect("write");
        load(&[PathBuf::from(&path)])
            .unwrap_or_else(|errors| panic!("{errors}\n{text}"))
            .plans
    }

    /// What a desired plan says about a live plan once loaded: nothing to change.
    fn assert_round_trip(live: &LivePlan, keys: &BTreeSet<String>, desired: &DesiredPlan) {
        assert_eq!(desired.body, live.body);
        assert_eq!(desired.id.as_deref(), Some(live.id.as_str()));
        assert_eq!(
            desired.tags.clone().unwrap_or_default(),
            managed_tags(&live.tags)
        );
        let desired_keys: BTreeSet<String> = desired
            .keys
            .iter()
            .flatten()
            .map(|key| key.id.clone())
            .collect();
        assert_eq!(&desired_keys, keys);
    }

    #[test]
    fn exported_plans_load_back_unchanged() {
        let dir = tempfile::tempdir().expect("tempdir");
        let plans = [gold(), bare("k2k2k2", "Bronze")];
        let keys = [
            [
                "3JX4ISs7Ik23cDsgiaJdu6SiLffQpIsU7AyTMALs6".to_owned(),
                "9QZ1".to_owned(),
            ]
            .into_iter()
            .collect(),
            BTreeSet::new(),
        ];
        let export: Vec<ExportPlan> = plans
            .iter()
            .zip(&keys)
            .map(|(plan, keys)| ExportPlan { plan, keys })
            .collect();

        let loaded = load_text(
            &dir,
            "all.yaml",
            &document(&export, &Names::default()).expect("writes"),
        );
        assert_eq!(loaded.len(), 2);
        assert_round_trip(&plans[1], &keys[1], &loaded[0]);
        assert_round_trip(&plans[0], &keys[0], &loaded[1]);

        for (name, text) in files(&export, &Names::default()).expect("writes") {
            let loaded = load_text(&dir, &name, &text);
            let index = usize::from(name == "bronze.yaml");
            assert_round_trip(&plans[index], &keys[index], &loaded[0]);
        }
    }

    #[test]
    fn export_leaves_out_what_is_absent_and_reserved() {
        let none = BTreeSet::new();
        let text = document_of(&[ExportPlan {
            plan: &bare("k2k2k2", "Bronze"),
            keys: &none,
        }])
        .expect("writes");
        assert_eq!(text, "usagePlans:\n  - name: Bronze\n    id: k2k2k2\n");
        let gold = gold();
        let text = document_of(&[ExportPlan {
            plan: &gold,
            keys: &none,
        }])
        .expect("writes");
        assert!(text.contains("rateLimit: 100\n"), "{text}");
        assert!(text.contains(": {rateLimit: 12.5, burstLimit: "), "{text}");
        assert!(
            !text.contains("tollgate:") && !text.contains("aws:"),
            "{text}"
        );
    }

    #[test]
    fn the_document_is_sorted_by_name() {
        let none = BTreeSet::new();
        let (b, a) = (bare("1", "Beta"), bare("2", "Alpha"));
        let text = document_of(&[
            ExportPlan {
                plan: &b,
                keys: &none,
            },
            ExportPlan {
                plan: &a,
                keys: &none,
            },
        ])
        .expect("writes");
        assert!(text.find("Alpha") < text.find("Beta"), "{text}");
    }

    #[test]
    fn file_names_are_safe_and_unique() {
        assert_eq!(file_safe("Gold"), "gold");
        assert_eq!(
            file_safe("Gold: paying / customers!"),
            "gold-paying-customers"
        );
        assert_eq!(file_safe("../etc/passwd"), "etc-passwd");
        assert_eq!(file_safe("Ünïcode"), "n-code");
        assert_eq!(file_safe("***"), "plan");
        let none = BTreeSet::new();
        let plans = [bare("a1", "Gold"), bare("b2", "gold"), bare("c3", "Silver")];
        let export: Vec<ExportPlan> = plans
            .iter()
            .map(|plan| ExportPlan { plan, keys: &none })
            .collect();
        let names: Vec<String> = files(&export, &Names::default())
            .expect("writes")
            .into_iter()
            .map(|(name, _)| name)
            .collect();
        assert_eq!(names, vec!["gold-a1.yaml", "gold-b2.yaml", "silver.yaml"]);
    }

    #[test]
    fn strings_yaml_would_read_otherwise_are_written_so_that_they_read_back() {
        let awkward = [
            "a: b",
            "ends with:",
            "x #y",
            "- item",
            "*alias",
            "&anchor",
            "!tag",
            "123",
            "0123",
            "1.10",
            "1e3",
            "Yes",
            "true",
            "~",
            "null",
            " padded",
            "padded ",
            "two\nlines \"q\" \\",
            "bell\u{7}",
            "[list]",
            "{map}",
            "%percent",
            "@at",
            "`tick`",
            "'single'",
            "ünïcode",
        ];
        for text in awkward {
            // Names and other one-line values refuse control characters; a description
            // holds any text.
            let line = if text.chars().any(char::is_control) {
                "one line"
            } else {
                text
            };
            let mut plan = bare("k1", line);
            plan.body.description = text.to_owned();
            plan.body.product_code = Some(line.to_owned());
            let none = BTreeSet::new();
            let yaml = document_of(&[ExportPlan {
                plan: &plan,
                keys: &none,
            }])
            .expect("writes");
            let decoded = crate::spec::decode::decode("p.yaml", &yaml);
            assert_eq!(decoded.errors, vec![], "{text:?} as {yaml}");
            let body = decoded.plans.first().map(|declared| &declared.plan.body);
            assert_eq!(body, Some(&plan.body), "{text:?} as {yaml}");
        }
    }

    #[test]
    fn apis_and_keys_are_written_by_name_when_no_other_has_it() {
        let named = |id: &str, name: &str| Named {
            id: id.to_owned(),
            name: name.to_owned(),
        };
        let apis = [
            named("a1b2c3d4e5", "pets"),
            named("z1", "shop"),
            named("z2", "shop"),
        ];
        let keys = [
            named("k1", "acme"),
            named("k2", "twin"),
            named("k3", "twin"),
        ];
        let names = Names::unique(&apis, &keys);
        let mut plan = gold();
        plan.body.stages.insert(
            StageRef {
                api_id: "z1".into(),
                stage: "prod".into(),
            },
            Default::default(),
        );
        let keys: BTreeSet<String> = ["k1", "k2"].map(str::to_owned).into();
        let text = document(
            &[ExportPlan {
                plan: &plan,
                keys: &keys,
            }],
            &names,
        )
        .expect("writes");
        assert!(text.contains("- api: pets\n"), "{text}");
        assert!(
            text.contains("- apiId: z1\n"),
            "a shared name stays an id: {text}"
        );
        assert!(text.contains("- name: acme\n"), "{text}");
        assert!(text.contains("- id: k2\n"), "{text}");
        assert!(!text.contains("a1b2c3d4e5"), "{text}");
    }
}
