//! Grouping runs by setup and averaging them over iterations: the figures every output prints.
//!
//! A row of a comparison table is one setup: the same OS, version, architecture, kernel, network
//! path and variant, measured under the same conditions (server, connections, payload, buffer, the
//! client machine and a QEMU guest's virtual hardware: see `conditions`), from inputs of the same
//! standing (measured, partial, published). The averages are those of `summarize`
//! (`crate::results::averages`): per-job figures pooled over every successful job, percentiles
//! over the pooled job times of jobs.csv, per-run figures over the runs in which every job
//! succeeded. A figure no run measured stays `None` and prints as `—`,
//! never as 0. Tables are per network path and workload; a request-rate setup's row carries
//! its request figures (`results::requests`) for its workload's columns.

use std::collections::{BTreeMap, BTreeSet};

use super::conditions;
use super::table::{Extended, Figures, Row, Table};
use crate::report::{label, number};
use crate::results::averages::{self, Pooled, Quantile};
use crate::results::jobs::{JobTimes, Phase};
use crate::results::load::{Run, Source, Status};
use crate::results::requests::RequestSetup;
use crate::units::MIB;
use bench_records::{RunRecord, Variant};

/// The grouping key: what makes two runs iterations of one setup.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct SetupKey {
    network: String,
    workload: String,
    os: String,
    os_version: String,
    arch: String,
    kernel: String,
    backend: String,
    server: String,
    connections: u32,
    payload_bytes: u64,
    buffer_size: u64,
    hostname: String,
    cpu_model: String,
    hardware: BTreeMap<String, String>,
    partial: bool,
    published: bool,
}

/// The runs of one setup and variant, each with the source it came from.
type Group<'a> = (SetupKey, Variant, Vec<(&'a Run, &'a Source)>);

/// Groups the runs of every source into tables, in the order the inputs named them: tables by
/// first appearance of their network path, rows by first appearance of their setup, Threaded
/// before poll()-based as published. Fails when a mean is not a finite number (values so large
/// that their sum overflows), naming the inputs.
pub fn tables(sources: &[Source]) -> anyhow::Result<Vec<Table>> {
    let mut groups: Vec<Group> = Vec::new();
    let mut setup_order: Vec<SetupKey> = Vec::new();
    for source in sources {
        for run in &source.runs {
            let key = setup_key(run, source);
            if !setup_order.contains(&key) {
                setup_order.push(key.clone());
            }
            let variant = run.variant;
            match groups
                .iter_mut()
                .find(|(k, v, _)| *k == key && *v == variant)
            {
                Some((_, _, runs)) => runs.push((run, source)),
                None => groups.push((key, variant, vec![(run, source)])),
            }
        }
    }
    groups.sort_by_key(|(key, variant, _)| {
        let setup = setup_order.iter().position(|k| k == key);
        let variant = Variant::ALL.iter().position(|v| v == variant);
        (setup, variant)
    });

    let mut tables: Vec<Table> = Vec::new();
    for (key, variant, runs) in &groups {
        let row = summarize(key, *variant, runs)?;
        match tables
            .iter_mut()
            .find(|t| t.network == key.network && t.workload == key.workload)
        {
            Some(table) => table.rows.push(row),
            None => tables.push(Table {
                network: key.network.clone(),
                workload: key.workload.clone(),
                title: String::new(),
                differing: Vec::new(),
                rows: vec![row],
            }),
        }
    }
    for table in &mut tables {
        let addresses: BTreeSet<&String> = table.rows.iter().flat_map(|r| &r.addresses).collect();
        let address = (addresses.len() == 1).then(|| addresses.first().map(|a| a.as_str()));
        table.title = label::table_title(&table.network, address.flatten());
        if table.workload != "download" {
            table.title = format!("{}, {}:", table.title.trim_end_matches(':'), table.workload);
        }
        table.differing = conditions::differing(&table.rows);
        label_rows(&mut table.rows);
    }
    Ok(tables)
}

