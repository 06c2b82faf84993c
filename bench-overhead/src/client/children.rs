//! Several models in one `run`: each runs in a child process of its own (this binary, `run` with one
//! `--variant`), one after the other, so one model's threads, heap and page cache habits cannot
//! leak into the next one's CPU and memory figures. The children inherit stdout and stderr, so
//! their output is what a single-model run prints. Run ids get the model as a suffix
//! (`ID-threaded`, `ID-poll`, `ID-poll-polling` for a backend that is not the native one).
//!
//! SIGINT/SIGTERM: the child under way gets the same signal (a `kill -INT` aimed at this process
//! must reach it too), writes its rows and ends; no later model starts.

use std::ffi::OsString;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, ExitCode, Stdio};
use std::time::Duration;

use anyhow::Context;

use crate::client::interrupt;
use crate::client::model::ModelSpec;
use crate::client::ClientConfig;

/// How often the parent looks for a signal while a child runs.
const CHECK_EVERY: Duration = Duration::from_millis(50);

pub fn run_each(args: &ClientConfig, specs: &[ModelSpec]) -> anyhow::Result<ExitCode> {
    let exe = std::env::current_exe().context("cannot find this program to run each model")?;
    let base_id = args
        .run_id
        .clone()
        .unwrap_or_else(|| format!("{}-{}", super::unix_now(), std::process::id()));
    let mut failed = false;
    let mut said: Vec<String> = Vec::new();
    for (i, spec) in specs.iter().enumerate() {
        if interrupt::requested() {
            return Ok(ExitCode::from(interrupt::exit_status()));
        }
        if i > 0 && !args.json {
            println!();
        }
        let run_id = format!("{base_id}-{}", suffix(*spec));
        let mut child = Command::new(&exe)
            .args(child_args(args, *spec, &run_id))
            .stderr(Stdio::piped())
            .spawn()
            .with_context(|| format!("cannot start {} for the {spec} model", exe.display()))?;
        let stderr = child.stderr.take().map(|pipe| {
            std::thread::spawn(move || {
                BufReader::new(pipe)
                    .lines()
                    .map_while(Result::ok)
                    .collect::<Vec<_>>()
            })
        });
        let status = wait(child)?;
        // The same advice from every model ("no server at …") is said once.
        for line in stderr.and_then(|t| t.join().ok()).unwrap_or_default() {
            if !said.contains(&line) {
                eprintln!("{line}");
                said.push(line);
            }
        }
        if interrupt::requested() {
            return Ok(ExitCode::from(interrupt::exit_status()));
        }
        failed |= !status.success();
    }
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// The run id's suffix: the model, and the backend when it is not the native one.
fn suffix(spec: ModelSpec) -> String {
    match spec.backend {
        Some(backend) if backend != crate::client::model::Backend::native() => {
            format!("{}-{}", spec.variant.name(), backend.name())
        }
        _ => spec.variant.name().to_string(),
    }
}

/// Waits for `child`, passing on SIGINT/SIGTERM.
fn wait(mut child: Child) -> anyhow::Result<std::process::ExitStatus> {
    let mut forwarded = false;
    loop {
        if let Some(status) = child
            .try_wait()
            .context("cannot wait for a model's process")?
        {
            return Ok(status);
        }
        if !forwarded && interrupt::requested() {
            forwarded = true;
            let signal = i32::from(interrupt::exit_status()) - 128;
            // SAFETY: kill(2) on the pid of a child not yet reaped (try_wait saw it running), so
            // the pid cannot have been reused; it touches no memory of this process.
            unsafe {
                libc::kill(child.id() as libc::pid_t, signal);
            }
        }
        std::thread::sleep(CHECK_EVERY);
    }
}

/// `run` with `args`' settings and one model.
fn child_args(args: &ClientConfig, spec: ModelSpec, run_id: &str) -> Vec<OsString> {
    let mut out: Vec<OsString> = Vec::new();
    let mut pair = |flag: &str, value: String| {
        out.push(flag.into());
        out.push(value.into());
    };
    let micros = |d: Duration| format!("{}us", d.as_micros());
    pair("--variant", spec.to_string());
    pair("--connections", args.connections.to_string());
    pair("--address", args.address.to_string());
    pair("--port", args.port.to_string());
    pair("--path", args.path.clone());
    pair("--workload", args.workload.to_string());
    pair("--threads", args.threads.to_string());
    pair("--upload-size", args.upload_size.to_string());
    if let Some(requests) = args.requests {
        pair("--requests", requests.to_string());
    }
    if let Some(duration) = args.duration {
        pair("--duration", micros(duration));
    }
    if let Some(warmup) = args.warmup {
        pair("--warmup", micros(warmup));
    }
    if let Some(rate) = args.rate {
        // Rust prints an f64 so that it parses back to the same value.
        pair("--rate", rate.to_string());
    }
    pair("--buffer-size", args.buffer_size.to_string());
    pair("--low-water", args.low_water.to_string());
    pair("--timeout", micros(args.timeout));
    pair("--run-timeout", micros(args.run_timeout));
    pair("--speed-limit", args.speed_limit.to_string());
    pair("--run-id", run_id.to_string());
    if let Some(network) = &args.network {
        pair("--network", network.clone());
    }
    out.insert(0, "run".into());
    if args.json {
        out.push("--json".into());
    }
    if let Some(dir) = &args.csv_dir {
        out.push("--csv-dir".into());
        out.push(dir.into());
    }
    if let Some(file) = &args.jobs_csv {
        out.push("--jobs-csv".into());
        out.push(file.into());
    }
    out
}
