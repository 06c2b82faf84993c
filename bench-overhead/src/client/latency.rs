//! Request latency as a distribution: an HdrHistogram from 1 µs to 1 h at 3 significant digits,
//! recorded in nanoseconds. Each connection of a request-rate run keeps its own; the run merges
//! them and reads its percentiles from the merged one, never from averaged percentiles. The run's
//! histogram goes into its record too ([`Latency::encoded`]: HdrHistogram's V2 format, base64),
//! so runs can be pooled later by merging decoded histograms.
//!
//! An open-loop run (`--rate`) records each request twice: from its intended send time into the
//! main histogram (coordinated omission corrected), and from its actual send into a second one,
//! read the same way ([`Latency::uncorrected_percentiles`], [`Latency::uncorrected_encoded`]).

use std::time::Duration;

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use hdrhistogram::serialization::{Serializer, V2Serializer};
use hdrhistogram::Histogram;

use bench_records::LatencyPercentiles;

/// 1 µs: the lowest value told apart from its neighbours.
const LOWEST_NS: u64 = 1_000;
/// 1 h: longer latencies are recorded as 1 h.
const HIGHEST_NS: u64 = 3_600 * 1_000_000_000;
const SIGNIFICANT_DIGITS: u8 = 3;

/// Counted latencies and the warm-up requests beside them (for churn's connect latencies: the
/// warm-up connections).
#[derive(Debug, Clone)]
pub struct Latency {
    histogram: Histogram<u64>,
    /// Open loop: the same requests' latencies from their actual send; `None` in a closed loop.
    uncorrected: Option<Histogram<u64>>,
    /// Requests answered (connections made) during the warm-up: made, not recorded.
    pub warmup: u64,
    /// Keep-alive: connections the server ended that the exchange opened again.
    pub reopened: u64,
}

fn empty() -> Histogram<u64> {
    Histogram::new_with_bounds(LOWEST_NS, HIGHEST_NS, SIGNIFICANT_DIGITS)
        .expect("constant bounds are valid")
}

fn record_into(histogram: &mut Histogram<u64>, latency: Duration) {
    let ns = u64::try_from(latency.as_nanos()).unwrap_or(u64::MAX);
    histogram.saturating_record(ns.min(HIGHEST_NS));
}

impl Default for Latency {
    fn default() -> Latency {
        Latency {
            histogram: empty(),
            uncorrected: None,
            warmup: 0,
            reopened: 0,
        }
    }
}

impl Latency {
    pub fn record(&mut self, latency: Duration) {
        record_into(&mut self.histogram, latency);
    }

    /// One open-loop request: from its intended send time, and from its actual send.
    pub fn record_open(&mut self, corrected: Duration, uncorrected: Duration) {
        record_into(&mut self.histogram, corrected);
        record_into(self.uncorrected.get_or_insert_with(empty), uncorrected);
    }

    /// Requests recorded.
    pub fn count(&self) -> u64 {
        self.histogram.len()
    }

    pub fn merge(&mut self, other: &Latency) {
        // Same bounds on both sides: adding cannot fail.
        let _ = self.histogram.add(&other.histogram);
        if let Some(theirs) = &other.uncorrected {
            let _ = self.uncorrected.get_or_insert_with(empty).add(theirs);
        }
        self.warmup += other.warmup;
        self.reopened += other.reopened;
    }

    /// Merges `other`, when there is one, into `into` (a run's histogram, absent until a job
    /// brings one).
    pub fn merge_into(into: &mut Option<Latency>, other: Option<&Latency>) {
        if let Some(other) = other {
            into.get_or_insert_with(Latency::default).merge(other);
        }
    }

    /// The recorded histogram in HdrHistogram's V2 format (uncompressed, the format every
    /// HdrHistogram port reads), base64; `None` when nothing was recorded.
    pub fn encoded(&self) -> Option<String> {
        encode(&self.histogram)
    }

    /// The percentiles in microseconds; `None` when nothing was recorded.
    pub fn percentiles(&self) -> Option<LatencyPercentiles> {
        percentiles(&self.histogram)
    }

    /// Open loop: the histogram from the actual sends, encoded as [`Latency::encoded`] does.
    pub fn uncorrected_encoded(&self) -> Option<String> {
        encode(self.uncorrected.as_ref()?)
    }

    /// Open loop: the percentiles from the actual sends.
    pub fn uncorrected_percentiles(&self) -> Option<LatencyPercentiles> {
        percentiles(self.uncorrected.as_ref()?)
    }
}

fn encode(histogram: &Histogram<u64>) -> Option<String> {
    if histogram.is_empty() {
        return None;
    }
    let mut bytes = Vec::new();
    // Writing into a Vec cannot fail, and a histogram with these bounds always encodes.
    V2Serializer::new().serialize(histogram, &mut bytes).ok()?;
    Some(BASE64.encode(bytes))
}

