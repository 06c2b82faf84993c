//! The `threaded` model: one OS thread per connection, blocking socket calls.
//!
//! The main thread spawns every job's thread, then collects the finished jobs from a channel (in
//! memory; rows are written after the run). Each thread allocates its own receive buffer of
//! `--buffer-size` bytes, creates its socket, sets its send and receive timeouts and connects
//! with one blocking `connect()`: Linux bounds a blocking connect by `SO_SNDTIMEO` (it fails with
//! EINPROGRESS when the time is up). Elsewhere no portable blocking connect has a timeout, so the
//! connect is non-blocking, then one poll(2) per wait (`connect_wait`), `SO_ERROR`, and blocking
//! again (`connect_bounded`). Stacks are kept small: a thousand threads must not cost gigabytes of
//! address space the OS then gets blamed for.
//!
//! Socket timeouts carry the run's deadline too: the read timeout is shortened to the time left
//! once the deadline has moved in by more than [`job::limit_slack`] of it (5 to 500 ms), not before
//! every recv: a `setsockopt` per recv would inflate the model's CPU time. A wait may so end up to
//! that slack after the deadline. A job cut short that way still reports the bytes it received.
//!
//! Open loop (`--rate`): a thread whose next request waits for its time sleeps until then (the
//! time is inside the run, before its deadline), then sends.
//! A churn job's connections are made one after another on its thread: each ends in `fetch`
//! (socket closed), and [`job::reconnects`] says whether another follows.
//!
//! SIGINT/SIGTERM: the main thread checks for them every [`INTERRUPT_CHECK`] while it waits; the
//! job threads are not told (they may sit in a blocking call) and end with the process.

use std::io;
use std::os::fd::OwnedFd;
use std::sync::mpsc;
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use crate::client::exchange::{Exchange, Progress};
use crate::client::interrupt;
use crate::client::job::{self, Collector, Finished, Outcome, SpeedFloor, Target};
use crate::client::net::{self, RecvBuffer};
use crate::client::phases::Timeline;
use crate::client::syscalls::Counters;
use crate::client::tcp_info;
use bench_records::TcpInfo;

/// Stack per job thread. The thread's frames are shallow (socket calls, `httparse` with a
/// 64-header array); the receive buffer lives on the heap.
const STACK_SIZE: usize = 256 * 1024;

/// How long after the run timeout the main thread still waits for threads to report: they give
/// up by themselves at the run timeout (at most 500 ms, a wait's slack, later), so this only
/// covers a thread the OS did not schedule. A job that did not report by then counts as ended at
/// the run's deadline, not at this grace's end.
const REPORT_GRACE: Duration = Duration::from_secs(5);

/// How often the main thread looks for SIGINT/SIGTERM while it waits for reports.
const INTERRUPT_CHECK: Duration = Duration::from_millis(100);

pub fn run(target: &Arc<Target>, connections: u32) -> Outcome {
    let (sender, receiver) = mpsc::channel::<(Finished, Counters)>();
    let mut collector = Collector::new(connections);
    let mut counters = Counters::default();
    let mut handles = Vec::with_capacity(connections as usize);
    let start = Instant::now();
    let deadline = start + target.run_timeout;

    for job in 0..connections {
        if interrupt::requested() {
            break;
        }
        let thread_target = Arc::clone(target);
        let thread_sender = sender.clone();
        let begin = Instant::now();
        let spawned = thread::Builder::new()
            .stack_size(STACK_SIZE)
            .spawn(move || {
                let report = download(job, &thread_target, begin, start, deadline);
                // The receiver only goes away once the run is over; nothing is left to tell.
                let _ = thread_sender.send(report);
            });
        match spawned {
            Ok(handle) => {
                counters.thread_spawns += 1;
                handles.push((job, handle));
            }
            Err(err) => {
                let reason = format!("thread spawn failed: {err}");
                collector.add(Finished::failed_early(target, job, reason, Instant::now()));
            }
        }
    }
    drop(sender);

    let give_up = deadline + REPORT_GRACE;
    let mut missing = (job::run_deadline(target.run_timeout), deadline);
    let mut interrupted = false;
    while collector.pending() > 0 {
        if interrupt::requested() {
            interrupted = true;
            missing = (job::INTERRUPTED.to_string(), Instant::now());
            break;
        }
        let left = give_up.saturating_duration_since(Instant::now());
        if left.is_zero() {
            break;
        }
        match receiver.recv_timeout(left.min(INTERRUPT_CHECK)) {
            Ok((finished, thread_counters)) => {
                counters += thread_counters;
                collector.add(finished);
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                missing = (
                    "job thread ended without a result".to_string(),
                    Instant::now(),
                );
                break;
            }
        }
    }
    // Every thread that reported is ending: join them all, so that their exits cost this run, not
    // the next one. A thread that never reported may be stuck in a call; it is left behind.
    for (job, handle) in handles {
        if collector.reported(job) || handle.is_finished() {
            let _ = handle.join();
        }
    }
    let (reason, at) = missing;
    collector.fail_missing(target, &reason, at.min(Instant::now()));
    let mut outcome = collector.into_outcome(start, counters);
    outcome.recv_buffer_bytes = u64::from(connections) * target.buffer_size as u64;
    outcome.interrupted = interrupted;
    outcome
}

