//! The request-rate figures of a run (`run --workload keepalive`): how many requests were counted,
//! how fast, and their latency as a distribution.

use serde::{Deserialize, Serialize};

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
    /// job, one per counted request.
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
}
