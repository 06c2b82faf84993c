//! What the server needs from the OS beyond sockets: enough file descriptors for 10,000
//! connections, and a clean stop on SIGINT/SIGTERM. Both are `bench_sys`'s, shared with the
//! client and memmon; this says how the server uses them.

use std::io;

use bench_sys::signals::{IfIgnored, SignalPipe};

/// Raises the soft descriptor limit as far as the OS allows (each connection holds a socket and,
/// while sending, a file). Returns the limit now in force, `None` when it is unlimited or unknown.
pub fn raise_descriptor_limit() -> Option<u64> {
    bench_sys::limits::raise_open_file_limit()?.finite_soft()
}

/// SIGINT and SIGTERM turned into a readable socket the event loop waits on (the self-pipe), so
/// the loop stops between two events with every connection in a known state.
///
/// A SIGINT the server was started with ignored (a background job of a script) stays ignored, as
/// a shell's background jobs expect: a Ctrl-C meant for the script must not stop the server under
/// its feet; the script stops it with SIGTERM, which is always caught, so that stop can never be
/// ignored.
pub struct ShutdownSignal {
    pipe: SignalPipe,
}

impl ShutdownSignal {
    pub fn install() -> io::Result<ShutdownSignal> {
        let pipe = SignalPipe::install(&[
            (libc::SIGINT, IfIgnored::Keep),
            (libc::SIGTERM, IfIgnored::Catch),
        ])?;
        Ok(ShutdownSignal { pipe })
    }

    /// The name of the signal that asked for a stop, if one did.
    pub fn received(&self) -> Option<&'static str> {
        self.pipe.drain();
        let taken = self.pipe.take();
        if taken.contains(&libc::SIGINT) {
            Some("SIGINT")
        } else if taken.is_empty() {
            None
        } else {
            Some("SIGTERM")
        }
    }

    #[cfg(unix)]
    pub fn fd(&self) -> std::os::fd::BorrowedFd<'_> {
        self.pipe.fd()
    }
}
