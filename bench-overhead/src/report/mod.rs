//! Reports over results folders: `summarize` (one folder) and `compare` (many machines), the
//! charts, and the labels and number format they share.

pub mod chart;
pub mod compare;
pub mod label;
pub mod number;
pub mod scaling;
pub mod summarize;
