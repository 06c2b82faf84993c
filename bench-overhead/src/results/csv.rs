//! Reading the suite's CSV files (`jobs.csv`, `runs.csv`, `memory.csv`, whose rows are the types
//! of `bench_records`), and the one-line descriptions of a row that does not read, which every
//! reader shares. Writing them is `bench_records::Appender`'s.

use std::path::Path;

use anyhow::Context;

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
