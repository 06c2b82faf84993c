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
//! compute PSS: about 1.3 ms of CPU per 64 MiB resident and ~13 ms for a process with 10,000
//! threads (40,000 mappings) here (`make bench-memmon`), against ~2 µs for `statm`. So PSS is
//! read under a CPU budget ([`PssBudget`], `--pss-budget`) that favours the samples at a new high
//! of anonymous memory. A sample without PSS keeps its RSS and VSZ; its PSS cells are empty.
//!
//! Both files are opened once and re-read with `pread` at offset 0 (which makes the kernel
//! regenerate them). `statm` reads whatever address space the process has at each read, but
//! `smaps_rollup` stays bound to the address space it was opened on: once the process calls
//! `exec`, that one is gone and the read fails (`ESRCH`). It is then opened again — statm has
//! just shown the process alive, with a new address space — and read once more.

use std::fs::File;
use std::io::ErrorKind;
use std::os::unix::fs::FileExt;

use super::pss_budget::PssBudget;
use super::Sample;

/// Large enough for `smaps_rollup` (~1 KiB) in one read; longer content is read in several.
const BUFFER_SIZE: usize = 4096;

pub struct ProcSampler {
    pid: u32,
    page_size: u64,
    statm: Option<File>,
    /// `None` until opened, and again after a failed read until reopened.
    smaps_rollup: Option<File>,
    /// False on kernels without `smaps_rollup` (< 4.14): PSS is then never read.
    has_rollup: bool,
    buffer: Vec<u8>,
    budget: PssBudget,
    /// The largest anonymous resident size (bytes) of any sample whose PSS was read; `None`
    /// before the first reading.
    anon_rss_at_pss_high: Option<u64>,
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
            has_rollup: true,
            buffer: Vec::with_capacity(BUFFER_SIZE),
            budget,
            anon_rss_at_pss_high: None,
        }
    }

    /// One sample; `None` only when `statm` shows no live address space (the process is gone
    /// or exiting). A PSS read that fails leaves the sample's RSS and VSZ in place.
    pub fn sample(&mut self) -> Option<Sample> {
        if self.statm.is_none() {
            self.statm = Some(File::open(format!("/proc/{}/statm", self.pid)).ok()?);
        }
        let statm = self.statm.as_ref()?;
        read_whole(statm, &mut self.buffer)?;
        let statm = parse_statm(&self.buffer)?;
        // A process whose address space is gone (exiting, zombie) reads as all zeros.
        if statm.size == 0 || statm.resident == 0 {
            return None;
        }
        let mut sample = Sample {
            rss: Some(statm.resident * self.page_size),
            vsz: Some(statm.size * self.page_size),
            ..Sample::default()
        };

        // statm's `shared` counts file-backed and shmem pages: the rest of the resident set is
        // anonymous, the memory whose PSS is the primary metric.
        let anon_rss = statm.resident.saturating_sub(statm.shared) * self.page_size;
        let new_high = self
            .anon_rss_at_pss_high
            .map_or(true, |high| anon_rss > high);
        if self.has_rollup && self.budget.allows_read(new_high) {
            let started = thread_cpu_ns();
            let pss = self.read_pss();
            self.budget.spend(thread_cpu_ns() - started);
            if let Some(pss) = pss {
                sample.pss_anon = pss.pss_anon;
                sample.pss = pss.pss;
                self.anon_rss_at_pss_high = self.anon_rss_at_pss_high.max(Some(anon_rss));
            }
        }
        Some(sample)
    }

    /// Reads `smaps_rollup`, opening it again when the open one fails (after an `exec`).
    fn read_pss(&mut self) -> Option<RollupPss> {
        if let Some(pss) = self.smaps_rollup.as_ref().and_then(|file| {
            read_whole(file, &mut self.buffer)?;
            parse_rollup(&self.buffer)
        }) {
            return Some(pss);
        }
        self.smaps_rollup = None;
        let file = match File::open(format!("/proc/{}/smaps_rollup", self.pid)) {
            Ok(file) => file,
            Err(e) => {
                // No such file although the process lives: a kernel before 4.14.
                if e.kind() == ErrorKind::NotFound && self.process_exists() {
                    self.has_rollup = false;
                }
                return None;
            }
        };
        read_whole(&file, &mut self.buffer)?;
        let pss = parse_rollup(&self.buffer)?;
        self.smaps_rollup = Some(file);
        Some(pss)
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

/// The first fields of `statm`, in pages.
#[derive(Debug, PartialEq, Eq)]
struct Statm {
    size: u64,
    resident: u64,
    /// Resident file-backed and shared-memory pages.
    shared: u64,
}

/// `statm`: "size resident shared text lib data dt", in pages.
fn parse_statm(text: &[u8]) -> Option<Statm> {
    let text = std::str::from_utf8(text).ok()?;
    let mut fields = text.split_ascii_whitespace().map(|f| f.parse().ok());
    Some(Statm {
        size: fields.next()??,
        resident: fields.next()??,
        shared: fields.next()??,
    })
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
        assert_eq!(
            parse_statm(b"1234 567 89 1 0 400 0\n"),
            Some(Statm {
                size: 1234,
                resident: 567,
                shared: 89
            })
        );
        assert_eq!(parse_statm(b""), None);
    }

    #[test]
    fn own_process_reads_nonzero_figures() {
        let budget = PssBudget::new(std::time::Duration::from_millis(100), 100.0);
        let mut sampler = ProcSampler::new(std::process::id(), budget);
        let sample = sampler.sample().expect("sampling this process");
        assert!(sample.rss.unwrap() > 0 && sample.vsz.unwrap() >= sample.rss.unwrap());
        assert!(sample.pss.unwrap() > 0);
        // Re-reading through the same descriptors works (pread regenerates the file).
        assert!(sampler.sample().is_some());
    }
}
