//! The run: start the child, sample it until it ends, report.

use std::fs::File;
use std::io::Write;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};

use crate::beside::Beside;
use crate::child::{Child, Reaped};
use crate::cli::Cli;
use crate::csv_out::CsvSink;
use crate::pending::Pending;
use crate::sampler::{Sample, Sampler};
use crate::signals::Signals;
use crate::stats::Stats;
use crate::summary::{self, Report};

/// memmon's exit code when it could not do its own job (open or write its outputs), as GNU
/// `env`/`timeout` do: distinct from the command's 126/127 and from most commands' own codes.
pub const OWN_FAILURE: u8 = 125;

/// Runs the whole monitor and returns memmon's exit code. Every error is reported here, on one line.
pub fn run(cli: Cli) -> u8 {
    match Monitor::prepare(&cli) {
        Ok(monitor) => monitor.run(&cli),
        Err(e) => {
            eprintln!("memmon: {e:#}");
            OWN_FAILURE
        }
    }
}

struct Monitor {
    output: Option<File>,
    csv: Option<CsvSink>,
    signals: Signals,
}

impl Monitor {
    /// Everything that can fail before the child starts, so a bad path never costs a run.
    fn prepare(cli: &Cli) -> Result<Monitor> {
        let output = cli
            .output
            .as_ref()
            .map(|path| {
                File::create(path)
                    .with_context(|| format!("cannot create output file {}", path.display()))
            })
            .transpose()?;
        let csv = cli
            .csv
            .as_ref()
            .map(|path| CsvSink::open(path, &cli.run_id))
            .transpose()?;
        Sampler::check_available()?;
        Beside::check(cli)?;
        let signals = Signals::install().context("cannot install signal handlers")?;
        Ok(Monitor {
            output,
            csv,
            signals,
        })
    }

    fn run(mut self, cli: &Cli) -> u8 {
        let mut beside = Beside::start(cli);
        let child = match Child::spawn(&cli.command) {
            Ok(child) => child,
            Err(e) => {
                eprintln!("{}", e.message);
                // Nothing was measured: leave no empty summary file behind.
                if let Some(path) = &cli.output {
                    let _ = std::fs::remove_file(path);
                }
                return e.exit_code;
            }
        };
        let start = Instant::now();
        let mut sampler = Sampler::new(cli.sampler, child.pid(), cli.interval, cli.pss_budget);
        let mut stats = Stats::default();

        let (reaped, elapsed) = match self.sample_until_exit(
            &child,
            &mut sampler,
            &mut beside,
            &mut stats,
            cli.interval,
            start,
        ) {
            Ok(ended) => ended,
            Err(e) => {
                eprintln!("memmon: cannot wait for the command: {e}");
                return OWN_FAILURE;
            }
        };
        let elapsed_ms = elapsed.as_millis() as u64;
        // A CSV write failed mid-run (reported when it happened): the results are incomplete.
        let mut own_failure = self.csv.is_none() && cli.csv.is_some();

        let mut summary = summary::new(
            &stats,
            cli.interval.as_millis() as u64,
            elapsed_ms,
            &reaped,
            sampler.high_water_mark(),
            crate::child::own_usage(),
        );
        beside.finish(elapsed_ms, &mut summary);
        let warning = summary.schedule_warning();
        if let (Some(warning), true, false) = (&warning, cli.json, cli.quiet) {
            eprintln!("{warning}");
        }
        let text = if cli.json {
            summary.to_json()
        } else {
            summary.to_text(&command_line(cli))
        };
        let written = match &mut self.output {
            Some(file) => file.write_all(text.as_bytes()).and_then(|()| file.flush()),
            None if cli.quiet => Ok(()),
            None => std::io::stderr().write_all(text.as_bytes()),
        };
        if let Err(e) = written {
            eprintln!("memmon: cannot write the summary: {e}");
            own_failure = true;
        }
        if own_failure {
            OWN_FAILURE
        } else {
            reaped.ending.exit_code()
        }
    }

    /// The sampling loop. First sample right after spawn, then one every `interval`; the child's
    /// exit (SIGCHLD) and forwarded signals wake the loop at once, so the exit is never noticed
    /// late. The child is reaped here and only here. Returns it and the time from spawn to its
    /// reaping.
    ///
    /// A sample is recorded (counted, written to the CSV) once what was read for it in the
    /// background (PSS) is back, or no longer waited for ([`Pending`]).
    fn sample_until_exit(
        &mut self,
        child: &Child,
        sampler: &mut Sampler,
        beside: &mut Beside,
        stats: &mut Stats,
        interval: Duration,
        start: Instant,
    ) -> std::io::Result<(Reaped, Duration)> {
        let mut next_sample = start;
        let mut pending = Pending::default();
        // Whether a signal (SIGCHLD, SIGINT, SIGTERM, SIGHUP) may have arrived: then pending
        // signals are forwarded and the child checked before anything else. A wait that merely
        // timed out goes straight to the sample, which checks the child right after reading it.
        let mut signalled = true;
        let reaped = loop {
            if signalled {
                for signal in self.signals.take_pending() {
                    child.signal(signal);
                }
                if let Some(reaped) = child.try_reap()? {
                    break reaped;
                }
            }
            let now = Instant::now();
            if now < next_sample {
                signalled = self.signals.wait(next_sample - now);
                continue;
            }
            self.record(stats, pending.take_ready(sampler, false));
            let elapsed_ms = now.duration_since(start).as_millis() as u64;
            let sample = sampler.sample();
            // The child may have exited while it was read: such a sample may describe an address
            // space being torn down, so it is dropped rather than counted.
            if let Some(reaped) = child.try_reap()? {
                break reaped;
            }
            beside.sample(elapsed_ms);
            if let Some(sample) = sample {
                pending.push(sample, elapsed_ms, sampler);
            }
            // After a stall (a stopped memmon, an overloaded machine) resume the rhythm from now
            // instead of taking a burst of catch-up samples.
            next_sample += interval;
            if next_sample <= now {
                next_sample = now + interval;
            }
            signalled = false;
        };
        let elapsed = start.elapsed();
        // A reading still in flight is waited for, within the sampler's answer limit.
        self.record(stats, pending.take_ready(sampler, true));
        Ok((reaped, elapsed))
    }

    /// Adds completed samples to the figures and appends them to the CSV.
    fn record(&mut self, stats: &mut Stats, ready: Vec<(Sample, u64)>) {
        for (sample, elapsed_ms) in ready {
            stats.add(&sample, elapsed_ms);
            self.write_csv(elapsed_ms, &sample);
        }
    }

    /// Appends the sample to the CSV; on failure says so once and stops writing (the summary is
    /// still produced, and memmon exits with [`OWN_FAILURE`]).
    fn write_csv(&mut self, elapsed_ms: u64, sample: &Sample) {
        if let Some(csv) = &mut self.csv {
            if let Err(e) = csv.write(elapsed_ms, sample) {
                eprintln!("memmon: {e:#}; no further rows are written");
                self.csv = None;
            }
        }
    }
}

/// The command as typed, for the text summary.
fn command_line(cli: &Cli) -> String {
    cli.command
        .iter()
        .map(|a| a.to_string_lossy())
        .collect::<Vec<_>>()
        .join(" ")
}
