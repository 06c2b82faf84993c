//! Shared pieces of the integration tests: temporary folders, free loopback ports, payload files,
//! and real servers (lighttpd, the built-in one) that are stopped when the test ends, also when it
//! fails: every server lives in a guard whose `Drop` kills and reaps it.

#![allow(dead_code)] // each test binary uses its own subset

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

/// The `bench-overhead` binary cargo built for these tests.
pub fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_bench-overhead"))
}

/// A folder under the system temp dir, removed on drop.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new(label: &str) -> TempDir {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let path = std::env::temp_dir().join(format!(
            "bench-overhead-test-{label}-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).expect("create temp dir");
        TempDir(path)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Set to `1` (`.ci/run` does), every test must run: a skip fails instead. Where CI installed
/// everything, a test that cannot run is a broken setup, not a pass.
pub const REQUIRE_ALL: &str = "BENCH_OVERHEAD_REQUIRE_ALL";

/// For a test that cannot run here: prints `SKIPPED: reason` and returns (the caller returns too),
/// or fails with the reason when `BENCH_OVERHEAD_REQUIRE_ALL=1`.
pub fn skip(reason: &str) {
    skip_or_fail(
        reason,
        std::env::var(REQUIRE_ALL).is_ok_and(|value| value == "1"),
    );
}

/// [`skip`] with the choice made by the caller.
pub fn skip_or_fail(reason: &str, require_all: bool) {
    assert!(
        !require_all,
        "cannot run here, and {REQUIRE_ALL}=1 requires every test to run: {reason}"
    );
    eprintln!("SKIPPED: {reason}");
}

/// Renders an SVG with rsvg-convert: a real SVG parser must accept the file. Without rsvg-convert
/// (Debian: librsvg2-bin) the check is skipped through [`skip`].
pub fn assert_renders(path: &std::path::Path) {
    let png = path.with_extension("png");
    let Ok(output) = std::process::Command::new("rsvg-convert")
        .arg(path)
        .arg("-o")
        .arg(&png)
        .output()
    else {
        skip(&format!(
            "rsvg-convert is not installed (apt-get install librsvg2-bin): cannot check that {} renders",
            path.display()
        ));
        return;
    };
    assert!(
        output.status.success(),
        "{} does not render: {}",
        path.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    let _ = std::fs::remove_file(png);
}

/// A loopback port that was free a moment ago.
/// Writes an executable script at `path`. The file is written by a child `sh`, not by this
/// process: a test binary runs tests on many threads, and a sibling test's child forked while this
/// process held the file open for writing would keep it so until its exec, making the script's
/// own exec fail with "Text file busy" (ETXTBSY) at random.
pub fn write_executable(path: &Path, text: &str) {
    let mut child = Command::new("sh")
        .args(["-c", "cat >\"$1\" && chmod 755 \"$1\"", "sh"])
        .arg(path)
        .stdin(Stdio::piped())
        .spawn()
        .expect("run sh to write a script");
    child
        .stdin
        .take()
        .expect("piped stdin")
        .write_all(text.as_bytes())
        .expect("write the script");
    let status = child.wait().expect("wait for sh");
    assert!(status.success(), "could not write {}", path.display());
}

/// A free loopback port for a server a test starts.
///
/// The port is free when it is chosen, not when the server binds it: two tests of one binary
/// (they run on parallel threads) could be given the same one, the second server fail to bind
/// while its test finds the first one listening, and lose it when that test ends. So a port is
/// never handed out twice in one process.
pub fn free_port() -> u16 {
    static GIVEN: std::sync::Mutex<Vec<u16>> = std::sync::Mutex::new(Vec::new());
    let mut given = GIVEN
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    loop {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("bind an ephemeral loopback port")
            .port();
        if !given.contains(&port) {
            given.push(port);
            return port;
        }
    }
}

/// Waits until something accepts connections on 127.0.0.1:`port`.
pub fn wait_for_port(port: u16, timeout: Duration) -> bool {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if TcpStream::connect_timeout(&([127, 0, 0, 1], port).into(), Duration::from_millis(200))
            .is_ok()
        {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    false
}

/// Writes `size` pseudo-random bytes (xorshift64*, fixed seed) to `path` and returns them.
pub fn write_payload(path: &Path, size: usize) -> Vec<u8> {
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut bytes = Vec::with_capacity(size + 8);
    while bytes.len() < size {
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        bytes.extend_from_slice(&state.wrapping_mul(0x2545_F491_4F6C_DD1D).to_le_bytes());
    }
    bytes.truncate(size);
    std::fs::write(path, &bytes).expect("write payload");
    bytes
}

/// Runs a command to completion, killing it after `timeout` so no test can hang.
pub fn run_with_timeout(command: &mut Command, timeout: Duration) -> Output {
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn command");
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let out = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = stdout.read_to_end(&mut buf);
        buf
    });
    let err = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = stderr.read_to_end(&mut buf);
        buf
    });
    let deadline = Instant::now() + timeout;
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for command") {
            break status;
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{command:?} did not finish within {timeout:?}");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    Output {
        status,
        stdout: out.join().unwrap(),
        stderr: err.join().unwrap(),
    }
}

