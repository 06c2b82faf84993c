//! Pooling request latencies over runs: each run's histogram (`latency_histogram`,
//! `connect_histogram`: HdrHistogram's V2 format, base64, values in nanoseconds) decoded and added
//! up, the percentiles read from the sum. Never the mean of the runs' percentiles: the p99 of two
//! runs is the value 1 % of all their requests exceed, which no mean of two p99s gives (a run
//! with a slow tail and a run without one average to a p99 neither of them had).

use anyhow::anyhow;
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use hdrhistogram::serialization::Deserializer;
use hdrhistogram::Histogram;

use crate::results::load::Run;
use bench_records::LatencyPercentiles;

/// Which histogram of a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Per request: due → response complete (`latency_histogram`).
    Request,
    /// Churn, per connection: socket → established (`connect_histogram`).
    Connect,
}

impl Kind {
    fn column(self) -> &'static str {
        match self {
            Kind::Request => "latency_histogram",
            Kind::Connect => "connect_histogram",
        }
    }

    fn cell(self, run: &Run) -> Option<&str> {
        match self {
            Kind::Request => run.row.latency_histogram.as_deref(),
            Kind::Connect => run.row.connect_histogram.as_deref(),
        }
        .filter(|text| !text.trim().is_empty())
    }
}

/// The merged histogram of several runs.
#[derive(Debug, Clone, PartialEq)]
pub struct Pooled {
    histogram: Histogram<u64>,
}

impl Pooled {
    /// Merges the runs' histograms of one kind. `Ok(None)` when no run has one, or when a run
    /// that counted requests has none (a hand-edited row): percentiles without all of a setup's
    /// requests would misstate it, so they are not given. `display` names the file in messages.
    pub fn merge<'a>(
        runs: impl IntoIterator<Item = &'a Run>,
        kind: Kind,
        display: &str,
    ) -> anyhow::Result<Option<Pooled>> {
        // The sum starts as the first run's histogram, so it keeps the bounds and buckets the runs
        // were recorded with (one run's percentiles read back exactly as its record gives them),
        // and resizes for a run recorded with a wider range.
        let mut sum: Option<Histogram<u64>> = None;
        for run in runs {
            let Some(text) = kind.cell(run) else {
                if kind == Kind::Request && run.row.requests.is_some_and(|n| n > 0) {
                    return Ok(None);
                }
                continue;
            };
            let histogram = decode(text).map_err(|why| {
                anyhow!(
                    "{display}: run {}, column `{}`: {why}",
                    run.row.run_id,
                    kind.column()
                )
            })?;
            match &mut sum {
                None => {
                    let mut first = histogram;
                    first.auto(true);
                    sum = Some(first);
                }
                Some(sum) => sum
                    .add(&histogram)
                    .map_err(|err| anyhow!("{display}: run {}: {err:?}", run.row.run_id))?,
            }
        }
        Ok(sum
            .filter(|sum| !sum.is_empty())
            .map(|histogram| Pooled { histogram }))
    }

    /// The value at quantile `q` (0.99 for p99), in microseconds.
    pub fn quantile_us(&self, q: f64) -> f64 {
        self.histogram.value_at_quantile(q) as f64 / 1_000.0
    }

    /// The percentiles a record gives, in microseconds.
    pub fn percentiles(&self) -> LatencyPercentiles {
        LatencyPercentiles {
            p50: self.quantile_us(0.50),
            p75: self.quantile_us(0.75),
            p90: self.quantile_us(0.90),
            p99: self.quantile_us(0.99),
            p99_9: self.quantile_us(0.999),
            p99_99: self.quantile_us(0.9999),
            max: self.histogram.max() as f64 / 1_000.0,
            mean: self.histogram.mean() / 1_000.0,
        }
    }
}

/// One cell: base64 of HdrHistogram's V2 serialisation. `Err` says what was wrong.
pub fn decode(text: &str) -> Result<Histogram<u64>, String> {
    let bytes = BASE64
        .decode(text.trim())
        .map_err(|err| format!("not base64 ({err}): expected HdrHistogram V2 in base64"))?;
    Deserializer::new()
        .deserialize(&mut bytes.as_slice())
        .map_err(|err| format!("not an HdrHistogram V2 histogram ({err:?})"))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use hdrhistogram::serialization::{Serializer, V2Serializer};

    /// A histogram cell as the client writes it, of the given latencies in microseconds.
    pub(crate) fn cell(latencies_us: &[(u64, u64)]) -> String {
        let mut histogram = Histogram::<u64>::new_with_bounds(1_000, 3_600_000_000_000, 3).unwrap();
        for &(us, count) in latencies_us {
            histogram.record_n(us * 1_000, count).unwrap();
        }
        let mut bytes = Vec::new();
        V2Serializer::new()
            .serialize(&histogram, &mut bytes)
            .unwrap();
        BASE64.encode(bytes)
    }

    #[test]
    fn bad_cells_say_what_is_wrong() {
        assert!(decode("not base64!").unwrap_err().starts_with("not base64"));
        assert!(decode("AAAA")
            .unwrap_err()
            .starts_with("not an HdrHistogram"));
        assert!(cell(&[(100, 1)]).starts_with("HISTEw"));
        assert_eq!(decode(&cell(&[(100, 3)])).unwrap().len(), 3);
    }
}
