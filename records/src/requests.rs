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
    /// → its response complete.
    /// `None` when no request was counted.
    pub latency_us: Option<LatencyPercentiles>,
    /// The histogram `latency_us` was read from (nanoseconds, 1 µs to 1 h, 3 significant
    /// digits), in HdrHistogram's V2 serialisation format, base64: runs and hosts are pooled by
    /// merging these, not by averaging percentiles. `None` when no request was counted, and in
    /// records written before the field existed.
    #[serde(default)]
    pub latency_histogram: Option<String>,
}
