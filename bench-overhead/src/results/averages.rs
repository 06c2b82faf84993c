//! The averages over iterations that `summarize` and `compare` print, defined once so the two
//! commands never disagree about the same results folder.
//!
//! The old suite's definitions:
//! - per-job figures (socket creation, job setup, receive time, per-job speed) are means over every
//!   successful job of every run pooled together, so a run in which 10 jobs succeeded weighs ten
//!   times one in which 1 did, and a run in which none did weighs nothing;
//! - per-run figures (run time, aggregate speed, memory, and `compare`'s other per-run columns) are
//!   means over the runs in which every job succeeded, as the old suite averaged only runs that got
//!   to "All done": a run of refused connections measures nothing. When no run was clean they are
//!   means over every run, and a note says so.
//!
//! - percentiles across runs (transfer p50/p99, connect and TTFB p99) pool the phase times of every
//!   successful job of every run, from `jobs.csv`, into one histogram, as the client computes a
//!   run's own percentiles: an average of the runs' percentiles is not a percentile of anything (a
//!   run of slow jobs among fast ones moves the average of the medians, not the median). Without
//!   the job times of every run they are not known, except for a single run, whose own percentile
//!   (in `runs.csv`) is the pooled one.
//!
//! `summarize` has each job in `jobs.csv`; `compare` may only have `runs.csv`, whose per-run means
//! over the successful jobs times `jobs_ok` give the same sums. Both read `runs.csv` with the same
//! loader (`results::load`), which tells a measured value from an empty cell.

use hdrhistogram::Histogram;

use crate::results::jobs::{JobTimes, Phase};
use crate::results::load::Run;
use bench_records::RunRow;

/// Sum and count of one per-job figure over a run's successful jobs.
#[derive(Debug, Default, Clone, Copy, PartialEq)]
pub struct JobSum {
    pub sum: f64,
    pub jobs: f64,
}

impl JobSum {
    /// From a run's mean over its `jobs_ok` successful jobs (a `runs.csv` row).
    pub fn from_mean(mean: f64, jobs_ok: u64) -> JobSum {
        let jobs = jobs_ok as f64;
        JobSum {
            sum: mean * jobs,
            jobs,
        }
    }

    /// Adds one successful job's value.
    pub fn add(&mut self, value: f64) {
        self.sum += value;
        self.jobs += 1.0;
    }

    /// The run's own mean; `None` when no job of it succeeded.
    pub fn mean(self) -> Option<f64> {
        (self.jobs > 0.0).then(|| self.sum / self.jobs)
    }
}

/// A run's sum of one per-job figure over its successful jobs, from its `runs.csv` `mean` ×
/// `jobs_ok`; `None` when the figure was not measured. Rows that do not give the job counts (the
/// published ones, each already an average) weigh as one job.
pub fn job_sum(run: &Run, mean: Option<f64>) -> Option<JobSum> {
    let jobs_ok = run.jobs_ok().map_or(1, u64::from);
    mean.map(|mean| JobSum::from_mean(mean, jobs_ok))
}

/// Whether every job of the run succeeded, so that its per-run figures count; a row that does
/// not say is taken as it is.
pub fn clean(run: &Run) -> bool {
    run.jobs_failed().map_or(true, |failed| failed == 0)
}

/// A per-job figure over every successful job of every run; `None` when no job succeeded.
pub fn pooled(runs: impl IntoIterator<Item = JobSum>) -> Option<f64> {
    let total = runs.into_iter().fold(JobSum::default(), |a, r| JobSum {
        sum: a.sum + r.sum,
        jobs: a.jobs + r.jobs,
    });
    total.mean()
}

/// Which runs the per-run figures average.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub enum RunSelection {
    /// Every job of every run succeeded.
    #[default]
    All,
    /// Only the `clean` runs of `of` in which every job succeeded.
    Clean { clean: usize, of: usize },
    /// No run was clean: every one of the `of` runs.
    NoneClean { of: usize },
}

