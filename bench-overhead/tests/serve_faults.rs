//! Every `--fault` mode, observed from a raw socket exactly as its `--help` text promises.
//! "Half the body" is the file size / 2, rounded down.

mod support;

use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::time::Duration;

const SIZE: usize = 1 << 20;
const HALF: usize = SIZE / 2;
/// How long "nothing arrives" is watched for in the stall tests.
const SILENCE: Duration = Duration::from_millis(500);

struct Fixture {
    server: support::ServerGuard,
    payload: Vec<u8>,
    _dir: support::TempDir,
}

fn start(fault: &str) -> Fixture {
    let dir = support::TempDir::new("faults");
    let payload = support::write_payload(&dir.path().join("testpayload"), SIZE);
    let server = support::start_builtin(dir.path(), Some(fault));
    Fixture {
        server,
        payload,
        _dir: dir,
    }
}

fn request(port: u16, method: &str) -> TcpStream {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    stream
        .write_all(format!("{method} /testpayload HTTP/1.0\r\nHost: localhost\r\n\r\n").as_bytes())
        .unwrap();
    stream
}

/// Reads until EOF or an error; returns the bytes and how it ended.
fn read_all(stream: &mut TcpStream) -> (Vec<u8>, io::Result<()>) {
    let mut bytes = Vec::new();
    let mut chunk = [0u8; 65536];
    loop {
        match stream.read(&mut chunk) {
            Ok(0) => return (bytes, Ok(())),
            Ok(n) => bytes.extend_from_slice(&chunk[..n]),
            Err(err) => return (bytes, Err(err)),
        }
    }
}

/// Reads until at least `len` bytes arrived (10 s read timeout per read).
fn read_at_least(stream: &mut TcpStream, len: usize) -> Vec<u8> {
    let mut bytes = Vec::new();
    let mut chunk = [0u8; 65536];
    while bytes.len() < len {
        let n = stream.read(&mut chunk).expect("bytes keep coming");
        assert!(n > 0, "EOF after {} of {len} bytes", bytes.len());
        bytes.extend_from_slice(&chunk[..n]);
    }
    bytes
}

/// Splits a response into (head, body); panics without a complete head.
fn split(bytes: &[u8]) -> (String, &[u8]) {
    let end = bytes
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a complete head")
        + 4;
    (
        String::from_utf8(bytes[..end].to_vec()).unwrap(),
        &bytes[end..],
    )
}

fn content_length(head: &str) -> usize {
    head.lines()
        .find_map(|l| l.strip_prefix("Content-Length: "))
        .expect("Content-Length")
        .parse()
        .unwrap()
}

/// Asserts nothing more arrives for `SILENCE` and the connection stays open.
fn assert_silent(stream: &mut TcpStream) {
    stream.set_read_timeout(Some(SILENCE)).unwrap();
    let mut byte = [0u8; 1];
    match stream.read(&mut byte) {
        Err(err)
            if matches!(
                err.kind(),
                io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
            ) => {}
        other => panic!("expected silence, got {other:?}"),
    }
}

#[test]
fn stall_after_headers_sends_the_head_then_nothing() {
    let f = start("stall-after-headers");
    let mut stream = request(f.server.port, "GET");
    let mut bytes = Vec::new();
    while !bytes.windows(4).any(|w| w == b"\r\n\r\n") {
        bytes.extend(read_at_least(&mut stream, 1));
    }
    let (head, body) = split(&bytes);
    assert!(head.starts_with("HTTP/1.0 200 OK\r\n"));
    assert_eq!(content_length(&head), SIZE);
    assert!(body.is_empty());
    assert_silent(&mut stream);
}

#[test]
fn stall_mid_body_sends_half_then_nothing() {
    let f = start("stall-mid-body");
    let mut stream = request(f.server.port, "GET");
    let mut bytes = read_at_least(&mut stream, 1);
    let head_len = split(&bytes).0.len();
    bytes.extend(read_at_least(&mut stream, head_len + HALF - bytes.len()));
    assert_silent(&mut stream);
    let (head, body) = split(&bytes);
    assert_eq!(content_length(&head), SIZE);
    assert_eq!(body, &f.payload[..HALF]);
}

#[test]
fn truncate_closes_after_half_the_promised_body() {
    let f = start("truncate");
    let mut stream = request(f.server.port, "GET");
    let (bytes, end) = read_all(&mut stream);
    end.expect("a clean EOF");
    let (head, body) = split(&bytes);
    assert!(head.starts_with("HTTP/1.0 200 OK\r\n"));
    assert_eq!(content_length(&head), SIZE);
    assert_eq!(body, &f.payload[..HALF]);
}

