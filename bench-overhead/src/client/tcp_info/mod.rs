//! TCP_INFO of one connection, read at the end of its job: the kernel's own view of the
//! connection — retransmits, smoothed RTT and its variance, congestion window, delivery rate.
//!
//! Reading it is bookkeeping, not part of the job: it happens after the job's last timestamp, so
//! it falls in no phase, and its `getsockopt` is not counted among the client's system calls
//! (those count what the I/O model needs to move the data; `strace -c` shows one `getsockopt`
//! per connection more than the `sockopt` count).
//!
//! One file per OS behind `cfg`; elsewhere (Haiku, the other BSDs) there is no reading: `None`.

#[cfg(target_os = "freebsd")]
mod freebsd;
#[cfg(target_os = "linux")]
mod linux;
#[cfg(target_os = "macos")]
mod macos;

use std::os::fd::{AsFd, AsRawFd, BorrowedFd};

use bench_records::TcpInfo;

use crate::client::phases::Timeline;

/// The reading of a job's connection, taken by every model after the job's end (its last body
/// byte) and before its close; `None` when that connection never came up (a fresh socket has an
/// all-zero TCP_INFO, which would read as an RTT of 0). A churn job is read once, at its end: its
/// last connection.
pub fn of_job(socket: &impl AsFd, timeline: &Timeline) -> Option<TcpInfo> {
    timeline.established?;
    read(socket)
}

/// The connection's TCP_INFO, or `None` where the OS has none or the call failed (the socket
/// never connected, or is not TCP).
pub fn read(socket: &impl AsFd) -> Option<TcpInfo> {
    #[cfg(target_os = "linux")]
    return linux::read(socket.as_fd());
    #[cfg(target_os = "freebsd")]
    return freebsd::read(socket.as_fd());
    #[cfg(target_os = "macos")]
    return macos::read(socket.as_fd());
    #[cfg(not(any(target_os = "linux", target_os = "freebsd", target_os = "macos")))]
    {
        let _ = socket;
        None
    }
}

/// `getsockopt(IPPROTO_TCP, option)` into a `T`, and how many bytes of it the kernel filled.
///
/// # Safety
/// `T` must be a plain C struct of integers (every bit pattern valid: all zeros included), the
/// one this OS defines for `option`.
#[cfg(any(target_os = "linux", target_os = "freebsd", target_os = "macos"))]
unsafe fn tcp_sockopt<T>(socket: BorrowedFd<'_>, option: libc::c_int) -> Option<(T, usize)> {
    // SAFETY: all zeros is a valid `T` (the caller's contract).
    let mut value: T = unsafe { std::mem::zeroed() };
    let mut length = std::mem::size_of::<T>() as libc::socklen_t;
    // SAFETY: `value` is valid for writes of `length` bytes and `length` is a valid, exclusive
    // pointer; the kernel writes at most `length` bytes and stores how many it wrote. The fd is
    // borrowed, so it stays open for the call.
    let status = unsafe {
        libc::getsockopt(
            socket.as_raw_fd(),
            libc::IPPROTO_TCP,
            option,
            (&mut value as *mut T).cast(),
            &mut length,
        )
    };
    (status == 0).then_some((value, length as usize))
}

#[cfg(test)]
mod tests {
    use std::io::{Read, Write};
    use std::net::{TcpListener, TcpStream};

    use super::*;

    /// A real loopback connection that moved data has a reading with a window and an RTT.
    #[cfg(any(target_os = "linux", target_os = "freebsd", target_os = "macos"))]
    #[test]
    fn a_connection_that_moved_data_has_tcp_info() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let mut client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (mut server, _) = listener.accept().unwrap();
        client.write_all(&[1u8; 64 << 10]).unwrap();
        let mut received = vec![0u8; 64 << 10];
        server.read_exact(&mut received).unwrap();
        let info = read(&client).expect("TCP_INFO of a connected socket");
        assert!(info.cwnd_bytes > 0, "{info:?}");
        assert!(info.rtt_us > 0, "{info:?}");
        assert_eq!(
            info.retransmits, 0,
            "loopback does not lose segments: {info:?}"
        );
        #[cfg(target_os = "linux")]
        assert!(info.delivery_rate.is_some_and(|rate| rate > 0), "{info:?}");
    }

    #[test]
    fn something_that_is_not_a_tcp_socket_has_none() {
        let file = std::fs::File::open("/dev/null").unwrap();
        assert_eq!(read(&file), None);
    }
}
