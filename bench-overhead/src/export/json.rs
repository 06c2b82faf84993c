//! `--json`: one [`RunRecord`] per line, so a consumer can read records as runs finish.

use std::io::Write;

use bench_records::RunRecord;

/// Writes `record` as one line of JSON and flushes it.
pub fn write_line(out: &mut impl Write, record: &RunRecord) -> anyhow::Result<()> {
    serde_json::to_writer(&mut *out, record)?;
    out.write_all(b"\n")?;
    out.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_that_parses_back() {
        let record = RunRecord {
            run_id: "r".into(),
            aggregate_mib_s: 1.0 / 3.0,
            ..RunRecord::default()
        };
        let mut out = Vec::new();
        write_line(&mut out, &record).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(text.lines().count(), 1);
        let back: RunRecord = serde_json::from_str(&text).unwrap();
        assert_eq!(back, record);
    }
}
