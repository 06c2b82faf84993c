//! What the server needs from the OS beyond sockets: enough file descriptors for 10,000
//! connections, and a clean stop on SIGINT/SIGTERM. Unix only (Linux, the BSDs, macOS, Haiku);
//! elsewhere the limits stay as they are and the default signal behaviour applies.

pub use imp::{raise_descriptor_limit, ShutdownSignal};

#[cfg(unix)]
mod imp {
    use std::fs::File;
    use std::io::{self, Read};
    use std::os::fd::{AsFd, BorrowedFd, FromRawFd};
    use std::sync::atomic::{AtomicI32, Ordering};

    /// Raises the soft descriptor limit to the hard one (each connection holds a socket and,
    /// while sending, a file). Returns the limit now in force, `None` when it is unlimited.
    pub fn raise_descriptor_limit() -> Option<u64> {
        let mut limit = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: getrlimit only writes the struct we pass, which lives on this stack frame.
        if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } != 0 {
            return None;
        }
        if limit.rlim_cur < limit.rlim_max {
            // macOS refuses more than OPEN_MAX even when the hard limit says "unlimited".
            let wanted = if cfg!(target_os = "macos") {
                limit.rlim_max.min(10240)
            } else {
                limit.rlim_max
            };
            let raised = libc::rlimit {
                rlim_cur: wanted,
                rlim_max: limit.rlim_max,
            };
            // SAFETY: setrlimit reads the struct we pass; failure leaves the old limit in force.
            if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &raised) } == 0 {
                limit.rlim_cur = wanted;
            }
        }
        // rlim_t is u64 on Linux but pointer-sized on Haiku.
        #[allow(clippy::unnecessary_cast)]
        (limit.rlim_cur != libc::RLIM_INFINITY).then_some(limit.rlim_cur as u64)
    }

    /// The write end of the self-pipe, for the signal handler (the only thing it may touch).
    static PIPE_WRITE: AtomicI32 = AtomicI32::new(-1);

    extern "C" fn on_signal(signal: libc::c_int) {
        let byte = signal as u8;
        let fd = PIPE_WRITE.load(Ordering::Relaxed);
        // SAFETY: write(2) is async-signal-safe; `byte` lives for the call. A full pipe (the
        // loop already has a stop request pending) just drops the byte.
        unsafe {
            libc::write(fd, (&byte as *const u8).cast(), 1);
        }
    }

    /// Whether `signal`'s disposition is SIG_IGN.
    fn is_ignored(signal: libc::c_int) -> io::Result<bool> {
        // SAFETY: a zeroed sigaction is a valid value for the kernel to overwrite; a null new
        // action makes this a pure query.
        let mut current: libc::sigaction = unsafe { std::mem::zeroed() };
        // SAFETY: `current` lives on this frame for the call.
        if unsafe { libc::sigaction(signal, std::ptr::null(), &mut current) } != 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(current.sa_sigaction == libc::SIG_IGN)
    }

    /// SIGINT and SIGTERM turned into a readable pipe the event loop waits on (the self-pipe
    /// trick), so the loop stops between two events with every connection in a known state.
    pub struct ShutdownSignal {
        read: File,
        _write: File,
    }

    impl ShutdownSignal {
        pub fn install() -> io::Result<ShutdownSignal> {
            let mut fds = [0; 2];
            // SAFETY: pipe writes two new descriptors into the array we pass.
            if unsafe { libc::pipe(fds.as_mut_ptr()) } != 0 {
                return Err(io::Error::last_os_error());
            }
            // SAFETY: both descriptors were just created and are owned by nothing else.
            let (read, write) = unsafe { (File::from_raw_fd(fds[0]), File::from_raw_fd(fds[1])) };
            for fd in fds {
                // SAFETY: fcntl on descriptors we own; only flags change.
                unsafe {
                    let flags = libc::fcntl(fd, libc::F_GETFL);
                    libc::fcntl(fd, libc::F_SETFL, flags | libc::O_NONBLOCK);
                    libc::fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC);
                }
            }
            PIPE_WRITE.store(fds[1], Ordering::Relaxed);
            for signal in [libc::SIGINT, libc::SIGTERM] {
                // A SIGINT the server was started with ignored (a background job of a script)
                // stays ignored, as a shell's background jobs expect: a Ctrl-C meant for the
                // script must not stop the server under its feet; the script stops it with
                // SIGTERM, which is always handled, so that stop can never be ignored.
                if signal == libc::SIGINT && is_ignored(signal)? {
                    continue;
                }
                // SAFETY: a zeroed sigaction is a valid "no flags, empty mask" value; the
                // handler only performs async-signal-safe work.
                unsafe {
                    let mut action: libc::sigaction = std::mem::zeroed();
                    action.sa_sigaction = on_signal as *const () as libc::sighandler_t;
                    action.sa_flags = libc::SA_RESTART;
                    libc::sigemptyset(&mut action.sa_mask);
                    if libc::sigaction(signal, &action, std::ptr::null_mut()) != 0 {
                        return Err(io::Error::last_os_error());
                    }
                }
            }
            Ok(ShutdownSignal {
                read,
                _write: write,
            })
        }

        /// The name of the signal that asked for a stop, if one did.
        pub fn received(&self) -> Option<&'static str> {
            let mut byte = [0u8; 1];
            match (&self.read).read(&mut byte) {
                Ok(1) if i32::from(byte[0]) == libc::SIGINT => Some("SIGINT"),
                Ok(1) => Some("SIGTERM"),
                _ => None,
            }
        }

        pub fn fd(&self) -> BorrowedFd<'_> {
            self.read.as_fd()
        }
    }
}

#[cfg(not(unix))]
mod imp {
    use std::io;

    pub fn raise_descriptor_limit() -> Option<u64> {
        None
    }

    /// No signals to catch here: Ctrl-C ends the process the OS's way.
    pub struct ShutdownSignal;

    impl ShutdownSignal {
        pub fn install() -> io::Result<ShutdownSignal> {
            Ok(ShutdownSignal)
        }

        pub fn received(&self) -> Option<&'static str> {
            None
        }
    }
}