impl RunSelection {
    /// The note that says which runs the per-run `figures` (`run time and memory`) cover, when
    /// not all of them.
    pub fn note(self, subject: &str, figures: &str) -> Option<String> {
        self.describe(figures)
            .map(|text| format!("{subject}: {text}"))
    }

    /// [`note`](Self::note) without its subject.
    pub fn describe(self, figures: &str) -> Option<String> {
        match self {
            RunSelection::All => None,
            RunSelection::Clean { clean, of } => Some(format!(
                "{figures} are over the {clean} of {of} runs in which every job succeeded"
            )),
            RunSelection::NoneClean { of } => {
                let runs = if of == 1 {
                    "its only run".to_string()
                } else {
                    format!("all {of} runs")
                };
                Some(format!(
                    "no run had every job succeed: {figures} are over {runs}, failed jobs included"
                ))
            }
        }
    }
}

/// The runs whose per-run figures count: those where `clean` holds, or every run when none does.
pub fn select_runs<T: Copy>(runs: &[T], clean: impl Fn(T) -> bool) -> (Vec<T>, RunSelection) {
    let chosen: Vec<T> = runs.iter().copied().filter(|r| clean(*r)).collect();
    let of = runs.len();
    if chosen.len() == of {
        (chosen, RunSelection::All)
    } else if chosen.is_empty() {
        (runs.to_vec(), RunSelection::NoneClean { of })
    } else {
        let clean = chosen.len();
        (chosen, RunSelection::Clean { clean, of })
    }
}

/// A percentile the reports print.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quantile {
    P50,
    P99,
}

impl Quantile {
    fn fraction(self) -> f64 {
        match self {
            Quantile::P50 => 0.50,
            Quantile::P99 => 0.99,
        }
    }
}

impl Phase {
    /// The run's own percentile from its runs.csv row; `None` where its cell was empty.
    fn run_percentile(self, run: &Run, q: Quantile) -> Option<u64> {
        match (self, q) {
            (Phase::Connect, Quantile::P50) => run.connect_p50_ns(),
            (Phase::Connect, Quantile::P99) => run.connect_p99_ns(),
            (Phase::Ttfb, Quantile::P50) => run.ttfb_p50_ns(),
            (Phase::Ttfb, Quantile::P99) => run.ttfb_p99_ns(),
            (Phase::Transfer, Quantile::P50) => run.transfer_p50_ns(),
            (Phase::Transfer, Quantile::P99) => run.transfer_p99_ns(),
        }
    }
}

/// The percentile `q` of `values` as the client computes a run's: an hdrhistogram of 3 significant
/// digits (within 0.1 % of the exact value), capped at the exact maximum; `None` without values.
pub fn percentile(values: impl IntoIterator<Item = u64>, q: Quantile) -> Option<u64> {
    // Auto-resizing, 3 significant digits: any u64 is recorded, so `record` cannot fail.
    let mut histogram =
        Histogram::<u64>::new(3).expect("3 significant digits is a valid precision");
    let mut max = 0;
    for value in values {
        let _ = histogram.record(value);
        max = max.max(value);
    }
    (!histogram.is_empty()).then(|| histogram.value_at_quantile(q.fraction()).min(max))
}

/// A percentile across runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pooled {
    /// Nanoseconds.
    Value(u64),
    /// No run measured the phase in a successful job.
    NotMeasured,
    /// Several runs measured it, and one lacks its job times: their percentiles do not combine.
    WithoutJobTimes,
}

impl Pooled {
    pub fn value(self) -> Option<u64> {
        match self {
            Pooled::Value(ns) => Some(ns),
            Pooled::NotMeasured | Pooled::WithoutJobTimes => None,
        }
    }
}

