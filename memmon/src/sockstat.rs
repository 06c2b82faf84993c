//! The kernel's TCP socket memory and socket count (Linux), sampled beside the command
//! (`--sockets`): socket buffers are kernel memory that a client's RSS never shows, and a
//! thread-per-connection client and an event loop both pin them.
//!
//! Source: `/proc/net/sockstat` — `TCP: inuse N orphan N tw N alloc N mem P` — and
//! `/proc/net/sockstat6` — `TCP6: inuse N`. `mem` is the kernel's `tcp_memory_allocated`, in
//! pages, shared by IPv4 and IPv6 and **system-wide** (every network namespace, every program):
//! on a quiet machine the benchmark's own connections dominate it, and the count of TCP sockets
//! in use when sampling starts lets a reader judge the rest. `inuse` counts the sockets of this
//! network namespace, IPv4 plus IPv6.
//!
//! Other OSes: no reading (`None`); see ARCHITECTURE.md for what each would need.

use bench_records::SocketSummary;

use crate::sampler::Sample;
use crate::stats::Stats;

/// One reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SocketSample {
    /// TCP sockets in use (IPv4 + IPv6), this network namespace.
    pub tcp_inuse: u64,
    /// Memory the kernel has allocated to TCP sockets, in bytes, system-wide.
    pub tcp_mem_bytes: u64,
}

/// Readings over the run, in constant memory.
#[derive(Debug, Default)]
pub struct SocketStats {
    samples: u64,
    tcp_inuse_start: Option<u64>,
    tcp_inuse_max: u64,
    /// The memory as a one-metric sample (in the `rss` slot), so that its average is
    /// time-weighted exactly as the command's memory is.
    tcp_mem: Stats,
}

impl SocketStats {
    /// Takes one reading, if the OS has one.
    pub fn sample(&mut self, at_ms: u64) {
        let Some(sample) = read() else { return };
        self.samples += 1;
        self.tcp_inuse_start.get_or_insert(sample.tcp_inuse);
        self.tcp_inuse_max = self.tcp_inuse_max.max(sample.tcp_inuse);
        let reading = Sample {
            rss: Some(sample.tcp_mem_bytes),
            ..Sample::default()
        };
        self.tcp_mem.add(&reading, at_ms);
    }

    /// `None` when no reading was had (another OS, or no sample before the command ended).
    pub fn summary(&self, end_ms: u64) -> Option<SocketSummary> {
        Some(SocketSummary {
            samples: self.samples,
            tcp_inuse_start: self.tcp_inuse_start?,
            tcp_inuse_max: self.tcp_inuse_max,
            tcp_mem_bytes: self.tcp_mem.summary(end_ms).rss?,
        })
    }
}

/// One reading now, or `None` where the OS has no such figures (or /proc/net is missing).
pub fn read() -> Option<SocketSample> {
    #[cfg(target_os = "linux")]
    {
        let v4 = std::fs::read_to_string("/proc/net/sockstat").ok()?;
        // No IPv6 in the kernel: no sockstat6, and no IPv6 sockets.
        let v6 = std::fs::read_to_string("/proc/net/sockstat6").unwrap_or_default();
        parse(&v4, &v6, page_size())
    }
    #[cfg(not(target_os = "linux"))]
    None
}

#[cfg(target_os = "linux")]
fn page_size() -> u64 {
    // SAFETY: sysconf has no preconditions; it only returns a value.
    let size = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    if size > 0 {
        size as u64
    } else {
        4096
    }
}

/// The `TCP:` line's `inuse` and `mem` (pages × `page_size`) plus the `TCP6:` line's `inuse`.
#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
fn parse(sockstat: &str, sockstat6: &str, page_size: u64) -> Option<SocketSample> {
    let tcp = line_fields(sockstat, "TCP:")?;
    let v6_inuse = line_fields(sockstat6, "TCP6:")
        .and_then(|fields| field(&fields, "inuse"))
        .unwrap_or(0);
    Some(SocketSample {
        tcp_inuse: field(&tcp, "inuse")? + v6_inuse,
        tcp_mem_bytes: field(&tcp, "mem")? * page_size,
    })
}

/// The `name value` pairs after `prefix` on the line that starts with it.
fn line_fields<'a>(text: &'a str, prefix: &str) -> Option<Vec<&'a str>> {
    text.lines()
        .find_map(|line| line.strip_prefix(prefix))
        .map(|rest| rest.split_whitespace().collect())
}

fn field(fields: &[&str], name: &str) -> Option<u64> {
    let at = fields.iter().position(|f| *f == name)?;
    fields.get(at + 1)?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    const V4: &str = "sockets: used 32\nTCP: inuse 5 orphan 0 tw 27115 alloc 5 mem 130\n\
                      UDP: inuse 0 mem 0\n";
    const V6: &str = "TCP6: inuse 2\nUDP6: inuse 0\n";

    #[test]
    fn tcp_line_and_tcp6_inuse_are_read() {
        assert_eq!(
            parse(V4, V6, 4096),
            Some(SocketSample {
                tcp_inuse: 7,
                tcp_mem_bytes: 130 * 4096
            })
        );
        // UDP's `mem` is not TCP's.
        assert_eq!(parse(V4, "", 4096).unwrap().tcp_inuse, 5);
        assert_eq!(parse("UDP: inuse 0 mem 9\n", V6, 4096), None);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn this_machine_has_a_reading() {
        assert!(read().is_some());
    }
}
