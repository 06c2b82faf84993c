//! The comparison as JSON: `{"tables": [{network, title, differing, rows: [...]}]}`, the same
//! figures as the markdown at full precision; `null` is a figure no run measured.

use super::aggregate::Table;

/// Renders every table as one pretty-printed JSON document.
pub fn render(tables: &[Table], extended: bool) -> anyhow::Result<String> {
    let mut value = serde_json::json!({ "tables": tables });
    if !extended {
        // The default output carries the published columns only, as the markdown does.
        for table in value["tables"].as_array_mut().into_iter().flatten() {
            for row in table["rows"].as_array_mut().into_iter().flatten() {
                if let Some(row) = row.as_object_mut() {
                    row.remove("extended");
                }
            }
        }
    }
    Ok(serde_json::to_string_pretty(&value)? + "\n")
}
