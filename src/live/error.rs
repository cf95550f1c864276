//! Maps SDK errors to one clear message: which operation, on which plan, what AWS said, and
//! what to do about it.

use std::error::Error as StdError;
use std::fmt;

use aws_credential_types::provider::error::CredentialsError;
use aws_sdk_apigateway::config::http::HttpResponse;
use aws_sdk_apigateway::error::{ProvideErrorMetadata, SdkError};

use super::body_limit::AnswerTooLarge;
use crate::inert::printable;

/// What kind of failure an AWS call met, which decides the advice given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AwsErrorKind {
    /// The configuration is incomplete (no region, say).
    Configuration,
    /// A value tollgate refused to send, since AWS could not hold it.
    Invalid,
    /// No credentials could be found or loaded.
    Credentials,
    /// The endpoint could not be reached (DNS, connection refused, TLS).
    Unreachable,
    /// The call timed out.
    Timeout,
    /// 400: AWS refused the request as invalid.
    BadRequest,
    /// 401/403: signing or permission failure.
    AccessDenied,
    /// 404: the plan, key or stage does not exist.
    NotFound,
    /// 409: the request conflicts with the current state.
    Conflict,
    /// 429 TooManyRequestsException, still failing after retries.
    Throttled,
    /// 429 LimitExceededException: a rate or resource limit.
    LimitExceeded,
    /// 5xx: AWS failed.
    Server,
    /// Anything else (a response tollgate could not read, say).
    Other,
    /// An answer AWS never gives, past one of tollgate's bounds: longer than 64 MiB, or
    /// paging that would never end. Not retried: the endpoint answers the same again.
    BadAnswer,
    /// A write whose outcome is unknown and that was not sent again (its answer was lost).
    OutcomeUnknown,
    /// Not sent: tollgate was interrupted (Ctrl-C, SIGTERM) before sending it.
    Interrupted,
}

impl AwsErrorKind {
    /// Whether a failed write may have been carried out all the same: neither a definite
    /// refusal nor a 429. A timeout, a lost connection, a 5xx or an unreadable answer may
    /// hide work that was done.
    pub fn may_have_happened(self) -> bool {
        !self.is_definite_refusal() && self != AwsErrorKind::Throttled
    }

    /// Whether the request was certainly not carried out: AWS refused it (a 400, 403, 404,
    /// 409 or a resource limit), or tollgate never sent it.
    pub fn is_definite_refusal(self) -> bool {
        matches!(
            self,
            AwsErrorKind::Configuration
                | AwsErrorKind::Invalid
                | AwsErrorKind::Credentials
                | AwsErrorKind::BadRequest
                | AwsErrorKind::AccessDenied
                | AwsErrorKind::NotFound
                | AwsErrorKind::Conflict
                | AwsErrorKind::LimitExceeded
                | AwsErrorKind::Interrupted
        )
    }

    /// Whether the call was refused in a way another attempt cannot change: a definite
    /// refusal, not an interrupt. Running tollgate again meets the same refusal until the
    /// YAML, the settings or the account change.
    pub fn is_refusal(self) -> bool {
        self.is_definite_refusal() && self != AwsErrorKind::Interrupted
    }

    /// What the user can do about an error of this kind.
    pub fn advice(self) -> &'static str {
        match self {
            AwsErrorKind::Configuration => "nothing was sent to AWS",
            AwsErrorKind::Invalid => "nothing was sent; fix the value in the YAML",
            AwsErrorKind::Credentials => {
                "set AWS_PROFILE (or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY), or run `aws sso login`, then run tollgate again"
            }
            AwsErrorKind::Unreachable => {
                "check the network, the region and --endpoint-url / AWS_ENDPOINT_URL"
            }
            AwsErrorKind::Timeout => "AWS did not answer in time; run tollgate again",
            AwsErrorKind::BadRequest => {
                "AWS refused the request as invalid; fix the value it names in the YAML and run `tollgate plan` again"
            }
            AwsErrorKind::AccessDenied => {
                "the credentials lack a permission or are invalid; see the IAM permissions in tollgate's README"
            }
            AwsErrorKind::NotFound => {
                "it no longer exists or never did (a plan, key or stage); check the YAML and run `tollgate plan` again"
            }
            AwsErrorKind::Conflict => {
                "it conflicts with the current state (for example a key already on a plan that shares a stage); run `tollgate plan` again to see the state"
            }
            AwsErrorKind::Throttled => {
                "AWS throttled tollgate beyond its retries (another caller may be using the account's quota); wait a minute and run apply again, which finishes the job"
            }
            AwsErrorKind::LimitExceeded => {
                "an account or resource limit was reached (for example 10 usage plans per API key); change the YAML or ask AWS to raise the limit"
            }
            AwsErrorKind::Server => "AWS failed to handle the request; run tollgate again",
            AwsErrorKind::Other => "run tollgate again; if it fails the same way, report the message above",
            AwsErrorKind::BadAnswer => {
                "AWS never answers this way: check the endpoint (--endpoint-url, AWS_ENDPOINT_URL or the project's `endpoint:`) and whether something between tollgate and AWS changes its answers"
            }
            AwsErrorKind::OutcomeUnknown => {
                "AWS may have done it; run `tollgate plan` to see the state, then apply again"
            }
            AwsErrorKind::Interrupted => {
                "tollgate was interrupted before sending it; run `tollgate apply` again to finish"
            }
        }
    }
}

