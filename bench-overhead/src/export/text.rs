//! The human summary of a run: the old suite's figures first, in its words and order, so a reader
//! can put them next to its published table, then what the old suite could not show.

use std::fmt::Write;

use crate::units::{format_bytes, format_nanos, GIB};
use bench_records::{LatencyPercentiles, PhaseStats, RequestFigures, RunRecord};

/// A request-rate run's figures: requests, req/s, the latency distribution and the cost per
/// request. Costs are over every request made, warm-up included, as CPU time and system calls
/// are counted over the whole run.
fn write_requests(
    out: &mut String,
    run: &RunRecord,
    requests: &RequestFigures,
    counted: &[String],
) -> std::fmt::Result {
    let line = |out: &mut String, label: &str, value: String| writeln!(out, "  {label:<26}{value}");
    line(out, "Workload:", run.workload.clone())?;
    line(
        out,
        "Requests:",
        format!(
            "{} counted over {} (+{} in the warm-up)",
            requests.requests,
            format_nanos(requests.measured_ns as f64),
            requests.warmup_requests
        ),
    )?;
    let achieved = format!("{:.0}", requests.requests_per_s);
    line(
        out,
        "Requests per second:",
        match requests.target_rate {
            Some(target) => format!("{achieved} (target {target:.0}: open loop, --rate)"),
            None => achieved,
        },
    )?;
    let percentiles = |latency: &Option<LatencyPercentiles>, none: &str| {
        match latency {
        Some(p) => format!(
            "p50 {:.1} µs, p75 {:.1}, p90 {:.1}, p99 {:.1}, p99.9 {:.1}, p99.99 {:.1}, max {:.1}, mean {:.1}",
            p.p50, p.p75, p.p90, p.p99, p.p99_9, p.p99_99, p.max, p.mean
        ),
        None => format!("— ({none})"),
    }
    };
    if requests.target_rate.is_some() {
        // The open loop's two latencies: from the intended send time, and from the actual send.
        line(
            out,
            "Latency (corrected):",
            percentiles(&requests.latency_us, "no request counted"),
        )?;
        line(
            out,
            "Latency (from send):",
            percentiles(&requests.uncorrected_latency_us, "no request counted"),
        )?;
        let kept = requests
            .schedule_missed
            .clone()
            .unwrap_or_else(|| "kept".to_string());
        line(out, "Schedule:", kept)?;
    } else {
        line(
            out,
            "Latency:",
            percentiles(&requests.latency_us, "no request counted"),
        )?;
    }
    if let (Some(made), Some(per_s)) = (requests.connections_made, requests.connections_per_s) {
        line(
            out,
            "Connections:",
            format!("{made} counted, {per_s:.0} per second"),
        )?;
        line(
            out,
            "Connect latency:",
            percentiles(&requests.connect_us, "no connection counted"),
        )?;
    }
    if let Some(reopened) = requests.reopened_connections.filter(|&n| n > 0) {
        line(
            out,
            "Reopened connections:",
            format!("{reopened} (the server ended kept-alive connections; each new one is a connect the rate paid for)"),
        )?;
    }
    let made = requests.requests + requests.warmup_requests;
    let per = |value: f64| {
        if made == 0 {
            "—".to_string()
        } else {
            format!("{:.2}", value / made as f64)
        }
    };
    line(
        out,
        "CPU per request:",
        format!("{} µs", per((run.cpu_user_s + run.cpu_sys_s) * 1e6)),
    )?;
    line(
        out,
        "Syscalls per request:",
        format!(
            "{} ({} over {made} requests)",
            per(run.syscalls.total() as f64),
            counted.join(", ")
        ),
    )?;
    let switches = run
        .ctx_voluntary
        .zip(run.ctx_involuntary)
        .map_or_else(|| "—".to_string(), |(v, i)| per((v + i) as f64));
    line(out, "Context switches/request:", switches)
}

/// The summary of one variant run, several lines, ending with a newline.
pub fn summary(run: &RunRecord) -> String {
    let mut out = String::new();
    // Writing into a String cannot fail.
    let _ = write_summary(&mut out, run);
    out
}

