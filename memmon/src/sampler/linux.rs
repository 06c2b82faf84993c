//! Linux: `/proc/PID/statm` (RSS, virtual size) and `/proc/PID/smaps_rollup` (`Pss_Anon`, `Pss`).
//!
//! Why these files:
//! - `statm` is one short line from the kernel's RSS counters — the counters `ru_maxrss` (the
//!   peak at exit) is kept from, though the peak reads them approximately (see `summary.rs`),
//!   so samples and peak agree to a few pages. sysinfo reads the same
//!   file but also `stat` and, by default, every thread's directory; reading it directly is cheaper.
//! - `smaps_rollup` sums every mapping in the kernel and returns ~20 lines, where `smaps` (the old
//!   suite's source) prints ~20 lines *per mapping*: with 10,000 threads (10,000 stacks) that is
//!   hundreds of thousands of lines per sample. `Pss_Anon` (Linux ≥ 5.3) is the kernel's own sum
//!   of the old suite's metric: the Pss of anonymous memory (the old suite summed the Pss of
//!   mappings not backed by a file, which holds the same pages but for the copied-on-write pages
//!   of a program's own data segments).
//!
//! `smaps_rollup` is still not free: the kernel walks every page table entry of the process to
//! compute PSS: about 1–2 ms of CPU per 64 MiB resident and ~15 ms for a process with 10,000
//! threads (40,000 mappings) here (`make bench-memmon`), against ~2 µs for `statm`. So PSS is
//! read under a CPU budget ([`PssBudget`], `--pss-budget`): at every sample while it is cheap,
//! every few samples for a large process. A sample without PSS keeps its RSS and VSZ; its PSS
//! cells are empty.
//!
//! Both files are opened once and re-read with `pread` at offset 0 (which makes the kernel
//! regenerate them): no open/close per sample, and the descriptors stay bound to this process
//! even if its PID were reused after exit.

use std::fs::File;
use std::io::ErrorKind;
use std::os::unix::fs::FileExt;
use std::time::Duration;

use super::Sample;

/// Large enough for `smaps_rollup` (~1 KiB) in one read; longer content is read in several.
const BUFFER_SIZE: usize = 4096;

pub struct ProcSampler {
    pid: u32,
    page_size: u64,
    statm: Option<File>,
    /// `None` until opened; `Some(None)` when this kernel has no `smaps_rollup` (< 4.14).
    smaps_rollup: Option<Option<File>>,
    buffer: Vec<u8>,
    budget: PssBudget,
}

/// A token bucket of CPU time for reading `smaps_rollup`: each sample earns `interval × share`,
/// each read spends what it cost (this thread's CPU time, kernel time included). A read happens
/// when the balance is not negative, so on average PSS costs at most `share` of one core.
#[derive(Debug, Clone, Copy)]
pub struct PssBudget {
    earned_per_sample_ns: i64,
    balance_ns: i64,
}

impl PssBudget {
    pub fn new(interval: Duration, percent: f64) -> PssBudget {
        PssBudget {
            earned_per_sample_ns: (interval.as_nanos() as f64 * percent / 100.0) as i64,
            balance_ns: 0,
        }
    }

    /// Called once per sample: may PSS be read now? (Savings are capped at one sample's
    /// earnings, so a cheap phase never pays for a burst of expensive reads later.)
    fn allows_read(&mut self) -> bool {
        let allowed = self.balance_ns >= 0;
        self.balance_ns =
            (self.balance_ns + self.earned_per_sample_ns).min(self.earned_per_sample_ns);
        allowed
    }

    fn spend(&mut self, cost_ns: i64) {
        self.balance_ns -= cost_ns;
    }
}

/// This thread's CPU time (user + kernel) in nanoseconds.
fn thread_cpu_ns() -> i64 {
    // SAFETY: timespec is plain integers; all-zero bytes are valid.
    let mut t: libc::timespec = unsafe { std::mem::zeroed() };
    // SAFETY: `t` is a valid, exclusive pointer for the call.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut t) };
    t.tv_sec as i64 * 1_000_000_000 + t.tv_nsec as i64
}

impl ProcSampler {
    pub fn new(pid: u32, budget: PssBudget) -> ProcSampler {
        // SAFETY: sysconf has no preconditions; it only returns a value.
        let page_size = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
        ProcSampler {
            pid,
            page_size: if page_size > 0 {
                page_size as u64
            } else {
                4096
            },
            statm: None,
            smaps_rollup: None,
            buffer: Vec::with_capacity(BUFFER_SIZE),
            budget,
        }
    }

    pub fn sample(&mut self) -> Option<Sample> {
        if self.statm.is_none() {
            self.statm = Some(File::open(format!("/proc/{}/statm", self.pid)).ok()?);
        }
        if self.smaps_rollup.is_none() {
            match File::open(format!("/proc/{}/smaps_rollup", self.pid)) {
                Ok(file) => self.smaps_rollup = Some(Some(file)),
                Err(e) if e.kind() == ErrorKind::NotFound && self.process_exists() => {
                    self.smaps_rollup = Some(None)
                }
                Err(_) => return None,
            }
        }

        let statm = self.statm.as_ref()?;
        read_whole(statm, &mut self.buffer)?;
        let (vsz_pages, rss_pages) = parse_statm(&self.buffer)?;
        // A process whose address space is gone (exiting, zombie) reads as all zeros.
        if vsz_pages == 0 || rss_pages == 0 {
            return None;
        }
        let mut sample = Sample {
            rss: Some(rss_pages * self.page_size),
            vsz: Some(vsz_pages * self.page_size),
            ..Sample::default()
        };

        if let Some(Some(rollup)) = &self.smaps_rollup {
            if !self.budget.allows_read() {
                return Some(sample);
            }
            let started = thread_cpu_ns();
            let read = read_whole(rollup, &mut self.buffer);
            self.budget.spend(thread_cpu_ns() - started);
            // Fails with ESRCH once the address space is gone: drop the whole sample.
            read?;
            let pss = parse_rollup(&self.buffer)?;
            sample.pss_anon = pss.pss_anon;
            sample.pss = pss.pss;
        }
        Some(sample)
    }

