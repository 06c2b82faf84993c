//! The readiness loop: accept, wake connections whose socket is ready or whose timer is due,
//! close idle ones, stop on SIGINT/SIGTERM.
//!
//! Registrations are level-triggered (the one mode epoll, kqueue and poll(2) all offer), so a
//! connection that stops early for fairness is woken again without a system call to re-arm it;
//! interest only changes when a connection switches between reading and writing.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::io;
use std::net::TcpListener;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use polling::{Event, Events, PollMode, Poller};

use super::accept::Acceptor;
use super::connection::{Connection, Context, Next, Stats};
use super::files::OpenFiles;
use super::os::ShutdownSignal;
use super::send::SCRATCH_BYTES;
use super::Config;

/// Keys of the two non-connection sources (`usize::MAX` is reserved by `polling`).
const LISTENER: usize = usize::MAX - 1;
const SIGNAL: usize = usize::MAX - 2;

/// Connections accepted per wake before the others get a turn.
const ACCEPTS_PER_WAKE: usize = 1024;

/// How long accepting pauses when the process is out of descriptors (EMFILE).
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);

/// What the loop reports when it stops.
pub struct Summary {
    pub stopped_by: &'static str,
    pub connections: u64,
    pub requests: u64,
    pub body_bytes: u64,
    pub upload_bytes: u64,
}

/// A connection, the interest currently registered for it, and its pending timer.
struct Slot {
    conn: Connection,
    /// Whether it is in the poller: a connection served whole right after `accept` never is.
    registered: bool,
    read: bool,
    write: bool,
    /// When the timer this connection asked for fires (at most one is pending per connection).
    timer_at: Option<Instant>,
}

struct Server<'a> {
    config: &'a Config,
    poller: Poller,
    listener: TcpListener,
    acceptor: Acceptor,
    slots: Vec<Option<Slot>>,
    /// Free slot indexes, reused only after the batch of events that freed them.
    free: Vec<usize>,
    freed: Vec<usize>,
    timers: BinaryHeap<Reverse<(Instant, usize, u64)>>,
    next_id: u64,
    scratch: Vec<u8>,
    files: OpenFiles,
    stats: Stats,
    accept_paused_until: Option<Instant>,
    last_emfile_warning: Option<Instant>,
}

/// Runs until `signal` reports SIGINT or SIGTERM.
pub fn serve(
    listener: TcpListener,
    signal: &ShutdownSignal,
    config: &Config,
    files: OpenFiles,
) -> anyhow::Result<Summary> {
    let poller = Poller::new().context("cannot create the readiness poller")?;
    // SAFETY (both registrations): the listener and the signal pipe outlive the poller's use of
    // them: they are deleted from it (or the poller dropped) before they are closed.
    unsafe {
        poller
            .add_with_mode(&listener, Event::readable(LISTENER), PollMode::Level)
            .context("cannot watch the listening socket")?;
        #[cfg(unix)]
        poller
            .add_with_mode(&signal.fd(), Event::readable(SIGNAL), PollMode::Level)
            .context("cannot watch the signal pipe")?;
    }
    let mut server = Server {
        config,
        poller,
        listener,
        acceptor: Acceptor::new(),
        slots: Vec::new(),
        free: Vec::new(),
        freed: Vec::new(),
        timers: BinaryHeap::new(),
        next_id: 0,
        scratch: vec![0; SCRATCH_BYTES],
        files,
        stats: Stats::default(),
        accept_paused_until: None,
        last_emfile_warning: None,
    };
    let stopped_by = server.run(signal)?;
    server.close_all();
    Ok(Summary {
        stopped_by,
        connections: server.stats.connections,
        requests: server.stats.requests,
        body_bytes: server.stats.body_bytes,
        upload_bytes: server.stats.upload_bytes,
    })
}

