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

/// The send buffer each connection gets (Linux doubles it for bookkeeping: 1 MiB in effect).
/// Left to autotuning it grows to 4 MiB, the server runs that far ahead of the client, and the
/// client then copies megabytes per `recv` out of queues gone cold in the cache: the poll client
/// reached 0.70–0.80× its lighttpd aggregate that way and 0.90–1.02× with this buffer alone (see
/// `BYTES_PER_WAKE` in connection.rs for the pair). It also bounds what 10,000 connections can pin
/// in kernel memory. 1 MiB drains in well under a millisecond on loopback, and still in 8 ms at
/// the ~120 MiB/s a QEMU guest reaches, so no link the suite measures is held back by it.
pub const SEND_BUFFER_BYTES: usize = 512 * 1024;

/// Readies an accepted connection: non-blocking, TCP_NODELAY, and a fixed send buffer.
///
/// TCP_NODELAY as lighttpd has it (set on its listening socket, inherited): under Nagle a small
/// response to a pipelined request waits for the ACK of the previous one, which the client delays
/// (~40 ms). Bulk bodies lose nothing: `sendfile` hands the socket whole segments either way.
pub fn prepare_socket(socket: &TcpStream) -> io::Result<()> {
    socket.set_nonblocking(true)?;
    socket.set_nodelay(true)?;
    socket2::SockRef::from(socket).set_send_buffer_size(SEND_BUFFER_BYTES)
}

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
