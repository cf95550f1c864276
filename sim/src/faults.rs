//! Injected faults: 500s, 503s and dropped connections drawn from a seeded generator.

use crate::rng::SplitMix64;
use crate::Faults;

/// What to do to one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Answer it normally.
    None,
    /// Close the connection without an answer.
    Drop,
    /// Answer 500.
    Error500,
    /// Answer 503.
    Error503,
}

/// Draws one fault per request, reproducibly for a given seed.
#[derive(Debug, Clone)]
pub struct FaultInjector {
    rng: SplitMix64,
    drop_rate: f64,
    error_500_rate: f64,
    error_503_rate: f64,
}

impl FaultInjector {
    /// An injector for the given rates and seed.
    pub fn new(faults: &Faults) -> Self {
        Self {
            rng: SplitMix64::new(faults.seed),
            drop_rate: faults.drop_rate,
            error_500_rate: faults.error_500_rate,
            error_503_rate: faults.error_503_rate,
        }
    }

    /// The fault for the next request.
    pub fn next(&mut self) -> Fault {
        let x = self.rng.next_f64();
        if x < self.drop_rate {
            Fault::Drop
        } else if x < self.drop_rate + self.error_500_rate {
            Fault::Error500
        } else if x < self.drop_rate + self.error_500_rate + self.error_503_rate {
            Fault::Error503
        } else {
            Fault::None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn faults(seed: u64) -> Faults {
        Faults {
            seed,
            error_500_rate: 0.2,
            error_503_rate: 0.2,
            drop_rate: 0.2,
            latency_ms: 0,
        }
    }

    #[test]
    fn same_seed_same_faults_and_rates_roughly_hold() {
        let a: Vec<Fault> = {
            let mut f = FaultInjector::new(&faults(3));
            (0..1000).map(|_| f.next()).collect()
        };
        let b: Vec<Fault> = {
            let mut f = FaultInjector::new(&faults(3));
            (0..1000).map(|_| f.next()).collect()
        };
        assert_eq!(a, b);
        let drops = a.iter().filter(|f| **f == Fault::Drop).count();
        assert!((150..250).contains(&drops), "{drops}");
        assert!(
            a.contains(&Fault::Error500)
                && a.contains(&Fault::Error503)
                && a.contains(&Fault::None)
        );
    }

    #[test]
    fn zero_rates_inject_nothing() {
        let mut f = FaultInjector::new(&Faults {
            seed: 1,
            error_500_rate: 0.0,
            error_503_rate: 0.0,
            drop_rate: 0.0,
            latency_ms: 0,
        });
        assert!((0..100).all(|_| f.next() == Fault::None));
    }
}
