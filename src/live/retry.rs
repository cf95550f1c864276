//! A retry rule the SDK lacks: a LimitExceededException that names a resource limit (such
//! as 10 usage plans per API key) is final, since no retry can help; the SDK would otherwise
//! retry it as throttling.

use aws_smithy_runtime_api::client::interceptors::context::InterceptorContext;
use aws_smithy_runtime_api::client::retries::classifiers::{
    ClassifyRetry, RetryAction, RetryClassifierPriority,
};

/// Forbids retrying a LimitExceededException whose message is about a resource limit rather
/// than a request rate.
#[derive(Debug, Default)]
pub struct ResourceLimitIsFinal;

impl ClassifyRetry for ResourceLimitIsFinal {
    fn classify_retry(&self, ctx: &InterceptorContext) -> RetryAction {
        let Some(response) = ctx.response() else {
            return RetryAction::NoActionIndicated;
        };
        let error_type = response
            .headers()
            .get("x-amzn-errortype")
            .unwrap_or_default();
        let body = response.body().bytes().unwrap_or_default();
        if is_resource_limit(error_type, &String::from_utf8_lossy(body)) {
            RetryAction::RetryForbidden
        } else {
            RetryAction::NoActionIndicated
        }
    }

    fn name(&self) -> &'static str {
        "tollgate: resource limits are final"
    }

    fn priority(&self) -> RetryClassifierPriority {
        // Runs first; forbidding a retry stops the classifiers that would allow one.
        RetryClassifierPriority::run_before(RetryClassifierPriority::http_status_code_classifier())
    }
}

/// Whether an error is a LimitExceededException about a resource limit: one whose message
/// speaks of no rate, throttling or request count (as whole words).
fn is_resource_limit(error_type: &str, body: &str) -> bool {
    if !error_type.starts_with("LimitExceededException") {
        return false;
    }
    let message = body.to_ascii_lowercase();
    let words: Vec<&str> = message
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|word| !word.is_empty())
        .collect();
    let speaks_of_rate = words
        .iter()
        .any(|word| matches!(*word, "rate" | "throttled" | "throttling" | "throttle"))
        || words.windows(2).any(|pair| pair == ["many", "requests"]);
    !speaks_of_rate
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_resource_limit_is_final_and_a_rate_limit_is_not() {
        let resource = r#"{"message":"Limit exceeded: API Key k cannot be associated with more than 10 usage plans"}"#;
        assert!(is_resource_limit("LimitExceededException", resource));
        assert!(is_resource_limit(
            "LimitExceededException:http://internal.amazon.com/",
            resource
        ));
        assert!(!is_resource_limit(
            "LimitExceededException",
            r#"{"message":"Rate exceeded"}"#
        ));
        assert!(!is_resource_limit("TooManyRequestsException", resource));
        assert!(!is_resource_limit("", resource));
        let separate = r#"{"message":"Cannot generate a key: separate limit of 500 keys reached"}"#;
        assert!(is_resource_limit("LimitExceededException", separate));
        let many = r#"{"message":"Too many requests, slow down"}"#;
        assert!(!is_resource_limit("LimitExceededException", many));
    }
}
