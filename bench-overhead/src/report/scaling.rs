//! The scaling sweep: how each model's cost grows with the connection count, from the rows of a
//! comparison table that differ only in their connection count.
//!
//! A sweep is the rows of one network path and one machine, server and client build (the same
//! setup but for the connection count and the payload per connection, which a sweep may size per
//! step) at two or more connection counts. Its table has one row per connection count and, per
//! model, the figures that show the curve: aggregate MiB/s, CPU seconds per GiB, syscalls per MiB,
//! client memory, memory per connection, and the pooled p99 connect and TTFB. Published reference
//! rows measured one connection count (100) and have no sweep.
//!
//! Memory per connection is the slope between neighbouring steps: (memory − memory of the step
//! before) / (connections − connections of the step before), taken from the largest memory sample
//! of each run (every connection is open then), averaged over the step's runs. That is the figure
//! that tells a thread's cost (its stack and kernel task) from a poll entry's.

use std::fmt::Write as _;

use serde::Serialize;

use super::compare::table::{Row, Table};
use super::label;
use super::number::cell;
use bench_records::Variant;

/// One model's figures at one connection count.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Point {
    pub aggregate_mib_s: Option<f64>,
    pub cpu_s_per_gib: Option<f64>,
    pub syscalls_per_mib: Option<f64>,
    /// Mean of the runs' largest memory sample, MiB.
    pub memory_mib: Option<f64>,
    /// Slope of `memory_mib` from the step before, KiB per connection; `None` at the first step.
    pub memory_per_connection_kib: Option<f64>,
    pub connect_p99_ms: Option<f64>,
    pub ttfb_p99_ms: Option<f64>,
}

/// One step of a sweep: a connection count and each model's point (`None`: not measured there).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Step {
    pub connections: u32,
    pub points: Vec<Option<Point>>,
}

/// One sweep: a network path, a machine, a server; its models and steps.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Sweep {
    pub network: String,
    /// `Scaling over loopback (127.0.0.1): Linux (x86_64, 6.1.0), lighttpd/1.4.69`.
    pub title: String,
    /// `Threaded`, `poll()-based (epoll)`.
    pub models: Vec<String>,
    pub steps: Vec<Step>,
    /// Whether the table beside it holds published rows (which have no sweep).
    #[serde(skip)]
    pub beside_published: bool,
}

/// What makes rows steps of one sweep: everything of their setup but the connection count and
/// the payload.
#[derive(Debug, Clone, PartialEq)]
struct SweepKey<'a> {
    os: &'a str,
    os_version: &'a str,
    arch: &'a str,
    kernel: &'a str,
    server: &'a str,
    buffer_size: u64,
    hostname: &'a str,
    cpu_model: &'a str,
    hardware: &'a std::collections::BTreeMap<String, String>,
    partial: bool,
}

fn key(row: &Row) -> SweepKey<'_> {
    SweepKey {
        os: &row.os,
        os_version: &row.os_version,
        arch: &row.arch,
        kernel: &row.kernel,
        server: &row.server,
        buffer_size: row.buffer_size,
        hostname: &row.hostname,
        cpu_model: &row.cpu_model,
        hardware: &row.hardware,
        partial: row.partial,
    }
}

/// `Threaded`, `poll()-based (epoll)`, `io_uring`: the variant and, where it has a choice of
/// readiness API, that API.
fn model(row: &Row) -> String {
    let variant = Variant::ALL
        .into_iter()
        .find(|v| v.name() == row.variant)
        .map_or_else(
            || row.variant.clone(),
            |v| label::variant_label(v).to_string(),
        );
    if row.variant != "poll" || row.backend.is_empty() {
        variant.to_string()
    } else {
        format!("{variant} ({})", row.backend)
    }
}

fn point(row: &Row) -> Point {
    let x = row.extended.clone().unwrap_or_default();
    Point {
        aggregate_mib_s: x.aggregate_gib_s.map(|v| v * 1024.0),
        cpu_s_per_gib: x.cpu_s_per_gib,
        syscalls_per_mib: x.syscalls_per_mib,
        memory_mib: x.memory_max_mib,
        memory_per_connection_kib: None,
        connect_p99_ms: x.connect_p99_s.map(|s| s * 1e3),
        ttfb_p99_ms: x.ttfb_p99_s.map(|s| s * 1e3),
    }
}

