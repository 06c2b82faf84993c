//! Bad settings stop the suite before anything is built, written, started or measured, with one
//! line naming the setting and what to give instead, in one wording per kind of error: a count
//! that is no count, a duration or interval the client or memmon would reject, a variant named
//! twice, a results folder that already holds rows, a host name where an IP address is needed.
//! And where `make benchmark` connects when the server it starts listens on every address.

mod suite_common;
mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

/// The stderr lines of a failed start, and that no results folder was created.
fn failed_start(command: &mut Command, results: &Path) -> Vec<String> {
    let output = support::run_with_timeout(command, Duration::from_secs(60));
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        !results.exists(),
        "a results folder was created despite:\n{stderr}"
    );
    stderr.lines().map(String::from).collect()
}

/// Each bad value, with the one line bench-overhead.sh must answer it with. A server answers, so
/// a setting that passed the check would run (and fail later, or overwrite rows) instead.
#[test]
fn bad_settings_get_one_line_before_the_server_is_probed_or_a_folder_exists() {
    let root = support::TempDir::new("suite-bad-root");
    support::write_payload(&root.path().join("testpayload"), 1 << 10);
    let server = support::start_builtin(root.path(), None);
    let work = support::TempDir::new("suite-bad");
    let cases = [
        ("ITERATIONS", "abc", "ITERATIONS=abc is not a whole number ≥ 1: give e.g. ITERATIONS=10"),
        ("CONNECTIONS", "0", "CONNECTIONS=0 is not a whole number ≥ 1: give e.g. CONNECTIONS=100"),
        ("CONNECTIONS", "1 4 1", "CONNECTIONS=\"1 4 1\" names 1 twice: give each count once, e.g. CONNECTIONS=\"1 10 100\""),
        ("CONNECTIONS", "1 x", "CONNECTIONS=\"1 x\": x is not a whole number ≥ 1: give e.g. CONNECTIONS=\"1 10 100\""),
        ("TIMEOUT", "bogus", "TIMEOUT=bogus is not a duration from 1ms to 7 days: give e.g. TIMEOUT=30s"),
        // 0.5ms parses as a duration, but the client needs at least 1ms.
        ("TIMEOUT", "0.5ms", "TIMEOUT=0.5ms is not a duration from 1ms to 7 days: give e.g. TIMEOUT=30s"),
        ("RUN_TIMEOUT", "forever", "RUN_TIMEOUT=forever is not a duration from 1ms to 7 days: give e.g. RUN_TIMEOUT=10m"),
        // memmon takes no interval without a unit: every iteration would fail.
        ("INTERVAL", "100", "INTERVAL=100 is not an interval of whole milliseconds with a unit: give e.g. INTERVAL=100ms"),
        // A second `poll` would overwrite raw/poll-1.* and count its runs twice.
        ("VARIANTS", "poll poll", "VARIANTS=\"poll poll\" names `poll` twice: give each once, e.g. VARIANTS=\"threaded poll\""),
        ("VARIANTS", "poll:epoll threaded poll:epoll", "VARIANTS=\"poll:epoll threaded poll:epoll\" names `poll:epoll` twice: give each once, e.g. VARIANTS=\"threaded poll\""),
        ("META", "oops", "META: `oops` is not key=value: give e.g. META=\"nic=e1000\""),
    ];
    for (at, (variable, value, expected)) in cases.into_iter().enumerate() {
        let results = work.path().join(format!("results-{at}"));
        let lines = failed_start(
            suite_common::suite_command(server.port, &results)
                .env("ITERATIONS", "1")
                .env(variable, value),
            &results,
        );
        assert_eq!(
            lines,
            [format!("bench-overhead.sh: {expected}")],
            "{variable}={value}"
        );
    }
}

