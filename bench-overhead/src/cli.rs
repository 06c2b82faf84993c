//! Command-line interface: every subcommand and its arguments, nothing else.
//!
//! Parsing lives here so that `main.rs` reads as a table of contents and each subcommand's module
//! receives typed, validated arguments. Bad arguments are clap's errors (exit 2).

use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use bench_records::{MetaStatus, Variant};
use clap::builder::{PossibleValue, PossibleValuesParser, TypedValueParser};
use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::client::MIN_WAIT;
use crate::units::{parse_bytes, parse_duration};

/// The connection count baked in at build time (`make NO_CONNECTIONS=n`), as the old suite did.
pub const DEFAULT_CONNECTIONS: &str = match option_env!("NO_CONNECTIONS") {
    Some(n) => n,
    None => "100",
};

/// `run --timeout`'s default; `suite begin` records it in meta.json when `TIMEOUT` is unset.
pub const DEFAULT_TIMEOUT: &str = "30s";

/// `run --run-timeout`'s default; `suite begin` records it in meta.json when `RUN_TIMEOUT` is unset.
pub const DEFAULT_RUN_TIMEOUT: &str = "10m";

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
    Meta(MetaArgs),
    /// The steps bench-overhead.sh runs between iterations (check, begin, record, finish).
    #[command(hide = true)]
    Suite(crate::suite::SuiteArgs),
}

/// The variants by name, each with its description as help (as `ValueEnum` would show it).
fn variant_parser() -> impl TypedValueParser<Value = Variant> {
    PossibleValuesParser::new(
        Variant::ALL.map(|v| PossibleValue::new(v.name()).help(v.description())),
    )
    .try_map(|name| name.parse::<Variant>())
}

/// meta.json's status by name.
pub(crate) fn status_parser() -> impl TypedValueParser<Value = MetaStatus> {
    PossibleValuesParser::new(MetaStatus::ALL.map(|s| PossibleValue::new(s.name())))
        .try_map(|name| name.parse::<MetaStatus>())
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// I/O variant to run; both, one after the other, when omitted.
    #[arg(long, value_parser = variant_parser())]
    pub variant: Option<Variant>,
    /// Concurrent connections (one download each).
    #[arg(long, short = 'c', default_value = DEFAULT_CONNECTIONS, value_parser = clap::value_parser!(u32).range(1..))]
    pub connections: u32,
    /// Server address (IPv4 or IPv6).
    #[arg(long, default_value = "127.0.0.1")]
    pub address: IpAddr,
    /// Server port.
    #[arg(long, short = 'p', default_value_t = 8000, value_parser = clap::value_parser!(u16).range(1..))]
    pub port: u16,
    /// Path requested from the server.
    #[arg(long, default_value = "/testpayload", value_parser = parse_request_path)]
    pub path: String,
    /// Bytes per recv() call (e.g. 4MiB, 64KiB, 65536), at most 1 GiB.
    #[arg(long, default_value = "4MiB", value_parser = parse_buffer_size)]
    pub buffer_size: u64,
    /// Limit for connecting and for each wait for data: a job that receives nothing for this long
    /// fails (e.g. 30s, 500ms; 1ms to 7 days).
    #[arg(long, default_value = DEFAULT_TIMEOUT, value_parser = parse_timeout)]
    pub timeout: Duration,
    /// Limit for a whole run of one variant: jobs not finished by then fail, so even a server that
    /// drips bytes forever cannot hang the run (1ms to 7 days).
    #[arg(long, default_value = DEFAULT_RUN_TIMEOUT, value_parser = parse_timeout)]
    pub run_timeout: Duration,
    /// Print one JSON object per variant run on stdout instead of text.
    #[arg(long)]
    pub json: bool,
    /// Append DIR/jobs.csv (as jobs finish) and DIR/runs.csv (per run).
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

/// A request path goes into the request line as is: it must start with `/` and hold no spaces or
/// control characters, or the request would be malformed.
fn parse_request_path(text: &str) -> Result<String, String> {
    if text.starts_with('/') && !text.chars().any(|c| c.is_whitespace() || c.is_control()) {
        Ok(text.to_string())
    } else {
        Err("use an absolute path without spaces, e.g. /testpayload".to_string())
    }
}

/// A client timeout: a duration of at least [`MIN_WAIT`] (1 ms), the shortest wait the client can
/// keep on every OS. `suite begin` checks `TIMEOUT` and `RUN_TIMEOUT` with it too.
pub(crate) fn parse_timeout(text: &str) -> Result<Duration, String> {
    let duration = parse_duration(text)?;
    if duration < MIN_WAIT {
        return Err(format!(
            "`{text}` is too short: at least 1ms (socket and poll timeouts cannot keep less)"
        ));
    }
    Ok(duration)
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

/// Deliberate server faults, one per run, so client tests can observe each failure mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Fault {
    /// Send the head (Content-Length = file size), then nothing; the connection stays open and
    /// silent until the client closes it (--idle-timeout does not end a stall).
    StallAfterHeaders,
    /// Send the head and half the body, then nothing, as stall-after-headers.
    StallMidBody,
    /// Send the head and half the body, then close normally (FIN): fewer bytes than
    /// Content-Length promised.
    Truncate,
    /// Announce half the file size in Content-Length, send the whole file, then close (FIN):
    /// the body is longer than announced.
    WrongLength,
    /// Answer "500 Internal Server Error" with a short text body, then close.
    #[value(name = "status-500")]
    Status500,
    /// Answer "GARBAGE STATUS LINE" and a blank line (no HTTP status line at all), then close.
    GarbageStatus,
    /// Send the head and at most half the body, then reset the connection (RST via SO_LINGER 0;
    /// what the kernel had not sent yet is discarded).
    ResetMidBody,
    /// Send the whole, correct body in chunks of at most 4 KiB with 10 ms pauses between them
    /// (about 400 KiB/s per connection).
    SlowDrip,
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
pub enum CompareFormat {
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
    pub format: CompareFormat,
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

#[derive(Debug, Args)]
pub struct MetaArgs {}
