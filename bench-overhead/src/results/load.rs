//! Loading and validating the inputs of `compare` (results folders and `runs.csv` files), and of
//! `summarize`, which reads a folder's `runs.csv` and `meta.json` here so that the two commands
//! accept and refuse the same files.
//!
//! Files are hand-edited, copied between machines and cut short by Ctrl-C, so nothing here trusts
//! them: every fault becomes one line naming the file (and the line and column) and what is wrong.
//! A numeric cell may be left empty: it means "not measured" (the published reference rows only
//! give the old suite's figures) and prints as `—`, never as 0.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use anyhow::bail;

use crate::results::csv::{number_problem, read_header, row_error};
use crate::results::jobs::JobTimes;
use bench_records::{is_cost_column, is_request_column, MetaFields, RunRow, Variant};

/// Columns holding text; every other column holds a number.
const TEXT_COLUMNS: &[&str] = &[
    "run_id",
    "variant",
    "backend",
    "address",
    "path",
    "os",
    "os_version",
    "arch",
    "kernel",
    "network",
    "server",
    "failures",
    "workload",
    "latency_histogram",
    "schedule_missed",
    "connect_histogram",
];

/// Columns added after the first release, at the end of the row: files written before lack them,
/// and their runs read them as not measured.
const LATER_COLUMNS: &[&str] = &[
    "sys_connect_wait",
    "recv_buffer_bytes",
    "sys_fcntl",
    "sys_sockopt",
    "sys_ctl",
    "sys_submit",
    "sys_close",
    "thread_spawns",
    "mem_scheduled_samples",
];

/// Later columns that may be empty (not counted then): they stay empty rather than 0.
const OPTIONAL_LATER: &[&str] = &[
    "recv_buffer_bytes",
    "sys_fcntl",
    "sys_sockopt",
    "sys_ctl",
    "sys_submit",
    "sys_close",
    "thread_spawns",
    "mem_scheduled_samples",
];

/// Whether the suite finished writing the folder (meta.json's `status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Complete,
    /// Interrupted or failed part-way: the rows cover the runs that finished.
    Partial,
    /// No meta.json (a bare `runs.csv`, or a folder from `run --csv-dir`).
    Unknown,
}

/// One input: a results folder or a `runs.csv` file, with its runs.
#[derive(Debug, Clone)]
pub struct Source {
    /// The path as given, for messages.
    pub display: String,
    /// The folder holding `memory.csv`, when there is one.
    pub folder: Option<PathBuf>,
    pub status: Status,
    /// Rows copied from a publication, not measured by this suite (meta.json `"published": true`).
    pub published: bool,
    /// Remarks printed after a row's memory figure, by run id (meta.json `memory_notes`).
    pub memory_notes: BTreeMap<String, String>,
    /// Iterations each row stands for: 1, except for published rows that are already averages.
    pub iterations_per_row: u32,
    /// The client machine (meta.json `hostname`, `cpu_model`); "" when not known.
    pub hostname: String,
    pub cpu_model: String,
    /// meta.json's `extra` (`META="key=value …"`), every value as text, empty ones left out.
    pub extra: BTreeMap<String, String>,
    /// The successful jobs' phase times of each run whose jobs.csv rows all read (by run id):
    /// what percentiles across runs pool. Empty without a jobs.csv.
    pub job_times: BTreeMap<String, JobTimes>,
    /// memmon's sampling interval (meta.json `interval`), when it is given and reads as one.
    pub interval: Option<std::time::Duration>,
    pub runs: Vec<Run>,
}

/// One `runs.csv` row, with the numeric columns that were left empty.
#[derive(Debug, Clone)]
pub struct Run {
    pub row: RunRow,
    /// The row's `variant`, checked on load.
    pub variant: Variant,
    /// Numeric columns whose cell was empty: not measured (the row holds 0 there).
    pub absent: BTreeSet<&'static str>,
}

