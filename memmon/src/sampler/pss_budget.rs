//! When to read PSS (Linux): a token bucket of CPU time that spends its reads where they count.
//!
//! Reading `smaps_rollup` makes the kernel walk every page of the process (~1.3 ms per 64 MiB
//! resident, ~13 ms with 10,000 threads here), so PSS cannot be read at every sample of a large
//! process without memmon disturbing what it measures. Each sample earns `interval × share` of CPU
//! time, each read spends what it actually cost (memmon's thread CPU time, kernel time included).
//!
//! - A sample reads PSS when the balance is not negative: at every sample for a cheap (small)
//!   process, every few samples for a large one. Savings are capped at one sample's earnings, so
//!   a cheap phase never pays for a burst of expensive reads later.
//! - A sample at a **new high** of the process's anonymous resident memory (statm's resident −
//!   shared pages, read at every sample for free) may also borrow, down to twenty samples'
//!   earnings: anonymous PSS, the primary metric, can only have reached a new maximum if that
//!   did, so its peak is read when it happens instead of when the budget next allows.
//!
//! Every read is paid from the same balance, so over a run PSS costs at most `share` of one core
//! plus one bounded burst: the twenty samples' earnings a new high may borrow and the read that
//! crossed the limit.

use std::time::Duration;

/// Samples' earnings a new high may borrow.
const BORROWED_SAMPLES: i64 = 20;

#[derive(Debug, Clone, Copy)]
pub struct PssBudget {
    earned_per_sample_ns: i64,
    debt_limit_ns: i64,
    balance_ns: i64,
}

impl PssBudget {
    /// A budget of `percent` of one core for samples taken every `interval`.
    pub fn new(interval: Duration, percent: f64) -> PssBudget {
        let earned_per_sample_ns = (interval.as_nanos() as f64 * percent / 100.0) as i64;
        PssBudget {
            earned_per_sample_ns,
            debt_limit_ns: earned_per_sample_ns * BORROWED_SAMPLES,
            balance_ns: 0,
        }
    }

    /// Called once per sample: may PSS be read now? `new_high`: the sample's anonymous resident
    /// memory exceeds what it was at every earlier PSS reading (the first sample always does).
    pub fn allows_read(&mut self, new_high: bool) -> bool {
        self.balance_ns =
            (self.balance_ns + self.earned_per_sample_ns).min(self.earned_per_sample_ns);
        let floor = if new_high { -self.debt_limit_ns } else { 0 };
        self.balance_ns >= floor
    }

    /// Pays for a read that cost `cost_ns` of CPU time.
    pub fn spend(&mut self, cost_ns: i64) {
        self.balance_ns -= cost_ns;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const INTERVAL: Duration = Duration::from_millis(100);

    /// Reads over `samples` samples of a process whose reads cost `cost_ns`, with `new_high`
    /// saying which samples are new highs; returns which samples read.
    fn run(samples: usize, cost_ns: i64, new_high: impl Fn(usize) -> bool) -> Vec<usize> {
        let mut budget = PssBudget::new(INTERVAL, 1.0);
        (0..samples)
            .filter(|&i| {
                let read = budget.allows_read(new_high(i));
                if read {
                    budget.spend(cost_ns);
                }
                read
            })
            .collect()
    }

    #[test]
    fn cheap_reads_happen_at_every_sample() {
        // 1 % of 100 ms = 1 ms earned per sample; a 10 µs read is always affordable.
        assert_eq!(run(40, 10_000, |i| i == 0).len(), 40);
    }

    #[test]
    fn expensive_reads_of_a_steady_process_stay_within_the_share() {
        // 3.5 ms per read at 1 ms per sample: one read per 3.5 samples in the long run.
        let reads = run(400, 3_500_000, |i| i == 0).len();
        assert!((110..=118).contains(&reads), "{reads} reads");
    }

    #[test]
    fn new_highs_are_read_at_once() {
        // A process that holds still, then peaks for two samples at 25 and 26: both are read,
        // although the reads before them spent everything earned.
        let reads = run(40, 3_500_000, |i| i == 0 || i == 25 || i == 26);
        assert!(reads.contains(&25) && reads.contains(&26), "{reads:?}");
        assert!(!reads.contains(&27), "{reads:?}");
    }

    #[test]
    fn borrowing_for_new_highs_is_bounded() {
        // Every sample a new high (a process that keeps growing): after borrowing its
        // BORROWED_SAMPLES (20) samples' worth, reads fall back to what the share pays for.
        let reads = run(400, 3_500_000, |_| true).len();
        assert!((113..=121).contains(&reads), "{reads} reads");
    }
}
