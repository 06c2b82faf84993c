//! Command-line interface: every subcommand and its arguments, and their conversion into the
//! engines' configurations (`ClientConfig`, `ServeConfig`, `SummarizeConfig`, `CompareConfig`,
//! the suite's steps), as hyperfine turns its command line into `Options`.
//!
//! Only `main.rs` uses this module: the engines never see clap's types, so a flag can be renamed
//! here without touching them. Bad arguments are clap's errors (exit 2).

mod suite;

use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use std::str::FromStr;

use bench_records::MetaStatus;
use clap::builder::{PossibleValue, PossibleValuesParser, TypedValueParser};
use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};

use crate::client::model::{Backend, ModelSpec};
use crate::client::Workload;
use crate::client::{
    parse_timeout, ClientConfig, DEFAULT_CONNECTIONS, DEFAULT_RUN_TIMEOUT, DEFAULT_TIMEOUT,
};
use crate::payload::PayloadConfig;
use crate::report::compare::{CompareConfig, CompareFormat};
use crate::report::summarize::SummarizeConfig;
use crate::serve::fault::Fault;
use crate::serve::ServeConfig;
use crate::units::{parse_bytes, parse_duration};

#[derive(Debug, Parser)]
#[command(
    name = "bench-overhead",
    version,
    about = "Measures what thread-per-connection and event-loop TCP downloads cost an OS",
    propagate_version = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Download a payload over N concurrent connections with each I/O variant and time every phase.
    Run(RunArgs),
    /// Serve files over HTTP/1.x and count uploads (PUT/POST): the built-in target server.
    Serve(ServeArgs),
    /// Write a deterministic pseudo-random payload file.
    Payload(PayloadArgs),
    /// Print the old suite's summary (and spread) for a results folder.
    Summarize(SummarizeArgs),
    /// Merge results from many machines into cross-OS comparison tables and charts.
    Compare(CompareArgs),
    /// Describe this machine as JSON (used by bench-overhead.sh for meta.json).
    #[command(hide = true)]
    Meta,
    /// The steps bench-overhead.sh runs between iterations (check, begin, record, finish).
    #[command(hide = true)]
    Suite(suite::SuiteArgs),
}

