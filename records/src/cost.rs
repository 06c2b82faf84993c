//! What a run cost beyond the client: the server's CPU and memory (memmon `--also`), the kernel's
//! TCP socket memory (memmon `--sockets`), and TCP_INFO of each connection (read by the client
//! at the end of each job). Every figure is `None` where the OS or the setup did not give it —
//! a server on another machine, an OS without `/proc/net/sockstat` — never 0.

use serde::{Deserialize, Serialize};

use crate::units::GIB;
use crate::{JobRecord, MinAvgMax, RunRecord, RunRow};

/// Whether a `runs.csv` column is one of the cost columns (`server_…`, `tcp_…`): each optional,
/// empty where not measured, and missing from files written before they existed.
pub fn is_cost_column(name: &str) -> bool {
    name.starts_with("server_") || name.starts_with("tcp_")
}

/// memmon's `also` object (`--also PID`): the second process's memory over the command's run and
/// its CPU and context switches from just before the command's spawn to just after its reaping
/// (`null` where the OS gives none, or the process ended first).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct AlsoSummary {
    pub pid: u32,
    pub samples: u64,
    pub rss_bytes: Option<MinAvgMax<u64>>,
    pub vsz_bytes: Option<MinAvgMax<u64>>,
    pub pss_anon_bytes: Option<MinAvgMax<u64>>,
    pub pss_bytes: Option<MinAvgMax<u64>>,
    pub cpu_user_s: Option<f64>,
    pub cpu_sys_s: Option<f64>,
    pub ctx_voluntary: Option<u64>,
    pub ctx_involuntary: Option<u64>,
}

/// memmon's `sockets` object (`--sockets`; `null` where the OS has no such figures).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SocketSummary {
    pub samples: u64,
    /// TCP sockets in use at the first sample, right after the command's spawn: the noise floor.
    pub tcp_inuse_start: u64,
    pub tcp_inuse_max: u64,
    /// System-wide TCP socket memory (`mem` pages × page size), min/avg/max over the samples.
    pub tcp_mem_bytes: MinAvgMax<u64>,
}

/// The server's cost over one run: CPU time and context switches between just before the client
/// started and just after it ended, and its memory sampled on memmon's schedule meanwhile.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ServerFigures {
    pub pid: u32,
    /// `None` when the OS gives no CPU time for another process, or the server ended mid-run.
    pub cpu_user_s: Option<f64>,
    pub cpu_sys_s: Option<f64>,
    /// `None` where the OS does not count them (Haiku).
    pub ctx_voluntary: Option<u64>,
    pub ctx_involuntary: Option<u64>,
    pub memory_samples: u64,
    pub rss: Option<MinAvgMax>,
    /// Linux: `Pss_Anon`, the client's primary memory metric too.
    pub pss_anon: Option<MinAvgMax>,
}

impl ServerFigures {
    pub fn cpu_s(&self) -> Option<f64> {
        Some(self.cpu_user_s? + self.cpu_sys_s?)
    }

    /// The metric summaries compare: `pss_anon` where present, else `rss` (as for the client).
    pub fn primary_memory(&self) -> Option<MinAvgMax> {
        self.pss_anon.or(self.rss)
    }
}

impl From<&AlsoSummary> for ServerFigures {
    fn from(m: &AlsoSummary) -> Self {
        ServerFigures {
            pid: m.pid,
            cpu_user_s: m.cpu_user_s,
            cpu_sys_s: m.cpu_sys_s,
            ctx_voluntary: m.ctx_voluntary,
            ctx_involuntary: m.ctx_involuntary,
            memory_samples: m.samples,
            rss: m.rss_bytes.map(MinAvgMax::as_f64),
            pss_anon: m.pss_anon_bytes.map(MinAvgMax::as_f64),
        }
    }
}

impl From<&SocketSummary> for SocketFigures {
    fn from(m: &SocketSummary) -> Self {
        SocketFigures {
            tcp_inuse_start: m.tcp_inuse_start,
            tcp_inuse_max: m.tcp_inuse_max,
            tcp_mem: m.tcp_mem_bytes.as_f64(),
        }
    }
}

