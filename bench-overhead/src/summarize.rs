//! `bench-overhead summarize RESULTS`: the old suite's per-variant summary of a results folder, plus
//! how much each figure varies over the iterations.
//!
//! The averages are the old suite's, defined in `crate::averages` and shared with `compare`, so the
//! two commands print the same figures for the same folder: job figures (socket creation, job
//! setup, receive time, per-job speed) are means over every successful job of every run pooled
//! together; run time, aggregate speed and memory are means over the runs in which every job
//! succeeded (every run when none did). Job figures come from `jobs.csv` (exact per-job values); a
//! run without job rows, or with a job row that does not parse, takes its `runs.csv` means. The
//! spread is the coefficient of variation (sample standard deviation / mean) of the per-run values:
//! above 10 % a figure is too noisy to compare without more iterations.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs;
use std::path::Path;
use std::process::ExitCode;

use anyhow::{bail, Context};
use serde::Serialize;

use crate::averages::{self, cv, mean, JobSum, RunSelection};
use crate::cli::SummarizeArgs;
use crate::export::csv::read_rows;
use crate::record::{JobRecord, RunRow};
use crate::units::{format_bytes, format_nanos};

/// A figure whose coefficient of variation over runs exceeds this is flagged.
pub const CV_WARNING: f64 = 0.10;

/// One figure: its value and its spread over runs (`None` with fewer than two runs).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Figure {
    pub value: f64,
    pub cv: Option<f64>,
}

/// The summary of one variant over every run of it in the folder.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VariantSummary {
    pub variant: String,
    pub backend: String,
    pub connections: Vec<u32>,
    pub server: String,
    pub network: String,
    /// Runs recorded in runs.csv.
    pub runs: usize,
    /// Iterations that left no run record (the client crashed or was killed): meta.json
    /// `failed_iterations` with `recorded: false`, or, in a complete folder, iterations missing.
    pub runs_unrecorded: usize,
    /// Iterations of each variant the suite planned (meta.json `iterations`); 0 when unknown.
    pub iterations_planned: u32,
    /// Runs in which every job succeeded (the old suite's "successful runs").
    pub runs_ok: usize,
    pub jobs: u64,
    pub jobs_ok: u64,
    pub bytes: u64,
    pub bytes_per_job: f64,
    /// Job figures; `None` when no job succeeded (printed `—`).
    pub socket_ns: Option<Figure>,
    pub setup_ns: Option<Figure>,
    pub receive_ns: Option<Figure>,
    pub job_mib_s: Option<Figure>,
    pub run_ns: Figure,
    pub aggregate_mib_s: Figure,
    /// `pss_anon` where memmon had it, else `rss` (the old suite's memory figure); "" without memmon.
    pub memory_metric: String,
    /// Runs that have memory figures.
    pub memory_runs: usize,
    /// The fewest memory samples any run had: with one or two, min/avg/max say little.
    pub memory_samples_min: u64,
    pub memory_min_bytes: Option<Figure>,
    pub memory_avg_bytes: Option<Figure>,
    pub memory_max_bytes: Option<Figure>,
    pub warnings: Vec<String>,
    /// Which runs the run figures average.
    #[serde(skip)]
    pub selection: RunSelection,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    pub results: String,
    /// meta.json's status (`complete`/`partial`), "" without meta.json.
    pub status: String,
    pub host: String,
    pub variants: Vec<VariantSummary>,
    /// Job rows whose run has no runs.csv row (an interrupted or failed iteration); left out.
    pub orphan_jobs: u64,
    pub failed_iterations: Vec<String>,
    /// jobs.csv rows that do not parse, each named with its line; left out.
    pub skipped_job_rows: Vec<String>,
}

pub fn run(args: SummarizeArgs) -> anyhow::Result<ExitCode> {
    let summary = summarize(&args.results)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&summary)?);
    } else {
        print!("{}", text(&summary));
    }
    if let Some(path) = &args.markdown {
        fs::write(path, markdown(&summary))
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(ExitCode::SUCCESS)
}