impl Server<'_> {
    fn run(&mut self, signal: &ShutdownSignal) -> anyhow::Result<&'static str> {
        let mut events = Events::new();
        // Idle connections and overdue heads are found by a sweep: cheap (one pass a second at
        // most) and needs no per-connection timer that every byte would have to move.
        let shortest = self.config.idle_timeout.min(self.config.header_timeout);
        let sweep_every = (shortest / 4).clamp(Duration::from_millis(10), Duration::from_secs(1));
        let mut next_sweep = Instant::now() + sweep_every;
        loop {
            let mut deadline = next_sweep;
            if let Some(Reverse((at, _, _))) = self.timers.peek() {
                deadline = deadline.min(*at);
            }
            if let Some(at) = self.accept_paused_until {
                deadline = deadline.min(at);
            }
            events.clear();
            let timeout = deadline.saturating_duration_since(Instant::now());
            match self.poller.wait(&mut events, Some(timeout)) {
                Ok(_) => {}
                Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
                Err(err) => return Err(err).context("waiting for socket readiness failed"),
            }
            let now = Instant::now();
            self.files.read_changes_again();
            for event in events.iter() {
                match event.key {
                    SIGNAL => {
                        if let Some(name) = signal.received() {
                            return Ok(name);
                        }
                    }
                    LISTENER => self.accept(now),
                    key => self.on_readiness(key, now),
                }
            }
            self.fire_timers(now);
            if self.accept_paused_until.is_some_and(|at| now >= at) {
                self.accept_paused_until = None;
                let _ = self.poller.modify_with_mode(
                    &self.listener,
                    Event::readable(LISTENER),
                    PollMode::Level,
                );
            }
            if now >= next_sweep {
                self.sweep_idle(now);
                next_sweep = now + sweep_every;
            }
            self.free.append(&mut self.freed);
        }
    }

    /// Accepts what is pending and lets each new connection work at once: its request has
    /// usually arrived with the handshake, and a connection served whole (`Connection: close`)
    /// is closed without ever entering the poller.
    fn accept(&mut self, now: Instant) {
        for _ in 0..ACCEPTS_PER_WAKE {
            let stream = match self.acceptor.accept(&self.listener) {
                Ok(stream) => stream,
                Err(err) if err.kind() == io::ErrorKind::WouldBlock => return,
                Err(err) if is_out_of_descriptors(&err) => {
                    self.pause_accepting(now, &err);
                    return;
                }
                // The peer gave up before we accepted (ECONNABORTED) and the like.
                Err(_) => continue,
            };
            let key = self.free.pop().unwrap_or_else(|| {
                self.slots.push(None);
                self.slots.len() - 1
            });
            self.next_id += 1;
            self.stats.connections += 1;
            self.slots[key] = Some(Slot {
                conn: Connection::new(stream, self.next_id, now),
                registered: false,
                read: false,
                write: false,
                timer_at: None,
            });
            self.files.read_changes_again();
            self.wake(key, now);
        }
    }

    fn pause_accepting(&mut self, now: Instant, err: &io::Error) {
        let warned_recently = self
            .last_emfile_warning
            .is_some_and(|at| now.duration_since(at) < Duration::from_secs(1));
        if !warned_recently {
            eprintln!(
                "warning: cannot accept more connections ({err}); {} open: raise `ulimit -n`",
                self.slots.iter().filter(|s| s.is_some()).count()
            );
            self.last_emfile_warning = Some(now);
        }
        let _ =
            self.poller
                .modify_with_mode(&self.listener, Event::none(LISTENER), PollMode::Level);
        self.accept_paused_until = Some(now + ACCEPT_BACKOFF);
    }

    /// An event for connection `key`. One that waits for neither reading nor writing (a
    /// `slow-drip` pause) can only be told of an error or a hang-up, which the OS keeps
    /// reporting while it lasts (level-triggered): the peer is gone, so the connection is
    /// closed instead of being woken again and again until its timer.
    fn on_readiness(&mut self, key: usize, now: Instant) {
        match self.slots.get(key) {
            Some(Some(slot)) if !slot.read && !slot.write => self.close(key, false),
            Some(Some(_)) => self.wake(key, now),
            _ => {} // closed earlier in this batch
        }
    }

    /// Lets connection `key` do what it can, then registers what it waits for.
    fn wake(&mut self, key: usize, now: Instant) {
        let Some(Some(slot)) = self.slots.get_mut(key) else {
            return; // closed earlier in this batch
        };
        let mut cx = Context {
            config: self.config,
            files: &mut self.files,
            scratch: &mut self.scratch,
            stats: &mut self.stats,
            now,
        };
        match slot.conn.advance(&mut cx) {
            Next::Wait {
                read,
                write,
                wake_at,
            } => {
                if !slot.registered || (read, write) != (slot.read, slot.write) {
                    let interest = match (read, write) {
                        (true, true) => Event::all(key),
                        (true, false) => Event::readable(key),
                        (false, true) => Event::writable(key),
                        (false, false) => Event::none(key),
                    };
                    let stream = &slot.conn.stream;
                    let done = if slot.registered {
                        self.poller
                            .modify_with_mode(stream, interest, PollMode::Level)
                    } else {
                        // SAFETY: the stream is deleted from the poller in `close` before it
                        // is dropped.
                        unsafe { self.poller.add_with_mode(stream, interest, PollMode::Level) }
                    };
                    if done.is_err() {
                        self.close(key, false);
                        return;
                    }
                    slot.registered = true;
                    slot.read = read;
                    slot.write = write;
                }
                if let Some(at) = wake_at.filter(|&at| slot.timer_at != Some(at)) {
                    self.timers.push(Reverse((at, key, slot.conn.id)));
                    slot.timer_at = Some(at);
                }
            }
            Next::Close => self.close(key, false),
            Next::Reset => self.close(key, true),
        }
    }

    fn fire_timers(&mut self, now: Instant) {
        while let Some(Reverse((at, key, id))) = self.timers.peek().copied() {
            if at > now {
                break;
            }
            self.timers.pop();
            if let Some(Some(slot)) = self.slots.get_mut(key) {
                if slot.conn.id == id {
                    if slot.timer_at == Some(at) {
                        slot.timer_at = None;
                    }
                    self.wake(key, now);
                }
            }
        }
    }

    /// Closes idle connections; answers 408 to heads not complete within `--header-timeout`.
    fn sweep_idle(&mut self, now: Instant) {
        let limit = self.config.idle_timeout;
        for key in 0..self.slots.len() {
            let Some(slot) = &mut self.slots[key] else {
                continue;
            };
            if slot.conn.times_out() && now.duration_since(slot.conn.last_activity) >= limit {
                self.close(key, false);
            } else if slot.conn.head_overdue(now, self.config.header_timeout) {
                slot.conn.refuse_slow_head();
                self.wake(key, now);
            }
        }
    }

    /// Unregisters and closes connection `key`; with `reset`, by RST instead of FIN.
    fn close(&mut self, key: usize, reset: bool) {
        let Some(slot) = self.slots[key].take() else {
            return;
        };
        if slot.registered {
            let _ = self.poller.delete(&slot.conn.stream);
        }
        if reset {
            let _ = socket2::SockRef::from(&slot.conn.stream).set_linger(Some(Duration::ZERO));
        }
        drop(slot);
        self.freed.push(key);
    }

    fn close_all(&mut self) {
        for key in 0..self.slots.len() {
            self.close(key, false);
        }
        let _ = self.poller.delete(&self.listener);
    }
}

fn is_out_of_descriptors(err: &io::Error) -> bool {
    #[cfg(unix)]
    {
        matches!(err.raw_os_error(), Some(libc::EMFILE | libc::ENFILE))
    }
    #[cfg(not(unix))]
    {
        let _ = err;
        false
    }
}
