//! The suite's hidden steps (`bench-overhead suite …`), which `bench-overhead.sh` calls between
//! iterations, and their conversion into the suite's configurations.

use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use bench_records::MetaStatus;
use clap::{Args, Subcommand};

use crate::suite::{
    BeginConfig, CheckConfig, FinishConfig, LimitsConfig, OutcomeConfig, Position, RecordConfig,
    SyscallsConfig, VerdictConfig,
};
use crate::units::{parse_bytes, parse_duration};

#[derive(Debug, Args)]
pub struct SuiteArgs {
    #[command(subcommand)]
    pub step: Step,
}

#[derive(Debug, Subcommand)]
pub enum Step {
    /// Probe the server: connect and request the payload's head; print its `Server` header.
    Check(CheckArgs),
    /// Create the results folder and write `meta.json` with status `partial`; print the PID of
    /// the server to measure (nothing when it is not measured).
    Begin(BeginArgs),
    /// Join memmon's figures onto a run record, append the `runs.csv` row, print progress.
    Record(RecordArgs),
    /// Stamp `meta.json` with the end time, server, network and final status.
    Finish(FinishArgs),
    /// Print the client's syscall counters beside `strace -c -f`'s counts (make trace).
    Syscalls(SyscallsArgs),
    /// One line per pair of variants: ratios of aggregate speed, run time and memory, with spread.
    Verdict(VerdictArgs),
    /// Whether the machine can hold a step (exit 0), or why not (on stdout, exit 3).
    Limits(LimitsArgs),
    /// Record a step's outcome (measured, failed, skipped) in meta.json.
    Outcome(OutcomeArgs),
    /// Print the variants a sweep runs on this OS (every model and backend), space-separated.
    Variants,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Text, not a parsed address: `check` is the suite's first step, so a host name or a bad port
    /// gets its own one-line message here instead of clap's usage text.
    #[arg(long, default_value = "127.0.0.1")]
    pub address: String,
    #[arg(long, default_value = "8000")]
    pub port: String,
    #[arg(long, default_value = "/testpayload")]
    pub path: String,
    /// Limit for connecting and for the response head.
    #[arg(long, default_value = "5s", value_parser = parse_duration)]
    pub timeout: Duration,
    /// Probe an upload instead (`PUT PATH` with a one-byte body): exit 0 when the server counts
    /// it, else exit 3 with the reason on stdout, so the suite skips its upload steps.
    #[arg(long)]
    pub upload: bool,
}

#[derive(Debug, Args)]
pub struct BeginArgs {
    /// The results folder to create (it must not hold a `meta.json` yet).
    #[arg(long)]
    pub results: PathBuf,
    /// How the suite was invoked, recorded verbatim.
    #[arg(long, default_value = "")]
    pub command_line: String,
    #[arg(long)]
    pub address: IpAddr,
    #[arg(long)]
    pub port: u16,
    #[arg(long)]
    pub path: String,
    /// Connections per run; empty means the built-in default (`NO_CONNECTIONS` at build time).
    #[arg(long, default_value = "")]
    pub connections: String,
    #[arg(long)]
    pub iterations: String,
    /// Space-separated variant names.
    #[arg(long)]
    pub variants: String,
    /// memmon's sampling interval.
    #[arg(long)]
    pub interval: String,
    /// The client's `--timeout` (`TIMEOUT`); empty means its default.
    #[arg(long, default_value = "")]
    pub timeout: String,
    /// The client's `--run-timeout` (`RUN_TIMEOUT`); empty means its default.
    #[arg(long, default_value = "")]
    pub run_timeout: String,
    /// Network path label; empty derives it from the address as `run` does.
    #[arg(long, default_value = "")]
    pub network: String,
    /// The server's `Server` header as `check` saw it (replaced by the runs' own at `finish`).
    #[arg(long, default_value = "")]
    pub server: String,
    /// Space-separated `key=value` pairs for meta.json's `extra` object.
    #[arg(long, default_value = "")]
    pub extra: String,
    /// The server's PID (`SERVER_PID`), to measure its cost beside the client; empty: not known.
    #[arg(long, default_value = "")]
    pub server_pid: String,
    /// Space-separated workloads (`WORKLOADS`), in order.
    #[arg(long, default_value = "download")]
    pub workloads: String,
    /// The request workloads' settings as given, `NAME=value` space-separated (`DURATION=1s
    /// RATE=500`); empty ones left out.
    #[arg(long, default_value = "")]
    pub request_settings: String,
}

#[derive(Debug, Args)]
pub struct RecordArgs {
    /// The run's identifier (also used when the client left no record).
    #[arg(long)]
    pub run_id: String,
    /// The variant the iteration ran. Accepted from bench-overhead.sh and not used: the run
    /// record names its variant, and its run id does when there is no record.
    #[arg(long)]
    pub variant: String,
    /// `bench-overhead run --json` output of this iteration (may be empty when it failed).
    #[arg(long)]
    pub run: PathBuf,
    /// memmon's `--json --output` file of this iteration.
    #[arg(long)]
    pub memory: PathBuf,
    /// The client's (and memmon's) stderr of this iteration, quoted when the iteration failed.
    #[arg(long)]
    pub stderr: Option<PathBuf>,
    /// memmon's exit status (the client's, passed through).
    #[arg(long, default_value_t = 0)]
    pub status: i32,
    /// The iteration was interrupted (Ctrl-C).
    #[arg(long)]
    pub interrupted: bool,
    /// runs.csv to append the joined row to.
    #[arg(long)]
    pub runs_csv: PathBuf,
    /// meta.json whose `failed_iterations` notes a failed iteration.
    #[arg(long)]
    pub meta: PathBuf,
    /// Progress label, e.g. `threaded 3/10`.
    #[arg(long, default_value = "")]
    pub label: String,
    /// This run's place among all the suite's runs, `DONE/TOTAL` (e.g. `3/20`), for the progress.
    #[arg(long)]
    pub progress: Option<Position>,
    /// A remark added to the run's line (e.g. that memmon left its client running).
    #[arg(long)]
    pub note: Option<String>,
    /// The iteration's workload (a failed iteration names it in meta.json).
    #[arg(long, default_value = "download")]
    pub workload: String,
}

