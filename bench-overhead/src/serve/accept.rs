//! Accepting connections in as few system calls as the OS allows: at request rates of 20,000
//! new connections a second, each call per connection is a few per cent of the server's time.
//!
//! - Linux: `accept4` returns the socket already non-blocking (no `ioctl` after it).
//! - TCP_NODELAY and the send buffer are set once on the listening socket. Where accepted
//!   sockets inherit them (Linux, the BSDs) nothing is set per connection; the first accepted
//!   socket is asked, and where they are not inherited every socket gets them as before.

use std::io;
use std::net::{TcpListener, TcpStream};

use socket2::SockRef;

use super::send::SEND_BUFFER_BYTES;

/// TCP_NODELAY and the send buffer on `socket` (a listener or a connection).
///
/// TCP_NODELAY as lighttpd has it: under Nagle a small response to a pipelined request waits for
/// the ACK of the previous one, which the client delays (~40 ms). Bodies lose nothing, as turns
/// are whole segments (`send::turn_bytes`). The buffer size: see `SEND_BUFFER_BYTES`.
pub fn set_options(socket: SockRef<'_>) -> io::Result<()> {
    socket.set_tcp_nodelay(true)?;
    socket.set_send_buffer_size(SEND_BUFFER_BYTES)
}

/// Accepts connections from a listener that has `set_options`.
pub struct Acceptor {
    /// Whether accepted sockets come with the listener's options; `None` until the first.
    inherited: Option<bool>,
}

impl Acceptor {
    pub fn new() -> Acceptor {
        Acceptor { inherited: None }
    }

    /// The next pending connection, non-blocking, with TCP_NODELAY and the send buffer;
    /// `WouldBlock` when none is pending.
    pub fn accept(&mut self, listener: &TcpListener) -> io::Result<TcpStream> {
        let stream = accept_nonblocking(listener)?;
        let inherited = match self.inherited {
            Some(inherited) => inherited,
            None => *self.inherited.insert(inherits(listener, &stream)?),
        };
        if !inherited {
            set_options(SockRef::from(&stream))?;
        }
        Ok(stream)
    }
}

/// Whether `stream` has the options of `listener` it was accepted from.
fn inherits(listener: &TcpListener, stream: &TcpStream) -> io::Result<bool> {
    let (listener, stream) = (SockRef::from(listener), SockRef::from(stream));
    Ok(stream.tcp_nodelay()? && stream.send_buffer_size()? == listener.send_buffer_size()?)
}

#[cfg(target_os = "linux")]
fn accept_nonblocking(listener: &TcpListener) -> io::Result<TcpStream> {
    use rustix::net::SocketFlags;
    let fd = rustix::net::accept_with(listener, SocketFlags::NONBLOCK | SocketFlags::CLOEXEC)?;
    Ok(TcpStream::from(fd))
}

#[cfg(not(target_os = "linux"))]
fn accept_nonblocking(listener: &TcpListener) -> io::Result<TcpStream> {
    let (stream, _) = listener.accept()?;
    stream.set_nonblocking(true)?;
    Ok(stream)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    /// A connection accepted from a real listener is non-blocking, has TCP_NODELAY and the send
    /// buffer, whether inherited or set.
    #[test]
    fn accepted_sockets_have_the_options() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        set_options(SockRef::from(&listener)).unwrap();
        let _client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let mut acceptor = Acceptor::new();
        let mut server = loop {
            match acceptor.accept(&listener) {
                Ok(stream) => break stream,
                Err(err) if err.kind() == io::ErrorKind::WouldBlock => std::thread::yield_now(),
                Err(err) => panic!("{err}"),
            }
        };
        let sock = SockRef::from(&server);
        assert!(sock.tcp_nodelay().unwrap());
        // What the kernel makes of the size asked for (Linux doubles it).
        let alone =
            socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
        alone.set_send_buffer_size(SEND_BUFFER_BYTES).unwrap();
        assert_eq!(
            sock.send_buffer_size().unwrap(),
            alone.send_buffer_size().unwrap()
        );
        let mut byte = [0u8; 1];
        let err = server.read(&mut byte).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::WouldBlock, "non-blocking");
    }
}
