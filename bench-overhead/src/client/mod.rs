//! `bench-overhead run`: download a payload over N concurrent connections with each I/O model,
//! time every phase of every job, count every system call, and report the run.
//!
//! Two axes: `exchange.rs` says what one connection does (sans-IO, written once); `model/` moves
//! the bytes (threaded, poll with a readiness backend, uring). `phases.rs` is the one phase table,
//! `syscalls.rs` the counted kinds, `net.rs` the counted socket calls, `job.rs` what models share.
//! `summary.rs` turns an outcome into a [`RunRecord`]; exporters in `crate::export` print it.
//!
//! Nothing but the measured work runs while a model runs: job rows stay in memory and are written
//! after it, and when several models are asked for, each runs in a child process of its own
//! (`children.rs`), so one model's threads and heap cannot leak into the next one's CPU and memory
//! figures.

mod children;
mod config;
mod exchange;
mod interrupt;
mod job;
mod latency;
// The suite checks a sweep step against the same limit before it runs.
pub(crate) mod limits;
mod measure;
pub mod model;
mod net;
mod pace;
mod phases;
pub mod strace;
mod summary;
pub mod syscalls;
mod tcp_info;
mod workload;

pub use config::{
    parse_timeout, ClientConfig, DEFAULT_CONNECTIONS, DEFAULT_CONNECTIONS_FROM_BUILD,
    DEFAULT_RUN_TIMEOUT, DEFAULT_TIMEOUT,
};
pub use workload::Workload;

use std::io::Write;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::Context;

use crate::export::{json, text};
use crate::host::Host;
use bench_records::{Appender, JobRecord, RunRow, Variant};
use bench_sys::rusage::Usage;
use model::ModelSpec;

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Runs each requested model and reports it. Exit status: 0 when every job of every run
/// succeeded, 1 when any failed (the records are printed and written all the same), 130 (143)
/// when SIGINT (SIGTERM) cut it short. Setup errors (open-file limit, unwritable CSV folder) are
/// returned before any connection is opened.
pub fn run(args: ClientConfig) -> anyhow::Result<ExitCode> {
    // Bad request-rate flags are refused before anything runs.
    let asked = workload::Asked {
        requests: args.requests,
        duration: args.duration,
        warmup: args.warmup,
        rate: args.rate,
    };
    let schedule =
        workload::Schedule::check(args.workload, asked, args.connections, args.run_timeout)
            .map_err(anyhow::Error::msg)?;
    interrupt::install().context("cannot install the SIGINT/SIGTERM handlers")?;
    limits::ensure_room_for(args.connections)?;
    // A count nobody typed is said, with where it came from; one given with `--connections` (as
    // the suite and the per-model child processes give it) is not repeated.
    if !args.connections_given {
        eprintln!(
            "bench-overhead run: {} connections ({})",
            args.connections,
            config::default_connections_origin()
        );
    }
    if let [spec] = args.models[..] {
        let run_id = args
            .run_id
            .clone()
            .unwrap_or_else(|| format!("{}-{}", unix_now(), std::process::id()));
        return run_one(&args, spec, run_id, schedule);
    }
    children::run_each(&args, &args.models)
}

