//! The receive buffer: `--buffer-size` bytes that are allocated but never zeroed.
//!
//! A zeroed buffer (`vec![0; n]`) would write every page of it up front: 4 MiB per thread is 4 GB
//! of memset and resident memory for a thousand threaded jobs that each receive a few bytes, and
//! glibc's `calloc` does zero memory it recycles from its heap. Here only the pages that `recv`
//! actually fills become resident, so the client's memory shows what the I/O model costs, not
//! what the benchmark allocated.

use std::io;
use std::mem::MaybeUninit;

use socket2::Socket;

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

    /// One `recv` call on `socket` into the buffer; the bytes received (empty at EOF).
    pub fn recv(&mut self, socket: &Socket) -> io::Result<&[u8]> {
        let received = socket.recv(&mut self.storage)?;
        let received = received.min(self.storage.len());
        // SAFETY: recv(2) wrote, and so initialised, the first `received` bytes of the buffer
        // (socket2's `recv` documents that those bytes are initialised), and `received` is
        // within the buffer. The slice borrows `self`, so the bytes cannot change under it.
        Ok(unsafe { std::slice::from_raw_parts(self.storage.as_ptr().cast::<u8>(), received) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::net::{TcpListener, TcpStream};

    #[test]
    fn receives_exactly_what_was_sent() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let mut client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (server, _) = listener.accept().unwrap();
        client.write_all(b"hello").unwrap();
        drop(client);
        let socket = Socket::from(server);
        let mut buffer = RecvBuffer::new(64);
        let mut got = Vec::new();
        loop {
            let bytes = buffer.recv(&socket).unwrap();
            if bytes.is_empty() {
                break;
            }
            got.extend_from_slice(bytes);
        }
        assert_eq!(got, b"hello");
    }
}
