//! `--csv FILE`: one `memory.csv` row per sample (`bench_records::MemorySample`), appended and
//! flushed as it is complete (`pending.rs`), so little is lost if memmon or the machine stops
//! mid-run.

use std::path::Path;

use anyhow::Result;
use bench_records::{Appender, MemorySample};

use crate::sampler::Sample;

pub struct CsvSink {
    appender: Appender<MemorySample>,
    run_id: String,
}

impl CsvSink {
    /// Opens `path` for appending; writes the header when the file is new or empty, and refuses
    /// a non-empty file with another header (appending would mix two formats).
    pub fn open(path: &Path, run_id: &str) -> Result<CsvSink> {
        Ok(CsvSink {
            appender: Appender::open(path)?,
            run_id: run_id.to_owned(),
        })
    }

    /// Appends and flushes one row; absent metrics are empty cells.
    pub fn write(&mut self, elapsed_ms: u64, sample: &Sample) -> Result<()> {
        Ok(self.appender.append(&MemorySample {
            run_id: self.run_id.clone(),
            elapsed_ms,
            rss_bytes: sample.rss,
            vsz_bytes: sample.vsz,
            pss_anon_bytes: sample.pss_anon,
            pss_bytes: sample.pss,
        })?)
    }
}