#[test]
fn wrong_length_announces_half_and_sends_everything() {
    let f = start("wrong-length");
    let mut stream = request(f.server.port, "GET");
    let (bytes, end) = read_all(&mut stream);
    end.expect("a clean EOF");
    let (head, body) = split(&bytes);
    assert_eq!(content_length(&head), HALF);
    assert!(body == &f.payload[..], "the whole file follows");
}

#[test]
fn status_500_answers_an_error_and_closes() {
    let f = start("status-500");
    let mut stream = request(f.server.port, "GET");
    let (bytes, end) = read_all(&mut stream);
    end.expect("a clean EOF");
    let (head, body) = split(&bytes);
    assert!(
        head.starts_with("HTTP/1.0 500 Internal Server Error\r\n"),
        "{head}"
    );
    assert_eq!(content_length(&head), body.len());
    assert_eq!(body, b"500 Internal Server Error\n");
}

#[test]
fn garbage_status_is_not_http() {
    let f = start("garbage-status");
    let mut stream = request(f.server.port, "GET");
    let (bytes, end) = read_all(&mut stream);
    end.expect("a clean EOF");
    assert_eq!(bytes, b"GARBAGE STATUS LINE\r\n\r\n");
}

#[test]
fn reset_mid_body_ends_in_a_reset() {
    let f = start("reset-mid-body");
    let mut stream = request(f.server.port, "GET");
    let (bytes, end) = read_all(&mut stream);
    let err = end.expect_err("the connection must end in a reset, not an EOF");
    assert_eq!(err.kind(), io::ErrorKind::ConnectionReset, "{err}");
    if bytes.windows(4).any(|w| w == b"\r\n\r\n") {
        let (head, body) = split(&bytes);
        assert_eq!(content_length(&head), SIZE);
        assert!(body.len() <= HALF);
        assert_eq!(body, &f.payload[..body.len()]);
    }
}

#[test]
fn slow_drip_sends_everything_in_paced_chunks() {
    let dir = support::TempDir::new("drip");
    let size = 64 * 1024;
    let payload = support::write_payload(&dir.path().join("testpayload"), size);
    let server = support::start_builtin(dir.path(), Some("slow-drip"));
    let mut stream = request(server.port, "GET");
    let (bytes, end) = read_all(&mut stream);
    end.expect("a clean EOF");
    let (head, body) = split(&bytes);
    assert_eq!(content_length(&head), size);
    assert!(body == &payload[..]);
    // The body came as 16 chunks of 4 KiB, each its own TCP segment (the server sends them
    // apart), however late this test read them; sent in one go, the response arrives in a few
    // loopback segments (6 here, handshake and ACKs included).
    #[cfg(target_os = "linux")]
    if let Some(segments) = segments_received(&stream) {
        assert!(segments >= 16, "{segments} segments");
    }
}

/// Segments the socket has received (Linux `TCP_INFO` `tcpi_segs_in`, 4.2 and later): what the
/// sender's TCP cut, not what the reader's timing made of it. `None` on older kernels.
#[cfg(target_os = "linux")]
fn segments_received(stream: &TcpStream) -> Option<u32> {
    use std::os::fd::AsRawFd;
    // SAFETY: tcp_info is plain integers; all-zero bytes are a valid value.
    let mut info: libc::tcp_info = unsafe { std::mem::zeroed() };
    let mut len = std::mem::size_of::<libc::tcp_info>() as libc::socklen_t;
    // SAFETY: getsockopt writes at most `len` bytes into `info`, which is that large and
    // exclusively borrowed; the descriptor is open for the call.
    let rc = unsafe {
        libc::getsockopt(
            stream.as_raw_fd(),
            libc::IPPROTO_TCP,
            libc::TCP_INFO,
            (&mut info as *mut libc::tcp_info).cast(),
            &mut len,
        )
    };
    assert_eq!(rc, 0, "{}", io::Error::last_os_error());
    let end_of_field = std::mem::offset_of!(libc::tcp_info, tcpi_segs_in) + 4;
    (len as usize >= end_of_field).then_some(info.tcpi_segs_in)
}

#[test]
fn head_requests_and_errors_stay_correct_under_a_fault() {
    let f = start("truncate");
    let mut stream = request(f.server.port, "HEAD");
    let (bytes, end) = read_all(&mut stream);
    end.unwrap();
    let (head, body) = split(&bytes);
    assert!(head.starts_with("HTTP/1.0 200 OK\r\n"));
    assert_eq!(content_length(&head), SIZE);
    assert!(body.is_empty());

    let mut missing = TcpStream::connect(("127.0.0.1", f.server.port)).unwrap();
    missing
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    missing.write_all(b"GET /missing HTTP/1.0\r\n\r\n").unwrap();
    let (bytes, _) = read_all(&mut missing);
    assert!(bytes.starts_with(b"HTTP/1.0 404 Not Found\r\n"));
}
