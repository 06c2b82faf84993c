//! One horizontal bar per setup of a table: aggregate throughput, run time, per-job speed, or
//! average memory.

use std::path::Path;

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::{draw_legend, lighter, variant_colour, FONT, LEGEND_HEIGHT};
use crate::report::compare::conditions;
use crate::report::compare::table::{Row, Table};
use crate::report::label::variant_label;
use crate::report::number::g;
use bench_records::Variant;

/// What the bars show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Measure {
    /// All jobs' bytes / run time: what the machine moved.
    Aggregate,
    RunTime,
    /// Each job's bytes / its own receive time. Threads start staggered, so a job that started
    /// late can be fast while the run is slow: never a throughput on its own.
    JobSpeed,
    Memory,
}

impl Measure {
    /// In the order a reader should see them: what the run achieved before how single jobs fared.
    pub const ALL: [Measure; 4] = [
        Measure::Aggregate,
        Measure::RunTime,
        Measure::JobSpeed,
        Measure::Memory,
    ];

    /// The chart's file name before its network part: `aggregate-loopback.svg`.
    pub fn file_prefix(self) -> &'static str {
        match self {
            Measure::Aggregate => "aggregate",
            Measure::RunTime => "run-time",
            Measure::JobSpeed => "download",
            Measure::Memory => "memory",
        }
    }

    fn value(self, row: &Row) -> Option<f64> {
        match self {
            Measure::Aggregate => row.extended.as_ref()?.aggregate_gib_s.map(|v| v * 1024.0),
            Measure::RunTime => row.figures.run_time_s,
            Measure::JobSpeed => row.figures.job_mib_s,
            Measure::Memory => row.figures.memory_mib,
        }
    }

    fn unit(self) -> &'static str {
        match self {
            Measure::Aggregate | Measure::JobSpeed => "MiB/s",
            Measure::RunTime => "s",
            Measure::Memory => "MiB",
        }
    }

    fn title(self, table: &Table) -> String {
        let path = lowercase_first(table.title.trim_end_matches(':'));
        match self {
            Measure::Aggregate => format!("Aggregate throughput, {path}"),
            Measure::RunTime => format!("Run time, {path}"),
            Measure::JobSpeed => format!("Per-job MiB/s (jobs start staggered), {path}"),
            Measure::Memory => format!("Average client memory, {path}"),
        }
    }

    fn axis(self) -> &'static str {
        match self {
            Measure::Aggregate => {
                "Mean aggregate throughput per run (MiB/s: all jobs' bytes / run time) — longer is faster"
            }
            Measure::RunTime => {
                "Mean run time (s: first socket to last job done) — shorter is faster"
            }
            Measure::JobSpeed => {
                "Mean per-job MiB/s (a job's bytes / its own receive time; not a throughput) — longer is faster"
            }
            Measure::Memory => {
                "Mean of the average memory per run (MiB; anonymous PSS, else RSS) — shorter is leaner"
            }
        }
    }
}

pub(super) fn lowercase_first(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

use super::{CHAR_WIDTH, LABEL_SIZE};
const BAR_HEIGHT: u32 = 34;
/// Share of a row's height its bar fills.
const BAR_FILL: f64 = 0.7;

pub fn draw(path: &Path, table: &Table, measure: Measure) -> anyhow::Result<()> {
    let bars = of_rows(table, |r| measure.value(r));
    let chart = Chart {
        title: measure.title(table),
        axis: measure.axis(),
        unit: measure.unit(),
        conditions: conditions::summary(table),
    };
    draw_bars(path, &chart, &bars)
}

/// A bar per row of `table`, in its order, each of `value` of the row.
pub(super) fn of_rows(table: &Table, value: impl Fn(&Row) -> Option<f64>) -> Vec<Bar<'_>> {
    table
        .rows
        .iter()
        .map(|r| Bar {
            label: &r.setup,
            variant: &r.variant,
            published: r.published,
            value: value(r),
        })
        .collect()
}

/// One bar: a table row's setup, its variant's colour, and its value (`None`: "no data").
pub(super) struct Bar<'a> {
    pub label: &'a str,
    pub variant: &'a str,
    pub published: bool,
    pub value: Option<f64>,
}

/// What a bar chart says around its bars.
pub(super) struct Chart {
    pub title: String,
    pub axis: &'static str,
    pub unit: &'static str,
    /// The conditions its rows differ in (`conditions::summary`), "" when none.
    pub conditions: String,
}

