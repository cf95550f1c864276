//! The reviewed YAML: a saved plan records the YAML paths it was planned from, and `apply FILE`
//! reads them again from the checkout it runs in (in a project, all of the target's paths,
//! which must hold the recorded ones). The file is applied only when every plan and
//! API key it creates, changes or deletes is declared there exactly as the file declares it, so
//! an edited or swapped file can do nothing the reviewed YAML does not say. Plans and keys the
//! file does not touch are not compared.

use std::path::{Component, Path, PathBuf};

use crate::model::{DesiredApiKey, DesiredPlan, LivePlan, PlanBody, SourceLocation, CREATION_TAG};
use crate::reconcile;
use crate::spec::Desired;

use super::file::SavedPlan;

/// The YAML `paths` as recorded in a saved plan: relative to `root` (the project file's folder,
/// or the working folder without one), with `/` between folders. A path outside `root` cannot
/// be read again from a checkout, and is an error naming it.
pub fn record(paths: &[PathBuf], root: &Path) -> Result<Vec<String>, String> {
    let canonical = |path: &Path| {
        path.canonicalize()
            .map_err(|error| format!("cannot resolve {}: {error}", path.display()))
    };
    let root = canonical(root)?;
    paths
        .iter()
        .map(|path| {
            let full = canonical(path)?;
            let relative = full.strip_prefix(&root).map_err(|_| {
                format!(
                    "{} is outside {}, so `apply FILE` could not read it again from the \
                     checkout; keep the YAML inside that folder",
                    path.display(),
                    root.display()
                )
            })?;
            let parts: Vec<String> = relative
                .components()
                .map(|part| part.as_os_str().to_string_lossy().into_owned())
                .collect();
            Ok(match parts.as_slice() {
                [] => ".".to_string(),
                _ => parts.join("/"),
            })
        })
        .collect()
}

/// The YAML to read in this checkout for a saved plan that recorded `recorded` (below `root`).
/// Each recorded path must be relative and stay inside `root` (no `..`, no absolute path):
/// anything else is an edited file. In a project, `target` are the paths the checkout's
/// project file gives the plan's target: every recorded path must lie within them (a file
/// cannot borrow another target's declarations), and they are what is read, all of them, so
/// that a plan or key the file deletes is looked for in all the target declares.
pub fn checkout_paths(
    recorded: &[String],
    root: &Path,
    target: Option<&[PathBuf]>,
) -> Result<Vec<PathBuf>, String> {
    if recorded.is_empty() {
        return Err("it records no YAML path".into());
    }
    let paths = recorded
        .iter()
        .map(|written| {
            let path = Path::new(written);
            let inside = path
                .components()
                .all(|part| matches!(part, Component::Normal(_) | Component::CurDir));
            if written.is_empty() || !inside {
                return Err(format!(
                    "its YAML path {written:?} is not a relative path inside the project"
                ));
            }
            Ok(match root == Path::new(".") {
                true => path.to_path_buf(),
                false => root.join(path),
            })
        })
        .collect::<Result<Vec<PathBuf>, String>>()?;
    let Some(target) = target else {
        return Ok(paths);
    };
    let resolved = |path: &Path| path.canonicalize().unwrap_or_else(|_| path.to_path_buf());
    let owned: Vec<PathBuf> = target.iter().map(|path| resolved(path)).collect();
    for (path, written) in paths.iter().zip(recorded) {
        let full = resolved(path);
        if !owned.iter().any(|own| full.starts_with(own)) {
            return Err(format!(
                "its YAML path {written:?} is not among its target's paths in the project file"
            ));
        }
    }
    Ok(target.to_vec())
}