/// One job, start to end, on its own thread; `begin` is when its spawn was called.
fn download(
    job: u32,
    target: &Target,
    begin: Instant,
    run_start: Instant,
    deadline: Instant,
) -> (Finished, Counters) {
    let mut buffer = RecvBuffer::new(target.buffer_size);
    let mut timeline = Timeline::new(begin);
    timeline.thread_start = Some(Instant::now());
    let mut counters = Counters::default();
    let mut exchange = target.exchange(job);
    let mut tcp = None;
    let error = loop {
        let (verdict, again) = fetch(
            target,
            deadline,
            &mut timeline,
            &mut exchange,
            &mut buffer,
            &mut counters,
            &mut tcp,
        );
        if !again {
            break verdict.err();
        }
    };
    let mut finished = Finished::new(target, job, timeline, &mut exchange, error, run_start);
    finished.record.set_tcp_info(tcp);
    (finished, counters)
}

/// One connection: socket, connect, exchange; the socket is closed before returning. Returns how
/// the connection ended and whether the job goes on over a new one ([`job::reconnects`], churn);
/// when it does not, the connection's TCP_INFO is read into `tcp` just before the close.
fn fetch(
    target: &Target,
    deadline: Instant,
    timeline: &mut Timeline,
    exchange: &mut impl Exchange,
    buffer: &mut RecvBuffer,
    counters: &mut Counters,
    tcp: &mut Option<TcpInfo>,
) -> (Result<(), String>, bool) {
    exchange.opening(Instant::now());
    let socket = match net::tcp_socket(target.address, false, counters) {
        Ok(socket) => socket,
        Err(err) => return (Err(format!("socket failed: {err}")), false),
    };
    Timeline::mark(&mut timeline.socket);
    let result = converse(
        target, deadline, timeline, exchange, buffer, &socket, counters,
    );
    let again = job::reconnects(&result, exchange, timeline);
    if !again {
        *tcp = tcp_info::of_job(&socket, timeline);
    }
    net::close(socket, counters);
    (result, again)
}

fn converse(
    target: &Target,
    deadline: Instant,
    timeline: &mut Timeline,
    exchange: &mut impl Exchange,
    buffer: &mut RecvBuffer,
    socket: &OwnedFd,
    counters: &mut Counters,
) -> Result<(), String> {
    let past_deadline = || job::run_deadline(target.run_timeout);
    // Never below MIN_WAIT: the timeout by its parser, the time left by `time_left`.
    let left = job::time_left(deadline).ok_or_else(past_deadline)?;
    let mut read_timeout = target.timeout.min(left);
    let sockopt = |err: io::Error| format!("setsockopt failed: {err}");
    net::set_timeout(socket, true, read_timeout, counters).map_err(sockopt)?;
    net::set_timeout(socket, false, read_timeout, counters).map_err(sockopt)?;

    Timeline::mark(&mut timeline.connect_issued);
    connect_bounded(socket, target.address, read_timeout, counters)
        .map_err(|err| reason(&err, "connect", target, deadline))?;
    let connected = Instant::now();
    timeline.established_now(connected);
    exchange.connected(connected);

    let mut floor = SpeedFloor::new(connected);
    loop {
        if wait_for_schedule(exchange) {
            // The time it waited by the schedule was not the server's: the floor starts again.
            floor = SpeedFloor::new(Instant::now());
        }
        while !exchange.to_send().is_empty() {
            match net::send(socket, exchange.to_send(), counters) {
                Ok(n) => exchange.sent(n),
                Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
                Err(err) => return Err(reason(&err, "send", target, deadline)),
            }
        }
        // Near the end of the run, shorten the read timeout so the run timeout holds too.
        let remaining = job::time_left(deadline).ok_or_else(past_deadline)?;
        if let Some(shorter) = shortened_read_timeout(read_timeout, remaining) {
            read_timeout = shorter;
            net::set_timeout(socket, false, read_timeout, counters).map_err(sockopt)?;
        }
        let progress = match buffer.recv(socket, counters) {
            Ok([]) => {
                timeline.end = Some(Instant::now());
                return exchange.closed();
            }
            Ok(bytes) => {
                timeline.first_byte_now();
                exchange.received(bytes)?
            }
            Err(err) if err.kind() == io::ErrorKind::Interrupted => Progress::Continue,
            Err(err) => return Err(reason(&err, "recv", target, deadline)),
        };
        let now = Instant::now();
        if progress == Progress::Done {
            timeline.end = Some(now);
            return Ok(());
        }
        floor.check(now, exchange.progress_bytes(), target)?;
    }
}

/// Open loop: sleeps until the exchange's held request is due (it then has it to send); whether it
/// slept. A sleep may end early (a signal): the exchange is asked again.
fn wait_for_schedule(exchange: &mut impl Exchange) -> bool {
    let mut slept = false;
    while let Some(due) = exchange.next_due(Instant::now()) {
        thread::sleep(due.saturating_duration_since(Instant::now()));
        slept = true;
    }
    slept
}

