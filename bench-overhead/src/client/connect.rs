//! Creating sockets and connecting them, the same way in both variants and on every OS.
//!
//! `socket_ns` must time the bare `socket()` call (plus `O_NONBLOCK` for the poll variant) on every
//! OS, so sockets come from `Socket::new_raw`: socket2's `Socket::new` also sets close-on-exec, with
//! extra `fcntl` calls on OSes without `SOCK_CLOEXEC` (macOS, Haiku), and `SO_NOSIGPIPE` on macOS.
//! The client executes no other program, so close-on-exec changes nothing. Without `SO_NOSIGPIPE`
//! a write to a reset connection would raise SIGPIPE on macOS, but Rust's runtime ignores SIGPIPE
//! before `main` on every Unix, so the write fails with EPIPE ("broken pipe") as it should.
//!
//! The threaded variant needs a connect with a timeout, and no portable blocking connect has one.
//! It connects the way socket2's `connect_timeout` does, but here, so that its waits are counted:
//! make the socket non-blocking, `connect()`, wait in poll(2) until it is writable (or the time is
//! up), read `SO_ERROR`, make it blocking again. Each poll(2) call counts as `connect_wait`: a
//! system call the thread-per-connection model needs to bound a connect, but not a readiness wait
//! of an event loop (`wait`).

use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use socket2::{Domain, Protocol, Socket, Type};

use crate::client::counters::Counters;

pub use platform::connect_with_timeout;
use platform::in_progress;

/// A TCP socket for `address`, from one bare `socket()` call.
pub fn tcp_socket(address: SocketAddr) -> io::Result<Socket> {
    Socket::new_raw(
        Domain::for_address(address),
        Type::STREAM,
        Some(Protocol::TCP),
    )
}

/// Starts a connect on the non-blocking `socket`: `Ok(true)` when it completed at once, `Ok(false)`
/// when the handshake is under way (readiness for writing says when it is over).
pub fn start(socket: &Socket, address: SocketAddr) -> io::Result<bool> {
    match socket.connect(&address.into()) {
        Ok(()) => Ok(true),
        Err(err) if in_progress(&err) => Ok(false),
        Err(err) => Err(err),
    }
}

/// Whole milliseconds for a poll(2)-style timeout, rounded up so the wait never ends before
/// `timeout`, and capped at what a C `int` holds (24.8 days).
pub fn poll_millis(timeout: Duration) -> i32 {
    let millis = timeout.as_nanos().div_ceil(1_000_000);
    i32::try_from(millis).unwrap_or(i32::MAX)
}

#[cfg(unix)]
mod platform {
    use std::io;
    use std::net::SocketAddr;
    use std::os::fd::AsRawFd;
    use std::time::{Duration, Instant};

    use socket2::Socket;

    use super::{poll_millis, start, Counters};

    /// A non-blocking connect that has started but not finished (EINPROGRESS; WouldBlock on OSes
    /// that say EAGAIN).
    pub fn in_progress(err: &io::Error) -> bool {
        err.raw_os_error() == Some(libc::EINPROGRESS) || err.kind() == io::ErrorKind::WouldBlock
    }

    /// Connects the blocking `socket` to `address` within `limit` (see the module's note); the
    /// socket is blocking again afterwards. A connect that does not finish in time fails with
    /// `TimedOut`.
    pub fn connect_with_timeout(
        socket: &Socket,
        address: SocketAddr,
        limit: Duration,
        counters: &mut Counters,
    ) -> io::Result<()> {
        let deadline = Instant::now() + limit;
        socket.set_nonblocking(true)?;
        counters.connect += 1;
        if !start(socket, address)? {
            loop {
                let left = deadline.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    return Err(io::ErrorKind::TimedOut.into());
                }
                counters.connect_wait += 1;
                match wait_writable(socket, left) {
                    Ok(true) => break,
                    Ok(false) => return Err(io::ErrorKind::TimedOut.into()),
                    Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
                    Err(err) => return Err(err),
                }
            }
            if let Some(err) = socket.take_error()? {
                return Err(err);
            }
        }
        socket.set_nonblocking(false)
    }

    /// One poll(2) call: whether `socket` became writable, or failed, within `timeout`.
    fn wait_writable(socket: &Socket, timeout: Duration) -> io::Result<bool> {
        let mut entry = libc::pollfd {
            fd: socket.as_raw_fd(),
            events: libc::POLLOUT,
            revents: 0,
        };
        // SAFETY: `entry` is one valid `pollfd` that lives for the whole call, and nfds is 1.
        match unsafe { libc::poll(&mut entry, 1, poll_millis(timeout)) } {
            -1 => Err(io::Error::last_os_error()),
            0 => Ok(false),
            _ => Ok(true),
        }
    }
}

#[cfg(not(unix))]
mod platform {
    use std::io;
    use std::net::SocketAddr;
    use std::time::Duration;

    use socket2::Socket;

    use super::Counters;

    pub fn in_progress(err: &io::Error) -> bool {
        err.kind() == io::ErrorKind::WouldBlock
    }

    /// Without poll(2), socket2's own connect with a timeout; its internal wait is not counted.
    pub fn connect_with_timeout(
        socket: &Socket,
        address: SocketAddr,
        limit: Duration,
        counters: &mut Counters,
    ) -> io::Result<()> {
        counters.connect += 1;
        socket.connect_timeout(&address.into(), limit)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;

    #[test]
    fn millis_round_up_and_cap() {
        assert_eq!(poll_millis(Duration::from_nanos(1)), 1);
        assert_eq!(poll_millis(Duration::from_micros(1500)), 2);
        assert_eq!(poll_millis(Duration::from_millis(7)), 7);
        assert_eq!(poll_millis(Duration::from_secs(30 * 86_400)), i32::MAX);
    }

    #[test]
    fn connects_and_counts_one_connect() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let address = listener.local_addr().unwrap();
        let socket = tcp_socket(address).unwrap();
        let mut counters = Counters::default();
        connect_with_timeout(&socket, address, Duration::from_secs(5), &mut counters).unwrap();
        assert_eq!(counters.connect, 1);
        // Loopback finishes the handshake at once or after one wait, never more.
        assert!(counters.connect_wait <= 1, "{counters:?}");
        assert!(listener.accept().is_ok());
        assert!(!socket.nonblocking().unwrap(), "blocking again");
    }

    #[test]
    fn refused_connect_fails_with_the_reason() {
        let address = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap();
        let socket = tcp_socket(address).unwrap();
        let mut counters = Counters::default();
        let err = connect_with_timeout(&socket, address, Duration::from_secs(5), &mut counters)
            .unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::ConnectionRefused);
    }
}
