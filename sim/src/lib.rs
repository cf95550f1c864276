//! tollgate-sim: a strict local emulator of Amazon API Gateway's usage-plan API.
//!
//! It speaks API Gateway's REST-JSON protocol closely enough for the real AWS SDKs and CLI, and
//! is stricter than AWS where AWS's behaviour is undocumented (see the crate's README).
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! let sim = tollgate_sim::Sim::start(tollgate_sim::Config::default()).await?;
//! println!("{}", sim.endpoint()); // http://127.0.0.1:PORT
//! sim.stop().await;
//! # Ok(()) }
//! ```

#![warn(missing_docs)]

mod admin;
mod body;
mod clock;
mod core;
mod dates;
mod error;
mod faults;
mod handle;
mod ops;
mod pagination;
mod patch;
mod quotas;
mod rng;
mod router;
mod scope;
mod seed;
mod server;
mod state;
mod sts;
mod sync;
mod usage;
mod validate;

pub use error::{ErrorKind, SimError};
pub use handle::{BlockingSim, Sim};
pub use seed::{Seed, SeedError};
pub use sts::DEFAULT_ACCOUNT_ID;

/// How to start an emulator. The default: empty state, quotas off, faults off, real clock,
/// account 123456789012.
#[derive(Debug, Clone, Default)]
pub struct Config {
    /// APIs, stages, keys and plans to start with.
    pub seed: Option<Seed>,
    /// AWS's account quotas of the management API; `None` = off.
    pub quotas: Option<Quotas>,
    /// Injected faults; `None` = off.
    pub faults: Option<Faults>,
    /// The clock quotas, usage dates and quota periods run on.
    pub clock: ClockMode,
    /// The AWS account STS GetCallerIdentity answers: 12 digits; `None` is
    /// [`DEFAULT_ACCOUNT_ID`] (123456789012).
    pub account_id: Option<String>,
    /// Operations answered 403 AccessDeniedException, as for a role without their permission
    /// (`GetStages`); `OPERATION?param` denies only the requests that carry `param`
    /// (`GetUsagePlans?keyId`: IAM cannot tell those apart, a test can).
    pub denied: Vec<String>,
}

impl Config {
    /// Checks the settings that are not a seed: the account id is 12 digits, the quota speed-up and the clock's speed are
    /// finite and > 0, each fault rate is from 0 to 1 and together they add up to at most 1.
    /// [`Sim::start`] calls it; an error is of kind `InvalidInput` and says what is wrong.
    pub fn check(&self) -> std::io::Result<()> {
        let invalid =
            |message: String| std::io::Error::new(std::io::ErrorKind::InvalidInput, message);
        if let Some(account) = &self.account_id {
            if !scope::is_account_id(account) {
                return Err(invalid(format!(
                    "invalid config: account_id must be 12 digits, as AWS account ids are, got `{account}`"
                )));
            }
        }
        if let Some(seed) = &self.seed {
            let own = scope::Scope {
                account: self.own_account().to_owned(),
                region: seed.state.region.clone(),
            };
            if seed.elsewhere.contains_key(&own) {
                return Err(invalid(format!(
                    "invalid config: the seed's accounts seed the emulator's own account {} in \
                     its own region {}, which the seed's top level already does",
                    own.account, own.region
                )));
            }
        }
        if let Some(quotas) = &self.quotas {
            if !(quotas.speedup.is_finite() && quotas.speedup > 0.0) {
                return Err(invalid(format!(
                    "invalid config: quotas.speedup must be a finite number > 0, got {}",
                    quotas.speedup
                )));
            }
        }
        if let ClockMode::Real { speed } = self.clock {
            if !(speed.is_finite() && speed > 0.0) {
                return Err(invalid(format!(
                    "invalid config: the real clock's speed must be a finite number > 0, got {speed}"
                )));
            }
        }
        if let Some(faults) = &self.faults {
            let rates = [
                ("error_500_rate", faults.error_500_rate),
                ("error_503_rate", faults.error_503_rate),
                ("drop_rate", faults.drop_rate),
                ("lost_rate", faults.lost_rate),
                ("throttle_rate", faults.throttle_rate),
            ];
            for (name, rate) in rates {
                if !(0.0..=1.0).contains(&rate) {
                    return Err(invalid(format!(
                        "invalid config: faults.{name} must be a number from 0 to 1, got {rate}"
                    )));
                }
            }
            let sum: f64 = rates.iter().map(|(_, rate)| rate).sum();
            if sum > 1.0 {
                return Err(invalid(format!(
                    "invalid config: the fault rates (error_500_rate + error_503_rate + drop_rate + lost_rate + throttle_rate) must add up to at most 1, got {sum}"
                )));
            }
        }
        Ok(())
    }
}

