//! What the tests of `bench-overhead.sh` and `scripts/benchmark.sh` share: where the scripts and
//! binaries are, reading a results folder, and a suite running in its own process group that is
//! killed (with every server it started) when the test ends, also when it fails.

#![allow(dead_code)] // each test binary uses its own subset

use std::collections::BTreeMap;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support;

/// The repository's root (scripts, bench-overhead.sh).
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

pub fn script() -> PathBuf {
    repo().join("bench-overhead.sh")
}

/// The folder holding bench-overhead and memmon (`make test` builds the workspace first).
pub fn bin_dir() -> PathBuf {
    let dir = support::bin().parent().unwrap().to_path_buf();
    assert!(
        dir.join("memmon").exists(),
        "memmon is not built in {}: run `cargo build --release --workspace` first (`make test` does)",
        dir.display()
    );
    dir
}

/// A BIN_DIR in `dir` for the suite: the real memmon, and a `bench-overhead` script that runs
/// `before` (shell lines that may act on the arguments, `$*`) and then execs the real one.
pub fn wrapped_bin_dir(dir: &Path, before: &str) -> PathBuf {
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let real = bin_dir();
    std::os::unix::fs::symlink(real.join("memmon"), bin.join("memmon")).unwrap();
    support::write_executable(
        &bin.join("bench-overhead"),
        &format!(
            "#!/bin/sh\n{before}exec '{}' \"$@\"\n",
            real.join("bench-overhead").display()
        ),
    );
    bin
}

/// Every row of a CSV file as column → value; panics when a row does not parse or is cut short.
pub fn read_csv(path: &Path) -> Vec<BTreeMap<String, String>> {
    let mut reader = csv::Reader::from_path(path)
        .unwrap_or_else(|e| panic!("{} does not open: {e}", path.display()));
    let headers = reader.headers().unwrap().clone();
    reader
        .records()
        .map(|r| {
            let r = r.unwrap_or_else(|e| panic!("{}: a row does not parse: {e}", path.display()));
            headers
                .iter()
                .map(String::from)
                .zip(r.iter().map(String::from))
                .collect()
        })
        .collect()
}

/// The rows of a CSV file that may not exist yet (no rows).
pub fn read_csv_if_any(path: &Path) -> Vec<BTreeMap<String, String>> {
    if path.exists() {
        read_csv(path)
    } else {
        Vec::new()
    }
}

pub fn num(row: &BTreeMap<String, String>, column: &str) -> f64 {
    row.get(column)
        .unwrap_or_else(|| panic!("no column {column}"))
        .parse()
        .unwrap_or_else(|_| panic!("{column}={:?} is not a number", row[column]))
}

pub fn read_meta(results: &Path) -> Value {
    let path = results.join("meta.json");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{} does not open: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()))
}

/// Checks what every stopped suite must leave: meta.json partial with an end time and the row
/// count, and every CSV file whole (rows parse, none cut short). Returns runs.csv's rows.
pub fn check_partial_folder(results: &Path) -> Vec<BTreeMap<String, String>> {
    let meta = read_meta(results);
    assert_eq!(meta["status"], "partial", "{meta:#}");
    assert!(meta["ended_utc"].is_string(), "{meta:#}");
    let runs = read_csv_if_any(&results.join("runs.csv"));
    assert_eq!(meta["runs_recorded"], runs.len(), "{meta:#}");
    read_csv_if_any(&results.join("jobs.csv"));
    read_csv_if_any(&results.join("memory.csv"));
    assert!(results.join("summary.md").exists(), "no summary.md");
    runs
}

/// Polls `done` every 20 ms until it holds or `timeout` passes; whether it held.
pub fn wait_until(timeout: Duration, mut done: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if done() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    done()
}

/// A script running in a process group of its own (as a terminal's foreground job is), with its
/// stdout and stderr in files. Dropping it kills the whole group: the script, memmon, the client
/// and any server the script started in the background.
pub struct GroupRun {
    child: Child,
    pub stdout: PathBuf,
    pub stderr: PathBuf,
}

impl GroupRun {
    /// Spawns `command` in a new process group, its output in `dir`/stdout and `dir`/stderr.
    pub fn spawn(command: &mut Command, dir: &Path) -> GroupRun {
        let stdout = dir.join("stdout");
        let stderr = dir.join("stderr");
        let child = command
            .process_group(0)
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(&stdout).unwrap())
            .stderr(std::fs::File::create(&stderr).unwrap())
            .spawn()
            .expect("spawn the script");
        GroupRun {
            child,
            stdout,
            stderr,
        }
    }

    /// Sends `signal` to the script alone, as `make` forwards TERM to its child only.
    pub fn signal(&self, signal: libc::c_int) {
        // SAFETY: kill(2) on the pid of a child this test spawned and has not reaped yet.
        unsafe { libc::kill(self.child.id() as libc::pid_t, signal) };
    }

    /// Sends `signal` to the whole group, as a terminal's Ctrl-C does.
    pub fn signal_group(&self, signal: libc::c_int) {
        // SAFETY: kill(2) with a negative pid signals the process group spawn() created.
        unsafe { libc::kill(-(self.child.id() as libc::pid_t), signal) };
    }

    /// Whether the script has ended.
    pub fn ended(&mut self) -> bool {
        self.child.try_wait().unwrap().is_some()
    }

    /// Waits up to `timeout` for the script to end; panics with its stderr when it does not.
    pub fn wait(&mut self, timeout: Duration, what: &str) -> ExitStatus {
        let mut status = None;
        wait_until(timeout, || {
            status = self.child.try_wait().unwrap();
            status.is_some()
        });
        status.unwrap_or_else(|| {
            panic!(
                "the script did not end within {timeout:?} {what}; its stderr:\n{}",
                self.stderr_text()
            )
        })
    }

    pub fn stdout_text(&self) -> String {
        std::fs::read_to_string(&self.stdout).unwrap_or_default()
    }

    pub fn stderr_text(&self) -> String {
        std::fs::read_to_string(&self.stderr).unwrap_or_default()
    }
}

impl Drop for GroupRun {
    fn drop(&mut self) {
        self.signal_group(libc::SIGKILL);
        let _ = self.child.wait();
    }
}

/// `sh bench-overhead.sh 127.0.0.1 PORT` with the test's binaries and results folder.
pub fn suite_command(port: u16, results: &Path) -> Command {
    let mut command = Command::new("sh");
    command
        .arg(script())
        .arg("127.0.0.1")
        .arg(port.to_string())
        .env("BIN_DIR", bin_dir())
        .env("RESULTS", results)
        .env("INTERVAL", "50ms");
    command
}
