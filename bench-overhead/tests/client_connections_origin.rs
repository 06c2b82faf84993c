//! A run says, at its start on a terminal, how many connections it opens and where that count
//! came from: `--connections`, or the built-in default (`make NO_CONNECTIONS=…`).

mod support;

use std::process::Command;
use std::time::Duration;

use support::{bin, free_port, run_with_timeout};

/// Runs the client under `script`, so its stderr is a terminal, against a port nothing listens on
/// (every job fails at once), and returns what the terminal showed.
fn on_a_terminal(extra: &str) -> String {
    let port = free_port();
    let client = format!(
        "{} run --variant poll --port {port} --timeout 2s {extra}",
        bin().display()
    );
    let output = run_with_timeout(
        Command::new("script").args(["-qec", &client, "/dev/null"]),
        Duration::from_secs(60),
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn a_count_given_on_the_command_line_is_named_as_such() {
    let shown = on_a_terminal("-c 3");
    assert!(
        shown.contains("bench-overhead run: 3 connections (--connections)"),
        "{shown}"
    );
}

#[test]
fn the_built_in_default_is_named_as_such() {
    let shown = on_a_terminal("");
    assert!(
        shown.contains("connections (the built-in default"),
        "{shown}"
    );
    assert!(!shown.contains("(--connections)"), "{shown}");
}

#[test]
fn a_script_reading_stderr_gets_no_such_line() {
    let port = free_port();
    let output = run_with_timeout(
        Command::new(bin())
            .args(["run", "--variant", "poll", "-c", "2", "--port"])
            .arg(port.to_string()),
        Duration::from_secs(60),
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("connections (--connections)"), "{stderr}");
}
