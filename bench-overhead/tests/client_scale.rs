//! Scale: the poll variant completes 10 000 concurrent connections, the threaded variant 1 000,
//! against a local lighttpd with a tiny payload, without a single failed job.

mod support;

use std::process::Command;
use std::time::Duration;

use serde_json::Value;

/// The hard open-file limit this test process may raise to (`ulimit -Hn`).
fn hard_file_limit() -> Option<u64> {
    let output = Command::new("sh")
        .args(["-c", "ulimit -Hn"])
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&output.stdout).trim().to_string();
    if text == "unlimited" {
        Some(u64::MAX)
    } else {
        text.parse().ok()
    }
}

fn scale(variant: &str, connections: u64) {
    if hard_file_limit().is_some_and(|limit| limit < connections + 64) {
        support::skip(&format!(
            "the hard open-file limit is below {connections} + 64 here"
        ));
        return;
    }
    let root = support::TempDir::new("scale");
    support::write_payload(&root.path().join("tiny"), 128);
    let server = support::start_lighttpd(root.path());
    let output = support::run_with_timeout(
        Command::new(support::bin()).args([
            "run",
            "--json",
            "--variant",
            variant,
            "--port",
            &server.port.to_string(),
            "--path",
            "/tiny",
            "--buffer-size",
            "64KiB",
            "--connections",
            &connections.to_string(),
        ]),
        Duration::from_secs(120),
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    let run: Value = serde_json::from_str(stdout.trim()).unwrap_or_else(|_| {
        panic!(
            "no run record; stderr: {}",
            String::from_utf8_lossy(&output.stderr)
        )
    });
    assert_eq!(run["jobs_failed"], 0, "failures: {}", run["failures"]);
    assert_eq!(run["jobs_ok"], connections);
    assert_eq!(run["bytes"], connections * 128);
    assert_eq!(run["syscalls"]["connect"], connections);
    assert!(output.status.success());
}

#[test]
fn poll_completes_10000_connections() {
    scale("poll", 10_000);
}

#[test]
fn threaded_completes_1000_connections() {
    scale("threaded", 1_000);
}
