//! `meta.json`: what a results folder measured, on what, and whether it is complete.
//!
//! Written at `begin` with status `partial`, so a suite killed outright still leaves an honest
//! folder; `record` notes failed iterations; `finish` stamps the end time, the server and network
//! the runs themselves reported, and the final status. Every write replaces the file atomically
//! (temporary file + rename): a reader never sees half a file.
//!
//! A disk that fills up must not make the folder lie: `begin` removes everything it created when
//! it cannot write the file, and keeps [`RESERVE_FILE`] aside so that `finish` can still state the
//! rows that were kept (`runs_recorded`) when the disk filled up during the runs.

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context};

use super::server;
use super::time::now_utc;
use super::{BeginConfig, FinishConfig};
use crate::client::model::ModelSpec;
use crate::client::{
    parse_timeout, Workload, DEFAULT_CONNECTIONS, DEFAULT_CONNECTIONS_FROM_BUILD,
    DEFAULT_RUN_TIMEOUT, DEFAULT_TIMEOUT,
};
use crate::host::Host;
use bench_records::units::parse_interval;
use bench_records::{FailedIteration, Meta, MetaStatus, RunRow};

pub const META_FILE: &str = "meta.json";
pub const RAW_DIR: &str = "raw";

/// Space held while the suite runs and given up when meta.json cannot be written, so that the
/// last write (`finish`) succeeds on a disk the runs filled. Removed by `finish`.
pub const RESERVE_FILE: &str = ".space-reserve";
const RESERVE_BYTES: usize = 64 * 1024;

/// The files and folders a suite writes: a folder holding any of them already holds results, and
/// the suite refuses it rather than merge rows (scripts/settings.sh checks the same list).
pub const SUITE_FILES: [&str; 6] = [
    META_FILE,
    "runs.csv",
    "jobs.csv",
    "memory.csv",
    "summary.md",
    RAW_DIR,
];

pub fn begin(args: BeginConfig) -> anyhow::Result<ExitCode> {
    let iterations: u32 = parse_count("ITERATIONS", &args.iterations, "10")?;
    parse_variants(&args.variants)?;
    let connections = match args.connections.trim() {
        "" => Connections::built_in(),
        text => Connections {
            counts: parse_counts(text)?,
            source: ConnectionSource::Setting,
        },
    };
    // memmon's own rule, so that an INTERVAL memmon would refuse stops the suite here, before
    // any folder exists, not at every iteration.
    parse_interval(&args.interval).map_err(|_| {
        anyhow::anyhow!(
            "INTERVAL={} is not an interval of whole milliseconds with a unit: give e.g. \
             INTERVAL=100ms",
            args.interval
        )
    })?;
    let timeout = client_duration("TIMEOUT", DEFAULT_TIMEOUT, &args.timeout)?;
    let run_timeout = client_duration("RUN_TIMEOUT", DEFAULT_RUN_TIMEOUT, &args.run_timeout)?;
    let extra = parse_extra(&args.extra)?;
    let workloads = parse_workloads(&args.workloads)?;
    // bench-overhead.sh passes only the settings given, checked by scripts/settings.sh.
    let request_settings = args
        .request_settings
        .split_whitespace()
        .filter_map(|pair| pair.split_once('='))
        .filter(|(_, value)| !value.is_empty())
        .map(|(name, value)| (name.to_string(), value.to_string()))
        .collect();
    let server_cost = server::decide(args.address, &args.server_pid)?;
    let network = if args.network.trim().is_empty() {
        if args.address.is_loopback() {
            "loopback".to_string()
        } else {
            "network".to_string()
        }
    } else {
        args.network.trim().to_string()
    };
    refuse_old_results(&args.results)?;

    let host = Host::detect();
    let (server_name, server_version) = split_server(&args.server);
    let meta = Meta {
        status: MetaStatus::Partial,
        suite_version: env!("CARGO_PKG_VERSION").to_string(),
        command_line: args.command_line,
        started_utc: now_utc(),
        started_unix_ms: Some(now_unix_ms()),
        ended_utc: None,
        hostname: host.hostname,
        os: host.os,
        os_version: host.os_version,
        kernel: host.kernel,
        arch: host.arch,
        cpu_model: host.cpu_model,
        cores: host.cores,
        memory_bytes: host.memory_bytes,
        server: args.server.clone(),
        server_name,
        server_version,
        network,
        address: args.address.to_string(),
        port: args.port,
        path: args.path,
        connections: connections.counts[0],
        connection_counts: connections.counts.clone(),
        iterations,
        // As VARIANTS names them (checked above): `poll` stays `poll`, the native backend.
        variants: args
            .variants
            .split_whitespace()
            .map(str::to_string)
            .collect(),
        interval: args.interval,
        timeout,
        run_timeout,
        runs_recorded: 0,
        failed_iterations: Vec::new(),
        workloads,
        request_settings,
        steps: Vec::new(),
        extra,
        server_cost: Some(server_cost.clone()),
    };
    create_folder(&args.results, &meta)?;
    eprintln!("{}", plan(&meta, &connections));
    // For bench-overhead.sh (stdout; the plan went to stderr): memmon's `--also`.
    if let Some(pid) = server_cost.pid {
        println!("{pid}");
    }
    Ok(ExitCode::SUCCESS)
}