fn write_summary(out: &mut String, run: &RunRecord) -> std::fmt::Result {
    let total = run.jobs_ok + run.jobs_failed;
    let server = if run.setup.server.is_empty() {
        "no server answered"
    } else {
        run.setup.server.as_str()
    };
    writeln!(
        out,
        "{} ({}): {} connections to {}:{}{} [{}, {}, {} {} {}, {} recv buffer] run {}",
        run.variant,
        run.backend,
        run.connections,
        host(&run.address),
        run.port,
        run.path,
        server,
        run.setup.network,
        run.setup.os,
        run.setup.kernel,
        run.setup.arch,
        format_bytes(run.buffer_size),
        run.run_id,
    )?;
    let line = |out: &mut String, label: &str, value: String| writeln!(out, "  {label:<26}{value}");
    let per_job = if total == 0 {
        0
    } else {
        run.bytes / u64::from(total)
    };
    line(out, "Total jobs:", total.to_string())?;
    line(out, "Successful jobs:", run.jobs_ok.to_string())?;
    line(out, "Data fetched:", format_bytes(run.bytes))?;
    line(out, "Data per job:", format_bytes(per_job))?;
    // Phase averages cover successful jobs only: with none, there is no figure, and 0 would lie.
    let no_job = "— (no successful job)".to_string();
    let mean = |stats: &PhaseStats| {
        if run.jobs_ok == 0 {
            no_job.clone()
        } else {
            format_nanos(stats.mean_ns)
        }
    };
    line(out, "Average socket creation:", mean(&run.phases.socket))?;
    line(out, "Average job setup:", mean(&run.phases.setup))?;
    line(out, "Average receive time:", mean(&run.phases.receive))?;
    // A request-rate run's figures are per request (below): per-job speed, GiB/s and costs per GiB
    // or MiB of small bodies would mislead.
    let download = run.requests.is_none();
    if download {
        let speed = if run.jobs_ok == 0 {
            no_job.clone()
        } else {
            format!("{:.3} MiB/s", run.job_mib_s)
        };
        line(out, "Average per-job speed:", speed)?;
    }
    line(out, "Run time:", format_nanos(run.run_ns as f64))?;
    if download {
        line(
            out,
            "Aggregate throughput:",
            format!("{:.3} GiB/s", run.aggregate_mib_s / 1024.0),
        )?;
        let gib = run.bytes as f64 / GIB as f64;
        let per_gib = |seconds: f64| if gib > 0.0 { seconds / gib } else { 0.0 };
        line(
            out,
            "CPU per GiB:",
            format!(
                "{:.3} s (user {:.3} s + system {:.3} s)",
                run.cpu_s_per_gib(),
                per_gib(run.cpu_user_s),
                per_gib(run.cpu_sys_s)
            ),
        )?;
    }
    let s = &run.syscalls;
    let kinds = [
        ("socket", Some(s.socket)),
        ("fcntl", s.fcntl),
        ("sockopt", s.sockopt),
        ("connect", Some(s.connect)),
        ("send", Some(s.send)),
        ("recv", Some(s.recv)),
        ("wait", Some(s.wait)),
        ("ctl", s.ctl),
        ("submit", s.submit),
        ("close", s.close),
        ("connect_wait", Some(s.connect_wait)),
    ];
    let counted: Vec<String> = kinds
        .iter()
        .filter_map(|(name, count)| count.filter(|c| *c > 0).map(|c| format!("{name} {c}")))
        .collect();
    if download {
        line(
            out,
            "Syscalls per MiB:",
            format!("{:.2} ({})", run.syscalls_per_mib(), counted.join(", ")),
        )?;
    }
    if let Some(requests) = &run.requests {
        write_requests(out, run, requests, &counted)?;
    }
    if let Some(spawns) = s.thread_spawns.filter(|n| *n > 0) {
        line(out, "Threads spawned:", spawns.to_string())?;
    }
    let buffers = run
        .recv_buffer_bytes
        .map_or_else(|| "—".to_string(), format_bytes);
    line(
        out,
        "Receive buffers:",
        format!("{buffers} allocated by the model"),
    )?;
    if !run.backend_features.is_empty() {
        line(out, "Backend uses:", run.backend_features.clone())?;
    }
    if run.interrupted {
        line(
            out,
            "Interrupted:",
            "yes: unfinished jobs failed as interrupted".to_string(),
        )?;
    }
    line(
        out,
        "Context switches:",
        match (run.ctx_voluntary, run.ctx_involuntary) {
            (Some(voluntary), Some(involuntary)) => {
                format!("{voluntary} voluntary, {involuntary} involuntary")
            }
            _ => "— (not counted by this OS)".to_string(),
        },
    )?;
    if run.jobs_ok > 0 {
        writeln!(
            out,
            "  {:<10}{:>12}{:>12}{:>12}{:>12}{:>12}{:>12}",
            "phase", "mean", "p50", "p90", "p99", "p99.9", "max"
        )?;
        let phases = &run.phases;
        for (name, stats) in [
            ("socket", &phases.socket),
            ("setup", &phases.setup),
            ("connect", &phases.connect),
            ("ttfb", &phases.ttfb),
            ("transfer", &phases.transfer),
            ("receive", &phases.receive),
        ] {
            phase_row(out, name, stats)?;
        }
    }
    if !run.failures.is_empty() {
        writeln!(out, "  Failed jobs by reason:")?;
        let mut failures: Vec<_> = run.failures.iter().collect();
        failures.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        for (reason, count) in failures {
            writeln!(out, "    {count:>8}  {reason}")?;
        }
    }
    Ok(())
}

