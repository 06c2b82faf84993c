//! `--chart DIR`: SVG charts a reader takes in at a glance, drawn with `plotters`.
//!
//! Per network path, as horizontal bars (setup names are long, so they read along the bars), in
//! this order: aggregate throughput and run time (what the run achieved), then per-job speed
//! (labelled as such: threads start staggered, so a late job can be fast in a slow run) and
//! average memory; where the server was measured, client and server CPU per GiB side by side.
//! A request-rate table (keepalive, churn) has its requests per second as bars
//! (`requests-<workload>-<network>.svg`) and its latency by percentile, one line per setup
//! (`latency-<workload>-<network>.svg`). Per results folder with a
//! `memory.csv`: the client's memory over time, one panel per variant, one line per run. Every chart
//! has a title, axes with units and a legend. Colours are fixed per variant, so Threaded is the same
//! blue in every chart; published rows are drawn lighter.

mod bars;
mod cpu;
mod latency;
mod memory_time;
mod requests;
mod scaling;

use std::path::{Path, PathBuf};

use anyhow::Context;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::report::compare::table::Table;
use crate::report::scaling::Sweep;
use crate::results::load::Source;
use bench_records::Variant;

/// The font family of every text: the SVG viewer picks its sans-serif font.
const FONT: &str = "sans-serif";

/// Font size of labels and legend, and the approximate width of one character at that size.
const LABEL_SIZE: u32 = 16;
const CHAR_WIDTH: f64 = 7.2;
/// The strip under each chart holding the legend, so it never covers data.
const LEGEND_HEIGHT: u32 = 40;

/// The legend as one row of colour swatches in the strip under the plot, starting at `left` pixels.
fn draw_legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, plotters::coord::Shift>,
    entries: &[(String, RGBColor)],
    left: u32,
) -> Result<(), String> {
    let style =
        TextStyle::from((FONT, LABEL_SIZE).into_font()).pos(Pos::new(HPos::Left, VPos::Center));
    let mut x = left as i32 + 16;
    let y = 14;
    for (name, colour) in entries {
        area.draw(&Rectangle::new(
            [(x, y - 7), (x + 16, y + 7)],
            colour.filled(),
        ))
        .map_err(|e| e.to_string())?;
        area.draw(&Text::new(name.clone(), (x + 22, y), style.clone()))
            .map_err(|e| e.to_string())?;
        x += 22 + (name.chars().count() as f64 * CHAR_WIDTH) as i32 + 28;
    }
    Ok(())
}

/// Height of the strip above a chart holding its title and `notes` lines under it.
fn header_height(notes: usize) -> u32 {
    16 + 34 + 22 * notes as u32 + 6
}

/// Draws the title, centred, and each note line under it in grey; returns the area below.
fn draw_header<DB: DrawingBackend>(
    area: &DrawingArea<DB, plotters::coord::Shift>,
    title: &str,
    notes: &[String],
) -> Result<DrawingArea<DB, plotters::coord::Shift>, String> {
    let (header, body) = area.split_vertically(header_height(notes.len()));
    let centre = header.dim_in_pixel().0 as i32 / 2;
    let title_style =
        TextStyle::from((FONT, 24).into_font()).pos(Pos::new(HPos::Center, VPos::Top));
    header
        .draw(&Text::new(title.to_string(), (centre, 16), title_style))
        .map_err(|e| e.to_string())?;
    let note_style = TextStyle::from((FONT, LABEL_SIZE).into_font())
        .color(&RGBColor(90, 90, 90))
        .pos(Pos::new(HPos::Center, VPos::Top));
    for (i, note) in notes.iter().enumerate() {
        header
            .draw(&Text::new(
                note.clone(),
                (centre, 16 + 34 + 22 * i as i32),
                note_style.clone(),
            ))
            .map_err(|e| e.to_string())?;
    }
    Ok(body)
}

