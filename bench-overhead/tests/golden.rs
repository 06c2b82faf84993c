//! Golden outputs: `summarize` and `compare` over fixed results folders print, byte for byte, what
//! the files in tests/fixtures/golden/expected/ hold. They were recorded before the code moved
//! into results/ and report/, so a refactoring that changes a figure, a column or a word fails
//! here. A deliberate change of output is re-recorded with `GOLDEN_BLESS=1 cargo test --test
//! golden` and reviewed in the diff of the expected files.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use support::TempDir;

/// The folders every case reads: a real two-iteration run (tests/fixtures/golden/real-run, made
/// with `make benchmark` against lighttpd) and the compare fixtures (two OSes, a partial QEMU run,
/// failed jobs).
const FOLDERS: [&str; 5] = [
    "golden/real-run",
    "compare/linux-loopback",
    "compare/haiku-loopback",
    "compare/qemu-partial",
    "compare/failed-jobs",
];

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// Runs bench-overhead from the fixtures folder (so paths in the output are short and fixed) and
/// returns its exit status, stdout and stderr as one text.
fn run(args: &[&str]) -> String {
    let output = Command::new(support::bin())
        .args(args)
        .current_dir(fixtures())
        .output()
        .expect("run bench-overhead");
    format!(
        "status: {}\n--- stdout\n{}--- stderr\n{}",
        output
            .status
            .code()
            .map_or("signal".to_string(), |c| c.to_string()),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// Compares `actual` with the expected file `name`, or writes it when GOLDEN_BLESS is set.
fn check(name: &str, actual: &str) {
    let path = fixtures().join("golden/expected").join(name);
    if std::env::var_os("GOLDEN_BLESS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("read {}: {e} (GOLDEN_BLESS=1 records it)", path.display()));
    assert!(
        expected == actual,
        "{name} differs from {}:\n--- expected\n{expected}\n--- actual\n{actual}",
        path.display()
    );
}

/// The file name a folder's cases are recorded under: its last component.
fn short(folder: &str) -> &str {
    Path::new(folder).file_name().unwrap().to_str().unwrap()
}

#[test]
fn summarize_text_is_unchanged() {
    for folder in FOLDERS {
        check(
            &format!("summarize-{}.txt", short(folder)),
            &run(&["summarize", folder]),
        );
    }
}

#[test]
fn summarize_json_is_unchanged() {
    for folder in FOLDERS {
        check(
            &format!("summarize-{}.json.txt", short(folder)),
            &run(&["summarize", "--json", folder]),
        );
    }
}

#[test]
fn summarize_markdown_is_unchanged() {
    let dir = TempDir::new("golden-markdown");
    for folder in FOLDERS {
        let file = dir.path().join(format!("{}.md", short(folder)));
        let printed = run(&["summarize", folder, "--markdown", file.to_str().unwrap()])
            .replace(file.to_str().unwrap(), "<FILE>");
        let written = std::fs::read_to_string(&file).unwrap_or_default();
        check(
            &format!("summarize-{}.md.txt", short(folder)),
            &format!("{printed}--- markdown file\n{written}"),
        );
    }
}

#[test]
fn compare_tables_are_unchanged() {
    let cases: [(&str, &[&str]); 8] = [
        ("markdown", &[]),
        ("csv", &["--format", "csv"]),
        ("json", &["--format", "json"]),
        ("extended-markdown", &["--extended"]),
        ("extended-csv", &["--extended", "--format", "csv"]),
        ("extended-json", &["--extended", "--format", "json"]),
        ("reference", &["--reference"]),
        ("extended-reference", &["--extended", "--reference"]),
    ];
    for (name, options) in cases {
        let mut args = vec!["compare"];
        args.extend(options);
        args.extend(FOLDERS);
        check(&format!("compare-{name}.txt"), &run(&args));
    }
    check(
        "compare-reference-only.txt",
        &run(&["compare", "--reference", "--extended", "--format", "csv"]),
    );
}

#[test]
fn compare_charts_are_unchanged() {
    let dir = TempDir::new("golden-charts");
    let mut args = vec!["compare", "--chart", dir.path().to_str().unwrap()];
    args.extend(FOLDERS);
    let printed = run(&args).replace(dir.path().to_str().unwrap(), "<DIR>");
    let mut names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert!(!names.is_empty(), "compare --chart wrote no chart");
    // The list of charts is part of the output: a chart no longer written fails here.
    check(
        "compare-charts.txt",
        &format!("{printed}--- charts\n{}\n", names.join("\n")),
    );
    for name in names {
        let svg = std::fs::read_to_string(dir.path().join(&name)).unwrap();
        check(&format!("chart-{name}"), &svg);
    }
}
