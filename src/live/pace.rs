//! Client-side pacing inside API Gateway's account quotas (docs/aws.md, "Account quotas").
//!
//! AWS allows, per account and region: 10 management calls a second with a burst of 40 for
//! all operations together, UpdateUsagePlan once every 20 seconds, and CreateApiKey and
//! DeleteApiKey 5 a second; it refuses concurrent CreateUsagePlanKey calls. Every attempt of
//! every call (reads and retries included) reserves its slot here before it is sent, so
//! tollgate stays inside the quotas instead of drawing 429s. Slots are reserved first come,
//! first served (a generic cell rate algorithm per quota): no waiter polls, and a call that
//! does not need UpdateUsagePlan's slot goes ahead in the gaps between paced updates.
//! CreateUsagePlanKey and UpdateUsagePlan go one at a time, each reserving its slot once
//! the one before is done, so a slow answer never lets later calls bunch up.

use std::fmt;
use std::str::FromStr;
use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

/// How fast tollgate may call AWS (`--pace`, `TOLLGATE_PACE`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Pace {
    /// AWS's account quotas, `speedup` times faster (1 for AWS itself; more for an emulator,
    /// a rehearsal or raised quotas).
    Aws {
        /// How many times faster than AWS's default quotas; finite and > 0.
        speedup: f64,
    },
    /// No pacing at all.
    Unpaced,
}

impl Default for Pace {
    fn default() -> Self {
        Pace::Aws { speedup: 1.0 }
    }
}

impl FromStr for Pace {
    type Err = String;

    /// Parses `aws`, `aws:F` (F a number > 0) or `none`.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let invalid = || {
            format!(
                "`{text}` is not a pace: write `aws` (AWS's quotas), `aws:F` (the quotas F times \
                 faster, F from {MIN_SPEEDUP} to {MAX_SPEEDUP}, e.g. aws:100 for the emulator) or \
                 `none`"
            )
        };
        match text.split_once(':') {
            None if text == "aws" => Ok(Pace::default()),
            None if text == "none" => Ok(Pace::Unpaced),
            Some(("aws", factor)) => match factor.parse::<f64>() {
                Ok(speedup) if (MIN_SPEEDUP..=MAX_SPEEDUP).contains(&speedup) => {
                    Ok(Pace::Aws { speedup })
                }
                _ => Err(invalid()),
            },
            _ => Err(invalid()),
        }
    }
}

impl fmt::Display for Pace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Pace::Aws { speedup } if *speedup == 1.0 => write!(f, "aws"),
            Pace::Aws { speedup } => write!(f, "aws:{speedup}"),
            Pace::Unpaced => write!(f, "none"),
        }
    }
}

/// The slowest `aws:F`: a hundredth of AWS's quotas.
const MIN_SPEEDUP: f64 = 0.01;
/// The fastest `aws:F`: a million times AWS's quotas.
const MAX_SPEEDUP: f64 = 1_000_000.0;

/// AWS's quota for all calls together: 10 a second.
const CALLS_PER_SECOND: f64 = 10.0;
/// ... with a burst of 40.
const CALL_BURST: f64 = 40.0;
/// AWS's quota for UpdateUsagePlan: one every 20 seconds.
const UPDATE_INTERVAL_SECONDS: f64 = 20.0;
/// AWS's quota for CreateApiKey and DeleteApiKey: 5 a second.
const API_KEY_CALLS_PER_SECOND: f64 = 5.0;
/// How much slower than the quota tollgate paces itself, so that a request that travels
/// faster than the one before it still arrives inside the quota.
const MARGIN: f64 = 1.02;
/// The least margin of a quota without burst, however fast: what two requests' travel
/// times and a busy machine's scheduling can differ by, with no burst to absorb it (it
/// matters only for quotas sped up many times, as an emulator's are: AWS's own are slow
/// enough for [`MARGIN`] alone).
const LEAST_MARGIN: Duration = Duration::from_millis(8);

/// One quota as a generic cell rate algorithm: one call every `interval`, `burst` at once.
#[derive(Debug)]
struct Quota {
    interval: Duration,
    /// How far ahead of its theoretical time a call may go: (burst - 1) x interval.
    tolerance: Duration,
    /// The theoretical arrival time of the next call.
    next: Option<Instant>,
}

