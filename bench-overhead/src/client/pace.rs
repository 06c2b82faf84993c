//! The open loop (`--rate R`): when each connection's requests are due, the timers that wake a
//! loop model for them, and the verdict on whether the schedule was kept.
//!
//! Connection `i` of `N` sends its `k`-th request at `start + (i + k·N) / R`: one request every
//! `N / R` per connection, the connections' phases spread `1 / R` apart, so the run as a whole
//! offers one request every `1 / R` (wrk2's per-connection throughput schedule, with the phases
//! of oha's `--latency-correction` spread instead of all at the start). A request is never sent
//! before its time; when it leaves late (the previous response came late, or the client's loop
//! was busy) its latency still counts from its intended time, so a stall is measured as the
//! waiting every request due during it saw (coordinated omission corrected). The latency from the
//! actual send is kept beside it: what a closed-loop tool would report.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::time::{Duration, Instant};

/// The run's schedule, shared by every connection (one per event loop, with its first job).
#[derive(Debug, Clone, Copy)]
pub struct OpenLoop {
    /// When the schedule begins: the run's start.
    pub start: Instant,
    /// Requests per second over all connections.
    pub rate: f64,
    /// Connections of the whole run, over every event loop.
    pub connections: u32,
    /// The run-wide index of this loop's job 0 (`--threads`: each loop has a share).
    pub first_job: u32,
}

impl OpenLoop {
    /// Job `job`'s (of this loop) send schedule.
    pub fn pace(&self, job: u32) -> Pace {
        Pace {
            start: self.start,
            rate: self.rate,
            slot: u64::from(self.first_job) + u64::from(job),
            connections: u64::from(self.connections),
        }
    }
}

/// One connection's send schedule.
#[derive(Debug, Clone, Copy)]
pub struct Pace {
    start: Instant,
    rate: f64,
    /// The connection's place among all connections: its phase.
    slot: u64,
    connections: u64,
}

impl Pace {
    /// The intended send time of this connection's `k`-th request (from 0), computed from the
    /// start each time, so rounding never accumulates over a run.
    pub fn due(&self, k: u64) -> Instant {
        let requests_before = self.slot as f64 + k as f64 * self.connections as f64;
        self.start + Duration::from_secs_f64(requests_before / self.rate)
    }
}

/// A connection's time between two requests at `rate` over `connections`.
pub fn interval(rate: f64, connections: u32) -> Duration {
    Duration::from_secs_f64(f64::from(connections) / rate)
}

/// The connections of a loop model whose next request waits for its time, by that time. A job may
/// be in it twice or after it finished: the model asks the exchange again on waking
/// (`Exchange::next_due`), which sorts that out.
#[derive(Debug, Default)]
pub struct Timers {
    heap: BinaryHeap<Reverse<(Instant, u32)>>,
}

impl Timers {
    pub fn push(&mut self, due: Instant, job: u32) {
        self.heap.push(Reverse((due, job)));
    }

    /// The earliest time a connection is due; the model waits no longer than this.
    pub fn next(&self) -> Option<Instant> {
        self.heap.peek().map(|Reverse((due, _))| *due)
    }

    /// A job due by `now`, taken off the timers.
    pub fn pop_due(&mut self, now: Instant) -> Option<u32> {
        let Reverse((due, job)) = *self.heap.peek()?;
        if due > now {
            return None;
        }
        self.heap.pop();
        Some(job)
    }
}

/// How far below the target the achieved rate may be and the schedule still counts as kept.
pub const KEPT_FRACTION: f64 = 0.98;

/// What an open-loop run measured, for [`missed`].
#[derive(Debug, Clone, Copy)]
pub struct Kept {
    pub target_rate: f64,
    pub achieved_rate: f64,
    pub connections: u32,
    /// Mean latency from the intended send time, and from the actual send (µs).
    pub corrected_mean_us: f64,
    pub uncorrected_mean_us: f64,
}

