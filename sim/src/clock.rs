//! The emulator's clock: real time (optionally sped up) or a manual clock a test drives.

use std::sync::Mutex;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use crate::sync::lock;
use crate::ClockMode;

/// A clock giving Unix time in (fractional) seconds.
#[derive(Debug)]
pub struct Clock {
    base: f64,
    started: Instant,
    speed: f64,
    manual: bool,
    advanced: Mutex<f64>,
}

impl Clock {
    /// A clock in the given mode.
    pub fn new(mode: &ClockMode) -> Self {
        let (base, speed, manual) = match *mode {
            ClockMode::Real { speed } => {
                let now = SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .map_or(0.0, |d| d.as_secs_f64());
                (now, speed, false)
            }
            ClockMode::Manual { start } => (start as f64, 0.0, true),
        };
        Self {
            base,
            started: Instant::now(),
            speed,
            manual,
            advanced: Mutex::new(0.0),
        }
    }

    /// The current Unix time in seconds.
    pub fn now(&self) -> f64 {
        let running = if self.manual {
            0.0
        } else {
            self.started.elapsed().as_secs_f64() * self.speed
        };
        self.base + running + *lock(&self.advanced)
    }

    /// Moves the clock forward (on a real clock, shifts it).
    pub fn advance(&self, seconds: u64) {
        *lock(&self.advanced) += seconds as f64;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manual_clock_moves_only_when_told() {
        let clock = Clock::new(&ClockMode::Manual { start: 1000 });
        assert_eq!(clock.now(), 1000.0);
        clock.advance(20);
        assert_eq!(clock.now(), 1020.0);
    }

    #[test]
    fn real_clock_runs_at_its_speed() {
        let clock = Clock::new(&ClockMode::Real { speed: 1000.0 });
        let t0 = clock.now();
        std::thread::sleep(std::time::Duration::from_millis(20));
        assert!(clock.now() - t0 >= 10.0);
    }
}
