//! The client against a real lighttpd: every job of both variants receives exactly the payload,
//! the counters add up, and `--json`, `runs.csv` and `jobs.csv` agree figure for figure.

mod support;

use support::{json_lines, run_client as run};

use std::collections::HashMap;

use serde_json::Value;

const PAYLOAD: u64 = 1 << 20;
const CONNECTIONS: u64 = 20;
const BUFFER: u64 = 64 * 1024;

fn read_csv(path: &std::path::Path) -> Vec<HashMap<String, String>> {
    let mut reader = csv::Reader::from_path(path).expect("CSV file exists");
    reader
        .deserialize()
        .map(|row| row.expect("CSV row parses"))
        .collect()
}

/// The JSON value a `runs.csv` column flattens.
fn json_for_column<'a>(run: &'a Value, column: &str) -> Option<&'a Value> {
    if ["os", "os_version", "arch", "kernel", "network", "server"].contains(&column) {
        return run.get("setup")?.get(column);
    }
    if column == "thread_spawns" {
        return run.get("syscalls")?.get(column);
    }
    if let Some(call) = column.strip_prefix("sys_") {
        return run.get("syscalls")?.get(call);
    }
    if column == "tcp_info_jobs" {
        return run.get("tcp")?.get("jobs");
    }
    // TCP_INFO over the run's jobs: `tcp_<field>_<stat>` (`tcp_cwnd_<stat>_bytes`).
    if let Some(rest) = column.strip_prefix("tcp_") {
        let rest = rest.strip_prefix("cwnd_").map_or(rest.to_string(), |stat| {
            format!("cwnd_bytes_{}", stat.trim_end_matches("_bytes"))
        });
        let (field, stat) = rest.rsplit_once('_')?;
        return run.get("tcp")?.get(field)?.get(stat);
    }
    for phase in ["socket", "setup", "connect", "ttfb", "transfer", "receive"] {
        if let Some(stat) = column.strip_prefix(&format!("{phase}_")) {
            return run.get("phases")?.get(phase)?.get(stat);
        }
    }
    run.get(column)
}

fn assert_same(column: &str, json: &Value, csv: &str) {
    match json {
        Value::Number(n) => {
            let from_json = n.as_f64().unwrap();
            let from_csv: f64 = csv
                .parse()
                .unwrap_or_else(|_| panic!("{column}: `{csv}` is a number"));
            // Both files print the shortest round-trip form; serde_json's default parser may
            // land one unit in the last place off, so allow exactly that much.
            let ulps = 2.0 * f64::EPSILON * from_json.abs().max(from_csv.abs());
            assert!(
                (from_json - from_csv).abs() <= ulps,
                "column {column}: JSON {from_json} vs CSV {from_csv}"
            );
        }
        Value::String(s) => assert_eq!(s, csv, "column {column}"),
        other => panic!("column {column}: unexpected JSON {other}"),
    }
}

