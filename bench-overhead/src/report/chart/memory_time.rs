//! The client's memory over time, from a results folder's `memory.csv` (memmon's samples): one panel
//! per variant, one line per run, so each variant's shape (and the spread between iterations) shows.
//!
//! Each variant has its own panel with its own linear axis from 0, because a poll client of a few
//! MiB drawn on the axis of a threaded client of hundreds lies flat at the bottom; a logarithmic
//! axis would keep one panel but squash the growth within a run that the chart is there to show.
//! The panels share the time axis, and each y axis says its scale, so the sizes stay comparable
//! (the bar chart of average memory compares them on one scale). Every sample is drawn as a dot,
//! and a line joins two samples only when no more than [`GAP_INTERVALS`] intervals lie between
//! them: a line across a gap would draw memory that nobody measured.

use std::collections::BTreeMap;
use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;

use super::{variant_colour, FONT, LABEL_SIZE};
use crate::report::label;
use crate::report::label::payload_label;
use crate::report::number::g;
use crate::results::csv::{describe_error, number_problem, read_header, row_error};
use crate::results::load::{Source, Status};
use crate::units::MIB;
use bench_records::{MemorySample, Variant};

/// Two samples further apart than this many sampling intervals are not joined: at least two
/// scheduled samples are missing between them (one late sample is jitter, not a gap).
pub const GAP_INTERVALS: f64 = 2.5;

/// Height of one variant's panel, pixels.
const PANEL_HEIGHT: u32 = 300;

/// One run's samples: (seconds since start, MiB), in time order.
type Points = Vec<(f64, f64)>;

/// Draws the chart; `false` when the file has no samples of the folder's runs (nothing drawn).
pub fn draw(path: &Path, memory_csv: &Path, source: &Source, name: &str) -> anyhow::Result<bool> {
    let samples = read_samples(memory_csv)?;
    // Each run's variant, from runs.csv; samples of runs that never finished are left out.
    let variants: BTreeMap<&str, Variant> = source
        .runs
        .iter()
        .map(|r| (r.row.run_id.as_str(), r.variant))
        .collect();
    // The old suite's metric: anonymous PSS where the OS has it, else RSS.
    let use_pss_anon = samples.iter().any(|s| s.pss_anon_bytes.is_some());
    let mut lines: BTreeMap<&str, Points> = BTreeMap::new();
    for sample in &samples {
        if !variants.contains_key(sample.run_id.as_str()) {
            continue;
        }
        let bytes = if use_pss_anon {
            sample.pss_anon_bytes
        } else {
            sample.rss_bytes
        };
        if let Some(bytes) = bytes {
            lines
                .entry(sample.run_id.as_str())
                .or_default()
                .push((sample.elapsed_ms as f64 / 1e3, bytes as f64 / MIB as f64));
        }
    }
    if lines.is_empty() {
        return Ok(false);
    }
    for points in lines.values_mut() {
        points.sort_by(|a, b| a.0.total_cmp(&b.0));
    }
    let interval = source
        .interval
        .map(|d| d.as_secs_f64())
        .filter(|s| *s > 0.0)
        .or_else(|| median_spacing(lines.values()));
    let x_max = lines
        .values()
        .flatten()
        .map(|p| p.0)
        .fold(0.0_f64, f64::max);
    let x_range = 0.0..if x_max > 0.0 { x_max * 1.02 } else { 1.0 };
    let panels: Vec<(Variant, Vec<&Points>)> = Variant::ALL
        .into_iter()
        .map(|variant| {
            let runs = lines
                .iter()
                .filter(|(id, _)| variants.get(*id) == Some(&variant))
                .map(|(_, points)| points)
                .collect::<Vec<_>>();
            (variant, runs)
        })
        .filter(|(_, runs)| !runs.is_empty())
        .collect();

    let (title, mut notes) = header(source, name);
    let metric = if use_pss_anon { "anonymous PSS" } else { "RSS" };
    notes.push(match interval {
        Some(every) => format!(
            "Dots are memmon's samples ({metric}, every {} s); a line breaks where none came for \
             more than {} s ({GAP_INTERVALS} intervals).",
            g(every),
            g(every * GAP_INTERVALS)
        ),
        None => format!("Dots are memmon's samples ({metric})."),
    });
    let width = 1000.max(title.chars().count() as u32 * 11 + 40);
    let notes: Vec<String> = notes.iter().flat_map(|n| super::wrap(n, width)).collect();
    let height = super::header_height(notes.len()) + PANEL_HEIGHT * panels.len() as u32;

    let fail = |err: String| anyhow::anyhow!("{}: cannot draw the chart: {err}", path.display());
    let root = SVGBackend::new(path, (width, height)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| fail(e.to_string()))?;
    let body = super::draw_header(&root, &title, &notes).map_err(fail)?;
    let areas = body.split_evenly((panels.len(), 1));
    for ((variant, runs), area) in panels.iter().zip(&areas) {
        draw_panel(area, *variant, runs, x_range.clone(), interval, metric).map_err(fail)?;
    }
    root.present().map_err(|e| fail(e.to_string()))?;
    Ok(true)
}

