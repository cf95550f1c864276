//! The account quotas of the management API, as token buckets on the emulator's clock.

use crate::Quotas;

/// A token bucket: `capacity` tokens, refilled at `rate` tokens a second.
#[derive(Debug, Clone)]
struct Bucket {
    capacity: f64,
    rate: f64,
    tokens: f64,
    last: f64,
}

impl Bucket {
    fn new(capacity: f64, rate: f64, now: f64) -> Self {
        Self {
            capacity,
            rate,
            tokens: capacity,
            last: now,
        }
    }

    fn refill(&mut self, now: f64) {
        if now > self.last {
            self.tokens = (self.tokens + (now - self.last) * self.rate).min(self.capacity);
            self.last = now;
        }
    }

    /// Seconds until a token is available (0 if one is).
    fn wait(&self) -> f64 {
        if self.tokens >= 1.0 {
            0.0
        } else {
            (1.0 - self.tokens) / self.rate
        }
    }
}

/// AWS's quotas: UpdateUsagePlan 1 per 20 s, CreateApiKey/DeleteApiKey 5 per second,
/// and 10 per second with a burst of 40 for all operations together.
#[derive(Debug, Clone)]
pub struct Limiter {
    speedup: f64,
    total: Bucket,
    update_plan: Bucket,
    api_keys: Bucket,
}

impl Limiter {
    /// Full buckets at `now`, their rates multiplied by the configured speed-up (> 0, as
    /// `Config::check` makes sure).
    pub fn new(quotas: &Quotas, now: f64) -> Self {
        let speedup = quotas.speedup;
        Self {
            speedup,
            total: Bucket::new(40.0, 10.0 * speedup, now),
            update_plan: Bucket::new(1.0, speedup / 20.0, now),
            api_keys: Bucket::new(5.0, 5.0 * speedup, now),
        }
    }

    /// The bucket of `operation`'s own quota, if it has one besides the total.
    fn own_bucket(&mut self, operation: &str) -> Option<&mut Bucket> {
        match operation {
            "UpdateUsagePlan" => Some(&mut self.update_plan),
            "CreateApiKey" | "DeleteApiKey" => Some(&mut self.api_keys),
            _ => None,
        }
    }

    /// Takes a token for `operation`, or says how many seconds to wait before retrying.
    pub fn acquire(&mut self, operation: &str, now: f64) -> Result<(), f64> {
        self.total.refill(now);
        let total_wait = self.total.wait();
        let mut own = self.own_bucket(operation);
        let own_wait = own.as_mut().map_or(0.0, |bucket| {
            bucket.refill(now);
            bucket.wait()
        });
        let wait = own_wait.max(total_wait);
        if wait > 0.0 {
            return Err(wait);
        }
        if let Some(bucket) = own {
            bucket.tokens -= 1.0;
        }
        self.total.tokens -= 1.0;
        Ok(())
    }

    /// Fills every bucket again.
    pub fn refill_all(&mut self, now: f64) {
        *self = Self::new(
            &Quotas {
                speedup: self.speedup,
            },
            now,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn update_usage_plan_is_one_per_twenty_seconds() {
        let mut limiter = Limiter::new(&Quotas { speedup: 1.0 }, 0.0);
        assert!(limiter.acquire("UpdateUsagePlan", 0.0).is_ok());
        let wait = limiter.acquire("UpdateUsagePlan", 1.0).unwrap_err();
        assert!((wait - 19.0).abs() < 1e-9);
        assert!(limiter.acquire("UpdateUsagePlan", 20.0).is_ok());
    }

    #[test]
    fn total_allows_a_burst_of_forty_then_ten_per_second() {
        let mut limiter = Limiter::new(&Quotas { speedup: 1.0 }, 0.0);
        assert!((0..40).all(|_| limiter.acquire("GetUsagePlans", 0.0).is_ok()));
        assert!(limiter.acquire("GetUsagePlans", 0.0).is_err());
        assert!((0..10).all(|_| limiter.acquire("GetUsagePlans", 1.0).is_ok()));
        assert!(limiter.acquire("GetUsagePlans", 1.0).is_err());
    }

    #[test]
    fn speedup_shortens_the_wait() {
        let mut limiter = Limiter::new(&Quotas { speedup: 100.0 }, 0.0);
        assert!(limiter.acquire("UpdateUsagePlan", 0.0).is_ok());
        assert!(limiter.acquire("UpdateUsagePlan", 0.1).is_err());
        assert!(limiter.acquire("UpdateUsagePlan", 0.2).is_ok());
    }

    #[test]
    fn a_refused_call_takes_no_token() {
        let mut limiter = Limiter::new(&Quotas { speedup: 1.0 }, 0.0);
        assert!((0..5).all(|_| limiter.acquire("CreateApiKey", 0.0).is_ok()));
        assert!(limiter.acquire("CreateApiKey", 0.0).is_err());
        assert!((0..35).all(|_| limiter.acquire("GetApiKeys", 0.0).is_ok()));
        assert!(limiter.acquire("GetApiKeys", 0.0).is_err());
    }
}
