//! sysinfo's process refresh: RSS and virtual size on every OS sysinfo has a backend for
//! (macOS, FreeBSD, Windows, Linux).
//!
//! The default on OSes without a native module here. On Linux it can be chosen with the hidden
//! `--sampler sysinfo` to compare its cost with the native `/proc` reader (`make bench-memmon`).
//! Only this one process is refreshed, memory only, without its thread list.

use sysinfo::{Pid, ProcessRefreshKind, ProcessStatus, ProcessesToUpdate, System};

use super::Sample;

pub struct SysinfoSampler {
    system: System,
    pid: Pid,
}

impl SysinfoSampler {
    pub fn new(pid: u32) -> SysinfoSampler {
        SysinfoSampler {
            system: System::new(),
            pid: Pid::from_u32(pid),
        }
    }

    pub fn sample(&mut self) -> Option<Sample> {
        let refresh = ProcessRefreshKind::nothing().with_memory().without_tasks();
        self.system.refresh_processes_specifics(
            ProcessesToUpdate::Some(&[self.pid]),
            true,
            refresh,
        );
        let process = self.system.process(self.pid)?;
        if matches!(
            process.status(),
            ProcessStatus::Zombie | ProcessStatus::Dead
        ) {
            return None;
        }
        // Zero means the address space is gone (exiting): not a measurement.
        let rss = Some(process.memory()).filter(|&b| b > 0)?;
        Some(Sample {
            rss: Some(rss),
            vsz: Some(process.virtual_memory()).filter(|&b| b > 0),
            pss_anon: None,
            pss: None,
        })
    }
}
