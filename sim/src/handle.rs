//! The running emulator as a value: `Sim` in an async test, `BlockingSim` on its own thread
//! for synchronous tests.

use std::collections::BTreeMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::thread::JoinHandle;

use tokio::net::TcpListener;
use tokio::sync::oneshot;

use crate::core::Core;
use crate::error::SimError;
use crate::server::serve;
use crate::Config;

/// A running emulator on `127.0.0.1`, serving until stopped or dropped.
#[derive(Debug)]
pub struct Sim {
    core: Arc<Core>,
    addr: SocketAddr,
    server: tokio::task::JoinHandle<()>,
}

impl Sim {
    /// Starts an emulator on a free port.
    pub async fn start(config: Config) -> std::io::Result<Sim> {
        Self::start_on(config, 0).await
    }

    /// Starts an emulator on `127.0.0.1:port` (0 picks a free port).
    /// An invalid `config` (see [`Config::check`]) is an error of kind `InvalidInput`.
    pub async fn start_on(config: Config, port: u16) -> std::io::Result<Sim> {
        config.check()?;
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, port)).await?;
        let addr = listener.local_addr()?;
        let core = Arc::new(Core::new(config));
        let server = tokio::spawn(serve(listener, core.clone()));
        Ok(Sim { core, addr, server })
    }

    /// The URL to give the SDK or the CLI: `http://127.0.0.1:PORT`.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops serving and closes every connection.
    pub async fn stop(mut self) {
        self.server.abort();
        // The task was aborted: its cancellation is the expected outcome.
        let _ = (&mut self.server).await;
    }
}

impl Drop for Sim {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// An emulator running on its own thread and tokio runtime; stops when dropped.
#[derive(Debug)]
pub struct BlockingSim {
    core: Arc<Core>,
    endpoint: String,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl BlockingSim {
    /// Starts an emulator on a free port, on a thread of its own.
    pub fn start(config: Config) -> std::io::Result<BlockingSim> {
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let (stop_tx, stop_rx) = oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("tollgate-sim".into())
            .spawn(move || {
                let runtime = match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(runtime) => runtime,
                    Err(e) => {
                        // The receiver waits for exactly this message.
                        let _ = ready_tx.send(Err(e));
                        return;
                    }
                };
                runtime.block_on(async move {
                    match Sim::start(config).await {
                        Ok(sim) => {
                            let _ = ready_tx.send(Ok((sim.core.clone(), sim.endpoint())));
                            // Either a stop request or the handle being dropped ends the wait.
                            let _ = stop_rx.await;
                            sim.stop().await;
                        }
                        Err(e) => {
                            let _ = ready_tx.send(Err(e));
                        }
                    }
                });
            })?;
        let (core, endpoint) = ready_rx
            .recv()
            .map_err(|_| std::io::Error::other("the emulator thread ended before starting"))??;
        Ok(BlockingSim {
            core,
            endpoint,
            stop: Some(stop_tx),
            thread: Some(thread),
        })
    }

    /// The URL to give the SDK or the CLI: `http://127.0.0.1:PORT`.
    pub fn endpoint(&self) -> String {
        self.endpoint.clone()
    }
}

impl Drop for BlockingSim {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// The control operations both handles offer, forwarded to the shared core.
macro_rules! controls {
    ($handle:ty) => {
        impl $handle {
            /// Calls received per AWS operation name (`"GetUsagePlans"`, `"UpdateUsagePlan"`, ...).
            pub fn calls(&self) -> BTreeMap<String, u64> {
                self.core.calls()
            }

            /// 429 TooManyRequestsException answers issued per operation.
            pub fn throttled(&self) -> BTreeMap<String, u64> {
                self.core.throttled()
            }

            /// Calls carried out per operation: answered with success, or done and then
            /// answered by a lost connection (`Faults::lost_rate`).
            pub fn carried_out(&self) -> BTreeMap<String, u64> {
                self.core.carried_out()
            }

            /// Zeroes the counters and fills the quota buckets again.
            pub fn reset_counters(&self) {
                self.core.reset_counters()
            }

            /// Records `requests` calls by a key of a plan on `date` (`YYYY-MM-DD`).
            pub fn record_usage(
                &self,
                plan_id: &str,
                key_id: &str,
                date: &str,
                requests: u64,
            ) -> Result<(), SimError> {
                self.core.record_usage(plan_id, key_id, date, requests)
            }

            /// Moves the emulator's clock forward (meant for the manual clock).
            pub fn advance_clock(&self, seconds: u64) {
                self.core.advance_clock(seconds)
            }

            /// The whole state as JSON (the format `load_state` takes).
            pub fn dump_state(&self) -> serde_json::Value {
                self.core.dump_state()
            }

            /// The state of `account` in `region` as JSON: another account's or region's, as
            /// requests signed with its access key (see the seed's `accounts`) or region made it.
            pub fn dump_state_of(&self, account: &str, region: &str) -> serde_json::Value {
                self.core.dump_state_of(account, region)
            }

            /// Replaces the state with a dump, checked with the API's rules first.
            pub fn load_state(&self, state: serde_json::Value) -> Result<(), SimError> {
                self.core.load_state(state)
            }
        }
    };
}

controls!(Sim);
controls!(BlockingSim);
