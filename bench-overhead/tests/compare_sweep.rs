//! The scaling sweep in `compare` and `summarize`: a results folder of real short runs at 1, 4 and
//! 16 connections against lighttpd (tests/fixtures/compare/sweep-loopback, three bench-overhead.sh
//! runs merged) gives one table per network path with a row per connection count and the models'
//! figures side by side, memory per connection as the slope between steps, and one chart per
//! measure on a logarithmic connection axis.

mod support;

use std::path::PathBuf;
use std::process::Command;

use support::TempDir;

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/compare")
}

fn run(args: &[&str]) -> String {
    let output = Command::new(support::bin())
        .args(args)
        .current_dir(fixtures())
        .output()
        .expect("run bench-overhead");
    assert!(
        output.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

/// The lines of the scaling table in `out`: its title, header, rule and rows.
fn sweep_table(out: &str) -> Vec<String> {
    let lines: Vec<&str> = out.lines().collect();
    let start = lines
        .iter()
        .position(|l| l.starts_with("Scaling over loopback (127.0.0.1): Linux (x86_64, "))
        .unwrap_or_else(|| panic!("no scaling table in\n{out}"));
    let mut table = vec![lines[start].to_string()];
    table.extend(
        lines[start + 1..]
            .iter()
            .skip_while(|l| l.is_empty())
            .take_while(|l| l.starts_with('|'))
            .map(|l| l.to_string()),
    );
    table
}

fn cells(line: &str) -> Vec<String> {
    line.trim_matches('|')
        .split('|')
        .map(|c| c.trim().to_string())
        .collect()
}

fn number(cell: &str) -> f64 {
    cell.split(' ')
        .next()
        .unwrap()
        .parse()
        .unwrap_or_else(|_| panic!("{cell}"))
}

#[test]
fn a_sweep_folder_gets_a_scaling_table_with_memory_per_connection_as_the_slope() {
    let out = run(&["compare", "sweep-loopback"]);
    let table = sweep_table(&out);
    assert!(
        table[0].ends_with(", lighttpd/1.4.69, host vm:"),
        "{}",
        table[0]
    );
    let header = cells(&table[1]);
    let models = ["Threaded", "poll()-based (epoll)", "io_uring"];
    let mut expected = vec!["Connections".to_string()];
    for model in models {
        for measure in [
            "MiB/s",
            "CPU s/GiB",
            "syscalls/MiB",
            "memory",
            "per connection",
            "p99 connect",
            "p99 TTFB",
        ] {
            expected.push(format!("{model} {measure}"));
        }
    }
    assert_eq!(header, expected);
    let rows: Vec<Vec<String>> = table[3..].iter().map(|l| cells(l)).collect();
    let counts: Vec<&str> = rows.iter().map(|r| r[0].as_str()).collect();
    assert_eq!(counts, ["1", "4", "16"]);
    for model in 0..models.len() {
        let memory = |row: &Vec<String>| number(&row[1 + model * 7 + 3]);
        let slope = |row: &Vec<String>| row[1 + model * 7 + 4].clone();
        // No slope at the first step; then (memory - memory before) / (connections added).
        assert_eq!(slope(&rows[0]), "—");
        for i in 1..rows.len() {
            let added = number(&rows[i][0]) - number(&rows[i - 1][0]);
            let want = (memory(&rows[i]) - memory(&rows[i - 1])) * 1024.0 / added;
            let got = number(&slope(&rows[i]));
            assert!(
                (got - want).abs() <= want.abs() * 1e-4 + 0.01,
                "{}: {got} KiB per connection, the memory column says {want}",
                models[model]
            );
            assert!(slope(&rows[i]).ends_with(" KiB"));
        }
        for row in &rows {
            // Every step measured its throughput, CPU, syscalls and pooled p99s.
            for measure in [0, 1, 2, 5, 6] {
                let cell = &row[1 + model * 7 + measure];
                assert!(number(cell) > 0.0, "{}: {cell}", models[model]);
            }
        }
    }
    // The published rows have no sweep, and say so.
    let with_reference = run(&["compare", "--reference", "sweep-loopback"]);
    assert_eq!(sweep_table(&with_reference), table);
    assert!(with_reference.contains(
        "(published): the published rows measured 100 connections only: they have no sweep."
    ));
    assert!(!out.contains("have no sweep"));

    // JSON carries the same steps.
    let json: serde_json::Value =
        serde_json::from_str(&run(&["compare", "--format", "json", "sweep-loopback"])).unwrap();
    let steps = json["sweeps"][0]["steps"].as_array().unwrap();
    assert_eq!(steps.len(), 3);
    assert_eq!(json["sweeps"][0]["models"], serde_json::json!(models));
    assert!(steps[0]["points"][0]["memory_per_connection_kib"].is_null());
    assert!(steps[2]["points"][2]["connect_p99_ms"].as_f64().unwrap() > 0.0);

    // A folder at one connection count has none.
    assert!(!run(&["compare", "linux-loopback"]).contains("Scaling over"));
}

#[test]
fn summarize_shows_the_same_sweep_and_each_step_apart() {
    let compared = sweep_table(&run(&["compare", "sweep-loopback"]));
    let text = run(&["summarize", "sweep-loopback"]);
    assert_eq!(sweep_table(&text), compared);
    // Each connection count of each variant is summarized apart, never averaged together.
    for heading in [
        "threaded (blocking), 1 connection, server lighttpd/1.4.69",
        "threaded (blocking), 4 connections, server lighttpd/1.4.69",
        "threaded (blocking), 16 connections, server lighttpd/1.4.69",
        "poll (epoll), 16 connections, server lighttpd/1.4.69",
    ] {
        assert!(text.contains(heading), "{heading} missing from\n{text}");
    }
    let dir = TempDir::new("summarize-sweep");
    let markdown = dir.path().join("summary.md");
    run(&[
        "summarize",
        "sweep-loopback",
        "--markdown",
        markdown.to_str().unwrap(),
    ]);
    let markdown = std::fs::read_to_string(markdown).unwrap();
    assert_eq!(sweep_table(&markdown), compared);
}

#[test]
fn a_sweep_has_one_chart_per_measure_on_a_log_connection_axis() {
    let dir = TempDir::new("compare-sweep-charts");
    let charts = dir.path().join("charts");
    run(&[
        "compare",
        "--chart",
        charts.to_str().unwrap(),
        "sweep-loopback",
    ]);
    for (measure, axis) in [
        ("throughput", "Aggregate throughput (MiB/s"),
        ("cpu", "Client CPU (user + system) per GiB (s)"),
        (
            "memory-per-connection",
            "Client memory per connection, slope from the step before (KiB)",
        ),
        ("connect-p99", "p99 connect time, pooled over the jobs (ms)"),
    ] {
        let path = charts.join(format!("scaling-{measure}-loopback.svg"));
        let svg = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{measure}: {e}"));
        assert!(
            svg.contains("Concurrent connections (logarithmic)"),
            "{measure}"
        );
        assert!(svg.contains(axis), "{measure}");
        for model in ["Threaded", "poll()-based (epoll)", "io_uring"] {
            assert!(
                svg.contains(&format!(">\n{model}\n</text>")),
                "{measure}: legend {model}"
            );
        }
        // One line per model, a dot per step (the memory slope has none at the first step).
        let dots = if measure == "memory-per-connection" {
            6
        } else {
            9
        };
        assert_eq!(svg.matches("<circle").count(), dots, "{measure}");
        for colour in ["#1F77B4", "#E66E00", "#2CA02C"] {
            let line = format!("<polyline fill=\"none\" opacity=\"1\" stroke=\"{colour}\"");
            assert_eq!(
                svg.matches(&line).count(),
                1,
                "{measure}: one {colour} line"
            );
        }
        assert!(!svg.contains("NaN") && !svg.contains("inf"));
        support::assert_renders(&path);
    }
}