/// Why the schedule was not kept, as a plain sentence saying who fell behind, by how much and
/// what to do; `None` when it was: the achieved rate is at least [`KEPT_FRACTION`] of the target
/// and requests left, on average, less than one interval after their time. The mean lateness is
/// the corrected mean minus the uncorrected mean (both over the same requests).
pub fn missed(kept: &Kept) -> Option<String> {
    let interval_us = interval(kept.target_rate, kept.connections).as_secs_f64() * 1e6;
    let late_us = (kept.corrected_mean_us - kept.uncorrected_mean_us).max(0.0);
    let share = kept.achieved_rate / kept.target_rate;
    if share >= KEPT_FRACTION && late_us <= interval_us {
        return None;
    }
    let us = |value: f64| crate::units::format_nanos(value * 1e3);
    let what = format!(
        "schedule missed: {:.0} req/s achieved of {:.0} asked ({:.1} %), requests left {} late on average (a connection's interval is {})",
        kept.achieved_rate,
        kept.target_rate,
        share * 100.0,
        us(late_us),
        us(interval_us),
    );
    // A connection has one request in flight: it cannot keep an interval shorter than the
    // server's response time.
    if kept.uncorrected_mean_us >= interval_us * 0.9 {
        let needed = (kept.target_rate * kept.uncorrected_mean_us / 1e6).ceil();
        Some(format!(
            "{what}: the server fell behind, answering in {} on average; use more --connections (at least {needed:.0}) or a lower --rate",
            us(kept.uncorrected_mean_us)
        ))
    } else {
        Some(format!(
            "{what}: the client fell behind (its loop could not send on time); use more --threads, fewer other processes on its CPUs, or a lower --rate"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phases_are_spread_and_requests_never_drift() {
        let start = Instant::now();
        let open = OpenLoop {
            start,
            rate: 1000.0,
            connections: 4,
            first_job: 2,
        };
        // Job 1 of a loop whose first job is 2: run-wide connection 3 of 4, 3 ms in.
        let pace = open.pace(1);
        assert_eq!(pace.due(0) - start, Duration::from_millis(3));
        assert_eq!(pace.due(1) - start, Duration::from_millis(7));
        assert_eq!(
            pace.due(1_000_000) - start,
            Duration::from_millis(4_000_003)
        );
        assert_eq!(interval(1000.0, 4), Duration::from_millis(4));
    }

    #[test]
    fn timers_come_out_in_time_order_when_due() {
        let now = Instant::now();
        let mut timers = Timers::default();
        timers.push(now + Duration::from_millis(5), 1);
        timers.push(now, 7);
        timers.push(now + Duration::from_millis(1), 3);
        assert_eq!(timers.next(), Some(now));
        assert_eq!(timers.pop_due(now), Some(7));
        assert_eq!(timers.pop_due(now), None);
        assert_eq!(timers.pop_due(now + Duration::from_millis(9)), Some(3));
        assert_eq!(timers.pop_due(now + Duration::from_millis(9)), Some(1));
        assert_eq!(timers.next(), None);
    }

    #[test]
    fn a_missed_schedule_says_who_fell_behind() {
        let kept = Kept {
            target_rate: 1000.0,
            achieved_rate: 995.0,
            connections: 10,
            corrected_mean_us: 300.0,
            uncorrected_mean_us: 100.0,
        };
        assert_eq!(missed(&kept), None);
        // 10 ms per connection; the server takes 50 ms a response.
        let slow_server = Kept {
            achieved_rate: 200.0,
            corrected_mean_us: 2_000_000.0,
            uncorrected_mean_us: 50_000.0,
            ..kept
        };
        let said = missed(&slow_server).unwrap();
        assert!(said.starts_with("schedule missed: 200 req/s achieved of 1000 asked (20.0 %)"));
        assert!(
            said.contains("the server fell behind") && said.contains("at least 50"),
            "{said}"
        );
        // The rate was reached but every request left 20 ms late: the client's loop.
        let slow_client = Kept {
            corrected_mean_us: 20_100.0,
            ..kept
        };
        let said = missed(&slow_client).unwrap();
        assert!(said.contains("the client fell behind"), "{said}");
    }
}
