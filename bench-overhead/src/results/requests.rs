//! The figures of a request-rate setup (keepalive, churn) over its runs, which `summarize` and
//! `compare` both print: latency and connect percentiles from the runs' merged histograms
//! (`histogram.rs`), never averaged; requests per second, the costs per request, memory and
//! connections per second as means over the runs, with their spread, as the download figures
//! are. Like those, they are over the runs in which every connection succeeded (every run when
//! none did).

use serde::Serialize;

use crate::results::averages::{self, cv, mean, RunSelection};
use crate::results::histogram::{Kind, Pooled};
use crate::results::load::Run;
use bench_records::LatencyPercentiles;

/// A mean over runs and its spread.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Averaged {
    pub value: f64,
    /// Coefficient of variation over the runs; `None` with one run.
    pub cv: Option<f64>,
    pub runs: usize,
}

impl Averaged {
    fn of(values: &[f64]) -> Option<Averaged> {
        Some(Averaged {
            value: mean(values)?,
            cv: cv(values),
            runs: values.len(),
        })
    }
}

/// One setup's request figures.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RequestSetup {
    /// Runs recorded, and those every connection of which succeeded.
    pub runs: usize,
    pub runs_ok: usize,
    /// Requests counted, and made in the warm-ups, over every run.
    pub requests: u64,
    pub warmup_requests: u64,
    pub requests_per_s: Option<Averaged>,
    /// From the merged request histograms; `None` without any.
    pub latency_us: Option<LatencyPercentiles>,
    pub cpu_us_per_request: Option<Averaged>,
    pub syscalls_per_request: Option<Averaged>,
    /// The client's average memory (pss_anon, else rss), bytes.
    pub memory_avg_bytes: Option<Averaged>,
    /// Churn: connections per second, and connect p99 from the merged connect histograms.
    pub connections_per_s: Option<Averaged>,
    pub connect_p99_us: Option<f64>,
    /// Open loop: the rate asked for (the runs' mean; one value when one RATE ran them).
    pub target_rate: Option<f64>,
    /// Open loop: `run id: why` for each run whose schedule was not kept.
    pub schedule_missed: Vec<String>,
    #[serde(skip)]
    pub selection: RunSelection,
    /// The merged request histogram, for the latency-percentile chart.
    #[serde(skip)]
    pub pooled: Option<Pooled>,
}

impl RequestSetup {
    /// The figures of `runs`, one setup's; `display` names their file in messages (a histogram
    /// that does not decode).
    pub fn of(runs: &[&Run], display: &str) -> anyhow::Result<RequestSetup> {
        let (measured, selection) = averages::select_runs(runs, averages::clean);
        let averaged = |value: fn(&Run) -> Option<f64>| {
            Averaged::of(
                &measured
                    .iter()
                    .filter_map(|r| value(r))
                    .collect::<Vec<f64>>(),
            )
        };
        let pooled = Pooled::merge(measured.iter().copied(), Kind::Request, display)?;
        let connect = Pooled::merge(measured.iter().copied(), Kind::Connect, display)?;
        let targets: Vec<f64> = measured.iter().filter_map(|r| r.row.target_rate).collect();
        Ok(RequestSetup {
            runs: runs.len(),
            runs_ok: runs.iter().filter(|r| averages::clean(r)).count(),
            requests: runs.iter().filter_map(|r| r.row.requests).sum(),
            warmup_requests: runs.iter().filter_map(|r| r.row.warmup_requests).sum(),
            requests_per_s: averaged(|r| r.row.requests_per_s),
            latency_us: pooled.as_ref().map(Pooled::percentiles),
            cpu_us_per_request: averaged(|r| r.row.cpu_us_per_request),
            syscalls_per_request: averaged(|r| r.row.syscalls_per_request),
            memory_avg_bytes: averaged(|r| averages::memory(&r.row).map(|m| m.avg)),
            connections_per_s: averaged(|r| r.row.connections_per_s),
            connect_p99_us: connect.as_ref().map(|c| c.quantile_us(0.99)),
            target_rate: mean(&targets),
            schedule_missed: runs
                .iter()
                .filter_map(|r| {
                    let why = r.row.schedule_missed.as_deref()?.trim();
                    (!why.is_empty()).then(|| format!("{}: {why}", r.row.run_id))
                })
                .collect(),
            selection,
            pooled,
        })
    }

    /// Whether the setup is churn-like: it opened connections per request.
    pub fn churn(&self) -> bool {
        self.connections_per_s.is_some() || self.connect_p99_us.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::histogram::tests::cell;
    use bench_records::{RunRow, Variant};

    fn run(id: &str, histogram: String, p99: f64, requests_per_s: f64) -> Run {
        Run {
            row: RunRow {
                run_id: id.into(),
                workload: "keepalive".into(),
                requests: Some(1_000),
                requests_per_s: Some(requests_per_s),
                latency_p99_us: Some(p99),
                latency_histogram: Some(histogram),
                ..RunRow::default()
            },
            variant: Variant::Poll,
            absent: Default::default(),
        }
    }

    /// Two runs of 1,000 requests: one all at 100 µs (p99 100 µs), one with 4 % at 10 ms (p99
    /// 10 ms). Pooled, 2 % of the 2,000 requests took 10 ms, so the p99 is 10 ms; the mean of the
    /// runs' p99s is ~5 ms, a latency no request had.
    #[test]
    fn pooled_percentiles_come_from_merged_histograms_not_averaged_ones() {
        let fast = run("a", cell(&[(100, 1_000)]), 100.0, 10_000.0);
        let slow = run("b", cell(&[(100, 960), (10_000, 40)]), 10_000.0, 9_000.0);
        let setup = RequestSetup::of(&[&fast, &slow], "runs.csv").unwrap();
        let latency = setup.latency_us.clone().unwrap();
        let p99 = latency.p99;
        let averaged = (100.0 + 10_000.0) / 2.0;
        assert!((p99 - 10_000.0).abs() <= 20.0, "{p99}");
        assert!((p99 - averaged).abs() > 4_000.0, "{p99} vs {averaged}");
        // p50 of all 2,000 requests is 100 µs, as in both runs (to the 1 µs-lowest bucket width).
        assert!((latency.p50 - 100.0).abs() <= 1.0, "{}", latency.p50);
        assert_eq!(setup.requests_per_s.unwrap().value, 9_500.0);
        assert_eq!(setup.requests, 2_000);
        assert!(!setup.churn());
    }

    #[test]
    fn a_bad_histogram_names_its_file_run_and_column() {
        let bad = run("poll-keepalive-1", "not base64!".into(), 1.0, 1.0);
        let err = RequestSetup::of(&[&bad], "r/runs.csv")
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with(
                "r/runs.csv: run poll-keepalive-1, column `latency_histogram`: not base64"
            ),
            "{err}"
        );
        // A run that counted requests without a histogram leaves the percentiles unknown.
        let mut missing = run("c", String::new(), 1.0, 1.0);
        missing.row.latency_histogram = None;
        let fine = run("d", cell(&[(100, 5)]), 100.0, 1.0);
        let setup = RequestSetup::of(&[&missing, &fine], "runs.csv").unwrap();
        assert!(setup.latency_us.is_none());
    }
}
