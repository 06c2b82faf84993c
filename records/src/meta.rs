//! `meta.json`: what a results folder measured, on what, and whether it is complete.
//!
//! [`Meta`] is the file as the suite writes it; [`MetaFields`] is what the reports accept, every
//! field optional, because a meta.json is hand-edited, copied between machines, or written for a
//! publication (`results/reference`, with keys of its own). Both are one format: a written
//! [`Meta`] reads back as [`MetaFields`] (tested below).

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::variant::Variant;

/// `complete`: every iteration ran (some may have failed: see `failed_iterations`).
/// `partial`: interrupted, or still running.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MetaStatus {
    Complete,
    Partial,
}

impl MetaStatus {
    pub const ALL: [MetaStatus; 2] = [MetaStatus::Complete, MetaStatus::Partial];

    pub fn name(self) -> &'static str {
        match self {
            MetaStatus::Complete => "complete",
            MetaStatus::Partial => "partial",
        }
    }
}

impl FromStr for MetaStatus {
    type Err = String;

    fn from_str(text: &str) -> Result<MetaStatus, String> {
        MetaStatus::ALL
            .into_iter()
            .find(|s| s.name() == text)
            .ok_or_else(|| format!("status is `{text}`, expected `complete` or `partial`"))
    }
}

impl fmt::Display for MetaStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An iteration that did not yield a clean run: no record at all, or failed jobs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FailedIteration {
    pub run_id: String,
    /// Whether its row is in runs.csv (the client wrote a record despite the failure).
    pub recorded: bool,
    pub reason: String,
    /// The iteration's workload when it is not `download` (its run id then names it too, and
    /// the download summary does not count it); absent for download and in older folders.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workload: Option<String>,
}

impl FailedIteration {
    /// The variant the iteration ran. The suite names each run after its model token with `:`
    /// made `-` (`poll-epoll-3`), a workload other than download after it (`poll-keepalive-3`),
    /// with the connection count in a sweep (`poll-epoll-100c-3`) (results/README.md); an
    /// iteration that left no record has nothing else to say it. Model names hold no `-`, so the
    /// first part of the id that is one names it; the last part is the iteration.
    pub fn variant(&self) -> Option<Variant> {
        let (name, iteration) = self.run_id.rsplit_once('-')?;
        iteration.parse::<u32>().ok()?;
        name.split('-').find_map(|part| part.parse().ok())
    }
}

/// What became of one step of a suite (a connection count × a variant; a sweep has several).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StepResult {
    /// At least one run of the step had every job succeed.
    Measured,
    /// Every run of the step failed (or left no record): `reason` is the first run's.
    Failed,
    /// Not run: the machine cannot hold it (`reason` names the limit).
    Skipped,
}

/// One entry of meta.json's `steps`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepOutcome {
    pub connections: u32,
    pub variant: String,
    pub outcome: StepResult,
    pub reason: Option<String>,
    /// The step's runs (run ids), in order; none for a skipped step.
    #[serde(default)]
    pub run_ids: Vec<String>,
    /// The step's workload when it is not `download`; absent for download and in older folders.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workload: Option<String>,
}