    fn process_exists(&self) -> bool {
        std::path::Path::new(&format!("/proc/{}", self.pid)).exists()
    }
}

/// Reads the whole file from offset 0 into `buffer`; `None` on any error.
fn read_whole(file: &File, buffer: &mut Vec<u8>) -> Option<()> {
    buffer.clear();
    let mut chunk = [0u8; BUFFER_SIZE];
    loop {
        match file.read_at(&mut chunk, buffer.len() as u64) {
            Ok(0) => return Some(()),
            // The kernel fills the buffer as far as the content goes: a short read is the end.
            Ok(n) if n < chunk.len() => {
                buffer.extend_from_slice(&chunk[..n]);
                return Some(());
            }
            Ok(n) => buffer.extend_from_slice(&chunk[..n]),
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(_) => return None,
        }
    }
}

/// `statm`: "size resident shared text lib data dt", in pages. Returns (size, resident).
fn parse_statm(text: &[u8]) -> Option<(u64, u64)> {
    let text = std::str::from_utf8(text).ok()?;
    let mut fields = text.split_ascii_whitespace();
    let size = fields.next()?.parse().ok()?;
    let resident = fields.next()?.parse().ok()?;
    Some((size, resident))
}

#[derive(Debug, Default, PartialEq, Eq)]
struct RollupPss {
    pss_anon: Option<u64>,
    pss: Option<u64>,
}

/// `smaps_rollup`: a header line, then `Name:   value kB` lines. `None` when the content is not a
/// rollup of a live address space (no `Rss:` line); `pss_anon` is `None` on kernels before 5.3.
fn parse_rollup(text: &[u8]) -> Option<RollupPss> {
    let text = std::str::from_utf8(text).ok()?;
    let mut seen_rss = false;
    let mut pss = RollupPss::default();
    for line in text.lines() {
        let Some((name, rest)) = line.split_once(':') else {
            continue;
        };
        let kib = || -> Option<u64> {
            let mut words = rest.split_ascii_whitespace();
            let value: u64 = words.next()?.parse().ok()?;
            (words.next()? == "kB").then_some(value * 1024)
        };
        match name {
            "Rss" => seen_rss = kib().is_some(),
            "Pss" => pss.pss = kib(),
            "Pss_Anon" => pss.pss_anon = kib(),
            _ => {}
        }
    }
    (seen_rss && pss.pss.is_some()).then_some(pss)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ROLLUP: &str = "\
55d0c0a4a000-7ffc2a5f5000 ---p 00000000 00:00 0                          [rollup]
Rss:                3712 kB
Pss:                 861 kB
Pss_Dirty:           516 kB
Pss_Anon:            512 kB
Pss_File:            349 kB
Pss_Shmem:             0 kB
Shared_Clean:       3196 kB
";

    #[test]
    fn rollup_yields_pss_and_anonymous_pss_in_bytes() {
        let pss = parse_rollup(ROLLUP.as_bytes()).unwrap();
        assert_eq!(pss.pss, Some(861 * 1024));
        assert_eq!(pss.pss_anon, Some(512 * 1024));
    }

    #[test]
    fn rollup_of_an_old_kernel_has_no_anonymous_pss() {
        let old = ROLLUP.replace("Pss_Anon:            512 kB\n", "");
        let pss = parse_rollup(old.as_bytes()).unwrap();
        assert_eq!(pss.pss_anon, None);
        assert_eq!(pss.pss, Some(861 * 1024));
    }

    #[test]
    fn empty_rollup_is_no_sample() {
        assert_eq!(parse_rollup(b""), None);
    }

    #[test]
    fn statm_gives_size_and_resident_pages() {
        assert_eq!(parse_statm(b"1234 567 89 1 0 400 0\n"), Some((1234, 567)));
        assert_eq!(parse_statm(b""), None);
    }

    #[test]
    fn pss_budget_skips_reads_until_their_cost_is_earned() {
        // 1% of 100 ms = 1 ms earned per sample; a read costing 3.5 ms waits ~3 samples.
        let mut budget = PssBudget::new(Duration::from_millis(100), 1.0);
        let mut reads = 0;
        for _ in 0..40 {
            if budget.allows_read() {
                budget.spend(3_500_000);
                reads += 1;
            }
        }
        assert!((9..=11).contains(&reads), "{reads} reads");
        // Cheap reads happen at every sample.
        let mut budget = PssBudget::new(Duration::from_millis(100), 1.0);
        assert!((0..40).all(|_| {
            let allowed = budget.allows_read();
            budget.spend(10_000);
            allowed
        }));
    }

    #[test]
    fn own_process_reads_nonzero_figures() {
        let budget = PssBudget::new(Duration::from_millis(100), 100.0);
        let mut sampler = ProcSampler::new(std::process::id(), budget);
        let sample = sampler.sample().expect("sampling this process");
        assert!(sample.rss.unwrap() > 0 && sample.vsz.unwrap() >= sample.rss.unwrap());
        assert!(sample.pss.unwrap() > 0);
        // Re-reading through the same descriptors works (pread regenerates the file).
        assert!(sampler.sample().is_some());
    }
}
