//! What a run's connections do, the `--workload` axis beside the I/O model: each workload is one
//! exchange (`exchange/`), so every model runs every workload.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

/// One workload.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Workload {
    /// One GET per connection, body counted: the old suite's measurement.
    #[default]
    Download,
    /// HTTP/1.1 requests back to back on each connection (closed loop).
    KeepAlive,
    /// One request per connection (`Connection: close`), then a new connection: netperf's
    /// TCP_CRR, connect timed apart from the request.
    Churn,
    /// One PUT per connection with a body of `--upload-size`, the server's byte count checked.
    Upload,
}

impl Workload {
    pub const ALL: [Workload; 4] = [
        Workload::Download,
        Workload::KeepAlive,
        Workload::Churn,
        Workload::Upload,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Workload::Download => "download",
            Workload::KeepAlive => "keepalive",
            Workload::Churn => "churn",
            Workload::Upload => "upload",
        }
    }

    /// The path asked for when `--path` is not given: the payload, the 13-byte `/hello`
    /// (keepalive, churn), or `/upload` (the built-in server counts a PUT to any path).
    pub fn default_path(self) -> &'static str {
        match self {
            Workload::Download => "/testpayload",
            Workload::KeepAlive | Workload::Churn => "/hello",
            Workload::Upload => "/upload",
        }
    }

    /// Whether connections make many requests, so the run reports requests per second and their
    /// latency distribution.
    pub fn request_rate(self) -> bool {
        matches!(self, Workload::KeepAlive | Workload::Churn)
    }
}

impl fmt::Display for Workload {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Workload {
    type Err = String;

    fn from_str(text: &str) -> Result<Workload, String> {
        Workload::ALL
            .into_iter()
            .find(|w| w.name() == text)
            .ok_or_else(|| {
                format!("unknown workload `{text}`: use download, keepalive, churn or upload")
            })
    }
}

/// How long a request-rate run (keepalive, churn) asks when neither `--duration` nor `--requests` is given.
pub const DEFAULT_DURATION: Duration = Duration::from_secs(10);

/// The request-rate settings of a run, checked: `Err` is the one line to print.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Schedule {
    /// Counted requests per connection, when asked.
    pub requests: Option<u64>,
    /// How long connections ask, warm-up included; `None` with `--requests` alone.
    pub duration: Option<Duration>,
    pub warmup: Duration,
}

impl Schedule {
    /// Checks the flags against the workload and the run timeout.
    pub fn check(
        workload: Workload,
        requests: Option<u64>,
        duration: Option<Duration>,
        warmup: Option<Duration>,
        run_timeout: Duration,
    ) -> Result<Schedule, String> {
        if !workload.request_rate() {
            let given = [
                ("--requests", requests.is_some()),
                ("--duration", duration.is_some()),
                ("--warmup", warmup.is_some()),
            ];
            if let Some((flag, _)) = given.iter().find(|(_, given)| *given) {
                return Err(format!(
                    "{flag} applies to --workload keepalive or churn, not {workload}: drop it or pick one of those"
                ));
            }
            return Ok(Schedule {
                requests: None,
                duration: None,
                warmup: Duration::ZERO,
            });
        }
        let warmup = warmup.unwrap_or(Duration::ZERO);
        let duration = match (requests, duration) {
            (None, None) => Some(DEFAULT_DURATION),
            (_, duration) => duration,
        };
        if let Some(duration) = duration {
            if duration <= warmup {
                return Err(format!(
                    "--duration {duration:?} is not longer than --warmup {warmup:?}: the duration includes the warm-up, so give a longer --duration or a shorter --warmup"
                ));
            }
            if duration >= run_timeout {
                return Err(format!(
                    "--duration {duration:?} is not shorter than --run-timeout {run_timeout:?}: raise --run-timeout"
                ));
            }
        }
        Ok(Schedule {
            requests,
            duration,
            warmup,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RUN: Duration = Duration::from_secs(600);

    #[test]
    fn names_round_trip() {
        for workload in Workload::ALL {
            assert_eq!(workload.name().parse::<Workload>(), Ok(workload));
        }
        assert!("churny"
            .parse::<Workload>()
            .unwrap_err()
            .contains("unknown workload"));
    }

    #[test]
    fn flags_are_checked_against_the_workload() {
        let s = |w, r, d: Option<u64>, wu: Option<u64>| {
            Schedule::check(
                w,
                r,
                d.map(Duration::from_secs),
                wu.map(Duration::from_secs),
                RUN,
            )
        };
        assert_eq!(
            s(Workload::KeepAlive, None, None, None).unwrap().duration,
            Some(DEFAULT_DURATION)
        );
        assert_eq!(
            s(Workload::KeepAlive, Some(5), None, None)
                .unwrap()
                .duration,
            None
        );
        assert!(s(Workload::KeepAlive, None, Some(2), Some(2))
            .unwrap_err()
            .contains("not longer than --warmup"));
        assert!(s(Workload::KeepAlive, None, Some(900), None)
            .unwrap_err()
            .contains("raise --run-timeout"));
        assert!(s(Workload::Download, Some(3), None, None)
            .unwrap_err()
            .starts_with("--requests applies to --workload keepalive or churn"));
        assert!(s(Workload::Upload, None, None, None).is_ok());
        assert!(s(Workload::Churn, None, Some(1), Some(1))
            .unwrap_err()
            .contains("not longer than --warmup"));
        assert_eq!(
            s(Workload::Churn, Some(3), None, None).unwrap().requests,
            Some(3)
        );
    }
}