/// The request workloads' settings, each alone or with what it needs, refused in the same way.
#[test]
fn bad_workload_settings_get_one_line_before_anything_runs() {
    let root = support::TempDir::new("suite-bad-workload-root");
    support::write_payload(&root.path().join("testpayload"), 1 << 10);
    let server = support::start_builtin(root.path(), None);
    let work = support::TempDir::new("suite-bad-workload");
    let keepalive = ("WORKLOADS", "keepalive");
    let cases: [(&[(&str, &str)], &str); 10] = [
        (&[("WORKLOADS", "download fetch")], "WORKLOADS=\"download fetch\": `fetch` is not a workload (download keepalive churn upload): give e.g. WORKLOADS=\"download keepalive\""),
        (&[("WORKLOADS", "keepalive keepalive")], "WORKLOADS=\"keepalive keepalive\" names `keepalive` twice: give each once, e.g. WORKLOADS=\"download keepalive\""),
        (&[("WORKLOADS", " ")], "WORKLOADS is empty: give e.g. WORKLOADS=\"download keepalive\""),
        (&[("THREADS", "0")], "THREADS=0 is not a whole number ≥ 1: give e.g. THREADS=2"),
        (&[keepalive, ("DURATION", "soon")], "DURATION=soon is not a duration from 1ms to 7 days: give e.g. DURATION=10s"),
        (&[keepalive, ("RATE", "0")], "RATE=0 is not a rate above 0 and at most 10000000 requests per second: give e.g. RATE=1000"),
        (&[keepalive, ("RATE", "-5")], "RATE=-5 is not a rate above 0 and at most 10000000 requests per second: give e.g. RATE=1000"),
        (&[keepalive, ("RATE", "1e12")], "RATE=1e12 is not a rate above 0 and at most 10000000 requests per second: give e.g. RATE=1000"),
        // Download alone: a rate would change nothing.
        (&[("RATE", "100")], "RATE applies to the workloads keepalive churn, and WORKLOADS=\"download\" has none: add one to WORKLOADS or unset RATE"),
        (&[keepalive, ("DURATION", "2s"), ("WARMUP", "2s")], "WARMUP=2s is not shorter than DURATION=2s: the duration includes the warm-up, so give a longer DURATION or a shorter WARMUP"),
    ];
    for (at, (settings, expected)) in cases.into_iter().enumerate() {
        let results = work.path().join(format!("results-{at}"));
        let mut command = suite_common::suite_command(server.port, &results);
        command.env("ITERATIONS", "1");
        for (variable, value) in settings {
            command.env(variable, value);
        }
        let lines = failed_start(&mut command, &results);
        assert_eq!(
            lines,
            [format!("bench-overhead.sh: {expected}")],
            "{settings:?}"
        );
    }
}

/// An existing folder that holds rows (an earlier suite's, or `run --csv-dir`'s) is refused before
/// anything is written into it; an empty one (a QEMU share) is taken.
#[test]
fn a_results_folder_holding_rows_is_refused_and_left_untouched() {
    let root = support::TempDir::new("suite-old-root");
    support::write_payload(&root.path().join("testpayload"), 1 << 10);
    let server = support::start_builtin(root.path(), None);
    let work = support::TempDir::new("suite-old");
    let results = work.path().join("earlier");
    let output = support::run_with_timeout(
        Command::new(support::bin())
            .args([
                "run",
                "--variant",
                "poll",
                "--connections",
                "2",
                "--address",
            ])
            .args(["127.0.0.1", "--port", &server.port.to_string(), "--csv-dir"])
            .arg(&results),
        Duration::from_secs(60),
    );
    assert!(output.status.success(), "{output:?}");
    let before = listing(&results);
    assert!(
        before.iter().any(|(name, _)| name == "runs.csv"),
        "{before:?}"
    );

    let output = support::run_with_timeout(
        suite_common::suite_command(server.port, &results).env("ITERATIONS", "1"),
        Duration::from_secs(60),
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(
        lines,
        [format!(
            "bench-overhead.sh: RESULTS={} already holds results (runs.csv): give a new folder, e.g. leave RESULTS unset",
            results.display()
        )]
    );
    assert_eq!(listing(&results), before, "the folder was written into");

    // An empty folder holds nothing to merge with: the suite uses it.
    let empty = work.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let output = support::run_with_timeout(
        suite_common::suite_command(server.port, &empty)
            .env("ITERATIONS", "1")
            .env("VARIANTS", "poll")
            .env("CONNECTIONS", "2"),
        Duration::from_secs(60),
    );
    assert!(output.status.success(), "{output:?}");
    assert_eq!(suite_common::read_csv(&empty.join("runs.csv")).len(), 1);
}

/// Every file in `dir` with its length.
fn listing(dir: &Path) -> Vec<(String, u64)> {
    let mut files: Vec<(String, u64)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (
                e.file_name().to_string_lossy().into_owned(),
                e.metadata().unwrap().len(),
            )
        })
        .collect();
    files.sort();
    files
}

/// The plan names the connection count and where it came from.
#[test]
fn the_plan_says_where_the_connection_count_came_from() {
    let root = support::TempDir::new("suite-plan-root");
    support::write_payload(&root.path().join("testpayload"), 1 << 10);
    let server = support::start_builtin(root.path(), None);
    let work = support::TempDir::new("suite-plan");
    for (connections, expected) in [
        (Some("3"), "each of 3 connections (CONNECTIONS=3)"),
        // The test binaries are built by cargo without NO_CONNECTIONS, or by make with it.
        (None, "connections (the built-in default"),
    ] {
        let results = work.path().join(format!("r{}", connections.unwrap_or("-")));
        let mut command = suite_common::suite_command(server.port, &results);
        command
            .env("ITERATIONS", "1")
            .env("VARIANTS", "poll")
            .env_remove("CONNECTIONS");
        if let Some(n) = connections {
            command.env("CONNECTIONS", n);
        }
        let output = support::run_with_timeout(&mut command, Duration::from_secs(60));
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(output.status.success(), "{stderr}");
        let plan = stderr
            .lines()
            .find(|l| l.starts_with("plan: 1 run of each of poll (1 in all), "))
            .unwrap_or_else(|| panic!("no plan line:\n{stderr}"));
        assert!(plan.contains(expected), "{plan}");
    }
}

