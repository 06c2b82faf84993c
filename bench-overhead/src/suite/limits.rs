//! Whether the machine can hold a step of a sweep: checked before the step, so that a limit is a
//! finding ("skipped: …") rather than a run that crashes or takes the machine down.
//!
//! - open files: one per connection plus the client's own ([`RESERVED_FDS`]), against the hard
//!   RLIMIT_NOFILE (the client raises its soft limit that far);
//! - threads (threaded only): one per connection, against RLIMIT_NPROC, Linux's
//!   `kernel.threads-max` and `vm.max_map_count` (a thread's stack and guard page are two maps);
//! - ephemeral ports: one per connection to the one server address, against Linux's
//!   `net.ipv4.ip_local_port_range`;
//! - memory: what a step keeps resident at the least, [`SOCKET_BYTES`] of kernel socket memory per
//!   connection and, for threaded, [`THREAD_BYTES`] per thread, against `MemAvailable` (Linux). The
//!   receive buffers are left out: they are allocated untouched and a run touches of each only what
//!   its largest `recv` returned (at most the payload per connection), so counting them whole
//!   would skip steps that fit (threaded at 10,000 connections × 52 KiB touches well under 1 GiB).
//!   A step that may fit runs, and fails with the OS's error if it must.
//!
//! A limit the OS does not expose is not checked (the step runs, and fails with the OS's error if
//! it must).

use bench_sys::limits::raise_open_file_limit;

use crate::client::limits::RESERVED_FDS;
use crate::units::format_bytes;

/// Kernel memory a connection may hold (Linux's default socket receive buffer, `tcp_rmem`'s
/// middle value), for the memory estimate.
const SOCKET_BYTES: u64 = 128 * 1024;

/// A thread's resident cost at the least: the stack pages it touches, its kernel stack and task.
const THREAD_BYTES: u64 = 64 * 1024;

/// Threads besides the connections' (the main thread, the runtime) and a margin for the user's
/// other processes under RLIMIT_NPROC.
const RESERVED_THREADS: u64 = 64;

/// Why a step of `connections` × `variant` cannot run here, or `None` when it can.
pub fn refusal(connections: u32, variant: &str, buffer_size: u64) -> Option<String> {
    let n = u64::from(connections);
    let threaded = variant.split(':').next() == Some("threaded");
    let needed_fds = n + RESERVED_FDS;
    if let Some(limit) = raise_open_file_limit() {
        if needed_fds > limit.hard {
            return Some(format!(
                "{n} connections need about {needed_fds} open files, and the hard open-file limit \
                 (RLIMIT_NOFILE) is {}",
                limit.hard
            ));
        }
    }
    if threaded {
        let needed = n + RESERVED_THREADS;
        if let Some(max) = os::process_limit().filter(|&max| needed > max) {
            return Some(format!(
                "{n} threads need a process limit (RLIMIT_NPROC) of about {needed}; it is {max}"
            ));
        }
        if let Some(max) = os::threads_max().filter(|&max| needed > max) {
            return Some(format!(
                "{n} threads need kernel.threads-max of about {needed}; it is {max}"
            ));
        }
        let maps = 2 * n + 1024;
        if let Some(max) = os::max_map_count().filter(|&max| maps > max) {
            return Some(format!(
                "{n} threads need about {maps} memory maps (a stack and a guard page each), and \
                 vm.max_map_count is {max}"
            ));
        }
    }
    if let Some(ports) = os::ephemeral_ports().filter(|&ports| n > ports) {
        return Some(format!(
            "{n} connections to one server need {n} ephemeral ports, and \
             net.ipv4.ip_local_port_range holds {ports}"
        ));
    }
    let per_connection = SOCKET_BYTES + if threaded { THREAD_BYTES } else { 0 };
    let memory = buffer_size + n * per_connection;
    if let Some(available) = os::memory_available().filter(|&available| memory > available) {
        let what = if threaded {
            format!(
                "{} of socket memory and {} per thread",
                format_bytes(SOCKET_BYTES),
                format_bytes(THREAD_BYTES)
            )
        } else {
            format!("{} of socket memory", format_bytes(SOCKET_BYTES))
        };
        return Some(format!(
            "{n} connections keep at least {} resident ({what} each), and MemAvailable is {}",
            format_bytes(memory),
            format_bytes(available)
        ));
    }
    None
}

#[cfg(target_os = "linux")]
mod os {
    use std::fs;

    fn number(path: &str) -> Option<u64> {
        fs::read_to_string(path).ok()?.trim().parse().ok()
    }

    pub fn threads_max() -> Option<u64> {
        number("/proc/sys/kernel/threads-max")
    }

    pub fn max_map_count() -> Option<u64> {
        number("/proc/sys/vm/max_map_count")
    }

    /// Ports in `ip_local_port_range` (two numbers, e.g. 32768 and 60999).
    pub fn ephemeral_ports() -> Option<u64> {
        let text = fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range").ok()?;
        let mut bounds = text.split_whitespace().map(|w| w.parse::<u64>().ok());
        let (low, high) = (bounds.next()??, bounds.next()??);
        Some(high.saturating_sub(low) + 1)
    }

    /// `MemAvailable` of /proc/meminfo, in bytes.
    pub fn memory_available() -> Option<u64> {
        let text = fs::read_to_string("/proc/meminfo").ok()?;
        let line = text.lines().find(|l| l.starts_with("MemAvailable:"))?;
        let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
        Some(kib * 1024)
    }

    /// RLIMIT_NPROC, unless unlimited or not enforced (root is exempt).
    pub fn process_limit() -> Option<u64> {
        // SAFETY: geteuid has no preconditions; getrlimit writes only the struct it is given,
        // which lives for the whole call.
        if unsafe { libc::geteuid() } == 0 {
            return None;
        }
        let mut limit: libc::rlimit = unsafe { std::mem::zeroed() };
        if unsafe { libc::getrlimit(libc::RLIMIT_NPROC, &mut limit) } != 0
            || limit.rlim_cur == libc::RLIM_INFINITY
        {
            return None;
        }
        Some(limit.rlim_cur)
    }
}

/// Elsewhere these limits are not read: the step runs, and a limit it hits fails it with the OS's
/// own error.
#[cfg(not(target_os = "linux"))]
mod os {
    pub fn threads_max() -> Option<u64> {
        None
    }
    pub fn max_map_count() -> Option<u64> {
        None
    }
    pub fn ephemeral_ports() -> Option<u64> {
        None
    }
    pub fn memory_available() -> Option<u64> {
        None
    }
    pub fn process_limit() -> Option<u64> {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_steps_fit_and_impossible_ones_are_refused_with_the_limit() {
        assert_eq!(refusal(4, "poll", 4 << 20), None);
        assert_eq!(refusal(4, "threaded", 4 << 20), None);
        // More connections than any port range or descriptor limit holds.
        let reason = refusal(u32::MAX, "poll", 4 << 20).unwrap();
        assert!(
            reason.contains("RLIMIT_NOFILE")
                || reason.contains("ip_local_port_range")
                || reason.contains("MemAvailable"),
            "{reason}"
        );
    }
}
