//! `bench-overhead compare`: merges results from any number of machines into the cross-OS tables
//! of the old suite (ARCHITECTURE.md, The old suite and Comparison tables), one per network path
//! and workload, plus extended columns and charts; a request-rate workload's table (keepalive,
//! churn) has its own columns (`request_markdown`) and charts.
//!
//! The pipeline, one file per step: `results::load` (read and validate folders and runs.csv
//! files), `reference` (the published rows), `aggregate` (group by setup, average over iterations)
//! into the tables of `table`, `report::label` (setup and table names), `report::number` (the old
//! suite's number format), then one file per output format (`markdown`, `csv_table`, `json`) and
//! `report::chart` (SVG).

pub mod aggregate;
pub mod conditions;
mod csv_table;
mod json;
pub mod markdown;
mod reference;
mod request_markdown;
pub mod table;

use std::io::Write;
use std::process::ExitCode;

use crate::report::{chart, scaling};
use crate::results::load;
use std::path::PathBuf;

/// The output formats of the tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompareFormat {
    Markdown,
    Csv,
    Json,
}

/// `compare`: which results, in which format, with what.
#[derive(Debug, Clone)]
pub struct CompareConfig {
    /// Results folders or runs.csv files.
    pub results: Vec<PathBuf>,
    pub format: CompareFormat,
    /// Add the extended columns.
    pub extended: bool,
    /// Write SVG charts into this folder.
    pub chart: Option<PathBuf>,
    /// Add the old suite's published rows.
    pub reference: bool,
}

pub fn run(args: CompareConfig) -> anyhow::Result<ExitCode> {
    let mut sources = Vec::new();
    if args.reference {
        sources.push(reference::load()?);
    }
    let reference_ids: Vec<String> = sources
        .iter()
        .flat_map(|s| &s.runs)
        .map(|r| r.row.run_id.clone())
        .collect();
    let mut seen: Vec<(std::path::PathBuf, &std::path::Path)> = Vec::new();
    for path in &args.results {
        // The same runs twice would count double in every mean.
        if let Some(file) = load::runs_file(path) {
            if let Some((_, earlier)) = seen.iter().find(|(f, _)| *f == file) {
                anyhow::bail!(
                    "{} and {} are the same results: name each results folder once",
                    earlier.display(),
                    path.display()
                );
            }
            seen.push((file, path));
        }
        let source = load::load(path)?;
        // results/reference named beside --reference would count every published row twice
        // (without --reference, `reference_ids` is empty).
        if source.published
            && source
                .runs
                .iter()
                .any(|r| reference_ids.contains(&r.row.run_id))
        {
            anyhow::bail!(
                "{}: these are the published rows that --reference already adds: drop the folder or --reference",
                path.display()
            );
        }
        sources.push(source);
    }
    // A copy of a folder (or a runs.csv holding another's rows) would count its runs twice. It is
    // refused rather than dropped: which copy is the right one (and whether the user meant to
    // name another folder) is for the user to say, and a report never silently changes its inputs.
    let all = sources
        .iter()
        .flat_map(|s| s.runs.iter().map(move |run| (run, s.display.as_str())));
    if let Some(((run, first), (_, second))) = load::duplicate(all) {
        anyhow::bail!(
            "{first} and {second} both hold run {} (same run id and start time): one is a copy of \
             the other's runs; name each results folder once",
            run.row.run_id
        );
    }
    let tables = aggregate::tables(&sources)?;
    // Sweeps are of the download figures.
    let download: Vec<_> = tables
        .iter()
        .filter(|t| !t.request_rate())
        .cloned()
        .collect();
    let sweeps = scaling::sweeps(&download);
    let output = match args.format {
        CompareFormat::Markdown => {
            let mut out = markdown::render(&tables, args.extended);
            if !sweeps.is_empty() {
                out = format!("{out}\n{}", scaling::markdown(&sweeps));
            }
            out
        }
        CompareFormat::Csv => csv_table::render(&tables, args.extended)?,
        CompareFormat::Json => json::render(&tables, &sweeps, args.extended)?,
    };
    // Charts first: a fault in memory.csv then fails the command before any table is printed, so
    // a script never keeps half a report.
    if let Some(dir) = &args.chart {
        let written = chart::write_all(dir, &tables, &sweeps, &sources)?;
        eprintln!(
            "compare: wrote {} chart(s) into {}",
            written.len(),
            dir.display()
        );
    }
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(output.as_bytes())
        .and_then(|()| stdout.flush())
    {
        // A reader that stopped early (`| head`) is not an error.
        Err(err) if err.kind() == std::io::ErrorKind::BrokenPipe => {}
        other => other.map_err(|err| anyhow::anyhow!("cannot write the tables: {err}"))?,
    }
    Ok(ExitCode::SUCCESS)
}