impl Config {
    /// The account the emulator stands for: `account_id`, or [`DEFAULT_ACCOUNT_ID`].
    pub(crate) fn own_account(&self) -> &str {
        self.account_id.as_deref().unwrap_or(DEFAULT_ACCOUNT_ID)
    }
}

/// The account quotas: UpdateUsagePlan 1 per 20 s, CreateApiKey/DeleteApiKey 5 per second,
/// 10 per second with a burst of 40 for all operations together.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Quotas {
    /// Rate multiplier: 1.0 = AWS's real rates; 100.0 = refills 100 times faster.
    pub speedup: f64,
}

impl Default for Quotas {
    fn default() -> Self {
        Self { speedup: 1.0 }
    }
}

/// Injected faults, drawn per AWS request from a generator seeded with `seed`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Faults {
    /// The generator's seed: the same seed gives the same sequence of faults.
    pub seed: u64,
    /// Share of requests answered 500 InternalFailure.
    pub error_500_rate: f64,
    /// Share of requests answered 503 ServiceUnavailableException.
    pub error_503_rate: f64,
    /// Share of requests whose connection is closed without an answer, before the work.
    pub drop_rate: f64,
    /// Share of requests carried out, then closed without an answer: the answer is lost
    /// after the work was done.
    pub lost_rate: f64,
    /// Share of requests answered 429 TooManyRequestsException without doing the work.
    pub throttle_rate: f64,
    /// The operations (such as `UpdateUsage`) whose requests draw faults; empty: every AWS
    /// operation. Requests of other operations are answered normally and draw nothing.
    pub operations: Vec<String>,
    /// Milliseconds added before every AWS request is answered.
    pub latency_ms: u64,
    /// Requests answered with an error of AWS's, without doing the work: a refusal that
    /// nothing in the state foretells (checked after the drawn faults, which they do not
    /// draw from).
    pub refusals: Vec<Refusal>,
}

/// One kind of request the emulator refuses: every request of `operation` whose path
/// contains `path_contains`, answered with `error`.
#[derive(Debug, Clone, PartialEq)]
pub struct Refusal {
    /// The operation refused, such as `UpdateUsagePlan`.
    pub operation: String,
    /// Refuse only requests whose path contains this (a plan's id, say); empty: all of the
    /// operation's.
    pub path_contains: String,
    /// The answer: its kind gives the status and `x-amzn-ErrorType`, with its message.
    pub error: SimError,
}

/// The emulator's clock.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ClockMode {
    /// Wall-clock time, running `speed` times as fast (1.0 = real time).
    Real {
        /// How fast time runs.
        speed: f64,
    },
    /// A clock that stands still at `start` (Unix seconds) until `advance_clock` moves it.
    Manual {
        /// The start time in Unix seconds; see [`ClockMode::manual_at`] for RFC 3339.
        start: i64,
    },
}

impl Default for ClockMode {
    fn default() -> Self {
        Self::Real { speed: 1.0 }
    }
}

impl ClockMode {
    /// A manual clock starting at an RFC 3339 UTC time (`2024-06-01T00:00:00Z`) or Unix seconds.
    pub fn manual_at(start: &str) -> Result<ClockMode, SimError> {
        let start = match start.parse::<i64>() {
            Ok(seconds) => seconds,
            Err(_) => dates::parse_rfc3339(start)?,
        };
        Ok(Self::Manual { start })
    }
}
