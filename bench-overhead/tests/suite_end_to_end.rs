//! bench-overhead.sh end to end, small: 2 iterations × 2 variants × 8 connections × 4 MiB, against
//! a real lighttpd and against the built-in server (run by busybox sh with busybox utilities, as a
//! QEMU guest runs it). The folder must hold exactly the expected rows, a complete meta.json, and a
//! summary whose figures equal what the CSVs give.

mod suite_common;
mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use serde_json::Value;

use suite_common::{bin_dir, num, read_csv, script};

const PAYLOAD: usize = 4 << 20;
const CONNECTIONS: usize = 8;
const ITERATIONS: usize = 2;

/// A folder of busybox applet links, so the script runs with busybox's utilities only.
fn busybox_path(dir: &Path) -> Option<String> {
    let busybox = ["/usr/bin/busybox", "/bin/busybox"]
        .into_iter()
        .find(|p| Path::new(p).exists())?;
    let list = Command::new(busybox).arg("--list").output().ok()?;
    for applet in String::from_utf8_lossy(&list.stdout).lines() {
        if applet != "busybox" {
            let _ = std::os::unix::fs::symlink(busybox, dir.join(applet));
        }
    }
    Some(busybox.to_string())
}

/// A figure as the text summary or summary.md prints it: the value after `label` in the section
/// of `variant` (text heading `threaded (…`, markdown `## threaded (…`), in bytes or MiB/s, and
/// the size of the unit it was printed in (for the rounding allowance).
fn printed(summary: &str, variant: &str, label: &str) -> (f64, f64) {
    let heading = format!("{variant} (");
    let line = summary
        .lines()
        .skip_while(|l| !l.trim_start_matches("## ").starts_with(&heading))
        .find(|l| l.trim_start_matches(['|', ' ']).starts_with(label))
        .unwrap_or_else(|| panic!("no `{label}` line for {variant} in:\n{summary}"));
    let rest = line
        .trim_start_matches(['|', ' '])
        .trim_start_matches(label);
    let mut words = rest.split(['|', ' ']).filter(|w| !w.is_empty());
    let value: f64 = words
        .next()
        .and_then(|w| w.parse().ok())
        .unwrap_or_else(|| panic!("no number in `{line}`"));
    let unit = match words.next() {
        Some("B") => 1.0,
        Some("KiB") => 1024.0,
        Some("MiB") => 1048576.0,
        Some("GiB") => 1073741824.0,
        Some("MiB/s") => 1.0,
        other => panic!("unexpected unit {other:?} in `{line}`"),
    };
    (value * unit, unit)
}

/// Whether `figure` as printed with three decimals of its unit is `expected`.
fn printed_as(figure: (f64, f64), expected: f64) -> bool {
    let (value, unit) = figure;
    (value - expected).abs() <= unit * 0.0005 + expected.abs() * 1e-12
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
}

fn mean(values: &[f64]) -> f64 {
    values.iter().sum::<f64>() / values.len() as f64
}

