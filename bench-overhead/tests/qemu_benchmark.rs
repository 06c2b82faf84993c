//! `make qemu-benchmark` end to end at CI size: a real QEMU guest (TCG) boots the busybox
//! initramfs, runs bench-overhead.sh against a real lighttpd on this host over QEMU user
//! networking, and its rows arrive in the results folder over 9p with every byte accounted for and
//! the network label "QEMU user net".
//!
//! The limits are tested with a guest whose CPU never starts (`QEMU_OPTS=-S`): it writes nothing,
//! so the deadline and the inactivity watchdog must end it, keep the folder marked partial and
//! stop the host's server, in seconds rather than a guest run's minutes.
//!
//! The guest tests are skipped, with a message, only where QEMU cannot run at all (no emulator, no
//! kernel image); `.ci/run` installs both.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use support::{bin, free_port, run_with_timeout, wait_for_port, write_payload, TempDir};

const CONNECTIONS: usize = 3;
const PAYLOAD_BYTES: usize = 2 * 1024 * 1024;

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the crate lives in the workspace")
        .to_path_buf()
}

/// `sh scripts/qemu-benchmark.sh` from the repository root, using this test's binaries.
fn qemu_benchmark() -> Command {
    let root = repo_root();
    let mut command = Command::new("sh");
    command
        .arg(root.join("scripts/qemu-benchmark.sh"))
        .current_dir(&root)
        .env("BIN_DIR", bin().parent().expect("binary folder"))
        .env("CARGO", env!("CARGO"))
        .env_remove("RESULTS")
        .env_remove("QEMU_OPTS");
    command
}

/// The newest readable `/boot/vmlinuz-*`, the kernel the script picks by default.
fn guest_kernel() -> Option<PathBuf> {
    let mut kernels: Vec<PathBuf> = std::fs::read_dir("/boot")
        .ok()?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| {
            path.file_name()
                .and_then(|name| name.to_str())
                .is_some_and(|name| name.starts_with("vmlinuz-"))
                && std::fs::File::open(path).is_ok()
        })
        .collect();
    kernels.sort();
    kernels.pop()
}

fn on_path(program: &str) -> bool {
    std::env::var_os("PATH")
        .map(|paths| std::env::split_paths(&paths).any(|dir| dir.join(program).is_file()))
        .unwrap_or(false)
}

