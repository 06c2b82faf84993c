//! The threaded variant: one OS thread per connection, blocking socket calls.
//!
//! The main thread spawns every job's thread (timing each spawn: the job's "setup"), then collects
//! the finished jobs from a channel, writing each as it arrives. Each thread creates its socket,
//! connects with a timeout, sends the request and reads to EOF into its own heap buffer of
//! `--buffer-size` bytes, with a read timeout so a stalled server cannot hold it. Stacks are kept
//! small: a thousand threads must not cost gigabytes of address space the OS then gets blamed for.
//!
//! The connect is the one call that is not plainly blocking: no portable blocking connect has a
//! timeout, so it is a non-blocking connect and a poll(2) for its end (`connect.rs`), each poll
//! counted as `connect_wait`.
//!
//! Socket timeouts carry the run's deadline too: the last waits are shortened to the time left,
//! and with less than [`job::MIN_WAIT`] left the job has reached the deadline (a socket timeout
//! that short would round to zero, which means "wait forever"). The read timeout is shortened only
//! once the deadline has moved in by more than [`job::limit_slack`] of it (5 to 500 ms), not before
//! every recv: a `setsockopt` per recv would inflate the variant's CPU time. A wait may so end up
//! to that slack after the deadline. A job cut short that way still reports the bytes it received
//! and the calls it made.

use std::io::{self, Write};
use std::sync::mpsc;
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use crate::client::buffer::RecvBuffer;
use crate::client::connect;
use crate::client::counters::Counters;
use crate::client::http::ResponseReader;
use crate::client::job::{self, Collector, Finished, JobSink, Outcome, Target};
use bench_records::JobRecord;

/// Stack per job thread. The thread's frames are shallow (socket calls, `httparse` with a
/// 64-header array); the receive buffer lives on the heap.
const STACK_SIZE: usize = 256 * 1024;

/// How long after the run timeout the main thread still waits for threads to report: they give
/// up by themselves at the run timeout (at most 500 ms, a wait's slack, later), so this only
/// covers a thread the OS did not schedule. A
/// job that did not report by then counts as ended at the run's deadline, not at this grace's end.
const REPORT_GRACE: Duration = Duration::from_secs(5);

pub fn run(target: &Arc<Target>, connections: u32, sink: &mut JobSink) -> Outcome {
    let (sender, receiver) = mpsc::channel::<(Finished, Counters)>();
    let mut collector = Collector::new(connections);
    let mut setup_ns = vec![None; connections as usize];
    let mut handles = Vec::with_capacity(connections as usize);
    let start = Instant::now();
    let deadline = start + target.run_timeout;

    for job in 0..connections {
        let thread_target = Arc::clone(target);
        let thread_sender = sender.clone();
        let before = Instant::now();
        let spawned = thread::Builder::new()
            .stack_size(STACK_SIZE)
            .spawn(move || {
                let report = download(job, &thread_target, deadline);
                // The receiver only goes away once the run is over; nothing is left to tell.
                let _ = thread_sender.send(report);
            });
        let spawn_ns = job::nanos(before, Instant::now());
        match spawned {
            Ok(handle) => {
                setup_ns[job as usize] = Some(spawn_ns);
                handles.push((job, handle));
            }
            Err(err) => {
                let reason = format!("thread spawn failed: {err}");
                collector.add(Finished::failed_early(target, job, reason), sink);
            }
        }
    }
    drop(sender);

    let mut counters = Counters::default();
    let give_up = deadline + REPORT_GRACE;
    let mut missing = (job::run_deadline(target.run_timeout), deadline);
    while collector.pending() > 0 {
        let wait = give_up.saturating_duration_since(Instant::now());
        match receiver.recv_timeout(wait) {
            Ok((mut finished, thread_counters)) => {
                finished.record.setup_ns = setup_ns[finished.record.job as usize];
                counters += thread_counters;
                collector.add(finished, sink);
            }
            Err(mpsc::RecvTimeoutError::Timeout) => break,
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
    collector.fail_missing(target, &reason, at.min(Instant::now()), sink);
    collector.into_outcome(start, counters)
}

/// One job, start to end, on its own thread.
fn download(job: u32, target: &Target, deadline: Instant) -> (Finished, Counters) {
    let mut counters = Counters::default();
    let mut record = target.record(job);
    let mut reader = ResponseReader::new();
    let error = fetch(target, deadline, &mut record, &mut reader, &mut counters).err();
    (Finished::new(record, &reader, error), counters)
}

/// Socket, connect, request, read to EOF; the socket and buffer are freed before returning.
fn fetch(
    target: &Target,
    deadline: Instant,
    record: &mut JobRecord,
    reader: &mut ResponseReader,
    counters: &mut Counters,
) -> Result<(), String> {
    let begin = Instant::now();
    counters.socket += 1;
    let socket =
        connect::tcp_socket(target.address).map_err(|err| format!("socket failed: {err}"))?;
    record.socket_ns = Some(job::nanos(begin, Instant::now()));

    let connect_start = Instant::now();
    let past_deadline = || job::run_deadline(target.run_timeout);
    let left = job::time_left(deadline).ok_or_else(past_deadline)?;
    connect::connect_with_timeout(&socket, target.address, target.timeout.min(left), counters)
        .map_err(|err| reason(&err, "connect", target, deadline))?;
    record.connect_ns = Some(job::nanos(connect_start, Instant::now()));

    // Never below MIN_WAIT: the timeout by its parser, the time left by `time_left`.
    let left = job::time_left(deadline).ok_or_else(past_deadline)?;
    let mut read_timeout = target.timeout.min(left);
    socket
        .set_read_timeout(Some(read_timeout))
        .and_then(|()| socket.set_write_timeout(Some(read_timeout)))
        .map_err(|err| format!("setsockopt failed: {err}"))?;

    let mut sent = 0;
    while sent < target.request.len() {
        counters.send += 1;
        match (&socket).write(&target.request[sent..]) {
            Ok(n) => sent += n,
            Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
            Err(err) => return Err(reason(&err, "send", target, deadline)),
        }
    }
    let request_done = Instant::now();

    let mut buffer = RecvBuffer::new(target.buffer_size);
    let mut first_byte: Option<Instant> = None;
    loop {
        // Near the end of the run, shorten the read timeout so the run timeout holds too.
        let remaining = job::time_left(deadline).ok_or_else(past_deadline)?;
        if let Some(shorter) = shortened_read_timeout(read_timeout, remaining) {
            read_timeout = shorter;
            socket
                .set_read_timeout(Some(read_timeout))
                .map_err(|err| format!("setsockopt failed: {err}"))?;
        }
        counters.recv += 1;
        match buffer.recv(&socket) {
            Ok([]) => {
                record.transfer_ns = first_byte.map(|first| job::nanos(first, Instant::now()));
                return reader.finish();
            }
            Ok(bytes) => {
                if first_byte.is_none() {
                    let now = Instant::now();
                    first_byte = Some(now);
                    record.ttfb_ns = Some(job::nanos(request_done, now));
                }
                reader.feed(bytes)?;
            }
            Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
            Err(err) => return Err(reason(&err, "recv", target, deadline)),
        }
    }
}

/// The read timeout to arm before a recv when the `armed` one could let the wait end more than its
/// slack after the run's deadline, `remaining` away; `None` keeps the armed one.
fn shortened_read_timeout(armed: Duration, remaining: Duration) -> Option<Duration> {
    (remaining + job::limit_slack(armed) < armed).then_some(remaining)
}

/// The failure reason for `err`, naming the run timeout when that is what cut the call short (a
/// socket timeout may end the wait up to a microsecond early: socket2 rounds it down).
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