/// The whole of `meta.json` as the suite writes it. Field names are a data contract documented in
/// `results/README.md`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Meta {
    pub status: MetaStatus,
    pub suite_version: String,
    pub command_line: String,
    pub started_utc: String,
    /// The same instant in milliseconds since the Unix epoch, for the progress line's elapsed time
    /// and estimate; absent in folders written before it was kept.
    #[serde(default)]
    pub started_unix_ms: Option<u64>,
    pub ended_utc: Option<String>,
    pub hostname: String,
    pub os: String,
    pub os_version: String,
    pub kernel: String,
    pub arch: String,
    pub cpu_model: String,
    pub cores: usize,
    pub memory_bytes: u64,
    /// The `Server` header, e.g. `lighttpd/1.4.69`; several joined by `, ` if runs disagreed.
    pub server: String,
    pub server_name: String,
    pub server_version: String,
    pub network: String,
    pub address: String,
    pub port: u16,
    pub path: String,
    /// The first (for a plain run the only) connection count.
    pub connections: u32,
    /// Every connection count, in order: several for a sweep (`CONNECTIONS="1 10 100"`).
    #[serde(default)]
    pub connection_counts: Vec<u32>,
    pub iterations: u32,
    pub variants: Vec<String>,
    pub interval: String,
    /// The client's limit for connecting and each wait for data (`TIMEOUT`, else its default).
    #[serde(default)]
    pub timeout: String,
    /// The client's limit for one whole run (`RUN_TIMEOUT`, else its default).
    #[serde(default)]
    pub run_timeout: String,
    /// Rows in runs.csv: kept up to date by every `suite record`, and counted again at the end.
    pub runs_recorded: u64,
    pub failed_iterations: Vec<FailedIteration>,
    /// The workloads in order (`WORKLOADS`); absent in folders written before, which ran
    /// download only.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub workloads: Vec<String>,
    /// The request workloads' settings as given (`DURATION`, `WARMUP`, `RATE`; `THREADS` for
    /// every workload): absent when not given (the client's defaults).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub request_settings: BTreeMap<String, String>,
    /// Each step (a workload × a connection count × a variant) once it is over: measured, failed
    /// or skipped.
    #[serde(default)]
    pub steps: Vec<StepOutcome>,
    /// `META="key=value …"`: anything the caller wants kept with the figures (QEMU NIC, vCPUs…).
    pub extra: BTreeMap<String, String>,
    /// Whether the server's cost is measured beside the client, and why not (absent in folders
    /// written before it was).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_cost: Option<ServerCost>,
}

/// meta.json's `server_cost`: which server process the suite measures beside the client (memmon
/// `--also`), decided once at `suite begin`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ServerCost {
    /// The server process memmon watches; `None` when the server is not measured.
    pub pid: Option<u32>,
    /// Its command name (Linux `/proc/PID/comm`), to check the PID named the server.
    pub process: Option<String>,
    /// What was measured, or why not, in a few words for the summary.
    pub note: String,
}

/// The parts of `meta.json` that `compare` and `summarize` read, each optional, so a hand-edited
/// file need only be valid JSON whose fields have their types. `X` is the type of an `extra`
/// value: the suite writes strings, a hand-edited file may hold numbers (the reader picks a JSON
/// value type that takes any).
#[derive(Debug, Default, Deserialize)]
pub struct MetaFields<X> {
    /// Read as text, so that an unknown status is named in the reader's own words.
    #[serde(default)]
    pub status: Option<String>,
    /// Rows copied from a publication, not measured by this suite (`results/reference`).
    #[serde(default)]
    pub published: bool,
    /// Remarks printed after a row's memory figure, by run id (`results/reference`).
    #[serde(default)]
    pub memory_notes: BTreeMap<String, String>,
    /// Iterations each row already averages (published rows); 1 for the suite's own rows.
    #[serde(default)]
    pub iterations_per_row: Option<u32>,
    #[serde(default)]
    pub hostname: String,
    #[serde(default)]
    pub cpu_model: String,
    #[serde(default = "BTreeMap::new")]
    pub extra: BTreeMap<String, X>,
    /// The client machine, as `summarize` heads its output.
    #[serde(default)]
    pub os: String,
    #[serde(default)]
    pub os_version: String,
    #[serde(default)]
    pub arch: String,
    #[serde(default)]
    pub kernel: String,
    #[serde(default)]
    pub cores: u64,
    /// Iterations of each variant the suite planned; 0 when not said.
    #[serde(default)]
    pub iterations: u32,
    /// The variants the suite was asked to run, in order; empty when not said (summarize names
    /// those without a run).
    #[serde(default)]
    pub variants: Vec<String>,
    /// memmon's sampling interval as given to the suite (`100ms`); the memory charts break their
    /// lines at gaps of a few intervals.
    #[serde(default)]
    pub interval: Option<String>,
    #[serde(default)]
    pub failed_iterations: Vec<FailedIteration>,
    #[serde(default)]
    pub server_cost: Option<ServerCost>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Meta {
        Meta {
            status: MetaStatus::Complete,
            suite_version: "0.1.0".into(),
            command_line: "bench-overhead.sh 127.0.0.1 8000".into(),
            started_utc: "2026-01-01T00:00:00Z".into(),
            started_unix_ms: Some(1_767_225_600_000),
            ended_utc: None,
            hostname: "bench-a".into(),
            os: "Linux".into(),
            os_version: "Debian GNU/Linux 12 (bookworm)".into(),
            kernel: "6.1.0".into(),
            arch: "x86_64".into(),
            cpu_model: "AMD EPYC".into(),
            cores: 2,
            memory_bytes: 1 << 30,
            server: "lighttpd/1.4.69".into(),
            server_name: "lighttpd".into(),
            server_version: "1.4.69".into(),
            network: "loopback".into(),
            address: "127.0.0.1".into(),
            port: 8000,
            path: "/testpayload".into(),
            connections: 4,
            connection_counts: vec![4],
            iterations: 2,
            variants: vec!["threaded".into(), "poll".into()],
            interval: "100ms".into(),
            timeout: "30s".into(),
            run_timeout: "10m".into(),
            runs_recorded: 4,
            failed_iterations: vec![FailedIteration {
                run_id: "poll-2".into(),
                recorded: false,
                reason: "exit status 1".into(),
                workload: None,
            }],
            steps: vec![StepOutcome {
                connections: 4,
                variant: "poll".into(),
                outcome: StepResult::Measured,
                reason: None,
                run_ids: vec!["poll-1".into(), "poll-2".into()],
                workload: None,
            }],
            workloads: vec!["download".into()],
            request_settings: BTreeMap::new(),
            extra: BTreeMap::from([("tcp_congestion_control".into(), "bbr".into())]),
            server_cost: Some(ServerCost {
                pid: Some(42),
                process: Some("lighttpd".into()),
                note: "measured: PID 42 (lighttpd)".into(),
            }),
        }
    }