/// meta.json's status by name.
pub(crate) fn status_parser() -> impl TypedValueParser<Value = MetaStatus> {
    PossibleValuesParser::new(MetaStatus::ALL.map(|s| PossibleValue::new(s.name())))
        .try_map(|name| name.parse::<MetaStatus>())
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// I/O model to run, as MODEL[:BACKEND]: threaded, poll (the OS's native readiness API),
    /// poll:epoll, poll:kqueue, poll:poll (plain poll(2)), poll:polling (the polling crate),
    /// uring (io_uring, Linux). Repeat it to run several, each in its own process; every model
    /// this OS supports, with its native backend, when omitted.
    #[arg(long, value_name = "MODEL[:BACKEND]", value_parser = parse_model)]
    pub variant: Vec<ModelSpec>,
    /// Readiness backend for a bare `--variant poll`: epoll, kqueue, poll or polling.
    #[arg(long, value_parser = parse_backend)]
    pub backend: Option<Backend>,
    /// Concurrent connections (one download each).
    #[arg(long, short = 'c', default_value = DEFAULT_CONNECTIONS, value_parser = clap::value_parser!(u32).range(1..))]
    pub connections: u32,
    /// Event loops of the poll and uring models, each on its own thread with 1/T of the
    /// connections (as wrk -t); the threaded model ignores it (one thread per connection).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=1024))]
    pub threads: u32,
    /// Server address (IPv4 or IPv6).
    #[arg(long, default_value = "127.0.0.1")]
    pub address: IpAddr,
    /// Server port.
    #[arg(long, short = 'p', default_value_t = 8000, value_parser = clap::value_parser!(u16).range(1..))]
    pub port: u16,
    /// Path requested from the server; by default /testpayload (download), /hello (keepalive,
    /// churn), /upload (upload).
    #[arg(long, value_parser = parse_request_path)]
    pub path: Option<String>,
    /// What each connection does: download (one GET of the payload), keepalive (HTTP/1.1
    /// requests for a small object back to back on one connection, for --duration or
    /// --requests), churn (the same requests with `Connection: close`, each on a new connection:
    /// connect timed apart, connections per second reported), upload (one PUT of --upload-size; needs a server that answers with the byte
    /// count it received, as the built-in `bench-overhead serve` does — lighttpd does not).
    #[arg(long, default_value = "download", value_parser = parse_workload)]
    pub workload: Workload,
    /// keepalive, churn: counted requests per connection (churn: per connection slot) after the
    /// warm-up.
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    pub requests: Option<u64>,
    /// keepalive, churn: how long connections ask, warm-up included (10s when neither this nor
    /// --requests is given).
    #[arg(long, value_parser = parse_timeout)]
    pub duration: Option<Duration>,
    /// keepalive, churn: requests due in this first part of --duration are made but not counted.
    #[arg(long, value_parser = parse_duration)]
    pub warmup: Option<Duration>,
    /// keepalive and churn, open loop: requests per second over all connections (e.g. 2000).
    /// Each connection sends on a fixed schedule (one request every connections/R, phases
    /// spread), never before a request's time (churn opens its next connection at once and sends
    /// on it then); latency counts from the intended send time (coordinated omission corrected),
    /// with the latency from the actual send beside it. Needs --duration (or its default); a
    /// schedule the client or server could not keep is said in the output.
    #[arg(long, value_name = "R", allow_negative_numbers = true, value_parser = parse_rate)]
    pub rate: Option<f64>,
    /// upload: body bytes per connection (e.g. 1MiB, 0 for none).
    #[arg(long, default_value = "1MiB", value_parser = parse_bytes)]
    pub upload_size: u64,
    /// Bytes per recv() call (e.g. 4MiB, 64KiB, 65536), at most 1 GiB.
    #[arg(long, default_value = "4MiB", value_parser = parse_buffer_size)]
    pub buffer_size: u64,
    /// The poll model's downloads: a socket reports readable once this much of the body has
    /// arrived (SO_RCVLOWAT; the rest of the body near its end, none for a connection gone quiet),
    /// so the loop wakes for useful amounts, not every few KiB. 1: a plain loop, woken at any data.
    #[arg(long, default_value = "256KiB", value_parser = parse_low_water)]
    pub low_water: u32,
    /// Limit for connecting and for each wait for data: a job that receives nothing for this long
    /// fails (e.g. 30s, 500ms; 1ms to 7 days).
    #[arg(long, default_value = DEFAULT_TIMEOUT, value_parser = parse_timeout)]
    pub timeout: Duration,
    /// Speed floor, as curl's --speed-limit with --speed-time = --timeout: a job that moves fewer
    /// bytes per second than this over a --timeout window fails ("too slow", with its rate), so a
    /// server dripping bytes cannot keep a job alive until --run-timeout (e.g. 1KiB, 0 for none).
    #[arg(long, default_value = "100", value_parser = parse_bytes)]
    pub speed_limit: u64,
    /// Limit for a whole run of one variant: jobs not finished by then fail, so even a server that
    /// drips bytes forever cannot hang the run (1ms to 7 days).
    #[arg(long, default_value = DEFAULT_RUN_TIMEOUT, value_parser = parse_timeout)]
    pub run_timeout: Duration,
    /// Print one JSON object per variant run on stdout instead of text.
    #[arg(long)]
    pub json: bool,
    /// Append DIR/jobs.csv and DIR/runs.csv (written after each run).
    #[arg(long, value_name = "DIR")]
    pub csv_dir: Option<PathBuf>,
    /// Append job rows to this file only (bench-overhead.sh joins the run row with memmon's figures).
    #[arg(long, value_name = "FILE", hide = true)]
    pub jobs_csv: Option<PathBuf>,
    /// Run identifier joining CSV rows; generated when omitted (suffixed with the variant when both run).
    #[arg(long)]
    pub run_id: Option<String>,
    /// Network path label; "loopback" for 127.0.0.0/8 and ::1, otherwise "network", when omitted.
    #[arg(long)]
    pub network: Option<String>,
}

/// A number; whether it is a rate a run can keep is `Schedule::check`'s to say, with the
/// connection count it needs.
fn parse_rate(text: &str) -> Result<f64, String> {
    text.trim()
        .parse()
        .map_err(|_| "give requests per second as a number, e.g. 2000 or 1.5e4".to_string())
}

fn parse_workload(text: &str) -> Result<Workload, String> {
    text.parse()
}

fn parse_model(text: &str) -> Result<ModelSpec, String> {
    text.parse()
}