/// The numeric columns the reports read, each as `Option`: `None` where the cell was empty (not
/// measured), so that no report can take the 0 the row holds there for a figure. The name of each
/// accessor is its column's, so a column the row lacks does not compile.
macro_rules! measured {
    ($($column:ident: $ty:ty),* $(,)?) => {
        impl Run {
            $(
                #[doc = concat!("`", stringify!($column), "`; `None` when its cell was empty.")]
                pub fn $column(&self) -> Option<$ty> {
                    (!self.absent.contains(stringify!($column))).then_some(self.row.$column)
                }
            )*
        }
    };
}

measured! {
    jobs_ok: u32, jobs_failed: u32, bytes: u64, run_ns: u64, aggregate_mib_s: f64, job_mib_s: f64,
    cpu_user_s: f64, cpu_sys_s: f64,
    sys_socket: u64, sys_connect: u64, sys_send: u64, sys_recv: u64, sys_wait: u64,
    socket_mean_ns: f64, setup_mean_ns: f64, receive_mean_ns: f64,
    connect_p50_ns: u64, connect_p99_ns: u64, ttfb_p50_ns: u64, ttfb_p99_ns: u64,
    transfer_p50_ns: u64, transfer_p99_ns: u64,
}

impl Run {
    /// What the run's connections did (`download` for rows written before the column).
    pub fn workload(&self) -> &str {
        &self.row.workload
    }

    /// Whether the run made many requests per connection (keepalive, churn): its figures are
    /// requests per second and latency, not bytes and phases.
    pub fn request_rate(&self) -> bool {
        self.row.requests.is_some()
    }
}

/// `meta.json` as the reports read it: any JSON value in `extra` (hand-edited files).
pub type Meta = MetaFields<serde_json::Value>;

/// The canonical path of the runs.csv a path names (the folder's, or the file itself), when it
/// exists: two inputs with the same one are the same results.
pub fn runs_file(path: &Path) -> Option<PathBuf> {
    let file = if path.is_dir() {
        path.join("runs.csv")
    } else {
        path.to_path_buf()
    };
    file.canonicalize().ok()
}

/// Loads a results folder or a `runs.csv` file.
pub fn load(path: &Path) -> anyhow::Result<Source> {
    let display = path.display().to_string();
    let metadata = std::fs::metadata(path)
        .map_err(|_| anyhow::anyhow!("{display}: cannot open: {}", io_reason(path)))?;
    let (runs_csv, folder) = if metadata.is_dir() {
        let runs_csv = path.join("runs.csv");
        if !runs_csv.exists() {
            let empty = std::fs::read_dir(path)
                .map(|mut entries| entries.next().is_none())
                .unwrap_or(false);
            if empty {
                bail!("{display}: empty folder, no runs.csv: pass a results folder written by bench-overhead.sh or a runs.csv file");
            }
            bail!("{display}: no runs.csv in this folder: pass a results folder written by bench-overhead.sh or a runs.csv file");
        }
        (runs_csv, Some(path.to_path_buf()))
    } else {
        // A runs.csv inside a results folder still has its folder's meta.json and memory.csv.
        let folder = (path.file_name() == Some("runs.csv".as_ref()))
            .then(|| path.parent().map(Path::to_path_buf))
            .flatten();
        (path.to_path_buf(), folder)
    };
    let runs = parse_runs(&runs_csv.display().to_string(), &read_bytes(&runs_csv)?)?;
    let meta = match &folder {
        Some(folder) => read_meta(folder)?,
        None => None,
    };
    let mut source = source(display, folder, meta, runs)?;
    if let Some(folder) = &source.folder {
        source.job_times = read_job_times(&folder.join("jobs.csv"))?;
    }
    Ok(source)
}

/// The job times of each run in a jobs.csv, when there is one. A run with a row that does not read
/// has none: its percentiles would miss that job.
fn read_job_times(jobs_csv: &Path) -> anyhow::Result<BTreeMap<String, JobTimes>> {
    if !jobs_csv.exists() {
        return Ok(BTreeMap::new());
    }
    let jobs = crate::results::jobs::read(jobs_csv)?;
    let mut by_run: BTreeMap<&str, Vec<&bench_records::JobRecord>> = BTreeMap::new();
    for job in &jobs.rows {
        by_run.entry(&*job.run_id).or_default().push(job);
    }
    Ok(by_run
        .into_iter()
        .filter(|(run_id, _)| !jobs.broken_runs.contains(*run_id))
        .map(|(run_id, rows)| (run_id.to_string(), JobTimes::of(rows)))
        .collect())
}