impl Quota {
    fn new(per_second: f64, burst: f64) -> Self {
        let quota = Duration::from_secs_f64(1.0 / per_second);
        let least = if burst > 1.0 {
            quota
        } else {
            quota + LEAST_MARGIN
        };
        let interval = quota.mul_f64(MARGIN).max(least);
        Quota {
            interval,
            tolerance: interval.mul_f64(burst - 1.0),
            next: None,
        }
    }

    /// The earliest time from `now` at which a call fits this quota.
    fn earliest(&self, now: Instant) -> Instant {
        match self.next {
            Some(next) => now.max(next.checked_sub(self.tolerance).unwrap_or(now)),
            None => now,
        }
    }

    /// Counts a call made at `at`.
    fn take(&mut self, at: Instant) {
        let next = self.next.map_or(at, |next| next.max(at));
        self.next = Some(next + self.interval);
    }

    /// How long from `now` until the last of `calls` more calls fits this quota.
    fn wait_for(&self, calls: usize, now: Instant) -> Duration {
        if calls == 0 {
            return Duration::ZERO;
        }
        let next = self.next.map_or(now, |next| next.max(now));
        let last = next + self.interval.mul_f64((calls - 1) as f64);
        last.checked_sub(self.tolerance)
            .map_or(Duration::ZERO, |at| at.saturating_duration_since(now))
    }

    /// How long from `now` until the slot of the last call already counted, when a call
    /// without burst waits for it (for a quota with burst, the slots it gives at once).
    fn reserved_wait(&self, now: Instant) -> Duration {
        self.next
            .and_then(|next| next.checked_sub(self.interval + self.tolerance))
            .map_or(Duration::ZERO, |slot| slot.saturating_duration_since(now))
    }
}

/// How many calls have reserved a slot from a pacer since it was made (retries included).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Reserved {
    /// Calls of every kind.
    pub calls: usize,
    /// UpdateUsagePlan calls among them.
    pub updates: usize,
}

/// The quotas of one account, shared by every call tollgate makes to it.
#[derive(Debug)]
struct Quotas {
    all: Quota,
    update_plan: Quota,
    api_keys: Quota,
    reserved: Reserved,
}

/// Reserves a slot for each call inside the account's quotas.
#[derive(Debug)]
pub struct Pacer {
    pace: Pace,
    quotas: Option<Mutex<Quotas>>,
    /// Held while a CreateUsagePlanKey is in flight: AWS refuses concurrent ones.
    key_association: tokio::sync::Mutex<()>,
    /// Held while an UpdateUsagePlan waits for its slot and is in flight, so that each
    /// update's slot counts from when the one before was really sent.
    update_plan: tokio::sync::Mutex<()>,
}

impl Pacer {
    /// A pacer for `pace`.
    pub fn new(pace: Pace) -> Self {
        let quotas = match pace {
            Pace::Aws { speedup } => Some(Mutex::new(Quotas {
                // One of the burst is kept back for the update waiting for its own slot,
                // whose share of this quota is counted when it starts waiting.
                all: Quota::new(CALLS_PER_SECOND * speedup, CALL_BURST - 1.0),
                update_plan: Quota::new(speedup / UPDATE_INTERVAL_SECONDS, 1.0),
                api_keys: Quota::new(API_KEY_CALLS_PER_SECOND * speedup, 1.0),
                reserved: Reserved::default(),
            })),
            Pace::Unpaced => None,
        };
        Pacer {
            pace,
            quotas,
            key_association: tokio::sync::Mutex::new(()),
            update_plan: tokio::sync::Mutex::new(()),
        }
    }

