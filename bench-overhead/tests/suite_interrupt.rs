//! Stopping the suite: Ctrl-C (SIGINT to the whole process group) or SIGTERM to the script alone
//! (what `make` forwards, what a supervisor sends). The suite stops the run under way at once,
//! keeps every row written so far, marks meta.json partial, prints the summary of what it recorded,
//! and exits 128 + the signal's number. `scripts/benchmark.sh` also stops the server it started.

mod suite_common;
mod support;

use std::collections::BTreeSet;
use std::net::TcpStream;
use std::process::Command;
use std::time::Duration;

use suite_common::{check_partial_folder, read_csv, read_meta, wait_until, GroupRun};

/// How long a stopped suite may take to end: far below what the runs it stops would take.
const STOP_BOUND: Duration = Duration::from_secs(60);

#[test]
fn sigint_leaves_a_partial_folder_whose_rows_parse() {
    let root = support::TempDir::new("suite-int-root");
    support::write_payload(&root.path().join("testpayload"), 4 << 20);
    let server = support::start_lighttpd(root.path());
    let work = support::TempDir::new("suite-int");
    let results = work.path().join("results");
    let mut suite = GroupRun::spawn(
        suite_common::suite_command(server.port, &results)
            .env("ITERATIONS", "50")
            .env("CONNECTIONS", "8"),
        work.path(),
    );

    // Wait for two rows (an iteration is then surely under way or just ending), then Ctrl-C.
    let runs_csv = results.join("runs.csv");
    let two_rows = wait_until(Duration::from_secs(90), || {
        suite.ended() || std::fs::read_to_string(&runs_csv).map_or(0, |t| t.lines().count()) >= 3
    });
    assert!(
        two_rows && !suite.ended(),
        "the suite wrote no two runs within 90 s:\n{}",
        suite.stderr_text()
    );
    suite.signal_group(libc::SIGINT);
    let status = suite.wait(STOP_BOUND, "after SIGINT");
    assert_eq!(
        status.code(),
        Some(130),
        "exit status after SIGINT; stderr:\n{}",
        suite.stderr_text()
    );

    let runs = check_partial_folder(&results);
    assert!(runs.len() >= 2 && runs.len() < 100, "{} runs", runs.len());
    let run_ids: BTreeSet<&str> = runs.iter().map(|r| r["run_id"].as_str()).collect();
    // Every recorded run has all of its job rows; jobs of the interrupted run may be there too.
    let jobs = read_csv(&results.join("jobs.csv"));
    for id in &run_ids {
        assert_eq!(
            jobs.iter().filter(|j| j["run_id"] == *id).count(),
            8,
            "jobs of {id}"
        );
    }
    let summary = support::run_with_timeout(
        Command::new(support::bin()).arg("summarize").arg(&results),
        Duration::from_secs(30),
    );
    assert!(summary.status.success());
    assert!(String::from_utf8_lossy(&summary.stdout).contains("status partial"));
}

