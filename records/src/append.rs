//! Appending rows to a CSV file: how `jobs.csv`, `runs.csv` and `memory.csv` are written.
//!
//! Files are appended to, so iterations of the suite accumulate in one file joined by `run_id`;
//! the header row is written only when the file is new or empty. Every row is flushed at once, so
//! a run that is interrupted keeps every row it wrote. A file whose header differs from the one
//! this version writes (an older version's, or another file's) is refused before anything is
//! written: rows under the wrong header would be read back into the wrong columns.

use std::fs::{File, OpenOptions};
use std::io::{self, BufRead, BufReader};
use std::marker::PhantomData;
use std::path::{Path, PathBuf};

use serde::Serialize;

/// Appends rows of type `T` to one CSV file.
pub struct Appender<T> {
    writer: csv::Writer<File>,
    path: PathBuf,
    _rows: PhantomData<T>,
}

/// An I/O error whose message names the file and what was being done.
fn failed(what: String, err: impl std::fmt::Display) -> io::Error {
    io::Error::other(format!("{what}: {err}"))
}

/// The header row this version writes for `T`, without its line end.
fn header_of<T: Serialize + Default>() -> io::Result<String> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.serialize(T::default())?;
    let bytes = writer
        .into_inner()
        .map_err(|e| io::Error::other(e.to_string()))?;
    let text = String::from_utf8(bytes).map_err(io::Error::other)?;
    Ok(text.lines().next().unwrap_or_default().to_string())
}

/// Refuses a non-empty file whose first line is not `expected`.
fn check_header(file: &File, path: &Path, expected: &str) -> io::Result<()> {
    let mut first = String::new();
    BufReader::new(file)
        .read_line(&mut first)
        .map_err(|e| failed(format!("cannot read {}", path.display()), e))?;
    let found = first.trim_end_matches(['\r', '\n']);
    if found == expected {
        return Ok(());
    }
    Err(io::Error::other(format!(
        "{} has other columns than this version writes (its header starts {:?}): \
         write to a new folder or file",
        path.display(),
        found.chars().take(60).collect::<String>()
    )))
}

impl<T: Serialize + Default> Appender<T> {
    /// Opens (creating it, and its folder, if needed) `path` for appending: the client's
    /// `--csv-dir` names a folder that need not exist yet.
    pub fn open_in_new_folder(path: &Path) -> io::Result<Appender<T>> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .map_err(|e| failed(format!("cannot create folder {}", dir.display()), e))?;
        }
        Appender::open(path)
    }

    /// Opens (creating it if needed) `path` for appending; its folder must exist, so a mistyped
    /// path fails before anything is measured.
    pub fn open(path: &Path) -> io::Result<Appender<T>> {
        let file = OpenOptions::new()
            .create(true)
            .read(true)
            .append(true)
            .open(path)
            .map_err(|e| failed(format!("cannot open {} for appending", path.display()), e))?;
        let is_empty = file
            .metadata()
            .map_err(|e| failed(format!("cannot read {}", path.display()), e))?
            .len()
            == 0;
        if !is_empty {
            check_header(&file, path, &header_of::<T>()?)?;
        }
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
    pub fn append(&mut self, row: &T) -> io::Result<()> {
        self.writer
            .serialize(row)
            .map_err(io::Error::from)
            .and_then(|()| self.writer.flush())
            .map_err(|e| failed(format!("cannot append to {}", self.path.display()), e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::job::JobRecord;

    #[test]
    fn header_once_then_rows() {
        let dir = std::env::temp_dir().join(format!("records-csv-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("jobs.csv");
        let _ = std::fs::remove_file(&path);
        for job in 0..2 {
            let mut appender = Appender::<JobRecord>::open_in_new_folder(&path).unwrap();
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

    #[test]
    fn a_file_with_other_columns_is_refused_and_left_as_is() {
        let dir = std::env::temp_dir().join(format!("records-csv-other-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("jobs.csv");
        let old = "run_id,job,variant\nr,0,poll\n";
        std::fs::write(&path, old).unwrap();
        let error = Appender::<JobRecord>::open(&path).err().expect("refused");
        let message = error.to_string();
        assert!(message.contains("other columns"), "{message}");
        assert!(message.contains("run_id,job,variant"), "{message}");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), old);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