/// `make` checks every setting before it builds, writes the payload or starts a server: with a
/// cargo that would leave a mark, a payload folder and a setup folder to watch.
#[test]
fn make_refuses_a_bad_setting_before_building_anything() {
    let work = support::TempDir::new("make-bad");
    let mark = work.path().join("cargo-ran");
    let cargo = work.path().join("cargo");
    support::write_executable(&cargo, &format!("#!/bin/sh\ntouch '{}'\n", mark.display()));
    let payloads = work.path().join("payloads");
    let setup = work.path().join("setup");
    for (goal, setting, expected) in [
        (
            "benchmark",
            "ITERATIONS=abc",
            "make: ITERATIONS=abc is not a whole number ≥ 1: give e.g. ITERATIONS=10",
        ),
        (
            "benchmark",
            "INTERVAL=100",
            "make: INTERVAL=100 is not an interval of whole milliseconds with a unit: give e.g. INTERVAL=100ms",
        ),
        // Compiled in, it would read `[default: abc]` in --help and fail every run.
        (
            "build",
            "NO_CONNECTIONS=abc",
            "make: NO_CONNECTIONS=abc is not a whole number ≥ 1: give e.g. NO_CONNECTIONS=100",
        ),
        (
            "benchmark",
            "PAYLOAD_SIZE=lots",
            "make: PAYLOAD_SIZE=lots is not a whole number ≥ 1: give e.g. PAYLOAD_SIZE=200",
        ),
    ] {
        let output = support::run_with_timeout(
            Command::new("make")
                .arg("-s")
                .arg("-C")
                .arg(suite_common::repo())
                .arg(goal)
                .arg(setting)
                .arg(format!("CARGO={}", cargo.display()))
                .arg(format!("PAYLOAD_DIR={}", payloads.display()))
                .arg(format!("SETUP_DIR={}", setup.display()))
                .arg(format!("PORT={}", support::free_port()))
                .arg(format!("BIN_DIR={}", suite_common::bin_dir().display())),
            Duration::from_secs(60),
        );
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "{goal} {setting}: {stderr}");
        assert_eq!(stderr.lines().next(), Some(expected), "{stderr}");
        // make adds its own `*** [Makefile:…] Error 1`; nothing else may follow.
        assert!(stderr.lines().count() <= 2, "{stderr}");
        let not_there = |path: PathBuf| assert!(!path.exists(), "{} exists", path.display());
        not_there(mark.clone());
        not_there(payloads.clone());
        not_there(setup.clone());
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
    let expected = "ADDRESS=localhost is not an IP address: give one such as 127.0.0.1 or ::1 (host names are not resolved)";
    assert_eq!(lines, [format!("bench-overhead.sh: {expected}")]);

    // make benchmark's script says the same before it starts any server.
    let lines = failed_start(
        Command::new("sh")
            .arg(suite_common::repo().join("scripts/benchmark.sh"))
            .env("BIN_DIR", suite_common::bin_dir())
            .env("ADDRESS", "localhost")
            .env("RESULTS", &results),
        &results,
    );
    assert_eq!(lines, [format!("benchmark.sh: {expected}")]);
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

/// The `make bench-*` scripts' goal lines (scripts/lib.sh): PASS or FAIL per goal, and a status
/// that says whether one failed; a figure that is missing fails its goal.
#[test]
fn bench_goals_print_pass_or_fail_and_set_the_status() {
    let run = |goals: &str| {
        let mut command = Command::new("sh");
        command
            .arg("-c")
            .arg(format!(". \"$0\"; {goals}; goals_exit"))
            .arg(suite_common::repo().join("scripts/lib.sh"));
        support::run_with_timeout(&mut command, Duration::from_secs(10))
    };
    let output = run("goal 'speed' '1.5 >= 1.2' '1.5x'; goal 'memory' '3 <= 16' '3 MiB'");
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(
        String::from_utf8_lossy(&output.stdout),
        "PASS speed: 1.5x\nPASS memory: 3 MiB\ngoals: 2 passed, 0 failed\n"
    );
    let output = run("goal 'speed' '0.8 >= 1.2' '0.8x'; goal 'memory' ' <= 16' 'not measured'");
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&output.stdout),
        "FAIL speed: 0.8x\nFAIL memory: not measured\ngoals: 0 passed, 2 failed\n"
    );
}
