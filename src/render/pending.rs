//! What to do about grants left pending that their keys' usage could not settle: the lines
//! the drift check (`plan --detailed-exitcode`) prints beside its exit status 2.

use crate::live::{resource_arn, Tagged};
use crate::model::{grant_tag, GRANT_APPLIED};
use crate::plan::Plan;

/// One line per pending grant the plan could not settle: which grant, why, and the two ways
/// to clear it (send it again, or record it as applied).
pub fn unsettled_lines(plan: &Plan) -> Vec<String> {
    plan.unsettled_grants()
        .map(|(entry, pending)| {
            let plan_id = entry.id().unwrap_or_default();
            format!(
                "{} ({plan_id}): grant {} to key {} is pending and not settled: {}. If it was not \
                 carried out, run `tollgate apply --retry-pending-grants`; if it was, record it: \
                 `aws apigateway tag-resource --resource-arn {} --tags {}={GRANT_APPLIED}`",
                entry.name,
                pending.grant_id,
                plan.names.key(&pending.key_id),
                pending.why,
                resource_arn(&plan.region, Tagged::Plan(plan_id)),
                grant_tag(&pending.key_id, &pending.grant_id)
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::fixtures;

    #[test]
    fn each_unsettled_grant_says_why_and_how_it_clears() {
        let plan = fixtures::every_change();
        let lines = unsettled_lines(&plan);
        assert_eq!(lines.len(), 2, "{lines:#?}");
        let bronze = lines
            .iter()
            .find(|line| line.starts_with("Bronze (brz001): grant SUP-0099"))
            .expect("Bronze's pending grant");
        assert!(bronze.contains("its record holds no usage"), "{bronze}");
        assert!(
            bronze.contains("--resource-arn arn:aws:apigateway:us-east-1::/usageplans/brz001 --tags tollgate:grant:7HB2KEY:SUP-0099=applied"),
            "{bronze}"
        );
        assert!(bronze.contains("tollgate apply --retry-pending-grants"));
    }
}
