//! The request-rate figures of a run (`run --workload keepalive`): how many requests were counted,
//! how fast, and their latency as a distribution.

use serde::{Deserialize, Serialize};

use crate::{RunRecord, RunRow};

/// Latency percentiles in microseconds, read from one histogram (a run's, merged over its
/// connections), never averaged from other percentiles.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LatencyPercentiles {
    pub p50: f64,
    pub p75: f64,
    pub p90: f64,
    pub p99: f64,
    pub p99_9: f64,
    pub p99_99: f64,
    pub max: f64,
    pub mean: f64,
}

/// What a request-rate run adds to its record.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RequestFigures {
    /// Requests answered and counted (after the warm-up).
    pub requests: u64,
    /// Requests answered during the warm-up: made, not counted.
    pub warmup_requests: u64,
    /// The counted window: warm-up end → last counted response.
    pub measured_ns: u64,
    /// `requests` / `measured_ns`.
    pub requests_per_s: f64,
    /// Per request: the request becomes due (connection up, or the previous response complete)
    /// → its response complete. Churn: its own connection up → its response complete (the
    /// connect before it is `connect_us`). Open loop (`target_rate`): from the request's intended
    /// send time instead. `None` when no request was counted.
    pub latency_us: Option<LatencyPercentiles>,
    /// The histogram `latency_us` was read from (nanoseconds, 1 µs to 1 h, 3 significant
    /// digits), in HdrHistogram's V2 serialisation format, base64: runs and hosts are pooled by
    /// merging these, not by averaging percentiles. `None` when no request was counted, and in
    /// records written before the field existed.
    #[serde(default)]
    pub latency_histogram: Option<String>,
    /// Open loop (`--rate`): the rate asked for, requests per second over all connections. With
    /// it, `latency_us` runs from each request's *intended* send time (coordinated omission
    /// corrected) and `uncorrected_latency_us` from when it was actually sent. `None` in a closed
    /// loop.
    #[serde(default)]
    pub target_rate: Option<f64>,
    /// Open loop: latency from the actual send, the figure a closed-loop tool would print.
    #[serde(default)]
    pub uncorrected_latency_us: Option<LatencyPercentiles>,
    #[serde(default)]
    pub uncorrected_latency_histogram: Option<String>,
    /// Open loop: why the schedule was not kept (the client or the server fell behind), `None`
    /// when it was, or in a closed loop.
    #[serde(default)]
    pub schedule_missed: Option<String>,
    /// Churn: connections that came up in the counted window (a connection is counted when its
    /// request is: it came up after the warm-up), and per second of `measured_ns`. With no failed
    /// job (and, with `--rate`, no warm-up), one per counted request.
    #[serde(default)]
    pub connections_made: Option<u64>,
    #[serde(default)]
    pub connections_per_s: Option<f64>,
    /// Churn: connect latency per connection counted in `connections_made`, from just before its
    /// `socket()` to the I/O model learning it is established, from its own histogram
    /// (`connect_histogram`, encoded as `latency_histogram` is).
    #[serde(default)]
    pub connect_us: Option<LatencyPercentiles>,
    #[serde(default)]
    pub connect_histogram: Option<String>,
    /// Keep-alive: connections the server ended (`Connection: close`, or a close between
    /// responses) that the client opened again to go on, as wrk does. Each one is a connect the
    /// request rate paid for; a server limit such as lighttpd's `server.max-keep-alive-requests`
    /// shows here. `None` for other workloads and in records written before the field.
    #[serde(default)]
    pub reopened_connections: Option<u64>,
}

/// The request-rate columns of `runs.csv`, after the cost columns: each empty for one-request
/// workloads (download, upload) and where the run did not give it, and missing from files written
/// before they existed (their runs read as download runs).
pub const REQUEST_COLUMNS: &[&str] = &[
    "workload",
    "requests",
    "warmup_requests",
    "measured_ns",
    "requests_per_s",
    "latency_p50_us",
    "latency_p75_us",
    "latency_p90_us",
    "latency_p99_us",
    "latency_p99_9_us",
    "latency_p99_99_us",
    "latency_max_us",
    "latency_mean_us",
    "latency_histogram",
    "cpu_us_per_request",
    "syscalls_per_request",
    "target_rate",
    "uncorrected_latency_p99_us",
    "schedule_missed",
    "connections_made",
    "connections_per_s",
    "connect_p99_us",
    "connect_histogram",
    "reopened_connections",
];

