//! The run record: the one results type that every exporter, `summarize` and `compare`
//! consume. Field names are a data contract documented in `results/README.md`; change them only
//! together with that file and the tests that parse them back.
//!
//! Two shapes exist on purpose: [`RunRecord`] is nested (the `--json` object), [`RunRow`] is the
//! same figures flattened into one `runs.csv` row, because CSV has no nesting.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::cost;
use crate::cost::{ServerFigures, SocketFigures, TcpFigures};
use crate::memory::{MemmonSummary, MinAvgMax};
use crate::requests;

/// What machine, network and server a run measured. Every record names its setup
/// (ARCHITECTURE.md, Setups).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Setup {
    /// e.g. "Linux", "Haiku".
    pub os: String,
    /// Distribution or release, e.g. "Debian GNU/Linux 12"; on Haiku the hrev.
    pub os_version: String,
    /// e.g. "x86_64".
    pub arch: String,
    /// Kernel release, e.g. "6.1.0-40-amd64".
    pub kernel: String,
    /// Network path label: "loopback", "QEMU user net", "LAN", "network"…
    pub network: String,
    /// The response's `Server` header, e.g. "lighttpd/1.4.69".
    pub server: String,
}

/// Summary of one phase's distribution over the successful jobs of a run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct PhaseStats {
    /// Jobs the statistics cover.
    pub count: u64,
    pub mean_ns: f64,
    pub p50_ns: u64,
    pub p90_ns: u64,
    pub p99_ns: u64,
    pub p999_ns: u64,
    pub max_ns: u64,
}

/// Every timed phase of a run. `receive` is TTFB + transfer, the old suite's "receive time".
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Phases {
    pub socket: PhaseStats,
    pub setup: PhaseStats,
    pub connect: PhaseStats,
    pub ttfb: PhaseStats,
    pub transfer: PhaseStats,
    pub receive: PhaseStats,
}

/// Socket system calls the client itself made, counted at each call site so it works on every OS.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Syscalls {
    pub socket: u64,
    pub connect: u64,
    pub send: u64,
    /// Every recv call, including those that returned EAGAIN or 0 (EOF).
    pub recv: u64,
    /// Readiness waits of the event loop (epoll_wait / kevent / poll); 0 for the threaded variant.
    pub wait: u64,
    /// poll(2) calls inside the threaded variant's connect with a timeout; 0 for the poll variant.
    /// Absent (0) in records written before it was counted.
    #[serde(default)]
    pub connect_wait: u64,
    /// The kinds from here on were counted later: `None` in records written before.
    /// fcntl(2)/ioctl(2) on sockets.
    #[serde(default)]
    pub fcntl: Option<u64>,
    /// setsockopt(2)/getsockopt(2).
    #[serde(default)]
    pub sockopt: Option<u64>,
    /// Interest-set changes (epoll_ctl, kevent changes) and creating the poller.
    #[serde(default)]
    pub ctl: Option<u64>,
    /// io_uring_enter/io_uring_register and creating the ring.
    #[serde(default)]
    pub submit: Option<u64>,
    #[serde(default)]
    pub close: Option<u64>,
    /// Threads the model spawned (not a system call of a kind: not in [`Syscalls::total`]).
    #[serde(default)]
    pub thread_spawns: Option<u64>,
}

impl Syscalls {
    pub fn total(&self) -> u64 {
        let later = [self.fcntl, self.sockopt, self.ctl, self.submit, self.close];
        self.socket
            + self.connect
            + self.send
            + self.recv
            + self.wait
            + self.connect_wait
            + later.iter().flatten().sum::<u64>()
    }
}

/// memmon's figures for the client process of one run, in bytes; absent metrics are `None`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MemoryFigures {
    pub samples: u64,
    pub rss: Option<MinAvgMax>,
    pub vsz: Option<MinAvgMax>,
    pub pss_anon: Option<MinAvgMax>,
    pub pss: Option<MinAvgMax>,
    pub peak_rss: Option<u64>,
    /// Samples memmon's interval called for; `None` where memmon did not say (older versions).
    #[serde(default)]
    pub scheduled_samples: Option<u64>,
}