    /// Waits for `operation`'s slot and counts the call as made. For CreateUsagePlanKey and
    /// UpdateUsagePlan the returned guard keeps the next call of the kind waiting until it is
    /// dropped, after the call.
    pub async fn slot(&self, operation: &str) -> Option<tokio::sync::MutexGuard<'_, ()>> {
        // One at a time, and a slot reserved only once the call before is done: slots
        // reserved ahead of a slow call would otherwise bunch up behind it.
        let guard = match operation {
            "CreateUsagePlanKey" => Some(self.key_association.lock().await),
            "UpdateUsagePlan" => Some(self.update_plan.lock().await),
            _ => None,
        };
        if let Some(at) = self.reserve(operation) {
            tokio::time::sleep_until(at).await;
            self.sent(operation);
        }
        guard
    }

    /// Counts `operation`'s own quota from now, when the call goes out later than its slot.
    fn sent(&self, operation: &str) {
        let Some(quotas) = self.quotas.as_ref() else {
            return;
        };
        let mut quotas = quotas
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if operation == "UpdateUsagePlan" {
            let now = Instant::now();
            let quota = &mut quotas.update_plan;
            quota.next = Some(
                quota
                    .next
                    .map_or(now, |next| next.max(now + quota.interval)),
            );
        }
    }

    /// Reserves the earliest slot for `operation`; `None` when unpaced.
    fn reserve(&self, operation: &str) -> Option<Instant> {
        let quotas = self.quotas.as_ref()?;
        // A poisoned lock only means another call panicked mid-update; its numbers stand.
        let mut quotas = quotas
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let now = Instant::now();
        let Quotas {
            all,
            update_plan,
            api_keys,
            reserved,
        } = &mut *quotas;
        reserved.calls += 1;
        reserved.updates += usize::from(operation == "UpdateUsagePlan");
        let own = match operation {
            "UpdateUsagePlan" => Some(update_plan),
            "CreateApiKey" | "DeleteApiKey" => Some(api_keys),
            _ => None,
        };
        // A call that waits for its own quota (an update, 20 s ahead) counts against the
        // shared quota as soon as that allows, so it does not push every later call back.
        let shared = all.earliest(now);
        all.take(shared);
        let at = match own {
            Some(quota) => {
                let at = quota.earliest(now).max(shared);
                quota.take(at);
                at
            }
            None => shared,
        };
        Some(at)
    }

    /// How many calls have reserved a slot so far; zero when unpaced.
    pub fn reserved(&self) -> Reserved {
        self.quotas.as_ref().map_or(Reserved::default(), |quotas| {
            quotas
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .reserved
        })
    }

    /// The least time from now that AWS's quotas allow for a run of `updates` UpdateUsagePlan
    /// calls and `calls` calls in all of which those reserved since `since` have had their
    /// slots: an update waiting for its slot counts its wait, and the quotas' state counts
    /// the calls made before (so it falls as a wait goes on). Zero when unpaced.
    pub fn time_left(&self, since: Reserved, updates: usize, calls: usize) -> Duration {
        let Some(quotas) = self.quotas.as_ref() else {
            return Duration::ZERO;
        };
        let quotas = quotas
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let now = Instant::now();
        let updates = updates.saturating_sub(quotas.reserved.updates - since.updates);
        let calls = calls.saturating_sub(quotas.reserved.calls - since.calls);
        let update_plan = &quotas.update_plan;
        update_plan
            .reserved_wait(now)
            .max(update_plan.wait_for(updates, now))
            .max(quotas.all.wait_for(calls, now))
    }

    /// The least time AWS's quotas allow for `updates` UpdateUsagePlan calls and `calls`
    /// calls in all: the larger of 20 s x (updates - 1) and the time beyond the burst at
    /// 10 a second, both divided by the speed-up. Zero when unpaced.
    pub fn minimum(&self, updates: usize, calls: usize) -> Duration {
        let Pace::Aws { speedup } = self.pace else {
            return Duration::ZERO;
        };
        let updates = UPDATE_INTERVAL_SECONDS * updates.saturating_sub(1) as f64;
        let calls = (calls as f64 - CALL_BURST).max(0.0) / CALLS_PER_SECOND;
        Duration::from_secs_f64(updates.max(calls) / speedup)
    }
}

#[cfg(test)]
mod tests {
    use futures_util::FutureExt;

    use super::*;

    #[test]
    fn parses_each_pace_and_refuses_the_rest() {
        assert_eq!("aws".parse(), Ok(Pace::Aws { speedup: 1.0 }));
        assert_eq!("aws:100".parse(), Ok(Pace::Aws { speedup: 100.0 }));
        assert_eq!("aws:0.5".parse(), Ok(Pace::Aws { speedup: 0.5 }));
        assert_eq!("none".parse(), Ok(Pace::Unpaced));
        for bad in [
            "", "AWS", "aws:", "aws:0", "aws:-1", "aws:inf", "aws:NaN", "fast", "none:2",
        ] {
            let error = bad.parse::<Pace>().unwrap_err();
            assert!(error.contains("aws:F"), "{bad}: {error}");
        }
        assert_eq!(Pace::Aws { speedup: 100.0 }.to_string(), "aws:100");
        assert_eq!(Pace::default().to_string(), "aws");
    }