/// The runs of a `runs.csv` that may hold none yet (see [`parse_recorded_runs`]).
pub fn read_recorded_runs(runs_csv: &Path) -> anyhow::Result<Vec<Run>> {
    parse_recorded_runs(&runs_csv.display().to_string(), &read_bytes(runs_csv)?)
}

/// The folder's meta.json, when it has one.
pub fn read_meta(folder: &Path) -> anyhow::Result<Option<Meta>> {
    let meta_path = folder.join("meta.json");
    if !meta_path.exists() {
        return Ok(None);
    }
    let bytes = read_bytes(&meta_path)?;
    let display = meta_path.display().to_string();
    let text = String::from_utf8(bytes)
        .map_err(|_| anyhow::anyhow!("{display}: not valid meta.json: not UTF-8 text"))?;
    parse_meta(&display, &text).map(Some)
}

fn read_bytes(path: &Path) -> anyhow::Result<Vec<u8>> {
    std::fs::read(path)
        .map_err(|_| anyhow::anyhow!("{}: cannot read: {}", path.display(), io_reason(path)))
}

/// Builds a source from parsed parts (also used for the built-in reference rows).
pub fn source(
    display: String,
    folder: Option<PathBuf>,
    meta: Option<Meta>,
    runs: Vec<Run>,
) -> anyhow::Result<Source> {
    let meta_file = || {
        folder
            .as_ref()
            .map(|f| f.join("meta.json").display().to_string())
            .unwrap_or_else(|| format!("{display}: meta.json"))
    };
    let status = status(meta.as_ref(), &meta_file())?;
    let meta = meta.unwrap_or_default();
    // Measured rows from before the client's raw backends ran the polling crate; published rows
    // keep the readiness API their suite named.
    let mut runs = runs;
    if !meta.published {
        for run in &mut runs {
            run.row.backend = bench_records::run::legacy_backend(&run.row);
        }
    }
    let extra = meta
        .extra
        .iter()
        .filter_map(|(key, value)| {
            let value = match value {
                serde_json::Value::String(text) => text.trim().to_string(),
                other => other.to_string(),
            };
            (!value.is_empty()).then(|| (key.clone(), value))
        })
        .collect();
    Ok(Source {
        display,
        folder,
        status,
        published: meta.published,
        memory_notes: meta.memory_notes,
        iterations_per_row: meta.iterations_per_row.unwrap_or(1).max(1),
        hostname: meta.hostname.trim().to_string(),
        cpu_model: meta.cpu_model.trim().to_string(),
        extra,
        job_times: BTreeMap::new(),
        interval: meta
            .interval
            .as_deref()
            .and_then(|text| crate::units::parse_duration(text).ok()),
        runs,
    })
}

/// meta.json's `status`; `meta_file` names the file in messages.
pub fn status(meta: Option<&Meta>, meta_file: &str) -> anyhow::Result<Status> {
    Ok(match meta.and_then(|m| m.status.as_deref()) {
        None => Status::Unknown,
        Some("complete") => Status::Complete,
        Some("partial") => Status::Partial,
        Some(other) => {
            bail!("{meta_file}: status is `{other}`, expected `complete` or `partial`")
        }
    })
}

/// Parses meta.json: valid JSON whose fields, when present, have their types.
pub fn parse_meta(display: &str, text: &str) -> anyhow::Result<Meta> {
    let invalid = |err: String| anyhow::anyhow!("{display}: not valid meta.json: {err}");
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|e| invalid(e.to_string()))?;
    // serde reads a struct from an array too (`[]` as every field's default): the suite writes an
    // object, and anything else is not its meta.json.
    if !value.is_object() {
        return Err(invalid(format!(
            "expected a JSON object ({{\"status\": …}}), found {}",
            json_kind(&value)
        )));
    }
    serde_json::from_value(value).map_err(|e| invalid(e.to_string()))
}

