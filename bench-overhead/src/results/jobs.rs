//! Reading `jobs.csv` for `summarize`: every row that parses. One hand-edited or cut-short row
//! should not hide the summary of every other job, so a row that does not parse is left out and
//! its run takes its job figures from its `runs.csv` means; such rows are counted and the first
//! few named (a `jobs.csv` of another version has thousands).

use std::collections::BTreeSet;
use std::path::Path;

use anyhow::Context;

use crate::results::csv::{describe_error, read_header, row_error, unequal_lengths};
use bench_records::JobRecord;

/// Rows that do not parse named one by one; the others are only counted.
pub const NAMED: usize = 3;

/// The rows of jobs.csv that parse, and what was left out.
#[derive(Debug, Default)]
pub struct JobRows {
    pub rows: Vec<JobRecord>,
    /// Rows that do not parse.
    pub skipped: u64,
    /// The first [`NAMED`] of them: `line 7, column `bytes`: …`.
    pub skipped_first: Vec<String>,
    /// The runs of those rows, as far as their first field tells.
    pub broken_runs: BTreeSet<String>,
}

/// Reads jobs.csv, leaving out rows that do not parse. Rows are read as bytes, so that a row with
/// a cell that is not UTF-8 still names its run.
pub fn read(path: &Path) -> anyhow::Result<JobRows> {
    let display = path.display().to_string();
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_path(path)
        .with_context(|| format!("cannot read {display}"))?;
    let header = read_header(&mut reader, &display)?;
    let mut jobs = JobRows::default();
    for record in reader.byte_records() {
        // A flexible reader of bytes fails only when the file cannot be read.
        let record = record.map_err(|err| row_error(&display, &err, &header, None))?;
        let line = record.position().map_or(0, |p| p.line());
        let problem = if record.len() != header.len() {
            unequal_lengths(line, record.len() as u64, header.len() as u64)
        } else {
            match record.deserialize::<JobRecord>(Some(header.as_byte_record())) {
                Ok(job) => {
                    jobs.rows.push(job);
                    continue;
                }
                Err(err) => describe_error(&err, &header, Some(&record)),
            }
        };
        jobs.skipped += 1;
        if jobs.skipped_first.len() < NAMED {
            jobs.skipped_first.push(problem);
        }
        let run_id = String::from_utf8_lossy(record.get(0).unwrap_or_default())
            .trim()
            .to_string();
        if !run_id.is_empty() {
            jobs.broken_runs.insert(run_id);
        }
    }
    Ok(jobs)
}

/// A timed phase whose percentiles the reports print.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    Connect,
    Ttfb,
    Transfer,
}

/// The phase times of one run's successful jobs (from `jobs.csv`): what percentiles across runs
/// pool.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct JobTimes {
    pub connect: Vec<u64>,
    pub ttfb: Vec<u64>,
    pub transfer: Vec<u64>,
}

impl JobTimes {
    /// The times of the successful ones among `jobs`, as the client's per-run statistics take them.
    pub fn of<'a>(jobs: impl IntoIterator<Item = &'a JobRecord>) -> JobTimes {
        let mut times = JobTimes::default();
        for job in jobs.into_iter().filter(|j| j.ok()) {
            times.connect.extend(job.connect_ns);
            times.ttfb.extend(job.ttfb_ns);
            times.transfer.extend(job.transfer_ns);
        }
        times
    }

    pub fn phase(&self, phase: Phase) -> &[u64] {
        match phase {
            Phase::Connect => &self.connect,
            Phase::Ttfb => &self.ttfb,
            Phase::Transfer => &self.transfer,
        }
    }
}