fn read_csv(path: &Path) -> Vec<std::collections::HashMap<String, String>> {
    let mut reader = csv::Reader::from_path(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let headers = reader.headers().expect("CSV header").clone();
    reader
        .records()
        .map(|record| {
            let record = record.expect("CSV row");
            headers
                .iter()
                .zip(record.iter())
                .map(|(h, v)| (h.to_string(), v.to_string()))
                .collect()
        })
        .collect()
}

#[test]
fn guest_rows_arrive_with_every_byte_and_the_qemu_label() {
    let Some(kernel) = guest_kernel_or_skip() else {
        return;
    };
    let kernel_release = kernel
        .file_name()
        .and_then(|name| name.to_str())
        .and_then(|name| name.strip_prefix("vmlinuz-"))
        .expect("vmlinuz-<release>")
        .to_string();

    let dir = TempDir::new("qemu");
    let www = dir.path().join("www");
    std::fs::create_dir_all(&www).unwrap();
    write_payload(&www.join("testpayload"), PAYLOAD_BYTES);
    let results = dir.path().join("results");

    let output = run_with_timeout(
        qemu_benchmark()
            .env("CONNECTIONS", CONNECTIONS.to_string())
            .env("ITERATIONS", "1")
            .env("VARIANTS", "threaded poll")
            .env("PAYLOAD_DIR", &www)
            .env("PAYLOAD_PATH", "/testpayload")
            .env("PORT", free_port().to_string())
            .env("RESULTS", &results)
            .env("SERVER", "lighttpd")
            .env("QEMU_ACCEL", "tcg")
            .env("QEMU_KERNEL", &kernel)
            .env("QEMU_TIMEOUT", "300"),
        Duration::from_secs(900),
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "qemu-benchmark failed ({}):\n{stdout}\n{stderr}",
        output.status
    );

    // One row per variant run, each with every job complete and every byte counted.
    let runs = read_csv(&results.join("runs.csv"));
    assert_eq!(runs.len(), 2, "one run per variant:\n{runs:?}");
    let mut variants: Vec<&str> = runs.iter().map(|r| r["variant"].as_str()).collect();
    variants.sort();
    assert_eq!(variants, ["poll", "threaded"]);
    for run in &runs {
        assert_eq!(run["network"], "QEMU user net");
        assert_eq!(run["address"], "10.0.2.2");
        assert_eq!(run["os"], "Linux");
        assert_eq!(
            run["kernel"], kernel_release,
            "the guest's kernel, not the host's"
        );
        assert_eq!(run["connections"], CONNECTIONS.to_string());
        assert_eq!(run["jobs_ok"], CONNECTIONS.to_string(), "{run:?}");
        assert_eq!(run["jobs_failed"], "0", "{run:?}");
        assert_eq!(run["payload_bytes"], PAYLOAD_BYTES.to_string());
        assert_eq!(run["bytes"], (CONNECTIONS * PAYLOAD_BYTES).to_string());
        assert!(
            !run["mem_samples"].is_empty() && run["mem_samples"] != "0",
            "memmon measured the guest's client: {run:?}"
        );
    }

    let jobs = read_csv(&results.join("jobs.csv"));
    assert_eq!(jobs.len(), 2 * CONNECTIONS);
    for job in &jobs {
        assert_eq!(job["bytes"], PAYLOAD_BYTES.to_string(), "{job:?}");
        assert_eq!(job["status"], "200");
        assert_eq!(job["error"], "");
    }
    assert!(results.join("memory.csv").is_file());
    assert!(results.join("summary.md").is_file());

    let meta: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(results.join("meta.json")).unwrap())
            .expect("meta.json is JSON");
    assert_eq!(meta["status"], "complete", "{meta}");
    let text = meta.to_string();
    for fact in ["qemu_nic", "virtio-net", "qemu_vcpus", "qemu_accel", "tcg"] {
        assert!(text.contains(fact), "meta.json names {fact}: {meta}");
    }

    // compare puts the guest's rows in the second published table, beside the Haiku guests.
    let compare = run_with_timeout(
        Command::new(bin())
            .args(["compare", "--reference"])
            .arg(&results),
        Duration::from_secs(30),
    );
    let tables = String::from_utf8_lossy(&compare.stdout);
    assert!(compare.status.success(), "{tables}");
    let qemu_table = tables
        .split("Over QEMU user networking")
        .nth(1)
        .expect("a QEMU user networking table");
    assert!(
        qemu_table.contains("| Linux (x86_64, ") && qemu_table.contains(") Threaded |"),
        "the guest's rows are in the QEMU table: {tables}"
    );
    assert!(qemu_table.contains("Haiku (x86_64) Threaded (published)"));

    let console = std::fs::read_to_string(results.join("console.log")).unwrap();
    assert!(console.contains("bench-guest: ready"), "{console}");
    assert!(
        !results.join(".guest-exit").exists(),
        "the guest's exit marker is removed"
    );
}

