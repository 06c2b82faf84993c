use std::collections::{BTreeMap, BTreeSet};

use super::compute::summarize_variant;
use super::summarize;
use super::summary::{Summary, VariantNotRun, VariantSummary};
use super::view::{figures, CV_WARNING};
use crate::results::jobs;
use crate::results::load::Run;
use crate::units::MIB;
use bench_records::JobRecord;
use bench_records::RunRow;
use bench_records::Variant;

fn text(summary: &Summary) -> String {
    super::text::render(&super::view_of(summary))
}

fn markdown(summary: &Summary) -> String {
    super::markdown::render(&super::view_of(summary))
}

fn row(run_id: &str, variant: &str, run_ns: u64, mem_avg: Option<f64>) -> RunRow {
    RunRow {
        run_id: run_id.into(),
        variant: variant.into(),
        backend: "epoll".into(),
        connections: 2,
        server: "lighttpd/1.4.69".into(),
        network: "loopback".into(),
        jobs_ok: 2,
        bytes: 2 * MIB,
        run_ns,
        aggregate_mib_s: 2.0 / (run_ns as f64 / 1e9),
        mem_samples: mem_avg.map(|_| 3),
        mem_rss_min_bytes: Some(1.0),
        mem_rss_avg_bytes: Some(2.0),
        mem_rss_max_bytes: Some(3.0),
        mem_pss_anon_min_bytes: mem_avg.map(|a| a - 1.0),
        mem_pss_anon_avg_bytes: mem_avg,
        mem_pss_anon_max_bytes: mem_avg.map(|a| a + 1.0),
        ..RunRow::default()
    }
}

/// The rows as the loader gives them, every column measured.
fn summarize_rows(
    rows: &[&RunRow],
    jobs_by_run: &BTreeMap<&str, Vec<&JobRecord>>,
) -> VariantSummary {
    let runs: Vec<Run> = rows
        .iter()
        .map(|row| Run {
            // The loader reads an empty workload as download.
            row: RunRow {
                workload: bench_records::run::download(),
                ..(*row).clone()
            },
            variant: Variant::ALL
                .into_iter()
                .find(|v| v.name() == row.variant)
                .unwrap(),
            absent: BTreeSet::new(),
        })
        .collect();
    summarize_variant(&runs.iter().collect::<Vec<_>>(), jobs_by_run)
}

fn job(run_id: &str, socket: u64, receive: u64) -> JobRecord {
    JobRecord {
        run_id: run_id.into(),
        socket_ns: Some(socket),
        setup_ns: Some(socket * 10),
        ttfb_ns: Some(receive / 2),
        transfer_ns: Some(receive - receive / 2),
        bytes: MIB,
        status: 200,
        ..JobRecord::default()
    }
}

fn summary_of(variants: Vec<VariantSummary>) -> Summary {
    Summary {
        results: "r".into(),
        status: "complete".into(),
        host: String::new(),
        variants,
        requests: Vec::new(),
        variants_not_run: Vec::new(),
        sweeps: Vec::new(),
        orphan_jobs: 0,
        failed_iterations: Vec::new(),
        server_cost: String::new(),
        skipped_job_rows: 0,
        skipped_job_rows_first: Vec::new(),
        runs_with_skipped_job_rows: Vec::new(),
    }
}

/// A results folder holding `runs` as runs.csv, and `jobs.csv` when given.
fn folder(name: &str, runs: &[RunRow], jobs: Option<&str>) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("summarize-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let mut writer = csv::Writer::from_path(dir.join("runs.csv")).unwrap();
    for run in runs {
        writer.serialize(run).unwrap();
    }
    writer.flush().unwrap();
    if let Some(jobs) = jobs {
        std::fs::write(dir.join("jobs.csv"), jobs).unwrap();
    }
    dir
}

/// jobs.csv text with the given rows.
fn jobs_csv(jobs: &[JobRecord]) -> String {
    let mut writer = csv::Writer::from_writer(Vec::new());
    for job in jobs {
        writer.serialize(job).unwrap();
    }
    String::from_utf8(writer.into_inner().unwrap()).unwrap()
}

