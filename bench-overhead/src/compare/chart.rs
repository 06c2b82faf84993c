//! `--chart DIR`: SVG charts a reader takes in at a glance, drawn with `plotters`.
//!
//! Per network path: per-job download speed per setup and average memory per setup, as horizontal
//! bars (setup names are long, so they read along the bars). Per results folder with a
//! `memory.csv`: the client's memory over time, one line per run, coloured by variant. Every chart
//! has a title, axes with units and a legend. Colours are fixed per variant, so Threaded is the same
//! blue in every chart; published rows are drawn lighter.

mod bars;
mod memory_time;

use std::path::{Path, PathBuf};

use anyhow::Context;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::aggregate::Table;
use super::load::Source;
use crate::cli::Variant;

/// The font family of every text: the SVG viewer picks its sans-serif font.
const FONT: &str = "sans-serif";

/// Font size of labels and legend, and the approximate width of one character at that size.
const LABEL_SIZE: u32 = 16;
const CHAR_WIDTH: f64 = 7.2;
/// The strip under each chart holding the legend, so it never covers data.
const LEGEND_HEIGHT: u32 = 40;

/// How a legend entry shows its colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Swatch {
    Bar,
    Line,
}

/// The legend as one row of swatches in the strip under the plot, starting at `left` pixels.
fn draw_legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, plotters::coord::Shift>,
    entries: &[(String, RGBColor)],
    left: u32,
    swatch: Swatch,
) -> Result<(), String> {
    let style =
        TextStyle::from((FONT, LABEL_SIZE).into_font()).pos(Pos::new(HPos::Left, VPos::Center));
    let mut x = left as i32 + 16;
    let y = 14;
    for (name, colour) in entries {
        let drawn = match swatch {
            Swatch::Bar => area.draw(&Rectangle::new(
                [(x, y - 7), (x + 16, y + 7)],
                colour.filled(),
            )),
            Swatch::Line => area.draw(&PathElement::new(
                vec![(x - 2, y), (x + 18, y)],
                colour.stroke_width(3),
            )),
        };
        drawn.map_err(|e| e.to_string())?;
        area.draw(&Text::new(name.clone(), (x + 22, y), style.clone()))
            .map_err(|e| e.to_string())?;
        x += 22 + (name.chars().count() as f64 * CHAR_WIDTH) as i32 + 28;
    }
    Ok(())
}

/// The colour of a variant's bars and lines.
fn variant_colour(variant: Variant) -> RGBColor {
    match variant {
        Variant::Threaded => RGBColor(31, 119, 180),
        Variant::Poll => RGBColor(230, 110, 0),
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

/// Writes every chart into `dir` (created if needed) and returns the files written.
pub fn write_all(dir: &Path, tables: &[Table], sources: &[Source]) -> anyhow::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir)
        .with_context(|| format!("{}: cannot create the chart folder", dir.display()))?;
    let mut written = Vec::new();
    for table in tables {
        let network = slug(&table.network);
        let path = dir.join(format!("download-{network}.svg"));
        bars::draw(&path, table, bars::Measure::Download)?;
        written.push(path);
        let path = dir.join(format!("memory-{network}.svg"));
        bars::draw(&path, table, bars::Measure::Memory)?;
        written.push(path);
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
        let mut file = format!("memory-over-time-{name}.svg");
        let mut n = 2;
        while names.contains(&file) {
            file = format!("memory-over-time-{name}-{n}.svg");
            n += 1;
        }
        names.push(file.clone());
        let path = dir.join(file);
        if memory_time::draw(&path, &memory_csv, source)? {
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
}
