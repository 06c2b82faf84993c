//! `bench-overhead summarize RESULTS`: the old suite's per-variant summary of a results folder, plus
//! how much each figure varies over the iterations.
//!
//! Definitions follow the old suite's awk summary, so figures stay comparable with its published
//! table: job figures (socket creation, job setup, receive time, per-job speed) are means over every
//! successful job of every run pooled together; run time and memory are means over the runs in
//! which every job succeeded (every run when none did). Job figures come from `jobs.csv` (exact
//! per-job values); a run without job rows falls back to its `runs.csv` means. The spread is the coefficient of variation (sample standard deviation / mean)
//! of the per-run values: above 10 % a figure is too noisy to compare without more iterations.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs;
use std::path::Path;
use std::process::ExitCode;

use anyhow::{bail, Context};
use serde::Serialize;

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
    pub runs: usize,
    /// Runs in which every job succeeded (the old suite's "successful runs").
    pub runs_ok: usize,
    pub jobs: u64,
    pub jobs_ok: u64,
    pub bytes: u64,
    pub bytes_per_job: f64,
    pub socket_ns: Figure,
    pub setup_ns: Figure,
    pub receive_ns: Figure,
    pub job_mib_s: Figure,
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
    let jobs: Vec<JobRecord> = if jobs_path.exists() {
        read_rows(&jobs_path)?
    } else {
        Vec::new()
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
    for job in &jobs {
        jobs_by_run
            .entry(job.run_id.as_str())
            .or_default()
            .push(job);
    }
    let orphan_jobs = jobs
        .iter()
        .filter(|job| !runs.iter().any(|r| r.run_id == job.run_id))
        .count() as u64;

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
            summarize_variant(&rows, &jobs_by_run)
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
        status: meta_str("status"),
        host,
        variants,
        orphan_jobs,
        failed_iterations,
    })
}

/// Per-run job figures: sums and count over the run's successful jobs.
#[derive(Debug, Default, Clone, Copy)]
struct JobSums {
    count: f64,
    socket_ns: f64,
    setup_ns: f64,
    receive_ns: f64,
    mib_s: f64,
}

impl JobSums {
    fn from_jobs(jobs: &[&JobRecord]) -> JobSums {
        let mut sums = JobSums::default();
        for job in jobs.iter().filter(|j| j.ok()) {
            let receive = job.receive_ns().unwrap_or(0);
            sums.count += 1.0;
            sums.socket_ns += job.socket_ns.unwrap_or(0) as f64;
            sums.setup_ns += job.setup_ns.unwrap_or(0) as f64;
            sums.receive_ns += receive as f64;
            sums.mib_s += crate::units::mib_per_s(job.bytes, receive);
        }
        sums
    }

    /// The run's own means, for a run whose job rows are missing.
    fn from_row(row: &RunRow) -> JobSums {
        let count = f64::from(row.jobs_ok);
        JobSums {
            count,
            socket_ns: row.socket_mean_ns * count,
            setup_ns: row.setup_mean_ns * count,
            receive_ns: row.receive_mean_ns * count,
            mib_s: row.job_mib_s * count,
        }
    }

    fn mean(&self, pick: impl Fn(&JobSums) -> f64) -> Option<f64> {
        (self.count > 0.0).then(|| pick(self) / self.count)
    }
}

