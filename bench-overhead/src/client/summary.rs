//! Turns a model's [`Outcome`] into the [`RunRecord`] every exporter consumes, and says what to do
//! when every job failed for the same reason.

use std::collections::BTreeMap;
use std::net::IpAddr;

use crate::client::job::{self, Outcome, Target};
use crate::client::measure;
use crate::client::pace;
use crate::client::{ClientConfig, Workload};
use crate::host::Host;
use crate::units;
use bench_records::{FailureKind, RequestFigures, RunRecord, Setup};
use bench_sys::rusage::Usage;

/// The network label when `--network` is not given.
pub fn default_network(address: IpAddr) -> &'static str {
    if address.is_loopback() {
        "loopback"
    } else {
        "network"
    }
}

/// Everything about a run that does not come from its jobs.
pub struct RunContext<'a> {
    pub args: &'a ClientConfig,
    pub host: &'a Host,
    pub network: &'a str,
    pub started_unix_s: u64,
}

pub fn run_record(
    context: &RunContext,
    target: &Target,
    outcome: &Outcome,
    usage: &Usage,
) -> RunRecord {
    let ok_jobs = || outcome.jobs.iter().filter(|job| job.ok());
    let jobs_ok = ok_jobs().count() as u32;
    let mut failures = BTreeMap::new();
    for failure in outcome.jobs.iter().filter_map(|job| job.error.as_ref()) {
        *failures.entry(failure.category().to_string()).or_insert(0) += 1;
    }
    let bytes = outcome.jobs.iter().map(|job| job.bytes).sum();
    let job_mib_s = if jobs_ok == 0 {
        0.0
    } else {
        ok_jobs()
            .map(|job| units::mib_per_s(job.bytes, job.receive_ns().unwrap_or(0)))
            .sum::<f64>()
            / f64::from(jobs_ok)
    };
    let args = context.args;
    RunRecord {
        run_id: target.run_id.to_string(),
        started_unix_s: context.started_unix_s,
        variant: target.variant.to_string(),
        backend: target.backend.to_string(),
        connections: args.connections,
        buffer_size: args.buffer_size,
        payload_bytes: outcome.payload_bytes,
        address: args.address.to_string(),
        port: args.port,
        path: args.path.clone(),
        setup: Setup {
            os: context.host.os.clone(),
            os_version: context.host.os_version.clone(),
            arch: context.host.arch.clone(),
            kernel: context.host.kernel.clone(),
            network: context.network.to_string(),
            server: outcome.server.clone(),
        },
        jobs_ok,
        jobs_failed: outcome.jobs.len() as u32 - jobs_ok,
        failures,
        bytes,
        run_ns: outcome.run_ns,
        aggregate_mib_s: units::mib_per_s(bytes, outcome.run_ns),
        job_mib_s,
        cpu_user_s: usage.user_s,
        cpu_sys_s: usage.sys_s,
        ctx_voluntary: usage.voluntary,
        ctx_involuntary: usage.involuntary,
        syscalls: outcome.counters.into(),
        phases: measure::phases(&outcome.jobs),
        memory: None,
        recv_buffer_bytes: Some(outcome.recv_buffer_bytes),
        backend_features: outcome.features.clone(),
        interrupted: outcome.interrupted,
        workload: target.workload.to_string(),
        requests: request_figures(outcome, args),
        event_loops: (&*target.variant != "threaded").then_some(args.threads),
        server: None,
        sockets: None,
        tcp: bench_records::TcpFigures::from_jobs(&outcome.jobs),
    }
}

