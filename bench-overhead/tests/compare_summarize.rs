//! `compare` and `summarize` print the same figures for the same results folder: a folder in which
//! some runs had failed jobs (one run with half its jobs reset, one with every connection refused)
//! is where their averages would part if each defined its own.

mod support;

use std::path::PathBuf;
use std::process::Command;

use serde_json::Value;

const MIB: f64 = 1048576.0;

fn folder() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/compare/failed-jobs")
}

fn run(args: &[&str]) -> String {
    let output = Command::new(support::bin())
        .args(args)
        .arg(folder())
        .output()
        .expect("run bench-overhead");
    assert!(
        output.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("UTF-8 output")
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-12 * a.abs().max(b.abs())
}

fn number(value: &Value) -> f64 {
    value
        .as_f64()
        .unwrap_or_else(|| panic!("{value} is not a number"))
}

#[test]
fn a_folder_with_failed_jobs_gives_the_same_figures_in_compare_and_summarize() {
    let compared: Value =
        serde_json::from_str(&run(&["compare", "--extended", "--format", "json"])).unwrap();
    let summary: Value = serde_json::from_str(&run(&["summarize", "--json"])).unwrap();
    let rows = compared["tables"][0]["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 2);
    for row in rows {
        let variant = row["variant"].as_str().unwrap();
        let s = summary["variants"]
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["variant"] == variant)
            .unwrap();
        let f = &row["figures"];
        let pairs = [
            (
                "socket",
                number(&f["socket_creation_us"]) * 1e3,
                &s["socket_ns"]["value"],
            ),
            (
                "setup",
                number(&f["job_setup_us"]) * 1e3,
                &s["setup_ns"]["value"],
            ),
            (
                "receive",
                number(&f["receive_s"]) * 1e9,
                &s["receive_ns"]["value"],
            ),
            (
                "per-job speed",
                number(&f["job_mib_s"]),
                &s["job_mib_s"]["value"],
            ),
            (
                "run time",
                number(&f["run_time_s"]) * 1e9,
                &s["run_ns"]["value"],
            ),
            (
                "memory",
                number(&f["memory_mib"]) * MIB,
                &s["memory_avg_bytes"]["value"],
            ),
            (
                "aggregate",
                number(&row["extended"]["aggregate_gib_s"]) * 1024.0,
                &s["aggregate_mib_s"]["value"],
            ),
        ];
        for (name, compare, summarize) in pairs {
            let summarize = number(summarize);
            assert!(
                close(compare, summarize),
                "{variant} {name}: compare {compare}, summarize {summarize}"
            );
        }
        assert_eq!(row["runs"], 3);
        assert_eq!(row["runs_averaged"], 2);
    }
    // The CSV says it too.
    let csv_text = run(&["compare", "--format", "csv"]);
    let mut reader = csv::Reader::from_reader(csv_text.as_bytes());
    let header = reader.headers().unwrap().clone();
    let at = |name: &str| header.iter().position(|h| h == name).unwrap();
    for record in reader.records().map(Result::unwrap) {
        assert_eq!(
            (&record[at("runs")], &record[at("runs_averaged")]),
            ("3", "2")
        );
    }

    // The figures are the shared definitions, not plain means of the per-run means: threaded-2
    // (2 jobs of 4 succeeded) weighs half as much in the job figures and nothing in the run time.
    let threaded = &rows[0];
    assert_eq!(threaded["variant"], "threaded");
    // Per-job socket means of the runs: 2300 (4 jobs), 5200 (2 jobs), 2400 (4 jobs).
    let pooled = (2300.0 * 4.0 + 5200.0 * 2.0 + 2400.0 * 4.0) / 10.0;
    let plain = (2300.0 + 5200.0 + 2400.0) / 3.0;
    let socket_ns = number(&threaded["figures"]["socket_creation_us"]) * 1e3;
    assert!(
        close(socket_ns, pooled) && !close(socket_ns, plain),
        "{socket_ns}"
    );
    // Run times 16, 40 and 16.5 ms: the failed run is left out.
    assert!(close(number(&threaded["figures"]["run_time_s"]), 0.01625));

    // The same note in both, naming the per-run figures each prints.
    let over = "are over the 2 of 3 runs in which every job succeeded";
    let failed =
        "Threaded: 2 of 12 jobs failed; the per-job figures cover the successful jobs only";
    let markdown = run(&["compare"]);
    assert!(
        markdown.contains(&format!("{failed}; run time and memory {over}.")),
        "{markdown}"
    );
    let extended = run(&["compare", "--extended"]);
    assert!(
        extended.contains(&format!(
            "{failed}; run time, memory, aggregate speed, CPU per GiB, syscalls per MiB, context \
             switches, peak RSS, run time CV, server CPU and memory, socket memory and retransmits \
             {over}."
        )),
        "{extended}"
    );
    let text = run(&["summarize"]);
    let note = format!("run time, aggregate speed and memory {over}");
    assert!(text.contains(&format!("note: threaded: {note}")), "{text}");
    assert!(text.contains(&format!("note: poll: {note}")), "{text}");
}

/// Runs `bench-overhead ARGS… PATH`, expects it to fail, and returns its one stderr line.
fn refused(args: &[&str], path: &std::path::Path) -> String {
    let output = support::run_with_timeout(
        Command::new(support::bin()).args(args).arg(path),
        std::time::Duration::from_secs(30),
    );
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(output.status.code(), Some(1), "{args:?}: {stderr}");
    assert_eq!(
        stderr.lines().count(),
        1,
        "{args:?}: one line expected: {stderr}"
    );
    assert!(
        output.stdout.is_empty(),
        "{args:?}: nothing printed on failure"
    );
    stderr.trim_end().to_string()
}

#[test]
fn a_value_out_of_range_is_refused_by_both_in_the_same_words() {
    let dir = support::TempDir::new("summarize-inf");
    let results = dir.path().join("results");
    std::fs::create_dir_all(&results).unwrap();
    for file in ["runs.csv", "jobs.csv", "meta.json"] {
        std::fs::copy(folder().join(file), results.join(file)).unwrap();
    }
    let text = std::fs::read_to_string(folder().join("runs.csv")).unwrap();
    let header: Vec<&str> = text.lines().next().unwrap().split(',').collect();
    let column = header.iter().position(|c| *c == "job_mib_s").unwrap();
    for (value, reason) in [
        ("inf", "`inf` is not a finite number of at least 0"),
        ("NaN", "`NaN` is not a finite number of at least 0"),
        ("-1", "`-1` is not a finite number of at least 0"),
    ] {
        let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
        let mut cells: Vec<&str> = lines[2].split(',').collect();
        cells[column] = value;
        lines[2] = cells.join(",");
        std::fs::write(results.join("runs.csv"), lines.join("\n") + "\n").unwrap();
        let expected = format!(
            "bench-overhead: {}: line 3, column `job_mib_s`: {reason}",
            results.join("runs.csv").display()
        );
        assert_eq!(refused(&["summarize"], &results), expected);
        assert_eq!(refused(&["compare"], &results), expected);
    }
}

/// A copy of the failed-jobs folder in `dir` under `name`, with `edit` applied to its runs.csv.
fn copy_folder(dir: &std::path::Path, name: &str, edit: impl Fn(String) -> String) -> PathBuf {
    let results = dir.join(name);
    std::fs::create_dir_all(&results).unwrap();
    for file in ["jobs.csv", "meta.json", "memory.csv"] {
        std::fs::copy(folder().join(file), results.join(file)).unwrap();
    }
    let text = std::fs::read_to_string(folder().join("runs.csv")).unwrap();
    std::fs::write(results.join("runs.csv"), edit(text)).unwrap();
    results
}

#[test]
fn an_empty_runs_csv_and_a_meta_json_that_is_no_object_are_refused_by_both_alike() {
    let dir = support::TempDir::new("summarize-empty");
    let results = copy_folder(dir.path(), "empty", |_| String::new());
    let expected = format!(
        "bench-overhead: {}: empty file, no header row: expected the runs.csv columns of results/README.md",
        results.join("runs.csv").display()
    );
    assert_eq!(refused(&["summarize"], &results), expected);
    assert_eq!(refused(&["compare"], &results), expected);

    let results = copy_folder(dir.path(), "array", |text| text);
    std::fs::write(results.join("meta.json"), "[]\n").unwrap();
    let expected = format!(
        "bench-overhead: {}: not valid meta.json: expected a JSON object ({{\"status\": …}}), found an array",
        results.join("meta.json").display()
    );
    assert_eq!(refused(&["summarize"], &results), expected);
    assert_eq!(refused(&["compare"], &results), expected);
}

#[test]
fn values_whose_sum_overflows_are_refused_by_both() {
    let dir = support::TempDir::new("summarize-overflow");
    // Every run's aggregate speed 1e308: each is finite, their sum is not.
    let results = copy_folder(dir.path(), "huge", |text| {
        let header: Vec<&str> = text.lines().next().unwrap().split(',').collect();
        let column = header.iter().position(|c| *c == "aggregate_mib_s").unwrap();
        let mut lines = vec![header.join(",")];
        for line in text.lines().skip(1) {
            let mut cells: Vec<&str> = line.split(',').collect();
            cells[column] = "1e308";
            lines.push(cells.join(","));
        }
        lines.join("\n") + "\n"
    });
    for command in ["summarize", "compare"] {
        let line = refused(&[command], &results);
        assert!(
            line.contains("aggregate speed of")
                && line.contains(
                    "over its runs is not a finite number: a value in runs.csv is out of range"
                ),
            "{command}: {line}"
        );
    }
    // One such run alone is a number, and both print it as one.
    let results = copy_folder(dir.path(), "one-huge", |text| {
        let lines: Vec<&str> = text.lines().collect();
        let header: Vec<&str> = lines[0].split(',').collect();
        let column = header.iter().position(|c| *c == "aggregate_mib_s").unwrap();
        let mut cells: Vec<&str> = lines[1].split(',').collect();
        cells[column] = "1e308";
        format!("{}\n{}\n", lines[0], cells.join(","))
    });
    for command in ["summarize", "compare"] {
        let output = Command::new(support::bin())
            .args([command, results.to_str().unwrap()])
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(output.status.success(), "{command}: {stdout}");
        for bad in ["inf", "NaN"] {
            assert!(!stdout.contains(bad), "{command} printed {bad}: {stdout}");
        }
    }
}

#[test]
fn the_same_runs_twice_are_refused_not_counted_twice() {
    let dir = support::TempDir::new("compare-copy");
    let a = copy_folder(dir.path(), "a", |text| text);
    let copy = copy_folder(dir.path(), "copy-of-a", |text| text);
    let output = support::run_with_timeout(
        Command::new(support::bin()).args(["compare", a.to_str().unwrap(), copy.to_str().unwrap()]),
        std::time::Duration::from_secs(30),
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert_eq!(
        stderr.trim_end(),
        format!(
            "bench-overhead: {} and {} both hold run threaded-1 (same run id and start time): one is a copy of the other's runs; name each results folder once",
            a.display(),
            copy.display()
        )
    );
    // Runs of one id at other times are other runs (another machine's `threaded-1`).
    let later = copy_folder(dir.path(), "later", |text| text.replace(",1764", ",1765"));
    let output = Command::new(support::bin())
        .args(["compare", a.to_str().unwrap(), later.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );

    // A row pasted twice into one runs.csv: both commands refuse it alike.
    let twice = copy_folder(dir.path(), "twice", |text| {
        let second = text.lines().nth(1).unwrap().to_string();
        format!("{text}{second}\n")
    });
    let expected = format!(
        "bench-overhead: {}: run threaded-1 appears twice (same run id and start time): remove the repeated row",
        twice.join("runs.csv").display()
    );
    assert_eq!(refused(&["summarize"], &twice), expected);
    assert_eq!(refused(&["compare"], &twice), expected);
}
