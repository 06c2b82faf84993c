//! `bench-overhead summarize RESULTS`: the old suite's per-variant summary of a results folder, plus
//! how much each figure varies over the iterations.
//!
//! The averages are the old suite's, defined in `crate::averages` and shared with `compare`, and
//! `runs.csv` and `meta.json` are read by `compare`'s own loader, so the two commands print the same
//! figures for the same folder and refuse the same faults: job figures (socket creation, job setup,
//! receive time, per-job speed) are means over every successful job of every run pooled together;
//! run time, aggregate speed and memory are means over the runs in which every job succeeded
//! (every run when none did). Job figures come from `jobs.csv` (exact per-job values); a run
//! without job rows, or with a job row that does not parse, takes its `runs.csv` means. The spread
//! is the coefficient of variation (sample standard deviation / mean) of the per-run values: above
//! 10 % a figure is too noisy to compare without more iterations.

pub mod jobs;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs;
use std::path::Path;
use std::process::ExitCode;

use anyhow::{bail, Context};
use serde::Serialize;

use crate::averages::{self, cv, mean, JobSum, RunSelection};
use crate::cli::SummarizeArgs;
use crate::compare::load::{self, Run, Status};
use crate::record::JobRecord;
use crate::units::{format_bytes, format_nanos};

/// A figure whose coefficient of variation over runs exceeds this is flagged.
pub const CV_WARNING: f64 = 0.10;

/// The per-run figures, as the notes name them.
const RUN_FIGURES: &str = "run time, aggregate speed and memory";

/// One figure: its value and its spread over runs (`None` with fewer than two runs).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Figure {
    pub value: f64,
    pub cv: Option<f64>,
    /// The runs whose values the spread is over: for a job figure those with a successful job,
    /// for a run figure those it averages.
    pub runs: usize,
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
    /// Run figures; `None` when no run measured them (an empty cell, printed `—`).
    pub run_ns: Option<Figure>,
    pub aggregate_mib_s: Option<Figure>,
    /// `pss_anon` where memmon had it, else `rss` (the old suite's memory figure); "" without memmon.
    pub memory_metric: String,
    /// Runs that have memory figures.
    pub memory_runs: usize,
    /// The fewest memory samples any run had: with one or two, min/avg/max say little. `None`
    /// when the rows do not say (published rows).
    pub memory_samples_min: Option<u64>,
    pub memory_min_bytes: Option<Figure>,
    pub memory_avg_bytes: Option<Figure>,
    pub memory_max_bytes: Option<Figure>,
    pub warnings: Vec<String>,
    /// Which runs the run figures average.
    #[serde(skip)]
    pub selection: RunSelection,
}

