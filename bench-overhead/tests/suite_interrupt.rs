//! Stopping the suite: Ctrl-C (SIGINT to the whole process group) or SIGTERM to the script alone
//! (what `make` forwards, what a supervisor sends). The suite stops the run under way at once,
//! keeps every row written so far, marks meta.json partial, prints the summary of what it recorded,
//! and exits 128 + the signal's number. `scripts/benchmark.sh` also stops the server it started.
//! Once every iteration has run, a signal stops nothing: the folder is complete, the status 0.

mod suite_common;
mod support;

use std::collections::BTreeSet;
use std::net::TcpStream;
use std::path::{Path, PathBuf};
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

    // threaded-1 is recorded and threaded-2's client is running: memmon has taken two of its
    // samples (the first at spawn, the next an interval later), by when the client has installed
    // its signal handlers. A signal before that would stop a client that never began its run.
    let second_started = wait_until(Duration::from_secs(90), || {
        suite.ended()
            || (results.join("runs.csv").exists()
                && std::fs::read_to_string(results.join("memory.csv"))
                    .unwrap_or_default()
                    .lines()
                    .filter(|row| row.starts_with("threaded-2,"))
                    .count()
                    >= 2)
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
    assert_eq!(ids, ["threaded-1", "threaded-2"], "runs.csv");
    // The run under way was stopped, not waited for: the client ended it on the signal and wrote
    // the rows it had, its unfinished jobs failed as interrupted, and it is noted as such.
    assert!(
        runs[1]["failures"].contains("interrupted="),
        "{:?}",
        runs[1]
    );
    let jobs = read_csv(&results.join("jobs.csv"));
    assert_eq!(
        jobs.iter().filter(|j| j["run_id"] == "threaded-1").count(),
        2,
        "jobs of threaded-1"
    );
    assert!(jobs
        .iter()
        .filter(|j| j["run_id"] == "threaded-2")
        .all(|j| j["error"].starts_with("interrupted")));
    let meta = read_meta(&results);
    let failed = meta["failed_iterations"].as_array().unwrap();
    assert_eq!(failed.len(), 1, "{meta:#}");
    assert_eq!(failed[0]["run_id"], "threaded-2");
    assert_eq!(failed[0]["recorded"], true);
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

/// `sh scripts/benchmark.sh` starting the built-in server on `port` to serve `payloads`, its suite
/// writing to `results` with 2 connections per run (BIN_DIR and ITERATIONS are the caller's).
fn benchmark_command(payloads: &Path, port: u16, results: &Path, work: &Path) -> Command {
    let mut command = Command::new("sh");
    command
        .arg(suite_common::repo().join("scripts/benchmark.sh"))
        .env("SERVER", "builtin")
        .env("PORT", port.to_string())
        .env("BIND", "127.0.0.1")
        .env_remove("ADDRESS")
        .env("PAYLOAD_DIR", payloads)
        .env("RESULTS", results)
        .env("CONNECTIONS", "2")
        .env("INTERVAL", "50ms")
        .env("TMPDIR", work);
    command
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
        benchmark_command(payloads.path(), port, &results, work.path())
            .env("BIN_DIR", suite_common::bin_dir())
            .env("ITERATIONS", "100000"),
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

/// A BIN_DIR in `dir` whose `bench-overhead` sends SIGINT to its process group (a terminal's
/// Ctrl-C) as `summarize` starts, when every iteration has run, and then runs the real one;
/// `memmon` is the real one.
fn ctrl_c_at_the_summary(dir: &Path) -> PathBuf {
    suite_common::wrapped_bin_dir(dir, "if [ \"$1\" = summarize ]; then kill -INT 0; fi\n")
}

/// What a suite that got Ctrl-C only during its summary leaves: a complete folder with its run,
/// the summary printed, and no claim that it was interrupted.
fn check_complete_despite_ctrl_c(results: &Path, status: std::process::ExitStatus, run: &GroupRun) {
    let stderr = run.stderr_text();
    assert_eq!(status.code(), Some(0), "exit status:\n{stderr}");
    let meta = read_meta(results);
    assert_eq!(meta["status"], "complete", "{meta:#}");
    assert_eq!(meta["runs_recorded"], 1, "{meta:#}");
    assert!(!stderr.contains("marked partial"), "{stderr}");
    assert!(results.join("summary.md").exists(), "no summary.md");
}

#[test]
fn ctrl_c_during_the_summary_leaves_a_complete_folder_and_status_0() {
    let root = support::TempDir::new("suite-late-int-root");
    support::write_payload(&root.path().join("testpayload"), 64 << 10);
    let server = support::start_builtin(root.path(), None);
    let work = support::TempDir::new("suite-late-int");
    let results = work.path().join("results");
    let mut suite = GroupRun::spawn(
        suite_common::suite_command(server.port, &results)
            .env("BIN_DIR", ctrl_c_at_the_summary(work.path()))
            .env("ITERATIONS", "1")
            .env("VARIANTS", "threaded")
            .env("CONNECTIONS", "2"),
        work.path(),
    );
    let status = suite.wait(STOP_BOUND, "after one iteration");
    check_complete_despite_ctrl_c(&results, status, &suite);
    let stdout = suite.stdout_text();
    assert!(stdout.contains("threaded (blocking)"), "{stdout}");
}

/// The same through `make benchmark`'s script: it ends with the suite's status, not the signal's.
#[test]
fn ctrl_c_during_the_summary_of_benchmark_sh_leaves_status_0() {
    let payloads = support::TempDir::new("bench-late-int-payloads");
    support::write_payload(&payloads.path().join("testpayload"), 64 << 10);
    let work = support::TempDir::new("bench-late-int");
    let results = work.path().join("results");
    let port = support::free_port();
    let mut benchmark = GroupRun::spawn(
        benchmark_command(payloads.path(), port, &results, work.path())
            .env("BIN_DIR", ctrl_c_at_the_summary(work.path()))
            .env("ITERATIONS", "1")
            .env("VARIANTS", "threaded"),
        work.path(),
    );
    let status = benchmark.wait(STOP_BOUND, "after one iteration");
    check_complete_despite_ctrl_c(&results, status, &benchmark);
    assert!(
        TcpStream::connect_timeout(&([127, 0, 0, 1], port).into(), Duration::from_secs(2)).is_err(),
        "the built-in server benchmark.sh started still listens on {port}"
    );
}
