//! The emulator's shared core: state, counters, quotas, faults and clock behind locks, and the
//! control operations the library API and the admin routes both offer.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use crate::clock::Clock;
use crate::dates::{format_date, parse_date};
use crate::error::SimError;
use crate::faults::{Fault, FaultInjector};
use crate::quotas::Limiter;
use crate::rng::SplitMix64;
use crate::scope::Scope;
use crate::state::State;
use crate::sync::lock;
use crate::usage::MAX_REQUESTS;
use crate::validate::{check_requests, validate_state};
use crate::{Config, Quotas};

/// Calls received and 429s issued, per operation.
#[derive(Debug, Default)]
struct Counters {
    calls: BTreeMap<String, u64>,
    throttled: BTreeMap<String, u64>,
    carried_out: BTreeMap<String, u64>,
}

/// Everything a running emulator shares between its connections and its handle.
#[derive(Debug)]
pub struct Core {
    /// The state of every account and region, the emulator's own among them.
    states: Mutex<BTreeMap<Scope, State>>,
    /// The emulator's own account, in the seed's region.
    own: Scope,
    /// The account of each access key the seed gives to another account.
    access_keys: BTreeMap<String, String>,
    counters: Mutex<Counters>,
    /// The quotas, and each account's buckets (AWS states the quotas per account).
    quotas: Option<(Quotas, Mutex<BTreeMap<String, Limiter>>)>,
    faults: Option<Mutex<FaultInjector>>,
    /// The operations answered 403 (see [`Config::denied`]).
    denied: Vec<String>,
    latency_ms: u64,
    clock: Clock,
    requests: AtomicU64,
}

impl Core {
    /// A core for `config`, its state taken from the seed (creation dates set to now).
    pub fn new(config: Config) -> Self {
        let clock = Clock::new(&config.clock);
        let now = clock.now();
        let account = config.own_account().to_owned();
        let seed = config.seed.unwrap_or_else(|| crate::Seed {
            state: State::default(),
            elsewhere: BTreeMap::new(),
            access_keys: BTreeMap::new(),
        });
        let own = Scope {
            account,
            region: seed.state.region.clone(),
        };
        let mut states = seed.elsewhere;
        // Every other scope makes its ids apart from the emulator's own, seeded or not.
        for (scope, state) in states.iter_mut() {
            state.id_generator = SplitMix64::new(scope.id_seed());
        }
        states.insert(own.clone(), seed.state);
        for state in states.values_mut() {
            for api in state.rest_apis.values_mut() {
                api.created_date = now.floor() as i64;
            }
            for key in state.api_keys.values_mut() {
                key.created_date = now.floor() as i64;
                key.last_updated_date = key.created_date;
            }
        }
        Self {
            states: Mutex::new(states),
            own,
            access_keys: seed.access_keys,
            counters: Mutex::default(),
            quotas: config.quotas.map(|quotas| (quotas, Mutex::default())),
            latency_ms: config.faults.as_ref().map_or(0, |f| f.latency_ms),
            faults: config.faults.map(|f| Mutex::new(FaultInjector::new(&f))),
            denied: config.denied,
            clock,
            requests: AtomicU64::new(0),
        }
    }

    /// Whether a request of `operation` with these query parameters is denied (403).
    pub fn denies(&self, operation: &str, query: &BTreeMap<String, Vec<String>>) -> bool {
        self.denied
            .iter()
            .any(|denied| match denied.split_once('?') {
                Some((op, param)) => op == operation && query.contains_key(param),
                None => denied == operation,
            })
    }

    /// The emulator's current time, Unix seconds.
    pub fn now(&self) -> f64 {
        self.clock.now()
    }

    /// The account and region a request is for, from its signature's access key and region
    /// (`None`: the emulator's own account in the seed's region).
    pub fn scope_of(&self, credential: Option<(String, String)>) -> Scope {
        match credential {
            Some((access_key, region)) => Scope {
                account: self
                    .access_keys
                    .get(&access_key)
                    .cloned()
                    .unwrap_or_else(|| self.own.account.clone()),
                region,
            },
            None => self.own.clone(),
        }
    }

    /// Runs `f` on the state of the emulator's own account in the seed's region.
    pub fn with_state<T>(&self, f: impl FnOnce(&mut State) -> T) -> T {
        self.with_scope(&self.own, f)
    }

    /// Runs `f` on the state of `scope`, empty the first time, under the states' lock.
    pub fn with_scope<T>(&self, scope: &Scope, f: impl FnOnce(&mut State) -> T) -> T {
        let mut states = lock(&self.states);
        let state = states.entry(scope.clone()).or_insert_with(|| {
            let mut state = State::in_region(scope.region.clone());
            state.id_generator = SplitMix64::new(scope.id_seed());
            state
        });
        f(state)
    }

    /// Counts a call of `operation`.
    pub fn count_call(&self, operation: &str) {
        *lock(&self.counters)
            .calls
            .entry(operation.to_string())
            .or_default() += 1;
    }

