//! Signals turned into something a loop can wait on: the self-pipe. A handler may do almost
//! nothing safely, so it only notes the signal in a flag and writes a byte to a socket pair
//! (`signal-hook` installs it, with `SA_RESTART` so other system calls resume); the loop waits for
//! that socket with its own timeout, or has its poller watch it, and acts on the flags between
//! two of its steps, never inside the handler.
//!
//! memmon uses it to forward SIGINT/SIGTERM/SIGHUP to its child and to notice SIGCHLD at once; the
//! built-in server to stop cleanly between two events. Unix only; elsewhere nothing is caught
//! and the OS's default applies.

/// What to do with a signal the process was started with ignored (`nohup`, a background job of a
/// script): a handler would be reset to the default action by `exec`, so a child would die of a
/// signal it was meant to ignore, and a server would stop on a Ctrl-C meant for its script.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IfIgnored {
    /// Leave it ignored.
    Keep,
    /// Catch it anyway (SIGCHLD; a server's SIGTERM, the one way its script stops it).
    Catch,
}

pub use platform::{ignore, SignalPipe};

#[cfg(unix)]
mod platform {
    use std::io::{self, Read};
    use std::os::fd::{AsFd, AsRawFd, BorrowedFd};
    use std::os::unix::net::UnixStream;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;
    use std::time::Duration;

    use signal_hook::low_level::pipe;
    use signal_hook::SigId;

    use super::IfIgnored;

    /// Whether `signal`'s current disposition is "ignore".
    fn is_ignored(signal: libc::c_int) -> io::Result<bool> {
        // SAFETY: sigaction is a plain C struct; all-zero bytes are a valid value.
        let mut current: libc::sigaction = unsafe { std::mem::zeroed() };
        // SAFETY: a null new action only queries; `current` is a valid, exclusive pointer.
        if unsafe { libc::sigaction(signal, std::ptr::null(), &mut current) } != 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(current.sa_sigaction == libc::SIG_IGN)
    }

    /// The caught signals and the socket their handler writes to.
    pub struct SignalPipe {
        read: UnixStream,
        /// Kept open, so that the socket never reads as closed, even with no signal caught.
        _write: UnixStream,
        caught: Vec<(libc::c_int, Arc<AtomicBool>)>,
        ids: Vec<SigId>,
    }

    impl SignalPipe {
        /// Catches `signals` (each kept ignored or not as it says). Install before spawning a
        /// child or serving, so that a signal from then on is never lost.
        pub fn install(signals: &[(libc::c_int, IfIgnored)]) -> io::Result<SignalPipe> {
            let (read, write) = UnixStream::pair()?;
            read.set_nonblocking(true)?;
            let mut pipe = SignalPipe {
                read,
                _write: write.try_clone()?,
                caught: Vec::new(),
                ids: Vec::new(),
            };
            for &(signal, if_ignored) in signals {
                if if_ignored == IfIgnored::Keep && is_ignored(signal)? {
                    continue;
                }
                let flag = Arc::new(AtomicBool::new(false));
                pipe.ids
                    .push(signal_hook::flag::register(signal, Arc::clone(&flag))?);
                pipe.ids.push(pipe::register(signal, write.try_clone()?)?);
                pipe.caught.push((signal, flag));
            }
            Ok(pipe)
        }

        /// The socket that becomes readable when a signal arrives, for a poller to watch.
        pub fn fd(&self) -> BorrowedFd<'_> {
            self.read.as_fd()
        }

        /// Waits until a signal arrives or `timeout` has passed; returns whether one arrived
        /// (then the socket has been drained). A wait rounds up to whole milliseconds, so a loop
        /// never wakes just before its deadline and spins.
        pub fn wait(&self, timeout: Duration) -> bool {
            let millis =
                timeout.as_nanos().div_ceil(1_000_000).min(i32::MAX as u128) as libc::c_int;
            let mut pollfd = libc::pollfd {
                fd: self.read.as_raw_fd(),
                events: libc::POLLIN,
                revents: 0,
            };
            // SAFETY: one valid pollfd for the call. EINTR (a signal) simply ends the wait early,
            // which is wanted.
            if unsafe { libc::poll(&mut pollfd, 1, millis) } == 0 {
                return false;
            }
            self.drain();
            true
        }

        /// Empties the socket (its bytes only say "a signal came"; the flags say which).
        pub fn drain(&self) {
            let mut buffer = [0u8; 64];
            while matches!((&self.read).read(&mut buffer), Ok(n) if n > 0) {}
        }

        /// The signals that arrived since the last call, in the order they were installed.
        pub fn take(&self) -> Vec<libc::c_int> {
            self.caught
                .iter()
                .filter(|(_, flag)| flag.swap(false, Ordering::SeqCst))
                .map(|(signal, _)| *signal)
                .collect()
        }
    }

    impl Drop for SignalPipe {
        fn drop(&mut self) {
            for id in self.ids.drain(..) {
                signal_hook::low_level::unregister(id);
            }
        }
    }

    /// Ignores `signals` for the rest of the process: a short bookkeeping step that must finish
    /// its write through a Ctrl-C meant for its script.
    pub fn ignore(signals: &[libc::c_int]) {
        for &signal in signals {
            // SAFETY: installing SIG_IGN touches no Rust state and no handler code runs; it is
            // sound at any point of a program.
            unsafe {
                libc::signal(signal, libc::SIG_IGN);
            }
        }
    }
}

#[cfg(not(unix))]
mod platform {
    use std::io;
    use std::time::Duration;

    use super::IfIgnored;

    /// No signals to catch here: Ctrl-C ends the process the OS's way.
    pub struct SignalPipe;

    impl SignalPipe {
        pub fn install(_signals: &[(i32, IfIgnored)]) -> io::Result<SignalPipe> {
            Ok(SignalPipe)
        }

        pub fn wait(&self, timeout: Duration) -> bool {
            std::thread::sleep(timeout);
            false
        }

        pub fn drain(&self) {}

        pub fn take(&self) -> Vec<i32> {
            Vec::new()
        }
    }

    pub fn ignore(_signals: &[i32]) {}
}

#[cfg(all(test, unix))]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn a_raised_signal_wakes_the_wait_and_is_taken_once() {
        let pipe = SignalPipe::install(&[(libc::SIGUSR1, IfIgnored::Catch)]).unwrap();
        assert!(!pipe.wait(Duration::from_millis(1)));
        assert!(pipe.take().is_empty());
        signal_hook::low_level::raise(libc::SIGUSR1).unwrap();
        assert!(pipe.wait(Duration::from_secs(5)));
        assert_eq!(pipe.take(), vec![libc::SIGUSR1]);
        assert!(pipe.take().is_empty());
    }

    #[test]
    fn an_ignored_signal_stays_ignored_when_asked() {
        ignore(&[libc::SIGUSR2]);
        let pipe = SignalPipe::install(&[(libc::SIGUSR2, IfIgnored::Keep)]).unwrap();
        signal_hook::low_level::raise(libc::SIGUSR2).unwrap();
        assert!(!pipe.wait(Duration::from_millis(20)));
        assert!(pipe.take().is_empty());
    }
}
