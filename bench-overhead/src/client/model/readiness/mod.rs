//! The `poll` model: one thread multiplexes every connection through a readiness API, with
//! non-blocking sockets. The API is a [`Poller`] backend, one file each: `epoll` (Linux), `kqueue`
//! (BSDs, macOS), `poll` (plain poll(2), every Unix) and `polling` (the crate a Rust program would
//! use; its own extra calls — a timer and re-arming per wait on Linux, a pipe per change on Haiku —
//! are then a finding, not a hidden cost). The raw backends make one wait per wakeup,
//! level-triggered, with the sweep interval as the wait's timeout, and no per-wait timer or re-arm.
//!
//! All connections are opened first (socket, register, non-blocking `connect()`), then one loop
//! waits for readiness and moves each connection along: connected → request sent → response read
//! until its exchange is done. Each ready connection gets one `recv` per wakeup, as a plain poll(2)
//! loop does; a download's socket reports readiness only once `--low-water` bytes have arrived
//! (`low_water.rs` says why and how). A connection's `connect` phase holds the time the loop spent
//! opening the others before its first wait (`queued_ns`, see `phases.rs`).
//!
//! A churn job's next connection is opened where its last one is finished (`finish`, by
//! [`job::reconnects`]), in the same slot and with the same poller key.
//!
//! One receive buffer serves every connection: data is only counted, so nothing needs to outlive
//! a `recv`. (The old suite's 4 MiB per connection, 306 MiB at 100 connections, measured the
//! benchmark's memory rather than the OS's.)
//!
//! Open loop (`--rate`): a connection whose next request waits for its time is put on the loop's
//! timers ([`Timers`]); the wait is bounded by the earliest, and a connection whose time has
//! come sends then. While it waits by the schedule its idle deadline runs from its due time.
//!
//! Nothing can hang: each connection has an idle deadline (`--timeout` without progress) and the
//! speed floor, checked by a periodic sweep; the whole run has `--run-timeout`.

mod epoll;
#[cfg(any(
    target_os = "macos",
    target_os = "ios",
    target_os = "freebsd",
    target_os = "netbsd",
    target_os = "openbsd",
    target_os = "dragonfly"
))]
mod kqueue;
mod low_water;
mod plain_poll;
mod polling;

use std::io;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::time::{Duration, Instant};

use crate::client::exchange::{AnyExchange, Exchange, Progress};
use crate::client::interrupt;
use crate::client::job::{self, Collector, Finished, Outcome, SpeedFloor, Stage, Target};
use crate::client::model::Backend;
use crate::client::net::{self, RecvBuffer};
use crate::client::pace::Timers;
use crate::client::phases::Timeline;
use crate::client::syscalls::Counters;
use crate::client::tcp_info;
use low_water::LowWater;

/// What a connection waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Interest {
    Write,
    Read,
}

/// One ready connection from a wait.
#[derive(Debug, Clone, Copy)]
pub struct Ready {
    pub key: usize,
    pub readable: bool,
    pub writable: bool,
    /// The API reported an error or hang-up (or cannot tell: then `SO_ERROR` is read).
    pub error: bool,
}

/// A readiness API. Each backend counts its own system calls (`wait`, `ctl`) into `counters`.
pub trait Poller {
    fn add(
        &mut self,
        fd: BorrowedFd,
        key: usize,
        interest: Interest,
        counters: &mut Counters,
    ) -> io::Result<()>;
    fn modify(
        &mut self,
        fd: BorrowedFd,
        key: usize,
        interest: Interest,
        counters: &mut Counters,
    ) -> io::Result<()>;
    /// Called before the socket is closed; raw epoll and kqueue need nothing (close removes it).
    fn remove(&mut self, fd: BorrowedFd, key: usize, counters: &mut Counters) -> io::Result<()>;
    /// Descriptors the client itself opened for the poller (closed with it, each counted).
    fn descriptors(&self) -> u64;
    /// One wait of at most `timeout`; `ready` is cleared and filled.
    fn wait(
        &mut self,
        timeout: Duration,
        ready: &mut Vec<Ready>,
        counters: &mut Counters,
    ) -> io::Result<()>;
}