#[test]
fn pools_jobs_and_averages_runs() {
    let rows = [
        row("t-1", "threaded", 1_000_000_000, Some(100.0)),
        row("t-2", "threaded", 3_000_000_000, None),
    ];
    let jobs = [
        job("t-1", 100, 1_000_000_000),
        job("t-1", 300, 1_000_000_000),
        job("t-2", 500, 500_000_000),
        job("t-2", 700, 500_000_000),
    ];
    let mut by_run: BTreeMap<&str, Vec<&JobRecord>> = BTreeMap::new();
    for j in &jobs {
        by_run.entry(&*j.run_id).or_default().push(j);
    }
    let s = summarize_rows(&[&rows[0], &rows[1]], &by_run);
    assert_eq!((s.runs, s.runs_ok, s.jobs, s.jobs_ok), (2, 2, 4, 4));
    assert_eq!(s.bytes, 4 * MIB);
    assert_eq!(s.bytes_per_job, MIB as f64);
    assert_eq!(s.socket_ns.unwrap().value, 400.0);
    assert_eq!(s.setup_ns.unwrap().value, 4000.0);
    assert_eq!(s.receive_ns.unwrap().value, 750_000_000.0);
    // Per-job speeds 1, 1, 2, 2 MiB/s.
    assert_eq!(s.job_mib_s.unwrap().value, 1.5);
    assert_eq!(s.run_ns.unwrap().value, 2e9);
    // Per-run socket means 200 and 600: CV = std(200, 600) / 400.
    let expected = (2.0f64 * 200.0 * 200.0).sqrt() / 400.0;
    assert!((s.socket_ns.unwrap().cv.unwrap() - expected).abs() < 1e-12);
    // Memory: pss_anon for run 1, rss for run 2.
    assert_eq!(s.memory_metric, "pss_anon/rss");
    assert_eq!(s.memory_avg_bytes.unwrap().value, (100.0 + 2.0) / 2.0);
    assert!(s.warnings.iter().any(|w| w.contains("Average run time")));
}

#[test]
fn run_figures_leave_out_runs_with_failed_jobs() {
    let clean = row("p-1", "poll", 2_000_000_000, Some(10.0));
    let mut refused = row("p-2", "poll", 1_000, Some(1.0));
    refused.jobs_ok = 0;
    refused.jobs_failed = 2;
    let s = summarize_rows(&[&clean, &refused], &BTreeMap::new());
    assert_eq!((s.runs, s.runs_ok, s.jobs, s.jobs_ok), (2, 1, 4, 2));
    assert_eq!(s.run_ns.unwrap().value, 2e9);
    assert_eq!(s.memory_avg_bytes.unwrap().value, 10.0);
    // With no clean run, every run counts.
    let s = summarize_rows(&[&refused], &BTreeMap::new());
    assert_eq!(s.run_ns.unwrap().value, 1_000.0);
}

