//! Grouping runs by setup and averaging them over iterations: the figures every output prints.
//!
//! A row of a comparison table is one setup: the same OS, version, architecture, kernel, network
//! path and variant, measured under the same conditions (server, connections, payload, buffer), from
//! inputs of the same standing (measured, partial, published). Each figure is the mean over the
//! runs that measured it; a figure no run measured stays `None` and prints as `—`, never as 0.

use std::collections::BTreeSet;

use serde::Serialize;

use super::label;
use super::load::{Run, Source, Status};
use crate::cli::Variant;
use crate::record::{RunRecord, RunRow};
use crate::units::MIB;

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
    /// Mean over runs of each run's median transfer time (first byte → last byte), s.
    pub transfer_p50_s: Option<f64>,
    /// Mean over runs of each run's 99th percentile transfer time, s.
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
}

/// One line of a table: a setup and its figures.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    /// `Linux (x86_64, 6.1.0) Threaded`, with `(partial)` / `(published)` marks.
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
    pub partial: bool,
    pub published: bool,
    /// Iterations the figures average (published rows count the iterations the publication averaged).
    pub runs: usize,
    /// Jobs of all runs; `None` when the input does not say (published rows).
    pub jobs_ok: Option<u64>,
    pub jobs_failed: Option<u64>,
    pub figures: Figures,
    /// Always computed; left out of the JSON without `--extended`, as from the markdown.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub extended: Option<Extended>,
    /// A remark on the memory figure, printed as a footnote.
    pub memory_note: Option<String>,
    #[serde(skip)]
    pub addresses: BTreeSet<String>,
}

/// One table: every row measured over one network path.
#[derive(Debug, Clone, Serialize)]
pub struct Table {
    pub network: String,
    pub title: String,
    /// Conditions that differ between the rows (`server`, `connections`, `payload`, `buffer`).
    pub differing: Vec<&'static str>,
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
    partial: bool,
    published: bool,
}

/// The runs of one setup and variant, each with the source it came from.
type Group<'a> = (SetupKey, Variant, Vec<(&'a Run, &'a Source)>);

/// Groups the runs of every source into tables, in the order the inputs named them: tables by
/// first appearance of their network path, rows by first appearance of their setup, Threaded
/// before poll()-based as published.
pub fn tables(sources: &[Source]) -> Vec<Table> {
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
        let row = summarize(key, *variant, runs);
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
        table.differing = differing_conditions(&table.rows);
    }
    tables
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
        partial: source.status == Status::Partial,
        published: source.published,
    }
}

fn differing_conditions(rows: &[Row]) -> Vec<&'static str> {
    let differs =
        |f: &dyn Fn(&Row) -> String| rows.iter().map(f).collect::<BTreeSet<String>>().len() > 1;
    let mut differing = Vec::new();
    if servers_differ(rows.iter().map(|r| r.server.as_str())) {
        differing.push("server");
    }
    if differs(&|r| r.connections.to_string()) {
        differing.push("connections");
    }
    if differs(&|r| r.payload_bytes.to_string()) {
        differing.push("payload");
    }
    if differs(&|r| r.buffer_size.to_string()) {
        differing.push("buffer");
    }
    differing
}

/// Whether two rows name different servers. A server named without its version (`lighttpd`, as
/// the published rows know it) agrees with any version of it (`lighttpd/1.4.69`): an unknown
/// version is not a different one.
fn servers_differ<'a>(servers: impl Iterator<Item = &'a str>) -> bool {
    let servers: BTreeSet<&str> = servers.collect();
    let product = |s: &'a str| s.split('/').next().unwrap_or(s);
    servers.iter().any(|a| {
        servers
            .iter()
            .any(|b| a != b && *a != product(b) && *b != product(a))
    })
}

/// Mean of the values that are present; `None` when none is.
fn mean(values: impl IntoIterator<Item = Option<f64>>) -> Option<f64> {
    let (sum, count) = values
        .into_iter()
        .flatten()
        .fold((0.0, 0usize), |(s, n), v| (s + v, n + 1));
    (count > 0).then(|| sum / count as f64)
}

/// Sample coefficient of variation in %; `None` below two values or with a zero mean.
fn coefficient_of_variation(values: &[f64]) -> Option<f64> {
    if values.len() < 2 {
        return None;
    }
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    if mean == 0.0 {
        return None;
    }
    let variance = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0);
    Some(variance.sqrt() / mean * 100.0)
}