/// Every sweep among the tables' measured rows, in table order.
pub fn sweeps(tables: &[Table]) -> Vec<Sweep> {
    let mut sweeps = Vec::new();
    for table in tables {
        let measured: Vec<&Row> = table.rows.iter().filter(|r| !r.published).collect();
        let mut keys: Vec<SweepKey> = Vec::new();
        for row in &measured {
            if !keys.contains(&key(row)) {
                keys.push(key(row));
            }
        }
        for k in keys {
            let rows: Vec<&Row> = measured.iter().copied().filter(|r| key(r) == k).collect();
            let mut counts: Vec<u32> = rows.iter().map(|r| r.connections).collect();
            counts.sort_unstable();
            counts.dedup();
            if counts.len() < 2 {
                continue;
            }
            let mut models: Vec<String> = Vec::new();
            for row in &rows {
                if !models.contains(&model(row)) {
                    models.push(model(row));
                }
            }
            let mut steps: Vec<Step> = counts
                .iter()
                .map(|&connections| Step {
                    connections,
                    points: models
                        .iter()
                        .map(|m| {
                            rows.iter()
                                .find(|r| r.connections == connections && model(r) == *m)
                                .map(|r| point(r))
                        })
                        .collect(),
                })
                .collect();
            add_slopes(&mut steps);
            let first = rows[0];
            let machine =
                label::machine_label(&first.os, &first.os_version, &first.arch, &first.kernel);
            let path = table
                .title
                .trim_end_matches(':')
                .replacen("Over", "over", 1);
            let mut title = format!("Scaling {path}: {machine}, {}", first.server);
            if !first.hostname.is_empty() {
                title = format!("{title}, host {}", first.hostname);
            }
            if first.partial {
                title = format!("{title} {}", label::PARTIAL_MARK);
            }
            sweeps.push(Sweep {
                network: table.network.clone(),
                title,
                models,
                steps,
                beside_published: table.rows.iter().any(|r| r.published),
            });
        }
    }
    sweeps
}

/// Each point's memory per connection: the slope from the same model's point at the step before.
fn add_slopes(steps: &mut [Step]) {
    for i in 1..steps.len() {
        let (before, after) = steps.split_at_mut(i);
        let (prev, step) = (&before[i - 1], &mut after[0]);
        let added = f64::from(step.connections - prev.connections);
        for (point, earlier) in step.points.iter_mut().zip(&prev.points) {
            let (Some(point), Some(earlier)) = (point, earlier) else {
                continue;
            };
            if let (Some(now), Some(then)) = (point.memory_mib, earlier.memory_mib) {
                point.memory_per_connection_kib = Some((now - then) * 1024.0 / added);
            }
        }
    }
}

/// The columns of each model, with the unit of their cells.
const MEASURES: [(&str, &str); 7] = [
    ("MiB/s", ""),
    ("CPU s/GiB", ""),
    ("syscalls/MiB", ""),
    ("memory", "MiB"),
    ("per connection", "KiB"),
    ("p99 connect", "ms"),
    ("p99 TTFB", "ms"),
];

fn cells(point: &Option<Point>) -> [String; 7] {
    let p = point.clone().unwrap_or_default();
    let values = [
        p.aggregate_mib_s,
        p.cpu_s_per_gib,
        p.syscalls_per_mib,
        p.memory_mib,
        p.memory_per_connection_kib,
        p.connect_p99_ms,
        p.ttfb_p99_ms,
    ];
    std::array::from_fn(|i| cell(values[i], MEASURES[i].1))
}

/// The sweeps as markdown tables, each with its notes; "" without a sweep.
pub fn markdown(sweeps: &[Sweep]) -> String {
    let mut out = String::new();
    for sweep in sweeps {
        let _ = writeln!(out, "{}:\n", sweep.title);
        let mut header = vec!["Connections".to_string()];
        for model in &sweep.models {
            header.extend(MEASURES.iter().map(|(name, _)| format!("{model} {name}")));
        }
        let _ = writeln!(out, "| {} |", header.join(" | "));
        let _ = writeln!(out, "|{}", "---|".repeat(header.len()));
        for step in &sweep.steps {
            let mut row = vec![step.connections.to_string()];
            for point in &step.points {
                row.extend(cells(point));
            }
            let _ = writeln!(out, "| {} |", row.join(" | "));
        }
        let _ = writeln!(out, "\n{NOTE}\n");
        if sweep.beside_published {
            let _ = writeln!(
                out,
                "{}: the published rows measured 100 connections only: they have no sweep.\n",
                label::PUBLISHED_MARK
            );
        }
    }
    out
}

/// What the sweep's columns are.
const NOTE: &str = "Per connection count, means over its runs in which every job succeeded: \
    MiB/s is the aggregate (all bytes / run time); CPU s/GiB the client's user + system CPU per GiB; \
    syscalls/MiB its socket system calls per MiB; memory the largest sample of anonymous PSS (else \
    RSS) of each run; per connection the slope of that memory from the step above ((memory − \
    memory above) / (connections − connections above), KiB); p99 connect and TTFB pooled over \
    every successful job of the step's runs. —: not measured (or the first step, which has no \
    slope).";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_per_connection_is_the_slope_between_steps() {
        let at = |connections, memory| Step {
            connections,
            points: vec![
                Some(Point {
                    memory_mib: Some(memory),
                    ..Point::default()
                }),
                None,
            ],
        };
        let mut steps = vec![at(1, 1.0), at(4, 1.75), at(16, 13.75)];
        add_slopes(&mut steps);
        let slopes: Vec<Option<f64>> = steps
            .iter()
            .map(|s| s.points[0].as_ref().unwrap().memory_per_connection_kib)
            .collect();
        // 0.75 MiB over 3 connections: 256 KiB each; 12 MiB over 12: 1024 KiB.
        assert_eq!(slopes, [None, Some(256.0), Some(1024.0)]);
        assert!(steps[2].points[1].is_none());
    }
}
