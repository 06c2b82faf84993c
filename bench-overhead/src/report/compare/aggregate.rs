//! Grouping runs by setup and averaging them over iterations: the figures every output prints.
//!
//! A row of a comparison table is one setup: the same OS, version, architecture, kernel, network
//! path and variant, measured under the same conditions (server, connections, payload, buffer, the
//! client machine and a QEMU guest's virtual hardware: see `conditions`), from inputs of the same
//! standing (measured, partial, published). The averages are those of `summarize`
//! (`crate::results::averages`): per-job figures pooled over every successful job, percentiles
//! over the pooled job times of jobs.csv, per-run figures over the runs in which every job
//! succeeded. A figure no run measured stays `None` and prints as `—`,
//! never as 0.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::conditions::{self, Condition};
use crate::report::{label, number};
use crate::results::averages::{self, JobTimes, Phase, Pooled, Quantile, RunSelection};
use crate::results::load::{Run, Source, Status};
use crate::units::MIB;
use bench_records::Variant;
use bench_records::{RunRecord, RunRow};

/// The old suite's columns, averaged over a setup's runs.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Figures {
    /// Mean `socket()` time per job, µs.
    pub socket_creation_us: Option<f64>,
    /// Mean job setup time (thread spawn, or register + non-blocking connect), µs.
    pub job_setup_us: Option<f64>,
    /// Mean per-job receive time (request written → last byte), s.
    pub receive_s: Option<f64>,
    /// Mean per-job download speed, MiB/s.
    pub job_mib_s: Option<f64>,
    /// Mean run time (first socket → last job finished), s.
    pub run_time_s: Option<f64>,
    /// Mean of memmon's average: anonymous PSS where the OS has it, else RSS, MiB.
    pub memory_mib: Option<f64>,
}

/// The `--extended` columns, averaged the same way.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Extended {
    /// Median transfer time (first byte → last byte) of every successful job of every run pooled
    /// (jobs.csv), s; `None` for several runs without their job times.
    pub transfer_p50_s: Option<f64>,
    /// 99th percentile transfer time, pooled the same way, s.
    pub transfer_p99_s: Option<f64>,
    /// All body bytes / run time, GiB/s.
    pub aggregate_gib_s: Option<f64>,
    /// Client CPU seconds (user + system) per GiB of body data.
    pub cpu_s_per_gib: Option<f64>,
    /// Socket system calls per MiB of body data.
    pub syscalls_per_mib: Option<f64>,
    /// Voluntary + involuntary context switches of the client per run.
    pub context_switches: Option<f64>,
    /// Peak RSS the kernel reported for the client, MiB.
    pub peak_rss_mib: Option<f64>,
    /// Spread over iterations: coefficient of variation of the run time, % (needs 2 runs).
    pub run_time_cv_pct: Option<f64>,
    /// Server CPU seconds (user + system) per GiB of body data; `None` where the server was not
    /// measured (not started by the suite, or on another machine).
    pub server_cpu_s_per_gib: Option<f64>,
    /// Mean of the server's average memory (anonymous PSS, else RSS), MiB.
    pub server_memory_mib: Option<f64>,
    /// Mean kernel TCP socket memory (system-wide) over the run's connections, KiB.
    pub socket_memory_per_connection_kib: Option<f64>,
    /// Mean TCP retransmits per connection (the client side's TCP_INFO).
    pub retransmits_per_connection: Option<f64>,
}

/// One line of a table: a setup and its figures.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Row {
    /// `Linux (x86_64, 6.1.0) Threaded`, with `[condition]` when another row of the table would
    /// read the same, and `(partial)` / `(published)` marks.
    pub setup: String,
    pub os: String,
    pub os_version: String,
    pub arch: String,
    pub kernel: String,
    pub variant: String,
    /// Readiness API behind the variant: `blocking` (threaded), `epoll`, `kqueue`, `poll`.
    pub backend: String,
    pub server: String,
    pub connections: u32,
    pub payload_bytes: u64,
    pub buffer_size: u64,
    /// The client machine (meta.json `hostname`, `cpu_model`); "" when not known.
    pub hostname: String,
    pub cpu_model: String,
    /// The virtual hardware of a QEMU guest (meta.json `extra`: `qemu_nic`, `qemu_vcpus`,
    /// `qemu_accel`) and the TCP congestion control (`tcp_congestion_control`), those given.
    pub hardware: BTreeMap<String, String>,
    pub partial: bool,
    pub published: bool,
    /// Iterations the figures average (published rows count the iterations the publication averaged).
    pub runs: usize,
    /// Runs the per-run figures (run time, memory, …) average: those in which every job succeeded,
    /// or every run when none did.
    pub runs_averaged: usize,
    /// Jobs of all runs; `None` when the input does not say (published rows).
    pub jobs_ok: Option<u64>,
    pub jobs_failed: Option<u64>,
    pub figures: Figures,
    /// Always computed; left out of the JSON without `--extended`, as from the markdown.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub extended: Option<Extended>,
    /// A remark on the memory figure, printed after it as published: `(virtual peaked at 8 GB)`.
    pub memory_note: Option<String>,
    #[serde(skip)]
    pub selection: RunSelection,
    /// Whether the transfer percentiles are `None` because several runs lack their jobs.csv.
    #[serde(skip)]
    pub percentiles_need_jobs: bool,
    #[serde(skip)]
    pub addresses: BTreeSet<String>,
    /// The inputs the row's runs came from, for messages.
    #[serde(skip)]
    pub sources: Vec<String>,
}

