//! The conditions a row was measured under that its Setup label does not name: the server, the
//! load (connections, payload, buffer), the machine and, for QEMU guests, the virtual hardware.
//!
//! Rows measured under different conditions are never silently merged (they are different setups)
//! nor silently compared: a table whose rows differ in one says so above it, charts say so under
//! their title, and rows whose Setup labels would otherwise read the same carry the difference in
//! the label (`Linux (x86_64, 6.1.0-40-amd64) Threaded [built-in server]`).

use std::collections::BTreeSet;

use super::table::{Row, Table};
use crate::report::label::payload_label;
use crate::report::number::NO_DATA;

pub use super::table::{Condition, SETUP_EXTRA_KEYS};

/// The conditions a table reports when its rows differ in them, in column order.
const REPORTED: [Condition; 10] = [
    Condition::Server,
    Condition::Connections,
    Condition::Payload,
    Condition::Buffer,
    Condition::Machine,
    Condition::Cpu,
    Condition::Nic,
    Condition::Vcpus,
    Condition::Accelerator,
    Condition::CongestionControl,
];

/// Every condition that can tell two rows of a table apart, for their labels.
const DISTINGUISHING: [Condition; 13] = [
    Condition::Server,
    Condition::Connections,
    Condition::Payload,
    Condition::Buffer,
    Condition::Nic,
    Condition::Vcpus,
    Condition::Accelerator,
    Condition::CongestionControl,
    Condition::Machine,
    Condition::Cpu,
    Condition::OsVersion,
    Condition::Kernel,
    Condition::Backend,
];

impl Condition {
    /// As the note above a table and the `differing` list of the JSON name it.
    pub fn name(self) -> &'static str {
        match self {
            Condition::Server => "server",
            Condition::Connections => "connections",
            Condition::Payload => "payload",
            Condition::Buffer => "buffer",
            Condition::Machine => "machine",
            Condition::Cpu => "cpu",
            Condition::Nic => "nic",
            Condition::Vcpus => "vcpus",
            Condition::Accelerator => "accelerator",
            Condition::CongestionControl => "congestion_control",
            Condition::OsVersion => "os_version",
            Condition::Kernel => "kernel",
            Condition::Backend => "backend",
        }
    }

    /// As the note above a table names it: `connections 100 / 8`, `CPU A / B`.
    fn in_note(self) -> &'static str {
        match self {
            Condition::Cpu
            | Condition::Nic
            | Condition::Vcpus
            | Condition::OsVersion
            | Condition::CongestionControl => self.title(),
            _ => self.name(),
        }
    }

    /// The `--extended` column title.
    pub fn title(self) -> &'static str {
        match self {
            Condition::Server => "Server",
            Condition::Connections => "Connections",
            Condition::Payload => "Payload",
            Condition::Buffer => "Buffer",
            Condition::Machine => "Machine",
            Condition::Cpu => "CPU",
            Condition::Nic => "NIC",
            Condition::Vcpus => "vCPUs",
            Condition::Accelerator => "Accelerator",
            Condition::CongestionControl => "TCP congestion control",
            Condition::OsVersion => "OS version",
            Condition::Kernel => "Kernel",
            Condition::Backend => "Backend",
        }
    }

    /// The row's value as recorded; "" when the input does not say.
    fn raw(self, row: &Row) -> String {
        let hardware = |key: &str| row.hardware.get(key).cloned().unwrap_or_default();
        match self {
            Condition::Server => row.server.clone(),
            Condition::Connections => row.connections.to_string(),
            Condition::Payload => row.payload_bytes.to_string(),
            Condition::Buffer => row.buffer_size.to_string(),
            Condition::Machine => row.hostname.clone(),
            Condition::Cpu => row.cpu_model.clone(),
            Condition::Nic => hardware("qemu_nic"),
            Condition::Vcpus => hardware("qemu_vcpus"),
            Condition::Accelerator => hardware("qemu_accel"),
            Condition::CongestionControl => hardware("tcp_congestion_control"),
            Condition::OsVersion => row.os_version.clone(),
            Condition::Kernel => row.kernel.clone(),
            Condition::Backend => row.backend.clone(),
        }
    }

    /// The row's value as a cell or in a note: `200 MiB`, `lighttpd/1.4.69`; `—` when unknown.
    pub fn value(self, row: &Row) -> String {
        let raw = self.raw(row);
        match self {
            Condition::Payload => payload_label(row.payload_bytes),
            Condition::Buffer => payload_label(row.buffer_size),
            _ if raw.is_empty() => NO_DATA.to_string(),
            _ => raw,
        }
    }

    /// The row's value as a part of its Setup label: `built-in server`, `8 connections`.
    fn label_part(self, row: &Row) -> Option<String> {
        let raw = self.raw(row);
        if raw.is_empty() || raw == "0" {
            return None;
        }
        Some(match self {
            // The product first: `[lighttpd]` beside `[built-in server]`; two versions of one
            // product fall back to the raw values (see `words`).
            Condition::Server if product(&raw) == "bench-overhead" => "built-in server".into(),
            Condition::Server => product(&raw).to_string(),
            Condition::Connections => plural(&raw, "connection"),
            Condition::Payload => format!("{} payload", self.value(row)),
            Condition::Buffer => format!("{} buffer", self.value(row)),
            Condition::Machine => format!("host {raw}"),
            Condition::Vcpus => plural(&raw, "vCPU"),
            Condition::Accelerator => raw.to_uppercase(),
            Condition::CongestionControl => format!("TCP {raw}"),
            _ => raw,
        })
    }

    /// Whether the rows were measured under different values of this condition. A value the input
    /// does not give (a published row's host) is unknown, not different; a server named without
    /// its version (`lighttpd`) agrees with any version of it.
    fn differs(self, rows: &[&Row]) -> bool {
        let values: BTreeSet<String> = rows
            .iter()
            .map(|r| self.raw(r))
            .filter(|v| !v.is_empty())
            .collect();
        if self == Condition::Server {
            return values.iter().any(|a| {
                values
                    .iter()
                    .any(|b| a != b && a != product(b) && b != product(a))
            });
        }
        values.len() > 1
    }
}

