//! The built-in server over real loopback sockets: byte-exact bodies over HTTP/1.0 and 1.1,
//! keep-alive and pipelining, every traversal form and symlink refused, 400/405/431, idle timeouts, the
//! `listening on` line and a clean stop on SIGTERM.

mod serve_common;
mod support;

use std::io::{Read, Write};
use std::process::Command;
use std::time::{Duration, Instant};

use serve_common::{
    connect, exchange_to_eof, parse_head, read_response, serve, serve_by, Served, TIMEOUT,
};

fn root_with_payload(size: usize) -> (support::TempDir, Vec<u8>) {
    let dir = support::TempDir::new("serve");
    std::fs::create_dir(dir.path().join("root")).unwrap();
    let payload = support::write_payload(&dir.path().join("root/testpayload"), size);
    (dir, payload)
}

#[test]
fn http10_download_is_byte_exact_and_named() {
    let (dir, payload) = root_with_payload(3 << 20);
    let server = serve(&dir.path().join("root"), &[]);
    assert!(server.first_line.starts_with("listening on 127.0.0.1:"));
    let response = exchange_to_eof(
        server.port,
        b"GET /testpayload HTTP/1.0\r\nHost: localhost\r\nAccept: */*\r\n\r\n",
    );
    assert!(response.head.starts_with("HTTP/1.0 200 OK\r\n"));
    assert_eq!(
        response.header("server"),
        Some(concat!("bench-overhead/", env!("CARGO_PKG_VERSION")))
    );
    assert_eq!(response.header("content-length"), Some("3145728"));
    assert_eq!(response.header("connection"), Some("close"));
    assert!(response.body == payload, "body differs from the payload");
}