#[test]
fn both_variants_download_the_whole_payload_and_outputs_agree() {
    let root = support::TempDir::new("client-root");
    support::write_payload(&root.path().join("testpayload"), PAYLOAD as usize);
    let server = support::start_lighttpd(root.path());
    let out = support::TempDir::new("client-out");

    let output = run(
        server.port,
        &[
            "--connections",
            &CONNECTIONS.to_string(),
            "--buffer-size",
            "64KiB",
            "--json",
            "--run-id",
            "t1",
            "--csv-dir",
            out.path().to_str().unwrap(),
            "--variant",
            "threaded",
            "--variant",
            "poll",
            "--variant",
            "poll:poll",
            "--variant",
            "poll:polling",
            "--variant",
            "uring",
        ],
    );
    assert!(
        output.status.success(),
        "exit {:?}, stderr: {}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    let runs = json_lines(&output);
    // Every model and backend, the native poll backend under the plain name.
    let models = [
        ("threaded", "blocking", "t1-threaded"),
        ("poll", "epoll", "t1-poll"),
        ("poll", "poll", "t1-poll-poll"),
        ("poll", "polling", "t1-poll-polling"),
        ("uring", "io_uring", "t1-uring"),
    ];
    assert_eq!(runs.len(), models.len(), "one JSON object per model");

    for (run, (variant, backend, id)) in runs.iter().zip(models) {
        assert_eq!(run["variant"], variant);
        assert_eq!(run["backend"], backend);
        assert_eq!(run["run_id"], id);
        assert!(run["recv_buffer_bytes"].as_u64().unwrap() > 0, "{id}");
        assert_eq!(run["jobs_ok"], CONNECTIONS);
        assert_eq!(run["jobs_failed"], 0);
        assert_eq!(run["bytes"], CONNECTIONS * PAYLOAD);
        assert_eq!(run["payload_bytes"], PAYLOAD);
        assert_eq!(run["buffer_size"], BUFFER);
        assert_eq!(run["setup"]["network"], "loopback");
        assert!(run["setup"]["server"]
            .as_str()
            .unwrap()
            .starts_with("lighttpd"));
        assert!(run["run_ns"].as_u64().unwrap() > 0);
        assert!(run["aggregate_mib_s"].as_f64().unwrap() > 0.0);
        for phase in ["socket", "setup", "connect", "ttfb", "transfer", "receive"] {
            let stats = &run["phases"][phase];
            assert_eq!(stats["count"], CONNECTIONS, "{variant} {phase}");
            let p50 = stats["p50_ns"].as_u64().unwrap();
            let p99 = stats["p99_ns"].as_u64().unwrap();
            let max = stats["max_ns"].as_u64().unwrap();
            assert!(p50 <= p99 && p99 <= max, "{variant} {phase}: {stats}");
        }

        // Syscall counters, counted at each call site, must fit what moved.
        let calls = &run["syscalls"];
        let count = |name: &str| calls[name].as_u64().unwrap();
        assert_eq!(count("socket"), CONNECTIONS, "{variant}");
        assert!(count("close") >= CONNECTIONS, "{variant}: {calls}");
        if variant == "uring" {
            // Connects, sends and receives are submissions, batched into io_uring_enter calls.
            assert_eq!(
                count("connect") + count("send") + count("recv"),
                0,
                "{calls}"
            );
            assert!(count("submit") > 0, "{calls}");
            continue;
        }
        assert_eq!(count("connect"), CONNECTIONS, "{variant}");
        assert_eq!(
            count("send"),
            CONNECTIONS,
            "{variant}: the request fits one send"
        );
        // Each job needs at least payload / buffer data reads; done at Content-Length, no EOF read.
        assert!(
            count("recv") >= CONNECTIONS * (PAYLOAD / BUFFER),
            "{variant}: {calls}"
        );
        match variant {
            "threaded" => {
                assert_eq!(count("wait"), 0);
                // One blocking connect bounded by SO_SNDTIMEO: no wait inside it on Linux.
                assert_eq!(count("connect_wait"), 0, "{calls}");
                assert_eq!(count("thread_spawns"), CONNECTIONS, "{calls}");
            }
            _ => {
                assert!(count("wait") > 0);
                assert_eq!(
                    count("connect_wait"),
                    0,
                    "the loop's waits see connects end"
                );
            }
        }
    }

    // jobs.csv: one row per job, each with the whole payload and every phase.
    let jobs = read_csv(&out.path().join("jobs.csv"));
    assert_eq!(jobs.len() as u64, models.len() as u64 * CONNECTIONS);
    for job in &jobs {
        // TCP_INFO of every connection, in every model (Linux has it).
        if cfg!(target_os = "linux") {
            for column in [
                "tcp_retransmits",
                "tcp_rtt_us",
                "tcp_cwnd_bytes",
                "tcp_delivery_rate",
            ] {
                assert!(!job[column].is_empty(), "{column} empty: {job:?}");
            }
            assert!(job["tcp_cwnd_bytes"].parse::<u64>().unwrap() > 0, "{job:?}");
        }
        // The phase table: the five phases add up to the job's wall time, exactly (consecutive
        // marks of one monotonic clock), in every model.
        let ns = |column: &str| job[column].parse::<u64>().unwrap();
        let phases = [
            "socket_ns",
            "setup_ns",
            "connect_ns",
            "ttfb_ns",
            "transfer_ns",
        ];
        let sum: u64 = phases.iter().map(|p| ns(p)).sum();
        assert_eq!(sum, ns("end_ns") - ns("start_ns"), "phases of {job:?}");
        assert_eq!(job["bytes"], PAYLOAD.to_string(), "{job:?}");
        assert_eq!(job["status"], "200");
        assert_eq!(job["error"], "");
        for phase in [
            "socket_ns",
            "setup_ns",
            "connect_ns",
            "ttfb_ns",
            "transfer_ns",
        ] {
            assert!(job[phase].parse::<u64>().is_ok(), "{phase} in {job:?}");
        }
    }
    for run in &runs {
        let mine: Vec<_> = jobs
            .iter()
            .filter(|j| j["run_id"] == run["run_id"])
            .collect();
        let mut indices: Vec<u64> = mine.iter().map(|j| j["job"].parse().unwrap()).collect();
        indices.sort_unstable();
        assert_eq!(indices, (0..CONNECTIONS).collect::<Vec<_>>());
        // The mean socket time in the record is the exact mean of the job rows.
        let sum: u64 = mine
            .iter()
            .map(|j| j["socket_ns"].parse::<u64>().unwrap())
            .sum();
        let mean = run["phases"]["socket"]["mean_ns"].as_f64().unwrap();
        assert!((mean - sum as f64 / CONNECTIONS as f64).abs() < 1e-6);
    }

    // runs.csv: every column equals the JSON figure it flattens.
    let rows = read_csv(&out.path().join("runs.csv"));
    assert_eq!(rows.len(), models.len());
    for (row, run) in rows.iter().zip(&runs) {
        for (column, value) in row {
            let memmon_s = ["mem_", "server_", "tcp_inuse_", "tcp_mem_"];
            if memmon_s.iter().any(|prefix| column.starts_with(prefix)) {
                assert_eq!(value, "", "no memmon, no memory, server or socket figures");
                continue;
            }
            if column == "failures" {
                assert_eq!(value, "");
                continue;
            }
            // A download makes one request per connection: no request figures.
            if bench_records::is_request_column(column) && column != "workload" {
                assert_eq!(value, "", "download: no {column}");
                continue;
            }
            let json = json_for_column(run, column)
                .unwrap_or_else(|| panic!("runs.csv column {column} has no JSON key"));
            assert_same(column, json, value);
        }
    }
}

#[test]
fn text_summary_and_jobs_csv_only() {
    let root = support::TempDir::new("client-text");
    support::write_payload(&root.path().join("small"), 10_000);
    let server = support::start_lighttpd(root.path());
    let out = support::TempDir::new("client-text-out");
    let jobs_csv = out.path().join("mine.csv");
    let output = run(
        server.port,
        &[
            "--variant",
            "poll",
            "-c",
            "3",
            "--path",
            "/small",
            "--jobs-csv",
            jobs_csv.to_str().unwrap(),
        ],
    );
    assert!(output.status.success());
    let text = String::from_utf8_lossy(&output.stdout);
    for expected in [
        "poll (epoll): 3 connections",
        "Total jobs:               3",
        "Successful jobs:          3",
        "Data per job:             9.766 KiB",
        "Average socket creation:",
        "Average job setup:",
        "Average receive time:",
        "Average per-job speed:",
        "Run time:",
        "Aggregate throughput:",
        "CPU per GiB:",
        "Syscalls per MiB:",
        "Context switches:",
        "transfer",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in\n{text}");
    }
    assert!(!text.contains("Failed jobs"));
    assert_eq!(read_csv(&jobs_csv).len(), 3);
    assert!(!out.path().join("runs.csv").exists());
}

/// The poll variant opens every connection before its loop first waits, so a job's connect phase
/// starts no earlier than that wait: the opening of the other connections is their socket and
/// setup time, not this job's connect. Then for every job, connect + TTFB + transfer fit in the
/// run after all the opening: `run_ns` − Σ(socket + setup). Timed from `connect()` instead, the
/// first jobs' connect would take in opening all the others, and break this when the opening
/// takes longer than the run's tail after the first job (many connections, a tiny payload).
#[test]
fn poll_connect_starts_when_the_loop_first_waits() {
    const JOBS: u64 = 300;
    let root = support::TempDir::new("client-connect");
    support::write_payload(&root.path().join("tiny"), 128);
    let server = support::start_lighttpd(root.path());
    let out = support::TempDir::new("client-connect-out");
    let output = run(
        server.port,
        &[
            "--variant",
            "poll",
            "-c",
            &JOBS.to_string(),
            "--path",
            "/tiny",
            "--buffer-size",
            "64KiB",
            "--json",
            "--csv-dir",
            out.path().to_str().unwrap(),
        ],
    );
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let run_ns = json_lines(&output)[0]["run_ns"].as_u64().unwrap();
    let jobs = read_csv(&out.path().join("jobs.csv"));
    assert_eq!(jobs.len() as u64, JOBS);
    let ns = |job: &HashMap<String, String>, phase: &str| -> u64 {
        job[phase]
            .parse()
            .unwrap_or_else(|_| panic!("{phase} in {job:?}"))
    };
    let opening: u64 = jobs
        .iter()
        .map(|job| ns(job, "socket_ns") + ns(job, "setup_ns"))
        .sum();
    assert!(opening < run_ns, "opening {opening} ns, run {run_ns} ns");
    for job in &jobs {
        // The connect phase holds the time spent opening the others as its named part.
        let after_opening = ns(job, "connect_ns") - ns(job, "queued_ns")
            + ns(job, "ttfb_ns")
            + ns(job, "transfer_ns");
        assert!(
            after_opening <= run_ns - opening,
            "job {}: connect + ttfb + transfer {after_opening} ns > run {run_ns} ns − opening \
             {opening} ns",
            job["job"]
        );
    }
}

/// The poll model's low-water mark (`--low-water`, SO_RCVLOWAT): every backend sets it on each
/// download and says so, and each recv then moves at least a mark's worth of the body (but the
/// head's and the last one's), which a loop waking at any data does not; `--low-water 1` sets
/// nothing.
#[test]
fn the_low_water_mark_makes_each_recv_move_a_mark_of_body() {
    const BODY: u64 = 8 << 20;
    const CONNECTIONS: u64 = 4;
    let root = support::TempDir::new("low-water");
    support::write_payload(&root.path().join("big"), BODY as usize);
    let server = support::start_lighttpd(root.path());
    for backend in ["poll:epoll", "poll:poll", "poll:polling"] {
        let common = [
            "--path",
            "/big",
            "--connections",
            "4",
            "--json",
            "--variant",
            backend,
        ];
        let marked = run(
            server.port,
            &[&common[..], &["--low-water", "1MiB"]].concat(),
        );
        assert!(marked.status.success(), "{}", support::stderr(&marked));
        let run_record = &json_lines(&marked)[0];
        assert_eq!(run_record["jobs_ok"], CONNECTIONS, "{backend}");
        // A connection quiet for a sweep interval (500 ms here: a stall of a loaded machine) has
        // its mark released and says so; the recv bound holds for marked connections only.
        let features = run_record["backend_features"].as_str().unwrap();
        assert!(
            features.starts_with("SO_RCVLOWAT 1.000 MiB for bulk bodies"),
            "{backend}: {features}"
        );
        // Each connection: the first recv (the head, before the mark), at most 8 of at least
        // 1 MiB, the last below it, and one spare for a wakeup the OS gives early (an almost
        // closed window); the plain loop here makes dozens.
        let recvs = run_record["syscalls"]["recv"].as_u64().unwrap();
        if !features.contains("released") {
            assert!(
                recvs <= CONNECTIONS * 11,
                "{backend}: {recvs} recvs for 4 × 8 MiB"
            );
        }
        // Set once the head is in, lowered near the end (once more after an early wakeup), and
        // reset once where released.
        let sockopts = run_record["syscalls"]["sockopt"].as_u64().unwrap();
        assert!(
            (CONNECTIONS..=CONNECTIONS * 4).contains(&sockopts),
            "{backend}: {sockopts} marks set"
        );

        let plain = run(server.port, &[&common[..], &["--low-water", "1"]].concat());
        assert!(plain.status.success(), "{}", support::stderr(&plain));
        let run_record = &json_lines(&plain)[0];
        assert_eq!(run_record["bytes"], CONNECTIONS * BODY, "{backend}");
        assert_eq!(run_record["backend_features"], "", "{backend}");
        assert_eq!(run_record["syscalls"]["sockopt"], 0, "{backend}");
    }
    let refused = run(server.port, &["--low-water", "0"]);
    assert_eq!(
        refused.status.code(),
        Some(2),
        "{}",
        support::stderr(&refused)
    );
    assert!(support::stderr(&refused).contains("--low-water"));
}

/// A uring pool too small for the data that arrives (16 buffers of 4 KiB for 8 × 4 MiB) runs dry
/// many times; each receive it ended is armed again, every body arrives whole, and the record
/// says how often it happened.
#[test]
fn a_uring_pool_run_dry_rearms_its_receives_and_says_how_often() {
    const BODY: u64 = 4 << 20;
    let root = support::TempDir::new("uring-dry");
    support::write_payload(&root.path().join("big"), BODY as usize);
    let server = support::start_lighttpd(root.path());
    let output = run(
        server.port,
        &[
            "--path",
            "/big",
            "--connections",
            "8",
            "--buffer-size",
            "4KiB",
            "--json",
            "--variant",
            "uring",
        ],
    );
    assert!(output.status.success(), "{}", support::stderr(&output));
    let record = &json_lines(&output)[0];
    assert_eq!(record["jobs_ok"], 8);
    assert_eq!(record["recv_buffer_bytes"], 16 * 4096);
    let features = record["backend_features"].as_str().unwrap();
    let times: u64 = features
        .split(", pool ran dry ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no count of a pool run dry in {features:?}"));
    assert!(times > 1, "{features}");
}
