//! Output formats: one file per format, each consuming the records of `record.rs`.
