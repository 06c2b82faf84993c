//! The request-rate workloads' part of a summary (keepalive, churn): one section per workload,
//! model, backend and connection count, in the words of the download sections (`view.rs`), with
//! the figures of `results::requests` (latency percentiles from the runs' merged histograms).

use super::summary::RequestSummary;
use super::view::{Section, CV_WARNING, NO_VALUE};
use crate::results::load::Run;
use crate::results::requests::{Averaged, RequestSetup};
use crate::units::{format_bytes, format_nanos};

/// Groups the request-rate runs (in the order they were recorded) and computes each group once.
pub fn summaries(runs: &[Run], runs_csv: &str) -> anyhow::Result<Vec<RequestSummary>> {
    let mut groups: Vec<(&str, &str, &str, u32, Vec<&Run>)> = Vec::new();
    for run in runs.iter().filter(|r| r.request_rate()) {
        let key = (
            run.workload(),
            run.variant.name(),
            run.row.backend.as_str(),
            run.row.connections,
        );
        match groups.iter_mut().find(|g| (g.0, g.1, g.2, g.3) == key) {
            Some(group) => group.4.push(run),
            None => groups.push((key.0, key.1, key.2, key.3, vec![run])),
        }
    }
    groups
        .into_iter()
        .map(|(workload, variant, backend, connections, rows)| {
            Ok(RequestSummary {
                workload: workload.to_string(),
                variant: variant.to_string(),
                backend: backend.to_string(),
                connections,
                server: rows[0].row.server.clone(),
                network: rows[0].row.network.clone(),
                figures: RequestSetup::of(&rows, runs_csv)?,
            })
        })
        .collect()
}

/// A figure with its spread, as the download sections print it.
fn averaged(value: Option<Averaged>, format: impl Fn(f64) -> String) -> (String, String) {
    match value {
        None => (NO_VALUE.to_string(), "-".to_string()),
        Some(a) => {
            let spread = match a.cv {
                Some(cv) if cv > CV_WARNING => format!("{:.1} % (!)", cv * 100.0),
                Some(cv) => format!("{:.1} %", cv * 100.0),
                None => "-".to_string(),
            };
            (format(a.value), spread)
        }
    }
}

/// A percentile read from the merged histograms: no spread over runs (it is one value of all
/// their requests), said as `merged`.
fn pooled(value: Option<f64>) -> (String, String) {
    match value {
        None => (NO_VALUE.to_string(), "-".to_string()),
        Some(us) => (format_nanos(us * 1e3), "merged".to_string()),
    }
}

fn heading(s: &RequestSummary) -> String {
    format!(
        "{}: {} ({}), {} connection{}, server {}, network {}",
        s.workload,
        s.variant,
        s.backend,
        s.connections,
        if s.connections == 1 { "" } else { "s" },
        if s.server.is_empty() {
            "unnamed"
        } else {
            &s.server
        },
        s.network
    )
}

/// The sections the text and markdown renderers print.
pub fn sections(summaries: &[RequestSummary]) -> Vec<Section> {
    summaries
        .iter()
        .map(|s| {
            let f = &s.figures;
            let latency = f.latency_us.as_ref();
            let mut figures = Vec::new();
            let mut line = |label: &'static str, (value, spread): (String, String)| {
                figures.push((label, value, spread));
            };
            if let Some(target) = f.target_rate {
                line("Target rate", (format!("{target:.0} req/s"), "-".into()));
            }
            line(
                "Requests per second",
                averaged(f.requests_per_s, |v| format!("{v:.0} req/s")),
            );
            line("Latency p50", pooled(latency.map(|l| l.p50)));
            line("Latency p99", pooled(latency.map(|l| l.p99)));
            line("Latency p99.9", pooled(latency.map(|l| l.p99_9)));
            line(
                "CPU per request",
                averaged(f.cpu_us_per_request, |v| format!("{v:.2} µs")),
            );
            line(
                "Syscalls per request",
                averaged(f.syscalls_per_request, |v| format!("{v:.2}")),
            );
            if f.memory_avg_bytes.is_some() {
                line(
                    "Memory avg (average over runs)",
                    averaged(f.memory_avg_bytes, |v| format_bytes(v.round() as u64)),
                );
            }
            if f.churn() {
                line("Connect p99", pooled(f.connect_p99_us));
                line(
                    "Connections per second",
                    averaged(f.connections_per_s, |v| format!("{v:.0} conn/s")),
                );
            }
            Section {
                heading: heading(s),
                counts: vec![
                    ("Successful runs", format!("{} of {}", f.runs_ok, f.runs)),
                    (
                        "Requests counted",
                        format!("{} (+{} in warm-ups)", f.requests, f.warmup_requests),
                    ),
                ],
                figures,
            }
        })
        .collect()
}

/// Warnings (noisy means, missed schedules) and notes (which runs the figures cover).
pub fn warnings_and_notes(summaries: &[RequestSummary]) -> (Vec<String>, Vec<String>) {
    let mut warnings = Vec::new();
    let mut notes = Vec::new();
    for s in summaries {
        let f = &s.figures;
        let noisy: Vec<String> = [
            ("Requests per second", f.requests_per_s),
            ("CPU per request", f.cpu_us_per_request),
            ("Syscalls per request", f.syscalls_per_request),
            ("Connections per second", f.connections_per_s),
        ]
        .into_iter()
        .filter_map(|(label, a)| {
            let cv = a?.cv?;
            (cv > CV_WARNING).then(|| format!("{label} {:.1} %", cv * 100.0))
        })
        .collect();
        if !noisy.is_empty() {
            warnings.push(format!(
                "{}: over {} runs these vary by more than {:.0} % (CV): {}; run more ITERATIONS \
                 or quiet the machine before comparing them",
                s.subject(),
                f.runs,
                CV_WARNING * 100.0,
                noisy.join(", ")
            ));
        }
        if !f.schedule_missed.is_empty() {
            warnings.push(format!(
                "{}: the schedule was not kept in {} of {} runs ({}): the achieved rate is below \
                 the target, compare the latencies at a lower RATE",
                s.subject(),
                f.schedule_missed.len(),
                f.runs,
                f.schedule_missed.join("; ")
            ));
        }
        notes.extend(f.selection.note(
            &s.subject(),
            "requests per second, latency, costs per request and memory",
        ));
    }
    if !summaries.is_empty() {
        notes.push(
            "latency percentiles of the request workloads are read from the runs' merged \
             histograms (every request of every run), not averaged; CPU and syscalls per request \
             count the warm-up's requests too, as CPU time and calls are counted over the whole run"
                .to_string(),
        );
    }
    (warnings, notes)
}
