//! `make report` (scripts/report.sh): every results folder into results/report.md with the
//! published rows, tables and links to charts that exist; aborted folders are skipped.

mod support;

use std::path::PathBuf;
use std::process::Command;

use support::TempDir;

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
    std::fs::create_dir_all(results.join("aborted")).unwrap();

    let output = Command::new("sh")
        .arg(manifest.join("../scripts/report.sh"))
        .env("RESULTS", &results)
        .env("BIN_DIR", support::bin().parent().unwrap())
        .output()
        .expect("run scripts/report.sh");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(
        stderr.contains("skipped"),
        "the aborted folder is named: {stderr}"
    );

    let report = std::fs::read_to_string(results.join("report.md")).unwrap();
    assert!(report.contains("from 2 results folder(s)"));
    assert!(report.contains("- [`host-b`](host-b/) (partial)"));
    assert!(report.contains("| Linux (x86_64, 6.1.0-40-amd64) Threaded | 2.2005 us | 36 us |"));
    assert!(report.contains("| Linux (x86_64, 6.1.0-41-amd64) Threaded (partial) |"));
    assert!(report.contains("| Linux (x86_64, 5.6.13) poll()-based (published) | 17.157 us |"));
    assert!(report.contains("## Extended figures"));
    // Every linked chart exists.
    let links: Vec<&str> = report
        .lines()
        .filter_map(|l| l.split("](charts/").nth(1))
        .map(|rest| rest.trim_end_matches(')'))
        .collect();
    assert_eq!(links.len(), 6, "{report}");
    for link in links {
        assert!(results.join("charts").join(link).is_file(), "{link}");
    }
}