/// How many connections each run opens, and who said so: the plan names it, so a reader knows
/// whether `make NO_CONNECTIONS=…` at build time, `CONNECTIONS`, or nothing chose the count.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Connections {
    /// One count, or a sweep's counts in order.
    pub counts: Vec<u32>,
    pub source: ConnectionSource,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnectionSource {
    /// `CONNECTIONS` (bench-overhead.sh) or `--connections`.
    Setting,
    /// Built in by `make NO_CONNECTIONS=n` (or `NO_CONNECTIONS=n cargo build`).
    BuiltInFromMake,
    /// Built in without NO_CONNECTIONS: the suite's own default.
    BuiltInDefault,
}

impl Connections {
    /// The count `run` uses without `--connections`. It always parses: cli.rs refuses at compile
    /// time a NO_CONNECTIONS that is not a whole number ≥ 1.
    pub fn built_in() -> Connections {
        Connections {
            counts: vec![DEFAULT_CONNECTIONS.parse().unwrap_or(100)],
            source: if DEFAULT_CONNECTIONS_FROM_BUILD {
                ConnectionSource::BuiltInFromMake
            } else {
                ConnectionSource::BuiltInDefault
            },
        }
    }

    /// e.g. `8 connections (CONNECTIONS=8)`, `1, 4, 16 connections (CONNECTIONS="1 4 16")`.
    pub fn describe(&self) -> String {
        let n = self.counts[0];
        let listed: Vec<String> = self.counts.iter().map(u32::to_string).collect();
        let source = match self.source {
            ConnectionSource::Setting if listed.len() > 1 => {
                format!("CONNECTIONS=\"{}\"", listed.join(" "))
            }
            ConnectionSource::Setting => format!("CONNECTIONS={n}"),
            ConnectionSource::BuiltInFromMake => {
                format!("the built-in default, from `make NO_CONNECTIONS={n}` at build time")
            }
            ConnectionSource::BuiltInDefault => {
                "the built-in default; `make NO_CONNECTIONS=n` builds in another".to_string()
            }
        };
        let plural = if listed.len() == 1 && n == 1 { "" } else { "s" };
        format!("{} connection{plural} ({source})", listed.join(", "))
    }
}

/// The plan, printed before the first iteration, as hyperfine does.
fn plan(meta: &Meta, connections: &Connections) -> String {
    let runs = meta.iterations as usize
        * meta.variants.len()
        * connections.counts.len()
        * meta.workloads.len().max(1);
    let settings: Vec<String> = meta
        .request_settings
        .iter()
        .map(|(name, value)| format!("{name}={value}"))
        .collect();
    let settings = if settings.is_empty() {
        String::new()
    } else {
        format!(" ({})", settings.join(", "))
    };
    format!(
        "plan: {} run{} of each of {} ({runs} in all), workload{} {}{settings}, each of {}, \
         memory sampled every {}; a time estimate follows the first run",
        meta.iterations,
        if meta.iterations == 1 { "" } else { "s" },
        meta.variants.join(", "),
        if meta.workloads.len() == 1 { "" } else { "s" },
        meta.workloads.join(", "),
        connections.describe(),
        meta.interval,
    )
}

