//! memmon measures real memory: a child that allocates and touches a known amount is reported
//! with that amount, and the CSV, JSON and text outputs agree with each other.
//!
//! The child is this test binary itself, re-executed to run only [`allocating_child`] (the
//! pattern of rusty-fork and rustc's own tests): no helper program ships with memmon, and the
//! child is ordinary Rust whose allocation is exact. Its baseline (the test harness, its thread,
//! the libraries) is measured by the same child allocating nothing.

mod support;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use support::{finish, memmon, min_avg_max, path_str, read_csv, scratch_dir, start, Finished};

const MIB: u64 = 1 << 20;
const ALLOC_VAR: &str = "MEMMON_TEST_ALLOC_MIB";
/// With this set too, the child frees its block after 0.2 s and lives on for a second.
const SHRINK_VAR: &str = "MEMMON_TEST_SHRINK";

/// Not a check: the measured child. A no-op in a normal test run; with `MEMMON_TEST_ALLOC_MIB`
/// set it allocates that many MiB, writes every byte (so every page is resident and anonymous),
/// holds them for a second and exits; with `MEMMON_TEST_SHRINK` set too it frees them after
/// 0.2 s instead (a block this large is its own mapping, returned to the kernel at once) and
/// lives on for a second.
#[test]
fn allocating_child() {
    let Ok(mib) = std::env::var(ALLOC_VAR) else {
        return;
    };
    let mib: usize = mib.parse().expect("MiB count");
    let block = vec![1u8; mib << 20];
    std::hint::black_box(&block);
    if std::env::var_os(SHRINK_VAR).is_some() {
        std::thread::sleep(Duration::from_millis(200));
        drop(block);
    } else {
        std::thread::sleep(Duration::from_secs(1));
        std::hint::black_box(&block);
        return;
    }
    std::thread::sleep(Duration::from_secs(1));
}

/// The allocating child's command line.
fn child_command() -> [String; 5] {
    [
        std::env::current_exe().unwrap().display().to_string(),
        "--exact".into(),
        "allocating_child".into(),
        "--quiet".into(),
        "--test-threads=1".into(),
    ]
}

/// Runs memmon (with `args`) on `command` with the allocating child's variable set to `mib`.
fn measure_command(mib: u64, args: &[&str], command_line: &[String]) -> Finished {
    let mut command = memmon();
    command.args(["--interval", "20ms"]).args(args).arg("--");
    command.args(command_line);
    command.env(ALLOC_VAR, mib.to_string());
    let done = finish(start(command));
    assert_eq!(done.code(), 0, "{}", done.stderr);
    done
}

/// Runs memmon (with `args`) on the allocating child and returns the finished run.
fn measure(mib: u64, args: &[&str]) -> Finished {
    measure_command(mib, args, &child_command())
}

fn measure_json(mib: u64, dir: &Path) -> serde_json::Value {
    let summary = dir.join(format!("summary-{mib}.json"));
    // PSS at every sample: this test is about the figures, not about memmon's CPU budget.
    measure(
        mib,
        &[
            "--json",
            "--pss-budget",
            "100",
            "--output",
            path_str(&summary),
        ],
    );
    serde_json::from_str(&std::fs::read_to_string(summary).unwrap()).unwrap()
}

fn field(json: &serde_json::Value, metric: &str, stat: &str) -> f64 {
    json[metric][stat]
        .as_f64()
        .unwrap_or_else(|| panic!("{metric}.{stat} missing in {json}"))
}