/// Writes each row's Setup label; rows that would read the same get the conditions that tell
/// them apart in brackets.
fn label_rows(rows: &mut [Row]) {
    let base = |r: &Row| {
        let variant = Variant::ALL
            .into_iter()
            .find(|v| v.name() == r.variant)
            .unwrap_or(Variant::Threaded);
        label::setup_label(&r.os, &r.os_version, &r.arch, &r.kernel, variant)
    };
    let bases: Vec<(String, bool, bool)> = rows
        .iter()
        .map(|r| (base(r), r.partial, r.published))
        .collect();
    // Rows of one base label are told apart by their conditions whatever their marks: a partial
    // folder's row beside a complete one still says which server (…) it measured.
    let mut brackets = vec![String::new(); rows.len()];
    for (i, (b, _, _)) in bases.iter().enumerate() {
        let same: Vec<usize> = (0..rows.len()).filter(|j| bases[*j].0 == *b).collect();
        if same.len() > 1 && same[0] == i {
            let group: Vec<&Row> = same.iter().map(|j| &rows[*j]).collect();
            for (j, bracket) in same.iter().zip(conditions::brackets(&group)) {
                brackets[*j] = bracket;
            }
        }
    }
    for ((row, (base, partial, published)), bracket) in rows.iter_mut().zip(bases).zip(brackets) {
        let mut setup = base;
        for (present, mark) in [
            (!bracket.is_empty(), bracket.as_str()),
            (partial, label::PARTIAL_MARK),
            (published, label::PUBLISHED_MARK),
        ] {
            if present {
                setup = format!("{setup} {mark}");
            }
        }
        row.setup = setup;
    }
}

fn setup_key(run: &Run, source: &Source) -> SetupKey {
    let r = &run.row;
    SetupKey {
        network: r.network.clone(),
        workload: r.workload.clone(),
        os: r.os.clone(),
        os_version: r.os_version.clone(),
        arch: r.arch.clone(),
        kernel: r.kernel.clone(),
        backend: r.backend.clone(),
        server: r.server.clone(),
        connections: r.connections,
        payload_bytes: r.payload_bytes,
        buffer_size: r.buffer_size,
        hostname: source.hostname.clone(),
        cpu_model: source.cpu_model.clone(),
        // The `extra` keys that make a different setup (conditions::SETUP_EXTRA_KEYS).
        hardware: source
            .extra
            .iter()
            .filter(|(key, _)| conditions::SETUP_EXTRA_KEYS.iter().any(|(k, _)| k == key))
            .map(|(key, value)| (key.clone(), value.clone()))
            .collect(),
        partial: source.status == Status::Partial,
        published: source.published,
    }
}

/// Mean of the values that are present; `None` when none is.
fn mean(values: impl IntoIterator<Item = Option<f64>>) -> Option<f64> {
    averages::mean(&values.into_iter().flatten().collect::<Vec<f64>>())
}