/// One table: every row measured over one network path.
#[derive(Debug, Clone, Serialize)]
pub struct Table {
    pub network: String,
    pub title: String,
    /// Conditions that differ between the rows (`server`, `connections`, `payload`, `buffer`,
    /// `machine`, `cpu`, `nic`, `vcpus`, `accelerator`).
    pub differing: Vec<Condition>,
    pub rows: Vec<Row>,
}

/// The grouping key: what makes two runs iterations of one setup.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct SetupKey {
    network: String,
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
        match tables.iter_mut().find(|t| t.network == key.network) {
            Some(table) => table.rows.push(row),
            None => tables.push(Table {
                network: key.network.clone(),
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
        hardware: source.hardware.clone(),
        partial: source.status == Status::Partial,
        published: source.published,
    }
}

/// Mean of the values that are present; `None` when none is.
fn mean(values: impl IntoIterator<Item = Option<f64>>) -> Option<f64> {
    averages::mean(&values.into_iter().flatten().collect::<Vec<f64>>())
}

fn run_figure(run: &Run, columns: &[&str], value: impl FnOnce() -> f64) -> Option<f64> {
    columns.iter().all(|c| run.has(c)).then(value)
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
    let job = |column: &str, value: fn(&RunRow) -> f64, scale: f64| {
        averages::pooled(
            all.iter()
                .filter_map(|r| averages::job_sum(r, column, value(&r.row))),
        )
        .map(|v| v / scale)
    };
    // Per-run figures: over the runs in which every job succeeded, as summarize.
    let (measured, selection) = averages::select_runs(runs, |(r, _)| averages::clean(r));
    let rows = || measured.iter().map(|(run, _)| *run);
    let figures = Figures {
        socket_creation_us: job("socket_mean_ns", |r| r.socket_mean_ns, 1e3),
        job_setup_us: job("setup_mean_ns", |r| r.setup_mean_ns, 1e3),
        receive_s: job("receive_mean_ns", |r| r.receive_mean_ns, 1e9),
        job_mib_s: job("job_mib_s", |r| r.job_mib_s, 1.0),
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
    let pooled = |q: Quantile| averages::pooled_percentile(&with_times, Phase::Transfer, q);
    let percentile = |q: Quantile| pooled(q).value().map(|ns| ns as f64 / 1e9);
    let percentiles_need_jobs = pooled(Quantile::P50) == Pooled::WithoutJobTimes;
    let extended = Extended {
        transfer_p50_s: percentile(Quantile::P50),
        transfer_p99_s: percentile(Quantile::P99),
        aggregate_gib_s: mean(
            rows().map(|r| run_figure(r, &["aggregate_mib_s"], || r.row.aggregate_mib_s)),
        )
        .map(|mib_s| mib_s / 1024.0),
        cpu_s_per_gib: mean(rows().map(|r| {
            run_figure(r, &["cpu_user_s", "cpu_sys_s", "bytes"], || {
                RunRecord::from(&r.row).cpu_s_per_gib()
            })
            .filter(|_| r.row.bytes > 0)
        })),
        syscalls_per_mib: mean(rows().map(|r| {
            run_figure(
                r,
                &[
                    "sys_socket",
                    "sys_connect",
                    "sys_send",
                    "sys_recv",
                    "sys_wait",
                    "bytes",
                ],
                || RunRecord::from(&r.row).syscalls_per_mib(),
            )
            .filter(|_| r.row.bytes > 0)
        })),
        context_switches: mean(rows().map(|r| {
            run_figure(r, &["ctx_voluntary", "ctx_involuntary"], || {
                (r.row.ctx_voluntary.unwrap_or(0) + r.row.ctx_involuntary.unwrap_or(0)) as f64
            })
        })),
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
        jobs_ok: count(all.iter().copied(), "jobs_ok", |r| r.jobs_ok),
        jobs_failed: count(all.iter().copied(), "jobs_failed", |r| r.jobs_failed),
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
        sources,
    };
    finish_figures(&mut row, variant)?;
    Ok(row)
}

/// Rounds every figure to 15 significant digits, beyond which an `f64` sum only carries noise
/// (`2.4083200000000002`), and refuses figures that are not finite: a mean that overflowed would
/// print as `inf` and leave the charts without a scale.
fn finish_figures(row: &mut Row, variant: Variant) -> anyhow::Result<()> {
    let f = &mut row.figures;
    let x = row.extended.get_or_insert_with(Extended::default);
    let named: [(&str, &mut Option<f64>); 18] = [
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
fn count<'a>(
    runs: impl Iterator<Item = &'a Run>,
    column: &str,
    value: impl Fn(&RunRow) -> u32,
) -> Option<u64> {
    runs.filter(|r| r.has(column))
        .map(|r| u64::from(value(&r.row)))
        .fold(None, |sum, v| Some(sum.unwrap_or(0) + v))
}

fn run_seconds(run: &Run) -> Option<f64> {
    run_figure(run, &["run_ns"], || run.row.run_ns as f64 / 1e9)
}

/// Bytes as MiB for the condition columns: `200 MiB`.
pub fn payload_label(bytes: u64) -> String {
    if bytes == 0 {
        "—".to_string()
    } else {
        format!(
            "{} MiB",
            crate::report::number::g(bytes as f64 / MIB as f64)
        )
    }
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
