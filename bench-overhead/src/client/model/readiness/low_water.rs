//! The readiness model's low-water mark for bulk bodies: `SO_RCVLOWAT`, so that a download's
//! socket is reported readable once `--low-water` bytes (256 KiB by default) have arrived, or the
//! rest of the body when less is left, or at EOF or an error.
//!
//! Why: without it a readiness loop wakes as soon as any data is queued, and the faster the loop,
//! the less each wakeup finds. Measured here (100 × 200 MiB from lighttpd on loopback), raw epoll
//! then woke 11 times per MiB and read 86 KiB per recv, ~15 % slower than the `polling` crate,
//! whose four extra calls per wait let more data gather; each small read also returns window to
//! the sender in small steps. With the mark every backend wakes about 4 times per MiB, reads
//! 256 KiB per recv, uses less CPU, and epoll and the crate move data at the same rate — so the
//! backends differ by their own calls, not by how early they happen to wake.
//!
//! The mark is set once the response head has announced a Content-Length and is lowered to the
//! bytes still to come near the end, so the last chunk is never held back (a body without
//! Content-Length, and every request-rate response, runs at the OS's default of 1 byte). Each
//! change is one counted `setsockopt`, two or three per connection. Where the OS refuses the
//! option, the run goes on without it and the record says so (`backend_features`).
//!
//! A mark hides bytes that have arrived, and the idle timeout and the speed floor judge the bytes
//! the loop has seen: a server sending slower than a mark per sweep interval would look idle. So
//! a connection that has shown no progress for a sweep interval has its mark released (set back
//! to 1 byte, which also wakes the loop for what is queued) and runs as a plain loop from then on;
//! the record counts such connections.

use std::os::fd::OwnedFd;

use crate::client::net;
use crate::client::syscalls::Counters;
use crate::units::format_bytes;

/// The mark every socket starts with (the OS default on every Unix).
pub const DEFAULT: u32 = 1;

/// One socket's mark.
#[derive(Debug, Clone, Copy)]
pub struct Mark {
    /// The mark set now.
    bytes: u32,
    /// Released for slowness: never raised again.
    released: bool,
}

impl Default for Mark {
    fn default() -> Mark {
        Mark {
            bytes: DEFAULT,
            released: false,
        }
    }
}

impl Mark {
    /// Whether it is set: bytes may be waiting unseen behind it.
    pub fn holds(&self) -> bool {
        self.bytes > DEFAULT
    }

    /// Whether bytes may be queued that the loop has not been woken for: behind the mark, or
    /// behind one released since the last wait (the release's wakeup is seen at the next wait).
    pub fn may_hide(&self) -> bool {
        self.holds() || self.released
    }
}

/// One event loop's low-water setting and what became of it.
#[derive(Debug)]
pub struct LowWater {
    /// `--low-water`; [`DEFAULT`] or less: the option is never set.
    mark: u32,
    /// Marks set (counted calls that succeeded).
    set: u64,
    /// Connections whose mark was released for slowness.
    released: u64,
    /// The OS refused the option: no more attempts this run.
    refused: Option<String>,
}

impl LowWater {
    pub fn new(mark: u32) -> LowWater {
        LowWater {
            mark,
            set: 0,
            released: 0,
            refused: None,
        }
    }

    /// After a received chunk: moves `socket`'s `mark` to what the `remaining` body bytes call
    /// for.
    pub fn follow(
        &mut self,
        socket: &OwnedFd,
        mark: &mut Mark,
        remaining: Option<u64>,
        counters: &mut Counters,
    ) {
        if self.mark <= DEFAULT || self.refused.is_some() || mark.released {
            return;
        }
        let Some(remaining) = remaining else {
            return;
        };
        let wanted = remaining.clamp(u64::from(DEFAULT), u64::from(self.mark)) as u32;
        if wanted != mark.bytes {
            self.set_to(socket, mark, wanted, counters);
        }
    }

    /// The connection showed no progress for a sweep interval: its mark goes back to 1 byte for
    /// the rest of the connection.
    pub fn release(&mut self, socket: &OwnedFd, mark: &mut Mark, counters: &mut Counters) {
        if !mark.holds() || mark.released {
            return;
        }
        mark.released = true;
        self.released += 1;
        self.set_to(socket, mark, DEFAULT, counters);
    }

    fn set_to(&mut self, socket: &OwnedFd, mark: &mut Mark, bytes: u32, counters: &mut Counters) {
        match net::set_low_water(socket, bytes, counters) {
            Ok(()) => {
                mark.bytes = bytes;
                self.set += 1;
            }
            Err(err) => self.refused = Some(err.to_string()),
        }
    }

