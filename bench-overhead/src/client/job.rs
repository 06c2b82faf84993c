//! What every I/O model shares: the target, a finished job, the speed floor, and the failure
//! reasons.
//!
//! Failure reasons are short and stable ("connection refused", "HTTP 404", "truncated body: got X
//! of Y bytes"): a record keeps each as a [`Failure`], whose kind is the category a run counts
//! failures by and whose message `jobs.csv` keeps.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::client::exchange::{
    self, AnyExchange, Churn, Download, Exchange, KeepAlive, Report, Stop, Upload,
};
use crate::client::latency::Latency;
use crate::client::pace::OpenLoop;
use crate::client::phases::{nanos, Timeline};
use crate::client::syscalls::Counters;
use crate::client::workload::Workload;
use crate::client::ClientConfig;
use crate::units::format_bytes;
use bench_records::{Failure, FailureKind, JobRecord};

/// The shortest wait the client sets: socket timeouts are kept in whole microseconds (and a zero
/// one means "wait forever"), poll(2) counts milliseconds and kernels round to their clock ticks,
/// so a shorter wait could not be kept. `--timeout` and `--run-timeout` are at least this long, and
/// a job with less than this left before the run's deadline has reached it.
pub const MIN_WAIT: Duration = Duration::from_millis(1);

/// Everything a job needs, the same for every job of a run.
///
/// Both limits come through the duration parser, which caps them at [`MAX_DURATION`] (a week):
/// deadlines are plain `Instant + limit` (plus a few seconds at most), which cannot overflow.
///
/// [`MAX_DURATION`]: bench_records::units::MAX_DURATION
#[derive(Debug, Clone)]
pub struct Target {
    pub address: SocketAddr,
    /// The request (download, keepalive, churn) or the upload's head.
    pub request: Arc<[u8]>,
    pub workload: Workload,
    pub upload_size: u64,
    /// When keep-alive and churn jobs stop asking (set as the model starts).
    pub stop: Stop,
    /// `--rate`: the send schedule keep-alive connections follow; `None` for the closed loop.
    pub open_loop: Option<OpenLoop>,
    /// Bytes per recv call.
    pub buffer_size: usize,
    /// `--low-water`: bytes a download's socket gathers before the readiness model is woken.
    pub low_water: u32,
    /// Limit for connecting, for each wait for data, and the speed floor's window.
    pub timeout: Duration,
    /// Limit for the whole run.
    pub run_timeout: Duration,
    /// Bytes per second a job must move over each `timeout` window; 0: no floor.
    pub speed_limit: u64,
    /// Shared by every job record of the run (see `JobRecord`), as are `variant` and `backend`.
    pub run_id: Arc<str>,
    pub variant: Arc<str>,
    pub backend: Arc<str>,
}

impl Target {
    /// A fresh record for job `job`, every phase still unknown.
    pub fn record(&self, job: u32) -> JobRecord {
        JobRecord {
            run_id: Arc::clone(&self.run_id),
            job,
            variant: Arc::clone(&self.variant),
            backend: Arc::clone(&self.backend),
            ..JobRecord::default()
        }
    }

    /// The exchange job `job` runs.
    pub fn exchange(&self, job: u32) -> AnyExchange {
        let request = Arc::clone(&self.request);
        match self.workload {
            Workload::Download => AnyExchange::Download(Download::new(request)),
            Workload::KeepAlive => {
                let mut exchange = KeepAlive::new(request, self.stop);
                if let Some(open_loop) = &self.open_loop {
                    exchange = exchange.paced(open_loop.pace(job));
                }
                AnyExchange::KeepAlive(Box::new(exchange))
            }
            Workload::Churn => {
                let mut exchange = Churn::new(request, self.stop);
                if let Some(open_loop) = &self.open_loop {
                    exchange = exchange.paced(open_loop.pace(job));
                }
                AnyExchange::Churn(Box::new(exchange))
            }
            Workload::Upload => AnyExchange::Upload(Upload::new(request, self.upload_size)),
        }
    }
}

/// The bytes each job of `workload` sends first: `GET` HTTP/1.0 (download), `GET` HTTP/1.1
/// (keepalive: the connection stays open; churn: with `Connection: close`, as wrk sends it with
/// `-H 'Connection: close'`), or the upload's `PUT` head (asking for `100 Continue` before the
/// body).
pub fn request_bytes(args: &ClientConfig, workload: Workload) -> Arc<[u8]> {
    let (address, port, path) = (args.address, args.port, args.path.as_str());
    match workload {
        Workload::Download => exchange::request(address, port, path),
        Workload::KeepAlive => exchange::head("GET", path, "1.1", address, port, "")
            .into_bytes()
            .into(),
        Workload::Churn => {
            exchange::head("GET", path, "1.1", address, port, "Connection: close\r\n")
                .into_bytes()
                .into()
        }
        Workload::Upload => {
            let mut length = format!("Content-Length: {}\r\n", args.upload_size);
            if args.upload_size > 0 {
                length.push_str("Expect: 100-continue\r\n");
            }
            exchange::head("PUT", path, "1.1", address, port, &length)
                .into_bytes()
                .into()
        }
    }
}

