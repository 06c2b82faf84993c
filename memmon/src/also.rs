//! A second process watched beside the command (`--also PID`): the benchmark's server, whose cost
//! for the same transfer an OS developer needs next to the client's. Its memory is sampled on the
//! command's schedule with the same sampler; its CPU time and context switches are read once just
//! before the command starts and once just after it was reaped, so their difference is what the
//! process spent while the command ran.
//!
//! memmon does not own this process: it never signals it, and a process that ends before the
//! command does leaves its CPU figures out (`null`) rather than half a difference.

use anyhow::{bail, Result};
use bench_records::AlsoSummary;

use crate::sampler::Sampler;
use crate::stats::Stats;
use crate::usage::{self, Usage};

pub struct Also {
    pid: u32,
    sampler: Sampler,
    stats: Stats,
    start: Option<Usage>,
}

/// Fails unless `pid` names a live process (any user's: it is only read, never signalled).
pub fn check_pid(pid: u32) -> Result<()> {
    let Ok(raw) = libc::pid_t::try_from(pid) else {
        bail!("--also {pid}: not a process id");
    };
    if raw <= 0 {
        bail!("--also {pid}: not a process id (give the PID of a running process)");
    }
    // SAFETY: signal 0 only checks that the process exists and may be signalled; nothing is sent.
    let alive = unsafe { libc::kill(raw, 0) } == 0
        || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM);
    if !alive {
        bail!("--also {pid}: no such process (give the PID of a running process)");
    }
    Ok(())
}

impl Also {
    /// Takes the starting reading; call right before the command is spawned.
    pub fn start(pid: u32, sampler: Sampler) -> Also {
        Also {
            pid,
            sampler,
            stats: Stats::default(),
            start: usage::read(pid),
        }
    }

    pub fn sample(&mut self, at_ms: u64) {
        if let Some(sample) = self.sampler.sample() {
            self.stats.add(&sample, at_ms);
        }
    }

    /// Takes the ending reading; call right after the command was reaped.
    pub fn finish(&self, end_ms: u64) -> AlsoSummary {
        let spent = match (self.start, usage::read(self.pid)) {
            (Some(start), Some(end)) => Some(end.since(&start)),
            _ => None,
        };
        // Rounded to microseconds (finer than any OS's figure), so 0.04 - 0.01 reads 0.03.
        let seconds = |s: f64| (s * 1e6).round() / 1e6;
        let memory = self.stats.summary(end_ms);
        AlsoSummary {
            pid: self.pid,
            samples: self.stats.samples,
            rss_bytes: memory.rss,
            vsz_bytes: memory.vsz,
            pss_anon_bytes: memory.pss_anon,
            pss_bytes: memory.pss,
            cpu_user_s: spent.map(|s| seconds(s.user_s)),
            cpu_sys_s: spent.map(|s| seconds(s.sys_s)),
            ctx_voluntary: spent.and_then(|s| s.voluntary),
            ctx_involuntary: spent.and_then(|s| s.involuntary),
        }
    }
}
