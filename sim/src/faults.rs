//! Injected faults: 500s, 503s, 429s, dropped connections and lost answers, drawn from a
//! seeded generator.

use crate::error::SimError;
use crate::rng::SplitMix64;
use crate::{Faults, Refusal};

/// What to do to one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Answer it normally.
    None,
    /// Close the connection without an answer, before doing the work.
    Drop,
    /// Do the work, then close the connection without an answer (the answer is lost).
    Lost,
    /// Answer 429 TooManyRequestsException without doing the work.
    Throttle,
    /// Answer 500.
    Error500,
    /// Answer 503.
    Error503,
}

/// Draws one fault per request, reproducibly for a given seed.
#[derive(Debug, Clone)]
pub struct FaultInjector {
    rng: SplitMix64,
    /// Each fault with its share of requests, drawn in this order.
    rates: [(Fault, f64); 5],
    /// The operations that draw faults; empty: all.
    operations: Vec<String>,
    /// The requests refused whatever is drawn.
    refusals: Vec<Refusal>,
}

impl FaultInjector {
    /// An injector for the given rates and seed.
    pub fn new(faults: &Faults) -> Self {
        Self {
            rng: SplitMix64::new(faults.seed),
            rates: [
                (Fault::Drop, faults.drop_rate),
                (Fault::Error500, faults.error_500_rate),
                (Fault::Error503, faults.error_503_rate),
                (Fault::Lost, faults.lost_rate),
                (Fault::Throttle, faults.throttle_rate),
            ],
            operations: faults.operations.clone(),
            refusals: faults.refusals.clone(),
        }
    }

    /// The error that refuses a request of `operation` on `path`, if one is configured.
    pub fn refusal(&self, operation: &str, path: &str) -> Option<SimError> {
        self.refusals
            .iter()
            .find(|refusal| refusal.operation == operation && path.contains(&refusal.path_contains))
            .map(|refusal| refusal.error.clone())
    }

    /// The fault for the next request, of `operation`.
    pub fn next(&mut self, operation: &str) -> Fault {
        if !self.operations.is_empty() && !self.operations.iter().any(|op| op == operation) {
            return Fault::None;
        }
        let x = self.rng.next_f64();
        let mut bound = 0.0;
        for (fault, rate) in self.rates {
            bound += rate;
            if x < bound {
                return fault;
            }
        }
        Fault::None
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
            lost_rate: 0.1,
            throttle_rate: 0.1,
            ..Faults::default()
        }
    }

    #[test]
    fn same_seed_same_faults_and_rates_roughly_hold() {
        let a: Vec<Fault> = {
            let mut f = FaultInjector::new(&faults(3));
            (0..1000).map(|_| f.next("GetUsagePlans")).collect()
        };
        let b: Vec<Fault> = {
            let mut f = FaultInjector::new(&faults(3));
            (0..1000).map(|_| f.next("GetUsagePlans")).collect()
        };
        assert_eq!(a, b);
        let drops = a.iter().filter(|f| **f == Fault::Drop).count();
        assert!((150..250).contains(&drops), "{drops}");
        let lost = a.iter().filter(|f| **f == Fault::Lost).count();
        assert!((60..140).contains(&lost), "{lost}");
        for fault in [
            Fault::Error500,
            Fault::Error503,
            Fault::Throttle,
            Fault::None,
        ] {
            assert!(a.contains(&fault), "{fault:?} never drawn");
        }
    }

    #[test]
    fn only_the_listed_operations_draw_faults() {
        let mut f = FaultInjector::new(&Faults {
            lost_rate: 1.0,
            operations: vec!["UpdateUsage".into()],
            ..Faults::default()
        });
        assert_eq!(f.next("UpdateUsagePlan"), Fault::None);
        assert_eq!(f.next("UpdateUsage"), Fault::Lost);
    }

    #[test]
    fn a_refusal_answers_only_its_operation_on_its_path() {
        let f = FaultInjector::new(&Faults {
            refusals: vec![Refusal {
                operation: "UpdateUsagePlan".into(),
                path_contains: "/usageplans/gold".into(),
                error: SimError::bad_request("no"),
            }],
            ..Faults::default()
        });
        assert_eq!(
            f.refusal("UpdateUsagePlan", "/usageplans/gold"),
            Some(SimError::bad_request("no"))
        );
        assert_eq!(f.refusal("UpdateUsagePlan", "/usageplans/silver"), None);
        assert_eq!(f.refusal("TagResource", "/usageplans/gold"), None);
    }

    #[test]
    fn zero_rates_inject_nothing() {
        let mut f = FaultInjector::new(&Faults {
            seed: 1,
            ..Faults::default()
        });
        assert!((0..100).all(|_| f.next("GetUsagePlans") == Fault::None));
    }
}