#[test]
fn a_missing_emulator_is_named_with_its_package() {
    let output = run_with_timeout(
        qemu_benchmark().env("QEMU", "/nonexistent/qemu-system-x86_64"),
        Duration::from_secs(30),
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
    assert!(stderr.contains("qemu-system-x86"), "{stderr}");
}

#[test]
fn a_missing_kernel_is_named_without_a_guest_run() {
    if !on_path("qemu-system-x86_64") {
        support::skip("qemu-system-x86_64 is not installed (apt-get install qemu-system-x86)");
        return;
    }
    let output = run_with_timeout(
        qemu_benchmark().env("QEMU_KERNEL", "/nonexistent/vmlinuz"),
        Duration::from_secs(30),
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
    assert!(
        stderr.contains("QEMU_KERNEL=/nonexistent/vmlinuz"),
        "{stderr}"
    );
    assert!(
        stderr.contains("apt-get install linux-image-amd64"),
        "{stderr}"
    );
}

/// What a guest run needs here, or `None` (with the skip message printed) where QEMU cannot run.
fn guest_kernel_or_skip() -> Option<PathBuf> {
    if !on_path("qemu-system-x86_64") {
        support::skip("qemu-system-x86_64 is not installed (apt-get install qemu-system-x86)");
        return None;
    }
    let kernel = guest_kernel();
    if kernel.is_none() {
        support::skip("no readable /boot/vmlinuz-* (apt-get install linux-image-amd64)");
    }
    kernel
}

/// Runs qemu-benchmark with a guest that never starts its CPU, under the given limits; returns the
/// output, the results folder and the port the host's server used.
fn run_silent_guest(
    dir: &TempDir,
    limits: &[(&str, &str)],
) -> (std::process::Output, PathBuf, u16) {
    let kernel = guest_kernel().expect("checked by the caller");
    let www = dir.path().join("www");
    std::fs::create_dir_all(&www).unwrap();
    write_payload(&www.join("testpayload"), 4096);
    let results = dir.path().join("results");
    let port = free_port();
    let mut command = qemu_benchmark();
    command
        .env("CONNECTIONS", "2")
        .env("ITERATIONS", "1")
        .env("PAYLOAD_DIR", &www)
        .env("PORT", port.to_string())
        .env("RESULTS", &results)
        .env("SERVER", "builtin")
        .env("QEMU_ACCEL", "tcg")
        .env("QEMU_KERNEL", &kernel)
        .env("QEMU_OPTS", "-S");
    for (key, value) in limits {
        command.env(key, value);
    }
    // The static build may take minutes the first time; the guest part takes seconds.
    let output = run_with_timeout(&mut command, Duration::from_secs(900));
    (output, results, port)
}

/// The run failed with `reason` as its one-line message, kept the folder marked partial, and
/// stopped the server it started.
fn assert_ended_partial(output: &std::process::Output, results: &Path, port: u16, reason: &str) {
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    let last = stderr.lines().last().unwrap_or("");
    assert_eq!(
        last,
        format!(
            "qemu-benchmark: {reason}; kept what arrived in {} (marked partial; console.log has the guest's console)",
            results.display()
        ),
        "{stderr}"
    );
    let meta: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(results.join("meta.json")).unwrap())
            .expect("meta.json is JSON");
    assert_eq!(meta["status"], "partial", "{meta}");
    assert_eq!(meta["reason"], reason, "{meta}");
    assert!(results.join("console.log").is_file());
    assert!(
        !wait_for_port(port, Duration::from_millis(300)),
        "the host's server on port {port} was stopped"
    );
}

#[test]
fn the_deadline_kills_the_guest_and_keeps_a_partial_folder() {
    if guest_kernel_or_skip().is_none() {
        return;
    }
    let dir = TempDir::new("qemu-deadline");
    let (output, results, port) =
        run_silent_guest(&dir, &[("QEMU_TIMEOUT", "3"), ("QEMU_IDLE_TIMEOUT", "600")]);
    assert_ended_partial(
        &output,
        &results,
        port,
        "the guest did not finish within QEMU_TIMEOUT=3 s; QEMU was killed",
    );
}

#[test]
fn a_silent_guest_is_killed_by_the_inactivity_watchdog() {
    if guest_kernel_or_skip().is_none() {
        return;
    }
    let dir = TempDir::new("qemu-idle");
    let (output, results, port) =
        run_silent_guest(&dir, &[("QEMU_TIMEOUT", "600"), ("QEMU_IDLE_TIMEOUT", "2")]);
    assert_ended_partial(
        &output,
        &results,
        port,
        "the guest wrote no console output and no rows for QEMU_IDLE_TIMEOUT=2 s; QEMU was killed",
    );
}