/// An AWS call that failed, with the context a user needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwsError {
    /// The API operation, such as `UpdateUsagePlan`.
    pub operation: &'static str,
    /// What the call was about, as `usage plan "Gold" (ywbqww)` or `API key "acme"`, when
    /// there is something.
    pub plan: Option<String>,
    /// The class of failure.
    pub kind: AwsErrorKind,
    /// AWS's error code and message, or the transport's error.
    pub detail: String,
}

impl AwsError {
    /// A configuration error, found before any call: what is wrong and what to do.
    pub fn configuration(detail: String) -> AwsError {
        AwsError {
            operation: "configuration",
            plan: None,
            kind: AwsErrorKind::Configuration,
            detail,
        }
    }

    /// Names the plan the failed operation was about.
    pub fn on_plan(self, name: &str, id: Option<&str>) -> Self {
        self.on("usage plan", name, id)
    }

    /// Names the declared API key the failed operation was about.
    pub fn on_api_key(self, name: &str, id: Option<&str>) -> Self {
        self.on("API key", name, id)
    }

    fn on(mut self, what: &str, name: &str, id: Option<&str>) -> Self {
        self.plan = Some(match id {
            Some(id) => format!("{what} \"{name}\" ({id})"),
            None => format!("{what} \"{name}\""),
        });
        self
    }
}

impl fmt::Display for AwsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.kind == AwsErrorKind::Configuration {
            // A setting, not a call: the detail names it and says what to write.
            return write!(f, "{}; {}", printable(&self.detail), self.kind.advice());
        }
        write!(f, "{}", self.operation)?;
        if let Some(plan) = &self.plan {
            write!(f, " on {}", printable(plan))?;
        }
        write!(
            f,
            " failed: {}; {}",
            printable(&self.detail),
            self.kind.advice()
        )
    }
}

impl StdError for AwsError {}

/// Turns an SDK error into an [`AwsError`] for `operation`.
pub fn from_sdk<E>(operation: &'static str, error: SdkError<E, HttpResponse>) -> AwsError
where
    E: ProvideErrorMetadata + StdError + Send + Sync + 'static,
{
    let (kind, detail) = match &error {
        SdkError::ServiceError(context) => {
            let status = context.raw().status().as_u16();
            let code = context.err().code().unwrap_or("UnknownError");
            let message = context.err().message().unwrap_or("no message");
            (
                classify(status, code, message),
                format!("{code} (HTTP {status}): {message}"),
            )
        }
        SdkError::TimeoutError(_) => (AwsErrorKind::Timeout, "the request timed out".to_string()),
        SdkError::DispatchFailure(failure) if failure.is_timeout() => {
            (AwsErrorKind::Timeout, causes(&error))
        }
        SdkError::ResponseError(_) if cause::<AnswerTooLarge>(&error).is_some() => {
            (AwsErrorKind::BadAnswer, AnswerTooLarge.to_string())
        }
        SdkError::ResponseError(_) => (
            AwsErrorKind::Other,
            format!("the response could not be read: {}", causes(&error)),
        ),
        _ => match credentials_error(&error) {
            // The chain's own text lists every provider it tried, over many lines.
            Some(CredentialsError::CredentialsNotLoaded(_)) => (
                AwsErrorKind::Credentials,
                "no AWS credentials were found (tried the environment, profiles, SSO, web \
                 identity, ECS and instance metadata)"
                    .to_string(),
            ),
            Some(credentials) => (
                AwsErrorKind::Credentials,
                format!(
                    "the AWS credentials could not be loaded: {}",
                    causes(credentials)
                ),
            ),
            None if matches!(error, SdkError::DispatchFailure(_)) => {
                (AwsErrorKind::Unreachable, causes(&error))
            }
            None => (AwsErrorKind::Other, causes(&error)),
        },
    };
    AwsError {
        operation,
        plan: None,
        kind,
        detail,
    }
}

/// The credentials error behind `error`, if loading credentials is what failed.
fn credentials_error<'a>(error: &'a (dyn StdError + 'static)) -> Option<&'a CredentialsError> {
    cause::<CredentialsError>(error)
}

/// The first error of type `T` in `error`'s chain of causes, `error` included.
fn cause<'a, T: StdError + 'static>(error: &'a (dyn StdError + 'static)) -> Option<&'a T> {
    let mut current = Some(error);
    while let Some(cause) = current {
        if let Some(found) = cause.downcast_ref::<T>() {
            return Some(found);
        }
        current = cause.source();
    }
    None
}

