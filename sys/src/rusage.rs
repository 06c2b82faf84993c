//! CPU time, context switches and peak RSS from `getrusage`/`wait4`.
//!
//! `RUSAGE_SELF` covers every thread of the process, including threads that have already exited,
//! so the threaded client's per-connection threads are included. What an OS does not fill is
//! `None`: Haiku fills only the CPU times.

/// One reading; subtract two (`since`) to get what happened in between.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Usage {
    pub user_s: f64,
    pub sys_s: f64,
    /// Context switches; `None` where the OS does not count them.
    pub voluntary: Option<u64>,
    pub involuntary: Option<u64>,
    /// Peak resident set size in bytes (`ru_maxrss`); `None` where the OS does not report it.
    pub peak_rss_bytes: Option<u64>,
}

/// Whether this OS fills `ru_maxrss`, `ru_nvcsw` and `ru_nivcsw` (Haiku leaves them 0).
const FILLS_COUNTERS: bool = cfg!(all(unix, not(target_os = "haiku")));

impl Usage {
    /// What happened between `earlier` and `self` (the peak is `self`'s).
    pub fn since(&self, earlier: &Usage) -> Usage {
        let delta = |now: Option<u64>, then: Option<u64>| Some(now?.saturating_sub(then?));
        Usage {
            user_s: (self.user_s - earlier.user_s).max(0.0),
            sys_s: (self.sys_s - earlier.sys_s).max(0.0),
            voluntary: delta(self.voluntary, earlier.voluntary),
            involuntary: delta(self.involuntary, earlier.involuntary),
            peak_rss_bytes: self.peak_rss_bytes,
        }
    }

    /// CPU seconds, user + system.
    pub fn cpu_s(&self) -> f64 {
        self.user_s + self.sys_s
    }
}

#[cfg(unix)]
impl Usage {
    /// The process's own usage so far; `None` if the OS refuses (it does not, for
    /// `RUSAGE_SELF`).
    pub fn of_self() -> Option<Usage> {
        // SAFETY: `rusage` is plain old data, so all-zeroes is a valid value, and `getrusage`
        // only writes into the struct we pass, which lives for the whole call.
        let mut raw: libc::rusage = unsafe { std::mem::zeroed() };
        if unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut raw) } != 0 {
            return None;
        }
        Some(Usage::from_raw(&raw))
    }

    /// A reading the kernel filled in (`getrusage`, or `wait4` for a reaped child).
    pub fn from_raw(raw: &libc::rusage) -> Usage {
        let seconds = |tv: libc::timeval| tv.tv_sec as f64 + tv.tv_usec as f64 / 1e6;
        let counter = |value: libc::c_long| FILLS_COUNTERS.then_some(value.max(0) as u64);
        Usage {
            user_s: seconds(raw.ru_utime),
            sys_s: seconds(raw.ru_stime),
            voluntary: counter(raw.ru_nvcsw),
            involuntary: counter(raw.ru_nivcsw),
            peak_rss_bytes: peak_rss_bytes(raw.ru_maxrss),
        }
    }
}

#[cfg(not(unix))]
impl Usage {
    /// No `getrusage` here.
    pub fn of_self() -> Option<Usage> {
        None
    }
}

/// `ru_maxrss` in bytes. Units differ per OS: bytes on macOS/iOS, KiB on Linux and the BSDs.
/// 0 means "not reported", as does Haiku.
#[cfg(unix)]
fn peak_rss_bytes(maxrss: libc::c_long) -> Option<u64> {
    if !FILLS_COUNTERS || maxrss <= 0 {
        return None;
    }
    let maxrss = maxrss as u64;
    if cfg!(any(target_os = "macos", target_os = "ios")) {
        Some(maxrss)
    } else {
        Some(maxrss * 1024)
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn own_usage_grows_and_differences_are_never_negative() {
        let before = Usage::of_self().unwrap();
        let mut x = 0u64;
        for i in 0..5_000_000u64 {
            x = x.wrapping_mul(31).wrapping_add(i);
        }
        std::hint::black_box(x);
        let after = Usage::of_self().unwrap();
        let spent = after.since(&before);
        assert!(spent.cpu_s() >= 0.0);
        assert!(after.cpu_s() >= before.cpu_s());
        #[cfg(target_os = "linux")]
        {
            assert!(spent.voluntary.is_some() && spent.involuntary.is_some());
            assert!(after.peak_rss_bytes.unwrap() > 1024 * 1024);
        }
        // A count missing from either reading is missing from the difference, never 0.
        assert_eq!(after.since(&Usage::default()).voluntary, None);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn linux_maxrss_is_kibibytes() {
        assert_eq!(peak_rss_bytes(2048), Some(2 * 1024 * 1024));
        assert_eq!(peak_rss_bytes(0), None);
    }
}