    /// What the record's `backend_features` says of it; empty when it was never used.
    pub fn features(&self) -> String {
        match (&self.refused, self.set) {
            (Some(err), _) => format!("SO_RCVLOWAT refused ({err}): reads wake at any data"),
            (None, 0) => String::new(),
            (None, _) => {
                let mut text = format!(
                    "SO_RCVLOWAT {} for bulk bodies",
                    format_bytes(u64::from(self.mark))
                );
                if self.released > 0 {
                    let n = self.released;
                    text += &format!(" (released on {n} slow connections)");
                }
                text
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::syscalls::Kind;
    use rustix::event::{poll, PollFd, PollFlags, Timespec};
    use std::io::Write;
    use std::net::{TcpListener, TcpStream};

    /// A connected pair: the client end as an `OwnedFd`, the server end as a stream.
    fn pair() -> (OwnedFd, TcpStream) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (server, _) = listener.accept().unwrap();
        (OwnedFd::from(client), server)
    }

    /// Whether poll(2) reports `socket` readable within `ms`.
    fn readable(socket: &OwnedFd, ms: i64) -> bool {
        let mut fds = [PollFd::new(socket, PollFlags::IN)];
        let timeout = Timespec {
            tv_sec: ms / 1000,
            tv_nsec: (ms % 1000) * 1_000_000,
        };
        poll(&mut fds, Some(&timeout)).unwrap() == 1
    }

    #[test]
    fn follows_the_body_down_sets_only_changes_and_stays_released() {
        let (socket, _server) = pair();
        let mut low = LowWater::new(256 * 1024);
        let mut counters = Counters::default();
        let mut mark = Mark::default();
        let calls = |counters: &Counters| counters.get(Kind::Sockopt);
        low.follow(&socket, &mut mark, None, &mut counters);
        assert_eq!((mark.bytes, calls(&counters)), (DEFAULT, 0));
        assert!(!mark.may_hide(), "an unmarked socket hides nothing");
        low.follow(&socket, &mut mark, Some(10 << 20), &mut counters);
        assert_eq!(mark.bytes, 256 * 1024);
        low.follow(&socket, &mut mark, Some(5 << 20), &mut counters);
        assert_eq!(calls(&counters), 1, "an unchanged mark is not set again");
        low.follow(&socket, &mut mark, Some(1000), &mut counters);
        assert_eq!((mark.bytes, calls(&counters)), (1000, 2));
        assert_eq!(low.features(), "SO_RCVLOWAT 256.000 KiB for bulk bodies");
        assert!(mark.may_hide());
        low.release(&socket, &mut mark, &mut counters);
        assert_eq!((mark.bytes, calls(&counters)), (DEFAULT, 3));
        assert!(
            mark.may_hide(),
            "bytes released are unseen until the next wait"
        );
        low.follow(&socket, &mut mark, Some(900), &mut counters);
        assert_eq!(mark.bytes, DEFAULT, "a released mark is not raised again");
        assert_eq!(
            low.features(),
            "SO_RCVLOWAT 256.000 KiB for bulk bodies (released on 1 slow connections)"
        );
    }

    /// The OS holds readability back until the mark is reached (the wakeups the mark saves), and
    /// releasing it shows what was held.
    #[cfg(target_os = "linux")]
    #[test]
    fn the_socket_is_readable_only_once_the_mark_has_arrived_or_is_released() {
        let mut low = LowWater::new(256 * 1024);
        let mut counters = Counters::default();
        // A socket marked for a 1000-byte body of which 600 bytes have been sent.
        let mut held_back = || {
            let (socket, mut server) = pair();
            let mut mark = Mark::default();
            low.follow(&socket, &mut mark, Some(1000), &mut counters);
            server.write_all(&[7; 600]).unwrap();
            assert!(
                !readable(&socket, 200),
                "600 of 1000 bytes reported readable"
            );
            (socket, server, mark)
        };
        let (socket, mut server, _) = held_back();
        server.write_all(&[7; 400]).unwrap();
        assert!(
            readable(&socket, 10_000),
            "1000 of 1000 bytes not reported readable"
        );
        let (socket, _server, mut mark) = held_back();
        low.release(&socket, &mut mark, &mut counters);
        assert!(
            readable(&socket, 10_000),
            "600 bytes not readable once released"
        );
    }

    #[test]
    fn a_mark_of_one_byte_is_never_set() {
        let (socket, mut server) = pair();
        let mut low = LowWater::new(DEFAULT);
        let mut counters = Counters::default();
        let mut mark = Mark::default();
        low.follow(&socket, &mut mark, Some(10 << 20), &mut counters);
        low.release(&socket, &mut mark, &mut counters);
        assert_eq!(counters.get(Kind::Sockopt), 0);
        assert_eq!(low.features(), "");
        server.write_all(&[7; 1]).unwrap();
        assert!(
            readable(&socket, 10_000),
            "one byte is readable without a mark"
        );
    }
}
