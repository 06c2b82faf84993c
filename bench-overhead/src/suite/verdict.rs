//! `suite verdict`: the suite's last word, one line per pair of variants, as hyperfine ends with
//! "X ran 1.3 ± 0.1 times faster than Y": `poll: 1.30× the aggregate speed of threaded (±7 %),
//! 0.78× its run time (±5 %), 1/80 of its memory (±12 %)`.
//!
//! The figures are the summary's (`summarize`: means over the runs in which every job succeeded),
//! so the verdict never disagrees with the table above it. The spread of a ratio is propagated
//! from the two means' coefficients of variation over runs, √(CV₁² + CV₂²), the first-order
//! error of a quotient; with one run of either variant there is none to give.

use std::process::ExitCode;

use super::VerdictConfig;
use crate::report::summarize::{summarize, Figure, VariantSummary};

pub fn run(args: VerdictConfig) -> anyhow::Result<ExitCode> {
    // A sweep's summary pools every connection count: a ratio of it would mean nothing.
    let meta = super::meta::read(&args.results.join(super::meta::META_FILE))?;
    if meta.connection_counts.len() > 1 {
        eprintln!();
        eprintln!(
            "verdict: none for a sweep (the summary pools its connection counts): compare the \
             counts with `bench-overhead compare --extended {}`",
            args.results.display()
        );
        return Ok(ExitCode::SUCCESS);
    }
    let summary = summarize(&args.results)?;
    // The download figures (aggregate speed, run time, memory) of the old suite's verdict; the
    // request workloads' figures are the summary's to compare.
    let download: Vec<VariantSummary> = summary
        .variants
        .into_iter()
        .filter(|v| v.workload == "download")
        .collect();
    let lines = verdicts(&download);
    if lines.is_empty() {
        return Ok(ExitCode::SUCCESS);
    }
    eprintln!();
    for line in &lines {
        eprintln!("verdict: {line}");
    }
    eprintln!(
        "(ratios of the summary's means; ± is the ratio's spread, √(CV₁² + CV₂²) of the two \
         means' CVs over runs)"
    );
    Ok(ExitCode::SUCCESS)
}

/// One line per pair, each later variant against each earlier one (in the suite's order).
fn verdicts(variants: &[VariantSummary]) -> Vec<String> {
    let labels = labels(variants);
    let mut lines = Vec::new();
    for (i, base) in variants.iter().enumerate() {
        for (j, other) in variants.iter().enumerate().skip(i + 1) {
            if let Some(line) = pair(&labels[j], other, &labels[i], base) {
                lines.push(line);
            }
        }
    }
    lines
}

/// `poll`, or `poll (epoll)` where two summaries share a variant name.
fn labels(variants: &[VariantSummary]) -> Vec<String> {
    variants
        .iter()
        .map(|v| {
            let shared = variants.iter().filter(|o| o.variant == v.variant).count() > 1;
            if shared && !v.backend.is_empty() {
                format!("{} ({})", v.variant, v.backend)
            } else {
                v.variant.clone()
            }
        })
        .collect()
}

fn pair(
    label: &str,
    other: &VariantSummary,
    base_label: &str,
    base: &VariantSummary,
) -> Option<String> {
    let figures = [
        (
            "aggregate speed",
            other.aggregate_mib_s,
            base.aggregate_mib_s,
        ),
        ("run time", other.run_ns, base.run_ns),
        ("memory", other.memory_avg_bytes, base.memory_avg_bytes),
    ];
    let ratios = figures
        .into_iter()
        .filter_map(|(what, a, b)| Some((what, ratio(a?, b?)?)));
    // The first figure names the variant compared with, the others refer back to it.
    let parts: Vec<String> = ratios
        .enumerate()
        .map(|(at, (what, ratio))| {
            let whose = if at == 0 {
                format!("the {what} of {base_label}")
            } else {
                format!("its {what}")
            };
            part(&whose, ratio)
        })
        .collect();
    (!parts.is_empty()).then(|| format!("{label}: {}", parts.join(", ")))
}