/// The percentile `q` of `phase` over every successful job of `runs` pooled. Each run comes with
/// its job times when its jobs.csv has them. Runs without a successful job (or that did not
/// measure the phase) take no part; a single run's own percentile is the pooled one.
pub fn pooled_percentile(runs: &[(&Run, Option<&JobTimes>)], phase: Phase, q: Quantile) -> Pooled {
    let measured: Vec<&(&Run, Option<&JobTimes>)> = runs
        .iter()
        .filter(|(run, _)| {
            let some_job_succeeded = run.jobs_ok().map_or(true, |ok| ok > 0);
            phase.run_percentile(run, q).is_some() && some_job_succeeded
        })
        .collect();
    match measured.as_slice() {
        [] => Pooled::NotMeasured,
        [(run, None)] => phase
            .run_percentile(run, q)
            .map_or(Pooled::NotMeasured, Pooled::Value),
        all => {
            let times: Option<Vec<&JobTimes>> = all.iter().map(|(_, times)| *times).collect();
            let Some(times) = times else {
                return Pooled::WithoutJobTimes;
            };
            percentile(times.iter().flat_map(|t| t.phase(phase).iter().copied()), q)
                .map_or(Pooled::NotMeasured, Pooled::Value)
        }
    }
}

/// The one error of `summarize` and `compare` for a figure that is not a finite number: values so
/// large that their sum overflows (`1e308` rows) would print as `inf` and `NaN %`.
pub fn not_finite(sources: &str, figure: &str, subject: &str) -> anyhow::Error {
    anyhow::anyhow!(
        "{sources}: the {figure} of {subject} over its runs is not a finite number: a value in \
         runs.csv is out of range; correct or remove that row"
    )
}

/// Plain mean; `None` without values.
pub fn mean(values: &[f64]) -> Option<f64> {
    (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64)
}

/// Coefficient of variation (sample standard deviation / mean) as a fraction; `None` below two
/// values or when the mean is zero.
pub fn cv(values: &[f64]) -> Option<f64> {
    if values.len() < 2 {
        return None;
    }
    let m = mean(values)?;
    if m == 0.0 {
        return None;
    }
    let variance = values.iter().map(|v| (v - m).powi(2)).sum::<f64>() / (values.len() - 1) as f64;
    Some(variance.sqrt() / m.abs())
}

/// A run's memory as memmon measured it, in bytes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Memory {
    /// `pss_anon` where the OS has it (Linux), else `rss`: the old suite's memory figure.
    pub metric: &'static str,
    pub min: Option<f64>,
    pub avg: f64,
    pub max: Option<f64>,
}