/// Connects the blocking `socket` within `limit`. Linux: one blocking `connect()`, bounded by the
/// `SO_SNDTIMEO` already set (EINPROGRESS when it runs out).
#[cfg(any(target_os = "linux", target_os = "android"))]
fn connect_bounded(
    socket: &OwnedFd,
    address: std::net::SocketAddr,
    _limit: Duration,
    counters: &mut Counters,
) -> io::Result<()> {
    match net::connect(socket, address, counters) {
        Err(err) if net::in_progress(&err) => Err(io::ErrorKind::TimedOut.into()),
        other => other,
    }
}

/// Connects the blocking `socket` within `limit` where `SO_SNDTIMEO` does not bound a connect:
/// non-blocking, `connect()`, poll(2) until writable (each call a `connect_wait`), `SO_ERROR`,
/// blocking again.
#[cfg(not(any(target_os = "linux", target_os = "android")))]
fn connect_bounded(
    socket: &OwnedFd,
    address: std::net::SocketAddr,
    limit: Duration,
    counters: &mut Counters,
) -> io::Result<()> {
    use crate::client::syscalls::Kind;
    use rustix::event::{PollFd, PollFlags, Timespec};

    let deadline = Instant::now() + limit;
    net::set_nonblocking(socket, true, counters)?;
    match net::connect(socket, address, counters) {
        Ok(()) => {}
        Err(err) if net::in_progress(&err) => loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(io::ErrorKind::TimedOut.into());
            }
            let mut entry = [PollFd::new(socket, PollFlags::OUT)];
            let timeout = Timespec::try_from(left).unwrap_or(Timespec {
                tv_sec: i32::MAX.into(),
                tv_nsec: 0,
            });
            counters.count(Kind::ConnectWait);
            match rustix::event::poll(&mut entry, Some(&timeout)) {
                Ok(0) => return Err(io::ErrorKind::TimedOut.into()),
                Ok(_) => {
                    net::socket_error(socket, counters)?;
                    break;
                }
                Err(rustix::io::Errno::INTR) => {}
                Err(errno) => return Err(errno.into()),
            }
        },
        Err(err) => return Err(err),
    }
    net::set_nonblocking(socket, false, counters)
}

/// The read timeout to arm before a recv when the `armed` one could let the wait end more than its
/// slack after the run's deadline, `remaining` away; `None` keeps the armed one.
fn shortened_read_timeout(armed: Duration, remaining: Duration) -> Option<Duration> {
    (remaining + job::limit_slack(armed) < armed).then_some(remaining)
}

/// The failure reason for `err`, naming the run timeout when that is what cut the call short.
fn reason(err: &io::Error, what: &str, target: &Target, deadline: Instant) -> String {
    let timed_out = matches!(
        err.kind(),
        io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock
    );
    if timed_out && job::deadline_reached(deadline) {
        job::run_deadline(target.run_timeout)
    } else {
        job::io_reason(what, err, target.timeout)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_read_timeout_is_shortened_only_past_its_slack() {
        let armed = Duration::from_secs(30);
        // Slack 500 ms: 29.6 s left keeps the armed timeout, 29.4 s shortens it.
        assert_eq!(shortened_read_timeout(armed, armed), None);
        assert_eq!(
            shortened_read_timeout(armed, Duration::from_millis(29_600)),
            None
        );
        assert_eq!(
            shortened_read_timeout(armed, Duration::from_millis(29_400)),
            Some(Duration::from_millis(29_400))
        );
        // Slack 5 ms for short timeouts: 4 ms left of an armed 10 ms is shortened.
        assert_eq!(
            shortened_read_timeout(Duration::from_millis(10), Duration::from_millis(6)),
            None
        );
        assert_eq!(
            shortened_read_timeout(Duration::from_millis(10), Duration::from_millis(4)),
            Some(Duration::from_millis(4))
        );
    }

    /// The last 30 s of a run with `--timeout 30s`, one recv every 10 ms (what a slow-drip server
    /// gives): the read timeout is re-armed a few dozen times, not before each of the 3000 recvs,
    /// and no wait could end more than its slack after the run's deadline.
    #[test]
    fn re_arming_does_not_scale_with_recvs() {
        let timeout = Duration::from_secs(30);
        let mut armed = timeout;
        let mut recvs = 0;
        let mut re_armed = 0;
        let mut remaining = timeout;
        while remaining >= job::MIN_WAIT {
            if let Some(shorter) = shortened_read_timeout(armed, remaining) {
                armed = shorter;
                re_armed += 1;
            }
            assert!(
                armed <= remaining + job::limit_slack(armed),
                "{armed:?} armed with {remaining:?} left"
            );
            recvs += 1;
            remaining = remaining.saturating_sub(Duration::from_millis(10));
        }
        assert_eq!(recvs, 3000);
        assert!(re_armed > 0 && re_armed < 150, "{re_armed} re-arms");
    }
}