/// A per-job phase figure of a run: absent when not measured or when no job of the run succeeded
/// (the means then cover no job at all). Rows that do not give the job counts, as the published
/// ones, are taken as they are.
fn job_figure(run: &Run, column: &str, value: f64, scale: f64) -> Option<f64> {
    let some_job_succeeded = !run.has("jobs_ok") || run.row.jobs_ok > 0;
    (run.has(column) && some_job_succeeded).then(|| value / scale)
}

fn run_figure(run: &Run, columns: &[&str], value: impl FnOnce() -> f64) -> Option<f64> {
    columns.iter().all(|c| run.has(c)).then(value)
}

fn summarize(key: &SetupKey, variant: Variant, runs: &[(&Run, &Source)]) -> Row {
    let rows = || runs.iter().map(|(run, _)| *run);
    let mut setup = label::setup_label(&key.os, &key.os_version, &key.arch, &key.kernel, variant);
    if key.partial {
        setup = format!("{setup} {}", label::PARTIAL_MARK);
    }
    if key.published {
        setup = format!("{setup} {}", label::PUBLISHED_MARK);
    }
    let figures = Figures {
        socket_creation_us: mean(
            rows().map(|r| job_figure(r, "socket_mean_ns", r.row.socket_mean_ns, 1e3)),
        ),
        job_setup_us: mean(
            rows().map(|r| job_figure(r, "setup_mean_ns", r.row.setup_mean_ns, 1e3)),
        ),
        receive_s: mean(
            rows().map(|r| job_figure(r, "receive_mean_ns", r.row.receive_mean_ns, 1e9)),
        ),
        job_mib_s: mean(rows().map(|r| job_figure(r, "job_mib_s", r.row.job_mib_s, 1.0))),
        run_time_s: mean(rows().map(run_seconds)),
        memory_mib: mean(rows().map(|r| {
            r.row
                .mem_pss_anon_avg_bytes
                .or(r.row.mem_rss_avg_bytes)
                .map(|bytes| bytes / MIB as f64)
        })),
    };
    let run_times: Vec<f64> = rows().filter_map(run_seconds).collect();
    let extended = Extended {
        transfer_p50_s: mean(
            rows().map(|r| job_figure(r, "transfer_p50_ns", r.row.transfer_p50_ns as f64, 1e9)),
        ),
        transfer_p99_s: mean(
            rows().map(|r| job_figure(r, "transfer_p99_ns", r.row.transfer_p99_ns as f64, 1e9)),
        ),
        aggregate_gib_s: mean(
            rows().map(|r| run_figure(r, &["aggregate_mib_s"], || r.row.aggregate_mib_s / 1024.0)),
        ),
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
                (r.row.ctx_voluntary + r.row.ctx_involuntary) as f64
            })
        })),
        peak_rss_mib: mean(rows().map(|r| r.row.mem_peak_rss_bytes.map(|b| b as f64 / MIB as f64))),
        run_time_cv_pct: coefficient_of_variation(&run_times),
    };
    let memory_note = runs
        .iter()
        .find_map(|(run, source)| source.memory_notes.get(&run.row.run_id).cloned());
    Row {
        setup,
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
        partial: key.partial,
        published: key.published,
        runs: runs
            .iter()
            .map(|(_, source)| source.iterations_per_row as usize)
            .sum(),
        jobs_ok: count(rows(), "jobs_ok", |r| r.jobs_ok),
        jobs_failed: count(rows(), "jobs_failed", |r| r.jobs_failed),
        figures,
        extended: Some(extended),
        memory_note,
        addresses: rows()
            .map(|r| r.row.address.clone())
            .filter(|a| !a.is_empty())
            .collect(),
    }
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
        format!("{} MiB", super::number::g(bytes as f64 / MIB as f64))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_server_without_version_agrees_with_any_version() {
        assert!(!servers_differ(["lighttpd", "lighttpd/1.4.69"].into_iter()));
        assert!(servers_differ(
            ["lighttpd/1.4.59", "lighttpd/1.4.69"].into_iter()
        ));
        assert!(servers_differ(
            ["lighttpd", "bench-overhead/0.1.0"].into_iter()
        ));
        assert!(!servers_differ(["lighttpd"].into_iter()));
    }

    #[test]
    fn means_skip_absent_values() {
        assert_eq!(mean([Some(1.0), None, Some(3.0)]), Some(2.0));
        assert_eq!(mean([None, None]), None);
        assert_eq!(coefficient_of_variation(&[1.0]), None);
        let cv = coefficient_of_variation(&[9.0, 11.0]).unwrap();
        assert!((cv - 14.142_135_623_730_951).abs() < 1e-9);
    }
}
