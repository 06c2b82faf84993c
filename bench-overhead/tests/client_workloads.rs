//! The request-rate and upload workloads in every model over real loopback sockets: keep-alive
//! and churn requests against lighttpd (counts exact with `--requests`), churn against the
//! built-in server (its own count of connections and requests checked), uploads against the
//! built-in server (the server's byte count checked), refusals and bad flags.

mod serve_common;
mod support;

use support::{all_model_args, histogram, json_lines, run_client, stderr};

const HELLO: &[u8] = b"Hello, world\n";
const CONNECTIONS: u64 = 4;

fn root_with_hello() -> support::TempDir {
    let root = support::TempDir::new("workload-root");
    std::fs::write(root.path().join("hello"), HELLO).unwrap();
    root
}

#[test]
fn keepalive_makes_exactly_the_requests_asked_in_every_model() {
    let root = root_with_hello();
    let server = support::start_lighttpd(root.path());
    let args = ["--workload", "keepalive", "--requests", "50", "-c", "4"];
    let runs = support::run_every_model(server.port, &args);
    for run in &runs {
        let model = &run["variant"];
        assert_eq!(run["workload"], "keepalive", "{model}");
        assert_eq!(run["path"], "/hello", "{model}");
        assert_eq!(run["jobs_ok"], CONNECTIONS, "{model}");
        let requests = &run["requests"];
        assert_eq!(requests["requests"], CONNECTIONS * 50, "{model}");
        assert_eq!(requests["warmup_requests"], 0, "{model}");
        // Every response's body is counted, and nothing else.
        assert_eq!(
            run["bytes"],
            CONNECTIONS * 50 * HELLO.len() as u64,
            "{model}"
        );
        let latency = &requests["latency_us"];
        let p = |name: &str| latency[name].as_f64().unwrap();
        assert!(p("p50") > 0.0, "{model}: {latency}");
        assert!(
            p("p50") <= p("p90") && p("p90") <= p("p99") && p("p99") <= p("max"),
            "{model}: {latency}"
        );
        assert!(requests["requests_per_s"].as_f64().unwrap() > 0.0);
        // The record carries the histogram itself: every counted request, the same maximum.
        assert!(requests["latency_histogram"]
            .as_str()
            .unwrap()
            .starts_with("HISTEw"));
        let histogram = histogram(&requests["latency_histogram"]);
        assert_eq!(histogram.len(), CONNECTIONS * 50, "{model}");
        assert_eq!(histogram.max() as f64 / 1e3, p("max"), "{model}");
        // One send call per request at least where sends are system calls (uring submits them
        // in batches): a request was really made each time.
        if model != "uring" {
            assert!(
                run["syscalls"]["send"].as_u64().unwrap() >= CONNECTIONS * 50,
                "{model}"
            );
        }
    }
}

#[test]
fn keepalive_opens_a_new_connection_when_the_server_ends_one_in_every_model() {
    let root = root_with_hello();
    // lighttpd answers 10 requests per connection, the tenth with `Connection: close`.
    let server = support::start_lighttpd_with(root.path(), "server.max-keep-alive-requests = 10");
    let args = ["--workload", "keepalive", "--requests", "35", "-c", "4"];
    let runs = support::run_every_model(server.port, &args);
    for run in &runs {
        let model = &run["variant"];
        assert_eq!(run["jobs_ok"], CONNECTIONS, "{model}: {run}");
        let requests = &run["requests"];
        assert_eq!(requests["requests"], CONNECTIONS * 35, "{model}");
        // 35 requests at 10 per connection: three connections ended by the server, per job.
        assert_eq!(requests["reopened_connections"], CONNECTIONS * 3, "{model}");
        assert_eq!(run["syscalls"]["socket"], CONNECTIONS * 4, "{model}");
    }
}

