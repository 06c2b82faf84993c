//! The comparison as markdown: one table per network path (and workload), in the published
//! columns (a request-rate workload's in its own, `request_markdown.rs`), with notes
//! that say what a reader must know before comparing two rows.
//!
//! Units are the published ones, spelled as published: `us` rather than `µs`, so a new row pasted
//! under the old table reads the same, and the text stays ASCII for the bug trackers and mailing
//! lists it is pasted into.

use std::fmt::Write;

use super::conditions;
use super::table::{Row, Table};
use crate::report::label;
use crate::report::label::payload_label;
use crate::report::number::cell;
use crate::report::number::NO_DATA;

/// The published columns, exactly.
pub const COLUMNS: [&str; 6] = [
    "Setup",
    "Socket creation time",
    "Job setup time",
    "Download",
    "Run time",
    "Average memory consumption",
];

/// The `--extended` columns, after the published ones.
pub const EXTENDED_COLUMNS: [&str; 13] = [
    "Transfer p50",
    "Transfer p99",
    "Aggregate",
    "CPU per GiB",
    "Syscalls per MiB",
    "Context switches per run",
    "Peak RSS",
    "Run time CV",
    "Server CPU per GiB",
    "Server memory",
    "Socket memory per connection",
    "Retransmits per connection",
    "Runs",
];

/// The cells of a row that are per-job figures (socket creation, job setup, download, transfer
/// p50 and p99): none when no job of the row succeeded.
const PER_JOB_CELLS: [usize; 5] = [1, 2, 3, 6, 7];

/// The cells of the costs beyond the client (server CPU and memory, socket memory, retransmits):
/// their `—` is explained by the extended note, not by the general "not measured" one.
const COST_CELLS: [usize; 4] = [14, 15, 16, 17];

/// The cells of the transfer percentiles.
const PERCENTILE_CELLS: [usize; 2] = [6, 7];

/// The per-run figures of a table, as its notes name them: means over the runs in which every job
/// succeeded.
fn run_figures(extended: bool) -> &'static str {
    if extended {
        "run time, memory, aggregate speed, CPU per GiB, syscalls per MiB, context switches, peak \
         RSS, run time CV, server CPU and memory, socket memory and retransmits"
    } else {
        "run time and memory"
    }
}

/// `39.9529 s @ 5.02905 MiB/s`: the average receive time @ the average per-job speed.
pub fn download_cell(row: &Row) -> String {
    let figures = &row.figures;
    match (figures.receive_s, figures.job_mib_s) {
        (None, None) => NO_DATA.to_string(),
        (receive, speed) => format!("{} @ {}", cell(receive, "s"), cell(speed, "MiB/s")),
    }
}

/// Renders every table.
pub fn render(tables: &[Table], extended: bool) -> String {
    let mut out = String::new();
    for (i, table) in tables.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        if table.request_rate() {
            super::request_markdown::render_table(&mut out, table);
        } else {
            render_table(&mut out, table, extended);
        }
    }
    out
}

