//! Parsing and printing of sizes and durations, shared by every subcommand.

use std::time::Duration;

pub const KIB: u64 = 1024;
pub const MIB: u64 = 1024 * KIB;
pub const GIB: u64 = 1024 * MIB;

/// Splits `4.5MiB` into the number and the unit that follows it; `None` when no number leads.
pub(crate) fn split_number(text: &str) -> Option<(f64, &str)> {
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    Some((number.parse().ok()?, unit))
}

/// Parses a byte count: a plain integer, or a number with one of the suffixes
/// B, KiB, MiB, GiB (binary) or K, M, G (also binary, as the old suite meant them).
pub fn parse_bytes(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let (number, unit) = split_number(text)
        .ok_or_else(|| format!("`{text}` is not a size: use e.g. 4MiB, 64KiB or 65536"))?;
    let scale = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => KIB,
        "m" | "mb" | "mib" => MIB,
        "g" | "gb" | "gib" => GIB,
        other => {
            return Err(format!(
                "unknown size unit `{other}`: use B, KiB, MiB or GiB"
            ))
        }
    };
    let bytes = number * scale as f64;
    if !(bytes >= 1.0 && bytes.fract() == 0.0 && bytes <= u64::MAX as f64) {
        return Err(format!("`{text}` is not a positive whole number of bytes"));
    }
    Ok(bytes as u64)
}

/// The longest duration accepted: a week is far beyond any run or wait here. The cap is what lets
/// the client write its deadlines as plain `Instant + Duration` and hand timeouts to system calls
/// without overflowing either.
pub const MAX_DURATION: Duration = Duration::from_secs(7 * 24 * 3600);

/// Parses a duration: a number with ms, s or m (e.g. 500ms, 30s, 2m); a bare number is seconds.
/// At most [`MAX_DURATION`].
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let (number, unit) = split_number(text)
        .ok_or_else(|| format!("`{text}` is not a duration: use e.g. 30s, 500ms or 2m"))?;
    let seconds = match unit.trim() {
        "" | "s" => number,
        "ms" => number / 1e3,
        "us" | "µs" => number / 1e6,
        "m" | "min" => number * 60.0,
        other => return Err(format!("unknown duration unit `{other}`: use ms, s or m")),
    };
    if seconds > MAX_DURATION.as_secs_f64() {
        return Err(format!("`{text}` is too long: at most 7 days (10080m)"));
    }
    // Within the cap the conversion cannot overflow; it fails only for NaN or a negative number.
    let duration = Duration::try_from_secs_f64(seconds)
        .ok()
        .filter(|duration| !duration.is_zero())
        .ok_or_else(|| format!("`{text}` must be a positive duration"))?;
    Ok(duration)
}

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
    fn sizes_parse_with_binary_units() {
        assert_eq!(parse_bytes("4MiB"), Ok(4 * MIB));
        assert_eq!(parse_bytes("64KiB"), Ok(64 * KIB));
        assert_eq!(parse_bytes("65536"), Ok(65536));
        assert_eq!(parse_bytes("1.5 GiB"), Ok(3 * GIB / 2));
        assert!(parse_bytes("0").is_err());
        assert!(parse_bytes("-1").is_err());
        assert!(parse_bytes("4 parsecs").is_err());
        assert!(parse_bytes("").is_err());
    }

    #[test]
    fn durations_parse_with_units() {
        assert_eq!(parse_duration("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("3"), Ok(Duration::from_secs(3)));
        assert!(parse_duration("0s").is_err());
        assert!(parse_duration("0.0000000001s").is_err(), "rounds to zero");
        assert!(parse_duration("soon").is_err());
        assert_eq!(parse_duration("10080m"), Ok(MAX_DURATION));
        let too_long = "10080.001m";
        assert_eq!(
            parse_duration(too_long),
            Err(format!("`{too_long}` is too long: at most 7 days (10080m)"))
        );
        // Far beyond what a Duration holds: an error, not a panic.
        assert!(parse_duration("99999999999999999999999999s")
            .unwrap_err()
            .contains("too long"));
        assert!(parse_duration(&format!("{}s", "9".repeat(400))).is_err());
    }

    #[test]
    fn rates_and_formats() {
        assert_eq!(mib_per_s(2 * MIB, 1_000_000_000), 2.0);
        assert_eq!(mib_per_s(MIB, 0), 0.0);
        assert_eq!(format_bytes(200 * MIB), "200.000 MiB");
        assert_eq!(format_nanos(2_500.0), "2.500 µs");
    }
}
