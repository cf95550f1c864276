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

/// How many ports moto is tried on before giving up.
pub const START_ATTEMPTS: usize = 3;

/// A running `moto_server`, killed when dropped. Each one has its own empty state.
pub struct MotoServer {
    child: Child,
    addr: SocketAddr,
    home: tempfile::TempDir,
}

impl MotoServer {
    /// Spawns `moto_server -H 127.0.0.1 -p <free port>` from the project's virtual
    /// environment and waits until it answers as moto. A port another process takes between
    /// being found free and moto binding it (a race no port choice avoids) costs a retry on
    /// another port, never a test talking to the wrong server.
    ///
    /// # Panics
    ///
    /// When moto is not installed (see [`crate::venv_tool`]), cannot be spawned, or does not
    /// answer within a minute on any of [`START_ATTEMPTS`] ports; the message includes moto's
    /// log.
    pub fn start() -> MotoServer {
        let mut failures = Vec::new();
        for _ in 0..START_ATTEMPTS {
            let mut server = MotoServer::spawn();
            match server.wait_until_answering() {
                Ok(()) => return server,
                Err(failure) => failures.push(failure),
            }
        }
        panic!("moto_server did not start:\n{}", failures.join("\n---\n"));
    }

    /// Spawns moto on a port that was free a moment ago.
    fn spawn() -> MotoServer {
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
        MotoServer { child, addr, home }
    }

    /// The base URL to give a client, e.g. `http://127.0.0.1:40123`.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Waits until moto answers on its port; an error when it exits first, when something
    /// else answers there, or after [`START_TIMEOUT`].
    fn wait_until_answering(&mut self) -> Result<(), String> {
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(format!(
                    "moto_server exited with {status} before answering on {}:\n{}",
                    self.addr,
                    self.log_text()
                ));
            }
            if let Ok(stream) = TcpStream::connect_timeout(&self.addr, Duration::from_millis(200)) {
                return match is_moto(stream) {
                    true => Ok(()),
                    false => Err(format!(
                        "another server answers on {}, the port moto was given",
                        self.addr
                    )),
                };
            }
            if Instant::now() >= deadline {
                return Err(format!(
                    "moto_server did not answer on {} within {START_TIMEOUT:?}:\n{}",
                    self.addr,
                    self.log_text()
                ));
            }
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

/// Whether the server at the other end of `stream` is moto: its own API answers
/// `GET /moto-api/data.json` with 200 and a JSON object.
fn is_moto(mut stream: TcpStream) -> bool {
    use std::io::{Read, Write};
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    if stream
        .write_all(b"GET /moto-api/data.json HTTP/1.0\r\nHost: localhost\r\n\r\n")
        .is_err()
    {
        return false;
    }
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    let status_ok = answer.starts_with("HTTP/1.1 200") || answer.starts_with("HTTP/1.0 200");
    let body = answer.split("\r\n\r\n").nth(1).unwrap_or("");
    status_ok && body.trim_start().starts_with('{')
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A one-shot server on a free port that answers every request with `answer`.
    fn answering(answer: &'static str) -> SocketAddr {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = listener.local_addr().expect("address");
        std::thread::spawn(move || {
            use std::io::{Read, Write};
            if let Ok((mut stream, _)) = listener.accept() {
                let mut request = [0u8; 1024];
                let _ = stream.read(&mut request);
                let _ = stream.write_all(answer.as_bytes());
            }
        });
        addr
    }

    #[test]
    fn only_moto_is_taken_for_moto() {
        let other = answering("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
        assert!(!is_moto(TcpStream::connect(other).expect("connect")));
        let html = answering("HTTP/1.1 200 OK\r\n\r\n<html></html>");
        assert!(!is_moto(TcpStream::connect(html).expect("connect")));
        let moto = answering("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n{}");
        assert!(is_moto(TcpStream::connect(moto).expect("connect")));
    }
}