/// A job that is over, successfully or not.
#[derive(Debug)]
pub struct Finished {
    pub record: JobRecord,
    /// When the job ended.
    pub at: Instant,
    pub server: Option<String>,
    pub content_length: Option<u64>,
    /// The exchange's counted request latencies (request-rate workloads).
    pub latency: Option<Latency>,
    /// The exchange's counted connect latencies (churn).
    pub connects: Option<Latency>,
}

impl Finished {
    /// Completes job `job`'s record from its timeline and what its exchange saw; `error` is the
    /// failure, if any. A job without an end mark ends now.
    pub fn new(
        target: &Target,
        job: u32,
        mut timeline: Timeline,
        exchange: &mut impl Exchange,
        error: Option<String>,
        run_start: Instant,
    ) -> Finished {
        let report: Report = exchange.report();
        let at = Timeline::mark(&mut timeline.end);
        let mut record = target.record(job);
        timeline.fill(&mut record, run_start);
        record.bytes = report.body_bytes;
        record.status = report.status;
        record.error = error.map(Failure::from);
        Finished {
            record,
            at,
            server: report.server,
            content_length: report.content_length,
            latency: exchange.take_latency(),
            connects: exchange.take_connects(),
        }
    }

    /// A job that failed before it began (no thread, the run's deadline, an interrupt…).
    pub fn failed_early(target: &Target, job: u32, reason: String, at: Instant) -> Finished {
        let mut record = target.record(job);
        record.error = Some(Failure::from(reason));
        Finished {
            record,
            at,
            server: None,
            content_length: None,
            latency: None,
            connects: None,
        }
    }
}

/// What a model hands back: every job's record, in job order, and the run's counts.
#[derive(Debug)]
pub struct Outcome {
    pub jobs: Vec<JobRecord>,
    pub counters: Counters,
    /// First job begun → last job finished.
    pub run_ns: u64,
    /// The first response's `Server` header, empty when none arrived.
    pub server: String,
    /// The Content-Length of the first 200 response, 0 when none announced one.
    pub payload_bytes: u64,
    /// Receive-buffer bytes the model allocated.
    pub recv_buffer_bytes: u64,
    /// What the backend used of the OS (io_uring's features); empty when nothing to say.
    pub features: String,
    /// SIGINT/SIGTERM cut the run short.
    pub interrupted: bool,
    /// Every job's request latencies merged (request-rate workloads).
    pub latency: Option<Latency>,
    /// Every job's connect latencies merged (churn).
    pub connects: Option<Latency>,
}

/// Gathers finished jobs in memory (rows are written after the run, so no measured thread writes
/// files) and builds the [`Outcome`].
pub struct Collector {
    slots: Vec<Option<JobRecord>>,
    pending: u32,
    last: Option<Instant>,
    server: Option<String>,
    payload_bytes: Option<u64>,
    latency: Option<Latency>,
    connects: Option<Latency>,
}

impl Collector {
    pub fn new(connections: u32) -> Collector {
        Collector {
            slots: vec![None; connections as usize],
            pending: connections,
            last: None,
            server: None,
            payload_bytes: None,
            latency: None,
            connects: None,
        }
    }

    /// Jobs not reported yet.
    pub fn pending(&self) -> u32 {
        self.pending
    }

    pub fn add(&mut self, finished: Finished) {
        let slot = &mut self.slots[finished.record.job as usize];
        if slot.is_some() {
            return; // Reported twice: keep the first.
        }
        if self.server.is_none() {
            self.server = finished.server.filter(|s| !s.is_empty());
        }
        if self.payload_bytes.is_none() && finished.record.status == 200 {
            self.payload_bytes = finished.content_length;
        }
        Latency::merge_into(&mut self.latency, finished.latency.as_ref());
        Latency::merge_into(&mut self.connects, finished.connects.as_ref());
        self.last = Some(self.last.map_or(finished.at, |last| last.max(finished.at)));
        *slot = Some(finished.record);
        self.pending -= 1;
    }

    /// Whether job `job` has reported.
    pub fn reported(&self, job: u32) -> bool {
        self.slots[job as usize].is_some()
    }

    /// Fails every job that never reported, with `reason`, as ended at `at` (not when the
    /// caller gave up waiting for them, which would stretch the run's time).
    pub fn fail_missing(&mut self, target: &Target, reason: &str, at: Instant) {
        for job in 0..self.slots.len() {
            if self.slots[job].is_none() {
                self.add(Finished::failed_early(
                    target,
                    job as u32,
                    reason.to_string(),
                    at,
                ));
            }
        }
    }

