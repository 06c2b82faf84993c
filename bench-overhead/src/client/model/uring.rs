//! The `uring` model (Linux): completion-based, with the `io-uring` crate. One thread; each
//! connection's connect, send and receive are submissions, and one `io_uring_enter` per loop turn
//! both submits what the turn queued and waits for completions (a download for a few at once,
//! [`DOWNLOAD_BATCH`]; the sweep interval is its timeout), so system calls are per batch, not per
//! operation.
//!
//! What it uses of io_uring, probed at start and recorded in `backend_features`:
//! - `IORING_OP_CONNECT` and `IORING_OP_SEND`, one submission each (a short send is resubmitted);
//! - multishot receive (`IORING_OP_RECV` with `IORING_RECV_MULTISHOT`, Linux 6.0) with provided
//!   buffers (`IORING_OP_PROVIDE_BUFFERS`): one receive submission per connection yields a
//!   completion per chunk, each in a buffer the kernel picks from one shared pool, returned to the
//!   pool by a submission in the next batch (without a completion of its own where the kernel has
//!   `IOSQE_CQE_SKIP_SUCCESS`). A download's pool is [`POOL_BUFFERS`] buffers of at most
//!   [`POOL_BUFFER_MAX`] bytes (`--buffer-size` when smaller): what the model allocates, whatever
//!   the connection count. A request-rate workload's is a buffer per connection ([`pool_shape`]),
//!   small: a pool run dry ends every multishot receive it feeds, which then must be armed again.
//!   A download's pool runs dry often, and the record says how often (`backend_features`): at
//!   100 × 200 MiB from lighttpd here about once per data completion, as the kernel's multishot
//!   loop fills several buffers per connection per wait. A pool of 100 × 1 MiB ran dry a fifth
//!   as often and moved data no faster, for six times the memory.
//! - no low-water mark (`--low-water` is the poll model's). Set once the head is in, as the poll
//!   model sets it, it did not make this loop faster here (100 × 200 MiB, interleaved: median
//!   3.1 against 3.9 GiB/s over 8 rounds, 3.3 against 3.3 over 12): a receive armed again after
//!   the pool ran dry reads at once, whatever the mark, and in most runs the pool kept running
//!   dry. Set before the request it helped, but it would hide the head and so move time from the
//!   transfer into ttfb.
//! - deferred task work (`IORING_SETUP_DEFER_TASKRUN` with `SINGLE_ISSUER`, Linux 6.1): the
//!   kernel's part of a completion runs when the loop enters to wait, not by interrupting the loop
//!   (at 100 keep-alive connections over two loops, 70–79k → 99–100k requests/s here, and 12–13.6
//!   → 9 µs of CPU per request); a kernel without it gets a plain ring.
//! - `IORING_OP_ASYNC_CANCEL` for the receive of a connection that is done before its server
//!   closed (Content-Length reached), then `close()`.
//!
//! A churn job's next connection is opened where its last one is finished (`finish`, by
//! [`job::reconnects`]), in the same slot. Its operations carry the connection's generation in
//! their user data, so a late completion of the last connection's (its cancelled receive) is
//! told apart and dropped, its buffer given back.
//!
//! Registered files are not used: every socket is used by few submissions, so the saving per
//! operation would not show beside a `socket()` per connection. Sockets are made with a plain
//! `socket()` (counted), blocking: io_uring drives them itself.
//!
//! Open loop (`--rate`): a connection whose next request waits for its time is put on the ring's
//! [`Timers`]; `io_uring_enter`'s wait timeout is bounded by the earliest (no timeout
//! submission needed), and the send is queued once its time has come.
//!
//! Where the kernel refuses io_uring (`kernel.io_uring_disabled`, seccomp, an old kernel), one
//! line says so and the model is skipped (no record), never faked.

use std::io;
use std::os::fd::{AsRawFd, OwnedFd};
use std::time::{Duration, Instant};

use io_uring::{cqueue, opcode, squeue, types, IoUring};

use crate::client::exchange::{AnyExchange, Exchange, Progress};
use crate::client::interrupt;
use crate::client::job::{self, Collector, Finished, Outcome, SpeedFloor, Stage, Target};
use crate::client::net;
use crate::client::pace::Timers;
use crate::client::phases::Timeline;
use crate::client::syscalls::{Counters, Kind};
use crate::client::tcp_info;