#[test]
fn a_known_allocation_is_measured_with_a_nonzero_minimum() {
    let dir = scratch_dir("known");
    let baseline = measure_json(0, &dir);
    let loaded = measure_json(64, &dir);
    // The primary metric (Pss_Anon on Linux, else RSS), and RSS.
    let mut metrics = vec!["rss_bytes"];
    if cfg!(target_os = "linux") {
        metrics.push("pss_anon_bytes");
    }
    for metric in metrics {
        let expected = 64.0 * MIB as f64 + field(&baseline, metric, "max");
        let max = field(&loaded, metric, "max");
        assert!(
            (max - expected).abs() <= 0.10 * expected,
            "{metric}: max {max} is not within 10% of {expected} (64 MiB + baseline)"
        );
        assert!(field(&loaded, metric, "min") > 0.0, "{metric}: min is 0");
    }
    // The kernel's own peak (wait4's ru_maxrss, reported unadjusted) saw at least the 64 MiB the
    // child touched.
    let kernel = loaded["kernel_peak_rss_bytes"]
        .as_f64()
        .expect("kernel peak");
    assert!(kernel >= 64.0 * MIB as f64, "{loaded}");
    // The kernel's figure may lag the samples only by what its per-CPU RSS counters can hold
    // back: fewer than max(32, 2 × CPUs) pages per CPU in each of the file, anon and shmem
    // counters.
    let max_rss = field(&loaded, "rss_bytes", "max");
    // SAFETY: sysconf only returns values.
    let (cpus, page) = unsafe {
        (
            libc::sysconf(libc::_SC_NPROCESSORS_CONF),
            libc::sysconf(libc::_SC_PAGESIZE),
        )
    };
    let lag = (3 * cpus * 32.max(2 * cpus) * page) as f64;
    assert!(
        kernel >= max_rss - lag,
        "kernel peak {kernel} lags max sample {max_rss} by > {lag}"
    );
}

/// A command that `exec`s another program (`sh -c '…; exec prog'`, `env prog`) keeps being
/// sampled, PSS included, after the exec replaced its address space.
#[test]
fn samples_continue_with_pss_after_the_command_execs() {
    let dir = scratch_dir("exec");
    let csv = dir.join("memory.csv");
    // The shell lives 0.3 s (15 intervals) before it execs the child, which allocates 32 MiB:
    // no shell reaches that, so rows at or above it were taken after the exec.
    let mut command_line = vec!["sh".into(), "-c".into(), "sleep 0.3; exec \"$@\"".into()];
    command_line.push("sh".into());
    command_line.extend(child_command());
    measure_command(32, &["--csv", path_str(&csv), "--quiet"], &command_line);
    let rows = read_csv(&csv);
    let after_exec: Vec<_> = rows
        .iter()
        .filter(|r| r.rss_bytes.unwrap() >= 32 * MIB)
        .collect();
    // The child holds its memory for a second, sampled every 20 ms; 5 of ~50 is ample slack.
    assert!(
        after_exec.len() >= 5,
        "{} rows after the exec",
        after_exec.len()
    );
    if cfg!(target_os = "linux") {
        let with_pss = after_exec
            .iter()
            .filter(|r| r.pss_anon_bytes.is_some_and(|p| p >= 32 * MIB))
            .count();
        assert!(with_pss >= 1, "no PSS read after the exec: {rows:?}");
    }
}

#[test]
fn csv_rows_add_up_to_the_json_figures() {
    let dir = scratch_dir("csv-json");
    let csv = dir.join("memory.csv");
    let summary = dir.join("summary.json");
    measure(
        16,
        &[
            "--json",
            "--output",
            path_str(&summary),
            "--csv",
            path_str(&csv),
            "--run-id",
            "r1",
        ],
    );
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(summary).unwrap()).unwrap();
    let rows = read_csv(&csv);
    assert_eq!(rows.len() as u64, json["samples"].as_u64().unwrap());
    assert!(rows.len() >= 2, "the child lives ~1 s, sampled every 20 ms");
    assert!(rows.iter().all(|r| r.run_id == "r1"));
    assert!(rows.windows(2).all(|w| w[0].elapsed_ms <= w[1].elapsed_ms));

    type Column = fn(&support::Row) -> Option<u64>;
    let columns: [(&str, Column); 4] = [
        ("rss_bytes", |r| r.rss_bytes),
        ("vsz_bytes", |r| r.vsz_bytes),
        ("pss_anon_bytes", |r| r.pss_anon_bytes),
        ("pss_bytes", |r| r.pss_bytes),
    ];
    let end_ms = json["elapsed_ms"].as_u64().unwrap();
    for (metric, column) in columns {
        match min_avg_max(&rows, column, end_ms) {
            None => assert!(
                json[metric].is_null(),
                "{metric} absent in CSV but not in JSON"
            ),
            Some((min, avg, max)) => {
                assert!(min > 0, "{metric}: a zero in the CSV");
                assert_eq!(json[metric]["min"].as_u64(), Some(min), "{metric}.min");
                assert_eq!(json[metric]["max"].as_u64(), Some(max), "{metric}.max");
                let json_avg = field(&json, metric, "avg");
                assert!(
                    (json_avg - avg).abs() <= 1e-6 * avg,
                    "{metric}.avg {json_avg} vs {avg}"
                );
            }
        }
    }
    // PSS is read under memmon's CPU budget: in some rows, always both values or neither.
    let with_pss = rows.iter().filter(|r| r.pss_bytes.is_some()).count() as u64;
    assert_eq!(json["pss_samples"].as_u64(), Some(with_pss));
    assert!(rows
        .iter()
        .all(|r| r.pss_anon_bytes.is_some() == r.pss_bytes.is_some()));
    if cfg!(target_os = "linux") {
        assert!(with_pss >= 1, "the first sample always reads PSS");
    }
}

