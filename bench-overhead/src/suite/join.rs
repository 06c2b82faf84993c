//! `suite record`: one iteration's bookkeeping. memmon measured the client from outside, the client
//! wrote its own record; this joins the two into one `runs.csv` row (RunRecord.memory), notes a
//! failed iteration in meta.json, counts the row there (`runs_recorded`), and prints the run's
//! line and the suite's progress.

use std::fs;
use std::path::Path;
use std::process::ExitCode;

use super::meta::{add_failed, add_recorded};
use super::progress;
use super::RecordConfig;
use crate::units::{format_bytes, format_nanos};
use bench_records::{
    Appender, FailedIteration, MemmonSummary, RunRecord, RunRow, ServerFigures, SocketFigures,
};

/// Prints the run's line with the suite's progress after it; `note` (e.g. a client memmon left
/// running) is added to the line, so the next run's progress bar cannot erase it.
fn say(args: &RecordConfig, line: String) {
    let line = match &args.note {
        Some(note) => format!("{line}; {note}"),
        None => line,
    };
    let elapsed = super::meta::read(&args.meta)
        .ok()
        .and_then(|meta| meta.started_unix_ms)
        .map(|started| {
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_millis() as u64);
            std::time::Duration::from_millis(now.saturating_sub(started))
        });
    progress::print(&line, args.progress, elapsed);
}

pub fn run(args: RecordConfig) -> anyhow::Result<ExitCode> {
    let label = if args.label.is_empty() {
        args.run_id.clone()
    } else {
        args.label.clone()
    };
    let Some(mut record) = read_run_record(&args.run) else {
        let reason = no_record_reason(&args);
        add_failed(
            &args.meta,
            FailedIteration {
                run_id: args.run_id.clone(),
                recorded: false,
                reason: reason.clone(),
                workload: super::named_workload(&args.workload),
            },
        )?;
        say(&args, format!("  {label}: failed, no run record: {reason}"));
        return Ok(ExitCode::SUCCESS);
    };
    if let Some(summary) = read_memmon(&args.memory) {
        record.server = summary.also.as_ref().map(ServerFigures::from);
        record.sockets = summary.sockets.as_ref().map(SocketFigures::from);
        record.memory = Some(summary.into());
    }
    append_row(&args.runs_csv, &RunRow::from(&record))?;
    add_recorded(&args.meta)?;
    // A record whose jobs all succeeded is a good run, even if Ctrl-C came right after it.
    if record.jobs_failed > 0 || args.status != 0 {
        let mut reason = if record.jobs_failed > 0 {
            failures_text(&record)
        } else {
            format!("exit status {}", args.status)
        };
        if args.interrupted {
            reason = format!("interrupted; {reason}");
        }
        add_failed(
            &args.meta,
            FailedIteration {
                run_id: record.run_id.clone(),
                recorded: true,
                reason,
                workload: super::named_workload(&args.workload),
            },
        )?;
    }
    say(&args, format!("  {label}: {}", run_line(&record)));
    Ok(ExitCode::SUCCESS)
}

/// The record `run --json` printed: one JSON object on one line. Anything else is no record.
fn read_run_record(path: &Path) -> Option<RunRecord> {
    let text = fs::read_to_string(path).ok()?;
    let mut records = text
        .lines()
        .filter(|line| !line.trim().is_empty())
        .filter_map(|line| serde_json::from_str::<RunRecord>(line).ok());
    let first = records.next()?;
    // `--variant` makes one record per iteration; more would mean a different invocation.
    records.next().is_none().then_some(first)
}

/// memmon's summary, or none when memmon left none (killed, or the file does not parse).
fn read_memmon(path: &Path) -> Option<MemmonSummary> {
    let text = fs::read_to_string(path).ok()?;
    serde_json::from_str(text.trim()).ok()
}

fn no_record_reason(args: &RecordConfig) -> String {
    let mut reason = if args.interrupted {
        "interrupted".to_string()
    } else {
        format!("exit status {}", args.status)
    };
    let quoted = args
        .stderr
        .as_deref()
        .and_then(|p| fs::read_to_string(p).ok())
        .and_then(|text| error_line(&text));
    if let Some(line) = quoted {
        reason.push_str(": ");
        reason.push_str(&line);
    }
    reason
}

/// The line of a failed iteration's stderr that says what went wrong: the first `error:` (clap's
/// and Rust's own), `bench-overhead:` (the client's one-line errors), `memmon:` (memmon's) or Rust
/// panic line, else the first non-empty line. The last line is often a usage hint such as "For
/// more information, try '--help'.", which says nothing about the failure.
fn error_line(stderr: &str) -> Option<String> {
    let lines: Vec<&str> = stderr.lines().map(str::trim).collect();
    let Some(at) = lines.iter().position(|line| says_what_failed(line)) else {
        return lines
            .into_iter()
            .find(|l| !l.is_empty())
            .map(str::to_string);
    };
    let line = lines[at];
    match lines.get(at + 1) {
        // `thread 'main' panicked at src/x.rs:1:2:` names only the place; the message follows.
        Some(message) if is_panic(line) && line.ends_with(':') && !message.is_empty() => {
            Some(format!("{line} {message}"))
        }
        _ => Some(line.to_string()),
    }
}

