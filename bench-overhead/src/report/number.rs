//! Number formatting as the old suite printed it, so new rows sit beside the published ones.
//!
//! The old C++ suite wrote its figures with `std::ostream`'s default format: 6 significant digits,
//! `%g` style (fixed notation for exponents -5..=5, scientific otherwise, trailing zeros dropped),
//! which is where `2.40832 us`, `42.043 s` and `5.02905 MiB/s` come from. Printing the same way
//! means a published figure read back from `results/reference/` prints exactly as published.

/// What a figure no run measured prints as, in every table: never 0.
pub const NO_DATA: &str = "—";

/// Significant digits of the old suite's output (`std::cout`'s default precision).
pub const SIGNIFICANT_DIGITS: usize = 6;

/// Formats `value` like C's `printf("%g")` (C++ `std::cout << value`): 6 significant digits.
/// `value unit`, or `—` when there is no value: a table cell.
pub fn cell(value: Option<f64>, unit: &str) -> String {
    match value {
        Some(v) if unit.is_empty() => g(v),
        Some(v) => format!("{} {unit}", g(v)),
        None => NO_DATA.to_string(),
    }
}

pub fn g(value: f64) -> String {
    format_g(value, SIGNIFICANT_DIGITS)
}

/// `%.{digits}g`: `digits` significant digits, fixed or scientific as C chooses, no trailing zeros.
pub fn format_g(value: f64, digits: usize) -> String {
    let digits = digits.max(1);
    if !value.is_finite() {
        return value.to_string();
    }
    if value == 0.0 {
        return "0".to_string();
    }
    // Round to the significant digits first: the exponent after rounding decides the notation
    // (999999.5 becomes 1e+06, as in C).
    let scientific = format!("{value:.prec$e}", prec = digits - 1);
    let (mantissa, exponent) = scientific
        .split_once('e')
        .expect("Rust's {:e} output always has an exponent");
    let exponent: i32 = exponent.parse().expect("the exponent is an integer");
    if exponent < -4 || exponent >= digits as i32 {
        let sign = if exponent < 0 { '-' } else { '+' };
        format!(
            "{}e{sign}{:02}",
            strip_trailing_zeros(mantissa),
            exponent.abs()
        )
    } else {
        let decimals = (digits as i32 - 1 - exponent) as usize;
        strip_trailing_zeros(&format!("{value:.decimals$}")).to_string()
    }
}

/// `value` rounded to `digits` significant digits; non-finite values and zero as they are.
pub fn round_significant(value: f64, digits: usize) -> f64 {
    if !value.is_finite() || value == 0.0 {
        return value;
    }
    format!("{value:.prec$e}", prec = digits.max(1) - 1)
        .parse()
        .unwrap_or(value)
}

fn strip_trailing_zeros(text: &str) -> &str {
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.')
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prints_like_the_old_suite() {
        assert_eq!(g(2.408_324), "2.40832");
        assert_eq!(g(42.043), "42.043");
        assert_eq!(g(5.029_05), "5.02905");
        assert_eq!(g(0.908_75), "0.90875");
        assert_eq!(g(159.4), "159.4");
        assert_eq!(g(306.113_4), "306.113");
        assert_eq!(g(100.0), "100");
        assert_eq!(g(0.0), "0");
        assert_eq!(g(-1.5), "-1.5");
    }

    #[test]
    fn rounding_drops_float_noise() {
        assert_eq!(round_significant(2.408_320_000_000_000_2, 15), 2.40832);
        assert_eq!(round_significant(2.408_32, 15).to_string(), "2.40832");
        assert_eq!(round_significant(123_456.7, 3), 123_000.0);
        assert_eq!(round_significant(0.0, 15), 0.0);
        assert!(round_significant(f64::INFINITY, 15).is_infinite());
    }

    #[test]
    fn switches_to_scientific_where_c_does() {
        assert_eq!(g(123_456.0), "123456");
        assert_eq!(g(1_234_567.0), "1.23457e+06");
        assert_eq!(g(999_999.7), "1e+06");
        assert_eq!(g(0.000_123_456_7), "0.000123457");
        assert_eq!(g(0.000_012_345_67), "1.23457e-05");
        assert_eq!(format_g(1e100, 6), "1e+100");
    }
}