/// A variant asked for that has no run in runs.csv.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VariantNotRun {
    pub variant: String,
    /// Its iterations that failed without leaving a record (meta.json `failed_iterations`).
    pub runs_unrecorded: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    pub results: String,
    /// meta.json's status (`complete`/`partial`), "" without meta.json.
    pub status: String,
    pub host: String,
    pub variants: Vec<VariantSummary>,
    /// Variants the suite was asked to run (meta.json `variants`) with no run recorded, each with
    /// why: the suite stopped before it, or its iterations left no record.
    pub variants_not_run: Vec<VariantNotRun>,
    /// Job rows whose run has no runs.csv row (an interrupted or failed iteration); left out.
    pub orphan_jobs: u64,
    pub failed_iterations: Vec<String>,
    /// jobs.csv rows that do not parse; left out.
    pub skipped_job_rows: u64,
    /// The first few of them, each naming its line and what is wrong.
    pub skipped_job_rows_first: Vec<String>,
    /// Recorded runs that lost a job row that way: their job figures are their runs.csv means.
    pub runs_with_skipped_job_rows: Vec<String>,
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
    if !folder.is_dir() {
        bail!(
            "{} is not a folder: pass a results folder written by bench-overhead.sh",
            folder.display()
        );
    }
    let meta = load::read_meta(folder)?;
    let status = match load::status(
        meta.as_ref(),
        &folder.join("meta.json").display().to_string(),
    )? {
        Status::Complete => "complete",
        Status::Partial => "partial",
        Status::Unknown => "",
    };
    let runs_path = folder.join("runs.csv");
    let runs: Vec<Run> = if runs_path.exists() {
        load::read_recorded_runs(&runs_path)?
    } else if meta.is_some() {
        Vec::new() // a suite that ended before its first run
    } else {
        bail!(
            "no runs.csv in {}: pass a results folder written by bench-overhead.sh",
            folder.display()
        );
    };
    let jobs_path = folder.join("jobs.csv");
    let jobs = if jobs_path.exists() {
        jobs::read(&jobs_path)?
    } else {
        jobs::JobRows::default()
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
    let recorded = |run_id: &str| runs.iter().any(|r| r.row.run_id == run_id);
    let orphan_jobs = jobs
        .rows
        .iter()
        .filter(|job| !recorded(&job.run_id))
        .count() as u64;
    let has_meta = meta.is_some();
    let meta = meta.unwrap_or_default();
    let unrecorded: Vec<&str> = meta
        .failed_iterations
        .iter()
        .filter(|f| !f.recorded)
        .map(|f| f.run_id.as_str())
        .collect();

    let mut variant_names: Vec<&str> = Vec::new();
    for run in &runs {
        if !variant_names.contains(&run.variant.name()) {
            variant_names.push(run.variant.name());
        }
    }
    // Run ids are `<variant>-<iteration>`.
    let unrecorded_of = |variant: &str| {
        let prefix = format!("{variant}-");
        unrecorded
            .iter()
            .filter(|id| id.starts_with(&prefix))
            .count()
    };
    let variants = variant_names
        .iter()
        .map(|&name| {
            let rows: Vec<&Run> = runs.iter().filter(|r| r.variant.name() == name).collect();
            let mut summary = summarize_variant(&rows, &jobs_by_run);
            let no_record = unrecorded_of(name);
            let missing = if status == "complete" {
                (meta.iterations as usize).saturating_sub(rows.len() + no_record)
            } else {
                0
            };
            summary.runs_unrecorded = no_record + missing;
            summary.iterations_planned = meta.iterations;
            summary
        })
        .collect();

    let variants_not_run = meta
        .variants
        .iter()
        .filter(|v| !variant_names.contains(&v.as_str()))
        .map(|v| VariantNotRun {
            variant: v.clone(),
            runs_unrecorded: unrecorded_of(v),
        })
        .collect();
    let runs_csv = runs_path.display().to_string();
    for s in &variants {
        check_finite(s, &runs_csv)?;
    }
    let failed_iterations = meta
        .failed_iterations
        .iter()
        .map(|f| format!("{}: {}", f.run_id, f.reason))
        .collect();
    let host = if has_meta {
        format!(
            "{} {} ({}, kernel {}), {}, {} cores",
            meta.os, meta.os_version, meta.arch, meta.kernel, meta.cpu_model, meta.cores
        )
    } else {
        String::new()
    };
    Ok(Summary {
        results: folder.display().to_string(),
        status: status.to_string(),
        host,
        variants,
        variants_not_run,
        orphan_jobs,
        failed_iterations,
        skipped_job_rows: jobs.skipped,
        skipped_job_rows_first: jobs.skipped_first,
        runs_with_skipped_job_rows: jobs
            .broken_runs
            .iter()
            .filter(|id| recorded(id))
            .cloned()
            .collect(),
    })
}

/// A run's sums of the four job figures over its successful jobs; `None` where not measured.
type JobSums = [Option<JobSum>; 4];