fn summarize(key: &SetupKey, variant: Variant, runs: &[(&Run, &Source)]) -> anyhow::Result<Row> {
    let all: Vec<&Run> = runs.iter().map(|(run, _)| *run).collect();
    // Published rows stand for the iterations the publication averaged.
    let iterations = |list: &[(&Run, &Source)]| -> usize {
        list.iter()
            .map(|(_, source)| source.iterations_per_row as usize)
            .sum()
    };
    // Each figure is averaged in its runs.csv unit and scaled after, as summarize does, so the two
    // overflow at the same values (and refuse them alike, see `finish_figures`).
    let job = |value: fn(&Run) -> Option<f64>, scale: f64| {
        averages::pooled(all.iter().filter_map(|r| averages::job_sum(r, value(r))))
            .map(|v| v / scale)
    };
    // Per-run figures: over the runs in which every job succeeded, as summarize.
    let (measured, selection) = averages::select_runs(runs, |(r, _)| averages::clean(r));
    let rows = || measured.iter().map(|(run, _)| *run);
    let figures = Figures {
        socket_creation_us: job(Run::socket_mean_ns, 1e3),
        job_setup_us: job(Run::setup_mean_ns, 1e3),
        receive_s: job(Run::receive_mean_ns, 1e9),
        job_mib_s: job(Run::job_mib_s, 1.0),
        run_time_s: mean(rows().map(run_seconds)),
        memory_mib: mean(rows().map(|r| averages::memory(&r.row).map(|m| m.avg)))
            .map(|bytes| bytes / MIB as f64),
    };
    let run_times: Vec<f64> = rows().filter_map(run_seconds).collect();
    // Percentiles pool every successful job of every run (see `averages`).
    let with_times: Vec<(&Run, Option<&JobTimes>)> = runs
        .iter()
        .map(|(run, source)| (*run, source.job_times.get(&run.row.run_id)))
        .collect();
    let pooled = |phase: Phase, q: Quantile| averages::pooled_percentile(&with_times, phase, q);
    let percentile = |phase, q| pooled(phase, q).value().map(|ns| ns as f64 / 1e9);
    let percentiles_need_jobs = pooled(Phase::Transfer, Quantile::P50) == Pooled::WithoutJobTimes;
    let extended = Extended {
        transfer_p50_s: percentile(Phase::Transfer, Quantile::P50),
        transfer_p99_s: percentile(Phase::Transfer, Quantile::P99),
        connect_p99_s: percentile(Phase::Connect, Quantile::P99),
        ttfb_p99_s: percentile(Phase::Ttfb, Quantile::P99),
        memory_max_mib: mean(rows().map(|r| averages::memory(&r.row).and_then(|m| m.max)))
            .map(|bytes| bytes / MIB as f64),
        aggregate_gib_s: mean(rows().map(Run::aggregate_mib_s)).map(|mib_s| mib_s / 1024.0),
        // Derived as the run record derives them, from runs that measured every input.
        cpu_s_per_gib: mean(rows().map(|r| {
            let inputs = r.cpu_user_s().and(r.cpu_sys_s()).and(r.bytes());
            inputs
                .filter(|_| r.row.bytes > 0)
                .map(|_| RunRecord::from(&r.row).cpu_s_per_gib())
        })),
        syscalls_per_mib: mean(rows().map(|r| {
            let counts = r.sys_socket().and(r.sys_connect()).and(r.sys_send());
            let inputs = counts.and(r.sys_recv()).and(r.sys_wait()).and(r.bytes());
            inputs
                .filter(|_| r.row.bytes > 0)
                .map(|_| RunRecord::from(&r.row).syscalls_per_mib())
        })),
        context_switches: mean(
            rows().map(|r| Some((r.row.ctx_voluntary? + r.row.ctx_involuntary?) as f64)),
        ),
        peak_rss_mib: mean(rows().map(|r| r.row.mem_peak_rss_bytes.map(|b| b as f64 / MIB as f64))),
        run_time_cv_pct: averages::cv(&run_times).map(|cv| cv * 100.0),
        server_cpu_s_per_gib: mean(rows().map(|r| RunRecord::from(&r.row).server_cpu_s_per_gib())),
        server_memory_mib: mean(rows().map(|r| {
            let server = RunRecord::from(&r.row).server?;
            Some(server.primary_memory()?.avg / MIB as f64)
        })),
        socket_memory_per_connection_kib: mean(
            rows().map(|r| Some(RunRecord::from(&r.row).socket_mem_per_connection()? / 1024.0)),
        ),
        retransmits_per_connection: mean(rows().map(|r| r.row.tcp_retransmits_avg)),
    };
    let memory_note = runs
        .iter()
        .find_map(|(run, source)| source.memory_notes.get(&run.row.run_id).cloned());
    let mut sources: Vec<String> = Vec::new();
    for (_, source) in runs {
        if !sources.contains(&source.display) {
            sources.push(source.display.clone());
        }
    }
    let mut row = Row {
        setup: String::new(),
        os: key.os.clone(),
        os_version: key.os_version.clone(),
        arch: key.arch.clone(),
        kernel: key.kernel.clone(),
        variant: variant.name().to_string(),
        backend: key.backend.clone(),
        server: key.server.clone(),
        connections: key.connections,
        payload_bytes: key.payload_bytes,
        buffer_size: key.buffer_size,
        hostname: key.hostname.clone(),
        cpu_model: key.cpu_model.clone(),
        hardware: key.hardware.clone(),
        partial: key.partial,
        published: key.published,
        runs: iterations(runs),
        runs_averaged: iterations(&measured),
        jobs_ok: count(all.iter().copied(), Run::jobs_ok),
        jobs_failed: count(all.iter().copied(), Run::jobs_failed),
        figures,
        extended: Some(extended),
        memory_note,
        selection,
        percentiles_need_jobs,
        addresses: all
            .iter()
            .map(|r| r.row.address.clone())
            .filter(|a| !a.is_empty())
            .collect(),
        sources: Vec::new(),
        requests: None,
    };
    // A request-rate setup (keepalive, churn) is printed in its workload's columns, its latency
    // percentiles from the runs' merged histograms.
    if all.iter().any(|r| r.request_rate()) {
        row.requests = Some(RequestSetup::of(&all, &sources.join(", "))?);
    }
    row.sources = sources;
    finish_figures(&mut row, variant)?;
    Ok(row)
}

