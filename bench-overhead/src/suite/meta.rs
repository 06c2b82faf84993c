//! `meta.json`: what a results folder measured, on what, and whether it is complete.
//!
//! Written at `begin` with status `partial`, so a suite killed outright still leaves an honest
//! folder; `record` notes failed iterations; `finish` stamps the end time, the server and network
//! the runs themselves reported, and the final status. Every write replaces the file atomically
//! (temporary file + rename): a reader never sees half a file.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;
use std::process::ExitCode;

use anyhow::{bail, Context};

use super::server;
use super::time::now_utc;
use super::{BeginConfig, FinishConfig};
use crate::client::model::ModelSpec;
use crate::client::{parse_timeout, DEFAULT_CONNECTIONS, DEFAULT_RUN_TIMEOUT, DEFAULT_TIMEOUT};
use crate::host::Host;
use bench_records::units::parse_interval;
use bench_records::{FailedIteration, Meta, MetaStatus, RunRow};

pub const META_FILE: &str = "meta.json";
pub const RAW_DIR: &str = "raw";

pub fn begin(args: BeginConfig) -> anyhow::Result<ExitCode> {
    let iterations: u32 = args
        .iterations
        .trim()
        .parse()
        .ok()
        .filter(|&n| n >= 1)
        .with_context(|| format!("ITERATIONS=`{}` is not a whole number ≥ 1", args.iterations))?;
    parse_variants(&args.variants)?;
    let connections_text = if args.connections.trim().is_empty() {
        DEFAULT_CONNECTIONS
    } else {
        args.connections.trim()
    };
    let connections: u32 = connections_text
        .parse()
        .ok()
        .filter(|&n| n >= 1)
        .with_context(|| format!("CONNECTIONS=`{connections_text}` is not a whole number ≥ 1"))?;
    // memmon's own rule, so that an INTERVAL memmon would refuse stops the suite here, before
    // any folder exists, not at every iteration.
    parse_interval(&args.interval)
        .map_err(|e| anyhow::anyhow!("INTERVAL=`{}`: {e}", args.interval))?;
    let timeout = client_duration("TIMEOUT", DEFAULT_TIMEOUT, &args.timeout)?;
    let run_timeout = client_duration("RUN_TIMEOUT", DEFAULT_RUN_TIMEOUT, &args.run_timeout)?;
    let extra = parse_extra(&args.extra)?;
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

    let meta_path = args.results.join(META_FILE);
    if meta_path.exists() {
        bail!(
            "{} already holds a suite's results: set RESULTS to a new folder",
            args.results.display()
        );
    }
    fs::create_dir_all(args.results.join(RAW_DIR)).with_context(|| {
        format!(
            "cannot create the results folder {}",
            args.results.display()
        )
    })?;

    let host = Host::detect();
    let (server_name, server_version) = split_server(&args.server);
    let meta = Meta {
        status: MetaStatus::Partial,
        suite_version: env!("CARGO_PKG_VERSION").to_string(),
        command_line: args.command_line,
        started_utc: now_utc(),
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
        connections,
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
        extra,
        server_cost: Some(server_cost.clone()),
    };
    write(&meta_path, &meta)?;
    // For bench-overhead.sh: memmon's `--also`.
    if let Some(pid) = server_cost.pid {
        println!("{pid}");
    }
    Ok(ExitCode::SUCCESS)
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
    write(&meta_path, &meta)?;
    Ok(ExitCode::SUCCESS)
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

fn write(path: &Path, meta: &Meta) -> anyhow::Result<()> {
    let mut text = serde_json::to_string_pretty(meta)?;
    text.push('\n');
    let temporary = path.with_extension("json.tmp");
    fs::write(&temporary, text)
        .and_then(|()| fs::rename(&temporary, path))
        .with_context(|| format!("cannot write {}", path.display()))
}

/// Every row of a runs.csv; an absent file is no rows.
pub fn read_runs(path: &Path) -> anyhow::Result<Vec<RunRow>> {
    if !path.exists() {
        return Ok(Vec::new());
    }
    crate::results::csv::read_rows(path)
}

/// `VARIANTS`: `model[:backend]` tokens (`threaded poll poll:poll poll:polling uring`), each once.
fn parse_variants(text: &str) -> anyhow::Result<Vec<ModelSpec>> {
    let names: Vec<&str> = text.split_whitespace().collect();
    if names.is_empty() {
        bail!("VARIANTS is empty: use e.g. VARIANTS=\"threaded poll\"");
    }
    let mut specs: Vec<ModelSpec> = Vec::new();
    for name in names {
        let spec: ModelSpec = name
            .parse()
            .map_err(|err| anyhow::anyhow!("VARIANTS: {err}"))?;
        if specs.contains(&spec) {
            bail!("VARIANTS: `{name}` is named twice: each model runs once per iteration");
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
    parse_timeout(text).map_err(|e| anyhow::anyhow!("{variable}=`{text}`: {e}"))?;
    Ok(text.trim().to_string())
}

/// `key=value key2=value2` → map; values cannot contain spaces (they are shell words).
fn parse_extra(text: &str) -> anyhow::Result<BTreeMap<String, String>> {
    text.split_whitespace()
        .map(|pair| match pair.split_once('=') {
            Some((key, value)) if !key.is_empty() => Ok((key.to_string(), value.to_string())),
            _ => bail!("META: `{pair}` is not key=value (e.g. META=\"qemu_nic=virtio-net\")"),
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
        assert!(parse_variants("poll poll")
            .unwrap_err()
            .to_string()
            .contains("named twice"));
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
        assert!(err.to_string().starts_with("TIMEOUT=`bogus`: "), "{err}");
        // What `run` refuses, `begin` refuses too: below the 1 ms every wait needs.
        let err = client_duration("RUN_TIMEOUT", DEFAULT_RUN_TIMEOUT, "0.5ms").unwrap_err();
        assert_eq!(
            err.to_string(),
            "RUN_TIMEOUT=`0.5ms`: `0.5ms` is too short: at least 1ms (socket and poll timeouts \
             cannot keep less)"
        );
    }
}
