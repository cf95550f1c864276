//! Names in the YAML resolved against the account: a stage whose REST API is given by name
//! (`api: pets`) gets the API's id, or a located error when no API or more than one has
//! that name.

use std::collections::BTreeMap;

use crate::model::{DesiredPlan, RestApi, StageRef};
use crate::spec::SpecError;

/// Gives every named stage of `plans` its REST API's id from `apis` (the account's, in
/// `region`); every name that no API or several APIs have is an error at its place.
pub fn api_names(
    plans: &mut [DesiredPlan],
    apis: &[RestApi],
    region: &str,
) -> Result<(), Vec<SpecError>> {
    let mut by_name: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for api in apis {
        by_name.entry(&api.name).or_default().push(&api.id);
    }
    let mut errors = Vec::new();
    for plan in plans.iter_mut() {
        for named in std::mem::take(&mut plan.named_stages) {
            let ids = by_name
                .get(named.api.as_str())
                .map_or(&[][..], Vec::as_slice);
            let message = match ids {
                [id] => {
                    let reference = StageRef {
                        api_id: (*id).to_owned(),
                        stage: named.stage,
                    };
                    if !plan.body.stages.contains_key(&reference) {
                        plan.body.stages.insert(reference, named.throttle);
                        continue;
                    }
                    format!(
                        "`api: {}` is the REST API {id}, whose stage `{}` the plan also lists by \
                         `apiId`; list it once",
                        named.api, reference.stage
                    )
                }
                [] => format!(
                    "no REST API is named `{}` in {region}; check the name (names are compared \
                     exactly), or give the API's `apiId`",
                    named.api
                ),
                _ => format!(
                    "{} REST APIs are named `{}` in {region} ({}); give the one you mean by \
                     `apiId`",
                    ids.len(),
                    named.api,
                    ids.join(", ")
                ),
            };
            errors.push(SpecError {
                location: Some(named.location),
                message,
            });
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        errors.sort_by(|a, b| place(a).cmp(&place(b)));
        Err(errors)
    }
}

/// Where an error is, for ordering: file, line, column.
fn place(error: &SpecError) -> Option<(&str, usize, usize)> {
    let location = error.location.as_ref()?;
    Some((&location.path, location.line, location.column))
}
