//! The old suite's published rows (ARCHITECTURE.md, The old suite), kept in `results/reference/`
//! in the runs.csv format and built into the binary, so `--reference` works from any folder and the figures cannot drift
//! from the files that document them.

use crate::results::load::{self, Source};

const RUNS_CSV: &str = include_str!("../../../../results/reference/runs.csv");
const META_JSON: &str = include_str!("../../../../results/reference/meta.json");

/// Where the rows come from, as messages name it.
pub const DISPLAY: &str = "results/reference";

/// The published rows, marked published by their meta.json.
pub fn load() -> anyhow::Result<Source> {
    let runs = load::parse_runs("results/reference/runs.csv", RUNS_CSV.as_bytes())?;
    let meta = load::parse_meta("results/reference/meta.json", META_JSON)?;
    load::source(DISPLAY.to_string(), None, Some(meta), runs)
}