fn summarize_variant(
    rows: &[&RunRow],
    jobs_by_run: &BTreeMap<&str, Vec<&JobRecord>>,
) -> VariantSummary {
    let sums: Vec<JobSums> = rows
        .iter()
        .map(|row| match jobs_by_run.get(row.run_id.as_str()) {
            Some(jobs) if !jobs.is_empty() => JobSums::from_jobs(jobs),
            _ => JobSums::from_row(row),
        })
        .collect();
    let total = sums.iter().fold(JobSums::default(), |a, s| JobSums {
        count: a.count + s.count,
        socket_ns: a.socket_ns + s.socket_ns,
        setup_ns: a.setup_ns + s.setup_ns,
        receive_ns: a.receive_ns + s.receive_ns,
        mib_s: a.mib_s + s.mib_s,
    });
    // Pooled over jobs (the old suite's definition), spread over the per-run means.
    let job_figure = |pick: fn(&JobSums) -> f64| Figure {
        value: total.mean(pick).unwrap_or(0.0),
        cv: cv(&sums.iter().filter_map(|s| s.mean(pick)).collect::<Vec<_>>()),
    };
    let run_figure = |values: Vec<f64>| Figure {
        value: mean(&values).unwrap_or(0.0),
        cv: cv(&values),
    };

    // Run figures come from the runs in which every job succeeded, as the old suite averaged only
    // runs that got to "All done": a run of refused connections measures nothing. When no run was
    // clean they come from every run, and a note says so.
    let clean: Vec<&RunRow> = rows
        .iter()
        .copied()
        .filter(|r| r.jobs_failed == 0)
        .collect();
    let measured: &[&RunRow] = if clean.is_empty() { rows } else { &clean };
    let memory: Vec<(&str, [f64; 3])> = measured.iter().filter_map(|r| memory_of(r)).collect();
    let metrics: Vec<&str> = memory.iter().map(|(m, _)| *m).collect();
    let memory_metric = if metrics.is_empty() {
        String::new()
    } else if metrics.iter().all(|m| *m == metrics[0]) {
        metrics[0].to_string()
    } else {
        "pss_anon/rss".to_string()
    };
    let memory_figure = |i: usize| {
        (!memory.is_empty()).then(|| run_figure(memory.iter().map(|(_, v)| v[i]).collect()))
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
        runs_ok: rows.iter().filter(|r| r.jobs_failed == 0).count(),
        jobs,
        jobs_ok: rows.iter().map(|r| u64::from(r.jobs_ok)).sum(),
        bytes,
        bytes_per_job: if jobs == 0 {
            0.0
        } else {
            bytes as f64 / jobs as f64
        },
        socket_ns: job_figure(|s| s.socket_ns),
        setup_ns: job_figure(|s| s.setup_ns),
        receive_ns: job_figure(|s| s.receive_ns),
        job_mib_s: job_figure(|s| s.mib_s),
        run_ns: run_figure(measured.iter().map(|r| r.run_ns as f64).collect()),
        aggregate_mib_s: run_figure(measured.iter().map(|r| r.aggregate_mib_s).collect()),
        memory_metric,
        memory_runs: memory.len(),
        memory_samples_min: measured
            .iter()
            .filter_map(|r| r.mem_samples)
            .min()
            .unwrap_or(0),
        memory_min_bytes: memory_figure(0),
        memory_avg_bytes: memory_figure(1),
        memory_max_bytes: memory_figure(2),
        warnings: Vec::new(),
    };
    summary.warnings = warnings(&summary);
    summary
}

/// The run's memory (min, avg, max): `pss_anon` where present, else `rss`.
fn memory_of(row: &RunRow) -> Option<(&'static str, [f64; 3])> {
    let triple = |min: Option<f64>, avg: Option<f64>, max: Option<f64>| Some([min?, avg?, max?]);
    triple(
        row.mem_pss_anon_min_bytes,
        row.mem_pss_anon_avg_bytes,
        row.mem_pss_anon_max_bytes,
    )
    .map(|v| ("pss_anon", v))
    .or_else(|| {
        triple(
            row.mem_rss_min_bytes,
            row.mem_rss_avg_bytes,
            row.mem_rss_max_bytes,
        )
        .map(|v| ("rss", v))
    })
}

fn mean(values: &[f64]) -> Option<f64> {
    (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64)
}

/// Coefficient of variation with the sample standard deviation; `None` below two values or when
/// the mean is zero.
pub fn cv(values: &[f64]) -> Option<f64> {
    if values.len() < 2 {
        return None;
    }
    let m = mean(values)?;
    if m == 0.0 {
        return None;
    }
    let variance = values.iter().map(|v| (v - m).powi(2)).sum::<f64>() / (values.len() - 1) as f64;
    Some(variance.sqrt() / m.abs())
}

const MEMORY_MIN: &str = "Memory min (average over runs)";

