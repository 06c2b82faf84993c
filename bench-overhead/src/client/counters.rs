//! Socket system calls the client makes, counted at each call site.
//!
//! Counting in the client itself (rather than with strace or dtrace) works on every OS and costs
//! nothing measurable: each variant keeps plain integers on its own thread and the totals are summed
//! at the end. Only the calls that move the benchmark are counted (socket, connect, send, recv,
//! readiness waits, and the waits inside a connect with a timeout); fcntl/setsockopt/epoll_ctl bookkeeping is not, and `make trace` shows it.

use std::ops::AddAssign;

use bench_records::Syscalls;

/// One thread's (or one run's) counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counters {
    pub socket: u64,
    pub connect: u64,
    pub send: u64,
    /// Every recv call, including those that returned EAGAIN or 0 (EOF).
    pub recv: u64,
    /// Readiness waits of the event loop (epoll_wait, kevent, poll).
    pub wait: u64,
    /// poll(2) calls inside the threaded variant's connect with a timeout.
    pub connect_wait: u64,
}

impl AddAssign for Counters {
    fn add_assign(&mut self, other: Counters) {
        self.socket += other.socket;
        self.connect += other.connect;
        self.send += other.send;
        self.recv += other.recv;
        self.wait += other.wait;
        self.connect_wait += other.connect_wait;
    }
}

impl From<Counters> for Syscalls {
    fn from(c: Counters) -> Syscalls {
        Syscalls {
            socket: c.socket,
            connect: c.connect,
            send: c.send,
            recv: c.recv,
            wait: c.wait,
            connect_wait: c.connect_wait,
        }
    }
}
