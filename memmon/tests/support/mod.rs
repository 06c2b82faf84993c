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

/// min, time-weighted avg and max of one column, as results/README.md defines them: each
/// present value stands from its row's `elapsed_ms` until the next present value (the last one
/// until `end_ms`, the summary's `elapsed_ms`).
pub fn min_avg_max(
    rows: &[Row],
    column: fn(&Row) -> Option<u64>,
    end_ms: u64,
) -> Option<(u64, f64, u64)> {
    let readings: Vec<(u64, u64)> = rows
        .iter()
        .filter_map(|r| column(r).map(|v| (r.elapsed_ms, v)))
        .collect();
    if readings.is_empty() {
        return None;
    }
    let mut weighted = 0u128;
    for (i, &(at, value)) in readings.iter().enumerate() {
        let until = readings.get(i + 1).map_or(end_ms, |next| next.0);
        weighted += u128::from(value) * u128::from(until - at);
    }
    let span = end_ms - readings[0].0;
    let avg = if span > 0 {
        weighted as f64 / span as f64
    } else {
        readings.iter().map(|r| r.1 as f64).sum::<f64>() / readings.len() as f64
    };
    Some((
        readings.iter().map(|r| r.1).min().unwrap(),
        avg,
        readings.iter().map(|r| r.1).max().unwrap(),
    ))
}
