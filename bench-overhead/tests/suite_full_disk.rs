//! A full disk must not make a results folder lie: full at the start, the suite refuses in one
//! line and leaves nothing behind (no `meta.json.tmp`, no `raw/`); full during the runs, the folder
//! ends with `runs_recorded` equal to the rows `runs.csv` kept. The disk is a small tmpfs (root
//! only: elsewhere the tests skip, and CI runs as root).

mod suite_common;
mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use suite_common::{read_csv_if_any, read_meta};

/// A tmpfs of `size` mounted on a temporary folder, unmounted on drop.
struct SmallDisk {
    mount: PathBuf,
    _dir: support::TempDir,
}

impl SmallDisk {
    fn new(size: &str) -> Option<SmallDisk> {
        let dir = support::TempDir::new("small-disk");
        let mount = dir.path().join("disk");
        std::fs::create_dir(&mount).unwrap();
        let output = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(&mount)
            .output()
            .ok()?;
        if !output.status.success() {
            support::skip(&format!(
                "cannot mount a tmpfs (needs root): {}",
                String::from_utf8_lossy(&output.stderr).trim()
            ));
            return None;
        }
        Some(SmallDisk { mount, _dir: dir })
    }

    /// Fills every byte left.
    fn fill(&self) {
        let mut file = std::fs::File::create(self.mount.join("filler")).unwrap();
        let block = vec![0u8; 4096];
        while std::io::Write::write_all(&mut file, &block).is_ok() {}
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.mount).status();
    }
}

fn suite(port: u16, results: &Path, iterations: u32) -> std::process::Output {
    support::run_with_timeout(
        suite_common::suite_command(port, results)
            .env("ITERATIONS", iterations.to_string())
            .env("VARIANTS", "poll")
            .env("CONNECTIONS", "2"),
        Duration::from_secs(240),
    )
}

#[test]
fn a_disk_full_at_the_start_leaves_nothing_behind() {
    let Some(disk) = SmallDisk::new("64k") else {
        return;
    };
    disk.fill();
    let root = support::TempDir::new("full-start-root");
    support::write_payload(&root.path().join("testpayload"), 1 << 10);
    let server = support::start_builtin(root.path(), None);
    let results = disk.mount.join("results");
    let output = suite(server.port, &results, 1);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    let errors: Vec<&str> = stderr
        .lines()
        .filter(|l| !l.starts_with("server at "))
        .collect();
    assert_eq!(errors.len(), 1, "{stderr}");
    assert!(
        errors[0].starts_with("bench-overhead: cannot write ")
            && errors[0].contains("No space left on device"),
        "{stderr}"
    );
    assert!(
        !results.exists(),
        "left behind: {:?}",
        std::fs::read_dir(&results)
            .map(|d| d.flatten().map(|e| e.file_name()).collect::<Vec<_>>())
            .unwrap_or_default()
    );
}

#[test]
fn a_disk_that_fills_during_the_runs_keeps_runs_recorded_true() {
    // Each iteration writes four small files (a page each on tmpfs) and rows: 256 KiB fills up
    // within a few dozen of the hundred iterations.
    let Some(disk) = SmallDisk::new("256k") else {
        return;
    };
    let root = support::TempDir::new("full-mid-root");
    support::write_payload(&root.path().join("testpayload"), 1 << 10);
    let server = support::start_builtin(root.path(), None);
    let results = disk.mount.join("results");
    let output = suite(server.port, &results, 100);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("No space left on device"), "{stderr}");
    let runs = read_csv_if_any(&results.join("runs.csv"));
    assert!(
        !runs.is_empty() && runs.len() < 100,
        "{} rows:\n{stderr}",
        runs.len()
    );
    let meta = read_meta(&results);
    assert_eq!(meta["runs_recorded"], runs.len(), "{meta:#}\n{stderr}");
    assert!(meta["ended_utc"].is_string(), "{meta:#}");
    assert!(!results.join("meta.json.tmp").exists());
}