/// Buffers in a download's provided-buffer pool.
pub const POOL_BUFFERS: u16 = 16;
/// A request-rate workload's pool: a buffer per connection of the loop (each has one small
/// response in flight, and a pool that runs dry ends every multishot receive it feeds), within
/// these bounds, of [`REQUEST_BUFFER_MAX`] bytes at most.
const REQUEST_POOL_BUFFERS: (u16, u16) = (16, 256);
const REQUEST_BUFFER_MAX: usize = 64 * 1024;
/// Bytes per pool buffer at most.
pub const POOL_BUFFER_MAX: usize = 1024 * 1024;
const BUFFER_GROUP: u16 = 0;

/// What a completion is for: the low byte of its user data; the job index is above it (32 bits),
/// then the low [`GENERATION_BITS`] of the job's connection count.
const OP_CONNECT: u64 = 1;
const OP_SEND: u64 = 2;
const OP_RECV: u64 = 3;
/// Provide-buffers and cancel completions carry no job.
const OP_POOL: u64 = 4;
const OP_CANCEL: u64 = 5;

const GENERATION_BITS: u32 = 24;

fn user_data(job: u32, generation: u32, op: u64) -> u64 {
    let generation = u64::from(generation) & ((1 << GENERATION_BITS) - 1);
    (generation << 40) | (u64::from(job) << 8) | op
}

/// The job and connection generation a completion's user data names.
fn job_of(data: u64) -> (u32, u32) {
    ((data >> 8) as u32, (data >> 40) as u32)
}

struct Connection {
    /// Which of its job's connections this is (churn opens several), modulo 2^24: a completion
    /// of an earlier one is not this one's.
    generation: u32,
    socket: OwnedFd,
    exchange: AnyExchange,
    timeline: Timeline,
    stage: Stage,
    floor: SpeedFloor,
    idle_deadline: Instant,
    /// A multishot receive is armed (its last completion had the MORE flag).
    receiving: bool,
    /// A send submission is in flight.
    sending: bool,
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

/// The provided-buffer pool: `count` buffers of `size` bytes in one allocation.
struct Pool {
    memory: Vec<u8>,
    size: usize,
    /// Buffers go back with `IOSQE_CQE_SKIP_SUCCESS`: no completion unless it fails.
    quiet_returns: bool,
}

/// The pool's buffers and their size: a download's [`POOL_BUFFERS`] of `--buffer-size` (at most
/// [`POOL_BUFFER_MAX`]); a request-rate workload's one per connection, of at most
/// [`REQUEST_BUFFER_MAX`].
fn pool_shape(target: &Target, connections: u32) -> (u16, usize) {
    if target.workload.request_rate() {
        let (least, most) = REQUEST_POOL_BUFFERS;
        let buffers = u16::try_from(connections)
            .unwrap_or(most)
            .clamp(least, most);
        (buffers, target.buffer_size.clamp(1, REQUEST_BUFFER_MAX))
    } else {
        (POOL_BUFFERS, target.buffer_size.clamp(1, POOL_BUFFER_MAX))
    }
}

impl Pool {
    fn buffer(&self, id: u16, len: usize) -> &[u8] {
        let start = usize::from(id) * self.size;
        &self.memory[start..start + len.min(self.size)]
    }

    /// The submission that gives buffer `id` (or, with `count` > 1, `count` buffers from it) back.
    fn provide(&mut self, id: u16, count: u16) -> squeue::Entry {
        let start = usize::from(id) * self.size;
        opcode::ProvideBuffers::new(
            self.memory[start..].as_mut_ptr(),
            self.size as i32,
            count,
            BUFFER_GROUP,
            id,
        )
        .build()
        .flags(if self.quiet_returns {
            squeue::Flags::SKIP_SUCCESS
        } else {
            squeue::Flags::empty()
        })
        .user_data(OP_POOL)
    }
}

struct Ring<'a> {
    target: &'a Target,
    ring: IoUring,
    pool: Pool,
    address: socket2::SockAddr,
    counters: Counters,
    collector: Collector,
    start: Instant,
    /// Open loop: connections waiting for their next request's time.
    timers: Timers,
    /// Receives that ended because the pool ran dry (and were armed again).
    pool_dry: u64,
}