    #[tokio::test(start_paused = true)]
    async fn updates_are_twenty_seconds_apart_and_other_calls_go_in_the_gaps() {
        let pacer = Pacer::new(Pace::default());
        let start = Instant::now();
        let first = pacer.reserve("UpdateUsagePlan").unwrap();
        let second = pacer.reserve("UpdateUsagePlan").unwrap();
        let read = pacer.reserve("GetUsagePlans").unwrap();
        assert_eq!(first, start);
        assert!(
            second - start >= Duration::from_secs(20),
            "{:?}",
            second - start
        );
        assert!(second - start <= Duration::from_secs_f64(20.0 * MARGIN + 0.001));
        assert!(
            read - start < Duration::from_secs(1),
            "a read waits for no update"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn an_update_sent_late_moves_the_next_one_back() {
        let pacer = Pacer::new(Pace::default());
        let start = Instant::now();
        drop(pacer.slot("UpdateUsagePlan").await);
        // The first update's answer is slow: the second waits for it, then 20 s more.
        let first = pacer.update_plan.lock().await;
        tokio::time::advance(Duration::from_secs(5)).await;
        pacer.sent("UpdateUsagePlan");
        drop(first);
        drop(pacer.slot("UpdateUsagePlan").await);
        let second = Instant::now() - start;
        assert!(second >= Duration::from_secs(25), "{second:?}");
        assert!(
            second <= Duration::from_secs_f64(5.0 + 20.0 * MARGIN + 0.01),
            "{second:?}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn all_calls_burst_then_go_ten_a_second() {
        let pacer = Pacer::new(Pace::default());
        let start = Instant::now();
        let slots: Vec<Duration> = (0..60)
            .map(|_| pacer.reserve("CreateUsagePlanKey").unwrap() - start)
            .collect();
        // 39 at once: one of AWS's 40 is kept for an update waiting for its slot.
        assert!(slots[..39].iter().all(|slot| slot.is_zero()), "{slots:?}");
        assert!(slots[39] > Duration::ZERO);
        // 21 calls beyond the burst take about 2.1 seconds at 10 a second.
        let last = slots[59].as_secs_f64();
        assert!((2.1..2.2).contains(&last), "{last}");
    }

    #[tokio::test(start_paused = true)]
    async fn a_speedup_shortens_every_interval_and_unpaced_never_waits() {
        let pacer = Pacer::new(Pace::Aws { speedup: 100.0 });
        let start = Instant::now();
        pacer.reserve("UpdateUsagePlan");
        let second = pacer.reserve("UpdateUsagePlan").unwrap() - start;
        assert!((0.2..0.21).contains(&second.as_secs_f64()), "{second:?}");
        assert_eq!(Pacer::new(Pace::Unpaced).reserve("UpdateUsagePlan"), None);
    }

    #[tokio::test(start_paused = true)]
    async fn the_time_left_falls_while_an_update_waits_for_its_slot() {
        let pacer = Pacer::new(Pace::default());
        let since = pacer.reserved();
        // Three updates: the first goes at once, the second waits 20 s for its slot, the
        // third 20 s more.
        let interval = Duration::from_secs_f64(UPDATE_INTERVAL_SECONDS * MARGIN);
        assert_eq!(pacer.time_left(since, 3, 3), interval * 2);
        drop(pacer.slot("UpdateUsagePlan").await);
        let second = pacer.slot("UpdateUsagePlan");
        tokio::pin!(second);
        assert!((&mut second).now_or_never().is_none(), "it waits");
        let mut left = Vec::new();
        for _ in 0..4 {
            left.push(pacer.time_left(since, 3, 3));
            tokio::time::advance(Duration::from_secs(5)).await;
        }
        let step = Duration::from_secs(5);
        assert_eq!(
            left,
            [0, 1, 2, 3].map(|k| interval * 2 - step * k),
            "falls with the wait"
        );
        drop(second.await);
        assert_eq!(pacer.reserved().updates - since.updates, 2);
        assert_eq!(
            Pacer::new(Pace::Unpaced).time_left(since, 3, 3),
            Duration::ZERO
        );
    }

    #[test]
    fn the_minimum_is_the_larger_quota_bound() {
        let pacer = Pacer::new(Pace::Aws { speedup: 10.0 });
        assert_eq!(pacer.minimum(40, 100), Duration::from_secs_f64(78.0));
        assert_eq!(pacer.minimum(2, 1040), Duration::from_secs_f64(10.0));
        assert_eq!(pacer.minimum(0, 10), Duration::ZERO);
        assert_eq!(Pacer::new(Pace::Unpaced).minimum(40, 1000), Duration::ZERO);
    }
}
