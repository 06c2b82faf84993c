//! A request-rate table (keepalive, churn) as markdown, in that workload's columns: requests per
//! second, latency p50/p99/p99.9 from the setup's merged histograms, CPU µs and system calls per
//! request, memory; for churn connect p99 and connections per second; for an open loop the
//! target rate. ASCII units (`us`), as the download tables print them.

use std::fmt::Write;

use super::conditions;
use super::table::Table;
use crate::report::number::{cell, NO_DATA};
use crate::units::MIB;

pub fn render_table(out: &mut String, table: &Table) {
    let _ = writeln!(out, "{}\n", table.title);
    if !table.differing.is_empty() {
        let _ = writeln!(
            out,
            "Note: these rows were measured under different conditions ({}); compare them with care.\n",
            conditions::summary(table)
        );
    }
    let figures = || table.rows.iter().filter_map(|r| r.requests.as_ref());
    let churn = figures().any(|f| f.churn());
    let open_loop = figures().any(|f| f.target_rate.is_some());
    let mut header = vec!["Setup"];
    if open_loop {
        header.push("Target rate");
    }
    header.extend([
        "Requests/s",
        "Latency p50",
        "Latency p99",
        "Latency p99.9",
        "CPU per request",
        "Syscalls per request",
        "Average memory consumption",
    ]);
    if churn {
        header.extend(["Connect p99", "Connections/s"]);
    }
    header.push("Runs");
    let _ = writeln!(out, "| {} |", header.join(" | "));
    let _ = writeln!(out, "|{}", "---|".repeat(header.len()));
    let mut any_unmeasured = false;
    let mut missed = Vec::new();
    for row in &table.rows {
        let Some(f) = &row.requests else { continue };
        let latency = f.latency_us.as_ref();
        let mean = |a: Option<crate::results::requests::Averaged>| a.map(|a| a.value);
        let mut cells = vec![row.setup.clone()];
        if open_loop {
            cells.push(cell(f.target_rate, "req/s"));
        }
        cells.extend([
            cell(mean(f.requests_per_s), "req/s"),
            cell(latency.map(|l| l.p50), "us"),
            cell(latency.map(|l| l.p99), "us"),
            cell(latency.map(|l| l.p99_9), "us"),
            cell(mean(f.cpu_us_per_request), "us"),
            cell(mean(f.syscalls_per_request), ""),
            cell(mean(f.memory_avg_bytes).map(|b| b / MIB as f64), "MiB"),
        ]);
        if churn {
            cells.extend([
                cell(f.connect_p99_us, "us"),
                cell(mean(f.connections_per_s), "conn/s"),
            ]);
        }
        cells.push(row.runs.to_string());
        any_unmeasured |= cells.iter().any(|c| c.contains(NO_DATA));
        let cells: Vec<String> = cells.iter().map(|c| c.replace('|', "\\|")).collect();
        let _ = writeln!(out, "| {} |", cells.join(" | "));
        if !f.schedule_missed.is_empty() {
            missed.push(format!(
                "{}: the schedule was not kept in {} of {} runs ({})",
                row.setup,
                f.schedule_missed.len(),
                f.runs,
                f.schedule_missed.join("; ")
            ));
        }
    }
    let mut notes = vec![
        "Latency percentiles are read from the merged histograms of every run of a setup (every \
         request counted), never averaged; Requests/s, CPU and syscalls per request (warm-up \
         requests included, as CPU and calls are counted over the whole run) and memory are \
         means over the runs in which every connection succeeded (every run when none did)."
            .to_string(),
    ];
    notes.extend(missed.into_iter().map(|m| format!("{m}.")));
    if any_unmeasured {
        notes.push(format!("{NO_DATA}: not measured in these results."));
    }
    out.push('\n');
    for note in notes {
        let _ = writeln!(out, "{note}\n");
    }
    out.pop();
}