fn percentiles(histogram: &Histogram<u64>) -> Option<LatencyPercentiles> {
    if histogram.is_empty() {
        return None;
    }
    let us = |ns: u64| ns as f64 / 1_000.0;
    let at = |q: f64| us(histogram.value_at_quantile(q));
    Some(LatencyPercentiles {
        p50: at(0.50),
        p75: at(0.75),
        p90: at(0.90),
        p99: at(0.99),
        p99_9: at(0.999),
        p99_99: at(0.9999),
        max: us(histogram.max()),
        mean: histogram.mean() / 1_000.0,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use hdrhistogram::serialization::Deserializer;

    /// What a reader of the record does with `latency_histogram`.
    impl Latency {
        /// A histogram [`Latency::encoded`] wrote (warm-up count 0: the record holds it apart);
        /// `Err` says what was wrong with the text.
        fn decode(text: &str) -> Result<Latency, String> {
            let bytes = BASE64
                .decode(text.trim())
                .map_err(|err| format!("latency histogram is not base64: {err}"))?;
            let read: Histogram<u64> = Deserializer::new()
                .deserialize(&mut bytes.as_slice())
                .map_err(|err| format!("latency histogram is not HdrHistogram V2: {err:?}"))?;
            let mut latency = Latency::default();
            latency.histogram.add(&read).map_err(|err| {
                format!("latency histogram out of the 1 µs to 1 h range: {err:?}")
            })?;
            Ok(latency)
        }
    }

    #[test]
    fn merged_percentiles_come_from_all_values() {
        let mut fast = Latency::default();
        let mut slow = Latency::default();
        for _ in 0..99 {
            fast.record(Duration::from_micros(100));
        }
        slow.record(Duration::from_millis(50));
        slow.warmup = 3;
        fast.merge(&slow);
        assert_eq!(fast.count(), 100);
        assert_eq!(fast.warmup, 3);
        let p = fast.percentiles().unwrap();
        // 3 significant digits: each value within 0.5 % of what was recorded.
        let near = |got: f64, want: f64| (got - want).abs() <= want * 0.005;
        assert!(near(p.p50, 100.0) && near(p.p99, 100.0), "{p:?}");
        assert!(near(p.p99_9, 50_000.0) && near(p.max, 50_000.0), "{p:?}");
        assert!(near(p.mean, (99.0 * 100.0 + 50_000.0) / 100.0), "{p:?}");
        assert!(Latency::default().percentiles().is_none());
    }

    #[test]
    fn decoded_histograms_merge_to_the_same_percentiles() {
        let mut a = Latency::default();
        let mut b = Latency::default();
        for us in 1..=5_000u64 {
            a.record(Duration::from_micros(us * 7 % 4_001 + 1));
            b.record(Duration::from_micros(us * us % 900_001 + 1));
        }
        let mut merged = a.clone();
        merged.merge(&b);
        let mut decoded = Latency::decode(&a.encoded().unwrap()).unwrap();
        decoded.merge(&Latency::decode(&b.encoded().unwrap()).unwrap());
        assert_eq!(decoded.count(), 10_000);
        assert_eq!(decoded.percentiles(), merged.percentiles());
        assert_eq!(decoded.histogram, merged.histogram);
        assert!(Latency::default().encoded().is_none());
        assert!(Latency::decode("not base64!")
            .unwrap_err()
            .contains("not base64"));
        assert!(Latency::decode("AAAA")
            .unwrap_err()
            .contains("not HdrHistogram"));
    }

    #[test]
    fn open_loop_requests_fill_both_histograms_and_merge() {
        let mut a = Latency::default();
        assert!(a.uncorrected_percentiles().is_none());
        a.record_open(Duration::from_millis(3), Duration::from_micros(200));
        let mut b = Latency::default();
        b.record_open(Duration::from_millis(1), Duration::from_micros(100));
        a.merge(&b);
        let near = |got: f64, want: f64| (got - want).abs() <= want * 0.005;
        let corrected = a.percentiles().unwrap();
        let uncorrected = a.uncorrected_percentiles().unwrap();
        assert!(near(corrected.max, 3_000.0) && near(corrected.mean, 2_000.0));
        assert!(near(uncorrected.max, 200.0) && near(uncorrected.mean, 150.0));
        let decoded = Latency::decode(&a.uncorrected_encoded().unwrap()).unwrap();
        assert_eq!(decoded.count(), 2);
        // A closed loop has none.
        let mut closed = Latency::default();
        closed.record(Duration::from_millis(1));
        assert!(closed.uncorrected_encoded().is_none());
    }

    #[test]
    fn an_hour_and_more_saturates_at_an_hour() {
        let mut latency = Latency::default();
        latency.record(Duration::from_secs(10_000));
        let max = latency.percentiles().unwrap().max;
        assert!((max / 1e6 - 3600.0).abs() <= 3600.0 * 0.005, "{max}");
    }
}
