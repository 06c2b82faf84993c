//! Linux: `/proc/PID/statm` (RSS, virtual size) at every sample, `/proc/PID/status` for the
//! kernel's high-water mark, and `smaps_rollup` (`Pss_Anon`, `Pss`) through [`PssWorker`] under a
//! CPU budget ([`PssBudget`], `--pss-budget`).
//!
//! - `statm` is one short line from the kernel's RSS counters — the counters the peak RSS is kept
//!   from, though the peak reads them approximately (see `summary.rs`), so samples and peak agree
//!   to a few pages. sysinfo reads the same file but also `stat` and, by default, every thread's
//!   directory; reading it directly is cheaper (~2 µs).
//! - `status` gives `VmHWM`, the high-water mark of the process's own address space (~8 µs): the
//!   command's own peak when wait4's figure also covers descendants it reaped (`child.rs`).
//! - A sample that reads PSS takes its RSS from the same `smaps_rollup` reading, so that
//!   `pss_anon ≤ pss ≤ rss` holds in every sample (`rollup.rs`); its VSZ stays statm's.
//!
//! Every file is opened once and re-read with `pread` (`procfs.rs`). `statm` reads whatever
//! address space the process has at each read; `smaps_rollup` is reopened after an `exec`.

use std::fs::File;
use std::time::{Duration, Instant};

use super::procfs::{kib_field, read_whole, BUFFER_SIZE};
use super::pss_budget::PssBudget;
use super::pss_worker::PssWorker;
use super::rollup::RollupRead;
use super::Sample;

pub struct ProcSampler {
    pid: u32,
    page_size: u64,
    statm: Option<File>,
    status: Option<File>,
    buffer: Vec<u8>,
    /// `None` when no thread could be started or the kernel has no `smaps_rollup`.
    worker: Option<PssWorker>,
    budget: PssBudget,
    /// A sample asked for PSS and has not been completed yet: until when its answer is waited
    /// for.
    awaiting: Option<Instant>,
    /// How long a sample's answer is waited for: one interval, at least a second.
    answer_limit: Duration,
    /// The anonymous resident size (bytes, statm) of the sample whose read is in flight.
    anon_rss_asked: u64,
    /// The largest anonymous resident size of any sample whose PSS was read; `None` before the
    /// first reading.
    anon_rss_at_pss_high: Option<u64>,
    /// The largest `VmHWM` read.
    high_water_mark: Option<u64>,
}

impl ProcSampler {
    /// `interval`: the time between samples, which bounds how long an answer is waited for.
    pub fn new(pid: u32, interval: Duration, budget: PssBudget) -> ProcSampler {
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
            status: None,
            buffer: Vec::with_capacity(BUFFER_SIZE),
            worker: PssWorker::start(pid),
            budget,
            awaiting: None,
            answer_limit: interval.max(Duration::from_secs(1)),
            anon_rss_asked: 0,
            anon_rss_at_pss_high: None,
            high_water_mark: None,
        }
    }

    /// One sample's RSS and VSZ, and a PSS read asked for where the budget allows (then
    /// [`awaiting`](Self::awaiting) is true until [`complete`](Self::complete) merged it);
    /// `None` only when `statm` shows no live address space (the process is gone or exiting).
    pub fn sample(&mut self) -> Option<Sample> {
        if self.awaiting.is_none() {
            // An answer that came after its sample stopped waiting: dropped, but paid for.
            if let Some(late) = self.worker.as_mut().and_then(|w| w.answer(None)) {
                self.budget.spend(late.cost_ns);
            }
        }
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
        self.read_high_water_mark();

        // statm's `shared` counts file-backed and shmem pages: the rest of the resident set is
        // anonymous, the memory whose PSS is the primary metric.
        let anon_rss = statm.resident.saturating_sub(statm.shared) * self.page_size;
        let new_high = self
            .anon_rss_at_pss_high
            .map_or(true, |high| anon_rss > high);
        // Asked at every sample, so the budget earns its share whether or not a read follows.
        let affordable = self.budget.allows_read(new_high);
        if let Some(worker) = self.worker.as_mut() {
            if affordable && !worker.busy() {
                worker.request();
                if worker.busy() {
                    self.awaiting = Some(Instant::now() + self.answer_limit);
                    self.anon_rss_asked = anon_rss;
                }
            }
        }
        Some(Sample {
            rss: Some(statm.resident * self.page_size),
            vsz: Some(statm.size * self.page_size),
            ..Sample::default()
        })
    }

    /// Whether the latest sample waits for a PSS answer.
    pub fn awaiting(&self) -> bool {
        self.awaiting.is_some()
    }

    /// Adds the PSS reading the awaiting sample asked for, if it is back already — or, with
    /// `wait`, once it is — within the answer limit; its RSS replaces statm's. Returns whether
    /// the sample is complete: merged, or no longer waited for.
    pub fn complete(&mut self, sample: &mut Sample, wait: bool) -> bool {
        let Some(limit) = self.awaiting else {
            return true;
        };
        let Some(worker) = self.worker.as_mut() else {
            self.awaiting = None;
            return true;
        };
        let Some(answer) = worker.answer(wait.then_some(limit)) else {
            if Instant::now() >= limit || !worker.busy() {
                self.awaiting = None;
                return true;
            }
            return false;
        };
        self.awaiting = None;
        self.budget.spend(answer.cost_ns);
        match answer.read {
            RollupRead::Read(rollup) => {
                sample.rss = Some(rollup.rss);
                sample.pss = Some(rollup.pss);
                sample.pss_anon = rollup.pss_anon;
                self.anon_rss_at_pss_high =
                    self.anon_rss_at_pss_high.max(Some(self.anon_rss_asked));
            }
            RollupRead::Unsupported => self.worker = None,
            RollupRead::Failed => {}
        }
        true
    }

    /// The largest `VmHWM` read: the high-water mark of the process's address space as of the
    /// latest sample (of each address space, when it `exec`ed between samples).
    pub fn high_water_mark(&self) -> Option<u64> {
        self.high_water_mark
    }

    fn read_high_water_mark(&mut self) {
        if self.status.is_none() {
            self.status = File::open(format!("/proc/{}/status", self.pid)).ok();
        }
        let Some(status) = self.status.as_ref() else {
            return;
        };
        if read_whole(status, &mut self.buffer).is_none() {
            return;
        }
        let hwm = std::str::from_utf8(&self.buffer)
            .ok()
            .and_then(|text| kib_field(text, "VmHWM"));
        self.high_water_mark = self.high_water_mark.max(hwm);
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

#[cfg(test)]
mod tests {
    use super::*;

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
    fn own_process_reads_nonzero_figures_and_pss_within_rss() {
        let interval = Duration::from_millis(100);
        let budget = PssBudget::new(interval, 100.0);
        let mut sampler = ProcSampler::new(std::process::id(), interval, budget);
        let mut sample = sampler.sample().expect("sampling this process");
        assert!(sampler.awaiting());
        assert!(sampler.complete(&mut sample, true));
        assert!(sample.rss.unwrap() > 0 && sample.vsz.unwrap() >= sample.rss.unwrap());
        assert!(sample.pss.unwrap() > 0 && sample.pss.unwrap() <= sample.rss.unwrap());
        assert!(sampler.high_water_mark().unwrap() > 0);
        // Re-reading through the same descriptors works (pread regenerates the file).
        assert!(sampler.sample().is_some());
    }
}