/// Rounds every figure to 15 significant digits, beyond which an `f64` sum only carries noise
/// (`2.4083200000000002`), and refuses figures that are not finite: a mean that overflowed would
/// print as `inf` and leave the charts without a scale.
fn finish_figures(row: &mut Row, variant: Variant) -> anyhow::Result<()> {
    let f = &mut row.figures;
    let x = row.extended.get_or_insert_with(Extended::default);
    let named: [(&str, &mut Option<f64>); 21] = [
        ("socket creation time", &mut f.socket_creation_us),
        ("job setup time", &mut f.job_setup_us),
        ("receive time", &mut f.receive_s),
        ("per-job download speed (job_mib_s)", &mut f.job_mib_s),
        ("run time", &mut f.run_time_s),
        ("average memory", &mut f.memory_mib),
        ("transfer p50", &mut x.transfer_p50_s),
        ("transfer p99", &mut x.transfer_p99_s),
        ("aggregate speed", &mut x.aggregate_gib_s),
        ("CPU seconds per GiB", &mut x.cpu_s_per_gib),
        ("system calls per MiB", &mut x.syscalls_per_mib),
        ("context switches", &mut x.context_switches),
        ("peak RSS", &mut x.peak_rss_mib),
        ("connect p99", &mut x.connect_p99_s),
        ("TTFB p99", &mut x.ttfb_p99_s),
        ("largest memory sample", &mut x.memory_max_mib),
        ("run time spread", &mut x.run_time_cv_pct),
        ("server CPU seconds per GiB", &mut x.server_cpu_s_per_gib),
        ("server memory", &mut x.server_memory_mib),
        (
            "socket memory per connection",
            &mut x.socket_memory_per_connection_kib,
        ),
        (
            "retransmits per connection",
            &mut x.retransmits_per_connection,
        ),
    ];
    for (name, value) in named {
        let Some(v) = value else { continue };
        if !v.is_finite() {
            let setup =
                label::setup_label(&row.os, &row.os_version, &row.arch, &row.kernel, variant);
            return Err(averages::not_finite(
                &row.sources.join(", "),
                &format!("mean {name}"),
                &setup,
            ));
        }
        *v = number::round_significant(*v, 15);
    }
    Ok(())
}

/// Sum of a count column over the runs that give it; `None` when none does.
fn count<'a>(runs: impl Iterator<Item = &'a Run>, value: fn(&Run) -> Option<u32>) -> Option<u64> {
    runs.filter_map(value)
        .map(u64::from)
        .fold(None, |sum, v| Some(sum.unwrap_or(0) + v))
}

fn run_seconds(run: &Run) -> Option<f64> {
    run.run_ns().map(|ns| ns as f64 / 1e9)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn means_skip_absent_values() {
        assert_eq!(mean([Some(1.0), None, Some(3.0)]), Some(2.0));
        assert_eq!(mean([None, None]), None);
    }
}
