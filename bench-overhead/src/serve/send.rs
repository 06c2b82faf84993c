//! Body bytes from a file to a non-blocking socket.
//!
//! On Linux `sendfile(2)` moves them inside the kernel (no copy through user space, one system
//! call per socket-buffer's worth). Elsewhere a positioned read into a buffer shared by the whole
//! loop, then a write: bytes the socket did not take are simply read again next time, so no
//! connection holds a buffer of its own.

use std::fs::File;
use std::io::{self, Write};
use std::net::TcpStream;

/// How bodies are sent, for the start-up log line.
#[cfg(target_os = "linux")]
pub const METHOD: &str = "sendfile (zero-copy)";
#[cfg(not(target_os = "linux"))]
pub const METHOD: &str = "read+write";

/// Size of the shared buffer the read+write path uses.
pub const SCRATCH_BYTES: usize = 256 * 1024;

/// Body bytes a connection aims to send per wake before the loop serves the others (lighttpd's
/// figure): one wake per ~100 `sendfile`s at 100 connections, and a new request waits at most
/// one round. (With 8 MiB turns the first byte of the 100th download came ~100 ms late.)
const TURN_TARGET: u64 = 256 * 1024;

/// Body bytes per wake for `socket`: the whole segments (of its current MSS) that fit in 256 KiB,
/// at least one; 256 KiB where the MSS cannot be read.
///
/// Whole segments, because under TCP_NODELAY a turn that ends mid-segment sends its tail as a runt
/// of its own: 256 KiB turns on loopback (MSS 65,483) put a 212-byte segment after every four full
/// ones, and a client pays a wake-up and a `recv` for each. lighttpd does exactly that. What it
/// gains, with and without the send buffer: see `SEND_BUFFER_BYTES`.
pub fn turn_bytes(socket: &TcpStream) -> u64 {
    match segment_size(socket) {
        Some(mss) if mss > 0 => (TURN_TARGET / mss).max(1) * mss,
        _ => TURN_TARGET,
    }
}

/// The connection's maximum segment size (TCP_MAXSEG).
#[cfg(unix)]
fn segment_size(socket: &TcpStream) -> Option<u64> {
    socket2::SockRef::from(socket).tcp_mss().ok().map(u64::from)
}

#[cfg(not(unix))]
fn segment_size(_socket: &TcpStream) -> Option<u64> {
    None
}

/// The send buffer each connection gets (Linux doubles it for its bookkeeping: 2 MiB in effect).
/// Autotuned, it grows to 4 MiB and the server runs that far ahead of the client on every
/// connection. It also bounds what 10,000 connections can pin in kernel memory. 2 MiB drains in
/// about a millisecond on loopback and in 16 ms at the ~120 MiB/s of a QEMU guest.
///
/// Whole-segment turns and the send buffer, measured with 100 connections in rounds alternating
/// with lighttpd on the same machine (mean aggregate, built-in / lighttpd; 5–6 runs per cell,
/// ranges over several such sets and `make bench-server`, which gives the poll column):
///
/// | server                              | cubic: poll | threaded  | BBR: poll | threaded  |
/// |-------------------------------------|-------------|-----------|-----------|-----------|
/// | 256 KiB turns, autotuned buffer     | 1.05        | 0.93      | 0.70–1.09 | 0.92–0.93 |
/// | whole segments, autotuned buffer    | 1.11        | 0.99      | 0.79–0.96 | 1.05      |
/// | whole segments, 512 KiB buffer      | 1.06–1.16   | 0.85–0.87 | 1.57–2.13 | 1.17–1.31 |
/// | whole segments, 1 MiB buffer (this) | 1.02–1.14   | 0.92      | 1.10–1.40 | 1.26      |
/// | whole segments, 2 MiB buffer        | 1.00        | 1.01      | 0.87      | 1.04      |
///
/// Under BBR (the default of the VM the suite was built on), whose pacing makes loopback runs
/// bimodal, a fixed buffer of up to 1 MiB keeps the poll client at lighttpd's level or above;
/// under cubic (the common default) every row does, and a small buffer costs the threaded
/// client. 1 MiB is the size that keeps both clients within 10 % of lighttpd or above under both.
/// Figures against the two servers are not interchangeable either way (the README says so).
pub const SEND_BUFFER_BYTES: usize = 1024 * 1024;

