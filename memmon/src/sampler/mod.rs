//! One memory sample of the child, read from whatever the OS offers.
//!
//! Each OS has its own module behind `cfg`; [`Sampler`] picks one. A metric the OS does not offer
//! is `None` (absent in JSON, an empty CSV cell), never 0. A sample whose resident and virtual
//! size could not be read — the child is exiting and its address space is already gone — is
//! `None` as a whole: it is dropped, never counted as a zero. PSS (Linux) that was not read or
//! could not be read leaves the rest of the sample in place.
//!
//! A sample is taken in two steps: [`Sampler::sample`] reads what is cheap at once, and
//! [`Sampler::complete`] adds what another thread read for it meanwhile (Linux: PSS), so that
//! slow reads never hold up the schedule.

#[cfg(target_os = "haiku")]
mod haiku;
#[cfg(target_os = "linux")]
mod linux;
#[cfg(target_os = "linux")]
mod procfs;
#[cfg(target_os = "linux")]
mod pss_budget;
#[cfg(target_os = "linux")]
mod pss_worker;
#[cfg(target_os = "linux")]
mod rollup;
#[cfg(target_os = "linux")]
mod short_slice;
#[cfg(not(target_os = "haiku"))]
mod sysinfo_backend;

use std::time::Duration;

use crate::cli::SamplerKind;

/// The child's memory at one instant, in bytes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Sample {
    /// Resident set size (Haiku: the sum of the team's areas' `ram_size`; Linux: where PSS was
    /// read, the `Rss` of the same `smaps_rollup` reading, so that `pss_anon ≤ pss ≤ rss`).
    pub rss: Option<u64>,
    /// Virtual size (Haiku: the sum of the team's areas' `size`).
    pub vsz: Option<u64>,
    /// Linux: proportional set size of anonymous memory (`Pss_Anon`), the old suite's metric.
    pub pss_anon: Option<u64>,
    /// Linux: proportional set size of all memory (`Pss`).
    pub pss: Option<u64>,
}

/// Reads samples of one process.
pub enum Sampler {
    #[cfg(target_os = "linux")]
    Linux(linux::ProcSampler),
    #[cfg(target_os = "haiku")]
    Haiku(haiku::AreaSampler),
    /// Boxed: sysinfo's `System` is large and this variant is rarely the one in use.
    #[cfg(not(target_os = "haiku"))]
    Sysinfo(Box<sysinfo_backend::SysinfoSampler>),
}

impl Sampler {
    /// A sampler of process `pid`, sampled every `interval`; `pss_budget_percent` caps the share
    /// of one core that reading PSS may take (Linux). Cheap: files are opened at the first sample.
    #[cfg_attr(not(target_os = "linux"), allow(unused_variables))]
    pub fn new(
        kind: SamplerKind,
        pid: u32,
        interval: Duration,
        pss_budget_percent: f64,
    ) -> Sampler {
        match kind {
            #[cfg(target_os = "linux")]
            SamplerKind::Native => {
                let sampler = linux::ProcSampler::new(
                    pid,
                    interval,
                    pss_budget::PssBudget::new(interval, pss_budget_percent),
                );
                // After the PSS reader's thread started, so that only this thread has it.
                short_slice::request_for_this_thread();
                Sampler::Linux(sampler)
            }
            #[cfg(target_os = "haiku")]
            SamplerKind::Native => Sampler::Haiku(haiku::AreaSampler::new(pid)),
            #[cfg(not(any(target_os = "linux", target_os = "haiku")))]
            SamplerKind::Native => {
                Sampler::Sysinfo(Box::new(sysinfo_backend::SysinfoSampler::new(pid)))
            }
            #[cfg(not(target_os = "haiku"))]
            SamplerKind::Sysinfo => {
                Sampler::Sysinfo(Box::new(sysinfo_backend::SysinfoSampler::new(pid)))
            }
        }
    }

    /// Fails when this system offers no way to read another process's memory at all, so that
    /// memmon refuses to run rather than report "no samples" for a live command.
    pub fn check_available() -> anyhow::Result<()> {
        #[cfg(target_os = "linux")]
        if !std::path::Path::new("/proc/self/statm").exists() {
            anyhow::bail!(
                "/proc is not mounted, so no process memory can be read: mount proc first"
            );
        }
        Ok(())
    }

    /// One sample, or `None` when the process could not be read (it is gone or going). When it
    /// is [`awaiting`](Self::awaiting), pass it to [`complete`](Self::complete).
    pub fn sample(&mut self) -> Option<Sample> {
        match self {
            #[cfg(target_os = "linux")]
            Sampler::Linux(s) => s.sample(),
            #[cfg(target_os = "haiku")]
            Sampler::Haiku(s) => s.sample(),
            #[cfg(not(target_os = "haiku"))]
            Sampler::Sysinfo(s) => s.sample(),
        }
    }

    /// Whether the sample just taken waits for a reading in the background (Linux: PSS).
    pub fn awaiting(&self) -> bool {
        match self {
            #[cfg(target_os = "linux")]
            Sampler::Linux(s) => s.awaiting(),
            #[allow(unreachable_patterns)]
            _ => false,
        }
    }

    /// Adds to the awaiting sample what was read for it in the background (Linux: PSS), if that
    /// is back already — or, with `wait`, once it is — within a limit of one interval, at least
    /// a second, after the sample. Never a value read for another sample. Returns whether the
    /// sample is complete (merged, or no longer waited for).
    #[cfg_attr(not(target_os = "linux"), allow(unused_variables))]
    pub fn complete(&mut self, sample: &mut Sample, wait: bool) -> bool {
        match self {
            #[cfg(target_os = "linux")]
            Sampler::Linux(s) => s.complete(sample, wait),
            #[allow(unreachable_patterns)]
            _ => true,
        }
    }

    /// The kernel's high-water mark of the process's own resident set as of the latest sample
    /// (Linux `VmHWM`); `None` where it is not read.
    pub fn high_water_mark(&self) -> Option<u64> {
        match self {
            #[cfg(target_os = "linux")]
            Sampler::Linux(s) => s.high_water_mark(),
            #[allow(unreachable_patterns)]
            _ => None,
        }
    }
}
