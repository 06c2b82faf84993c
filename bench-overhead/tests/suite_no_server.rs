//! bench-overhead.sh with no server at the address: one line saying so and how to start one,
//! before any iteration runs and before any results folder exists.

mod support;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

#[test]
fn fails_fast_with_one_line() {
    let work = support::TempDir::new("suite-no-server");
    let results = work.path().join("results");
    let port = support::free_port();
    let output = support::run_with_timeout(
        Command::new("sh")
            .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("../bench-overhead.sh"))
            .arg("127.0.0.1")
            .arg(port.to_string())
            .env("BIN_DIR", support::bin().parent().unwrap())
            .env("RESULTS", &results),
        Duration::from_secs(60),
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 1, "expected one line, got:\n{stderr}");
    assert!(
        lines[0].contains(&format!("no server at 127.0.0.1:{port}")),
        "{stderr}"
    );
    assert!(lines[0].contains("make serve"), "{stderr}");
    assert!(lines[0].contains("make lighttpd-start"), "{stderr}");
    assert!(
        !results.exists(),
        "a results folder was created without a server"
    );
}