fn json_kind(value: &serde_json::Value) -> &'static str {
    match value {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}

/// Parses the text of a `runs.csv`; `display` names the file in messages. A file without runs is
/// refused: there is nothing to compare.
pub fn parse_runs(display: &str, bytes: &[u8]) -> anyhow::Result<Vec<Run>> {
    let runs = parse_recorded_runs(display, bytes)?;
    if runs.is_empty() {
        bail!("{display}: no runs, only a header row: the suite writes a row when a run finishes");
    }
    Ok(runs)
}

/// Parses the text of a `runs.csv` that may hold no run yet (a header only: a suite whose every
/// run failed before writing a row). An empty file is refused: the suite writes the header with
/// the first row, so an empty one is not its runs.csv (or was cut short before its first row).
/// The same run twice (one run id and start time, a row pasted twice) is refused: it would count
/// double in every mean.
pub fn parse_recorded_runs(display: &str, bytes: &[u8]) -> anyhow::Result<Vec<Run>> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        bail!("{display}: empty file, no header row: expected the runs.csv columns of results/README.md");
    }
    let runs = parse_rows(display, bytes)?;
    if let Some(((run, _), _)) = duplicate(runs.iter().map(|r| (r, ()))) {
        bail!(
            "{display}: run {} appears twice (same run id and start time): remove the repeated row",
            run.row.run_id
        );
    }
    Ok(runs)
}

/// A run and the input it came from.
pub type RunFrom<'a, T> = (&'a Run, T);

/// The first run met twice among `runs` (each with the input it came from): same run id, start
/// time (in seconds), OS and kernel, which no two distinct runs share (run ids repeat across
/// folders, `threaded-1`; their start times do not).
pub fn duplicate<'a, T: Copy>(
    runs: impl IntoIterator<Item = (&'a Run, T)>,
) -> Option<(RunFrom<'a, T>, RunFrom<'a, T>)> {
    let mut seen: BTreeMap<(&str, u64, &str, &str), (&'a Run, T)> = BTreeMap::new();
    for (run, from) in runs {
        let r = &run.row;
        let key = (
            r.run_id.as_str(),
            r.started_unix_s,
            r.os.as_str(),
            r.kernel.as_str(),
        );
        if let Some(first) = seen.get(&key) {
            return Some((*first, (run, from)));
        }
        seen.insert(key, (run, from));
    }
    None
}

fn parse_rows(display: &str, bytes: &[u8]) -> anyhow::Result<Vec<Run>> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(bytes);
    let header = read_header(&mut reader, display)?;
    if header.iter().all(|name| name.trim().is_empty()) {
        return Ok(Vec::new());
    }
    let names: Vec<String> = header.iter().map(|name| name.trim().to_string()).collect();
    check_header(display, &names)?;
    let header = csv::StringRecord::from(names.clone());

    let mut runs = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|err| row_error(display, &err, &header, None))?;
        runs.push(parse_run(display, &names, &header, &record)?);
    }
    Ok(runs)
}

fn check_header(display: &str, names: &[String]) -> anyhow::Result<()> {
    let mut seen = BTreeSet::new();
    for name in names {
        if !RunRow::COLUMNS.contains(&name.as_str()) {
            bail!("{display}: unknown column `{name}`: is this a runs.csv? Its columns are listed in results/README.md");
        }
        if !seen.insert(name.as_str()) {
            bail!("{display}: column `{name}` appears twice");
        }
    }
    if let Some(missing) = RunRow::COLUMNS.iter().find(|c| {
        !seen.contains(*c)
            && !LATER_COLUMNS.contains(c)
            && !is_cost_column(c)
            && !is_request_column(c)
    }) {
        bail!("{display}: missing column `{missing}`: runs.csv needs every column listed in results/README.md");
    }
    Ok(())
}