/// The kernel's TCP sockets during one run (Linux `/proc/net/sockstat`). The memory is
/// system-wide — every program's TCP sockets, not the run's alone — and `tcp_inuse_start` (the
/// sockets open before the client made its own) lets a reader judge how much of it is others'.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct SocketFigures {
    pub tcp_inuse_start: u64,
    pub tcp_inuse_max: u64,
    /// Bytes of TCP socket memory, min/avg/max over memmon's samples.
    pub tcp_mem: MinAvgMax,
}

/// One connection's TCP_INFO at the end of its job, as the client's OS reports it (the client's
/// side of the connection: for a download, its retransmits and cwnd concern the few bytes it
/// sent, its RTT is measured on them).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TcpInfo {
    /// Segments retransmitted over the connection's life.
    pub retransmits: u64,
    /// Smoothed round-trip time and its variance, in microseconds.
    pub rtt_us: u64,
    pub rttvar_us: u64,
    /// Congestion window in bytes (Linux: segments × send MSS).
    pub cwnd_bytes: u64,
    /// Linux ≥ 4.9: the most recent delivery rate, bytes per second; `None` elsewhere.
    pub delivery_rate: Option<u64>,
}

/// TCP_INFO over the jobs of one run that had a reading: min/avg/max of each field.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct TcpFigures {
    /// Jobs with a TCP_INFO reading (others failed before connecting, or the OS has none).
    pub jobs: u64,
    pub retransmits: MinAvgMax,
    pub rtt_us: MinAvgMax,
    pub rttvar_us: MinAvgMax,
    pub cwnd_bytes: MinAvgMax,
    pub delivery_rate: Option<MinAvgMax>,
}

impl JobRecord {
    /// The job's TCP_INFO columns, when it has them.
    pub fn tcp_info(&self) -> Option<TcpInfo> {
        Some(TcpInfo {
            retransmits: self.tcp_retransmits?,
            rtt_us: self.tcp_rtt_us?,
            rttvar_us: self.tcp_rttvar_us?,
            cwnd_bytes: self.tcp_cwnd_bytes?,
            delivery_rate: self.tcp_delivery_rate,
        })
    }

    pub fn set_tcp_info(&mut self, info: Option<TcpInfo>) {
        self.tcp_retransmits = info.map(|i| i.retransmits);
        self.tcp_rtt_us = info.map(|i| i.rtt_us);
        self.tcp_rttvar_us = info.map(|i| i.rttvar_us);
        self.tcp_cwnd_bytes = info.map(|i| i.cwnd_bytes);
        self.tcp_delivery_rate = info.and_then(|i| i.delivery_rate);
    }
}

impl TcpFigures {
    /// Over every job with a reading; `None` when no job had one.
    pub fn from_jobs(jobs: &[JobRecord]) -> Option<TcpFigures> {
        let infos: Vec<TcpInfo> = jobs.iter().filter_map(JobRecord::tcp_info).collect();
        let of = |field: fn(&TcpInfo) -> Option<u64>| {
            let values: Vec<u64> = infos.iter().filter_map(field).collect();
            let min = *values.iter().min()?;
            let max = *values.iter().max()?;
            let avg = values.iter().map(|&v| v as f64).sum::<f64>() / values.len() as f64;
            Some(MinAvgMax {
                min: min as f64,
                avg,
                max: max as f64,
            })
        };
        Some(TcpFigures {
            jobs: infos.len() as u64,
            retransmits: of(|i| Some(i.retransmits))?,
            rtt_us: of(|i| Some(i.rtt_us))?,
            rttvar_us: of(|i| Some(i.rttvar_us))?,
            cwnd_bytes: of(|i| Some(i.cwnd_bytes))?,
            delivery_rate: of(|i| i.delivery_rate),
        })
    }
}

impl RunRecord {
    /// The server's CPU seconds (user + system) per GiB of body data: the figure netperf calls
    /// the remote service demand. `None` without a server measurement or without data.
    pub fn server_cpu_s_per_gib(&self) -> Option<f64> {
        let cpu = self.server.as_ref()?.cpu_s()?;
        (self.bytes > 0).then(|| cpu / (self.bytes as f64 / GIB as f64))
    }