#[test]
fn keepalive_for_a_duration_counts_after_the_warmup() {
    let root = root_with_hello();
    let server = support::start_lighttpd(root.path());
    let output = run_client(
        server.port,
        &[
            "--workload",
            "keepalive",
            "--duration",
            "600ms",
            "--warmup",
            "200ms",
            "-c",
            "2",
            "--variant",
            "poll",
            "--json",
        ],
    );
    assert!(output.status.success(), "{}", stderr(&output));
    let run = &json_lines(&output)[0];
    let requests = &run["requests"];
    let counted = requests["requests"].as_u64().unwrap();
    let warmup = requests["warmup_requests"].as_u64().unwrap();
    assert!(counted > 0 && warmup > 0, "{requests}");
    assert_eq!(
        run["bytes"].as_u64().unwrap(),
        (counted + warmup) * HELLO.len() as u64
    );
}

#[test]
fn uploads_are_counted_by_the_builtin_server_in_every_model() {
    let root = root_with_hello();
    let server = support::start_builtin(root.path(), None);
    let mut args = vec!["--workload", "upload", "--upload-size", "300KiB", "-c", "4"];
    args.push("--json");
    args.extend(all_model_args());
    let output = run_client(server.port, &args);
    assert!(output.status.success(), "{}", stderr(&output));
    for run in json_lines(&output) {
        let model = &run["variant"];
        assert_eq!(run["workload"], "upload", "{model}");
        assert_eq!(run["jobs_ok"], CONNECTIONS, "{model}");
        assert_eq!(run["bytes"], CONNECTIONS * 300 * 1024, "{model}");
        assert!(run.get("requests").is_none(), "{model}");
    }
}

#[test]
fn an_upload_the_server_refuses_fails_every_job_with_its_status() {
    let root = root_with_hello();
    // lighttpd has no upload handler here: it refuses the PUT.
    let lighttpd = support::start_lighttpd(root.path());
    let output = run_client(
        lighttpd.port,
        &[
            "--workload",
            "upload",
            "--upload-size",
            "1KiB",
            "-c",
            "3",
            "--json",
        ],
    );
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    for run in json_lines(&output) {
        assert_eq!(run["jobs_failed"], 3);
        let failures = run["failures"].as_object().unwrap();
        assert!(
            failures.keys().all(|k| k.starts_with("HTTP 4")),
            "{failures:?}"
        );
    }
    // The built-in server over its --max-upload: 413.
    let builtin = support::start_builtin(root.path(), None);
    let output = run_client(
        builtin.port,
        &[
            "--workload",
            "upload",
            "--upload-size",
            "2GiB",
            "-c",
            "2",
            "--variant",
            "poll",
            "--json",
        ],
    );
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let run = &json_lines(&output)[0];
    assert_eq!(run["failures"]["HTTP 413"], 2, "{run}");
}

#[test]
fn bad_request_rate_flags_are_one_line_errors() {
    let cases: [(&[&str], &str); 8] = [
        (&["--threads", "0"], "--threads"),
        (
            &[
                "--workload",
                "keepalive",
                "--duration",
                "1s",
                "--warmup",
                "2s",
            ],
            "not longer than --warmup",
        ),
        (
            &["--requests", "5"],
            "--requests applies to --workload keepalive or churn",
        ),
        (
            &["--workload", "churn", "--duration", "1s", "--warmup", "1s"],
            "not longer than --warmup",
        ),
        (&["--workload", "churn", "--requests", "0"], "--requests"),
        (
            &["--workload", "churn", "--duration", "20m"],
            "raise --run-timeout",
        ),
        (
            &["--workload", "keepalive", "--requests", "0"],
            "--requests",
        ),
        (&["--workload", "churny"], "unknown workload"),
    ];
    for (args, expected) in cases {
        // Port 9 (discard): nothing must be contacted before the flags are refused.
        let output = run_client(9, args);
        let text = stderr(&output);
        assert!(!output.status.success(), "{args:?}");
        assert!(text.contains(expected), "{args:?}: {text}");
        assert!(!text.contains("panicked"), "{args:?}: {text}");
    }
}

