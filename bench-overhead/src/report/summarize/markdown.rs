//! The summary as markdown (summary.md).

use std::fmt::Write as _;

use super::view::{View, CV_WARNING};

/// The summary as markdown (summary.md).
pub fn render(view: &View) -> String {
    let summary = view.summary;
    let mut out = String::from("# bench-overhead summary\n\n");
    let _ = writeln!(out, "Results: `{}`  ", summary.results);
    if !summary.host.is_empty() {
        let _ = writeln!(out, "Machine: {}  ", summary.host);
    }
    if !summary.status.is_empty() {
        let _ = writeln!(out, "Status: {}", summary.status);
    }
    let _ = writeln!(out);
    for section in &view.sections {
        let _ = writeln!(out, "## {}\n", section.heading);
        let _ = writeln!(out, "| Figure | Value | CV over runs |\n|---|---|---|");
        for (label, value) in &section.counts {
            let _ = writeln!(out, "| {label} | {value} | |");
        }
        for (label, value, spread) in &section.figures {
            let _ = writeln!(out, "| {label} | {value} | {spread} |");
        }
        let _ = writeln!(out);
    }
    out.push_str(&crate::report::scaling::markdown(&summary.sweeps));
    for warning in &view.warnings {
        let _ = writeln!(out, "- **warning**: {warning}");
    }
    for note in &view.notes {
        let _ = writeln!(out, "- note: {note}");
    }
    let _ = writeln!(
        out,
        "\nJob figures are means over every successful job of every run; run time, aggregate speed \
         and memory are means over the runs in which every job succeeded (every run when none \
         did). CV: standard deviation / mean of the per-run values (for a job figure, of the runs \
         with a successful job; for the others, of the runs they average); (!) marks more than \
         {:.0} % (never on memory min, the sample taken at spawn). Sizes in MiB = 2^20 bytes.",
        CV_WARNING * 100.0
    );
    out
}