/// One printed figure: its label, its value (absent without memmon), how to print the value.
type FigureLine = (&'static str, Option<Figure>, fn(f64) -> String);

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
    vec![
        ("Average socket creation time", Some(s.socket_ns), nanos),
        ("Average job setup time", Some(s.setup_ns), nanos),
        (
            "Average time spent receiving data",
            Some(s.receive_ns),
            nanos,
        ),
        ("Average download speed per job", Some(s.job_mib_s), rate),
        ("Average run time", Some(s.run_ns), nanos),
        ("Average aggregate speed", Some(s.aggregate_mib_s), rate),
        (MEMORY_MIN, s.memory_min_bytes, size),
        ("Memory avg (average over runs)", s.memory_avg_bytes, size),
        ("Memory max (average over runs)", s.memory_max_bytes, size),
    ]
}

/// One warning per variant naming every figure that varies by more than [`CV_WARNING`].
///
/// Memory min is left out: memmon's first sample is taken at spawn, before the client has
/// allocated anything, so its spread is that of a few KiB of start-up noise, not of the workload.
fn warnings(s: &VariantSummary) -> Vec<String> {
    let noisy: Vec<String> = figures(s)
        .into_iter()
        .filter(|(label, _, _)| *label != MEMORY_MIN)
        .filter_map(|(label, figure, _)| {
            let cv = figure?.cv?;
            (cv > CV_WARNING).then(|| format!("{label} {:.1} %", cv * 100.0))
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

fn cv_text(figure: &Figure) -> String {
    match figure.cv {
        Some(cv) if cv > CV_WARNING => format!("{:.1} % (!)", cv * 100.0),
        Some(cv) => format!("{:.1} %", cv * 100.0),
        None => "-".to_string(),
    }
}

/// The fixed lines before the figures: counts and data volumes.
fn counts(s: &VariantSummary) -> Vec<(&'static str, String)> {
    vec![
        ("Total jobs", s.jobs.to_string()),
        ("Successful runs", format!("{} of {}", s.runs_ok, s.runs)),
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
    for s in &summary.variants {
        if s.runs > 0 && s.runs_ok == 0 {
            notes.push(format!(
                "{}: no run had every job succeed: run time, aggregate speed and memory are over \
                 failed runs",
                s.variant
            ));
        } else if s.runs_ok < s.runs {
            notes.push(format!(
                "{}: run time, aggregate speed and memory are over the {} runs in which every job \
                 succeeded",
                s.variant, s.runs_ok
            ));
        }
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
        for (label, figure, format) in figures(s) {
            if let Some(figure) = figure {
                let _ = writeln!(
                    out,
                    "  {label:<36} {:<16} {}",
                    format(figure.value),
                    cv_text(&figure)
                );
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
        for (label, figure, format) in figures(s) {
            if let Some(figure) = figure {
                let _ = writeln!(
                    out,
                    "| {label} | {} | {} |",
                    format(figure.value),
                    cv_text(&figure)
                );
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
         and memory are means over runs. CV: standard deviation / mean of the per-run values; \
         (!) marks more than {:.0} %. Sizes in MiB = 2^20 bytes.",
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
        assert_eq!(s.socket_ns.value, 400.0);
        assert_eq!(s.setup_ns.value, 4000.0);
        assert_eq!(s.receive_ns.value, 750_000_000.0);
        // Per-job speeds 1, 1, 2, 2 MiB/s.
        assert_eq!(s.job_mib_s.value, 1.5);
        assert_eq!(s.run_ns.value, 2e9);
        // Per-run socket means 200 and 600: CV = std(200, 600) / 400.
        let expected = (2.0f64 * 200.0 * 200.0).sqrt() / 400.0;
        assert!((s.socket_ns.cv.unwrap() - expected).abs() < 1e-12);
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
        assert_eq!(s.socket_ns.value, 42.0);
        assert_eq!(s.job_mib_s.value, 3.0);
        assert_eq!(s.socket_ns.cv, None);
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
    fn coefficient_of_variation() {
        assert_eq!(cv(&[1.0]), None);
        assert_eq!(cv(&[0.0, 0.0]), None);
        assert_eq!(cv(&[2.0, 2.0, 2.0]), Some(0.0));
        assert!((cv(&[1.0, 3.0]).unwrap() - 2f64.sqrt() / 2.0).abs() < 1e-12);
    }
}