    pub fn into_outcome(self, start: Instant, counters: Counters) -> Outcome {
        let last = self.last.unwrap_or(start);
        Outcome {
            jobs: self.slots.into_iter().flatten().collect(),
            counters,
            run_ns: nanos(start, last),
            server: self.server.unwrap_or_default(),
            payload_bytes: self.payload_bytes.unwrap_or(0),
            recv_buffer_bytes: 0,
            features: String::new(),
            interrupted: false,
            latency: self.latency,
            connects: self.connects,
        }
    }
}

/// The speed floor (curl's `--speed-limit`/`--speed-time`): over each window of `--timeout`, a
/// job must move at least `--speed-limit` bytes per second, or it fails. Without it a server that
/// drips a byte just inside every `--timeout` keeps a job alive until the run timeout.
#[derive(Debug, Clone, Copy)]
pub struct SpeedFloor {
    since: Instant,
    bytes_then: u64,
}

impl SpeedFloor {
    pub fn new(now: Instant) -> SpeedFloor {
        SpeedFloor {
            since: now,
            bytes_then: 0,
        }
    }

    /// Ends the window that began at the last check once it is `--timeout` long; `bytes` is what
    /// the job has received so far.
    pub fn check(&mut self, now: Instant, bytes: u64, target: &Target) -> Result<(), String> {
        let elapsed = now.saturating_duration_since(self.since);
        if target.speed_limit == 0 || elapsed < target.timeout {
            return Ok(());
        }
        let rate = bytes.saturating_sub(self.bytes_then) as f64 / elapsed.as_secs_f64();
        if rate < target.speed_limit as f64 {
            return Err(format!(
                "too slow: {rate:.0} B/s over {} (below --speed-limit {}/s)",
                human(Duration::from_millis(elapsed.as_millis() as u64)),
                format_bytes(target.speed_limit)
            ));
        }
        self.since = now;
        self.bytes_then = bytes;
        Ok(())
    }
}

/// The one reconnect rule of every model (churn): after one of a job's connections ended with
/// `verdict`, whether the job goes on over a new connection — its exchange is done with this one
/// and asks for another. The model then closes this socket without reading its TCP_INFO (a job
/// is read once, at its end) and opens a new one for the same job, exchange and timeline, which
/// this readies for it ([`Timeline::next_connection`]).
pub fn reconnects(
    verdict: &Result<(), String>,
    exchange: &impl Exchange,
    timeline: &mut Timeline,
) -> bool {
    let again = verdict.is_ok() && exchange.again();
    if again {
        timeline.next_connection();
    }
    again
}

/// Where a connection of a one-thread model (poll, uring) stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    Connecting,
    Sending,
    Receiving,
}

/// A connection of a loop model (readiness, uring) as the sweep for idle deadlines and the speed
/// floor sees it.
pub trait Watched {
    /// Why the connection must end now ([`overdue`]'s reason), or `None`.
    fn overdue(&mut self, now: Instant, target: &Target) -> Option<String>;
}

/// Takes every connection in `slots` that is past its idle deadline or below the speed floor out of
/// its slot and hands it to `finish` with the reason; returns how many.
pub fn sweep_overdue<C: Watched>(
    slots: &mut [Option<C>],
    now: Instant,
    target: &Target,
    mut finish: impl FnMut(u32, C, String),
) -> usize {
    let mut ended = 0;
    for (job, slot) in slots.iter_mut().enumerate() {
        let Some(reason) = slot.as_mut().and_then(|c| c.overdue(now, target)) else {
            continue;
        };
        let connection = slot.take().expect("checked above");
        finish(job as u32, connection, reason);
        ended += 1;
    }
    ended
}

/// Takes every connection still in `slots` out of its slot and hands it to `finish`.
pub fn end_each<C>(slots: &mut [Option<C>], mut finish: impl FnMut(u32, C)) {
    for (job, slot) in slots.iter_mut().enumerate() {
        if let Some(connection) = slot.take() {
            finish(job as u32, connection);
        }
    }
}

/// Why a connection at `stage` must end at `now`: past its idle deadline, or (once connected)
/// below the speed floor; `None` while it may go on. `bytes` is what it has received so far.
pub fn overdue(
    stage: Stage,
    idle_deadline: Instant,
    floor: &mut SpeedFloor,
    now: Instant,
    bytes: u64,
    target: &Target,
) -> Option<String> {
    if now >= idle_deadline {
        return Some(match stage {
            Stage::Connecting => connect_timeout(target.timeout),
            Stage::Sending => format!(
                "timed out after {} sending the request",
                human(target.timeout)
            ),
            Stage::Receiving => data_timeout(target.timeout),
        });
    }
    if stage == Stage::Connecting {
        return None;
    }
    floor.check(now, bytes, target).err()
}