/// The plan comes first; then one line per run, in the summary's unit (its aggregate MiB/s is the
/// runs.csv figure) with the suite's progress; then, after the summary, the verdict; and the
/// results folder is named once.
fn check_progress(stderr: &str, runs: &[BTreeMap<String, String>]) {
    let lines: Vec<&str> = stderr.lines().collect();
    let plan = lines
        .iter()
        .position(|l| {
            l.starts_with(&format!(
                "plan: {ITERATIONS} runs of each of threaded, poll ({} in all), workload \
                 download, each of {CONNECTIONS} connections (CONNECTIONS={CONNECTIONS}), ",
                2 * ITERATIONS
            ))
        })
        .unwrap_or_else(|| panic!("no plan line:\n{stderr}"));
    for (at, run) in runs.iter().enumerate() {
        let id = &run["run_id"];
        let (variant, iteration) = id.rsplit_once('-').unwrap();
        let prefix = format!("  {variant} {iteration}/{ITERATIONS}: ");
        let line = lines
            .iter()
            .position(|l| l.starts_with(&prefix))
            .unwrap_or_else(|| panic!("no line for {id}:\n{stderr}"));
        assert!(line > plan, "{id} before the plan:\n{stderr}");
        let text = lines[line];
        let speed = format!("{:.3} MiB/s", num(run, "aggregate_mib_s"));
        assert!(text.contains(&speed), "{id}: not {speed}: {text}");
        let position = format!("[{}/{} runs, ", at + 1, 2 * ITERATIONS);
        assert!(text.contains(&position), "{id}: not {position}: {text}");
        assert_eq!(text.contains("left]"), at + 1 < 2 * ITERATIONS, "{text}");
    }
    let verdict: Vec<&&str> = lines
        .iter()
        .filter(|l| l.starts_with("verdict: "))
        .collect();
    assert_eq!(verdict.len(), 1, "{stderr}");
    assert!(
        verdict[0].starts_with("verdict: poll: ")
            && verdict[0].contains(" the aggregate speed of threaded (±"),
        "{}",
        verdict[0]
    );
    let named = lines.iter().filter(|l| l.contains("results: ")).count();
    assert_eq!(
        named, 1,
        "the results folder is named {named} times:\n{stderr}"
    );
}

