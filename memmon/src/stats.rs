//! Running min/avg/max of each metric, in constant memory (no sample is kept).
//!
//! The average is over time, not over readings: each sample stands from its `elapsed_ms` until
//! the next sample (the last one until the child was reaped), in the whole milliseconds of the
//! CSV's `elapsed_ms`, so it can be recomputed from `memory.csv` exactly. With evenly spaced
//! samples this is the plain mean of the old suite (up to the last, partial interval); it stays
//! unbiased when memmon was held up between samples.
//!
//! RSS and VSZ are read at every sample. PSS (Linux) may be read at only some of them (the CPU
//! budget, `--pss-budget`): a reading stands for its own sample only, never for the next one, and
//! the average of a PSS metric is estimated from RSS, which every sample has:
//!
//! `avg(pss) = avg(rss) × Σ pss·t / Σ rss·t`, the sums over the samples that read PSS (`t`: the
//! time each stands),
//!
//! that is, a sample without a reading is taken to have the PSS/RSS ratio `R` of the samples that
//! have one (`Σ pss·t / Σ rss·t`), PSS `rss × R`. With a reading at every sample this is exactly
//! the time average of PSS; and as `pss ≤ rss` in every sample that read it, `R ≤ 1` and
//! `avg(pss) ≤ avg(rss)` always. min and max are over the same values — the readings, and
//! `rss × R` for the samples without one — so that `min ≤ avg ≤ max` also when the few readings
//! missed the process's peak.

use bench_records::MinAvgMax;

use crate::sampler::Sample;

/// Sums of one metric over the samples that have it.
#[derive(Debug, Clone, Copy, Default)]
pub struct Metric {
    count: u64,
    min: u64,
    max: u64,
    /// Σ value, for the mean when no time passed between samples.
    sum: u128,
    /// Σ value × milliseconds the sample stood.
    weighted_sum: u128,
    weighted_ms: u64,
    /// Σ rss and Σ rss × milliseconds over the same samples: the denominator of a PSS ratio.
    rss_sum: u128,
    rss_weighted_sum: u128,
    /// The smallest and largest rss of the samples without this metric.
    rss_without: Option<(u64, u64)>,
}

impl Metric {
    /// Adds a sample's value that stood `stood_ms`, beside the sample's `rss`.
    fn add(&mut self, value: Option<u64>, rss: Option<u64>, stood_ms: u64) {
        let Some(value) = value else {
            if let Some(rss) = rss {
                let (min, max) = self.rss_without.unwrap_or((rss, rss));
                self.rss_without = Some((min.min(rss), max.max(rss)));
            }
            return;
        };
        if self.count == 0 {
            self.min = value;
            self.max = value;
        } else {
            self.min = self.min.min(value);
            self.max = self.max.max(value);
        }
        self.count += 1;
        self.sum += u128::from(value);
        self.weighted_sum += u128::from(value) * u128::from(stood_ms);
        self.weighted_ms += stood_ms;
        let rss = u128::from(rss.unwrap_or(0));
        self.rss_sum += rss;
        self.rss_weighted_sum += rss * u128::from(stood_ms);
    }

    /// Its time average (the plain mean when no time passed).
    fn average(&self) -> f64 {
        if self.weighted_ms > 0 {
            self.weighted_sum as f64 / self.weighted_ms as f64
        } else {
            self.sum as f64 / self.count as f64
        }
    }

    /// Σ value / Σ rss over its samples, time-weighted (plain when no time passed).
    fn ratio_to_rss(&self) -> Option<f64> {
        let (value, rss) = if self.rss_weighted_sum > 0 {
            (self.weighted_sum, self.rss_weighted_sum)
        } else {
            (self.sum, self.rss_sum)
        };
        (rss > 0).then(|| value as f64 / rss as f64)
    }

    /// min/avg/max; `None` when no sample had this metric: the OS does not offer it (or nothing
    /// was sampled).
    fn summary(&self) -> Option<MinAvgMax<u64>> {
        (self.count > 0).then(|| MinAvgMax {
            min: self.min,
            avg: self.average(),
            max: self.max,
        })
    }
}

/// Every metric of every kept sample.
#[derive(Debug, Clone, Copy, Default)]
pub struct Stats {
    pub samples: u64,
    /// Samples that read PSS.
    pub pss_samples: u64,
    rss: Metric,
    vsz: Metric,
    pss_anon: Metric,
    pss: Metric,
    /// The latest sample and its time: how long it stands is known at the next one.
    last: Option<(Sample, u64)>,
}

impl Stats {
    /// Adds a sample taken `at_ms` after spawn (samples come in time order).
    pub fn add(&mut self, sample: &Sample, at_ms: u64) {
        self.samples += 1;
        self.pss_samples += u64::from(sample.pss.is_some());
        if let Some((last, since_ms)) = self.last.replace((*sample, at_ms)) {
            self.account(&last, at_ms.saturating_sub(since_ms));
        }
    }

    fn account(&mut self, sample: &Sample, stood_ms: u64) {
        self.rss.add(sample.rss, sample.rss, stood_ms);
        self.vsz.add(sample.vsz, sample.rss, stood_ms);
        self.pss_anon.add(sample.pss_anon, sample.rss, stood_ms);
        self.pss.add(sample.pss, sample.rss, stood_ms);
    }