/// The models a run asks for: `--variant` (a bare `poll` takes `--backend`), or every model this OS
/// supports with its native backend.
fn models(asked: &[ModelSpec], backend: Option<Backend>) -> Vec<ModelSpec> {
    if asked.is_empty() {
        return ModelSpec::defaults();
    }
    asked
        .iter()
        .map(|spec| match (spec.variant, backend) {
            (bench_records::Variant::Poll, Some(backend)) => ModelSpec {
                variant: spec.variant,
                backend: Some(backend),
            },
            _ => *spec,
        })
        .collect()
}

fn parse_backend(text: &str) -> Result<Backend, String> {
    let backend: Backend = text.parse()?;
    // The same check as `poll:BACKEND`.
    ModelSpec::from_str(&format!("poll:{text}"))?;
    Ok(backend)
}

/// A request path goes into the request line as is: it must start with `/` and hold no spaces or
/// control characters, or the request would be malformed.
fn parse_request_path(text: &str) -> Result<String, String> {
    if text.starts_with('/') && !text.chars().any(|c| c.is_whitespace() || c.is_control()) {
        Ok(text.to_string())
    } else {
        Err("use an absolute path without spaces, e.g. /testpayload".to_string())
    }
}

/// A receive buffer size: a recv never returns more than a socket buffer holds, so more than
/// 1 GiB only costs memory (the threaded variant allocates one per thread).
fn parse_buffer_size(text: &str) -> Result<u64, String> {
    let bytes = parse_bytes(text)?;
    if bytes > crate::units::GIB {
        return Err("at most 1GiB: use e.g. 4MiB".to_string());
    }
    Ok(bytes)
}

/// A low-water mark: at least one byte, and at most 64 MiB (Linux caps it at half its largest
/// receive buffer in any case).
fn parse_low_water(text: &str) -> Result<u32, String> {
    let bytes = parse_bytes(text)?;
    if bytes == 0 || bytes > 64 * crate::units::MIB {
        return Err("give 1 byte (off) to 64MiB, e.g. 256KiB".to_string());
    }
    Ok(bytes as u32)
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to bind; anything but loopback is served only when asked, with a warning.
    #[arg(long, default_value = "127.0.0.1")]
    pub address: IpAddr,
    /// Port to bind (0 picks a free one and prints it).
    #[arg(long, short = 'p', default_value_t = 8000)]
    pub port: u16,
    /// Folder whose regular files are served.
    #[arg(long, default_value = "payloads")]
    pub root: PathBuf,
    /// Misbehave on purpose, for testing clients. Faults apply to GET requests for files that
    /// exist; HEAD and error responses stay correct. "Half the body" is the file size / 2,
    /// rounded down.
    #[arg(long, value_enum)]
    pub fault: Option<Fault>,
    /// Close connections that read or wrote nothing for this long (waiting for a request, or
    /// for a client that stopped reading); a stall fault is exempt.
    #[arg(long, default_value = "30s", value_parser = parse_duration)]
    pub idle_timeout: Duration,
    /// Answer 408 and close when a request head is not complete this long after its first byte,
    /// however steadily bytes trickle in (as nginx's client_header_timeout); a benchmark client
    /// sends its head in one write.
    #[arg(long, default_value = "10s", value_parser = parse_duration)]
    pub header_timeout: Duration,
    /// Largest PUT/POST body accepted (e.g. 1GiB, 64MiB). Bodies are counted and discarded: the
    /// answer is 200 with the byte count and a newline as its body ("1048576\n"); a
    /// Content-Length over this is answered 413 before any of the body is read, none at all 411.
    #[arg(long, default_value = "1GiB", value_parser = parse_bytes)]
    pub max_upload: u64,
}

#[derive(Debug, Args)]
pub struct PayloadArgs {
    /// Size (e.g. 200MiB, 5MiB, 1024).
    #[arg(long, value_parser = parse_bytes)]
    pub size: u64,
    /// File to write.
    #[arg(long)]
    pub out: PathBuf,
}

#[derive(Debug, Args)]
pub struct SummarizeArgs {
    /// A results folder written by bench-overhead.sh.
    pub results: PathBuf,
    /// Also write the summary as markdown to this file.
    #[arg(long, value_name = "FILE")]
    pub markdown: Option<PathBuf>,
    /// Print the summary as one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FormatArg {
    Markdown,
    Csv,
    Json,
}

