//! Bad settings stop the suite before any folder exists, with one line naming the setting and
//! what to give instead: a duration the client would reject (TIMEOUT, RUN_TIMEOUT), a host name
//! where an IP address is needed. And where `make benchmark` connects when the server it starts
//! listens on every address.

mod suite_common;
mod support;

use std::process::Command;
use std::time::Duration;

/// The stderr lines of a failed start, and that no results folder was created.
fn failed_start(command: &mut Command, results: &std::path::Path) -> Vec<String> {
    let output = support::run_with_timeout(command, Duration::from_secs(60));
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        !results.exists(),
        "a results folder was created despite:\n{stderr}"
    );
    stderr.lines().map(String::from).collect()
}

#[test]
fn bad_timeouts_are_refused_before_any_folder_exists() {
    let root = support::TempDir::new("suite-bad-root");
    support::write_payload(&root.path().join("testpayload"), 1 << 10);
    let server = support::start_builtin(root.path(), None);
    let work = support::TempDir::new("suite-bad");
    // 0.5ms parses as a duration, but the client needs at least 1ms: refused here, not by every run.
    for (variable, value) in [
        ("TIMEOUT", "bogus"),
        ("RUN_TIMEOUT", "forever"),
        ("TIMEOUT", "0.5ms"),
    ] {
        let results = work.path().join(format!("{variable}-{value}"));
        let lines = failed_start(
            suite_common::suite_command(server.port, &results)
                .env("ITERATIONS", "1")
                .env(variable, value),
            &results,
        );
        // The server check's line, then the one error line.
        let errors: Vec<&String> = lines
            .iter()
            .filter(|l| !l.starts_with("server at "))
            .collect();
        assert_eq!(errors.len(), 1, "{lines:#?}");
        assert!(
            errors[0].starts_with(&format!("bench-overhead: {variable}=`{value}`: ")),
            "{lines:#?}"
        );
    }
}

#[test]
fn a_host_name_gets_one_line_asking_for_an_ip_address() {
    let work = support::TempDir::new("suite-hostname");
    let results = work.path().join("results");
    let lines = failed_start(
        Command::new("sh")
            .arg(suite_common::script())
            .arg("localhost")
            .arg("8000")
            .env("BIN_DIR", suite_common::bin_dir())
            .env("RESULTS", &results),
        &results,
    );
    assert_eq!(lines.len(), 1, "{lines:#?}");
    assert!(
        lines[0].starts_with("bench-overhead: ADDRESS `localhost` is not an IP address"),
        "{lines:#?}"
    );

    // make benchmark's script says the same before it starts any server.
    let lines = failed_start(
        Command::new("sh")
            .arg(suite_common::repo().join("scripts/benchmark.sh"))
            .env("BIN_DIR", suite_common::bin_dir())
            .env("ADDRESS", "localhost")
            .env("RESULTS", &results),
        &results,
    );
    assert_eq!(
        lines,
        ["benchmark.sh: ADDRESS=localhost is not an IP address: give one such as 127.0.0.1 or ::1 (host names are not resolved)"]
    );
}

/// The address scripts/lib.sh connects to, for BIND and ADDRESS as given (None: unset).
fn address_for(bind: &str, address: Option<&str>) -> String {
    let mut command = Command::new("sh");
    // `$0` is lib.sh itself, as when a script beside it sources it.
    command
        .arg("-c")
        .arg(". \"$0\" && echo \"$ADDRESS\"")
        .arg(suite_common::repo().join("scripts/lib.sh"))
        .env("BIND", bind)
        .env_remove("ADDRESS");
    if let Some(address) = address {
        command.env("ADDRESS", address);
    }
    let output = support::run_with_timeout(&mut command, Duration::from_secs(10));
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).trim().to_string()
}

#[test]
fn a_wildcard_bind_is_reached_through_loopback() {
    assert_eq!(address_for("0.0.0.0", None), "127.0.0.1");
    assert_eq!(address_for("::", None), "::1");
    assert_eq!(address_for("127.0.0.2", None), "127.0.0.2");
    assert_eq!(address_for("0.0.0.0", Some("")), "127.0.0.1");
    assert_eq!(address_for("0.0.0.0", Some("192.0.2.7")), "192.0.2.7");
}
