//! A sweep's curve: one chart per measure (throughput, CPU per GiB, memory per connection, p99
//! connect), the connection count on a logarithmic axis (sweeps grow by factors: 1, 10, 100…),
//! one line per model with a dot per step.

use std::path::Path;

use plotters::prelude::*;

use super::{draw_legend, FONT, LABEL_SIZE, LEGEND_HEIGHT};
use crate::report::number::g;
use crate::report::scaling::{Point, Sweep};

/// What a chart draws.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Measure {
    Throughput,
    Cpu,
    MemoryPerConnection,
    ConnectP99,
}

impl Measure {
    pub const ALL: [Measure; 4] = [
        Measure::Throughput,
        Measure::Cpu,
        Measure::MemoryPerConnection,
        Measure::ConnectP99,
    ];

    /// The chart's file name part: `scaling-throughput-loopback.svg`.
    pub fn file_part(self) -> &'static str {
        match self {
            Measure::Throughput => "throughput",
            Measure::Cpu => "cpu",
            Measure::MemoryPerConnection => "memory-per-connection",
            Measure::ConnectP99 => "connect-p99",
        }
    }

    fn value(self, point: &Point) -> Option<f64> {
        match self {
            Measure::Throughput => point.aggregate_mib_s,
            Measure::Cpu => point.cpu_s_per_gib,
            Measure::MemoryPerConnection => point.memory_per_connection_kib,
            Measure::ConnectP99 => point.connect_p99_ms,
        }
    }

    fn axis(self) -> &'static str {
        match self {
            Measure::Throughput => "Aggregate throughput (MiB/s: all bytes / run time)",
            Measure::Cpu => "Client CPU (user + system) per GiB (s)",
            Measure::MemoryPerConnection => {
                "Client memory per connection, slope from the step before (KiB)"
            }
            Measure::ConnectP99 => "p99 connect time, pooled over the jobs (ms)",
        }
    }

    fn name(self) -> &'static str {
        match self {
            Measure::Throughput => "aggregate throughput",
            Measure::Cpu => "CPU per GiB",
            Measure::MemoryPerConnection => "memory per connection",
            Measure::ConnectP99 => "p99 connect",
        }
    }
}

/// A model's colour: the variant colours first, then distinct others for further backends.
pub(super) fn colour(index: usize) -> RGBColor {
    const COLOURS: [RGBColor; 6] = [
        RGBColor(31, 119, 180),
        RGBColor(230, 110, 0),
        RGBColor(44, 160, 44),
        RGBColor(148, 103, 189),
        RGBColor(214, 39, 40),
        RGBColor(140, 86, 75),
    ];
    COLOURS[index % COLOURS.len()]
}

pub fn draw(path: &Path, sweep: &Sweep, measure: Measure) -> anyhow::Result<()> {
    let fail = |err: String| anyhow::anyhow!("{}: cannot draw the chart: {err}", path.display());
    let lines: Vec<Vec<(f64, f64)>> = (0..sweep.models.len())
        .map(|m| {
            sweep
                .steps
                .iter()
                .filter_map(|step| {
                    let value = measure.value(step.points[m].as_ref()?)?;
                    Some((f64::from(step.connections), value))
                })
                .collect()
        })
        .collect();
    let values = lines.iter().flatten().map(|p| p.1);
    let y_min = values.clone().fold(0.0_f64, f64::min);
    let y_max = values.fold(0.0_f64, f64::max);
    let x_min = f64::from(sweep.steps.first().map_or(1, |s| s.connections).max(1));
    let x_max = f64::from(sweep.steps.last().map_or(1, |s| s.connections)).max(x_min * 2.0);
    let y_top = if y_max > 0.0 { y_max * 1.1 } else { 1.0 };
    // A slope can be negative (memory returned between steps): the axis then reaches below 0.
    let y_bottom = if y_min < 0.0 { y_min * 1.1 } else { 0.0 };
    if !(y_top.is_finite() && y_bottom.is_finite()) {
        return Err(fail(format!("{} leaves no finite axis", measure.name())));
    }
    let title = format!("{}: {}", sweep.title, measure.name());
    let width = 1000.max(title.chars().count() as u32 * 11 + 40);
    let height = 520 + LEGEND_HEIGHT;
    let root = SVGBackend::new(path, (width, height)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| fail(e.to_string()))?;
    let (plot_area, legend_area) = root.split_vertically(height - LEGEND_HEIGHT);
    let mut chart = ChartBuilder::on(&plot_area)
        .caption(title, (FONT, 22))
        .margin(16)
        .x_label_area_size(50)
        .y_label_area_size(80)
        .build_cartesian_2d((x_min / 1.3..x_max * 1.3).log_scale(), y_bottom..y_top)
        .map_err(|e| fail(e.to_string()))?;
    chart
        .configure_mesh()
        .x_desc("Concurrent connections (logarithmic)")
        .y_desc(measure.axis())
        .light_line_style(WHITE.mix(0.0))
        .x_label_formatter(&|v| g(*v))
        .y_label_formatter(&|v| g(*v))
        .label_style((FONT, LABEL_SIZE))
        .axis_desc_style((FONT, 16))
        .draw()
        .map_err(|e| fail(e.to_string()))?;
    let mut legend = Vec::new();
    for (m, points) in lines.iter().enumerate() {
        let colour = colour(m);
        legend.push((sweep.models[m].clone(), colour));
        if points.len() > 1 {
            chart
                .draw_series(LineSeries::new(
                    points.iter().copied(),
                    colour.stroke_width(2),
                ))
                .map_err(|e| fail(e.to_string()))?;
        }
        chart
            .draw_series(points.iter().map(|&p| Circle::new(p, 4, colour.filled())))
            .map_err(|e| fail(e.to_string()))?;
    }
    draw_legend(&legend_area, &legend, 96).map_err(fail)?;
    root.present().map_err(|e| fail(e.to_string()))?;
    Ok(())
}
