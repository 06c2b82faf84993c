//! `bench-overhead compare` on bad input: one line naming the file (and line and column) and what
//! is wrong, a non-zero exit, never a panic, never a hang (every run here has a deadline).

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use support::{run_with_timeout, TempDir};

fn fixture(folder: &str, file: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/compare")
        .join(folder)
        .join(file);
    std::fs::read_to_string(path).expect("read fixture")
}

/// A results folder in `dir` named `name` holding the given files.
fn folder(dir: &TempDir, name: &str, files: &[(&str, &[u8])]) -> PathBuf {
    let path = dir.path().join(name);
    std::fs::create_dir_all(&path).unwrap();
    for (file, text) in files {
        std::fs::write(path.join(file), text).unwrap();
    }
    path
}

/// Runs compare, expects failure, and returns its one stderr line.
fn fails(args: &[&Path]) -> String {
    fails_with(&[], args)
}

fn fails_with(flags: &[&str], args: &[&Path]) -> String {
    let output = run_with_timeout(
        Command::new(support::bin())
            .arg("compare")
            .args(flags)
            .args(args),
        Duration::from_secs(30),
    );
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(output.status.code(), Some(1), "stderr: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "one line expected: {stderr}");
    assert!(stderr.starts_with("bench-overhead: "), "{stderr}");
    assert!(output.stdout.is_empty(), "no table on failure");
    stderr.trim_end().to_string()
}

fn runs_csv() -> String {
    fixture("linux-loopback", "runs.csv")
}

#[test]
fn missing_path() {
    let dir = TempDir::new("compare-missing");
    let missing = dir.path().join("no-such-results");
    let err = fails(&[&missing]);
    assert_eq!(
        err,
        format!(
            "bench-overhead: {}: cannot open: no such file or folder",
            missing.display()
        )
    );
}

#[test]
fn empty_folder_and_folder_without_runs() {
    let dir = TempDir::new("compare-empty");
    let empty = folder(&dir, "empty", &[]);
    let err = fails(&[&empty]);
    assert!(
        err.contains(&format!("{}: empty folder", empty.display())),
        "{err}"
    );
    let other = folder(&dir, "other", &[("notes.txt", b"hello")]);
    let err = fails(&[&other]);
    assert!(
        err.contains(&format!("{}: no runs.csv", other.display())),
        "{err}"
    );
}

#[test]
fn wrong_columns_are_named() {
    let dir = TempDir::new("compare-columns");
    let missing = folder(
        &dir,
        "missing",
        &[(
            "runs.csv",
            runs_csv().replacen(",job_mib_s,", ",", 1).as_bytes(),
        )],
    );
    let err = fails(&[&missing]);
    assert!(
        err.ends_with("runs.csv: missing column `job_mib_s`: runs.csv needs every column listed in results/README.md"),
        "{err}"
    );
    let unknown = folder(
        &dir,
        "unknown",
        &[(
            "runs.csv",
            runs_csv()
                .replacen(",job_mib_s,", ",job_speed,", 1)
                .as_bytes(),
        )],
    );
    let err = fails(&[&unknown]);
    assert!(
        err.contains("runs.csv: unknown column `job_speed`"),
        "{err}"
    );
    // A jobs.csv given by mistake.
    let jobs = folder(
        &dir,
        "jobs",
        &[(
            "runs.csv",
            b"run_id,job,variant,socket_ns,setup_ns,connect_ns,ttfb_ns,transfer_ns,bytes,status,error\nr,0,poll,1,1,1,1,1,5,200,\n",
        )],
    );
    let err = fails(&[&jobs]);
    assert!(err.contains("unknown column `job`"), "{err}");
}

#[test]
fn garbage_values_name_line_and_column() {
    let dir = TempDir::new("compare-garbage");
    let text = runs_csv();
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    lines[2] = lines[2].replacen(",113.25,", ",fast,", 1);
    let bad = folder(&dir, "bad", &[("runs.csv", lines.join("\n").as_bytes())]);
    let err = fails(&[&bad]);
    assert!(
        err.ends_with("runs.csv: line 3, column `job_mib_s`: `fast` is not a number"),
        "{err}"
    );

    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    lines[1] = lines[1].replacen(",52000000,", ",-52000000,", 1);
    let negative = folder(
        &dir,
        "negative",
        &[("runs.csv", lines.join("\n").as_bytes())],
    );
    let err = fails(&[&negative]);
    assert!(
        err.contains("line 2, column `run_ns`: `-52000000` is not a finite number of at least 0"),
        "{err}"
    );

    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    lines[1].push_str(",extra");
    let ragged = folder(&dir, "ragged", &[("runs.csv", lines.join("\n").as_bytes())]);
    let err = fails(&[&ragged]);
    assert!(err.contains("runs.csv: line 2: "), "{err}");

    let mut bytes = text.replacen("lin-t1", "lin-\u{1}", 1).into_bytes();
    let at = bytes.iter().position(|b| *b == 1).unwrap();
    bytes[at] = 0xff;
    let binary = folder(&dir, "binary", &[("runs.csv", &bytes)]);
    let err = fails(&[&binary]);
    assert!(err.contains("not valid UTF-8"), "{err}");
}

#[test]
fn header_only_and_empty_files() {
    let dir = TempDir::new("compare-header");
    let header = runs_csv().lines().next().unwrap().to_string() + "\n";
    let only = folder(&dir, "only", &[("runs.csv", header.as_bytes())]);
    assert!(fails(&[&only]).contains("runs.csv: no runs, only a header row"));
    let empty = folder(&dir, "empty-file", &[("runs.csv", b"")]);
    assert!(fails(&[&empty]).contains("runs.csv: empty file"));
}

#[test]
fn bad_meta_json() {
    let dir = TempDir::new("compare-meta");
    let runs = runs_csv();
    let status = folder(
        &dir,
        "status",
        &[
            ("runs.csv", runs.as_bytes()),
            ("meta.json", br#"{"status": "done"}"#),
        ],
    );
    let err = fails(&[&status]);
    assert!(
        err.contains("meta.json: status is `done`, expected `complete` or `partial`"),
        "{err}"
    );
    let broken = folder(
        &dir,
        "broken",
        &[
            ("runs.csv", runs.as_bytes()),
            ("meta.json", b"{\"status\": "),
        ],
    );
    let err = fails(&[&broken]);
    assert!(err.contains("meta.json: not valid meta.json"), "{err}");
}

#[test]
fn garbage_memory_csv_fails_only_when_charting() {
    let dir = TempDir::new("compare-memory");
    let results = folder(
        &dir,
        "results",
        &[
            ("runs.csv", runs_csv().as_bytes()),
            (
                "memory.csv",
                b"run_id,elapsed_ms,rss_bytes,vsz_bytes,pss_anon_bytes,pss_bytes\nlin-t1,0,lots,1,1,1\n",
            ),
        ],
    );
    // The tables do not need memory.csv.
    let ok = Command::new(support::bin())
        .arg("compare")
        .arg(&results)
        .output()
        .unwrap();
    assert!(ok.status.success());
    let charts = dir.path().join("charts");
    let err = fails_with(&["--chart", charts.to_str().unwrap()], &[&results]);
    assert!(
        err.contains(
            "memory.csv: line 2, column `rss_bytes`: `lots` is not a number (not a memmon sample)"
        ),
        "{err}"
    );
}

#[test]
fn unreadable_file() {
    use std::os::unix::fs::PermissionsExt;
    let dir = TempDir::new("compare-unreadable");
    let results = folder(&dir, "results", &[("runs.csv", runs_csv().as_bytes())]);
    let file = results.join("runs.csv");
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o000)).unwrap();
    if std::fs::read(&file).is_ok() {
        eprintln!("skipped: running with privileges that read any file");
        return;
    }
    let err = fails(&[&results]);
    assert!(
        err.contains("runs.csv: cannot read: permission denied"),
        "{err}"
    );
}

