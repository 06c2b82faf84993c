//! FreeBSD: `getsockopt(IPPROTO_TCP, TCP_INFO)` into libc's `tcp_info` (netinet/tcp.h): RTT and
//! its variance in microseconds, the window in bytes, retransmitted segments in
//! `tcpi_snd_rexmitpack`. No delivery rate. Written from libc's bindings without a FreeBSD
//! machine at hand: reviewed, not run.

use std::os::fd::BorrowedFd;

use bench_records::TcpInfo;

pub fn read(socket: BorrowedFd<'_>) -> Option<TcpInfo> {
    // SAFETY: `tcp_info` is a plain C struct of integers, FreeBSD's for TCP_INFO.
    let (info, _) = unsafe { super::tcp_sockopt::<libc::tcp_info>(socket, libc::TCP_INFO) }?;
    Some(TcpInfo {
        retransmits: u64::from(info.tcpi_snd_rexmitpack),
        rtt_us: u64::from(info.tcpi_rtt),
        rttvar_us: u64::from(info.tcpi_rttvar),
        cwnd_bytes: u64::from(info.tcpi_snd_cwnd),
        delivery_rate: None,
    })
}
