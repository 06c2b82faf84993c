//! Printing sizes, durations and rates; their parsing (and the binary units) is the records
//! crate's, shared with memmon.

pub use bench_records::units::{parse_bytes, parse_duration, GIB, KIB, MIB};

/// MiB per second for `bytes` moved in `nanos`; 0 when no time passed.
pub fn mib_per_s(bytes: u64, nanos: u64) -> f64 {
    if nanos == 0 {
        0.0
    } else {
        bytes as f64 / MIB as f64 / (nanos as f64 / 1e9)
    }
}

/// Human size with a binary unit, e.g. `200 MiB`, `1.5 GiB`.
pub fn format_bytes(bytes: u64) -> String {
    let b = bytes as f64;
    if bytes >= GIB {
        format!("{:.3} GiB", b / GIB as f64)
    } else if bytes >= MIB {
        format!("{:.3} MiB", b / MIB as f64)
    } else if bytes >= KIB {
        format!("{:.3} KiB", b / KIB as f64)
    } else {
        format!("{bytes} B")
    }
}

/// Human duration from nanoseconds with a unit chosen for readability: ns, µs, ms or s.
pub fn format_nanos(nanos: f64) -> String {
    if nanos >= 1e9 {
        format!("{:.3} s", nanos / 1e9)
    } else if nanos >= 1e6 {
        format!("{:.3} ms", nanos / 1e6)
    } else if nanos >= 1e3 {
        format!("{:.3} µs", nanos / 1e3)
    } else {
        format!("{nanos:.0} ns")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_and_formats() {
        assert_eq!(mib_per_s(2 * MIB, 1_000_000_000), 2.0);
        assert_eq!(mib_per_s(MIB, 0), 0.0);
        assert_eq!(format_bytes(200 * MIB), "200.000 MiB");
        assert_eq!(format_nanos(2_500.0), "2.500 µs");
    }
}