#[test]
fn a_warning_names_the_runs_each_spread_is_over() {
    // Three runs; the third had a failed job: run figures cover two runs, job figures all three
    // (each had a successful job).
    let mut rows = [
        row("t-1", "threaded", 1_000_000_000, None),
        row("t-2", "threaded", 3_000_000_000, None),
        row("t-3", "threaded", 9_000_000_000, None),
    ];
    for (row, socket) in rows.iter_mut().zip([100.0, 300.0, 900.0]) {
        row.socket_mean_ns = socket;
    }
    rows[2].jobs_ok = 1;
    rows[2].jobs_failed = 1;
    let s = summarize_rows(&[&rows[0], &rows[1], &rows[2]], &BTreeMap::new());
    assert_eq!(s.run_ns.unwrap().runs, 2);
    assert_eq!(s.socket_ns.unwrap().runs, 3);
    let [warning] = s.warnings.as_slice() else {
        panic!("{:?}", s.warnings)
    };
    assert!(
        warning
            .contains("Average run time 70.7 % over the 2 of 3 runs in which every job succeeded"),
        "{warning}"
    );
    assert!(
        warning.contains("Average socket creation time") && warning.contains("% over all 3 runs"),
        "{warning}"
    );
    assert!(!warning.contains("over 3 runs these vary"), "{warning}");
    // A run without a successful job is no value of a job figure's spread.
    rows[2].jobs_ok = 0;
    rows[2].jobs_failed = 2;
    let s = summarize_rows(&[&rows[0], &rows[1], &rows[2]], &BTreeMap::new());
    assert!(
        s.warnings[0].contains("% over the 2 of 3 runs with a successful job"),
        "{:?}",
        s.warnings
    );
    // Every figure over every run: said once.
    let s = summarize_rows(&[&rows[0], &rows[1]], &BTreeMap::new());
    assert!(
        s.warnings[0].starts_with("threaded: over 2 runs these vary by more than 10 % (CV): "),
        "{:?}",
        s.warnings
    );
}

#[test]
fn falls_back_to_run_means_without_job_rows() {
    let mut r = row("p-1", "poll", 1_000_000_000, None);
    r.socket_mean_ns = 42.0;
    r.job_mib_s = 3.0;
    let s = summarize_rows(&[&r], &BTreeMap::new());
    assert_eq!(s.socket_ns.unwrap().value, 42.0);
    assert_eq!(s.job_mib_s.unwrap().value, 3.0);
    assert_eq!(s.socket_ns.unwrap().cv, None);
    assert_eq!(s.memory_metric, "rss");
}

#[test]
fn text_and_markdown_name_every_figure_warning_and_note() {
    let rows = [
        row("t-1", "threaded", 1_000_000_000, Some(100.0)),
        row("t-2", "threaded", 3_000_000_000, Some(100.0)),
    ];
    let mut summary = summary_of(vec![summarize_rows(
        &[&rows[0], &rows[1]],
        &BTreeMap::new(),
    )]);
    summary.status = "partial".into();
    summary.host = "Linux".into();
    summary.orphan_jobs = 3;
    summary.failed_iterations = vec!["threaded-3: interrupted".into()];
    summary.skipped_job_rows = 1;
    summary.skipped_job_rows_first = vec!["line 7: x".into()];
    for out in [text(&summary), markdown(&summary)] {
        for needle in [
            "Total jobs",
            "Successful runs",
            "Average socket creation time",
            "Average run time",
            "Memory avg (average over runs)",
            "memory = pss_anon",
            "Average run time 70.7 %",
            "status partial",
            "failed iteration threaded-3: interrupted",
            "3 job rows belong to no recorded run",
            "r/jobs.csv: line 7: x: that row is left out",
        ] {
            assert!(out.contains(needle), "{needle:?} missing from:\n{out}");
        }
    }
}

