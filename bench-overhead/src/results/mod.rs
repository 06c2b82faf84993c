//! A results folder (the data contract of results/README.md): reading runs.csv, jobs.csv and
//! meta.json, appending CSV rows, and the averages over iterations every report prints
//! (`averages`; for request-rate runs `requests`, over the merged histograms of `histogram`).

pub mod averages;
pub mod csv;
pub mod histogram;
pub mod jobs;
pub mod load;
pub mod requests;
