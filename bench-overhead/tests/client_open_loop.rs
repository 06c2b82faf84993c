//! The open loop (`--rate`) in every model over real loopback sockets against lighttpd, keep-alive
//! and churn: never more requests than the schedule allows, both latency histograms, the corrected latency never below
//! the uncorrected one; a server too slow for the rate named as the one that fell behind; bad
//! rates refused in one line before anything is contacted.

mod support;

use support::{histogram, json_lines, run_client, stderr};

const HELLO: &[u8] = b"Hello, world\n";

/// Checks one open-loop run's figures: `rate` per second for `seconds`, over `connections`.
fn check_open_loop(run: &serde_json::Value, rate: u64, seconds: u64, connections: u64) {
    let model = &run["variant"];
    assert_eq!(run["jobs_ok"], connections, "{model}: {run}");
    let requests = &run["requests"];
    assert_eq!(
        requests["target_rate"].as_f64(),
        Some(rate as f64),
        "{model}"
    );
    let counted = requests["requests"].as_u64().unwrap();
    let made = counted + requests["warmup_requests"].as_u64().unwrap();
    // Request j (over all connections) is due j/R after the start and none is sent at or after
    // the end: at most R × D requests, whatever the machine's speed.
    assert!(
        made > 0 && made <= rate * seconds,
        "{model}: {made} requests"
    );
    assert_eq!(run["bytes"].as_u64().unwrap(), made * HELLO.len() as u64);
    let corrected = histogram(&requests["latency_histogram"]);
    let uncorrected = histogram(&requests["uncorrected_latency_histogram"]);
    assert_eq!(corrected.len(), counted, "{model}");
    assert_eq!(uncorrected.len(), counted, "{model}");
    // Each request leaves at or after its intended time, so its latency from that time is at
    // least its latency from the send: every percentile too.
    let (c, u) = (&requests["latency_us"], &requests["uncorrected_latency_us"]);
    for name in ["p50", "p90", "p99", "p99_9", "max", "mean"] {
        let (c, u) = (c[name].as_f64().unwrap(), u[name].as_f64().unwrap());
        assert!(c >= u && u > 0.0, "{model}: {name} corrected {c} < {u}");
    }
    assert_eq!(corrected.max() as f64 / 1e3, c["max"].as_f64().unwrap());
}

#[test]
fn a_fixed_rate_never_sends_more_than_its_schedule_in_every_model() {
    let root = support::TempDir::new("open-loop-root");
    std::fs::write(root.path().join("hello"), HELLO).unwrap();
    let server = support::start_lighttpd(root.path());
    let args = ["--workload", "keepalive", "--rate", "2000", "--duration"];
    let runs = support::run_every_model(server.port, &[&args[..], &["2s", "-c", "10"]].concat());
    for run in &runs {
        check_open_loop(run, 2000, 2, 10);
    }
    // Churn keeps the same schedule over a new connection per request.
    let args = [
        "--workload",
        "churn",
        "--rate",
        "500",
        "--duration",
        "1s",
        "-c",
        "5",
    ];
    for run in &support::run_every_model(server.port, &args) {
        check_open_loop(run, 500, 1, 5);
        let requests = &run["requests"];
        assert_eq!(requests["connections_made"], requests["requests"], "{run}");
    }
    // Two event loops share one schedule, phases spread over all the run's connections.
    let mut args = vec!["--workload", "keepalive", "--rate", "1500", "--duration"];
    args.extend(["1s", "--warmup", "200ms", "-c", "5", "--threads", "2"]);
    args.extend(["--json", "--variant", "poll", "--variant", "uring"]);
    let output = run_client(server.port, &args);
    assert!(output.status.success(), "{}", stderr(&output));
    for run in &json_lines(&output) {
        check_open_loop(run, 1500, 1, 5);
        assert!(run["requests"]["warmup_requests"].as_u64().unwrap() > 0);
    }
    // The closed loop has no open-loop figures.
    let output = run_client(
        server.port,
        &["--workload", "keepalive", "--requests", "3", "-c", "2"],
    );
    assert!(output.status.success(), "{}", stderr(&output));
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(
        !text.contains("target") && !text.contains("Schedule:"),
        "{text}"
    );
}

#[test]
fn a_server_slower_than_the_schedule_is_named_as_falling_behind() {
    // One connection, one request every 10 ms asked; the server takes 50 ms a response, so at
    // most 20 a second can be made, on any machine.
    let port = support::keepalive_server(usize::MAX, false, std::time::Duration::from_millis(50));
    let mut args = vec!["--workload", "keepalive", "--rate", "100", "--duration"];
    args.extend(["1s", "-c", "1", "--variant", "poll:epoll"]);
    let output = run_client(port, &args);
    assert!(output.status.success(), "{}", stderr(&output));
    let text = String::from_utf8_lossy(&output.stdout);
    let schedule = text
        .lines()
        .find(|line| line.trim_start().starts_with("Schedule:"))
        .unwrap_or_else(|| panic!("no Schedule line: {text}"));
    assert!(
        schedule.contains("schedule missed") && schedule.contains("the server fell behind"),
        "{schedule}"
    );
    assert!(schedule.contains("use more --connections"), "{schedule}");
    // Said on stderr too, naming the model.
    assert!(
        stderr(&output).contains("bench-overhead: poll:epoll: schedule missed"),
        "{}",
        stderr(&output)
    );
    args.push("--json");
    let output = run_client(port, &args);
    let run = &json_lines(&output)[0];
    let missed = run["requests"]["schedule_missed"].as_str().unwrap();
    assert!(missed.contains("the server fell behind"), "{missed}");
}

#[test]
fn bad_rates_are_one_line_errors() {
    let keepalive = ["--workload", "keepalive", "-c", "4"];
    let cases: [(&[&str], &str); 7] = [
        (&["--rate", "0"], "--rate 0: give a rate above 0"),
        (&["--rate", "-5"], "--rate -5: give a rate above 0"),
        (&["--rate", "NaN"], "give a rate above 0"),
        (&["--rate", "1e12"], "--rate 1000000000000 is absurd"),
        (
            &["--rate", "100", "--requests", "5"],
            "--rate needs --duration",
        ),
        (
            &["--rate", "1", "--duration", "1s"],
            "fewer requests than the 4 connections",
        ),
        (&["--rate", "fast"], "give requests per second as a number"),
    ];
    for (args, expected) in cases {
        let mut all = keepalive.to_vec();
        all.extend(args);
        // Port 9 (discard): nothing must be contacted before the flags are refused.
        let output = run_client(9, &all);
        let text = stderr(&output);
        assert!(!output.status.success(), "{args:?}");
        assert!(text.contains(expected), "{args:?}: {text}");
        assert!(!text.contains("panicked"), "{args:?}: {text}");
        if !expected.starts_with("give requests per second") {
            // clap's own errors add a hint line; the schedule's checks are one line.
            assert_eq!(text.lines().count(), 1, "{args:?}: {text}");
        }
    }
    let output = run_client(9, &["--workload", "download", "--rate", "100"]);
    assert!(
        stderr(&output).contains("--rate applies to --workload keepalive or churn, not download")
    );
}
