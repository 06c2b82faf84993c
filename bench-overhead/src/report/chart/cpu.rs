//! Client vs server CPU per GiB, per setup of a table: two bars per setup, the client's in its
//! variant's colour and the server's in grey, so a reader sees what each I/O model costs both
//! ends of the same transfer. Drawn only for tables in which some row measured the server.

use std::path::Path;

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::{draw_legend, variant_colour, CHAR_WIDTH, FONT, LABEL_SIZE, LEGEND_HEIGHT};
use crate::report::compare::table::{Row, Table};
use crate::report::number::g;
use bench_records::Variant;

const ROW_HEIGHT: u32 = 52;
const SERVER_COLOUR: RGBColor = RGBColor(120, 120, 120);

/// Whether the table has a server figure to draw.
pub fn applies(table: &Table) -> bool {
    table.rows.iter().any(|r| server(r).is_some())
}

fn client(row: &Row) -> Option<f64> {
    row.extended.as_ref()?.cpu_s_per_gib
}

fn server(row: &Row) -> Option<f64> {
    row.extended.as_ref()?.server_cpu_s_per_gib
}

pub fn draw(path: &Path, table: &Table) -> anyhow::Result<()> {
    let fail = |err: String| anyhow::anyhow!("{}: cannot draw the chart: {err}", path.display());
    let rows = &table.rows;
    let n = rows.len().max(1);
    let longest = rows
        .iter()
        .map(|r| r.setup.chars().count())
        .max()
        .unwrap_or(10);
    let label_width = (longest as f64 * CHAR_WIDTH) as u32 + 24;
    let path_name = table.title.trim_end_matches(':');
    let title = format!(
        "CPU per GiB, client and server, {}",
        super::bars::lowercase_first(path_name)
    );
    let width = (label_width + 640)
        .max(900)
        .max(title.chars().count() as u32 * 11 + 40);
    let header = super::header_height(0);
    let height = header + 100 + ROW_HEIGHT * n as u32 + LEGEND_HEIGHT;
    let max = rows
        .iter()
        .flat_map(|r| [client(r), server(r)])
        .flatten()
        .fold(0.0_f64, f64::max);
    let x_max = if max > 0.0 { max * 1.25 } else { 1.0 };
    if !x_max.is_finite() {
        return Err(fail(format!(
            "{} s/GiB leaves no finite axis: a value in runs.csv is out of range; correct or \
             remove that row",
            g(max)
        )));
    }

    let root = SVGBackend::new(path, (width, height)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| fail(e.to_string()))?;
    let (plot_area, legend_area) = root.split_vertically(height - LEGEND_HEIGHT);
    let body = super::draw_header(&plot_area, &title, &[]).map_err(fail)?;
    let mut chart = ChartBuilder::on(&body)
        .margin(16)
        .margin_top(4)
        .x_label_area_size(50)
        .y_label_area_size(label_width)
        .build_cartesian_2d(0.0..x_max, 0.0..n as f64)
        .map_err(|e| fail(e.to_string()))?;
    chart
        .configure_mesh()
        .disable_y_mesh()
        .y_labels(0)
        .x_label_formatter(&|v| g(*v))
        .x_desc("CPU seconds (user + system) per GiB of body data — shorter is cheaper")
        .light_line_style(WHITE.mix(0.0))
        .label_style((FONT, LABEL_SIZE))
        .axis_desc_style((FONT, 17))
        .draw()
        .map_err(|e| fail(e.to_string()))?;

    // Row 0 at the top; in each row the client's bar above the server's.
    let top = |i: usize| (n - i) as f64;
    let bars = [(0.15, 0.45), (0.55, 0.85)];
    let name_style =
        TextStyle::from((FONT, LABEL_SIZE).into_font()).pos(Pos::new(HPos::Right, VPos::Center));
    let value_style =
        TextStyle::from((FONT, LABEL_SIZE).into_font()).pos(Pos::new(HPos::Left, VPos::Center));
    for (i, row) in rows.iter().enumerate() {
        let variant = Variant::ALL.into_iter().find(|v| v.name() == row.variant);
        let client_colour = variant.map_or(BLACK, variant_colour);
        let (axis_x, y) = chart.backend_coord(&(0.0, top(i) - 0.5));
        root.draw(&Text::new(
            row.setup.clone(),
            (axis_x - 10, y),
            name_style.clone(),
        ))
        .map_err(|e| fail(e.to_string()))?;
        for ((from, to), (value, colour, who)) in bars.into_iter().zip([
            (client(row), client_colour, "client"),
            (server(row), SERVER_COLOUR, "server"),
        ]) {
            let (y0, y1) = (top(i) - to, top(i) - from);
            if let Some(v) = value {
                chart
                    .draw_series(std::iter::once(Rectangle::new(
                        [(0.0, y0), (v, y1)],
                        colour.filled(),
                    )))
                    .map_err(|e| fail(e.to_string()))?;
            }
            let text = match value {
                Some(v) => format!("{who} {} s/GiB", g(v)),
                None => format!("{who}: no data"),
            };
            let (x, y) = chart.backend_coord(&(value.unwrap_or(0.0), (y0 + y1) / 2.0));
            root.draw(&Text::new(text, (x + 6, y), value_style.clone()))
                .map_err(|e| fail(e.to_string()))?;
        }
    }

    let mut legend: Vec<(String, RGBColor)> = Variant::ALL
        .into_iter()
        .filter(|v| rows.iter().any(|r| r.variant == v.name()))
        .map(|v| {
            (
                format!("client ({})", crate::report::label::variant_label(v)),
                variant_colour(v),
            )
        })
        .collect();
    legend.push(("server".to_string(), SERVER_COLOUR));
    draw_legend(&legend_area, &legend, 0).map_err(fail)?;
    root.present().map_err(|e| fail(e.to_string()))?;
    Ok(())
}