/// Exact sums from the run's job rows.
fn sums_from_jobs(jobs: &[&JobRecord]) -> JobSums {
    let mut sums = [JobSum::default(); 4];
    for job in jobs.iter().filter(|j| j.ok()) {
        let receive = job.receive_ns().unwrap_or(0);
        sums[0].add(job.socket_ns.unwrap_or(0) as f64);
        sums[1].add(job.setup_ns.unwrap_or(0) as f64);
        sums[2].add(receive as f64);
        sums[3].add(crate::units::mib_per_s(job.bytes, receive));
    }
    sums.map(Some)
}

/// The run's own means × its successful jobs, for a run whose job rows are missing: the sums
/// `compare` takes.
fn sums_from_row(run: &Run) -> JobSums {
    let row = &run.row;
    [
        averages::job_sum(run, "socket_mean_ns", row.socket_mean_ns),
        averages::job_sum(run, "setup_mean_ns", row.setup_mean_ns),
        averages::job_sum(run, "receive_mean_ns", row.receive_mean_ns),
        averages::job_sum(run, "job_mib_s", row.job_mib_s),
    ]
}

/// A figure over per-run `values`; `None` without any.
fn run_figure(values: Vec<f64>) -> Option<Figure> {
    Some(Figure {
        value: mean(&values)?,
        cv: cv(&values),
        runs: values.len(),
    })
}

fn summarize_variant(
    rows: &[&Run],
    jobs_by_run: &BTreeMap<&str, Vec<&JobRecord>>,
) -> VariantSummary {
    let sums: Vec<JobSums> = rows
        .iter()
        .map(|run| match jobs_by_run.get(run.row.run_id.as_str()) {
            Some(jobs) if !jobs.is_empty() => sums_from_jobs(jobs),
            _ => sums_from_row(run),
        })
        .collect();
    // Pooled over jobs, spread over the means of the runs with a successful job; absent when no
    // job succeeded.
    let job_figure = |i: usize| {
        let means: Vec<f64> = sums.iter().filter_map(|s| s[i]?.mean()).collect();
        averages::pooled(sums.iter().filter_map(|s| s[i])).map(|value| Figure {
            value,
            cv: cv(&means),
            runs: means.len(),
        })
    };

    let (measured, selection) = averages::select_runs(rows, averages::clean);
    let measured_value = |column: &str, value: fn(&Run) -> f64| {
        run_figure(
            measured
                .iter()
                .filter(|r| r.has(column))
                .map(|r| value(r))
                .collect(),
        )
    };
    let memory: Vec<averages::Memory> = measured
        .iter()
        .filter_map(|r| averages::memory(&r.row))
        .collect();
    let mut metrics: Vec<&str> = memory.iter().map(|m| m.metric).collect();
    metrics.dedup();
    let memory_metric = match metrics.as_slice() {
        [] => String::new(),
        [one] => one.to_string(),
        _ => "pss_anon/rss".to_string(),
    };
    let memory_figure = |pick: fn(&averages::Memory) -> Option<f64>| {
        run_figure(memory.iter().filter_map(pick).collect())
    };

    let jobs: u64 = rows
        .iter()
        .map(|r| u64::from(r.row.jobs_ok + r.row.jobs_failed))
        .sum();
    let bytes: u64 = rows.iter().map(|r| r.row.bytes).sum();
    let mut connections: Vec<u32> = rows.iter().map(|r| r.row.connections).collect();
    connections.sort_unstable();
    connections.dedup();
    let first = &rows[0].row;
    let mut summary = VariantSummary {
        variant: first.variant.clone(),
        backend: first.backend.clone(),
        connections,
        server: first.server.clone(),
        network: first.network.clone(),
        runs: rows.len(),
        runs_unrecorded: 0,
        iterations_planned: 0,
        runs_ok: rows.iter().filter(|r| averages::clean(r)).count(),
        jobs,
        jobs_ok: rows.iter().map(|r| u64::from(r.row.jobs_ok)).sum(),
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
        run_ns: measured_value("run_ns", |r| r.row.run_ns as f64),
        aggregate_mib_s: measured_value("aggregate_mib_s", |r| r.row.aggregate_mib_s),
        memory_metric,
        memory_runs: memory.len(),
        memory_samples_min: measured.iter().filter_map(|r| r.row.mem_samples).min(),
        memory_min_bytes: memory_figure(|m| m.min),
        memory_avg_bytes: memory_figure(|m| Some(m.avg)),
        memory_max_bytes: memory_figure(|m| m.max),
        warnings: Vec::new(),
        selection,
    };
    summary.warnings = warnings(&summary);
    summary
}

