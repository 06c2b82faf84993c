//! `bench-overhead run`: download a payload over N concurrent connections with each I/O variant,
//! time every phase of every job, and report the run.
//!
//! - `threaded.rs` and `poll.rs`: the two variants, each handing back an [`job::Outcome`].
//! - `http.rs`: the request and the checks on the response; `job.rs`: what the variants share;
//!   `connect.rs`: sockets and connects, the same in both variants.
//! - `measure.rs` (phase histograms), `counters.rs` (syscalls), `bench_sys::rusage` (CPU, context
//!   switches), `limits.rs` (room for the sockets under the open-file limit), `bench_records::Backend`
//!   (which readiness API `polling` uses here).
//! - `summary.rs`: an outcome becomes a [`RunRecord`]; exporters in `crate::export` print it.

mod buffer;
mod config;
mod connect;
mod counters;
mod http;
mod job;
mod limits;
mod measure;
mod poll;
mod summary;
// Hooked into the models once they are rewritten; tested on its own until then.
#[cfg_attr(not(test), allow(dead_code))]
mod tcp_info;
mod threaded;

pub use config::{
    parse_timeout, ClientConfig, DEFAULT_CONNECTIONS, DEFAULT_RUN_TIMEOUT, DEFAULT_TIMEOUT,
};

use std::io::Write;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::Context;

use crate::export::{json, text};
use crate::host::Host;
use bench_records::{Appender, Backend, JobRecord, RunRecord, RunRow, Variant};
use bench_sys::rusage::Usage;

/// Where the run's rows go; each is optional.
struct CsvOutputs {
    jobs: Vec<Appender<JobRecord>>,
    runs: Option<Appender<RunRow>>,
    /// The first write that failed; the run goes on and the error is reported at the end.
    error: Option<std::io::Error>,
}

impl CsvOutputs {
    fn open(args: &ClientConfig) -> anyhow::Result<CsvOutputs> {
        let mut jobs = Vec::new();
        let mut runs = None;
        if let Some(dir) = &args.csv_dir {
            jobs.push(Appender::open_in_new_folder(&dir.join("jobs.csv"))?);
            runs = Some(Appender::open_in_new_folder(&dir.join("runs.csv"))?);
        }
        if let Some(file) = &args.jobs_csv {
            jobs.push(Appender::open_in_new_folder(file)?);
        }
        Ok(CsvOutputs {
            jobs,
            runs,
            error: None,
        })
    }

    fn job(&mut self, record: &JobRecord) {
        for appender in &mut self.jobs {
            if let Err(err) = appender.append(record) {
                self.error.get_or_insert(err);
            }
        }
    }

    fn run(&mut self, record: &RunRecord) {
        if let Some(appender) = &mut self.runs {
            if let Err(err) = appender.append(&RunRow::from(record)) {
                self.error.get_or_insert(err);
            }
        }
    }
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Runs each requested variant in turn and reports it. Exit status: 0 when every job of every run
/// succeeded, 1 when any failed (the records are printed and written all the same). Setup errors
/// (open-file limit, unwritable CSV folder) are returned before any connection is opened.
pub fn run(args: ClientConfig) -> anyhow::Result<ExitCode> {
    limits::ensure_room_for(args.connections)?;
    let variants = args.variants.clone();
    let mut csv = CsvOutputs::open(&args)?;
    let host = Host::detect();
    let network = args
        .network
        .clone()
        .unwrap_or_else(|| summary::default_network(args.address).to_string());
    let base_id = args
        .run_id
        .clone()
        .unwrap_or_else(|| format!("{}-{}", unix_now(), std::process::id()));

    let mut records = Vec::new();
    let mut first_error = String::new();
    for &variant in &variants {
        let run_id = if variants.len() > 1 {
            format!("{base_id}-{}", variant.name())
        } else {
            base_id.clone()
        };
        let target = job::Target {
            address: SocketAddr::new(args.address, args.port),
            request: http::request(args.address, args.port, &args.path),
            buffer_size: usize::try_from(args.buffer_size).context("--buffer-size too large")?,
            timeout: args.timeout,
            run_timeout: args.run_timeout,
            run_id,
            variant: variant.name(),
        };
        let started_unix_s = unix_now();
        let before = Usage::of_self().unwrap_or_default();
        let mut sink = |record: &JobRecord| csv.job(record);
        let (outcome, backend) = match variant {
            Variant::Threaded => (
                threaded::run(&Arc::new(target.clone()), args.connections, &mut sink),
                Backend::Blocking,
            ),
            Variant::Poll => (
                poll::run(&target, args.connections, &mut sink)?,
                Backend::READINESS,
            ),
        };
        let usage = Usage::of_self().unwrap_or_default().since(&before);
        if first_error.is_empty() {
            if let Some(failed) = outcome.jobs.iter().find(|job| !job.ok()) {
                first_error = failed
                    .error
                    .as_ref()
                    .map(ToString::to_string)
                    .unwrap_or_default();
            }
        }
        let context = summary::RunContext {
            args: &args,
            host: &host,
            network: &network,
            backend,
            started_unix_s,
        };
        let record = summary::run_record(&context, &target, &outcome, &usage);
        csv.run(&record);
        let mut stdout = std::io::stdout().lock();
        if args.json {
            json::write_line(&mut stdout, &record)?;
        } else {
            if !records.is_empty() {
                writeln!(stdout)?;
            }
            write!(stdout, "{}", text::summary(&record))?;
            stdout.flush()?;
        }
        records.push(record);
    }

    if let Some(advice) = summary::advice(&records, &first_error, &args) {
        eprintln!("bench-overhead: {advice}");
    }
    if let Some(err) = csv.error {
        return Err(err.into());
    }
    let all_ok = records.iter().all(|r| r.jobs_failed == 0);
    Ok(if all_ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
