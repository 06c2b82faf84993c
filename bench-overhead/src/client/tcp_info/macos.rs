//! macOS: `getsockopt(IPPROTO_TCP, TCP_CONNECTION_INFO)` into libc's `tcp_connection_info`: the
//! smoothed RTT and its variance in milliseconds (converted), the window in bytes. It counts
//! retransmitted bytes, not segments: they are given in segments of the connection's MSS,
//! rounded up. No delivery rate. Written from libc's bindings without a Mac at hand: reviewed,
//! not run.

use std::os::fd::BorrowedFd;

use bench_records::TcpInfo;

pub fn read(socket: BorrowedFd<'_>) -> Option<TcpInfo> {
    // SAFETY: `tcp_connection_info` is a plain C struct of integers (and padding), macOS's for
    // TCP_CONNECTION_INFO.
    let (info, _) = unsafe {
        super::tcp_sockopt::<libc::tcp_connection_info>(socket, libc::TCP_CONNECTION_INFO)
    }?;
    let segment = u64::from(info.tcpi_maxseg).max(1);
    Some(TcpInfo {
        retransmits: info.tcpi_txretransmitbytes.div_ceil(segment),
        rtt_us: u64::from(info.tcpi_srtt) * 1000,
        rttvar_us: u64::from(info.tcpi_rttvar) * 1000,
        cwnd_bytes: u64::from(info.tcpi_snd_cwnd),
        delivery_rate: None,
    })
}