/// Opens `backend`'s poller, counting its creation; an error names the backend.
fn open_poller(
    backend: Backend,
    capacity: usize,
    counters: &mut Counters,
) -> anyhow::Result<Box<dyn Poller>> {
    let poller: Box<dyn Poller> = match backend {
        Backend::Epoll => Box::new(epoll::Epoll::new(capacity, counters)?),
        #[cfg(any(
            target_os = "macos",
            target_os = "ios",
            target_os = "freebsd",
            target_os = "netbsd",
            target_os = "openbsd",
            target_os = "dragonfly"
        ))]
        Backend::Kqueue => Box::new(kqueue::Kqueue::new(capacity, counters)?),
        Backend::Poll => Box::new(plain_poll::PlainPoll::new(capacity)),
        Backend::Polling => Box::new(polling::Polling::new(capacity)?),
        #[allow(unreachable_patterns)]
        other => anyhow::bail!(
            "the {} backend does not exist on this OS: use {}",
            other.name(),
            Backend::available()
                .iter()
                .map(|b| b.name())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    Ok(poller)
}

/// One job in flight.
struct Connection {
    /// The job index, which is also its slot and its key with the poller.
    job: u32,
    socket: OwnedFd,
    exchange: AnyExchange,
    timeline: Timeline,
    stage: Stage,
    /// What the poller waits for on this socket now (a change is one `ctl` call).
    interest: Interest,
    floor: SpeedFloor,
    /// The job fails if it makes no progress by then.
    idle_deadline: Instant,
    /// The socket's low-water mark (`SO_RCVLOWAT`).
    mark: low_water::Mark,
}

impl job::Watched for Connection {
    fn overdue(&mut self, now: Instant, target: &Target) -> Option<String> {
        let bytes = self.exchange.progress_bytes();
        job::overdue(
            self.stage,
            self.idle_deadline,
            &mut self.floor,
            now,
            bytes,
            target,
        )
    }
}

/// A job that is over: `Err` carries the failure reason.
type Verdict = Result<(), String>;

/// Everything one step of the loop needs besides the connection.
struct Loop<'a> {
    target: &'a Target,
    poller: Box<dyn Poller>,
    buffer: RecvBuffer,
    counters: Counters,
    collector: Collector,
    start: Instant,
    /// Open loop: connections waiting for their next request's time.
    timers: Timers,
    low_water: LowWater,
}

pub fn run(target: &Target, connections: u32, backend: Backend) -> anyhow::Result<Outcome> {
    let mut counters = Counters::default();
    let poller = open_poller(backend, connections as usize, &mut counters)?;
    let start = Instant::now();
    let mut state = Loop {
        target,
        poller,
        buffer: RecvBuffer::new(target.buffer_size),
        counters,
        collector: Collector::new(connections),
        start,
        timers: Timers::default(),
        low_water: LowWater::new(target.low_water),
    };
    let deadline = start + target.run_timeout;

    let mut slots: Vec<Option<Connection>> = Vec::with_capacity(connections as usize);
    for job in 0..connections {
        if interrupt::requested() {
            break;
        }
        match state.open(job, target.exchange(job), Timeline::new(Instant::now())) {
            Ok(connection) => slots.push(Some(connection)),
            Err(finished) => {
                slots.push(None);
                state.collector.add(*finished);
            }
        }
    }
    let mut active = slots.iter().filter(|slot| slot.is_some()).count();

    let first_wait = Instant::now();
    for connection in slots.iter_mut().flatten() {
        connection.timeline.queued_until = Some(first_wait);
    }

    // Idle deadlines are checked this often: a timeout fires at most its slack late, and an idle
    // run wakes only this often.
    let sweep_every = job::limit_slack(target.timeout);
    let mut next_sweep = first_wait + sweep_every;
    let mut ready = Vec::with_capacity(connections.min(1024) as usize);
    let mut interrupted = false;
    while active > 0 {
        if interrupt::requested() {
            interrupted = true;
            state.end_all(&mut slots, job::INTERRUPTED);
            break;
        }
        let Some(left) = job::time_left(deadline) else {
            state.end_all(&mut slots, &job::run_deadline(target.run_timeout));
            break;
        };
        let now = Instant::now();
        let wait = match state.timers.next() {
            // A request's time: waited for exactly (the backend rounds up, never down).
            Some(due) if due < next_sweep => due.saturating_duration_since(now),
            _ => next_sweep.saturating_duration_since(now).max(job::MIN_WAIT),
        }
        .min(left);
        if let Err(err) = state.poller.wait(wait, &mut ready, &mut state.counters) {
            if err.kind() != io::ErrorKind::Interrupted {
                let reason = format!("readiness wait failed: {err}");
                state.end_all(&mut slots, &reason);
                break;
            }
        }
        for event in &ready {
            if state.advance(&mut slots, event.key, |state, c| state.step(c, event)) {
                active -= 1;
            }
        }
        let now = Instant::now();
        while let Some(job) = state.timers.pop_due(now) {
            if state.advance(&mut slots, job as usize, |state, c| state.due(c, now)) {
                active -= 1;
            }
        }
        if now >= next_sweep {
            active -= state.sweep(&mut slots, now);
            next_sweep = now + sweep_every;
        }
    }
    let Loop {
        collector,
        mut counters,
        poller,
        low_water,
        ..
    } = state;
    for _ in 0..poller.descriptors() {
        counters.count(crate::client::syscalls::Kind::Close);
    }
    drop(poller);
    let mut outcome = collector.into_outcome(start, counters);
    outcome.recv_buffer_bytes = target.buffer_size as u64;
    outcome.interrupted = interrupted;
    outcome.features = low_water.features();
    Ok(outcome)
}