/// A server process that is killed and reaped when the guard goes out of scope.
pub struct ServerGuard {
    child: Child,
    pub port: u16,
    what: String,
    /// The server's stderr, shown when the test fails.
    log: TempDir,
    _dir: Option<TempDir>,
}

impl ServerGuard {
    /// The server's process id (to measure it: `SERVER_PID`).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for ServerGuard {
    /// Stops the server. When the test is failing, says whether the server had already ended
    /// and what it wrote to stderr: a failure seen from a socket may be the server's.
    fn drop(&mut self) {
        let ended = self.child.try_wait().ok().flatten();
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() {
            let log = std::fs::read_to_string(self.log.path().join("stderr")).unwrap_or_default();
            match ended {
                Some(status) => eprintln!("{} had ended by itself ({status})", self.what),
                None => eprintln!("{} was still running", self.what),
            }
            eprintln!("{}'s stderr:\n{log}", self.what);
        }
    }
}

fn start_and_wait(
    mut command: Command,
    port: u16,
    what: &str,
    dir: Option<TempDir>,
) -> ServerGuard {
    let log = TempDir::new("server-log");
    let stderr = std::fs::File::create(log.path().join("stderr")).expect("create the server's log");
    let child = command
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(stderr)
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {what}: {e}"));
    let guard = ServerGuard {
        child,
        port,
        what: what.to_string(),
        log,
        _dir: dir,
    };
    assert!(
        wait_for_port(port, Duration::from_secs(10)),
        "{what} did not listen on 127.0.0.1:{port} within 10 s"
    );
    guard
}

/// Starts a real lighttpd on a free loopback port serving `root`, with a minimal config.
/// lighttpd must be installed (`apt-get install lighttpd`; `.ci/run` does it).
pub fn start_lighttpd(root: &Path) -> ServerGuard {
    start_lighttpd_with(root, "server.max-keep-alive-requests = 65535")
}

/// Starts lighttpd as [`start_lighttpd`] does, with `extra` configuration lines instead of its
/// keep-alive limit (lighttpd's own default is 1,000 requests per connection).
pub fn start_lighttpd_with(root: &Path, extra: &str) -> ServerGuard {
    let lighttpd = ["/usr/sbin/lighttpd", "/usr/bin/lighttpd"]
        .into_iter()
        .find(|p| Path::new(p).exists())
        .expect("lighttpd is not installed: apt-get install lighttpd");
    let dir = TempDir::new("lighttpd");
    let port = free_port();
    let config = format!(
        "server.document-root = \"{root}\"\n\
         server.bind = \"127.0.0.1\"\n\
         server.port = {port}\n\
         server.errorlog = \"{dir}/error.log\"\n\
         server.max-fds = 16384\n\
         server.max-connections = 8192\n\
         mimetype.assign = (\"\" => \"application/octet-stream\")\n\
         {extra}\n",
        root = root.canonicalize().expect("payload root").display(),
        dir = dir.path().display(),
    );
    let conf = dir.path().join("lighttpd.conf");
    std::fs::write(&conf, config).expect("write lighttpd.conf");
    let mut command = Command::new(lighttpd);
    command.arg("-D").arg("-f").arg(&conf);
    start_and_wait(command, port, "lighttpd", Some(dir))
}

/// Starts `bench-overhead serve` on a free loopback port serving `root`, with an optional fault.
pub fn start_builtin(root: &Path, fault: Option<&str>) -> ServerGuard {
    let port = free_port();
    let mut command = Command::new(bin());
    command
        .args([
            "serve",
            "--address",
            "127.0.0.1",
            "--port",
            &port.to_string(),
            "--root",
        ])
        .arg(root);
    if let Some(fault) = fault {
        command.args(["--fault", fault]);
    }
    start_and_wait(command, port, "bench-overhead serve", None)
}