/// `WORKLOADS`: workloads the client runs, each once.
fn parse_workloads(text: &str) -> anyhow::Result<Vec<String>> {
    let example = "give e.g. WORKLOADS=\"download keepalive\"";
    let mut workloads: Vec<String> = Vec::new();
    for name in text.split_whitespace() {
        let workload: Workload = name
            .parse()
            .map_err(|err| anyhow::anyhow!("WORKLOADS=\"{text}\": {err}: {example}"))?;
        if workloads.iter().any(|w| w == workload.name()) {
            bail!("WORKLOADS=\"{text}\" names `{name}` twice: give each once, {example}");
        }
        workloads.push(workload.name().to_string());
    }
    if workloads.is_empty() {
        bail!("WORKLOADS is empty: {example}");
    }
    Ok(workloads)
}

/// Refuses a results folder that already holds a suite's files (or `run --csv-dir`'s rows):
/// writing into it would merge old rows with new ones.
fn refuse_old_results(results: &Path) -> anyhow::Result<()> {
    if results.exists() && !results.is_dir() {
        bail!(
            "RESULTS={} is a file, not a folder: give a new folder, e.g. leave RESULTS unset",
            results.display()
        );
    }
    if let Some(file) = SUITE_FILES.iter().find(|f| results.join(f).exists()) {
        bail!(
            "RESULTS={} already holds results ({file}): give a new folder, e.g. leave RESULTS unset",
            results.display()
        );
    }
    Ok(())
}

/// Creates the folder, `raw/`, meta.json and the space reserve; on any failure (a full disk)
/// removes what it created, so a refused start leaves nothing behind.
fn create_folder(results: &Path, meta: &Meta) -> anyhow::Result<()> {
    let created_results = !results.exists();
    let raw = results.join(RAW_DIR);
    let outcome = fs::create_dir_all(&raw)
        .with_context(|| format!("cannot create the results folder {}", results.display()))
        .and_then(|()| write(&results.join(META_FILE), meta))
        .and_then(|()| {
            let reserve = results.join(RESERVE_FILE);
            fs::write(&reserve, vec![0u8; RESERVE_BYTES])
                .with_context(|| format!("cannot write {}", reserve.display()))
        });
    if outcome.is_err() {
        for file in [META_FILE, RESERVE_FILE] {
            let _ = fs::remove_file(results.join(file));
        }
        let _ = fs::remove_file(temporary_path(&results.join(META_FILE)));
        let _ = fs::remove_dir(&raw);
        if created_results {
            let _ = fs::remove_dir(results);
        }
    }
    outcome
}

pub fn finish(args: FinishConfig) -> anyhow::Result<ExitCode> {
    let meta_path = args.results.join(META_FILE);
    let mut meta = read(&meta_path)?;
    let rows = read_runs(&args.results.join("runs.csv"))?;
    let servers = distinct(rows.iter().map(|r| r.server.as_str()));
    if !servers.is_empty() {
        meta.server = servers.join(", ");
        (meta.server_name, meta.server_version) = split_server(&meta.server);
    }
    let networks = distinct(rows.iter().map(|r| r.network.as_str()));
    if !networks.is_empty() {
        meta.network = networks.join(", ");
    }
    if let Some(first) = rows.first() {
        meta.connections = first.connections;
    }
    meta.runs_recorded = rows.len() as u64;
    meta.status = args.status;
    meta.ended_utc = Some(now_utc());
    let reserve = args.results.join(RESERVE_FILE);
    let written = write(&meta_path, &meta).or_else(|err| {
        // A full disk: give up the reserve, whose space holds the new meta.json, and try again.
        if fs::remove_file(&reserve).is_ok() {
            write(&meta_path, &meta)
        } else {
            Err(err)
        }
    });
    let _ = fs::remove_file(&reserve);
    written?;
    Ok(ExitCode::SUCCESS)
}

/// Counts a row `record` appended to runs.csv.
pub fn add_recorded(meta_path: &Path) -> anyhow::Result<()> {
    let mut meta = read(meta_path)?;
    meta.runs_recorded += 1;
    write(meta_path, &meta)
}

/// Notes a failed iteration in meta.json.
pub fn add_failed(meta_path: &Path, failed: FailedIteration) -> anyhow::Result<()> {
    let mut meta = read(meta_path)?;
    meta.failed_iterations.push(failed);
    write(meta_path, &meta)
}

pub fn read(path: &Path) -> anyhow::Result<Meta> {
    let text =
        fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    serde_json::from_str(&text)
        .with_context(|| format!("{} is not a bench-overhead meta.json", path.display()))
}