    #[test]
    fn meta_round_trips_and_reads_back_as_its_fields() {
        let meta = sample();
        let json = serde_json::to_string_pretty(&meta).unwrap();
        assert!(json.starts_with("{\n  \"status\": \"complete\",\n  \"suite_version\""));
        assert!(json.contains("\"ended_utc\": null"));
        assert_eq!(serde_json::from_str::<Meta>(&json).unwrap(), meta);
        let fields: MetaFields<String> = serde_json::from_str(&json).unwrap();
        assert_eq!(fields.status.as_deref(), Some("complete"));
        assert_eq!(fields.iterations, 2);
        assert_eq!(fields.extra["tcp_congestion_control"], "bbr");
        assert_eq!(fields.failed_iterations, meta.failed_iterations);
        assert_eq!(fields.server_cost, meta.server_cost);
        assert!(!fields.published);
    }

    #[test]
    fn a_failed_iteration_names_its_variant_by_its_run_id() {
        let failed = |run_id: &str| FailedIteration {
            run_id: run_id.into(),
            recorded: false,
            reason: String::new(),
            workload: None,
        };
        assert_eq!(failed("poll-12").variant(), Some(Variant::Poll));
        assert_eq!(failed("threaded-1").variant(), Some(Variant::Threaded));
        assert_eq!(failed("poll-1000c-3").variant(), Some(Variant::Poll));
        assert_eq!(failed("poll-epoll-3").variant(), Some(Variant::Poll));
        assert_eq!(failed("uring-10c-2").variant(), Some(Variant::Uring));
        assert_eq!(failed("poll").variant(), None);
        assert_eq!(failed("forked-1").variant(), None);
        // A run id of another workload names it after the variant.
        let keepalive = |run_id: &str| FailedIteration {
            workload: Some("keepalive".into()),
            ..failed(run_id)
        };
        assert_eq!(
            keepalive("uring-keepalive-2").variant(),
            Some(Variant::Uring)
        );
        assert_eq!(
            keepalive("poll-keepalive-100c-1").variant(),
            Some(Variant::Poll)
        );
        assert_eq!("partial".parse(), Ok(MetaStatus::Partial));
        assert!("done".parse::<MetaStatus>().is_err());
    }
}