#[test]
fn http11_keep_alive_pipelining_head_and_close() {
    let (dir, payload) = root_with_payload(1 << 20);
    std::fs::write(dir.path().join("root/hello"), b"Hello, world!\n").unwrap();
    let server = serve(&dir.path().join("root"), &[]);
    let mut stream = connect(server.port);
    let mut leftover = Vec::new();
    // Two GETs on one connection, then two pipelined requests in one write, then a HEAD.
    for _ in 0..2 {
        stream
            .write_all(b"GET /testpayload HTTP/1.1\r\nHost: x\r\n\r\n")
            .unwrap();
        let response = read_response(&mut stream, &mut leftover, false);
        assert_eq!(response.status, 200);
        assert_eq!(response.header("connection"), Some("keep-alive"));
        assert!(response.body == payload);
    }
    stream
        .write_all(
            b"GET /hello HTTP/1.1\r\nHost: x\r\n\r\nGET /missing HTTP/1.1\r\nHost: x\r\n\r\n",
        )
        .unwrap();
    let hello = read_response(&mut stream, &mut leftover, false);
    assert_eq!(
        (hello.status, &hello.body[..]),
        (200, &b"Hello, world!\n"[..])
    );
    let missing = read_response(&mut stream, &mut leftover, false);
    assert_eq!(missing.status, 404);
    stream
        .write_all(b"HEAD /testpayload HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let head = read_response(&mut stream, &mut leftover, true);
    assert_eq!(head.status, 200);
    assert_eq!(head.header("content-length"), Some("1048576"));
    // Connection: close ends the connection after the response: read to EOF.
    stream
        .write_all(b"GET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut rest = std::mem::take(&mut leftover);
    stream.read_to_end(&mut rest).unwrap();
    let (status, head, end) = parse_head(&rest);
    assert_eq!(status, 200);
    assert!(head.contains("Connection: close\r\n"));
    assert_eq!(&rest[end..], b"Hello, world!\n");
}

#[test]
fn ten_pipelined_requests_are_all_answered_in_order() {
    let (dir, payload) = root_with_payload(100_000);
    std::fs::write(dir.path().join("root/hello"), b"Hello, world!\n").unwrap();
    let server = serve(&dir.path().join("root"), &[]);
    let mut stream = connect(server.port);
    let mut leftover = Vec::new();
    // Small answers (sent with their head in one write) and a sendfile body, interleaved, in
    // one write; twice, so the second batch finds the connection past its first exchange.
    let targets = ["/hello", "/testpayload", "/missing", "/hello", "/hello"];
    let batch: String = targets
        .iter()
        .chain(&targets)
        .map(|t| format!("GET {t} HTTP/1.1\r\nHost: x\r\n\r\n"))
        .collect();
    for _ in 0..2 {
        stream.write_all(batch.as_bytes()).unwrap();
        for target in targets.iter().chain(&targets) {
            let response = read_response(&mut stream, &mut leftover, false);
            match *target {
                "/hello" => assert_eq!(
                    (response.status, &response.body[..]),
                    (200, &b"Hello, world!\n"[..])
                ),
                "/testpayload" => assert!(response.status == 200 && response.body == payload),
                _ => assert_eq!(response.status, 404),
            }
        }
    }
    assert!(leftover.is_empty(), "{} bytes too many", leftover.len());
}

#[test]
fn http10_keep_alive_when_asked() {
    let (dir, payload) = root_with_payload(200_000);
    let server = serve(&dir.path().join("root"), &[]);
    let mut stream = connect(server.port);
    let mut leftover = Vec::new();
    for _ in 0..2 {
        stream
            .write_all(b"GET /testpayload HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
            .unwrap();
        let response = read_response(&mut stream, &mut leftover, false);
        assert!(response.head.starts_with("HTTP/1.0 200 OK\r\n"));
        assert_eq!(response.header("connection"), Some("keep-alive"));
        assert!(response.body == payload);
    }
}

#[cfg(unix)]
#[test]
fn traversal_and_non_files_are_refused() {
    let (dir, _) = root_with_payload(1000);
    let root = dir.path().join("root");
    let secret = b"TOP SECRET: must never be served\n";
    std::fs::write(dir.path().join("secret"), secret).unwrap();
    std::fs::create_dir(root.join("folder")).unwrap();
    std::os::unix::fs::symlink(dir.path().join("secret"), root.join("out-link")).unwrap();
    std::os::unix::fs::symlink("..", root.join("up-link")).unwrap();
    std::os::unix::fs::symlink("testpayload", root.join("in-link")).unwrap();
    let fifo = std::ffi::CString::new(root.join("fifo").to_str().unwrap()).unwrap();
    // SAFETY: mkfifo reads a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o600) }, 0);
    let server = serve(&root, &[]);
    let secret_path = dir.path().join("secret");
    let absolute = secret_path.to_str().unwrap();
    let targets = [
        "/../secret".to_string(),
        "/folder/../../secret".to_string(),
        "/%2e%2e/secret".to_string(),
        "/%2E%2E/secret".to_string(),
        "/.%2e/secret".to_string(),
        "/folder%2f..%2f..%2fsecret".to_string(),
        "/%2e%2e%2fsecret".to_string(),
        "/..%5csecret".to_string(),
        "/out-link".to_string(),
        "/up-link/secret".to_string(),
        absolute.to_string(),
        format!("/{absolute}"),
        format!("http://localhost{absolute}"),
        "/folder".to_string(),
        "/folder/".to_string(),
        "/testpayload/".to_string(),
        "/testpayload/.".to_string(),
        "/in-link/".to_string(),
        "/".to_string(),
        "/fifo".to_string(),
        "/missing".to_string(),
        "/testpayload%00".to_string(),
        "/%zz".to_string(),
    ];
    for target in &targets {
        let request = format!("GET {target} HTTP/1.0\r\n\r\n");
        let response = exchange_to_eof(server.port, request.as_bytes());
        assert!(
            matches!(response.status, 400 | 404),
            "{target}: status {}",
            response.status
        );
        assert!(
            !response.body.windows(10).any(|w| w == &secret[..10]),
            "{target} leaked the secret"
        );
    }
    // No symlink is followed, not even one that stays inside the root; the file itself is served.
    let inside = exchange_to_eof(server.port, b"GET /in-link HTTP/1.0\r\n\r\n");
    assert_eq!(inside.status, 404);
    let file = exchange_to_eof(server.port, b"GET /testpayload HTTP/1.0\r\n\r\n");
    assert_eq!((file.status, file.body.len()), (200, 1000));
}

#[test]
fn malformed_oversized_and_unsupported_requests() {
    let (dir, _) = root_with_payload(1000);
    let server = serve(&dir.path().join("root"), &[]);
    let status = |request: &[u8]| exchange_to_eof(server.port, request).status;
    assert_eq!(status(b"GARBAGE\r\n\r\n"), 400);
    assert_eq!(status(b"GET /testpayload HTTP/9.9\r\n\r\n"), 400);
    assert_eq!(status(b"GET /testpayload HTTP/1.1\r\n\r\n"), 400, "no Host");
    assert_eq!(
        status(b"GET /testpayload HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"),
        400,
        "two Host lines"
    );
    // A malformed HTTP/1.0 request is answered in HTTP/1.0.
    let malformed = exchange_to_eof(
        server.port,
        b"GET /testpayload HTTP/1.0\r\nNo colon\r\n\r\n",
    );
    assert!(
        malformed.head.starts_with("HTTP/1.0 400 Bad Request\r\n"),
        "{}",
        malformed.head
    );
    assert_eq!(
        status(b"GET /testpayload HTTP/1.0\r\nContent-Length: 3\r\n\r\nabc"),
        400
    );
    let delete = exchange_to_eof(server.port, b"DELETE /testpayload HTTP/1.0\r\n\r\n");
    assert_eq!(delete.status, 405);
    assert_eq!(delete.header("allow"), Some("GET, HEAD, PUT, POST"));
    // A head over 8 KiB, never finished: 431, then the connection closes.
    let mut big = b"GET /testpayload HTTP/1.0\r\nX-Filler: ".to_vec();
    big.resize(9 * 1024, b'a');
    assert_eq!(status(&big), 431);
    // Exactly at the limit and complete: served.
    let mut fits = b"GET /testpayload HTTP/1.0\r\nX-Filler: ".to_vec();
    fits.resize(8 * 1024 - 4, b'a');
    fits.extend_from_slice(b"\r\n\r\n");
    let fitting = exchange_to_eof(server.port, &fits);
    assert_eq!((fitting.status, fitting.body.len()), (200, 1000));
}

#[test]
fn idle_connections_are_closed() {
    let (dir, _) = root_with_payload(1000);
    let server = serve(&dir.path().join("root"), &["--idle-timeout", "300ms"]);
    let mut silent = connect(server.port);
    let mut byte = [0u8; 1];
    // The server closes: EOF, long before our own 10 s read timeout (which would be an error).
    assert_eq!(silent.read(&mut byte).expect("EOF, not a timeout"), 0);
    // A half-sent head counts as idle too.
    let mut partial = connect(server.port);
    partial.write_all(b"GET /testpayload HTTP/1.0\r\n").unwrap();
    assert_eq!(partial.read(&mut byte).expect("EOF, not a timeout"), 0);
}

#[cfg(unix)]
#[test]
fn sigterm_and_sigint_stop_cleanly() {
    let (dir, _) = root_with_payload(1000);
    for signal in ["TERM", "INT"] {
        let mut server = serve(&dir.path().join("root"), &[]);
        let open = connect(server.port); // an open connection does not delay the stop
        send_signal(&server, signal);
        expect_clean_stop(&mut server, signal);
        drop(open);
    }
}

/// A server started with SIGINT ignored (a background job of a script) keeps it ignored, so a
/// Ctrl-C meant for the script does not stop it; SIGTERM stops it even when it too was ignored,
/// so a script's stop always works.
#[cfg(unix)]
#[test]
fn sigint_ignored_at_start_stays_ignored() {
    let (dir, payload) = root_with_payload(1000);
    let mut command = Command::new("sh");
    command
        .arg("-c")
        .arg(r#"trap '' INT TERM; exec "$0" serve --port 0 --root "$1""#)
        .arg(support::bin())
        .arg(dir.path().join("root"));
    let mut server = serve_by(command);
    send_signal(&server, "INT");
    // Still serving after the SIGINT: a whole download succeeds.
    let (head, body) = support::http_get(server.port, "/testpayload");
    assert!(head.starts_with("HTTP/1.0 200"), "{head}");
    assert_eq!(body, payload);
    send_signal(&server, "TERM");
    expect_clean_stop(&mut server, "TERM");
}

/// Sends SIG`name` to the server with kill(1).
#[cfg(unix)]
fn send_signal(server: &Served, name: &str) {
    let sent = Command::new("kill")
        .arg(format!("-{name}"))
        .arg(server.child.id().to_string())
        .status()
        .unwrap();
    assert!(sent.success(), "kill -{name}");
}

/// The server ends within TIMEOUT with status 0 and says, last, which signal stopped it.
#[cfg(unix)]
fn expect_clean_stop(server: &mut Served, name: &str) {
    let deadline = Instant::now() + TIMEOUT;
    let status = loop {
        if let Some(status) = server.child.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "serve ignored SIG{name}");
        std::thread::sleep(Duration::from_millis(10));
    };
    assert!(status.success(), "SIG{name}: {status:?}");
    // Every line until stderr closes (the reader thread ends at EOF).
    let lines: Vec<String> =
        std::iter::from_fn(|| server.stderr.recv_timeout(TIMEOUT).ok()).collect();
    let last = lines.last().expect("a last stderr line");
    assert!(last.starts_with(&format!("stopped on SIG{name}")), "{last}");
}

#[test]
fn bad_root_and_busy_port_are_clear_errors() {
    let dir = support::TempDir::new("serve-errors");
    let missing = support::run_with_timeout(
        Command::new(support::bin())
            .args(["serve", "--port", "0", "--root"])
            .arg(dir.path().join("nope")),
        TIMEOUT,
    );
    assert_eq!(missing.status.code(), Some(1));
    let text = String::from_utf8_lossy(&missing.stderr);
    assert!(
        text.contains("does not exist") && text.contains("--root"),
        "{text}"
    );
    assert_eq!(text.lines().count(), 1, "{text}");

    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let busy = support::run_with_timeout(
        Command::new(support::bin())
            .args(["serve", "--port", &port, "--root"])
            .arg(dir.path()),
        TIMEOUT,
    );
    assert_eq!(busy.status.code(), Some(1));
    let text = String::from_utf8_lossy(&busy.stderr);
    assert!(
        text.contains("cannot listen") && text.contains("--port"),
        "{text}"
    );
}

#[test]
fn a_file_replaced_under_its_name_is_served_new() {
    let (dir, _) = root_with_payload(1000);
    let root = dir.path().join("root");
    let old = vec![b'a'; 32 << 20];
    std::fs::write(root.join("data"), &old).unwrap();
    let server = serve(&root, &[]);
    // A download of the old file stays in progress (we do not read it), so the server still
    // holds the old file open while the name moves to a new one.
    let mut in_progress = connect(server.port);
    in_progress
        .write_all(b"GET /data HTTP/1.0\r\n\r\n")
        .unwrap();
    let mut first = [0u8; 4096];
    let got = in_progress.read(&mut first).unwrap();
    assert!(got > 0);
    // `make payload` style: a new file renamed over the old name.
    std::fs::write(root.join("data.new"), vec![b'b'; 50_000]).unwrap();
    std::fs::rename(root.join("data.new"), root.join("data")).unwrap();
    let second = exchange_to_eof(server.port, b"GET /data HTTP/1.0\r\n\r\n");
    assert_eq!(second.header("content-length"), Some("50000"));
    assert_eq!(second.body, vec![b'b'; 50_000]);
    // And the download already under way still gets the old file, whole.
    let mut rest = first[..got].to_vec();
    in_progress.read_to_end(&mut rest).unwrap();
    let (_, _, end) = parse_head(&rest);
    assert!(rest[end..] == old[..]);
}

/// A small file the server holds in memory (it has settled: unchanged for longer than the
/// 3 s the server waits before trusting a file's times) is served anew once rewritten in place,
/// same inode and same length: the change is noticed without the server asking per request.
#[test]
fn a_small_file_rewritten_in_place_is_served_new() {
    let dir = support::TempDir::new("rewrite");
    let hello = dir.path().join("hello");
    std::fs::write(&hello, b"old contents\n").unwrap();
    let server = serve(dir.path(), &[]);
    std::thread::sleep(Duration::from_millis(3500));
    let mut stream = connect(server.port);
    let mut leftover = Vec::new();
    let mut get = |stream: &mut std::net::TcpStream| {
        stream
            .write_all(b"GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
            .unwrap();
        read_response(stream, &mut leftover, false).body
    };
    for _ in 0..3 {
        assert_eq!(get(&mut stream), b"old contents\n");
    }
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .open(&hello)
        .unwrap();
    file.write_all(b"new contents\n").unwrap();
    drop(file);
    assert_eq!(get(&mut stream), b"new contents\n");
}
