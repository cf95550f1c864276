//! End to end: tollgate holds against a broken or hostile endpoint and an oversized saved
//! plan. A hand-written HTTP/1.1 server on loopback answers GetUsagePlans the way AWS never
//! does (the same `position` again and again, an empty one, 300 MB of answer); each run ends
//! in a clear error after a few requests, and the process's peak memory (its rusage, read
//! when it is reaped) stays under 512 MiB.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::thread;

use common::tollgate_process_against;

/// The peak memory every run must stay under.
const MEMORY_CAP_KIB: i64 = 512 * 1024;

/// How the fake server answers GetUsagePlans.
#[derive(Debug, Clone, Copy)]
enum Answer {
    /// Every page gives the same `position`.
    SamePosition,
    /// The page gives `"position": ""`.
    EmptyPosition,
    /// 300 MB of answer, streamed in chunks with no length announced.
    Huge,
    /// An answer whose `Content-Length` announces 300 MB.
    HugeAnnounced,
}

/// 300 MB: the answer the review found accepted.
const HUGE: u64 = 300 * 1000 * 1000;

/// A loopback server answering GetUsagePlans as `answer` says (and STS's GetCallerIdentity
/// as AWS does), counting the GetUsagePlans requests and the bytes of answer it got out.
struct FakeServer {
    endpoint: String,
    requests: Arc<AtomicU64>,
    sent: Arc<AtomicU64>,
}

impl FakeServer {
    fn start(answer: Answer) -> FakeServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        let endpoint = format!("http://{}", listener.local_addr().expect("address"));
        let requests = Arc::new(AtomicU64::new(0));
        let sent = Arc::new(AtomicU64::new(0));
        let (counted, written) = (requests.clone(), sent.clone());
        thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (counted, written) = (counted.clone(), written.clone());
                thread::spawn(move || serve(stream, answer, &counted, &written));
            }
        });
        FakeServer {
            endpoint,
            requests,
            sent,
        }
    }

    fn requests(&self) -> u64 {
        self.requests.load(Ordering::SeqCst)
    }
}

/// Answers the requests of one keep-alive connection until the client closes it.
fn serve(stream: TcpStream, answer: Answer, requests: &AtomicU64, sent: &AtomicU64) {
    let mut writer = match stream.try_clone() {
        Ok(writer) => writer,
        Err(_) => return,
    };
    let mut reader = BufReader::new(stream);
    loop {
        let mut request_line = String::new();
        if reader.read_line(&mut request_line).unwrap_or(0) == 0 {
            return;
        }
        let mut length = 0usize;
        loop {
            let mut header = String::new();
            if reader.read_line(&mut header).unwrap_or(0) == 0 {
                return;
            }
            let header = header.trim_end();
            if header.is_empty() {
                break;
            }
            if let Some((name, value)) = header.split_once(':') {
                if name.eq_ignore_ascii_case("content-length") {
                    length = value.trim().parse().unwrap_or(0);
                }
            }
        }
        let mut body = vec![0; length];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        let path = request_line.split_whitespace().nth(1).unwrap_or("");
        let written = if path.starts_with("/usageplans") {
            requests.fetch_add(1, Ordering::SeqCst);
            usage_plans(&mut writer, answer, sent)
        } else if path == "/" {
            small(&mut writer, "text/xml", CALLER_IDENTITY)
        } else {
            small(
                &mut writer,
                "application/json",
                r#"{"message":"no such resource"}"#,
            )
        };
        if written.is_err() {
            return;
        }
    }
}

/// STS's answer to GetCallerIdentity.
const CALLER_IDENTITY: &str = "<GetCallerIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><GetCallerIdentityResult><Arn>arn:aws:iam::123456789012:user/test</Arn><UserId>AIDATEST</UserId><Account>123456789012</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>1</RequestId></ResponseMetadata></GetCallerIdentityResponse>";

fn small(writer: &mut TcpStream, content_type: &str, body: &str) -> std::io::Result<()> {
    write!(
        writer,
        "HTTP/1.1 200 OK\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )?;
    writer.flush()
}

/// One GetUsagePlans answer as `answer` says; the huge ones end the connection.
fn usage_plans(writer: &mut TcpStream, answer: Answer, sent: &AtomicU64) -> std::io::Result<()> {
    let chunk = vec![b' '; 1 << 20];
    match answer {
        Answer::SamePosition => small(
            writer,
            "application/json",
            r#"{"item":[],"position":"the-same-page"}"#,
        ),
        Answer::EmptyPosition => small(writer, "application/json", r#"{"item":[],"position":""}"#),
        Answer::Huge => {
            write!(
                writer,
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
            )?;
            let mut left = HUGE;
            while left > 0 {
                let size = left.min(chunk.len() as u64) as usize;
                write!(writer, "{size:x}\r\n")?;
                writer.write_all(&chunk[..size])?;
                writer.write_all(b"\r\n")?;
                sent.fetch_add(size as u64, Ordering::SeqCst);
                left -= size as u64;
            }
            writer.write_all(b"0\r\n\r\n")?;
            Err(std::io::Error::other("the whole answer went out"))
        }
        Answer::HugeAnnounced => {
            write!(
                writer,
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {HUGE}\r\n\r\n"
            )?;
            let mut left = HUGE;
            while left > 0 {
                let size = left.min(chunk.len() as u64) as usize;
                writer.write_all(&chunk[..size])?;
                sent.fetch_add(size as u64, Ordering::SeqCst);
                left -= size as u64;
            }
            Err(std::io::Error::other("the whole answer went out"))
        }
    }
}

/// What a run printed and how it ended, with its peak resident memory.
struct Measured {
    code: Option<i32>,
    stderr: String,
    max_rss_kib: i64,
}

/// Runs `command` to its end and reads its peak memory from the kernel as it is reaped
/// (`wait4`, so only this process is counted).
#[expect(
    clippy::zombie_processes,
    reason = "the child is reaped by wait4, which std's wait cannot stand in for"
)]
fn run_measured(mut command: Command) -> Measured {
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("tollgate starts");
    let mut stderr = String::new();
    if let Some(mut pipe) = child.stderr.take() {
        pipe.read_to_string(&mut stderr).expect("read stderr");
    }
    let pid = libc::pid_t::try_from(child.id()).expect("a pid");
    let mut status = 0;
    // SAFETY: rusage is plain old data, zeroed is a valid value, and wait4 writes it.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `pid` is this test's own child, not yet reaped; both pointers are valid.
    let reaped = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    assert_eq!(reaped, pid, "wait4 reaps tollgate");
    Measured {
        code: libc::WIFEXITED(status).then(|| libc::WEXITSTATUS(status)),
        stderr,
        max_rss_kib: usage.ru_maxrss,
    }
}