/// SIGTERM to bench-overhead.sh alone while a run is under way against a server that drips the
/// payload (a run takes ~5 s): the run is cut short rather than waited for.
#[test]
fn sigterm_to_the_script_stops_the_run_under_way() {
    let root = support::TempDir::new("suite-term-root");
    support::write_payload(&root.path().join("testpayload"), 2 << 20);
    let server = support::start_builtin(root.path(), Some("slow-drip"));
    let work = support::TempDir::new("suite-term");
    let results = work.path().join("results");
    let mut suite = GroupRun::spawn(
        suite_common::suite_command(server.port, &results)
            .env("ITERATIONS", "3")
            .env("CONNECTIONS", "2"),
        work.path(),
    );

    // threaded-1 is recorded and threaded-2 has started (its stderr file is opened right before
    // memmon starts): a run is under way.
    let second_started = wait_until(Duration::from_secs(90), || {
        suite.ended()
            || (results.join("runs.csv").exists() && results.join("raw/threaded-2.stderr").exists())
    });
    assert!(
        second_started && !suite.ended(),
        "the suite did not get to its second run within 90 s:\n{}",
        suite.stderr_text()
    );
    suite.signal(libc::SIGTERM);
    let status = suite.wait(STOP_BOUND, "after SIGTERM");
    assert_eq!(
        status.code(),
        Some(143),
        "exit status after SIGTERM:\n{}",
        suite.stderr_text()
    );

    let runs = check_partial_folder(&results);
    let ids: Vec<&str> = runs.iter().map(|r| r["run_id"].as_str()).collect();
    assert_eq!(ids, ["threaded-1"], "runs.csv");
    let jobs = read_csv(&results.join("jobs.csv"));
    assert_eq!(
        jobs.iter().filter(|j| j["run_id"] == "threaded-1").count(),
        2,
        "jobs of threaded-1"
    );
    // The run under way was stopped, not waited for: it left no record and is noted as such.
    let meta = read_meta(&results);
    let failed = meta["failed_iterations"].as_array().unwrap();
    assert_eq!(failed.len(), 1, "{meta:#}");
    assert_eq!(failed[0]["run_id"], "threaded-2");
    assert_eq!(failed[0]["recorded"], false);
    assert!(
        failed[0]["reason"]
            .as_str()
            .unwrap()
            .starts_with("interrupted"),
        "{meta:#}"
    );
    // The summary of what was recorded is printed.
    let stdout = suite.stdout_text();
    assert!(stdout.contains("threaded (blocking)"), "{stdout}");
    assert!(stdout.contains("status partial"), "{stdout}");
}

/// SIGTERM to scripts/benchmark.sh alone (what `make` forwards to its child): the suite it runs
/// stops, and so does the server it started.
#[test]
fn sigterm_to_benchmark_sh_stops_the_suite_and_its_server() {
    let payloads = support::TempDir::new("bench-term-payloads");
    support::write_payload(&payloads.path().join("testpayload"), 1 << 20);
    let work = support::TempDir::new("bench-term");
    let results = work.path().join("results");
    let port = support::free_port();
    let mut benchmark = GroupRun::spawn(
        Command::new("sh")
            .arg(suite_common::repo().join("scripts/benchmark.sh"))
            .env("SERVER", "builtin")
            .env("PORT", port.to_string())
            .env("BIND", "127.0.0.1")
            .env_remove("ADDRESS")
            .env("PAYLOAD_DIR", payloads.path())
            .env("BIN_DIR", suite_common::bin_dir())
            .env("RESULTS", &results)
            .env("ITERATIONS", "100000")
            .env("CONNECTIONS", "2")
            .env("INTERVAL", "50ms")
            .env("TMPDIR", work.path()),
        work.path(),
    );
    let runs_csv = results.join("runs.csv");
    let two_rows = wait_until(Duration::from_secs(90), || {
        benchmark.ended()
            || std::fs::read_to_string(&runs_csv).map_or(0, |t| t.lines().count()) >= 3
    });
    assert!(
        two_rows && !benchmark.ended(),
        "benchmark.sh recorded no two runs within 90 s:\n{}",
        benchmark.stderr_text()
    );
    benchmark.signal(libc::SIGTERM);
    let status = benchmark.wait(STOP_BOUND, "after SIGTERM");
    let stderr = benchmark.stderr_text();
    assert_eq!(
        status.code(),
        Some(143),
        "exit status after SIGTERM:\n{stderr}"
    );
    assert!(
        TcpStream::connect_timeout(&([127, 0, 0, 1], port).into(), Duration::from_secs(2)).is_err(),
        "the built-in server benchmark.sh started still listens on {port}:\n{stderr}"
    );
    assert!(stderr.contains("stopping the built-in server"), "{stderr}");
    // SERVER=builtin was a choice, not a missing lighttpd.
    assert!(!stderr.contains("lighttpd is not installed"), "{stderr}");
    let runs = check_partial_folder(&results);
    assert!(runs.len() >= 2, "{} runs", runs.len());
}
