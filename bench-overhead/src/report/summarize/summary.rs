//! What `summarize` computes for a results folder: the figures of each variant, with their spread
//! over runs, and what the folder says about its runs. Serialised as is by `summarize --json`.

use serde::Serialize;

use crate::results::averages::RunSelection;
use crate::results::requests::RequestSetup;

/// One figure: its value and its spread over runs (`None` with fewer than two runs).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Figure {
    pub value: f64,
    pub cv: Option<f64>,
    /// The runs whose values the spread is over: for a job figure those with a successful job,
    /// for a run figure those it averages.
    pub runs: usize,
}

/// The summary of one variant over every run of it in the folder.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VariantSummary {
    /// `download`, or `upload` (one request per connection too, so the same figures); not
    /// serialised for download, as in folders written before workloads.
    #[serde(skip_serializing_if = "is_download")]
    pub workload: String,
    pub variant: String,
    pub backend: String,
    pub connections: Vec<u32>,
    pub server: String,
    pub network: String,
    /// Runs recorded in runs.csv.
    pub runs: usize,
    /// Iterations that left no run record (the client crashed or was killed): meta.json
    /// `failed_iterations` with `recorded: false`, or, in a complete folder, iterations missing.
    pub runs_unrecorded: usize,
    /// Iterations of each variant the suite planned (meta.json `iterations`); 0 when unknown.
    pub iterations_planned: u32,
    /// Runs in which every job succeeded (the old suite's "successful runs").
    pub runs_ok: usize,
    pub jobs: u64,
    pub jobs_ok: u64,
    pub bytes: u64,
    pub bytes_per_job: f64,
    /// Job figures; `None` when no job succeeded (printed `—`).
    pub socket_ns: Option<Figure>,
    pub setup_ns: Option<Figure>,
    pub receive_ns: Option<Figure>,
    pub job_mib_s: Option<Figure>,
    /// Run figures; `None` when no run measured them (an empty cell, printed `—`).
    pub run_ns: Option<Figure>,
    pub aggregate_mib_s: Option<Figure>,
    /// `pss_anon` where memmon had it, else `rss` (the old suite's memory figure); "" without memmon.
    pub memory_metric: String,
    /// Runs that have memory figures.
    pub memory_runs: usize,
    /// The fewest memory samples any run had: with one or two, min/avg/max say little. `None`
    /// when the rows do not say (published rows).
    pub memory_samples_min: Option<u64>,
    /// Runs whose memory sampling fell behind its schedule (memmon warned at the time), and the
    /// runs that say how many samples were scheduled at all. Said in the notes, not in `--json`.
    #[serde(skip)]
    pub memory_behind_schedule: (usize, usize),
    pub memory_min_bytes: Option<Figure>,
    pub memory_avg_bytes: Option<Figure>,
    pub memory_max_bytes: Option<Figure>,
    /// Beyond the client (`None` where not measured): the server's CPU seconds per GiB and its
    /// average memory (anonymous PSS, else RSS), the kernel's TCP socket memory per connection
    /// (system-wide memory over the run's connections), the TCP sockets open when sampling
    /// began, and the client side's TCP_INFO retransmits and RTT per connection.
    pub server_cpu_s_per_gib: Option<Figure>,
    pub server_memory_avg_bytes: Option<Figure>,
    pub socket_memory_per_connection_bytes: Option<Figure>,
    pub tcp_inuse_start: Option<Figure>,
    pub retransmits_per_connection: Option<Figure>,
    pub rtt_us: Option<Figure>,
    pub warnings: Vec<String>,
    /// Whether the folder's suite measured costs beyond the client (meta.json `server_cost`):
    /// then their lines are printed, as `—` where not measured.
    #[serde(skip)]
    pub cost_measured: bool,
    /// Which runs the run figures average.
    #[serde(skip)]
    pub selection: RunSelection,
    /// Whether the folder is a sweep, so that this is one step of the variant and notes name its
    /// connection count.
    #[serde(skip)]
    pub sweep_step: bool,
}

impl VariantSummary {
    /// How notes and warnings name it: `poll`, or `poll at 16 connections` in a sweep.
    pub fn subject(&self) -> String {
        let variant = if is_download(&self.workload) {
            self.variant.clone()
        } else {
            format!("{} {}", self.workload, self.variant)
        };
        match (self.sweep_step, self.connections.as_slice()) {
            (true, [1]) => format!("{variant} at 1 connection"),
            (true, [n]) => format!("{variant} at {n} connections"),
            _ => variant,
        }
    }
}

pub(super) fn is_download(workload: &str) -> bool {
    workload == "download"
}

/// A variant asked for that has no run in runs.csv.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VariantNotRun {
    pub variant: String,
    /// Its iterations that failed without leaving a record (meta.json `failed_iterations`).
    pub runs_unrecorded: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    pub results: String,
    /// meta.json's status (`complete`/`partial`), "" without meta.json.
    pub status: String,
    pub host: String,
    pub variants: Vec<VariantSummary>,
    /// The request-rate workloads' setups (keepalive, churn); absent when the folder has none.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub requests: Vec<RequestSummary>,
    /// Variants the suite was asked to run (meta.json `variants`) with no run recorded, each with
    /// why: the suite stopped before it, or its iterations left no record.
    pub variants_not_run: Vec<VariantNotRun>,
    /// The scaling sweep when the folder holds runs at several connection counts (as `compare`
    /// shows it); empty otherwise.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub sweeps: Vec<crate::report::scaling::Sweep>,
    /// Job rows whose run has no runs.csv row (an interrupted or failed iteration); left out.
    pub orphan_jobs: u64,
    pub failed_iterations: Vec<String>,
    /// meta.json `server_cost.note`: whether the server's cost was measured, or why not; "" when
    /// the folder does not say (written before it was measured).
    pub server_cost: String,
    /// jobs.csv rows that do not parse; left out.
    pub skipped_job_rows: u64,
    /// The first few of them, each naming its line and what is wrong.
    pub skipped_job_rows_first: Vec<String>,
    /// Recorded runs that lost a job row that way: their job figures are their runs.csv means.
    pub runs_with_skipped_job_rows: Vec<String>,
}

/// One request-rate setup of the folder.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RequestSummary {
    pub workload: String,
    pub variant: String,
    pub backend: String,
    pub connections: u32,
    pub server: String,
    pub network: String,
    /// Event loops (`--threads`) are not in runs.csv; the figures are the runs'.
    #[serde(flatten)]
    pub figures: RequestSetup,
}

impl RequestSummary {
    /// How notes and warnings name it: `keepalive poll (epoll) at 4 connections`.
    pub(super) fn subject(&self) -> String {
        format!(
            "{} {} ({}) at {} connection{}",
            self.workload,
            self.variant,
            self.backend,
            self.connections,
            if self.connections == 1 { "" } else { "s" }
        )
    }
}