/// Requests, req/s and latency percentiles of a request-rate run, from the jobs' merged
/// histograms; the counted window is the run without its warm-up. Churn adds its connections:
/// those that came up in the counted window (each one's connect latency recorded), per second of
/// it, and their connect percentiles. An open loop adds its target, the latency from the actual
/// sends, and whether the schedule was kept.
fn request_figures(outcome: &Outcome, args: &ClientConfig) -> Option<RequestFigures> {
    let latency = outcome.latency.as_ref()?;
    let requests = latency.count();
    let warmup = args.warmup.unwrap_or_default();
    let warmup_ns = u64::try_from(warmup.as_nanos()).unwrap_or(u64::MAX);
    let measured_ns = outcome.run_ns.saturating_sub(warmup_ns);
    let per_s = |count: u64| {
        if measured_ns == 0 {
            0.0
        } else {
            count as f64 / (measured_ns as f64 / 1e9)
        }
    };
    let connects = outcome.connects.as_ref();
    let requests_per_s = per_s(requests);
    let latency_us = latency.percentiles();
    let uncorrected_latency_us = latency.uncorrected_percentiles();
    let schedule_missed = args.rate.and_then(|target_rate| {
        let means = latency_us.as_ref().zip(uncorrected_latency_us.as_ref());
        pace::missed(&pace::Kept {
            target_rate,
            achieved_rate: requests_per_s,
            connections: args.connections,
            corrected_mean_us: means.map_or(0.0, |(c, _)| c.mean),
            uncorrected_mean_us: means.map_or(0.0, |(_, u)| u.mean),
        })
    });
    Some(RequestFigures {
        requests,
        warmup_requests: latency.warmup,
        measured_ns,
        requests_per_s,
        latency_us,
        latency_histogram: latency.encoded(),
        target_rate: args.rate,
        uncorrected_latency_us,
        uncorrected_latency_histogram: latency.uncorrected_encoded(),
        schedule_missed,
        connections_made: connects.map(|c| c.count()),
        connections_per_s: connects.map(|c| per_s(c.count())),
        connect_us: connects.and_then(|c| c.percentiles()),
        connect_histogram: connects.and_then(|c| c.encoded()),
        reopened_connections: (args.workload == Workload::KeepAlive).then_some(latency.reopened),
    })
}

/// One line saying what to do when every job of every run failed for the same reason, or when any
/// job found the local ports exhausted; `None` when any job succeeded or the reasons differ.
pub fn advice(records: &[RunRecord], first_error: &str, args: &ClientConfig) -> Option<String> {
    // Exhausted local ports are said whenever a job met them: the run goes on with fewer
    // connections, and its rate is then the machine's port range, not the server's.
    let exhausted = FailureKind::PortsExhausted.label();
    if records.iter().any(|r| r.failures.contains_key(&exhausted)) {
        return Some(format!("{exhausted}: {}", job::PORTS_EXHAUSTED_ADVICE));
    }
    if records.is_empty() || records.iter().any(|r| r.jobs_ok > 0) {
        return None;
    }
    let mut categories = records.iter().flat_map(|r| r.failures.keys());
    let first = categories.next()?;
    if categories.any(|c| c != first) {
        return None;
    }
    let server = match args.address {
        IpAddr::V4(v4) => format!("{v4}:{}", args.port),
        IpAddr::V6(v6) => format!("[{v6}]:{}", args.port),
    };
    let path = &args.path;
    Some(match FailureKind::from_label(first) {
        FailureKind::ConnectionRefused => format!(
            "no server at {server} (connection refused): start one with `make serve` or `make setup-lighttpd lighttpd-start`"
        ),
        FailureKind::Http(404) => format!(
            "{server} has no {path} (HTTP 404): create it with make payload (served from payloads/), or pass --path"
        ),
        FailureKind::ThreadSpawn => format!(
            "every thread spawn failed ({first_error}): use fewer --connections or raise the thread limit (ulimit -u)"
        ),
        FailureKind::RunTimeout => format!(
            "every job was cut short by the run timeout ({}) against {server}: check the server, or raise --run-timeout",
            job::human(args.run_timeout)
        ),
        kind if kind.is_timeout() => format!(
            "every job {first_error} from {server}: check the server, or raise --timeout"
        ),
        _ => format!("every job failed against {server}: {first_error}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_is_labelled() {
        assert_eq!(default_network("127.0.0.2".parse().unwrap()), "loopback");
        assert_eq!(default_network("::1".parse().unwrap()), "loopback");
        assert_eq!(default_network("10.0.2.2".parse().unwrap()), "network");
    }
}
