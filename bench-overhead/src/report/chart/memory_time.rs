//! The client's memory over time, from a results folder's `memory.csv` (memmon's samples): one line
//! per run, coloured by variant, so the two variants' shapes (and the spread between iterations)
//! show at a glance.

use std::collections::BTreeMap;
use std::path::Path;

use plotters::prelude::*;

use super::{draw_legend, variant_colour, Swatch, FONT, LABEL_SIZE, LEGEND_HEIGHT};
use crate::report::label;
use crate::report::number::g;
use crate::results::csv::{describe_error, number_problem, read_header, row_error};
use crate::results::load::{Source, Status};
use crate::units::MIB;
use bench_records::{MemorySample, Variant};

/// Draws the chart; `false` when the file has no samples of the folder's runs (nothing drawn).
pub fn draw(path: &Path, memory_csv: &Path, source: &Source) -> anyhow::Result<bool> {
    let samples = read_samples(memory_csv)?;
    // Each run's variant, from runs.csv; samples of runs that never finished are left out.
    let variants: BTreeMap<&str, Variant> = source
        .runs
        .iter()
        .map(|r| (r.row.run_id.as_str(), r.variant))
        .collect();
    // The old suite's metric: anonymous PSS where the OS has it, else RSS.
    let use_pss_anon = samples.iter().any(|s| s.pss_anon_bytes.is_some());
    let mut lines: BTreeMap<&str, Vec<(f64, f64)>> = BTreeMap::new();
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
    let x_max = lines
        .values()
        .flatten()
        .map(|p| p.0)
        .fold(0.0_f64, f64::max);
    let y_max = lines
        .values()
        .flatten()
        .map(|p| p.1)
        .fold(0.0_f64, f64::max);

    let first = &source.runs[0].row;
    let machine = label::machine_label(&first.os, &first.os_version, &first.arch, &first.kernel);
    let mut title = format!("Client memory over time: {machine}, {}", first.network);
    if source.status == Status::Partial {
        title = format!("{title} {}", label::PARTIAL_MARK);
    }
    let metric = if use_pss_anon { "anonymous PSS" } else { "RSS" };

    let fail = |err: String| anyhow::anyhow!("{}: cannot draw the chart: {err}", path.display());
    let height = 560 + LEGEND_HEIGHT;
    let root = SVGBackend::new(path, (1000, height)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| fail(e.to_string()))?;
    let (plot_area, legend_area) = root.split_vertically(height - LEGEND_HEIGHT);
    let mut chart = ChartBuilder::on(&plot_area)
        .caption(title, (FONT, 24))
        .margin(16)
        .x_label_area_size(50)
        .y_label_area_size(80)
        .build_cartesian_2d(
            0.0..if x_max > 0.0 { x_max * 1.02 } else { 1.0 },
            0.0..(y_max * 1.1).max(1.0),
        )
        .map_err(|e| fail(e.to_string()))?;
    chart
        .configure_mesh()
        .x_desc("Time since the client started (s)")
        .light_line_style(WHITE.mix(0.0))
        .y_desc(format!("Client memory, {metric} (MiB)"))
        .x_label_formatter(&|v| g(*v))
        .y_label_formatter(&|v| g(*v))
        .label_style((FONT, LABEL_SIZE))
        .axis_desc_style((FONT, 17))
        .draw()
        .map_err(|e| fail(e.to_string()))?;

    let mut legend = Vec::new();
    for variant in Variant::ALL {
        let colour = variant_colour(variant);
        let runs: Vec<&Vec<(f64, f64)>> = lines
            .iter()
            .filter(|(id, _)| variants.get(*id) == Some(&variant))
            .map(|(_, points)| points)
            .collect();
        for points in &runs {
            chart
                .draw_series(LineSeries::new(
                    points.iter().copied(),
                    colour.stroke_width(2),
                ))
                .map_err(|e| fail(e.to_string()))?;
        }
        if !runs.is_empty() {
            let plural = if runs.len() == 1 { "run" } else { "runs" };
            let name = format!(
                "{} ({} {plural})",
                label::variant_label(variant),
                runs.len()
            );
            legend.push((name, colour));
        }
    }
    draw_legend(&legend_area, &legend, 96, Swatch::Line).map_err(fail)?;
    root.present().map_err(|e| fail(e.to_string()))?;
    Ok(true)
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
