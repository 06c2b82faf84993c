//! What `make benchmark`, `make report` and `make compare` print is what the user needs, once:
//! no advice on starting lighttpd when the target starts it, the results folder named once, the
//! charts named where they stay (not a temporary folder), and `make compare` skipping the folders
//! of results/ that are no suite runs (charts/, reference/, a profile's output) with a note each.

mod suite_common;
mod support;

use std::process::Command;
use std::time::Duration;

#[test]
fn benchmark_report_and_compare_say_each_thing_once() {
    let work = support::TempDir::new("noise");
    let payloads = work.path().join("payloads");
    std::fs::create_dir(&payloads).unwrap();
    support::write_payload(&payloads.join("testpayload"), 1 << 20);
    let results_root = work.path().join("results");
    let results = results_root.join("run-1");
    let output = support::run_with_timeout(
        Command::new("sh")
            .arg(suite_common::repo().join("scripts/benchmark.sh"))
            .env("SERVER", "lighttpd")
            .env("PORT", support::free_port().to_string())
            .env("BIND", "127.0.0.1")
            .env_remove("ADDRESS")
            .env("PAYLOAD_DIR", &payloads)
            .env("SETUP_DIR", work.path().join("setup"))
            .env("RESULTS", &results)
            .env("BIN_DIR", suite_common::bin_dir())
            .env("ITERATIONS", "1")
            .env("CONNECTIONS", "2")
            .env("INTERVAL", "50ms")
            .env("TMPDIR", work.path()),
        Duration::from_secs(120),
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let all = format!("{stdout}{stderr}");
    assert!(output.status.success(), "{all}");
    assert!(all.contains("lighttpd started"), "{all}");
    assert!(!all.contains("start it in the background"), "{all}");
    assert_eq!(all.matches("results: ").count(), 1, "{all}");

    // Beside the run: what make report writes, the published rows, and a profile's output.
    std::fs::create_dir_all(results_root.join("charts")).unwrap();
    std::fs::create_dir_all(results_root.join("reference")).unwrap();
    std::fs::create_dir_all(results_root.join("profile-host-1")).unwrap();
    std::fs::write(results_root.join("profile-host-1/poll.report.txt"), "x").unwrap();
    let report = |mode: &str| {
        support::run_with_timeout(
            Command::new("sh")
                .arg(suite_common::repo().join("scripts/report.sh"))
                .arg(mode)
                .env("RESULTS", &results_root)
                .env("BIN_DIR", suite_common::bin_dir()),
            Duration::from_secs(60),
        )
    };
    let output = report("report");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    let charts = results_root.join("charts");
    let wrote: Vec<&str> = stderr.lines().filter(|l| l.contains("chart(s)")).collect();
    assert_eq!(wrote.len(), 1, "{stderr}");
    assert!(
        wrote[0].ends_with(&format!("chart(s) into {}", charts.display())),
        "{stderr}"
    );
    assert!(!stderr.contains(".charts."), "{stderr}");
    let svgs = std::fs::read_dir(&charts).unwrap().count();
    assert!(svgs > 0, "no charts in {}", charts.display());

    let output = report("compare");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(stdout.contains("(published)"), "{stdout}");
    assert!(stdout.contains("Threaded"), "{stdout}");
    let skipped: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("compare: skipped "))
        .collect();
    assert_eq!(skipped.len(), 1, "{stderr}");
    assert!(skipped[0].contains("profile-host-1"), "{stderr}");
}
