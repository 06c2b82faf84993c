//! `make report` (scripts/report.sh): every results folder into results/report.md with the
//! published rows, tables and links to charts that exist; aborted folders are skipped; a compare
//! that fails leaves the previous report and its charts as they were.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use support::{run_with_timeout, TempDir};

fn copy_folder(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
    }
}

#[test]
fn report_covers_every_folder_and_links_existing_charts() {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let fixtures = manifest.join("tests/fixtures/compare");
    let dir = TempDir::new("compare-report");
    let results = dir.path().join("results");
    copy_folder(&fixtures.join("linux-loopback"), &results.join("host-a"));
    copy_folder(&fixtures.join("qemu-partial"), &results.join("host-b"));
    // A suite run stopped before its first row (meta.json, no rows), and `make trace` output.
    std::fs::create_dir_all(results.join("aborted")).unwrap();
    std::fs::copy(
        fixtures.join("linux-loopback/meta.json"),
        results.join("aborted/meta.json"),
    )
    .unwrap();
    std::fs::create_dir_all(results.join("trace-host")).unwrap();
    std::fs::write(results.join("trace-host/poll.strace.txt"), "calls\n").unwrap();

    let output = report(&results);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(
        stderr.contains("aborted: no runs.csv rows (an aborted run?)"),
        "the aborted folder is named: {stderr}"
    );
    assert!(
        stderr.contains("trace-host: not a results folder of the suite"),
        "the trace output is named as such: {stderr}"
    );

    let report = std::fs::read_to_string(results.join("report.md")).unwrap();
    assert!(report.contains("from 2 results folder(s)"));
    assert!(report.contains("- [`host-b`](host-b/) (partial)"));
    assert!(report.contains("| Linux (x86_64, 6.1.0-40-amd64) Threaded | 2.2005 us | 36 us |"));
    assert!(report.contains("| Linux (x86_64, 6.1.0-41-amd64) Threaded (partial) |"));
    assert!(report.contains("| Linux (x86_64, 5.6.13) poll()-based (published) | 17.157 us |"));
    assert!(report.contains("## Extended figures"));
    // Every linked chart exists; what the runs achieved comes first, per-job speed after it.
    let links = linked_charts(&results);
    assert_eq!(links.len(), 10, "{report}");
    assert!(links[0].starts_with("aggregate-"), "{links:?}");
    let position = |prefix: &str| links.iter().position(|l| l.starts_with(prefix)).unwrap();
    assert!(position("run-time-") < position("download-"), "{links:?}");
    assert!(report.contains("Per-job MiB/s (jobs start staggered) per setup"));
}

fn report(results: &Path) -> Output {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    run_with_timeout(
        Command::new("sh")
            .arg(manifest.join("../scripts/report.sh"))
            .env("RESULTS", results)
            .env("BIN_DIR", support::bin().parent().unwrap()),
        Duration::from_secs(60),
    )
}

/// The charts report.md links, each checked to exist.
fn linked_charts(results: &Path) -> Vec<String> {
    let report = std::fs::read_to_string(results.join("report.md")).unwrap();
    let links: Vec<String> = report
        .lines()
        .filter_map(|l| l.split("](charts/").nth(1))
        .map(|rest| rest.trim_end_matches(')').to_string())
        .collect();
    for link in &links {
        assert!(results.join("charts").join(link).is_file(), "{link}");
    }
    links
}

#[test]
fn a_one_row_runs_csv_without_final_newline_is_reported() {
    let fixtures = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/compare");
    let dir = TempDir::new("compare-report-one-row");
    let results = dir.path().join("results");
    let one = results.join("host-a");
    std::fs::create_dir_all(&one).unwrap();
    let runs = std::fs::read_to_string(fixtures.join("linux-loopback/runs.csv")).unwrap();
    let two_lines: Vec<&str> = runs.lines().take(2).collect();
    std::fs::write(one.join("runs.csv"), two_lines.join("\n")).unwrap();

    let output = report(&results);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(!stderr.contains("skipped"), "{stderr}");
    let report = std::fs::read_to_string(results.join("report.md")).unwrap();
    assert!(report.contains("from 1 results folder(s)"), "{report}");
    assert!(
        report.contains("| Linux (x86_64, 6.1.0-40-amd64) Threaded | 2.1005 us |"),
        "{report}"
    );
}

#[test]
fn a_failing_compare_keeps_the_old_report_and_its_charts() {
    let fixtures = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/compare");
    let dir = TempDir::new("compare-report-keep");
    let results = dir.path().join("results");
    copy_folder(&fixtures.join("linux-loopback"), &results.join("host-a"));
    let output = report(&results);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let before = std::fs::read_to_string(results.join("report.md")).unwrap();
    let links = linked_charts(&results);
    assert_eq!(links.len(), 9, "{before}");

    // A second folder whose memory.csv is garbage: compare --chart fails.
    copy_folder(&fixtures.join("haiku-loopback"), &results.join("host-b"));
    std::fs::write(
        results.join("host-b/memory.csv"),
        "run_id,elapsed_ms,rss_bytes,vsz_bytes,pss_anon_bytes,pss_bytes\nhai-t1,0,lots,1,1,1\n",
    )
    .unwrap();
    let output = report(&results);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("memory.csv: line 2, column `rss_bytes`"),
        "{stderr}"
    );
    assert!(stderr.contains("report.md and"), "{stderr}");
    assert!(stderr.contains("are unchanged"), "{stderr}");
    assert_eq!(
        std::fs::read_to_string(results.join("report.md")).unwrap(),
        before
    );
    assert_eq!(linked_charts(&results), links);
    // No temporary folder is left behind.
    let leftovers: Vec<String> = std::fs::read_dir(&results)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with('.') || name.contains(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}
