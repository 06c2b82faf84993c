//! The test support itself: a real lighttpd serves a payload byte-exact over loopback.

mod support;

#[test]
fn lighttpd_serves_payload_byte_exact() {
    let root = support::TempDir::new("root");
    let payload = support::write_payload(&root.path().join("testpayload"), 1 << 20);
    let server = support::start_lighttpd(root.path());
    let (head, body) = support::http_get(server.port, "/testpayload");
    assert!(head.starts_with("HTTP/1.0 200"), "{head}");
    assert_eq!(body, payload);
}
