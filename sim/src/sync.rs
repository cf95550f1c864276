//! Locking the emulator's shared data (state, counters, quotas, faults, the clock's offset).

use std::sync::{Mutex, MutexGuard, PoisonError};

/// Locks a mutex, taking over the data if another thread panicked while holding it.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}
