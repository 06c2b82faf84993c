//! Output formats: one file per format, each consuming the run record of `bench_records`.

pub mod json;
pub mod text;