#[test]
fn the_same_results_twice() {
    let dir = TempDir::new("compare-twice");
    let results = folder(&dir, "results", &[("runs.csv", runs_csv().as_bytes())]);
    let err = fails(&[&results, &results.join("runs.csv")]);
    assert!(
        err.ends_with("are the same results: name each results folder once"),
        "{err}"
    );
}

/// runs.csv of the linux-loopback fixture with `column` set to `value` in the threaded rows.
fn with_threaded(column: &str, value: &str) -> String {
    let text = runs_csv();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let at = header.iter().position(|c| *c == column).unwrap();
    let mut out = header.join(",") + "\n";
    for line in lines {
        let mut cells: Vec<&str> = line.split(',').collect();
        if cells[2] == "threaded" {
            cells[at] = value;
        }
        out += &(cells.join(",") + "\n");
    }
    out
}

#[test]
fn non_finite_or_negative_memory_samples_are_named_not_drawn() {
    let dir = TempDir::new("compare-inf-sample");
    let charts = dir.path().join("charts");
    for (cell, column, sample) in [
        ("inf", "elapsed_ms", "lin-t1,inf,1,1,1,1\n"),
        ("-5", "rss_bytes", "lin-t1,0,-5,1,1,1\n"),
        ("NaN", "pss_anon_bytes", "lin-t1,0,1,1,NaN,1\n"),
    ] {
        let results = folder(
            &dir,
            column,
            &[
                ("runs.csv", runs_csv().as_bytes()),
                (
                    "memory.csv",
                    format!(
                        "run_id,elapsed_ms,rss_bytes,vsz_bytes,pss_anon_bytes,pss_bytes\n{sample}"
                    )
                    .as_bytes(),
                ),
            ],
        );
        let err = fails_with(&["--chart", charts.to_str().unwrap()], &[&results]);
        assert!(
            err.ends_with(&format!(
                "memory.csv: line 2, column `{column}`: `{cell}` is not a finite number of at least 0 (not a memmon sample)"
            )),
            "{err}"
        );
    }
}