fn run_suite(port: u16, busybox: bool, expect_server: &str) {
    let work = support::TempDir::new("suite-e2e");
    let results = work.path().join("results");
    let mut command = Command::new("sh");
    if busybox {
        let applets = work.path().join("bin");
        std::fs::create_dir_all(&applets).unwrap();
        match busybox_path(&applets) {
            Some(busybox) => {
                command = Command::new(busybox);
                command.arg("sh").env("PATH", &applets);
            }
            None => support::skip(
                "busybox is not installed (apt-get install busybox-static): ran the script with sh",
            ),
        }
    }
    command
        .arg(script())
        .arg("127.0.0.1")
        .arg(port.to_string())
        .env("ITERATIONS", ITERATIONS.to_string())
        .env("VARIANTS", "threaded poll")
        .env("CONNECTIONS", CONNECTIONS.to_string())
        .env("INTERVAL", "50ms")
        .env("BIN_DIR", bin_dir())
        .env("RESULTS", &results)
        .env("META", "purpose=test nic=none");
    let output = support::run_with_timeout(&mut command, Duration::from_secs(180));
    let stderr = String::from_utf8_lossy(&output.stderr);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "bench-overhead.sh failed:\n{stderr}\n{stdout}"
    );
    assert!(
        stdout.contains("Average socket creation time"),
        "no summary printed:\n{stdout}"
    );
    check_progress(&stderr, &read_csv(&results.join("runs.csv")));

    // runs.csv: one row per variant × iteration, every job ok, memmon's figures joined on.
    let runs = read_csv(&results.join("runs.csv"));
    let ids: BTreeSet<&str> = runs.iter().map(|r| r["run_id"].as_str()).collect();
    assert_eq!(
        ids,
        BTreeSet::from(["threaded-1", "threaded-2", "poll-1", "poll-2"]),
        "runs.csv run ids"
    );
    assert_eq!(runs.len(), 4);
    for run in &runs {
        assert_eq!(num(run, "jobs_ok") as usize, CONNECTIONS, "{run:?}");
        assert_eq!(num(run, "jobs_failed"), 0.0);
        assert_eq!(num(run, "bytes") as usize, CONNECTIONS * PAYLOAD);
        assert!(
            num(run, "mem_samples") >= 1.0,
            "memmon's figures missing: {run:?}"
        );
        assert!(num(run, "mem_rss_max_bytes") > 0.0);
        assert!(
            run["server"].starts_with(expect_server),
            "{}",
            run["server"]
        );
        assert_eq!(run["network"], "loopback");
    }

    // jobs.csv: 2 × 2 × 8 rows, 8 per run, each a complete 200 download.
    let jobs = read_csv(&results.join("jobs.csv"));
    assert_eq!(jobs.len(), 2 * ITERATIONS * CONNECTIONS);
    for id in &ids {
        let of_run: Vec<_> = jobs.iter().filter(|j| j["run_id"] == *id).collect();
        assert_eq!(of_run.len(), CONNECTIONS, "jobs of {id}");
        for job in of_run {
            assert_eq!(job["status"], "200");
            assert_eq!(num(job, "bytes") as usize, PAYLOAD);
            assert!(job["error"].is_empty());
        }
    }

    // memory.csv: at least one sample per run.
    let memory = read_csv(&results.join("memory.csv"));
    for id in &ids {
        assert!(
            memory.iter().any(|m| m["run_id"] == *id),
            "memory.csv has no sample of {id}"
        );
    }

    // meta.json: complete and describing this machine and server.
    let meta: Value =
        serde_json::from_str(&std::fs::read_to_string(results.join("meta.json")).unwrap()).unwrap();
    assert_eq!(meta["status"], "complete");
    for key in [
        "os",
        "os_version",
        "kernel",
        "arch",
        "hostname",
        "suite_version",
        "command_line",
        "started_utc",
        "ended_utc",
        "server",
        "server_name",
        "server_version",
        "network",
    ] {
        let value = meta[key].as_str().unwrap_or_default();
        assert!(!value.is_empty(), "meta.json {key} is empty: {meta:#}");
    }
    assert!(meta["cores"].as_u64().unwrap() >= 1);
    assert!(meta["memory_bytes"].as_u64().unwrap() > 0);
    assert!(meta["server"].as_str().unwrap().starts_with(expect_server));
    assert_eq!(meta["network"], "loopback");
    assert_eq!(meta["connections"], CONNECTIONS);
    assert_eq!(meta["iterations"], ITERATIONS);
    assert_eq!(meta["variants"], serde_json::json!(["threaded", "poll"]));
    assert_eq!(meta["runs_recorded"], 4);
    // TIMEOUT and RUN_TIMEOUT unset: the client's defaults, named.
    assert_eq!(meta["timeout"], "30s");
    assert_eq!(meta["run_timeout"], "10m");
    assert_eq!(meta["failed_iterations"], serde_json::json!([]));
    // META's pairs, and on Linux the congestion control the suite adds by itself.
    let mut extra = serde_json::json!({"purpose": "test", "nic": "none"});
    if let Ok(cc) = std::fs::read_to_string("/proc/sys/net/ipv4/tcp_congestion_control") {
        extra["tcp_congestion_control"] = serde_json::json!(cc.trim());
    }
    assert_eq!(meta["extra"], extra);
    assert!(results.join("summary.md").exists());

    // The summary's figures are the CSVs' figures.
    let summary = support::run_with_timeout(
        Command::new(support::bin())
            .arg("summarize")
            .arg(&results)
            .arg("--json"),
        Duration::from_secs(30),
    );
    assert!(summary.status.success());
    let summary: Value = serde_json::from_slice(&summary.stdout).unwrap();
    for variant in ["threaded", "poll"] {
        let s = summary["variants"]
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["variant"] == variant)
            .unwrap_or_else(|| panic!("no {variant} in the summary"));
        let vruns: Vec<_> = runs.iter().filter(|r| r["variant"] == variant).collect();
        let vjobs: Vec<_> = jobs.iter().filter(|j| j["variant"] == variant).collect();
        assert_eq!(s["runs"], ITERATIONS);
        assert_eq!(s["runs_ok"], ITERATIONS);
        assert_eq!(s["jobs"].as_u64().unwrap() as usize, vjobs.len());
        assert_eq!(s["jobs_ok"].as_u64().unwrap() as usize, vjobs.len());
        let bytes: f64 = vruns.iter().map(|r| num(r, "bytes")).sum();
        assert_eq!(s["bytes"].as_f64().unwrap(), bytes);
        let receive = |j: &&BTreeMap<String, String>| num(j, "ttfb_ns") + num(j, "transfer_ns");
        let expect = [
            (
                "socket_ns",
                mean(
                    &vjobs
                        .iter()
                        .map(|j| num(j, "socket_ns"))
                        .collect::<Vec<_>>(),
                ),
            ),
            (
                "setup_ns",
                mean(&vjobs.iter().map(|j| num(j, "setup_ns")).collect::<Vec<_>>()),
            ),
            (
                "receive_ns",
                mean(&vjobs.iter().map(receive).collect::<Vec<_>>()),
            ),
            (
                "job_mib_s",
                mean(
                    &vjobs
                        .iter()
                        .map(|j| num(j, "bytes") / 1048576.0 / (receive(j) / 1e9))
                        .collect::<Vec<_>>(),
                ),
            ),
            (
                "run_ns",
                mean(&vruns.iter().map(|r| num(r, "run_ns")).collect::<Vec<_>>()),
            ),
        ];
        for (figure, value) in expect {
            let got = s[figure]["value"].as_f64().unwrap();
            assert!(
                close(got, value),
                "{variant} {figure}: summary {got}, CSVs {value}"
            );
            assert!(
                s[figure]["cv"].is_number(),
                "{variant} {figure} has no spread"
            );
        }
        // The printed summaries show the same figures (rounded to their three decimals).
        let markdown = std::fs::read_to_string(results.join("summary.md")).unwrap();
        let aggregate = mean(
            &vruns
                .iter()
                .map(|r| num(r, "aggregate_mib_s"))
                .collect::<Vec<_>>(),
        );
        let per_job = bytes / vjobs.len() as f64;
        for text in [&*stdout, markdown.as_str()] {
            let got = printed(text, variant, "Average aggregate speed");
            assert!(
                printed_as(got, aggregate),
                "{variant} aggregate speed: printed {got:?} MiB/s, CSVs {aggregate}"
            );
            let got = printed(text, variant, "Data fetched per job");
            assert!(
                printed_as(got, per_job),
                "{variant} data per job: printed {got:?} B, CSVs {per_job}"
            );
            let got = printed(text, variant, "Total data fetched");
            assert!(
                printed_as(got, bytes),
                "{variant} data fetched: printed {got:?} B, CSVs {bytes}"
            );
        }
        let metric = if vruns
            .iter()
            .all(|r| !r["mem_pss_anon_avg_bytes"].is_empty())
        {
            "pss_anon"
        } else {
            "rss"
        };
        assert_eq!(s["memory_metric"], metric);
        for (figure, stat) in [
            ("memory_min_bytes", "min"),
            ("memory_avg_bytes", "avg"),
            ("memory_max_bytes", "max"),
        ] {
            let column = format!("mem_{metric}_{stat}_bytes");
            let value = mean(&vruns.iter().map(|r| num(r, &column)).collect::<Vec<_>>());
            let got = s[figure]["value"].as_f64().unwrap();
            assert!(
                close(got, value),
                "{variant} {figure}: summary {got}, CSVs {value}"
            );
        }
    }
}

#[test]
fn against_lighttpd() {
    let root = support::TempDir::new("suite-root");
    support::write_payload(&root.path().join("testpayload"), PAYLOAD);
    let server = support::start_lighttpd(root.path());
    run_suite(server.port, false, "lighttpd/");
}

#[test]
fn against_the_builtin_server_under_busybox_sh() {
    let root = support::TempDir::new("suite-root");
    support::write_payload(&root.path().join("testpayload"), PAYLOAD);
    let server = support::start_builtin(root.path(), None);
    run_suite(server.port, true, "bench-overhead/");
}