/// Runs the model; `Ok(None)` when this kernel refuses io_uring (said on stderr).
pub fn run(target: &Target, connections: u32) -> anyhow::Result<Option<Outcome>> {
    let mut counters = Counters::default();
    let entries = (connections.saturating_add(64))
        .next_power_of_two()
        .clamp(64, 4096);
    // Task work (a multishot receive's data, a send's completion) runs when the loop enters the
    // kernel to wait, not by interrupting the loop wherever it is (IORING_SETUP_DEFER_TASKRUN,
    // Linux 6.1, which needs SINGLE_ISSUER: each loop's ring is used by its own thread only).
    // A kernel without them refuses the flags (EINVAL): then a plain ring.
    counters.count(Kind::Submit);
    let deferred = IoUring::builder()
        .setup_cqsize(entries * 4)
        .setup_single_issuer()
        .setup_defer_taskrun()
        .build(entries);
    let built = match deferred {
        Err(err) if err.raw_os_error() == Some(libc::EINVAL) => {
            counters.count(Kind::Submit);
            IoUring::builder()
                .setup_cqsize(entries * 4)
                .build(entries)
                .map(|ring| (ring, false))
        }
        other => other.map(|ring| (ring, true)),
    };
    let (ring, deferred) = match built {
        Ok(built) => built,
        Err(err) => {
            eprintln!(
                "bench-overhead: io_uring is not available here ({err}; see sysctl kernel.io_uring_disabled): the uring model is skipped"
            );
            return Ok(None);
        }
    };
    let mut probe = io_uring::Probe::new();
    counters.count(Kind::Submit);
    ring.submitter()
        .register_probe(&mut probe)
        .map_err(|err| anyhow::anyhow!("io_uring: cannot probe the kernel's operations: {err}"))?;
    let needed = [
        (opcode::Connect::CODE, "connect"),
        (opcode::Send::CODE, "send"),
        (opcode::RecvMulti::CODE, "recv"),
        (opcode::ProvideBuffers::CODE, "provide buffers"),
        (opcode::AsyncCancel::CODE, "cancel"),
    ];
    if let Some((_, name)) = needed.iter().find(|(code, _)| !probe.is_supported(*code)) {
        eprintln!(
            "bench-overhead: this kernel's io_uring has no {name} operation: the uring model is skipped"
        );
        return Ok(None);
    }
    let (buffers, size) = pool_shape(target, connections);
    // A buffer given back completes silently where the kernel can (Linux 5.17): one completion
    // fewer per receive.
    let quiet_returns = ring.params().is_feature_skip_cqe_on_success();
    let features = format!(
        "connect, send, multishot recv, provided buffers ({buffers} × {}{}){}",
        crate::units::format_bytes(size as u64),
        if quiet_returns {
            ", returned without a completion"
        } else {
            ""
        },
        if ring.params().is_feature_ext_arg() {
            ", wait timeout in io_uring_enter"
        } else {
            ""
        },
    ) + if deferred {
        ", task work deferred to the wait"
    } else {
        ""
    };
    anyhow::ensure!(
        ring.params().is_feature_ext_arg(),
        "io_uring here cannot time out a wait (IORING_FEAT_EXT_ARG, Linux 5.11): the uring model needs it"
    );
    let start = Instant::now();
    let mut state = Ring {
        target,
        ring,
        pool: Pool {
            memory: vec![0; size * usize::from(buffers)],
            size,
            quiet_returns,
        },
        address: socket2::SockAddr::from(target.address),
        counters,
        collector: Collector::new(connections),
        start,
        timers: Timers::default(),
        pool_dry: 0,
    };
    let all = state.pool.provide(0, buffers);
    state.push(&all);

    let deadline = start + target.run_timeout;
    let mut slots: Vec<Option<Connection>> = Vec::with_capacity(connections as usize);
    for job in 0..connections {
        if interrupt::requested() {
            break;
        }
        slots.push(state.open(job, 0, target.exchange(job), Timeline::new(Instant::now())));
    }
    let mut active = slots.iter().filter(|slot| slot.is_some()).count();
    let first_wait = Instant::now();
    for connection in slots.iter_mut().flatten() {
        connection.timeline.queued_until = Some(first_wait);
    }

    let sweep_every = job::limit_slack(target.timeout);
    let mut next_sweep = first_wait + sweep_every;
    let mut completions: Vec<(u64, i32, u32)> = Vec::with_capacity(entries as usize);
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
            Some(due) if due < next_sweep => due.saturating_duration_since(now),
            _ => next_sweep.saturating_duration_since(now).max(job::MIN_WAIT),
        }
        .min(left);
        if let Err(err) = state.enter(wait, completions_to_wait_for(target, active)) {
            let reason = format!("io_uring_enter failed: {err}");
            state.end_all(&mut slots, &reason);
            break;
        }
        completions.clear();
        completions.extend(
            state
                .ring
                .completion()
                .map(|cqe| (cqe.user_data(), cqe.result(), cqe.flags())),
        );
        for &(data, result, flags) in &completions {
            let op = data & 0xff;
            if op == OP_POOL || op == OP_CANCEL {
                continue;
            }
            // A buffer the kernel filled goes back to the pool, whether its job is still on.
            let buffer = cqueue::buffer_select(flags);
            let (job, generation) = job_of(data);
            let verdict = match slots.get_mut(job as usize).and_then(Option::as_mut) {
                Some(connection) if connection.generation == generation => {
                    state.complete(job, connection, op, result, flags, buffer)
                }
                _ => None,
            };
            if let Some(id) = buffer {
                let entry = state.pool.provide(id, 1);
                state.push(&entry);
            }
            if let Some(verdict) = verdict {
                let connection = slots[job as usize]
                    .take()
                    .expect("the slot held it just now");
                slots[job as usize] = state.finish(job, connection, verdict);
                if slots[job as usize].is_none() {
                    active -= 1;
                }
            }
        }
        let now = Instant::now();
        while let Some(job) = state.timers.pop_due(now) {
            if let Some(connection) = slots.get_mut(job as usize).and_then(Option::as_mut) {
                state.due(job, connection, now);
            }
        }
        if now >= next_sweep {
            active -= state.sweep(&mut slots, now);
            next_sweep = now + sweep_every;
        }
    }
    let Ring {
        ring,
        collector,
        mut counters,
        pool_dry,
        ..
    } = state;
    drop(ring);
    counters.count(Kind::Close);
    let mut outcome = collector.into_outcome(start, counters);
    outcome.recv_buffer_bytes = (size * usize::from(buffers)) as u64;
    outcome.features = features + &pool_dry_feature(pool_dry);
    outcome.interrupted = interrupted;
    Ok(Some(outcome))
}