#[test]
fn printed_text_figures_match_the_csv() {
    let dir = scratch_dir("csv-text");
    let csv = dir.join("memory.csv");
    let done = measure(8, &["--csv", path_str(&csv)]);
    let rows = read_csv(&csv);
    // "memmon: `…` exited with status 0; N samples every 20 ms over S.SSS s" (after a warning
    // line when the machine held memmon up)
    let over = done
        .stderr
        .lines()
        .find(|l| l.starts_with("memmon: `"))
        .unwrap()
        .rsplit("over ")
        .next()
        .unwrap();
    let end_ms = (over.trim_end_matches(" s").parse::<f64>().unwrap() * 1e3).round() as u64;

    let usage = done
        .stderr
        .lines()
        .find(|l| l.starts_with("Memory usage: "))
        .unwrap_or_else(|| panic!("no Memory usage line in {}", done.stderr));
    // "Memory usage: min A MiB, avg B MiB, max C MiB (metric); peak RSS D MiB"
    let numbers: Vec<f64> = usage
        .split(|c: char| !(c.is_ascii_digit() || c == '.'))
        .filter_map(|w| w.parse().ok())
        .collect();
    assert!(numbers.len() >= 4, "{usage}");
    let primary = if cfg!(target_os = "linux") {
        "pss_anon"
    } else {
        "rss"
    };
    assert!(usage.contains(&format!("({primary}")), "{usage}");
    let column: fn(&support::Row) -> Option<u64> = if primary == "pss_anon" {
        |r| r.pss_anon_bytes
    } else {
        |r| r.rss_bytes
    };
    let (min, avg, max) = min_avg_max(&rows, column, end_ms).unwrap();
    let mib = |b: f64| format!("{:.3}", b / MIB as f64);
    let printed: Vec<String> = numbers[..3].iter().map(|n| format!("{n:.3}")).collect();
    assert_eq!(
        printed,
        [mib(min as f64), mib(avg), mib(max as f64)],
        "{usage}"
    );

    let rss_line = done
        .stderr
        .lines()
        .find(|l| l.trim_start().starts_with("rss "))
        .unwrap();
    let (rss_min, _, rss_max) = min_avg_max(&rows, |r| r.rss_bytes, end_ms).unwrap();
    assert!(rss_line.contains(&mib(rss_min as f64)) && rss_line.contains(&mib(rss_max as f64)));
}