fn says_what_failed(line: &str) -> bool {
    ["error:", "bench-overhead:", "memmon:"]
        .iter()
        .any(|prefix| line.starts_with(prefix))
        || is_panic(line)
}

/// Rust's panic line: `thread 'main' panicked at …`, in newer Rust `thread 'main' (1234) panicked
/// at …` with the thread's id (and the thread's name varies).
fn is_panic(line: &str) -> bool {
    line.starts_with("thread '") && line.contains(" panicked at ")
}

fn failures_text(record: &RunRecord) -> String {
    let reasons: Vec<String> = record
        .failures
        .iter()
        .map(|(reason, count)| format!("{reason} ×{count}"))
        .collect();
    format!(
        "{} of {} jobs failed{}",
        record.jobs_failed,
        record.jobs_ok + record.jobs_failed,
        if reasons.is_empty() {
            String::new()
        } else {
            format!(": {}", reasons.join(", "))
        }
    )
}

/// e.g. `1.234 s, 2345.678 MiB/s, 100/100 jobs ok, memory avg 12.000 MiB`: the aggregate speed in
/// MiB/s, the unit of the summary; a request workload's requests per second instead (`38548
/// req/s`), its summary's figure.
fn run_line(record: &RunRecord) -> String {
    let rate = match &record.requests {
        Some(requests) => format!("{:.0} req/s", requests.requests_per_s),
        None => format!("{:.3} MiB/s", record.aggregate_mib_s),
    };
    let mut line = format!(
        "{}, {rate}, {}/{} jobs ok",
        format_nanos(record.run_ns as f64),
        record.jobs_ok,
        record.jobs_ok + record.jobs_failed,
    );
    if let Some(memory) = &record.memory {
        if let Some(avg) = memory.pss_anon.or(memory.rss).map(|m| m.avg) {
            line.push_str(&format!(", memory avg {}", format_bytes(avg as u64)));
        }
    }
    if record.jobs_failed > 0 {
        line.push_str(&format!(" ({})", failures_text(record)));
    }
    line
}

/// Appends one row (with the header when the file is new) through the client's own appender, so
/// runs.csv is written one way only. The row is small and flushed at once: an interrupted suite
/// leaves either the whole row or none of it, and so does a full disk: a write that fails is cut
/// back to the file's length before it.
fn append_row(path: &Path, row: &RunRow) -> anyhow::Result<()> {
    let before = fs::metadata(path).map(|m| m.len()).ok();
    let appended = Appender::<RunRow>::open(path)
        .map_err(anyhow::Error::from)
        .and_then(|mut appender| appender.append(row).map_err(anyhow::Error::from));
    if appended.is_err() {
        match before {
            Some(length) => {
                let _ = fs::OpenOptions::new()
                    .write(true)
                    .open(path)
                    .and_then(|file| file.set_len(length));
            }
            None => {
                let _ = fs::remove_file(path);
            }
        }
    }
    appended
}

#[cfg(test)]
mod tests {
    use super::*;
    use bench_records::MemoryFigures;

