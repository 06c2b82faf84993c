//! Every system call the client's own code makes, counted by kind at the call site.
//!
//! Counting in the client itself (rather than with strace or dtrace) works on every OS and costs
//! nothing measurable: each model keeps plain integers on the thread that makes the calls and the
//! totals are summed at the end. The kinds are the ones an I/O model is made of; a CI test runs
//! every model and backend under `strace -f -c` and checks each kind against the Linux calls
//! [`Kind::linux_names`] lists. Calls the client's code does not make (Rust's start-up, std's
//! thread internals, the `polling` crate's own extra calls) are not counted and are listed by name
//! by `make trace`.

use std::ops::AddAssign;

use bench_records::Syscalls;

/// A kind of system call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Socket,
    /// fcntl(2) and ioctl(2) on a socket (e.g. making it non-blocking where `socket()` cannot).
    Fcntl,
    /// setsockopt(2) and getsockopt(2).
    Sockopt,
    Connect,
    Send,
    /// Every recv call, including those that returned EAGAIN or 0 (EOF).
    Recv,
    /// Readiness waits: epoll_wait, kevent that waits, poll(2).
    Wait,
    /// Changes to a readiness API's interest set: epoll_ctl, kevent that only registers; creating
    /// the poller.
    Ctl,
    /// io_uring_enter (submitting and waiting in one call) and io_uring_register; creating the ring.
    Submit,
    Close,
    /// poll(2) inside a connect with a timeout where the OS cannot bound a blocking connect.
    ConnectWait,
}

impl Kind {
    pub const ALL: [Kind; 11] = [
        Kind::Socket,
        Kind::Fcntl,
        Kind::Sockopt,
        Kind::Connect,
        Kind::Send,
        Kind::Recv,
        Kind::Wait,
        Kind::Ctl,
        Kind::Submit,
        Kind::Close,
        Kind::ConnectWait,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Kind::Socket => "socket",
            Kind::Fcntl => "fcntl",
            Kind::Sockopt => "sockopt",
            Kind::Connect => "connect",
            Kind::Send => "send",
            Kind::Recv => "recv",
            Kind::Wait => "wait",
            Kind::Ctl => "ctl",
            Kind::Submit => "submit",
            Kind::Close => "close",
            Kind::ConnectWait => "connect_wait",
        }
    }

    /// The Linux system calls of this kind, as `strace -c` names them. poll(2) is `wait` in a
    /// readiness loop and `connect_wait` in the threaded model; the caller decides which.
    pub fn linux_names(self) -> &'static [&'static str] {
        match self {
            Kind::Socket => &["socket"],
            Kind::Fcntl => &["fcntl", "ioctl"],
            Kind::Sockopt => &["setsockopt", "getsockopt"],
            Kind::Connect => &["connect"],
            Kind::Send => &["sendto", "sendmsg"],
            Kind::Recv => &["recvfrom", "recvmsg"],
            Kind::Wait => &["epoll_wait", "epoll_pwait", "epoll_pwait2", "poll", "ppoll"],
            Kind::Ctl => &["epoll_ctl", "epoll_create1", "epoll_create"],
            Kind::Submit => &["io_uring_enter", "io_uring_register", "io_uring_setup"],
            Kind::Close => &["close"],
            Kind::ConnectWait => &["poll", "ppoll"],
        }
    }
}

/// One thread's (or one run's) counts, and the threads the model spawned.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counters {
    calls: [u64; Kind::ALL.len()],
    pub thread_spawns: u64,
}

impl Counters {
    /// One more call of `kind`.
    #[inline]
    pub fn count(&mut self, kind: Kind) {
        self.calls[kind as usize] += 1;
    }

    pub fn get(&self, kind: Kind) -> u64 {
        self.calls[kind as usize]
    }
}

impl AddAssign for Counters {
    fn add_assign(&mut self, other: Counters) {
        for (mine, theirs) in self.calls.iter_mut().zip(other.calls) {
            *mine += theirs;
        }
        self.thread_spawns += other.thread_spawns;
    }
}

impl From<Counters> for Syscalls {
    fn from(c: Counters) -> Syscalls {
        Syscalls {
            socket: c.get(Kind::Socket),
            connect: c.get(Kind::Connect),
            send: c.get(Kind::Send),
            recv: c.get(Kind::Recv),
            wait: c.get(Kind::Wait),
            connect_wait: c.get(Kind::ConnectWait),
            fcntl: Some(c.get(Kind::Fcntl)),
            sockopt: Some(c.get(Kind::Sockopt)),
            ctl: Some(c.get(Kind::Ctl)),
            submit: Some(c.get(Kind::Submit)),
            close: Some(c.get(Kind::Close)),
            thread_spawns: Some(c.thread_spawns),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_add_up_by_kind() {
        let mut a = Counters::default();
        a.count(Kind::Recv);
        a.count(Kind::Recv);
        a.count(Kind::Close);
        let mut b = Counters {
            thread_spawns: 1,
            ..Counters::default()
        };
        b.count(Kind::Recv);
        a += b;
        let s = Syscalls::from(a);
        assert_eq!(s.recv, 3);
        assert_eq!(s.close, Some(1));
        assert_eq!(s.thread_spawns, Some(1));
        assert_eq!(s.total(), 4, "spawns are not system calls of a kind");
    }
}
