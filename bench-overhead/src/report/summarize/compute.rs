//! Reading a results folder into a [`Summary`]: each variant's figures computed once, from
//! `jobs.csv` where it has the run's jobs and from `runs.csv` otherwise.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::bail;

use super::summary::{Figure, Summary, VariantNotRun, VariantSummary};
use super::view;
use crate::report::compare::aggregate;
use crate::report::scaling;
use crate::results::averages::{self, cv, mean, JobSum};
use crate::results::jobs;
use crate::results::load::{self, Run, Status};
use bench_records::Variant;
use bench_records::{JobRecord, RunRecord};

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
        jobs_by_run.entry(&*job.run_id).or_default().push(job);
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
    // (workload, variant) of each iteration that left no record.
    let unrecorded: Vec<(&str, Option<Variant>)> = meta
        .failed_iterations
        .iter()
        .filter(|f| !f.recorded)
        .map(|f| (f.workload.as_deref().unwrap_or("download"), f.variant()))
        .collect();

    // A summary per workload, model, backend and connection count: poll over epoll and over
    // poll(2) are different setups, and figures of 1 and of 1,000 connections do not average
    // into anything. Request-rate runs have summaries of their own (`requests.rs`).
    let mut variants_seen: Vec<Variant> = Vec::new();
    let mut workloads_seen: Vec<&str> = Vec::new();
    let mut backends_seen: Vec<(&str, Variant, &str)> = Vec::new();
    let mut groups: Vec<(&str, Variant, &str, u32)> = Vec::new();
    for run in runs.iter().filter(|r| !r.request_rate()) {
        if !variants_seen.contains(&run.variant) {
            variants_seen.push(run.variant);
        }
        if !workloads_seen.contains(&run.workload()) {
            workloads_seen.push(run.workload());
        }
        let backend = (run.workload(), run.variant, run.row.backend.as_str());
        if !backends_seen.contains(&backend) {
            backends_seen.push(backend);
        }
        let group = (
            run.workload(),
            run.variant,
            run.row.backend.as_str(),
            run.row.connections,
        );
        if !groups.contains(&group) {
            groups.push(group);
        }
    }
    groups.sort_by_key(|&(workload, variant, backend, connections)| {
        let workload_at = workloads_seen.iter().position(|w| *w == workload);
        let model = variants_seen.iter().position(|v| *v == variant);
        let backend = backends_seen
            .iter()
            .position(|b| *b == (workload, variant, backend));
        (workload_at, model, backend, connections)
    });
    // An iteration that left no record is counted for the variant its run id names, where that
    // variant has one summary (a sweep's or several backends' unrecorded runs are not attributed).
    let unrecorded_of = |workload: Option<&str>, variant: Option<Variant>| {
        variant.map_or(0, |variant| {
            unrecorded
                .iter()
                .filter(|(w, _)| workload.map_or(true, |workload| workload == *w))
                .filter(|(_, v)| *v == Some(variant))
                .count()
        })
    };
    let single_group = |workload: &str, variant: Variant| {
        groups
            .iter()
            .filter(|g| g.0 == workload && g.1 == variant)
            .count()
            == 1
    };
    let variants: Vec<VariantSummary> = groups
        .iter()
        .map(|&(workload, variant, backend, connections)| {
            let rows: Vec<&Run> = runs
                .iter()
                .filter(|r| {
                    !r.request_rate()
                        && r.workload() == workload
                        && r.variant == variant
                        && r.row.backend == backend
                        && r.row.connections == connections
                })
                .collect();
            let mut summary = summarize_variant(&rows, &jobs_by_run);
            summary.workload = workload.to_string();
            let no_record = if single_group(workload, variant) {
                unrecorded_of(Some(workload), Some(variant))
            } else {
                0
            };
            let missing = if status == "complete" {
                (meta.iterations as usize).saturating_sub(rows.len() + no_record)
            } else {
                0
            };
            summary.runs_unrecorded = no_record + missing;
            summary.cost_measured = meta.server_cost.is_some();
            summary.iterations_planned = meta.iterations;
            summary
        })
        .collect();

    let variants_not_run = meta
        .variants
        .iter()
        .filter(|token| {
            // A token names a model and, after `:`, its backend (`poll:epoll`).
            let (name, backend) = token
                .split_once(':')
                .map_or((token.as_str(), None), |(n, b)| (n, Some(b)));
            !runs
                .iter()
                .any(|r| r.variant.name() == name && backend.map_or(true, |b| r.row.backend == b))
        })
        .map(|v| VariantNotRun {
            variant: v.clone(),
            runs_unrecorded: unrecorded_of(
                None,
                v.split(':').next().and_then(|name| name.parse().ok()),
            ),
        })
        .collect();
    let sweep = groups.len() > backends_seen.len();
    let mut variants = variants;
    for s in &mut variants {
        s.sweep_step = sweep;
        s.warnings = view::warnings(s);
    }
    let runs_csv = runs_path.display().to_string();
    for s in &variants {
        check_finite(s, &runs_csv)?;
    }
    let requests = super::requests::summaries(&runs, &runs_csv)?;
    let sweeps = if sweep {
        let source = load::load(folder)?;
        scaling::sweeps(&aggregate::tables(&[source])?)
    } else {
        Vec::new()
    };
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
        requests,
        variants_not_run,
        sweeps,
        orphan_jobs,
        failed_iterations,
        server_cost: meta
            .server_cost
            .as_ref()
            .map(|c| c.note.clone())
            .unwrap_or_default(),
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