/// Draws one horizontal bar per row, top to bottom in the rows' order.
pub(super) fn draw_bars(path: &Path, chart_text: &Chart, rows: &[Bar]) -> anyhow::Result<()> {
    let fail = |err: String| anyhow::anyhow!("{}: cannot draw the chart: {err}", path.display());
    let n = rows.len().max(1);
    let longest = rows
        .iter()
        .map(|r| r.label.chars().count())
        .max()
        .unwrap_or(10);
    let label_width = (longest as f64 * CHAR_WIDTH) as u32 + 24;
    let title = chart_text.title.clone();
    // The caption is not wrapped: make room for it (about 11 px per character at 24 px).
    let width = (label_width + 640)
        .max(900)
        .max(title.chars().count() as u32 * 11 + 40);
    // Rows measured under different conditions say so under the title, as above the table.
    let notes = match chart_text.conditions.clone() {
        summary if summary.is_empty() => Vec::new(),
        summary => super::wrap(
            &format!("Measured under different conditions: {summary}; compare with care"),
            width,
        ),
    };
    let header = super::header_height(notes.len());
    let height = header + 100 + BAR_HEIGHT * n as u32 + LEGEND_HEIGHT;
    let max = rows.iter().filter_map(|r| r.value).fold(0.0_f64, f64::max);
    // Room at the right of the longest bar for its value.
    let x_max = if max > 0.0 { max * 1.18 } else { 1.0 };
    // Every figure is finite, but one near the largest `f64` leaves no room for its label.
    if !x_max.is_finite() {
        return Err(fail(format!(
            "{} {} leaves no finite axis: a value in runs.csv is out of range; correct or remove \
             that row",
            g(max),
            chart_text.unit
        )));
    }

    let root = SVGBackend::new(path, (width, height)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| fail(e.to_string()))?;
    let (plot_area, legend_area) = root.split_vertically(height - LEGEND_HEIGHT);
    let body = super::draw_header(&plot_area, &title, &notes).map_err(fail)?;
    // One unit of height per row, row 0 at the top as in the table. No y ticks: each setup's name
    // is written beside its bar.
    let mut chart = ChartBuilder::on(&body)
        .margin(16)
        .margin_top(4)
        .x_label_area_size(50)
        .y_label_area_size(label_width)
        .build_cartesian_2d(0.0..x_max, 0.0..n as f64)
        .map_err(|e| fail(e.to_string()))?;
    let centre = |i: usize| (n - 1 - i) as f64 + 0.5;
    chart
        .configure_mesh()
        .disable_y_mesh()
        .y_labels(0)
        .x_label_formatter(&|v| g(*v))
        .x_desc(chart_text.axis)
        .light_line_style(WHITE.mix(0.0))
        .label_style((FONT, LABEL_SIZE))
        .axis_desc_style((FONT, 17))
        .draw()
        .map_err(|e| fail(e.to_string()))?;

    let mut legend: Vec<(String, RGBColor)> = Vec::new();
    for variant in Variant::ALL {
        for published in [false, true] {
            let colour = variant_colour(variant);
            let colour = if published { lighter(colour) } else { colour };
            let bars: Vec<(usize, f64)> = rows
                .iter()
                .enumerate()
                .filter(|(_, r)| r.variant == variant.name() && r.published == published)
                .filter_map(|(i, r)| r.value.map(|v| (i, v)))
                .collect();
            // Only what is drawn has a legend entry: published rows have no aggregate figure.
            if bars.is_empty() {
                continue;
            }
            chart
                .draw_series(bars.iter().map(|&(i, v)| {
                    let half = BAR_FILL / 2.0;
                    Rectangle::new(
                        [(0.0, centre(i) - half), (v, centre(i) + half)],
                        colour.filled(),
                    )
                }))
                .map_err(|e| fail(e.to_string()))?;
            let name = if published {
                format!("{} (published)", variant_label(variant))
            } else {
                variant_label(variant).to_string()
            };
            legend.push((name, colour));
        }
    }

    // Each setup's name left of the axis, and its value after its bar ("no data" where it has
    // none), placed in pixels so they never touch the bar.
    let name_style =
        TextStyle::from((FONT, LABEL_SIZE).into_font()).pos(Pos::new(HPos::Right, VPos::Center));
    let value_style =
        TextStyle::from((FONT, LABEL_SIZE).into_font()).pos(Pos::new(HPos::Left, VPos::Center));
    for (i, row) in rows.iter().enumerate() {
        let (axis_x, y) = chart.backend_coord(&(0.0, centre(i)));
        root.draw(&Text::new(
            row.label.to_string(),
            (axis_x - 10, y),
            name_style.clone(),
        ))
        .map_err(|e| fail(e.to_string()))?;
        let (x, text) = match row.value {
            Some(v) => (v, format!("{} {}", g(v), chart_text.unit)),
            None => (0.0, "no data".to_string()),
        };
        let (x, y) = chart.backend_coord(&(x, centre(i)));
        root.draw(&Text::new(text, (x + 6, y), value_style.clone()))
            .map_err(|e| fail(e.to_string()))?;
    }

    draw_legend(&legend_area, &legend, 0).map_err(fail)?;
    root.present().map_err(|e| fail(e.to_string()))?;
    Ok(())
}