/// The checkout's declarations that `saved` touches: the plans named or pinned like a plan it
/// creates, changes or deletes, and the keys named like a key it creates, changes or deletes.
/// Only these are resolved and compared, so the rest of the YAML may have moved on.
pub fn touched(saved: &SavedPlan, checkout: Desired) -> Desired {
    let identities = identities(saved);
    let deleted_names: Vec<&str> = saved
        .saved
        .deletions
        .iter()
        .map(|deletion| deletion.live.body.name.as_str())
        .collect();
    let deleted_ids: Vec<&str> = saved
        .saved
        .deletions
        .iter()
        .map(|deletion| deletion.live.id.as_str())
        .collect();
    let plans = checkout
        .plans
        .into_iter()
        .filter(|plan| {
            let named = |name: &str| plan.id.is_none() && plan.body.name == name;
            let pinned = |id: &str| plan.id.as_deref() == Some(id);
            identities
                .iter()
                .any(|identity| identity.is(&plan.id, &plan.body.name))
                || deleted_names.iter().any(|name| named(name))
                || deleted_ids.iter().any(|id| pinned(id))
        })
        .collect();
    let key_names = key_names(saved);
    let api_keys = checkout
        .api_keys
        .into_iter()
        .filter(|key| key_names.contains(&key.name.as_str()))
        .collect();
    Desired { plans, api_keys }
}

/// What the checkout (its touched declarations, names resolved as `plan` resolves them)
/// declares otherwise than `saved`, one sentence each; empty when the file does only what the
/// checkout's YAML says. `saved` has the keys an earlier apply of it created in place of their
/// placeholders, as the checkout's names resolve to them.
pub fn differences(saved: &SavedPlan, checkout: &Desired) -> Vec<String> {
    let mut found = Vec::new();
    for identity in identities(saved) {
        let declared: Vec<&DesiredPlan> = checkout
            .plans
            .iter()
            .filter(|plan| identity.is(&plan.id, &plan.body.name))
            .collect();
        let subject = format!(
            "usage plan \"{}\", which the file {},",
            identity.name, identity.does
        );
        match declared.as_slice() {
            [] => found.push(format!("{subject} is not declared in the YAML")),
            [plan] => {
                let parts = plan_differences(&identity.declared, plan);
                if !parts.is_empty() {
                    found.push(format!(
                        "{subject} is declared otherwise at {}: {}",
                        plan.location,
                        parts.join(", ")
                    ));
                }
            }
            several => found.push(format!(
                "{subject} is declared {} times ({})",
                several.len(),
                locations(several.iter().map(|plan| &plan.location))
            )),
        }
    }
    for deletion in &saved.saved.deletions {
        let live = &deletion.live;
        let declared = checkout.plans.iter().filter(|plan| match &plan.id {
            Some(id) => *id == live.id,
            None => plan.body.name == live.body.name,
        });
        let declared: Vec<&SourceLocation> = declared.map(|plan| &plan.location).collect();
        if !declared.is_empty() {
            found.push(format!(
                "usage plan \"{}\" ({}), which the file deletes as an orphan, is declared at {}",
                live.body.name,
                live.id,
                locations(declared.into_iter())
            ));
        }
    }
    for key in &saved.saved.api_keys {
        let name = &key.declared.name;
        let does = if key.live.is_some() {
            "changes"
        } else {
            "creates"
        };
        let subject = format!("API key \"{name}\", which the file {does},");
        match checkout
            .api_keys
            .iter()
            .find(|declared| declared.name == *name)
        {
            None => found.push(format!("{subject} is not declared in the YAML")),
            Some(declared) => {
                let parts = key_differences(&key.declared, declared);
                if !parts.is_empty() {
                    found.push(format!(
                        "{subject} is declared otherwise at {}: {}",
                        declared.location,
                        parts.join(", ")
                    ));
                }
            }
        }
    }
    for key in &saved.saved.deleted_keys {
        if let Some(declared) = checkout
            .api_keys
            .iter()
            .find(|declared| declared.name == key.name)
        {
            found.push(format!(
                "API key \"{}\" ({}), which the file deletes as an orphan, is declared at {}",
                key.name, key.id, declared.location
            ));
        }
    }
    found
}