/// The title (`Client memory over time: NAME, 8 connections, 5 MiB payload`) and the line under it
/// naming the machine and network path.
fn header(source: &Source, name: &str) -> (String, Vec<String>) {
    let mut connections: Vec<u32> = source.runs.iter().map(|r| r.row.connections).collect();
    connections.sort_unstable();
    connections.dedup();
    let connections: Vec<String> = connections.iter().map(u32::to_string).collect();
    let connections = match connections.as_slice() {
        [one] if one == "1" => "1 connection".to_string(),
        all => format!("{} connections", all.join("/")),
    };
    let mut payloads: Vec<String> = Vec::new();
    for run in &source.runs {
        let payload = payload_label(run.row.payload_bytes);
        if !payloads.contains(&payload) {
            payloads.push(payload);
        }
    }
    let mut title = format!(
        "Client memory over time: {name}, {connections}, {} payload",
        payloads.join("/")
    );
    if source.status == Status::Partial {
        title = format!("{title} {}", label::PARTIAL_MARK);
    }
    let first = &source.runs[0].row;
    let machine = label::machine_label(&first.os, &first.os_version, &first.arch, &first.kernel);
    (title, vec![format!("{machine}, {}", first.network)])
}

/// One variant's runs on their own memory axis.
fn draw_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    variant: Variant,
    runs: &[&Points],
    x_range: std::ops::Range<f64>,
    interval: Option<f64>,
    metric: &str,
) -> Result<(), String> {
    let colour = variant_colour(variant);
    let y_max = runs
        .iter()
        .flat_map(|p| p.iter())
        .map(|p| p.1)
        .fold(0.0_f64, f64::max);
    let y_top = if y_max > 0.0 { y_max * 1.1 } else { 1.0 };
    let plural = if runs.len() == 1 { "run" } else { "runs" };
    let caption = format!(
        "{} ({} {plural}), up to {} MiB",
        label::variant_label(variant),
        runs.len(),
        g(y_max)
    );
    let mut chart = ChartBuilder::on(area)
        .caption(caption, (FONT, 18).into_font().color(&colour))
        .margin(12)
        .x_label_area_size(44)
        .y_label_area_size(80)
        .build_cartesian_2d(x_range, 0.0..y_top)
        .map_err(|e| e.to_string())?;
    chart
        .configure_mesh()
        .x_desc("Time since the client started (s)")
        .light_line_style(WHITE.mix(0.0))
        .y_desc(format!("{metric} (MiB)"))
        .x_label_formatter(&|v| g(*v))
        .y_label_formatter(&|v| g(*v))
        .label_style((FONT, LABEL_SIZE))
        .axis_desc_style((FONT, 16))
        .draw()
        .map_err(|e| e.to_string())?;
    let max_gap = interval.map(|every| every * GAP_INTERVALS);
    for points in runs {
        for line in unbroken(points, max_gap) {
            if line.len() > 1 {
                chart
                    .draw_series(LineSeries::new(
                        line.iter().copied(),
                        colour.stroke_width(2),
                    ))
                    .map_err(|e| e.to_string())?;
            }
        }
        chart
            .draw_series(
                points
                    .iter()
                    .map(|&point| Circle::new(point, 3, colour.filled())),
            )
            .map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// The stretches of `points` in which no two neighbours are more than `max_gap` seconds apart
/// (one stretch without a `max_gap`).
fn unbroken(points: &[(f64, f64)], max_gap: Option<f64>) -> Vec<&[(f64, f64)]> {
    let mut lines = Vec::new();
    let mut start = 0;
    for i in 1..points.len() {
        if max_gap.is_some_and(|gap| points[i].0 - points[i - 1].0 > gap) {
            lines.push(&points[start..i]);
            start = i;
        }
    }
    if start < points.len() {
        lines.push(&points[start..]);
    }
    lines
}

/// The median time between neighbouring samples of every run, in seconds: the interval memmon
/// kept to, when meta.json does not say it; `None` without two samples in a run.
fn median_spacing<'a>(runs: impl Iterator<Item = &'a Points>) -> Option<f64> {
    let mut spacings: Vec<f64> = runs
        .flat_map(|points| points.windows(2).map(|w| w[1].0 - w[0].0))
        .filter(|d| *d > 0.0)
        .collect();
    spacings.sort_by(f64::total_cmp);
    spacings.get(spacings.len() / 2).copied()
}

/// memmon's samples; every number a finite one of at least 0 (an axis cannot end at infinity).
fn read_samples(memory_csv: &Path) -> anyhow::Result<Vec<MemorySample>> {
    let display = memory_csv.display().to_string();
    let bytes =
        std::fs::read(memory_csv).map_err(|e| anyhow::anyhow!("{display}: cannot read: {e}"))?;
    let mut reader = csv::Reader::from_reader(bytes.as_slice());
    let header = read_header(&mut reader, &display)?;
    for column in MemorySample::COLUMNS {
        if !header.iter().any(|h| h.trim() == column) {
            anyhow::bail!(
                "{display}: missing column `{column}`: memory.csv needs the columns {}",
                MemorySample::COLUMNS.join(",")
            );
        }
    }
    let numeric: Vec<(usize, &str)> = header
        .iter()
        .enumerate()
        .filter(|(_, name)| ["elapsed_ms", "rss_bytes", "pss_anon_bytes"].contains(&name.trim()))
        .collect();
    let mut samples = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| row_error(&display, &e, &header, None))?;
        let line = record.position().map_or(0, |p| p.line());
        for (index, column) in &numeric {
            let cell = record.get(*index).unwrap_or("").trim();
            if let Some(problem) = (!cell.is_empty()).then(|| number_problem(cell)).flatten() {
                anyhow::bail!(
                    "{display}: line {line}, column `{}`: {problem} (not a memmon sample)",
                    column.trim()
                );
            }
        }
        let sample: MemorySample = record.deserialize(Some(&header)).map_err(|e| {
            anyhow::anyhow!(
                "{display}: {} (not a memmon sample)",
                describe_error(&e, &header, Some(record.as_byte_record()))
            )
        })?;
        samples.push(sample);
    }
    Ok(samples)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_break_where_samples_are_missing() {
        let points = [(0.0, 1.0), (0.1, 1.0), (0.2, 1.0), (0.8, 2.0), (0.9, 2.0)];
        let lines = unbroken(&points, Some(0.25));
        assert_eq!(lines, [&points[..3], &points[3..]]);
        // A late sample (2 intervals) is not a gap.
        let late = [(0.0, 1.0), (0.2, 1.0), (0.3, 1.0)];
        assert_eq!(unbroken(&late, Some(0.25)).len(), 1);
        assert_eq!(unbroken(&points, None).len(), 1);
        assert!(unbroken(&[], Some(0.25)).is_empty());
    }

    #[test]
    fn the_interval_is_the_median_spacing() {
        let a: Points = vec![(0.0, 0.0), (0.1, 0.0), (0.2, 0.0), (1.4, 0.0)];
        let b: Points = vec![(0.0, 0.0), (0.1, 0.0)];
        let median = median_spacing([&a, &b].into_iter()).unwrap();
        assert!((median - 0.1).abs() < 1e-9, "{median}");
        assert_eq!(median_spacing([&vec![(0.0, 0.0)]].into_iter()), None);
    }
}
