//! Shared helpers of memmon's integration tests: run memmon on real commands, always bounded in
//! time, and read back what it wrote.

#![allow(dead_code)]

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::thread;
use std::time::{Duration, Instant};

/// Longest any memmon run in these tests may take before it is killed and the test fails.
pub const DEADLINE: Duration = Duration::from_secs(60);

pub fn memmon() -> Command {
    Command::new(env!("CARGO_BIN_EXE_memmon"))
}

/// What a finished memmon run left behind.
pub struct Finished {
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
}

impl Finished {
    pub fn code(&self) -> i32 {
        self.status
            .code()
            .unwrap_or_else(|| panic!("memmon itself died: {:?}\n{}", self.status, self.stderr))
    }
}

/// Starts `command` with stdout and stderr captured.
pub fn start(mut command: Command) -> Child {
    command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starting memmon")
}

/// Waits for a started run (killing it and failing after [`DEADLINE`]) and collects its output.
pub fn finish(mut child: Child) -> Finished {
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let out = thread::spawn(move || {
        let mut s = String::new();
        stdout.read_to_string(&mut s).ok();
        s
    });
    let err = thread::spawn(move || {
        let mut s = String::new();
        stderr.read_to_string(&mut s).ok();
        s
    });
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > DEADLINE {
            child.kill().ok();
            child.wait().ok();
            panic!("memmon did not finish within {DEADLINE:?}");
        }
        thread::sleep(Duration::from_millis(10));
    };
    Finished {
        status,
        stdout: out.join().unwrap(),
        stderr: err.join().unwrap(),
    }
}

/// Runs memmon with `args` to completion.
pub fn run(args: &[&str]) -> Finished {
    let mut command = memmon();
    command.args(args);
    finish(start(command))
}

/// A fresh, empty directory for one test's files.
pub fn scratch_dir(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("memmon-test-{}-{test}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

pub fn path_str(path: &Path) -> &str {
    path.to_str().expect("UTF-8 temp path")
}

/// One `memory.csv` row.
pub use bench_records::MemorySample as Row;

pub fn read_csv(path: &Path) -> Vec<Row> {
    csv::Reader::from_path(path)
        .unwrap()
        .deserialize()
        .map(|r| r.expect("a well-formed memory.csv row"))
        .collect()
}

/// min, time-weighted avg and max of one column, as results/README.md defines them: each row
/// stands from its `elapsed_ms` until the next row (the last one until `end_ms`, the summary's
/// `elapsed_ms`). A column missing in some rows (PSS, read under a budget) is estimated from
/// `rss_bytes` in those: rss × R, R = Σ value·t / Σ rss·t over the rows that have it; the average
/// is then avg(rss) × R, min and max are over the values and the estimates.
pub fn min_avg_max(
    rows: &[Row],
    column: fn(&Row) -> Option<u64>,
    end_ms: u64,
) -> Option<(u64, f64, u64)> {
    let values: Vec<u64> = rows.iter().filter_map(column).collect();
    if values.is_empty() {
        return None;
    }
    // Σ value·t, Σ rss·t and Σ t over the rows with a value, and Σ rss·t, Σ t over all rows.
    let (mut value_t, mut rss_t_with, mut t_with, mut rss_t, mut t) = (0.0, 0.0, 0.0, 0.0, 0.0);
    let (mut value_sum, mut rss_sum_with, mut rss_sum) = (0.0, 0.0, 0.0);
    for (i, row) in rows.iter().enumerate() {
        let until = rows.get(i + 1).map_or(end_ms, |next| next.elapsed_ms);
        let stood = (until - row.elapsed_ms) as f64;
        let rss = row.rss_bytes.unwrap() as f64;
        rss_t += rss * stood;
        t += stood;
        rss_sum += rss;
        if let Some(value) = column(row) {
            value_t += value as f64 * stood;
            rss_t_with += rss * stood;
            t_with += stood;
            value_sum += value as f64;
            rss_sum_with += rss;
        }
    }
    let avg = if values.len() == rows.len() {
        if t > 0.0 {
            value_t / t_with
        } else {
            values.iter().sum::<u64>() as f64 / values.len() as f64
        }
    } else {
        let avg_rss = if t > 0.0 {
            rss_t / t
        } else {
            rss_sum / rows.len() as f64
        };
        let ratio = if rss_t_with > 0.0 {
            value_t / rss_t_with
        } else {
            value_sum / rss_sum_with
        };
        let estimates = rows
            .iter()
            .filter(|row| column(row).is_none())
            .map(|row| (row.rss_bytes.unwrap() as f64 * ratio).round() as u64);
        let (min, max) = estimates.fold(
            (*values.iter().min().unwrap(), *values.iter().max().unwrap()),
            |(min, max), e| (min.min(e), max.max(e)),
        );
        return Some((min, avg_rss * ratio, max));
    };
    Some((
        *values.iter().min().unwrap(),
        avg,
        *values.iter().max().unwrap(),
    ))
}