/// The run's memory: `pss_anon` when its average is there, else `rss`; `None` without memmon.
pub fn memory(row: &RunRow) -> Option<Memory> {
    let pick = |metric, min, avg: Option<f64>, max| {
        avg.map(|avg| Memory {
            metric,
            min,
            avg,
            max,
        })
    };
    pick(
        "pss_anon",
        row.mem_pss_anon_min_bytes,
        row.mem_pss_anon_avg_bytes,
        row.mem_pss_anon_max_bytes,
    )
    .or_else(|| {
        pick(
            "rss",
            row.mem_rss_min_bytes,
            row.mem_rss_avg_bytes,
            row.mem_rss_max_bytes,
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn job_figures_weigh_runs_by_their_successful_jobs() {
        // 3 jobs at 10 and 1 job at 30: 15 per job, not (10 + 30) / 2 = 20 per run.
        let runs = [JobSum::from_mean(10.0, 3), JobSum::from_mean(30.0, 1)];
        assert_eq!(pooled(runs), Some(15.0));
        // A run without a successful job weighs nothing, whatever its mean says.
        assert_eq!(pooled([JobSum::from_mean(99.0, 0), runs[0]]), Some(10.0));
        assert_eq!(pooled([JobSum::from_mean(99.0, 0)]), None);
        let mut sum = JobSum::default();
        sum.add(1.0);
        sum.add(2.0);
        assert_eq!(sum.mean(), Some(1.5));
    }

    #[test]
    fn run_figures_take_the_clean_runs_or_all() {
        let (runs, selection) = select_runs(&[0, 2, 0], |failed| failed == 0);
        assert_eq!(
            (runs, selection),
            (vec![0, 0], RunSelection::Clean { clean: 2, of: 3 })
        );
        let (runs, selection) = select_runs(&[1, 2], |failed| failed == 0);
        assert_eq!(
            (runs, selection),
            (vec![1, 2], RunSelection::NoneClean { of: 2 })
        );
        assert_eq!(select_runs(&[0], |f| f == 0).1, RunSelection::All);
        assert_eq!(RunSelection::All.note("x", "run time"), None);
        assert_eq!(
            RunSelection::Clean { clean: 2, of: 3 }
                .note("poll", "run time, aggregate speed and memory")
                .unwrap(),
            "poll: run time, aggregate speed and memory are over the 2 of 3 runs in which every job succeeded"
        );
    }

    #[test]
    fn pooled_percentiles_are_not_averaged_percentiles() {
        // Run a: 8 jobs at 10 ms; run b: 2 jobs at 30 ms. The average of the runs' medians is
        // 20 ms, a time no job took; pooled, the median is 10 ms and the p99 30 ms.
        let a: Vec<u64> = vec![10_000_000; 8];
        let b: Vec<u64> = vec![30_000_000; 2];
        let within = |got: Option<u64>, want: u64| {
            let got = got.unwrap() as f64;
            assert!(
                (got - want as f64).abs() <= want as f64 * 1e-3,
                "{got} vs {want}"
            );
        };
        within(
            percentile(a.iter().chain(&b).copied(), Quantile::P50),
            10_000_000,
        );
        within(
            percentile(a.iter().chain(&b).copied(), Quantile::P99),
            30_000_000,
        );
        assert_eq!(percentile([], Quantile::P50), None);
        // Capped at the exact maximum, as the client does.
        assert_eq!(percentile([1_000_001], Quantile::P99), Some(1_000_001));
    }

    #[test]
    fn without_every_run_s_jobs_only_a_single_run_has_a_percentile() {
        let run = |id: &str, p99: u64| Run {
            row: RunRow {
                run_id: id.into(),
                jobs_ok: 2,
                transfer_p99_ns: p99,
                ..RunRow::default()
            },
            variant: bench_records::Variant::Poll,
            absent: Default::default(),
        };
        let (a, b) = (run("a", 10), run("b", 30));
        let times = JobTimes {
            transfer: vec![10, 30],
            ..JobTimes::default()
        };
        let p99 = |runs: &[(&Run, Option<&JobTimes>)]| {
            pooled_percentile(runs, Phase::Transfer, Quantile::P99)
        };
        assert_eq!(p99(&[(&a, None)]), Pooled::Value(10));
        assert_eq!(p99(&[(&a, None), (&b, None)]), Pooled::WithoutJobTimes);
        assert_eq!(
            p99(&[(&a, Some(&times)), (&b, None)]),
            Pooled::WithoutJobTimes
        );
        assert_eq!(
            p99(&[(&a, Some(&times)), (&b, Some(&times))]),
            Pooled::Value(30)
        );
        assert_eq!(p99(&[]), Pooled::NotMeasured);
    }

    #[test]
    fn coefficient_of_variation() {
        assert_eq!(cv(&[1.0]), None);
        assert_eq!(cv(&[0.0, 0.0]), None);
        assert_eq!(cv(&[2.0, 2.0, 2.0]), Some(0.0));
        assert!((cv(&[1.0, 3.0]).unwrap() - 2f64.sqrt() / 2.0).abs() < 1e-12);
        assert_eq!(mean(&[]), None);
    }

    #[test]
    fn memory_prefers_pss_anon() {
        let mut row = RunRow {
            mem_rss_avg_bytes: Some(5.0),
            ..RunRow::default()
        };
        assert_eq!(memory(&row).unwrap().metric, "rss");
        row.mem_pss_anon_avg_bytes = Some(2.0);
        let m = memory(&row).unwrap();
        assert_eq!((m.metric, m.avg, m.min), ("pss_anon", 2.0, None));
        assert_eq!(memory(&RunRow::default()), None);
    }
}
