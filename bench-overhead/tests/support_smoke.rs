//! The test support itself: a real lighttpd serves a payload byte-exact over loopback, and a skip
//! fails when every test is required.

mod support;

use std::process::Command;
use std::time::Duration;

#[test]
fn lighttpd_serves_payload_byte_exact() {
    let root = support::TempDir::new("root");
    let payload = support::write_payload(&root.path().join("testpayload"), 1 << 20);
    let server = support::start_lighttpd(root.path());
    let (head, body) = support::http_get(server.port, "/testpayload");
    assert!(head.starts_with("HTTP/1.0 200"), "{head}");
    assert_eq!(body, payload);
}

/// Set in the child process of `skip_fails_only_when_every_test_is_required`.
const SKIP_PROBE: &str = "BENCH_OVERHEAD_SKIP_PROBE";

/// Skips only when run as the probe of the test below; otherwise there is nothing to do.
#[test]
fn skip_probe() {
    if std::env::var_os(SKIP_PROBE).is_some() {
        support::skip("probe");
    }
}

#[test]
fn skip_fails_only_when_every_test_is_required() {
    let probe = |require_all: Option<&str>| {
        let mut command = Command::new(std::env::current_exe().unwrap());
        command
            .args(["skip_probe", "--exact", "--nocapture"])
            .env(SKIP_PROBE, "1")
            .env_remove(support::REQUIRE_ALL);
        if let Some(value) = require_all {
            command.env(support::REQUIRE_ALL, value);
        }
        let output = support::run_with_timeout(&mut command, Duration::from_secs(30));
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        (output.status.success(), text)
    };
    let (passed, text) = probe(None);
    assert!(passed && text.contains("SKIPPED: probe"), "{text}");
    let (passed, text) = probe(Some("0"));
    assert!(passed && text.contains("SKIPPED: probe"), "{text}");
    let (passed, text) = probe(Some("1"));
    assert!(!passed, "{text}");
    assert!(
        text.contains("BENCH_OVERHEAD_REQUIRE_ALL=1 requires every test to run: probe"),
        "{text}"
    );
}