/// The error and its causes on one line, each message once (the SDK nests errors whose
/// messages repeat their sources').
fn causes(error: &(dyn StdError + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let message = cause.to_string();
        if !text.contains(&message) {
            text.push_str(": ");
            text.push_str(&message);
        }
        source = cause.source();
    }
    text.replace('\n', " ")
}

/// Classifies a service error by its status, error code and message.
fn classify(status: u16, code: &str, message: &str) -> AwsErrorKind {
    match (status, code) {
        (_, "LimitExceededException") if is_resource_limit(message) => AwsErrorKind::LimitExceeded,
        (_, "LimitExceededException") => AwsErrorKind::Throttled,
        (_, "TooManyRequestsException") | (429, _) => AwsErrorKind::Throttled,
        (_, "UnrecognizedClientException")
        | (_, "InvalidSignatureException")
        | (_, "ExpiredTokenException") => AwsErrorKind::Credentials,
        (400, _) => AwsErrorKind::BadRequest,
        (401 | 403, _) => AwsErrorKind::AccessDenied,
        (404, _) => AwsErrorKind::NotFound,
        (409, _) => AwsErrorKind::Conflict,
        (500..=599, _) => AwsErrorKind::Server,
        _ => AwsErrorKind::Other,
    }
}

/// Whether a LimitExceededException's message is about a resource limit (such as 10 usage
/// plans per API key, final: no retry can help) rather than a request rate: it speaks of no
/// rate, throttling or request count (as whole words).
fn is_resource_limit(message: &str) -> bool {
    let message = message.to_ascii_lowercase();
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
    fn classifies_each_status_and_code() {
        assert_eq!(
            classify(400, "BadRequestException", ""),
            AwsErrorKind::BadRequest
        );
        assert_eq!(
            classify(403, "AccessDeniedException", ""),
            AwsErrorKind::AccessDenied
        );
        assert_eq!(
            classify(403, "UnrecognizedClientException", ""),
            AwsErrorKind::Credentials
        );
        assert_eq!(
            classify(401, "UnauthorizedException", ""),
            AwsErrorKind::AccessDenied
        );
        assert_eq!(
            classify(404, "NotFoundException", ""),
            AwsErrorKind::NotFound
        );
        assert_eq!(
            classify(409, "ConflictException", ""),
            AwsErrorKind::Conflict
        );
        assert_eq!(
            classify(429, "TooManyRequestsException", ""),
            AwsErrorKind::Throttled
        );
        assert_eq!(
            classify(
                429,
                "LimitExceededException",
                "API Key k cannot be associated with more than 10 usage plans"
            ),
            AwsErrorKind::LimitExceeded
        );
        assert_eq!(
            classify(503, "ServiceUnavailableException", ""),
            AwsErrorKind::Server
        );
    }

    #[test]
    fn a_resource_limit_is_final_and_a_rate_limit_is_throttling() {
        let resource =
            "Limit exceeded: API Key k cannot be associated with more than 10 usage plans";
        assert_eq!(
            classify(429, "LimitExceededException", resource),
            AwsErrorKind::LimitExceeded
        );
        assert_eq!(
            classify(
                400,
                "LimitExceededException",
                "separate limit of 500 keys reached"
            ),
            AwsErrorKind::LimitExceeded
        );
        for rate in [
            "Rate exceeded",
            "Too many requests, slow down",
            "Throttling",
        ] {
            assert_eq!(
                classify(429, "LimitExceededException", rate),
                AwsErrorKind::Throttled,
                "{rate}"
            );
        }
    }

    #[test]
    fn only_what_another_attempt_cannot_change_is_a_refusal() {
        use AwsErrorKind::*;
        for kind in [
            BadRequest,
            AccessDenied,
            NotFound,
            Conflict,
            LimitExceeded,
            Invalid,
        ] {
            assert!(kind.is_refusal(), "{kind:?}");
        }
        for kind in [
            Throttled,
            Server,
            Timeout,
            Unreachable,
            OutcomeUnknown,
            Other,
            Interrupted,
        ] {
            assert!(!kind.is_refusal(), "{kind:?}");
        }
    }

    #[test]
    fn display_names_operation_plan_error_and_advice() {
        let error = AwsError {
            operation: "UpdateUsagePlan",
            plan: None,
            kind: AwsErrorKind::NotFound,
            detail: "NotFoundException (HTTP 404): Invalid Usage Plan ID specified".into(),
        }
        .on_plan("Gold", Some("ywbqww"));
        assert_eq!(
            error.to_string(),
            "UpdateUsagePlan on usage plan \"Gold\" (ywbqww) failed: NotFoundException (HTTP 404): \
             Invalid Usage Plan ID specified; it no longer exists or never did (a plan, key or stage); \
             check the YAML and run `tollgate plan` again"
        );
    }
}
