//! Per-phase distributions: one `hdrhistogram` per phase over a run's successful jobs.
//!
//! The mean and the maximum are exact (kept beside the histogram); the percentiles come from the
//! histogram at 3 significant digits, i.e. within 0.1 % of the true value at any scale.

use hdrhistogram::Histogram;

use bench_records::{JobRecord, PhaseStats, Phases};

/// Collects one phase's values.
struct Phase {
    histogram: Histogram<u64>,
    sum: u128,
    max: u64,
}

impl Phase {
    fn new() -> Phase {
        Phase {
            // Auto-resizing, 3 significant digits: nanoseconds up to hours without setup.
            histogram: Histogram::new(3).expect("3 significant digits is a valid precision"),
            sum: 0,
            max: 0,
        }
    }

    fn record(&mut self, nanos: Option<u64>) {
        let Some(nanos) = nanos else { return };
        // An auto-resizing histogram takes any u64, so this cannot fail.
        let _ = self.histogram.record(nanos);
        self.sum += u128::from(nanos);
        self.max = self.max.max(nanos);
    }

    fn stats(&self) -> PhaseStats {
        let count = self.histogram.len();
        if count == 0 {
            return PhaseStats::default();
        }
        let at = |q: f64| self.histogram.value_at_quantile(q).min(self.max);
        PhaseStats {
            count,
            mean_ns: self.sum as f64 / count as f64,
            p50_ns: at(0.50),
            p90_ns: at(0.90),
            p99_ns: at(0.99),
            p999_ns: at(0.999),
            max_ns: self.max,
        }
    }
}

/// Every phase of the successful jobs among `jobs`: failed jobs would mix a timeout or an instant
/// refusal into the figures of real downloads, so they are counted apart (`failures`).
pub fn phases<'a>(jobs: impl IntoIterator<Item = &'a JobRecord>) -> Phases {
    let [mut socket, mut setup, mut connect, mut ttfb, mut transfer, mut receive] =
        std::array::from_fn(|_| Phase::new());
    for job in jobs.into_iter().filter(|job| job.ok()) {
        socket.record(job.socket_ns);
        setup.record(job.setup_ns);
        connect.record(job.connect_ns);
        ttfb.record(job.ttfb_ns);
        transfer.record(job.transfer_ns);
        receive.record(job.receive_ns());
    }
    Phases {
        socket: socket.stats(),
        setup: setup.stats(),
        connect: connect.stats(),
        ttfb: ttfb.stats(),
        transfer: transfer.stats(),
        receive: receive.stats(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(ttfb: u64, error: &str) -> JobRecord {
        JobRecord {
            socket_ns: Some(1),
            setup_ns: Some(2),
            connect_ns: Some(3),
            ttfb_ns: Some(ttfb),
            transfer_ns: Some(1000),
            error: (!error.is_empty()).then(|| error.to_string().into()),
            ..JobRecord::default()
        }
    }

    #[test]
    fn exact_mean_and_max_over_successful_jobs_only() {
        let jobs: Vec<JobRecord> = (1..=100)
            .map(|i| job(i * 1000, ""))
            .chain([job(1_000_000_000, "HTTP 404")])
            .collect();
        let phases = phases(&jobs);
        assert_eq!(phases.ttfb.count, 100);
        assert_eq!(phases.ttfb.mean_ns, 50_500.0);
        assert_eq!(phases.ttfb.max_ns, 100_000);
        assert!((phases.ttfb.p50_ns as f64 - 50_000.0).abs() <= 50.0);
        assert!((phases.ttfb.p99_ns as f64 - 99_000.0).abs() <= 99.0);
        assert_eq!(phases.receive.max_ns, 101_000);
        assert_eq!(phases.socket.p999_ns, 1);
    }

    #[test]
    fn empty_run_has_zero_stats() {
        assert_eq!(phases(&[]), Phases::default());
    }
}