/// Refuses a figure (or its spread) that is not a finite number, in `compare`'s words.
fn check_finite(s: &VariantSummary, runs_csv: &str) -> anyhow::Result<()> {
    for line in view::figures(s) {
        let Some(figure) = line.figure else { continue };
        if !figure.value.is_finite() || figure.cv.is_some_and(|cv| !cv.is_finite()) {
            return Err(averages::not_finite(
                runs_csv,
                &line.label.to_lowercase(),
                &s.subject(),
            ));
        }
    }
    Ok(())
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
    [
        averages::job_sum(run, run.socket_mean_ns()),
        averages::job_sum(run, run.setup_mean_ns()),
        averages::job_sum(run, run.receive_mean_ns()),
        averages::job_sum(run, run.job_mib_s()),
    ]
}

/// A figure over per-run `values`; `None` without any.
/// Of the runs whose rows say how many memory samples were scheduled, how many got fewer than the
/// schedule's share (memmon's rule, `bench_records::behind_schedule`); and how many say.
fn behind_schedule(rows: &[&Run]) -> (usize, usize) {
    let said: Vec<(u64, u64)> = rows
        .iter()
        .filter_map(|r| Some((r.row.mem_samples?, r.row.mem_scheduled_samples?)))
        .collect();
    let behind = said
        .iter()
        .filter(|&&(taken, scheduled)| bench_records::behind_schedule(taken, scheduled))
        .count();
    (behind, said.len())
}

fn run_figure(values: Vec<f64>) -> Option<Figure> {
    Some(Figure {
        value: mean(&values)?,
        cv: cv(&values),
        runs: values.len(),
    })
}

pub(super) fn summarize_variant(
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
    let measured_value = |value: fn(&Run) -> Option<f64>| {
        run_figure(measured.iter().filter_map(|r| value(r)).collect())
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

    let cost = |value: fn(&RunRecord) -> Option<f64>| {
        run_figure(
            measured
                .iter()
                .filter_map(|r| value(&RunRecord::from(&r.row)))
                .collect(),
        )
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
        workload: first.workload.clone(),
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
        run_ns: measured_value(|r| r.run_ns().map(|ns| ns as f64)),
        aggregate_mib_s: measured_value(Run::aggregate_mib_s),
        memory_metric,
        memory_runs: memory.len(),
        memory_samples_min: measured.iter().filter_map(|r| r.row.mem_samples).min(),
        memory_behind_schedule: behind_schedule(rows),
        memory_min_bytes: memory_figure(|m| m.min),
        memory_avg_bytes: memory_figure(|m| Some(m.avg)),
        memory_max_bytes: memory_figure(|m| m.max),
        server_cpu_s_per_gib: cost(RunRecord::server_cpu_s_per_gib),
        server_memory_avg_bytes: cost(|r| Some(r.server.as_ref()?.primary_memory()?.avg)),
        socket_memory_per_connection_bytes: cost(RunRecord::socket_mem_per_connection),
        tcp_inuse_start: cost(|r| Some(r.sockets?.tcp_inuse_start as f64)),
        retransmits_per_connection: cost(|r| Some(r.tcp?.retransmits.avg)),
        rtt_us: cost(|r| Some(r.tcp?.rtt_us.avg)),
        warnings: Vec::new(),
        cost_measured: false,
        selection,
        sweep_step: false,
    };
    summary.warnings = view::warnings(&summary);
    summary
}