fn render_table(out: &mut String, table: &Table, extended: bool) {
    let _ = writeln!(out, "{}\n", table.title);
    if !table.differing.is_empty() {
        let _ = writeln!(out, "{}\n", conditions_note(table, extended));
    }

    let mut header: Vec<&str> = COLUMNS.to_vec();
    if extended {
        header.extend(EXTENDED_COLUMNS);
        header.extend(table.differing.iter().map(|c| c.title()));
    }
    let _ = writeln!(out, "| {} |", header.join(" | "));
    let _ = writeln!(out, "|{}", "---|".repeat(header.len()));

    let mut any_unmeasured = false;
    for row in &table.rows {
        let mut cells = vec![
            row.setup.clone(),
            cell(row.figures.socket_creation_us, "us"),
            cell(row.figures.job_setup_us, "us"),
            download_cell(row),
            cell(row.figures.run_time_s, "s"),
            memory_cell(row),
        ];
        if extended {
            let x = row.extended.clone().unwrap_or_default();
            cells.extend([
                cell(x.transfer_p50_s, "s"),
                cell(x.transfer_p99_s, "s"),
                cell(x.aggregate_gib_s, "GiB/s"),
                cell(x.cpu_s_per_gib, "s/GiB"),
                cell(x.syscalls_per_mib, ""),
                cell(x.context_switches, ""),
                cell(x.peak_rss_mib, "MiB"),
                cell(x.run_time_cv_pct, "%"),
                cell(x.server_cpu_s_per_gib, "s/GiB"),
                cell(x.server_memory_mib, "MiB"),
                cell(x.socket_memory_per_connection_kib, "KiB"),
                cell(x.retransmits_per_connection, ""),
                row.runs.to_string(),
            ]);
            cells.extend(table.differing.iter().map(|c| c.value(row)));
        }
        // A row in which no job succeeded has no per-job figure: that `—` is said in its note, as
        // is that of percentiles of several runs without jobs.csv.
        let no_successful_job = row.jobs_ok == Some(0);
        let explained = |i: usize| {
            (no_successful_job && PER_JOB_CELLS.contains(&i))
                || COST_CELLS.contains(&i)
                || (row.percentiles_need_jobs && PERCENTILE_CELLS.contains(&i))
        };
        any_unmeasured |= cells
            .iter()
            .enumerate()
            .any(|(i, c)| c.contains(NO_DATA) && !explained(i));
        // A `|` inside a hand-written label would end the cell early.
        let cells: Vec<String> = cells.iter().map(|c| c.replace('|', "\\|")).collect();
        let _ = writeln!(out, "| {} |", cells.join(" | "));
    }

    let mut notes: Vec<String> = Vec::new();
    if let Some(row) = table.rows.iter().find(|r| r.published) {
        notes.push(format!(
            "{}: figures of the old suite as published ({} connections, {} payload, averaged over {} iterations), from results/reference/.",
            label::PUBLISHED_MARK,
            row.connections,
            payload_label(row.payload_bytes),
            row.runs
        ));
    }
    let mut readiness: Vec<String> = Vec::new();
    for row in &table.rows {
        if row.variant == "poll" && !row.backend.is_empty() && row.backend != "poll" {
            let machine = label::machine_label(&row.os, &row.os_version, &row.arch, &row.kernel);
            let entry = format!("{} on {machine}", row.backend);
            if !readiness.contains(&entry) {
                readiness.push(entry);
            }
        }
    }
    if !readiness.is_empty() {
        notes.push(format!(
            "poll()-based: one thread multiplexing every connection with the OS's readiness API: poll(2) in the old suite, {} here.",
            readiness.join(", ")
        ));
    }
    if table.rows.iter().any(|r| r.partial) {
        notes.push(format!(
            "{}: the suite did not finish this results folder (meta.json status \"partial\"); the row averages only the runs it completed.",
            label::PARTIAL_MARK
        ));
    }
    for row in &table.rows {
        if let Some(failed @ 1..) = row.jobs_failed {
            let mut note = match row.jobs_ok {
                Some(0) => format!(
                    "{}: all {failed} jobs failed: with no successful job, the per-job figures \
                     ({NO_DATA}) have nothing to average",
                    row.setup
                ),
                ok => format!(
                    "{}: {failed} of {} jobs failed; the per-job figures cover the successful jobs only",
                    row.setup,
                    ok.unwrap_or(0) + failed
                ),
            };
            if let Some(runs) = row.selection.describe(run_figures(extended)) {
                note = format!("{note}; {runs}");
            }
            notes.push(format!("{note}."));
        }
    }
    if extended {
        notes.push("Per-job figures are means over every successful job of every run; the other figures are means over the runs in which every job succeeded (every run when none did); Transfer p50/p99 are percentiles of the transfer times of every successful job of every run pooled (from jobs.csv; — for several runs without it, as their percentiles do not combine); Run time CV is the coefficient of variation of the run time over those runs; Server CPU per GiB and Server memory are the server process's, measured when the suite knew its PID and it ran on the client's machine; Socket memory per connection is the kernel's TCP socket memory, system-wide, over the run's connections (Linux); Retransmits per connection are the client side's TCP_INFO; — in these four: no figure (the server was not watched, or the OS has none).".to_string());
    }
    if any_unmeasured {
        notes.push(format!("{NO_DATA}: not measured in these results."));
    }
    if !notes.is_empty() {
        out.push('\n');
        for note in notes {
            let _ = writeln!(out, "{note}\n");
        }
        // One blank line separates the notes from what follows, not two.
        out.pop();
    }
}

fn conditions_note(table: &Table, extended: bool) -> String {
    let hint = if extended {
        "the columns at the right give each row's values"
    } else {
        "`--extended` adds them as columns"
    };
    format!(
        "Note: these rows were measured under different conditions ({}); compare them with care: {hint}.",
        conditions::summary(table)
    )
}

/// The average memory, with the remark the publication printed after it, as published:
/// `33.5141 MiB (virtual peaked at 8 GB)`.
fn memory_cell(row: &Row) -> String {
    let memory = cell(row.figures.memory_mib, "MiB");
    match &row.memory_note {
        Some(note) => format!("{memory} ({note})"),
        None => memory,
    }
}
