//! The summary as printed on a terminal.

use std::fmt::Write as _;

use super::view::View;

/// The summary as printed on a terminal.
pub fn render(view: &View) -> String {
    let mut out = String::new();
    for section in &view.sections {
        let _ = writeln!(out, "{}", section.heading);
        for (label, value) in &section.counts {
            let _ = writeln!(out, "  {label:<36} {value}");
        }
        let _ = writeln!(out, "  {:<36} {:<16} spread (CV over runs)", "", "");
        for (label, value, spread) in &section.figures {
            let _ = writeln!(out, "  {label:<36} {value:<16} {spread}");
        }
        let _ = writeln!(out);
    }
    out.push_str(&crate::report::scaling::markdown(&view.summary.sweeps));
    for warning in &view.warnings {
        let _ = writeln!(out, "warning: {warning}");
    }
    for note in &view.notes {
        let _ = writeln!(out, "note: {note}");
    }
    out
}
