//! The comparison as JSON: `{"tables": [{network, title, differing, rows: [...]}]}`, the same
//! figures as the markdown at full precision; `null` is a figure no run measured.

use serde::Serialize;

use super::table::Table;

#[derive(Serialize)]
struct Document<'a> {
    tables: &'a [Table],
}

/// Renders every table as one pretty-printed JSON document.
pub fn render(tables: &[Table], extended: bool) -> anyhow::Result<String> {
    let mut tables = tables.to_vec();
    if !extended {
        // The default output carries the published columns only, as the markdown does.
        for row in tables.iter_mut().flat_map(|t| &mut t.rows) {
            row.extended = None;
        }
    }
    Ok(serde_json::to_string_pretty(&Document { tables: &tables })? + "\n")
}