/// Whether a `runs.csv` column is one of [`REQUEST_COLUMNS`].
pub fn is_request_column(name: &str) -> bool {
    REQUEST_COLUMNS.contains(&name)
}

impl RunRecord {
    /// Requests made, warm-up included: CPU time and system calls are counted over the whole run,
    /// so the per-request costs divide by every request. `None` without request figures.
    fn requests_made(&self) -> Option<u64> {
        let r = self.requests.as_ref()?;
        Some(r.requests + r.warmup_requests).filter(|&n| n > 0)
    }

    /// Client CPU microseconds (user + system) per request made; `None` without requests.
    pub fn cpu_us_per_request(&self) -> Option<f64> {
        Some((self.cpu_user_s + self.cpu_sys_s) * 1e6 / self.requests_made()? as f64)
    }

    /// The client's system calls (every counted kind) per request made; `None` without requests.
    pub fn syscalls_per_request(&self) -> Option<f64> {
        Some(self.syscalls.total() as f64 / self.requests_made()? as f64)
    }
}

/// Writes the workload and request columns of a `runs.csv` row.
pub(crate) fn fill_row(row: &mut RunRow, r: &RunRecord) {
    row.workload = r.workload.clone();
    row.cpu_us_per_request = r.cpu_us_per_request();
    row.syscalls_per_request = r.syscalls_per_request();
    let Some(q) = &r.requests else { return };
    row.requests = Some(q.requests);
    row.warmup_requests = Some(q.warmup_requests);
    row.measured_ns = Some(q.measured_ns);
    row.requests_per_s = Some(q.requests_per_s);
    let l = q.latency_us.as_ref();
    row.latency_p50_us = l.map(|l| l.p50);
    row.latency_p75_us = l.map(|l| l.p75);
    row.latency_p90_us = l.map(|l| l.p90);
    row.latency_p99_us = l.map(|l| l.p99);
    row.latency_p99_9_us = l.map(|l| l.p99_9);
    row.latency_p99_99_us = l.map(|l| l.p99_99);
    row.latency_max_us = l.map(|l| l.max);
    row.latency_mean_us = l.map(|l| l.mean);
    row.latency_histogram = q.latency_histogram.clone();
    row.target_rate = q.target_rate;
    row.uncorrected_latency_p99_us = q.uncorrected_latency_us.as_ref().map(|l| l.p99);
    row.schedule_missed = q.schedule_missed.clone();
    row.connections_made = q.connections_made;
    row.connections_per_s = q.connections_per_s;
    row.connect_p99_us = q.connect_us.as_ref().map(|l| l.p99);
    row.connect_histogram = q.connect_histogram.clone();
    row.reopened_connections = q.reopened_connections;
}

/// The request figures of a `runs.csv` row: `None` for a one-request workload (no `requests`
/// cell). The row keeps the p99 of the uncorrected and connect latencies only; their other
/// percentiles are the histograms' to give.
pub(crate) fn from_row(row: &RunRow) -> Option<RequestFigures> {
    let latency = |p50, p75, p90, p99, p99_9, p99_99, max, mean| {
        Some(LatencyPercentiles {
            p50: p50?,
            p75: p75?,
            p90: p90?,
            p99: p99?,
            p99_9: p99_9?,
            p99_99: p99_99?,
            max: max?,
            mean: mean?,
        })
    };
    let p99_only = |p99: Option<f64>| {
        p99.map(|p99| LatencyPercentiles {
            p99,
            ..LatencyPercentiles::default()
        })
    };
    Some(RequestFigures {
        requests: row.requests?,
        warmup_requests: row.warmup_requests.unwrap_or(0),
        measured_ns: row.measured_ns.unwrap_or(0),
        requests_per_s: row.requests_per_s.unwrap_or(0.0),
        latency_us: latency(
            row.latency_p50_us,
            row.latency_p75_us,
            row.latency_p90_us,
            row.latency_p99_us,
            row.latency_p99_9_us,
            row.latency_p99_99_us,
            row.latency_max_us,
            row.latency_mean_us,
        ),
        latency_histogram: row.latency_histogram.clone(),
        target_rate: row.target_rate,
        uncorrected_latency_us: p99_only(row.uncorrected_latency_p99_us),
        uncorrected_latency_histogram: None,
        schedule_missed: row.schedule_missed.clone(),
        connections_made: row.connections_made,
        connections_per_s: row.connections_per_s,
        connect_us: p99_only(row.connect_p99_us),
        connect_histogram: row.connect_histogram.clone(),
        reopened_connections: row.reopened_connections,
    })
}
