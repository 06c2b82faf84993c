//! What a `run` is asked to do, as the command line (`cli.rs`) hands it over: every value already
//! parsed and checked. The defaults live here, with the engine they belong to; `suite begin`
//! records them in meta.json.

use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use bench_records::units::parse_duration;

use super::job::MIN_WAIT;
use super::model::ModelSpec;
use super::workload::Workload;

/// The connection count baked in at build time (`make NO_CONNECTIONS=n`), as the old suite did.
pub const DEFAULT_CONNECTIONS: &str = match option_env!("NO_CONNECTIONS") {
    Some(n) => n,
    None => "100",
};

/// Whether NO_CONNECTIONS chose [`DEFAULT_CONNECTIONS`] (the suite's plan says where it came from).
pub const DEFAULT_CONNECTIONS_FROM_BUILD: bool = option_env!("NO_CONNECTIONS").is_some();

/// Where the built-in connection count came from, in the words a run prints at its start.
pub fn default_connections_origin() -> &'static str {
    if DEFAULT_CONNECTIONS_FROM_BUILD {
        "the built-in default, from `make NO_CONNECTIONS=…`"
    } else {
        "the built-in default"
    }
}

// A NO_CONNECTIONS that is not a count would be compiled into `--help` as `[default: abc]` and fail
// every run: refused at build time (`make` says so in one line before it builds).
const _: () = assert!(
    is_count(DEFAULT_CONNECTIONS),
    "NO_CONNECTIONS must be a whole number ≥ 1 of at most 4294967295, e.g. NO_CONNECTIONS=100"
);

/// Whether `text` is a whole number from 1 to u32::MAX (a `const fn`, for the check above).
const fn is_count(text: &str) -> bool {
    let bytes = text.as_bytes();
    if bytes.is_empty() {
        return false;
    }
    let mut value: u64 = 0;
    let mut at = 0;
    while at < bytes.len() {
        if !bytes[at].is_ascii_digit() {
            return false;
        }
        value = value * 10 + (bytes[at] - b'0') as u64;
        if value > u32::MAX as u64 {
            return false;
        }
        at += 1;
    }
    value >= 1
}

/// `run --timeout`'s default; `suite begin` records it in meta.json when `TIMEOUT` is unset.
pub const DEFAULT_TIMEOUT: &str = "30s";

/// `run --run-timeout`'s default; `suite begin` records it in meta.json when `RUN_TIMEOUT` is unset.
pub const DEFAULT_RUN_TIMEOUT: &str = "10m";

/// One `run`: which variants, against what, with which limits, and where the records go.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// The models to run, one after the other, each in its own process when there are several.
    pub models: Vec<ModelSpec>,
    pub connections: u32,
    /// Whether `connections` was given on the command line or is the built-in default.
    pub connections_given: bool,
    /// Event loops of the poll and uring models, each with its share of the connections.
    pub threads: u32,
    pub address: IpAddr,
    pub port: u16,
    /// Path requested from the server (the command line fills in the workload's default).
    pub path: String,
    /// What each connection does.
    pub workload: Workload,
    /// keepalive: counted requests per connection, how long to ask (warm-up included), the
    /// warm-up; checked against the workload by `workload::Schedule::check` before a run.
    pub requests: Option<u64>,
    pub duration: Option<Duration>,
    pub warmup: Option<Duration>,
    /// keepalive and churn, open loop: requests per second over all connections.
    pub rate: Option<f64>,
    /// upload: body bytes per connection.
    pub upload_size: u64,
    /// Bytes per recv() call.
    pub buffer_size: u64,
    /// The poll model's low-water mark for download bodies (`SO_RCVLOWAT`); 1: none.
    pub low_water: u32,
    /// Limit for connecting and for each wait for data.
    pub timeout: Duration,
    /// Limit for a whole run of one variant.
    pub run_timeout: Duration,
    /// Speed floor: bytes per second a job must move over each `timeout` window; 0 for none.
    pub speed_limit: u64,
    /// One JSON object per variant run on stdout instead of text.
    pub json: bool,
    /// Append DIR/jobs.csv and DIR/runs.csv.
    pub csv_dir: Option<PathBuf>,
    /// Append job rows to this file only.
    pub jobs_csv: Option<PathBuf>,
    pub run_id: Option<String>,
    /// Network path label; derived from the address when `None`.
    pub network: Option<String>,
}

/// A client timeout: a duration of at least [`MIN_WAIT`] (1 ms), the shortest wait the client can
/// keep on every OS. `run --timeout`/`--run-timeout` and `suite begin`'s `TIMEOUT`/`RUN_TIMEOUT`
/// are checked with it.
pub fn parse_timeout(text: &str) -> Result<Duration, String> {
    let duration = parse_duration(text)?;
    if duration < MIN_WAIT {
        return Err(format!(
            "`{text}` is too short: at least 1ms (socket and poll timeouts cannot keep less)"
        ));
    }
    Ok(duration)
}
