//! `bench-overhead compare --chart DIR`: the SVG charts are written, are well-formed SVG, and carry
//! the titles, axis units and legends a reader needs.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use support::TempDir;

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/compare")
}

fn read(dir: &Path, name: &str) -> String {
    std::fs::read_to_string(dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// Structural checks without an XML crate: one `<svg>` root, balanced `<text>` elements, no NaN.
fn assert_svg(name: &str, svg: &str) {
    assert!(
        svg.trim_start().starts_with("<svg"),
        "{name} does not start with <svg"
    );
    assert!(
        svg.trim_end().ends_with("</svg>"),
        "{name} does not end with </svg>"
    );
    assert_eq!(svg.matches("<svg").count(), 1, "{name}: one root");
    assert_eq!(
        svg.matches("<text").count(),
        svg.matches("</text>").count(),
        "{name}: balanced text elements"
    );
    assert!(
        !svg.contains("NaN") && !svg.contains("inf"),
        "{name}: no NaN/inf coordinates"
    );
}

/// Whether the SVG has a text element reading exactly `text` (plotters puts it on its own line).
fn has_text(svg: &str, text: &str) -> bool {
    svg.contains(&format!(">\n{text}\n</text>"))
}

/// Renders with rsvg-convert: a real SVG parser must accept the file. Without rsvg-convert
/// (Debian: librsvg2-bin) the check is skipped through [`support::skip`].
fn assert_renders(path: &Path) {
    let png = path.with_extension("png");
    let Ok(output) = Command::new("rsvg-convert")
        .arg(path)
        .arg("-o")
        .arg(&png)
        .output()
    else {
        support::skip(&format!(
            "rsvg-convert is not installed (apt-get install librsvg2-bin): cannot check that {} renders",
            path.display()
        ));
        return;
    };
    assert!(
        output.status.success(),
        "{} does not render: {}",
        path.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    let _ = std::fs::remove_file(png);
}

/// Runs `compare --chart DIR ARGS…` from `cwd`; returns its stdout, its stderr and the chart
/// file names, sorted.
fn compare_charts(dir: &Path, args: &[&str], cwd: &Path) -> (String, String, Vec<String>) {
    let output = Command::new(support::bin())
        .arg("compare")
        .arg("--chart")
        .arg(dir)
        .args(args)
        .current_dir(cwd)
        .output()
        .expect("run compare --chart");
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(output.status.success(), "{stderr}");
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    (stdout, stderr, names)
}

/// `points="x1,y1 x2,y2 "` of every two-point polyline (plotters draws axes and ticks so).
fn segments(svg: &str) -> Vec<[i32; 4]> {
    svg.split("points=\"")
        .skip(1)
        .filter_map(|rest| {
            let points: Vec<i32> = rest
                .split('"')
                .next()?
                .split([' ', ','])
                .filter(|p| !p.is_empty())
                .map(|p| p.parse().ok())
                .collect::<Option<_>>()?;
            <[i32; 4]>::try_from(points).ok()
        })
        .collect()
}

/// `(y, height)` of each `<rect>` filled with `colour`.
fn bars(svg: &str, colour: &str) -> Vec<(i32, i32)> {
    let attribute = |tag: &str, name: &str| -> i32 {
        tag.split(&format!(" {name}=\""))
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .and_then(|v| v.parse().ok())
            .unwrap()
    };
    svg.split("<rect")
        .skip(1)
        .filter(|tag| tag.contains(&format!("fill=\"{colour}\"")))
        .map(|tag| (attribute(tag, "y"), attribute(tag, "height")))
        .collect()
}

#[test]
fn charts_are_written_with_titles_axes_and_legends() {
    let dir = TempDir::new("compare-charts");
    let charts = dir.path().join("charts");
    let (stdout, stderr, names) = compare_charts(
        &charts,
        &[
            "--reference",
            "linux-loopback",
            "haiku-loopback",
            "qemu-partial",
        ],
        &fixtures(),
    );
    // Tables still go to stdout; the charts are announced on stderr.
    assert!(stdout.starts_with("Over loopback (127.0.0.1):"));
    assert!(stderr.contains("wrote 11 chart(s)"));
    assert_eq!(
        names,
        [
            "aggregate-loopback.svg",
            "aggregate-qemu-user-net.svg",
            "download-loopback.svg",
            "download-qemu-user-net.svg",
            "memory-loopback.svg",
            "memory-over-time-haiku-loopback.svg",
            "memory-over-time-linux-loopback.svg",
            "memory-over-time-qemu-partial.svg",
            "memory-qemu-user-net.svg",
            "run-time-loopback.svg",
            "run-time-qemu-user-net.svg",
        ]
    );
    for name in &names {
        assert_svg(name, &read(&charts, name));
        assert_renders(&charts.join(name));
    }

    // Aggregate throughput and run time: what the run achieved, beside the per-job speed.
    let aggregate = read(&charts, "aggregate-loopback.svg");
    assert!(aggregate.contains("Aggregate throughput, over loopback (127.0.0.1)"));
    assert!(
        aggregate.contains("all jobs&apos; bytes / run time")
            || aggregate.contains("all jobs' bytes / run time")
    );
    // 0.772803 GiB/s of the table, in MiB/s; the published rows have no aggregate.
    assert!(aggregate.contains("791.35 MiB/s"), "{aggregate}");
    assert!(aggregate.contains("no data"));
    let run_time = read(&charts, "run-time-loopback.svg");
    assert!(run_time.contains("Run time, over loopback (127.0.0.1)"));
    assert!(run_time.contains("0.053 s") && run_time.contains("42.043 s"));

    let download = read(&charts, "download-loopback.svg");
    // Per-job speed named for what it is: threads start staggered, so it is not a throughput.
    assert!(download.contains("Per-job MiB/s (jobs start staggered), over loopback (127.0.0.1)"));
    // The published rows were measured with other settings: the chart says so, as the table does.
    assert!(download.contains(
        "Measured under different conditions: connections 100 / 8; payload 200 MiB / 5 MiB; compare with care"
    ));
    assert!(
        download.contains("Mean per-job MiB/s (a job&apos;s bytes")
            || download.contains("Mean per-job MiB/s (a job's bytes")
    );
    assert!(download.contains("Linux (x86_64, 6.1.0-40-amd64) Threaded"));
    assert!(download.contains("Haiku (x86_64, hrev54280, KDEBUG_LEVEL 0) poll()-based (published)"));
    assert!(download.contains("119.9 MiB/s"), "the bar's value");
    for legend in [
        "Threaded",
        "poll()-based",
        "Threaded (published)",
        "poll()-based (published)",
    ] {
        assert!(has_text(&download, legend), "legend {legend}");
    }

    let memory = read(&charts, "memory-qemu-user-net.svg");
    assert!(memory.contains("Average client memory, over QEMU user networking"));
    assert!(memory.contains("(MiB; anonymous PSS, else RSS)"));
    assert!(memory.contains("40 MiB"));

    let over_time = read(&charts, "memory-over-time-linux-loopback.svg");
    // Each chart names its folder, connection count and payload, then the machine and path.
    assert!(
        over_time.contains("Client memory over time: linux-loopback, 8 connections, 5 MiB payload")
    );
    assert!(over_time.contains("Linux (x86_64, 6.1.0-40-amd64), loopback"));
    assert!(over_time.contains("Time since the client started (s)"));
    assert!(over_time.contains("anonymous PSS (MiB)"));
    // One panel per variant, each on its own axis.
    assert!(over_time.contains("Threaded (2 runs), up to 11 MiB"));
    assert!(over_time.contains("poll()-based (2 runs), up to 42 MiB"));
    // Haiku has no PSS: RSS, as the old suite measured there.
    let haiku = read(&charts, "memory-over-time-haiku-loopback.svg");
    assert!(haiku.contains("RSS (MiB)") && !haiku.contains("anonymous PSS"));
    // A run that never finished (no runs.csv row) is left out; the folder is marked partial.
    let partial = read(&charts, "memory-over-time-qemu-partial.svg");
    assert!(partial
        .contains("Client memory over time: qemu-partial, 8 connections, 5 MiB payload (partial)"));
    assert!(partial.contains("Linux (x86_64, 6.1.0-41-amd64), QEMU user net"));
    assert!(!over_time.contains("(partial)"));
    assert!(partial.contains("Threaded (1 run)"));
    // One line per finished run, in each variant's colour, and a dot per sample.
    assert_eq!(partial.matches(THREADED_LINE).count(), 1);
    assert_eq!(partial.matches(POLL_LINE).count(), 1);
    assert_eq!(over_time.matches(THREADED_LINE).count(), 2);
    assert_eq!(
        over_time.matches("<circle").count(),
        20,
        "one dot per sample"
    );
}

const THREADED_LINE: &str = "<polyline fill=\"none\" opacity=\"1\" stroke=\"#1F77B4\"";
const POLL_LINE: &str = "<polyline fill=\"none\" opacity=\"1\" stroke=\"#E66E00\"";

/// A results folder of `linux-loopback`'s runs whose memory.csv holds `samples` (run id, ms, MiB).
fn folder_with_samples(dir: &Path, meta: &str, samples: &[(&str, u64, u64)]) -> PathBuf {
    let folder = dir.join("gappy");
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::copy(
        fixtures().join("linux-loopback/runs.csv"),
        folder.join("runs.csv"),
    )
    .unwrap();
    std::fs::write(folder.join("meta.json"), meta).unwrap();
    let mut csv = String::from("run_id,elapsed_ms,rss_bytes,vsz_bytes,pss_anon_bytes,pss_bytes\n");
    for (run, ms, mib) in samples {
        let bytes = mib << 20;
        csv += &format!("{run},{ms},{bytes},{bytes},{bytes},{bytes}\n");
    }
    std::fs::write(folder.join("memory.csv"), csv).unwrap();
    folder
}

#[test]
fn memory_lines_break_at_missing_samples_and_small_series_get_their_own_axis() {
    let dir = TempDir::new("compare-gaps");
    // 100 ms sampling: lin-t1 lost the samples from 300 to 1,100 ms; lin-p1 had one sample late
    // (200 ms between two: jitter, not a gap). Threaded reaches 425 MiB, poll 4 MiB.
    let mut samples = Vec::new();
    for ms in [0, 100, 200, 300, 1200, 1300] {
        samples.push(("lin-t1", ms, 100 + ms / 4));
    }
    for ms in [0, 100, 300, 400] {
        samples.push(("lin-p1", ms, 3 + ms / 400));
    }
    let folder = folder_with_samples(
        dir.path(),
        r#"{"status": "complete", "interval": "100ms"}"#,
        &samples,
    );
    let charts = dir.path().join("charts");
    compare_charts(&charts, &[folder.to_str().unwrap()], dir.path());
    let name = "memory-over-time-gappy.svg";
    let svg = read(&charts, name);
    assert_svg(name, &svg);
    assert_renders(&charts.join(name));
    // The gap splits lin-t1 into two lines; lin-p1's late sample does not.
    assert_eq!(svg.matches(THREADED_LINE).count(), 2, "{svg}");
    assert_eq!(svg.matches(POLL_LINE).count(), 1, "{svg}");
    assert_eq!(svg.matches("<circle").count(), samples.len());
    assert!(svg.contains("every 0.1 s); a line breaks where none came for more than 0.25 s"));
    // poll's 4 MiB has an axis of its own, not the bottom sliver of threaded's 425 MiB one.
    assert!(svg.contains("Threaded (1 run), up to 425 MiB"));
    assert!(svg.contains("poll()-based (1 run), up to 4 MiB"));
    assert!(has_text(&svg, "4"), "a 4 MiB tick on the poll axis");

    // Without an interval in meta.json, the median spacing of the samples stands in for it.
    let folder = folder_with_samples(dir.path(), r#"{"status": "complete"}"#, &samples);
    let charts = dir.path().join("charts-2");
    compare_charts(&charts, &[folder.to_str().unwrap()], dir.path());
    let svg = read(&charts, name);
    assert_eq!(svg.matches(THREADED_LINE).count(), 2, "{svg}");
}

#[test]
fn a_one_row_chart_has_no_empty_slot_and_no_stray_tick() {
    let dir = TempDir::new("compare-one-row");
    let results = dir.path().join("one");
    std::fs::create_dir_all(&results).unwrap();
    let runs = std::fs::read_to_string(fixtures().join("qemu-partial/runs.csv")).unwrap();
    let two_lines: Vec<&str> = runs.lines().take(2).collect();
    std::fs::write(results.join("runs.csv"), two_lines.join("\n") + "\n").unwrap();
    let charts = dir.path().join("charts");
    compare_charts(&charts, &[results.to_str().unwrap()], dir.path());
    let svg = read(&charts, "download-qemu-user-net.svg");
    assert_svg("download-qemu-user-net.svg", &svg);
    assert_renders(&charts.join("download-qemu-user-net.svg"));

    // The y axis: the one long vertical segment. No tick on it (short horizontal segments ending
    // at its x), and the only bar sits in its middle rather than beside an empty slot.
    let all = segments(&svg);
    let axis = all
        .iter()
        .find(|[x1, y1, x2, y2]| x1 == x2 && (y2 - y1).abs() > 20)
        .expect("a y axis");
    let ticks = all
        .iter()
        .filter(|[x1, y1, x2, y2]| {
            y1 == y2 && (*x2 == axis[0] || *x1 == axis[0]) && (x2 - x1).abs() < 10
        })
        .count();
    assert_eq!(ticks, 0, "stray y tick in {svg}");
    // The legend's swatch is a 14 px square of the same colour.
    let drawn: Vec<(i32, i32)> = bars(&svg, "#1F77B4")
        .into_iter()
        .filter(|(_, height)| *height > 14)
        .collect();
    let [bar] = drawn[..] else {
        panic!("one bar expected in {svg}")
    };
    let axis_middle = (axis[1] + axis[3]) as f64 / 2.0;
    let bar_middle = bar.0 as f64 + bar.1 as f64 / 2.0;
    assert!(
        (axis_middle - bar_middle).abs() <= 2.0,
        "bar at {bar:?}, axis {axis:?}"
    );
    assert!(
        f64::from(bar.1) > 0.5 * f64::from((axis[3] - axis[1]).abs()),
        "the bar fills its row"
    );
}

#[test]
fn networks_that_differ_only_in_case_get_their_own_charts() {
    let dir = TempDir::new("compare-lan");
    let runs = std::fs::read_to_string(fixtures().join("linux-loopback/runs.csv")).unwrap();
    for (name, network) in [("upper", "LAN"), ("lower", "lan")] {
        let folder = dir.path().join(name);
        std::fs::create_dir_all(&folder).unwrap();
        let text = runs
            .replace(",loopback,", &format!(",{network},"))
            .replace("lin-", &format!("{name}-"));
        std::fs::write(folder.join("runs.csv"), text).unwrap();
    }
    let charts = dir.path().join("charts");
    let (_, _, names) = compare_charts(&charts, &["upper", "lower"], dir.path());
    assert_eq!(
        names,
        [
            "aggregate-lan-2.svg",
            "aggregate-lan.svg",
            "download-lan-2.svg",
            "download-lan.svg",
            "memory-lan-2.svg",
            "memory-lan.svg",
            "run-time-lan-2.svg",
            "run-time-lan.svg",
        ]
    );
    assert!(read(&charts, "download-lan.svg").contains("over LAN (127.0.0.1)"));
    assert!(read(&charts, "download-lan-2.svg").contains("over lan (127.0.0.1)"));
}
