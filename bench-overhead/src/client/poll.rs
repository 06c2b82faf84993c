//! The poll variant: one thread multiplexes every connection through a readiness API (the
//! `polling` crate: epoll, kqueue, or poll(2) on Haiku), with non-blocking sockets.
//!
//! All connections are opened first (socket + non-blocking: the job's "socket" phase; register +
//! non-blocking connect: its "setup"), then one loop waits for readiness and moves each connection
//! along: connected → request sent → body read to EOF. Readiness is level-triggered and each ready
//! connection gets one `recv` per wakeup, the way a plain poll(2) loop works.
//!
//! A job's connect clock starts at the later of its `connect()` and the moment the loop starts
//! waiting: before that, the one thread is busy opening the other connections, time already
//! counted as their socket and setup phases. (Timed from `connect()`, job k's connect would
//! include opening jobs k+1…N, and grow with the connection count for that reason alone.)
//!
//! One receive buffer serves every connection: data is only counted, so nothing needs to outlive a
//! `recv`. (The old suite's 4 MiB per connection, 306 MiB at 100 connections, measured the
//! benchmark's memory rather than the OS's.)
//!
//! Nothing can hang: each connection has an idle deadline (`--timeout` without progress), checked
//! by a periodic sweep, and the whole run has `--run-timeout`.

use std::io::{self, Write};
use std::time::Instant;

use polling::{Event, Events, PollMode, Poller};
use socket2::Socket;

use crate::client::buffer::RecvBuffer;
use crate::client::connect;
use crate::client::counters::Counters;
use crate::client::http::ResponseReader;
use crate::client::job::{self, Collector, Finished, JobSink, Outcome, Target};
use bench_records::JobRecord;

/// Where a connection stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    Connecting,
    Sending,
    Receiving,
}

/// One job in flight.
struct Connection {
    socket: Socket,
    record: JobRecord,
    reader: ResponseReader,
    stage: Stage,
    /// Where the connect phase starts: `connect()`, moved to the loop's start (see the module).
    connect_clock: Instant,
    request_done: Instant,
    first_byte: Option<Instant>,
    /// Request bytes sent so far.
    sent: usize,
    /// The job fails if it makes no progress by then.
    idle_deadline: Instant,
}

/// A job that is over: `Err` carries the failure reason.
type Verdict = Result<(), String>;

pub fn run(target: &Target, connections: u32, sink: &mut JobSink) -> anyhow::Result<Outcome> {
    let poller = Poller::new().map_err(|err| anyhow::anyhow!("cannot create a poller: {err}"))?;
    anyhow::ensure!(
        poller.supports_level(),
        "the readiness API here has no level-triggered mode, which the poll variant needs"
    );
    let mut buffer = RecvBuffer::new(target.buffer_size);
    let mut collector = Collector::new(connections);
    let mut counters = Counters::default();
    let mut slots: Vec<Option<Connection>> = Vec::with_capacity(connections as usize);
    let start = Instant::now();
    let deadline = start + target.run_timeout;

    for job in 0..connections {
        match open(job, target, &poller, &mut counters) {
            Ok(connection) => slots.push(Some(connection)),
            Err(finished) => {
                slots.push(None);
                collector.add(*finished, sink);
            }
        }
    }
    let mut active = slots.iter().filter(|slot| slot.is_some()).count();

    let mut events = Events::new();
    // Idle deadlines are checked this often: a timeout fires at most its slack late, and an idle
    // loop does not wake often.
    let sweep_every = job::limit_slack(target.timeout);
    let waiting_from = Instant::now();
    for connection in slots.iter_mut().flatten() {
        connection.connect_clock = connection.connect_clock.max(waiting_from);
    }
    let mut next_sweep = waiting_from + sweep_every;
    while active > 0 {
        let now = Instant::now();
        if now >= deadline {
            let reason = job::run_deadline(target.run_timeout);
            end_all(&mut slots, &poller, &reason, &mut collector, sink);
            break;
        }
        events.clear();
        counters.wait += 1;
        let wake = next_sweep.min(deadline).saturating_duration_since(now);
        if let Err(err) = poller.wait(&mut events, Some(wake)) {
            let reason = format!("readiness wait failed: {err}");
            end_all(&mut slots, &poller, &reason, &mut collector, sink);
            break;
        }
        for event in events.iter() {
            let Some(slot) = slots.get_mut(event.key) else {
                continue;
            };
            let Some(connection) = slot.as_mut() else {
                continue;
            };
            let verdict = step(
                connection,
                event,
                target,
                &poller,
                &mut buffer,
                &mut counters,
            );
            if let Some(verdict) = verdict {
                let connection = slot.take().expect("the slot held a connection just now");
                collector.add(close(connection, &poller, verdict), sink);
                active -= 1;
            }
        }
        let now = Instant::now();
        if now >= next_sweep {
            active -= sweep(&mut slots, now, target, &poller, &mut collector, sink);
            next_sweep = now + sweep_every;
        }
    }
    Ok(collector.into_outcome(start, counters))
}

