//! Linux: `getsockopt(IPPROTO_TCP, TCP_INFO)` into libc's `tcp_info`. The kernel fills as much of
//! the struct as it knows and says how much: fields beyond that length (`tcpi_delivery_rate`,
//! Linux 4.9) are left out rather than read as zeros.

use std::mem::offset_of;
use std::os::fd::BorrowedFd;

use bench_records::TcpInfo;

pub fn read(socket: BorrowedFd<'_>) -> Option<TcpInfo> {
    // SAFETY: `tcp_info` is a plain C struct of integers, Linux's for TCP_INFO.
    let (info, filled) = unsafe { super::tcp_sockopt::<libc::tcp_info>(socket, libc::TCP_INFO) }?;
    let has = |offset: usize, size: usize| filled >= offset + size;
    if !has(offset_of!(libc::tcp_info, tcpi_total_retrans), 4) {
        return None;
    }
    Some(TcpInfo {
        retransmits: u64::from(info.tcpi_total_retrans),
        rtt_us: u64::from(info.tcpi_rtt),
        rttvar_us: u64::from(info.tcpi_rttvar),
        cwnd_bytes: u64::from(info.tcpi_snd_cwnd) * u64::from(info.tcpi_snd_mss),
        delivery_rate: has(offset_of!(libc::tcp_info, tcpi_delivery_rate), 8)
            .then_some(info.tcpi_delivery_rate),
    })
}
