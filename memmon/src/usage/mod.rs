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

/// A process's totals since it started: `bench_sys`'s reading, without a peak RSS (`None`).
pub use bench_sys::rusage::Usage;

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

    #[cfg(target_os = "linux")]
    #[test]
    fn this_process_reads_with_context_switches() {
        let usage = read(std::process::id()).expect("own /proc entry");
        assert!(usage.voluntary.is_some() && usage.involuntary.is_some());
        assert!(usage.user_s >= 0.0 && usage.sys_s >= 0.0);
        assert_eq!(read(u32::MAX), None);
    }
}
