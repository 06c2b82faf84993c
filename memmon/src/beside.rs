//! What memmon samples beside the command, on the command's schedule: a second process
//! (`--also PID`, see `also.rs`) and the kernel's TCP socket memory (`--sockets`, see
//! `sockstat.rs`). Both are summarised under their own keys of the summary, `null` when not asked
//! for or not available.

use std::fmt::Write as _;

use anyhow::Result;
use bench_records::MemmonSummary;

use crate::also::{self, Also};
use crate::cli::Cli;
use crate::sampler::Sampler;
use crate::sockstat::SocketStats;

pub struct Beside {
    also: Option<Also>,
    sockets: Option<SocketStats>,
}

impl Beside {
    /// Checks the arguments before any child is started.
    pub fn check(cli: &Cli) -> Result<()> {
        cli.also.map_or(Ok(()), also::check_pid)
    }

    /// Takes the `--also` process's starting reading; call right before the command's spawn.
    pub fn start(cli: &Cli) -> Beside {
        Beside {
            also: cli.also.map(|pid| {
                // Half the command's PSS budget: watching the server stays under 1 % of a core
                // (`make bench-memmon`) even for a large server, whose PSS is then read less often.
                let budget = cli.pss_budget / 2.0;
                let sampler = Sampler::new(cli.sampler, pid, cli.interval, budget);
                Also::start(pid, sampler)
            }),
            sockets: cli.sockets.then(SocketStats::default),
        }
    }

    pub fn sample(&mut self, at_ms: u64) {
        if let Some(also) = &mut self.also {
            also.sample(at_ms);
        }
        if let Some(sockets) = &mut self.sockets {
            sockets.sample(at_ms);
        }
    }

    /// Takes the `--also` process's ending reading and fills the summary's `also` and
    /// `sockets`; call right after the command was reaped.
    pub fn finish(&self, end_ms: u64, summary: &mut MemmonSummary) {
        summary.also = self.also.as_ref().map(|also| also.finish(end_ms));
        summary.sockets = self.sockets.as_ref().and_then(|s| s.summary(end_ms));
    }
}

const MIB: f64 = 1024.0 * 1024.0;

/// The text summary's lines for what was sampled beside the command (none when nothing was).
pub fn write_text(summary: &MemmonSummary, out: &mut String) {
    if let Some(also) = &summary.also {
        let cpu = match (also.cpu_user_s, also.cpu_sys_s) {
            (Some(user), Some(sys)) => format!("CPU {user:.3} s user + {sys:.3} s system"),
            _ => "CPU not available (this OS does not say, or the process ended)".to_string(),
        };
        let switches = match (also.ctx_voluntary, also.ctx_involuntary) {
            (Some(v), Some(i)) => format!(", {v} voluntary + {i} involuntary switches"),
            _ => String::new(),
        };
        let memory = match also
            .pss_anon_bytes
            .map(|m| ("pss_anon", m))
            .or(also.rss_bytes.map(|m| ("rss", m)))
        {
            Some((name, m)) => format!(
                "; memory min {:.3} MiB, avg {:.3} MiB, max {:.3} MiB ({name})",
                m.min as f64 / MIB,
                m.avg / MIB,
                m.max as f64 / MIB
            ),
            None => "; memory: no samples".to_string(),
        };
        let _ = writeln!(out, "Also PID {}: {cpu}{switches}{memory}", also.pid);
    }
    if let Some(sockets) = &summary.sockets {
        let m = sockets.tcp_mem_bytes;
        let _ = writeln!(
            out,
            "TCP sockets (system-wide): {} in use at start, {} at most; kernel socket memory \
                 min {:.3} MiB, avg {:.3} MiB, max {:.3} MiB",
            sockets.tcp_inuse_start,
            sockets.tcp_inuse_max,
            m.min as f64 / MIB,
            m.avg / MIB,
            m.max as f64 / MIB
        );
    }
}