/// `tollgate plan` of one declared plan, against `server`.
fn plan_against(server: &FakeServer, dir: &Path) -> Measured {
    std::fs::write(
        dir.join("gold.yaml"),
        "usagePlans:\n  - { name: Gold, throttle: { rateLimit: 10, burstLimit: 20 } }\n",
    )
    .expect("write YAML");
    let mut command = tollgate_process_against(&server.endpoint, dir);
    command.args(["plan", "gold.yaml"]);
    run_measured(command)
}

#[test]
fn a_server_answering_the_same_position_again_ends_the_read_with_an_error_naming_it() {
    let server = FakeServer::start(Answer::SamePosition);
    let dir = tempfile::tempdir().expect("a scratch folder");
    let run = plan_against(&server, dir.path());
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    assert!(
        run.stderr.contains("GetUsagePlans failed: page 2 answered a `position` an earlier page gave, so its paging would never end"),
        "{}",
        run.stderr
    );
    assert_eq!(
        server.requests(),
        2,
        "the first page and the one repeating it"
    );
    assert!(run.max_rss_kib < MEMORY_CAP_KIB, "{} KiB", run.max_rss_kib);
}

#[test]
fn a_server_answering_an_empty_position_ends_the_read_with_an_error_naming_it() {
    let server = FakeServer::start(Answer::EmptyPosition);
    let dir = tempfile::tempdir().expect("a scratch folder");
    let run = plan_against(&server, dir.path());
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    assert!(
        run.stderr
            .contains("GetUsagePlans failed: page 1 answered an empty `position`"),
        "{}",
        run.stderr
    );
    assert_eq!(server.requests(), 1, "never asked again");
    assert!(run.max_rss_kib < MEMORY_CAP_KIB, "{} KiB", run.max_rss_kib);
}

#[test]
fn a_300_mb_answer_streamed_without_a_length_is_an_error_once_past_64_mib() {
    let server = FakeServer::start(Answer::Huge);
    let dir = tempfile::tempdir().expect("a scratch folder");
    let run = plan_against(&server, dir.path());
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    assert!(
        run.stderr.contains(
            "GetUsagePlans failed: the answer is longer than 64 MiB, far more than AWS ever sends"
        ),
        "{}",
        run.stderr
    );
    assert_eq!(server.requests(), 1, "a bad answer is not asked for again");
    assert!(
        server.sent.load(Ordering::SeqCst) < HUGE / 2,
        "tollgate stopped reading: {} bytes went out",
        server.sent.load(Ordering::SeqCst)
    );
    assert!(run.max_rss_kib < MEMORY_CAP_KIB, "{} KiB", run.max_rss_kib);
}

#[test]
fn a_300_mb_answer_announced_by_its_length_is_an_error_before_it_is_read() {
    let server = FakeServer::start(Answer::HugeAnnounced);
    let dir = tempfile::tempdir().expect("a scratch folder");
    let run = plan_against(&server, dir.path());
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    assert!(
        run.stderr.contains("the answer is longer than 64 MiB"),
        "{}",
        run.stderr
    );
    assert_eq!(server.requests(), 1);
    assert!(run.max_rss_kib < MEMORY_CAP_KIB, "{} KiB", run.max_rss_kib);
}

#[test]
fn a_saved_plan_over_the_cap_is_refused_before_it_is_read() {
    // A 1 GiB file (sparse: no disk used) named as a saved plan, never sent anywhere: the
    // endpoint is a server that counts whatever reaches it.
    let server = FakeServer::start(Answer::SamePosition);
    let dir = tempfile::tempdir().expect("a scratch folder");
    let file = std::fs::File::create(dir.path().join("big.plan")).expect("create");
    file.set_len(1 << 30).expect("grow");
    for args in [
        &["show", "big.plan"][..],
        &["apply", "--auto-approve", "big.plan"],
    ] {
        let mut command = tollgate_process_against(&server.endpoint, dir.path());
        command.args(args);
        let run = run_measured(command);
        assert_eq!(run.code, Some(1), "{args:?}: {}", run.stderr);
        assert!(
            run.stderr.contains(
                "big.plan is not a usable saved plan: it is larger than 64 MiB, the most a saved plan may be"
            ),
            "{args:?}: {}",
            run.stderr
        );
        assert!(run.max_rss_kib < MEMORY_CAP_KIB, "{} KiB", run.max_rss_kib);
    }
    assert_eq!(server.requests(), 0);
}