/// Replaces meta.json atomically; a failed write (a full disk) leaves the old file and no
/// temporary one.
pub fn write(path: &Path, meta: &Meta) -> anyhow::Result<()> {
    let mut text = serde_json::to_string_pretty(meta)?;
    text.push('\n');
    let temporary = temporary_path(path);
    let written = fs::File::create(&temporary)
        .and_then(|mut file| {
            file.write_all(text.as_bytes())?;
            file.sync_data()
        })
        .and_then(|()| fs::rename(&temporary, path));
    if written.is_err() {
        let _ = fs::remove_file(&temporary);
    }
    written.with_context(|| format!("cannot write {}", path.display()))
}

fn temporary_path(path: &Path) -> PathBuf {
    path.with_extension("json.tmp")
}

fn now_unix_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// A whole number ≥ 1 that fits 32 bits, in the settings check's wording (scripts/settings.sh).
fn parse_count(variable: &str, text: &str, example: &str) -> anyhow::Result<u32> {
    text.trim()
        .parse()
        .ok()
        .filter(|&n| n >= 1)
        .with_context(|| {
            format!("{variable}={text} is not a whole number ≥ 1: give e.g. {variable}={example}")
        })
}

/// `CONNECTIONS`: one count, or a sweep's list, each count once.
fn parse_counts(text: &str) -> anyhow::Result<Vec<u32>> {
    let words: Vec<&str> = text.split_whitespace().collect();
    let counts = words
        .iter()
        .map(|word| parse_count("CONNECTIONS", word, "100"))
        .collect::<anyhow::Result<Vec<u32>>>()?;
    let repeated = (1..counts.len()).find(|&at| counts[..at].contains(&counts[at]));
    if let Some(at) = repeated {
        bail!(
            "CONNECTIONS=\"{text}\" names {} twice: give each count once, e.g. \
             CONNECTIONS=\"1 10 100\"",
            counts[at]
        );
    }
    Ok(counts)
}

/// Every row of a runs.csv; an absent file is no rows.
pub fn read_runs(path: &Path) -> anyhow::Result<Vec<RunRow>> {
    if !path.exists() {
        return Ok(Vec::new());
    }
    crate::results::csv::read_rows(path)
}

/// `VARIANTS`: `model[:backend]` tokens (`threaded poll poll:poll poll:polling uring`), each once:
/// a second `poll` would overwrite the first one's raw files and count its runs twice. Tokens are
/// compared whole (`poll:epoll` and `poll:poll` differ), then as the models they name.
fn parse_variants(text: &str) -> anyhow::Result<Vec<ModelSpec>> {
    let names: Vec<&str> = text.split_whitespace().collect();
    if names.is_empty() {
        bail!("VARIANTS is empty: give e.g. VARIANTS=\"threaded poll\"");
    }
    let repeated =
        (1..names.len()).find_map(|at| names[..at].contains(&names[at]).then(|| names[at]));
    if let Some(name) = repeated {
        bail!(
            "VARIANTS=\"{text}\" names `{name}` twice: give each once, e.g. \
             VARIANTS=\"threaded poll\""
        );
    }
    let mut specs: Vec<ModelSpec> = Vec::new();
    for name in names {
        let spec: ModelSpec = name.parse().map_err(|err| {
            anyhow::anyhow!("VARIANTS=\"{text}\": {err}: give e.g. VARIANTS=\"threaded poll\"")
        })?;
        if specs.contains(&spec) {
            bail!(
                "VARIANTS=\"{text}\" names `{name}` twice: give each once, e.g. \
                 VARIANTS=\"threaded poll\""
            );
        }
        specs.push(spec);
    }
    Ok(specs)
}

/// A timeout passed on to `run` (`TIMEOUT` → `--timeout`), checked with the client's own parser so
/// a bad value stops the suite before any folder exists rather than failing every iteration.
/// Empty means the client's `default`, which is returned (the constant `run`'s argument uses, so
/// meta.json states the limit the runs really had).
fn client_duration(variable: &str, default: &str, text: &str) -> anyhow::Result<String> {
    if text.trim().is_empty() {
        return Ok(default.to_string());
    }
    let example = if variable == "TIMEOUT" { "30s" } else { "10m" };
    parse_timeout(text).map_err(|_| {
        anyhow::anyhow!(
            "{variable}={text} is not a duration from 1ms to 7 days: give e.g. {variable}={example}"
        )
    })?;
    Ok(text.trim().to_string())
}

