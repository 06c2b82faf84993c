//! A small sweep end to end against lighttpd (`scripts/sweep.sh`, what `make sweep` runs):
//! CONNECTIONS="1 4 16 100" under a hard open-file limit of 100, so the 100-connection steps
//! cannot run. Every row carries its connection count, every step's outcome is in meta.json (the
//! 100-connection ones skipped, naming the limit), compare gives a row per count and variant, and
//! its charts render.

mod suite_common;
mod support;

use std::process::Command;
use std::time::Duration;

use suite_common::{read_csv, read_meta};

#[test]
fn a_small_sweep_measures_each_count_and_skips_what_the_limits_forbid() {
    if !["/usr/sbin/lighttpd", "/usr/bin/lighttpd"]
        .iter()
        .any(|p| std::path::Path::new(p).exists())
    {
        support::skip("lighttpd is not installed (apt-get install lighttpd)");
        return;
    }
    let work = support::TempDir::new("sweep");
    let results = work.path().join("results");
    let mut command = Command::new("sh");
    // A lower hard limit is allowed to anyone: the client cannot raise its soft limit past it.
    command
        .arg("-c")
        .arg("ulimit -Sn 100 && ulimit -Hn 100 && exec sh \"$0\"")
        .arg(suite_common::repo().join("scripts/sweep.sh"))
        .env("CONNECTIONS", "1 4 16 100")
        .env("VARIANTS", "threaded poll")
        .env("ITERATIONS", "1")
        .env("SWEEP_MIB", "4")
        .env("SERVER", "lighttpd")
        .env("PORT", support::free_port().to_string())
        .env("BIND", "127.0.0.1")
        .env_remove("ADDRESS")
        .env("PAYLOAD_DIR", work.path().join("payloads"))
        .env("SETUP_DIR", work.path().join("setup"))
        .env("RESULTS", &results)
        .env("BIN_DIR", suite_common::bin_dir())
        .env("INTERVAL", "20ms")
        .env("TMPDIR", work.path());
    let output = support::run_with_timeout(&mut command, Duration::from_secs(180));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");

    // One row per measured step, each with its count; the payload per connection is 4 MiB / count.
    let runs = read_csv(&results.join("runs.csv"));
    let mut steps: Vec<(String, String, String)> = runs
        .iter()
        .map(|r| {
            (
                r["run_id"].clone(),
                r["connections"].clone(),
                r["payload_bytes"].clone(),
            )
        })
        .collect();
    steps.sort();
    let mut expected: Vec<(String, String, String)> = Vec::new();
    for count in [1u64, 4, 16] {
        for variant in ["threaded", "poll"] {
            expected.push((
                format!("{variant}-{count}c-1"),
                count.to_string(),
                (4 * 1048576 / count).to_string(),
            ));
        }
    }
    expected.sort();
    assert_eq!(steps, expected, "{stderr}");

    let meta = read_meta(&results);
    assert_eq!(
        meta["connection_counts"],
        serde_json::json!([1, 4, 16, 100])
    );
    let outcomes: Vec<(u64, &str, &str)> = meta["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["connections"].as_u64().unwrap(),
                s["variant"].as_str().unwrap(),
                s["outcome"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        outcomes,
        [
            (1, "threaded", "measured"),
            (1, "poll", "measured"),
            (4, "threaded", "measured"),
            (4, "poll", "measured"),
            (16, "threaded", "measured"),
            (16, "poll", "measured"),
            (100, "threaded", "skipped"),
            (100, "poll", "skipped"),
        ],
        "{meta:#}"
    );
    for step in &meta["steps"].as_array().unwrap()[6..] {
        let reason = step["reason"].as_str().unwrap();
        assert!(
            reason.contains("RLIMIT_NOFILE") && reason.contains("is 100"),
            "{reason}"
        );
    }
    assert!(
        stderr.contains("threaded at 100 connections: skipped: 100 connections need about"),
        "{stderr}"
    );

    // compare: a row per count and variant; its charts render.
    let charts = work.path().join("charts");
    let output = support::run_with_timeout(
        Command::new(support::bin())
            .arg("compare")
            .arg("--chart")
            .arg(&charts)
            .arg(&results),
        Duration::from_secs(60),
    );
    let table = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{table}");
    let rows = table.lines().filter(|l| l.starts_with("| Linux")).count();
    assert_eq!(rows, 6, "{table}");
    for count in ["1 connection", "4 connections", "16 connections"] {
        assert!(table.contains(count), "no row of {count}:\n{table}");
    }
    if Command::new("rsvg-convert")
        .arg("--version")
        .output()
        .is_err()
    {
        support::skip("rsvg-convert is not installed (apt-get install librsvg2-bin)");
        return;
    }
    let svgs: Vec<_> = std::fs::read_dir(&charts)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "svg"))
        .collect();
    assert!(!svgs.is_empty(), "no charts in {}", charts.display());
    for svg in svgs {
        let png = svg.with_extension("png");
        let output = support::run_with_timeout(
            Command::new("rsvg-convert").arg("-o").arg(&png).arg(&svg),
            Duration::from_secs(60),
        );
        assert!(output.status.success(), "{} does not render", svg.display());
        assert!(std::fs::metadata(&png).unwrap().len() > 0);
    }
}

/// A step whose model fails (here a poll client that dies of SIGSEGV at 4 connections) is
/// recorded as failed with the client's own error line, and the sweep goes on with the next step.
#[test]
fn a_failing_step_is_recorded_with_its_error_and_the_sweep_goes_on() {
    let root = support::TempDir::new("sweep-fail-root");
    support::write_payload(&root.path().join("testpayload"), 64 << 10);
    let server = support::start_builtin(root.path(), None);
    let work = support::TempDir::new("sweep-fail");
    let bin = suite_common::wrapped_bin_dir(
        work.path(),
        "case \" $* \" in\n\
         *' run '*'--variant poll '*'--connections 4 '*)\n\
         echo 'error: cannot create the poller: Too many open files (os error 24)' >&2\n\
         kill -SEGV $$ ;;\n\
         esac\n",
    );
    let results = work.path().join("results");
    let output = support::run_with_timeout(
        suite_common::suite_command(server.port, &results)
            .env("BIN_DIR", &bin)
            .env("ITERATIONS", "2")
            .env("CONNECTIONS", "2 4 8"),
        Duration::from_secs(120),
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    let meta = read_meta(&results);
    let steps = meta["steps"].as_array().unwrap();
    let outcome = |count: u64, variant: &str| {
        steps
            .iter()
            .find(|s| s["connections"] == count && s["variant"] == variant)
            .unwrap_or_else(|| panic!("no step {variant} at {count}: {meta:#}"))
    };
    for count in [2, 4, 8] {
        assert_eq!(
            outcome(count, "threaded")["outcome"],
            "measured",
            "{meta:#}"
        );
    }
    assert_eq!(outcome(2, "poll")["outcome"], "measured");
    assert_eq!(outcome(8, "poll")["outcome"], "measured");
    let failed = outcome(4, "poll");
    assert_eq!(failed["outcome"], "failed");
    assert_eq!(
        failed["reason"],
        "exit status 139: error: cannot create the poller: Too many open files (os error 24)"
    );
    assert_eq!(
        failed["run_ids"],
        serde_json::json!(["poll-4c-1", "poll-4c-2"])
    );
    assert!(
        stderr.contains("poll at 4 connections: failed: exit status 139"),
        "{stderr}"
    );
}
