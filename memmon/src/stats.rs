//! Running min/avg/max of each metric, in constant memory (no sample is kept).
//!
//! The average is over time, not over readings: each reading stands for the time until the next
//! reading of the same metric (the last one until the child was reaped), all in the whole
//! milliseconds of the CSV's `elapsed_ms`, so it can be recomputed from `memory.csv` exactly.
//! With a reading at every sample this is the plain mean of the old suite (up to the last,
//! partial interval); it stays unbiased when PSS is read only every few samples of a large
//! process (`--pss-budget`) or when memmon was held up between samples.

use bench_records::MinAvgMax;

use crate::sampler::Sample;

/// Accumulates one metric.
#[derive(Debug, Clone, Copy, Default)]
pub struct Metric {
    count: u64,
    min: u64,
    max: u64,
    /// Plain sum, for the mean when no time has passed between readings.
    sum: u128,
    /// Σ value × milliseconds it stood, over the readings before the last.
    weighted_sum: u128,
    weighted_ms: u64,
    last: Option<(u64, u64)>,
}

impl Metric {
    /// Adds a reading taken `at_ms` after spawn (readings come in time order).
    pub fn add(&mut self, value: Option<u64>, at_ms: u64) {
        let Some(value) = value else { return };
        if let Some((previous, since_ms)) = self.last {
            let stood = at_ms.saturating_sub(since_ms);
            self.weighted_sum += u128::from(previous) * u128::from(stood);
            self.weighted_ms += stood;
        }
        if self.count == 0 {
            self.min = value;
            self.max = value;
        } else {
            self.min = self.min.min(value);
            self.max = self.max.max(value);
        }
        self.count += 1;
        self.sum += u128::from(value);
        self.last = Some((value, at_ms));
    }

    /// How many samples had this metric.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// min/avg/max with the last reading standing until `end_ms` (the child's reaping).
    /// `None` when no sample had this metric: the OS does not offer it (or nothing was sampled).
    pub fn summary(&self, end_ms: u64) -> Option<MinAvgMax<u64>> {
        let (last, since_ms) = self.last?;
        let stood = end_ms.saturating_sub(since_ms);
        let weighted_ms = self.weighted_ms + stood;
        let avg = if weighted_ms > 0 {
            (self.weighted_sum + u128::from(last) * u128::from(stood)) as f64 / weighted_ms as f64
        } else {
            self.sum as f64 / self.count as f64
        };
        Some(MinAvgMax {
            min: self.min,
            avg,
            max: self.max,
        })
    }
}

/// Every metric of every kept sample.
#[derive(Debug, Clone, Copy, Default)]
pub struct Stats {
    pub samples: u64,
    pub rss: Metric,
    pub vsz: Metric,
    pub pss_anon: Metric,
    pub pss: Metric,
}

impl Stats {
    pub fn add(&mut self, sample: &Sample, at_ms: u64) {
        self.samples += 1;
        self.rss.add(sample.rss, at_ms);
        self.vsz.add(sample.vsz, at_ms);
        self.pss_anon.add(sample.pss_anon, at_ms);
        self.pss.add(sample.pss, at_ms);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn evenly_spaced_readings_average_to_their_mean() {
        let mut m = Metric::default();
        for (i, v) in [30, 10, 20].into_iter().enumerate() {
            m.add(Some(v), i as u64 * 100);
        }
        let s = m.summary(300).unwrap();
        assert_eq!((s.min, s.avg, s.max), (10, 20.0, 30));
    }

    #[test]
    fn sparse_readings_count_for_the_time_they_stand() {
        // 10 at 0 ms and 10 at 100 ms, then one reading of 100 standing for 800 ms.
        let mut m = Metric::default();
        m.add(Some(10), 0);
        m.add(None, 50);
        m.add(Some(10), 100);
        m.add(Some(100), 200);
        let s = m.summary(1000).unwrap();
        assert_eq!(s.avg, (10.0 * 200.0 + 100.0 * 800.0) / 1000.0);
    }

    #[test]
    fn readings_without_time_between_them_use_the_plain_mean() {
        let mut m = Metric::default();
        m.add(Some(4), 0);
        m.add(Some(8), 0);
        assert_eq!(m.summary(0).unwrap().avg, 6.0);
    }

    #[test]
    fn a_metric_never_seen_is_absent_not_zero() {
        let mut stats = Stats::default();
        let sample = Sample {
            rss: Some(4096),
            ..Sample::default()
        };
        stats.add(&sample, 0);
        assert_eq!(stats.samples, 1);
        assert!(stats.rss.summary(100).is_some());
        assert_eq!(stats.pss_anon.summary(100), None);
    }
}