/// Creates job `job`'s socket, registers it and starts a non-blocking connect. A job that fails
/// here is returned finished.
fn open(
    job: u32,
    target: &Target,
    poller: &Poller,
    counters: &mut Counters,
) -> Result<Connection, Box<Finished>> {
    let mut record = target.record(job);
    let fail = |record: JobRecord, reason: String| {
        Box::new(Finished::new(record, &ResponseReader::new(), Some(reason)))
    };

    let begin = Instant::now();
    counters.socket += 1;
    let socket = match connect::tcp_socket(target.address)
        .and_then(|socket| socket.set_nonblocking(true).map(|()| socket))
    {
        Ok(socket) => socket,
        Err(err) => return Err(fail(record, format!("socket failed: {err}"))),
    };
    let setup_start = Instant::now();
    record.socket_ns = Some(job::nanos(begin, setup_start));

    // SAFETY: the socket is removed from the poller (`close`) before it is dropped, which is the
    // contract `add` asks for; an error here leaves nothing registered.
    if let Err(err) =
        unsafe { poller.add_with_mode(&socket, Event::writable(job as usize), PollMode::Level) }
    {
        return Err(fail(record, format!("poller registration failed: {err}")));
    }
    let connect_start = Instant::now();
    counters.connect += 1;
    // Done at once or under way, the loop learns the outcome from writability and SO_ERROR.
    let connecting = connect::start(&socket, target.address)
        .map_err(|err| job::io_reason("connect", &err, target.timeout));
    let now = Instant::now();
    record.setup_ns = Some(job::nanos(setup_start, now));
    if let Err(reason) = connecting {
        let _ = poller.delete(&socket);
        return Err(fail(record, reason));
    }
    Ok(Connection {
        socket,
        record,
        reader: ResponseReader::new(),
        stage: Stage::Connecting,
        connect_clock: connect_start,
        request_done: now,
        first_byte: None,
        sent: 0,
        idle_deadline: now + target.timeout,
    })
}

/// Moves `connection` along after a readiness event; `Some` when the job is over.
fn step(
    connection: &mut Connection,
    event: Event,
    target: &Target,
    poller: &Poller,
    buffer: &mut RecvBuffer,
    counters: &mut Counters,
) -> Option<Verdict> {
    let now = Instant::now();
    if connection.stage == Stage::Connecting {
        if !(event.writable || event.readable) {
            return None;
        }
        // Readiness after a non-blocking connect means done; SO_ERROR says whether it worked.
        match connection.socket.take_error() {
            Ok(None) => {}
            Ok(Some(err)) | Err(err) => {
                return Some(Err(job::io_reason("connect", &err, target.timeout)))
            }
        }
        connection.record.connect_ns = Some(job::nanos(connection.connect_clock, now));
        connection.stage = Stage::Sending;
        connection.idle_deadline = now + target.timeout;
    }
    if connection.stage == Stage::Sending {
        return send(connection, target, poller, counters);
    }
    if !event.readable {
        return None;
    }
    counters.recv += 1;
    match buffer.recv(&connection.socket) {
        Ok([]) => {
            let end = Instant::now();
            connection.record.transfer_ns =
                connection.first_byte.map(|first| job::nanos(first, end));
            Some(connection.reader.finish())
        }
        Ok(bytes) => {
            let now = Instant::now();
            if connection.first_byte.is_none() {
                connection.first_byte = Some(now);
                connection.record.ttfb_ns = Some(job::nanos(connection.request_done, now));
            }
            connection.idle_deadline = now + target.timeout;
            connection.reader.feed(bytes).err().map(Err)
        }
        Err(err)
            if err.kind() == io::ErrorKind::WouldBlock
                || err.kind() == io::ErrorKind::Interrupted =>
        {
            None
        }
        Err(err) => Some(Err(job::io_reason("recv", &err, target.timeout))),
    }
}

/// Sends what is left of the request; once it is all out, waits for the response instead.
fn send(
    connection: &mut Connection,
    target: &Target,
    poller: &Poller,
    counters: &mut Counters,
) -> Option<Verdict> {
    while connection.sent < target.request.len() {
        counters.send += 1;
        match (&connection.socket).write(&target.request[connection.sent..]) {
            Ok(n) => connection.sent += n,
            Err(err) if err.kind() == io::ErrorKind::WouldBlock => return None,
            Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
            Err(err) => return Some(Err(job::io_reason("send", &err, target.timeout))),
        }
    }
    let now = Instant::now();
    connection.request_done = now;
    connection.idle_deadline = now + target.timeout;
    connection.stage = Stage::Receiving;
    let key = connection.record.job as usize;
    match poller.modify_with_mode(&connection.socket, Event::readable(key), PollMode::Level) {
        Ok(()) => None,
        Err(err) => Some(Err(format!("poller update failed: {err}"))),
    }
}

/// Unregisters and closes a finished connection and completes its record.
fn close(connection: Connection, poller: &Poller, verdict: Verdict) -> Finished {
    let Connection {
        socket,
        record,
        reader,
        ..
    } = connection;
    let _ = poller.delete(&socket);
    drop(socket);
    Finished::new(record, &reader, verdict.err())
}

/// Fails every connection whose idle deadline has passed; returns how many.
fn sweep(
    slots: &mut [Option<Connection>],
    now: Instant,
    target: &Target,
    poller: &Poller,
    collector: &mut Collector,
    sink: &mut JobSink,
) -> usize {
    let mut ended = 0;
    for slot in slots.iter_mut() {
        if !slot.as_ref().is_some_and(|c| now >= c.idle_deadline) {
            continue;
        }
        let connection = slot.take().expect("checked above");
        let reason = match connection.stage {
            Stage::Connecting => job::connect_timeout(target.timeout),
            Stage::Sending => format!(
                "timed out after {} sending the request",
                job::human(target.timeout)
            ),
            Stage::Receiving => job::data_timeout(target.timeout),
        };
        collector.add(close(connection, poller, Err(reason)), sink);
        ended += 1;
    }
    ended
}

/// Ends every connection still open with `reason`.
fn end_all(
    slots: &mut [Option<Connection>],
    poller: &Poller,
    reason: &str,
    collector: &mut Collector,
    sink: &mut JobSink,
) {
    for slot in slots.iter_mut() {
        if let Some(connection) = slot.take() {
            collector.add(close(connection, poller, Err(reason.to_string())), sink);
        }
    }
}
