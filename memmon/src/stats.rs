//! Running min/avg/max of each metric, in constant memory (no sample is kept).

use serde::{Deserialize, Serialize};

use crate::sampler::Sample;

/// min/avg/max of one metric over the samples that had it, in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct MinAvgMax {
    pub min: u64,
    pub avg: f64,
    pub max: u64,
}

/// Accumulates one metric.
#[derive(Debug, Clone, Copy, Default)]
pub struct Metric {
    count: u64,
    min: u64,
    max: u64,
    sum: u128,
}

impl Metric {
    pub fn add(&mut self, value: Option<u64>) {
        let Some(value) = value else { return };
        if self.count == 0 {
            self.min = value;
            self.max = value;
        } else {
            self.min = self.min.min(value);
            self.max = self.max.max(value);
        }
        self.count += 1;
        self.sum += u128::from(value);
    }

    /// `None` when no sample had this metric: the OS does not offer it (or nothing was sampled).
    pub fn summary(&self) -> Option<MinAvgMax> {
        (self.count > 0).then(|| MinAvgMax {
            min: self.min,
            avg: self.sum as f64 / self.count as f64,
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
    pub fn add(&mut self, sample: &Sample) {
        self.samples += 1;
        self.rss.add(sample.rss);
        self.vsz.add(sample.vsz);
        self.pss_anon.add(sample.pss_anon);
        self.pss.add(sample.pss);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn min_avg_max_over_present_values_only() {
        let mut m = Metric::default();
        for v in [Some(30), None, Some(10), Some(20)] {
            m.add(v);
        }
        assert_eq!(
            m.summary(),
            Some(MinAvgMax {
                min: 10,
                avg: 20.0,
                max: 30
            })
        );
    }

    #[test]
    fn a_metric_never_seen_is_absent_not_zero() {
        let mut stats = Stats::default();
        stats.add(&Sample {
            rss: Some(4096),
            ..Sample::default()
        });
        assert_eq!(stats.samples, 1);
        assert!(stats.rss.summary().is_some());
        assert_eq!(stats.pss_anon.summary(), None);
    }
}
