//! FreeBSD: `getsockopt(IPPROTO_TCP, TCP_INFO)` into libc's `tcp_info` (netinet/tcp.h): RTT and
//! its variance in microseconds, the window in bytes, retransmitted segments in
//! `tcpi_snd_rexmitpack`. No delivery rate. Written from libc's bindings without a FreeBSD
//! machine at hand: reviewed, not run.

use std::mem::size_of;
use std::os::fd::{AsRawFd, BorrowedFd};

use bench_records::TcpInfo;

pub fn read(socket: BorrowedFd<'_>) -> Option<TcpInfo> {
    // SAFETY: tcp_info is a plain C struct of integers; all-zero bytes are a valid value.
    let mut info: libc::tcp_info = unsafe { std::mem::zeroed() };
    let mut length = size_of::<libc::tcp_info>() as libc::socklen_t;
    // SAFETY: `info` is valid for writes of `length` bytes and `length` is a valid, exclusive
    // pointer; the fd is borrowed, so it stays open for the call.
    let status = unsafe {
        libc::getsockopt(
            socket.as_raw_fd(),
            libc::IPPROTO_TCP,
            libc::TCP_INFO,
            (&mut info as *mut libc::tcp_info).cast(),
            &mut length,
        )
    };
    (status == 0).then(|| TcpInfo {
        retransmits: u64::from(info.tcpi_snd_rexmitpack),
        rtt_us: u64::from(info.tcpi_rtt),
        rttvar_us: u64::from(info.tcpi_rttvar),
        cwnd_bytes: u64::from(info.tcpi_snd_cwnd),
        delivery_rate: None,
    })
}
