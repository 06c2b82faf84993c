//! The glue `bench-overhead.sh` calls between runs: everything that is more than glue lives here, in
//! Rust, so the shell script stays plain POSIX sh that busybox can run inside a QEMU guest.
//!
//! - `check`: is a server answering at the address, and does it serve the payload? (fail fast)
//! - `begin`: create the results folder and its `meta.json` (status `partial` until `finish`), and
//!   print the PID of the server memmon is to watch beside the client (`server.rs`; empty: none).
//! - `record`: join memmon's figures onto one run record and append its `runs.csv` row.
//! - `finish`: stamp `meta.json` with the end time, the server and the final status.
//! - `syscalls`: the client's own syscall counters beside `strace -c` (for `make trace`).
//!
//! Hidden from `--help`: users type `bench-overhead.sh` or `make benchmark`, never these.

mod check;
mod join;
mod meta;
mod server;
mod signals;
mod syscalls;
mod time;

use std::net::IpAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Subcommand};

use crate::units::parse_duration;

use bench_records::MetaStatus;

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
}

#[derive(Debug, Args)]
pub struct RecordArgs {
    /// The run's identifier (also used when the client left no record).
    #[arg(long)]
    pub run_id: String,
    /// The variant the iteration ran, for progress and failure notes.
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
}

#[derive(Debug, Args)]
pub struct FinishArgs {
    /// The results folder (its meta.json and runs.csv).
    #[arg(long)]
    pub results: PathBuf,
    #[arg(long, value_parser = crate::cli::status_parser())]
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

pub fn run(args: SuiteArgs) -> anyhow::Result<ExitCode> {
    match args.step {
        Step::Check(args) => check::run(args),
        Step::Begin(args) => meta::begin(args),
        Step::Record(args) => {
            // A Ctrl-C reaches the whole process group; the row being written must not be lost.
            signals::ignore_interrupts();
            join::run(args)
        }
        Step::Syscalls(args) => syscalls::run(args),
        Step::Finish(args) => {
            signals::ignore_interrupts();
            meta::finish(args)
        }
    }
}
