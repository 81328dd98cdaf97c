//! Numbers as Redis parses and prints them.

/// Redis's `string2ll`: optional '-', no '+', no spaces, no leading zeros, fits in i64.
pub fn parse_int(b: &[u8]) -> Option<i64> {
    if b.is_empty() || b.len() > 20 {
        return None;
    }
    if b == b"0" {
        return Some(0);
    }
    let (neg, digits) = match b[0] {
        b'-' => (true, &b[1..]),
        _ => (false, b),
    };
    match digits.first() {
        Some(b'1'..=b'9') => {}
        _ => return None,
    }
    let mut n: u64 = 0;
    for &d in digits {
        if !d.is_ascii_digit() {
            return None;
        }
        n = n.checked_mul(10)?.checked_add(u64::from(d - b'0'))?;
    }
    if neg {
        if n > i64::MAX as u64 + 1 { None } else { Some((n as i64).wrapping_neg()) }
    } else {
        i64::try_from(n).ok()
    }
}

/// A float as Redis's `strtold` checks accept it: no spaces, no NaN; "inf" allowed.
pub fn parse_float(b: &[u8]) -> Option<f64> {
    let s = std::str::from_utf8(b).ok()?;
    if s.is_empty()
        || s.starts_with(|c: char| c.is_ascii_whitespace())
        || s.ends_with(|c: char| c.is_ascii_whitespace())
    {
        return None;
    }
    let v: f64 = s.parse().ok()?;
    (!v.is_nan()).then_some(v)
}

pub use crate::resp::number::fmt_double;
use crate::resp::number::trim_fraction;

use super::ReplyError;

/// How INCRBYFLOAT and HINCRBYFLOAT print their result: plain decimal, no exponent, no
/// trailing zeros (Redis's "human friendly" long double format).
pub fn fmt_human(v: f64) -> String {
    if v == 0.0 {
        return "0".into();
    }
    let s = format!("{v}");
    trim_fraction(&s).to_string()
}

/// A blocking command's timeout in seconds, as Redis reads it: milliseconds truncated toward
/// zero (so -0.0001 means "forever"), 0 = forever. Like Redis's cast to `long long`, a value
/// too large for it (inf included) counts as negative.
pub fn parse_timeout(arg: &[u8]) -> Result<u64, ReplyError> {
    let secs = parse_float(arg).ok_or_else(|| ReplyError::new("ERR timeout is not a float or out of range"))?;
    let ms = (secs * 1000.0).trunc();
    // 2^63: the first value a `long long` cannot hold.
    const LIMIT: f64 = 9_223_372_036_854_775_808.0;
    if !(0.0..LIMIT).contains(&ms) {
        return Err(ReplyError::new("ERR timeout is negative"));
    }
    Ok(ms as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ints_parse_like_string2ll() {
        assert_eq!(parse_int(b"-9223372036854775808"), Some(i64::MIN));
        assert_eq!(parse_int(b"9223372036854775807"), Some(i64::MAX));
        for bad in [&b"9223372036854775808"[..], b"01", b"+1", b" 1", b"1 ", b"-0", b"", b"1.0", b"-"] {
            assert_eq!(parse_int(bad), None, "{:?}", std::str::from_utf8(bad));
        }
    }

    #[test]
    fn doubles_print_like_percent_17g() {
        assert_eq!(fmt_double(1.5), "1.5");
        assert_eq!(fmt_double(0.1), "0.10000000000000001");
        assert_eq!(fmt_double(3.0), "3");
        assert_eq!(fmt_double(1e20), "1e+20");
        assert_eq!(fmt_double(-2.5e-7), "-2.4999999999999999e-07");
        assert_eq!(fmt_double(f64::INFINITY), "inf");
        assert_eq!(fmt_double(123456789.0), "123456789");
    }

    #[test]
    fn human_floats() {
        assert_eq!(fmt_human(10.5 + 0.1), "10.6");
        assert_eq!(fmt_human(5200.0), "5200");
        assert_eq!(fmt_human(-0.0), "0");
    }
}