/// Sends up to `len` bytes of `file` starting at `offset`; returns how many the socket took.
/// `WouldBlock` when the socket buffer is full. `scratch` is used only without `sendfile`.
pub fn send_file(
    socket: &TcpStream,
    file: &File,
    offset: u64,
    len: u64,
    scratch: &mut [u8],
) -> io::Result<usize> {
    if len == 0 {
        return Ok(0);
    }
    #[cfg(target_os = "linux")]
    {
        let _ = scratch;
        linux::sendfile(socket, file, offset, len)
    }
    #[cfg(not(target_os = "linux"))]
    {
        let want = len.min(scratch.len() as u64) as usize;
        let n = read_at(file, &mut scratch[..want], offset)?;
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the file shrank while it was being sent",
            ));
        }
        let mut socket = socket;
        socket.write(&scratch[..n])
    }
}

/// Writes `bytes` to a non-blocking socket; how many it took (`WouldBlock` when none).
pub fn send_bytes(socket: &TcpStream, bytes: &[u8]) -> io::Result<usize> {
    let mut socket = socket;
    socket.write(bytes)
}

/// Reads at `offset` without moving the file position (descriptors are shared).
#[cfg(unix)]
pub fn read_at(file: &File, buf: &mut [u8], offset: u64) -> io::Result<usize> {
    std::os::unix::fs::FileExt::read_at(file, buf, offset)
}

/// Reads at `offset` (seeks first: nothing else uses the position on this single thread).
#[cfg(not(unix))]
pub fn read_at(file: &File, buf: &mut [u8], offset: u64) -> io::Result<usize> {
    use std::io::{Read, Seek, SeekFrom};
    let mut file = file;
    file.seek(SeekFrom::Start(offset))?;
    file.read(buf)
}

#[cfg(target_os = "linux")]
mod linux {
    use std::fs::File;
    use std::io;
    use std::net::TcpStream;
    use std::os::fd::AsRawFd;

    /// One `sendfile(2)` call. Linux moves at most 0x7ffff000 bytes per call anyway.
    pub fn sendfile(socket: &TcpStream, file: &File, offset: u64, len: u64) -> io::Result<usize> {
        let mut offset = libc::off_t::try_from(offset)
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "file offset too large"))?;
        let count = len.min(0x7fff_f000) as usize;
        loop {
            // SAFETY: both descriptors are open for the duration of the call (borrowed from
            // live objects); `offset` is a valid, exclusively borrowed off_t the kernel updates.
            let sent =
                unsafe { libc::sendfile(socket.as_raw_fd(), file.as_raw_fd(), &mut offset, count) };
            if sent >= 0 {
                return Ok(sent as usize);
            }
            let err = io::Error::last_os_error();
            if err.kind() != io::ErrorKind::Interrupted {
                return Err(err);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;

    /// On a real loopback connection a turn is a whole number of the connection's segments and
    /// never more than the target: no turn ends in a runt. The client asks for 1,000-byte
    /// segments, which divide no power of two, so a fixed 256 KiB turn would fail here. (Linux:
    /// where the advertised MSS is known to bound the peer's.)
    #[cfg(target_os = "linux")]
    #[test]
    fn a_turn_is_whole_segments_within_the_target() {
        use socket2::{Domain, Socket, Type};
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let client = Socket::new(Domain::IPV4, Type::STREAM, None).unwrap();
        client.set_tcp_mss(1000).unwrap();
        client
            .connect(&listener.local_addr().unwrap().into())
            .unwrap();
        let (server, _) = listener.accept().unwrap();
        super::super::accept::set_options(socket2::SockRef::from(&server)).unwrap();
        send_bytes(&server, b"HTTP/1.1 200 OK\r\n\r\n").unwrap();
        let mss = segment_size(&server).unwrap();
        assert!(mss > 0 && mss <= 1000, "mss {mss}");
        let turn = turn_bytes(&server);
        assert_eq!(turn % mss, 0, "turn {turn} is not whole segments of {mss}");
        assert!(turn >= mss && turn <= TURN_TARGET, "turn {turn}, mss {mss}");
    }
}