/// Runs one model in this process and writes its rows.
fn run_one(
    args: &ClientConfig,
    spec: ModelSpec,
    run_id: String,
    schedule: workload::Schedule,
) -> anyhow::Result<ExitCode> {
    let mut jobs_out = Vec::new();
    let mut runs_out = None;
    if let Some(dir) = &args.csv_dir {
        jobs_out.push(Appender::<JobRecord>::open_in_new_folder(
            &dir.join("jobs.csv"),
        )?);
        runs_out = Some(Appender::<RunRow>::open_in_new_folder(
            &dir.join("runs.csv"),
        )?);
    }
    if let Some(file) = &args.jobs_csv {
        jobs_out.push(Appender::open_in_new_folder(file)?);
    }
    let host = Host::detect();
    let network = args
        .network
        .clone()
        .unwrap_or_else(|| summary::default_network(args.address).to_string());
    let mut target = job::Target {
        address: SocketAddr::new(args.address, args.port),
        request: job::request_bytes(args, args.workload),
        workload: args.workload,
        upload_size: args.upload_size,
        stop: exchange::Stop::default(),
        open_loop: None,
        buffer_size: usize::try_from(args.buffer_size).context("--buffer-size too large")?,
        low_water: args.low_water,
        timeout: args.timeout,
        run_timeout: args.run_timeout,
        speed_limit: args.speed_limit,
        run_id: run_id.into(),
        variant: spec.variant.name().into(),
        backend: spec.backend_name().into(),
    };
    let started_unix_s = unix_now();
    // The schedule counts from here, the models' start.
    let now = std::time::Instant::now();
    target.stop = exchange::Stop {
        requests: schedule.requests,
        until: schedule.duration.map(|d| now + d),
        warmup_until: Some(now + schedule.warmup).filter(|_| !schedule.warmup.is_zero()),
    };
    target.open_loop = schedule.rate.map(|rate| pace::OpenLoop {
        start: now,
        rate,
        connections: args.connections,
        first_job: 0,
    });
    let before = Usage::of_self().unwrap_or_default();
    if spec.variant == Variant::Threaded && args.threads > 1 {
        eprintln!(
            "bench-overhead: the threaded model runs one thread per connection: --threads {} is ignored",
            args.threads
        );
    }
    let loops = |first: u32, share: u32| -> anyhow::Result<Option<job::Outcome>> {
        let mut target = target.clone();
        if let Some(open_loop) = &mut target.open_loop {
            open_loop.first_job = first;
        }
        match spec.variant {
            Variant::Threaded => Ok(Some(model::threaded::run(&Arc::new(target.clone()), share))),
            Variant::Poll => {
                let backend = spec.backend.unwrap_or_else(model::Backend::native);
                model::readiness::run(&target, share, backend).map(Some)
            }
            #[cfg(target_os = "linux")]
            Variant::Uring => model::uring::run(&target, share),
            #[cfg(not(target_os = "linux"))]
            Variant::Uring => anyhow::bail!("the uring model needs Linux (io_uring)"),
        }
    };
    let threads = if spec.variant == Variant::Threaded {
        1
    } else {
        args.threads
    };
    let Some(outcome) = model::loops::run_loops(threads, args.connections, loops)? else {
        return Ok(ExitCode::SUCCESS);
    };
    let usage = Usage::of_self().unwrap_or_default().since(&before);
    let first_error = outcome
        .jobs
        .iter()
        .find_map(|job| job.error.as_ref())
        .map(ToString::to_string)
        .unwrap_or_default();
    let context = summary::RunContext {
        args,
        host: &host,
        network: &network,
        started_unix_s,
    };
    let record = summary::run_record(&context, &target, &outcome, &usage);

    // The run is over: now the rows are written.
    let mut write_error = None;
    for appender in &mut jobs_out {
        for job in &outcome.jobs {
            if let Err(err) = appender.append(job) {
                write_error.get_or_insert(err);
                break;
            }
        }
    }
    if let Some(appender) = &mut runs_out {
        if let Err(err) = appender.append(&RunRow::from(&record)) {
            write_error.get_or_insert(err);
        }
    }
    let mut stdout = std::io::stdout().lock();
    if args.json {
        json::write_line(&mut stdout, &record)?;
    } else {
        write!(stdout, "{}", text::summary(&record))?;
        stdout.flush()?;
    }
    if let Some(missed) = record
        .requests
        .as_ref()
        .and_then(|r| r.schedule_missed.as_ref())
    {
        eprintln!("bench-overhead: {spec}: {missed}");
    }
    if let Some(advice) = summary::advice(std::slice::from_ref(&record), &first_error, args) {
        eprintln!("bench-overhead: {advice}");
    }
    if let Some(err) = write_error {
        return Err(err.into());
    }
    Ok(if record.interrupted {
        ExitCode::from(interrupt::exit_status())
    } else if record.jobs_failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
