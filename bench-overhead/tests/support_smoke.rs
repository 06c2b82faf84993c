//! The test support itself: a real lighttpd serves a payload byte-exact over loopback.

mod support;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

#[test]
fn lighttpd_serves_payload_byte_exact() {
    let root = support::TempDir::new("root");
    let payload = support::write_payload(&root.path().join("testpayload"), 1 << 20);
    let server = support::start_lighttpd(root.path());
    let mut stream = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    stream
        .write_all(b"GET /testpayload HTTP/1.0\r\nHost: localhost\r\n\r\n")
        .unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).unwrap();
    let head_end = response.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
    assert!(response.starts_with(b"HTTP/1.0 200"));
    assert_eq!(&response[head_end..], &payload[..]);
}