/// A ratio and its relative spread.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Ratio {
    value: f64,
    spread: Option<f64>,
}

fn ratio(a: Figure, b: Figure) -> Option<Ratio> {
    (b.value > 0.0 && a.value.is_finite() && b.value.is_finite()).then(|| Ratio {
        value: a.value / b.value,
        spread: a.cv.zip(b.cv).map(|(x, y)| x.hypot(y)),
    })
}

/// `1.30× what (±7 %)`, or `1/80 of what` below a tenth, where a fraction reads better (and two
/// decimals would say little).
fn part(what: &str, ratio: Ratio) -> String {
    let times = if ratio.value > 0.0 && ratio.value < 0.1 {
        format!("1/{:.0} of", 1.0 / ratio.value)
    } else {
        format!("{:.2}×", ratio.value)
    };
    match ratio.spread {
        Some(spread) => format!("{times} {what} (±{:.0} %)", spread * 100.0),
        None => format!("{times} {what} (one run: no spread)"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn figure(value: f64, cv: Option<f64>) -> Option<Figure> {
        Some(Figure { value, cv, runs: 3 })
    }

    fn variant(name: &str, speed: f64, run_s: f64, memory: f64) -> VariantSummary {
        VariantSummary {
            workload: "download".into(),
            variant: name.to_string(),
            backend: String::new(),
            connections: vec![8],
            server: String::new(),
            network: String::new(),
            runs: 3,
            runs_unrecorded: 0,
            iterations_planned: 3,
            runs_ok: 3,
            jobs: 24,
            jobs_ok: 24,
            bytes: 0,
            bytes_per_job: 0.0,
            socket_ns: None,
            setup_ns: None,
            receive_ns: None,
            job_mib_s: None,
            run_ns: figure(run_s * 1e9, Some(0.03)),
            aggregate_mib_s: figure(speed, Some(0.04)),
            memory_metric: "pss_anon".to_string(),
            memory_runs: 3,
            memory_samples_min: Some(10),
            memory_behind_schedule: (0, 0),
            memory_min_bytes: None,
            memory_avg_bytes: figure(memory, Some(0.0)),
            memory_max_bytes: None,
            sweep_step: false,
            server_cpu_s_per_gib: None,
            server_memory_avg_bytes: None,
            socket_memory_per_connection_bytes: None,
            tcp_inuse_start: None,
            retransmits_per_connection: None,
            rtt_us: None,
            warnings: Vec::new(),
            cost_measured: false,
            selection: Default::default(),
        }
    }

    #[test]
    fn one_line_per_pair_with_ratios_and_spread() {
        let lines = verdicts(&[
            variant("threaded", 1000.0, 2.0, 80.0 * 1048576.0),
            variant("poll", 1300.0, 1.5, 1048576.0),
        ]);
        assert_eq!(
            lines,
            [
                "poll: 1.30× the aggregate speed of threaded (±6 %), 0.75× its run time (±4 %), \
              1/80 of its memory (±0 %)"
            ]
        );
    }

    #[test]
    fn three_variants_give_three_pairs_and_a_missing_figure_is_left_out() {
        let mut uring = variant("uring", 2000.0, 1.0, 2.0);
        uring.aggregate_mib_s = None;
        let lines = verdicts(&[
            variant("threaded", 1000.0, 2.0, 4.0),
            variant("poll", 1000.0, 2.0, 2.0),
            uring,
        ]);
        assert_eq!(lines.len(), 3, "{lines:#?}");
        assert_eq!(
            lines[1],
            "uring: 0.50× the run time of threaded (±4 %), 0.50× its memory (±0 %)"
        );
        let mut single = variant("poll", 10.0, 1.0, 1.0);
        single.aggregate_mib_s = figure(10.0, None);
        let one = verdicts(&[variant("threaded", 5.0, 1.0, 1.0), single]);
        assert!(
            one[0].starts_with("poll: 2.00× the aggregate speed of threaded (one run: no spread)"),
            "{one:#?}"
        );
    }
}
