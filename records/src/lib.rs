//! The records of a results folder, at the bottom of the workspace: `bench-overhead` (the client,
//! the suite, the reports) and `memmon` write and read them through these types only, so each CSV
//! and JSON format is defined once, here, with a round-trip test beside it. `results/README.md`
//! is the contract they implement; change a field only together with it.
//!
//! A value an OS or a run did not give is `None` (an empty CSV cell, JSON `null`, printed `—`),
//! never `0`.
//!
//! - [`variant`]: the I/O variants under test and the readiness backend behind each.
//! - [`failure`]: why a job failed, as a kind with its message beside it.
//! - [`job`], [`run`]: the job and run records (`jobs.csv`, `run --json`, `runs.csv`).
//! - [`requests`]: the request-rate figures of a run (requests, req/s, latency percentiles).
//! - [`memory`]: memmon's sample row (`memory.csv`) and JSON summary, and [`MinAvgMax`].
//! - [`cost`]: what a run cost beyond the client: the server, the kernel's sockets, TCP_INFO.
//! - [`meta`]: the `meta.json` file.
//! - [`append`]: appending rows to a CSV file, the one way every CSV file is written.
//! - [`units`]: the syntax of sizes and durations (`4MiB`, `30s`, `100ms`).

pub mod append;
pub mod cost;
pub mod failure;
pub mod job;
pub mod memory;
pub mod meta;
pub mod requests;
pub mod run;
pub mod units;
pub mod variant;

pub use append::Appender;
pub use cost::{
    is_cost_column, AlsoSummary, ServerFigures, SocketFigures, SocketSummary, TcpFigures, TcpInfo,
};
pub use failure::{Failure, FailureKind};
pub use job::JobRecord;
pub use memory::{behind_schedule, MemmonSummary, MemorySample, MinAvgMax, MIN_SCHEDULED_SHARE};
pub use meta::{
    FailedIteration, Meta, MetaFields, MetaStatus, ServerCost, StepOutcome, StepResult,
};
pub use requests::{is_request_column, LatencyPercentiles, RequestFigures, REQUEST_COLUMNS};
pub use run::{MemoryFigures, PhaseStats, Phases, RunRecord, RunRow, Setup, Syscalls};
pub use variant::{Backend, Variant};