/// Reads a results folder and computes every variant's summary.
pub fn summarize(folder: &Path) -> anyhow::Result<Summary> {
    let runs_path = folder.join("runs.csv");
    if !folder.is_dir() {
        bail!(
            "{} is not a folder: pass a results folder written by bench-overhead.sh",
            folder.display()
        );
    }
    let runs: Vec<RunRow> = if runs_path.exists() {
        read_rows(&runs_path)?
    } else if folder.join("meta.json").exists() {
        Vec::new() // a suite that ended before its first run
    } else {
        bail!(
            "no runs.csv in {}: pass a results folder written by bench-overhead.sh",
            folder.display()
        );
    };
    let jobs_path = folder.join("jobs.csv");
    let jobs = if jobs_path.exists() {
        read_jobs(&jobs_path)?
    } else {
        JobRows::default()
    };
    let meta: Option<serde_json::Value> = fs::read_to_string(folder.join("meta.json"))
        .ok()
        .and_then(|text| serde_json::from_str(&text).ok());
    let meta_str = |key: &str| {
        meta.as_ref()
            .and_then(|m| m.get(key))
            .and_then(|v| v.as_str())
            .unwrap_or("")
            .to_string()
    };

    let mut jobs_by_run: BTreeMap<&str, Vec<&JobRecord>> = BTreeMap::new();
    for job in &jobs.rows {
        jobs_by_run
            .entry(job.run_id.as_str())
            .or_default()
            .push(job);
    }
    // A run missing a job row takes its figures from its runs.csv row rather than from the rest.
    for run_id in &jobs.broken_runs {
        jobs_by_run.remove(run_id.as_str());
    }
    let orphan_jobs = jobs
        .rows
        .iter()
        .filter(|job| !runs.iter().any(|r| r.run_id == job.run_id))
        .count() as u64;
    let status = meta_str("status");
    let iterations_planned = meta
        .as_ref()
        .and_then(|m| m.get("iterations"))
        .and_then(|v| v.as_u64())
        .map_or(0, |n| u32::try_from(n).unwrap_or(u32::MAX));
    let unrecorded: Vec<String> = meta
        .as_ref()
        .and_then(|m| m.get("failed_iterations"))
        .and_then(|f| f.as_array())
        .map(|list| {
            list.iter()
                .filter(|f| f.get("recorded").and_then(|r| r.as_bool()) == Some(false))
                .filter_map(|f| f.get("run_id").and_then(|v| v.as_str()))
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();

    let mut variant_names: Vec<&str> = Vec::new();
    for row in &runs {
        if !variant_names.contains(&row.variant.as_str()) {
            variant_names.push(&row.variant);
        }
    }
    let variants = variant_names
        .into_iter()
        .map(|name| {
            let rows: Vec<&RunRow> = runs.iter().filter(|r| r.variant == name).collect();
            let mut summary = summarize_variant(&rows, &jobs_by_run);
            // Run ids are `<variant>-<iteration>`.
            let prefix = format!("{name}-");
            let no_record = unrecorded
                .iter()
                .filter(|id| id.starts_with(&prefix))
                .count();
            let missing = if status == "complete" {
                (iterations_planned as usize).saturating_sub(rows.len() + no_record)
            } else {
                0
            };
            summary.runs_unrecorded = no_record + missing;
            summary.iterations_planned = iterations_planned;
            summary
        })
        .collect();

    let failed_iterations = meta
        .as_ref()
        .and_then(|m| m.get("failed_iterations"))
        .and_then(|f| f.as_array())
        .map(|list| {
            list.iter()
                .map(|f| {
                    let field = |k: &str| f.get(k).and_then(|v| v.as_str()).unwrap_or("");
                    format!("{}: {}", field("run_id"), field("reason"))
                })
                .collect()
        })
        .unwrap_or_default();
    let host = if meta.is_some() {
        format!(
            "{} {} ({}, kernel {}), {}, {} cores",
            meta_str("os"),
            meta_str("os_version"),
            meta_str("arch"),
            meta_str("kernel"),
            meta_str("cpu_model"),
            meta.as_ref()
                .and_then(|m| m.get("cores"))
                .and_then(|v| v.as_u64())
                .unwrap_or(0)
        )
    } else {
        String::new()
    };
    Ok(Summary {
        results: folder.display().to_string(),
        status,
        host,
        variants,
        orphan_jobs,
        failed_iterations,
        skipped_job_rows: jobs.skipped,
    })
}

/// The rows of jobs.csv that parse, and what was left out.
#[derive(Debug, Default)]
struct JobRows {
    rows: Vec<JobRecord>,
    /// One line per row that does not parse, naming it.
    skipped: Vec<String>,
    /// Runs that lost a job row that way.
    broken_runs: Vec<String>,
}

/// Reads jobs.csv, leaving out (and naming) rows that do not parse: one hand-edited or cut-short
/// row should not hide the summary of every other job.
fn read_jobs(path: &Path) -> anyhow::Result<JobRows> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_path(path)
        .with_context(|| format!("cannot read {}", path.display()))?;
    let header = reader
        .headers()
        .with_context(|| format!("cannot read the header of {}", path.display()))?
        .clone();
    let mut jobs = JobRows::default();
    for record in reader.records() {
        let record = match record {
            Ok(record) => record,
            Err(err) => {
                let line = err.position().map_or(0, |p| p.line());
                jobs.skipped.push(format!(
                    "{} line {line} cannot be read ({}); left out",
                    path.display(),
                    err.to_string().replace('\n', " ")
                ));
                continue;
            }
        };
        let line = record.position().map_or(0, |p| p.line());
        let parsed = if record.len() < header.len() {
            Err(format!(
                "cut short: {} of the header's {} fields",
                record.len(),
                header.len()
            ))
        } else if record.len() > header.len() {
            Err(format!(
                "{} fields where the header has {}",
                record.len(),
                header.len()
            ))
        } else {
            record
                .deserialize::<JobRecord>(Some(&header))
                .map_err(|err| match err.kind() {
                    csv::ErrorKind::Deserialize { err, .. } => {
                        let column = err
                            .field()
                            .and_then(|f| header.get(f as usize))
                            .unwrap_or("?");
                        format!("column `{column}`: {}", err.kind())
                    }
                    _ => err.to_string().replace('\n', " "),
                })
        };
        match parsed {
            Ok(job) => jobs.rows.push(job),
            Err(reason) => {
                let run_id = record.get(0).unwrap_or("").trim().to_string();
                let fallback = if run_id.is_empty() {
                    String::new()
                } else {
                    format!("; run {run_id} takes its job figures from runs.csv")
                };
                jobs.skipped.push(format!(
                    "{} line {line} is not a job row ({reason}); left out{fallback}",
                    path.display()
                ));
                if !run_id.is_empty() && !jobs.broken_runs.contains(&run_id) {
                    jobs.broken_runs.push(run_id);
                }
            }
        }
    }
    Ok(jobs)
}

/// A run's sums of the four job figures over its successful jobs.
type JobSums = [JobSum; 4];

/// Exact sums from the run's job rows.
fn sums_from_jobs(jobs: &[&JobRecord]) -> JobSums {
    let mut sums = JobSums::default();
    for job in jobs.iter().filter(|j| j.ok()) {
        let receive = job.receive_ns().unwrap_or(0);
        sums[0].add(job.socket_ns.unwrap_or(0) as f64);
        sums[1].add(job.setup_ns.unwrap_or(0) as f64);
        sums[2].add(receive as f64);
        sums[3].add(crate::units::mib_per_s(job.bytes, receive));
    }
    sums
}

/// The run's own means × its successful jobs, for a run whose job rows are missing.
fn sums_from_row(row: &RunRow) -> JobSums {
    let jobs = u64::from(row.jobs_ok);
    [
        JobSum::from_mean(row.socket_mean_ns, jobs),
        JobSum::from_mean(row.setup_mean_ns, jobs),
        JobSum::from_mean(row.receive_mean_ns, jobs),
        JobSum::from_mean(row.job_mib_s, jobs),
    ]
}

fn summarize_variant(
    rows: &[&RunRow],
    jobs_by_run: &BTreeMap<&str, Vec<&JobRecord>>,
) -> VariantSummary {
    let sums: Vec<JobSums> = rows
        .iter()
        .map(|row| match jobs_by_run.get(row.run_id.as_str()) {
            Some(jobs) if !jobs.is_empty() => sums_from_jobs(jobs),
            _ => sums_from_row(row),
        })
        .collect();
    // Pooled over jobs, spread over the per-run means; absent when no job succeeded.
    let job_figure = |i: usize| {
        averages::pooled(sums.iter().map(|s| s[i])).map(|value| Figure {
            value,
            cv: cv(&sums.iter().filter_map(|s| s[i].mean()).collect::<Vec<_>>()),
        })
    };
    let run_figure = |values: Vec<f64>| Figure {
        value: mean(&values).unwrap_or(0.0),
        cv: cv(&values),
    };

    let (measured, selection) = averages::select_runs(rows, |r| r.jobs_failed == 0);
    let memory: Vec<averages::Memory> = measured
        .iter()
        .filter_map(|r| averages::memory(r))
        .collect();
    let mut metrics: Vec<&str> = memory.iter().map(|m| m.metric).collect();
    metrics.dedup();
    let memory_metric = match metrics.as_slice() {
        [] => String::new(),
        [one] => one.to_string(),
        _ => "pss_anon/rss".to_string(),
    };
    let memory_figure = |pick: fn(&averages::Memory) -> Option<f64>| {
        let values: Vec<f64> = memory.iter().filter_map(pick).collect();
        (!values.is_empty()).then(|| run_figure(values))
    };

    let jobs: u64 = rows
        .iter()
        .map(|r| u64::from(r.jobs_ok + r.jobs_failed))
        .sum();
    let bytes: u64 = rows.iter().map(|r| r.bytes).sum();
    let mut connections: Vec<u32> = rows.iter().map(|r| r.connections).collect();
    connections.sort_unstable();
    connections.dedup();
    let mut summary = VariantSummary {
        variant: rows[0].variant.clone(),
        backend: rows[0].backend.clone(),
        connections,
        server: rows[0].server.clone(),
        network: rows[0].network.clone(),
        runs: rows.len(),
        runs_unrecorded: 0,
        iterations_planned: 0,
        runs_ok: rows.iter().filter(|r| r.jobs_failed == 0).count(),
        jobs,
        jobs_ok: rows.iter().map(|r| u64::from(r.jobs_ok)).sum(),
        bytes,
        bytes_per_job: if jobs == 0 {
            0.0
        } else {
            bytes as f64 / jobs as f64
        },
        socket_ns: job_figure(0),
        setup_ns: job_figure(1),
        receive_ns: job_figure(2),
        job_mib_s: job_figure(3),
        run_ns: run_figure(measured.iter().map(|r| r.run_ns as f64).collect()),
        aggregate_mib_s: run_figure(measured.iter().map(|r| r.aggregate_mib_s).collect()),
        memory_metric,
        memory_runs: memory.len(),
        memory_samples_min: measured
            .iter()
            .filter_map(|r| r.mem_samples)
            .min()
            .unwrap_or(0),
        memory_min_bytes: memory_figure(|m| m.min),
        memory_avg_bytes: memory_figure(|m| Some(m.avg)),
        memory_max_bytes: memory_figure(|m| m.max),
        warnings: Vec::new(),
        selection,
    };
    summary.warnings = warnings(&summary);
    summary
}

/// A figure that stands for nothing when no job succeeded.
const NO_VALUE: &str = "—";

/// One printed figure.
struct FigureLine {
    label: &'static str,
    /// `None`: no value (no successful job, or no memmon).
    figure: Option<Figure>,
    format: fn(f64) -> String,
    /// Printed as `—` when absent; otherwise left out (memory without memmon).
    always: bool,
    /// Whether a spread above [`CV_WARNING`] is flagged. Not for memory min: memmon's first sample
    /// is taken at spawn, before the client has allocated anything, so its spread is that of a few
    /// KiB of start-up noise, not of the workload.
    flagged: bool,
}

/// The figures in display order.
fn figures(s: &VariantSummary) -> Vec<FigureLine> {
    fn nanos(v: f64) -> String {
        format_nanos(v)
    }
    fn rate(v: f64) -> String {
        format!("{v:.3} MiB/s")
    }
    fn size(v: f64) -> String {
        format_bytes(v.round() as u64)
    }
    let line = |label, figure, format: fn(f64) -> String, always, flagged| FigureLine {
        label,
        figure,
        format,
        always,
        flagged,
    };
    vec![
        line(
            "Average socket creation time",
            s.socket_ns,
            nanos,
            true,
            true,
        ),
        line("Average job setup time", s.setup_ns, nanos, true, true),
        line(
            "Average time spent receiving data",
            s.receive_ns,
            nanos,
            true,
            true,
        ),
        line(
            "Average download speed per job",
            s.job_mib_s,
            rate,
            true,
            true,
        ),
        line("Average run time", Some(s.run_ns), nanos, true, true),
        line(
            "Average aggregate speed",
            Some(s.aggregate_mib_s),
            rate,
            true,
            true,
        ),
        line(
            "Memory min (average over runs)",
            s.memory_min_bytes,
            size,
            false,
            false,
        ),
        line(
            "Memory avg (average over runs)",
            s.memory_avg_bytes,
            size,
            false,
            true,
        ),
        line(
            "Memory max (average over runs)",
            s.memory_max_bytes,
            size,
            false,
            true,
        ),
    ]
}

impl FigureLine {
    fn flagged_cv(&self) -> Option<f64> {
        let cv = self.figure?.cv?;
        (self.flagged && cv > CV_WARNING).then_some(cv)
    }

    /// The value and the spread as printed; `None` for a line left out.
    fn cells(&self) -> Option<(String, String)> {
        let Some(figure) = self.figure else {
            return self.always.then(|| (NO_VALUE.to_string(), "-".to_string()));
        };
        let spread = match figure.cv {
            Some(cv) if self.flagged_cv().is_some() => format!("{:.1} % (!)", cv * 100.0),
            Some(cv) => format!("{:.1} %", cv * 100.0),
            None => "-".to_string(),
        };
        Some(((self.format)(figure.value), spread))
    }
}

/// One warning per variant naming every figure that varies by more than [`CV_WARNING`].
fn warnings(s: &VariantSummary) -> Vec<String> {
    let noisy: Vec<String> = figures(s)
        .into_iter()
        .filter_map(|line| {
            let cv = line.flagged_cv()?;
            Some(format!("{} {:.1} %", line.label, cv * 100.0))
        })
        .collect();
    if noisy.is_empty() {
        return Vec::new();
    }
    vec![format!(
        "{}: over {} runs these vary by more than {:.0} % (CV): {}; run more ITERATIONS or quiet \
         the machine before comparing them",
        s.variant,
        s.runs,
        CV_WARNING * 100.0,
        noisy.join(", ")
    )]
}

/// `2 of 3 (1 left no record)`: successful runs of every iteration, recorded or not.
fn successful_runs(s: &VariantSummary) -> String {
    let iterations = s.runs + s.runs_unrecorded;
    let mut details = Vec::new();
    if s.runs_unrecorded > 0 {
        details.push(format!("{} left no record", s.runs_unrecorded));
    }
    if (s.iterations_planned as usize) > iterations {
        details.push(format!("{} planned", s.iterations_planned));
    }
    let mut text = format!("{} of {iterations}", s.runs_ok);
    if !details.is_empty() {
        text = format!("{text} ({})", details.join("; "));
    }
    text
}

/// The fixed lines before the figures: counts and data volumes.
fn counts(s: &VariantSummary) -> Vec<(&'static str, String)> {
    vec![
        ("Total jobs", s.jobs.to_string()),
        ("Successful runs", successful_runs(s)),
        ("Successful jobs", format!("{} of {}", s.jobs_ok, s.jobs)),
        ("Total data fetched", format_bytes(s.bytes)),
        (
            "Data fetched per job",
            format_bytes(s.bytes_per_job.round() as u64),
        ),
    ]
}

fn heading(s: &VariantSummary) -> String {
    let connections: Vec<String> = s.connections.iter().map(u32::to_string).collect();
    let mut heading = format!(
        "{} ({}), {} connections, server {}, network {}",
        s.variant,
        s.backend,
        connections.join("/"),
        if s.server.is_empty() {
            "unnamed"
        } else {
            &s.server
        },
        s.network
    );
    if !s.memory_metric.is_empty() {
        let _ = write!(heading, ", memory = {}", s.memory_metric);
    }
    heading
}

fn notes(summary: &Summary) -> Vec<String> {
    let mut notes = Vec::new();
    if summary.status == "partial" {
        notes.push("status partial: the suite was interrupted (or is still running); the figures cover the runs recorded".to_string());
    }
    for failed in &summary.failed_iterations {
        notes.push(format!("failed iteration {failed}"));
    }
    if summary.orphan_jobs > 0 {
        notes.push(format!(
            "{} job rows belong to no recorded run (an interrupted or failed iteration) and are left out",
            summary.orphan_jobs
        ));
    }
    notes.extend(summary.skipped_job_rows.iter().cloned());
    for s in &summary.variants {
        if s.jobs_ok == 0 {
            notes.push(format!(
                "{}: no job succeeded: the job figures ({NO_VALUE}) have nothing to average",
                s.variant
            ));
        }
        notes.extend(s.selection.note(&s.variant));
        if s.memory_runs > 0 && s.memory_samples_min < 3 {
            notes.push(format!(
                "{}: a run had only {} memory sample(s): its runs are shorter than a few sampling \
                 intervals, so set INTERVAL lower (e.g. INTERVAL=10ms) for meaningful memory figures",
                s.variant, s.memory_samples_min
            ));
        }
    }
    if summary.variants.is_empty() {
        notes.push("no runs recorded".to_string());
    }
    notes
}

/// The summary as printed on a terminal.
pub fn text(summary: &Summary) -> String {
    let mut out = String::new();
    for s in &summary.variants {
        let _ = writeln!(out, "{}", heading(s));
        for (label, value) in counts(s) {
            let _ = writeln!(out, "  {label:<36} {value}");
        }
        let _ = writeln!(out, "  {:<36} {:<16} spread (CV over runs)", "", "");
        for line in figures(s) {
            if let Some((value, spread)) = line.cells() {
                let _ = writeln!(out, "  {:<36} {value:<16} {spread}", line.label);
            }
        }
        let _ = writeln!(out);
    }
    for warning in summary.variants.iter().flat_map(|s| &s.warnings) {
        let _ = writeln!(out, "warning: {warning}");
    }
    for note in notes(summary) {
        let _ = writeln!(out, "note: {note}");
    }
    out
}

/// The summary as markdown (summary.md).
pub fn markdown(summary: &Summary) -> String {
    let mut out = String::from("# bench-overhead summary\n\n");
    let _ = writeln!(out, "Results: `{}`  ", summary.results);
    if !summary.host.is_empty() {
        let _ = writeln!(out, "Machine: {}  ", summary.host);
    }
    if !summary.status.is_empty() {
        let _ = writeln!(out, "Status: {}", summary.status);
    }
    let _ = writeln!(out);
    for s in &summary.variants {
        let _ = writeln!(out, "## {}\n", heading(s));
        let _ = writeln!(out, "| Figure | Value | CV over runs |\n|---|---|---|");
        for (label, value) in counts(s) {
            let _ = writeln!(out, "| {label} | {value} | |");
        }
        for line in figures(s) {
            if let Some((value, spread)) = line.cells() {
                let _ = writeln!(out, "| {} | {value} | {spread} |", line.label);
            }
        }
        let _ = writeln!(out);
    }
    let warnings: Vec<&String> = summary.variants.iter().flat_map(|s| &s.warnings).collect();
    for warning in &warnings {
        let _ = writeln!(out, "- **warning**: {warning}");
    }
    for note in notes(summary) {
        let _ = writeln!(out, "- note: {note}");
    }
    let _ = writeln!(
        out,
        "\nJob figures are means over every successful job of every run; run time, aggregate speed \
         and memory are means over the runs in which every job succeeded. CV: standard deviation / \
         mean of the per-run values; (!) marks more than {:.0} % (never on memory min, the sample \
         taken at spawn). Sizes in MiB = 2^20 bytes.",
        CV_WARNING * 100.0
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::units::MIB;

    fn row(run_id: &str, variant: &str, run_ns: u64, mem_avg: Option<f64>) -> RunRow {
        RunRow {
            run_id: run_id.into(),
            variant: variant.into(),
            backend: "epoll".into(),
            connections: 2,
            server: "lighttpd/1.4.69".into(),
            network: "loopback".into(),
            jobs_ok: 2,
            bytes: 2 * MIB,
            run_ns,
            aggregate_mib_s: 2.0 / (run_ns as f64 / 1e9),
            mem_samples: mem_avg.map(|_| 3),
            mem_rss_min_bytes: Some(1.0),
            mem_rss_avg_bytes: Some(2.0),
            mem_rss_max_bytes: Some(3.0),
            mem_pss_anon_min_bytes: mem_avg.map(|a| a - 1.0),
            mem_pss_anon_avg_bytes: mem_avg,
            mem_pss_anon_max_bytes: mem_avg.map(|a| a + 1.0),
            ..RunRow::default()
        }
    }

    fn job(run_id: &str, socket: u64, receive: u64) -> JobRecord {
        JobRecord {
            run_id: run_id.into(),
            socket_ns: Some(socket),
            setup_ns: Some(socket * 10),
            ttfb_ns: Some(receive / 2),
            transfer_ns: Some(receive - receive / 2),
            bytes: MIB,
            status: 200,
            ..JobRecord::default()
        }
    }

    #[test]
    fn pools_jobs_and_averages_runs() {
        let rows = [
            row("t-1", "threaded", 1_000_000_000, Some(100.0)),
            row("t-2", "threaded", 3_000_000_000, None),
        ];
        let jobs = [
            job("t-1", 100, 1_000_000_000),
            job("t-1", 300, 1_000_000_000),
            job("t-2", 500, 500_000_000),
            job("t-2", 700, 500_000_000),
        ];
        let mut by_run: BTreeMap<&str, Vec<&JobRecord>> = BTreeMap::new();
        for j in &jobs {
            by_run.entry(j.run_id.as_str()).or_default().push(j);
        }
        let refs: Vec<&RunRow> = rows.iter().collect();
        let s = summarize_variant(&refs, &by_run);
        assert_eq!((s.runs, s.runs_ok, s.jobs, s.jobs_ok), (2, 2, 4, 4));
        assert_eq!(s.bytes, 4 * MIB);
        assert_eq!(s.bytes_per_job, MIB as f64);
        assert_eq!(s.socket_ns.unwrap().value, 400.0);
        assert_eq!(s.setup_ns.unwrap().value, 4000.0);
        assert_eq!(s.receive_ns.unwrap().value, 750_000_000.0);
        // Per-job speeds 1, 1, 2, 2 MiB/s.
        assert_eq!(s.job_mib_s.unwrap().value, 1.5);
        assert_eq!(s.run_ns.value, 2e9);
        // Per-run socket means 200 and 600: CV = std(200, 600) / 400.
        let expected = (2.0f64 * 200.0 * 200.0).sqrt() / 400.0;
        assert!((s.socket_ns.unwrap().cv.unwrap() - expected).abs() < 1e-12);
        // Memory: pss_anon for run 1, rss for run 2.
        assert_eq!(s.memory_metric, "pss_anon/rss");
        assert_eq!(s.memory_avg_bytes.unwrap().value, (100.0 + 2.0) / 2.0);
        assert!(s.warnings.iter().any(|w| w.contains("Average run time")));
    }

    #[test]
    fn run_figures_leave_out_runs_with_failed_jobs() {
        let clean = row("p-1", "poll", 2_000_000_000, Some(10.0));
        let mut refused = row("p-2", "poll", 1_000, Some(1.0));
        refused.jobs_ok = 0;
        refused.jobs_failed = 2;
        let s = summarize_variant(&[&clean, &refused], &BTreeMap::new());
        assert_eq!((s.runs, s.runs_ok, s.jobs, s.jobs_ok), (2, 1, 4, 2));
        assert_eq!(s.run_ns.value, 2e9);
        assert_eq!(s.memory_avg_bytes.unwrap().value, 10.0);
        // With no clean run, every run counts.
        let s = summarize_variant(&[&refused], &BTreeMap::new());
        assert_eq!(s.run_ns.value, 1_000.0);
    }

    #[test]
    fn falls_back_to_run_means_without_job_rows() {
        let mut r = row("p-1", "poll", 1_000_000_000, None);
        r.socket_mean_ns = 42.0;
        r.job_mib_s = 3.0;
        let s = summarize_variant(&[&r], &BTreeMap::new());
        assert_eq!(s.socket_ns.unwrap().value, 42.0);
        assert_eq!(s.job_mib_s.unwrap().value, 3.0);
        assert_eq!(s.socket_ns.unwrap().cv, None);
        assert_eq!(s.memory_metric, "rss");
    }

    #[test]
    fn text_and_markdown_name_every_figure_warning_and_note() {
        let rows = [
            row("t-1", "threaded", 1_000_000_000, Some(100.0)),
            row("t-2", "threaded", 3_000_000_000, Some(100.0)),
        ];
        let refs: Vec<&RunRow> = rows.iter().collect();
        let summary = Summary {
            results: "r".into(),
            status: "partial".into(),
            host: "Linux".into(),
            variants: vec![summarize_variant(&refs, &BTreeMap::new())],
            orphan_jobs: 3,
            failed_iterations: vec!["threaded-3: interrupted".into()],
            skipped_job_rows: vec!["jobs.csv line 7 is not a job row (x); left out".into()],
        };
        for out in [text(&summary), markdown(&summary)] {
            for needle in [
                "Total jobs",
                "Successful runs",
                "Average socket creation time",
                "Average run time",
                "Memory avg (average over runs)",
                "memory = pss_anon",
                "Average run time 70.7 %",
                "status partial",
                "failed iteration threaded-3: interrupted",
                "3 job rows belong to no recorded run",
                "jobs.csv line 7 is not a job row (x); left out",
            ] {
                assert!(out.contains(needle), "{needle:?} missing from:\n{out}");
            }
        }
    }

    #[test]
    fn a_folder_without_runs_summarizes_to_a_note() {
        let dir = std::env::temp_dir().join(format!("summarize-empty-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("meta.json"), r#"{"status": "partial"}"#).unwrap();
        let summary = summarize(&dir).unwrap();
        assert!(summary.variants.is_empty());
        assert!(text(&summary).contains("no runs recorded"));
        std::fs::remove_file(dir.join("meta.json")).unwrap();
        let err = summarize(&dir).unwrap_err().to_string();
        assert!(err.contains("no runs.csv"), "{err}");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn no_successful_job_prints_a_dash_not_zero() {
        let mut refused = row("p-1", "poll", 1_000, Some(1.0));
        refused.jobs_ok = 0;
        refused.jobs_failed = 2;
        let s = summarize_variant(&[&refused], &BTreeMap::new());
        assert_eq!(s.socket_ns, None);
        assert_eq!(s.job_mib_s, None);
        let summary = Summary {
            results: "r".into(),
            status: "complete".into(),
            host: String::new(),
            variants: vec![s],
            orphan_jobs: 0,
            failed_iterations: Vec::new(),
            skipped_job_rows: Vec::new(),
        };
        let out = text(&summary);
        assert!(
            out.contains("Average socket creation time         —"),
            "{out}"
        );
        assert!(!out.contains(" 0 ns"), "{out}");
        assert!(out.contains("poll: no job succeeded"), "{out}");
        assert!(markdown(&summary).contains("| Average download speed per job | — | - |"));
    }

    #[test]
    fn memory_min_is_never_flagged() {
        let mut a = row("t-1", "threaded", 1_000_000_000, Some(100.0));
        let mut b = row("t-2", "threaded", 1_000_000_000, Some(100.0));
        // Min varies by 100 % between runs, avg and max not at all.
        a.mem_pss_anon_min_bytes = Some(1.0);
        b.mem_pss_anon_min_bytes = Some(1000.0);
        let s = summarize_variant(&[&a, &b], &BTreeMap::new());
        assert!(s.memory_min_bytes.unwrap().cv.unwrap() > CV_WARNING);
        assert!(s.warnings.is_empty(), "{:?}", s.warnings);
        let lines = figures(&s);
        let min = lines
            .iter()
            .find(|l| l.label.starts_with("Memory min"))
            .unwrap();
        let (_, spread) = min.cells().unwrap();
        assert!(!spread.contains("(!)"), "{spread}");
    }

    #[test]
    fn a_bad_job_row_is_skipped_and_named() {
        let dir = std::env::temp_dir().join(format!("summarize-badjob-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let mut writer = csv::Writer::from_path(dir.join("runs.csv")).unwrap();
        let mut r = row("t-1", "threaded", 1_000_000_000, None);
        r.socket_mean_ns = 200.0;
        writer.serialize(&r).unwrap();
        writer.flush().unwrap();
        let mut writer = csv::Writer::from_path(dir.join("jobs.csv")).unwrap();
        writer.serialize(job("t-1", 100, 1_000_000_000)).unwrap();
        writer.serialize(job("t-1", 300, 1_000_000_000)).unwrap();
        writer.flush().unwrap();
        drop(writer);
        // A third row for t-1 that does not parse: t-1 falls back to its runs.csv means.
        let mut text = std::fs::read_to_string(dir.join("jobs.csv")).unwrap();
        text.push_str("t-1,2,threaded,lots,1,1,1,1,5,200,\n");
        std::fs::write(dir.join("jobs.csv"), text).unwrap();
        let summary = summarize(&dir).unwrap();
        assert_eq!(summary.skipped_job_rows.len(), 1);
        let note = &summary.skipped_job_rows[0];
        assert!(note.contains("jobs.csv line 4 is not a job row"), "{note}");
        assert!(note.contains("column `socket_ns`"), "{note}");
        assert!(
            note.contains("run t-1 takes its job figures from runs.csv"),
            "{note}"
        );
        assert_eq!(summary.variants[0].socket_ns.unwrap().value, 200.0);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn successful_runs_count_iterations_that_left_no_record() {
        let dir = std::env::temp_dir().join(format!("summarize-norecord-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let mut writer = csv::Writer::from_path(dir.join("runs.csv")).unwrap();
        writer
            .serialize(row("threaded-1", "threaded", 1_000_000_000, None))
            .unwrap();
        writer
            .serialize(row("threaded-3", "threaded", 1_000_000_000, None))
            .unwrap();
        writer.flush().unwrap();
        std::fs::write(
            dir.join("meta.json"),
            r#"{"status": "complete", "iterations": 3, "failed_iterations": [
                {"run_id": "threaded-2", "recorded": false, "reason": "client killed"}]}"#,
        )
        .unwrap();
        let summary = summarize(&dir).unwrap();
        let out = text(&summary);
        assert!(
            out.contains("Successful runs                      2 of 3 (1 left no record)"),
            "{out}"
        );
        // Partial: the iterations never started are planned, not failed.
        std::fs::write(
            dir.join("meta.json"),
            r#"{"status": "partial", "iterations": 10, "failed_iterations": []}"#,
        )
        .unwrap();
        let out = text(&summarize(&dir).unwrap());
        assert!(out.contains("2 of 2 (10 planned)"), "{out}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
