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

/// Renders with rsvg-convert when it is installed: a real SVG parser must accept the file.
fn assert_renders(path: &Path) {
    let png = path.with_extension("png");
    let Ok(output) = Command::new("rsvg-convert")
        .arg(path)
        .arg("-o")
        .arg(&png)
        .output()
    else {
        eprintln!(
            "rsvg-convert not installed: skipped rendering {}",
            path.display()
        );
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

#[test]
fn charts_are_written_with_titles_axes_and_legends() {
    let dir = TempDir::new("compare-charts");
    let charts = dir.path().join("charts");
    let output = Command::new(support::bin())
        .arg("compare")
        .arg("--reference")
        .arg("--chart")
        .arg(&charts)
        .args(["linux-loopback", "haiku-loopback", "qemu-partial"])
        .current_dir(fixtures())
        .output()
        .expect("run compare --chart");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    // Tables still go to stdout; the charts are announced on stderr.
    assert!(String::from_utf8_lossy(&output.stdout).starts_with("Over loopback (127.0.0.1):"));
    assert!(String::from_utf8_lossy(&output.stderr).contains("wrote 7 chart(s)"));

    let mut names: Vec<String> = std::fs::read_dir(&charts)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "download-loopback.svg",
            "download-qemu-user-net.svg",
            "memory-loopback.svg",
            "memory-over-time-haiku-loopback.svg",
            "memory-over-time-linux-loopback.svg",
            "memory-over-time-qemu-partial.svg",
            "memory-qemu-user-net.svg",
        ]
    );
    for name in &names {
        assert_svg(name, &read(&charts, name));
        assert_renders(&charts.join(name));
    }

    let download = read(&charts, "download-loopback.svg");
    assert!(download.contains("Per-job download speed, over loopback (127.0.0.1)"));
    assert!(download.contains("Mean per-job download speed (MiB/s)"));
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
    assert!(over_time.contains("Client memory over time: Linux (x86_64, 6.1.0-40-amd64), loopback"));
    assert!(over_time.contains("Time since the client started (s)"));
    assert!(over_time.contains("Client memory, anonymous PSS (MiB)"));
    assert!(has_text(&over_time, "Threaded (2 runs)"));
    assert!(has_text(&over_time, "poll()-based (2 runs)"));
    // Haiku has no PSS: RSS, as the old suite measured there.
    let haiku = read(&charts, "memory-over-time-haiku-loopback.svg");
    assert!(haiku.contains("Client memory, RSS (MiB)"));
    // A run that never finished (no runs.csv row) is left out.
    let partial = read(&charts, "memory-over-time-qemu-partial.svg");
    assert!(has_text(&partial, "Threaded (1 run)"));
    // One line per finished run, plus the legend's swatch, in each variant's colour.
    let threaded = "<polyline fill=\"none\" opacity=\"1\" stroke=\"#1F77B4\"";
    let poll = "<polyline fill=\"none\" opacity=\"1\" stroke=\"#E66E00\"";
    assert_eq!(partial.matches(threaded).count(), 1 + 1);
    assert_eq!(partial.matches(poll).count(), 1 + 1);
    assert_eq!(over_time.matches(threaded).count(), 2 + 1);
}