#[test]
fn a_server_that_stops_answering_mid_run_fails_the_connections_by_timeout() {
    let port = support::keepalive_server(3, false, std::time::Duration::ZERO);
    let mut args = vec!["--workload", "keepalive", "--requests", "100", "-c", "2"];
    args.extend(["--timeout", "300ms", "--json"]);
    args.extend(all_model_args());
    let output = run_client(port, &args);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let runs = json_lines(&output);
    assert_eq!(runs.len(), support::ALL_MODELS.len());
    for run in runs {
        let model = &run["variant"];
        assert_eq!(run["jobs_failed"], 2, "{model}: {run}");
        assert_eq!(
            run["failures"]["timed out after 300ms waiting for data"], 2,
            "{model}: {run}"
        );
        // The answered requests are kept: 3 per connection.
        assert_eq!(run["requests"]["requests"], 6, "{model}");
        assert_eq!(run["bytes"], 6 * 13, "{model}");
    }
}

#[test]
fn several_event_loops_share_the_connections() {
    let root = root_with_hello();
    let server = support::start_lighttpd(root.path());
    let out = support::TempDir::new("loops-out");
    let dir = out.path().to_str().unwrap();
    let mut args = vec!["--workload", "keepalive", "--requests", "10", "-c", "5"];
    args.extend(["--threads", "2", "--json", "--csv-dir", dir]);
    args.extend(all_model_args());
    let output = run_client(server.port, &args);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        stderr(&output)
            .contains("threaded model runs one thread per connection: --threads 2 is ignored"),
        "{}",
        stderr(&output)
    );
    for run in json_lines(&output) {
        let model = run["variant"].as_str().unwrap().to_string();
        assert_eq!(run["jobs_ok"], 5, "{model}");
        assert_eq!(run["requests"]["requests"], 50, "{model}");
        let spawns = run["syscalls"]["thread_spawns"].as_u64().unwrap();
        // Two loops for poll and uring; one thread per connection for threaded.
        assert_eq!(spawns, if model == "threaded" { 5 } else { 2 }, "{model}");
    }
    // One runs.csv row per model, naming its workload, with the record's request figures.
    let runs = json_lines(&output);
    let mut reader = csv::Reader::from_path(out.path().join("runs.csv")).unwrap();
    let rows: Vec<std::collections::HashMap<String, String>> =
        reader.deserialize().map(Result::unwrap).collect();
    assert_eq!(rows.len(), runs.len());
    for (row, run) in rows.iter().zip(&runs) {
        assert_eq!(row["workload"], "keepalive");
        assert_eq!(row["requests"], "50");
        assert_eq!(
            row["latency_histogram"],
            run["requests"]["latency_histogram"].as_str().unwrap()
        );
    }
    // Every run's jobs are numbered once each, 0 to 4, across its loops.
    let mut reader = csv::Reader::from_path(out.path().join("jobs.csv")).unwrap();
    let mut jobs: std::collections::BTreeMap<String, Vec<u32>> = Default::default();
    for row in reader.deserialize::<std::collections::HashMap<String, String>>() {
        let row = row.unwrap();
        jobs.entry(row["run_id"].clone())
            .or_default()
            .push(row["job"].parse().unwrap());
    }
    assert_eq!(jobs.len(), support::ALL_MODELS.len());
    for (run, mut numbers) in jobs {
        numbers.sort_unstable();
        assert_eq!(numbers, [0, 1, 2, 3, 4], "{run}");
    }
}