#[test]
fn a_mean_that_overflows_is_refused_in_every_format() {
    let dir = TempDir::new("compare-overflow");
    // Each cell is finite, their sum is not: 1.7e308 + 1.7e308 = inf.
    let results = folder(
        &dir,
        "huge",
        &[("runs.csv", with_threaded("job_mib_s", "1.7e308").as_bytes())],
    );
    let charts = dir.path().join("charts");
    for flags in [
        vec![],
        vec!["--format", "json"],
        vec!["--format", "csv"],
        vec!["--chart", charts.to_str().unwrap()],
    ] {
        let err = fails_with(&flags, &[&results]);
        assert_eq!(
            err,
            format!(
                "bench-overhead: {}: the mean per-job download speed (job_mib_s) of Linux (x86_64, \
                 6.1.0-40-amd64) Threaded over its runs is not a finite number: a value in runs.csv \
                 is out of range; correct or remove that row",
                results.display()
            ),
            "{flags:?}"
        );
    }
    assert!(
        !charts.join("download-loopback.svg").exists(),
        "no chart drawn"
    );
}

#[test]
fn a_row_cut_short_says_so() {
    let dir = TempDir::new("compare-cut");
    let text = runs_csv();
    let cut = &text[..text.trim_end().len() - 200];
    let results = folder(&dir, "cut", &[("runs.csv", cut.as_bytes())]);
    let err = fails(&[&results]);
    assert!(
        err.contains("runs.csv: line 5: the row is cut short ("),
        "{err}"
    );
    assert!(err.ends_with("complete or delete that row"), "{err}");

    let memory = fixture("linux-loopback", "memory.csv");
    let cut = &memory[..memory.trim_end().len() - 10];
    let results = folder(
        &dir,
        "cut-memory",
        &[
            ("runs.csv", text.as_bytes()),
            ("memory.csv", cut.as_bytes()),
        ],
    );
    let charts = dir.path().join("charts");
    let err = fails_with(&["--chart", charts.to_str().unwrap()], &[&results]);
    assert!(err.contains("memory.csv: line "), "{err}");
    assert!(err.contains(": the row is cut short ("), "{err}");
}

#[test]
fn the_reference_folder_beside_reference_is_refused() {
    let reference = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../results/reference");
    let err = fails_with(&["--reference"], &[&reference]);
    assert_eq!(
        err,
        format!(
            "bench-overhead: {}: these are the published rows that --reference already adds: drop the folder or --reference",
            reference.display()
        )
    );
    // Alone, the folder is the reference set: each published row once.
    let output = run_with_timeout(
        Command::new(support::bin()).arg("compare").arg(&reference),
        Duration::from_secs(30),
    );
    assert!(output.status.success());
    let text = String::from_utf8(output.stdout).unwrap();
    assert_eq!(text.matches("(published) |").count(), 10, "{text}");
}

#[test]
fn a_figure_too_large_for_a_chart_axis_is_refused_when_charting() {
    let dir = TempDir::new("compare-huge-axis");
    // One run of one successful job at 1.7e308 MiB/s: a finite mean, but no finite axis holds it
    // with room for its label.
    let text = with_threaded("job_mib_s", "1.7e308");
    let header: Vec<&str> = text.lines().next().unwrap().split(',').collect();
    let at = header.iter().position(|c| *c == "jobs_ok").unwrap();
    let mut row: Vec<&str> = text.lines().nth(1).unwrap().split(',').collect();
    row[at] = "1";
    let runs = format!("{}\n{}\n", header.join(","), row.join(","));
    let results = folder(&dir, "huge", &[("runs.csv", runs.as_bytes())]);
    let ok = run_with_timeout(
        Command::new(support::bin()).arg("compare").arg(&results),
        Duration::from_secs(30),
    );
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    let charts = dir.path().join("charts");
    let err = fails_with(&["--chart", charts.to_str().unwrap()], &[&results]);
    assert_eq!(
        err,
        format!(
            "bench-overhead: {}: cannot draw the chart: 1.7e+308 MiB/s leaves no finite axis: a \
             value in runs.csv is out of range; correct or remove that row",
            charts.join("download-loopback.svg").display()
        )
    );
}
