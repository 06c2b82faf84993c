//! bench-overhead: what does it cost an OS to move data over TCP with a thread per connection,
//! compared with one thread multiplexing every connection?
//!
//! Where things live:
//! - `cli.rs`: every subcommand and argument, converted into the engines' configurations; only
//!   this file uses it.
//! - `client/`: the `run` subcommand: the variants, per-phase timing, HTTP checks, counters.
//! - `bench_records` (the records crate): the job and run records every exporter consumes.
//! - `export/`: one file per output format.
//! - `serve/`: the built-in target server; `payload.rs`: deterministic payload files.
//! - `results/`: reading and writing a results folder, and the averages over iterations.
//! - `report/`: `summarize` and `compare` (tables, charts) over results folders.

mod cli;
mod client;
mod export;
mod host;
mod payload;
mod report;
mod results;
mod serve;
mod suite;
mod units;

use std::process::ExitCode;

use cli::Job;

fn main() -> ExitCode {
    let result = match cli::parse() {
        Job::Run(config) => client::run(config),
        Job::Serve(config) => serve::run(config),
        Job::Payload(config) => payload::run(config),
        Job::Summarize(config) => report::summarize::run(config),
        Job::Compare(config) => report::compare::run(config),
        Job::Meta => host::run_meta(),
        Job::Suite(step) => suite::run(step),
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            // One line, naming what went wrong and (through the context chain) what to do.
            eprintln!("bench-overhead: {err:#}");
            ExitCode::FAILURE
        }
    }
}