#[test]
fn churn_makes_a_connection_per_request_in_every_model() {
    let root = root_with_hello();
    let server = support::start_lighttpd(root.path());
    let mut args = vec!["--workload", "churn", "--requests", "20", "-c", "4"];
    // Two event loops for poll and uring: their connect histograms are merged too.
    args.extend(["--threads", "2", "--json"]);
    args.extend(all_model_args());
    let output = run_client(server.port, &args);
    assert!(output.status.success(), "{}", stderr(&output));
    let runs = json_lines(&output);
    assert_eq!(runs.len(), support::ALL_MODELS.len());
    let made = CONNECTIONS * 20;
    for run in &runs {
        let model = run["variant"].as_str().unwrap();
        assert_eq!(run["workload"], "churn", "{model}");
        assert_eq!(run["path"], "/hello", "{model}");
        // One job row per connection slot, each of its 20 connections in it.
        assert_eq!(run["jobs_ok"], CONNECTIONS, "{model}");
        assert_eq!(run["jobs_failed"], 0, "{model}");
        let requests = &run["requests"];
        assert_eq!(requests["requests"], made, "{model}");
        assert_eq!(requests["warmup_requests"], 0, "{model}");
        assert_eq!(requests["connections_made"], made, "{model}");
        assert!(requests["connections_per_s"].as_f64().unwrap() > 0.0);
        assert_eq!(run["bytes"], made * HELLO.len() as u64, "{model}");
        // A socket and a close for each connection, and a connect call where connects are
        // system calls (uring submits them).
        let calls = &run["syscalls"];
        assert_eq!(calls["socket"], made, "{model}: {calls}");
        assert!(calls["close"].as_u64().unwrap() >= made, "{model}: {calls}");
        if model != "uring" {
            assert_eq!(calls["connect"], made, "{model}: {calls}");
        }
        // TCP_INFO is read once per slot, at its end.
        assert_eq!(run["tcp"]["jobs"], CONNECTIONS, "{model}");
        let connect = &requests["connect_us"];
        let p = |name: &str| connect[name].as_f64().unwrap();
        assert!(p("p50") > 0.0, "{model}: {connect}");
        assert!(
            p("p50") <= p("p90") && p("p90") <= p("p99") && p("p99") <= p("max"),
            "{model}: {connect}"
        );
        let connects = histogram(&requests["connect_histogram"]);
        assert_eq!(connects.len(), made, "{model}");
        assert_eq!(connects.max() as f64 / 1e3, p("max"), "{model}");
        assert_eq!(histogram(&requests["latency_histogram"]).len(), made);
    }
}

/// The built-in server's own count, from the line it prints when SIGTERM stops it: `(connections,
/// requests)`.
fn served_counts(server: &mut serve_common::Served) -> (u64, u64) {
    let sent = std::process::Command::new("kill")
        .arg("-TERM")
        .arg(server.child.id().to_string())
        .status()
        .unwrap();
    assert!(sent.success(), "kill -TERM");
    let lines: Vec<String> =
        std::iter::from_fn(|| server.stderr.recv_timeout(serve_common::TIMEOUT).ok()).collect();
    let last = lines.last().expect("the server's last line");
    // "stopped on SIGTERM: N connections, M requests, …"
    let counts: Vec<u64> = last
        .split_once(": ")
        .map(|(_, rest)| rest)
        .unwrap_or_default()
        .split(", ")
        .take(2)
        .filter_map(|part| part.split(' ').next()?.parse().ok())
        .collect();
    assert_eq!(counts.len(), 2, "{last}");
    (counts[0], counts[1])
}

#[test]
fn churn_requests_are_what_the_builtin_server_served() {
    let root = root_with_hello();
    let mut server = serve_common::serve(root.path(), &[]);
    let mut args = vec!["--workload", "churn", "--duration", "500ms", "--warmup"];
    args.extend(["100ms", "-c", "3", "--json"]);
    args.extend(all_model_args());
    let output = run_client(server.port, &args);
    assert!(output.status.success(), "{}", stderr(&output));
    let mut made = 0;
    for run in json_lines(&output) {
        let model = &run["variant"];
        assert_eq!(run["jobs_failed"], 0, "{model}");
        let requests = &run["requests"];
        let counted = requests["requests"].as_u64().unwrap();
        let warmup = requests["warmup_requests"].as_u64().unwrap();
        assert!(counted > 0 && warmup > 0, "{model}: {requests}");
        // A connection is counted when its request is: one each.
        assert_eq!(requests["connections_made"], counted, "{model}");
        made += counted + warmup;
    }
    // Every connection the client made, warm-up included, made one request the server answered.
    assert_eq!(served_counts(&mut server), (made, made));
}

