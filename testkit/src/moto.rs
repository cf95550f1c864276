//! moto's server, spawned on a free local port for the length of a test.

use std::fs::File;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::sealed::seal;
use crate::venv::venv_tool;

/// How long moto may take to start answering.
const START_TIMEOUT: Duration = Duration::from_secs(60);

/// A running `moto_server`, killed when dropped. Each one has its own empty state.
pub struct MotoServer {
    child: Child,
    addr: SocketAddr,
    home: tempfile::TempDir,
}

impl MotoServer {
    /// Spawns `moto_server -H 127.0.0.1 -p <free port>` from the project's virtual
    /// environment and waits until it accepts connections.
    ///
    /// # Panics
    ///
    /// When moto is not installed (see [`crate::venv_tool`]), cannot be spawned, exits, or
    /// does not answer within a minute; the message includes moto's log.
    pub fn start() -> MotoServer {
        let program = venv_tool("moto_server");
        let addr = free_local_port();
        let home = tempfile::tempdir().expect("create a home folder for moto");
        let log = File::create(log_path(&home)).expect("create moto's log file");
        let mut command = Command::new(&program);
        command.args(["-H", "127.0.0.1", "-p", &addr.port().to_string()]);
        let child = seal(&mut command, home.path())
            .stdin(Stdio::null())
            .stdout(Stdio::from(
                log.try_clone().expect("clone moto's log handle"),
            ))
            .stderr(Stdio::from(log))
            .spawn()
            .unwrap_or_else(|err| panic!("spawn {}: {err}", program.display()));
        let mut server = MotoServer { child, addr, home };
        server.wait_until_answering();
        server
    }

    /// The base URL to give a client, e.g. `http://127.0.0.1:40123`.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    fn wait_until_answering(&mut self) {
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!(
                    "moto_server exited with {status} before answering:\n{}",
                    self.log_text()
                );
            }
            if TcpStream::connect_timeout(&self.addr, Duration::from_millis(200)).is_ok() {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "moto_server did not answer on {} within {START_TIMEOUT:?}:\n{}",
                self.addr,
                self.log_text()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn log_text(&self) -> String {
        std::fs::read_to_string(log_path(&self.home)).unwrap_or_default()
    }
}

impl Drop for MotoServer {
    fn drop(&mut self) {
        // Already exited is fine; anything else leaves nothing to do in a destructor.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A loopback address whose port was free a moment ago.
fn free_local_port() -> SocketAddr {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("bind a free local port")
}

/// Where moto's output goes: a file, not a pipe, so that moto, which logs every request,
/// never blocks on a full pipe.
fn log_path(home: &tempfile::TempDir) -> PathBuf {
    home.path().join("moto.log")
}
