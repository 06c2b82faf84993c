//! The comparison as CSV: one row per setup and network path, the same figures as the markdown at
//! full precision (15 significant digits), with units in the column names. Empty cells are figures
//! no run measured.

use super::table::{Extended, Figures, Row, Table};

const IDENTITY: [&str; 23] = [
    "network",
    "setup",
    "os",
    "os_version",
    "arch",
    "kernel",
    "variant",
    "backend",
    "server",
    "connections",
    "payload_bytes",
    "buffer_size",
    "hostname",
    "cpu_model",
    "qemu_nic",
    "qemu_vcpus",
    "qemu_accel",
    "partial",
    "published",
    "runs",
    "runs_averaged",
    "jobs_ok",
    "jobs_failed",
];

const FIGURES: [&str; 6] = [
    "socket_creation_us",
    "job_setup_us",
    "receive_s",
    "job_mib_s",
    "run_time_s",
    "memory_mib",
];

const EXTENDED: [&str; 12] = [
    "transfer_p50_s",
    "transfer_p99_s",
    "aggregate_gib_s",
    "cpu_s_per_gib",
    "syscalls_per_mib",
    "context_switches",
    "peak_rss_mib",
    "run_time_cv_pct",
    "server_cpu_s_per_gib",
    "server_memory_mib",
    "socket_memory_per_connection_kib",
    "retransmits_per_connection",
];

/// Renders every table's rows into one CSV document.
pub fn render(tables: &[Table], extended: bool) -> anyhow::Result<String> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    let mut header: Vec<&str> = IDENTITY.to_vec();
    header.extend(FIGURES);
    if extended {
        header.extend(EXTENDED);
    }
    header.push("memory_note");
    writer.write_record(&header)?;
    // The old suite's columns are the download workload's; the other workloads' tables are in the
    // markdown and the JSON.
    for table in tables.iter().filter(|t| t.workload == "download") {
        for row in &table.rows {
            let mut record = identity(&table.network, row);
            record.extend(figures(&row.figures).into_iter().map(number));
            if extended {
                let x = row.extended.clone().unwrap_or_default();
                record.extend(extended_figures(&x).into_iter().map(number));
            }
            record.push(row.memory_note.clone().unwrap_or_default());
            writer.write_record(&record)?;
        }
    }
    Ok(String::from_utf8(writer.into_inner()?)?)
}

fn identity(network: &str, row: &Row) -> Vec<String> {
    let hardware = |key: &str| row.hardware.get(key).cloned().unwrap_or_default();
    vec![
        network.to_string(),
        row.setup.clone(),
        row.os.clone(),
        row.os_version.clone(),
        row.arch.clone(),
        row.kernel.clone(),
        row.variant.clone(),
        row.backend.clone(),
        row.server.clone(),
        row.connections.to_string(),
        row.payload_bytes.to_string(),
        row.buffer_size.to_string(),
        row.hostname.clone(),
        row.cpu_model.clone(),
        hardware("qemu_nic"),
        hardware("qemu_vcpus"),
        hardware("qemu_accel"),
        row.partial.to_string(),
        row.published.to_string(),
        row.runs.to_string(),
        row.runs_averaged.to_string(),
        row.jobs_ok.map(|n| n.to_string()).unwrap_or_default(),
        row.jobs_failed.map(|n| n.to_string()).unwrap_or_default(),
    ]
}

fn figures(f: &Figures) -> [Option<f64>; 6] {
    [
        f.socket_creation_us,
        f.job_setup_us,
        f.receive_s,
        f.job_mib_s,
        f.run_time_s,
        f.memory_mib,
    ]
}

fn extended_figures(x: &Extended) -> [Option<f64>; 12] {
    [
        x.transfer_p50_s,
        x.transfer_p99_s,
        x.aggregate_gib_s,
        x.cpu_s_per_gib,
        x.syscalls_per_mib,
        x.context_switches,
        x.peak_rss_mib,
        x.run_time_cv_pct,
        x.server_cpu_s_per_gib,
        x.server_memory_mib,
        x.socket_memory_per_connection_kib,
        x.retransmits_per_connection,
    ]
}

/// Full precision: the shortest text that reads back as the same `f64` (the figures are rounded to
/// 15 significant digits, so no float noise shows).
fn number(value: Option<f64>) -> String {
    value.map(|v| v.to_string()).unwrap_or_default()
}
