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
//! `summarize` has each job in `jobs.csv`; `compare` may only have `runs.csv`, whose per-run means
//! over the successful jobs times `jobs_ok` give the same sums. Both read `runs.csv` with the same
//! loader (`results::load`), which tells a measured value from an empty cell.

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

/// A run's sum of one per-job figure over its successful jobs, from its `runs.csv` `mean` of
/// `column` × `jobs_ok`; `None` when the column was not measured. Rows that do not give the job
/// counts (the published ones, each already an average) weigh as one job.
pub fn job_sum(run: &Run, column: &str, mean: f64) -> Option<JobSum> {
    let jobs_ok = if run.has("jobs_ok") {
        u64::from(run.row.jobs_ok)
    } else {
        1
    };
    run.has(column).then(|| JobSum::from_mean(mean, jobs_ok))
}

/// Whether every job of the run succeeded, so that its per-run figures count; a row that does
/// not say is taken as it is.
pub fn clean(run: &Run) -> bool {
    !run.has("jobs_failed") || run.row.jobs_failed == 0
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