/// `key=value key2=value2` → map; values cannot contain spaces (they are shell words).
fn parse_extra(text: &str) -> anyhow::Result<BTreeMap<String, String>> {
    text.split_whitespace()
        .map(|pair| match pair.split_once('=') {
            Some((key, value)) if !key.is_empty() => Ok((key.to_string(), value.to_string())),
            _ => bail!("META: `{pair}` is not key=value: give e.g. META=\"nic=e1000\""),
        })
        .collect()
}

/// `lighttpd/1.4.69` → (`lighttpd`, `1.4.69`); no slash → (whole, "").
fn split_server(server: &str) -> (String, String) {
    match server.split_once('/') {
        Some((name, version)) => (name.trim().to_string(), version.trim().to_string()),
        None => (server.trim().to_string(), String::new()),
    }
}

fn distinct<'a>(values: impl Iterator<Item = &'a str>) -> Vec<String> {
    let mut seen: Vec<String> = Vec::new();
    for value in values.filter(|v| !v.is_empty()) {
        if !seen.iter().any(|s| s == value) {
            seen.push(value.to_string());
        }
    }
    seen
}

#[cfg(test)]
mod tests {
    use super::*;
    use bench_records::Variant;

    #[test]
    fn parses_extra_variants_and_servers() {
        let extra = parse_extra("qemu_nic=virtio-net qemu_vcpus=2").unwrap();
        assert_eq!(extra["qemu_nic"], "virtio-net");
        assert_eq!(extra["qemu_vcpus"], "2");
        assert!(parse_extra("oops").is_err());
        assert!(parse_extra("").unwrap().is_empty());
        let specs = parse_variants("threaded  poll:poll").unwrap();
        assert_eq!(specs[0].variant, Variant::Threaded);
        assert_eq!(specs[1].to_string(), "poll:poll");
        assert!(parse_variants("forked").is_err());
        let twice = parse_variants("poll threaded poll")
            .unwrap_err()
            .to_string();
        assert!(twice.contains("names `poll` twice"), "{twice}");
        assert!(parse_variants(" ").is_err());
        assert_eq!(
            split_server("lighttpd/1.4.69"),
            ("lighttpd".to_string(), "1.4.69".to_string())
        );
        assert_eq!(
            split_server("custom"),
            ("custom".to_string(), String::new())
        );
        assert_eq!(distinct(["a", "", "b", "a"].into_iter()), vec!["a", "b"]);
    }

    #[test]
    fn client_durations_are_checked_and_defaults_named() {
        assert_eq!(
            client_duration("TIMEOUT", DEFAULT_TIMEOUT, "").unwrap(),
            "30s"
        );
        assert_eq!(
            client_duration("RUN_TIMEOUT", DEFAULT_RUN_TIMEOUT, " ").unwrap(),
            "10m"
        );
        assert_eq!(
            client_duration("TIMEOUT", DEFAULT_TIMEOUT, "5s").unwrap(),
            "5s"
        );
        let err = client_duration("TIMEOUT", DEFAULT_TIMEOUT, "bogus").unwrap_err();
        assert_eq!(
            err.to_string(),
            "TIMEOUT=bogus is not a duration from 1ms to 7 days: give e.g. TIMEOUT=30s"
        );
        // What `run` refuses, `begin` refuses too: below the 1 ms every wait needs.
        let err = client_duration("RUN_TIMEOUT", DEFAULT_RUN_TIMEOUT, "0.5ms").unwrap_err();
        assert_eq!(
            err.to_string(),
            "RUN_TIMEOUT=0.5ms is not a duration from 1ms to 7 days: give e.g. RUN_TIMEOUT=10m"
        );
    }

    /// memmon refuses an interval without a unit: so does `begin`, before any iteration.
    #[test]
    fn intervals_need_a_unit_and_whole_milliseconds() {
        for good in ["100ms", "1s", "0.5s", "1ms"] {
            assert!(parse_interval(good).is_ok(), "{good}");
        }
        for bad in ["100", "0.5ms", "bogus", "", "1m"] {
            assert!(parse_interval(bad).is_err(), "{bad}");
        }
    }
}
