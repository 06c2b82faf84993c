//! The summary: one JSON object (`--json`, the data contract: `bench_records::MemmonSummary`) or
//! text in the old suite's spirit.

use std::fmt::Write as _;

use bench_records::MemmonSummary as Summary;

use crate::child::{signal_name, Ending, Reaped};
use crate::schedule;
use crate::stats::Stats;

const MIB: f64 = 1024.0 * 1024.0;

/// The summary in memmon's two output forms.
pub trait Report {
    fn to_json(&self) -> String;
    fn to_text(&self, command: &str) -> String;
    /// The warning line when the run is behind schedule.
    fn schedule_warning(&self) -> Option<String>;
}

/// `high_water_mark`: the sampler's (see [`Reaped::own_peak_rss`]); `own` is memmon's own (CPU
/// seconds, peak RSS), see [`crate::child::own_usage`].
pub fn new(
    stats: &Stats,
    interval_ms: u64,
    elapsed_ms: u64,
    reaped: &Reaped,
    high_water_mark: Option<u64>,
    own: (f64, Option<u64>),
) -> Summary {
    let figures = stats.summary(elapsed_ms);
    let (pss_anon, rss) = (figures.pss_anon, figures.rss);
    let scheduled = schedule::scheduled_samples(elapsed_ms, interval_ms);
    let kernel_peak = reaped.own_peak_rss(high_water_mark);
    let primary = if pss_anon.is_some() {
        Some("pss_anon")
    } else if rss.is_some() {
        Some("rss")
    } else {
        None
    };
    let (exit_code, signal) = match reaped.ending {
        Ending::Exited(code) => (Some(code), None),
        Ending::Killed(signal) => (None, Some(signal)),
    };
    Summary {
        samples: stats.samples,
        pss_samples: stats.pss_samples,
        scheduled_samples: Some(scheduled),
        behind_schedule: Some(schedule::behind_schedule(stats.samples, scheduled)),
        interval_ms,
        elapsed_ms,
        primary: primary.map(str::to_owned),
        rss_bytes: rss,
        vsz_bytes: figures.vsz,
        pss_anon_bytes: pss_anon,
        pss_bytes: figures.pss,
        peak_rss_bytes: kernel_peak.map(|kernel| kernel.max(rss.map_or(0, |r| r.max))),
        kernel_peak_rss_bytes: kernel_peak,
        cpu_user_s: reaped.cpu_user_s,
        cpu_sys_s: reaped.cpu_sys_s,
        memmon_cpu_s: own.0,
        memmon_peak_rss_bytes: own.1,
        exit_code,
        signal,
        // Filled in by `Beside::finish`.
        also: None,
        sockets: None,
    }
}

impl Report for Summary {
    fn schedule_warning(&self) -> Option<String> {
        let scheduled = self.scheduled_samples?;
        (self.behind_schedule == Some(true))
            .then(|| schedule::warning(self.samples, scheduled, self.interval_ms))
    }

    fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a summary always serialises") + "\n"
    }

    /// Text: how the command ended, the old suite's `Memory usage` line plus the peak, then one
    /// line per metric.
    fn to_text(&self, command: &str) -> String {
        let mut out = String::new();
        if let Some(warning) = self.schedule_warning() {
            let _ = writeln!(out, "{warning}");
        }
        let ending = match (self.exit_code, self.signal) {
            (_, Some(signal)) => format!("killed by {} (signal {signal})", signal_name(signal)),
            (Some(code), None) => format!("exited with status {code}"),
            (None, None) => "ended".to_string(),
        };
        let _ = writeln!(
            out,
            "memmon: `{command}` {ending}; {} samples every {} ms over {:.3} s",
            self.samples,
            self.interval_ms,
            self.elapsed_ms as f64 / 1e3
        );
        let peak = match (self.peak_rss_bytes, self.kernel_peak_rss_bytes) {
            (Some(peak), Some(kernel)) if kernel < peak => format!(
                "peak RSS {:.3} MiB (the kernel's lagging counter said {:.3} MiB)",
                peak as f64 / MIB,
                kernel as f64 / MIB
            ),
            (Some(peak), _) => format!("peak RSS {:.3} MiB", peak as f64 / MIB),
            (None, _) => "peak RSS not reported by this OS".to_string(),
        };
        match (
            self.primary.as_deref(),
            self.primary.as_deref().and_then(|name| self.metric(name)),
        ) {
            (Some(name), Some(m)) => {
                let name = if name.starts_with("pss") && self.pss_samples < self.samples {
                    format!(
                        "{name}, read in {} of {} samples, the rest estimated from rss",
                        self.pss_samples, self.samples
                    )
                } else {
                    name.to_string()
                };
                let _ = writeln!(
                    out,
                    "Memory usage: min {:.3} MiB, avg {:.3} MiB, max {:.3} MiB ({name}); {peak}",
                    m.min as f64 / MIB,
                    m.avg / MIB,
                    m.max as f64 / MIB
                );
            }
            _ => {
                let _ = writeln!(
                    out,
                    "Memory usage: no samples (the command ended before one could be read); {peak}"
                );
            }
        }
        let own_rss = match self.memmon_peak_rss_bytes {
            Some(bytes) => format!(", peak RSS {:.3} MiB", bytes as f64 / MIB),
            None => String::new(),
        };
        let _ = writeln!(
            out,
            "CPU: command {:.3} s user + {:.3} s system; memmon itself {:.3} s{own_rss}",
            self.cpu_user_s, self.cpu_sys_s, self.memmon_cpu_s
        );
        crate::beside::write_text(self, &mut out);
        for name in ["rss", "vsz", "pss_anon", "pss"] {
            let _ = match self.metric(name) {
                Some(m) => writeln!(
                    out,
                    "  {name:<8}  min {:>10.3} MiB  avg {:>10.3} MiB  max {:>10.3} MiB",
                    m.min as f64 / MIB,
                    m.avg / MIB,
                    m.max as f64 / MIB
                ),
                None if self.samples == 0 => writeln!(out, "  {name:<8}  no samples"),
                None => writeln!(
                    out,
                    "  {name:<8}  not available (this OS or sampler does not offer it)"
                ),
            };
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sampler::Sample;

    fn summary(samples: &[Sample], ending: Ending) -> Summary {
        let mut stats = Stats::default();
        samples.iter().for_each(|s| stats.add(s, 0));
        let reaped = Reaped {
            ending,
            peak_rss: Some(8 * 1024 * 1024),
            reaped_descendants: Some(false),
            cpu_user_s: 1.0,
            cpu_sys_s: 0.5,
        };
        new(&stats, 100, 1234, &reaped, None, (0.01, Some(2 << 20)))
    }

    #[test]
    fn anonymous_pss_is_the_primary_metric_where_present() {
        let s = summary(
            &[Sample {
                rss: Some(4 << 20),
                vsz: Some(16 << 20),
                pss_anon: Some(1 << 20),
                pss: Some(2 << 20),
            }],
            Ending::Exited(0),
        );
        assert_eq!(s.primary.as_deref(), Some("pss_anon"));
        let text = s.to_text("true");
        assert!(
            text.contains(
                "Memory usage: min 1.000 MiB, avg 1.000 MiB, max 1.000 MiB (pss_anon); peak RSS 8.000 MiB"
            ),
            "{text}"
        );
    }

    #[test]
    fn a_lagging_kernel_peak_is_raised_to_the_largest_sample() {
        let s = summary(
            &[Sample {
                rss: Some(9 << 20),
                ..Sample::default()
            }],
            Ending::Exited(0),
        );
        assert_eq!(s.peak_rss_bytes, Some(9 << 20));
        assert_eq!(s.kernel_peak_rss_bytes, Some(8 << 20));
        assert!(s
            .to_text("x")
            .contains("the kernel's lagging counter said 8.000 MiB"));
    }

    #[test]
    fn without_pss_rss_is_primary_and_pss_is_null() {
        let s = summary(
            &[Sample {
                rss: Some(4 << 20),
                vsz: Some(16 << 20),
                ..Sample::default()
            }],
            Ending::Killed(9),
        );
        assert_eq!(s.primary.as_deref(), Some("rss"));
        let json: serde_json::Value = serde_json::from_str(&s.to_json()).unwrap();
        assert!(json["pss_anon_bytes"].is_null());
        assert_eq!(json["signal"], 9);
        assert!(json["exit_code"].is_null());
        let text = s.to_text("x");
        assert!(text.contains("killed by SIGKILL (signal 9)"));
        assert!(text.contains("pss_anon  not available"));
    }
}
