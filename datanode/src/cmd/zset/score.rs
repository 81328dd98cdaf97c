//! Scores and ranges as Redis parses them: `strtod` semantics (hex floats, "inf", overflow
//! checks), score ranges with '(' for exclusive bounds, and lex ranges with '[', '(', '-', '+'.

use std::cmp::Ordering;

use bytes::Bytes;

use crate::cmd::ReplyError;

/// C's `strtod` on `s`: the value and how many bytes it consumed (0 when nothing parses).
/// Also reports whether the result over- or underflowed (C's `ERANGE` for ±HUGE_VAL or 0).
fn strtod(s: &[u8]) -> (f64, usize, bool) {
    let mut i = s.iter().take_while(|c| matches!(c, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')).count();
    let negative = match s.get(i) {
        Some(b'-') => {
            i += 1;
            true
        }
        Some(b'+') => {
            i += 1;
            false
        }
        _ => false,
    };
    let sign = |v: f64| if negative { -v } else { v };
    let rest = s.get(i..).unwrap_or_default();
    if starts_with_ci(rest, b"infinity") {
        return (sign(f64::INFINITY), i + 8, false);
    }
    if starts_with_ci(rest, b"inf") {
        return (sign(f64::INFINITY), i + 3, false);
    }
    if starts_with_ci(rest, b"nan") {
        let mut n = i + 3;
        // "nan(chars)" is consumed whole when the parenthesis closes.
        if s.get(n) == Some(&b'(') {
            let inner = s.get(n + 1..).unwrap_or_default();
            let len = inner.iter().take_while(|c| c.is_ascii_alphanumeric() || **c == b'_').count();
            if inner.get(len) == Some(&b')') {
                n += len + 2;
            }
        }
        return (f64::NAN, n, false);
    }
    if let Some(hex) = rest.strip_prefix(b"0x").or_else(|| rest.strip_prefix(b"0X")).filter(|h| has_hex_mantissa(h)) {
        let (v, used, range_err) = hex_float(hex);
        return (sign(v), i + 2 + used, range_err);
    }
    let (v, used, range_err) = decimal_float(rest);
    if used == 0 {
        return (0.0, 0, false);
    }
    (sign(v), i + used, range_err)
}

fn starts_with_ci(s: &[u8], word: &[u8]) -> bool {
    s.get(..word.len()).is_some_and(|p| p.eq_ignore_ascii_case(word))
}

fn has_hex_mantissa(s: &[u8]) -> bool {
    match s.first() {
        Some(c) if c.is_ascii_hexdigit() => true,
        Some(b'.') => s.get(1).is_some_and(u8::is_ascii_hexdigit),
        _ => false,
    }
}

/// Length of an exponent suffix (`e-12`, `p+3`) at the start of `s`, 0 if there is none.
fn exponent_len(s: &[u8], marker: &[u8; 2]) -> usize {
    if !s.first().is_some_and(|c| marker.contains(c)) {
        return 0;
    }
    let sign = usize::from(matches!(s.get(1), Some(b'+' | b'-')));
    let digits = s.get(1 + sign..).unwrap_or_default().iter().take_while(|c| c.is_ascii_digit()).count();
    if digits == 0 { 0 } else { 1 + sign + digits }
}

fn decimal_float(s: &[u8]) -> (f64, usize, bool) {
    let int_digits = s.iter().take_while(|c| c.is_ascii_digit()).count();
    let mut n = int_digits;
    let mut frac_digits = 0;
    if s.get(n) == Some(&b'.') {
        frac_digits = s.get(n + 1..).unwrap_or_default().iter().take_while(|c| c.is_ascii_digit()).count();
        if int_digits + frac_digits > 0 {
            n += 1 + frac_digits;
        }
    }
    if int_digits + frac_digits == 0 {
        return (0.0, 0, false);
    }
    let nonzero_mantissa = s.get(..n).unwrap_or_default().iter().any(|c| matches!(c, b'1'..=b'9'));
    n += exponent_len(s.get(n..).unwrap_or_default(), b"eE");
    let v: f64 = std::str::from_utf8(s.get(..n).unwrap_or_default()).ok().and_then(|t| t.parse().ok()).unwrap_or(0.0);
    let range_err = v.is_infinite() || (v == 0.0 && nonzero_mantissa);
    (v, n, range_err)
}

/// A hexadecimal float after its "0x": hex digits, an optional '.', an optional `p` exponent.
fn hex_float(s: &[u8]) -> (f64, usize, bool) {
    let mut mantissa: u64 = 0;
    let mut exp: i64 = 0;
    let mut n = 0;
    let mut seen_dot = false;
    let mut nonzero = false;
    while let Some(&c) = s.get(n) {
        if c == b'.' && !seen_dot {
            seen_dot = true;
            n += 1;
            continue;
        }
        let Some(d) = (c as char).to_digit(16) else { break };
        nonzero |= d != 0;
        if mantissa >> 56 == 0 {
            mantissa = mantissa * 16 + u64::from(d);
            if seen_dot {
                exp -= 4;
            }
        } else if !seen_dot {
            // Digits beyond 60 bits of precision only scale the value.
            exp += 4;
        }
        n += 1;
    }
    let e_len = exponent_len(s.get(n..).unwrap_or_default(), b"pP");
    if e_len > 0 {
        let text = std::str::from_utf8(s.get(n + 1..n + e_len).unwrap_or_default()).unwrap_or("0");
        let e: i64 = text.parse().unwrap_or(if text.starts_with('-') { -100_000 } else { 100_000 });
        exp = exp.saturating_add(e.clamp(-100_000, 100_000));
        n += e_len;
    }
    let v = scale2(mantissa as f64, exp);
    (v, n, v.is_infinite() || (v == 0.0 && nonzero))
}

/// `v * 2^exp` without overflowing the intermediate power.
fn scale2(mut v: f64, mut exp: i64) -> f64 {
    while exp > 0 && v.is_finite() && v != 0.0 {
        let step = exp.min(1000);
        v *= 2f64.powi(step as i32);
        exp -= step;
    }
    while exp < 0 && v != 0.0 {
        let step = (-exp).min(1000);
        v *= 2f64.powi(-(step as i32));
        exp += step;
    }
    v
}

/// A score argument (ZADD, ZINCRBY, WEIGHTS) as Redis's `string2d` accepts it: all of it a
/// float, no leading space, no NaN, no overflow.
pub fn parse_score(b: &[u8]) -> Option<f64> {
    if b.first().is_none_or(|c| c.is_ascii_whitespace() || *c == 0x0b) {
        return None;
    }
    let (v, used, range_err) = strtod(b);
    (used == b.len() && !range_err && !v.is_nan()).then_some(v)
}

/// Parses a score, failing with `ERR value is not a valid float`.
pub fn score_arg(b: &[u8]) -> Result<f64, ReplyError> {
    parse_score(b).ok_or_else(ReplyError::not_float)
}

/// A score interval of ZRANGEBYSCORE, ZCOUNT, ZREMRANGEBYSCORE.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ScoreRange {
    pub min: f64,
    pub max: f64,
    pub minex: bool,
    pub maxex: bool,
}

impl ScoreRange {
    pub fn parse(min: &[u8], max: &[u8]) -> Result<Self, ReplyError> {
        let err = || ReplyError::new("ERR min or max is not a float");
        let (min, minex) = range_item(min).ok_or_else(err)?;
        let (max, maxex) = range_item(max).ok_or_else(err)?;
        Ok(ScoreRange { min, max, minex, maxex })
    }

    pub fn gte_min(&self, v: f64) -> bool {
        if self.minex { v > self.min } else { v >= self.min }
    }

    pub fn lte_max(&self, v: f64) -> bool {
        if self.maxex { v < self.max } else { v <= self.max }
    }

    /// No score can satisfy it.
    pub fn is_empty(&self) -> bool {
        self.min > self.max || (self.min == self.max && (self.minex || self.maxex))
    }
}

/// One bound of a score range: Redis runs `strtod` on it and wants nothing left over (a NUL
/// ends the C string), so leading spaces and an empty number (`(` alone) are accepted.
fn range_item(b: &[u8]) -> Option<(f64, bool)> {
    let (text, ex) = match b.split_first() {
        Some((b'(', rest)) => (rest, true),
        _ => (b, false),
    };
    let (v, used, _) = strtod(text);
    let rest = text.get(used..).unwrap_or_default();
    (rest.first().is_none_or(|c| *c == 0) && !v.is_nan()).then_some((v, ex))
}

/// A bound of a lex range: `-` and `+` are below and above every string.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LexBound {
    Min,
    Max,
    Str(Bytes),
}

