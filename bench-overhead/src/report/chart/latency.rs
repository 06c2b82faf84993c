//! A request-rate table's latency by percentile, as HdrHistogram plots draw it: the x axis is
//! the percentile on a logarithmic scale of 1/(1−p), so 50 %, 90 %, 99 %, 99.9 % and 99.99 % are
//! evenly spaced and the tail gets the room it needs; the y axis is the latency. One line per setup
//! (model and backend), read from the setup's merged histogram.

use std::path::Path;

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::{draw_legend, FONT, LABEL_SIZE, LEGEND_HEIGHT};
use crate::report::compare::table::Table;
use crate::report::number::g;

/// The labelled percentiles, and the x of each: log10(1 / (1 − p)).
const TICKS: [(&str, f64); 5] = [
    ("50 %", 0.5),
    ("90 %", 0.9),
    ("99 %", 0.99),
    ("99.9 %", 0.999),
    ("99.99 %", 0.9999),
];
/// The right end of the axis: 99.99 %.
const X_MAX: f64 = 4.0;
/// Points per line: every 0.02 of x, 0 (the minimum) to 99.99 %.
const STEPS: usize = 200;

fn x_of(p: f64) -> f64 {
    (1.0 / (1.0 - p)).log10()
}

/// Whether the table has a setup with a latency histogram to draw.
pub fn applies(table: &Table) -> bool {
    table
        .rows
        .iter()
        .any(|r| r.requests.as_ref().is_some_and(|f| f.pooled.is_some()))
}

pub fn draw(path: &Path, table: &Table) -> anyhow::Result<()> {
    let fail = |err: String| anyhow::anyhow!("{}: cannot draw the chart: {err}", path.display());
    let lines: Vec<(String, Vec<(f64, f64)>)> = table
        .rows
        .iter()
        .filter_map(|row| {
            let pooled = row.requests.as_ref()?.pooled.as_ref()?;
            let points = (0..=STEPS)
                .map(|i| {
                    let x = X_MAX * i as f64 / STEPS as f64;
                    (x, pooled.quantile_us(1.0 - 10f64.powf(-x)))
                })
                .collect();
            Some((row.setup.clone(), points))
        })
        .collect();
    let y_max = lines
        .iter()
        .flat_map(|(_, points)| points.iter().map(|p| p.1))
        .fold(0.0_f64, f64::max);
    let y_top = if y_max > 0.0 { y_max * 1.1 } else { 1.0 };
    if !y_top.is_finite() {
        return Err(fail("the latencies leave no finite axis".to_string()));
    }
    let title = format!(
        "Latency by percentile, {}",
        super::bars::lowercase_first(table.title.trim_end_matches(':'))
    );
    let width = 1000.max(title.chars().count() as u32 * 11 + 40);
    // One legend row per setup: their names are long.
    let legend_height = LEGEND_HEIGHT * lines.len().max(1) as u32;
    let height = 520 + legend_height;
    let root = SVGBackend::new(path, (width, height)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| fail(e.to_string()))?;
    let (plot_area, legend_area) = root.split_vertically(height - legend_height);
    let mut chart = ChartBuilder::on(&plot_area)
        .caption(title, (FONT, 22))
        .margin(16)
        .margin_right(40)
        .x_label_area_size(50)
        .y_label_area_size(80)
        .build_cartesian_2d(0.0..X_MAX, 0.0..y_top)
        .map_err(|e| fail(e.to_string()))?;
    // The percentile labels are drawn below at their own places: plotters spaces ticks evenly.
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(0)
        .x_desc("Percentile (logarithmic in 1/(1−p), as HdrHistogram plots it)")
        .y_desc("Latency (µs), from the runs' merged histogram")
        .light_line_style(WHITE.mix(0.0))
        .y_label_formatter(&|v| g(*v))
        .label_style((FONT, LABEL_SIZE))
        .axis_desc_style((FONT, 16))
        .draw()
        .map_err(|e| fail(e.to_string()))?;
    let tick_style =
        TextStyle::from((FONT, LABEL_SIZE).into_font()).pos(Pos::new(HPos::Center, VPos::Top));
    for (label, p) in TICKS {
        let (x, y) = chart.backend_coord(&(x_of(p), 0.0));
        root.draw(&Text::new(label, (x, y + 6), tick_style.clone()))
            .map_err(|e| fail(e.to_string()))?;
    }
    let mut legend = Vec::new();
    for (i, (name, points)) in lines.iter().enumerate() {
        let colour = super::scaling::colour(i);
        chart
            .draw_series(LineSeries::new(
                points.iter().copied(),
                colour.stroke_width(2),
            ))
            .map_err(|e| fail(e.to_string()))?;
        legend.push((name.clone(), colour));
    }
    for (i, entry) in legend.iter().enumerate() {
        let (_, row) = legend_area.split_vertically(LEGEND_HEIGHT * i as u32);
        draw_legend(&row, std::slice::from_ref(entry), 96).map_err(fail)?;
    }
    root.present().map_err(|e| fail(e.to_string()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_evenly_spaced_on_the_axis() {
        let xs: Vec<f64> = TICKS.iter().skip(1).map(|(_, p)| x_of(*p)).collect();
        for (x, want) in xs.iter().zip([1.0, 2.0, 3.0, 4.0]) {
            assert!((x - want).abs() < 1e-9, "{x}");
        }
        assert!((x_of(0.5) - 2f64.log10()).abs() < 1e-12);
    }
}
