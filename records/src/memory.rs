//! memmon's formats: the `memory.csv` sample row (`--csv`), the JSON summary (`--json`), which the
//! suite joins into its run's `runs.csv` row, and [`MinAvgMax`], the shape of every memory figure.
//! Columns and keys are documented in `results/README.md`.

use serde::{Deserialize, Serialize};

/// min/avg/max of one metric, in bytes: whole bytes where memmon read them (`T = u64`), a float
/// where they were averaged over runs or read back from a CSV cell (`T = f64`). The average is
/// always a float.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct MinAvgMax<T = f64> {
    pub min: T,
    pub avg: f64,
    pub max: T,
}

impl MinAvgMax<u64> {
    pub fn as_f64(self) -> MinAvgMax<f64> {
        MinAvgMax {
            min: self.min as f64,
            avg: self.avg,
            max: self.max as f64,
        }
    }
}

/// One `memory.csv` row: one sample of the command's memory, `elapsed_ms` after its spawn.
/// A metric the OS or sampler does not offer is an empty cell.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemorySample {
    /// memmon's `--run-id`: joins the rows with `runs.csv` and `jobs.csv`.
    pub run_id: String,
    pub elapsed_ms: u64,
    pub rss_bytes: Option<u64>,
    pub vsz_bytes: Option<u64>,
    pub pss_anon_bytes: Option<u64>,
    pub pss_bytes: Option<u64>,
}

impl MemorySample {
    /// The header of `memory.csv`, in column order.
    pub const COLUMNS: [&'static str; 6] = [
        "run_id",
        "elapsed_ms",
        "rss_bytes",
        "vsz_bytes",
        "pss_anon_bytes",
        "pss_bytes",
    ];
}

/// What memmon reports for one run of the command (`--json`); metrics the OS lacks are `null`.
/// Keys missing from a file read as their defaults (`null`, 0), so a summary from another memmon
/// version still joins.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct MemmonSummary {
    /// Samples kept (samples racing with the child's exit are dropped).
    pub samples: u64,
    /// Samples with `pss_anon`/`pss` (Linux reads PSS under a CPU budget, see `--pss-budget`).
    pub pss_samples: u64,
    pub interval_ms: u64,
    /// Spawn to reap.
    pub elapsed_ms: u64,
    /// The metric of the `Memory usage` line: `pss_anon` where present, else `rss`.
    pub primary: Option<String>,
    pub rss_bytes: Option<MinAvgMax<u64>>,
    pub vsz_bytes: Option<MinAvgMax<u64>>,
    pub pss_anon_bytes: Option<MinAvgMax<u64>>,
    pub pss_bytes: Option<MinAvgMax<u64>>,
    /// Peak resident set size of the command's own process, never its descendants': the
    /// kernel's figure, raised to the largest RSS sample when that is higher. Linux keeps RSS in
    /// per-CPU counters: `/proc` sums them exactly, but the high-water mark is taken from a
    /// cheaper approximate read and can lag by a few dozen pages per CPU. `null` where the OS
    /// reports no peak (Haiku).
    pub peak_rss_bytes: Option<u64>,
    /// The kernel's own figure for the command's process, unadjusted: `wait4`'s `ru_maxrss` when
    /// it reaped no process of its own, else (Linux) the largest `VmHWM` sampled.
    pub kernel_peak_rss_bytes: Option<u64>,
    /// The child's CPU seconds in user mode and in the kernel (with its reaped descendants).
    pub cpu_user_s: f64,
    pub cpu_sys_s: f64,
    /// memmon's own CPU seconds (user + system) and peak RSS: what watching cost.
    pub memmon_cpu_s: f64,
    pub memmon_peak_rss_bytes: Option<u64>,
    /// The child's exit status; `null` when a signal killed it.
    pub exit_code: Option<i32>,
    /// The signal that killed the child; `null` when it exited.
    pub signal: Option<i32>,
    /// Samples the interval called for: one at spawn and one every interval until the reaping;
    /// `None` in summaries of memmon versions before it was added.
    pub scheduled_samples: Option<u64>,
    /// `samples` fell short of 90 % of `scheduled_samples` by two or more: memmon was held up
    /// and warned about it; `None` in older summaries.
    pub behind_schedule: Option<bool>,
    /// The second process watched (`--also PID`, the benchmark's server); `null` when none.
    pub also: Option<crate::cost::AlsoSummary>,
    /// The kernel's TCP sockets (`--sockets`); `null` when not asked for or not available.
    pub sockets: Option<crate::cost::SocketSummary>,
}

