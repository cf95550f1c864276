//! The request to stop that an interrupt (Ctrl-C, SIGTERM) makes: no new call and no retry
//! starts after it, while calls that finish a started step still go out.

use std::sync::Arc;

use tokio::sync::watch;

/// A flag every clone shares, set once by [`Stop::request`].
#[derive(Debug, Clone)]
pub struct Stop(Arc<watch::Sender<bool>>);

impl Default for Stop {
    fn default() -> Self {
        Stop(Arc::new(watch::channel(false).0))
    }
}

impl Stop {
    /// Asks everything that shares this flag to stop.
    pub fn request(&self) {
        self.0.send_replace(true);
    }

    /// Whether a stop was requested.
    pub fn requested(&self) -> bool {
        *self.0.borrow()
    }

    /// Completes once a stop is requested (at once if it already was).
    pub async fn requested_now(&self) {
        let mut receiver = self.0.subscribe();
        // The sender lives as long as `self`, so waiting cannot fail.
        let _ = receiver.wait_for(|stopped| *stopped).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn every_clone_sees_the_request() {
        let stop = Stop::default();
        let clone = stop.clone();
        assert!(!clone.requested());
        let waiter = tokio::spawn(async move { clone.requested_now().await });
        stop.request();
        waiter.await.unwrap();
        assert!(stop.requested());
        stop.requested_now().await;
    }
}
