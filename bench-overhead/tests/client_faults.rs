//! Faults and bad input: every failure is a failed job with a reason, a non-zero exit and, when all
//! jobs failed alike, one line saying what to do. Nothing hangs.
//!
//! Misbehaving servers are tiny real TCP listeners on loopback threads, stopped when the test ends.

mod support;

use support::{json_lines, run_client as run};

use std::io::{ErrorKind, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use serde_json::Value;

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// What the fake server does with each connection after reading its request.
#[derive(Clone, Copy)]
enum Misbehaviour {
    /// Head announcing 100 000 bytes, 20 ms later 1 000 of them, then silence with the
    /// connection open (the pause makes the head arrive alone, so the poll model's low-water mark
    /// is set before the body and holds it back).
    StallMidBody,
    /// Head and 1 000 of 100 000 bytes, then a TCP reset.
    ResetMidBody,
    /// Head and 1 000 of 100 000 bytes, then an orderly close.
    Truncate,
    /// No fault: head announcing 1 000 bytes and all of them (for the IPv6 check).
    Complete,
    /// No fault, but the head arrives in three pieces a few milliseconds apart.
    SplitHead,
    /// A status line that is not HTTP.
    GarbageHead,
    /// Head announcing 1 000 bytes and all of them, then the connection kept open (keep-alive).
    KeepOpen,
    /// Head announcing 1 000 bytes, 1 500 of them, then an orderly close.
    Overlong,
    /// Head announcing 100 000 bytes, then one byte every 100 ms (for at most 20 s).
    Drip,
}

const ANNOUNCED: usize = 100_000;
const SENT: usize = 1_000;

/// A loopback listener thread that misbehaves on purpose; stopped and joined on drop.
struct FakeServer {
    port: u16,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl FakeServer {
    fn start(misbehaviour: Misbehaviour) -> FakeServer {
        FakeServer::start_on("127.0.0.1:0", misbehaviour)
    }

    fn start_on(address: &str, misbehaviour: Misbehaviour) -> FakeServer {
        let listener = TcpListener::bind(address).unwrap();
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let stop = Arc::new(AtomicBool::new(false));
        let stopping = Arc::clone(&stop);
        let thread = std::thread::spawn(move || {
            let mut held = Vec::new();
            while !stopping.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok((stream, _)) => {
                        if let Some(stream) = serve(stream, misbehaviour) {
                            held.push(stream);
                        }
                    }
                    Err(err) if err.kind() == ErrorKind::WouldBlock => {
                        std::thread::sleep(Duration::from_millis(5))
                    }
                    Err(_) => break,
                }
            }
        });
        FakeServer {
            port,
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for FakeServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Answers one connection; returns it when it must be held open.
fn serve(mut stream: TcpStream, misbehaviour: Misbehaviour) -> Option<TcpStream> {
    stream.set_nonblocking(false).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    let mut request = Vec::new();
    let mut chunk = [0u8; 1024];
    while !request.windows(4).any(|w| w == b"\r\n\r\n") {
        match stream.read(&mut chunk) {
            Ok(0) | Err(_) => return None,
            Ok(n) => request.extend_from_slice(&chunk[..n]),
        }
    }
    let announced = match misbehaviour {
        Misbehaviour::Complete
        | Misbehaviour::SplitHead
        | Misbehaviour::KeepOpen
        | Misbehaviour::Overlong => SENT,
        _ => ANNOUNCED,
    };
    let head = format!(
        "HTTP/1.0 200 OK\r\nServer: fake-test-server\r\nContent-Length: {announced}\r\n\r\n"
    );
    match misbehaviour {
        Misbehaviour::GarbageHead => {
            stream.write_all(b"SPDY/9 maybe\r\n\r\n").ok()?;
            return None;
        }
        Misbehaviour::SplitHead => {
            for piece in [&head[..10], &head[10..40], &head[40..]] {
                stream.write_all(piece.as_bytes()).ok()?;
                stream.flush().ok()?;
                std::thread::sleep(Duration::from_millis(10));
            }
        }
        _ => stream.write_all(head.as_bytes()).ok()?,
    }
    if let Misbehaviour::Drip = misbehaviour {
        // On its own thread, so the other connections are answered meanwhile.
        std::thread::spawn(move || {
            for _ in 0..200 {
                if stream.write_all(b"x").is_err() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
        });
        return None;
    }
    if let Misbehaviour::Overlong = misbehaviour {
        // One write, so one loopback segment: the client sees the extra bytes in the chunk that
        // reaches Content-Length (from separate writes it could be done before they arrive).
        stream.write_all(&[b'x'; SENT + 500]).ok()?;
        return None;
    }
    if let Misbehaviour::StallMidBody = misbehaviour {
        stream.flush().ok()?;
        std::thread::sleep(Duration::from_millis(20));
    }
    stream.write_all(&[b'x'; SENT]).ok()?;
    match misbehaviour {
        Misbehaviour::StallMidBody | Misbehaviour::KeepOpen => Some(stream),
        Misbehaviour::ResetMidBody => {
            // Linger 0: close sends RST instead of FIN.
            socket2::SockRef::from(&stream)
                .set_linger(Some(Duration::ZERO))
                .ok()?;
            drop(stream);
            None
        }
        _ => None,
    }
}

/// Runs both variants with `connections` jobs and returns the two run records.
fn run_both_failing(port: u16, connections: u32, extra: &[&str]) -> (Vec<Value>, String) {
    let mut args = vec!["--json", "-c"];
    let connections = connections.to_string();
    args.push(&connections);
    args.extend_from_slice(extra);
    args.extend(support::all_model_args());
    let output = run(port, &args);
    assert_eq!(output.status.code(), Some(1), "stderr: {}", stderr(&output));
    let runs = json_lines(&output);
    assert_eq!(
        runs.len(),
        support::ALL_MODELS.len(),
        "every model reports even when every job failed"
    );
    (runs, stderr(&output))
}

fn failures(run: &Value) -> Vec<(String, u64)> {
    run["failures"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(reason, count)| (reason.clone(), count.as_u64().unwrap()))
        .collect()
}

#[test]
fn refused_connections_fail_with_advice() {
    let port = support::free_port(); // Nothing listens there.
    let (runs, err) = run_both_failing(port, 5, &[]);
    for run in &runs {
        assert_eq!(run["jobs_ok"], 0);
        assert_eq!(run["jobs_failed"], 5);
        assert_eq!(failures(run), [("connection refused".to_string(), 5)]);
        assert_eq!(run["setup"]["server"], "");
    }
    assert!(
        err.contains(&format!(
            "no server at 127.0.0.1:{port} (connection refused): start one with `make serve` or `make setup-lighttpd lighttpd-start`"
        )),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "one line: {err}");

    // The text output lists the failures by reason.
    let output = run(port, &["--variant", "threaded", "-c", "2"]);
    assert_eq!(output.status.code(), Some(1));
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(text.contains("Failed jobs by reason:"), "{text}");
    assert!(text.contains("2  connection refused"), "{text}");
}

#[test]
fn not_found_fails_every_job_with_the_status() {
    let root = support::TempDir::new("faults-404");
    let server = support::start_lighttpd(root.path());
    let out = support::TempDir::new("faults-404-out");
    let (runs, err) = run_both_failing(
        server.port,
        4,
        &[
            "--path",
            "/missing",
            "--csv-dir",
            out.path().to_str().unwrap(),
        ],
    );
    for run in &runs {
        assert_eq!(failures(run), [("HTTP 404".to_string(), 4)]);
        assert!(run["setup"]["server"]
            .as_str()
            .unwrap()
            .starts_with("lighttpd"));
    }
    assert!(err.contains("has no /missing (HTTP 404)"), "{err}");
    let mut jobs = csv::Reader::from_path(out.path().join("jobs.csv")).unwrap();
    let rows: Vec<std::collections::HashMap<String, String>> =
        jobs.deserialize().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 4 * support::ALL_MODELS.len());
    assert!(rows
        .iter()
        .all(|r| r["status"] == "404" && r["error"] == "HTTP 404"));
    let runs_csv = std::fs::read_to_string(out.path().join("runs.csv")).unwrap();
    assert!(runs_csv.contains("HTTP 404=4"), "{runs_csv}");
}

#[test]
fn stalled_server_ends_within_the_timeout() {
    let server = FakeServer::start(Misbehaviour::StallMidBody);
    let (runs, err) = run_both_failing(server.port, 3, &["--timeout", "1s"]);
    for run in &runs {
        assert_eq!(
            failures(run),
            [("timed out after 1s waiting for data".to_string(), 3)],
            "{}",
            run["variant"]
        );
        assert_eq!(
            run["bytes"],
            3 * SENT as u64,
            "body bytes before the stall count"
        );
        assert_eq!(run["setup"]["server"], "fake-test-server");
    }
    assert!(err.contains("raise --timeout"), "{err}");
}

#[test]
fn whole_run_timeout_cuts_a_stalled_run() {
    let server = FakeServer::start(Misbehaviour::StallMidBody);
    let (runs, err) =
        run_both_failing(server.port, 2, &["--timeout", "30s", "--run-timeout", "1s"]);
    for run in &runs {
        let variant = &run["variant"];
        assert_eq!(failures(run), [("run timeout".to_string(), 2)], "{variant}");
        // Cut short, the jobs still report what they received and the calls they made.
        assert_eq!(run["bytes"], 2 * SENT as u64, "{variant}");
        let calls = &run["syscalls"];
        assert_eq!(calls["socket"], 2, "{variant}: {calls}");
        if run["variant"] == "uring" {
            // Connects, sends and receives are submissions: each io_uring_enter is one call.
            assert!(calls["submit"].as_u64().unwrap() >= 3, "{variant}: {calls}");
            continue;
        }
        assert_eq!(calls["connect"], 2, "{variant}: {calls}");
        assert_eq!(calls["send"], 2, "{variant}: {calls}");
        assert!(calls["recv"].as_u64().unwrap() >= 2, "{variant}: {calls}");
    }
    assert!(
        err.contains("every job was cut short by the run timeout (1s)")
            && err.contains("raise --run-timeout"),
        "{err}"
    );
}

#[test]
fn shortest_run_timeout_ends_every_job_as_a_run_timeout() {
    // 1 ms, the shortest allowed: the threaded jobs meet the deadline with less than a
    // millisecond left, where a socket timeout would round to 0 ("wait forever").
    let server = FakeServer::start(Misbehaviour::StallMidBody);
    let (runs, _) = run_both_failing(server.port, 4, &["--run-timeout", "1ms"]);
    for run in &runs {
        assert_eq!(
            failures(run),
            [("run timeout".to_string(), 4)],
            "{}",
            run["variant"]
        );
    }
}

#[test]
fn longest_timeouts_run_normally() {
    let server = FakeServer::start(Misbehaviour::Complete);
    let output = run(
        server.port,
        &[
            "--json",
            "-c",
            "2",
            "--timeout",
            "10080m",
            "--run-timeout",
            "10080m",
        ],
    );
    assert!(output.status.success(), "{}", stderr(&output));
    for run in json_lines(&output) {
        assert_eq!(run["jobs_ok"], 2, "{}", run["variant"]);
    }
}

#[test]
fn reset_mid_body_fails_the_job() {
    let server = FakeServer::start(Misbehaviour::ResetMidBody);
    let (runs, _) = run_both_failing(server.port, 3, &["--timeout", "5s"]);
    for run in &runs {
        assert_eq!(
            failures(run),
            [("connection reset".to_string(), 3)],
            "{}",
            run["variant"]
        );
    }
}

#[test]
fn truncated_body_names_the_byte_counts() {
    let server = FakeServer::start(Misbehaviour::Truncate);
    let out = support::TempDir::new("faults-truncate");
    let (runs, err) = run_both_failing(
        server.port,
        2,
        &["--timeout", "5s", "--csv-dir", out.path().to_str().unwrap()],
    );
    for run in &runs {
        assert_eq!(failures(run), [("truncated body".to_string(), 2)]);
    }
    let jobs = std::fs::read_to_string(out.path().join("jobs.csv")).unwrap();
    assert!(
        jobs.contains(&format!("truncated body: got {SENT} of {ANNOUNCED} bytes")),
        "{jobs}"
    );
    assert!(
        err.contains("truncated body: got 1000 of 100000 bytes"),
        "{err}"
    );
}

#[test]
fn ipv6_loopback_downloads_and_is_labelled_loopback() {
    if TcpListener::bind("[::1]:0").is_err() {
        support::skip("no IPv6 loopback here");
        return;
    }
    let server = FakeServer::start_on("[::1]:0", Misbehaviour::Complete);
    let mut command = Command::new(support::bin());
    command.args([
        "run",
        "--address",
        "::1",
        "--port",
        &server.port.to_string(),
    ]);
    command.args(["--json", "-c", "3", "--timeout", "5s"]);
    let output = support::run_with_timeout(&mut command, Duration::from_secs(60));
    assert!(output.status.success(), "{}", stderr(&output));
    for run in json_lines(&output) {
        assert_eq!(run["jobs_ok"], 3);
        assert_eq!(run["bytes"], 3 * SENT as u64);
        assert_eq!(run["address"], "::1");
        assert_eq!(run["setup"]["network"], "loopback");
    }

    // The label can be overridden, and an unused IPv6 port is advised about in brackets.
    let port = support::free_port();
    let mut command = Command::new(support::bin());
    command.args(["run", "--address", "::1", "--port", &port.to_string()]);
    command.args(["--json", "-c", "1", "--network", "LAN"]);
    let output = support::run_with_timeout(&mut command, Duration::from_secs(60));
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr(&output).contains(&format!("no server at [::1]:{port}")));
    assert!(json_lines(&output)
        .iter()
        .all(|r| r["setup"]["network"] == "LAN"));
}

/// Runs `args` as user nobody with at most 10 processes, when this test runs as root with
/// util-linux's prlimit and setpriv; `None` otherwise.
fn run_with_few_threads(args: &[&str]) -> Option<Output> {
    let root = Command::new("id").arg("-u").output().ok()?.stdout == b"0\n";
    let tools = ["prlimit", "setpriv"].iter().all(|tool| {
        Command::new(tool)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    });
    if !(root && tools) {
        return None;
    }
    // nobody must be able to execute the binary, wherever the build folder is.
    let dir = support::TempDir::new("few-threads");
    let bin = dir.path().join("bench-overhead");
    std::fs::copy(support::bin(), &bin).ok()?;
    let mut command = Command::new("prlimit");
    command
        .args(["--nproc=10:10", "setpriv", "--reuid=65534", "--regid=65534"])
        .args(["--clear-groups"])
        .arg(&bin)
        .args(args);
    Some(support::run_with_timeout(
        &mut command,
        Duration::from_secs(60),
    ))
}

#[test]
fn thread_spawn_failure_fails_jobs_instead_of_panicking() {
    let server = FakeServer::start(Misbehaviour::Complete);
    let port = server.port.to_string();
    let Some(output) = run_with_few_threads(&[
        "run",
        "--variant",
        "threaded",
        "-c",
        "40",
        "--port",
        &port,
        "--json",
    ]) else {
        support::skip("needs root, prlimit and setpriv to limit threads");
        return;
    };
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    let runs = json_lines(&output);
    let spawn_failures = runs[0]["failures"]["thread spawn failed"].as_u64().unwrap();
    assert!(spawn_failures > 0 && spawn_failures < 40, "{}", runs[0]);
    assert_eq!(runs[0]["jobs_ok"].as_u64().unwrap() + spawn_failures, 40);
}

#[test]
fn head_split_across_reads_still_counts_exactly() {
    let server = FakeServer::start(Misbehaviour::SplitHead);
    let output = run(server.port, &["--json", "-c", "3", "--timeout", "5s"]);
    assert!(output.status.success(), "{}", stderr(&output));
    for run in json_lines(&output) {
        assert_eq!(run["jobs_ok"], 3, "{}", run["variant"]);
        assert_eq!(run["bytes"], 3 * SENT as u64);
        assert_eq!(run["payload_bytes"], SENT as u64);
    }
}

#[test]
fn garbage_head_is_a_malformed_response() {
    let server = FakeServer::start(Misbehaviour::GarbageHead);
    let (runs, _) = run_both_failing(server.port, 2, &["--timeout", "5s"]);
    for run in &runs {
        assert_eq!(failures(run), [("malformed response head".to_string(), 2)]);
        assert_eq!(run["bytes"], 0);
    }
}

#[test]
fn bad_arguments_exit_2() {
    for args in [
        &["run", "--variant", "fastest"][..],
        &["run", "--connections", "0"],
        &["run", "--buffer-size", "4parsecs"],
        &["run", "--timeout", "soon"],
        &["run", "--address", "localhost:80"],
        &["run", "--path", "no-slash"],
        &["run", "--path", "/with space"],
        &["run", "--buffer-size", "2GiB"],
        // Durations: below 1 ms, above 7 days, beyond what a duration holds.
        &["run", "--timeout", "500us"],
        &["run", "--run-timeout", "0.5ms"],
        &["run", "--timeout", "10081m"],
        &["run", "--run-timeout", "99999999999999999999999999s"],
        &["run", "--timeout", "0s"],
    ] {
        let output = support::run_with_timeout(
            Command::new(support::bin()).args(args),
            Duration::from_secs(10),
        );
        let err = stderr(&output);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains("error:"), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{args:?}: {err}");
    }
}

#[test]
fn connection_count_above_the_open_file_limit_is_refused_up_front() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let port = listener.local_addr().unwrap().port();
    // `ulimit -n` in sh sets both the soft and the hard limit, so the client cannot raise it.
    let output = support::run_with_timeout(
        Command::new("sh")
            .arg("-c")
            .arg("ulimit -n 64 && exec \"$0\" \"$@\"")
            .arg(support::bin())
            .args(["run", "-c", "1000", "--port", &port.to_string()]),
        Duration::from_secs(20),
    );
    assert_eq!(output.status.code(), Some(1));
    let err = stderr(&output);
    assert!(
        err.contains("1000 connections need about 1032 open files")
            && err.contains("open-file limit (RLIMIT_NOFILE) is 64"),
        "{err}"
    );
    assert!(output.stdout.is_empty());
    assert_eq!(
        listener.accept().map(|_| ()).unwrap_err().kind(),
        ErrorKind::WouldBlock,
        "the client connected before refusing"
    );
}

/// A server that keeps the connection open after a complete response: every model is done at
/// Content-Length and closes, instead of waiting for an EOF that never comes (which would fail
/// every job with the data timeout).
#[test]
fn done_at_content_length_without_waiting_for_eof() {
    let server = FakeServer::start(Misbehaviour::KeepOpen);
    let mut args = vec!["--json", "-c", "3", "--timeout", "5s"];
    args.extend(support::all_model_args());
    let output = run(server.port, &args);
    assert!(output.status.success(), "stderr: {}", stderr(&output));
    let runs = json_lines(&output);
    assert_eq!(runs.len(), support::ALL_MODELS.len());
    for run in &runs {
        assert_eq!(run["jobs_ok"], 3, "{run}");
        assert_eq!(run["bytes"], 3 * SENT as u64, "{}", run["variant"]);
    }
}

#[test]
fn a_body_longer_than_content_length_fails() {
    let server = FakeServer::start(Misbehaviour::Overlong);
    let (runs, _) = run_both_failing(server.port, 2, &["--buffer-size", "64KiB"]);
    for run in &runs {
        let failures = failures(run);
        assert_eq!(failures.len(), 1, "{failures:?}");
        assert_eq!(
            failures[0].0, "body longer than Content-Length",
            "{}",
            run["variant"]
        );
        assert_eq!(failures[0].1, 2);
    }
}

/// A server dripping a byte every 100 ms resets every idle timeout; the speed floor (default 100
/// B/s over each --timeout window) ends the job, with its rate in the message.
#[test]
fn a_dripping_server_is_ended_by_the_speed_floor() {
    let server = FakeServer::start(Misbehaviour::Drip);
    let (runs, _) = run_both_failing(server.port, 2, &["--timeout", "1s", "--run-timeout", "60s"]);
    for run in &runs {
        assert_eq!(
            failures(run),
            [("too slow".to_string(), 2)],
            "{}",
            run["variant"]
        );
    }
    let out = support::TempDir::new("drip");
    let jobs = out.path().join("jobs.csv");
    let output = run(
        server.port,
        &[
            "-c",
            "1",
            "--timeout",
            "1s",
            "--variant",
            "poll",
            "--jobs-csv",
            jobs.to_str().unwrap(),
        ],
    );
    assert_eq!(output.status.code(), Some(1));
    let text = std::fs::read_to_string(&jobs).unwrap();
    assert!(
        text.contains("too slow: ")
            && text.contains(" B/s over ")
            && text.contains("(below --speed-limit 100 B/s)"),
        "{text}"
    );
    let help = support::run_client(server.port, &["--help"]);
    assert!(String::from_utf8_lossy(&help.stdout).contains("--speed-limit"));
}