/// What `backend_features` says of the receives the pool could not serve; empty for none.
fn pool_dry_feature(times: u64) -> String {
    match times {
        0 => String::new(),
        1 => ", pool ran dry once (a receive armed again)".to_string(),
        n => format!(", pool ran dry {n} times (receives armed again)"),
    }
}

type Verdict = Result<(), String>;

/// Completions a download waits for per `io_uring_enter`, at most: one enter per completion made
/// the uring model's calls per MiB higher than epoll's (a multishot receive completes once per
/// chunk that arrives), and with four the loop makes a fifth to a third of the calls at the same
/// throughput. The wait still ends at its timeout, so a slow tail is not held up.
const DOWNLOAD_BATCH: usize = 4;

/// How many completions the next enter waits for. A download's figures are bytes over the run,
/// and every active connection keeps completing receives, so it waits for a batch (never more
/// than the active connections). A request-rate workload times each response: a completion held
/// back for others would be added to its latency, so it waits for one.
fn completions_to_wait_for(target: &Target, active: usize) -> usize {
    if target.workload.request_rate() {
        1
    } else {
        active.clamp(1, DOWNLOAD_BATCH)
    }
}

impl Ring<'_> {
    /// Queues `entry`; when the submission queue is full, submits what it holds first.
    fn push(&mut self, entry: &squeue::Entry) {
        loop {
            // SAFETY: every buffer an entry points at outlives its operation: the bytes sent
            // are the run's `Arc<[u8]>` request held by the exchange until its job is finished
            // (a send completes before the job can) or the upload's static block of zeros, the socket address is `self.address`, and the pool
            // lives as long as the ring, which is dropped before it.
            if unsafe { self.ring.submission().push(entry) }.is_ok() {
                return;
            }
            self.counters.count(Kind::Submit);
            if let Err(err) = self.ring.submit() {
                if err.raw_os_error() != Some(libc::EBUSY)
                    && err.raw_os_error() != Some(libc::EINTR)
                {
                    return; // The next enter reports it.
                }
            }
        }
    }

    /// One `io_uring_enter`: submit what is queued, wait up to `wait` for `want` completions.
    fn enter(&mut self, wait: Duration, want: usize) -> io::Result<()> {
        let timespec = types::Timespec::new()
            .sec(wait.as_secs())
            .nsec(wait.subsec_nanos());
        let args = types::SubmitArgs::new().timespec(&timespec);
        self.counters.count(Kind::Submit);
        match self.ring.submitter().submit_with_args(want, &args) {
            Ok(_) => Ok(()),
            Err(err)
                if matches!(
                    err.raw_os_error(),
                    Some(libc::ETIME) | Some(libc::EINTR) | Some(libc::EBUSY)
                ) =>
            {
                Ok(())
            }
            Err(err) => Err(err),
        }
    }

    /// A socket for job `job` (its first, or churn's next: `exchange` and `timeline` are the
    /// job's) and its connect submission; `None` when it failed at once (recorded).
    fn open(
        &mut self,
        job: u32,
        generation: u32,
        mut exchange: AnyExchange,
        mut timeline: Timeline,
    ) -> Option<Connection> {
        let target = self.target;
        exchange.opening(Instant::now());
        let socket = match net::tcp_socket(target.address, false, &mut self.counters) {
            Ok(socket) => socket,
            Err(err) => {
                let finished = Finished::new(
                    target,
                    job,
                    timeline,
                    &mut exchange,
                    Some(format!("socket failed: {err}")),
                    self.start,
                );
                self.collector.add(finished);
                return None;
            }
        };
        Timeline::mark(&mut timeline.socket);
        let connect = opcode::Connect::new(
            types::Fd(socket.as_raw_fd()),
            self.address.as_ptr().cast(),
            self.address.len(),
        )
        .build()
        .user_data(user_data(job, generation, OP_CONNECT));
        self.push(&connect);
        let now = Instant::now();
        Timeline::mark(&mut timeline.connect_issued);
        Some(Connection {
            generation,
            socket,
            exchange,
            timeline,
            stage: Stage::Connecting,
            floor: SpeedFloor::new(now),
            idle_deadline: now + target.timeout,
            receiving: false,
            sending: false,
        })
    }

    fn send(&mut self, job: u32, connection: &mut Connection) {
        let bytes = connection.exchange.to_send();
        let entry = opcode::Send::new(
            types::Fd(connection.socket.as_raw_fd()),
            bytes.as_ptr(),
            bytes.len().min(u32::MAX as usize) as u32,
        )
        .build()
        .user_data(user_data(job, connection.generation, OP_SEND));
        self.push(&entry);
        connection.stage = Stage::Sending;
        connection.sending = true;
    }

    fn arm_recv(&mut self, job: u32, connection: &mut Connection) {
        let entry = opcode::RecvMulti::new(types::Fd(connection.socket.as_raw_fd()), BUFFER_GROUP)
            .build()
            .user_data(user_data(job, connection.generation, OP_RECV));
        self.push(&entry);
        connection.receiving = true;
        connection.stage = Stage::Receiving;
    }

    /// One completion of job `job`; `Some` when the job is over.
    fn complete(
        &mut self,
        job: u32,
        connection: &mut Connection,
        op: u64,
        result: i32,
        flags: u32,
        buffer: Option<u16>,
    ) -> Option<Verdict> {
        let target = self.target;
        let now = Instant::now();
        let error = |what: &str| {
            let err = io::Error::from_raw_os_error(-result);
            job::io_reason(what, &err, target.timeout)
        };
        match op {
            OP_CONNECT => {
                if result < 0 {
                    return Some(Err(error("connect")));
                }
                connection.timeline.established_now(now);
                connection.exchange.connected(now);
                connection.floor = SpeedFloor::new(now);
                connection.idle_deadline = now + target.timeout;
                connection.stage = Stage::Sending;
                if let Some(due) = self.held(job, connection, now) {
                    // The first request waits for its time; nothing is in flight meanwhile.
                    connection.idle_deadline = due + target.timeout;
                    return None;
                }
                self.send(job, connection);
                None
            }
            OP_SEND => {
                connection.sending = false;
                if result < 0 {
                    return Some(Err(error("send")));
                }
                connection.exchange.sent(result as usize);
                connection.idle_deadline = now + target.timeout;
                if connection.exchange.to_send().is_empty() {
                    if !connection.receiving {
                        self.arm_recv(job, connection);
                    }
                    connection.stage = Stage::Receiving;
                } else {
                    self.send(job, connection);
                }
                None
            }
            OP_RECV => {
                connection.receiving = cqueue::more(flags);
                if result == -libc::ENOBUFS {
                    // The pool ran dry: the buffers of this batch are being given back; listen again.
                    self.pool_dry += 1;
                    self.arm_recv(job, connection);
                    return None;
                }
                if result < 0 {
                    return Some(Err(error("recv")));
                }
                if result == 0 {
                    connection.timeline.end = Some(now);
                    return Some(connection.exchange.closed());
                }
                let Some(id) = buffer else {
                    return Some(Err("io_uring: a receive completed without a buffer".into()));
                };
                connection.timeline.first_byte_now();
                let data = self.pool.buffer(id, result as usize);
                match connection.exchange.received(data) {
                    Ok(Progress::Done) => {
                        connection.timeline.end = Some(Instant::now());
                        Some(Ok(()))
                    }
                    Ok(Progress::Continue) => {
                        connection.idle_deadline = now + target.timeout;
                        if let Some(due) = self.held(job, connection, now) {
                            connection.idle_deadline = due + target.timeout;
                        }
                        if !connection.exchange.to_send().is_empty() {
                            self.send(job, connection);
                        } else if !connection.receiving {
                            self.arm_recv(job, connection);
                        }
                        None
                    }
                    Err(reason) => Some(Err(reason)),
                }
            }
            _ => None,
        }
    }

    /// Open loop: whether job `job`'s next request waits for its time, which is then on the
    /// timers; a request whose time has come is released to be sent.
    fn held(&mut self, job: u32, connection: &mut Connection, now: Instant) -> Option<Instant> {
        let due = connection.exchange.next_due(now)?;
        self.timers.push(due, job);
        Some(due)
    }

    /// Open loop: job `job`'s timer fired at `now`: its request is queued for the next enter,
    /// unless it is not due yet (a stale timer; it is put back) or a send is in flight.
    fn due(&mut self, job: u32, connection: &mut Connection, now: Instant) {
        if self.held(job, connection, now).is_some()
            || connection.sending
            || connection.exchange.to_send().is_empty()
        {
            return;
        }
        // The time it waited by the schedule was not the server's: the floor starts again.
        connection.floor = SpeedFloor::new(now);
        connection.idle_deadline = now + self.target.timeout;
        self.send(job, connection);
    }

    /// Cancels what the connection still has in flight, closes its socket and records its job —
    /// or, when the job goes on over a new connection (churn), returns that one.
    fn finish(&mut self, job: u32, connection: Connection, verdict: Verdict) -> Option<Connection> {
        let Connection {
            generation,
            socket,
            mut exchange,
            mut timeline,
            receiving,
            stage,
            ..
        } = connection;
        let again = job::reconnects(&verdict, &exchange, &mut timeline);
        let tcp = if again {
            None
        } else {
            tcp_info::of_job(&socket, &timeline)
        };
        // An armed receive (or a connect or send under way) holds the socket open in the kernel
        // until it completes: cancel it, so the close takes effect now.
        if receiving || stage != Stage::Receiving {
            let op = match stage {
                Stage::Connecting => OP_CONNECT,
                Stage::Sending => OP_SEND,
                Stage::Receiving => OP_RECV,
            };
            let cancel = opcode::AsyncCancel::new(user_data(job, generation, op))
                .build()
                .user_data(OP_CANCEL);
            self.push(&cancel);
        }
        net::close(socket, &mut self.counters);
        if again {
            let next = generation.wrapping_add(1);
            return self.open(job, next, exchange, timeline);
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

    /// Ends a connection that failed with `reason` (a failure never reconnects).
    fn fail(&mut self, job: u32, connection: Connection, reason: String) {
        let _ = self.finish(job, connection, Err(reason));
    }

    /// Fails every connection past its idle deadline or below the speed floor; returns how many.
    fn sweep(&mut self, slots: &mut [Option<Connection>], now: Instant) -> usize {
        let target = self.target;
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
