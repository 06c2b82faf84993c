//! Signals: SIGINT/SIGTERM/SIGHUP to forward to the child (as GNU `timeout` does), SIGCHLD to
//! notice its exit at once.
//!
//! The self-pipe of `bench_sys::signals`: the monitor loop waits on it with a timeout of "until
//! the next sample", so it wakes immediately when the child exits or a signal arrives, and
//! otherwise sleeps a whole interval (no busy slices). Forwarding happens in the loop, never in
//! the handler: the loop is also the only place the child is reaped, so a forwarded signal can
//! never hit a recycled PID. A forwarded signal memmon was started with ignored stays ignored,
//! so the command does not die of a signal it was meant to ignore.

use std::io;
use std::time::Duration;

use bench_sys::signals::{IfIgnored, SignalPipe};

/// The signals forwarded to the child.
const FORWARDED: [libc::c_int; 3] = [libc::SIGINT, libc::SIGTERM, libc::SIGHUP];

/// The installed handlers and the pipe they write to.
pub struct Signals {
    pipe: SignalPipe,
}

impl Signals {
    /// Installs the handlers. Call once, before spawning the child (a signal before the spawn is
    /// then forwarded right after it).
    pub fn install() -> io::Result<Signals> {
        let pipe = SignalPipe::install(&[
            (libc::SIGINT, IfIgnored::Keep),
            (libc::SIGTERM, IfIgnored::Keep),
            (libc::SIGHUP, IfIgnored::Keep),
            (libc::SIGCHLD, IfIgnored::Catch),
        ])?;
        Ok(Signals { pipe })
    }

    /// Waits until a signal arrives or `timeout` has passed. Returns whether a signal arrived;
    /// `false` means the time is up.
    pub fn wait(&self, timeout: Duration) -> bool {
        self.pipe.wait(timeout)
    }

    /// The signals received since the last call, to forward to the child.
    pub fn take_pending(&self) -> impl Iterator<Item = libc::c_int> {
        self.pipe
            .take()
            .into_iter()
            .filter(|signal| FORWARDED.contains(signal))
    }
}