impl Loop<'_> {
    /// Creates a socket for job `job` (its first, or churn's next: `exchange` and `timeline` are
    /// the job's), registers it and starts a non-blocking connect. A job that fails here is
    /// returned finished.
    fn open(
        &mut self,
        job: u32,
        mut exchange: AnyExchange,
        mut timeline: Timeline,
    ) -> Result<Connection, Box<Finished>> {
        let target = self.target;
        exchange.opening(Instant::now());
        let fail = |timeline: Timeline, exchange: &mut AnyExchange, reason: String| {
            Box::new(Finished::new(
                target,
                job,
                timeline,
                exchange,
                Some(reason),
                self.start,
            ))
        };
        let socket = match net::tcp_socket(target.address, true, &mut self.counters) {
            Ok(socket) => socket,
            Err(err) => {
                return Err(fail(
                    timeline,
                    &mut exchange,
                    format!("socket failed: {err}"),
                ))
            }
        };
        Timeline::mark(&mut timeline.socket);
        let registered = self.poller.add(
            socket_fd(&socket),
            job as usize,
            Interest::Write,
            &mut self.counters,
        );
        if let Err(err) = registered {
            net::close(socket, &mut self.counters);
            let reason = format!("poller registration failed: {err}");
            return Err(fail(timeline, &mut exchange, reason));
        }
        Timeline::mark(&mut timeline.connect_issued);
        // Done at once or under way, the loop learns the outcome from writability.
        match net::connect(&socket, target.address, &mut self.counters) {
            Ok(()) => {}
            Err(err) if net::in_progress(&err) => {}
            Err(err) => {
                let _ = self
                    .poller
                    .remove(socket_fd(&socket), job as usize, &mut self.counters);
                net::close(socket, &mut self.counters);
                let reason = job::io_reason("connect", &err, target.timeout);
                return Err(fail(timeline, &mut exchange, reason));
            }
        }
        let now = Instant::now();
        Ok(Connection {
            job,
            socket,
            exchange,
            timeline,
            stage: Stage::Connecting,
            interest: Interest::Write,
            floor: SpeedFloor::new(now),
            idle_deadline: now + target.timeout,
            mark: low_water::Mark::default(),
        })
    }

    /// Moves the connection in slot `job` (if any) along with `step`; a job that is over is
    /// finished, or goes on over a new connection (churn). Whether the slot emptied.
    fn advance(
        &mut self,
        slots: &mut [Option<Connection>],
        job: usize,
        step: impl FnOnce(&mut Self, &mut Connection) -> Option<Verdict>,
    ) -> bool {
        let Some(slot) = slots.get_mut(job) else {
            return false;
        };
        let Some(connection) = slot.as_mut() else {
            return false;
        };
        let Some(verdict) = step(self, connection) else {
            return false;
        };
        let connection = slot.take().expect("the slot held a connection just now");
        *slot = self.finish(job as u32, connection, verdict);
        slot.is_none()
    }

    /// Moves `connection` along after a readiness event; `Some` when the job is over.
    fn step(&mut self, connection: &mut Connection, event: &Ready) -> Option<Verdict> {
        let target = self.target;
        if connection.stage == Stage::Connecting {
            if !(event.writable || event.readable || event.error) {
                return None;
            }
            // Readiness after a non-blocking connect means it is over; with an error reported,
            // SO_ERROR says which.
            if event.error {
                if let Err(err) = net::socket_error(&connection.socket, &mut self.counters) {
                    return Some(Err(job::io_reason("connect", &err, target.timeout)));
                }
            }
            let now = Instant::now();
            connection.timeline.established_now(now);
            connection.exchange.connected(now);
            connection.floor = SpeedFloor::new(now);
            connection.stage = Stage::Sending;
            connection.idle_deadline = now + target.timeout;
            // A first request held for its time leaves nothing to send: the connection waits
            // reading (a server's close is seen) until its timer.
            let held = self.held(connection, now);
            let verdict = self.send(connection);
            if let Some(due) = held {
                connection.idle_deadline = due + target.timeout;
            }
            return verdict;
        }
        if connection.stage == Stage::Sending {
            return self.send(connection);
        }
        if !(event.readable || event.error) {
            return None;
        }
        let progress = match self.buffer.recv(&connection.socket, &mut self.counters) {
            Ok([]) => {
                connection.timeline.end = Some(Instant::now());
                return Some(connection.exchange.closed());
            }
            Ok(bytes) => {
                connection.timeline.first_byte_now();
                match connection.exchange.received(bytes) {
                    Ok(progress) => progress,
                    Err(reason) => return Some(Err(reason)),
                }
            }
            Err(err)
                if err.kind() == io::ErrorKind::WouldBlock
                    || err.kind() == io::ErrorKind::Interrupted =>
            {
                return None
            }
            Err(err) => return Some(Err(job::io_reason("recv", &err, target.timeout))),
        };
        let now = Instant::now();
        if progress == Progress::Done {
            connection.timeline.end = Some(now);
            return Some(Ok(()));
        }
        self.low_water.follow(
            &connection.socket,
            &mut connection.mark,
            connection.exchange.body_remaining(),
            &mut self.counters,
        );
        connection.idle_deadline = now + target.timeout;
        if let Some(due) = self.held(connection, now) {
            connection.idle_deadline = due + target.timeout;
            return None;
        }
        if !connection.exchange.to_send().is_empty() {
            // The next request (keep-alive): sent at once, as the socket is almost always
            // writable; the poller is asked for writability only when it is not.
            return self.send(connection);
        }
        None
    }

    /// Open loop: whether `connection`'s next request waits for its time, which is then on the
    /// timers; a request whose time has come is released to be sent.
    fn held(&mut self, connection: &mut Connection, now: Instant) -> Option<Instant> {
        let due = connection.exchange.next_due(now)?;
        self.timers.push(due, connection.job);
        Some(due)
    }

    /// Open loop: `connection`'s timer fired at `now`: its request is sent, unless it is not
    /// due yet (a stale timer; it is put back). `Some` when the job is over.
    fn due(&mut self, connection: &mut Connection, now: Instant) -> Option<Verdict> {
        if self.held(connection, now).is_some() || connection.stage != Stage::Receiving {
            return None;
        }
        // The time it waited by the schedule was not the server's: the floor starts again.
        connection.floor = SpeedFloor::new(now);
        self.send(connection)
    }

    /// Sends what the exchange has to send; once it is all out, waits for the response instead.
    /// The poller's interest changes only when it must: to writability when a send would block,
    /// back to readability once all is out.
    fn send(&mut self, connection: &mut Connection) -> Option<Verdict> {
        connection.stage = Stage::Sending;
        while !connection.exchange.to_send().is_empty() {
            match net::send(
                &connection.socket,
                connection.exchange.to_send(),
                &mut self.counters,
            ) {
                Ok(n) => connection.exchange.sent(n),
                Err(err) if err.kind() == io::ErrorKind::WouldBlock => {
                    return self.interest(connection, Interest::Write)
                }
                Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
                Err(err) => return Some(Err(job::io_reason("send", &err, self.target.timeout))),
            }
        }
        connection.idle_deadline = Instant::now() + self.target.timeout;
        connection.stage = Stage::Receiving;
        self.interest(connection, Interest::Read)
    }

    /// Makes the poller wait for `interest` on `connection` (one `ctl` call when it changes).
    fn interest(&mut self, connection: &mut Connection, interest: Interest) -> Option<Verdict> {
        if connection.interest == interest {
            return None;
        }
        let key = connection.job as usize;
        let fd = socket_fd(&connection.socket);
        match self.poller.modify(fd, key, interest, &mut self.counters) {
            Ok(()) => {
                connection.interest = interest;
                None
            }
            Err(err) => Some(Err(format!("poller update failed: {err}"))),
        }
    }

    /// Unregisters and closes a finished connection and records its job — or, when the job goes
    /// on over a new connection (churn), returns that one.
    fn finish(&mut self, job: u32, connection: Connection, verdict: Verdict) -> Option<Connection> {
        let Connection {
            socket,
            mut exchange,
            mut timeline,
            ..
        } = connection;
        let again = job::reconnects(&verdict, &exchange, &mut timeline);
        let tcp = if again {
            None
        } else {
            tcp_info::of_job(&socket, &timeline)
        };
        let _ = self
            .poller
            .remove(socket_fd(&socket), job as usize, &mut self.counters);
        net::close(socket, &mut self.counters);
        if again {
            return match self.open(job, exchange, timeline) {
                Ok(connection) => Some(connection),
                Err(finished) => {
                    self.collector.add(*finished);
                    None
                }
            };
        }
        let mut finished = Finished::new(
            self.target,
            job,
            timeline,
            &mut exchange,
            verdict.err(),
            self.start,
        );
        finished.record.set_tcp_info(tcp);
        self.collector.add(finished);
        None
    }

    /// Ends a connection that failed with `reason` (a failure never reconnects). Bytes its
    /// low-water mark may still hide arrived before the end, so one recv adds them to its record.
    fn fail(&mut self, job: u32, mut connection: Connection, reason: String) {
        if connection.mark.may_hide() {
            if let Ok(bytes) = self.buffer.recv(&connection.socket, &mut self.counters) {
                if !bytes.is_empty() {
                    // The job fails with `reason` whatever these bytes would have said.
                    let _ = connection.exchange.received(bytes);
                }
            }
        }
        let _ = self.finish(job, connection, Err(reason));
    }

    /// Fails every connection past its idle deadline or below the speed floor; returns how many.
    /// First, a connection that has shown nothing for a sweep interval while its low-water mark
    /// may hide bytes has the mark released, so idleness is judged on every byte that arrived.
    fn sweep(&mut self, slots: &mut [Option<Connection>], now: Instant) -> usize {
        let target = self.target;
        let quiet_since = now + target.timeout - job::limit_slack(target.timeout);
        for connection in slots.iter_mut().flatten() {
            if connection.mark.holds() && connection.idle_deadline <= quiet_since {
                self.low_water.release(
                    &connection.socket,
                    &mut connection.mark,
                    &mut self.counters,
                );
            }
        }
        job::sweep_overdue(slots, now, target, |job, connection, reason| {
            self.fail(job, connection, reason)
        })
    }

    /// Ends every connection still open with `reason`.
    fn end_all(&mut self, slots: &mut [Option<Connection>], reason: &str) {
        job::end_each(slots, |job, connection| {
            self.fail(job, connection, reason.to_string())
        });
    }
}

fn socket_fd(socket: &OwnedFd) -> BorrowedFd<'_> {
    socket.as_fd()
}
