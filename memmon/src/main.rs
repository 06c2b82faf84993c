//! memmon: runs a command and samples its memory from spawn to exit.
//!
//! Where things live:
//! - `cli.rs`: the arguments.
//! - `monitor.rs`: the run — prepare outputs, spawn, the sampling loop, the report;
//!   `pending.rs`: samples waiting for their background reading before they are recorded.
//! - `child.rs`: spawning (killed with memmon on Linux), reaping with `wait4` (exit status and
//!   the kernel's peak RSS, the command's own told from its descendants' on Linux).
//! - `signals.rs`: SIGINT/SIGTERM/SIGHUP forwarding and prompt exit detection (`bench_sys`'s self-pipe).
//! - `sampler/`: one sample per OS (`linux.rs`: /proc; `haiku.rs`: areas; sysinfo elsewhere).
//! - `stats.rs`: running min/avg/max; `summary.rs`: text and JSON; `csv_out.rs`: per-sample rows
//!   (the formats themselves are `bench_records`: `MemorySample`, `MemmonSummary`).
//! - `schedule.rs`: whether a run got the samples its interval called for.
//! - `beside.rs`: what is sampled beside the command — `also.rs` (a second process, with
//!   `usage/` for its CPU time per OS) and `sockstat.rs` (the kernel's TCP socket memory).

mod also;
mod beside;
mod child;
mod cli;
mod csv_out;
mod monitor;
mod pending;
mod sampler;
mod schedule;
mod signals;
mod sockstat;
mod stats;
mod summary;
mod usage;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    ExitCode::from(monitor::run(cli))
}