fn parse_run(
    display: &str,
    names: &[String],
    header: &csv::StringRecord,
    record: &csv::StringRecord,
) -> anyhow::Result<Run> {
    let line = record.position().map_or(0, |p| p.line());
    let at = |column: &str| format!("{display}: line {line}, column `{column}`");
    let mut absent = BTreeSet::new();
    let mut cells = Vec::with_capacity(names.len());
    for (name, cell) in names.iter().zip(record.iter()) {
        let column = column_name(name);
        let cell = cell.trim();
        if TEXT_COLUMNS.contains(&column) {
            cells.push(cell.to_string());
            continue;
        }
        if cell.is_empty() {
            absent.insert(column);
            // Optional columns (memory, context switches, later counts, costs) stay empty; the
            // others hold 0 and are marked absent.
            let optional = column.starts_with("mem_")
                || column.starts_with("ctx_")
                || OPTIONAL_LATER.contains(&column)
                || is_cost_column(column)
                || is_request_column(column);
            cells.push(if optional { "" } else { "0" }.to_string());
            continue;
        }
        if let Some(problem) = number_problem(cell) {
            bail!("{}: {problem}", at(column));
        }
        cells.push(cell.to_string());
    }
    for later in LATER_COLUMNS {
        if !names.iter().any(|name| name == later) {
            absent.insert(*later);
        }
    }
    let mut substituted = csv::StringRecord::from(cells);
    substituted.set_position(record.position().cloned());
    let row: RunRow = substituted
        .deserialize(Some(header))
        .map_err(|err| row_error(display, &err, header, Some(record.as_byte_record())))?;
    let mut row = row;
    // An empty (or, in files written before it, missing) workload is the old suite's download.
    if row.workload.is_empty() {
        row.workload = bench_records::run::download();
    }
    let Some(variant) = Variant::ALL.into_iter().find(|v| v.name() == row.variant) else {
        bail!(
            "{}: unknown variant `{}`, expected `threaded` or `poll`",
            at("variant"),
            row.variant
        );
    };
    Ok(Run {
        row,
        variant,
        absent,
    })
}

/// The `'static` name of a header column (the header was checked against `RunRow::COLUMNS`).
fn column_name(name: &str) -> &'static str {
    RunRow::COLUMNS
        .iter()
        .find(|c| **c == name)
        .copied()
        .unwrap_or("?")
}

