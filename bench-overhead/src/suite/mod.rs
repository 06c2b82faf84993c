//! The glue `bench-overhead.sh` calls between runs: everything that is more than glue lives here, in
//! Rust, so the shell script stays plain POSIX sh that busybox can run inside a QEMU guest.
//!
//! - `check`: is a server answering at the address, and does it serve the payload? (fail fast)
//! - `begin`: create the results folder and its `meta.json` (status `partial` until `finish`), and
//!   print the plan, and on stdout the PID of the server memmon is to watch beside the client
//!   (`server.rs`; nothing when none).
//! - `record`: join memmon's figures onto one run record, append its `runs.csv` row, print the
//!   run's line and the progress (elapsed, time left).
//! - `finish`: stamp `meta.json` with the end time, the server and the final status.
//! - `verdict`: one line per pair of variants, their ratios with the spread (after the summary).
//! - `limits`, `outcome`, `variants`: a sweep's check before each step, the step's outcome in
//!   meta.json, and the variants this build runs (`make sweep`'s default).
//! - `syscalls`: the client's own syscall counters beside `strace -c` (for `make trace`).
//!
//! Hidden from `--help`: users type `bench-overhead.sh` or `make benchmark`, never these.

mod check;
mod config;
mod join;
mod limits;
mod meta;
mod progress;
mod server;
mod sweep;
mod syscalls;
mod time;
mod verdict;

use std::process::ExitCode;

pub use config::{
    BeginConfig, CheckConfig, FinishConfig, LimitsConfig, OutcomeConfig, RecordConfig, Step,
    SyscallsConfig, VerdictConfig,
};
pub use progress::Position;

/// A workload as meta.json names it beside a run id or step: `None` for download, which older
/// folders (and their readers) take for granted.
fn named_workload(workload: &str) -> Option<String> {
    (workload != "download").then(|| workload.to_string())
}

pub fn run(step: Step) -> anyhow::Result<ExitCode> {
    match step {
        Step::Check(args) => check::run(args),
        Step::Begin(args) => meta::begin(args),
        Step::Record(args) => {
            // A Ctrl-C reaches the whole process group; the row being written must not be lost.
            bench_sys::signals::ignore(&[libc::SIGINT, libc::SIGTERM]);
            join::run(args)
        }
        Step::Syscalls(args) => syscalls::run(args),
        Step::Finish(args) => {
            bench_sys::signals::ignore(&[libc::SIGINT, libc::SIGTERM]);
            meta::finish(args)
        }
        Step::Verdict(args) => verdict::run(args),
        Step::Limits(args) => sweep::check_limits(args),
        Step::Outcome(args) => {
            bench_sys::signals::ignore(&[libc::SIGINT, libc::SIGTERM]);
            sweep::record(args)
        }
        Step::Variants => sweep::variants(),
    }
}