/// Splits `text` at spaces into lines that fit `width` pixels at the label size.
fn wrap(text: &str, width: u32) -> Vec<String> {
    let max_chars = ((f64::from(width) - 40.0) / CHAR_WIDTH).max(20.0) as usize;
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    for word in text.split(' ') {
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > max_chars {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

/// The colour of a variant's bars and lines.
fn variant_colour(variant: Variant) -> RGBColor {
    match variant {
        Variant::Threaded => RGBColor(31, 119, 180),
        Variant::Poll => RGBColor(230, 110, 0),
        Variant::Uring => RGBColor(44, 160, 44),
    }
}

/// A lighter shade, for published rows beside measured ones.
fn lighter(colour: RGBColor) -> RGBColor {
    let mix = |c: u8| (f64::from(c) + (255.0 - f64::from(c)) * 0.55) as u8;
    RGBColor(mix(colour.0), mix(colour.1), mix(colour.2))
}

/// `QEMU user net` → `qemu-user-net`: a file name part.
fn slug(text: &str) -> String {
    let mut slug = String::new();
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c.to_ascii_lowercase());
        } else if !slug.ends_with('-') {
            slug.push('-');
        }
    }
    let slug = slug.trim_matches('-').to_string();
    if slug.is_empty() {
        "unlabelled".to_string()
    } else {
        slug
    }
}

/// `name`, or `name-2`, `name-3`… when an earlier chart of its kind took it; remembered in `taken`.
fn unique(taken: &mut Vec<String>, name: String) -> String {
    let mut candidate = name.clone();
    let mut n = 2;
    while taken.contains(&candidate) {
        candidate = format!("{name}-{n}");
        n += 1;
    }
    taken.push(candidate.clone());
    candidate
}

/// Writes every chart into `dir` (created if needed) and returns the files written.
pub fn write_all(
    dir: &Path,
    tables: &[Table],
    sweeps: &[Sweep],
    sources: &[Source],
) -> anyhow::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir)
        .with_context(|| format!("{}: cannot create the chart folder", dir.display()))?;
    let mut written = Vec::new();
    // Network labels that differ only in case or punctuation (`LAN`, `lan`) get distinct files.
    let mut networks = Vec::new();
    for table in tables {
        let name = if table.workload == "download" {
            table.network.clone()
        } else {
            format!("{} {}", table.workload, table.network)
        };
        let network = unique(&mut networks, slug(&name));
        if table.request_rate() {
            let path = dir.join(format!("requests-{network}.svg"));
            requests::draw(&path, table)?;
            written.push(path);
            if latency::applies(table) {
                let path = dir.join(format!("latency-{network}.svg"));
                latency::draw(&path, table)?;
                written.push(path);
            }
            continue;
        }
        for measure in bars::Measure::ALL {
            let path = dir.join(format!("{}-{network}.svg", measure.file_prefix()));
            bars::draw(&path, table, measure)?;
            written.push(path);
        }
        if cpu::applies(table) {
            let path = dir.join(format!("cpu-{network}.svg"));
            cpu::draw(&path, table)?;
            written.push(path);
        }
    }
    let mut sweep_names = Vec::new();
    for sweep in sweeps {
        let name = unique(&mut sweep_names, slug(&sweep.network));
        for measure in scaling::Measure::ALL {
            let path = dir.join(format!("scaling-{}-{name}.svg", measure.file_part()));
            scaling::draw(&path, sweep, measure)?;
            written.push(path);
        }
    }
    let mut names = Vec::new();
    for source in sources {
        let Some(folder) = &source.folder else {
            continue;
        };
        let memory_csv = folder.join("memory.csv");
        if !memory_csv.exists() {
            continue;
        }
        let name = folder
            .file_name()
            .map_or_else(|| "results".to_string(), |n| slug(&n.to_string_lossy()));
        // Two folders of the same name (from different parents) get distinct files.
        let name = unique(&mut names, name);
        let path = dir.join(format!("memory-over-time-{name}.svg"));
        let folder_name = folder.file_name().map_or_else(
            || source.display.clone(),
            |n| n.to_string_lossy().into_owned(),
        );
        if memory_time::draw(&path, &memory_csv, source, &folder_name)? {
            written.push(path);
        }
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_file_name_safe() {
        assert_eq!(slug("QEMU user net"), "qemu-user-net");
        assert_eq!(slug("loopback"), "loopback");
        assert_eq!(slug("//"), "unlabelled");
    }

    #[test]
    fn names_that_slug_alike_stay_distinct() {
        let mut taken = Vec::new();
        assert_eq!(unique(&mut taken, slug("LAN")), "lan");
        assert_eq!(unique(&mut taken, slug("lan")), "lan-2");
        assert_eq!(unique(&mut taken, slug("L.A.N")), "l-a-n");
        assert_eq!(unique(&mut taken, slug("lan")), "lan-3");
    }
}