#[derive(Debug, Args)]
pub struct CompareArgs {
    /// Results folders or runs.csv files, from any number of machines (none needed with --reference).
    #[arg(required_unless_present = "reference")]
    pub results: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value = "markdown")]
    pub format: FormatArg,
    /// Add p50/p99 transfer, aggregate GiB/s, CPU s/GiB, syscalls/MiB, context switches, peak RSS, spread.
    #[arg(long)]
    pub extended: bool,
    /// Write SVG charts into this folder.
    #[arg(long, value_name = "DIR")]
    pub chart: Option<PathBuf>,
    /// Add the old suite's published rows, marked "(published)".
    #[arg(long)]
    pub reference: bool,
}

/// What `main.rs` runs: one engine and its configuration.
pub enum Job {
    Run(ClientConfig),
    Serve(ServeConfig),
    Payload(PayloadConfig),
    Summarize(SummarizeConfig),
    Compare(CompareConfig),
    Meta,
    Suite(crate::suite::Step),
}

/// Parses the command line (clap's errors exit 2) into the job to run. The matches are kept long
/// enough to tell a `--connections` given from its built-in default.
pub fn parse() -> Job {
    let matches = Cli::command().get_matches();
    let cli = Cli::from_arg_matches(&matches).unwrap_or_else(|err| err.exit());
    let connections_given = matches
        .subcommand_matches("run")
        .and_then(|run| run.value_source("connections"))
        .is_some_and(|source| source != clap::parser::ValueSource::DefaultValue);
    let mut job = Job::from(cli.command);
    if let Job::Run(config) = &mut job {
        config.connections_given = connections_given;
    }
    job
}

impl From<Command> for Job {
    fn from(command: Command) -> Job {
        match command {
            Command::Run(a) => Job::Run(ClientConfig {
                models: models(&a.variant, a.backend),
                speed_limit: a.speed_limit,
                connections: a.connections,
                connections_given: true,
                threads: a.threads,
                address: a.address,
                port: a.port,
                path: a
                    .path
                    .unwrap_or_else(|| a.workload.default_path().to_string()),
                workload: a.workload,
                requests: a.requests,
                duration: a.duration,
                warmup: a.warmup,
                rate: a.rate,
                upload_size: a.upload_size,
                buffer_size: a.buffer_size,
                low_water: a.low_water,
                timeout: a.timeout,
                run_timeout: a.run_timeout,
                json: a.json,
                csv_dir: a.csv_dir,
                jobs_csv: a.jobs_csv,
                run_id: a.run_id,
                network: a.network,
            }),
            Command::Serve(a) => Job::Serve(ServeConfig {
                address: a.address,
                port: a.port,
                root: a.root,
                fault: a.fault,
                idle_timeout: a.idle_timeout,
                header_timeout: a.header_timeout,
                max_upload: a.max_upload,
            }),
            Command::Payload(a) => Job::Payload(PayloadConfig {
                size: a.size,
                out: a.out,
            }),
            Command::Summarize(a) => Job::Summarize(SummarizeConfig {
                results: a.results,
                markdown: a.markdown,
                json: a.json,
            }),
            Command::Compare(a) => Job::Compare(CompareConfig {
                results: a.results,
                format: match a.format {
                    FormatArg::Markdown => CompareFormat::Markdown,
                    FormatArg::Csv => CompareFormat::Csv,
                    FormatArg::Json => CompareFormat::Json,
                },
                extended: a.extended,
                chart: a.chart,
                reference: a.reference,
            }),
            Command::Meta => Job::Meta,
            Command::Suite(a) => Job::Suite(a.step.into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The defaults meta.json names are the ones `run` applies.
    #[test]
    fn the_recorded_defaults_are_runs_defaults() {
        let cli = Cli::parse_from(["bench-overhead", "run"]);
        let Job::Run(run) = Job::from(cli.command) else {
            panic!("not the run subcommand");
        };
        assert_eq!(run.timeout, parse_timeout(DEFAULT_TIMEOUT).unwrap());
        assert_eq!(run.run_timeout, parse_timeout(DEFAULT_RUN_TIMEOUT).unwrap());
        assert_eq!(run.models, ModelSpec::defaults());
        assert_eq!(run.speed_limit, 100);
        // As README.md and results/README.md state them.
        assert_eq!((DEFAULT_TIMEOUT, DEFAULT_RUN_TIMEOUT), ("30s", "10m"));
    }
}