    /// Average kernel TCP socket memory per connection of the run, in bytes (system-wide memory
    /// shared out over the run's connections: an upper bound of the run's own share).
    pub fn socket_mem_per_connection(&self) -> Option<f64> {
        let sockets = self.sockets.as_ref()?;
        (self.connections > 0).then(|| sockets.tcp_mem.avg / f64::from(self.connections))
    }
}

fn split(m: Option<MinAvgMax>) -> [Option<f64>; 3] {
    [m.map(|m| m.min), m.map(|m| m.avg), m.map(|m| m.max)]
}

fn join([min, avg, max]: [Option<f64>; 3]) -> Option<MinAvgMax> {
    Some(MinAvgMax {
        min: min?,
        avg: avg?,
        max: max?,
    })
}

/// Writes the cost columns of a `runs.csv` row.
pub(crate) fn fill_row(row: &mut RunRow, r: &RunRecord) {
    let server = r.server.as_ref();
    row.server_pid = server.map(|s| s.pid);
    row.server_cpu_user_s = server.and_then(|s| s.cpu_user_s);
    row.server_cpu_sys_s = server.and_then(|s| s.cpu_sys_s);
    row.server_ctx_voluntary = server.and_then(|s| s.ctx_voluntary);
    row.server_ctx_involuntary = server.and_then(|s| s.ctx_involuntary);
    row.server_mem_samples = server.map(|s| s.memory_samples);
    [
        row.server_mem_rss_min_bytes,
        row.server_mem_rss_avg_bytes,
        row.server_mem_rss_max_bytes,
    ] = split(server.and_then(|s| s.rss));
    [
        row.server_mem_pss_anon_min_bytes,
        row.server_mem_pss_anon_avg_bytes,
        row.server_mem_pss_anon_max_bytes,
    ] = split(server.and_then(|s| s.pss_anon));
    row.tcp_inuse_start = r.sockets.map(|s| s.tcp_inuse_start);
    row.tcp_inuse_max = r.sockets.map(|s| s.tcp_inuse_max);
    [
        row.tcp_mem_min_bytes,
        row.tcp_mem_avg_bytes,
        row.tcp_mem_max_bytes,
    ] = split(r.sockets.map(|s| s.tcp_mem));
    let tcp = r.tcp.as_ref();
    row.tcp_info_jobs = tcp.map(|t| t.jobs);
    [
        row.tcp_retransmits_min,
        row.tcp_retransmits_avg,
        row.tcp_retransmits_max,
    ] = split(tcp.map(|t| t.retransmits));
    [row.tcp_rtt_us_min, row.tcp_rtt_us_avg, row.tcp_rtt_us_max] = split(tcp.map(|t| t.rtt_us));
    [
        row.tcp_rttvar_us_min,
        row.tcp_rttvar_us_avg,
        row.tcp_rttvar_us_max,
    ] = split(tcp.map(|t| t.rttvar_us));
    [
        row.tcp_cwnd_min_bytes,
        row.tcp_cwnd_avg_bytes,
        row.tcp_cwnd_max_bytes,
    ] = split(tcp.map(|t| t.cwnd_bytes));
    [
        row.tcp_delivery_rate_min,
        row.tcp_delivery_rate_avg,
        row.tcp_delivery_rate_max,
    ] = split(tcp.and_then(|t| t.delivery_rate));
}

