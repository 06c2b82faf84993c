//! A run whose connection count nobody gave says at its start how many connections it opens and
//! where the count came from: the built-in default (`make NO_CONNECTIONS=…`). A count given with
//! `--connections` (as the suite and the per-model child processes give it) is not repeated.

mod support;

use std::process::Command;
use std::time::Duration;

use support::{bin, free_port, run_with_timeout};

/// Runs the client against a port nothing listens on (every job fails at once) and returns its
/// stderr.
fn stderr_of(extra: &[&str]) -> String {
    let port = free_port().to_string();
    let mut command = Command::new(bin());
    command.args([
        "run",
        "--variant",
        "poll",
        "--timeout",
        "2s",
        "--port",
        &port,
    ]);
    command.args(extra);
    let output = run_with_timeout(&mut command, Duration::from_secs(60));
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn the_built_in_default_is_named_as_such() {
    let said = stderr_of(&[]);
    let line = said
        .lines()
        .find(|line| line.starts_with("bench-overhead run: "))
        .unwrap_or_else(|| panic!("no connection-count line in {said:?}"));
    // `make` builds with NO_CONNECTIONS exported, a bare `cargo build` without it.
    let origins = [
        "connections (the built-in default)",
        "connections (the built-in default, from `make NO_CONNECTIONS=…`)",
    ];
    assert!(origins.iter().any(|o| line.ends_with(o)), "{line}");
    let count: u32 = line["bench-overhead run: ".len()..]
        .split(' ')
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no count in {line:?}"));
    assert!(count >= 1, "{line}");
}

#[test]
fn a_count_given_on_the_command_line_is_not_repeated() {
    let said = stderr_of(&["-c", "3"]);
    assert!(
        !said.contains("connections (the built-in default"),
        "{said}"
    );
}
