//! Signals: SIGINT/SIGTERM/SIGHUP to forward to the child (as GNU `timeout` does), SIGCHLD to
//! notice its exit at once.
//!
//! The classic self-pipe: the handlers only note the signal in an atomic and write one byte to a
//! non-blocking pipe (both async-signal-safe). The monitor loop waits with `poll` on that pipe
//! with a timeout of "until the next sample", so it wakes immediately when the child exits or a
//! signal arrives, and otherwise sleeps a whole interval (no busy slices). Forwarding happens in
//! the loop, never in the handler: the loop is also the only place the child is reaped, so a
//! forwarded signal can never hit a recycled PID. Plain POSIX (sigaction, pipe, poll), so it
//! works the same on Linux, the BSDs, macOS and Haiku.

use std::io;
use std::sync::atomic::{AtomicI32, AtomicU32, Ordering};
use std::time::Duration;

/// The pipe's write end, for the handler (-1 until installed).
static WAKE_FD: AtomicI32 = AtomicI32::new(-1);
/// Signals received and not yet forwarded: one bit per entry of [`FORWARDED`].
static PENDING: AtomicU32 = AtomicU32::new(0);

const FORWARDED: [libc::c_int; 3] = [libc::SIGINT, libc::SIGTERM, libc::SIGHUP];

extern "C" fn on_signal(signal: libc::c_int) {
    if let Some(bit) = FORWARDED.iter().position(|&s| s == signal) {
        PENDING.fetch_or(1 << bit, Ordering::SeqCst);
    }
    let fd = WAKE_FD.load(Ordering::SeqCst);
    if fd >= 0 {
        let byte = 1u8;
        // SAFETY: write is async-signal-safe; `byte` outlives the call. The pipe is non-blocking:
        // when it is full a wake-up is already pending, so the result can be ignored. write only
        // changes errno when it fails, which needs a full pipe (64 KiB of unread wake-ups).
        unsafe { libc::write(fd, (&byte as *const u8).cast(), 1) };
    }
}

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

/// The installed handlers and the pipe they write to.
pub struct Signals {
    read_fd: libc::c_int,
}

impl Signals {
    /// Creates the pipe and installs the handlers. Call once, before spawning the child (a
    /// signal before the spawn is then forwarded right after it).
    pub fn install() -> io::Result<Signals> {
        let mut fds = [0 as libc::c_int; 2];
        // SAFETY: `fds` is a valid array of two ints for pipe to fill.
        if unsafe { libc::pipe(fds.as_mut_ptr()) } != 0 {
            return Err(io::Error::last_os_error());
        }
        for fd in fds {
            // SAFETY: fcntl on descriptors we just created; no pointers involved.
            // Close-on-exec keeps the pipe out of the child; non-blocking keeps the handler and
            // the draining loop from ever blocking.
            let ok = unsafe {
                libc::fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC) == 0
                    && libc::fcntl(fd, libc::F_SETFL, libc::O_NONBLOCK) == 0
            };
            if !ok {
                return Err(io::Error::last_os_error());
            }
        }
        WAKE_FD.store(fds[1], Ordering::SeqCst);
        for signal in FORWARDED.into_iter().chain([libc::SIGCHLD]) {
            // A signal memmon was started with ignored (`nohup`, a background job of a script)
            // stays ignored: a handler would be reset to the default action by exec, and the
            // command would die of a signal it was meant to ignore.
            if signal != libc::SIGCHLD && is_ignored(signal)? {
                continue;
            }
            // SAFETY: sigaction is a plain C struct; all-zero bytes are a valid (empty) value.
            let mut action: libc::sigaction = unsafe { std::mem::zeroed() };
            action.sa_sigaction = on_signal as *const () as libc::sighandler_t;
            // SA_RESTART: other system calls (writes of the CSV) resume instead of failing with
            // EINTR. SA_NOCLDSTOP: a stopped child is not an exit.
            action.sa_flags = libc::SA_RESTART | libc::SA_NOCLDSTOP;
            // SAFETY: `action` is fully initialised, its handler only touches atomics and
            // write(2); the mask is emptied before use. The old action is not needed.
            let ok = unsafe {
                libc::sigemptyset(&mut action.sa_mask) == 0
                    && libc::sigaction(signal, &action, std::ptr::null_mut()) == 0
            };
            if !ok {
                return Err(io::Error::last_os_error());
            }
        }
        Ok(Signals { read_fd: fds[0] })
    }

    /// Waits until a signal arrives or `timeout` has passed. Returns whether a signal arrived
    /// (then the pipe has been drained); `false` means the time is up.
    pub fn wait(&self, timeout: Duration) -> bool {
        // Round up so the loop never wakes just before the deadline and spins.
        let millis = timeout.as_nanos().div_ceil(1_000_000).min(i32::MAX as u128) as libc::c_int;
        let mut pollfd = libc::pollfd {
            fd: self.read_fd,
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: one valid pollfd. EINTR (a signal) simply ends the wait early, which is wanted.
        if unsafe { libc::poll(&mut pollfd, 1, millis) } == 0 {
            return false;
        }
        let mut buffer = [0u8; 64];
        // SAFETY: reads into a local buffer of the given length from our non-blocking pipe.
        while unsafe { libc::read(self.read_fd, buffer.as_mut_ptr().cast(), buffer.len()) } > 0 {}
        true
    }

    /// The signals received since the last call, to forward to the child.
    pub fn take_pending(&self) -> impl Iterator<Item = libc::c_int> {
        let bits = PENDING.swap(0, Ordering::SeqCst);
        FORWARDED
            .into_iter()
            .enumerate()
            .filter(move |(bit, _)| bits & (1 << bit) != 0)
            .map(|(_, signal)| signal)
    }
}
