//! The open-file limit: every connection is a file descriptor, so the client raises its soft limit
//! as far as the hard limit allows and refuses, before opening anything, a connection count it
//! could not hold. Running out of descriptors mid-run would fail jobs for a reason that says
//! nothing about the OS under test.

/// Descriptors besides the sockets: stdio, the poller, CSV files, and a margin for the runtime.
pub const RESERVED_FDS: u64 = 32;

pub use platform::raise_open_file_limit;

/// The open-file limit after raising it: `soft` is what the process may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileLimit {
    pub soft: u64,
    pub hard: u64,
}

/// Checks that `connections` sockets fit under the (raised) limit; the error names the limit and
/// what to do.
pub fn ensure_room_for(connections: u32) -> anyhow::Result<()> {
    let Some(limit) = raise_open_file_limit() else {
        return Ok(()); // The OS has no such limit we can read.
    };
    let needed = u64::from(connections) + RESERVED_FDS;
    if needed > limit.soft {
        let hint = if needed > limit.hard {
            format!(
                "raise the hard limit (e.g. `ulimit -Hn {needed}` as root, or /etc/security/limits.conf)"
            )
        } else {
            format!("raise it with `ulimit -n {needed}`")
        };
        anyhow::bail!(
            "{connections} connections need about {needed} open files but the open-file limit \
             (RLIMIT_NOFILE) is {} (hard limit {}): {hint}, or use fewer --connections",
            limit.soft,
            limit.hard
        );
    }
    Ok(())
}

#[cfg(unix)]
mod platform {
    use super::FileLimit;

    /// Raises the soft RLIMIT_NOFILE to the hard limit (or as far as the OS accepts) and returns
    /// the limits in force afterwards.
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
                // macOS refuses RLIM_INFINITY for files; its kernel maximum is OPEN_MAX-like.
                let mut capped = limit;
                capped.rlim_cur = limit.rlim_max.min(10_240);
                // SAFETY: as above.
                if capped.rlim_cur > limit.rlim_cur
                    && unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &capped) } == 0
                {
                    limit = capped;
                }
            }
        }
        // `rlim_t` is not 64 bits everywhere (32-bit targets, Haiku), hence the cast.
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