impl MemmonSummary {
    /// The figures of the metric `name` (`rss`, `vsz`, `pss_anon`, `pss`).
    pub fn metric(&self, name: &str) -> Option<MinAvgMax<u64>> {
        match name {
            "rss" => self.rss_bytes,
            "vsz" => self.vsz_bytes,
            "pss_anon" => self.pss_anon_bytes,
            "pss" => self.pss_bytes,
            _ => None,
        }
    }
}

/// The share of the scheduled samples below which a run is behind schedule.
pub const MIN_SCHEDULED_SHARE: f64 = 0.9;

/// Whether `taken` of `scheduled` memory samples is behind schedule: memmon was held up (stopped,
/// or the machine too loaded to run it on time), so the figures rest on fewer samples than the
/// interval says. One sample short never is: the last one may have raced with the command's exit
/// and been dropped. memmon warns by this rule, and summarize repeats it for the runs it reads.
pub fn behind_schedule(taken: u64, scheduled: u64) -> bool {
    scheduled.saturating_sub(taken) >= 2 && (taken as f64) < MIN_SCHEDULED_SHARE * scheduled as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sample_rows_round_trip_with_empty_cells_for_absent_metrics() {
        let sample = MemorySample {
            run_id: "poll-1".into(),
            elapsed_ms: 100,
            rss_bytes: Some(4096),
            vsz_bytes: Some(8192),
            pss_anon_bytes: None,
            pss_bytes: None,
        };
        let mut writer = csv::Writer::from_writer(Vec::new());
        writer.serialize(&sample).unwrap();
        let text = String::from_utf8(writer.into_inner().unwrap()).unwrap();
        assert_eq!(
            text,
            format!(
                "{}\npoll-1,100,4096,8192,,\n",
                MemorySample::COLUMNS.join(",")
            )
        );
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        let back: MemorySample = reader.deserialize().next().unwrap().unwrap();
        assert_eq!(back, sample);
    }

    #[test]
    fn the_summary_round_trips_and_reads_an_older_one() {
        let summary = MemmonSummary {
            samples: 12,
            rss_bytes: Some(MinAvgMax {
                min: 1000,
                avg: 2000.5,
                max: 3000,
            }),
            peak_rss_bytes: Some(3100),
            exit_code: Some(0),
            ..MemmonSummary::default()
        };
        let json = serde_json::to_string(&summary).unwrap();
        assert!(json.starts_with(r#"{"samples":12,"pss_samples":0,"interval_ms":0,"#));
        assert!(json.contains(r#""rss_bytes":{"min":1000,"avg":2000.5,"max":3000}"#));
        assert!(json.contains(r#""pss_bytes":null"#));
        assert_eq!(
            serde_json::from_str::<MemmonSummary>(&json).unwrap(),
            summary
        );
        // Keys this version does not write are ignored, missing ones take their defaults.
        let older: MemmonSummary = serde_json::from_str(
            r#"{"samples": 3, "pss_anon_bytes": {"min": 1, "avg": 2, "max": 3}, "shiny": 1}"#,
        )
        .unwrap();
        assert_eq!(older.samples, 3);
        assert_eq!(older.metric("pss_anon").unwrap().max, 3);
        assert_eq!(older.peak_rss_bytes, None);
    }
}