/// The plans `saved` creates or changes whose declaration in the checkout `plan` would match
/// to another live plan than the file's (or to one, for a plan the file creates that no
/// partial apply of it made), one sentence each: a file that pins a reviewed declaration to
/// another plan's id was edited. Errors of the matching itself (a name several live plans
/// have) count for the plans the file touches only.
pub fn misdirected(saved: &SavedPlan, checkout: &[DesiredPlan], live: &[LivePlan]) -> Vec<String> {
    let identities = identities(saved);
    let touched = |location: &SourceLocation| {
        checkout.iter().any(|plan| {
            plan.location == *location
                && identities
                    .iter()
                    .any(|identity| identity.is(&plan.id, &plan.body.name))
        })
    };
    let matching = match reconcile::match_plans(checkout, live) {
        Ok(matching) => matching,
        Err(errors) => {
            return errors
                .iter()
                .filter(|error| touched(error.location()))
                .map(|error| format!("{}: {error}", error.location()))
                .collect()
        }
    };
    let mut found = Vec::new();
    for identity in &identities {
        let Some(index) = checkout
            .iter()
            .position(|plan| identity.is(&plan.id, &plan.body.name))
        else {
            continue;
        };
        let lands = matching.matched[index].map(|i| &live[i]);
        let held = match (&identity.live_id, lands) {
            (Some(id), Some(plan)) => plan.id == *id,
            (None, None) => true,
            (None, Some(plan)) => {
                identity.creation_token.is_some()
                    && plan.tags.get(CREATION_TAG) == identity.creation_token.as_ref()
            }
            (Some(_), None) => false,
        };
        if !held {
            let file_has = identity.live_id.as_deref().unwrap_or("a new plan");
            let yaml_has = lands.map_or("a new plan", |plan| plan.id.as_str());
            found.push(format!(
                "usage plan \"{}\" at {}: the file applies it to {file_has}, and the YAML \
                 matches it to {yaml_has}",
                identity.name, checkout[index].location
            ));
        }
    }
    found
}

/// One plan a saved plan creates or changes, as a declaration identifies it.
struct Identity {
    /// Its name.
    name: String,
    /// The `id:` the YAML pins it with; `None` for a plan matched or created by name.
    id: Option<String>,
    /// What the file does to it, in words: `creates` or `changes`.
    does: &'static str,
    /// The declaration as the file holds it, its id as the YAML writes it.
    declared: DesiredPlan,
    /// The live plan the file changes; `None` for a plan it creates.
    live_id: Option<String>,
    /// For a plan it creates, the token its creation marker carries.
    creation_token: Option<String>,
}

impl Identity {
    /// Whether a declaration with `id` and `name` is this plan's.
    fn is(&self, id: &Option<String>, name: &str) -> bool {
        match &self.id {
            Some(pinned) => id.as_ref() == Some(pinned),
            None => id.is_none() && name == self.name,
        }
    }
}

/// The plans `saved` creates or changes (anything apply does to them), as declared.
fn identities(saved: &SavedPlan) -> Vec<Identity> {
    saved
        .saved
        .plans
        .iter()
        .filter_map(|entry| {
            let name = &entry.desired.body.name;
            let planned = saved.plan.entries.iter().find(|planned| {
                planned.name == *name && planned.id() == entry.desired.id.as_deref()
            })?;
            if !planned.has_work() {
                return None;
            }
            // A plan matched by name is pinned in the file; its YAML has no `id:`.
            let id = match entry.matched_by_name {
                true => None,
                false => entry.desired.id.clone(),
            };
            Some(Identity {
                name: name.clone(),
                does: if entry.live.is_some() {
                    "changes"
                } else {
                    "creates"
                },
                declared: DesiredPlan {
                    id: id.clone(),
                    ..entry.desired.clone()
                },
                id,
                live_id: entry.live.as_ref().map(|snapshot| snapshot.id.clone()),
                creation_token: entry.creation_token.clone(),
            })
        })
        .collect()
}

/// The names of the API keys `saved` creates, changes or deletes.
fn key_names(saved: &SavedPlan) -> Vec<&str> {
    let declared = saved.saved.api_keys.iter().map(|key| &key.declared.name);
    let deleted = saved.saved.deleted_keys.iter().map(|key| &key.name);
    declared.chain(deleted).map(String::as_str).collect()
}

