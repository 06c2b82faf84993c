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

/// The shortest time between two requests of one connection an open loop accepts: the latency
/// histogram's resolution. A rate asking for less is a typing error, not a load any client makes.
pub const MIN_INTERVAL: Duration = Duration::from_micros(1);

/// The request-rate flags of a run as given, before [`Schedule::check`].
#[derive(Debug, Clone, Copy, Default)]
pub struct Asked {
    pub requests: Option<u64>,
    pub duration: Option<Duration>,
    pub warmup: Option<Duration>,
    /// `--rate`: requests per second over all connections (open loop).
    pub rate: Option<f64>,
}

/// The request-rate settings of a run, checked: `Err` is the one line to print.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Schedule {
    /// Counted requests per connection, when asked.
    pub requests: Option<u64>,
    /// How long connections ask, warm-up included; `None` with `--requests` alone.
    pub duration: Option<Duration>,
    pub warmup: Duration,
    /// Open loop: requests per second over all connections; `None` for the closed loop.
    pub rate: Option<f64>,
}

impl Schedule {
    /// Checks the flags against the workload, the connection count and the run timeout.
    pub fn check(
        workload: Workload,
        asked: Asked,
        connections: u32,
        run_timeout: Duration,
    ) -> Result<Schedule, String> {
        let Asked {
            requests,
            duration,
            warmup,
            rate,
        } = asked;
        if !workload.request_rate() {
            let given = [
                ("--requests", requests.is_some()),
                ("--duration", duration.is_some()),
                ("--warmup", warmup.is_some()),
                ("--rate", rate.is_some()),
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
                rate: None,
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
        if let Some(rate) = rate {
            check_rate(rate, connections, duration)?;
        }
        Ok(Schedule {
            requests,
            duration,
            warmup,
            rate,
        })
    }
}

/// An open loop's rate: a positive number whose per-connection interval is at least
/// [`MIN_INTERVAL`], over a duration long enough for every connection to make a request.
fn check_rate(rate: f64, connections: u32, duration: Option<Duration>) -> Result<(), String> {
    if rate.is_nan() || rate <= 0.0 {
        return Err(format!(
            "--rate {rate}: give a rate above 0 requests per second over all connections, e.g. --rate 1000"
        ));
    }
    let interval_s = f64::from(connections) / rate;
    if interval_s < MIN_INTERVAL.as_secs_f64() {
        return Err(format!(
            "--rate {rate} is absurd: each of the {connections} connections would send a request every {:.3} ns; give at most {} requests per second (one per connection per µs), or more --connections",
            interval_s * 1e9,
            f64::from(connections) / MIN_INTERVAL.as_secs_f64()
        ));
    }
    let Some(duration) = duration else {
        return Err(
            "--rate needs --duration: an open loop runs for a time, not a request count (add --duration, or drop --requests)".to_string(),
        );
    };
    if interval_s > duration.as_secs_f64() {
        return Err(format!(
            "--rate {rate} over --duration {duration:?} is fewer requests than the {connections} connections: raise --rate or --duration, or use fewer --connections"
        ));
    }
    Ok(())
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
            let asked = Asked {
                requests: r,
                duration: d.map(Duration::from_secs),
                warmup: wu.map(Duration::from_secs),
                rate: None,
            };
            Schedule::check(w, asked, 10, RUN)
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

    #[test]
    fn rates_are_checked() {
        let s = |w, rate: f64, requests, duration: Option<u64>| {
            let asked = Asked {
                requests,
                duration: duration.map(Duration::from_secs),
                rate: Some(rate),
                ..Asked::default()
            };
            Schedule::check(w, asked, 10, RUN)
        };
        let open = s(Workload::KeepAlive, 2000.0, None, None).unwrap();
        assert_eq!(open.rate, Some(2000.0));
        assert_eq!(open.duration, Some(DEFAULT_DURATION));
        assert!(s(Workload::KeepAlive, 50.0, Some(5), Some(2)).is_ok());
        for bad in [0.0, -3.0, f64::NAN] {
            let said = s(Workload::KeepAlive, bad, None, None).unwrap_err();
            assert!(said.contains("give a rate above 0"), "{bad}: {said}");
        }
        // 10 connections: at most 10 million per second (one request per connection per µs).
        assert!(s(Workload::KeepAlive, 1e7, None, None).is_ok());
        for absurd in [1.1e7, f64::INFINITY] {
            let said = s(Workload::KeepAlive, absurd, None, None).unwrap_err();
            assert!(said.contains("is absurd"), "{said}");
        }
        assert!(s(Workload::KeepAlive, 100.0, Some(5), None)
            .unwrap_err()
            .starts_with("--rate needs --duration"));
        // 1 request per second over 10 connections for 2 s: 8 connections would never ask.
        assert!(s(Workload::KeepAlive, 1.0, None, Some(2))
            .unwrap_err()
            .contains("fewer requests than the 10 connections"));
        for closed in [Workload::Download, Workload::Upload] {
            assert!(s(closed, 100.0, None, None)
                .unwrap_err()
                .starts_with("--rate applies to --workload keepalive or churn"));
        }
    }
}
