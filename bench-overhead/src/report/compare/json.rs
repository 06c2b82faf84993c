//! The comparison as JSON: `{"tables": [{network, title, differing, rows: [...]}]}`, plus
//! `"sweeps": [{network, title, models, steps: [{connections, points}]}]` when the inputs hold a
//! scaling sweep; the same figures as the markdown at full precision; `null` is a figure no run
//! measured.

use serde::Serialize;

use super::table::Table;
use crate::report::scaling::Sweep;

#[derive(Serialize)]
struct Document<'a> {
    tables: &'a [Table],
    #[serde(skip_serializing_if = "<[Sweep]>::is_empty")]
    sweeps: &'a [Sweep],
}

/// Renders every table and sweep as one pretty-printed JSON document.
pub fn render(tables: &[Table], sweeps: &[Sweep], extended: bool) -> anyhow::Result<String> {
    let mut tables = tables.to_vec();
    if !extended {
        // The default output carries the published columns only, as the markdown does.
        for row in tables.iter_mut().flat_map(|t| &mut t.rows) {
            row.extended = None;
        }
    }
    Ok(serde_json::to_string_pretty(&Document {
        tables: &tables,
        sweeps,
    })? + "\n")
}
