//! A request-rate table's requests per second, one horizontal bar per setup (the download bars'
//! layout, `bars.rs`).

use std::path::Path;

use super::bars::{self, Chart};
use crate::report::compare::conditions;
use crate::report::compare::table::Table;

pub fn draw(path: &Path, table: &Table) -> anyhow::Result<()> {
    let bars = bars::of_rows(table, |r| {
        r.requests
            .as_ref()
            .and_then(|f| Some(f.requests_per_s?.value))
    });
    let path_name = bars::lowercase_first(table.title.trim_end_matches(':'));
    let chart = Chart {
        title: format!("Requests per second, {path_name}"),
        axis:
            "Mean requests per second per run (counted requests / counted time) — longer is faster",
        unit: "req/s",
        conditions: conditions::summary(table),
    };
    bars::draw_bars(path, &chart, &bars)
}
