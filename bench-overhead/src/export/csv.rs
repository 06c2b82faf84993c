//! Reading and appending CSV files: `jobs.csv` (one [`JobRecord`](crate::record::JobRecord) per job) and
//! `runs.csv` (one [`RunRow`](crate::record::RunRow) per run).
//!
//! Files are appended to, so iterations of the suite accumulate in one file joined by `run_id`;
//! the header row is written only when the file is new or empty. Every row is flushed at once, so
//! a run that is interrupted keeps every row it wrote.

use std::fs::{File, OpenOptions};
use std::marker::PhantomData;
use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::Serialize;

/// Reads every row of a CSV file with a header; an error names the file and the row.
pub fn read_rows<T: serde::de::DeserializeOwned>(path: &Path) -> anyhow::Result<Vec<T>> {
    let mut reader =
        csv::Reader::from_path(path).with_context(|| format!("cannot read {}", path.display()))?;
    reader
        .deserialize()
        .enumerate()
        .map(|(i, row)| {
            row.with_context(|| format!("{}: row {} does not parse", path.display(), i + 1))
        })
        .collect()
}

/// Appends rows of type `T` to one CSV file.
pub struct Appender<T> {
    writer: csv::Writer<File>,
    path: PathBuf,
    _rows: PhantomData<T>,
}

impl<T: Serialize> Appender<T> {
    /// Opens (creating it, and its folder, if needed) `path` for appending.
    pub fn open(path: &Path) -> anyhow::Result<Appender<T>> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create folder {}", dir.display()))?;
        }
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .with_context(|| format!("cannot open {} for appending", path.display()))?;
        let is_empty = file
            .metadata()
            .with_context(|| format!("cannot read {}", path.display()))?
            .len()
            == 0;
        let writer = csv::WriterBuilder::new()
            .has_headers(is_empty)
            .from_writer(file);
        Ok(Appender {
            writer,
            path: path.to_path_buf(),
            _rows: PhantomData,
        })
    }

    /// Writes one row and flushes it to the file.
    pub fn append(&mut self, row: &T) -> anyhow::Result<()> {
        self.writer
            .serialize(row)
            .map_err(anyhow::Error::from)
            .and_then(|()| self.writer.flush().map_err(anyhow::Error::from))
            .with_context(|| format!("cannot append to {}", self.path.display()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::JobRecord;

    #[test]
    fn header_once_then_rows() {
        let dir = std::env::temp_dir().join(format!("bo-csv-test-{}", std::process::id()));
        let path = dir.join("jobs.csv");
        let _ = std::fs::remove_file(&path);
        for job in 0..2 {
            let mut appender = Appender::<JobRecord>::open(&path).unwrap();
            let record = JobRecord {
                run_id: "r".into(),
                job,
                bytes: 5,
                ..JobRecord::default()
            };
            appender.append(&record).unwrap();
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 3, "{text}");
        assert!(lines[0].starts_with("run_id,job,variant,socket_ns"));
        let mut reader = csv::Reader::from_path(&path).unwrap();
        let rows: Vec<JobRecord> = reader.deserialize().map(Result::unwrap).collect();
        assert_eq!(rows[1].job, 1);
        assert_eq!(rows[1].socket_ns, None);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
