//! Sizes and durations as the command lines, the suite's settings and `meta.json` write them
//! (`4MiB`, `30s`, `100ms`): one syntax, parsed here for bench-overhead and memmon alike. A size
//! or duration that does not parse is one line saying what was wrong and what to write.

use std::time::Duration;

/// Binary units: every size in the records is in bytes, every printed size in these.
pub const KIB: u64 = 1024;
pub const MIB: u64 = 1024 * KIB;
pub const GIB: u64 = 1024 * MIB;

/// Splits `4.5MiB` into the number and the unit that follows it; `None` when no number leads.
fn split_number(text: &str) -> Option<(f64, &str)> {
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

/// Parses memmon's sampling interval (`--interval`, the suite's `INTERVAL`) such as `100ms`,
/// `0.5s` or `1s` into whole milliseconds (at least 1 ms).
///
/// A unit is required: a bare `100` could mean seconds or milliseconds, and a wrong guess would
/// silently change every figure's resolution. Whole milliseconds because the wait between samples
/// (`poll`) counts in milliseconds.
pub fn parse_interval(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let (number, unit) = split_number(text).ok_or_else(|| {
        format!(
            "`{text}` is not an interval: use a positive number with a unit, e.g. 100ms or 0.5s"
        )
    })?;
    let millis = match unit.trim() {
        "ms" => number,
        "s" => number * 1e3,
        "" => {
            return Err(format!(
                "`{text}` has no unit: write e.g. {text}ms or {text}s"
            ))
        }
        other => return Err(format!("unknown interval unit `{other}`: use ms or s")),
    };
    if !(millis.is_finite() && millis >= 1.0) {
        return Err(format!(
            "`{text}` is too short: the interval must be at least 1ms"
        ));
    }
    if millis.fract() != 0.0 || millis > u32::MAX as f64 {
        return Err(format!("`{text}` is not a whole number of milliseconds"));
    }
    Ok(Duration::from_millis(millis as u64))
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
    fn intervals_with_units_parse() {
        assert_eq!(parse_interval("100ms"), Ok(Duration::from_millis(100)));
        assert_eq!(parse_interval("0.5s"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_interval("2s"), Ok(Duration::from_secs(2)));
        assert_eq!(parse_interval("1ms"), Ok(Duration::from_millis(1)));
    }

    #[test]
    fn bad_intervals_are_rejected() {
        for bad in [
            "0", "0ms", "0s", "-5ms", "abc", "100", "1.5ms", "0.0001s", "5m", "", "ms",
        ] {
            assert!(parse_interval(bad).is_err(), "{bad:?} was accepted");
        }
    }
}