fn phase_row(out: &mut String, name: &str, stats: &PhaseStats) -> std::fmt::Result {
    let t = |nanos: u64| format_nanos(nanos as f64);
    writeln!(
        out,
        "  {name:<10}{:>12}{:>12}{:>12}{:>12}{:>12}{:>12}",
        format_nanos(stats.mean_ns),
        t(stats.p50_ns),
        t(stats.p90_ns),
        t(stats.p99_ns),
        t(stats.p999_ns),
        t(stats.max_ns)
    )
}

/// IPv6 addresses in brackets, so the port reads unambiguously.
fn host(address: &str) -> String {
    if address.contains(':') {
        format!("[{address}]")
    } else {
        address.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[test]
    fn no_successful_job_prints_no_averages() {
        let run = RunRecord {
            jobs_failed: 3,
            ..RunRecord::default()
        };
        let text = summary(&run);
        assert!(
            text.contains("Average socket creation:  — (no successful job)"),
            "{text}"
        );
        assert!(
            text.contains("Average per-job speed:    — (no successful job)"),
            "{text}"
        );
        assert!(!text.contains("Average job setup:        0"), "{text}");
    }

    #[test]
    fn shows_the_old_figures_and_failures() {
        let run = RunRecord {
            variant: "poll".into(),
            backend: "epoll".into(),
            connections: 2,
            address: "::1".into(),
            port: 8000,
            path: "/testpayload".into(),
            jobs_ok: 1,
            jobs_failed: 1,
            failures: BTreeMap::from([("HTTP 404".to_string(), 1)]),
            bytes: 2 * GIB,
            run_ns: 2_000_000_000,
            aggregate_mib_s: 1024.0,
            cpu_sys_s: 1.0,
            ..RunRecord::default()
        };
        let text = summary(&run);
        for expected in [
            "[::1]:8000/testpayload",
            "Total jobs:               2",
            "Successful jobs:          1",
            "Data fetched:             2.000 GiB",
            "Data per job:             1.000 GiB",
            "Aggregate throughput:     1.000 GiB/s",
            "CPU per GiB:              0.500 s (user 0.000 s + system 0.500 s)",
            "Failed jobs by reason:",
            "       1  HTTP 404",
        ] {
            assert!(text.contains(expected), "missing {expected:?} in\n{text}");
        }
    }
}
