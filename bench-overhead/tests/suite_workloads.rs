//! bench-overhead.sh with `WORKLOADS="download keepalive upload"`, small (1 iteration, 1 s
//! keep-alive runs, 2 connections, 2 models), against a real lighttpd: every row carries its
//! workload, the keep-alive rows their request figures and latency histogram; the upload steps are
//! skipped with the reason (lighttpd takes no PUT); the summary has a section per workload; and
//! `compare` prints a keepalive table whose latency percentiles are those of the runs' histograms,
//! with a req/s chart and a latency-percentile chart of one line per model.

mod suite_common;
mod support;

use std::collections::BTreeMap;
use std::process::Command;
use std::time::Duration;

use suite_common::{num, read_csv, read_meta};

const MODELS: [&str; 2] = ["threaded", "poll"];

/// The number in a markdown cell (`433.407 us`, `38547.5 req/s`).
fn cell_number(cell: &str) -> f64 {
    cell.split_whitespace()
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no number in `{cell}`"))
}

fn close(got: f64, want: f64) -> bool {
    // compare prints 6 significant digits.
    (got - want).abs() <= want.abs() * 1e-5
}

#[test]
fn a_suite_of_download_and_keepalive_writes_each_workload_and_reports_it() {
    let root = support::TempDir::new("suite-workloads-root");
    support::write_payload(&root.path().join("testpayload"), 64 << 10);
    std::fs::write(root.path().join("hello"), b"Hello, world\n").unwrap();
    let server = support::start_lighttpd(root.path());
    let work = support::TempDir::new("suite-workloads");
    let results = work.path().join("results");
    let output = support::run_with_timeout(
        suite_common::suite_command(server.port, &results)
            .env("WORKLOADS", "download keepalive upload")
            .env("ITERATIONS", "1")
            .env("DURATION", "1s")
            .env("WARMUP", "100ms")
            .env("THREADS", "2")
            .env("CONNECTIONS", "2")
            .env("VARIANTS", MODELS.join(" ")),
        Duration::from_secs(120),
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}\n{stdout}");
    assert!(
        stderr.contains(
            "(6 in all), workloads download, keepalive, upload (DURATION=1s, THREADS=2, \
             WARMUP=100ms), each of 2 connections"
        ),
        "the plan names the workloads:\n{stderr}"
    );

    // Each keep-alive run's progress line gives its requests per second, the summary's unit.
    for model in MODELS {
        let prefix = format!("  keepalive {model} 1/1: ");
        let line = stderr
            .lines()
            .find(|l| l.starts_with(&prefix))
            .unwrap_or_else(|| panic!("no {prefix:?} line:\n{stderr}"));
        assert!(line.contains(" req/s, 2/2 jobs ok"), "{line}");
    }

    // Rows: download ids as before workloads, the others naming theirs; request cells empty for
    // download, filled for keepalive.
    let runs = read_csv(&results.join("runs.csv"));
    let by_id: BTreeMap<&str, &BTreeMap<String, String>> =
        runs.iter().map(|r| (r["run_id"].as_str(), r)).collect();
    let ids: Vec<&str> = by_id.keys().copied().collect();
    assert_eq!(
        ids,
        [
            "poll-1",
            "poll-keepalive-1",
            "threaded-1",
            "threaded-keepalive-1"
        ]
    );
    for model in MODELS {
        let download = by_id[format!("{model}-1").as_str()];
        assert_eq!(download["workload"], "download");
        for column in [
            "requests",
            "requests_per_s",
            "latency_p99_us",
            "latency_histogram",
        ] {
            assert_eq!(download[column], "", "{model}: {column}");
        }
        let keepalive = by_id[format!("{model}-keepalive-1").as_str()];
        assert_eq!(keepalive["workload"], "keepalive");
        assert_eq!(keepalive["path"], "/hello");
        assert!(num(keepalive, "requests") > 0.0, "{model}");
        assert!(num(keepalive, "requests_per_s") > 0.0, "{model}");
        assert!(num(keepalive, "latency_p99_us") >= num(keepalive, "latency_p50_us"));
        assert!(num(keepalive, "cpu_us_per_request") > 0.0, "{model}");
        // Every request is at least one send and one receive.
        assert!(num(keepalive, "syscalls_per_request") >= 2.0, "{model}");
        assert!(
            keepalive["latency_histogram"].starts_with("HISTEw"),
            "{model}"
        );
        assert_eq!(keepalive["connect_p99_us"], "", "{model}: not churn");
    }

    // meta.json: the workloads, and the upload steps skipped with lighttpd's refusal.
    let meta = read_meta(&results);
    assert_eq!(
        meta["workloads"],
        serde_json::json!(["download", "keepalive", "upload"])
    );
    let steps = meta["steps"].as_array().unwrap();
    assert_eq!(steps.len(), 6);
    for step in steps.iter().filter(|s| s["workload"] == "upload") {
        assert_eq!(step["outcome"], "skipped");
        let reason = step["reason"].as_str().unwrap();
        assert!(
            reason.starts_with("lighttpd accepts no uploads (PUT /upload: HTTP ")
                && reason
                    .ends_with("run WORKLOADS=upload against the built-in server, `make serve`"),
            "{reason}"
        );
    }
    assert_eq!(
        steps.iter().filter(|s| s["outcome"] == "measured").count(),
        4,
        "{steps:?}"
    );

    // The summary: a section per workload and model; the keep-alive p99 is the run's own (one
    // run: its histogram is the merged one).
    for model in MODELS {
        assert!(
            stdout.contains(&format!("\ndownload: {model} (")),
            "{stdout}"
        );
        let heading = format!("keepalive: {model} (");
        let section: Vec<&str> = stdout
            .lines()
            .skip_while(|l| !l.starts_with(&heading))
            .take_while(|l| !l.is_empty())
            .collect();
        assert!(!section.is_empty(), "no {heading} section:\n{stdout}");
        let line = |label: &str| {
            section
                .iter()
                .find(|l| l.trim_start().starts_with(label))
                .unwrap_or_else(|| panic!("no {label} in {section:?}"))
                .to_string()
        };
        let rate = format!(
            "{:.0} req/s",
            num(
                by_id[format!("{model}-keepalive-1").as_str()],
                "requests_per_s"
            )
        );
        assert!(line("Requests per second").contains(&rate), "{section:?}");
        assert!(line("Latency p99 ").contains("merged"), "{section:?}");
        assert!(line("Syscalls per request").contains('.'), "{section:?}");
    }

    // compare: the keepalive table in its columns, its figures the rows', and its two charts.
    let charts = work.path().join("charts");
    let compare = support::run_with_timeout(
        Command::new(support::bin())
            .arg("compare")
            .arg(&results)
            .arg("--chart")
            .arg(&charts),
        Duration::from_secs(60),
    );
    let tables = String::from_utf8_lossy(&compare.stdout);
    assert!(
        compare.status.success(),
        "{}",
        String::from_utf8_lossy(&compare.stderr)
    );
    let table: Vec<&str> = tables
        .lines()
        .skip_while(|l| *l != "Over loopback (127.0.0.1), keepalive:")
        .skip(2)
        .take_while(|l| l.starts_with('|'))
        .collect();
    assert_eq!(
        table[0],
        "| Setup | Requests/s | Latency p50 | Latency p99 | Latency p99.9 | CPU per request | \
         Syscalls per request | Average memory consumption | Runs |",
        "{tables}"
    );
    let rows = &table[2..];
    assert_eq!(rows.len(), MODELS.len(), "{tables}");
    for (row, model) in rows.iter().zip(["Threaded", "poll()-based"]) {
        let cells: Vec<&str> = row.trim_matches('|').split(" | ").map(str::trim).collect();
        assert!(cells[0].ends_with(model), "{row}");
        let id = if model == "Threaded" {
            "threaded-keepalive-1"
        } else {
            "poll-keepalive-1"
        };
        let run = by_id[id];
        assert!(
            close(cell_number(cells[1]), num(run, "requests_per_s")),
            "{row}"
        );
        assert!(
            close(cell_number(cells[2]), num(run, "latency_p50_us")),
            "{row}"
        );
        assert!(
            close(cell_number(cells[3]), num(run, "latency_p99_us")),
            "{row}"
        );
        assert!(
            close(cell_number(cells[4]), num(run, "latency_p99_9_us")),
            "{row}"
        );
        assert!(
            close(cell_number(cells[6]), num(run, "syscalls_per_request")),
            "{row}"
        );
        assert_eq!(cells[8], "1", "{row}");
    }
    // The download table is the old suite's, without the keep-alive runs.
    assert!(
        tables.starts_with("Over loopback (127.0.0.1):\n"),
        "{tables}"
    );
    for chart in [
        "latency-keepalive-loopback.svg",
        "requests-keepalive-loopback.svg",
    ] {
        support::assert_renders(&charts.join(chart));
    }
    let latency = std::fs::read_to_string(charts.join("latency-keepalive-loopback.svg")).unwrap();
    // One line per model (the axes and ticks are 1 px wide).
    let lines = latency
        .split("<polyline")
        .skip(1)
        .filter(|rest| {
            rest.split('>')
                .next()
                .unwrap()
                .contains("stroke-width=\"2\"")
        })
        .count();
    assert_eq!(lines, MODELS.len(), "{latency}");
    for label in ["50 %", "90 %", "99 %", "99.9 %", "99.99 %"] {
        assert!(
            latency.contains(&format!(">\n{label}\n<")),
            "no {label} tick"
        );
    }
    let requests = std::fs::read_to_string(charts.join("requests-keepalive-loopback.svg")).unwrap();
    assert!(requests.contains("req/s"), "{requests}");
}
