//! `bench-overhead summarize RESULTS`: the old suite's per-variant summary of a results folder, plus
//! how much each figure varies over the iterations.
//!
//! The averages are the old suite's, defined in `crate::results::averages` and shared with
//! `compare`, and `runs.csv` and `meta.json` are read by the loader `compare` uses
//! (`crate::results::load`), so the two commands print the same
//! figures for the same folder and refuse the same faults: job figures (socket creation, job setup,
//! receive time, per-job speed) are means over every successful job of every run pooled together;
//! run time, aggregate speed and memory are means over the runs in which every job succeeded
//! (every run when none did). Job figures come from `jobs.csv` (exact per-job values); a run
//! without job rows, or with a job row that does not parse, takes its `runs.csv` means. The spread
//! is the coefficient of variation (sample standard deviation / mean) of the per-run values: above
//! 10 % a figure is too noisy to compare without more iterations. The request-rate workloads
//! (keepalive, churn) have sections of their own (`requests.rs`): requests per second and costs
//! per request averaged over runs the same way, latency percentiles from the runs' merged
//! histograms.

mod compute;
mod markdown;
mod requests;
mod summary;
mod text;
mod view;

use std::fs;
use std::process::ExitCode;

use anyhow::Context;

pub use compute::summarize;
use std::path::PathBuf;
// The suite's verdict reads the same figures.
pub use summary::{Figure, Summary, VariantSummary};
use view::View;

/// `summarize`: which folder, and which outputs.
#[derive(Debug, Clone)]
pub struct SummarizeConfig {
    /// A results folder written by bench-overhead.sh.
    pub results: PathBuf,
    /// Also write the summary as markdown to this file.
    pub markdown: Option<PathBuf>,
    /// Print the summary as one JSON object instead of text.
    pub json: bool,
}

pub fn run(args: SummarizeConfig) -> anyhow::Result<ExitCode> {
    let summary = summarize(&args.results)?;
    let view = view_of(&summary);
    if args.json {
        println!("{}", serde_json::to_string_pretty(&summary)?);
    } else {
        print!("{}", text::render(&view));
    }
    if let Some(path) = &args.markdown {
        fs::write(path, markdown::render(&view))
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(ExitCode::SUCCESS)
}

/// The words of a summary: the download (and upload) sections, then the request workloads'.
fn view_of(summary: &Summary) -> View<'_> {
    let mut view = View::new(summary);
    view.sections.extend(requests::sections(&summary.requests));
    let (warnings, notes) = requests::warnings_and_notes(&summary.requests);
    view.warnings.extend(warnings);
    view.notes.extend(notes);
    view
}

#[cfg(test)]
mod tests;