/// A child that grows to 256 MiB and shrinks to almost nothing, sampled under the default PSS
/// budget (PSS then read at only some samples): PSS never exceeds RSS, in any sample or on
/// average — a PSS reading is not carried to the samples after it, and a sample's RSS and PSS
/// come from one reading.
#[test]
fn pss_stays_within_rss_in_every_sample_and_on_average() {
    let dir = scratch_dir("pss-within-rss");
    let csv = dir.join("memory.csv");
    let summary = dir.join("summary.json");
    let mut command = memmon();
    command.args(["--interval", "20ms", "--json", "--csv", path_str(&csv)]);
    command.args(["--output", path_str(&summary), "--"]);
    command.args(child_command());
    command.env(ALLOC_VAR, "256").env(SHRINK_VAR, "1");
    let done = finish(start(command));
    assert_eq!(done.code(), 0, "{}", done.stderr);
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(summary).unwrap()).unwrap();
    let rows = read_csv(&csv);
    for row in &rows {
        if let (Some(anon), Some(pss)) = (row.pss_anon_bytes, row.pss_bytes) {
            let rss = row.rss_bytes.unwrap();
            assert!(anon <= pss && pss <= rss, "PSS above RSS in {row:?}");
        }
    }
    if !cfg!(target_os = "linux") {
        return;
    }
    let avg = |metric: &str| field(&json, metric, "avg");
    assert!(
        avg("pss_anon_bytes") <= avg("pss_bytes") && avg("pss_bytes") <= avg("rss_bytes"),
        "averages: pss_anon {} pss {} rss {}",
        avg("pss_anon_bytes"),
        avg("pss_bytes"),
        avg("rss_bytes")
    );
    assert!(field(&json, "pss_bytes", "max") <= field(&json, "rss_bytes", "max"));
    for metric in ["pss_anon_bytes", "pss_bytes"] {
        let (min, avg, max) = (
            field(&json, metric, "min"),
            avg(metric),
            field(&json, metric, "max"),
        );
        assert!(min <= avg && avg <= max, "{metric}: {json}");
    }
    // The block was seen (the first sample of a new high reads PSS at once), and it was freed.
    assert!(
        field(&json, "rss_bytes", "max") >= 256.0 * MIB as f64,
        "{json}"
    );
    assert!(
        rows.last().unwrap().rss_bytes.unwrap() < 64 * MIB,
        "{rows:?}"
    );
}

/// `sh -c 'child; true'` forks the 64 MiB child and reaps it: wait4's `ru_maxrss` for the shell
/// is then the child's peak, but the peak memmon reports is the shell's own, as its samples are.
#[cfg(target_os = "linux")]
#[test]
fn the_peak_is_the_commands_own_not_a_reaped_descendants() {
    let dir = scratch_dir("own-peak");
    let summary = dir.join("summary.json");
    let mut command_line = vec!["sh".into(), "-c".into(), "\"$@\"; true".into(), "sh".into()];
    command_line.extend(child_command());
    let args = ["--json", "--output", path_str(&summary)];
    measure_command(64, &args, &command_line);
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(summary).unwrap()).unwrap();
    let peak = json["peak_rss_bytes"].as_u64().expect("a peak");
    let kernel = json["kernel_peak_rss_bytes"]
        .as_u64()
        .expect("a kernel peak");
    let max_sample = json["rss_bytes"]["max"].as_u64().unwrap();
    assert!(
        peak < 32 * MIB,
        "the shell's peak includes its child's 64 MiB: {json}"
    );
    assert!(kernel <= peak && max_sample <= peak, "{json}");
}

#[test]
fn csv_header_is_written_once_across_runs() {
    let dir = scratch_dir("append");
    let csv = dir.join("memory.csv");
    for run_id in ["a", "b"] {
        let mut command = memmon();
        command.args(["--quiet", "--csv", path_str(&csv), "--run-id", run_id]);
        command.args(["--", "sleep", "0.3"]);
        assert_eq!(finish(start(command)).code(), 0);
    }
    let text = std::fs::read_to_string(&csv).unwrap();
    assert_eq!(text.matches("run_id").count(), 1, "{text}");
    assert!(text.starts_with("run_id,elapsed_ms,rss_bytes,vsz_bytes,pss_anon_bytes,pss_bytes\n"));
    let rows = read_csv(&csv);
    assert!(rows.iter().any(|r| r.run_id == "a") && rows.iter().any(|r| r.run_id == "b"));
}

#[test]
fn a_csv_with_another_header_is_refused() {
    let dir = scratch_dir("foreign");
    let csv = dir.join("jobs.csv");
    std::fs::write(&csv, "run_id,job,variant\n").unwrap();
    let done = finish(start({
        let mut c = memmon();
        c.args(["--csv", path_str(&csv), "--", "true"]);
        c
    }));
    assert_eq!(done.code(), 125);
    assert_eq!(
        std::fs::read_to_string(&csv).unwrap(),
        "run_id,job,variant\n"
    );
    let _ = Command::new("true"); // keep the import used on every platform
}
