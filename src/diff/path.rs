//! The paths of UpdateUsagePlan patch operations, in the form docs/aws.md gives ("The patch
//! grammar of UpdateUsagePlan").

use crate::model::StageRef;

/// The path that `add` and `remove` of a whole stage use (the stage travels as the value).
pub(crate) const API_STAGES: &str = "/apiStages";

/// The path of one method throttle of a stage:
/// `/apiStages/{apiId}:{stage}/throttle/{resourcePath}/{METHOD}`.
///
/// The throttle key (`/pets/GET`) is put in as it is, not `~1`-escaped, so the path holds a
/// double slash (`.../throttle//pets/GET`): the form Terraform's provider proved against AWS.
/// Its leaves are this path plus `/rateLimit` or `/burstLimit`.
pub(crate) fn method_throttle_path(stage: &StageRef, method_key: &str) -> String {
    format!("{API_STAGES}/{stage}/throttle/{method_key}")
}

/// The path of one leaf of a block: `{block}/{leaf}`, for example `/quota/limit`.
pub(crate) fn leaf_path(block: &str, leaf: &str) -> String {
    format!("{block}/{leaf}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stage() -> StageRef {
        StageRef {
            api_id: "a1b2c3".into(),
            stage: "prod".into(),
        }
    }

    #[test]
    fn method_throttle_key_goes_in_as_it_is() {
        assert_eq!(
            method_throttle_path(&stage(), "/pets/GET"),
            "/apiStages/a1b2c3:prod/throttle//pets/GET"
        );
        assert_eq!(
            method_throttle_path(&stage(), "/pets/{id}/DELETE"),
            "/apiStages/a1b2c3:prod/throttle//pets/{id}/DELETE"
        );
    }

    #[test]
    fn leaves_hang_under_their_block() {
        assert_eq!(leaf_path("/quota", "limit"), "/quota/limit");
        assert_eq!(
            leaf_path(&method_throttle_path(&stage(), "/GET"), "rateLimit"),
            "/apiStages/a1b2c3:prod/throttle//GET/rateLimit"
        );
    }
}