/// Runs `bench-overhead run` against 127.0.0.1:`port` with `extra` arguments, bounded at 60 s.
/// Every model and backend this machine runs, as `--variant` tokens: the client tests run each.
pub const ALL_MODELS: [&str; 5] = [
    "threaded",
    "poll:epoll",
    "poll:poll",
    "poll:polling",
    "uring",
];

/// `--variant` for each of [`ALL_MODELS`].
pub fn all_model_args() -> Vec<&'static str> {
    ALL_MODELS.iter().flat_map(|m| ["--variant", *m]).collect()
}

pub fn run_client(port: u16, extra: &[&str]) -> Output {
    let mut command = Command::new(bin());
    command.args(["run", "--address", "127.0.0.1", "--port", &port.to_string()]);
    command.args(extra);
    run_with_timeout(&mut command, Duration::from_secs(60))
}

/// A keep-alive HTTP server on a loopback port, one thread per connection, that answers the first
/// `answers` requests — of each connection, or of all connections when `in_all` — with 13 bytes,
/// each `delay` after it arrived, then holds each connection open and silent; it ends with the
/// test process.
pub fn keepalive_server(answers: usize, in_all: bool, delay: Duration) -> u16 {
    use std::sync::atomic::AtomicUsize;
    use std::sync::Arc;
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let answered_in_all = Arc::new(AtomicUsize::new(0));
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            let answered_in_all = Arc::clone(&answered_in_all);
            std::thread::spawn(move || {
                let mut buffer = [0u8; 4096];
                let mut answered = 0;
                let mut held = Vec::new();
                while let Ok(n) = stream.read(&mut buffer) {
                    if n == 0 {
                        return;
                    }
                    held.extend_from_slice(&buffer[..n]);
                    while let Some(end) = held.windows(4).position(|w| w == b"\r\n\r\n") {
                        held.drain(..end + 4);
                        let count = if in_all {
                            answered_in_all.fetch_add(1, Ordering::SeqCst)
                        } else {
                            answered
                        };
                        if count < answers {
                            std::thread::sleep(delay);
                            let answer =
                                b"HTTP/1.1 200 OK\r\nContent-Length: 13\r\n\r\nHello, world\n";
                            if stream.write_all(answer).is_err() {
                                return;
                            }
                            answered += 1;
                        }
                    }
                }
            });
        }
    });
    port
}

/// A record's histogram field (`latency_histogram` and its kind): HdrHistogram V2, base64.
pub fn histogram(text: &serde_json::Value) -> hdrhistogram::Histogram<u64> {
    use base64::Engine;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(text.as_str().expect("a histogram is a string"))
        .unwrap();
    hdrhistogram::serialization::Deserializer::new()
        .deserialize(&mut bytes.as_slice())
        .unwrap()
}

/// A finished command's stderr, as text.
pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// `run --json` with `extra` in every model of [`ALL_MODELS`]: one record each, the run
/// successful (its stderr shown when not).
pub fn run_every_model(port: u16, extra: &[&str]) -> Vec<serde_json::Value> {
    let mut args = extra.to_vec();
    args.push("--json");
    args.extend(all_model_args());
    let output = run_client(port, &args);
    assert!(output.status.success(), "{}", stderr(&output));
    let runs = json_lines(&output);
    assert_eq!(runs.len(), ALL_MODELS.len(), "{}", stderr(&output));
    runs
}

/// Each stdout line of `run --json`, parsed as the one JSON object it must be.
pub fn json_lines(output: &Output) -> Vec<serde_json::Value> {
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|line| serde_json::from_str(line).expect("each stdout line is one JSON object"))
        .collect()
}

/// Sends `GET path HTTP/1.0` to 127.0.0.1:`port` and reads to EOF (10 s read timeout).
/// Returns the response head (through its blank line) and the body.
pub fn http_get(port: u16, path: &str) -> (String, Vec<u8>) {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connect to the server");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    write!(stream, "GET {path} HTTP/1.0\r\nHost: localhost\r\n\r\n").unwrap();
    let mut response = Vec::new();
    stream
        .read_to_end(&mut response)
        .expect("read the response");
    let end = response
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a complete response head")
        + 4;
    let body = response.split_off(end);
    (String::from_utf8_lossy(&response).into_owned(), body)
}