impl LexBound {
    /// How `value` compares to this bound.
    fn cmp_value(&self, value: &[u8]) -> Ordering {
        match self {
            LexBound::Min => Ordering::Greater,
            LexBound::Max => Ordering::Less,
            LexBound::Str(b) => value.cmp(b),
        }
    }

    fn rank(&self) -> u8 {
        match self {
            LexBound::Min => 0,
            LexBound::Str(_) => 1,
            LexBound::Max => 2,
        }
    }

    fn cmp_bound(&self, other: &LexBound) -> Ordering {
        match (self, other) {
            (LexBound::Str(a), LexBound::Str(b)) => a.cmp(b),
            _ => self.rank().cmp(&other.rank()),
        }
    }
}

/// A member interval of ZRANGEBYLEX, ZLEXCOUNT, ZREMRANGEBYLEX.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LexRange {
    pub min: LexBound,
    pub max: LexBound,
    pub minex: bool,
    pub maxex: bool,
}

impl LexRange {
    pub fn parse(min: &[u8], max: &[u8]) -> Result<Self, ReplyError> {
        let err = || ReplyError::new("ERR min or max not valid string range item");
        let (min, minex) = lex_item(min).ok_or_else(err)?;
        let (max, maxex) = lex_item(max).ok_or_else(err)?;
        Ok(LexRange { min, max, minex, maxex })
    }

