//! The cost beyond the client, end to end through bench-overhead.sh and scripts/benchmark.sh:
//! the server's CPU and memory (memmon `--also`) and the kernel's TCP socket memory (memmon
//! `--sockets`) in runs.csv and the summary, against a real lighttpd and the built-in server; and
//! a server the suite does not know, or one not on this machine, leaves those columns empty with
//! the reason in meta.json and the summary.

mod suite_common;
mod support;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use suite_common::{bin_dir, num, read_csv, read_meta, repo, script};

const MIB: usize = 1 << 20;

fn suite(port: u16, results: &Path, connections: usize) -> Command {
    let mut command = Command::new("sh");
    command
        .arg(script())
        .arg("127.0.0.1")
        .arg(port.to_string())
        .env("ITERATIONS", "1")
        .env("CONNECTIONS", connections.to_string())
        .env("INTERVAL", "20ms")
        .env("BIN_DIR", bin_dir())
        .env("RESULTS", results)
        .env_remove("SERVER_PID");
    command
}

/// Runs `command` to success (bounded) and returns what it printed (the summary).
fn run_to_success(command: &mut Command) -> String {
    let output = support::run_with_timeout(command, Duration::from_secs(180));
    let stdout = String::from_utf8_lossy(&output.stdout).to_string();
    assert!(
        output.status.success(),
        "the suite failed:\n{}\n{stdout}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

fn value(row: &BTreeMap<String, String>, column: &str) -> Option<f64> {
    let cell = row
        .get(column)
        .unwrap_or_else(|| panic!("no column {column}"));
    (!cell.is_empty()).then(|| num(row, column))
}

/// The server's figures are filled and plausible: CPU above zero for the transfer, memory sampled,
/// context switches counted, the PID the one the suite was given.
fn assert_server_measured(run: &BTreeMap<String, String>, pid: u32) {
    assert_eq!(num(run, "server_pid") as u32, pid, "{run:?}");
    let cpu = value(run, "server_cpu_user_s").unwrap() + value(run, "server_cpu_sys_s").unwrap();
    assert!(
        cpu > 0.0,
        "no server CPU for {} bytes: {run:?}",
        run["bytes"]
    );
    // Not more than the run's wall time on every core of the machine.
    let cores = std::thread::available_parallelism().unwrap().get() as f64;
    assert!(cpu <= num(run, "run_ns") / 1e9 * cores + 0.05, "{run:?}");
    assert!(value(run, "server_ctx_voluntary").is_some(), "{run:?}");
    assert!(value(run, "server_mem_samples").unwrap() >= 1.0, "{run:?}");
    assert!(
        value(run, "server_mem_rss_min_bytes").unwrap() > 0.0,
        "{run:?}"
    );
}

fn assert_sockets_sampled(run: &BTreeMap<String, String>) {
    assert!(value(run, "tcp_mem_max_bytes").unwrap() > 0.0, "{run:?}");
    assert!(value(run, "tcp_inuse_start").is_some(), "{run:?}");
    let connections = num(run, "connections");
    // The client's connections and the server's ends of them, at least while they streamed.
    assert!(
        value(run, "tcp_inuse_max").unwrap() >= connections,
        "{run:?}"
    );
}

/// lighttpd, told by SERVER_PID: 4 connections × 64 MiB; CPU, memory and switches filled.
#[test]
fn lighttpd_named_by_server_pid_is_measured() {
    let payloads = support::TempDir::new("cost-lighttpd");
    support::write_payload(&payloads.path().join("testpayload"), 64 * MIB);
    let server = support::start_lighttpd(payloads.path());
    let work = support::TempDir::new("cost-lighttpd-results");
    let results = work.path().join("results");
    let mut command = suite(server.port, &results, 4);
    command
        .env("SERVER_PID", server.pid().to_string())
        .env("VARIANTS", "threaded poll");
    let stdout = run_to_success(&mut command);
    let runs = read_csv(&results.join("runs.csv"));
    assert_eq!(runs.len(), 2);
    for run in &runs {
        assert_eq!(num(run, "bytes") as usize, 4 * 64 * MIB);
        assert_server_measured(run, server.pid());
        assert_sockets_sampled(run);
    }
    let meta = read_meta(&results);
    assert_eq!(meta["server_cost"]["pid"], server.pid());
    assert_eq!(meta["server_cost"]["process"], "lighttpd");
    assert!(stdout.contains("Server CPU per GiB"), "{stdout}");
    assert!(
        stdout.contains(&format!(
            "server cost measured: PID {} (lighttpd)",
            server.pid()
        )),
        "{stdout}"
    );
}

/// `make benchmark`'s script starts the built-in server and passes its PID on; 100 connections
/// stream at once, so the kernel holds socket memory while memmon samples.
#[test]
fn the_builtin_server_benchmark_sh_starts_is_measured_while_100_connections_stream() {
    let work = support::TempDir::new("cost-builtin");
    let payloads = work.path().join("payloads");
    std::fs::create_dir_all(&payloads).unwrap();
    support::write_payload(&payloads.join("testpayload"), 4 * MIB);
    let results = work.path().join("results");
    let port = support::free_port();
    let mut command = Command::new("sh");
    command
        .arg(repo().join("scripts/benchmark.sh"))
        .env("SERVER", "builtin")
        .env("PORT", port.to_string())
        .env("BIND", "127.0.0.1")
        .env_remove("ADDRESS")
        .env_remove("SERVER_PID")
        .env("PAYLOAD_DIR", &payloads)
        .env("RESULTS", &results)
        .env("BIN_DIR", bin_dir())
        .env("ITERATIONS", "1")
        .env("VARIANTS", "poll")
        .env("CONNECTIONS", "100")
        .env("INTERVAL", "20ms")
        .env("TMPDIR", work.path());
    run_to_success(&mut command);
    let runs = read_csv(&results.join("runs.csv"));
    assert_eq!(runs.len(), 1);
    let run = &runs[0];
    assert_eq!(num(run, "jobs_ok"), 100.0, "{run:?}");
    let meta = read_meta(&results);
    let pid = meta["server_cost"]["pid"]
        .as_u64()
        .expect("the started server's PID") as u32;
    assert_server_measured(run, pid);
    assert_sockets_sampled(run);
}

/// A server the suite was not told about: its columns are empty (not 0) and the summary says why;
/// the kernel's socket memory is still sampled (it needs no PID).
#[test]
fn without_server_pid_the_server_columns_are_empty_and_the_summary_says_why() {
    let payloads = support::TempDir::new("cost-unknown");
    support::write_payload(&payloads.path().join("testpayload"), 4 * MIB);
    let server = support::start_builtin(payloads.path(), None);
    let work = support::TempDir::new("cost-unknown-results");
    let results = work.path().join("results");
    let mut command = suite(server.port, &results, 4);
    command.env("VARIANTS", "threaded");
    let stdout = run_to_success(&mut command);
    let runs = read_csv(&results.join("runs.csv"));
    for column in [
        "server_pid",
        "server_cpu_user_s",
        "server_mem_rss_avg_bytes",
    ] {
        assert_eq!(
            runs[0][column], "",
            "{column} should be empty: {:?}",
            runs[0]
        );
    }
    // Sampled all the same (a run this short may see no socket memory at all: filled, not > 0).
    assert!(
        value(&runs[0], "tcp_mem_max_bytes").is_some(),
        "{:?}",
        runs[0]
    );
    let line = stdout
        .lines()
        .find(|l| l.trim_start().starts_with("Server CPU per GiB"))
        .unwrap_or_else(|| panic!("no server line:\n{stdout}"));
    assert!(line.contains('—'), "{line}");
    assert!(
        stdout.contains("server cost not measured: no SERVER_PID given"),
        "{stdout}"
    );
}

/// A server at an address that is not this machine's is never measured, whatever SERVER_PID says:
/// `suite begin` prints no PID for memmon and meta.json says why (TEST-NET-1, RFC 5737).
#[test]
fn a_server_on_another_machine_is_not_measured() {
    let work = support::TempDir::new("cost-remote");
    let results = work.path().join("results");
    let output = support::run_with_timeout(
        Command::new(support::bin())
            .args(["suite", "begin", "--results"])
            .arg(&results)
            .args([
                "--address",
                "192.0.2.1",
                "--port",
                "8000",
                "--path",
                "/testpayload",
            ])
            .args([
                "--iterations",
                "1",
                "--variants",
                "poll",
                "--interval",
                "100ms",
            ])
            .args(["--server-pid", &std::process::id().to_string()]),
        Duration::from_secs(30),
    );
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&output.stdout),
        "",
        "no PID for memmon"
    );
    let meta = read_meta(&results);
    assert!(meta["server_cost"]["pid"].is_null(), "{meta:#}");
    assert_eq!(
        meta["server_cost"]["note"],
        "not measured: the server at 192.0.2.1 is not on this machine"
    );
}

/// A SERVER_PID that names no process stops the suite before any folder exists, with one line.
#[test]
fn a_server_pid_of_no_process_is_one_clear_error() {
    let payloads = support::TempDir::new("cost-badpid");
    support::write_payload(&payloads.path().join("testpayload"), MIB);
    let server = support::start_builtin(payloads.path(), None);
    let work = support::TempDir::new("cost-badpid-results");
    let results = work.path().join("results");
    let mut command = suite(server.port, &results, 1);
    command.env("SERVER_PID", "2147483647");
    let output = support::run_with_timeout(&mut command, Duration::from_secs(60));
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("SERVER_PID=2147483647: no such process"),
        "{stderr}"
    );
    assert!(!results.join("meta.json").exists());
}