/// One run of one variant: N concurrent jobs. This is the `run --json` object.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RunRecord {
    pub run_id: String,
    /// Wall-clock start, seconds since the Unix epoch (UTC).
    pub started_unix_s: u64,
    pub variant: String,
    /// Readiness API behind the variant: "epoll", "kqueue", "poll", or "blocking" (threaded).
    pub backend: String,
    pub connections: u32,
    pub buffer_size: u64,
    /// Expected body bytes per job (the Content-Length the server announced; 0 when unknown).
    pub payload_bytes: u64,
    pub address: String,
    pub port: u16,
    pub path: String,
    pub setup: Setup,
    pub jobs_ok: u32,
    pub jobs_failed: u32,
    /// Failed jobs counted by reason.
    pub failures: BTreeMap<String, u32>,
    /// Body bytes of all jobs.
    pub bytes: u64,
    /// First socket → last job finished.
    pub run_ns: u64,
    /// All body bytes / run time.
    pub aggregate_mib_s: f64,
    /// Mean over successful jobs of bytes / receive time: the old suite's per-job speed.
    pub job_mib_s: f64,
    pub cpu_user_s: f64,
    pub cpu_sys_s: f64,
    /// Context switches; `None` where the OS does not count them (Haiku).
    pub ctx_voluntary: Option<u64>,
    pub ctx_involuntary: Option<u64>,
    pub syscalls: Syscalls,
    pub phases: Phases,
    /// Filled in when the run was measured under memmon (bench-overhead.sh).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory: Option<MemoryFigures>,
    /// Receive-buffer bytes the model allocated (threaded: connections × buffer; poll: one
    /// buffer; uring: its provided-buffer pool); `None` in records written before.
    #[serde(default)]
    pub recv_buffer_bytes: Option<u64>,
    /// What the backend used of the OS, e.g. io_uring's probed features; empty when nothing to say.
    #[serde(default)]
    pub backend_features: String,
    /// The run was cut short by SIGINT/SIGTERM: unfinished jobs failed as "interrupted".
    #[serde(default)]
    pub interrupted: bool,
    /// What each connection did: `download` (one GET, the default and every older record),
    /// `keepalive` (requests back to back on one connection), `upload` (one PUT with a body).
    #[serde(default = "download")]
    pub workload: String,
    /// Request-rate figures; `None` for one-request workloads (download, upload).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requests: Option<crate::RequestFigures>,
    /// Event loops (`--threads`) of the poll and uring models, each with its share of the
    /// connections; `None` for threaded (one thread per connection) and in older records (one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_loops: Option<u32>,
    /// The server's cost (memmon `--also`): filled in by `suite record` when the suite measured
    /// the server, which it does only for a server on this machine whose PID it knows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server: Option<ServerFigures>,
    /// The kernel's TCP sockets during the run (memmon `--sockets`, Linux).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sockets: Option<SocketFigures>,
    /// TCP_INFO over the run's connections, read by the client at the end of each job.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tcp: Option<TcpFigures>,
}

/// The workload of records and rows written before the field existed.
pub fn download() -> String {
    "download".to_string()
}

impl RunRecord {
    /// CPU seconds (user + system) per GiB of body data; 0 when nothing was moved.
    pub fn cpu_s_per_gib(&self) -> f64 {
        if self.bytes == 0 {
            return 0.0;
        }
        (self.cpu_user_s + self.cpu_sys_s) / (self.bytes as f64 / crate::units::GIB as f64)
    }

    /// Socket system calls per MiB of body data; 0 when nothing was moved.
    pub fn syscalls_per_mib(&self) -> f64 {
        if self.bytes == 0 {
            return 0.0;
        }
        self.syscalls.total() as f64 / (self.bytes as f64 / crate::units::MIB as f64)
    }
}

