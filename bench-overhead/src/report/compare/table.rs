//! The tables `compare` prints: one per network path, one row per setup, each row's figures
//! averaged over its runs, and the conditions that tell its rows apart. Plain data: `aggregate`
//! fills it, `conditions` words the differences, the renderers (`markdown`, `csv_table`, `json`,
//! the charts) lay it out.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::results::averages::RunSelection;
use crate::results::requests::RequestSetup;

/// meta.json `extra` keys that describe the hardware a QEMU guest ran on (ARCHITECTURE.md, Setups)
/// and the TCP congestion control (which changed loopback figures up to twofold, see the README):
/// they change the figures, so runs that differ in them are different setups. Other `extra` keys
/// (boot time, QEMU's version, free-form notes) do not split rows.
pub const SETUP_EXTRA_KEYS: [(&str, Condition); 4] = [
    ("qemu_nic", Condition::Nic),
    ("qemu_vcpus", Condition::Vcpus),
    ("qemu_accel", Condition::Accelerator),
    ("tcp_congestion_control", Condition::CongestionControl),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Condition {
    Server,
    Connections,
    Payload,
    Buffer,
    /// The client machine's hostname.
    Machine,
    Cpu,
    Nic,
    Vcpus,
    Accelerator,
    CongestionControl,
    /// Only to tell apart rows whose labels would collide: the label already carries the OS
    /// version on Haiku and the kernel elsewhere.
    OsVersion,
    Kernel,
    Backend,
}

/// The old suite's columns, averaged over a setup's runs.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Figures {
    /// Mean `socket()` time per job, µs.
    pub socket_creation_us: Option<f64>,
    /// Mean job setup time (thread spawn, or register + non-blocking connect), µs.
    pub job_setup_us: Option<f64>,
    /// Mean per-job receive time (request written → last byte), s.
    pub receive_s: Option<f64>,
    /// Mean per-job download speed, MiB/s.
    pub job_mib_s: Option<f64>,
    /// Mean run time (first socket → last job finished), s.
    pub run_time_s: Option<f64>,
    /// Mean of memmon's average: anonymous PSS where the OS has it, else RSS, MiB.
    pub memory_mib: Option<f64>,
}

/// The `--extended` columns, averaged the same way.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Extended {
    /// Median transfer time (first byte → last byte) of every successful job of every run pooled
    /// (jobs.csv), s; `None` for several runs without their job times.
    pub transfer_p50_s: Option<f64>,
    /// 99th percentile transfer time, pooled the same way, s.
    pub transfer_p99_s: Option<f64>,
    /// 99th percentile connect time (connect issued → established), pooled the same way, s.
    pub connect_p99_s: Option<f64>,
    /// 99th percentile time to first byte (request written → first byte), pooled the same way, s.
    pub ttfb_p99_s: Option<f64>,
    /// Mean over runs of memmon's largest sample of the memory metric (anonymous PSS, else RSS),
    /// MiB: with every connection open, what the sweep's memory per connection is taken from.
    pub memory_max_mib: Option<f64>,
    /// All body bytes / run time, GiB/s.
    pub aggregate_gib_s: Option<f64>,
    /// Client CPU seconds (user + system) per GiB of body data.
    pub cpu_s_per_gib: Option<f64>,
    /// Socket system calls per MiB of body data.
    pub syscalls_per_mib: Option<f64>,
    /// Voluntary + involuntary context switches of the client per run.
    pub context_switches: Option<f64>,
    /// Peak RSS the kernel reported for the client, MiB.
    pub peak_rss_mib: Option<f64>,
    /// Spread over iterations: coefficient of variation of the run time, % (needs 2 runs).
    pub run_time_cv_pct: Option<f64>,
    /// Server CPU seconds (user + system) per GiB of body data; `None` where the server was not
    /// measured (not started by the suite, or on another machine).
    pub server_cpu_s_per_gib: Option<f64>,
    /// Mean of the server's average memory (anonymous PSS, else RSS), MiB.
    pub server_memory_mib: Option<f64>,
    /// Mean kernel TCP socket memory (system-wide) over the run's connections, KiB.
    pub socket_memory_per_connection_kib: Option<f64>,
    /// Mean TCP retransmits per connection (the client side's TCP_INFO).
    pub retransmits_per_connection: Option<f64>,
}

/// One line of a table: a setup and its figures.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Row {
    /// `Linux (x86_64, 6.1.0) Threaded`, with `[condition]` when another row of the table would
    /// read the same, and `(partial)` / `(published)` marks.
    pub setup: String,
    pub os: String,
    pub os_version: String,
    pub arch: String,
    pub kernel: String,
    pub variant: String,
    /// Readiness API behind the variant: `blocking` (threaded), `epoll`, `kqueue`, `poll`.
    pub backend: String,
    pub server: String,
    pub connections: u32,
    pub payload_bytes: u64,
    pub buffer_size: u64,
    /// The client machine (meta.json `hostname`, `cpu_model`); "" when not known.
    pub hostname: String,
    pub cpu_model: String,
    /// The virtual hardware of a QEMU guest (meta.json `extra`: `qemu_nic`, `qemu_vcpus`,
    /// `qemu_accel`) and the TCP congestion control (`tcp_congestion_control`), those given.
    pub hardware: BTreeMap<String, String>,
    pub partial: bool,
    pub published: bool,
    /// Iterations the figures average (published rows count the iterations the publication averaged).
    pub runs: usize,
    /// Runs the per-run figures (run time, memory, …) average: those in which every job succeeded,
    /// or every run when none did.
    pub runs_averaged: usize,
    /// Jobs of all runs; `None` when the input does not say (published rows).
    pub jobs_ok: Option<u64>,
    pub jobs_failed: Option<u64>,
    pub figures: Figures,
    /// Always computed; left out of the JSON without `--extended`, as from the markdown.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub extended: Option<Extended>,
    /// A remark on the memory figure, printed after it as published: `(virtual peaked at 8 GB)`.
    pub memory_note: Option<String>,
    #[serde(skip)]
    pub selection: RunSelection,
    /// Whether the transfer percentiles are `None` because several runs lack their jobs.csv.
    #[serde(skip)]
    pub percentiles_need_jobs: bool,
    #[serde(skip)]
    pub addresses: BTreeSet<String>,
    /// The inputs the row's runs came from, for messages.
    #[serde(skip)]
    pub sources: Vec<String>,
    /// A request-rate setup's figures (keepalive, churn; `results::requests`), printed in that
    /// workload's columns instead of the old suite's; absent for download and upload.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub requests: Option<RequestSetup>,
}

/// One table: every row measured over one network path.
#[derive(Debug, Clone, Serialize)]
pub struct Table {
    pub network: String,
    /// What the rows' connections did; absent (download) in the JSON of download tables, as
    /// before workloads.
    #[serde(skip_serializing_if = "is_download")]
    pub workload: String,
    pub title: String,
    /// Conditions that differ between the rows (`server`, `connections`, `payload`, `buffer`,
    /// `machine`, `cpu`, `nic`, `vcpus`, `accelerator`).
    pub differing: Vec<Condition>,
    pub rows: Vec<Row>,
}

fn is_download(workload: &str) -> bool {
    workload == "download"
}

impl Table {
    /// Whether its rows are request-rate setups (keepalive, churn), with their own columns.
    pub fn request_rate(&self) -> bool {
        self.rows.iter().any(|row| row.requests.is_some())
    }
}
