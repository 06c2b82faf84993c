//! macOS: `getsockopt(IPPROTO_TCP, TCP_CONNECTION_INFO)` into libc's `tcp_connection_info`: the
//! smoothed RTT and its variance in milliseconds (converted), the window in bytes. It counts
//! retransmitted bytes, not segments: they are given in segments of the connection's MSS,
//! rounded up. No delivery rate. Written from libc's bindings without a Mac at hand: reviewed,
//! not run.

use std::mem::size_of;
use std::os::fd::{AsRawFd, BorrowedFd};

use bench_records::TcpInfo;

pub fn read(socket: BorrowedFd<'_>) -> Option<TcpInfo> {
    // SAFETY: tcp_connection_info is a plain C struct of integers (and padding); all-zero bytes
    // are a valid value.
    let mut info: libc::tcp_connection_info = unsafe { std::mem::zeroed() };
    let mut length = size_of::<libc::tcp_connection_info>() as libc::socklen_t;
    // SAFETY: `info` is valid for writes of `length` bytes and `length` is a valid, exclusive
    // pointer; the fd is borrowed, so it stays open for the call.
    let status = unsafe {
        libc::getsockopt(
            socket.as_raw_fd(),
            libc::IPPROTO_TCP,
            libc::TCP_CONNECTION_INFO,
            (&mut info as *mut libc::tcp_connection_info).cast(),
            &mut length,
        )
    };
    let segment = u64::from(info.tcpi_maxseg).max(1);
    (status == 0).then(|| TcpInfo {
        retransmits: info.tcpi_txretransmitbytes.div_ceil(segment),
        rtt_us: u64::from(info.tcpi_srtt) * 1000,
        rttvar_us: u64::from(info.tcpi_rttvar) * 1000,
        cwnd_bytes: u64::from(info.tcpi_snd_cwnd),
        delivery_rate: None,
    })
}