/// `1 vCPU`, `2 vCPUs`.
fn plural(count: &str, noun: &str) -> String {
    if count == "1" {
        format!("1 {noun}")
    } else {
        format!("{count} {noun}s")
    }
}

/// `lighttpd/1.4.69` → `lighttpd`.
fn product(server: &str) -> &str {
    server.split('/').next().unwrap_or(server)
}

/// The reported conditions under which a table's rows differ.
pub fn differing(rows: &[Row]) -> Vec<Condition> {
    let rows: Vec<&Row> = rows.iter().collect();
    REPORTED.into_iter().filter(|c| c.differs(&rows)).collect()
}

/// `connections 100 / 8; payload 200 MiB / 5 MiB`: each differing condition with its values in
/// row order; empty when the rows agree.
pub fn summary(table: &Table) -> String {
    table
        .differing
        .iter()
        .map(|condition| {
            let mut values: Vec<String> = Vec::new();
            for row in &table.rows {
                let value = condition.value(row);
                if !values.contains(&value) {
                    values.push(value);
                }
            }
            if *condition == Condition::Server {
                values = server_values(values);
            }
            format!("{} {}", condition.in_note(), values.join(" / "))
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// The servers as the note lists them: a product named without its version (`lighttpd`, the
/// published rows) left out beside a version of it, as it is no different server, and the
/// suite's own server called what it is (`built-in bench-overhead/0.1.0`).
fn server_values(values: Vec<String>) -> Vec<String> {
    let versioned = |bare: &str| values.iter().any(|v| v != bare && product(v) == bare);
    values
        .iter()
        .filter(|v| !versioned(v))
        .map(|v| {
            if product(v) == "bench-overhead" {
                format!("built-in {v}")
            } else {
                v.clone()
            }
        })
        .collect()
}

/// For each of `rows` (whose labels are the same), the bracket that tells it apart from the others:
/// its word for every condition in which they differ, `[built-in server]`, `[lighttpd]`. Rows are
/// distinct setups, so they differ in some condition's recorded value or in their `(partial)` /
/// `(published)` marks, and each condition's words tell its values apart (see [`words`]): no two
/// rows of the same marks get the same bracket.
pub fn brackets(rows: &[&Row]) -> Vec<String> {
    let chosen: Vec<Vec<String>> = DISTINGUISHING
        .into_iter()
        .map(|condition| words(condition, rows))
        .filter(|words| words.iter().any(|word| *word != words[0]))
        .collect();
    (0..rows.len())
        .map(|i| {
            let words: Vec<&str> = chosen.iter().map(|words| words[i].as_str()).collect();
            if words.is_empty() {
                String::new()
            } else {
                format!("[{}]", words.join(", "))
            }
        })
        .collect()
}

/// A value the input does not give, in a bracket.
const UNKNOWN: &str = "unknown";

/// Each row's word for `condition`: its short label part (`lighttpd`, `8 connections`), or its
/// recorded value where rows with different values would read the same (`lighttpd/1.4.59` beside
/// `lighttpd/1.4.69`). Rows with different values always get different words.
fn words(condition: Condition, rows: &[&Row]) -> Vec<String> {
    let raw: Vec<String> = rows.iter().map(|r| condition.raw(r)).collect();
    let part: Vec<String> = rows
        .iter()
        .map(|r| condition.label_part(r).unwrap_or_else(|| UNKNOWN.into()))
        .collect();
    let shown_raw = |i: usize| {
        if raw[i].is_empty() {
            UNKNOWN.to_string()
        } else {
            raw[i].clone()
        }
    };
    let n = rows.len();
    let collides = |i: usize| (0..n).any(|j| raw[j] != raw[i] && part[j] == part[i]);
    let words: Vec<String> = (0..n)
        .map(|i| {
            if collides(i) {
                shown_raw(i)
            } else {
                part[i].clone()
            }
        })
        .collect();
    // A recorded value that reads like another row's label part: the recorded values throughout.
    let tells_apart = (0..n).all(|i| (0..n).all(|j| raw[i] == raw[j] || words[i] != words[j]));
    if tells_apart {
        words
    } else {
        (0..n).map(shown_raw).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(server: &str, hostname: &str) -> Row {
        Row {
            server: server.into(),
            hostname: hostname.into(),
            connections: 8,
            ..Row::default()
        }
    }

    #[test]
    fn a_server_without_version_agrees_with_any_version() {
        let differs = |servers: &[&str]| {
            let rows: Vec<Row> = servers.iter().map(|s| row(s, "")).collect();
            Condition::Server.differs(&rows.iter().collect::<Vec<_>>())
        };
        assert!(!differs(&["lighttpd", "lighttpd/1.4.69"]));
        assert!(differs(&["lighttpd/1.4.59", "lighttpd/1.4.69"]));
        assert!(differs(&["lighttpd", "bench-overhead/0.1.0"]));
        assert!(!differs(&["lighttpd"]));
    }

    #[test]
    fn the_note_lists_each_server_once_by_what_it_is() {
        let rows = vec![
            row("lighttpd", ""),
            row("lighttpd/1.4.69", "h"),
            row("bench-overhead/0.1.0", "h"),
        ];
        let table = Table {
            network: "loopback".into(),
            workload: "download".into(),
            title: String::new(),
            differing: differing(&rows),
            rows,
        };
        assert_eq!(
            summary(&table),
            "server lighttpd/1.4.69 / built-in bench-overhead/0.1.0"
        );
    }

    #[test]
    fn an_unknown_value_is_not_a_different_one() {
        let rows = [row("lighttpd", "a"), row("lighttpd", "")];
        assert!(differing(&rows).is_empty());
        let rows = [row("lighttpd", "a"), row("lighttpd", "b")];
        assert_eq!(differing(&rows), [Condition::Machine]);
    }

    #[test]
    fn brackets_name_what_tells_rows_apart() {
        let a = row("lighttpd/1.4.69", "h");
        let b = row("bench-overhead/0.1.0", "h");
        assert_eq!(brackets(&[&a, &b]), ["[lighttpd]", "[built-in server]"]);
        let mut c = row("lighttpd/1.4.69", "h");
        c.hardware.insert("qemu_nic".into(), "e1000".into());
        c.hardware.insert("qemu_vcpus".into(), "1".into());
        let mut d = c.clone();
        d.hardware.insert("qemu_nic".into(), "virtio-net".into());
        d.hardware.insert("qemu_vcpus".into(), "2".into());
        assert_eq!(
            brackets(&[&c, &d]),
            ["[e1000, 1 vCPU]", "[virtio-net, 2 vCPUs]"]
        );
        // Two versions of one server: the raw values.
        let g = row("lighttpd/1.4.59", "h");
        assert_eq!(
            brackets(&[&a, &g]),
            ["[lighttpd/1.4.69]", "[lighttpd/1.4.59]"]
        );
        let e = row("bench-overhead/0.1.0", "h");
        let f = row("bench-overhead/0.2.0", "h");
        assert_eq!(
            brackets(&[&e, &f]),
            ["[bench-overhead/0.1.0]", "[bench-overhead/0.2.0]"]
        );
        // Only the colliding versions read as recorded; another product keeps its short name.
        assert_eq!(
            brackets(&[&a, &g, &b]),
            [
                "[lighttpd/1.4.69]",
                "[lighttpd/1.4.59]",
                "[built-in server]"
            ]
        );
    }

    #[test]
    fn every_row_gets_its_own_bracket() {
        let with = |server: &str, connections: u32| Row {
            connections,
            ..row(server, "h")
        };
        // Two versions of one server and two connection counts: the versions differ only in
        // detail, the connection counts in their short label part.
        let a = with("lighttpd/1.4.59", 100);
        let b = with("lighttpd/1.4.69", 100);
        let c = with("lighttpd/1.4.69", 8);
        let labels = brackets(&[&a, &b, &c]);
        assert_eq!(
            labels,
            [
                "[lighttpd/1.4.59, 100 connections]",
                "[lighttpd/1.4.69, 100 connections]",
                "[lighttpd/1.4.69, 8 connections]",
            ]
        );
        let distinct: BTreeSet<&String> = labels.iter().collect();
        assert_eq!(distinct.len(), labels.len(), "{labels:?}");
    }
}