#[test]
fn a_server_that_stops_answering_fails_churn_by_timeout_in_every_model() {
    for model in support::ALL_MODELS {
        // Six answers in all, then silence: the two slots' next connections wait in vain.
        let port = support::keepalive_server(6, true, std::time::Duration::ZERO);
        let mut args = vec!["--workload", "churn", "--requests", "100", "-c", "2"];
        args.extend(["--timeout", "300ms", "--json", "--variant", model]);
        let output = run_client(port, &args);
        assert_eq!(
            output.status.code(),
            Some(1),
            "{model}: {}",
            stderr(&output)
        );
        let run = &json_lines(&output)[0];
        assert_eq!(run["jobs_failed"], 2, "{model}: {run}");
        assert_eq!(
            run["failures"]["timed out after 300ms waiting for data"], 2,
            "{model}: {run}"
        );
        let requests = &run["requests"];
        assert_eq!(requests["requests"], 6, "{model}");
        // The six answered connections and the two left waiting.
        assert_eq!(requests["connections_made"], 8, "{model}");
        assert_eq!(run["bytes"], 6 * 13, "{model}");
    }
}

/// Runs the built-in server and `run ARGS` against it inside a network namespace of their own
/// (`unshare -rn`) whose local port range is two ports, so connections beyond two find no free
/// port; `None` where this machine cannot make such a namespace.
fn run_with_two_local_ports(root: &std::path::Path, args: &[&str]) -> Option<std::process::Output> {
    const SCRIPT: &str = r#"
ip link set lo up || exit 97
echo "40000 40001" >/proc/sys/net/ipv4/ip_local_port_range || exit 97
"$BIN" serve --address 127.0.0.1 --port 8000 --root "$ROOT" 2>"$LOG" &
server=$!
i=0
until grep -q listening "$LOG" 2>/dev/null; do
    i=$((i + 1)); [ "$i" -gt 200 ] && exit 98; sleep 0.05
done
"$BIN" run --address 127.0.0.1 --port 8000 "$@"
status=$?
kill "$server"
exit "$status"
"#;
    let can = std::process::Command::new("unshare")
        .args(["-rn", "true"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !can {
        return None;
    }
    let log = support::TempDir::new("ports-log");
    let output = support::run_with_timeout(
        std::process::Command::new("unshare")
            .args(["-rn", "sh", "-c", SCRIPT, "sh"])
            .args(args)
            .env("BIN", support::bin())
            .env("ROOT", root)
            .env("LOG", log.path().join("serve.log")),
        std::time::Duration::from_secs(60),
    );
    (output.status.code() != Some(97)).then_some(output)
}

#[test]
fn exhausted_local_ports_are_said_as_such_in_every_model() {
    let root = root_with_hello();
    for model in support::ALL_MODELS {
        let args = ["--workload", "churn", "--requests", "5", "-c", "4"];
        let Some(output) = run_with_two_local_ports(
            root.path(),
            &[&args[..], &["--json", "--variant", model]].concat(),
        ) else {
            support::skip("cannot make a network namespace here (unshare -rn, ip)");
            return;
        };
        let text = stderr(&output);
        assert_eq!(output.status.code(), Some(1), "{model}: {text}");
        let run = &json_lines(&output)[0];
        // Two local ports for four slots: at least two slots find none, and that is what they say.
        let failures = run["failures"].as_object().unwrap();
        let exhausted = failures["local ports exhausted (TIME_WAIT)"]
            .as_u64()
            .unwrap();
        assert!(
            exhausted >= 2 && failures.len() == 1,
            "{model}: {failures:?}"
        );
        assert_eq!(run["jobs_failed"], exhausted, "{model}");
        assert!(
            text.contains("local ports exhausted (TIME_WAIT): widen net.ipv4.ip_local_port_range, set net.ipv4.tcp_tw_reuse=1, or lower the rate/connections"),
            "{model}: {text}"
        );
        assert!(!text.contains("panicked"), "{model}: {text}");
        // A slot that found no port made no connection: every one made had its request answered.
        let requests = &run["requests"];
        assert_eq!(
            requests["connections_made"], requests["requests"],
            "{model}"
        );
    }
}