/// The parts of a plan's declaration that differ, in words; where they are written is not
/// compared.
fn plan_differences(saved: &DesiredPlan, checkout: &DesiredPlan) -> Vec<&'static str> {
    // Every field is named, so that a new one is either compared or said to be a place. The
    // names of stages and keys are resolved into `stages` and `keys` by now.
    let DesiredPlan {
        body,
        id,
        tags,
        keys,
        adopt_stack,
        location: _,
        named_stages: _,
        named_keys: _,
        fields: _,
        refs: _,
    } = saved;
    let PlanBody {
        name,
        description,
        product_code,
        throttle,
        quota,
        stages,
    } = body;
    let now = &checkout.body;
    let parts = [
        ("`id`", *id != checkout.id),
        ("its name", *name != now.name),
        ("its description", *description != now.description),
        ("its productCode", *product_code != now.product_code),
        ("its quota", *quota != now.quota),
        ("its throttle", *throttle != now.throttle),
        ("its apiStages", *stages != now.stages),
        ("its tags", *tags != checkout.tags),
        ("its keys or grants", *keys != checkout.keys),
        ("its `adopt`", *adopt_stack != checkout.adopt_stack),
    ];
    parts
        .into_iter()
        .filter_map(|(part, differs)| differs.then_some(part))
        .collect()
}

/// The fields of a key's declaration that differ, in words; where it is written is not
/// compared.
fn key_differences(saved: &DesiredApiKey, checkout: &DesiredApiKey) -> Vec<&'static str> {
    let DesiredApiKey {
        name: _,
        description,
        enabled,
        customer_id,
        tags,
        value_from,
        location: _,
    } = saved;
    let parts = [
        ("description", *description != checkout.description),
        ("enabled", *enabled != checkout.enabled),
        ("customerId", *customer_id != checkout.customer_id),
        ("tags", *tags != checkout.tags),
        ("valueFrom", *value_from != checkout.value_from),
    ];
    parts
        .into_iter()
        .filter_map(|(part, differs)| differs.then_some(part))
        .collect()
}

/// Places, comma-separated.
fn locations<'a>(places: impl Iterator<Item = &'a SourceLocation>) -> String {
    places
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_recorded_relative_to_the_root_and_read_back_below_it() {
        let root = tempfile::tempdir().expect("a scratch folder");
        let plans = root.path().join("plans");
        std::fs::create_dir_all(plans.join("team")).expect("folders");
        std::fs::write(plans.join("team/gold.yaml"), "usagePlans: []\n").expect("write");
        let recorded = record(
            &[
                plans.clone(),
                plans.join("team/gold.yaml"),
                root.path().into(),
            ],
            root.path(),
        )
        .expect("inside the root");
        assert_eq!(recorded, ["plans", "plans/team/gold.yaml", "."]);
        let again = checkout_paths(&recorded, Path::new("repo"), None).expect("relative");
        assert_eq!(again[1], Path::new("repo/plans/team/gold.yaml"));

        let elsewhere = tempfile::tempdir().expect("another folder");
        let outside = record(&[elsewhere.path().into()], root.path()).unwrap_err();
        assert!(outside.contains("is outside"), "{outside}");
    }

    #[test]
    fn recorded_paths_leaving_the_checkout_are_refused() {
        for edited in ["../secrets.yaml", "/etc/passwd", "plans/../../x.yaml", ""] {
            let refused =
                checkout_paths(&[edited.to_string()], Path::new("repo"), None).unwrap_err();
            assert!(
                refused.contains("not a relative path"),
                "{edited}: {refused}"
            );
        }
        assert!(checkout_paths(&[], Path::new("repo"), None).is_err());
    }

    #[test]
    fn in_a_project_the_targets_own_paths_are_read_and_no_other_targets() {
        let root = tempfile::tempdir().expect("a scratch folder");
        for folder in ["prod/plans", "staging"] {
            std::fs::create_dir_all(root.path().join(folder)).expect("folders");
        }
        let prod = [root.path().join("prod")];
        let recorded = ["prod/plans".to_string()];
        let read = checkout_paths(&recorded, root.path(), Some(&prod)).expect("within prod");
        assert_eq!(read, prod, "all of the target's paths");
        let borrowed = ["staging".to_string()];
        let refused = checkout_paths(&borrowed, root.path(), Some(&prod)).unwrap_err();
        assert!(
            refused.contains("not among its target's paths"),
            "{refused}"
        );
    }
}
