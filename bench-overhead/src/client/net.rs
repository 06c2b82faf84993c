//! The socket calls every model makes, each counted by kind as it is made (`syscalls.rs`).
//!
//! Sockets come from `rustix` (thin, safe wrappers of exactly these system calls): `socket()` with
//! no flags — no close-on-exec or `SO_NOSIGPIPE` extras, as the client executes no program while
//! it holds sockets and Rust's runtime ignores SIGPIPE before `main` — or with `SOCK_NONBLOCK` in
//! the same call where the OS has it, else one `ioctl(FIONBIO)`. Every call here is one system
//! call, so each count is what `strace` sees.

use std::io;
use std::mem::MaybeUninit;
use std::net::SocketAddr;
use std::os::fd::{AsFd, OwnedFd};
use std::time::Duration;

use rustix::net::{AddressFamily, RecvFlags, SendFlags, SocketFlags, SocketType};

use crate::client::syscalls::{Counters, Kind};

/// Whether `socket()` takes `SOCK_NONBLOCK` here (one call instead of socket + ioctl).
const SOCKET_TAKES_NONBLOCK: bool = cfg!(any(
    target_os = "linux",
    target_os = "android",
    target_os = "freebsd",
    target_os = "netbsd",
    target_os = "openbsd",
    target_os = "dragonfly"
));

/// A TCP socket for `address`: one `socket()` call, non-blocking when asked (plus one ioctl where
/// `socket()` cannot make it so).
pub fn tcp_socket(
    address: SocketAddr,
    nonblocking: bool,
    counters: &mut Counters,
) -> io::Result<OwnedFd> {
    let family = match address {
        SocketAddr::V4(_) => AddressFamily::INET,
        SocketAddr::V6(_) => AddressFamily::INET6,
    };
    let flags = if nonblocking && SOCKET_TAKES_NONBLOCK {
        nonblocking_flag()
    } else {
        SocketFlags::empty()
    };
    counters.count(Kind::Socket);
    let socket = rustix::net::socket_with(family, SocketType::STREAM, flags, None)?;
    if nonblocking && !SOCKET_TAKES_NONBLOCK {
        set_nonblocking(&socket, true, counters)?;
    }
    Ok(socket)
}

#[cfg(any(
    target_os = "linux",
    target_os = "android",
    target_os = "freebsd",
    target_os = "netbsd",
    target_os = "openbsd",
    target_os = "dragonfly"
))]
fn nonblocking_flag() -> SocketFlags {
    SocketFlags::NONBLOCK
}

#[cfg(not(any(
    target_os = "linux",
    target_os = "android",
    target_os = "freebsd",
    target_os = "netbsd",
    target_os = "openbsd",
    target_os = "dragonfly"
)))]
fn nonblocking_flag() -> SocketFlags {
    SocketFlags::empty()
}

/// One `ioctl(FIONBIO)`.
pub fn set_nonblocking(socket: &OwnedFd, on: bool, counters: &mut Counters) -> io::Result<()> {
    counters.count(Kind::Fcntl);
    Ok(rustix::io::ioctl_fionbio(socket, on)?)
}

/// One `connect()`. On a non-blocking socket, [`in_progress`] says the handshake is under way.
pub fn connect(socket: &OwnedFd, address: SocketAddr, counters: &mut Counters) -> io::Result<()> {
    counters.count(Kind::Connect);
    Ok(rustix::net::connect(socket, &address)?)
}

/// A non-blocking connect that has started but not finished (EINPROGRESS; WouldBlock on OSes
/// that say EAGAIN).
pub fn in_progress(err: &io::Error) -> bool {
    err.raw_os_error() == Some(rustix::io::Errno::INPROGRESS.raw_os_error())
        || err.kind() == io::ErrorKind::WouldBlock
}

/// One `getsockopt(SO_ERROR)`: how a non-blocking connect ended.
pub fn socket_error(socket: &OwnedFd, counters: &mut Counters) -> io::Result<()> {
    counters.count(Kind::Sockopt);
    match rustix::net::sockopt::socket_error(socket)? {
        Ok(()) => Ok(()),
        Err(errno) => Err(errno.into()),
    }
}