fn io_reason(path: &Path) -> String {
    match std::fs::metadata(path) {
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => "no such file or folder".into(),
        Err(err) => err.to_string(),
        Ok(_) => match std::fs::read(path) {
            Err(err) if err.kind() == std::io::ErrorKind::PermissionDenied => {
                "permission denied".into()
            }
            Err(err) => err.to_string(),
            Ok(_) => "unreadable".into(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header() -> String {
        RunRow::COLUMNS.join(",")
    }

    fn row(changes: &[(&str, &str)]) -> String {
        RunRow::COLUMNS
            .iter()
            .map(|c| {
                changes
                    .iter()
                    .find(|(name, _)| name == c)
                    .map(|(_, v)| v.to_string())
                    .unwrap_or_else(|| match *c {
                        "variant" => "poll".into(),
                        c if TEXT_COLUMNS.contains(&c) => "x".into(),
                        c if c.starts_with("mem_") || is_cost_column(c) || is_request_column(c) => {
                            String::new()
                        }
                        _ => "1".into(),
                    })
            })
            .collect::<Vec<_>>()
            .join(",")
    }

    /// The client writes runs.csv by serializing `RunRow`s with the csv crate: read them back.
    #[test]
    fn reads_what_the_client_writes() {
        let mut row = RunRow {
            run_id: "r1".into(),
            variant: "threaded".into(),
            os: "Linux".into(),
            run_ns: 1_500_000_000,
            job_mib_s: 12.5,
            mem_rss_avg_bytes: Some(1048576.0),
            workload: "download".into(),
            ..RunRow::default()
        };
        row.failures = "timed out=1; reset=2".into();
        let mut writer = csv::Writer::from_writer(Vec::new());
        writer.serialize(&row).unwrap();
        let second = RunRow {
            run_id: "r2".into(),
            ..row.clone()
        };
        writer.serialize(&second).unwrap();
        let bytes = writer.into_inner().unwrap();
        let runs = parse_runs("runs.csv", &bytes).unwrap();
        assert_eq!(runs.len(), 2);
        assert_eq!(runs[0].row, row);
        // Memory figures memmon did not give are absent; every other column was written.
        assert_eq!(runs[0].row.mem_pss_anon_avg_bytes, None);
        assert!(runs[0].row.mem_rss_avg_bytes.is_some() && runs[0].cpu_user_s().is_some());
    }

    #[test]
    fn files_from_before_a_later_column_still_load() {
        // The later columns and after them the cost columns come last: a file from before has
        // none of them.
        let first_later = RunRow::COLUMNS
            .iter()
            .position(|c| LATER_COLUMNS.contains(c) || is_cost_column(c))
            .unwrap();
        let later =
            |c: &&str| LATER_COLUMNS.contains(c) || is_cost_column(c) || is_request_column(c);
        assert!(
            RunRow::COLUMNS[first_later..].iter().all(later),
            "later columns come last"
        );
        let without = |line: String| {
            let cells: Vec<&str> = line.split(',').collect();
            cells[..first_later].join(",")
        };
        let text = format!("{}\n{}\n", without(header()), without(row(&[])));
        let runs = parse_runs("runs.csv", text.as_bytes()).unwrap();
        assert!(runs[0].absent.contains("sys_connect_wait"));
        assert_eq!(runs[0].row.sys_connect_wait, 0);
        assert!(runs[0].sys_wait().is_some());
        assert_eq!(runs[0].row.server_pid, None);
        assert_eq!(runs[0].row.tcp_mem_avg_bytes, None);
        // Written before the workload column: a download run, without request figures.
        assert_eq!(runs[0].workload(), "download");
        assert!(!runs[0].request_rate() && runs[0].row.latency_histogram.is_none());
        // Written before the client's raw backends: its poll run used the polling crate.
        let source = source("runs.csv".into(), None, None, runs).unwrap();
        assert_eq!(source.runs[0].row.backend, "polling");
    }

    #[test]
    fn empty_cells_are_absent_not_zero() {
        let text = format!("{}\n{}\n", header(), row(&[("cpu_user_s", "")]));
        let runs = parse_runs("runs.csv", text.as_bytes()).unwrap();
        assert_eq!(runs[0].cpu_user_s(), None);
        assert!(runs[0].run_ns().is_some());
        assert_eq!(runs[0].row.mem_rss_avg_bytes, None);
        assert_eq!(runs[0].variant, Variant::Poll);
    }

    #[test]
    fn faults_name_the_file_line_and_column() {
        let bad = |changes: &[(&str, &str)]| {
            let text = format!("{}\n{}\n", header(), row(changes));
            parse_runs("r.csv", text.as_bytes())
                .unwrap_err()
                .to_string()
        };
        assert_eq!(
            bad(&[("run_ns", "abc")]),
            "r.csv: line 2, column `run_ns`: `abc` is not a number"
        );
        assert!(bad(&[("run_ns", "1.5")]).starts_with("r.csv: line 2, column `run_ns`: `1.5`"));
        assert!(bad(&[("job_mib_s", "NaN")]).contains("not a finite number"));
        assert!(bad(&[("port", "70000")]).contains("column `port`"));
        assert!(bad(&[("variant", "fork")]).contains("unknown variant `fork`"));
    }

    #[test]
    fn header_faults_name_the_column() {
        let text = header().replace(",run_ns,", ",run_time,");
        let err = parse_runs("r.csv", text.as_bytes())
            .unwrap_err()
            .to_string();
        assert!(err.contains("unknown column `run_time`"), "{err}");
        let text = header().replace(",run_ns,", ",");
        let err = parse_runs("r.csv", text.as_bytes())
            .unwrap_err()
            .to_string();
        assert!(err.contains("missing column `run_ns`"), "{err}");
        let err = parse_runs("r.csv", b"").unwrap_err().to_string();
        assert!(err.contains("empty file"), "{err}");
        let err = parse_runs("r.csv", header().as_bytes())
            .unwrap_err()
            .to_string();
        assert!(err.contains("no runs"), "{err}");
    }
}
