//! Number formatting shared by the text encoders: fast, allocation-free, and in forms both
//! Go's `strconv.ParseFloat` (Prometheus, InfluxDB, VictoriaMetrics) and Rust read back
//! exactly.

/// Whole floats below this magnitude are printed as integers (exact in an f64).
const EXACT_INT_LIMIT: f64 = 9_007_199_254_740_992.0; // 2^53

/// Decimal digits of `value`, written into `buf`.
pub(crate) fn format_i64(buf: &mut [u8; 20], value: i64) -> &str {
    let mut n = value.unsigned_abs();
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    if value < 0 {
        i -= 1;
        buf[i] = b'-';
    }
    // Only ASCII digits and '-' were written.
    std::str::from_utf8(&buf[i..]).unwrap_or("0")
}

/// The value as an integer if it is a whole number that an f64 holds exactly; counters
/// and most gauges are, and print shorter and faster that way.
pub(crate) fn as_exact_int(value: f64) -> Option<i64> {
    // The guard makes the cast exact.
    (value.fract() == 0.0 && value.abs() < EXACT_INT_LIMIT).then_some(value as i64)
}

/// Appends a finite float: whole numbers as integers (`1234`), others in Rust's shortest
/// round-trip form with an exponent where it is shorter (`0.5`, `1e300`, `1.5e-7`).
pub(crate) fn push_finite_f64(out: &mut String, value: f64) {
    match as_exact_int(value) {
        Some(int) => {
            let mut buf = [0u8; 20];
            out.push_str(format_i64(&mut buf, int));
        }
        None => {
            use std::fmt::Write;
            // Writing to a String cannot fail.
            let _ = write!(out, "{value:?}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers() {
        let mut buf = [0u8; 20];
        for v in [0, 7, -7, 1_234_567, i64::MAX, i64::MIN] {
            assert_eq!(format_i64(&mut buf, v), v.to_string());
        }
    }

    #[test]
    fn floats_read_back_exactly() {
        for v in [
            0.1,
            -2.5,
            1e300,
            -1.5e-7,
            9_007_199_254_740_993.0,
            f64::MAX,
            1e15,
            -0.0,
        ] {
            let mut s = String::new();
            push_finite_f64(&mut s, v);
            assert_eq!(s.parse::<f64>().unwrap(), v, "{s}");
        }
        let mut s = String::new();
        push_finite_f64(&mut s, 12345.0);
        assert_eq!(s, "12345");
    }
}
