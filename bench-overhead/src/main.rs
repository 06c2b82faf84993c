//! bench-overhead: what does it cost an OS to move data over TCP with a thread per connection,
//! compared with one thread multiplexing every connection?
//!
//! Where things live:
//! - `cli.rs`: every subcommand and argument.
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

use clap::Parser;

use cli::{Cli, Command};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Run(args) => client::run(args),
        Command::Serve(args) => serve::run(args),
        Command::Payload(args) => payload::run(args),
        Command::Summarize(args) => report::summarize::run(args),
        Command::Compare(args) => report::compare::run(args),
        Command::Meta(args) => host::run_meta(args),
        Command::Suite(args) => suite::run(args),
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
