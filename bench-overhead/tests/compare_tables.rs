//! `bench-overhead compare`: golden tables from small fixture folders (two OSes, two network paths,
//! a partial run), the published reference rows, and CSV/JSON carrying the markdown's numbers.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use support::TempDir;

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/compare")
}

/// Runs `compare` from the fixtures folder (so paths in messages are short) and returns stdout.
fn compare(args: &[&str]) -> String {
    compare_in(&fixtures(), args)
}

/// Runs `compare ARGS…` from `dir` and returns stdout.
fn compare_in(dir: &Path, args: &[&str]) -> String {
    let output = Command::new(support::bin())
        .arg("compare")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run bench-overhead compare");
    assert!(
        output.status.success(),
        "compare {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("UTF-8 output")
}

const FOLDERS: [&str; 3] = ["linux-loopback", "haiku-loopback", "qemu-partial"];

fn expected(name: &str) -> String {
    std::fs::read_to_string(fixtures().join("expected").join(name)).expect("read golden file")
}

#[test]
fn default_markdown_matches_the_golden_file() {
    assert_eq!(compare(&FOLDERS), expected("default.md"));
}

#[test]
fn extended_markdown_with_reference_matches_the_golden_file() {
    let mut args = vec!["--extended", "--reference"];
    args.extend(FOLDERS);
    assert_eq!(compare(&args), expected("extended-reference.md"));
}

#[test]
fn a_runs_csv_file_reads_like_its_folder() {
    let by_file = compare(&[
        "linux-loopback/runs.csv",
        "haiku-loopback/runs.csv",
        "qemu-partial/runs.csv",
    ]);
    assert_eq!(by_file, expected("default.md"));
}

/// The old suite's published tables, verbatim (ARCHITECTURE.md, The old suite).
const PUBLISHED: &str = "\
Over loopback (127.0.0.1):

| Setup | Socket creation time | Job setup time | Download | Run time | Average memory consumption |
|---|---|---|---|---|---|
| Haiku (x86_64, hrev54280, KDEBUG_LEVEL 0) Threaded | 2.40832 us | 224.159 us | 39.9529 s @ 5.02905 MiB/s | 42.043 s | 7.01697 MiB |
| Haiku (x86_64, hrev54280, KDEBUG_LEVEL 0) poll()-based | 1.5305 us | 47.7962 us | 42.1472 s @ 4.75248 MiB/s | 44.2072 s | 6.92944 MiB |
| Haiku (x86_gcc2h, hrev54280, KDEBUG_LEVEL 0) Threaded | 2.73067 us | 211.687 us | 45.4512 s @ 4.40853 MiB/s | 47.7862 s | 6.892 MiB |
| Haiku (x86_gcc2h, hrev54280, KDEBUG_LEVEL 0) poll()-based | 2.10034 us | 58.2764 us | 47.5437 s @ 4.23191 MiB/s | 50.9748 s | 6.95322 MiB |
| Linux (x86_64, 5.6.13) Threaded | 133.321 us | 17.157 us | 2.1227 s @ 94.2261 MiB/s | 2.13348 s | 33.5141 MiB (virtual peaked at 8 GB) |
| Linux (x86_64, 5.6.13) poll()-based | 17.157 us | 8.61118 us | 2.37334 s @ 88.4764 MiB/s | 2.79207 s | 306.113 MiB |

Over QEMU user networking (guest downloads from the host):

| Setup | Socket creation time | Job setup time | Download | Run time | Average memory consumption |
|---|---|---|---|---|---|
| Haiku (x86_64) Threaded | 6.69758 us | 151.929 us | 184.726 s @ 1.11372 MiB/s | 185.003 s | 6.37533 MiB |
| Haiku (x86_64) poll()-based | 2.46532 us | 20.209 us | 122.542 s @ 1.75023 MiB/s | 124.668 s | 6.94922 MiB |
| Haiku (x86_gcc2h) Threaded | 34.1071 us | 196.191 us | 225.919 s @ 0.90875 MiB/s | 226.919 s | 6.02247 MiB |
| Haiku (x86_gcc2h) poll()-based | 19.3235 us | 19.3235 us | 159.893 s @ 1.34646 MiB/s | 159.4 s | 6.1331 MiB |
";

#[test]
fn reference_rows_reproduce_the_published_tables_exactly() {
    let output = compare(&["--reference"]);
    let got: Vec<&str> = output.lines().collect();
    // Every published line appears, in order, exactly as published; a table row only gains
    // "(published)" after its setup. Nothing between the two tables but notes.
    let mut at = 0;
    let mut rows = 0;
    for line in PUBLISHED.lines() {
        let expected = match line.strip_prefix("| ") {
            Some(cells) if !line.starts_with("| Setup") && !line.starts_with("|---") => {
                rows += 1;
                let (setup, rest) = cells.split_once(" | ").unwrap();
                format!("| {setup} (published) | {rest}")
            }
            _ => line.to_string(),
        };
        let found = got[at..]
            .iter()
            .position(|g| *g == expected)
            .unwrap_or_else(|| panic!("missing published line {expected:?} in\n{output}"));
        at += found + 1;
    }
    assert_eq!(rows, 10);

    // Cell by cell, so a difference names the cell: every published cell, verbatim, memory
    // remark included ("33.5141 MiB (virtual peaked at 8 GB)", inline as published).
    let published = markdown_rows(PUBLISHED);
    let printed = markdown_rows(&output);
    assert_eq!(
        printed.len(),
        published.len(),
        "no measured rows:\n{output}"
    );
    for (want, have) in published.iter().zip(&printed) {
        assert_eq!(have[0], format!("{} (published)", want[0]));
        for (column, (w, h)) in want.iter().zip(have).enumerate().skip(1) {
            assert_eq!(h, w, "{} column {column}", want[0]);
        }
    }
    assert!(output.contains("| 33.5141 MiB (virtual peaked at 8 GB) |"));
    assert!(!output.contains("[1]"), "no footnote: {output}");
}

/// Splits the markdown tables into (setup, cells) per row.
fn markdown_rows(markdown: &str) -> Vec<Vec<String>> {
    markdown
        .lines()
        .filter(|l| l.starts_with("| ") && !l.starts_with("| Setup"))
        .map(|l| {
            l.trim_matches(|c| c == '|' || c == ' ')
                .split(" | ")
                .map(str::to_string)
                .collect()
        })
        .collect()
}

/// The number at the start of a markdown cell (`2.2005 us` → 2.2005), `None` for `—`.
fn leading_number(cell: &str) -> Option<f64> {
    cell.split_whitespace().next()?.parse().ok()
}

/// Whether `shown` is `full` rounded to 6 significant digits, as the markdown prints.
fn rounds_to(full: f64, shown: f64) -> bool {
    format!("{full:.5e}").parse::<f64>().unwrap() == format!("{shown:.5e}").parse::<f64>().unwrap()
}

/// For each markdown row: the numbers of its cells, in the CSV/JSON field order below.
fn markdown_numbers(row: &[String]) -> Vec<Option<f64>> {
    let download: Vec<&str> = row[3].split(" @ ").collect();
    let mut numbers = vec![
        leading_number(&row[1]),
        leading_number(&row[2]),
        leading_number(download[0]),
        download.get(1).and_then(|c| leading_number(c)),
        leading_number(&row[4]),
        leading_number(&row[5]),
    ];
    numbers.extend(row[6..14].iter().map(|c| leading_number(c)));
    numbers
}

const FIELDS: [&str; 14] = [
    "socket_creation_us",
    "job_setup_us",
    "receive_s",
    "job_mib_s",
    "run_time_s",
    "memory_mib",
    "transfer_p50_s",
    "transfer_p99_s",
    "aggregate_gib_s",
    "cpu_s_per_gib",
    "syscalls_per_mib",
    "context_switches",
    "peak_rss_mib",
    "run_time_cv_pct",
];

fn assert_same_numbers(markdown_row: &[String], values: &[Option<f64>], what: &str) {
    let shown = markdown_numbers(markdown_row);
    for ((field, shown), value) in FIELDS.iter().zip(&shown).zip(values) {
        match (shown, value) {
            (None, None) => {}
            (Some(shown), Some(value)) => assert!(
                rounds_to(*value, *shown),
                "{what} {field} of {:?}: {value} vs markdown {shown}",
                markdown_row[0]
            ),
            _ => panic!(
                "{what} {field} of {:?}: {value:?} vs markdown {shown:?}",
                markdown_row[0]
            ),
        }
    }
}

#[test]
fn csv_carries_the_markdown_numbers() {
    let mut args = vec!["--extended", "--reference"];
    args.extend(FOLDERS);
    let markdown = markdown_rows(&compare(&args));
    args.extend(["--format", "csv"]);
    let csv_text = compare(&args);
    let mut reader = csv::Reader::from_reader(csv_text.as_bytes());
    let header = reader.headers().unwrap().clone();
    let records: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(records.len(), markdown.len());
    let column = |name: &str| header.iter().position(|h| h == name).unwrap();
    for (record, row) in records.iter().zip(&markdown) {
        assert_eq!(&record[column("setup")], row[0]);
        // No float noise (`2.4083200000000002`): at most 15 significant digits.
        for field in FIELDS {
            let cell = &record[column(field)];
            let digits = cell
                .split(['e', 'E'])
                .next()
                .unwrap()
                .chars()
                .filter(char::is_ascii_digit)
                .collect::<String>();
            let significant = digits.trim_start_matches('0').trim_end_matches('0');
            assert!(significant.len() <= 15, "{field} of {}: {cell}", row[0]);
        }
        let values: Vec<Option<f64>> = FIELDS
            .iter()
            .map(|f| record[column(f)].parse().ok())
            .collect();
        assert_same_numbers(row, &values, "CSV");
        assert_eq!(record[column("runs")], row[18]);
    }
    // The same identity columns as the JSON, in the same order after `runs`.
    let names: Vec<&str> = header.iter().collect();
    let runs = column("runs");
    assert_eq!(
        names[runs..runs + 4],
        ["runs", "runs_averaged", "jobs_ok", "jobs_failed"]
    );
    args.retain(|a| *a != "csv");
    args.push("json");
    let json: serde_json::Value = serde_json::from_str(&compare(&args)).unwrap();
    let rows = json["tables"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|t| t["rows"].as_array().unwrap());
    for (record, row) in records.iter().zip(rows) {
        assert_eq!(
            record[column("runs_averaged")],
            row["runs_averaged"].to_string(),
            "{}",
            row["setup"]
        );
    }
}

#[test]
fn json_carries_the_markdown_numbers() {
    let mut args = vec!["--extended", "--reference"];
    args.extend(FOLDERS);
    let markdown = markdown_rows(&compare(&args));
    args.extend(["--format", "json"]);
    let json: serde_json::Value = serde_json::from_str(&compare(&args)).unwrap();
    let rows: Vec<&serde_json::Value> = json["tables"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|t| t["rows"].as_array().unwrap())
        .collect();
    assert_eq!(rows.len(), markdown.len());
    for (row, md) in rows.iter().zip(&markdown) {
        assert_eq!(row["setup"], md[0].as_str());
        let values: Vec<Option<f64>> = FIELDS
            .iter()
            .map(|f| {
                let value = if row["figures"].get(f).is_some() {
                    &row["figures"][f]
                } else {
                    &row["extended"][f]
                };
                value.as_f64()
            })
            .collect();
        assert_same_numbers(md, &values, "JSON");
    }
    // Without --extended the JSON carries the published columns only, as the markdown does.
    let mut args: Vec<&str> = FOLDERS.to_vec();
    args.extend(["--format", "json"]);
    let json: serde_json::Value = serde_json::from_str(&compare(&args)).unwrap();
    assert!(json["tables"][0]["rows"][0].get("extended").is_none());
    assert_eq!(json["tables"][0]["title"], "Over loopback (127.0.0.1):");
}

/// A copy of a fixture folder in `dir` under `name`, with `edit` applied to each file's text. Its
/// runs start at other times than the fixture's (by a shift that `name` sets), as runs measured
/// elsewhere would: the same runs twice would be refused as a copy.
fn copy_fixture(dir: &Path, from: &str, name: &str, edit: impl Fn(&str, String) -> String) {
    let to = dir.join(name);
    std::fs::create_dir_all(&to).unwrap();
    let shift: u64 = name.bytes().map(u64::from).sum::<u64>() * 1000;
    for entry in std::fs::read_dir(fixtures().join(from)).unwrap() {
        let entry = entry.unwrap();
        let file = entry.file_name().to_string_lossy().into_owned();
        let mut text = std::fs::read_to_string(entry.path()).unwrap();
        if file == "runs.csv" {
            text = shift_start_times(&text, shift);
        }
        std::fs::write(to.join(&file), edit(&file, text)).unwrap();
    }
}

/// runs.csv text with every `started_unix_s` later by `shift` seconds.
fn shift_start_times(text: &str, shift: u64) -> String {
    let header: Vec<&str> = text.lines().next().unwrap().split(',').collect();
    let column = header.iter().position(|c| *c == "started_unix_s").unwrap();
    let mut lines = vec![header.join(",")];
    for line in text.lines().skip(1) {
        let mut cells: Vec<String> = line.split(',').map(str::to_string).collect();
        let started: u64 = cells[column].parse().unwrap();
        cells[column] = (started + shift).to_string();
        lines.push(cells.join(","));
    }
    lines.join("\n") + "\n"
}

#[test]
fn rows_that_would_read_the_same_carry_what_differs() {
    let dir = TempDir::new("compare-collide");
    copy_fixture(dir.path(), "linux-loopback", "lighttpd", |_, t| t);
    copy_fixture(dir.path(), "linux-loopback", "builtin", |file, text| {
        if file == "runs.csv" {
            text.replace(",lighttpd/1.4.69,", ",bench-overhead/0.1.0,")
        } else {
            text
        }
    });
    let out = compare_in(dir.path(), &["lighttpd", "builtin"]);
    for label in [
        "| Linux (x86_64, 6.1.0-40-amd64) Threaded [lighttpd] | 2.2005 us |",
        "| Linux (x86_64, 6.1.0-40-amd64) poll()-based [lighttpd] |",
        "| Linux (x86_64, 6.1.0-40-amd64) Threaded [built-in server] | 2.2005 us |",
        "| Linux (x86_64, 6.1.0-40-amd64) poll()-based [built-in server] |",
    ] {
        assert!(out.contains(label), "{label} missing from\n{out}");
    }
    assert!(
        out.contains("Note: these rows were measured under different conditions (server lighttpd/1.4.69 / built-in bench-overhead/0.1.0);"),
        "{out}"
    );
    // A partial folder's rows keep the bracket, before their mark.
    copy_fixture(
        dir.path(),
        "linux-loopback",
        "builtin-partial",
        |file, text| match file {
            "runs.csv" => text.replace(",lighttpd/1.4.69,", ",bench-overhead/0.1.0,"),
            "meta.json" => text.replace("\"complete\"", "\"partial\""),
            _ => text,
        },
    );
    let out = compare_in(dir.path(), &["lighttpd", "builtin-partial"]);
    for label in [
        "| Linux (x86_64, 6.1.0-40-amd64) Threaded [lighttpd] | 2.2005 us |",
        "| Linux (x86_64, 6.1.0-40-amd64) Threaded [built-in server] (partial) | 2.2005 us |",
    ] {
        assert!(out.contains(label), "{label} missing from\n{out}");
    }
    // Charts say it too.
    let charts = dir.path().join("charts");
    compare_in(dir.path(), &["--chart", "charts", "lighttpd", "builtin"]);
    let svg = std::fs::read_to_string(charts.join("download-loopback.svg")).unwrap();
    assert!(svg.contains("Measured under different conditions: server lighttpd/1.4.69 / built-in bench-overhead/0.1.0; compare with care"));
    assert!(svg.contains("Linux (x86_64, 6.1.0-40-amd64) Threaded [built-in server]"));
}

#[test]
fn two_versions_of_one_server_beside_other_connections_keep_every_label_distinct() {
    let dir = TempDir::new("compare-versions");
    let with = |server: &'static str, connections: &'static str| {
        move |file: &str, text: String| {
            if file == "runs.csv" {
                text.replace(",blocking,8,", &format!(",blocking,{connections},"))
                    .replace(",epoll,8,", &format!(",epoll,{connections},"))
                    .replace(",lighttpd/1.4.69,", &format!(",{server},"))
            } else {
                text
            }
        }
    };
    copy_fixture(
        dir.path(),
        "linux-loopback",
        "a",
        with("lighttpd/1.4.59", "100"),
    );
    copy_fixture(
        dir.path(),
        "linux-loopback",
        "b",
        with("lighttpd/1.4.69", "100"),
    );
    copy_fixture(
        dir.path(),
        "linux-loopback",
        "c",
        with("lighttpd/1.4.69", "8"),
    );
    let out = compare_in(dir.path(), &["a", "b", "c"]);
    // b and c are also a sweep (8 and 100 connections): its table follows the comparison's.
    assert!(out.contains(
        "Scaling over loopback (127.0.0.1): Linux (x86_64, 6.1.0-40-amd64), lighttpd/1.4.69:"
    ));
    let out = out.split("\nScaling over").next().unwrap().to_string();
    let setups: Vec<String> = markdown_rows(&out)
        .into_iter()
        .map(|row| row[0].clone())
        .collect();
    assert_eq!(setups.len(), 6, "three setups, two variants each:\n{out}");
    let distinct: std::collections::BTreeSet<&String> = setups.iter().collect();
    assert_eq!(distinct.len(), setups.len(), "{setups:#?}");
    for label in [
        "Linux (x86_64, 6.1.0-40-amd64) Threaded [lighttpd/1.4.59, 100 connections]",
        "Linux (x86_64, 6.1.0-40-amd64) Threaded [lighttpd/1.4.69, 100 connections]",
        "Linux (x86_64, 6.1.0-40-amd64) Threaded [lighttpd/1.4.69, 8 connections]",
    ] {
        assert!(
            setups.iter().any(|s| s == label),
            "{label} missing from\n{out}"
        );
    }
}

/// Sets meta.json's machine and QEMU hardware (and a boot time, which must not split rows).
fn meta(
    host: &'static str,
    cpu: &'static str,
    nic: &'static str,
    boot_s: &'static str,
) -> impl Fn(&str, String) -> String {
    move |file: &str, text: String| {
        if file != "meta.json" {
            return text;
        }
        let mut meta: serde_json::Value = serde_json::from_str(&text).unwrap();
        meta["hostname"] = host.into();
        meta["cpu_model"] = cpu.into();
        meta["extra"] = serde_json::json!({
            "qemu_nic": nic, "qemu_vcpus": "2", "qemu_accel": "tcg", "qemu_boot_s": boot_s
        });
        meta.to_string()
    }
}

/// Sets meta.json's `extra` to the congestion control the suite records on Linux.
fn congestion_control(name: &'static str) -> impl Fn(&str, String) -> String {
    move |file: &str, text: String| {
        if file != "meta.json" {
            return text;
        }
        let mut meta: serde_json::Value = serde_json::from_str(&text).unwrap();
        meta["extra"] = serde_json::json!({ "tcp_congestion_control": name });
        meta.to_string()
    }
}

#[test]
fn runs_under_different_congestion_controls_are_never_merged() {
    let dir = TempDir::new("compare-congestion");
    copy_fixture(dir.path(), "qemu-partial", "a", congestion_control("bbr"));
    copy_fixture(dir.path(), "qemu-partial", "b", congestion_control("cubic"));
    let out = compare_in(dir.path(), &["--extended", "a", "b"]);
    let rows: Vec<&str> = out.lines().filter(|l| l.starts_with("| Linux")).collect();
    assert_eq!(rows.len(), 4, "two setups, two variants each:\n{out}");
    for label in [
        "| Linux (x86_64, 6.1.0-41-amd64) Threaded [TCP bbr] (partial) |",
        "| Linux (x86_64, 6.1.0-41-amd64) Threaded [TCP cubic] (partial) |",
    ] {
        assert!(out.contains(label), "{label} missing from\n{out}");
    }
    assert!(out.contains("TCP congestion control bbr / cubic"), "{out}");
    // The same congestion control twice is one setup.
    copy_fixture(dir.path(), "qemu-partial", "c", congestion_control("bbr"));
    let out = compare_in(dir.path(), &["--extended", "a", "c"]);
    let rows = out.lines().filter(|l| l.starts_with("| Linux")).count();
    assert_eq!(rows, 2, "one setup, two variants:\n{out}");
}

#[test]
fn other_machines_and_qemu_hardware_are_never_merged() {
    let dir = TempDir::new("compare-machines");
    copy_fixture(
        dir.path(),
        "qemu-partial",
        "a",
        meta("box-a", "AMD EPYC 7B13", "virtio-net", "3.4"),
    );
    copy_fixture(
        dir.path(),
        "qemu-partial",
        "b",
        meta("box-a", "AMD EPYC 7B13", "e1000", "3.4"),
    );
    copy_fixture(
        dir.path(),
        "qemu-partial",
        "c",
        meta("box-c", "Intel Xeon", "e1000", "3.4"),
    );
    let out = compare_in(dir.path(), &["--extended", "a", "b", "c"]);
    let rows: Vec<&str> = out.lines().filter(|l| l.starts_with("| Linux")).collect();
    assert_eq!(rows.len(), 6, "three setups, two variants each:\n{out}");
    for label in [
        "| Linux (x86_64, 6.1.0-41-amd64) Threaded [virtio-net, host box-a, AMD EPYC 7B13] (partial) |",
        "| Linux (x86_64, 6.1.0-41-amd64) Threaded [e1000, host box-a, AMD EPYC 7B13] (partial) |",
        "| Linux (x86_64, 6.1.0-41-amd64) Threaded [e1000, host box-c, Intel Xeon] (partial) |",
    ] {
        assert!(out.contains(label), "{label} missing from\n{out}");
    }
    assert!(
        out.contains(
            "(machine box-a / box-c; CPU AMD EPYC 7B13 / Intel Xeon; NIC virtio-net / e1000)"
        ),
        "{out}"
    );
    assert!(out.contains("| Machine | CPU | NIC |"), "{out}");
    // The same machine and hardware twice is one setup (the boot time does not split it).
    copy_fixture(
        dir.path(),
        "qemu-partial",
        "d",
        meta("box-a1", "AMD EPYC 7B13", "virtio-net", "3.4"),
    );
    copy_fixture(dir.path(), "qemu-partial", "e", |file, text| {
        meta("box-a1", "AMD EPYC 7B13", "virtio-net", "6.2")(
            file,
            text.replace("qemu-t1", "qemu-t2")
                .replace("qemu-p1", "qemu-p2"),
        )
    });
    let out = compare_in(dir.path(), &["--extended", "d", "e"]);
    let rows: Vec<&str> = out.lines().filter(|l| l.starts_with("| Linux")).collect();
    assert_eq!(rows.len(), 2, "{out}");
    assert!(
        rows[0].ends_with("| 2 |"),
        "two runs in one row: {}",
        rows[0]
    );
    assert!(!out.contains("different conditions"), "{out}");
}

/// linux-loopback with every poll job failed (0 succeeded, 8 failed per run); with `unmeasured`,
/// the poll runs also lack their context switches.
fn all_poll_jobs_failed(unmeasured: bool) -> impl Fn(&str, String) -> String {
    move |file: &str, text: String| {
        if file != "runs.csv" {
            return text;
        }
        let header: Vec<&str> = text.lines().next().unwrap().split(',').collect();
        let at = |name: &str| header.iter().position(|c| *c == name).unwrap();
        let mut lines = vec![header.join(",")];
        for line in text.lines().skip(1) {
            let mut cells: Vec<&str> = line.split(',').collect();
            if cells[at("variant")] == "poll" {
                cells[at("jobs_ok")] = "0";
                cells[at("jobs_failed")] = "8";
                if unmeasured {
                    cells[at("ctx_voluntary")] = "";
                }
            }
            lines.push(cells.join(","));
        }
        lines.join("\n") + "\n"
    }
}

#[test]
fn a_setup_without_a_successful_job_says_so_rather_than_not_measured() {
    let dir = TempDir::new("compare-no-success");
    copy_fixture(
        dir.path(),
        "linux-loopback",
        "refused",
        all_poll_jobs_failed(false),
    );
    for extended in [false, true] {
        let args: &[&str] = if extended {
            &["--extended", "refused"]
        } else {
            &["refused"]
        };
        let out = compare_in(dir.path(), args);
        let poll = out
            .lines()
            .find(|l| l.starts_with("| Linux (x86_64, 6.1.0-40-amd64) poll()-based |"))
            .unwrap_or_else(|| panic!("{out}"));
        assert!(poll.contains("| — | — | — |"), "{poll}");
        assert!(
            out.contains(
                "Linux (x86_64, 6.1.0-40-amd64) poll()-based: all 16 jobs failed: with no \
                 successful job, the per-job figures (—) have nothing to average; no run had \
                 every job succeed: run time"
            ),
            "{out}"
        );
        assert!(!out.contains("not measured"), "{out}");
    }
    // A figure missing from the input is still said to be not measured.
    copy_fixture(
        dir.path(),
        "linux-loopback",
        "unmeasured",
        all_poll_jobs_failed(true),
    );
    let out = compare_in(dir.path(), &["--extended", "unmeasured"]);
    assert!(out.contains("—: not measured in these results."), "{out}");
}

/// The rows of `compare --format json --extended ARGS…`, each as (setup, extended figures).
fn extended_json_rows(dir: &Path, args: &[&str]) -> Vec<(String, serde_json::Value)> {
    let mut all = vec!["--format", "json", "--extended"];
    all.extend(args);
    let json: serde_json::Value = serde_json::from_str(&compare_in(dir, &all)).unwrap();
    json["tables"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|t| t["rows"].as_array().unwrap().clone())
        .map(|r| {
            (
                r["setup"].as_str().unwrap().to_string(),
                r["extended"].clone(),
            )
        })
        .collect()
}

#[test]
fn percentiles_pool_every_job_of_every_run_rather_than_average_the_runs() {
    // failed-jobs, threaded: runs of 4 jobs at 10-13 ms, 2 jobs at 30-31 ms (2 failed) and 4 at
    // 10.5-13.5 ms. The runs' own medians are 11, 30 and 11.5 ms (their mean 17.5 ms) and their
    // p99s 13, 31 and 13.5 ms (mean 19.2 ms); over the 10 jobs pooled, the median is 12 ms and the
    // p99 31 ms.
    let rows = extended_json_rows(&fixtures(), &["failed-jobs"]);
    let (_, threaded) = rows.iter().find(|(s, _)| s.contains("Threaded")).unwrap();
    let near = |value: &serde_json::Value, want: f64| {
        let got = value.as_f64().unwrap();
        assert!((got - want).abs() <= want * 1e-3, "{got} s, not {want} s");
    };
    near(&threaded["transfer_p50_s"], 0.012);
    near(&threaded["transfer_p99_s"], 0.031);

    // Without jobs.csv, the percentiles of several runs are not known: `—`, not their average.
    let dir = TempDir::new("compare-no-jobs");
    copy_fixture(dir.path(), "failed-jobs", "bare", |_, text| text);
    std::fs::remove_file(dir.path().join("bare/jobs.csv")).unwrap();
    let rows = extended_json_rows(dir.path(), &["bare"]);
    let (_, threaded) = rows.iter().find(|(s, _)| s.contains("Threaded")).unwrap();
    assert!(threaded["transfer_p50_s"].is_null(), "{threaded}");
    assert!(threaded["transfer_p99_s"].is_null(), "{threaded}");
    // A single run's own percentile is the pooled one.
    let rows = extended_json_rows(&fixtures(), &["qemu-partial"]);
    let (_, threaded) = rows.iter().find(|(s, _)| s.contains("Threaded")).unwrap();
    near(&threaded["transfer_p50_s"], 0.88);
}