    pub fn gte_min(&self, value: &[u8]) -> bool {
        let c = self.min.cmp_value(value);
        if self.minex { c == Ordering::Greater } else { c != Ordering::Less }
    }

    pub fn lte_max(&self, value: &[u8]) -> bool {
        let c = self.max.cmp_value(value);
        if self.maxex { c == Ordering::Less } else { c != Ordering::Greater }
    }

    /// No member can satisfy it.
    pub fn is_empty(&self) -> bool {
        match self.min.cmp_bound(&self.max) {
            Ordering::Greater => true,
            Ordering::Equal => self.minex || self.maxex,
            Ordering::Less => false,
        }
    }
}

fn lex_item(b: &[u8]) -> Option<(LexBound, bool)> {
    match b.split_first()? {
        (b'+', []) => Some((LexBound::Max, true)),
        (b'-', []) => Some((LexBound::Min, true)),
        (b'(', rest) => Some((LexBound::Str(Bytes::copy_from_slice(rest)), true)),
        (b'[', rest) => Some((LexBound::Str(Bytes::copy_from_slice(rest)), false)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scores_parse_like_string2d() {
        for (text, v) in [
            ("1", 1.0),
            ("-2.5", -2.5),
            ("+3", 3.0),
            (".5", 0.5),
            ("1.", 1.0),
            ("1e3", 1000.0),
            ("inf", f64::INFINITY),
            ("+inf", f64::INFINITY),
            ("-inf", f64::NEG_INFINITY),
            ("-Infinity", f64::NEG_INFINITY),
            ("0x10", 16.0),
            ("0x1p3", 8.0),
            ("0x.8", 0.5),
            ("4.9e-324", 4.9e-324),
        ] {
            assert_eq!(parse_score(text.as_bytes()), Some(v), "{text}");
        }
        for bad in ["", " 1", "1 ", "nan", "-nan", "abc", "1e400", "-1e400", "1e-400", "0x", "1e", "-.e1", "1_0", "."] {
            assert_eq!(parse_score(bad.as_bytes()), None, "{bad:?}");
        }
        assert!(parse_score(b"-0").is_some_and(|v| v == 0.0 && v.is_sign_negative()));
    }

    #[test]
    fn score_ranges_parse_like_zslparserange() {
        let r = ScoreRange::parse(b"(1", b"+inf").expect("range");
        assert_eq!(r, ScoreRange { min: 1.0, max: f64::INFINITY, minex: true, maxex: false });
        assert!(!r.gte_min(1.0) && r.gte_min(1.5) && r.lte_max(f64::INFINITY));
        // strtod skips leading spaces and accepts an empty number; overflow gives inf.
        assert_eq!(ScoreRange::parse(b" 1", b"(").expect("range").min, 1.0);
        assert_eq!(ScoreRange::parse(b"", b"1e400").expect("range").max, f64::INFINITY);
        for (min, max) in [("1 ", "2"), ("nan", "1"), ("[1", "2"), ("1", "x")] {
            assert_eq!(
                ScoreRange::parse(min.as_bytes(), max.as_bytes()),
                Err(ReplyError::new("ERR min or max is not a float"))
            );
        }
        assert!(ScoreRange::parse(b"(1", b"1").expect("range").is_empty());
        assert!(ScoreRange::parse(b"2", b"1").expect("range").is_empty());
        assert!(!ScoreRange::parse(b"1", b"1").expect("range").is_empty());
    }

    #[test]
    fn lex_ranges() {
        let r = LexRange::parse(b"[b", b"(d").expect("range");
        assert!(!r.gte_min(b"a") && r.gte_min(b"b") && r.lte_max(b"c") && !r.lte_max(b"d"));
        let all = LexRange::parse(b"-", b"+").expect("range");
        assert!(all.gte_min(b"") && all.lte_max(b"\xff\xff"));
        assert!(LexRange::parse(b"+", b"-").expect("range").is_empty());
        assert!(LexRange::parse(b"-", b"-").expect("range").is_empty());
        assert!(LexRange::parse(b"[a", b"(a").expect("range").is_empty());
        assert!(!LexRange::parse(b"[a", b"[a").expect("range").is_empty());
        for (min, max) in [("a", "b"), ("+a", "+"), ("", "+"), ("-", "x")] {
            assert_eq!(
                LexRange::parse(min.as_bytes(), max.as_bytes()),
                Err(ReplyError::new("ERR min or max not valid string range item"))
            );
        }
    }
}
