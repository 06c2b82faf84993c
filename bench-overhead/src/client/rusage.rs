//! The client's own CPU time and context switches, from `getrusage(RUSAGE_SELF)`.
//!
//! `RUSAGE_SELF` covers every thread of the process, including threads that have already exited,
//! so the threaded variant's per-connection threads are included. A run's figures are the
//! difference between a reading before its first socket and one after its last job.

/// One reading; subtract two to get a run's cost.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Usage {
    pub user_s: f64,
    pub sys_s: f64,
    pub voluntary: u64,
    pub involuntary: u64,
}

impl Usage {
    /// What happened between `earlier` and `self`.
    pub fn since(&self, earlier: &Usage) -> Usage {
        Usage {
            user_s: (self.user_s - earlier.user_s).max(0.0),
            sys_s: (self.sys_s - earlier.sys_s).max(0.0),
            voluntary: self.voluntary.saturating_sub(earlier.voluntary),
            involuntary: self.involuntary.saturating_sub(earlier.involuntary),
        }
    }
}

pub use platform::now;

#[cfg(unix)]
mod platform {
    use super::Usage;

    /// The process's usage so far; zeros if the OS refuses (it does not, for `RUSAGE_SELF`).
    pub fn now() -> Usage {
        // SAFETY: `rusage` is plain old data, so all-zeroes is a valid value, and `getrusage`
        // only writes into the struct we pass, which lives for the whole call.
        let mut raw: libc::rusage = unsafe { std::mem::zeroed() };
        if unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut raw) } != 0 {
            return Usage::default();
        }
        let seconds = |tv: libc::timeval| tv.tv_sec as f64 + tv.tv_usec as f64 / 1e6;
        Usage {
            user_s: seconds(raw.ru_utime),
            sys_s: seconds(raw.ru_stime),
            voluntary: raw.ru_nvcsw as u64,
            involuntary: raw.ru_nivcsw as u64,
        }
    }
}

#[cfg(not(unix))]
mod platform {
    use super::Usage;

    /// No `getrusage` here: the figures stay zero.
    pub fn now() -> Usage {
        Usage::default()
    }
}