#[derive(Debug, Args)]
pub struct VerdictArgs {
    /// The results folder.
    #[arg(long)]
    pub results: PathBuf,
}

#[derive(Debug, Args)]
pub struct LimitsArgs {
    /// The step's connection count; the built-in default when omitted.
    #[arg(long)]
    pub connections: Option<u32>,
    #[arg(long)]
    pub variant: String,
    /// The client's receive buffer per connection (its `--buffer-size`; the client's default).
    #[arg(long, default_value = "4MiB", value_parser = parse_bytes)]
    pub buffer_size: u64,
}

#[derive(Debug, Args)]
pub struct OutcomeArgs {
    /// meta.json (runs.csv beside it tells whether a run measured).
    #[arg(long)]
    pub meta: PathBuf,
    /// The step's connection count; the built-in default when omitted.
    #[arg(long)]
    pub connections: Option<u32>,
    #[arg(long)]
    pub variant: String,
    /// The step's run ids, space-separated.
    #[arg(long, default_value = "")]
    pub run_ids: String,
    /// The step did not run: why (from `suite limits`, or `suite check --upload`).
    #[arg(long)]
    pub skipped: Option<String>,
    /// The step's workload.
    #[arg(long, default_value = "download")]
    pub workload: String,
}

#[derive(Debug, Args)]
pub struct FinishArgs {
    /// The results folder (its meta.json and runs.csv).
    #[arg(long)]
    pub results: PathBuf,
    #[arg(long, value_parser = super::status_parser())]
    pub status: MetaStatus,
}

#[derive(Debug, Args)]
pub struct SyscallsArgs {
    /// `strace -c -f -o FILE` output.
    #[arg(long)]
    pub strace: PathBuf,
    /// The traced client's `run --json` output.
    #[arg(long)]
    pub run: PathBuf,
}

impl From<Step> for crate::suite::Step {
    fn from(step: Step) -> crate::suite::Step {
        use crate::suite::Step as S;
        match step {
            Step::Check(a) => S::Check(a.into()),
            Step::Begin(a) => S::Begin(a.into()),
            Step::Record(a) => S::Record(a.into()),
            Step::Finish(a) => S::Finish(a.into()),
            Step::Syscalls(a) => S::Syscalls(a.into()),
            Step::Verdict(a) => S::Verdict(VerdictConfig { results: a.results }),
            Step::Limits(a) => S::Limits(LimitsConfig {
                connections: a.connections,
                variant: a.variant,
                buffer_size: a.buffer_size,
            }),
            Step::Outcome(a) => S::Outcome(OutcomeConfig {
                meta: a.meta,
                connections: a.connections,
                variant: a.variant,
                run_ids: a.run_ids.split_whitespace().map(String::from).collect(),
                skipped: a.skipped,
                workload: a.workload,
            }),
            Step::Variants => S::Variants,
        }
    }
}

impl From<CheckArgs> for CheckConfig {
    fn from(a: CheckArgs) -> CheckConfig {
        CheckConfig {
            address: a.address,
            port: a.port,
            path: a.path,
            timeout: a.timeout,
            upload: a.upload,
        }
    }
}

impl From<BeginArgs> for BeginConfig {
    fn from(a: BeginArgs) -> BeginConfig {
        BeginConfig {
            results: a.results,
            command_line: a.command_line,
            address: a.address,
            port: a.port,
            path: a.path,
            connections: a.connections,
            iterations: a.iterations,
            variants: a.variants,
            interval: a.interval,
            timeout: a.timeout,
            run_timeout: a.run_timeout,
            network: a.network,
            server: a.server,
            extra: a.extra,
            server_pid: a.server_pid,
            workloads: a.workloads,
            request_settings: a.request_settings,
        }
    }
}

impl From<RecordArgs> for RecordConfig {
    fn from(a: RecordArgs) -> RecordConfig {
        RecordConfig {
            run_id: a.run_id,
            run: a.run,
            memory: a.memory,
            stderr: a.stderr,
            status: a.status,
            interrupted: a.interrupted,
            runs_csv: a.runs_csv,
            meta: a.meta,
            label: a.label,
            progress: a.progress,
            note: a.note,
            workload: a.workload,
        }
    }
}

impl From<FinishArgs> for FinishConfig {
    fn from(a: FinishArgs) -> FinishConfig {
        FinishConfig {
            results: a.results,
            status: a.status,
        }
    }
}

impl From<SyscallsArgs> for SyscallsConfig {
    fn from(a: SyscallsArgs) -> SyscallsConfig {
        SyscallsConfig {
            strace: a.strace,
            run: a.run,
        }
    }
}