/// Refuses a figure (or its spread) that is not a finite number, in `compare`'s words.
fn check_finite(s: &VariantSummary, runs_csv: &str) -> anyhow::Result<()> {
    for line in figures(s) {
        let Some(figure) = line.figure else { continue };
        if !figure.value.is_finite() || figure.cv.is_some_and(|cv| !cv.is_finite()) {
            return Err(averages::not_finite(
                runs_csv,
                &line.label.to_lowercase(),
                &s.variant,
            ));
        }
    }
    Ok(())
}

/// A figure that stands for nothing when no job succeeded.
const NO_VALUE: &str = "—";

/// One printed figure.
struct FigureLine {
    label: &'static str,
    /// `None`: no value (no successful job, not measured, or no memmon).
    figure: Option<Figure>,
    format: fn(f64) -> String,
    /// Printed as `—` when absent; otherwise left out (memory without memmon).
    always: bool,
    /// Whether a spread above [`CV_WARNING`] is flagged. Not for memory min: memmon's first sample
    /// is taken at spawn, before the client has allocated anything, so its spread is that of a few
    /// KiB of start-up noise, not of the workload.
    flagged: bool,
    /// A per-job figure, whose spread is over the runs with a successful job; else a per-run
    /// figure, over the runs it averages.
    per_job: bool,
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
    let job = |label, figure, format: fn(f64) -> String| FigureLine {
        label,
        figure,
        format,
        always: true,
        flagged: true,
        per_job: true,
    };
    let run = |label, figure, format: fn(f64) -> String| FigureLine {
        label,
        figure,
        format,
        always: true,
        flagged: true,
        per_job: false,
    };
    let memory = |label, figure, flagged| FigureLine {
        label,
        figure,
        format: size,
        always: false,
        flagged,
        per_job: false,
    };
    vec![
        job("Average socket creation time", s.socket_ns, nanos),
        job("Average job setup time", s.setup_ns, nanos),
        job("Average time spent receiving data", s.receive_ns, nanos),
        job("Average download speed per job", s.job_mib_s, rate),
        run("Average run time", s.run_ns, nanos),
        run("Average aggregate speed", s.aggregate_mib_s, rate),
        memory("Memory min (average over runs)", s.memory_min_bytes, false),
        memory("Memory avg (average over runs)", s.memory_avg_bytes, true),
        memory("Memory max (average over runs)", s.memory_max_bytes, true),
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

    /// The runs the spread is over, when not every run of the variant: `the 2 of 3 runs in which
    /// every job succeeded`.
    fn coverage(&self, s: &VariantSummary) -> Option<String> {
        let n = self.figure?.runs;
        let of = s.runs;
        if n == of {
            return None;
        }
        Some(match s.selection {
            _ if self.per_job => format!("the {n} of {of} runs with a successful job"),
            RunSelection::Clean { clean, .. } if clean == n => {
                format!("the {n} of {of} runs in which every job succeeded")
            }
            _ => format!("the {n} of {of} runs that measured it"),
        })
    }
}

/// One warning per variant naming every figure that varies by more than [`CV_WARNING`] between
/// the runs it covers.
fn warnings(s: &VariantSummary) -> Vec<String> {
    let noisy: Vec<(String, Option<String>)> = figures(s)
        .into_iter()
        .filter_map(|line| {
            let cv = line.flagged_cv()?;
            Some((
                format!("{} {:.1} %", line.label, cv * 100.0),
                line.coverage(s),
            ))
        })
        .collect();
    if noisy.is_empty() {
        return Vec::new();
    }
    let advice = "run more ITERATIONS or quiet the machine before comparing them";
    let threshold = CV_WARNING * 100.0;
    if noisy.iter().all(|(_, coverage)| coverage.is_none()) {
        let figures: Vec<String> = noisy.into_iter().map(|(figure, _)| figure).collect();
        return vec![format!(
            "{}: over {} runs these vary by more than {threshold:.0} % (CV): {}; {advice}",
            s.variant,
            s.runs,
            figures.join(", ")
        )];
    }
    let figures: Vec<String> = noisy
        .into_iter()
        .map(|(figure, coverage)| {
            let runs = coverage.unwrap_or_else(|| format!("all {} runs", s.runs));
            format!("{figure} over {runs}")
        })
        .collect();
    vec![format!(
        "{}: these vary by more than {threshold:.0} % (CV): {}; {advice}",
        s.variant,
        figures.join(", ")
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

/// The note on jobs.csv rows that do not parse: how many, the first few, and the runs that take
/// their job figures from runs.csv instead.
fn skipped_job_rows_note(summary: &Summary) -> Option<String> {
    let file = Path::new(&summary.results).join("jobs.csv");
    let rows = match summary.skipped_job_rows {
        0 => return None,
        1 => format!(
            "{}: {}: that row is left out",
            file.display(),
            summary.skipped_job_rows_first.join("")
        ),
        n => {
            let first = &summary.skipped_job_rows_first;
            let which = if first.len() as u64 == n {
                String::new()
            } else {
                format!(", the first {}", first.len())
            };
            format!(
                "{}: {n} rows are not job rows and are left out{which}: {}",
                file.display(),
                first.join("; ")
            )
        }
    };
    let runs = &summary.runs_with_skipped_job_rows;
    let named: Vec<&str> = runs.iter().take(jobs::NAMED).map(String::as_str).collect();
    let fallback = match runs.len() {
        0 => String::new(),
        1 => format!("; run {} takes its job figures from runs.csv", named[0]),
        n if n > named.len() => format!(
            "; runs {} and {} more take their job figures from runs.csv",
            named.join(", "),
            n - named.len()
        ),
        _ => format!(
            "; runs {} take their job figures from runs.csv",
            named.join(", ")
        ),
    };
    Some(format!("{rows}{fallback}"))
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
    notes.extend(skipped_job_rows_note(summary));
    for s in &summary.variants {
        if s.jobs_ok == 0 && s.jobs > 0 {
            notes.push(format!(
                "{}: no job succeeded: the job figures ({NO_VALUE}) have nothing to average",
                s.variant
            ));
        }
        notes.extend(s.selection.note(&s.variant, RUN_FIGURES));
        let few_samples = s.memory_samples_min.filter(|samples| *samples < 3);
        if let Some(samples) = few_samples.filter(|_| s.memory_runs > 0) {
            notes.push(format!(
                "{}: a run had only {} memory sample(s): its runs are shorter than a few sampling \
                 intervals, so set INTERVAL lower (e.g. INTERVAL=10ms) for meaningful memory figures",
                s.variant, samples
            ));
        }
    }
    for missing in &summary.variants_not_run {
        let why = match (missing.runs_unrecorded, summary.status.as_str()) {
            (0, "partial") => "never started: the suite stopped before its first run".to_string(),
            (0, _) => "no run recorded".to_string(),
            (n, _) => format!("no run recorded: {n} iteration(s) failed without a record"),
        };
        notes.push(format!("{}: {why}", missing.variant));
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
         and memory are means over the runs in which every job succeeded (every run when none \
         did). CV: standard deviation / mean of the per-run values (for a job figure, of the runs \
         with a successful job; for the others, of the runs they average); (!) marks more than \
         {:.0} % (never on memory min, the sample taken at spawn). Sizes in MiB = 2^20 bytes.",
        CV_WARNING * 100.0
    );
    out
}

#[cfg(test)]
mod tests;
