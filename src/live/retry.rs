//! When a failed call is sent again, and how long tollgate waits first (docs/retries.md).
//!
//! Throttling (a 429) is a refusal: AWS did nothing, so every call is sent again after it.
//! A 5xx, a timeout or a lost connection leaves the outcome unknown: only calls that are
//! safe to repeat (reads, tags, key associations, whose repeats are confirmed by reading)
//! are sent again after one; the others are settled by their caller (docs/retries.md).
//! Waits grow exponentially with full jitter and honour AWS's Retry-After hint; every
//! attempt counts against a per-run retry budget.

use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use aws_sdk_apigateway::config::http::HttpResponse;
use aws_sdk_apigateway::error::SdkError;

use super::error::AwsErrorKind;

/// Which failures a call is sent again after.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retry {
    /// A call that is safe to repeat: after a 429, a 5xx, a timeout or a lost connection.
    Transient,
    /// A call that must not be repeated blindly: only after a 429.
    Throttled,
}

impl Retry {
    /// Whether a failure of `kind` is worth another attempt under this rule.
    pub fn allows(self, kind: AwsErrorKind) -> bool {
        match self {
            Retry::Transient => {
                kind == AwsErrorKind::Throttled
                    || (kind.may_have_happened() && kind != AwsErrorKind::BadAnswer)
            }
            Retry::Throttled => kind == AwsErrorKind::Throttled,
        }
    }
}

/// How many attempts one call gets at most, unless `AWS_MAX_ATTEMPTS` says otherwise (as
/// for the AWS CLI).
pub const MAX_ATTEMPTS: u32 = 10;

/// How many of those attempts may end in a 5xx, a timeout or a lost connection: more of
/// them in a row means AWS or the network is down, not busy.
pub const MAX_UNCLEAR_ATTEMPTS: u32 = 5;

/// The attempt limit: `AWS_MAX_ATTEMPTS` when it holds a whole number >= 1, else
/// [`MAX_ATTEMPTS`].
pub fn max_attempts() -> u32 {
    std::env::var("AWS_MAX_ATTEMPTS")
        .ok()
        .and_then(|text| text.trim().parse::<u32>().ok())
        .filter(|&attempts| attempts >= 1)
        .unwrap_or(MAX_ATTEMPTS)
}

/// How many retries one run may make in all, over every call.
pub const RUN_BUDGET: usize = 1_000;

/// The longest wait between two attempts (unless AWS's Retry-After asks for more).
const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// The longest Retry-After hint honoured.
const MAX_HINT: Duration = Duration::from_secs(60);

/// The retries left to a run, shared by its calls.
#[derive(Debug)]
pub struct RetryBudget(AtomicUsize);

impl RetryBudget {
    /// A budget of `retries`.
    pub fn new(retries: usize) -> Self {
        RetryBudget(AtomicUsize::new(retries))
    }

    /// Takes one retry from the budget; `false` when it is spent.
    pub fn take(&self) -> bool {
        self.0
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |left| {
                left.checked_sub(1)
            })
            .is_ok()
    }
}

/// The wait before attempt `attempt + 1`: at least AWS's Retry-After `hint`, and a random
/// wait from 0 to 100 ms x 2^attempt, at most [`MAX_BACKOFF`] (full jitter).
pub fn backoff(attempt: u32, hint: Option<Duration>) -> Duration {
    let ceiling = Duration::from_millis(100)
        .saturating_mul(1 << attempt.min(16))
        .min(MAX_BACKOFF);
    let fraction = (random_u64() >> 11) as f64 / (1u64 << 53) as f64;
    ceiling.mul_f64(fraction).max(hint.unwrap_or_default())
}

/// AWS's Retry-After hint on an error answer.
pub fn retry_after<E>(error: &SdkError<E, HttpResponse>) -> Option<Duration> {
    let SdkError::ServiceError(context) = error else {
        return None;
    };
    hint(context.raw().headers().get("retry-after")?)
}

/// A Retry-After value in seconds, at most [`MAX_HINT`]; `None` unless a number >= 0.
fn hint(text: &str) -> Option<Duration> {
    let seconds: f64 = text.trim().parse().ok()?;
    // Clamped before the conversion, which panics on a huge value.
    (seconds >= 0.0).then(|| Duration::from_secs_f64(seconds.min(MAX_HINT.as_secs_f64())))
}

/// A random number from the standard library's randomly keyed hasher.
pub fn random_u64() -> u64 {
    std::collections::hash_map::RandomState::new()
        .build_hasher()
        .finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_safe_calls_are_repeated_after_an_unknown_outcome() {
        for kind in [
            AwsErrorKind::Server,
            AwsErrorKind::Timeout,
            AwsErrorKind::Unreachable,
        ] {
            assert!(Retry::Transient.allows(kind), "{kind:?}");
            assert!(!Retry::Throttled.allows(kind), "{kind:?}");
        }
        for rule in [Retry::Transient, Retry::Throttled] {
            assert!(rule.allows(AwsErrorKind::Throttled));
            for kind in [
                AwsErrorKind::BadRequest,
                AwsErrorKind::NotFound,
                AwsErrorKind::Conflict,
                AwsErrorKind::LimitExceeded,
                AwsErrorKind::AccessDenied,
                AwsErrorKind::Interrupted,
                // An answer past tollgate's bounds would come back the same.
                AwsErrorKind::BadAnswer,
            ] {
                assert!(!rule.allows(kind), "{rule:?} {kind:?}");
            }
        }
    }

    #[test]
    fn a_retry_after_hint_is_read_and_bounded() {
        assert_eq!(hint("1"), Some(Duration::from_secs(1)));
        assert_eq!(hint(" 2.5 "), Some(Duration::from_millis(2500)));
        assert_eq!(hint("1e20"), Some(MAX_HINT));
        assert_eq!(hint("inf"), Some(MAX_HINT));
        for bad in ["-1", "NaN", "soon", ""] {
            assert_eq!(hint(bad), None, "{bad}");
        }
    }

    #[test]
    fn the_budget_runs_out() {
        let budget = RetryBudget::new(2);
        assert!(budget.take());
        assert!(budget.take());
        assert!(!budget.take());
    }

    #[test]
    fn backoff_grows_is_capped_and_honours_the_hint() {
        for attempt in 0..30 {
            let wait = backoff(attempt, None);
            let ceiling = Duration::from_millis(100 << attempt.min(16)).min(MAX_BACKOFF);
            assert!(wait <= ceiling, "{attempt}: {wait:?}");
        }
        let hinted = backoff(1, Some(Duration::from_secs(3)));
        assert!(hinted >= Duration::from_secs(3));
        // Full jitter: waits differ from one another.
        let waits: std::collections::BTreeSet<Duration> =
            (0..20).map(|_| backoff(8, None)).collect();
        assert!(waits.len() > 10);
    }
}
