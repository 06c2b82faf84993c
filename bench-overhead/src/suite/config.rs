//! What each step of the suite is asked to do, as the command line (`cli.rs`) hands it over.
//! `bench-overhead.sh` passes its settings as text where the step itself checks them (a bad
//! `ITERATIONS` or `CONNECTIONS` is named in the suite's words, not clap's).

use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use bench_records::MetaStatus;

#[derive(Debug, Clone)]
pub enum Step {
    /// Probe the server: connect and request the payload's head; print its `Server` header.
    Check(CheckConfig),
    /// Create the results folder and write `meta.json` with status `partial`.
    Begin(BeginConfig),
    /// Join memmon's figures onto a run record, append the `runs.csv` row, print progress.
    Record(RecordConfig),
    /// Stamp `meta.json` with the end time, server, network and final status.
    Finish(FinishConfig),
    /// Print the client's syscall counters beside `strace -c -f`'s counts (make trace).
    Syscalls(SyscallsConfig),
    /// One line per pair of variants: ratios of aggregate speed, run time and memory, with spread.
    Verdict(VerdictConfig),
    /// Whether the machine can hold a step (exit 0), or why not (on stdout, exit 3).
    Limits(LimitsConfig),
    /// Record a step's outcome (measured, failed, skipped) in meta.json.
    Outcome(OutcomeConfig),
    /// Print the variants a sweep runs on this OS (every model and backend), space-separated.
    Variants,
}

#[derive(Debug, Clone)]
pub struct CheckConfig {
    /// Text, not a parsed address: `check` is the suite's first step, so a host name or a bad port
    /// gets its own one-line message here instead of clap's usage text.
    pub address: String,
    pub port: String,
    pub path: String,
    /// Limit for connecting and for the response head.
    pub timeout: Duration,
    /// Probe an upload (`PUT`) rather than a download.
    pub upload: bool,
}

#[derive(Debug, Clone)]
pub struct BeginConfig {
    /// The results folder to create (it must not hold a `meta.json` yet).
    pub results: PathBuf,
    /// How the suite was invoked, recorded verbatim.
    pub command_line: String,
    pub address: IpAddr,
    pub port: u16,
    pub path: String,
    /// Connections per run, or a sweep's counts; empty means the built-in default
    /// (`NO_CONNECTIONS` at build time).
    pub connections: String,
    pub iterations: String,
    /// Space-separated variant names.
    pub variants: String,
    /// memmon's sampling interval.
    pub interval: String,
    /// The client's `--timeout` (`TIMEOUT`); empty means its default.
    pub timeout: String,
    /// The client's `--run-timeout` (`RUN_TIMEOUT`); empty means its default.
    pub run_timeout: String,
    /// Network path label; empty derives it from the address as `run` does.
    pub network: String,
    /// The server's `Server` header as `check` saw it (replaced by the runs' own at `finish`).
    pub server: String,
    /// Space-separated `key=value` pairs for meta.json's `extra` object.
    pub extra: String,
    /// The server's PID (`SERVER_PID`), to measure its cost beside the client; empty: not known.
    pub server_pid: String,
    /// `WORKLOADS`, space-separated.
    pub workloads: String,
    /// `NAME=value` pairs of the request settings given (DURATION, WARMUP, RATE, THREADS).
    pub request_settings: String,
}

#[derive(Debug, Clone)]
pub struct RecordConfig {
    /// The run's identifier (also used when the client left no record).
    pub run_id: String,
    /// `bench-overhead run --json` output of this iteration (may be empty when it failed).
    pub run: PathBuf,
    /// memmon's `--json --output` file of this iteration.
    pub memory: PathBuf,
    /// The client's (and memmon's) stderr of this iteration, quoted when the iteration failed.
    pub stderr: Option<PathBuf>,
    /// memmon's exit status (the client's, passed through).
    pub status: i32,
    /// The iteration was interrupted (Ctrl-C).
    pub interrupted: bool,
    /// runs.csv to append the joined row to.
    pub runs_csv: PathBuf,
    /// meta.json whose `failed_iterations` notes a failed iteration.
    pub meta: PathBuf,
    /// Progress label, e.g. `threaded 3/10`.
    pub label: String,
    /// This run's place among all the suite's runs, for the progress.
    pub progress: Option<super::Position>,
    /// A remark added to the run's line (e.g. that memmon left its client running).
    pub note: Option<String>,
    /// The iteration's workload.
    pub workload: String,
}

#[derive(Debug, Clone)]
pub struct VerdictConfig {
    /// The results folder.
    pub results: PathBuf,
}

#[derive(Debug, Clone)]
pub struct LimitsConfig {
    /// The step's connection count; the built-in default when `None`.
    pub connections: Option<u32>,
    pub variant: String,
    /// The client's receive buffer per connection.
    pub buffer_size: u64,
}

#[derive(Debug, Clone)]
pub struct OutcomeConfig {
    /// meta.json (runs.csv beside it tells whether a run measured).
    pub meta: PathBuf,
    /// The step's connection count; the built-in default when `None`.
    pub connections: Option<u32>,
    pub variant: String,
    /// The step's run ids.
    pub run_ids: Vec<String>,
    /// The step did not run: why (from `suite limits`).
    pub skipped: Option<String>,
    /// The step's workload.
    pub workload: String,
}

#[derive(Debug, Clone)]
pub struct FinishConfig {
    /// The results folder (its meta.json and runs.csv).
    pub results: PathBuf,
    pub status: MetaStatus,
}

#[derive(Debug, Clone)]
pub struct SyscallsConfig {
    /// `strace -c -f -o FILE` output.
    pub strace: PathBuf,
    /// The traced client's `run --json` output.
    pub run: PathBuf,
}
