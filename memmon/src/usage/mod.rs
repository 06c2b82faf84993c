//! Another process's CPU time and context switches so far, read by PID from outside — for the
//! process `--also` watches (the benchmark's server), whose CPU over the run is the difference of
//! a reading just before the command starts and one just after it was reaped.
//!
//! Each OS has its own module behind `cfg`. Where an OS has no way to read another process's
//! figures, [`read`] returns `None` and the summary leaves them out (`null`), never 0.

#[cfg(target_os = "haiku")]
mod haiku;
#[cfg(target_os = "linux")]
mod linux;

/// A process's totals since it started.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Usage {
    pub user_s: f64,
    pub sys_s: f64,
    /// Context switches the process asked for (blocking waits); `None` where the OS does not say.
    pub ctx_voluntary: Option<u64>,
    /// Context switches the scheduler imposed (preemption).
    pub ctx_involuntary: Option<u64>,
}

/// What a process spent between two readings.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct UsageDelta {
    pub cpu_user_s: f64,
    pub cpu_sys_s: f64,
    pub ctx_voluntary: Option<u64>,
    pub ctx_involuntary: Option<u64>,
}

impl Usage {
    /// What was spent from `earlier` to `self`. Counters of threads that ended in between are
    /// lost on Linux (context switches are summed over the live threads), hence saturating.
    pub fn since(&self, earlier: &Usage) -> UsageDelta {
        let diff = |a: Option<u64>, b: Option<u64>| Some(a?.saturating_sub(b?));
        // Rounded to microseconds (finer than any OS's figure) so 0.04 - 0.01 prints as 0.03.
        let seconds = |a: f64, b: f64| ((a - b).max(0.0) * 1e6).round() / 1e6;
        UsageDelta {
            cpu_user_s: seconds(self.user_s, earlier.user_s),
            cpu_sys_s: seconds(self.sys_s, earlier.sys_s),
            ctx_voluntary: diff(self.ctx_voluntary, earlier.ctx_voluntary),
            ctx_involuntary: diff(self.ctx_involuntary, earlier.ctx_involuntary),
        }
    }
}

/// Process `pid`'s totals, or `None` when it is gone or this OS cannot tell.
pub fn read(pid: u32) -> Option<Usage> {
    #[cfg(target_os = "linux")]
    return linux::read(pid);
    #[cfg(target_os = "haiku")]
    return haiku::read(pid);
    #[cfg(not(any(target_os = "linux", target_os = "haiku")))]
    {
        let _ = pid;
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_delta_is_the_difference_and_absent_stays_absent() {
        let before = Usage {
            user_s: 1.0,
            sys_s: 2.0,
            ctx_voluntary: Some(10),
            ctx_involuntary: None,
        };
        let after = Usage {
            user_s: 1.5,
            sys_s: 2.25,
            ctx_voluntary: Some(15),
            ctx_involuntary: Some(3),
        };
        let d = after.since(&before);
        assert_eq!((d.cpu_user_s, d.cpu_sys_s), (0.5, 0.25));
        assert_eq!(d.ctx_voluntary, Some(5));
        assert_eq!(d.ctx_involuntary, None);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn this_process_reads_with_context_switches() {
        let usage = read(std::process::id()).expect("own /proc entry");
        assert!(usage.ctx_voluntary.is_some() && usage.ctx_involuntary.is_some());
        assert!(usage.user_s >= 0.0 && usage.sys_s >= 0.0);
        assert_eq!(read(u32::MAX), None);
    }
}