    const MEMMON: &str = r#"{"samples": 12, "interval_ms": 100,
        "rss_bytes": {"min": 1000, "avg": 2000.5, "max": 3000},
        "vsz_bytes": {"min": 10, "avg": 20, "max": 30},
        "pss_anon_bytes": {"min": 100, "avg": 200, "max": 300},
        "pss_bytes": null, "peak_rss_bytes": 3100, "exit_code": 0, "signal": null}"#;

    #[test]
    fn memmon_summary_becomes_memory_figures() {
        let summary: MemmonSummary = serde_json::from_str(MEMMON).unwrap();
        let memory = MemoryFigures::from(summary);
        assert_eq!(memory.samples, 12);
        assert_eq!(memory.rss.unwrap().avg, 2000.5);
        assert_eq!(memory.pss_anon.unwrap().max, 300.0);
        assert_eq!(memory.pss, None);
        assert_eq!(memory.peak_rss, Some(3100));
    }

    #[test]
    fn the_server_and_the_sockets_come_from_memmons_also_and_sockets() {
        let with = MEMMON.replace(
            r#""signal": null}"#,
            r#""signal": null,
            "also": {"pid": 42, "samples": 3, "rss_bytes": {"min": 1, "avg": 2, "max": 3},
                     "vsz_bytes": null, "pss_anon_bytes": null, "pss_bytes": null,
                     "cpu_user_s": 0.25, "cpu_sys_s": 0.5, "ctx_voluntary": 7, "ctx_involuntary": null},
            "sockets": {"samples": 3, "tcp_inuse_start": 5, "tcp_inuse_max": 105,
                        "tcp_mem_bytes": {"min": 4096, "avg": 8192, "max": 16384}}}"#,
        );
        let summary: MemmonSummary = serde_json::from_str(&with).unwrap();
        let server = ServerFigures::from(&summary.also.unwrap());
        assert_eq!((server.pid, server.memory_samples), (42, 3));
        assert_eq!(server.cpu_s(), Some(0.75));
        assert_eq!(
            (server.ctx_voluntary, server.ctx_involuntary),
            (Some(7), None)
        );
        assert_eq!(server.pss_anon, None);
        let sockets = SocketFigures::from(&summary.sockets.unwrap());
        assert_eq!((sockets.tcp_inuse_start, sockets.tcp_mem.avg), (5, 8192.0));
        // memmon without --also or --sockets (and older memmons): no figures, not zeros.
        let without: MemmonSummary = serde_json::from_str(MEMMON).unwrap();
        assert!(without.also.is_none() && without.sockets.is_none());
    }

    #[test]
    fn appends_header_once_and_whole_rows() {
        let dir = std::env::temp_dir().join(format!("suite-join-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let path = dir.join("runs.csv");
        let _ = fs::remove_file(&path);
        let mut record = RunRecord {
            run_id: "threaded-1".into(),
            variant: "threaded".into(),
            ..RunRecord::default()
        };
        record.memory = Some(MemoryFigures::from(
            serde_json::from_str::<MemmonSummary>(MEMMON).unwrap(),
        ));
        append_row(&path, &RunRow::from(&record)).unwrap();
        record.run_id = "threaded-2".into();
        append_row(&path, &RunRow::from(&record)).unwrap();
        let mut reader = csv::Reader::from_path(&path).unwrap();
        let rows: Vec<RunRow> = reader.deserialize().map(Result::unwrap).collect();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[1].run_id, "threaded-2");
        assert_eq!(rows[0].mem_pss_anon_avg_bytes, Some(200.0));
        assert_eq!(rows[0].mem_samples, Some(12));
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn quotes_the_error_line_not_the_usage_hint() {
        let clap = "error: invalid value 'bogus' for '--timeout <TIMEOUT>': `bogus` is not a \
                    duration\n\nFor more information, try '--help'.\n";
        assert_eq!(
            error_line(clap).as_deref(),
            Some(
                "error: invalid value 'bogus' for '--timeout <TIMEOUT>': `bogus` is not a duration"
            )
        );
        let client = "  threaded: 3 of 8 jobs\nbench-overhead: no server at 127.0.0.1:1\nmore\n";
        assert_eq!(
            error_line(client).as_deref(),
            Some("bench-overhead: no server at 127.0.0.1:1")
        );
        assert_eq!(error_line("\n  first\nsecond\n").as_deref(), Some("first"));
        assert_eq!(error_line(" \n"), None);
    }

    #[test]
    fn quotes_memmon_and_a_panic_with_its_message() {
        let memmon = "  threaded: 3 of 8 jobs\nmemmon: cannot run `bench-overhead`: No such file \
                      or directory (check the path)\n";
        assert_eq!(
            error_line(memmon).as_deref(),
            Some("memmon: cannot run `bench-overhead`: No such file or directory (check the path)")
        );
        // Rust 1.73 and later: the place, then the message on the next line.
        let panic = "progress\nthread 'main' panicked at src/client/poll.rs:12:5:\nindex out of \
                     bounds\nnote: run with `RUST_BACKTRACE=1` environment variable to display a \
                     backtrace\n";
        assert_eq!(
            error_line(panic).as_deref(),
            Some("thread 'main' panicked at src/client/poll.rs:12:5: index out of bounds")
        );
        let with_id = "thread 'main' (29409) panicked at src/suite/join.rs:3:9:\nboom\n";
        assert_eq!(
            error_line(with_id).as_deref(),
            Some("thread 'main' (29409) panicked at src/suite/join.rs:3:9: boom")
        );
        // Older Rust: the message within the line.
        let old = "thread '<unnamed>' panicked at 'boom', src/main.rs:2:5\nnote: run with …\n";
        assert_eq!(
            error_line(old).as_deref(),
            Some("thread '<unnamed>' panicked at 'boom', src/main.rs:2:5")
        );
        // A panic with an empty message: the place alone, not the backtrace hint.
        let empty = "thread 'main' panicked at src/main.rs:2:5:\n\nnote: run with …\n";
        assert_eq!(
            error_line(empty).as_deref(),
            Some("thread 'main' panicked at src/main.rs:2:5:")
        );
    }

    #[test]
    fn a_record_is_exactly_one_json_line() {
        let dir = std::env::temp_dir().join(format!("suite-join-rec-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let path = dir.join("run.json");
        let line = serde_json::to_string(&RunRecord::default()).unwrap();
        fs::write(&path, format!("{line}\n")).unwrap();
        assert!(read_run_record(&path).is_some());
        fs::write(&path, "").unwrap();
        assert!(read_run_record(&path).is_none());
        fs::write(&path, format!("{line}\n{line}\n")).unwrap();
        assert!(read_run_record(&path).is_none());
        let _ = fs::remove_dir_all(&dir);
    }
}