/// The cost figures of a `runs.csv` row: server, sockets, TCP_INFO.
pub(crate) fn from_row(
    row: &RunRow,
) -> (
    Option<ServerFigures>,
    Option<SocketFigures>,
    Option<TcpFigures>,
) {
    let server = row.server_pid.map(|pid| ServerFigures {
        pid,
        cpu_user_s: row.server_cpu_user_s,
        cpu_sys_s: row.server_cpu_sys_s,
        ctx_voluntary: row.server_ctx_voluntary,
        ctx_involuntary: row.server_ctx_involuntary,
        memory_samples: row.server_mem_samples.unwrap_or(0),
        rss: join([
            row.server_mem_rss_min_bytes,
            row.server_mem_rss_avg_bytes,
            row.server_mem_rss_max_bytes,
        ]),
        pss_anon: join([
            row.server_mem_pss_anon_min_bytes,
            row.server_mem_pss_anon_avg_bytes,
            row.server_mem_pss_anon_max_bytes,
        ]),
    });
    let sockets = (|| {
        Some(SocketFigures {
            tcp_inuse_start: row.tcp_inuse_start?,
            tcp_inuse_max: row.tcp_inuse_max?,
            tcp_mem: join([
                row.tcp_mem_min_bytes,
                row.tcp_mem_avg_bytes,
                row.tcp_mem_max_bytes,
            ])?,
        })
    })();
    let tcp = (|| {
        Some(TcpFigures {
            jobs: row.tcp_info_jobs?,
            retransmits: join([
                row.tcp_retransmits_min,
                row.tcp_retransmits_avg,
                row.tcp_retransmits_max,
            ])?,
            rtt_us: join([row.tcp_rtt_us_min, row.tcp_rtt_us_avg, row.tcp_rtt_us_max])?,
            rttvar_us: join([
                row.tcp_rttvar_us_min,
                row.tcp_rttvar_us_avg,
                row.tcp_rttvar_us_max,
            ])?,
            cwnd_bytes: join([
                row.tcp_cwnd_min_bytes,
                row.tcp_cwnd_avg_bytes,
                row.tcp_cwnd_max_bytes,
            ])?,
            delivery_rate: join([
                row.tcp_delivery_rate_min,
                row.tcp_delivery_rate_avg,
                row.tcp_delivery_rate_max,
            ]),
        })
    })();
    (server, sockets, tcp)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(retransmits: u64, rtt_us: u64, delivery_rate: Option<u64>) -> JobRecord {
        let mut job = JobRecord::default();
        job.set_tcp_info(Some(TcpInfo {
            retransmits,
            rtt_us,
            rttvar_us: rtt_us / 2,
            cwnd_bytes: 10 * 1448,
            delivery_rate,
        }));
        job
    }

    #[test]
    fn tcp_figures_cover_the_jobs_with_a_reading() {
        let jobs = [
            job(0, 100, Some(5)),
            JobRecord::default(),
            job(4, 300, None),
        ];
        let tcp = TcpFigures::from_jobs(&jobs).unwrap();
        assert_eq!(tcp.jobs, 2);
        assert_eq!(
            (
                tcp.retransmits.min,
                tcp.retransmits.avg,
                tcp.retransmits.max
            ),
            (0.0, 2.0, 4.0)
        );
        assert_eq!(tcp.rtt_us.avg, 200.0);
        // Only the job that had it.
        assert_eq!(tcp.delivery_rate.unwrap().avg, 5.0);
        assert_eq!(TcpFigures::from_jobs(&[JobRecord::default()]), None);
    }

    #[test]
    fn server_cost_per_gib_and_socket_memory_per_connection() {
        let mut run = RunRecord {
            bytes: GIB / 2,
            connections: 4,
            ..RunRecord::default()
        };
        assert_eq!(run.server_cpu_s_per_gib(), None);
        assert_eq!(run.socket_mem_per_connection(), None);
        run.server = Some(ServerFigures {
            cpu_user_s: Some(0.25),
            cpu_sys_s: Some(0.5),
            ..ServerFigures::default()
        });
        run.sockets = Some(SocketFigures {
            tcp_mem: MinAvgMax {
                min: 0.0,
                avg: 4096.0,
                max: 8192.0,
            },
            ..SocketFigures::default()
        });
        assert_eq!(run.server_cpu_s_per_gib(), Some(1.5));
        assert_eq!(run.socket_mem_per_connection(), Some(1024.0));
        // A server that ended mid-run has no CPU figure, so no cost either.
        run.server.as_mut().unwrap().cpu_sys_s = None;
        assert_eq!(run.server_cpu_s_per_gib(), None);
    }
}