/// One `setsockopt(SO_RCVTIMEO)` (`send: false`) or `SO_SNDTIMEO` (`send: true`).
pub fn set_timeout(
    socket: &OwnedFd,
    send: bool,
    timeout: Duration,
    counters: &mut Counters,
) -> io::Result<()> {
    use rustix::net::sockopt::Timeout;
    counters.count(Kind::Sockopt);
    let id = if send { Timeout::Send } else { Timeout::Recv };
    Ok(rustix::net::sockopt::set_socket_timeout(
        socket,
        id,
        Some(timeout),
    )?)
}

/// One `setsockopt(SO_RCVLOWAT)`: the OS reports the socket readable (and a blocking recv
/// returns) once `bytes` have arrived, or at EOF or an error. rustix has no wrapper for it.
pub fn set_low_water(socket: &OwnedFd, bytes: u32, counters: &mut Counters) -> io::Result<()> {
    use std::os::fd::AsRawFd;
    counters.count(Kind::Sockopt);
    let value = libc::c_int::try_from(bytes).unwrap_or(libc::c_int::MAX);
    // SAFETY: the descriptor is open (borrowed from `socket` for the call), and the option value
    // points at a live c_int whose size is passed with it; the kernel only reads it.
    let result = unsafe {
        libc::setsockopt(
            socket.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_RCVLOWAT,
            (&value as *const libc::c_int).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
    if result == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// One `send()`: the bytes written.
pub fn send(socket: impl AsFd, bytes: &[u8], counters: &mut Counters) -> io::Result<usize> {
    counters.count(Kind::Send);
    Ok(rustix::net::send(socket, bytes, SendFlags::empty())?)
}

/// One `close()`.
pub fn close(socket: OwnedFd, counters: &mut Counters) {
    counters.count(Kind::Close);
    drop(socket);
}

/// The receive buffer: `--buffer-size` bytes that are allocated but never zeroed.
///
/// A zeroed buffer (`vec![0; n]`) would write every page of it up front: 4 MiB per thread is 4 GB
/// of memset and resident memory for a thousand threaded jobs that each receive a few bytes, and
/// glibc's `calloc` does zero memory it recycles from its heap. Here only the pages that `recv`
/// actually fills become resident, so the client's memory shows what the I/O model costs, not
/// what the benchmark allocated.
pub struct RecvBuffer {
    storage: Vec<MaybeUninit<u8>>,
}

impl RecvBuffer {
    pub fn new(size: usize) -> RecvBuffer {
        let mut storage = Vec::with_capacity(size);
        // Uninitialised bytes are valid `MaybeUninit`s: this writes nothing.
        storage.resize_with(size, MaybeUninit::uninit);
        RecvBuffer { storage }
    }

    /// One `recv()` into the buffer: the bytes received (empty at EOF).
    pub fn recv(&mut self, socket: impl AsFd, counters: &mut Counters) -> io::Result<&[u8]> {
        counters.count(Kind::Recv);
        let ((received, _), _) =
            rustix::net::recv(socket, &mut self.storage[..], RecvFlags::empty())?;
        Ok(received)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::net::{TcpListener, TcpStream};

    #[test]
    fn receives_exactly_what_was_sent_and_counts_each_call() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let mut client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (server, _) = listener.accept().unwrap();
        client.write_all(b"hello").unwrap();
        drop(client);
        let socket = OwnedFd::from(server);
        let mut buffer = RecvBuffer::new(64);
        let mut counters = Counters::default();
        let mut got = Vec::new();
        loop {
            let bytes = buffer.recv(&socket, &mut counters).unwrap();
            if bytes.is_empty() {
                break;
            }
            got.extend_from_slice(bytes);
        }
        assert_eq!(got, b"hello");
        assert_eq!(counters.get(Kind::Recv), 2);
    }

    #[test]
    fn nonblocking_connect_is_in_progress_or_done() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let address = listener.local_addr().unwrap();
        let mut counters = Counters::default();
        let socket = tcp_socket(address, true, &mut counters).unwrap();
        match connect(&socket, address, &mut counters) {
            Ok(()) => {}
            Err(err) => assert!(in_progress(&err), "{err}"),
        }
        assert!(listener.accept().is_ok());
        assert_eq!(counters.get(Kind::Socket), 1);
        assert_eq!(counters.get(Kind::Connect), 1);
    }
}
