//! Reading and appending CSV files: `jobs.csv` (one [`JobRecord`](crate::record::JobRecord) per job) and
//! `runs.csv` (one [`RunRow`](crate::record::RunRow) per run), and the one-line descriptions of a
//! row that does not read, which every reader of the suite's CSV files shares.
//!
//! Files are appended to, so iterations of the suite accumulate in one file joined by `run_id`;
//! the header row is written only when the file is new or empty. Every row is flushed at once, so
//! a run that is interrupted keeps every row it wrote. A file whose header differs from the one
//! this version writes (an older version's, or another file's) is refused before anything is
//! written: rows under the wrong header would be read back into the wrong columns.

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader};
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

/// The header row of a CSV file; a fault is one error naming the file (`display`).
pub fn read_header<R: std::io::Read>(
    reader: &mut csv::Reader<R>,
    display: &str,
) -> anyhow::Result<csv::StringRecord> {
    reader
        .headers()
        .cloned()
        .map_err(|err| row_error(display, &err, &csv::StringRecord::new(), None))
}

/// A row that could not be read or deserialized, as one error naming the file (`display`) and
/// what [`describe_error`] says.
pub fn row_error(
    display: &str,
    err: &csv::Error,
    header: &csv::StringRecord,
    record: Option<&csv::ByteRecord>,
) -> anyhow::Error {
    anyhow::anyhow!("{display}: {}", describe_error(err, header, record))
}

/// The header name of the field an error is about (a cell that does not deserialize, or is not
/// UTF-8); `?` when the error names no field the header has.
pub fn failed_column<'a>(err: &csv::Error, header: &'a csv::StringRecord) -> &'a str {
    let field = match err.kind() {
        csv::ErrorKind::Deserialize { err, .. } => err.field().map(|f| f as usize),
        csv::ErrorKind::Utf8 { err, .. } => Some(err.field()),
        _ => None,
    };
    field.and_then(|f| header.get(f)).unwrap_or("?")
}

/// One line on a row that could not be read or deserialized, starting with where it is:
/// `line 7: the row is cut short (…)`, `line 3, column `port`: `70000` does not fit: …`.
/// `record` is the row as read, to quote the cell that does not deserialize.
pub fn describe_error(
    err: &csv::Error,
    header: &csv::StringRecord,
    record: Option<&csv::ByteRecord>,
) -> String {
    let line = err.position().map_or(0, |p| p.line());
    let column = failed_column(err, header);
    match err.kind() {
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => unequal_lengths(line, *len, *expected_len),
        csv::ErrorKind::Utf8 { .. } => {
            format!("line {line}, column `{column}`: not valid UTF-8 text")
        }
        // Not about one cell: `missing field `variant`` (the header lacks that column).
        csv::ErrorKind::Deserialize { err, .. } if err.field().is_none() => {
            format!("line {line}: {}", err.kind())
        }
        csv::ErrorKind::Deserialize { err, .. } => {
            let value = err
                .field()
                .and_then(|f| record?.get(f as usize))
                .map(|cell| String::from_utf8_lossy(cell).trim().to_string())
                .unwrap_or_default();
            let reason = match err.kind() {
                csv::DeserializeErrorKind::ParseInt(_) => {
                    "expected a whole number in range for this column".to_string()
                }
                csv::DeserializeErrorKind::ParseFloat(_) => "expected a number".to_string(),
                other => other.to_string(),
            };
            if value.is_empty() {
                format!("line {line}, column `{column}`: empty: {reason}")
            } else {
                format!("line {line}, column `{column}`: `{value}` does not fit: {reason}")
            }
        }
        csv::ErrorKind::Io(io) => format!("cannot read: {io}"),
        _ => err.to_string().replace('\n', " "),
    }
}

/// A row with fewer fields than the header was cut short (a write interrupted part-way, most
/// often the last row of a partial folder); one with more was edited.
pub fn unequal_lengths(line: u64, len: u64, expected: u64) -> String {
    if len < expected {
        format!(
            "line {line}: the row is cut short ({len} of the header's {expected} fields; an \
             interrupted write?): complete or delete that row"
        )
    } else {
        format!("line {line}: {len} fields where the header has {expected}")
    }
}

/// Why a numeric cell is no measurement (`inf`, `-1`, `abc`); `None` for a finite number of at
/// least 0. A count, a time or a size is never negative, and an infinite one leaves a mean, and a
/// chart's axis, without a value.
pub fn number_problem(cell: &str) -> Option<String> {
    match cell.parse::<f64>() {
        Ok(value) if value.is_finite() && value >= 0.0 => None,
        Ok(_) => Some(format!("`{cell}` is not a finite number of at least 0")),
        Err(_) => Some(format!("`{cell}` is not a number")),
    }
}

/// Appends rows of type `T` to one CSV file.
pub struct Appender<T> {
    writer: csv::Writer<File>,
    path: PathBuf,
    _rows: PhantomData<T>,
}

/// The header row this version writes for `T`, without its line end.
fn header_of<T: Serialize + Default>() -> anyhow::Result<String> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.serialize(T::default())?;
    let bytes = writer
        .into_inner()
        .map_err(|e| anyhow::anyhow!("{}", e.error()))?;
    let text = String::from_utf8(bytes)?;
    Ok(text.lines().next().unwrap_or_default().to_string())
}

/// Refuses a non-empty file whose first line is not `expected`.
fn check_header(file: &File, path: &Path, expected: &str) -> anyhow::Result<()> {
    let mut first = String::new();
    BufReader::new(file)
        .read_line(&mut first)
        .with_context(|| format!("cannot read {}", path.display()))?;
    let found = first.trim_end_matches(['\r', '\n']);
    anyhow::ensure!(
        found == expected,
        "{} has other columns than this version writes (its header starts {:?}): \
         write to a new folder or file",
        path.display(),
        found.chars().take(60).collect::<String>()
    );
    Ok(())
}

impl<T: Serialize + Default> Appender<T> {
    /// Opens (creating it, and its folder, if needed) `path` for appending.
    pub fn open(path: &Path) -> anyhow::Result<Appender<T>> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create folder {}", dir.display()))?;
        }
        let file = OpenOptions::new()
            .create(true)
            .read(true)
            .append(true)
            .open(path)
            .with_context(|| format!("cannot open {} for appending", path.display()))?;
        let is_empty = file
            .metadata()
            .with_context(|| format!("cannot read {}", path.display()))?
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

    #[test]
    fn a_file_with_other_columns_is_refused_and_left_as_is() {
        let dir = std::env::temp_dir().join(format!("bo-csv-other-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("jobs.csv");
        let old = "run_id,job,variant\nr,0,poll\n";
        std::fs::write(&path, old).unwrap();
        let error = Appender::<JobRecord>::open(&path).err().expect("refused");
        let message = format!("{error:#}");
        assert!(message.contains("other columns"), "{message}");
        assert!(message.contains("run_id,job,variant"), "{message}");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), old);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