/// The reason every job still running fails with when SIGINT or SIGTERM ends the run.
pub const INTERRUPTED: &str = "interrupted: the run was stopped by a signal";

/// How late a limit may be kept: a tenth of it, between 5 ms and 500 ms. The poll variant checks
/// idle deadlines this often; the threaded variant shortens a socket's read timeout to the run's
/// deadline only once the deadline has moved in by more than this. Neither then wakes or makes a
/// system call often just to keep a limit to the millisecond, which would cost CPU time the run
/// reports.
pub fn limit_slack(limit: Duration) -> Duration {
    (limit / 10).clamp(Duration::from_millis(5), Duration::from_millis(500))
}

/// The time left before the run's `deadline`; `None` once it has come, i.e. when less than
/// [`MIN_WAIT`] is left, too little to wait for.
pub fn time_left(deadline: Instant) -> Option<Duration> {
    Some(deadline.saturating_duration_since(Instant::now())).filter(|left| *left >= MIN_WAIT)
}

/// Whether the run's `deadline` has come (see [`time_left`]).
pub fn deadline_reached(deadline: Instant) -> bool {
    time_left(deadline).is_none()
}

/// A duration as people write it: `30s`, `500ms`, `1.5s`.
pub fn human(duration: Duration) -> String {
    format!("{duration:?}")
}

/// The reason a job waiting for data failed with.
pub fn data_timeout(timeout: Duration) -> String {
    format!("timed out after {} waiting for data", human(timeout))
}

pub fn connect_timeout(timeout: Duration) -> String {
    format!("timed out after {} connecting", human(timeout))
}

pub fn run_deadline(run_timeout: Duration) -> String {
    format!(
        "run timeout: not finished after {} (--run-timeout)",
        human(run_timeout)
    )
}

/// What to do when connect() finds no free local port (EADDRNOTAVAIL): each connection the
/// client closes first waits in TIME_WAIT for a minute, holding its port, so churn at a high rate
/// can use up the ephemeral range.
pub const PORTS_EXHAUSTED_ADVICE: &str = "widen net.ipv4.ip_local_port_range, set net.ipv4.tcp_tw_reuse=1, or lower the rate/connections";

/// The reason for an I/O error in `what` ("connect", "send", "recv"), in the words a person
/// debugging the setup would search for.
pub fn io_reason(what: &str, err: &io::Error, timeout: Duration) -> String {
    match err.kind() {
        io::ErrorKind::AddrNotAvailable if what == "connect" => {
            Failure::with_detail(FailureKind::PortsExhausted, PORTS_EXHAUSTED_ADVICE).to_string()
        }
        io::ErrorKind::ConnectionRefused => "connection refused".to_string(),
        io::ErrorKind::ConnectionReset => format!("connection reset: during {what}"),
        io::ErrorKind::ConnectionAborted => format!("connection aborted: during {what}"),
        io::ErrorKind::BrokenPipe => format!("connection reset: broken pipe during {what}"),
        io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock if what == "connect" => {
            connect_timeout(timeout)
        }
        io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => data_timeout(timeout),
        _ => format!("{what} failed: {err}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_read_well() {
        let t = Duration::from_secs(30);
        assert_eq!(
            io_reason("connect", &io::ErrorKind::ConnectionRefused.into(), t),
            "connection refused"
        );
        assert_eq!(
            io_reason("recv", &io::ErrorKind::WouldBlock.into(), t),
            "timed out after 30s waiting for data"
        );
        assert_eq!(
            io_reason("connect", &io::ErrorKind::TimedOut.into(), t),
            "timed out after 30s connecting"
        );
        assert_eq!(human(Duration::from_millis(500)), "500ms");
        let exhausted = io::Error::from_raw_os_error(libc::EADDRNOTAVAIL);
        let reason = io_reason("connect", &exhausted, t);
        assert_eq!(
            reason,
            "local ports exhausted (TIME_WAIT): widen net.ipv4.ip_local_port_range, set net.ipv4.tcp_tw_reuse=1, or lower the rate/connections"
        );
        assert_eq!(Failure::from(reason).kind(), &FailureKind::PortsExhausted);
    }

    #[test]
    fn the_deadline_comes_with_less_than_min_wait_left() {
        let now = Instant::now();
        assert!(deadline_reached(now));
        assert!(deadline_reached(now + MIN_WAIT / 2));
        assert!(!deadline_reached(now + Duration::from_secs(60)));
        assert!(time_left(now + Duration::from_secs(60)).unwrap() > Duration::from_secs(59));
    }
}