#[test]
fn a_folder_without_runs_summarizes_to_a_note() {
    let dir = std::env::temp_dir().join(format!("summarize-empty-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("meta.json"), r#"{"status": "partial"}"#).unwrap();
    let summary = summarize(&dir).unwrap();
    assert!(summary.variants.is_empty());
    assert!(text(&summary).contains("no runs recorded"));
    // An empty runs.csv is not the suite's (which writes the header with the first row): refused,
    // as compare refuses it.
    std::fs::write(dir.join("runs.csv"), "").unwrap();
    let err = summarize(&dir).unwrap_err().to_string();
    assert!(err.contains("empty file, no header row"), "{err}");
    std::fs::write(dir.join("runs.csv"), RunRow::COLUMNS.join(",") + "\n").unwrap();
    assert!(summarize(&dir).unwrap().variants.is_empty());
    std::fs::remove_file(dir.join("runs.csv")).unwrap();
    std::fs::remove_file(dir.join("meta.json")).unwrap();
    let err = summarize(&dir).unwrap_err().to_string();
    assert!(err.contains("no runs.csv"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn no_successful_job_prints_a_dash_not_zero() {
    let mut refused = row("p-1", "poll", 1_000, Some(1.0));
    refused.jobs_ok = 0;
    refused.jobs_failed = 2;
    let s = summarize_rows(&[&refused], &BTreeMap::new());
    assert_eq!(s.socket_ns, None);
    assert_eq!(s.job_mib_s, None);
    let summary = summary_of(vec![s]);
    let out = text(&summary);
    assert!(
        out.contains("Average socket creation time         —"),
        "{out}"
    );
    assert!(!out.contains(" 0 ns"), "{out}");
    assert!(out.contains("poll: no job succeeded"), "{out}");
    assert!(markdown(&summary).contains("| Average download speed per job | — | - |"));
}

#[test]
fn an_empty_cell_is_not_measured_not_zero() {
    let header = RunRow::COLUMNS.join(",");
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer
        .serialize(row("poll-1", "poll", 1_000_000_000, None))
        .unwrap();
    let written = String::from_utf8(writer.into_inner().unwrap()).unwrap();
    let line = written.lines().nth(1).unwrap();
    // Empty run_ns and aggregate_mib_s, as a published row may have them.
    let at = |name: &str| RunRow::COLUMNS.iter().position(|c| *c == name).unwrap();
    let mut cells: Vec<&str> = line.split(',').collect();
    cells[at("run_ns")] = "";
    cells[at("aggregate_mib_s")] = "";
    let dir = folder("empty-cell", &[], None);
    std::fs::write(
        dir.join("runs.csv"),
        format!("{header}\n{}\n", cells.join(",")),
    )
    .unwrap();
    let summary = summarize(&dir).unwrap();
    assert_eq!(summary.variants[0].run_ns, None);
    let out = text(&summary);
    assert!(
        out.contains("Average run time                     —"),
        "{out}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn memory_min_is_never_flagged() {
    let mut a = row("t-1", "threaded", 1_000_000_000, Some(100.0));
    let mut b = row("t-2", "threaded", 1_000_000_000, Some(100.0));
    // Min varies by 100 % between runs, avg and max not at all.
    a.mem_pss_anon_min_bytes = Some(1.0);
    b.mem_pss_anon_min_bytes = Some(1000.0);
    let s = summarize_rows(&[&a, &b], &BTreeMap::new());
    assert!(s.memory_min_bytes.unwrap().cv.unwrap() > CV_WARNING);
    assert!(s.warnings.is_empty(), "{:?}", s.warnings);
    let lines = figures(&s);
    let min = lines
        .iter()
        .find(|l| l.label.starts_with("Memory min"))
        .unwrap();
    let (_, spread) = min.cells().unwrap();
    assert!(!spread.contains("(!)"), "{spread}");
}

#[test]
fn a_bad_job_row_is_skipped_and_named() {
    let mut r = row("t-1", "threaded", 1_000_000_000, None);
    r.socket_mean_ns = 200.0;
    let mut jobs = jobs_csv(&[
        job("t-1", 100, 1_000_000_000),
        job("t-1", 300, 1_000_000_000),
    ]);
    // A third row for t-1 that does not parse: t-1 falls back to its runs.csv means.
    let mut bad = jobs.lines().nth(1).unwrap().to_string();
    bad = bad.replacen(",100,", ",lots,", 1);
    jobs.push_str(&bad);
    jobs.push('\n');
    let dir = folder("badjob", &[r], Some(&jobs));
    let summary = summarize(&dir).unwrap();
    assert_eq!(summary.skipped_job_rows, 1);
    assert_eq!(summary.runs_with_skipped_job_rows, ["t-1"]);
    let out = text(&summary);
    let note = out
        .lines()
        .find(|l| l.contains("that row is left out"))
        .expect(&out);
    assert!(
        note.contains("jobs.csv: line 4, column `socket_ns`: `lots` does not fit: "),
        "{note}"
    );
    assert!(
        note.ends_with("; run t-1 takes its job figures from runs.csv"),
        "{note}"
    );
    assert_eq!(summary.variants[0].socket_ns.unwrap().value, 200.0);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn many_bad_job_rows_are_counted_and_the_first_few_named() {
    // A jobs.csv of another version: no row reads as a job row.
    let runs: Vec<RunRow> = (1..=5)
        .map(|i| row(&format!("t-{i}"), "threaded", 1_000_000_000, None))
        .collect();
    let mut jobs = "run_id,job,speed\n".to_string();
    for i in 1..=5 {
        for j in 0..200 {
            jobs.push_str(&format!("t-{i},{j},fast\n"));
        }
    }
    let dir = folder("otherjobs", &runs, Some(&jobs));
    let summary = summarize(&dir).unwrap();
    assert_eq!(summary.skipped_job_rows, 1000);
    assert_eq!(summary.skipped_job_rows_first.len(), jobs::NAMED);
    let out = text(&summary);
    let notes: Vec<&str> = out.lines().filter(|l| l.contains("jobs.csv")).collect();
    assert_eq!(notes.len(), 1, "{out}");
    assert!(
        notes[0].contains(
            "jobs.csv: 1000 rows are not job rows and are left out, the first 3: line 2: missing \
             field `variant`; line 3: "
        ),
        "{}",
        notes[0]
    );
    assert!(
        notes[0].ends_with("; runs t-1, t-2, t-3 and 2 more take their job figures from runs.csv"),
        "{}",
        notes[0]
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_job_row_that_is_not_utf8_sends_its_run_to_its_run_means() {
    let mut r = row("t-1", "threaded", 1_000_000_000, None);
    r.socket_mean_ns = 200.0;
    let mut failed = job("t-1", 900, 1_000_000_000);
    failed.error = Some(bench_records::Failure::parse("reset \u{1}"));
    let text = jobs_csv(&[job("t-1", 100, 1_000_000_000), failed]);
    let mut bytes = text.into_bytes();
    let at = bytes.iter().position(|b| *b == 1).unwrap();
    bytes[at] = 0xff;
    let dir = folder("utf8job", &[r], None);
    std::fs::write(dir.join("jobs.csv"), bytes).unwrap();
    let summary = summarize(&dir).unwrap();
    assert_eq!(summary.skipped_job_rows, 1);
    assert_eq!(summary.runs_with_skipped_job_rows, ["t-1"]);
    assert!(
        summary.skipped_job_rows_first[0].starts_with("line 3, column `error`: "),
        "{:?}",
        summary.skipped_job_rows_first
    );
    // Not the one job row that read (100 ns): the run's own mean.
    assert_eq!(summary.variants[0].socket_ns.unwrap().value, 200.0);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn successful_runs_count_iterations_that_left_no_record() {
    let rows = [
        row("threaded-1", "threaded", 1_000_000_000, None),
        row("threaded-3", "threaded", 1_000_000_000, None),
    ];
    let dir = folder("norecord", &rows, None);
    std::fs::write(
        dir.join("meta.json"),
        r#"{"status": "complete", "iterations": 3, "failed_iterations": [
            {"run_id": "threaded-2", "recorded": false, "reason": "client killed"}]}"#,
    )
    .unwrap();
    let summary = summarize(&dir).unwrap();
    assert_eq!(summary.failed_iterations, ["threaded-2: client killed"]);
    let out = text(&summary);
    assert!(
        out.contains("Successful runs                      2 of 3 (1 left no record)"),
        "{out}"
    );
    // Partial: the iterations never started are planned, not failed.
    std::fs::write(
        dir.join("meta.json"),
        r#"{"status": "partial", "iterations": 10, "failed_iterations": []}"#,
    )
    .unwrap();
    let out = text(&summarize(&dir).unwrap());
    assert!(out.contains("2 of 2 (10 planned)"), "{out}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_hand_edited_meta_json_is_named_not_a_panic() {
    let dir = folder(
        "badmeta",
        &[row("threaded-1", "threaded", 1_000_000_000, None)],
        None,
    );
    let meta = dir.join("meta.json");
    for bad in [
        r#"{"failed_iterations": [{"run_id": "threaded-2"}]}"#,
        r#"{"failed_iterations": {"run_id": "threaded-2"}}"#,
        r#"{"iterations": "three"}"#,
        r#"{"status": "done"}"#,
        "{",
    ] {
        std::fs::write(&meta, bad).unwrap();
        let err = format!("{:#}", summarize(&dir).unwrap_err());
        assert!(
            err.starts_with(&format!("{}: ", meta.display())),
            "{bad}: {err}"
        );
        assert_eq!(err.lines().count(), 1, "{err}");
    }
    // Fields it does not need may be missing.
    std::fs::write(&meta, r#"{"failed_iterations": []}"#).unwrap();
    assert_eq!(summarize(&dir).unwrap().variants.len(), 1);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_variant_asked_for_without_a_run_is_named() {
    let rows = [row("threaded-1", "threaded", 1_000_000_000, None)];
    let dir = folder("notrun", &rows, None);
    let meta = |status: &str, failed: &str| {
        std::fs::write(
            dir.join("meta.json"),
            format!(
                r#"{{"status": "{status}", "iterations": 1, "variants": ["threaded", "poll"],
                    "failed_iterations": [{failed}]}}"#
            ),
        )
        .unwrap();
    };
    // Interrupted during threaded: poll never started, and the summary says so.
    meta("partial", "");
    let summary = summarize(&dir).unwrap();
    assert_eq!(
        summary.variants_not_run,
        [VariantNotRun {
            variant: "poll".into(),
            runs_unrecorded: 0
        }]
    );
    let out = text(&summary);
    assert!(
        out.contains("note: poll: never started: the suite stopped before its first run"),
        "{out}"
    );
    assert!(markdown(&summary).contains("- note: poll: never started"));
    // Complete, but poll's only iteration crashed without a record.
    meta(
        "complete",
        r#"{"run_id": "poll-1", "recorded": false, "reason": "client killed"}"#,
    );
    let out = text(&summarize(&dir).unwrap());
    assert!(
        out.contains("note: poll: no run recorded: 1 iteration(s) failed without a record"),
        "{out}"
    );
    // VARIANTS tokens with a backend: a run of the model on that backend counts (the rows here
    // say `epoll`), another backend does not.
    std::fs::write(
        dir.join("meta.json"),
        r#"{"status": "partial", "variants": ["threaded:epoll", "threaded:other"]}"#,
    )
    .unwrap();
    let missing: Vec<String> = summarize(&dir)
        .unwrap()
        .variants_not_run
        .into_iter()
        .map(|v| v.variant)
        .collect();
    assert_eq!(missing, ["threaded:other"]);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn runs_whose_memory_sampling_fell_behind_are_named() {
    let sampled = |id: &str, taken: u64, scheduled: Option<u64>| RunRow {
        mem_samples: Some(taken),
        mem_scheduled_samples: scheduled,
        ..row(id, "poll", 1_000_000_000, Some(100.0))
    };
    // 5 of 20 is behind; 19 of 20 (one short) is not; a row that does not say is not counted.
    let rows = [
        sampled("p-1", 5, Some(20)),
        sampled("p-2", 19, Some(20)),
        sampled("p-3", 3, None),
    ];
    let variant = summarize_rows(&[&rows[0], &rows[1], &rows[2]], &BTreeMap::new());
    assert_eq!(variant.memory_behind_schedule, (1, 2));
    let out = text(&summary_of(vec![variant]));
    assert!(
        out.contains("memmon fell behind its sampling schedule in 1 of 2 runs"),
        "{out}"
    );
    let on_time = summarize_rows(&[&rows[1]], &BTreeMap::new());
    assert!(!text(&summary_of(vec![on_time])).contains("fell behind"));
}