    /// Counts a call of `operation` that was carried out (its answer may still be lost).
    pub fn count_carried_out(&self, operation: &str) {
        *lock(&self.counters)
            .carried_out
            .entry(operation.to_string())
            .or_default() += 1;
    }

    /// Takes a quota token of `account` for `operation`; on refusal counts the 429 and gives
    /// the wait.
    pub fn acquire(&self, account: &str, operation: &str) -> Result<(), f64> {
        let Some((quotas, limiters)) = &self.quotas else {
            return Ok(());
        };
        let now = self.clock.now();
        let result = lock(limiters)
            .entry(account.to_owned())
            .or_insert_with(|| Limiter::new(quotas, now))
            .acquire(operation, now);
        if result.is_err() {
            *lock(&self.counters)
                .throttled
                .entry(operation.to_string())
                .or_default() += 1;
        }
        result
    }

    /// The configured refusal of a request of `operation` on `path`, if any.
    pub fn refusal(&self, operation: &str, path: &str) -> Option<SimError> {
        self.faults
            .as_ref()
            .and_then(|f| lock(f).refusal(operation, path))
    }

    /// The injected fault for the next request, and the latency to add.
    pub fn next_fault(&self, operation: &str) -> (Fault, u64) {
        let fault = self
            .faults
            .as_ref()
            .map_or(Fault::None, |f| lock(f).next(operation));
        (fault, self.latency_ms)
    }

    /// A fresh request id.
    pub fn request_id(&self) -> String {
        let n = self.requests.fetch_add(1, Ordering::Relaxed) + 1;
        format!("00000000-0000-4000-8000-{n:012x}")
    }

    /// Calls received per AWS operation.
    pub fn calls(&self) -> BTreeMap<String, u64> {
        lock(&self.counters).calls.clone()
    }

    /// 429s issued per AWS operation.
    pub fn throttled(&self) -> BTreeMap<String, u64> {
        lock(&self.counters).throttled.clone()
    }

    /// Calls carried out (answered with success, or whose success was lost) per operation.
    pub fn carried_out(&self) -> BTreeMap<String, u64> {
        lock(&self.counters).carried_out.clone()
    }

    /// Zeroes the counters and fills the quota buckets again.
    pub fn reset_counters(&self) {
        *lock(&self.counters) = Counters::default();
        if let Some((_, limiters)) = &self.quotas {
            let now = self.clock.now();
            lock(limiters)
                .values_mut()
                .for_each(|limiter| limiter.refill_all(now));
        }
    }

    /// Records `requests` calls by `key_id` under `plan_id` on `date` (`YYYY-MM-DD`). At most
    /// [`MAX_REQUESTS`] at once; a day's total saturates there.
    pub fn record_usage(
        &self,
        plan_id: &str,
        key_id: &str,
        date: &str,
        requests: u64,
    ) -> Result<(), SimError> {
        let day = parse_date(date)?;
        check_requests(requests)?;
        self.with_state(|state| {
            let usage = state.plan_mut(plan_id)?.key_usage_mut(key_id)?;
            let entry = usage.used.entry(format_date(day)).or_default();
            *entry = entry.saturating_add(requests).min(MAX_REQUESTS);
            Ok(())
        })
    }

    /// Moves the clock forward.
    pub fn advance_clock(&self, seconds: u64) {
        self.clock.advance(seconds);
    }

    /// The state of the emulator's own account in the seed's region, as JSON.
    pub fn dump_state(&self) -> serde_json::Value {
        self.dump_scope(&self.own)
    }

    /// The state of `account` in `region`, as JSON (empty if nothing reached it).
    pub fn dump_state_of(&self, account: &str, region: &str) -> serde_json::Value {
        let scope = Scope {
            account: account.to_owned(),
            region: region.to_owned(),
        };
        self.dump_scope(&scope)
    }

    fn dump_scope(&self, scope: &Scope) -> serde_json::Value {
        let states = lock(&self.states);
        let empty = State::in_region(scope.region.clone());
        // `to_value` fails only on a map key that is not a string or on a `Serialize` impl that
        // errs. Every map of `State` is keyed by `String` and every type in it derives
        // `Serialize` (a non-finite `f64` becomes `null`, not an error), so this cannot fail.
        serde_json::to_value(states.get(scope).unwrap_or(&empty))
            .expect("the state always serialises to JSON")
    }

    /// Replaces the state with a dump, after checking it with the API's rules.
    pub fn load_state(&self, dump: serde_json::Value) -> Result<(), SimError> {
        let state: State = serde_json::from_value(dump)
            .map_err(|e| SimError::bad_request(format!("Invalid state: {e}")))?;
        validate_state(&state)?;
        if state.region != self.own.region {
            return Err(SimError::bad_request(format!(
                "Invalid state: its region is {}, and the emulator's own account is in {} (the \
                 seed's region); requests signed for another region reach another state",
                state.region, self.own.region
            )));
        }
        self.with_state(|current| *current = state);
        Ok(())
    }
}
