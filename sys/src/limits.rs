//! The open-file limit: every connection is a file descriptor (and the built-in server holds a
//! file open beside each socket it sends from), so the client and the server raise their soft
//! limit as far as the hard limit allows, by one rule set.

/// The open-file limit after raising it: `soft` is what the process may use. `u64::MAX` stands
/// for "unlimited".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileLimit {
    pub soft: u64,
    pub hard: u64,
}

impl FileLimit {
    /// The soft limit, `None` when unlimited.
    pub fn finite_soft(self) -> Option<u64> {
        (self.soft != u64::MAX).then_some(self.soft)
    }
}

/// macOS refuses a soft limit above its kernel's per-process maximum (OPEN_MAX-like) even when
/// the hard limit says "unlimited"; this is as far as it goes.
const MACOS_MAX: u64 = 10_240;

pub use platform::raise_open_file_limit;

#[cfg(unix)]
mod platform {
    use super::{FileLimit, MACOS_MAX};

    /// Raises the soft RLIMIT_NOFILE to the hard limit (or, where the OS refuses that, to
    /// [`MACOS_MAX`]) and returns the limits in force afterwards; `None` when they cannot be read.
    pub fn raise_open_file_limit() -> Option<FileLimit> {
        // SAFETY: `rlimit` is plain old data; `getrlimit` and `setrlimit` only read or write the
        // struct we pass, which lives for the whole call.
        let mut limit: libc::rlimit = unsafe { std::mem::zeroed() };
        if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } != 0 {
            return None;
        }
        if limit.rlim_cur < limit.rlim_max {
            let mut raised = limit;
            raised.rlim_cur = limit.rlim_max;
            // SAFETY: as above.
            if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &raised) } == 0 {
                limit = raised;
            } else {
                let mut capped = limit;
                // `rlim_t` is not 64 bits everywhere (32-bit targets, Haiku), hence the casts.
                #[allow(clippy::unnecessary_cast)]
                {
                    capped.rlim_cur = (limit.rlim_max as u64).min(MACOS_MAX) as libc::rlim_t;
                }
                // SAFETY: as above.
                if capped.rlim_cur > limit.rlim_cur
                    && unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &capped) } == 0
                {
                    limit = capped;
                }
            }
        }
        #[allow(clippy::unnecessary_cast)]
        let to_u64 = |v: libc::rlim_t| -> u64 {
            if v == libc::RLIM_INFINITY {
                u64::MAX
            } else {
                v as u64
            }
        };
        Some(FileLimit {
            soft: to_u64(limit.rlim_cur),
            hard: to_u64(limit.rlim_max),
        })
    }
}

#[cfg(not(unix))]
mod platform {
    use super::FileLimit;

    pub fn raise_open_file_limit() -> Option<FileLimit> {
        None
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn the_raised_soft_limit_is_within_the_hard_one() {
        let limit = raise_open_file_limit().expect("RLIMIT_NOFILE is readable");
        assert!(limit.soft <= limit.hard);
        assert!(limit.soft >= 3, "{limit:?}");
        // Raising again changes nothing.
        assert_eq!(raise_open_file_limit(), Some(limit));
    }
}