macro_rules! run_row {
    ($($(#[$doc:meta])* $field:ident : $ty:ty),* $(,)?) => {
        /// One `runs.csv` row: [`RunRecord`] flattened. Memory columns are empty without memmon.
        #[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
        pub struct RunRow { $($(#[$doc])* pub $field: $ty,)* }

        impl RunRow {
            /// The header of `runs.csv`, in column order.
            pub const COLUMNS: &'static [&'static str] = &[$(stringify!($field)),*];
        }
    };
}

run_row! {
    run_id: String, started_unix_s: u64, variant: String, backend: String, connections: u32,
    buffer_size: u64, payload_bytes: u64, address: String, port: u16, path: String,
    os: String, os_version: String, arch: String, kernel: String, network: String, server: String,
    jobs_ok: u32, jobs_failed: u32,
    /// `reason=count` pairs joined by `; `.
    failures: String,
    bytes: u64, run_ns: u64, aggregate_mib_s: f64, job_mib_s: f64,
    cpu_user_s: f64, cpu_sys_s: f64, ctx_voluntary: Option<u64>, ctx_involuntary: Option<u64>,
    sys_socket: u64, sys_connect: u64, sys_send: u64, sys_recv: u64, sys_wait: u64,
    socket_mean_ns: f64, socket_p50_ns: u64, socket_p90_ns: u64, socket_p99_ns: u64, socket_p999_ns: u64, socket_max_ns: u64,
    setup_mean_ns: f64, setup_p50_ns: u64, setup_p90_ns: u64, setup_p99_ns: u64, setup_p999_ns: u64, setup_max_ns: u64,
    connect_mean_ns: f64, connect_p50_ns: u64, connect_p90_ns: u64, connect_p99_ns: u64, connect_p999_ns: u64, connect_max_ns: u64,
    ttfb_mean_ns: f64, ttfb_p50_ns: u64, ttfb_p90_ns: u64, ttfb_p99_ns: u64, ttfb_p999_ns: u64, ttfb_max_ns: u64,
    transfer_mean_ns: f64, transfer_p50_ns: u64, transfer_p90_ns: u64, transfer_p99_ns: u64, transfer_p999_ns: u64, transfer_max_ns: u64,
    receive_mean_ns: f64, receive_p50_ns: u64, receive_p90_ns: u64, receive_p99_ns: u64, receive_p999_ns: u64, receive_max_ns: u64,
    mem_samples: Option<u64>,
    mem_rss_min_bytes: Option<f64>, mem_rss_avg_bytes: Option<f64>, mem_rss_max_bytes: Option<f64>,
    mem_vsz_min_bytes: Option<f64>, mem_vsz_avg_bytes: Option<f64>, mem_vsz_max_bytes: Option<f64>,
    mem_pss_anon_min_bytes: Option<f64>, mem_pss_anon_avg_bytes: Option<f64>, mem_pss_anon_max_bytes: Option<f64>,
    mem_pss_min_bytes: Option<f64>, mem_pss_avg_bytes: Option<f64>, mem_pss_max_bytes: Option<f64>,
    mem_peak_rss_bytes: Option<u64>,
    /// Added after the columns above, hence last; empty in files written before it was counted.
    #[serde(default)]
    sys_connect_wait: u64,
    /// Added later still; empty in files written before (and then a poll run's backend was the
    /// `polling` crate, whatever the `backend` column says).
    #[serde(default)]
    recv_buffer_bytes: Option<u64>,
    #[serde(default)]
    sys_fcntl: Option<u64>,
    #[serde(default)]
    sys_sockopt: Option<u64>,
    #[serde(default)]
    sys_ctl: Option<u64>,
    #[serde(default)]
    sys_submit: Option<u64>,
    #[serde(default)]
    sys_close: Option<u64>,
    #[serde(default)]
    thread_spawns: Option<u64>,
    /// The cost columns (record/cost.rs), added later: empty in files written before, and
    /// wherever the figure was not measured.
    #[serde(default)] server_pid: Option<u32>,
    #[serde(default)] server_cpu_user_s: Option<f64>,
    #[serde(default)] server_cpu_sys_s: Option<f64>,
    #[serde(default)] server_ctx_voluntary: Option<u64>,
    #[serde(default)] server_ctx_involuntary: Option<u64>,
    #[serde(default)] server_mem_samples: Option<u64>,
    #[serde(default)] server_mem_rss_min_bytes: Option<f64>,
    #[serde(default)] server_mem_rss_avg_bytes: Option<f64>,
    #[serde(default)] server_mem_rss_max_bytes: Option<f64>,
    #[serde(default)] server_mem_pss_anon_min_bytes: Option<f64>,
    #[serde(default)] server_mem_pss_anon_avg_bytes: Option<f64>,
    #[serde(default)] server_mem_pss_anon_max_bytes: Option<f64>,
    #[serde(default)] tcp_inuse_start: Option<u64>,
    #[serde(default)] tcp_inuse_max: Option<u64>,
    #[serde(default)] tcp_mem_min_bytes: Option<f64>,
    #[serde(default)] tcp_mem_avg_bytes: Option<f64>,
    #[serde(default)] tcp_mem_max_bytes: Option<f64>,
    #[serde(default)] tcp_info_jobs: Option<u64>,
    #[serde(default)] tcp_retransmits_min: Option<f64>,
    #[serde(default)] tcp_retransmits_avg: Option<f64>,
    #[serde(default)] tcp_retransmits_max: Option<f64>,
    #[serde(default)] tcp_rtt_us_min: Option<f64>,
    #[serde(default)] tcp_rtt_us_avg: Option<f64>,
    #[serde(default)] tcp_rtt_us_max: Option<f64>,
    #[serde(default)] tcp_rttvar_us_min: Option<f64>,
    #[serde(default)] tcp_rttvar_us_avg: Option<f64>,
    #[serde(default)] tcp_rttvar_us_max: Option<f64>,
    #[serde(default)] tcp_cwnd_min_bytes: Option<f64>,
    #[serde(default)] tcp_cwnd_avg_bytes: Option<f64>,
    #[serde(default)] tcp_cwnd_max_bytes: Option<f64>,
    #[serde(default)] tcp_delivery_rate_min: Option<f64>,
    #[serde(default)] tcp_delivery_rate_avg: Option<f64>,
    #[serde(default)] tcp_delivery_rate_max: Option<f64>,
    /// memmon's scheduled samples beside `mem_samples` (added after the cost columns: older
    /// files lack it).
    #[serde(default)] mem_scheduled_samples: Option<u64>,
    /// The workload and request-rate columns (requests.rs), added last: files written before
    /// lack them and read as download runs; every request column is empty for download and
    /// upload, which make one request per connection.
    #[serde(default = "download")] workload: String,
    #[serde(default)] requests: Option<u64>,
    #[serde(default)] warmup_requests: Option<u64>,
    #[serde(default)] measured_ns: Option<u64>,
    #[serde(default)] requests_per_s: Option<f64>,
    #[serde(default)] latency_p50_us: Option<f64>,
    #[serde(default)] latency_p75_us: Option<f64>,
    #[serde(default)] latency_p90_us: Option<f64>,
    #[serde(default)] latency_p99_us: Option<f64>,
    #[serde(default)] latency_p99_9_us: Option<f64>,
    #[serde(default)] latency_p99_99_us: Option<f64>,
    #[serde(default)] latency_max_us: Option<f64>,
    #[serde(default)] latency_mean_us: Option<f64>,
    /// base64 HdrHistogram V2, as in the JSON: what reports merge to pool runs.
    #[serde(default)] latency_histogram: Option<String>,
    #[serde(default)] cpu_us_per_request: Option<f64>,
    #[serde(default)] syscalls_per_request: Option<f64>,
    #[serde(default)] target_rate: Option<f64>,
    #[serde(default)] uncorrected_latency_p99_us: Option<f64>,
    #[serde(default)] schedule_missed: Option<String>,
    #[serde(default)] connections_made: Option<u64>,
    #[serde(default)] connections_per_s: Option<f64>,
    #[serde(default)] connect_p99_us: Option<f64>,
    #[serde(default)] connect_histogram: Option<String>,
    #[serde(default)] reopened_connections: Option<u64>,
}

/// Splits `a=1; b=2` back into a map; entries that do not parse are kept with count 1.
fn parse_failures(text: &str) -> BTreeMap<String, u32> {
    let mut map = BTreeMap::new();
    for part in text.split("; ").filter(|p| !p.trim().is_empty()) {
        let (reason, count) = match part.rsplit_once('=') {
            Some((r, c)) => (r, c.trim().parse().unwrap_or(1)),
            None => (part, 1),
        };
        *map.entry(reason.to_string()).or_insert(0) += count;
    }
    map
}

fn format_failures(failures: &BTreeMap<String, u32>) -> String {
    failures
        .iter()
        .map(|(reason, count)| format!("{reason}={count}"))
        .collect::<Vec<_>>()
        .join("; ")
}

macro_rules! phase_columns {
    ($row:ident, $phases:expr, $($phase:ident => [$mean:ident, $p50:ident, $p90:ident, $p99:ident, $p999:ident, $max:ident]),*) => {
        $(
            $row.$mean = $phases.$phase.mean_ns;
            $row.$p50 = $phases.$phase.p50_ns;
            $row.$p90 = $phases.$phase.p90_ns;
            $row.$p99 = $phases.$phase.p99_ns;
            $row.$p999 = $phases.$phase.p999_ns;
            $row.$max = $phases.$phase.max_ns;
        )*
    };
}

macro_rules! phases_from_columns {
    ($row:ident, $count:expr, $($phase:ident => [$mean:ident, $p50:ident, $p90:ident, $p99:ident, $p999:ident, $max:ident]),*) => {
        Phases { $(
            $phase: PhaseStats {
                count: $count,
                mean_ns: $row.$mean,
                p50_ns: $row.$p50,
                p90_ns: $row.$p90,
                p99_ns: $row.$p99,
                p999_ns: $row.$p999,
                max_ns: $row.$max,
            },
        )* }
    };
}

macro_rules! with_phase_columns {
    ($mac:ident, $($args:tt)*) => {
        $mac!($($args)*,
            socket => [socket_mean_ns, socket_p50_ns, socket_p90_ns, socket_p99_ns, socket_p999_ns, socket_max_ns],
            setup => [setup_mean_ns, setup_p50_ns, setup_p90_ns, setup_p99_ns, setup_p999_ns, setup_max_ns],
            connect => [connect_mean_ns, connect_p50_ns, connect_p90_ns, connect_p99_ns, connect_p999_ns, connect_max_ns],
            ttfb => [ttfb_mean_ns, ttfb_p50_ns, ttfb_p90_ns, ttfb_p99_ns, ttfb_p999_ns, ttfb_max_ns],
            transfer => [transfer_mean_ns, transfer_p50_ns, transfer_p90_ns, transfer_p99_ns, transfer_p999_ns, transfer_max_ns],
            receive => [receive_mean_ns, receive_p50_ns, receive_p90_ns, receive_p99_ns, receive_p999_ns, receive_max_ns])
    };
}

impl From<&RunRecord> for RunRow {
    fn from(r: &RunRecord) -> Self {
        let mem = r.memory.clone().unwrap_or_default();
        let has_mem = r.memory.is_some();
        let mut row = RunRow {
            run_id: r.run_id.clone(),
            started_unix_s: r.started_unix_s,
            variant: r.variant.clone(),
            backend: r.backend.clone(),
            connections: r.connections,
            buffer_size: r.buffer_size,
            payload_bytes: r.payload_bytes,
            address: r.address.clone(),
            port: r.port,
            path: r.path.clone(),
            os: r.setup.os.clone(),
            os_version: r.setup.os_version.clone(),
            arch: r.setup.arch.clone(),
            kernel: r.setup.kernel.clone(),
            network: r.setup.network.clone(),
            server: r.setup.server.clone(),
            jobs_ok: r.jobs_ok,
            jobs_failed: r.jobs_failed,
            failures: format_failures(&r.failures),
            bytes: r.bytes,
            run_ns: r.run_ns,
            aggregate_mib_s: r.aggregate_mib_s,
            job_mib_s: r.job_mib_s,
            cpu_user_s: r.cpu_user_s,
            cpu_sys_s: r.cpu_sys_s,
            ctx_voluntary: r.ctx_voluntary,
            ctx_involuntary: r.ctx_involuntary,
            sys_socket: r.syscalls.socket,
            sys_connect: r.syscalls.connect,
            sys_send: r.syscalls.send,
            sys_recv: r.syscalls.recv,
            sys_wait: r.syscalls.wait,
            sys_connect_wait: r.syscalls.connect_wait,
            recv_buffer_bytes: r.recv_buffer_bytes,
            sys_fcntl: r.syscalls.fcntl,
            sys_sockopt: r.syscalls.sockopt,
            sys_ctl: r.syscalls.ctl,
            sys_submit: r.syscalls.submit,
            sys_close: r.syscalls.close,
            thread_spawns: r.syscalls.thread_spawns,
            mem_samples: has_mem.then_some(mem.samples),
            mem_rss_min_bytes: mem.rss.map(|m| m.min),
            mem_rss_avg_bytes: mem.rss.map(|m| m.avg),
            mem_rss_max_bytes: mem.rss.map(|m| m.max),
            mem_vsz_min_bytes: mem.vsz.map(|m| m.min),
            mem_vsz_avg_bytes: mem.vsz.map(|m| m.avg),
            mem_vsz_max_bytes: mem.vsz.map(|m| m.max),
            mem_pss_anon_min_bytes: mem.pss_anon.map(|m| m.min),
            mem_pss_anon_avg_bytes: mem.pss_anon.map(|m| m.avg),
            mem_pss_anon_max_bytes: mem.pss_anon.map(|m| m.max),
            mem_pss_min_bytes: mem.pss.map(|m| m.min),
            mem_pss_avg_bytes: mem.pss.map(|m| m.avg),
            mem_pss_max_bytes: mem.pss.map(|m| m.max),
            mem_peak_rss_bytes: mem.peak_rss,
            mem_scheduled_samples: mem.scheduled_samples,
            ..RunRow::default()
        };
        with_phase_columns!(phase_columns, row, r.phases);
        cost::fill_row(&mut row, r);
        requests::fill_row(&mut row, r);
        row
    }
}

/// The backend a row names. Rows written before the client had its own raw backends (no
/// `recv_buffer_bytes` column) ran the poll variant on the `polling` crate, whatever readiness API
/// their `backend` column names: they read as `polling`, never as a raw `epoll`.
pub fn legacy_backend(row: &RunRow) -> String {
    if row.recv_buffer_bytes.is_none() && row.variant == "poll" {
        "polling".to_string()
    } else {
        row.backend.clone()
    }
}

impl From<MemmonSummary> for MemoryFigures {
    /// memmon's figures for the client process, as the suite joins them into its run's row.
    fn from(m: MemmonSummary) -> Self {
        let bytes = |m: Option<MinAvgMax<u64>>| m.map(MinAvgMax::as_f64);
        MemoryFigures {
            samples: m.samples,
            rss: bytes(m.rss_bytes),
            vsz: bytes(m.vsz_bytes),
            pss_anon: bytes(m.pss_anon_bytes),
            pss: bytes(m.pss_bytes),
            peak_rss: m.peak_rss_bytes,
            scheduled_samples: m.scheduled_samples,
        }
    }
}

fn min_avg_max(min: Option<f64>, avg: Option<f64>, max: Option<f64>) -> Option<MinAvgMax> {
    Some(MinAvgMax {
        min: min?,
        avg: avg?,
        max: max?,
    })
}

impl From<&RunRow> for RunRecord {
    fn from(row: &RunRow) -> Self {
        let count = u64::from(row.jobs_ok);
        let phases = with_phase_columns!(phases_from_columns, row, count);
        let memory = row.mem_samples.map(|samples| MemoryFigures {
            samples,
            rss: min_avg_max(
                row.mem_rss_min_bytes,
                row.mem_rss_avg_bytes,
                row.mem_rss_max_bytes,
            ),
            vsz: min_avg_max(
                row.mem_vsz_min_bytes,
                row.mem_vsz_avg_bytes,
                row.mem_vsz_max_bytes,
            ),
            pss_anon: min_avg_max(
                row.mem_pss_anon_min_bytes,
                row.mem_pss_anon_avg_bytes,
                row.mem_pss_anon_max_bytes,
            ),
            pss: min_avg_max(
                row.mem_pss_min_bytes,
                row.mem_pss_avg_bytes,
                row.mem_pss_max_bytes,
            ),
            peak_rss: row.mem_peak_rss_bytes,
            scheduled_samples: row.mem_scheduled_samples,
        });
        let (server, sockets, tcp) = cost::from_row(row);
        RunRecord {
            run_id: row.run_id.clone(),
            started_unix_s: row.started_unix_s,
            variant: row.variant.clone(),
            backend: legacy_backend(row),
            connections: row.connections,
            buffer_size: row.buffer_size,
            payload_bytes: row.payload_bytes,
            address: row.address.clone(),
            port: row.port,
            path: row.path.clone(),
            setup: Setup {
                os: row.os.clone(),
                os_version: row.os_version.clone(),
                arch: row.arch.clone(),
                kernel: row.kernel.clone(),
                network: row.network.clone(),
                server: row.server.clone(),
            },
            jobs_ok: row.jobs_ok,
            jobs_failed: row.jobs_failed,
            failures: parse_failures(&row.failures),
            bytes: row.bytes,
            run_ns: row.run_ns,
            aggregate_mib_s: row.aggregate_mib_s,
            job_mib_s: row.job_mib_s,
            cpu_user_s: row.cpu_user_s,
            cpu_sys_s: row.cpu_sys_s,
            ctx_voluntary: row.ctx_voluntary,
            ctx_involuntary: row.ctx_involuntary,
            syscalls: Syscalls {
                socket: row.sys_socket,
                connect: row.sys_connect,
                send: row.sys_send,
                recv: row.sys_recv,
                wait: row.sys_wait,
                connect_wait: row.sys_connect_wait,
                fcntl: row.sys_fcntl,
                sockopt: row.sys_sockopt,
                ctl: row.sys_ctl,
                submit: row.sys_submit,
                close: row.sys_close,
                thread_spawns: row.thread_spawns,
            },
            phases,
            memory,
            recv_buffer_bytes: row.recv_buffer_bytes,
            // JSON only: in runs.csv an interrupted run shows as its "interrupted" failures.
            backend_features: String::new(),
            interrupted: row.failures.contains("interrupted="),
            workload: row.workload.clone(),
            requests: requests::from_row(row),
            event_loops: None,
            server,
            sockets,
            tcp,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample_run() -> RunRecord {
        let stats = |base: u64| PhaseStats {
            count: 3,
            mean_ns: base as f64 + 0.5,
            p50_ns: base,
            p90_ns: base + 1,
            p99_ns: base + 2,
            p999_ns: base + 3,
            max_ns: base + 4,
        };
        RunRecord {
            run_id: "r1".into(),
            started_unix_s: 1_700_000_000,
            variant: "poll".into(),
            backend: "epoll".into(),
            connections: 3,
            buffer_size: 4 << 20,
            payload_bytes: 1000,
            address: "127.0.0.1".into(),
            port: 8000,
            path: "/testpayload".into(),
            setup: Setup {
                os: "Linux".into(),
                os_version: "Debian GNU/Linux 12".into(),
                arch: "x86_64".into(),
                kernel: "6.1.0".into(),
                network: "loopback".into(),
                server: "lighttpd/1.4.69".into(),
            },
            jobs_ok: 3,
            jobs_failed: 1,
            failures: BTreeMap::from([("connection refused".to_string(), 1)]),
            bytes: 3000,
            run_ns: 1_000_000,
            aggregate_mib_s: 2.86,
            job_mib_s: 1.5,
            cpu_user_s: 0.01,
            cpu_sys_s: 0.02,
            ctx_voluntary: Some(5),
            ctx_involuntary: None,
            syscalls: Syscalls {
                socket: 4,
                connect: 4,
                send: 3,
                recv: 9,
                wait: 6,
                connect_wait: 2,
                fcntl: Some(1),
                sockopt: Some(2),
                ctl: Some(3),
                submit: None,
                close: Some(4),
                thread_spawns: Some(0),
            },
            recv_buffer_bytes: Some(4 << 20),
            backend_features: String::new(),
            interrupted: false,
            workload: download(),
            requests: None,
            event_loops: None,
            phases: Phases {
                socket: stats(10),
                setup: stats(20),
                connect: stats(30),
                ttfb: stats(40),
                transfer: stats(50),
                receive: stats(60),
            },
            memory: Some(MemoryFigures {
                samples: 7,
                rss: Some(MinAvgMax {
                    min: 1.0,
                    avg: 2.0,
                    max: 3.0,
                }),
                vsz: None,
                pss_anon: Some(MinAvgMax {
                    min: 4.0,
                    avg: 5.0,
                    max: 6.0,
                }),
                pss: None,
                peak_rss: Some(9),
                scheduled_samples: Some(8),
            }),
            server: Some(ServerFigures {
                pid: 42,
                cpu_user_s: Some(0.5),
                cpu_sys_s: Some(1.25),
                ctx_voluntary: Some(30),
                ctx_involuntary: None,
                memory_samples: 7,
                rss: Some(MinAvgMax {
                    min: 10.0,
                    avg: 11.0,
                    max: 12.0,
                }),
                pss_anon: None,
            }),
            sockets: Some(SocketFigures {
                tcp_inuse_start: 5,
                tcp_inuse_max: 9,
                tcp_mem: MinAvgMax {
                    min: 4096.0,
                    avg: 6144.0,
                    max: 8192.0,
                },
            }),
            tcp: Some(TcpFigures {
                jobs: 3,
                retransmits: MinAvgMax {
                    min: 0.0,
                    avg: 1.0,
                    max: 3.0,
                },
                rtt_us: MinAvgMax {
                    min: 20.0,
                    avg: 30.0,
                    max: 40.0,
                },
                rttvar_us: MinAvgMax {
                    min: 5.0,
                    avg: 6.0,
                    max: 7.0,
                },
                cwnd_bytes: MinAvgMax {
                    min: 14480.0,
                    avg: 14480.0,
                    max: 14480.0,
                },
                delivery_rate: None,
            }),
        }
    }

    #[test]
    fn run_row_round_trips_through_csv() {
        let run = sample_run();
        let mut writer = csv::Writer::from_writer(Vec::new());
        writer.serialize(RunRow::from(&run)).unwrap();
        let text = String::from_utf8(writer.into_inner().unwrap()).unwrap();
        let header: Vec<&str> = text.lines().next().unwrap().split(',').collect();
        assert_eq!(header, RunRow::COLUMNS);
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        let row: RunRow = reader.deserialize().next().unwrap().unwrap();
        assert_eq!(RunRecord::from(&row), run);
    }

    #[test]
    fn request_figures_round_trip_through_csv() {
        let latency = |base: f64| crate::LatencyPercentiles {
            p50: base,
            p75: base + 1.0,
            p90: base + 2.0,
            p99: base + 3.0,
            p99_9: base + 4.0,
            p99_99: base + 5.0,
            max: base + 6.0,
            mean: base + 0.5,
        };
        let mut run = sample_run();
        run.workload = "keepalive".into();
        run.requests = Some(crate::RequestFigures {
            requests: 900,
            warmup_requests: 100,
            measured_ns: 1_000_000_000,
            requests_per_s: 900.0,
            latency_us: Some(latency(10.0)),
            latency_histogram: Some("HISTEwAAAA==".into()),
            target_rate: Some(1000.0),
            schedule_missed: Some("the server fell behind".into()),
            ..crate::RequestFigures::default()
        });
        let mut writer = csv::Writer::from_writer(Vec::new());
        writer.serialize(RunRow::from(&run)).unwrap();
        let text = String::from_utf8(writer.into_inner().unwrap()).unwrap();
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        let row: RunRow = reader.deserialize().next().unwrap().unwrap();
        // The request columns come last, in REQUEST_COLUMNS' order.
        let tail = &RunRow::COLUMNS[RunRow::COLUMNS.len() - crate::REQUEST_COLUMNS.len()..];
        assert_eq!(tail, crate::REQUEST_COLUMNS);
        // 0.03 s of CPU and 38 calls over 1,000 requests made (warm-up included).
        assert!((row.cpu_us_per_request.unwrap() - 30.0).abs() < 1e-9);
        assert_eq!(row.syscalls_per_request, Some(0.038));
        assert_eq!(RunRecord::from(&row), run);
        // A download row has every request cell empty.
        let download = RunRow::from(&sample_run());
        assert_eq!(download.workload, "download");
        assert_eq!(
            (download.requests, download.cpu_us_per_request),
            (None, None)
        );
    }

    #[test]
    fn derived_costs() {
        let mut run = sample_run();
        run.bytes = crate::units::GIB;
        assert!((run.cpu_s_per_gib() - 0.03).abs() < 1e-12);
        assert_eq!(run.syscalls_per_mib(), 38.0 / 1024.0);
    }
}