    /// The figures with the last sample standing until `end_ms` (the child's reaping).
    pub fn summary(&self, end_ms: u64) -> Figures {
        let mut all = *self;
        if let Some((last, since_ms)) = self.last {
            all.account(&last, end_ms.saturating_sub(since_ms));
        }
        let rss = all.rss.summary();
        let estimated = |pss: &Metric| -> Option<MinAvgMax<u64>> {
            let mut figures = pss.summary()?;
            let ratio = pss.ratio_to_rss()?;
            figures.avg = rss?.avg * ratio;
            if let Some((min, max)) = pss.rss_without {
                let scaled = |rss: u64| (rss as f64 * ratio).round() as u64;
                figures.min = figures.min.min(scaled(min));
                figures.max = figures.max.max(scaled(max));
            }
            Some(figures)
        };
        Figures {
            rss,
            vsz: all.vsz.summary(),
            pss_anon: estimated(&all.pss_anon),
            pss: estimated(&all.pss),
        }
    }
}

/// min/avg/max of each metric over a run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Figures {
    pub rss: Option<MinAvgMax<u64>>,
    pub vsz: Option<MinAvgMax<u64>>,
    pub pss_anon: Option<MinAvgMax<u64>>,
    pub pss: Option<MinAvgMax<u64>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rss(value: u64) -> Sample {
        Sample {
            rss: Some(value),
            ..Sample::default()
        }
    }

    fn with_pss(rss: u64, pss: u64) -> Sample {
        Sample {
            rss: Some(rss),
            pss: Some(pss),
            pss_anon: Some(pss),
            ..Sample::default()
        }
    }

    #[test]
    fn evenly_spaced_samples_average_to_their_mean() {
        let mut stats = Stats::default();
        for (i, v) in [30, 10, 20].into_iter().enumerate() {
            stats.add(&rss(v), i as u64 * 100);
        }
        let s = stats.summary(300).rss.unwrap();
        assert_eq!((s.min, s.avg, s.max), (10, 20.0, 30));
    }

    #[test]
    fn samples_count_for_the_time_they_stand() {
        // 10 at 0 ms standing 200 ms (memmon held up), then 100 standing 800 ms.
        let mut stats = Stats::default();
        stats.add(&rss(10), 0);
        stats.add(&rss(100), 200);
        let s = stats.summary(1000).rss.unwrap();
        assert_eq!(s.avg, (10.0 * 200.0 + 100.0 * 800.0) / 1000.0);
    }

    #[test]
    fn samples_without_time_between_them_use_the_plain_mean() {
        let mut stats = Stats::default();
        stats.add(&with_pss(4, 2), 0);
        stats.add(&with_pss(8, 6), 0);
        let s = stats.summary(0);
        assert_eq!(s.rss.unwrap().avg, 6.0);
        assert_eq!(s.pss.unwrap().avg, 6.0 * 8.0 / 12.0);
    }

    #[test]
    fn pss_read_at_every_sample_averages_exactly() {
        let mut stats = Stats::default();
        stats.add(&with_pss(100, 90), 0);
        stats.add(&with_pss(200, 100), 100);
        let s = stats.summary(400);
        assert_eq!(s.pss.unwrap().avg, (90.0 * 100.0 + 100.0 * 300.0) / 400.0);
    }

    #[test]
    fn a_pss_reading_is_never_carried_to_later_samples() {
        // PSS read at the high (1000 of 1000 RSS), then RSS falls to 10 for nine samples without
        // a reading: carrying the 1000 forward would make avg(pss) 100 times avg(rss)'s tail.
        let mut stats = Stats::default();
        stats.add(&with_pss(1000, 1000), 0);
        for i in 1..10 {
            stats.add(&rss(10), i * 100);
        }
        let s = stats.summary(1000);
        let (rss, pss) = (s.rss.unwrap(), s.pss.unwrap());
        assert_eq!(rss.avg, (1000.0 + 9.0 * 10.0) / 10.0);
        assert_eq!(pss.avg, rss.avg);
        assert_eq!((pss.min, pss.max), (10, 1000));
        assert!(pss.avg <= rss.avg);
    }

    #[test]
    fn readings_that_missed_the_peak_still_bound_the_estimated_average() {
        // PSS read at 10 and 20 (half of RSS), not at the 1000 between them.
        let mut stats = Stats::default();
        stats.add(&with_pss(20, 10), 0);
        stats.add(&rss(1000), 100);
        stats.add(&with_pss(40, 20), 200);
        let pss = stats.summary(300).pss.unwrap();
        assert_eq!(pss.avg, (20.0 + 1000.0 + 40.0) / 3.0 * 0.5);
        assert_eq!((pss.min, pss.max), (10, 500));
        assert!(pss.min as f64 <= pss.avg && pss.avg <= pss.max as f64);
    }

    #[test]
    fn a_metric_never_seen_is_absent_not_zero() {
        let mut stats = Stats::default();
        stats.add(&rss(4096), 0);
        assert_eq!(stats.samples, 1);
        let s = stats.summary(100);
        assert!(s.rss.is_some());
        assert_eq!(s.pss_anon, None);
    }
}
