//! Linux: `getsockopt(IPPROTO_TCP, TCP_INFO)` into libc's `tcp_info`. The kernel fills as much of
//! the struct as it knows and says how much: fields beyond that length (`tcpi_delivery_rate`,
//! Linux 4.9) are left out rather than read as zeros.

use std::mem::{offset_of, size_of};
use std::os::fd::{AsRawFd, BorrowedFd};

use bench_records::TcpInfo;

pub fn read(socket: BorrowedFd<'_>) -> Option<TcpInfo> {
    // SAFETY: tcp_info is a plain C struct of integers; all-zero bytes are a valid value.
    let mut info: libc::tcp_info = unsafe { std::mem::zeroed() };
    let mut length = size_of::<libc::tcp_info>() as libc::socklen_t;
    // SAFETY: `info` is valid for writes of `length` bytes and `length` is a valid, exclusive
    // pointer; the kernel writes at most `length` bytes and stores how many it wrote. The fd is
    // borrowed, so it stays open for the call.
    let status = unsafe {
        libc::getsockopt(
            socket.as_raw_fd(),
            libc::IPPROTO_TCP,
            libc::TCP_INFO,
            (&mut info as *mut libc::tcp_info).cast(),
            &mut length,
        )
    };
    let filled = length as usize;
    let has = |offset: usize, size: usize| filled >= offset + size;
    if status != 0 || !has(offset_of!(libc::tcp_info, tcpi_total_retrans), 4) {
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
