//! `--csv FILE`: one row per sample, appended and flushed as it is taken, so nothing is lost if
//! memmon or the machine stops mid-run. Columns are documented in `results/README.md`.

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

use crate::sampler::Sample;

pub const HEADER: [&str; 6] = [
    "run_id",
    "elapsed_ms",
    "rss_bytes",
    "vsz_bytes",
    "pss_anon_bytes",
    "pss_bytes",
];

pub struct CsvSink {
    path: PathBuf,
    writer: csv::Writer<File>,
    run_id: String,
}

impl CsvSink {
    /// Opens `path` for appending; writes the header when the file is new or empty, and refuses
    /// a non-empty file with another header (appending would mix two formats).
    pub fn open(path: &Path, run_id: &str) -> Result<CsvSink> {
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .read(true)
            .open(path)
            .with_context(|| format!("cannot open CSV file {}", path.display()))?;
        let empty = file.metadata()?.len() == 0;
        if !empty {
            let mut first = String::new();
            BufReader::new(&file).read_line(&mut first)?;
            if first.trim_end() != HEADER.join(",") {
                bail!(
                    "{} is not a memmon CSV (its header differs from `{}`): choose another file",
                    path.display(),
                    HEADER.join(",")
                );
            }
        }
        let mut writer = csv::WriterBuilder::new()
            .has_headers(false)
            .from_writer(file);
        if empty {
            writer.write_record(HEADER)?;
            writer.flush()?;
        }
        Ok(CsvSink {
            path: path.to_owned(),
            writer,
            run_id: run_id.to_owned(),
        })
    }

    /// Appends and flushes one row; absent metrics are empty cells.
    pub fn write(&mut self, elapsed_ms: u64, sample: &Sample) -> Result<()> {
        let cell = |v: Option<u64>| v.map(|v| v.to_string()).unwrap_or_default();
        self.writer
            .write_record([
                self.run_id.clone(),
                elapsed_ms.to_string(),
                cell(sample.rss),
                cell(sample.vsz),
                cell(sample.pss_anon),
                cell(sample.pss),
            ])
            .and_then(|()| Ok(self.writer.flush()?))
            .with_context(|| format!("cannot write to CSV file {}", self.path.display()))
    }
}
